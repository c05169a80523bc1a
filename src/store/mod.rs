//! The object layer: the only place that knows both metadata (`meta`) and data (`chunk`).
//!
//! It turns "put these bytes under bucket/key" into: stream the body into a blob (or keep it
//! inline when small), then commit one metadata transaction that makes the new version visible
//! and hands the blobs it replaced to the GC. Invariants:
//! - a version becomes visible only in the transaction that also records its blobs as referenced
//!   (`Tree::Blobs`), and only after its shard files are durable (write protocol of `chunk`);
//! - a blob leaves `Tree::Blobs` in the same transaction that stops referencing it, and enters
//!   `Tree::Gc`, whose worker deletes the files once no reader holds them;
//! - the metadata engine is flushed before a mutation is acknowledged, so `kill -9` cannot undo it.
//!
//! Errors are [`StoreError`]: semantic kinds the S3 layer maps to codes, never S3 codes themselves.

mod access;
pub mod acl;
pub mod billing;
pub mod bucket;
pub mod bucket_config;
pub mod config_cache;
pub mod due;
pub mod encryption;
pub mod gc;
mod group_commit;
mod hashing;
pub mod list;
pub mod list_versions;
pub mod multipart;
pub mod object;
pub mod object_lock;
mod readers;
pub mod restore;
#[cfg(test)]
mod test_support;
pub mod transition;
pub mod usage;
pub mod usage_report;
pub mod versions;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures_util::Stream;

use crate::chunk::{ChunkError, ChunkStore};
use crate::classes::StorageClasses;
use crate::meta::{Meta, MetaError};
use crate::s3::error::S3Error;

pub use readers::ActiveReaders;

/// Objects up to this size are stored in the metadata record: one metadata commit instead of
/// k+m shard files with an fsync each (PERF-NOTES: ~1,000 create+fsync per second on this disk).
pub const DEFAULT_INLINE_THRESHOLD: usize = 128 * 1024;

