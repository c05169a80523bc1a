//! Authorization: the one place that decides whether a principal may perform an action on a
//! resource, from the caller's identity policies, the bucket policy (the IAM policy language of
//! `document`, `condition`, `pattern` and `eval`), ACLs, object ownership and the public access
//! block (`acl`). The S3 layer calls [`authorize`]; the IAM API calls [`identity_effect`].

pub mod acl;
pub mod condition;
pub mod document;
pub mod eval;
pub mod pattern;

use crate::iam::Principal;
use acl::{Acl, AclScope, ObjectOwnership, PublicAccessBlock};
pub use condition::ConditionContext;
use document::PolicyDocument;
pub use eval::Effect;
use eval::{EvalRequest, PrincipalFacts};

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
            // Service-level actions (ListAllMyBuckets) have no resource on AWS; policies name
            // them with `*` or `arn:aws:s3:::*`, and this value is matched by both.
            Resource::Service => "arn:aws:s3:::*".to_string(),
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
    /// The bucket's ACL; None = the default (the owner's FULL_CONTROL).
    pub bucket_acl: Option<&'a Acl>,
    /// The addressed object's ACL (its `owner` is the object's owner), when the object exists
    /// and its ACL can matter; None = the bucket owner owns it with the default ACL.
    pub object_acl: Option<&'a Acl>,
    pub ownership: ObjectOwnership,
    pub public_access_block: PublicAccessBlock,
}

/// Actions the bucket owner's root may always take, whatever the bucket policy says, so that a
/// policy denying everything can still be repaired (AWS does the same).
const OWNER_ROOT_ALWAYS: [&str; 3] = [
    "s3:GetBucketPolicy",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
];

/// What the caller's own identity policies say: an IAM user's inline, attached and group
/// policies. Account roots and anonymous callers have none (NotApplicable).
pub fn identity_effect(
    principal: &Principal,
    action: &str,
    resource: &str,
    context: &ConditionContext,
) -> Effect {
    let Principal::User(user) = principal else {
        return Effect::NotApplicable;
    };
    let facts = principal_facts(principal);
    let request = EvalRequest {
        principal: &facts.as_facts(),
        action,
        resource,
        context,
    };
    let mut verdict = Effect::NotApplicable;
    for policy in &user.policies {
        match policy.evaluate(&request) {
            Effect::Deny => return Effect::Deny,
            Effect::Allow => verdict = Effect::Allow,
            Effect::NotApplicable => {}
        }
    }
    verdict
}

/// Owned facts about a principal, from which [`PrincipalFacts`] borrows.
struct OwnedFacts<'p> {
    principal: &'p Principal,
    arn: Option<String>,
}

impl OwnedFacts<'_> {
    fn as_facts(&self) -> PrincipalFacts<'_> {
        let user = match self.principal {
            Principal::User(user) => Some(user),
            _ => None,
        };
        PrincipalFacts {
            account_id: self.principal.account_number(),
            arn: self.arn.as_deref(),
            canonical_id: self.principal.account_id(),
            is_root: matches!(self.principal, Principal::Root { .. }),
            user_id: user.map(|u| u.user_id.as_str()),
        }
    }
}

fn principal_facts(principal: &Principal) -> OwnedFacts<'_> {
    OwnedFacts {
        principal,
        arn: principal.arn(),
    }
}

