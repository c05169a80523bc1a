//! AZs and drives: initialising the data root, knowing which drives are up, and where files live.
//!
//! A drive is a directory holding `tmp/` (unfinished shard files, same file system as the final place
//! so a rename is atomic) and `blobs/<2 hex>/` (finished shard files). This file owns the up/down state
//! of drives and the directory walks (listing, cleaning, deleting by id). It must not interpret shard
//! contents.
//! Invariants: drive directories are created only on first start (no `format.json` yet); a drive whose
//! directory is missing or unwritable is down, and nothing is ever re-created for a down drive, since
//! an empty directory there may be an unmounted disk whose data would be shadowed.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use super::format::{DATA_FORMAT_VERSION, DataFormat, FORMAT_FILE};
use super::shard::{create_new, fsync_dir};
use super::{BlobId, ChunkConfig, ChunkError, Pool, ShardLocation};

const TMP_DIR: &str = "tmp";
const BLOBS_DIR: &str = "blobs";

/// One directory of one AZ.
#[derive(Debug)]
pub struct Drive {
    pub path: PathBuf,
    pub pool: Pool,
    /// Last probe result.
    healthy: AtomicBool,
    /// Taken out of service by an operator: down whatever the probe says.
    admin_down: AtomicBool,
}

impl Drive {
    fn new(path: PathBuf, pool: Pool) -> Drive {
        Drive {
            path,
            pool,
            healthy: AtomicBool::new(false),
            admin_down: AtomicBool::new(false),
        }
    }

    pub fn is_up(&self) -> bool {
        self.healthy.load(Ordering::Relaxed) && !self.admin_down.load(Ordering::Relaxed)
    }

    pub fn set_admin_down(&self, down: bool) {
        self.admin_down.store(down, Ordering::Relaxed);
    }

    pub fn tmp_dir(&self) -> PathBuf {
        self.path.join(TMP_DIR)
    }

    pub fn blobs_dir(&self) -> PathBuf {
        self.path.join(BLOBS_DIR)
    }

    fn prefix_dir(&self, id: &BlobId) -> PathBuf {
        self.blobs_dir().join(&id.to_string()[..2])
    }

    pub fn shard_path(&self, id: &BlobId, shard: usize) -> PathBuf {
        self.prefix_dir(id).join(format!("{id}.{shard}"))
    }

    /// Temp file of a shard; `tag` keeps concurrent writers and repairers of one blob apart.
    pub fn temp_path(&self, id: &BlobId, shard: usize, tag: &str) -> PathBuf {
        self.tmp_dir().join(format!("{id}.{shard}.{tag}"))
    }

    /// Probes the drive and records the result; logs transitions. Called after any I/O failure on the
    /// drive, so a lost disk stops being tried, and by repair, so a returned one is used again.
    /// Returns whether the drive is now up (an operator's "down" still wins over a good probe).
    pub fn recheck(&self) -> bool {
        let result = probe(&self.path);
        let up = result.is_ok();
        let was = self.healthy.swap(up, Ordering::Relaxed);
        match result {
            Err(why) if was => {
                tracing::warn!(drive = %self.path.display(), reason = %why, "drive is down")
            }
            Ok(()) if !was => tracing::info!(drive = %self.path.display(), "drive is up"),
            _ => {}
        }
        self.is_up()
    }

    /// Every shard file in `blobs/`: (blob, newest mtime of its files on this drive).
    pub fn list_blobs(&self, into: &mut BTreeMap<BlobId, SystemTime>) -> io::Result<()> {
        for prefix in read_dir_or_empty(&self.blobs_dir())? {
            let prefix = prefix?;
            if !prefix.file_type()?.is_dir() {
                continue;
            }
            for entry in read_dir_or_empty(&prefix.path())? {
                let entry = entry?;
                let Some((id, _)) = parse_shard_file_name(&entry.file_name().to_string_lossy())
                else {
                    continue;
                };
                let mtime = match entry.metadata() {
                    Ok(meta) => meta.modified()?,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => continue, // deleted meanwhile
                    Err(e) => return Err(e),
                };
                let newest = into.entry(id).or_insert(mtime);
                *newest = (*newest).max(mtime);
            }
        }
        Ok(())
    }

