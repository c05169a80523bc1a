//! The lifecycle rules of a bucket applied to its keys and uploads: for a key, what is due for
//! each of its versions (`evaluate`), the earliest of which is carried out when its time has
//! come and otherwise scheduled in the due-date index; for an upload, its abort.
//!
//! One action per look at a key: after it, the key is looked at again at once, since what is
//! due next depends on what was just done (an expiration makes the latest version noncurrent).
//! Every action re-checks inside the store that the version it acts on is still the one that
//! was evaluated, so a racing client write wins and is itself evaluated later.

use std::sync::Arc;
use std::time::Duration;

use crate::lifecycle::evaluate::{Action, ObjectFacts};
use crate::lifecycle::rules::LifecycleConfiguration;
use crate::meta::model::{BucketRecord, ObjectVersion, Versioning};
use crate::store::config_cache::ConfigCache;
use crate::store::due::DueTarget;
use crate::store::transition::Transitioned;
use crate::store::versions::VersionSelector;
use crate::store::{Store, StoreError};

/// Keys (or uploads) looked at per step of a bucket scan.
const SCAN_PAGE: usize = 500;

/// Re-encoding transitions read and write at most this many bytes per second, so that they do
/// not take the disks and cores from client requests.
const TRANSITION_BYTES_PER_SECOND: u64 = 64 * 1024 * 1024;

pub struct Engine {
    store: Arc<Store>,
    configs: ConfigCache<LifecycleConfiguration>,
}

impl Engine {
    pub fn new(store: Arc<Store>) -> Engine {
        Engine {
            store,
            configs: ConfigCache::default(),
        }
    }

    /// The bucket and its lifecycle configuration; None when either is gone.
    fn rules(
        &self,
        bucket: &str,
    ) -> Result<Option<(BucketRecord, Arc<LifecycleConfiguration>)>, StoreError> {
        let record = match self.store.bucket(bucket) {
            Ok(record) => record,
            Err(StoreError::NoSuchBucket(_)) => return Ok(None),
            Err(err) => return Err(err),
        };
        Ok(self
            .configs
            .get(&self.store, &record)?
            .map(|config| (record, config)))
    }

    /// Looks at every version of `key`: carries out the earliest action that is due, or
    /// schedules the key for when the next one will be.
    pub async fn key(&self, bucket: &str, key: &str, now: i64) -> Result<(), StoreError> {
        let Some((record, config)) = self.rules(bucket)? else {
            return Ok(());
        };
        let versions = self.store.key_versions(bucket, key)?;
        let day_ms = self.store.day_ms();
        let mut next: Option<(i64, Action, usize)> = None;
        let mut newer_noncurrent = 0;
        for (i, version) in versions.iter().enumerate() {
            let facts = ObjectFacts {
                key,
                size: version.size,
                tags: &version.attrs.tags,
                created_ms: version.last_modified_ms,
                storage_class: &version.attrs.storage_class,
                is_latest: i == 0,
                is_delete_marker: version.delete_marker,
                sole_version: versions.len() == 1,
                noncurrent_since_ms: i
                    .checked_sub(1)
                    .map(|newer| versions[newer].last_modified_ms),
                newer_noncurrent_count: newer_noncurrent,
                versioned: record.versioning != Versioning::Unversioned,
            };
            if i > 0 && !version.delete_marker {
                newer_noncurrent += 1;
            }
            if let Some((due, action)) = config.next_action(&facts, day_ms)
                && next.is_none_or(|(earliest, ..)| due < earliest)
            {
                next = Some((due, action, i));
            }
        }
        let Some((due, action, i)) = next else {
            return Ok(());
        };
        let target = DueTarget::Key {
            bucket: bucket.to_string(),
            key: key.to_string(),
        };
        if due > now {
            return self.store.schedule_due(due, &target);
        }
        if self.act(bucket, key, &record, &versions[i], action).await? {
            // A millisecond on: the entry being handled (due at or before `now`) has the same
            // key as one at `now`, and the worker removes that key once this returns.
            self.store.schedule_due(now + 1, &target)?;
        }
        Ok(())
    }

