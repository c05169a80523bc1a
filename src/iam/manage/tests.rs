//! The IAM rules over the in-memory metadata engine: conflicts, limits, both sides of every
//! relation, and that what is written changes what a key authenticates as at once.

use super::*;
use crate::auth::SecretLookup;
use crate::iam::Principal;
use crate::iam::model::{GroupRecord, UserRecord};
use crate::iam::store::test_identities as identities;

const ACCOUNT: &str = "000000000001";
const READ_ONLY: &str = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";
const DOC: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;

/// Asserts that a call failed with this IAM error code.
#[track_caller]
fn assert_fails<T: std::fmt::Debug>(result: Result<T, IamError>, code: &str) {
    match result {
        Ok(value) => panic!("expected {code}, got {value:?}"),
        Err(err) => assert_eq!(err.code(), code, "{err}"),
    }
}

fn page(marker: Option<String>, max_items: usize) -> Page {
    Page { marker, max_items }
}

fn policies_of(ids: &Identities, key: &str) -> usize {
    match ids.principal_for(key).expect("read") {
        Some(Principal::User(user)) => user.policies.len(),
        other => panic!("not a user: {other:?}"),
    }
}

#[test]
fn users_are_unique_without_regard_to_case_and_validated() {
    let ids = identities();
    let user = ids
        .create_user(ACCOUNT, "Alice", Some("/staff/"))
        .expect("create");
    assert!(user.user_id.starts_with("AIDA") && user.user_id.len() == 21);
    assert_eq!(user.arn(), "arn:aws:iam::000000000001:user/staff/Alice");
    assert!(matches!(
        ids.create_user(ACCOUNT, "alice", None),
        Err(IamError::EntityAlreadyExists(_))
    ));
    assert_eq!(ids.get_user(ACCOUNT, "ALICE").expect("get").name, "Alice");
    for bad in ["", "has space", "slash/y", &"x".repeat(65)] {
        let err = ids.create_user(ACCOUNT, bad, None).expect_err(bad);
        assert_eq!(err.code(), "ValidationError", "{bad}: {err}");
    }
    for bad in ["staff", "/staff", "staff/", "/a b/"] {
        let err = ids.create_user(ACCOUNT, "bob", Some(bad)).expect_err(bad);
        assert_eq!(err.code(), "ValidationError", "{bad}: {err}");
    }
    // Another account has its own namespace.
    ids.create_user("000000000002", "alice", None)
        .expect("same name elsewhere");
}

#[test]
fn listing_pages_by_marker_and_filters_by_path() {
    let ids = identities();
    for name in ["d", "b", "a", "e", "c"] {
        let path = if name < "c" { "/x/" } else { "/" };
        ids.create_user(ACCOUNT, name, Some(path)).expect("create");
    }
    let first = ids.list_users(ACCOUNT, "/", &page(None, 2)).expect("list");
    let names: Vec<_> = first.items.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    let second = ids
        .list_users(ACCOUNT, "/", &page(first.next_marker.clone(), 10))
        .expect("list");
    let names: Vec<_> = second.items.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["c", "d", "e"]);
    assert_eq!(second.next_marker, None);
    let x = ids
        .list_users(ACCOUNT, "/x/", &Page::default())
        .expect("list");
    assert_eq!(x.items.len(), 2);
}

#[test]
fn access_keys_are_limited_and_stop_at_once_when_deactivated_or_deleted() {
    let ids = identities();
    ids.create_user(ACCOUNT, "alice", None).expect("create");
    let (first, secret) = ids.create_access_key(ACCOUNT, Some("ALICE")).expect("key");
    assert_eq!(first.user.as_deref(), Some("alice"));
    assert_eq!(ids.secret_key(&first.access_key_id), Some(secret));
    let (second, _) = ids.create_access_key(ACCOUNT, Some("alice")).expect("key");
    assert_fails(
        ids.create_access_key(ACCOUNT, Some("alice")),
        "LimitExceeded",
    );
    assert_eq!(
        ids.list_access_keys(ACCOUNT, Some("alice"))
            .expect("list")
            .len(),
        2
    );
    ids.update_access_key(
        ACCOUNT,
        Some("alice"),
        &first.access_key_id,
        KeyStatus::Inactive,
    )
    .expect("deactivate");
    assert_eq!(ids.secret_key(&first.access_key_id), None);
    ids.update_access_key(
        ACCOUNT,
        Some("alice"),
        &first.access_key_id,
        KeyStatus::Active,
    )
    .expect("activate");
    assert!(ids.secret_key(&first.access_key_id).is_some());
    // A key is only found through its owner.
    ids.create_user(ACCOUNT, "bob", None).expect("create");
    assert_fails(
        ids.delete_access_key(ACCOUNT, Some("bob"), &second.access_key_id),
        "NoSuchEntity",
    );
    assert_fails(
        ids.delete_access_key(ACCOUNT, None, &second.access_key_id),
        "NoSuchEntity",
    );
    ids.delete_access_key(ACCOUNT, Some("alice"), &second.access_key_id)
        .expect("delete");
    assert_eq!(ids.secret_key(&second.access_key_id), None);
    assert_eq!(
        ids.get_user(ACCOUNT, "alice").expect("get").access_keys,
        vec![first.access_key_id.clone()]
    );
}

