//! Authorization: the one place that decides whether a principal may perform an action on a
//! resource. Today: an account's root user may do anything with the buckets its account owns
//! (and create buckets); anonymous requests are denied. Bucket policies, ACLs, IAM user policies
//! and the public-access block plug in here — the S3 layer calls [`authorize`] and nothing else.

pub mod condition;
pub mod document;
pub mod eval;
pub mod pattern;

use crate::iam::Principal;

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

/// Request facts conditions are evaluated against (`aws:SourceIp`, `aws:SecureTransport`, ...).
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    pub secure_transport: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny,
}

pub fn authorize(
    principal: &Principal,
    action: &str,
    resource: &Resource<'_>,
    _context: &RequestContext,
) -> Decision {
    let _ = action;
    let Some(account) = principal.account_id() else {
        return Decision::Deny;
    };
    let owner = match resource {
        Resource::Service => return Decision::Allow,
        Resource::Bucket { owner, .. } | Resource::Object { owner, .. } => owner,
    };
    match owner {
        // The resource does not exist yet or its owner is unknown: the operation itself reports
        // NoSuchBucket/NoSuchKey to the owner's account; with one account today that is this one.
        None => Decision::Allow,
        Some(owner) if *owner == account => Decision::Allow,
        Some(_) => Decision::Deny,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decision_table() {
        let root = Principal::Root {
            account_id: "acct".into(),
        };
        let other = Principal::Root {
            account_id: "other".into(),
        };
        let ctx = RequestContext::default();
        let bucket = Resource::Bucket {
            name: "b",
            owner: Some("acct"),
        };
        let object = Resource::Object {
            bucket: "b",
            key: "k",
            owner: Some("acct"),
        };
        let table = [
            (
                &root,
                "s3:ListAllMyBuckets",
                &Resource::Service,
                Decision::Allow,
            ),
            (&root, "s3:GetObject", &object, Decision::Allow),
            (&root, "s3:DeleteBucket", &bucket, Decision::Allow),
            (&other, "s3:GetObject", &object, Decision::Deny),
            (
                &Principal::Anonymous,
                "s3:GetObject",
                &object,
                Decision::Deny,
            ),
            (
                &Principal::Anonymous,
                "s3:ListAllMyBuckets",
                &Resource::Service,
                Decision::Deny,
            ),
        ];
        for (principal, action, resource, expected) in table {
            assert_eq!(
                authorize(principal, action, resource, &ctx),
                expected,
                "{principal:?} {action}"
            );
        }
    }
}