    /// Carries out `action` on `version`; whether anything changed.
    async fn act(
        &self,
        bucket: &str,
        key: &str,
        record: &BucketRecord,
        version: &ObjectVersion,
        action: Action,
    ) -> Result<bool, StoreError> {
        match action {
            Action::Expire => Ok(self
                .store
                .expire_latest(bucket, key, &record.owner, &version.uid)
                .await?
                .is_some()),
            Action::Transition(class) | Action::TransitionNoncurrent(class) => {
                let outcome = self
                    .store
                    .transition_version(bucket, key, version, class.as_str())
                    .await?;
                if outcome == Transitioned::Rewritten {
                    let pause = version.size as f64 / TRANSITION_BYTES_PER_SECOND as f64;
                    tokio::time::sleep(Duration::from_secs_f64(pause)).await;
                }
                tracing::info!(
                    bucket,
                    key,
                    class = class.as_str(),
                    ?outcome,
                    "lifecycle: transition"
                );
                Ok(outcome != Transitioned::Superseded)
            }
            Action::ExpireNoncurrent | Action::RemoveExpiredDeleteMarker => {
                let selector = VersionSelector::of(version);
                let outcome = self
                    .store
                    .delete_object(bucket, key, selector, &record.owner)
                    .await?;
                Ok(outcome.version_id.is_some())
            }
        }
    }

    /// An incomplete multipart upload: aborted when an AbortIncompleteMultipartUpload rule
    /// says so, else scheduled for then.
    pub async fn upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let Some((_, config)) = self.rules(bucket)? else {
            return Ok(());
        };
        let upload = match self.store.upload(bucket, key, upload_id) {
            Ok(upload) => upload,
            Err(StoreError::NoSuchUpload(_)) => return Ok(()),
            Err(err) => return Err(err),
        };
        match config.abort_due(key, upload.initiated_ms, self.store.day_ms()) {
            Some((due, _)) if due <= now => {
                match self.store.abort_upload(bucket, key, upload_id).await {
                    Ok(()) | Err(StoreError::NoSuchUpload(_)) => Ok(()),
                    Err(err) => Err(err),
                }
            }
            Some((due, _)) => {
                let target = DueTarget::Upload {
                    bucket: bucket.to_string(),
                    key: key.to_string(),
                    upload_id: upload_id.to_string(),
                };
                self.store.schedule_due(due, &target)
            }
            None => Ok(()),
        }
    }

    /// One page of a bucket's keys (or uploads) after a configuration change; the next page
    /// is scheduled at once.
    pub async fn bucket_scan(
        &self,
        bucket: &str,
        uploads: bool,
        after: &[u8],
        now: i64,
    ) -> Result<(), StoreError> {
        if self.rules(bucket)?.is_none() {
            return Ok(());
        }
        let last = if uploads {
            let page = self.store.uploads_after(bucket, after, SCAN_PAGE)?;
            for (_, key, upload_id) in &page {
                if let Err(err) = self.upload(bucket, key, upload_id, now).await {
                    tracing::warn!(bucket, key, %err, "lifecycle: upload not evaluated");
                }
            }
            (page.len() == SCAN_PAGE).then(|| page.last().map(|(at, ..)| at.clone()))
        } else {
            let page = self.store.keys_after(bucket, after, SCAN_PAGE)?;
            for (_, key) in &page {
                if let Err(err) = self.key(bucket, key, now).await {
                    tracing::warn!(bucket, key, %err, "lifecycle: key not evaluated");
                }
            }
            (page.len() == SCAN_PAGE).then(|| page.last().map(|(at, _)| at.clone()))
        };
        if let Some(Some(after)) = last {
            let target = DueTarget::BucketScan {
                bucket: bucket.to_string(),
                uploads,
                after,
            };
            self.store.schedule_due(now, &target)?;
        }
        Ok(())
    }
}
