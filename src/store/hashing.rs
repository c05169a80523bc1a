//! The digests of a body being written (MD5 for the ETag, plus the object's checksum), computed
//! off the async reactor and one batch behind the writer.
//!
//! MD5 is the slowest step of a PUT (~0.5 GiB/s per core, and it cannot be split within one
//! stream — PERF-NOTES), so it must not run in series with erasure coding on the request task.
//! Chunks are gathered into ~1 MiB batches; each batch is hashed in a blocking task that takes
//! the hash state from the previous batch's task, so hashing batch N overlaps with receiving and
//! encoding batch N+1 while the digest still sees the bytes in order. Small bodies never leave
//! the request task: a blocking hop costs more than hashing them.

use bytes::Bytes;
use md5::{Digest, Md5};
use tokio::task::JoinHandle;

use super::StoreError;
use crate::checksum::{Checksum, ChecksumAlgorithm, ChecksumHasher};

/// Hand a batch to a blocking task once this much is gathered.
const BATCH_BYTES: usize = 1024 * 1024;

struct HashState {
    md5: Md5,
    checksum: ChecksumHasher,
}

impl HashState {
    fn update(&mut self, batch: &[Bytes]) {
        for chunk in batch {
            self.md5.update(chunk);
            self.checksum.update(chunk);
        }
    }
}

pub(super) struct BodyHasher {
    /// The state when no task holds it.
    idle: Option<HashState>,
    running: Option<JoinHandle<HashState>>,
    batch: Vec<Bytes>,
    batched: usize,
}

impl BodyHasher {
    pub fn new(algorithm: ChecksumAlgorithm) -> Self {
        BodyHasher {
            idle: Some(HashState {
                md5: Md5::new(),
                checksum: algorithm.hasher(),
            }),
            running: None,
            batch: Vec::new(),
            batched: 0,
        }
    }

    /// `Bytes` clones share the buffer: the writer and the hasher read the same memory.
    pub async fn update(&mut self, chunk: &Bytes) -> Result<(), StoreError> {
        self.batched += chunk.len();
        self.batch.push(chunk.clone());
        if self.batched >= BATCH_BYTES {
            self.launch().await?;
        }
        Ok(())
    }

    async fn state(&mut self) -> Result<HashState, StoreError> {
        match (self.running.take(), self.idle.take()) {
            (Some(task), _) => task
                .await
                .map_err(|e| StoreError::Internal(format!("hash task: {e}"))),
            (None, Some(state)) => Ok(state),
            (None, None) => Err(StoreError::Internal("hash state lost".into())),
        }
    }

    async fn launch(&mut self) -> Result<(), StoreError> {
        let batch = std::mem::take(&mut self.batch);
        self.batched = 0;
        let mut state = self.state().await?;
        self.running = Some(tokio::task::spawn_blocking(move || {
            state.update(&batch);
            state
        }));
        Ok(())
    }

    /// The MD5 and checksum of everything passed to `update`.
    pub async fn finish(mut self) -> Result<([u8; 16], Checksum), StoreError> {
        let mut state = self.state().await?;
        state.update(&self.batch);
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
