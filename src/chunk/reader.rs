//! Reading a byte range of a blob as a stream, reconstructing around damage.
//!
//! [`read_stream`] walks the stripes the range touches. For each, a [`StripeReader`] on a blocking
//! thread reads only the data blocks covering the range (pread), verifies their blake3 and returns
//! slices of them, without copying. If a needed block is missing, corrupt or on a down drive, it reads
//! other blocks of that stripe until it has k healthy ones, rebuilds the missing data with
//! Reed–Solomon, logs the damage and sends the blob once to the damage channel.
//!
//! Must not: buffer more than the current stripe plus one stripe of read-ahead, or do file I/O on the
//! reactor. Invariants: every byte returned was either verified against its block hash or rebuilt
//! from k verified blocks; fewer than k healthy blocks in a needed stripe ends the stream with
//! `Unrecoverable`.

use std::collections::VecDeque;
use std::fs::File;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::Stream;
use reed_solomon_erasure::galois_8::ReedSolomon;
use tokio::task::JoinHandle;

use super::layout::StripeGeometry;
use super::shard::{ShardFault, open_shard, read_block};
use super::stripe::reconstruct;
use super::{BlobRef, ChunkError, StoreInner, join_blocking};

/// The stream behind [`ChunkStore::read`](super::ChunkStore::read).
pub(super) fn read_stream(
    inner: Arc<StoreInner>,
    blob: BlobRef,
    range: std::ops::Range<u64>,
) -> impl Stream<Item = Result<Bytes, ChunkError>> + Send + 'static {
    // The caller guarantees end <= size; clipping keeps a caller's off-by-one from turning into a
    // read of padding.
    let end = range.end.min(blob.size);
    let start = range.start.min(end);
    let state = match blob.check().and_then(|()| StripeReader::new(inner, blob)) {
        Ok(reader) => {
            let stripes = reader.geometry.stripes_of_range(start, end);
            ReadState {
                reader: Some(Box::new(reader)),
                ahead: None,
                ready: VecDeque::new(),
                next_stripe: stripes.start,
                stripes_end: stripes.end,
                range: (start, end),
                error: None,
            }
        }
        Err(e) => ReadState {
            reader: None,
            ahead: None,
            ready: VecDeque::new(),
            next_stripe: 0,
            stripes_end: 0,
            range: (start, end),
            error: Some(e),
        },
    };
    futures_util::stream::unfold(state, |mut state| async move {
        let item = state.next_piece().await?;
        Some((item, state))
    })
}

type StripeTask = JoinHandle<(Box<StripeReader>, Result<Vec<Bytes>, ChunkError>)>;

struct ReadState {
    /// With the stream while no stripe task runs; inside the task otherwise.
    reader: Option<Box<StripeReader>>,
    /// The read-ahead: the next stripe, being read while the current one is consumed.
    ahead: Option<StripeTask>,
    ready: VecDeque<Bytes>,
    next_stripe: u64,
    stripes_end: u64,
    range: (u64, u64),
    /// Ends the stream after being yielded.
    error: Option<ChunkError>,
}

impl ReadState {
    async fn next_piece(&mut self) -> Option<Result<Bytes, ChunkError>> {
        loop {
            if let Some(piece) = self.ready.pop_front() {
                return Some(Ok(piece));
            }
            if let Some(e) = self.error.take() {
                self.next_stripe = self.stripes_end;
                self.reader = None;
                return Some(Err(e));
            }
            if self.ahead.is_none() && !self.start_next() {
                return None;
            }
            let task = self.ahead.take()?;
            match join_blocking(task).await {
                Ok((reader, result)) => {
                    self.reader = Some(reader);
                    match result {
                        Ok(pieces) => {
                            self.ready.extend(pieces);
                            self.start_next();
                        }
                        Err(e) => self.error = Some(e),
                    }
                }
                Err(e) => self.error = Some(e),
            }
        }
    }

    /// Starts reading the next stripe, if any is left and no read is running.
    fn start_next(&mut self) -> bool {
        if self.next_stripe >= self.stripes_end {
            return false;
        }
        let Some(mut reader) = self.reader.take() else {
            return false;
        };
        let stripe = self.next_stripe;
        self.next_stripe += 1;
        let (start, end) = self.range;
        self.ahead = Some(tokio::task::spawn_blocking(move || {
            let result = reader.read_stripe(stripe, start, end);
            (reader, result)
        }));
        true
    }
}

/// A shard file as seen by one read: not opened yet, open, or unusable for the rest of the read.
enum ShardFile {
    Unopened,
    Open(File),
    Failed(ShardFault),
}

/// The blocking half of a read: open shard files and what was already reported.
struct StripeReader {
    inner: Arc<StoreInner>,
    blob: BlobRef,
    geometry: StripeGeometry,
    codec: Arc<ReedSolomon>,
    files: Vec<ShardFile>,
    warned: Vec<bool>,
    damage_reported: bool,
}

