//! The chunk store: the bytes of objects, erasure-coded across simulated availability zones.
//!
//! A blob (a byte stream) is cut into stripes of k blocks; Reed–Solomon adds m parity blocks; block i
//! of every stripe goes to shard file i, and the k + m shard files are spread over AZs and their drives
//! (directories). Every block carries a blake3 hash checked on each read; a missing or corrupt block is
//! rebuilt from any k healthy ones on the fly, reported, and queued for [`ChunkStore::repair`].
//!
//! This module knows stripes, shards, AZs and drives — never buckets, keys or policies — and refers
//! to nothing outside `crate::chunk`. The caller keeps the [`BlobRef`] a write returns and hands it back
//! to read, repair or delete; this module keeps no index of blobs.
//!
//! Invariants: nothing is visible in `blobs/` until [`BlobWriter::finish`] returns (temp file → fsync →
//! rename → fsync dir); a shard file is immutable once renamed and is only ever replaced whole; with
//! `Spread::Zones` no AZ holds more than m shards of a blob; blocking file I/O and CPU work (coding,
//! hashing) run on blocking threads, never on the async reactor — except the few unlinks of
//! [`BlobWriter`]'s `Drop`, which must be synchronous to leave nothing behind.
//!
//! Files: `layout.rs` (layouts, geometry, placement), `stripe.rs` (codec), `shard.rs` (file format),
//! `drives.rs` (AZs, drives, up/down), `format.rs` (`format.json`), `writer.rs`, `reader.rs`,
//! `repair.rs`; tests in `tests.rs` and `tests_drives.rs`.

mod drives;
mod format;
mod layout;
mod reader;
mod repair;
mod shard;
mod stripe;
mod writer;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_drives;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

pub use layout::{BLOCK_ALIGN, Layout, MAX_BLOCK_SIZE, MAX_TOTAL_SHARDS, Pool, Spread};
pub use writer::BlobWriter;

use drives::{DriveSet, io_error};
use layout::StripeGeometry;
use shard::ShardHeader;
use stripe::CodecCache;

/// Blobs found damaged by reads wait here for the heal worker; beyond this many, reports are dropped
/// (the blob will be reported again by its next damaged read, or found by a scrub).
const DAMAGE_QUEUE: usize = 1024;

/// Where the store keeps its data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkConfig {
    /// Holds `format.json`; default AZ directories live below it.
    pub root: PathBuf,
    /// In a fixed order: a `ShardLocation` names an AZ by its position here.
    pub azs: Vec<AzConfig>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AzConfig {
    pub name: String,
    /// The hot pool: where every class that does not name the archive pool writes.
    pub drives: Vec<PathBuf>,
    /// The archive pool (may be empty: archive classes then use the hot drives). Drive indices
    /// of a `ShardLocation` count the hot drives first, then these.
    pub archive_drives: Vec<PathBuf>,
}

impl ChunkConfig {
    /// `count` AZs named az-a, az-b, ... each with one drive `<root>/<name>`.
    pub fn with_default_azs(root: &Path, count: usize) -> ChunkConfig {
        let azs = (0..count)
            .map(|i| {
                let name = az_name(i);
                AzConfig {
                    drives: vec![root.join(&name)],
                    archive_drives: Vec::new(),
                    name,
                }
            })
            .collect();
        ChunkConfig {
            root: root.to_path_buf(),
            azs,
        }
    }
}

/// az-a .. az-z, then az-aa, az-ab, ...
fn az_name(mut i: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'a' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    letters.reverse();
    format!("az-{}", String::from_utf8_lossy(&letters))
}

/// A random blob identifier; shown as 32 lowercase hex characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BlobId(pub [u8; 16]);

impl BlobId {
    pub fn random() -> BlobId {
        BlobId(rand::random())
    }
}

impl fmt::Display for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl FromStr for BlobId {
    type Err = String;

