//! Group commit: one metadata fsync makes every transaction committed before it durable.
//!
//! Each acknowledged mutation needs its transaction on disk (sled alone flushes every 500 ms,
//! which `kill -9` beats). An fsync costs about a millisecond on this disk while a sled commit
//! costs microseconds, so concurrent writers should share fsyncs: a writer takes a ticket after
//! its commit; whoever finds no flush running becomes the flusher for every ticket issued so far;
//! the others wait until the flushed mark passes their ticket.

use std::sync::Mutex;

use tokio::sync::watch;

use super::StoreError;
use crate::meta::Meta;

#[derive(Default)]
struct Marks {
    issued: u64,
    flushing: bool,
}

pub(super) struct GroupCommit {
    meta: Meta,
    marks: Mutex<Marks>,
    /// The highest ticket known durable.
    flushed: watch::Sender<u64>,
}

impl GroupCommit {
    pub fn new(meta: Meta) -> Self {
        GroupCommit {
            meta,
            marks: Mutex::new(Marks::default()),
            flushed: watch::channel(0).0,
        }
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Marks>, StoreError> {
        self.marks
            .lock()
            .map_err(|_| StoreError::Internal("group commit lock poisoned".into()))
    }

    /// Returns once everything committed before the call is durable.
    pub async fn sync(&self) -> Result<(), StoreError> {
        let ticket = {
            let mut marks = self.lock()?;
            marks.issued += 1;
            marks.issued
        };
        let mut flushed = self.flushed.subscribe();
        loop {
            let flush_up_to = {
                let mut marks = self.lock()?;
                if *flushed.borrow_and_update() >= ticket {
                    return Ok(());
                }
                if marks.flushing {
                    None
                } else {
                    marks.flushing = true;
                    Some(marks.issued)
                }
            };
            match flush_up_to {
                Some(up_to) => {
                    let meta = self.meta.clone();
                    let result = tokio::task::spawn_blocking(move || meta.flush())
                        .await
                        .map_err(|e| StoreError::Internal(format!("flush task: {e}")))
                        .and_then(|r| r.map_err(StoreError::from));
                    self.lock()?.flushing = false;
                    if result.is_ok() {
                        self.flushed.send_if_modified(|mark| {
                            let advanced = up_to > *mark;
                            *mark = (*mark).max(up_to);
                            advanced
                        });
                    } else {
                        // Let a waiter take over the next attempt.
                        self.flushed.send_modify(|_| {});
                    }
                    result?;
                }
                None => {
                    if flushed.changed().await.is_err() {
                        return Err(StoreError::Internal("group commit closed".into()));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_syncs_all_return_and_share_flushes() {
        let meta = Meta::new(Arc::new(crate::meta::memory::MemoryBackend::default()));
        let group = Arc::new(GroupCommit::new(meta));
        let tasks: Vec<_> = (0..64)
            .map(|_| {
                let group = group.clone();
                tokio::spawn(async move { group.sync().await })
            })
            .collect();
        for task in tasks {
            task.await.expect("join").expect("sync");
        }
        assert_eq!(*group.flushed.borrow(), 64);
    }
}
