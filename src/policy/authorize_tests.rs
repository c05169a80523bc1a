//! `authorize` as a whole: identity policies, the bucket policy, ACLs, object ownership and the
//! public access block combined for the same account, across accounts and for anonymous
//! callers. (The policy language itself is tested row by row in `eval_tests`.)

use std::sync::Arc;

use super::acl::{
    Acl, Grant, Grantee, GroupGrantee, ObjectOwnership, Permission, PublicAccessBlock,
};
use super::document::{PolicyDocument, PolicyKind};
use super::*;
use crate::iam::{Principal, UserPrincipal};

const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const NUM_A: &str = "000000000002";
const NUM_B: &str = "000000000003";

fn root(canonical: &str, number: &str) -> Principal {
    Principal::Root {
        account_id: canonical.into(),
        account_number: number.into(),
    }
}

fn user(canonical: &str, number: &str, name: &str, policies: &[&str]) -> Principal {
    Principal::User(Arc::new(UserPrincipal {
        account_id: canonical.into(),
        account_number: number.into(),
        name: name.into(),
        user_id: format!("AIDA{}", name.to_uppercase()),
        arn: format!("arn:aws:iam::{number}:user/{name}"),
        policies: policies
            .iter()
            .map(|statements| {
                let json = format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#);
                Arc::new(PolicyDocument::parse(&json, PolicyKind::Identity, None).expect(&json))
            })
            .collect(),
    }))
}

fn bucket_policy(statements: &str) -> PolicyDocument {
    let json = format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#);
    PolicyDocument::parse(&json, PolicyKind::Bucket, Some("b")).expect("valid policy")
}

fn acl(owner: &str, grants: &[(Grantee, Permission)]) -> Acl {
    let mut acl = Acl::private(owner);
    acl.grants
        .extend(grants.iter().map(|(grantee, permission)| Grant {
            grantee: grantee.clone(),
            permission: *permission,
        }));
    acl
}

/// One row: who, action, bucket or object key, and the resource-side setting.
struct Case<'a> {
    who: &'a Principal,
    action: &'a str,
    key: Option<&'a str>,
    policy: Option<&'a PolicyDocument>,
    bucket_acl: Option<&'a Acl>,
    object_acl: Option<&'a Acl>,
    ownership: ObjectOwnership,
    block: PublicAccessBlock,
    expected: Decision,
}

fn decide(case: &Case<'_>, context: &ConditionContext) -> Decision {
    let resource = match case.key {
        None => Resource::Bucket {
            name: "b",
            owner: Some(A),
        },
        Some(key) => Resource::Object {
            bucket: "b",
            key,
            owner: Some(A),
        },
    };
    authorize(&Request {
        principal: case.who,
        action: case.action,
        resource: &resource,
        context,
        bucket_policy: case.policy,
        bucket_acl: case.bucket_acl,
        object_acl: case.object_acl,
        ownership: case.ownership,
        public_access_block: case.block,
    })
}

