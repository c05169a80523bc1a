//! The KMS service layer over an in-memory metadata store: resolution of every identifier
//! form, key states, rotation versions, lazy deletion, the `aws/s3` key, authorization.

use std::sync::Arc;

use super::keys::NewKey;
use super::model::{KeyManager, KeyState, MS_PER_DAY, Origin, S3_ALIAS};
use super::*;
use crate::meta::memory::MemoryBackend;

const ACCOUNT: &str = "000000000001";
const OTHER: &str = "000000000002";
const REGION: &str = "us-east-1";

fn kms() -> Kms {
    let dir = tempfile::tempdir().expect("tempdir");
    let master = MasterKey::load(dir.path(), Some(&hex::encode([3u8; 32])), None, false)
        .expect("master key");
    Kms::open(
        Meta::new(Arc::new(MemoryBackend::default())),
        &master,
        REGION,
    )
}

fn new_key(kms: &Kms, account: &str) -> KeyRecord {
    kms.store()
        .create(&NewKey {
            account,
            description: "test",
            manager: KeyManager::Customer,
        })
        .expect("create")
}

fn ctx(pairs: &[(&str, &str)]) -> EncryptionContext {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn set_state(kms: &Kms, record: &KeyRecord, state: KeyState, deletion_ms: Option<i64>) {
    kms.store()
        .update(&record.key_id, "arn", |r| {
            r.state = state;
            r.deletion_ms = deletion_ms;
            Ok(())
        })
        .expect("update");
}

#[test]
fn every_identifier_form_resolves_in_its_account() {
    let kms = kms();
    let key = new_key(&kms, ACCOUNT);
    kms.store()
        .create_alias(ACCOUNT, "alias/app", &key.key_id)
        .expect("alias");
    let arn = kms.arn(&key);
    for text in [
        key.key_id.clone(),
        arn.clone(),
        "alias/app".to_string(),
        format!("arn:aws:kms:{REGION}:{ACCOUNT}:alias/app"),
    ] {
        let info = kms.resolve(ACCOUNT, &text).expect(&text);
        assert_eq!(info.key_id, key.key_id, "{text}");
        assert_eq!(info.arn, arn);
        assert!(info.enabled);
    }
    // A bare id or alias is looked up in the caller's account only; an ARN names its own.
    let err = kms
        .resolve(OTHER, &key.key_id)
        .expect_err("other account id");
    assert_eq!(err.code, "NotFoundException");
    assert_eq!(
        kms.resolve(OTHER, "alias/app").expect_err("alias").code,
        "NotFoundException"
    );
    assert_eq!(kms.resolve(OTHER, &arn).expect("arn").account, ACCOUNT);
    // Aliases are refused where only keys are accepted.
    let err = kms
        .find(ACCOUNT, "alias/app", Names::KeyOnly)
        .expect_err("key only");
    assert_eq!(err.code, "NotFoundException");
    for bad in [
        "alias/none",
        "nope",
        "arn:aws:kms:eu-west-1:000000000001:key/x",
    ] {
        assert_eq!(
            kms.resolve(ACCOUNT, bad).expect_err(bad).code,
            "NotFoundException"
        );
    }
}

#[test]
fn ciphertexts_open_only_with_their_context_and_name_their_key() {
    let kms = kms();
    let key = new_key(&kms, ACCOUNT);
    let context = ctx(&[("bucket", "b")]);
    let (data_key, blob) = kms.generate_data_key(&key.key_id, &context).expect("gdk");
    let (plain, info) = kms.decrypt(&blob, &context).expect("decrypt");
    assert_eq!(plain, data_key);
    assert_eq!(info.key_id, key.key_id);
    let err = kms
        .decrypt(&blob, &ctx(&[("bucket", "c")]))
        .expect_err("context");
    assert_eq!(err.code, "InvalidCiphertextException");
    let err = kms.decrypt(b"not a blob", &context).expect_err("garbage");
    assert_eq!(err.code, "InvalidCiphertextException");
}

#[test]
fn key_states_refuse_use_with_aws_errors() {
    let kms = kms();
    let key = new_key(&kms, ACCOUNT);
    let none = EncryptionContext::new();
    let blob = kms.encrypt_under(&key, b"hello", &none).expect("encrypt");
    set_state(&kms, &key, KeyState::Disabled, None);
    assert_eq!(
        kms.decrypt(&blob, &none).expect_err("disabled").code,
        "DisabledException"
    );
    assert_eq!(
        kms.generate_data_key(&key.key_id, &none)
            .expect_err("disabled")
            .code,
        "DisabledException"
    );
    assert!(!kms.resolve(ACCOUNT, &key.key_id).expect("resolve").enabled);
    let later = keys::now_ms() + MS_PER_DAY;
    set_state(&kms, &key, KeyState::PendingDeletion, Some(later));
    assert_eq!(
        kms.decrypt(&blob, &none).expect_err("pending").code,
        "KMSInvalidStateException"
    );
    set_state(&kms, &key, KeyState::Enabled, None);
    assert_eq!(
        kms.decrypt(&blob, &none).expect("enabled again").0,
        b"hello"
    );
}

#[test]
fn keys_past_their_deletion_date_are_gone_with_their_aliases() {
    let kms = kms();
    let key = new_key(&kms, ACCOUNT);
    let kept = new_key(&kms, ACCOUNT);
    kms.store()
        .create_alias(ACCOUNT, "alias/doomed", &key.key_id)
        .expect("alias");
    set_state(
        &kms,
        &key,
        KeyState::PendingDeletion,
        Some(keys::now_ms() - 1),
    );
    assert_eq!(
        kms.resolve(ACCOUNT, &key.key_id).expect_err("gone").code,
        "NotFoundException"
    );
    assert!(
        kms.store()
            .alias(ACCOUNT, "alias/doomed")
            .expect("read")
            .is_none()
    );
    let (listed, next) = kms.store().list_keys(ACCOUNT, None, 10).expect("list");
    assert_eq!(
        listed.iter().map(|k| &k.key_id).collect::<Vec<_>>(),
        [&kept.key_id]
    );
    assert!(next.is_none());
}

#[test]
fn rotation_adds_versions_and_old_ciphertexts_stay_readable() {
    let kms = kms();
    let key = new_key(&kms, ACCOUNT);
    let none = EncryptionContext::new();
    let old = kms.encrypt_under(&key, b"v1", &none).expect("encrypt");
    let rotated = kms
        .store()
        .rotate(&key.key_id, "arn", Origin::OnDemand)
        .expect("rotate");
    assert_eq!(rotated.materials.len(), 2);
    let new = kms.encrypt_under(&rotated, b"v2", &none).expect("encrypt");
    assert_eq!(blob::Blob::parse(&old).expect("old").version, 1);
    assert_eq!(blob::Blob::parse(&new).expect("new").version, 2);
    assert_eq!(kms.decrypt(&old, &none).expect("old").0, b"v1");
    assert_eq!(kms.decrypt(&new, &none).expect("new").0, b"v2");
    // An automatic rotation that is due happens on the next use; one that is not, never.
    let not_due = kms
        .store()
        .rotate(&key.key_id, "arn", Origin::Automatic)
        .expect("not due");
    assert_eq!(not_due.materials.len(), 2);
    let due = kms
        .store()
        .update(&key.key_id, "arn", |r| {
            r.rotation_enabled = true;
            r.rotation_period_days = Some(90);
            r.next_rotation_ms = Some(keys::now_ms() - 1);
            Ok(())
        })
        .expect("due");
    let third = kms.encrypt_under(&due, b"v3", &none).expect("encrypt");
    assert_eq!(blob::Blob::parse(&third).expect("third").version, 3);
    let after = kms.by_id(&key.key_id).expect("key");
    assert!(after.next_rotation_ms.is_some_and(|n| n > keys::now_ms()));
    assert_eq!(kms.decrypt(&old, &none).expect("old still").0, b"v1");
}

#[test]
fn the_s3_key_is_made_once_per_account_even_when_raced() {
    let kms = Arc::new(kms());
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let kms = kms.clone();
            std::thread::spawn(move || kms.default_s3_key(ACCOUNT).expect("s3 key"))
        })
        .collect();
    let ids: Vec<String> = handles
        .into_iter()
        .map(|h| h.join().expect("thread").key_id)
        .collect();
    assert!(ids.iter().all(|id| id == &ids[0]), "{ids:?}");
    let record = kms.by_id(&ids[0]).expect("record");
    assert_eq!(record.manager, KeyManager::Aws);
    assert!(record.rotation_enabled);
    assert_eq!(
        kms.resolve(ACCOUNT, S3_ALIAS).expect("alias").key_id,
        ids[0]
    );
    let (keys, _) = kms.store().list_keys(ACCOUNT, None, 100).expect("list");
    assert_eq!(keys.len(), 1);
    // Another account gets its own; naming the alias creates it there too.
    let other = kms.resolve(OTHER, S3_ALIAS).expect("other account");
    assert_ne!(other.key_id, ids[0]);
    assert_eq!(other.account, OTHER);
}