impl StripeReader {
    fn new(inner: Arc<StoreInner>, blob: BlobRef) -> Result<StripeReader, ChunkError> {
        let codec = inner
            .codecs
            .get(blob.data_shards, blob.parity_shards)
            .map_err(ChunkError::InvalidLayout)?;
        let total = blob.total_shards();
        Ok(StripeReader {
            geometry: blob.geometry(),
            files: (0..total).map(|_| ShardFile::Unopened).collect(),
            warned: vec![false; total],
            damage_reported: false,
            inner,
            blob,
            codec,
        })
    }

    /// The bytes of [start, end) that fall in the stripe, as slices of verified or rebuilt blocks.
    fn read_stripe(&mut self, stripe: u64, start: u64, end: u64) -> Result<Vec<Bytes>, ChunkError> {
        let wanted = self.geometry.blocks_of_range(stripe, start, end);
        let k = usize::from(self.blob.data_shards);
        let total = self.blob.total_shards();
        let mut blocks: Vec<Option<Vec<u8>>> = vec![None; total];
        let mut tried = vec![false; total];
        let mut faults = Vec::new();
        for &(shard, _, _) in &wanted {
            tried[shard] = true;
            match self.block(shard, stripe) {
                Ok(block) => blocks[shard] = Some(block),
                Err(fault) => faults.push((shard, fault)),
            }
        }
        if !faults.is_empty() {
            let mut healthy = blocks.iter().flatten().count();
            // Data blocks first: if they are all healthy, no decoding work is needed beyond the
            // missing ones; parity only as needed.
            for shard in 0..total {
                if healthy >= k {
                    break;
                }
                if tried[shard] {
                    continue;
                }
                tried[shard] = true;
                match self.block(shard, stripe) {
                    Ok(block) => {
                        blocks[shard] = Some(block);
                        healthy += 1;
                    }
                    Err(fault) => faults.push((shard, fault)),
                }
            }
            self.report(stripe, &faults);
            let unrecoverable = |detail: String| ChunkError::Unrecoverable {
                blob: self.blob.id,
                detail,
            };
            if healthy < k {
                let faults: Vec<String> = faults
                    .iter()
                    .map(|(shard, fault)| format!("shard {shard}: {fault}"))
                    .collect();
                return Err(unrecoverable(format!(
                    "stripe {stripe}: {healthy} healthy blocks of the {k} needed ({})",
                    faults.join("; ")
                )));
            }
            reconstruct(&self.codec, &mut blocks, true)
                .map_err(|e| unrecoverable(format!("stripe {stripe}: {e}")))?;
        }
        let mut pieces = Vec::with_capacity(wanted.len());
        for (shard, from, to) in wanted {
            let block = blocks[shard]
                .take()
                .ok_or_else(|| ChunkError::Unrecoverable {
                    blob: self.blob.id,
                    detail: format!("stripe {stripe}: block {shard} was not rebuilt"),
                })?;
            pieces.push(Bytes::from(block).slice(from as usize..to as usize));
        }
        Ok(pieces)
    }

    /// One verified block of one shard, opening (and header-checking) the shard file on first use.
    fn block(&mut self, shard: usize, stripe: u64) -> Result<Vec<u8>, ShardFault> {
        let location = self.blob.placement[shard];
        let drive = self.inner.drives.drive(location);
        if let ShardFile::Unopened = self.files[shard] {
            self.files[shard] = match drive.filter(|d| d.is_up()) {
                None => ShardFile::Failed(ShardFault::DriveDown),
                Some(drive) => {
                    let path = drive.shard_path(&self.blob.id, shard);
                    match open_shard(&path, &self.blob.expected_header(shard)) {
                        Ok(file) => ShardFile::Open(file),
                        Err(fault) => {
                            if matches!(fault, ShardFault::Missing | ShardFault::Io(_)) {
                                // A missing file may be a lost drive, not a lost file.
                                drive.recheck();
                            }
                            ShardFile::Failed(fault)
                        }
                    }
                }
            };
        }
        let file = match &mut self.files[shard] {
            ShardFile::Open(file) => file,
            ShardFile::Failed(fault) => return Err(fault.clone()),
            ShardFile::Unopened => return Err(ShardFault::Missing),
        };
        let offset = self.geometry.block_offset_in_shard(stripe);
        let len = self.geometry.block_len(stripe) as usize;
        let result = read_block(file, offset, len);
        if let Err(fault @ ShardFault::Io(_)) = &result {
            if let Some(drive) = drive {
                drive.recheck();
            }
            self.files[shard] = ShardFile::Failed(fault.clone());
        }
        result
    }

    /// Logs each damaged shard once per read and queues the blob for healing once.
    fn report(&mut self, stripe: u64, faults: &[(usize, ShardFault)]) {
        for (shard, fault) in faults {
            if !std::mem::replace(&mut self.warned[*shard], true) {
                tracing::warn!(blob = %self.blob.id, shard, stripe, reason = %fault,
                    "damaged shard; reconstructing from the others");
            }
        }
        if !self.damage_reported {
            self.damage_reported = true;
            self.inner.report_damage(&self.blob);
        }
    }
}
