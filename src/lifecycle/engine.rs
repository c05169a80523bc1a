//! The lifecycle rules of a bucket applied to its keys and uploads: for a key, what is due for
//! each of its versions (`evaluate`, and the access-tier moves of INTELLIGENT_TIERING versions
//! under `tiering`), the earliest of which is carried out when its time has come and otherwise
//! scheduled in the due-date index; for an upload, its abort.
//!
//! One action per look at a key: after it, the key is looked at again at once, since what is
//! due next depends on what was just done (an expiration makes the latest version noncurrent).
//! Every action re-checks inside the store that the version it acts on is still the one that
//! was evaluated, so a racing client write wins and is itself evaluated later.

use std::sync::Arc;
use std::time::Duration;

use crate::lifecycle::evaluate::{Action, ObjectFacts};
use crate::lifecycle::rules::LifecycleConfiguration;
use crate::lifecycle::tiering::{self, AccessTier, BucketTieringConfigurations};
use crate::meta::model::{BucketRecord, ObjectVersion, Versioning};
use crate::store::config_cache::ConfigCache;
use crate::store::due::DueTarget;
use crate::store::transition::Transitioned;
use crate::store::versions::{VersionSelector, version_key};
use crate::store::{Store, StoreError};

/// Keys (or uploads) looked at per step of a bucket scan.
const SCAN_PAGE: usize = 500;

/// Re-encoding transitions read and write at most this many bytes per second, so that they do
/// not take the disks and cores from client requests.
const TRANSITION_BYTES_PER_SECOND: u64 = 64 * 1024 * 1024;

pub struct Engine {
    store: Arc<Store>,
    configs: ConfigCache<LifecycleConfiguration>,
    tiering: ConfigCache<BucketTieringConfigurations>,
}

/// A bucket and what decides its versions' moves.
struct BucketRules {
    record: BucketRecord,
    lifecycle: Option<Arc<LifecycleConfiguration>>,
    tiering: Option<Arc<BucketTieringConfigurations>>,
}

/// What the engine does to a version next.
#[derive(Debug, Clone, Copy)]
enum Step {
    Lifecycle(Action),
    /// Move an INTELLIGENT_TIERING version to this access tier.
    Tier(AccessTier),
}

impl Engine {
    pub fn new(store: Arc<Store>) -> Engine {
        Engine {
            store,
            configs: ConfigCache::default(),
            tiering: ConfigCache::default(),
        }
    }

    /// The bucket and its configurations; None when the bucket is gone.
    fn rules(&self, bucket: &str) -> Result<Option<BucketRules>, StoreError> {
        let record = match self.store.bucket(bucket) {
            Ok(record) => record,
            Err(StoreError::NoSuchBucket(_)) => return Ok(None),
            Err(err) => return Err(err),
        };
        Ok(Some(BucketRules {
            lifecycle: self.configs.get(&self.store, &record)?,
            tiering: self.tiering.get(&self.store, &record)?,
            record,
        }))
    }

    /// The access-tier move due next for `version`, if it is a
    /// monitored INTELLIGENT_TIERING version not being restored.
    fn tier_move(
        &self,
        bucket: &str,
        key: &str,
        version: &ObjectVersion,
        tiering: Option<&BucketTieringConfigurations>,
        now: i64,
    ) -> Option<(i64, AccessTier)> {
        if !self.store.monitored(version) || version.restore.is_some() {
            return None;
        }
        let automatic = self
            .store
            .classes
            .get(&version.attrs.storage_class)?
            .intelligent_tiering
            .as_ref()?
            .automatic();
        let archive = tiering
            .into_iter()
            .flat_map(|configs| configs.thresholds(key, &version.attrs.tags));
        // A read not yet written into the record counts too.
        let pending = self
            .store
            .pending_access(&version_key(bucket, key, version));
        let last = version.last_access_ms().max(pending.unwrap_or(i64::MIN));
        tiering::next_move(
            version.access_tier(),
            last,
            now,
            self.store.day_ms(),
            automatic.into_iter().chain(archive),
        )
    }

