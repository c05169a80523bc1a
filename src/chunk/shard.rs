//! The shard file format and the low-level file operations on it.
//!
//! A shard file `blobs/<2 hex>/<id hex>.<shard index>` holds one shard of every stripe of a blob:
//! a fixed 96-byte [`ShardHeader`] (64 bytes of fields, then their blake3), then per stripe the block
//! followed by its 32-byte blake3. Offsets come from [`StripeGeometry`](super::layout::StripeGeometry).
//!
//! This file owns the byte format, block verification and the temp-file discipline (create in `tmp/`,
//! fsync, rename, fsync the directory). It must not decide placement or talk to the codec.
//! Invariants: a shard file is immutable once renamed into `blobs/`; it is only ever replaced whole by a
//! rename over it; every block handed out by [`read_block`] has matched its stored hash.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use super::BlobId;

pub const SHARD_MAGIC: [u8; 8] = *b"STRATASH";
pub const SHARD_FORMAT_VERSION: u16 = 1;
/// Codec id 1: Reed–Solomon over GF(2^8) with the Vandermonde-derived systematic matrix of the
/// reed-solomon-erasure crate. Another codec would produce different parity from the same data.
pub const CODEC_RS_GF8: u8 = 1;
/// Bytes of header fields, zero-padded; the header hash follows.
const HEADER_FIELDS_LEN: usize = 64;
pub const SHARD_HEADER_LEN: usize = HEADER_FIELDS_LEN + 32;
pub const BLOCK_HASH_LEN: usize = 32;

/// The fixed-size header at the start of every shard file. Everything a reader needs to check that a
/// file belongs to the blob it expects, without trusting the file name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShardHeader {
    pub data_shards: u8,
    pub parity_shards: u8,
    pub shard_index: u8,
    pub block_size: u32,
    pub blob_size: u64,
    pub blob_id: BlobId,
}

impl ShardHeader {
    pub fn encode(&self) -> [u8; SHARD_HEADER_LEN] {
        let mut out = [0u8; SHARD_HEADER_LEN];
        out[0..8].copy_from_slice(&SHARD_MAGIC);
        out[8..10].copy_from_slice(&SHARD_FORMAT_VERSION.to_le_bytes());
        out[10] = CODEC_RS_GF8;
        out[11] = self.data_shards;
        out[12] = self.parity_shards;
        out[13] = self.shard_index;
        // 14..16 reserved (zero)
        out[16..20].copy_from_slice(&self.block_size.to_le_bytes());
        out[20..28].copy_from_slice(&self.blob_size.to_le_bytes());
        out[28..44].copy_from_slice(&self.blob_id.0);
        let hash = blake3::hash(&out[..HEADER_FIELDS_LEN]);
        out[HEADER_FIELDS_LEN..].copy_from_slice(hash.as_bytes());
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<ShardHeader, String> {
        if bytes.len() < SHARD_HEADER_LEN {
            return Err(format!(
                "header is {} bytes, expected {SHARD_HEADER_LEN}",
                bytes.len()
            ));
        }
        if bytes[0..8] != SHARD_MAGIC {
            return Err("bad magic".into());
        }
        let hash = blake3::hash(&bytes[..HEADER_FIELDS_LEN]);
        if hash.as_bytes()[..] != bytes[HEADER_FIELDS_LEN..SHARD_HEADER_LEN] {
            return Err("header checksum mismatch".into());
        }
        let version = u16::from_le_bytes([bytes[8], bytes[9]]);
        if version != SHARD_FORMAT_VERSION {
            return Err(format!("unsupported shard format version {version}"));
        }
        if bytes[10] != CODEC_RS_GF8 {
            return Err(format!("unknown codec {}", bytes[10]));
        }
        let mut id = [0u8; 16];
        id.copy_from_slice(&bytes[28..44]);
        Ok(ShardHeader {
            data_shards: bytes[11],
            parity_shards: bytes[12],
            shard_index: bytes[13],
            block_size: u32::from_le_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]),
            blob_size: u64::from_le_bytes([
                bytes[20], bytes[21], bytes[22], bytes[23], bytes[24], bytes[25], bytes[26],
                bytes[27],
            ]),
            blob_id: BlobId(id),
        })
    }
}

/// Why one block (or a whole shard) could not be used. Not an error of the store: the reader
/// reconstructs around it and reports it for healing.
#[derive(Clone, Debug)]
pub enum ShardFault {
    DriveDown,
    Missing,
    BadHeader(String),
    WrongLength { found: u64, expected: u64 },
    Truncated,
    HashMismatch,
    Io(String),
}