/// What every body handed to the store is: verified payload bytes, or the request's S3 error
/// (bad signature, hash mismatch, truncated body) as the last item.
pub trait BodyStream: Stream<Item = Result<Bytes, S3Error>> + Send + Unpin {}
impl<T: Stream<Item = Result<Bytes, S3Error>> + Send + Unpin> BodyStream for T {}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("bucket {0} does not exist")]
    NoSuchBucket(String),
    #[error("bucket {name} already exists")]
    BucketExists { name: String, owned_by_caller: bool },
    #[error("bucket {0} is not empty")]
    BucketNotEmpty(String),
    #[error("key {0} does not exist")]
    NoSuchKey(String),
    #[error("version {version_id} of {key} does not exist")]
    NoSuchVersion { key: String, version_id: String },
    #[error("invalid version id {0}")]
    InvalidVersionId(String),
    /// The version addressed is a delete marker: 404 NoSuchKey when it is the latest, 405 when
    /// a request named it by id (`addressed`).
    #[error("{key} is a delete marker")]
    DeleteMarker {
        key: String,
        version_id: Option<String>,
        last_modified_ms: i64,
        addressed: bool,
    },
    #[error("upload {0} does not exist")]
    NoSuchUpload(String),
    #[error("invalid part: {0}")]
    InvalidPart(String),
    #[error("parts are not in ascending order")]
    InvalidPartOrder,
    #[error("part {part_number} is {size} bytes, below the 5 MiB minimum")]
    EntityTooSmall { part_number: u32, size: u64 },
    #[error("precondition {0} failed")]
    PreconditionFailed(&'static str),
    #[error("object is larger than the maximum allowed size")]
    EntityTooLarge,
    #[error("content MD5 does not match the body")]
    BadDigest,
    #[error("upload expects {expected:?} checksums, the part has {actual:?}")]
    ChecksumTypeMismatch {
        expected: crate::checksum::ChecksumAlgorithm,
        actual: crate::checksum::ChecksumAlgorithm,
    },
    #[error("the {0:?} checksum does not match the body")]
    BadChecksum(crate::checksum::ChecksumAlgorithm),
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// A read of a version in a class that needs a restore, without a restored copy.
    #[error("the object is archived in {storage_class}")]
    Archived {
        storage_class: String,
        /// The INTELLIGENT_TIERING archive tier the version is in.
        access_tier: Option<crate::lifecycle::tiering::AccessTier>,
    },
    /// RestoreObject on a version whose class needs no restore.
    #[error("restore is not allowed for the object's storage class")]
    RestoreNotAllowed,
    #[error("a restore of the object is already in progress")]
    RestoreInProgress,
    /// The request body failed verification or ended early: already an S3 error.
    #[error("request body: {0}")]
    Body(S3Error),
    /// The caller's edit of a stored record refused the change: already an S3 error.
    #[error("refused: {0}")]
    Refused(S3Error),
    #[error(transparent)]
    Meta(#[from] MetaError),
    #[error("chunk store: {0}")]
    Chunk(ChunkError),
    /// The version is under an Object Lock retention or legal hold.
    #[error("the object is protected by Object Lock")]
    ObjectLocked,
    /// Versioning stays Enabled on a bucket with Object Lock.
    #[error("the bucket has Object Lock: its versioning cannot change")]
    ObjectLockNeedsVersioning,
    /// The key of an encrypted version cannot be had with what the request brought.
    #[error(transparent)]
    Key(#[from] encryption::KeyError),
    /// Encrypted bytes that do not decrypt: damage, or a bug. Never served.
    #[error("encryption: {0}")]
    Crypto(#[from] crate::crypto::package::CryptoError),
    #[error("{0}")]
    Internal(String),
}

impl From<ChunkError> for StoreError {
    fn from(err: ChunkError) -> Self {
        match err {
            ChunkError::Unavailable(detail) => StoreError::Unavailable(detail),
            other => StoreError::Chunk(other),
        }
    }
}

pub struct Store {
    pub meta: Meta,
    pub chunk: ChunkStore,
    pub classes: Arc<StorageClasses>,
    pub inline_threshold: usize,
    /// The length of a lifecycle day (`--lifecycle-day-seconds`), in milliseconds.
    day_ms: i64,
    /// Woken when a due entry earlier than the lifecycle worker's next wake-up may exist.
    due_wakeup: Arc<tokio::sync::Notify>,
    readers: ActiveReaders,
    gc_wakeup: Arc<tokio::sync::Notify>,
    group_commit: group_commit::GroupCommit,
    access_log: access::AccessLog,
    /// Seals objects' data keys (derived from the master key); None in stores that never
    /// encrypt (benchmarks).
    sealing_key: Option<encryption::SealingKey>,
    /// Generates and opens SSE-KMS data keys; None in stores that never encrypt.
    kms: Option<Arc<crate::kms::Kms>>,
}

impl Store {
    pub fn new(
        meta: Meta,
        chunk: ChunkStore,
        classes: Arc<StorageClasses>,
        inline_threshold: usize,
    ) -> Self {
        Store {
            group_commit: group_commit::GroupCommit::new(meta.clone()),
            meta,
            chunk,
            classes,
            inline_threshold,
            day_ms: 86_400_000,
            due_wakeup: Arc::new(tokio::sync::Notify::new()),
            readers: ActiveReaders::default(),
            gc_wakeup: Arc::new(tokio::sync::Notify::new()),
            access_log: access::AccessLog::default(),
            sealing_key: None,
            kms: None,
        }
    }

    /// Encrypts objects (when asked to) under keys derived from `master`.
    pub fn with_master_key(mut self, master: &crate::crypto::master_key::MasterKey) -> Self {
        self.sealing_key = Some(encryption::SealingKey::from_master(master));
        self
    }

    /// SSE-KMS data keys come from (and are opened by) `kms`.
    pub fn with_kms(mut self, kms: Arc<crate::kms::Kms>) -> Self {
        self.kms = Some(kms);
        self
    }

    /// Counts lifecycle days (rules, minimum durations, restores) in `seconds` instead of 86,400.
    pub fn with_lifecycle_day_seconds(mut self, seconds: f64) -> Self {
        self.day_ms = ((seconds * 1000.0).round() as i64).max(1);
        self
    }

    /// Make committed metadata durable before the caller acknowledges the write.
    async fn sync(&self) -> Result<(), StoreError> {
        self.group_commit.sync().await
    }

    fn class(&self, name: &str) -> Result<&crate::classes::StorageClass, StoreError> {
        self.classes
            .get(name)
            .ok_or_else(|| StoreError::Internal(format!("unknown storage class {name}")))
    }

    pub fn due_wakeup(&self) -> Arc<tokio::sync::Notify> {
        self.due_wakeup.clone()
    }

    pub fn gc_wakeup(&self) -> Arc<tokio::sync::Notify> {
        self.gc_wakeup.clone()
    }

    pub fn readers(&self) -> &ActiveReaders {
        &self.readers
    }
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

pub fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::Rng::fill(&mut rand::thread_rng(), buf.as_mut_slice());
    hex::encode(buf)
}
