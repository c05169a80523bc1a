//! The digests of a body being written (MD5 for the ETag, plus the object's checksum), computed
//! off the async reactor, beside the writer.
//!
//! MD5 is the slowest step of a PUT (~0.45 GiB/s per core, and it cannot be split within one
//! stream — PERF-NOTES, benches/micro), so it must not run in series with receiving and erasure
//! coding. Once a body passes `INLINE_BYTES`, a blocking task takes over the hash state and is fed
//! chunks through a bounded channel: receiving, hashing and encoding then proceed independently,
//! and the channel bound keeps memory flat when hashing is the slower stage. Small bodies never
//! leave the request task: a blocking hop costs more than hashing them.

use bytes::Bytes;
use md5::{Digest, Md5};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::StoreError;
use crate::checksum::{Checksum, ChecksumAlgorithm, ChecksumHasher};

/// Bodies up to this size are hashed on the request task.
const INLINE_BYTES: usize = 1024 * 1024;
/// Chunks (typically 16–64 KiB each) the hashing task may lag behind the receiver.
const QUEUE_CHUNKS: usize = 64;

struct HashState {
    md5: Md5,
    checksum: ChecksumHasher,
}

impl HashState {
    fn update(&mut self, chunk: &[u8]) {
        self.md5.update(chunk);
        self.checksum.update(chunk);
    }
}

pub(super) struct BodyHasher {
    /// The state while hashing on the request task.
    inline: Option<HashState>,
    seen: usize,
    worker: Option<(mpsc::Sender<Bytes>, JoinHandle<HashState>)>,
}

impl BodyHasher {
    pub fn new(algorithm: ChecksumAlgorithm) -> Self {
        BodyHasher {
            inline: Some(HashState {
                md5: Md5::new(),
                checksum: algorithm.hasher(),
            }),
            seen: 0,
            worker: None,
        }
    }

    /// `Bytes` clones share the buffer: the writer and the hasher read the same memory.
    pub async fn update(&mut self, chunk: &Bytes) -> Result<(), StoreError> {
        self.seen += chunk.len();
        if self.worker.is_none()
            && self.seen > INLINE_BYTES
            && let Some(state) = self.inline.take()
        {
            let (sender, mut receiver) = mpsc::channel::<Bytes>(QUEUE_CHUNKS);
            let task = tokio::task::spawn_blocking(move || {
                let mut state = state;
                while let Some(chunk) = receiver.blocking_recv() {
                    state.update(&chunk);
                }
                state
            });
            self.worker = Some((sender, task));
        }
        match (&mut self.inline, &self.worker) {
            (Some(state), _) => state.update(chunk),
            (None, Some((sender, _))) => sender
                .send(chunk.clone())
                .await
                .map_err(|_| StoreError::Internal("hash task ended early".into()))?,
            (None, None) => return Err(StoreError::Internal("hash state lost".into())),
        }
        Ok(())
    }

    /// The MD5 and checksum of everything passed to `update`.
    pub async fn finish(self) -> Result<([u8; 16], Checksum), StoreError> {
        let state = match (self.inline, self.worker) {
            (Some(state), _) => state,
            (None, Some((sender, task))) => {
                drop(sender);
                task.await
                    .map_err(|e| StoreError::Internal(format!("hash task: {e}")))?
            }
            (None, None) => return Err(StoreError::Internal("hash state lost".into())),
        };
        Ok((state.md5.finalize().into(), state.checksum.finish()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn pipelined_digests_equal_one_pass_digests() {
        let data: Vec<u8> = (0..5_000_000u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 11) as u8)
            .collect();
        for chunk_size in [1usize, 4096, 65_536, 1_500_000] {
            let mut hasher = BodyHasher::new(ChecksumAlgorithm::Crc32);
            // Chunk sizes 1 only over a prefix, to keep the test fast.
            let input = if chunk_size == 1 {
                &data[..10_000]
            } else {
                &data[..]
            };
            for piece in input.chunks(chunk_size) {
                hasher
                    .update(&Bytes::copy_from_slice(piece))
                    .await
                    .expect("update");
            }
            let (md5, checksum) = hasher.finish().await.expect("finish");
            assert_eq!(
                md5,
                <[u8; 16]>::from(Md5::digest(input)),
                "chunk size {chunk_size}"
            );
            assert_eq!(checksum, Checksum::compute(ChecksumAlgorithm::Crc32, input));
        }
    }
}
