//! Restores of archived versions (GLACIER, DEEP_ARCHIVE: classes whose file has restore tiers).
//!
//! Such a version is not readable until RestoreObject has made a temporary copy of it in the
//! STANDARD layout. The request records a [`RestoreState`] on the version and a due entry at the
//! tier's latency; the lifecycle worker then calls [`Store::advance_restore`], which makes the
//! copy, and, at the copy's expiry, removes it. Reads pick the copy through
//! [`Store::readable_data`]. All times are in lifecycle days (`Store::day_ms`).

use super::due::{DueTarget, schedule};
use super::versions::{KeyVersions, VersionSelector, version_key};
use super::{Store, StoreError, now_ms};
use crate::classes::{DEFAULT_CLASS, RetrievalTier};
use crate::meta::Tree;
use crate::meta::model::{ObjectData, ObjectVersion, RestoreState};

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
        let class = self.class(&version.attrs.storage_class)?;
        let latency_minutes = match class.restore_tier(tier) {
            Some(offered) => i64::from(offered.minutes[1]),
            None if class.restore_required() => {
                return Err(StoreError::Internal(format!(
                    "{tier:?} restores are not offered by {}",
                    class.name
                )));
            }
            None => return Err(StoreError::RestoreNotAllowed),
        };
        let at = version_key(bucket, key, &version);
        let now = now_ms();
        let ready = now + latency_minutes * MINUTE_MS * self.day_ms / REAL_DAY_MS;
        // AWS counts the copy's days from the request, rounded up to midnight; a copy that
        // would expire before it is ready lives its days from when it is ready instead.
        let span = i64::from(days) * self.day_ms;
        let expiry = self.next_day_boundary(if now + span > ready {
            now + span
        } else {
            ready + span
        });
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

    /// The data a read of `version` uses: its own, or for an archived version the unexpired
    /// restored copy; [`StoreError::Archived`] when there is none.
    pub fn readable_data<'v>(
        &self,
        version: &'v ObjectVersion,
    ) -> Result<&'v ObjectData, StoreError> {
        let class = self.class(&version.attrs.storage_class)?;
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
