//! Access settings kept in metadata records: a bucket's ACL, object ownership and public access
//! block (in its [`BucketRecord`]), and each object version's ACL (in its attributes).
//!
//! The S3 layer decides what a request may set; this module only makes the change atomic with
//! the record it was decided against: callers pass a `change` closure that runs inside the
//! transaction, sees the records as the transaction reads them, and either edits or refuses
//! (with the caller's own error type, so no S3 code leaks in here). A refusal writes nothing.
//!
//! Invariant: a bucket's `object_acls` flag is set in the same transaction as the first object
//! version with a non-default ACL (here) or another owner (`Store::commit_version`), and is never
//! cleared; authorization does not read object records while it is unset.

use super::versions::{KeyVersions, VersionSelector, shown_id, version_key};
use super::{Store, StoreError};
use crate::meta::model::{BucketRecord, ObjectVersion};
use crate::meta::{Tree, TxnView};
use crate::policy::acl::{Acl, ObjectOwnership, PublicAccessBlock};

/// A bucket's access settings, as CreateBucket sets them and the access operations change them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BucketAccess {
    /// None = the default ACL (the owner's FULL_CONTROL).
    pub acl: Option<Acl>,
    /// None = no ownership controls (behaves as ObjectWriter).
    pub ownership: Option<ObjectOwnership>,
    /// None = no public access block configured.
    pub public_access_block: Option<PublicAccessBlock>,
}

impl BucketAccess {
    pub fn of(record: &BucketRecord) -> BucketAccess {
        BucketAccess {
            acl: record.acl.clone(),
            ownership: record.ownership,
            public_access_block: record.public_access_block,
        }
    }

    fn apply_to(self, record: &mut BucketRecord) {
        record.acl = self.acl;
        record.ownership = self.ownership;
        record.public_access_block = self.public_access_block;
    }
}

impl Store {
    /// Change the access settings of bucket `name` in one transaction: `change` sees the record
    /// and edits the settings, or refuses (`Ok(Err(refusal))`, nothing written).
    pub async fn update_bucket_access<R>(
        &self,
        name: &str,
        change: impl Fn(&BucketRecord, &mut BucketAccess) -> Result<(), R>,
    ) -> Result<Result<(), R>, StoreError> {
        let outcome = self.meta.transact(|tx| {
            let mut record = Store::writable_bucket(tx, name)?;
            let mut access = BucketAccess::of(&record);
            if let Err(refusal) = change(&record, &mut access) {
                return Ok::<_, StoreError>(Err(refusal));
            }
            access.apply_to(&mut record);
            tx.put_record(Tree::Buckets, name.as_bytes(), &record)?;
            Ok(Ok(()))
        })?;
        if outcome.is_ok() {
            self.sync().await?;
        }
        Ok(outcome)
    }

    /// Replace the ACL of the version `selector` addresses: `change` sees the bucket record and
    /// the version and returns the ACL to store (None = the default), or refuses (nothing
    /// written). Returns the version as written.
    pub async fn update_object_acl<R>(
        &self,
        bucket: &str,
        key: &str,
        selector: VersionSelector,
        change: impl Fn(&BucketRecord, &ObjectVersion) -> Result<Option<Acl>, R>,
    ) -> Result<Result<ObjectVersion, R>, StoreError> {
        // Resolve the selector outside (delete markers and missing versions report themselves
        // the usual way), then rewrite that exact version in the transaction.
        let target = self.version(bucket, key, selector)?;
        let outcome = self.meta.transact(|tx| {
            let mut record = Store::writable_bucket(tx, bucket)?;
            let versions = KeyVersions::new(tx, bucket, key);
            let mut version = reread_version(tx, bucket, key, selector, &target)?;
            let acl = match change(&record, &version) {
                Ok(acl) => acl,
                Err(refusal) => return Ok::<_, StoreError>(Err(refusal)),
            };
            if acl.is_some() && !record.object_acls {
                record.object_acls = true;
                tx.put_record(Tree::Buckets, bucket.as_bytes(), &record)?;
            }
            version.attrs.acl = acl;
            let is_latest = versions.latest()?.is_some_and(|l| l.uid == version.uid);
            versions.rewrite(&version, is_latest)?;
            Ok(Ok(version))
        })?;
        if outcome.is_ok() {
            self.sync().await?;
        }
        Ok(outcome)
    }
}

/// `target`, the version `selector` resolved to before a transaction, read again inside it; one
/// removed meanwhile is reported the way the selector would have reported it.
pub(super) fn reread_version(
    tx: &TxnView<'_>,
    bucket: &str,
    key: &str,
    selector: VersionSelector,
    target: &ObjectVersion,
) -> Result<ObjectVersion, StoreError> {
    tx.get_record(Tree::Versions, &version_key(bucket, key, target))?
        .ok_or_else(|| match selector {
            VersionSelector::Latest => StoreError::NoSuchKey(key.to_string()),
            _ => StoreError::NoSuchVersion {
                key: key.to_string(),
                version_id: shown_id(target).to_string(),
            },
        })
}

/// Whether a version about to be committed makes the bucket's object ACLs matter: it belongs to
/// another account than the bucket's, or has a non-default ACL.
pub(super) fn needs_object_acls(record: &BucketRecord, version: &ObjectVersion) -> bool {
    !version.delete_marker && (version.attrs.owner != record.owner || version.attrs.acl.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_round_trips_through_a_record() {
        let mut record: BucketRecord = BucketRecord {
            name: "b".into(),
            created_ms: 0,
            region: "us-east-1".into(),
            owner: "o".into(),
            versioning: Default::default(),
            deleting: false,
            tags: None,
            policy_revision: None,
            cors_revision: None,
            website_revision: None,
            lifecycle_revision: None,
            intelligent_tiering_revision: None,
            encryption_revision: None,
            object_lock_revision: None,
            acl: None,
            ownership: None,
            public_access_block: None,
            object_acls: false,
        };
        let access = BucketAccess {
            acl: Some(crate::policy::acl::CannedAcl::PublicRead.expand("o", "o")),
            ownership: Some(ObjectOwnership::BucketOwnerPreferred),
            public_access_block: Some(PublicAccessBlock::all()),
        };
        access.clone().apply_to(&mut record);
        assert_eq!(BucketAccess::of(&record), access);
    }
}