    fn from_str(s: &str) -> Result<BlobId, String> {
        let mut id = [0u8; 16];
        if s.len() != 32 {
            return Err(format!("blob id {s:?} is not 32 hex characters"));
        }
        hex::decode_to_slice(s, &mut id).map_err(|e| format!("blob id {s:?}: {e}"))?;
        Ok(BlobId(id))
    }
}

/// Where one shard lives: AZ index (in configuration order) and drive index within the AZ.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardLocation {
    pub az: u16,
    pub drive: u16,
}

/// Everything needed to read, repair or delete a blob; stored by the caller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobRef {
    pub id: BlobId,
    /// Bytes of data.
    pub size: u64,
    pub data_shards: u8,
    pub parity_shards: u8,
    pub block_size: u32,
    /// Index = shard index (0..k+m).
    pub placement: Vec<ShardLocation>,
}

impl BlobRef {
    /// Bytes the blob's shard files take on the drives (headers, blocks and hashes of all k + m).
    pub fn disk_bytes(&self) -> u64 {
        self.geometry().shard_file_len() * self.total_shards() as u64
    }

    fn geometry(&self) -> StripeGeometry {
        StripeGeometry::new(self.size, self.data_shards, self.block_size)
    }

    fn total_shards(&self) -> usize {
        usize::from(self.data_shards) + usize::from(self.parity_shards)
    }

    /// The header every shard file of this blob must carry.
    fn expected_header(&self, shard: usize) -> ShardHeader {
        ShardHeader {
            data_shards: self.data_shards,
            parity_shards: self.parity_shards,
            shard_index: shard as u8,
            block_size: self.block_size,
            blob_size: self.size,
            blob_id: self.id,
        }
    }

    /// A ref that could not have come from a writer (damaged or hand-made metadata) is refused
    /// before any arithmetic is done with it.
    fn check(&self) -> Result<(), ChunkError> {
        let layout = Layout {
            data_shards: self.data_shards,
            parity_shards: self.parity_shards,
            block_size: self.block_size,
            spread: Spread::SingleZone, // spread and pool are not recorded; shape checks only
            pool: Pool::Hot,
        };
        let problem = layout.validate(1).err().or_else(|| {
            (self.placement.len() != self.total_shards()).then(|| {
                format!(
                    "placement lists {} shards, layout has {}",
                    self.placement.len(),
                    self.total_shards()
                )
            })
        });
        match problem {
            Some(why) => Err(ChunkError::InvalidLayout(format!(
                "blob ref {}: {why}",
                self.id
            ))),
            None => Ok(()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ChunkError {
    #[error("not enough healthy shards to read blob {blob}: {detail}")]
    Unrecoverable { blob: BlobId, detail: String },
    /// Write quorum (k shards written and fsynced) not reached.
    #[error("not enough available drives to write: {0}")]
    Unavailable(String),
    #[error("invalid layout: {0}")]
    InvalidLayout(String),
    #[error("i/o error on {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What [`ChunkStore::repair`] did: shards rewritten, and shards it could not check because their
/// drive is down (repair again when it is back).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RepairReport {
    pub rebuilt: Vec<usize>,
    pub skipped_down: Vec<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DriveStatus {
    pub path: PathBuf,
    pub up: bool,
}

/// An AZ is up while at least one of its drives is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AzStatus {
    pub name: String,
    pub drives: Vec<DriveStatus>,
    pub up: bool,
}

/// State shared by the store handle, writers, readers and blocking tasks.
struct StoreInner {
    drives: DriveSet,
    codecs: CodecCache,
    damage_tx: mpsc::Sender<BlobRef>,
    damage_rx: Mutex<Option<mpsc::Receiver<BlobRef>>>,
}

impl StoreInner {
    /// Queues a blob for healing; never waits: a full queue drops the report.
    fn report_damage(&self, blob: &BlobRef) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.damage_tx.try_send(blob.clone()) {
            tracing::warn!(blob = %blob.id, "damage queue is full; report dropped");
        }
    }
}

/// Handle to the chunk store. Cheap to clone.
#[derive(Clone)]
pub struct ChunkStore {
    inner: Arc<StoreInner>,
}

impl fmt::Debug for ChunkStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkStore")
            .field("azs", &self.az_status())
            .finish()
    }
}

impl ChunkStore {
    /// Opens the store: on first start (no `format.json` in the root) creates every drive's
    /// directories; later, probes drives and marks missing or unwritable ones down.
    pub fn open(config: ChunkConfig) -> Result<ChunkStore, ChunkError> {
        let drives = DriveSet::open(&config)?;
        let (damage_tx, damage_rx) = mpsc::channel(DAMAGE_QUEUE);
        Ok(ChunkStore {
            inner: Arc::new(StoreInner {
                drives,
                codecs: CodecCache::default(),
                damage_tx,
                damage_rx: Mutex::new(Some(damage_rx)),
            }),
        })
    }