impl std::fmt::Display for ShardFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShardFault::DriveDown => f.write_str("drive is down"),
            ShardFault::Missing => f.write_str("shard file is missing"),
            ShardFault::BadHeader(why) => write!(f, "bad shard header: {why}"),
            ShardFault::WrongLength { found, expected } => {
                write!(f, "shard file is {found} bytes, expected {expected}")
            }
            ShardFault::Truncated => f.write_str("shard file is truncated"),
            ShardFault::HashMismatch => f.write_str("block hash mismatch"),
            ShardFault::Io(e) => write!(f, "i/o error: {e}"),
        }
    }
}

/// Opens a shard file and checks its header against what the caller expects.
pub fn open_shard(path: &Path, expected: &ShardHeader) -> Result<File, ShardFault> {
    let file = File::open(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => ShardFault::Missing,
        _ => ShardFault::Io(e.to_string()),
    })?;
    let mut bytes = [0u8; SHARD_HEADER_LEN];
    file.read_exact_at(&mut bytes, 0)
        .map_err(|e| match e.kind() {
            io::ErrorKind::UnexpectedEof => {
                ShardFault::BadHeader("file shorter than its header".into())
            }
            _ => ShardFault::Io(e.to_string()),
        })?;
    let header = ShardHeader::decode(&bytes).map_err(ShardFault::BadHeader)?;
    if header != *expected {
        return Err(ShardFault::BadHeader(format!(
            "header {header:?} does not match the expected {expected:?}"
        )));
    }
    Ok(file)
}

/// Reads the block at `offset` (`len` bytes followed by its hash) and verifies it.
/// The returned vector holds exactly the block.
///
/// It reads through the file's own position (hence `&mut`: the caller holds the handle alone)
/// because `read_to_end` fills the vector's uninitialized capacity, where a positional
/// `read_exact_at` needs the buffer zeroed first — a memset of every block a GET reads.
pub fn read_block(file: &mut File, offset: u64, len: usize) -> Result<Vec<u8>, ShardFault> {
    let io = |e: io::Error| ShardFault::Io(e.to_string());
    file.seek(SeekFrom::Start(offset)).map_err(io)?;
    let wanted = len + BLOCK_HASH_LEN;
    let mut buf = Vec::with_capacity(wanted);
    file.by_ref()
        .take(wanted as u64)
        .read_to_end(&mut buf)
        .map_err(io)?;
    if buf.len() < wanted {
        return Err(ShardFault::Truncated);
    }
    let (block, stored) = buf.split_at(len);
    if blake3::hash(block).as_bytes()[..] != *stored {
        return Err(ShardFault::HashMismatch);
    }
    buf.truncate(len);
    Ok(buf)
}

/// Writes a block and its hash at `offset`.
pub fn write_block(file: &File, offset: u64, block: &[u8]) -> io::Result<()> {
    let hash = blake3::hash(block);
    file.write_all_at(block, offset)?;
    file.write_all_at(hash.as_bytes(), offset + block.len() as u64)
}