#[test]
fn accounts_users_acls_and_blocks_combine_as_on_aws() {
    use Decision::{Allow, Deny};
    let owner = root(A, NUM_A);
    let other = root(B, NUM_B);
    let anonymous = Principal::Anonymous;
    let reader_a = user(
        A,
        NUM_A,
        "reader",
        &[r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#],
    );
    let nobody_a = user(A, NUM_A, "nobody", &[]);
    let denied_a = user(
        A,
        NUM_A,
        "denied",
        &[
            r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#,
            r#"{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}"#,
        ],
    );
    let home_a = user(
        A,
        NUM_A,
        "alice",
        &[
            r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/home/${aws:username}/*"}"#,
        ],
    );
    let full_b = user(
        B,
        NUM_B,
        "bob",
        &[r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#],
    );
    let nobody_b = user(B, NUM_B, "nobody", &[]);
    let public_read = bucket_policy(
        r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#,
    );
    let to_account_b = bucket_policy(
        r#"{"Effect":"Allow","Principal":{"AWS":"000000000003"},"Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}"#,
    );
    let to_reader = bucket_policy(
        r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000002:user/nobody"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}"#,
    );
    let deny_everyone = bucket_policy(
        r#"{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}"#,
    );
    let bucket_read_b = acl(A, &[(Grantee::CanonicalUser(B.into()), Permission::Read)]);
    let bucket_write_b = acl(A, &[(Grantee::CanonicalUser(B.into()), Permission::Write)]);
    let bucket_public_read = acl(
        A,
        &[(Grantee::Group(GroupGrantee::AllUsers), Permission::Read)],
    );
    let object_read_b = acl(A, &[(Grantee::CanonicalUser(B.into()), Permission::Read)]);
    let object_public = acl(
        A,
        &[(Grantee::Group(GroupGrantee::AllUsers), Permission::Read)],
    );
    let object_authenticated = acl(
        A,
        &[(
            Grantee::Group(GroupGrantee::AuthenticatedUsers),
            Permission::Read,
        )],
    );
    let written_by_b = Acl::private(B);
    let written_by_b_full_control = acl(
        B,
        &[(Grantee::CanonicalUser(A.into()), Permission::FullControl)],
    );
    let object_acp_b = acl(
        A,
        &[(Grantee::CanonicalUser(B.into()), Permission::ReadAcp)],
    );
    let ignore_public = PublicAccessBlock {
        ignore_public_acls: true,
        ..Default::default()
    };
    let restrict = PublicAccessBlock {
        restrict_public_buckets: true,
        ..Default::default()
    };
    let base = |who, action, key, expected| Case {
        who,
        action,
        key,
        policy: None,
        bucket_acl: None,
        object_acl: None,
        ownership: ObjectOwnership::ObjectWriter,
        block: PublicAccessBlock::default(),
        expected,
    };
    let k = Some("k");
    let cases = [
        // Same account: the root owns everything, users need an identity (or policy) allow.
        base(&owner, "s3:GetObject", k, Allow),
        base(&owner, "s3:DeleteBucket", None, Allow),
        base(&reader_a, "s3:GetObject", k, Allow),
        base(&reader_a, "s3:PutObject", k, Deny),
        base(&reader_a, "s3:ListBucket", None, Deny),
        base(&nobody_a, "s3:GetObject", k, Deny),
        base(&nobody_a, "s3:ListBucket", None, Deny),
        base(&denied_a, "s3:PutObject", k, Allow),
        base(&denied_a, "s3:DeleteObject", k, Deny),
        base(&home_a, "s3:PutObject", Some("home/alice/x"), Allow),
        base(&home_a, "s3:PutObject", Some("home/bob/x"), Deny),
        base(&home_a, "s3:GetObject", Some("home/alice"), Deny),
        Case {
            policy: Some(&to_reader),
            ..base(&nobody_a, "s3:ListBucket", None, Allow)
        },
        Case {
            policy: Some(&deny_everyone),
            ..base(&denied_a, "s3:PutObject", k, Deny)
        },
        Case {
            policy: Some(&deny_everyone),
            ..base(&owner, "s3:GetObject", k, Deny)
        },
        Case {
            policy: Some(&deny_everyone),
            ..base(&owner, "s3:PutBucketPolicy", None, Allow)
        },
        Case {
            policy: Some(&deny_everyone),
            ..base(&denied_a, "s3:PutBucketPolicy", None, Deny)
        },
        // An ACL grant to one's own account does not stand in for a user's identity policy.
        Case {
            bucket_acl: Some(&bucket_read_b),
            ..base(&nobody_a, "s3:ListBucket", None, Deny)
        },
        // Cross-account: the caller's side and the resource side must both allow.
        base(&other, "s3:GetObject", k, Deny),
        base(&full_b, "s3:GetObject", k, Deny),
        Case {
            policy: Some(&to_account_b),
            ..base(&other, "s3:GetObject", k, Allow)
        },
        Case {
            policy: Some(&to_account_b),
            ..base(&other, "s3:ListBucket", None, Allow)
        },
        Case {
            policy: Some(&to_account_b),
            ..base(&other, "s3:PutObject", k, Deny)
        },
        Case {
            policy: Some(&to_account_b),
            ..base(&full_b, "s3:GetObject", k, Allow)
        },
        Case {
            policy: Some(&to_account_b),
            ..base(&nobody_b, "s3:GetObject", k, Deny)
        },
        Case {
            bucket_acl: Some(&bucket_read_b),
            ..base(&other, "s3:ListBucket", None, Allow)
        },
        Case {
            bucket_acl: Some(&bucket_read_b),
            ..base(&other, "s3:ListBucketVersions", None, Allow)
        },
        Case {
            bucket_acl: Some(&bucket_read_b),
            ..base(&other, "s3:GetObject", k, Deny)
        },
        Case {
            bucket_acl: Some(&bucket_read_b),
            ..base(&full_b, "s3:ListBucket", None, Allow)
        },
        Case {
            bucket_acl: Some(&bucket_read_b),
            ..base(&nobody_b, "s3:ListBucket", None, Deny)
        },
        Case {
            bucket_acl: Some(&bucket_write_b),
            ..base(&other, "s3:PutObject", k, Allow)
        },
        Case {
            bucket_acl: Some(&bucket_write_b),
            ..base(&other, "s3:DeleteObject", k, Allow)
        },
        Case {
            bucket_acl: Some(&bucket_write_b),
            ..base(&other, "s3:PutBucketAcl", None, Deny)
        },
        Case {
            object_acl: Some(&object_read_b),
            ..base(&other, "s3:GetObject", k, Allow)
        },
        Case {
            object_acl: Some(&object_read_b),
            ..base(&other, "s3:GetObjectAcl", k, Deny)
        },
        Case {
            object_acl: Some(&object_acp_b),
            ..base(&other, "s3:GetObjectAcl", k, Allow)
        },
        Case {
            object_acl: Some(&object_read_b),
            ..base(&other, "s3:GetObjectVersion", k, Allow)
        },
        // An object another account wrote is that account's: the bucket owner needs a grant,
        // but may still delete it (a bucket permission).
        Case {
            object_acl: Some(&written_by_b),
            ..base(&owner, "s3:GetObject", k, Deny)
        },
        Case {
            object_acl: Some(&written_by_b),
            ..base(&owner, "s3:DeleteObject", k, Allow)
        },
        Case {
            object_acl: Some(&written_by_b),
            ..base(&other, "s3:GetObject", k, Allow)
        },
        Case {
            object_acl: Some(&written_by_b_full_control),
            ..base(&owner, "s3:GetObject", k, Allow)
        },
        // BucketOwnerEnforced: ACLs are ignored and the bucket owner owns everything.
        Case {
            object_acl: Some(&written_by_b),
            ownership: ObjectOwnership::BucketOwnerEnforced,
            ..base(&owner, "s3:GetObject", k, Allow)
        },
        Case {
            object_acl: Some(&object_read_b),
            ownership: ObjectOwnership::BucketOwnerEnforced,
            ..base(&other, "s3:GetObject", k, Deny)
        },
        Case {
            bucket_acl: Some(&bucket_read_b),
            ownership: ObjectOwnership::BucketOwnerEnforced,
            ..base(&other, "s3:ListBucket", None, Deny)
        },
        // Anonymous: only the bucket policy or ACLs.
        base(&anonymous, "s3:GetObject", k, Deny),
        Case {
            policy: Some(&public_read),
            ..base(&anonymous, "s3:GetObject", k, Allow)
        },
        Case {
            policy: Some(&public_read),
            ..base(&anonymous, "s3:ListBucket", None, Deny)
        },
        Case {
            policy: Some(&public_read),
            ..base(&nobody_b, "s3:GetObject", k, Deny)
        },
        Case {
            policy: Some(&public_read),
            ..base(&other, "s3:GetObject", k, Allow)
        },
        Case {
            object_acl: Some(&object_public),
            ..base(&anonymous, "s3:GetObject", k, Allow)
        },
        Case {
            object_acl: Some(&object_public),
            ..base(&anonymous, "s3:GetObjectAcl", k, Deny)
        },
        Case {
            object_acl: Some(&object_authenticated),
            ..base(&anonymous, "s3:GetObject", k, Deny)
        },
        Case {
            object_acl: Some(&object_authenticated),
            ..base(&other, "s3:GetObject", k, Allow)
        },
        Case {
            bucket_acl: Some(&bucket_public_read),
            ..base(&anonymous, "s3:ListBucket", None, Allow)
        },
        Case {
            bucket_acl: Some(&bucket_public_read),
            ..base(&anonymous, "s3:PutObject", k, Deny)
        },
        // The public access block.
        Case {
            object_acl: Some(&object_public),
            block: ignore_public,
            ..base(&anonymous, "s3:GetObject", k, Deny)
        },
        Case {
            object_acl: Some(&object_read_b),
            block: ignore_public,
            ..base(&other, "s3:GetObject", k, Allow)
        },
        Case {
            policy: Some(&public_read),
            block: ignore_public,
            ..base(&anonymous, "s3:GetObject", k, Allow)
        },
        Case {
            policy: Some(&public_read),
            block: restrict,
            ..base(&anonymous, "s3:GetObject", k, Deny)
        },
        Case {
            policy: Some(&public_read),
            block: restrict,
            ..base(&other, "s3:GetObject", k, Deny)
        },
        Case {
            policy: Some(&public_read),
            block: restrict,
            ..base(&reader_a, "s3:GetObject", k, Allow)
        },
        Case {
            policy: Some(&to_account_b),
            block: restrict,
            ..base(&other, "s3:GetObject", k, Allow)
        },
    ];
    let context = ConditionContext::default();
    for (row, case) in cases.iter().enumerate() {
        assert_eq!(
            decide(case, &context),
            case.expected,
            "row {row}: {:?} {} {:?}",
            case.who,
            case.action,
            case.key
        );
    }
}

#[test]
fn service_actions_need_an_account_and_users_an_allow() {
    let context = ConditionContext::default();
    let lister = user(
        A,
        NUM_A,
        "lister",
        &[r#"{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}"#],
    );
    let arn_lister = user(
        A,
        NUM_A,
        "arnlister",
        &[r#"{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"arn:aws:s3:::*"}"#],
    );
    let one_bucket = user(
        A,
        NUM_A,
        "onebucket",
        &[r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b"}"#],
    );
    let nobody = user(A, NUM_A, "nobody", &[]);
    for (who, action, expected) in [
        (&arn_lister, "s3:ListAllMyBuckets", Decision::Allow),
        (&one_bucket, "s3:ListAllMyBuckets", Decision::Deny),
        (&root(A, NUM_A), "s3:ListAllMyBuckets", Decision::Allow),
        (&Principal::Anonymous, "s3:ListAllMyBuckets", Decision::Deny),
        (&lister, "s3:ListAllMyBuckets", Decision::Allow),
        (&lister, "s3:CreateBucket", Decision::Deny),
        (&nobody, "s3:ListAllMyBuckets", Decision::Deny),
    ] {
        let decision = authorize(&Request {
            principal: who,
            action,
            resource: &Resource::Service,
            context: &context,
            bucket_policy: None,
            bucket_acl: None,
            object_acl: None,
            ownership: ObjectOwnership::ObjectWriter,
            public_access_block: PublicAccessBlock::default(),
        });
        assert_eq!(decision, expected, "{who:?} {action}");
    }
}