/// The one authorization decision, as AWS evaluates it:
/// - an explicit Deny in the caller's identity policies or the bucket policy beats everything
///   (except the bucket owner's root managing the bucket policy itself);
/// - the caller's account owns the resource: its root may do anything; its users need an Allow
///   from their identity policies or the bucket policy;
/// - another account owns it: the caller's side (its root, or a user's identity policy) **and**
///   the resource side (the bucket policy or an ACL) must both allow;
/// - anonymous: only the bucket policy or an ACL can allow.
///
/// The resource's owner is the bucket's owner, except for object actions the object's ACL
/// governs when the object belongs to another account (object ownership `ObjectWriter`).
pub fn authorize(request: &Request<'_>) -> Decision {
    let principal = request.principal;
    // The ARN strings are built only when some policy will read them: the owner's requests to
    // a bucket without a policy (the common case) allocate nothing here.
    let needs_arns = request.bucket_policy.is_some() || matches!(principal, Principal::User(_));
    let resource_arn = if needs_arns {
        request.resource.arn()
    } else {
        String::new()
    };
    let identity = identity_effect(principal, request.action, &resource_arn, request.context);
    let acls_enabled = request.ownership != ObjectOwnership::BucketOwnerEnforced;
    let bucket_owner = request.resource.owner();
    let scope = acl::acl_permission(request.action).map(|(scope, _)| scope);
    let object_acl = match (request.resource, scope) {
        (Resource::Object { .. }, Some(AclScope::Object) | None) if acls_enabled => {
            request.object_acl
        }
        _ => None,
    };
    // Objects another account wrote (and still owns) are that account's resources.
    let resource_owner = object_acl.map(|acl| acl.owner.as_str()).or(bucket_owner);
    let same_account = match (principal.account_id(), request.resource) {
        (Some(_), Resource::Service) => true,
        (Some(account), _) => resource_owner.is_none_or(|owner| owner == account),
        (None, _) => false,
    };
    let policy = match request.bucket_policy {
        None => Effect::NotApplicable,
        Some(policy) => {
            let facts = principal_facts(principal);
            let verdict = policy.evaluate(&EvalRequest {
                principal: &facts.as_facts(),
                action: request.action,
                resource: &resource_arn,
                context: request.context,
            });
            // RestrictPublicBuckets: a public policy grants only the owner's own principals.
            let owner_account =
                principal.account_id().is_some() && bucket_owner == principal.account_id();
            if verdict == Effect::Allow
                && request.public_access_block.restrict_public_buckets
                && !owner_account
                && policy.is_public()
            {
                Effect::NotApplicable
            } else {
                verdict
            }
        }
    };
    let owner_root = same_account && matches!(principal, Principal::Root { .. });
    if identity == Effect::Deny || policy == Effect::Deny {
        let repairs_policy =
            owner_root && bucket_owner.is_some() && OWNER_ROOT_ALWAYS.contains(&request.action);
        return if repairs_policy {
            Decision::Allow
        } else {
            Decision::Deny
        };
    }
    let acl_allows = acls_enabled
        && match (scope, request.resource) {
            (Some(AclScope::Bucket), Resource::Bucket { .. } | Resource::Object { .. }) => {
                acl_of(request.bucket_acl, bucket_owner).allows(
                    principal,
                    request.action,
                    request.public_access_block.ignore_public_acls,
                )
            }
            (Some(AclScope::Object), Resource::Object { .. }) => acl_of(object_acl, bucket_owner)
                .allows(
                    principal,
                    request.action,
                    request.public_access_block.ignore_public_acls,
                ),
            _ => false,
        };
    let resource_side = policy == Effect::Allow || acl_allows;
    let allowed = match principal {
        Principal::Anonymous => resource_side,
        Principal::Root { .. } => same_account || resource_side,
        Principal::User(_) if same_account => identity == Effect::Allow || policy == Effect::Allow,
        Principal::User(_) => identity == Effect::Allow && resource_side,
    };
    if allowed {
        Decision::Allow
    } else {
        Decision::Deny
    }
}

/// The ACL to evaluate: the stored one, or the owner's default FULL_CONTROL.
fn acl_of<'a>(stored: Option<&'a Acl>, owner: Option<&str>) -> std::borrow::Cow<'a, Acl> {
    match stored {
        Some(acl) => std::borrow::Cow::Borrowed(acl),
        None => std::borrow::Cow::Owned(Acl::private(owner.unwrap_or_default())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::document::PolicyKind;

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
                bucket_acl: None,
                object_acl: None,
                ownership: ObjectOwnership::ObjectWriter,
                public_access_block: PublicAccessBlock::default(),
            });
            assert_eq!(decision, expected, "{principal:?} {action} {resource:?}");
        }
    }
}

#[cfg(test)]
#[path = "authorize_tests.rs"]
mod authorize_tests;
