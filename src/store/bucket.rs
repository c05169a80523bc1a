//! Bucket records: create, look up, list, delete (only when empty of objects and uploads).

use super::acl::BucketAccess;
use super::bucket_config::BucketConfig;
use super::{Store, StoreError, now_ms};
use crate::meta::model::{BucketRecord, Versioning};
use crate::meta::{Tree, keys};

impl Store {
    pub async fn create_bucket(
        &self,
        name: &str,
        owner: &str,
        region: &str,
    ) -> Result<BucketRecord, StoreError> {
        self.create_bucket_with(name, owner, region, BucketAccess::default(), None)
            .await
    }

    /// CreateBucket with its initial access settings (ACL, object ownership, public access
    /// block), decided by the caller from the request and the server's bucket defaults.
    pub async fn create_bucket_with(
        &self,
        name: &str,
        owner: &str,
        region: &str,
        access: BucketAccess,
        object_lock: Option<&str>,
    ) -> Result<BucketRecord, StoreError> {
        let mut record = BucketRecord {
            name: name.to_string(),
            created_ms: now_ms(),
            region: region.to_string(),
            owner: owner.to_string(),
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
            acl: access.acl,
            ownership: access.ownership,
            public_access_block: access.public_access_block,
            object_acls: false,
        };
        // Object Lock at creation (its configuration document given) turns versioning on for
        // good, in the same transaction as the bucket.
        if object_lock.is_some() {
            record.versioning = Versioning::Enabled;
            record.object_lock_revision = Some(super::now_nanos());
        }
        self.meta.transact(|tx| {
            if let Some(existing) = tx.get_record::<BucketRecord>(Tree::Buckets, name.as_bytes())? {
                return Err(StoreError::BucketExists {
                    name: name.to_string(),
                    owned_by_caller: existing.owner == owner,
                });
            }
            if let Some(document) = object_lock {
                tx.put(
                    Tree::BucketConfigs,
                    &BucketConfig::ObjectLock.key(name),
                    document.as_bytes(),
                )?;
            }
            tx.put_record(Tree::Buckets, name.as_bytes(), &record)?;
            Ok(())
        })?;
        self.sync().await?;
        Ok(record)
    }

    pub fn bucket(&self, name: &str) -> Result<BucketRecord, StoreError> {
        self.meta
            .get_record(Tree::Buckets, name.as_bytes())?
            .ok_or_else(|| StoreError::NoSuchBucket(name.to_string()))
    }

    /// Replace (or with None remove) the bucket's tag set.
    pub async fn set_bucket_tags(
        &self,
        name: &str,
        tags: Option<Vec<(String, String)>>,
    ) -> Result<(), StoreError> {
        self.meta.transact(|tx| {
            let mut record = Store::writable_bucket(tx, name)?;
            record.tags = tags.clone();
            tx.put_record(Tree::Buckets, name.as_bytes(), &record)?;
            Ok::<(), StoreError>(())
        })?;
        self.sync().await
    }

    /// PutBucketVersioning: Enabled or Suspended (a bucket never returns to Unversioned).
    pub async fn set_versioning(
        &self,
        name: &str,
        versioning: Versioning,
    ) -> Result<(), StoreError> {
        self.meta.transact(|tx| {
            let mut record = Store::writable_bucket(tx, name)?;
            if record.object_lock_revision.is_some() && versioning != Versioning::Enabled {
                return Err(StoreError::ObjectLockNeedsVersioning);
            }
            record.versioning = versioning;
            tx.put_record(Tree::Buckets, name.as_bytes(), &record)?;
            Ok::<(), StoreError>(())
        })?;
        self.sync().await
    }

    pub fn list_buckets(&self) -> Result<Vec<BucketRecord>, StoreError> {
        let mut out = Vec::new();
        let mut start = Vec::new();
        loop {
            let batch = self.meta.scan(Tree::Buckets, &start, None, 1000)?;
            let Some((last, _)) = batch.last() else { break };
            start = last.clone();
            start.push(0);
            for (_, value) in &batch {
                out.push(crate::meta::decode(Tree::Buckets, value)?);
            }
        }
        Ok(out)
    }

    pub async fn delete_bucket(&self, name: &str) -> Result<(), StoreError> {
        let set_deleting = |deleting: bool| {
            self.meta.transact(|tx| {
                let mut record = tx
                    .get_record::<BucketRecord>(Tree::Buckets, name.as_bytes())?
                    .ok_or_else(|| StoreError::NoSuchBucket(name.to_string()))?;
                record.deleting = deleting;
                tx.put_record(Tree::Buckets, name.as_bytes(), &record)?;
                Ok::<(), StoreError>(())
            })
        };
        // Two steps because the engines scan outside transactions: first fence off new writes
        // (they read the bucket record in their own transaction), then check emptiness.
        set_deleting(true)?;
        let prefix = keys::bucket_prefix(name);
        let end = keys::prefix_end(&prefix);
        for tree in [Tree::Versions, Tree::Uploads] {
            if !self.meta.scan(tree, &prefix, end.as_deref(), 1)?.is_empty() {
                set_deleting(false)?;
                return Err(StoreError::BucketNotEmpty(name.to_string()));
            }
        }
        self.meta.transact(|tx| {
            super::usage::forget_bucket(tx, name)?;
            for which in super::bucket_config::BucketConfig::ALL {
                tx.delete(Tree::BucketConfigs, &which.key(name))?;
            }
            tx.delete(Tree::Buckets, name.as_bytes())
                .map_err(StoreError::from)
        })?;
        self.sync().await
    }

    /// The bucket as a write transaction sees it: missing or being deleted is NoSuchBucket.
    pub(super) fn writable_bucket(
        tx: &crate::meta::TxnView<'_>,
        name: &str,
    ) -> Result<BucketRecord, StoreError> {
        match tx.get_record::<BucketRecord>(Tree::Buckets, name.as_bytes())? {
            Some(record) if !record.deleting => Ok(record),
            _ => Err(StoreError::NoSuchBucket(name.to_string())),
        }
    }
}
