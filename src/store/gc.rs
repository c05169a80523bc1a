//! Garbage collection of shard files, and healing of damaged blobs.
//!
//! Two sources of garbage: blobs released by a committed transaction (queued in `Tree::Gc`),
//! and orphans — blobs whose files reached disk but whose commit never happened (client gone,
//! precondition failed, `kill -9` between rename and commit). Orphans are found by listing the
//! drives and checking `Tree::Blobs`; only files older than a grace period are touched, so a
//! write in flight is never collected. At start-up, before the listener opens, no write is in
//! flight and the grace period is zero.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, watch};

use super::{Store, StoreError, now_ms};
use crate::chunk::{BlobId, BlobRef};
use crate::meta::{Tree, TxnView};

/// Released blobs wait this long before deletion, covering a GET that read the version record
/// just before the overwrite committed and has not registered its read lease yet.
const RELEASE_GRACE_MS: i64 = 2_000;
/// Orphan candidates younger than this may belong to a write still in flight.
const ORPHAN_GRACE: Duration = Duration::from_secs(15 * 60);
const ORPHAN_SCAN_EVERY: Duration = Duration::from_secs(60 * 60);

#[derive(Debug, Serialize, Deserialize)]
pub struct GcEntry {
    pub blob: BlobRef,
    pub queued_ms: i64,
}

/// Stop referencing `blob` and queue its files for deletion (inside the caller's transaction).
pub fn release_blob(tx: &TxnView<'_>, blob: &BlobRef) -> Result<(), StoreError> {
    tx.delete(Tree::Blobs, &blob.id.0)?;
    tx.put_record(
        Tree::Gc,
        &blob.id.0,
        &GcEntry {
            blob: blob.clone(),
            queued_ms: now_ms(),
        },
    )?;
    Ok(())
}

impl Store {
    /// Delete queued blobs that are past their grace period and not being read. Returns how many.
    pub async fn collect_released(&self) -> Result<usize, StoreError> {
        let mut deleted = 0;
        let mut start = Vec::new();
        loop {
            let batch = self.meta.scan(Tree::Gc, &start, None, 256)?;
            let Some((last, _)) = batch.last() else { break };
            start = last.clone();
            start.push(0);
            for (key, value) in batch {
                let entry: GcEntry = crate::meta::decode(Tree::Gc, &value)?;
                if now_ms() - entry.queued_ms < RELEASE_GRACE_MS
                    || self.readers.is_active(&entry.blob.id)
                {
                    continue;
                }
                self.chunk.delete(&entry.blob).await?;
                self.meta
                    .transact(|tx| tx.delete(Tree::Gc, &key).map_err(StoreError::from))?;
                deleted += 1;
            }
        }
        Ok(deleted)
    }

    /// Delete blobs on disk that no metadata references and that are older than `grace`.
    pub async fn collect_orphans(&self, grace: Duration) -> Result<usize, StoreError> {
        let now = SystemTime::now();
        let mut deleted = 0;
        for (id, modified) in self.chunk.list_blobs().await? {
            let young = now
                .duration_since(modified)
                .map(|age| age < grace)
                .unwrap_or(true);
            if young || self.is_referenced(&id)? {
                continue;
            }
            tracing::info!(blob = %id, "removing orphan blob (written but never committed)");
            self.chunk.delete_by_id(id).await?;
            deleted += 1;
        }
        Ok(deleted)
    }

    fn is_referenced(&self, id: &BlobId) -> Result<bool, StoreError> {
        Ok(self.meta.get(Tree::Blobs, &id.0)?.is_some()
            || self.meta.get(Tree::Gc, &id.0)?.is_some())
    }

    /// Start-up housekeeping, before any request: temp files and orphans of a previous run.
    pub async fn recover(&self) -> Result<(), StoreError> {
        let temps = self.chunk.clean_temp().await?;
        let orphans = self.collect_orphans(Duration::ZERO).await?;
        let released = self.collect_released().await?;
        if temps + orphans + released > 0 {
            tracing::info!(
                temps,
                orphans,
                released,
                "start-up recovery cleaned leftovers"
            );
        }
        Ok(())
    }
}

/// Deletes released blobs when woken by a commit (or every few seconds), and scans for orphans hourly.
pub struct GcWorker {
    pub store: Arc<Store>,
}

impl GcWorker {
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let wakeup: Arc<Notify> = self.store.gc_wakeup();
        let mut last_orphan_scan = tokio::time::Instant::now();
        loop {
            tokio::select! {
                _ = wakeup.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                _ = shutdown.changed() => return,
            }
            // Let the grace period of what was just released pass before collecting.
            tokio::time::sleep(Duration::from_millis(RELEASE_GRACE_MS as u64 + 100)).await;
            if let Err(err) = self.store.collect_released().await {
                tracing::warn!(%err, "gc: collecting released blobs failed");
            }
            if last_orphan_scan.elapsed() >= ORPHAN_SCAN_EVERY {
                last_orphan_scan = tokio::time::Instant::now();
                if let Err(err) = self.store.collect_orphans(ORPHAN_GRACE).await {
                    tracing::warn!(%err, "gc: orphan scan failed");
                }
            }
        }
    }
}

/// Rebuilds shards that reads found missing or corrupt.
pub struct HealWorker {
    pub store: Arc<Store>,
    pub damaged: tokio::sync::mpsc::Receiver<BlobRef>,
}

impl HealWorker {
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        loop {
            let blob = tokio::select! {
                blob = self.damaged.recv() => match blob { Some(blob) => blob, None => return },
                _ = shutdown.changed() => return,
            };
            if !self.store.is_referenced(&blob.id).unwrap_or(false) {
                continue;
            }
            match self.store.chunk.repair(&blob).await {
                Ok(report) => tracing::info!(
                    blob = %blob.id,
                    rebuilt = ?report.rebuilt,
                    skipped_down = ?report.skipped_down,
                    "heal: blob repaired"
                ),
                Err(err) => tracing::warn!(blob = %blob.id, %err, "heal: repair failed"),
            }
        }
    }
}
