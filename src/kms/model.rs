//! The KMS records in `Tree::Kms` and how keys are named: key ids, key and alias ARNs, and the
//! references a request may give (`KeyRef`).
//!
//! Layout of `Tree::Kms` (the tree also holds the master key's `master-key-check` entry, which
//! no prefix here can produce):
//!
//! | key | value |
//! |---|---|
//! | `key/<key id>` | [`KeyRecord`] (key ids are random UUIDs, unique across accounts) |
//! | `keys/<account>/<key id>` | empty: the account's keys, for ListKeys |
//! | `alias/<account>/<name without "alias/">` | [`AliasRecord`] |
//!
//! A key record is found by its id alone because a ciphertext blob names only the key id, and
//! Decrypt needs no KeyId. Records are MessagePack with named fields; key material is stored only
//! sealed (`material`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyState {
    Enabled,
    Disabled,
    PendingDeletion,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Enabled => "Enabled",
            KeyState::Disabled => "Disabled",
            KeyState::PendingDeletion => "PendingDeletion",
        }
    }
}

/// Who manages a key: the account (`CUSTOMER`) or the service (`AWS`, the `aws/s3` key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyManager {
    Customer,
    Aws,
}

impl KeyManager {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyManager::Customer => "CUSTOMER",
            KeyManager::Aws => "AWS",
        }
    }
}

/// How a key material version came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Origin {
    /// Made with the key.
    Created,
    /// Automatic rotation (applied when the key is used after its rotation date).
    Automatic,
    /// RotateKeyOnDemand.
    OnDemand,
}

/// One version of a key's material: 32 random bytes, sealed (`material::MaterialSealer`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MaterialRecord {
    pub version: u32,
    pub created_ms: i64,
    pub origin: Origin,
    #[serde(with = "serde_bytes")]
    pub sealed: Vec<u8>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyRecord {
    pub key_id: String,
    /// The owning account (12 digits).
    pub account: String,
    pub created_ms: i64,
    #[serde(default)]
    pub description: String,
    pub manager: KeyManager,
    pub state: KeyState,
    /// Set while PendingDeletion: the key is gone after this instant.
    #[serde(default)]
    pub deletion_ms: Option<i64>,
    #[serde(default)]
    pub pending_window_days: Option<u32>,
    #[serde(default)]
    pub rotation_enabled: bool,
    /// The automatic rotation period while rotation is enabled.
    #[serde(default)]
    pub rotation_period_days: Option<u32>,
    /// When the next automatic rotation is due (rotation enabled only).
    #[serde(default)]
    pub next_rotation_ms: Option<i64>,
    /// Oldest first; never empty; the last one encrypts.
    pub materials: Vec<MaterialRecord>,
}

impl KeyRecord {
    pub fn newest(&self) -> Option<&MaterialRecord> {
        self.materials.last()
    }

    pub fn material(&self, version: u32) -> Option<&MaterialRecord> {
        self.materials.iter().find(|m| m.version == version)
    }

    /// Whether the deletion date has passed: the key no longer exists.
    pub fn expired(&self, now_ms: i64) -> bool {
        self.state == KeyState::PendingDeletion && self.deletion_ms.is_some_and(|at| at <= now_ms)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AliasRecord {
    /// The full name, `alias/...`.
    pub name: String,
    pub target_key_id: String,
    pub created_ms: i64,
    pub updated_ms: i64,
}

pub const MS_PER_DAY: i64 = 86_400_000;

pub fn key_entry(key_id: &str) -> Vec<u8> {
    format!("key/{key_id}").into_bytes()
}

pub fn account_keys_prefix(account: &str) -> Vec<u8> {
    format!("keys/{account}/").into_bytes()
}

pub fn account_key_entry(account: &str, key_id: &str) -> Vec<u8> {
    format!("keys/{account}/{key_id}").into_bytes()
}

pub fn aliases_prefix(account: &str) -> Vec<u8> {
    format!("alias/{account}/").into_bytes()
}

/// `name` is the full alias name (`alias/x`).
pub fn alias_entry(account: &str, name: &str) -> Vec<u8> {
    let short = name.strip_prefix("alias/").unwrap_or(name);
    format!("alias/{account}/{short}").into_bytes()
}

/// The end (exclusive) of a prefix scan.
pub fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    // Prefixes here end in '/', which is never 0xFF.
    if let Some(last) = end.last_mut() {
        *last += 1;
    }
    end
}

pub fn key_arn(region: &str, account: &str, key_id: &str) -> String {
    format!("arn:aws:kms:{region}:{account}:key/{key_id}")
}

/// `name` is the full alias name (`alias/x`).
pub fn alias_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:kms:{region}:{account}:{name}")
}

