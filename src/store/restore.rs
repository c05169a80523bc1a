//! Restores of archived versions (GLACIER, DEEP_ARCHIVE: classes whose file has restore tiers;
//! INTELLIGENT_TIERING versions in an archive tier, which use their archive class's tiers).
//!
//! Such a version is not readable until RestoreObject has made a temporary copy of it in the
//! STANDARD layout. The request records a [`RestoreState`] on the version and a due entry at the
//! tier's latency; the lifecycle worker then calls [`Store::advance_restore`], which makes the
//! copy, and, at the copy's expiry, removes it. Reads pick the copy through
//! [`Store::readable_data`]. An INTELLIGENT_TIERING restore has no copy and no expiry: the
//! version's bytes move back to the class's layout and it is in Frequent Access again. All times are in lifecycle days (`Store::day_ms`).

use super::due::{DueTarget, schedule};
use super::versions::{KeyVersions, VersionSelector, version_key};
use super::{Store, StoreError, now_ms};
use crate::classes::{DEFAULT_CLASS, RetrievalTier, StorageClass};
use crate::lifecycle::tiering::AccessTier;
use crate::meta::Tree;
use crate::meta::model::{ObjectData, ObjectVersion, RestoreState, TieringState};

const MINUTE_MS: i64 = 60_000;
const REAL_DAY_MS: i64 = 86_400_000;

/// What RestoreObject did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestoreOutcome {
    /// A restore started (202).
    Started,
    /// The version was already restored: its copy now expires `Days` from now (200).
    Extended,
}

impl Store {
    /// The length of a lifecycle day in milliseconds (`--lifecycle-day-seconds`).
    pub fn day_ms(&self) -> i64 {
        self.day_ms
    }

    /// `t` moved to the next day boundary ("midnight UTC" when days are real days).
    pub fn next_day_boundary(&self, t: i64) -> i64 {
        (t.div_euclid(self.day_ms) + 1) * self.day_ms
    }

    /// RestoreObject on the version `selector` addresses. The caller has checked that the
    /// class offers `tier`.
    pub async fn restore_object(
        &self,
        bucket: &str,
        key: &str,
        selector: VersionSelector,
        days: u32,
        tier: RetrievalTier,
    ) -> Result<RestoreOutcome, StoreError> {
        let version = self.version(bucket, key, selector)?;
        let Some(class) = self.restore_class(&version)? else {
            return Err(StoreError::RestoreNotAllowed);
        };
        let Some(offered) = class.restore_tier(tier) else {
            return Err(StoreError::Internal(format!(
                "{tier:?} restores are not offered by {}",
                class.name
            )));
        };
        let latency_minutes = i64::from(offered.minutes[1]);
        // An archive tier's restore brings the version back to Frequent Access for good.
        let in_place = version.access_tier().needs_restore();
        let at = version_key(bucket, key, &version);
        let now = now_ms();
        let ready = now + latency_minutes * MINUTE_MS * self.day_ms / REAL_DAY_MS;
        // AWS counts the copy's days from the request, rounded up to midnight; a copy that
        // would expire before it is ready lives its days from when it is ready instead.
        let span = i64::from(days) * self.day_ms;
        let expiry = if in_place {
            i64::MAX
        } else {
            self.next_day_boundary(if now + span > ready {
                now + span
            } else {
                ready + span
            })
        };
        let outcome = self.meta.transact(|tx| {
            let Some(mut current) = tx.get_record::<ObjectVersion>(Tree::Versions, &at)? else {
                return Err(StoreError::NoSuchKey(key.to_string()));
            };
            let outcome = match &mut current.restore {
                Some(state) if state.in_progress() => return Err(StoreError::RestoreInProgress),
                Some(state) => {
                    state.expiry_ms = self.next_day_boundary(now + span);
                    RestoreOutcome::Extended
                }
                None => {
                    current.restore = Some(RestoreState {
                        tier: format!("{tier:?}"),
                        requested_ms: now,
                        ready_ms: ready,
                        expiry_ms: expiry,
                        copy: None,
                    });
                    RestoreOutcome::Started
                }
            };
            let step = current.restore.as_ref().map_or(ready, |s| {
                if s.in_progress() {
                    s.ready_ms
                } else {
                    s.expiry_ms
                }
            });
            schedule(tx, step, &restore_target(bucket, key, &at))?;
            let versions = KeyVersions::new(tx, bucket, key);
            let is_latest = versions.latest()?.is_some_and(|l| l.uid == current.uid);
            versions.rewrite(&current, is_latest)?;
            Ok(outcome)
        })?;
        self.sync().await?;
        self.due_wakeup.notify_one();
        Ok(outcome)
    }