    /// Starts writing a new blob. Fails at once with `InvalidLayout` when the layout cannot be
    /// honoured by the configured AZs, and with `Unavailable` when fewer than k target drives are up.
    pub fn writer(&self, layout: &Layout) -> Result<BlobWriter, ChunkError> {
        BlobWriter::new(self.inner.clone(), layout)
    }

    /// Bytes [range.start, range.end) of the blob (caller guarantees end <= size; a range past the
    /// end is clipped), streamed stripe by stripe with one stripe of read-ahead.
    pub fn read(
        &self,
        blob: &BlobRef,
        range: std::ops::Range<u64>,
    ) -> impl futures_util::Stream<Item = Result<bytes::Bytes, ChunkError>> + Send + use<> {
        reader::read_stream(self.inner.clone(), blob.clone(), range)
    }

    /// Removes the blob's shard files on up drives. Idempotent; missing files are fine. Files on down
    /// drives stay and are found by the orphan GC ([`list_blobs`](Self::list_blobs)) later.
    pub async fn delete(&self, blob: &BlobRef) -> Result<(), ChunkError> {
        let inner = self.inner.clone();
        let blob = blob.clone();
        run_blocking(move || {
            let mut first_error = None;
            for (shard, location) in blob.placement.iter().enumerate() {
                let Some(drive) = inner.drives.drive(*location).filter(|d| d.is_up()) else {
                    continue;
                };
                let path = drive.shard_path(&blob.id, shard);
                match std::fs::remove_file(&path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        drive.recheck();
                        first_error.get_or_insert(io_error(&path, e));
                    }
                }
            }
            first_error.map_or(Ok(()), Err)
        })
        .await?
    }

    /// Checks every block of every shard of the blob; rebuilds missing or corrupt shard files on
    /// drives that are up (temp file, fsync, rename over, fsync dir). Down drives are re-probed first,
    /// so a drive that came back gets its shards back.
    pub async fn repair(&self, blob: &BlobRef) -> Result<RepairReport, ChunkError> {
        let inner = self.inner.clone();
        let blob = blob.clone();
        run_blocking(move || repair::repair_blob(&inner, &blob)).await?
    }

    /// Every blob id with at least one shard file on an up drive, with the newest mtime of its files
    /// (the orphan GC spares recent ones: they may belong to a write not yet committed).
    pub async fn list_blobs(&self) -> Result<Vec<(BlobId, SystemTime)>, ChunkError> {
        let inner = self.inner.clone();
        run_blocking(move || {
            let mut blobs = BTreeMap::new();
            for (_, drive) in inner.drives.all().filter(|(_, d)| d.is_up()) {
                if let Err(e) = drive.list_blobs(&mut blobs) {
                    drive.recheck();
                    return Err(io_error(&drive.blobs_dir(), e));
                }
            }
            Ok(blobs.into_iter().collect())
        })
        .await?
    }

