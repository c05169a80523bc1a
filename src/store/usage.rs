//! Per-bucket version accounting: objects and bytes of current and noncurrent versions, and
//! delete markers. Lifecycle and the cost reports read it; the admin endpoint shows it.
//!
//! The counters change in the same transaction as the versions they count, so they are exact.
//! Each bucket's counters are split over [`SHARDS`] records chosen by a hash of the object key:
//! every write transaction reads and rewrites one of them, and concurrent writes to different
//! keys then rarely touch the same record (a conflict makes the engine re-run a transaction).

use serde::{Deserialize, Serialize};

use super::{Store, StoreError};
use crate::meta::model::ObjectVersion;
use crate::meta::{Tree, TxnView, decode, keys};

const SHARDS: u8 = 16;

/// Totals for one bucket (or changes to them, in a transaction).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub current_objects: i64,
    pub current_bytes: i64,
    pub noncurrent_objects: i64,
    pub noncurrent_bytes: i64,
    pub delete_markers: i64,
}

impl Usage {
    fn add(&mut self, other: &Usage) {
        self.current_objects += other.current_objects;
        self.current_bytes += other.current_bytes;
        self.noncurrent_objects += other.noncurrent_objects;
        self.noncurrent_bytes += other.noncurrent_bytes;
        self.delete_markers += other.delete_markers;
    }
}

/// The changes one transaction makes to its key's counters.
#[derive(Debug, Default)]
pub(super) struct UsageDelta(Usage);

impl UsageDelta {
    /// `version` became the latest (a new write or marker on top).
    pub fn add_latest(&mut self, version: &ObjectVersion) {
        if version.delete_marker {
            self.0.delete_markers += 1;
        } else {
            self.0.current_objects += 1;
            self.0.current_bytes += version.size as i64;
        }
    }

    /// The latest (not a marker) got a newer version on top.
    pub fn demote(&mut self, version: &ObjectVersion) {
        self.0.current_objects -= 1;
        self.0.current_bytes -= version.size as i64;
        self.0.noncurrent_objects += 1;
        self.0.noncurrent_bytes += version.size as i64;
    }

    /// A noncurrent version (not a marker) became the latest.
    pub fn promote(&mut self, version: &ObjectVersion) {
        self.0.noncurrent_objects -= 1;
        self.0.noncurrent_bytes -= version.size as i64;
        self.0.current_objects += 1;
        self.0.current_bytes += version.size as i64;
    }

    pub fn remove(&mut self, version: &ObjectVersion, was_latest: bool) {
        if version.delete_marker {
            self.0.delete_markers -= 1;
        } else if was_latest {
            self.0.current_objects -= 1;
            self.0.current_bytes -= version.size as i64;
        } else {
            self.0.noncurrent_objects -= 1;
            self.0.noncurrent_bytes -= version.size as i64;
        }
    }

    pub fn apply(self, tx: &TxnView<'_>, bucket: &str, key: &str) -> Result<(), StoreError> {
        if self.0 == Usage::default() {
            return Ok(());
        }
        let at = shard_key(bucket, shard_of(key));
        let mut usage: Usage = tx.get_record(Tree::Usage, &at)?.unwrap_or_default();
        usage.add(&self.0);
        tx.put_record(Tree::Usage, &at, &usage)?;
        Ok(())
    }
}

fn shard_of(key: &str) -> u8 {
    // FNV-1a: stable across builds and platforms, which a persisted layout needs.
    let hash = key.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    (hash % u32::from(SHARDS)) as u8
}

fn shard_key(bucket: &str, shard: u8) -> Vec<u8> {
    let mut out = keys::bucket_prefix(bucket);
    out.push(shard);
    out
}

/// Remove a bucket's counters (in DeleteBucket's transaction).
pub(super) fn forget_bucket(tx: &TxnView<'_>, bucket: &str) -> Result<(), StoreError> {
    for shard in 0..SHARDS {
        tx.delete(Tree::Usage, &shard_key(bucket, shard))?;
    }
    Ok(())
}

impl Store {
    /// The bucket's version accounting.
    pub fn usage(&self, bucket: &str) -> Result<Usage, StoreError> {
        self.bucket(bucket)?;
        let prefix = keys::bucket_prefix(bucket);
        let end = keys::prefix_end(&prefix);
        let mut total = Usage::default();
        for (_, value) in
            self.meta
                .scan(Tree::Usage, &prefix, end.as_deref(), usize::from(SHARDS))?
        {
            total.add(&decode(Tree::Usage, &value)?);
        }
        Ok(total)
    }

    /// The accounting recomputed from the versions themselves (one scan of the bucket's
    /// versions): what [`Store::usage`] must equal.
    pub fn count_usage(&self, bucket: &str) -> Result<Usage, StoreError> {
        let mut total = Usage::default();
        let mut previous_key: Option<String> = None;
        self.for_each_version(bucket, |key, version| {
            let is_latest = previous_key.as_deref() != Some(key);
            if is_latest {
                previous_key = Some(key.to_string());
            }
            let size = version.size as i64;
            if version.delete_marker {
                total.delete_markers += 1;
            } else if is_latest {
                total.current_objects += 1;
                total.current_bytes += size;
            } else {
                total.noncurrent_objects += 1;
                total.noncurrent_bytes += size;
            }
            Ok(())
        })?;
        Ok(total)
    }

    /// Every version of the bucket (delete markers included), by key, newest first within a
    /// key: one scan of `Tree::Versions`, a page at a time.
    pub(super) fn for_each_version(
        &self,
        bucket: &str,
        mut visit: impl FnMut(&str, &ObjectVersion) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.bucket(bucket)?;
        let prefix = keys::bucket_prefix(bucket);
        let end = keys::prefix_end(&prefix);
        let mut start = prefix.clone();
        loop {
            let batch = self
                .meta
                .scan(Tree::Versions, &start, end.as_deref(), 1000)?;
            let Some((last, _)) = batch.last() else {
                return Ok(());
            };
            start = last.clone();
            start.push(0);
            for (raw_key, value) in &batch {
                let Some((key, _)) = keys::split_escaped(bucket, raw_key) else {
                    continue;
                };
                let version: ObjectVersion = decode(Tree::Versions, value)?;
                visit(&key, &version)?;
            }
        }
    }

    /// Rebuild the counters of every bucket from its versions: data written before the counters
    /// existed has none. Runs at start-up when the counters are missing altogether.
    pub async fn recount_usage_if_missing(&self) -> Result<(), StoreError> {
        if !self.meta.scan(Tree::Usage, &[], None, 1)?.is_empty()
            || self.meta.scan(Tree::Versions, &[], None, 1)?.is_empty()
        {
            return Ok(());
        }
        for bucket in self.list_buckets()? {
            let usage = self.count_usage(&bucket.name)?;
            self.meta.transact(|tx| {
                forget_bucket(tx, &bucket.name)?;
                tx.put_record(Tree::Usage, &shard_key(&bucket.name, 0), &usage)?;
                Ok::<(), StoreError>(())
            })?;
            tracing::info!(bucket = %bucket.name, ?usage, "version accounting rebuilt");
        }
        self.sync().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_stable_and_spread() {
        assert_eq!(shard_of(""), (0x811c_9dc5u32 % 16) as u8);
        let used: std::collections::HashSet<u8> =
            (0..200).map(|i| shard_of(&format!("key-{i}"))).collect();
        assert_eq!(used.len(), usize::from(SHARDS));
    }
}
