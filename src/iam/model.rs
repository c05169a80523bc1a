//! The identity records kept in the metadata store: accounts, access keys, and the IAM users,
//! groups and managed policies inside an account. MessagePack with named fields like every
//! other record (`meta::model`), so they grow with `#[serde(default)]` fields.
//!
//! Keys (see `iam::store`): `Tree::Accounts` by 12-digit account id; `Tree::AccessKeys` by
//! access key id; `Tree::IamEntities` by `account 0x00 kind 0x00 lowercase(name)` with kind `u`
//! (user), `g` (group) or `p` (managed policy) — IAM names are unique without regard to case.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// An owner of buckets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRecord {
    /// 12 digits: what policies and ARNs name (`arn:aws:iam::<number>:root`).
    pub number: String,
    /// 64 hex digits: what `Owner/ID` and ACL grants show.
    pub canonical_id: String,
    /// `Owner/DisplayName`; also the account's name in `strata admin`.
    pub name: String,
    /// For ACL grants by e-mail address; None = grants by e-mail cannot resolve to it.
    #[serde(default)]
    pub email: Option<String>,
    pub created_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyStatus {
    Active,
    Inactive,
}

impl KeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "Active",
            KeyStatus::Inactive => "Inactive",
        }
    }
}

/// An access key: the account's root key (`user: None`) or an IAM user's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKeyRecord {
    pub access_key_id: String,
    /// 12-digit number of the owning account.
    pub account: String,
    /// The IAM user's name as created (case preserved); None = the account's root user.
    pub user: Option<String>,
    /// The secret, sealed with the server key (`iam::seal`): nonce ‖ AES-256-GCM ciphertext,
    /// with the access key id as associated data so a sealed secret cannot be moved to another
    /// key's record.
    #[serde(with = "serde_bytes")]
    pub sealed_secret: Vec<u8>,
    pub status: KeyStatus,
    pub created_ms: i64,
}

/// An IAM user inside an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    pub account: String,
    pub name: String,
    /// `AIDA` + 17 characters, stable for the life of the user (`aws:userid`).
    pub user_id: String,
    /// `/` or `/division/`: part of the ARN.
    pub path: String,
    pub created_ms: i64,
    /// Inline policies: name → document text (as submitted, validated on write).
    #[serde(default)]
    pub inline_policies: BTreeMap<String, String>,
    /// ARNs of attached managed policies, in attachment order.
    #[serde(default)]
    pub attached_policies: Vec<String>,
    /// Names of the groups the user is in (as created).
    #[serde(default)]
    pub groups: Vec<String>,
    /// Ids of the user's access keys (at most two), so the key limit and DeleteUser's
    /// "must delete access keys first" are decided inside the user's transaction.
    #[serde(default)]
    pub access_keys: Vec<String>,
}

impl UserRecord {
    pub fn arn(&self) -> String {
        iam_arn(&self.account, "user", &self.path, &self.name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRecord {
    pub account: String,
    pub name: String,
    /// `AGPA` + 17 characters.
    pub group_id: String,
    pub path: String,
    pub created_ms: i64,
    #[serde(default)]
    pub inline_policies: BTreeMap<String, String>,
    #[serde(default)]
    pub attached_policies: Vec<String>,
    /// Member user names (as created).
    #[serde(default)]
    pub members: Vec<String>,
}

impl GroupRecord {
    pub fn arn(&self) -> String {
        iam_arn(&self.account, "group", &self.path, &self.name)
    }
}

/// A customer managed policy (one version, `v1`, is kept: the default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedPolicyRecord {
    pub account: String,
    pub name: String,
    /// `ANPA` + 17 characters.
    pub policy_id: String,
    pub path: String,
    #[serde(default)]
    pub description: Option<String>,
    pub document: String,
    pub created_ms: i64,
    pub updated_ms: i64,
    /// How many users and groups it is attached to (DeletePolicy refuses while > 0).
    pub attachment_count: u32,
}

impl ManagedPolicyRecord {
    pub fn arn(&self) -> String {
        iam_arn(&self.account, "policy", &self.path, &self.name)
    }
}

/// `arn:aws:iam::<account>:<kind><path><name>`: the ARN of a user, group or managed policy
/// (`kind` is `user`, `group` or `policy`; `path` is `/` or `/a/b/`).
pub fn iam_arn(account: &str, kind: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:{kind}{path}{name}")
}