    /// Removes files left in `tmp/` directories by a crash. Call once at start-up, before any write:
    /// a running writer's temp files would be removed too.
    pub async fn clean_temp(&self) -> Result<usize, ChunkError> {
        let inner = self.inner.clone();
        run_blocking(move || {
            let mut removed = 0;
            for (_, drive) in inner.drives.all().filter(|(_, d)| d.is_up()) {
                removed += drive.clean_tmp().map_err(|e| {
                    drive.recheck();
                    io_error(&drive.tmp_dir(), e)
                })?;
            }
            if removed > 0 {
                tracing::info!(
                    files = removed,
                    "removed temp shard files left by an earlier run"
                );
            }
            Ok(removed)
        })
        .await?
    }

    /// Deletes all `<id>.*` shard files on up drives, without a `BlobRef` (for the orphan GC).
    pub async fn delete_by_id(&self, id: BlobId) -> Result<(), ChunkError> {
        let inner = self.inner.clone();
        run_blocking(move || {
            for (_, drive) in inner.drives.all().filter(|(_, d)| d.is_up()) {
                drive.remove_blob(&id).map_err(|e| {
                    drive.recheck();
                    io_error(&drive.blobs_dir(), e)
                })?;
            }
            Ok(())
        })
        .await?
    }

    /// Name, drives and up/down state of every AZ, in configuration order.
    pub fn az_status(&self) -> Vec<AzStatus> {
        self.inner
            .drives
            .azs
            .iter()
            .map(|az| {
                let drives: Vec<DriveStatus> = az
                    .drives
                    .iter()
                    .map(|d| DriveStatus {
                        path: d.path.clone(),
                        up: d.is_up(),
                    })
                    .collect();
                AzStatus {
                    name: az.name.clone(),
                    up: drives.iter().any(|d| d.up),
                    drives,
                }
            })
            .collect()
    }

    /// Re-probes every drive (health checks, or a heal worker noticing returned disks without waiting
    /// for a damaged blob) and returns the resulting status.
    pub async fn recheck_drives(&self) -> Result<Vec<AzStatus>, ChunkError> {
        let inner = self.inner.clone();
        run_blocking(move || {
            for (_, drive) in inner.drives.all() {
                drive.recheck();
            }
        })
        .await?;
        Ok(self.az_status())
    }

    /// Takes an AZ out of service (`down = true`) or puts it back, whatever its directories say
    /// (admin command). Putting it back re-probes its drives. Returns false for an unknown AZ.
    pub fn set_az_down(&self, name: &str, down: bool) -> bool {
        let Some(az) = self.inner.drives.azs.iter().find(|az| az.name == name) else {
            return false;
        };
        for drive in &az.drives {
            drive.set_admin_down(down);
            if !down {
                drive.recheck();
            }
        }
        tracing::info!(az = name, down, "AZ service state set by operator");
        true
    }

    /// Path of a shard file (tests use it to corrupt or delete shards). A location outside the
    /// configuration yields a path under the root that never exists.
    pub fn shard_path(&self, blob: &BlobRef, shard: usize) -> PathBuf {
        match blob
            .placement
            .get(shard)
            .and_then(|loc| self.inner.drives.drive(*loc))
        {
            Some(drive) => drive.shard_path(&blob.id, shard),
            None => PathBuf::from(format!("/nonexistent-drive/{}.{shard}", blob.id)),
        }
    }

    /// Receiver of blobs found damaged during reads or written below full redundancy; the caller's
    /// heal worker calls [`repair`](Self::repair) on them. Only the first call gets it.
    pub fn take_damage_receiver(&self) -> Option<mpsc::Receiver<BlobRef>> {
        self.inner
            .damage_rx
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }
}

/// Runs blocking work on tokio's blocking pool. A panic in it is re-raised here, as if the work had
/// run inline; the task is only ever cancelled when the runtime shuts down.
async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ChunkError> {
    join_blocking(tokio::task::spawn_blocking(work)).await
}

async fn join_blocking<T>(handle: tokio::task::JoinHandle<T>) -> Result<T, ChunkError> {
    match handle.await {
        Ok(value) => Ok(value),
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(ChunkError::Io {
            path: PathBuf::new(),
            source: std::io::Error::new(std::io::ErrorKind::Interrupted, e.to_string()),
        }),
    }
}
