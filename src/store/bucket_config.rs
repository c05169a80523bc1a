//! Bucket configuration documents (bucket policy, CORS, website, lifecycle, and those later
//! issues add):
//! each stored as its validated text under the bucket's entry of `Tree::BucketConfigs`, with a
//! revision stamped in the bucket record. The record is read by every request anyway, so a
//! request learns from it whether there is a document, and caches of the parsed document
//! (`store::config_cache`) know when to reload. The store does not parse documents: the
//! operation that put one validated it first.

use super::{Store, StoreError};
use crate::meta::model::BucketRecord;
use crate::meta::{Tree, keys};

/// Which configuration document of a bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BucketConfig {
    Policy,
    Cors,
    Website,
    Lifecycle,
    /// Every Intelligent-Tiering configuration of the bucket, in one document.
    IntelligentTiering,
    /// Default encryption (PutBucketEncryption).
    Encryption,
    /// Object Lock (PutObjectLockConfiguration): present = enabled, for good.
    ObjectLock,
}

impl BucketConfig {
    pub const ALL: [BucketConfig; 7] = [
        BucketConfig::Policy,
        BucketConfig::Cors,
        BucketConfig::Website,
        BucketConfig::Lifecycle,
        BucketConfig::IntelligentTiering,
        BucketConfig::Encryption,
        BucketConfig::ObjectLock,
    ];

    /// The document's entry under the bucket in `Tree::BucketConfigs` (part of the on-disk format).
    fn entry(self) -> &'static str {
        match self {
            BucketConfig::Policy => "policy",
            BucketConfig::Cors => "cors",
            BucketConfig::Website => "website",
            BucketConfig::Lifecycle => "lifecycle",
            BucketConfig::IntelligentTiering => "intelligent-tiering",
            BucketConfig::Encryption => "encryption",
            BucketConfig::ObjectLock => "object-lock",
        }
    }

    /// What the document is called in messages.
    pub fn describe(self) -> &'static str {
        match self {
            BucketConfig::Policy => "bucket policy",
            BucketConfig::Cors => "CORS configuration",
            BucketConfig::Website => "website configuration",
            BucketConfig::Lifecycle => "lifecycle configuration",
            BucketConfig::IntelligentTiering => "Intelligent-Tiering configurations",
            BucketConfig::Encryption => "encryption configuration",
            BucketConfig::ObjectLock => "Object Lock configuration",
        }
    }

    /// The revision of the stored document; None when the bucket has none.
    pub fn revision(self, record: &BucketRecord) -> Option<u64> {
        match self {
            BucketConfig::Policy => record.policy_revision,
            BucketConfig::Cors => record.cors_revision,
            BucketConfig::Website => record.website_revision,
            BucketConfig::Lifecycle => record.lifecycle_revision,
            BucketConfig::IntelligentTiering => record.intelligent_tiering_revision,
            BucketConfig::Encryption => record.encryption_revision,
            BucketConfig::ObjectLock => record.object_lock_revision,
        }
    }

    fn revision_mut(self, record: &mut BucketRecord) -> &mut Option<u64> {
        match self {
            BucketConfig::Policy => &mut record.policy_revision,
            BucketConfig::Cors => &mut record.cors_revision,
            BucketConfig::Website => &mut record.website_revision,
            BucketConfig::Lifecycle => &mut record.lifecycle_revision,
            BucketConfig::IntelligentTiering => &mut record.intelligent_tiering_revision,
            BucketConfig::Encryption => &mut record.encryption_revision,
            BucketConfig::ObjectLock => &mut record.object_lock_revision,
        }
    }

    pub(super) fn key(self, bucket: &str) -> Vec<u8> {
        keys::bucket_config(bucket, self.entry())
    }
}

impl Store {
    /// Put (Some) or delete (None) a configuration document; the caller has validated it.
    /// Every put gets a new, larger revision, so no cache can mistake it for the one before.
    pub async fn set_bucket_config(
        &self,
        name: &str,
        which: BucketConfig,
        document: Option<String>,
    ) -> Result<(), StoreError> {
        self.edit_bucket_config(name, which, |_, _| Ok(document.clone()))
            .await
    }

    /// Replaces a configuration document by what `edit` makes of the stored one, in one
    /// transaction (documents holding several configurations are edited one at a time by
    /// concurrent requests). `edit` sees the bucket record too (Object Lock needs versioning
    /// on); it returns None to delete the document, or refuses the change with
    /// [`StoreError::Refused`].
    pub async fn edit_bucket_config(
        &self,
        name: &str,
        which: BucketConfig,
        edit: impl Fn(&BucketRecord, Option<String>) -> Result<Option<String>, StoreError>,
    ) -> Result<(), StoreError> {
        let at = which.key(name);
        self.meta.transact(|tx| {
            let mut record = Store::writable_bucket(tx, name)?;
            let stored = match which.revision(&record) {
                None => None,
                Some(_) => tx
                    .get(Tree::BucketConfigs, &at)?
                    .map(String::from_utf8)
                    .transpose()
                    .map_err(|_| {
                        StoreError::Internal(format!(
                            "the stored {} of {name} is not UTF-8",
                            which.describe()
                        ))
                    })?,
            };
            let document = edit(&record, stored)?;
            let revision = which.revision_mut(&mut record);
            match &document {
                Some(text) => {
                    let previous = revision.unwrap_or(0);
                    *revision = Some(super::now_nanos().max(previous + 1));
                    tx.put(Tree::BucketConfigs, &at, text.as_bytes())?;
                }
                None => {
                    *revision = None;
                    tx.delete(Tree::BucketConfigs, &at)?;
                }
            }
            tx.put_record(Tree::Buckets, name.as_bytes(), &record)?;
            Ok::<(), StoreError>(())
        })?;
        self.sync().await
    }

    /// A configuration document as [`Store::set_bucket_config`] stored it.
    pub fn bucket_config(
        &self,
        name: &str,
        which: BucketConfig,
    ) -> Result<Option<String>, StoreError> {
        match self.meta.get(Tree::BucketConfigs, &which.key(name))? {
            None => Ok(None),
            Some(bytes) => String::from_utf8(bytes).map(Some).map_err(|_| {
                StoreError::Internal(format!(
                    "the stored {} of {name} is not UTF-8",
                    which.describe()
                ))
            }),
        }
    }
}
