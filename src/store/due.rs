//! The due-date index (`Tree::Due`): what the lifecycle worker must look at, and when.
//!
//! Key: due time (ms since the epoch, big-endian, so the tree sorts by time) ‖ kind ‖ the
//! target's identity; value: the target. An entry is written in the transaction that creates
//! its reason (a restore request, a write under lifecycle rules, ...). Entries are never moved:
//! when a reason changes, a new entry is written, and the old one, once due, finds nothing to do
//! because the worker re-derives every step from the current records. A pass therefore reads
//! what is due, not every object.

use serde::{Deserialize, Serialize};

use super::{Store, StoreError};
use crate::meta::{Tree, TxnView, decode, keys};

/// What a due entry asks the worker to look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DueTarget {
    /// A version's restore: make the copy (ready) or remove it (expired).
    Restore {
        bucket: String,
        key: String,
        /// The version's key in `Tree::Versions`.
        version_key: Vec<u8>,
    },
    /// The lifecycle rules of a key's versions: what is due, and when the next thing is.
    Key { bucket: String, key: String },
    /// An incomplete multipart upload under an AbortIncompleteMultipartUpload rule.
    Upload {
        bucket: String,
        key: String,
        upload_id: String,
    },
    /// A bucket whose lifecycle configuration changed: its keys and uploads are looked at
    /// again, a page at a time, after `after` (an `Objects` or `Uploads` key; empty: start).
    BucketScan {
        bucket: String,
        uploads: bool,
        after: Vec<u8>,
    },
}

impl DueTarget {
    fn kind(&self) -> u8 {
        match self {
            DueTarget::Restore { .. } => 1,
            DueTarget::Key { .. } => 2,
            DueTarget::Upload { .. } => 3,
            DueTarget::BucketScan { .. } => 4,
        }
    }

    fn identity(&self) -> Vec<u8> {
        match self {
            DueTarget::Restore { version_key, .. } => version_key.clone(),
            DueTarget::Key { bucket, key } => keys::object(bucket, key),
            DueTarget::Upload {
                bucket,
                key,
                upload_id,
            } => keys::upload(bucket, key, upload_id),
            DueTarget::BucketScan {
                bucket,
                uploads,
                after,
            } => {
                let mut id = keys::bucket_prefix(bucket);
                id.push(u8::from(*uploads));
                id.extend_from_slice(after);
                id
            }
        }
    }
}

/// One entry of the index.
#[derive(Debug, Clone)]
pub struct DueEntry {
    /// The entry's key (to remove it once handled).
    pub at: Vec<u8>,
    pub due_ms: i64,
    pub target: DueTarget,
}

fn entry_key(due_ms: i64, target: &DueTarget) -> Vec<u8> {
    let identity = target.identity();
    let mut key = Vec::with_capacity(9 + identity.len());
    key.extend_from_slice(&(due_ms.max(0) as u64).to_be_bytes());
    key.push(target.kind());
    key.extend_from_slice(&identity);
    key
}

/// Schedules `target` for `due_ms`, inside the caller's transaction.
pub(super) fn schedule(
    tx: &TxnView<'_>,
    due_ms: i64,
    target: &DueTarget,
) -> Result<(), StoreError> {
    tx.put_record(Tree::Due, &entry_key(due_ms, target), target)?;
    Ok(())
}

impl Store {
    /// Schedules `target` for `due_ms` in a transaction of its own and wakes the worker.
    pub fn schedule_due(&self, due_ms: i64, target: &DueTarget) -> Result<(), StoreError> {
        self.meta.transact(|tx| schedule(tx, due_ms, target))?;
        self.due_wakeup.notify_one();
        Ok(())
    }

    /// Up to `limit` entries due at or before `now_ms`, earliest first.
    pub fn due_entries(&self, now_ms: i64, limit: usize) -> Result<Vec<DueEntry>, StoreError> {
        let end = ((now_ms.max(0) as u64) + 1).to_be_bytes();
        let mut entries = Vec::new();
        for (at, value) in self.meta.scan(Tree::Due, &[], Some(&end), limit)? {
            let due_ms = at
                .get(..8)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_be_bytes)
                .unwrap_or(0) as i64;
            let target: DueTarget = decode(Tree::Due, &value)?;
            entries.push(DueEntry { at, due_ms, target });
        }
        Ok(entries)
    }

    /// The earliest due time in the index, if any (the worker sleeps until then).
    pub fn next_due_ms(&self) -> Result<Option<i64>, StoreError> {
        Ok(self
            .meta
            .scan(Tree::Due, &[], None, 1)?
            .first()
            .and_then(|(at, _)| at.get(..8)?.try_into().ok())
            .map(|b| u64::from_be_bytes(b) as i64))
    }

    /// Moves an entry that could not be handled now to `due_ms`.
    pub fn postpone_due(&self, entry: &DueEntry, due_ms: i64) -> Result<(), StoreError> {
        self.meta.transact(|tx| {
            tx.delete(Tree::Due, &entry.at)?;
            schedule(tx, due_ms, &entry.target)
        })
    }

    /// Removes a handled entry.
    pub fn remove_due(&self, entry: &DueEntry) -> Result<(), StoreError> {
        self.meta.transact(|tx| {
            tx.delete(Tree::Due, &entry.at)?;
            Ok::<(), StoreError>(())
        })
    }
}

impl Store {
    /// A bucket's lifecycle configuration was put: its keys and uploads are looked at again.
    pub async fn lifecycle_changed(&self, bucket: &str) -> Result<(), StoreError> {
        let now = super::now_ms();
        for uploads in [false, true] {
            let target = DueTarget::BucketScan {
                bucket: bucket.to_string(),
                uploads,
                after: Vec::new(),
            };
            self.meta.transact(|tx| schedule(tx, now, &target))?;
        }
        self.sync().await?;
        self.due_wakeup.notify_one();
        Ok(())
    }
}

impl Store {
    /// A page of the bucket's keys (those with any version) after the `Objects` key `after`
    /// (all when empty): (the tree key, to continue after it; the object key).
    pub fn keys_after(
        &self,
        bucket: &str,
        after: &[u8],
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, String)>, StoreError> {
        let page = self.page_after(Tree::Objects, bucket, after, limit)?;
        Ok(page
            .into_iter()
            .filter_map(|at| keys::object_key_of(bucket, &at).map(|key| (at, key)))
            .collect())
    }

    /// A page of the bucket's multipart uploads after the `Uploads` key `after`: (the tree
    /// key, the object key, the upload id).
    pub fn uploads_after(
        &self,
        bucket: &str,
        after: &[u8],
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, String, String)>, StoreError> {
        let page = self.page_after(Tree::Uploads, bucket, after, limit)?;
        Ok(page
            .into_iter()
            .filter_map(|at| keys::split_upload(bucket, &at).map(|(key, id)| (at, key, id)))
            .collect())
    }

    fn page_after(
        &self,
        tree: Tree,
        bucket: &str,
        after: &[u8],
        limit: usize,
    ) -> Result<Vec<Vec<u8>>, StoreError> {
        let prefix = keys::bucket_prefix(bucket);
        let mut start = if after.is_empty() {
            prefix.clone()
        } else {
            after.to_vec()
        };
        if !after.is_empty() {
            start.push(0);
        }
        let end = keys::prefix_end(&prefix);
        Ok(self
            .meta
            .scan(tree, &start, end.as_deref(), limit)?
            .into_iter()
            .map(|(at, _)| at)
            .collect())
    }
}
