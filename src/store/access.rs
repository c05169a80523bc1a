//! Last-access times of INTELLIGENT_TIERING versions, which decide their access tiers.
//!
//! A read must not cost a metadata write, so reads are noted in memory ([`Store::note_access`])
//! and written into the version records in batches ([`Store::flush_accesses`], at the start of
//! every lifecycle pass). A version in Infrequent or Archive Instant Access that was read moves
//! back to Frequent Access with the flush; the lifecycle engine also consults the notes not yet
//! flushed ([`Store::pending_access`]) before moving a version colder. A crash loses the notes
//! of the last interval: those versions may then move a tier early — a billing matter, their
//! bytes stay readable (archive tiers are opt-in and 90 days away).

use std::collections::HashMap;
use std::sync::Mutex;

use super::due::{DueTarget, schedule};
use super::versions::{KeyVersions, version_key};
use super::{Store, StoreError};
use crate::lifecycle::tiering::AccessTier;
use crate::meta::Tree;
use crate::meta::model::{ObjectVersion, TieringState};

/// Versions whose access times are written per transaction.
const FLUSH_BATCH: usize = 256;

/// Reads noted beyond this wake the lifecycle worker for a flush, which bounds the log's memory
/// (about 100 bytes a version) whatever the length of a lifecycle day.
const FLUSH_AT: usize = 65_536;

/// Reads noted since the last flush: version key → (bucket, key, last read).
#[derive(Default)]
pub(super) struct AccessLog {
    reads: Mutex<HashMap<Vec<u8>, (String, String, i64)>>,
}

impl AccessLog {
    fn take(&self) -> HashMap<Vec<u8>, (String, String, i64)> {
        match self.reads.lock() {
            Ok(mut reads) => std::mem::take(&mut *reads),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        }
    }
}

impl Store {
    /// Notes a read of `version`'s bytes (GET, a copy's source). Only monitored
    /// INTELLIGENT_TIERING versions are tracked; for others this is a class lookup.
    pub fn note_access(&self, bucket: &str, key: &str, version: &ObjectVersion) {
        if !self.monitored(version) {
            return;
        }
        let at = version_key(bucket, key, version);
        let now = super::now_ms();
        let mut reads = match self.access_log.reads.lock() {
            Ok(reads) => reads,
            Err(poisoned) => poisoned.into_inner(),
        };
        reads.insert(at, (bucket.to_string(), key.to_string(), now));
        if reads.len() >= FLUSH_AT {
            self.due_wakeup.notify_one();
        }
    }

    /// Whether `version` moves between access tiers: an INTELLIGENT_TIERING object of at least
    /// the class's monitored size (smaller ones stay in Frequent Access).
    pub fn monitored(&self, version: &ObjectVersion) -> bool {
        !version.delete_marker
            && self
                .classes
                .get(&version.attrs.storage_class)
                .and_then(|class| class.intelligent_tiering.as_ref())
                .is_some_and(|tiers| version.size >= tiers.min_monitored_bytes)
    }

    /// The last read of the version at `at` not yet flushed, if any.
    pub fn pending_access(&self, at: &[u8]) -> Option<i64> {
        let reads = match self.access_log.reads.lock() {
            Ok(reads) => reads,
            Err(poisoned) => poisoned.into_inner(),
        };
        reads.get(at).map(|(_, _, when)| *when)
    }

    /// Writes the noted reads into their versions: the last access, and Frequent Access for a
    /// version in an instant tier. Returns how many versions were updated.
    pub async fn flush_accesses(&self) -> Result<usize, StoreError> {
        let reads: Vec<_> = self.access_log.take().into_iter().collect();
        let mut updated = 0;
        for batch in reads.chunks(FLUSH_BATCH) {
            updated += self.meta.transact(|tx| {
                let mut updated = 0;
                for (at, (bucket, key, when)) in batch {
                    let Some(mut version) = tx.get_record::<ObjectVersion>(Tree::Versions, at)?
                    else {
                        continue;
                    };
                    let was = version.access_tier();
                    let tier = match was {
                        AccessTier::Infrequent | AccessTier::ArchiveInstant => AccessTier::Frequent,
                        // Archived bytes cannot have been read: a read raced the move there,
                        // and only a restore brings them back.
                        other => other,
                    };
                    version.tiering = Some(TieringState {
                        tier,
                        last_access_ms: version.last_access_ms().max(*when),
                    });
                    KeyVersions::new(tx, bucket, key).update(&version)?;
                    // The key's next due entry is the move after the old tier, which may be
                    // later than the first move from Frequent Access now is; a version that
                    // stayed in Frequent keeps an entry no later than its next move.
                    if tier != was {
                        let target = DueTarget::Key {
                            bucket: bucket.clone(),
                            key: key.clone(),
                        };
                        schedule(tx, *when, &target)?;
                    }
                    updated += 1;
                }
                Ok::<usize, StoreError>(updated)
            })?;
        }
        if updated > 0 {
            self.sync().await?;
        }
        Ok(updated)
    }
}
