//! Authorization: the one place that decides whether a principal may perform an action on a
//! resource. Today: bucket policies (the IAM policy language of `document`, `condition`,
//! `pattern` and `eval`) and the owning account's root. IAM user policies, ACLs and the
//! public-access block plug in here too — the S3 layer calls [`authorize`] and nothing else.

pub mod condition;
pub mod document;
pub mod eval;
pub mod pattern;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::iam::Principal;
pub use condition::ConditionContext;
use document::{PolicyDocument, PolicyError, PolicyKind};
use eval::{Effect, EvalRequest, PrincipalFacts};

/// The resource an action targets, in ARN terms.
#[derive(Debug, Clone)]
pub enum Resource<'a> {
    /// ListBuckets, CreateBucket of a new name.
    Service,
    Bucket {
        name: &'a str,
        owner: Option<&'a str>,
    },
    Object {
        bucket: &'a str,
        key: &'a str,
        owner: Option<&'a str>,
    },
}

impl Resource<'_> {
    /// The ARN policies name it by: `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/key`.
    pub fn arn(&self) -> String {
        match self {
            Resource::Service => "*".to_string(),
            Resource::Bucket { name, .. } => format!("arn:aws:s3:::{name}"),
            Resource::Object { bucket, key, .. } => format!("arn:aws:s3:::{bucket}/{key}"),
        }
    }

    fn owner(&self) -> Option<&str> {
        match self {
            Resource::Service => None,
            Resource::Bucket { owner, .. } | Resource::Object { owner, .. } => *owner,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny,
}

/// Everything one authorization decision looks at.
pub struct Request<'a> {
    pub principal: &'a Principal,
    pub action: &'a str,
    pub resource: &'a Resource<'a>,
    /// Condition keys of the request (`aws:SourceIp`, `s3:prefix`, ...).
    pub context: &'a ConditionContext,
    /// The policy of the bucket the resource is in, if it has one.
    pub bucket_policy: Option<&'a PolicyDocument>,
}

/// Actions the bucket owner's root may always take, whatever the bucket policy says, so that a
/// policy denying everything can still be repaired (AWS does the same).
const OWNER_ROOT_ALWAYS: [&str; 3] = [
    "s3:GetBucketPolicy",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
];

/// The one authorization decision: an explicit Deny in the bucket policy beats everything
/// (except the owner's root managing the policy itself); the owning account's root may do
/// anything else; anyone else — anonymous included — needs an Allow from the bucket policy.
pub fn authorize(request: &Request<'_>) -> Decision {
    let owner_root = match (request.principal.account_id(), request.resource) {
        (Some(_), Resource::Service) => true,
        (Some(account), resource) => resource.owner().is_none_or(|owner| owner == account),
        (None, _) => false,
    };
    let verdict = match request.bucket_policy {
        None => Effect::NotApplicable,
        Some(policy) => {
            let number = request.principal.account_number();
            let arn = number.map(|n| format!("arn:aws:iam::{n}:root"));
            let facts = PrincipalFacts {
                account_id: number,
                arn: arn.as_deref(),
                canonical_id: request.principal.account_id(),
                is_root: request.principal.account_id().is_some(),
            };
            policy.evaluate(&EvalRequest {
                principal: &facts,
                action: request.action,
                resource: &request.resource.arn(),
                context: request.context,
            })
        }
    };
    match verdict {
        Effect::Deny if owner_root && OWNER_ROOT_ALWAYS.contains(&request.action) => {
            Decision::Allow
        }
        Effect::Deny => Decision::Deny,
        _ if owner_root => Decision::Allow,
        Effect::Allow => Decision::Allow,
        Effect::NotApplicable => Decision::Deny,
    }
}

/// Parsed bucket policies, so a request neither reads nor parses the policy text: keyed by
/// bucket and checked against the policy revision in the bucket record, which every request
/// reads anyway, so a changed or deleted policy is never served stale.
#[derive(Default)]
pub struct BucketPolicies {
    parsed: RwLock<HashMap<String, (u64, Arc<PolicyDocument>)>>,
}

/// Why a stored policy could not be produced.
#[derive(Debug)]
pub enum CachedPolicyError<E> {
    Load(E),
    Parse(PolicyError),
}