    /// Looks at every version of `key`: carries out the earliest action that is due, or
    /// schedules the key for when the next one will be.
    pub async fn key(&self, bucket: &str, key: &str, now: i64) -> Result<(), StoreError> {
        let Some(rules) = self.rules(bucket)? else {
            return Ok(());
        };
        let versions = self.store.key_versions(bucket, key)?;
        let day_ms = self.store.day_ms();
        let mut next: Option<(i64, Step, usize)> = None;
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
                versioned: rules.record.versioning != Versioning::Unversioned,
            };
            if i > 0 && !version.delete_marker {
                newer_noncurrent += 1;
            }
            let lifecycle = rules
                .lifecycle
                .as_ref()
                .and_then(|config| config.next_action(&facts, day_ms))
                .and_then(|(due, action)| held_by_lock(version, due, action))
                .map(|(due, action)| (due, Step::Lifecycle(action)));
            let tier = self
                .tier_move(bucket, key, version, rules.tiering.as_deref(), now)
                .map(|(due, tier)| (due, Step::Tier(tier)));
            // A lifecycle action wins a tie: it may take the version out of the class.
            for (due, step) in lifecycle.into_iter().chain(tier) {
                if next.is_none_or(|(earliest, ..)| due < earliest) {
                    next = Some((due, step, i));
                }
            }
        }
        let Some((due, step, i)) = next else {
            return Ok(());
        };
        let target = DueTarget::Key {
            bucket: bucket.to_string(),
            key: key.to_string(),
        };
        if due > now {
            return self.store.schedule_due(due, &target);
        }
        let acted = match step {
            Step::Lifecycle(action) => {
                self.act(bucket, key, &rules.record, &versions[i], action)
                    .await?
            }
            Step::Tier(tier) => self.move_tier(bucket, key, &versions[i], tier).await?,
        };
        if acted {
            // A millisecond on: the entry being handled (due at or before `now`) has the same
            // key as one at `now`, and the worker removes that key once this returns.
            self.store.schedule_due(now + 1, &target)?;
        }
        Ok(())
    }

    /// Moves `version` to access tier `tier`. Always looks at the key again: a move superseded
    /// by a flushed read leaves no other due entry behind.
    async fn move_tier(
        &self,
        bucket: &str,
        key: &str,
        version: &ObjectVersion,
        tier: AccessTier,
    ) -> Result<bool, StoreError> {
        let outcome = self
            .store
            .move_access_tier(bucket, key, version, tier)
            .await?;
        self.pace(outcome, version.size).await;
        tracing::info!(
            bucket,
            key,
            tier = tier.as_str(),
            ?outcome,
            "lifecycle: access tier"
        );
        Ok(true)
    }

    /// After a re-encoding, waits as long as moving `size` bytes at the transition rate takes.
    async fn pace(&self, outcome: Transitioned, size: u64) {
        if outcome == Transitioned::Rewritten {
            let pause = size as f64 / TRANSITION_BYTES_PER_SECOND as f64;
            tokio::time::sleep(Duration::from_secs_f64(pause)).await;
        }
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
                self.pace(outcome, version.size).await;
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
                match self
                    .store
                    .delete_object(bucket, key, selector, &record.owner, false)
                    .await
                {
                    Ok(outcome) => Ok(outcome.version_id.is_some()),
                    // Locked since the key was looked at: the next look schedules it anew.
                    Err(StoreError::ObjectLocked) => Ok(true),
                    Err(err) => Err(err),
                }
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
        let Some(config) = self.rules(bucket)?.and_then(|rules| rules.lifecycle) else {
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
        let Some(rules) = self.rules(bucket)? else {
            return Ok(());
        };
        if rules.lifecycle.is_none() && rules.tiering.is_none() {
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

/// Object Lock holds back what would remove a version for good: a noncurrent expiration waits
/// for the end of the retention, and for as long as a legal hold is on (the hold's removal
/// rewrites the record, which has the key looked at again). Expiring the current version only
/// adds a delete marker, and transitions keep the lock: both go ahead.
fn held_by_lock(version: &ObjectVersion, due: i64, action: Action) -> Option<(i64, Action)> {
    let Some(lock) = version.lock.filter(|_| action == Action::ExpireNoncurrent) else {
        return Some((due, action));
    };
    if lock.legal_hold == Some(true) {
        return None;
    }
    let until = lock.retention.map_or(due, |r| r.retain_until_ms);
    Some((due.max(until), action))
}
