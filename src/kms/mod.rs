//! The built-in KMS: symmetric keys per account, their aliases, and the cryptographic
//! operations on them, served as the AWS KMS JSON API on the S3 endpoint (`api`) and called
//! directly by S3 for SSE-KMS ([`Kms::resolve`], [`Kms::default_s3_key`],
//! [`Kms::generate_data_key`], [`Kms::decrypt`], [`authorize`]).
//!
//! Modules: `model` (records, names, identifiers), `keys` (the store in `Tree::Kms`), `material`
//! (key material sealed under the master key), `blob` (the ciphertext format), `api` (JSON
//! requests). This module resolves identifiers, applies key states and lazy rotation, and
//! encrypts and decrypts.
//!
//! Invariants: key material and data keys exist in plaintext only in memory (zeroed when
//! dropped where the type allows); a ciphertext names its key and material version, so every
//! version ever made stays usable for Decrypt; Encrypt always uses the newest version.
//! Authorization is the caller's business ([`authorize`]): these methods check only key state.

pub mod api;
pub mod blob;
mod error;
pub mod keys;
pub mod material;
pub mod model;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

pub use error::KmsError;
use keys::{KeyStore, NewKey, now_ms};
use material::{MaterialSealer, PlainKey};
use model::{KeyManager, KeyRecord, KeyRef, KeyState, Origin, S3_ALIAS, S3_KEY_DESCRIPTION};

use crate::crypto::master_key::MasterKey;
use crate::iam::Principal;
use crate::meta::Meta;
use crate::policy::{ConditionContext, Effect};

/// Encryption context: bound to a ciphertext as associated data.
pub type EncryptionContext = BTreeMap<String, String>;

/// What S3 (and authorization) needs to know of a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub key_id: String,
    pub arn: String,
    /// The owning account (12 digits).
    pub account: String,
    /// The key state is Enabled.
    pub enabled: bool,
}

pub struct Kms {
    keys: KeyStore,
    region: String,
}

/// Which identifiers an operation accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Names {
    /// Key id or key ARN (EnableKey, ScheduleKeyDeletion, rotation, ...).
    KeyOnly,
    /// Also alias name and alias ARN (DescribeKey, Encrypt, GenerateDataKey, ...).
    KeyOrAlias,
}