impl BucketPolicies {
    /// The parsed policy of `bucket` at `revision`; `load` reads its text when the cache does
    /// not hold that revision.
    pub fn get<E>(
        &self,
        bucket: &str,
        revision: u64,
        load: impl FnOnce() -> Result<String, E>,
    ) -> Result<Arc<PolicyDocument>, CachedPolicyError<E>> {
        if let Ok(parsed) = self.parsed.read()
            && let Some((cached, document)) = parsed.get(bucket)
            && *cached == revision
        {
            return Ok(document.clone());
        }
        let text = load().map_err(CachedPolicyError::Load)?;
        let document = Arc::new(
            PolicyDocument::parse(&text, PolicyKind::Bucket, Some(bucket))
                .map_err(CachedPolicyError::Parse)?,
        );
        if let Ok(mut parsed) = self.parsed.write() {
            parsed.insert(bucket.to_string(), (revision, document.clone()));
        }
        Ok(document)
    }

    pub fn forget(&self, bucket: &str) {
        if let Ok(mut parsed) = self.parsed.write() {
            parsed.remove(bucket);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(canonical: &str, number: &str) -> Principal {
        Principal::Root {
            account_id: canonical.into(),
            account_number: number.into(),
        }
    }

    fn policy(statements: &str) -> PolicyDocument {
        let json = format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#);
        PolicyDocument::parse(&json, PolicyKind::Bucket, Some("b")).expect("valid policy")
    }

    #[test]
    fn decision_table() {
        let owner = root("acct", "111111111111");
        let other = root("other", "222222222222");
        let anonymous = Principal::Anonymous;
        let bucket = Resource::Bucket {
            name: "b",
            owner: Some("acct"),
        };
        let object = Resource::Object {
            bucket: "b",
            key: "k",
            owner: Some("acct"),
        };
        let public_read = policy(
            r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#,
        );
        let deny_all = policy(
            r#"{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}"#,
        );
        let other_account = policy(
            r#"{"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}"#,
        );
        let none = None;
        let table: [(
            &Principal,
            &str,
            &Resource<'_>,
            Option<&PolicyDocument>,
            Decision,
        ); 14] = [
            (
                &owner,
                "s3:ListAllMyBuckets",
                &Resource::Service,
                none,
                Decision::Allow,
            ),
            (
                &anonymous,
                "s3:ListAllMyBuckets",
                &Resource::Service,
                none,
                Decision::Deny,
            ),
            (&owner, "s3:GetObject", &object, none, Decision::Allow),
            (&owner, "s3:DeleteBucket", &bucket, none, Decision::Allow),
            (&other, "s3:GetObject", &object, none, Decision::Deny),
            (&anonymous, "s3:GetObject", &object, none, Decision::Deny),
            (
                &anonymous,
                "s3:GetObject",
                &object,
                Some(&public_read),
                Decision::Allow,
            ),
            (
                &anonymous,
                "s3:PutObject",
                &object,
                Some(&public_read),
                Decision::Deny,
            ),
            (
                &anonymous,
                "s3:ListBucket",
                &bucket,
                Some(&public_read),
                Decision::Deny,
            ),
            (
                &owner,
                "s3:GetObject",
                &object,
                Some(&deny_all),
                Decision::Deny,
            ),
            (
                &owner,
                "s3:PutBucketPolicy",
                &bucket,
                Some(&deny_all),
                Decision::Allow,
            ),
            (
                &other,
                "s3:DeleteBucketPolicy",
                &bucket,
                Some(&deny_all),
                Decision::Deny,
            ),
            (
                &other,
                "s3:ListBucket",
                &bucket,
                Some(&other_account),
                Decision::Allow,
            ),
            (
                &anonymous,
                "s3:ListBucket",
                &bucket,
                Some(&other_account),
                Decision::Deny,
            ),
        ];
        let context = ConditionContext::default();
        for (principal, action, resource, bucket_policy, expected) in table {
            let decision = authorize(&Request {
                principal,
                action,
                resource,
                context: &context,
                bucket_policy,
            });
            assert_eq!(decision, expected, "{principal:?} {action} {resource:?}");
        }
    }

    #[test]
    fn cached_policies_follow_the_revision() {
        let cache = BucketPolicies::default();
        let text = r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#;
        let load = |t: &str| {
            let t = t.to_string();
            move || Ok::<String, ()>(t)
        };
        let first = cache.get("b", 1, load(text)).expect("parse");
        let again = cache
            .get("b", 1, || Err::<String, ()>(()))
            .expect("served from the cache without loading");
        assert!(Arc::ptr_eq(&first, &again));
        let changed = text.replace("GetObject", "PutObject");
        assert!(!Arc::ptr_eq(
            &first,
            &cache.get("b", 2, load(&changed)).expect("reloaded")
        ));
        assert!(matches!(
            cache.get("b", 3, load("not json")),
            Err(CachedPolicyError::Parse(_))
        ));
        cache.forget("b");
        assert!(matches!(
            cache.get("b", 2, || Err::<String, ()>(())),
            Err(CachedPolicyError::Load(()))
        ));
    }
}
