//! Blobs currently being streamed to clients. A GET reads the version record, then streams its
//! blobs for as long as the client takes; an overwrite committed meanwhile must not delete the
//! shard files under it, so the GC worker skips blobs registered here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::chunk::BlobId;

#[derive(Clone, Default)]
pub struct ActiveReaders {
    counts: Arc<Mutex<HashMap<BlobId, usize>>>,
}

impl ActiveReaders {
    pub fn register(&self, ids: Vec<BlobId>) -> ReadLease {
        if let Ok(mut counts) = self.counts.lock() {
            for id in &ids {
                *counts.entry(*id).or_insert(0) += 1;
            }
        }
        ReadLease {
            readers: self.clone(),
            ids,
        }
    }

    pub fn is_active(&self, id: &BlobId) -> bool {
        self.counts
            .lock()
            .map(|c| c.contains_key(id))
            .unwrap_or(true)
    }
}

/// Held by a response body stream; dropping it (end of body or client gone) releases the blobs.
pub struct ReadLease {
    readers: ActiveReaders,
    ids: Vec<BlobId>,
}

impl Drop for ReadLease {
    fn drop(&mut self) {
        if let Ok(mut counts) = self.readers.counts.lock() {
            for id in &self.ids {
                if let Some(n) = counts.get_mut(id) {
                    *n -= 1;
                    if *n == 0 {
                        counts.remove(id);
                    }
                }
            }
        }
    }
}