    /// The worker's step for a version with a restore: make the copy once it is due, remove it
    /// once it has expired; nothing otherwise (a stale entry).
    pub async fn advance_restore(
        &self,
        bucket: &str,
        key: &str,
        at: &[u8],
        now: i64,
    ) -> Result<(), StoreError> {
        let Some(version) = self.meta.get_record::<ObjectVersion>(Tree::Versions, at)? else {
            return Ok(());
        };
        let Some(state) = &version.restore else {
            return Ok(());
        };
        if state.in_progress() && state.ready_ms <= now && version.access_tier().needs_restore() {
            return self.restore_to_frequent(bucket, key, at, &version).await;
        }
        if state.in_progress() && state.ready_ms <= now {
            let layout = self.class(DEFAULT_CLASS)?.layout.clone();
            let copy = self.reencode(&version.data, &layout).await?;
            let made = self.meta.transact(|tx| {
                let Some(mut current) = tx.get_record::<ObjectVersion>(Tree::Versions, at)? else {
                    return Ok(false);
                };
                let unchanged = current.data == version.data
                    && current
                        .restore
                        .as_ref()
                        .is_some_and(RestoreState::in_progress);
                let Some(state) = current.restore.as_mut().filter(|_| unchanged) else {
                    return Ok(false);
                };
                state.copy = Some(copy.clone());
                let expiry = state.expiry_ms;
                for blob in copy.blobs() {
                    tx.put(Tree::Blobs, &blob.id.0, &[])?;
                }
                schedule(tx, expiry, &restore_target(bucket, key, at))?;
                let versions = KeyVersions::new(tx, bucket, key);
                let is_latest = versions.latest()?.is_some_and(|l| l.uid == current.uid);
                versions.rewrite(&current, is_latest)?;
                Ok::<bool, StoreError>(true)
            });
            match made {
                Ok(true) => {}
                Ok(false) => self.discard_data(&copy).await,
                Err(err) => {
                    self.discard_data(&copy).await;
                    return Err(err);
                }
            }
            return self.sync().await;
        }
        if !state.in_progress() && state.expiry_ms <= now {
            self.meta.transact(|tx| {
                let Some(mut current) = tx.get_record::<ObjectVersion>(Tree::Versions, at)? else {
                    return Ok(());
                };
                let Some(state) = current
                    .restore
                    .take_if(|s| !s.in_progress() && s.expiry_ms <= now)
                else {
                    return Ok(());
                };
                // An inline version's copy is its own inline bytes: nothing to release then.
                for blob in state
                    .copy
                    .as_ref()
                    .map(ObjectData::blobs)
                    .unwrap_or_default()
                {
                    super::gc::release_blob(tx, blob)?;
                }
                let versions = KeyVersions::new(tx, bucket, key);
                let is_latest = versions.latest()?.is_some_and(|l| l.uid == current.uid);
                versions.rewrite(&current, is_latest)?;
                Ok::<(), StoreError>(())
            })?;
            self.gc_wakeup.notify_one();
            return self.sync().await;
        }
        Ok(())
    }

    /// The class whose restore tiers (and latencies) a restore of `version` uses: its own for
    /// GLACIER and DEEP_ARCHIVE, its archive tier's for INTELLIGENT_TIERING; None when the
    /// version is readable without one.
    pub fn restore_class(
        &self,
        version: &ObjectVersion,
    ) -> Result<Option<&StorageClass>, StoreError> {
        let class = self.class(&version.attrs.storage_class)?;
        let archive = class
            .intelligent_tiering
            .as_ref()
            .and_then(|tiers| tiers.archive_class(version.access_tier()));
        match archive {
            Some(archive) => Ok(Some(self.class(archive)?)),
            None => Ok(class.restore_required().then_some(class)),
        }
    }

    /// Completes the restore of an INTELLIGENT_TIERING version from an archive tier: its bytes
    /// move back into the class's own layout and it is in Frequent Access from now.
    async fn restore_to_frequent(
        &self,
        bucket: &str,
        key: &str,
        at: &[u8],
        version: &ObjectVersion,
    ) -> Result<(), StoreError> {
        let layout = self.class(&version.attrs.storage_class)?.layout.clone();
        let data = self.reencode(&version.data, &layout).await?;
        let now = now_ms();
        let made = self.meta.transact(|tx| {
            let Some(mut current) = tx.get_record::<ObjectVersion>(Tree::Versions, at)? else {
                return Ok(false);
            };
            if current.data != version.data || current.restore != version.restore {
                return Ok(false);
            }
            current.data = data.clone();
            current.restore = None;
            current.tiering = Some(TieringState {
                tier: AccessTier::Frequent,
                last_access_ms: now,
            });
            for blob in data.blobs() {
                tx.put(Tree::Blobs, &blob.id.0, &[])?;
            }
            for blob in version.blobs() {
                super::gc::release_blob(tx, blob)?;
            }
            KeyVersions::new(tx, bucket, key).update(&current)?;
            // Its first move from Frequent Access is due from now.
            let target = DueTarget::Key {
                bucket: bucket.to_string(),
                key: key.to_string(),
            };
            schedule(tx, now, &target)?;
            Ok::<bool, StoreError>(true)
        });
        match made {
            Ok(true) => {}
            Ok(false) => {
                self.discard_data(&data).await;
                return Ok(());
            }
            Err(err) => {
                self.discard_data(&data).await;
                return Err(err);
            }
        }
        self.gc_wakeup.notify_one();
        self.sync().await
    }

    /// The data a read of `version` uses: its own, or for an archived version the unexpired
    /// restored copy; [`StoreError::Archived`] when there is none.
    pub fn readable_data<'v>(
        &self,
        version: &'v ObjectVersion,
    ) -> Result<&'v ObjectData, StoreError> {
        let class = self.class(&version.attrs.storage_class)?;
        let tier = version.access_tier();
        if tier.needs_restore() {
            return Err(StoreError::Archived {
                storage_class: class.name.clone(),
                access_tier: Some(tier),
            });
        }
        if !class.restore_required() {
            return Ok(&version.data);
        }
        match &version.restore {
            Some(RestoreState {
                copy: Some(copy),
                expiry_ms,
                ..
            }) if *expiry_ms > now_ms() => Ok(copy),
            _ => Err(StoreError::Archived {
                storage_class: class.name.clone(),
                access_tier: None,
            }),
        }
    }
}

fn restore_target(bucket: &str, key: &str, at: &[u8]) -> DueTarget {
    DueTarget::Restore {
        bucket: bucket.to_string(),
        key: key.to_string(),
        version_key: at.to_vec(),
    }
}
