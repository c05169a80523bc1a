//! The loop that takes due entries in time order and carries them out.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::engine::Engine;
use crate::store::due::{DueEntry, DueTarget};
use crate::store::{Store, StoreError, now_ms};

/// Entries handled per index read.
const BATCH: usize = 256;

pub struct LifecycleWorker {
    store: Arc<Store>,
    engine: Engine,
    /// One pass at a time: the worker's own, or one an operator asked for.
    passing: tokio::sync::Mutex<()>,
}

impl LifecycleWorker {
    pub fn new(store: Arc<Store>) -> LifecycleWorker {
        LifecycleWorker {
            engine: Engine::new(store.clone()),
            store,
            passing: tokio::sync::Mutex::new(()),
        }
    }

    /// Runs passes until shutdown: at the next due time, when woken by a new entry, and at least
    /// every tenth of a lifecycle day.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let wakeup = self.store.due_wakeup();
        loop {
            if let Err(err) = self.pass().await {
                tracing::warn!(%err, "lifecycle: pass failed");
            }
            let tenth_of_a_day = self.store.day_ms() / 10;
            let wait_ms = match self.store.next_due_ms() {
                Ok(Some(next)) => (next - now_ms()).clamp(1, tenth_of_a_day.max(1)),
                _ => tenth_of_a_day.max(1),
            };
            tokio::select! {
                _ = wakeup.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(wait_ms as u64)) => {}
                _ = shutdown.changed() => return,
            }
        }
    }

    /// Carries out everything due now; returns how many entries were handled.
    pub async fn pass(&self) -> Result<usize, StoreError> {
        let _one_at_a_time = self.passing.lock().await;
        // Reads first: a version read since the last pass must not move colder in this one.
        self.store.flush_accesses().await?;
        let mut handled = 0;
        loop {
            let now = now_ms();
            let entries = self.store.due_entries(now, BATCH)?;
            if entries.is_empty() {
                return Ok(handled);
            }
            for entry in entries {
                if let Err(err) = self.handle(&entry, now).await {
                    // Leave it for a later pass rather than spin on it now.
                    tracing::warn!(%err, target = ?entry.target, "lifecycle: step failed; retrying later");
                    let retry = now + (self.store.day_ms() / 10).clamp(1, 60_000);
                    self.store.postpone_due(&entry, retry)?;
                    continue;
                }
                self.store.remove_due(&entry)?;
                handled += 1;
            }
        }
    }

    async fn handle(&self, entry: &DueEntry, now: i64) -> Result<(), StoreError> {
        match &entry.target {
            DueTarget::Restore {
                bucket,
                key,
                version_key,
            } => {
                self.store
                    .advance_restore(bucket, key, version_key, now)
                    .await
            }
            DueTarget::Key { bucket, key } => self.engine.key(bucket, key, now).await,
            DueTarget::Upload {
                bucket,
                key,
                upload_id,
            } => self.engine.upload(bucket, key, upload_id, now).await,
            DueTarget::BucketScan {
                bucket,
                uploads,
                after,
            } => self.engine.bucket_scan(bucket, *uploads, after, now).await,
        }
    }
}