#[test]
fn root_keys_belong_to_the_account() {
    let ids = identities();
    let (account, ..) = ids.create_account("team", None).expect("account");
    let (key, _) = ids
        .create_access_key(&account.number, None)
        .expect("root key");
    assert_eq!(key.user, None);
    assert_eq!(
        ids.principal_for(&key.access_key_id).expect("read"),
        Some(Principal::Root {
            account_id: account.canonical_id.clone(),
            account_number: account.number.clone()
        })
    );
    // The account's first root key (from create_account) and this one: the quota is reached.
    assert_eq!(
        ids.list_access_keys(&account.number, None)
            .expect("list")
            .len(),
        2
    );
    assert_fails(
        ids.create_access_key(&account.number, None),
        "LimitExceeded",
    );
}

#[test]
fn delete_user_conflicts_until_nothing_is_left() {
    let ids = identities();
    ids.create_user(ACCOUNT, "alice", None).expect("create");
    ids.create_group(ACCOUNT, "devs", None).expect("group");
    let (key, _) = ids.create_access_key(ACCOUNT, Some("alice")).expect("key");
    ids.put_inline_policy::<UserRecord>(ACCOUNT, "alice", "p", DOC)
        .expect("inline");
    ids.attach_policy::<UserRecord>(ACCOUNT, "alice", READ_ONLY)
        .expect("attach");
    ids.add_user_to_group(ACCOUNT, "devs", "alice")
        .expect("add");
    let conflict = |ids: &Identities| {
        let err = ids.delete_user(ACCOUNT, "alice").expect_err("conflict");
        assert_eq!(err.code(), "DeleteConflict", "{err}");
    };
    conflict(&ids);
    ids.delete_access_key(ACCOUNT, Some("alice"), &key.access_key_id)
        .expect("key");
    conflict(&ids);
    ids.delete_inline_policy::<UserRecord>(ACCOUNT, "alice", "p")
        .expect("inline");
    conflict(&ids);
    ids.detach_policy::<UserRecord>(ACCOUNT, "alice", READ_ONLY)
        .expect("detach");
    conflict(&ids);
    ids.remove_user_from_group(ACCOUNT, "devs", "alice")
        .expect("remove");
    ids.delete_user(ACCOUNT, "alice").expect("delete");
    assert_fails(ids.delete_user(ACCOUNT, "alice"), "NoSuchEntity");
}

#[test]
fn group_membership_and_group_policies_follow_the_user() {
    let ids = identities();
    ids.create_user(ACCOUNT, "alice", None).expect("create");
    let (key, _) = ids.create_access_key(ACCOUNT, Some("alice")).expect("key");
    ids.create_group(ACCOUNT, "Devs", None).expect("group");
    assert_fails(
        ids.create_group(ACCOUNT, "devs", None),
        "EntityAlreadyExists",
    );
    assert_eq!(policies_of(&ids, &key.access_key_id), 0);
    ids.put_inline_policy::<GroupRecord>(ACCOUNT, "devs", "read", DOC)
        .expect("group policy");
    ids.add_user_to_group(ACCOUNT, "devs", "alice")
        .expect("add");
    ids.add_user_to_group(ACCOUNT, "DEVS", "ALICE")
        .expect("again: no change");
    assert_eq!(policies_of(&ids, &key.access_key_id), 1);
    let group = ids.get_group(ACCOUNT, "devs").expect("group");
    assert_eq!(group.members, ["alice"]);
    assert_eq!(
        ids.groups_for_user(ACCOUNT, "alice").expect("groups")[0].name,
        "Devs"
    );
    assert_fails(ids.delete_group(ACCOUNT, "devs"), "DeleteConflict");
    ids.remove_user_from_group(ACCOUNT, "devs", "alice")
        .expect("remove");
    assert_eq!(policies_of(&ids, &key.access_key_id), 0);
    assert_fails(
        ids.remove_user_from_group(ACCOUNT, "devs", "alice"),
        "NoSuchEntity",
    );
    assert_fails(ids.delete_group(ACCOUNT, "devs"), "DeleteConflict");
    ids.delete_inline_policy::<GroupRecord>(ACCOUNT, "devs", "read")
        .expect("delete policy");
    ids.delete_group(ACCOUNT, "devs").expect("delete");
    assert!(
        ids.get_user(ACCOUNT, "alice")
            .expect("user")
            .groups
            .is_empty()
    );
}