#[test]
fn list_pages_follow_markers() {
    let kms = kms();
    let mut ids: Vec<String> = (0..5).map(|_| new_key(&kms, ACCOUNT).key_id).collect();
    ids.sort();
    new_key(&kms, OTHER);
    let mut seen = Vec::new();
    let mut marker = None;
    loop {
        let (page, next) = kms
            .store()
            .list_keys(ACCOUNT, marker.as_deref(), 2)
            .expect("page");
        assert!(page.len() <= 2);
        seen.extend(page.into_iter().map(|k| k.key_id));
        match next {
            Some(next) => marker = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, ids);
}

#[test]
fn authorization_is_root_in_its_account_or_an_identity_allow() {
    use crate::iam::UserPrincipal;
    let kms = kms();
    let key = kms.info(&new_key(&kms, ACCOUNT));
    let root = |account: &str| Principal::Root {
        account_id: "c".repeat(64),
        account_number: account.to_string(),
    };
    let none = ConditionContext::default();
    assert!(authorize(&root(ACCOUNT), "kms:Encrypt", &key, &none).is_ok());
    let err = authorize(&root(OTHER), "kms:Encrypt", &key, &none).expect_err("other");
    assert_eq!(err.code, "AccessDeniedException");
    assert!(
        err.message.contains("arn:aws:iam::000000000002:root"),
        "{}",
        err.message
    );
    let user = |policy: Option<&str>| {
        Principal::User(Arc::new(UserPrincipal {
            account_id: "c".repeat(64),
            account_number: ACCOUNT.to_string(),
            name: "alice".into(),
            user_id: "AIDA".into(),
            arn: format!("arn:aws:iam::{ACCOUNT}:user/alice"),
            policies: policy
                .map(|p| {
                    Arc::new(
                        crate::policy::document::PolicyDocument::parse(
                            p,
                            crate::policy::document::PolicyKind::Identity,
                            None,
                        )
                        .expect("policy"),
                    )
                })
                .into_iter()
                .collect(),
        }))
    };
    let err = authorize(&user(None), "kms:Encrypt", &key, &none).expect_err("no policy");
    assert_eq!(err.code, "AccessDeniedException");
    assert!(
        err.message
            .ends_with("because no identity-based policy allows the kms:Encrypt action"),
        "{}",
        err.message
    );
    let allow = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"kms:Encrypt","Resource":"{}"}}]}}"#,
        key.arn
    );
    assert!(authorize(&user(Some(&allow)), "kms:Encrypt", &key, &none).is_ok());
    assert!(authorize(&user(Some(&allow)), "kms:Decrypt", &key, &none).is_err());
}