impl Kms {
    pub fn open(meta: Meta, master: &MasterKey, region: &str) -> Kms {
        Kms {
            keys: KeyStore::new(meta, MaterialSealer::new(master)),
            region: region.to_string(),
        }
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    pub(crate) fn store(&self) -> &KeyStore {
        &self.keys
    }

    pub fn arn(&self, record: &KeyRecord) -> String {
        model::key_arn(&self.region, &record.account, &record.key_id)
    }

    pub fn info(&self, record: &KeyRecord) -> KeyInfo {
        KeyInfo {
            key_id: record.key_id.clone(),
            arn: self.arn(record),
            account: record.account.clone(),
            enabled: record.state == KeyState::Enabled,
        }
    }

    /// A key reference as S3 receives it (id, key ARN, alias/name, alias ARN) in `account`
    /// (12-digit). NotFoundException when absent. `alias/aws/s3` is created on first use.
    pub fn resolve(&self, account: &str, key_ref: &str) -> Result<KeyInfo, KmsError> {
        let record = self.find(account, key_ref, Names::KeyOrAlias)?;
        Ok(self.info(&record))
    }

    /// The account's `aws/s3` key, created on first use (concurrent first uses create one).
    pub fn default_s3_key(&self, account: &str) -> Result<KeyInfo, KmsError> {
        let record = self.s3_key(account)?;
        Ok(self.info(&record))
    }

    fn s3_key(&self, account: &str) -> Result<KeyRecord, KmsError> {
        let new = NewKey {
            account,
            description: S3_KEY_DESCRIPTION,
            manager: KeyManager::Aws,
        };
        let record = self.keys.get_or_create_aliased(&new, S3_ALIAS)?;
        // The key the alias names may have just expired (AWS-managed keys cannot be scheduled
        // for deletion, so only a corrupt store gets here).
        self.keys
            .get(&record.key_id)?
            .ok_or_else(|| KmsError::key_not_found(&self.arn(&record)))
    }

    /// The key `text` names, seen from `account` (bare ids and alias names are the account's;
    /// ARNs name their own account). NotFoundException when there is none.
    pub fn find(&self, account: &str, text: &str, names: Names) -> Result<KeyRecord, KmsError> {
        let key_ref =
            KeyRef::parse(text, &self.region).ok_or_else(|| KmsError::invalid_key_id(text))?;
        if key_ref.is_alias() && names == Names::KeyOnly {
            return Err(KmsError::invalid_key_id(text));
        }
        match key_ref {
            KeyRef::Id(key_id) => self.by_id_in(account, &key_id),
            KeyRef::KeyArn { account, key_id } => self.by_id_in(&account, &key_id),
            KeyRef::AliasName(name) => self.by_alias(account, &name, account),
            KeyRef::AliasArn {
                account: owner,
                name,
            } => self.by_alias(&owner, &name, account),
        }
    }

    fn by_id_in(&self, account: &str, key_id: &str) -> Result<KeyRecord, KmsError> {
        match self.keys.get(key_id)? {
            Some(record) if record.account == account => Ok(record),
            _ => Err(KmsError::key_not_found(&model::key_arn(
                &self.region,
                account,
                key_id,
            ))),
        }
    }

    /// `caller` is the requesting account: only it gets its `aws/s3` key created on first use.
    fn by_alias(&self, owner: &str, name: &str, caller: &str) -> Result<KeyRecord, KmsError> {
        if let Some(alias) = self.keys.alias(owner, name)?
            && let Some(record) = self.keys.get(&alias.target_key_id)?
        {
            return Ok(record);
        }
        if name == S3_ALIAS && owner == caller {
            return self.s3_key(owner);
        }
        Err(KmsError::alias_not_found(&model::alias_arn(
            &self.region,
            owner,
            name,
        )))
    }

    /// The key by id alone (what a blob names), in whatever account.
    pub fn by_id(&self, key_id: &str) -> Result<KeyRecord, KmsError> {
        self.keys.get(key_id)?.ok_or_else(|| {
            KmsError::new(
                "NotFoundException",
                format!("Key '{key_id}' does not exist"),
            )
        })
    }

    /// Cryptographic operations need an Enabled key.
    pub fn check_usable(&self, record: &KeyRecord) -> Result<(), KmsError> {
        match record.state {
            KeyState::Enabled => Ok(()),
            KeyState::Disabled => Err(KmsError::disabled(&self.arn(record))),
            KeyState::PendingDeletion => Err(KmsError::pending_deletion(&self.arn(record))),
        }
    }

    /// Seals `plaintext` under the key's newest material (rotating first when an automatic
    /// rotation is due).
    pub fn encrypt_under(
        &self,
        record: &KeyRecord,
        plaintext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Vec<u8>, KmsError> {
        self.check_usable(record)?;
        let rotated;
        let record = if record.rotation_enabled
            && record.next_rotation_ms.is_some_and(|due| due <= now_ms())
        {
            rotated = self
                .keys
                .rotate(&record.key_id, &self.arn(record), Origin::Automatic)?;
            &rotated
        } else {
            record
        };
        let newest = record
            .newest()
            .ok_or_else(|| KmsError::internal(format!("key {} has no material", record.key_id)))?;
        let material = self.material(record, newest.version)?;
        Ok(blob::seal(
            &record.key_id,
            newest.version,
            &material,
            plaintext,
            context,
        ))
    }

    /// Opens a blob under the key it names: the plaintext and that key. The key must be
    /// usable; a blob that is not one, or a wrong context, is InvalidCiphertextException.
    pub fn decrypt_blob(
        &self,
        bytes: &[u8],
        context: &EncryptionContext,
    ) -> Result<(Vec<u8>, KeyRecord), KmsError> {
        let blob = blob::Blob::parse(bytes).ok_or_else(KmsError::invalid_ciphertext)?;
        let record = self.by_id(blob.key_id)?;
        self.check_usable(&record)?;
        if record.material(blob.version).is_none() {
            return Err(KmsError::invalid_ciphertext());
        }
        let material = self.material(&record, blob.version)?;
        let plaintext = blob
            .open(&material, context)
            .ok_or_else(KmsError::invalid_ciphertext)?;
        Ok((plaintext, record))
    }

    /// The key a blob names (for authorization before decrypting), without opening it.
    pub fn blob_key(&self, bytes: &[u8]) -> Result<KeyRecord, KmsError> {
        let blob = blob::Blob::parse(bytes).ok_or_else(KmsError::invalid_ciphertext)?;
        self.by_id(blob.key_id)
    }

    fn material(&self, record: &KeyRecord, version: u32) -> Result<PlainKey, KmsError> {
        self.keys.material(record, version).ok_or_else(|| {
            KmsError::internal(format!(
                "key {} material version {version} does not open under the master key",
                record.key_id
            ))
        })
    }

    /// GenerateDataKey (AES_256) under the key with this id (already resolved): plaintext key
    /// and ciphertext blob.
    pub fn generate_data_key(
        &self,
        key_id: &str,
        context: &EncryptionContext,
    ) -> Result<([u8; 32], Vec<u8>), KmsError> {
        let record = self.by_id(key_id)?;
        let data_key = PlainKey::random();
        let blob = self.encrypt_under(&record, data_key.bytes(), context)?;
        Ok((*data_key.bytes(), blob))
    }

    /// Decrypts a blob (any key it names) with this context: plaintext and the key it was
    /// under.
    pub fn decrypt(
        &self,
        blob: &[u8],
        context: &EncryptionContext,
    ) -> Result<(Vec<u8>, KeyInfo), KmsError> {
        let (plaintext, record) = self.decrypt_blob(blob, context)?;
        Ok((plaintext, self.info(&record)))
    }
}

/// The one authorization rule for `kms:*` actions on a key (used by the API and by S3 for
/// `kms:GenerateDataKey` / `kms:Decrypt` on SSE-KMS objects). Key policies are not modelled:
/// every key behaves as if it had the default key policy, which gives its account's root
/// everything and delegates to IAM — so a user needs an identity-policy Allow, and another
/// account is always denied.
pub fn authorize(
    principal: &Principal,
    action: &str,
    key: &KeyInfo,
    context: &ConditionContext,
) -> Result<(), KmsError> {
    authorize_resource(principal, action, &key.account, &key.arn, context)
}

/// [`authorize`] for any resource ARN of `account` (an alias ARN, or `*` with the caller's own
/// account for CreateKey, ListKeys and ListAliases).
pub fn authorize_resource(
    principal: &Principal,
    action: &str,
    account: &str,
    resource: &str,
    context: &ConditionContext,
) -> Result<(), KmsError> {
    let Some(caller) = principal.arn() else {
        return Err(KmsError::new(
            "AccessDeniedException",
            format!(
                "An anonymous caller is not authorized to perform: {action} on resource: {resource}"
            ),
        ));
    };
    if principal.account_number() != Some(account) {
        return Err(KmsError::new(
            "AccessDeniedException",
            format!(
                "User: {caller} is not authorized to perform: {action} on resource: {resource} because no resource-based policy allows the {action} action"
            ),
        ));
    }
    match principal {
        Principal::Root { .. } => Ok(()),
        _ => match crate::policy::identity_effect(principal, action, resource, context) {
            Effect::Allow => Ok(()),
            Effect::Deny => Err(KmsError::new(
                "AccessDeniedException",
                format!(
                    "User: {caller} is not authorized to perform: {action} on resource: {resource} with an explicit deny in an identity-based policy"
                ),
            )),
            Effect::NotApplicable => Err(KmsError::new(
                "AccessDeniedException",
                format!(
                    "User: {caller} is not authorized to perform: {action} on resource: {resource} because no identity-based policy allows the {action} action"
                ),
            )),
        },
    }
}