    /// Removes every shard file of the blob on this drive; returns how many.
    pub fn remove_blob(&self, id: &BlobId) -> io::Result<usize> {
        let mut removed = 0;
        for entry in read_dir_or_empty(&self.prefix_dir(id))? {
            let entry = entry?;
            if parse_shard_file_name(&entry.file_name().to_string_lossy())
                .is_some_and(|(found, _)| found == *id)
            {
                match std::fs::remove_file(entry.path()) {
                    Ok(()) => removed += 1,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(removed)
    }

    /// Removes every file in `tmp/`; returns how many.
    pub fn clean_tmp(&self) -> io::Result<usize> {
        let mut removed = 0;
        for entry in read_dir_or_empty(&self.tmp_dir())? {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                continue; // not ours: never delete a tree we did not create
            }
            match std::fs::remove_file(entry.path()) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(removed)
    }
}

fn read_dir_or_empty(
    dir: &Path,
) -> io::Result<Box<dyn Iterator<Item = io::Result<std::fs::DirEntry>>>> {
    match std::fs::read_dir(dir) {
        Ok(entries) => Ok(Box::new(entries)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Box::new(std::iter::empty())),
        Err(e) => Err(e),
    }
}

/// `<32 hex>.<shard index>` → (blob, shard). Anything else (temp files, strays) is not a shard file.
pub fn parse_shard_file_name(name: &str) -> Option<(BlobId, usize)> {
    let (id, shard) = name.split_once('.')?;
    if shard.is_empty() || !shard.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let shard: usize = shard.parse().ok()?;
    if shard > usize::from(u8::MAX) {
        return None;
    }
    Some((id.parse().ok()?, shard))
}

/// A drive is usable when its directory, `tmp/` and `blobs/` exist and a file can be created in `tmp/`.
fn probe(path: &Path) -> Result<(), String> {
    for dir in [path.to_path_buf(), path.join(TMP_DIR), path.join(BLOBS_DIR)] {
        match std::fs::metadata(&dir) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(format!("{} is not a directory", dir.display())),
            Err(e) => return Err(format!("{}: {e}", dir.display())),
        }
    }
    let probe = path
        .join(TMP_DIR)
        .join(format!(".probe-{:016x}", rand::random::<u64>()));
    create_new(&probe).map_err(|e| format!("not writable: {e}"))?;
    std::fs::remove_file(&probe).map_err(|e| format!("cannot remove probe file: {e}"))
}

/// An AZ and its drives, in configuration order (the index a `ShardLocation` names): the hot
/// pool's, then the archive pool's.
#[derive(Debug)]
pub struct AzDrives {
    pub name: String,
    pub drives: Vec<Drive>,
}

impl AzDrives {
    /// The indices of the drives a layout in `pool` writes to: that pool's, or the hot pool's
    /// when the AZ has no drive in it.
    fn pool_drives(&self, pool: Pool) -> Vec<u16> {
        let of = |wanted: Pool| -> Vec<u16> {
            (0..self.drives.len())
                .filter(|&i| self.drives[i].pool == wanted)
                .map(|i| i as u16)
                .collect()
        };
        match of(pool) {
            found if !found.is_empty() => found,
            _ => of(Pool::Hot),
        }
    }
}

#[derive(Debug)]
pub struct DriveSet {
    pub azs: Vec<AzDrives>,
    /// Per pool (hot, archive), per AZ: the drives placement chooses from.
    pool_drives: [Vec<Vec<u16>>; 2],
}

impl DriveSet {
    /// Initialises the data root on first start, then probes every drive.
    pub fn open(config: &ChunkConfig) -> Result<DriveSet, ChunkError> {
        check_config(config)?;
        let format_path = config.root.join(FORMAT_FILE);
        match std::fs::read_to_string(&format_path) {
            Ok(text) => check_format(config, &format_path, &text)?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => initialise(config, &format_path)?,
            Err(e) => return Err(io_error(&format_path, e)),
        }
        let azs: Vec<AzDrives> = config
            .azs
            .iter()
            .map(|az| AzDrives {
                name: az.name.clone(),
                drives: az
                    .drives
                    .iter()
                    .map(|path| Drive::new(path.clone(), Pool::Hot))
                    .chain(
                        az.archive_drives
                            .iter()
                            .map(|path| Drive::new(path.clone(), Pool::Archive)),
                    )
                    .collect(),
            })
            .collect();
        let pool_drives = [Pool::Hot, Pool::Archive]
            .map(|pool| azs.iter().map(|az| az.pool_drives(pool)).collect());
        let set = DriveSet { azs, pool_drives };
        for (az, drive) in set.all() {
            if let Err(why) = probe(&drive.path) {
                tracing::warn!(az = %az, drive = %drive.path.display(), reason = %why, "drive is down at open");
            } else {
                drive.healthy.store(true, Ordering::Relaxed);
            }
        }
        Ok(set)
    }

    pub fn drive(&self, location: ShardLocation) -> Option<&Drive> {
        self.azs
            .get(usize::from(location.az))?
            .drives
            .get(usize::from(location.drive))
    }

    /// Per AZ, the drives a layout in `pool` writes to.
    pub fn pool_drives(&self, pool: Pool) -> &[Vec<u16>] {
        match pool {
            Pool::Hot => &self.pool_drives[0],
            Pool::Archive => &self.pool_drives[1],
        }
    }

    /// Every drive with its AZ name.
    pub fn all(&self) -> impl Iterator<Item = (&str, &Drive)> {
        self.azs
            .iter()
            .flat_map(|az| az.drives.iter().map(move |d| (az.name.as_str(), d)))
    }
}

pub fn io_error(path: &Path, source: io::Error) -> ChunkError {
    ChunkError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn check_config(config: &ChunkConfig) -> Result<(), ChunkError> {
    if config.azs.is_empty() {
        return Err(ChunkError::InvalidLayout(
            "no availability zone configured".into(),
        ));
    }
    if config.azs.len() > usize::from(u16::MAX) {
        return Err(ChunkError::InvalidLayout(
            "too many availability zones".into(),
        ));
    }
    for (i, az) in config.azs.iter().enumerate() {
        if az.drives.is_empty() || az.drives.len() + az.archive_drives.len() > usize::from(u16::MAX)
        {
            return Err(ChunkError::InvalidLayout(format!(
                "AZ {} must have between 1 and {} drives (hot and archive together), at least one hot",
                az.name,
                u16::MAX
            )));
        }
        if config.azs[..i].iter().any(|other| other.name == az.name) {
            return Err(ChunkError::InvalidLayout(format!(
                "AZ {} is listed twice",
                az.name
            )));
        }
    }
    Ok(())
}

/// First start: create every drive's directories, then record the format (last, so that a crash
/// half-way through initialising is retried from scratch at the next start).
fn initialise(config: &ChunkConfig, format_path: &Path) -> Result<(), ChunkError> {
    for drive in config
        .azs
        .iter()
        .flat_map(|az| az.drives.iter().chain(&az.archive_drives))
    {
        for dir in [drive.join(TMP_DIR), drive.join(BLOBS_DIR)] {
            std::fs::create_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
        }
        fsync_dir(drive).map_err(|e| io_error(drive, e))?;
    }
    std::fs::create_dir_all(&config.root).map_err(|e| io_error(&config.root, e))?;
    let format = DataFormat {
        format_version: DATA_FORMAT_VERSION,
        azs: config.azs.iter().map(|az| az.name.clone()).collect(),
    };
    let tmp = config.root.join(format!("{FORMAT_FILE}.tmp"));
    let write = || -> io::Result<()> {
        use std::io::Write as _;
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(format.to_json().as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, format_path)?;
        fsync_dir(&config.root)
    };
    write().map_err(|e| io_error(format_path, e))?;
    tracing::info!(root = %config.root.display(), azs = ?format.azs, "initialised chunk store data root");
    Ok(())
}

/// Later starts: the recorded AZ order must still hold, because blob refs name AZs by index.
fn check_format(config: &ChunkConfig, format_path: &Path, text: &str) -> Result<(), ChunkError> {
    let invalid =
        |why: String| io_error(format_path, io::Error::new(io::ErrorKind::InvalidData, why));
    let format = DataFormat::from_json(text).map_err(invalid)?;
    if format.format_version != DATA_FORMAT_VERSION {
        return Err(invalid(format!(
            "unsupported data format version {} (this build reads {DATA_FORMAT_VERSION})",
            format.format_version
        )));
    }
    let configured: Vec<&str> = config.azs.iter().map(|az| az.name.as_str()).collect();
    for (i, (recorded, now)) in format.azs.iter().zip(&configured).enumerate() {
        if recorded != now {
            return Err(invalid(format!(
                "AZ {i} was {recorded:?} when the data root was created but is configured as {now:?}; \
                 AZs may only be appended, since stored blobs name them by position"
            )));
        }
    }
    if format.azs.len() != configured.len() {
        tracing::warn!(recorded = ?format.azs, configured = ?configured, "AZ list differs from format.json");
    }
    Ok(())
}