#[test]
fn inline_policies_are_validated_and_limited() {
    let ids = identities();
    ids.create_user(ACCOUNT, "alice", None).expect("create");
    let err = ids
        .put_inline_policy::<UserRecord>(ACCOUNT, "alice", "p", r#"{"Version":"2012-10-17"}"#)
        .expect_err("malformed");
    assert_eq!(err.code(), "MalformedPolicyDocument");
    assert!(!err.to_string().is_empty());
    assert_fails(
        ids.put_inline_policy::<UserRecord>(ACCOUNT, "nobody", "p", DOC),
        "NoSuchEntity",
    );
    // 2,048 characters for all of a user's inline policies together.
    let mut put = Ok(());
    for i in 0..30 {
        put = ids.put_inline_policy::<UserRecord>(ACCOUNT, "alice", &format!("p{i}"), DOC);
        if put.is_err() {
            break;
        }
    }
    assert_fails(put, "LimitExceeded");
    let (name, document) = ids
        .get_inline_policy::<UserRecord>(ACCOUNT, "ALICE", "p0")
        .expect("get");
    assert_eq!((name.as_str(), document.as_str()), ("alice", DOC));
    assert_fails(
        ids.get_inline_policy::<UserRecord>(ACCOUNT, "alice", "nope"),
        "NoSuchEntity",
    );
}

#[test]
fn managed_policies_count_attachments_and_refuse_deletion_while_attached() {
    let ids = identities();
    ids.create_user(ACCOUNT, "alice", None).expect("user");
    ids.create_group(ACCOUNT, "devs", None).expect("group");
    let policy = ids
        .create_policy(ACCOUNT, "Read", Some("/team/"), Some("reads"), DOC)
        .expect("create");
    assert_eq!(policy.arn, "arn:aws:iam::000000000001:policy/team/Read");
    assert_fails(
        ids.create_policy(ACCOUNT, "read", None, None, DOC),
        "EntityAlreadyExists",
    );
    ids.attach_policy::<UserRecord>(ACCOUNT, "alice", &policy.arn)
        .expect("attach user");
    ids.attach_policy::<UserRecord>(ACCOUNT, "alice", &policy.arn)
        .expect("again: no change");
    ids.attach_policy::<GroupRecord>(ACCOUNT, "devs", &policy.arn)
        .expect("attach group");
    assert_eq!(
        ids.get_policy(ACCOUNT, &policy.arn)
            .expect("get")
            .attachment_count,
        2
    );
    assert_fails(ids.delete_policy(ACCOUNT, &policy.arn), "DeleteConflict");
    // Another account neither sees nor attaches it.
    ids.create_user("000000000002", "carol", None)
        .expect("user");
    assert_fails(
        ids.attach_policy::<UserRecord>("000000000002", "carol", &policy.arn),
        "NoSuchEntity",
    );
    ids.detach_policy::<UserRecord>(ACCOUNT, "alice", &policy.arn)
        .expect("detach");
    ids.detach_policy::<GroupRecord>(ACCOUNT, "devs", &policy.arn)
        .expect("detach");
    assert_fails(
        ids.detach_policy::<GroupRecord>(ACCOUNT, "devs", &policy.arn),
        "NoSuchEntity",
    );
    ids.delete_policy(ACCOUNT, &policy.arn).expect("delete");
    assert_fails(ids.get_policy(ACCOUNT, &policy.arn), "NoSuchEntity");
}

#[test]
fn list_policies_by_scope_with_built_in_attachment_counts() {
    let ids = identities();
    ids.create_user(ACCOUNT, "alice", None).expect("user");
    ids.create_policy(ACCOUNT, "Mine", None, None, DOC)
        .expect("create");
    ids.attach_policy::<UserRecord>(ACCOUNT, "alice", READ_ONLY)
        .expect("attach");
    let names = |scope, only_attached| {
        ids.list_policies(ACCOUNT, scope, only_attached, "/", &Page::default())
            .expect("list")
            .items
            .into_iter()
            .map(|p| p.name)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(PolicyScope::All, false),
        [
            "AdministratorAccess",
            "AmazonS3FullAccess",
            "AmazonS3ReadOnlyAccess",
            "Mine"
        ]
    );
    assert_eq!(names(PolicyScope::Local, false), ["Mine"]);
    assert_eq!(names(PolicyScope::Aws, false).len(), 3);
    assert_eq!(names(PolicyScope::All, true), ["AmazonS3ReadOnlyAccess"]);
    let first = ids
        .list_policies(ACCOUNT, PolicyScope::All, false, "/", &page(None, 3))
        .expect("page");
    let rest = ids
        .list_policies(
            ACCOUNT,
            PolicyScope::All,
            false,
            "/",
            &page(first.next_marker, 3),
        )
        .expect("page");
    assert_eq!(rest.items.len(), 1);
    assert_eq!(rest.items[0].name, "Mine");
    assert_eq!(
        ids.get_policy("000000000002", READ_ONLY)
            .expect("built in everywhere")
            .attachment_count,
        0
    );
}

#[test]
fn paginate_resumes_after_the_marker() {
    let items: Vec<(String, u32)> = (0..5).map(|i| (format!("k{i}"), i)).collect();
    let first = paginate(items.clone(), &page(None, 2));
    assert_eq!(first.items, [0, 1]);
    assert_eq!(first.next_marker.as_deref(), Some("k1"));
    let rest = paginate(items, &page(Some("k1".into()), 3));
    assert_eq!(rest.items, [2, 3, 4]);
    assert_eq!(rest.next_marker, None);
}