/// fsync of a directory, so that a rename or a new entry in it survives a crash.
pub fn fsync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Creates a new file; fails if it exists (temp names are unique, so an existing one is a bug or a
/// leftover that must not be appended to).
pub fn create_new(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

/// Renames a finished temp shard file to its final path, creating the `<2 hex>` directory if needed.
/// Returns whether the parent of the final directory must be fsynced too (the directory was new).
pub fn rename_into_place(tmp: &Path, dest: &Path) -> io::Result<bool> {
    let mut new_dir = false;
    if let Some(dir) = dest.parent() {
        match std::fs::create_dir(dir) {
            Ok(()) => new_dir = true,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    std::fs::rename(tmp, dest)?;
    Ok(new_dir)
}

/// The temp files of one unfinished write or repair. Whoever holds it owns the files: unless
/// [`commit`](TempShards::commit) was called, they are removed when the guard is abandoned or dropped.
///
/// Files are created by blocking tasks that may outlive the writer, so creation and abandonment are
/// ordered through `abandoned`: a creator checks it *after* creating (and removes its own file when
/// set), the abandoner sets it *before* unlinking. Either way no temp file survives.
#[derive(Debug)]
pub struct TempShards {
    /// Temp path per shard index; `None` for shards this operation does not write.
    paths: Vec<Option<PathBuf>>,
    abandoned: AtomicBool,
    committed: AtomicBool,
}

impl TempShards {
    pub fn new(paths: Vec<Option<PathBuf>>) -> TempShards {
        TempShards {
            paths,
            abandoned: AtomicBool::new(false),
            committed: AtomicBool::new(false),
        }
    }

    pub fn path(&self, shard: usize) -> Option<&Path> {
        self.paths.get(shard).and_then(|p| p.as_deref())
    }

    /// Creates the temp file of a shard, unless the operation was abandoned meanwhile.
    pub fn create(&self, shard: usize) -> io::Result<File> {
        let path = self
            .path(shard)
            .ok_or_else(|| io::Error::other(format!("shard {shard} has no temp path")))?;
        let file = create_new(path)?;
        if self.abandoned.load(Ordering::SeqCst) {
            let _ = std::fs::remove_file(path);
            return Err(io::Error::other("write abandoned"));
        }
        Ok(file)
    }

    pub fn is_abandoned(&self) -> bool {
        self.abandoned.load(Ordering::SeqCst)
    }

    /// The files were renamed into place (or removed): nothing left to clean up.
    pub fn commit(&self) {
        self.committed.store(true, Ordering::SeqCst);
    }

    /// Removes every temp file now; later creations remove themselves.
    pub fn abandon(&self) {
        if self.committed.load(Ordering::SeqCst) || self.abandoned.swap(true, Ordering::SeqCst) {
            return;
        }
        for path in self.paths.iter().flatten() {
            if let Err(e) = std::fs::remove_file(path)
                && e.kind() != io::ErrorKind::NotFound
            {
                tracing::warn!(path = %path.display(), error = %e, "cannot remove temp shard file");
            }
        }
    }
}

impl Drop for TempShards {
    fn drop(&mut self) {
        self.abandon();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> ShardHeader {
        ShardHeader {
            data_shards: 4,
            parity_shards: 2,
            shard_index: 5,
            block_size: 1 << 20,
            blob_size: 123_456_789,
            blob_id: BlobId([7; 16]),
        }
    }

    #[test]
    fn header_round_trips_and_detects_any_flipped_byte() {
        let bytes = header().encode();
        assert_eq!(ShardHeader::decode(&bytes), Ok(header()));
        for i in 0..SHARD_HEADER_LEN {
            let mut bad = bytes;
            bad[i] ^= 0x40;
            assert!(
                ShardHeader::decode(&bad).is_err(),
                "flip at {i} went unnoticed"
            );
        }
        assert!(ShardHeader::decode(&bytes[..10]).is_err());
    }

    #[test]
    fn blocks_verify_and_mismatches_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        let file = create_new(&path).unwrap();
        file.write_all_at(&header().encode(), 0).unwrap();
        write_block(&file, SHARD_HEADER_LEN as u64, b"hello block").unwrap();
        drop(file);

        let mut file = open_shard(&path, &header()).unwrap();
        assert_eq!(
            read_block(&mut file, SHARD_HEADER_LEN as u64, 11).unwrap(),
            b"hello block"
        );
        assert!(matches!(
            read_block(&mut file, SHARD_HEADER_LEN as u64, 12),
            Err(ShardFault::Truncated)
        ));
        let other = ShardHeader {
            shard_index: 1,
            ..header()
        };
        assert!(matches!(
            open_shard(&path, &other),
            Err(ShardFault::BadHeader(_))
        ));
        assert!(matches!(
            open_shard(&dir.path().join("none"), &header()),
            Err(ShardFault::Missing)
        ));

        let f = OpenOptions::new().write(true).open(&path).unwrap();
        f.write_all_at(b"J", SHARD_HEADER_LEN as u64).unwrap();
        let mut file = open_shard(&path, &header()).unwrap();
        assert!(matches!(
            read_block(&mut file, SHARD_HEADER_LEN as u64, 11),
            Err(ShardFault::HashMismatch)
        ));
    }

    #[test]
    fn abandoned_temp_shards_remove_their_files_even_when_created_late() {
        let dir = tempfile::tempdir().unwrap();
        let temps = TempShards::new(vec![
            Some(dir.path().join("a")),
            None,
            Some(dir.path().join("b")),
        ]);
        temps.create(0).unwrap();
        assert!(temps.create(1).is_err());
        temps.abandon();
        assert!(!dir.path().join("a").exists());
        assert!(temps.create(2).is_err());
        assert!(!dir.path().join("b").exists());

        let committed = TempShards::new(vec![Some(dir.path().join("c"))]);
        committed.create(0).unwrap();
        committed.commit();
        drop(committed);
        assert!(dir.path().join("c").exists());
    }
}