/// A random (version 4) UUID, the form of AWS key ids.
pub fn new_key_id() -> String {
    let mut bytes: [u8; 16] = rand::random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The prefix of AWS-managed aliases, which customers may not create or delete.
pub const AWS_ALIAS_PREFIX: &str = "alias/aws/";
/// The S3 key every account gets on first use.
pub const S3_ALIAS: &str = "alias/aws/s3";
pub const S3_KEY_DESCRIPTION: &str =
    "Default key that protects my S3 objects when no other key is defined";

/// How a request names a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRef {
    /// A bare key id: looked up in the caller's account.
    Id(String),
    KeyArn {
        account: String,
        key_id: String,
    },
    /// `alias/x`, in the caller's account.
    AliasName(String),
    AliasArn {
        account: String,
        name: String,
    },
}

impl KeyRef {
    /// Parses an identifier; `None` when it cannot name a key in `region` (a malformed ARN, an
    /// ARN of another service or region).
    pub fn parse(text: &str, region: &str) -> Option<KeyRef> {
        if let Some(rest) = text.strip_prefix("arn:") {
            let parts: Vec<&str> = rest.splitn(5, ':').collect();
            let [partition, service, arn_region, account, resource] = parts.as_slice() else {
                return None;
            };
            let account_ok = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
            if *partition != "aws" || *service != "kms" || *arn_region != region || !account_ok {
                return None;
            }
            if let Some(key_id) = resource.strip_prefix("key/") {
                return (!key_id.is_empty()).then(|| KeyRef::KeyArn {
                    account: account.to_string(),
                    key_id: key_id.to_string(),
                });
            }
            if resource.starts_with("alias/") && resource.len() > "alias/".len() {
                return Some(KeyRef::AliasArn {
                    account: account.to_string(),
                    name: resource.to_string(),
                });
            }
            return None;
        }
        if text.starts_with("alias/") {
            return (text.len() > "alias/".len()).then(|| KeyRef::AliasName(text.to_string()));
        }
        (!text.is_empty()).then(|| KeyRef::Id(text.to_string()))
    }

    pub fn is_alias(&self) -> bool {
        matches!(self, KeyRef::AliasName(_) | KeyRef::AliasArn { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_parse_like_aws_names_them() {
        let r = "us-east-1";
        let cases: &[(&str, Option<KeyRef>)] = &[
            (
                "1234abcd-12ab-34cd-56ef-1234567890ab",
                Some(KeyRef::Id("1234abcd-12ab-34cd-56ef-1234567890ab".into())),
            ),
            (
                "arn:aws:kms:us-east-1:111122223333:key/k1",
                Some(KeyRef::KeyArn {
                    account: "111122223333".into(),
                    key_id: "k1".into(),
                }),
            ),
            ("alias/app", Some(KeyRef::AliasName("alias/app".into()))),
            (
                "arn:aws:kms:us-east-1:111122223333:alias/app/x",
                Some(KeyRef::AliasArn {
                    account: "111122223333".into(),
                    name: "alias/app/x".into(),
                }),
            ),
            ("arn:aws:kms:eu-west-1:111122223333:key/k1", None),
            ("arn:aws:s3:us-east-1:111122223333:key/k1", None),
            ("arn:aws:kms:us-east-1:1111:key/k1", None),
            ("arn:aws:kms:us-east-1:111122223333:key/", None),
            ("arn:aws:kms:us-east-1:111122223333:grant/x", None),
            ("alias/", None),
            ("", None),
        ];
        for (text, expected) in cases {
            assert_eq!(&KeyRef::parse(text, r), expected, "{text}");
        }
    }

    #[test]
    fn key_ids_are_version_4_uuids() {
        let id = new_key_id();
        assert_eq!(id.len(), 36);
        assert_eq!(id.as_bytes()[14], b'4');
        assert_ne!(id, new_key_id());
    }

    #[test]
    fn entries_do_not_collide_with_the_master_key_check() {
        for entry in [
            key_entry("x"),
            account_keys_prefix("000000000001"),
            aliases_prefix("000000000001"),
        ] {
            assert!(!b"master-key-check".starts_with(&entry));
            assert!(!entry.starts_with(b"master"));
        }
        assert_eq!(
            alias_entry("000000000001", "alias/aws/s3"),
            b"alias/000000000001/aws/s3"
        );
        assert_eq!(prefix_end(b"keys/1/"), b"keys/10");
    }
}
