//! Repair: find the damaged shard files of a blob and rebuild them from the healthy ones.
//!
//! Pass 1 checks every shard file on an up drive (header, exact length, every block hash). Pass 2, only
//! if something is damaged, reads k verified blocks per stripe, re-encodes the missing blocks, and
//! writes each damaged shard to a new temp file that is fsynced and renamed over the old file.
//!
//! Must not: modify a shard file in place, or write anything for a drive that is down.
//! Invariants: a rebuilt shard file is byte-identical to the one the writer produced (same header,
//! deterministic code, zero padding); until the rename nothing changes in `blobs/`, and an interrupted
//! repair leaves only temp files (removed by its guard, or by `clean_temp` after a crash).

use std::fs::File;
use std::os::unix::fs::FileExt;

use super::drives::io_error;
use super::shard::{
    ShardFault, TempShards, fsync_dir, open_shard, read_block, rename_into_place, write_block,
};
use super::stripe::reconstruct;
use super::{BlobRef, ChunkError, RepairReport, StoreInner};

pub(super) fn repair_blob(inner: &StoreInner, blob: &BlobRef) -> Result<RepairReport, ChunkError> {
    blob.check()?;
    let total = blob.total_shards();
    let k = usize::from(blob.data_shards);
    let geometry = blob.geometry();
    let mut report = RepairReport::default();

    // Pass 1: which shards need rebuilding.
    let mut damaged = Vec::new();
    for (shard, location) in blob.placement.iter().enumerate() {
        let Some(drive) = inner.drives.drive(*location) else {
            report.skipped_down.push(shard);
            continue;
        };
        // A heal is the moment a returned drive should be noticed.
        if !drive.is_up() && !drive.recheck() {
            report.skipped_down.push(shard);
            continue;
        }
        if let Err(fault) = verify_shard(inner, blob, shard) {
            tracing::warn!(blob = %blob.id, shard, reason = %fault, "shard needs rebuilding");
            damaged.push(shard);
        }
    }
    if damaged.is_empty() {
        return Ok(report);
    }

    // Pass 2: rebuild them, stripe by stripe, into temp files.
    let tag = format!("r{:016x}", rand::random::<u64>());
    let mut temp_paths = vec![None; total];
    for &shard in &damaged {
        if let Some(drive) = inner.drives.drive(blob.placement[shard]) {
            temp_paths[shard] = Some(drive.temp_path(&blob.id, shard, &tag));
        }
    }
    let temps = TempShards::new(temp_paths);
    let mut outputs: Vec<(usize, File)> = Vec::with_capacity(damaged.len());
    for &shard in &damaged {
        let file = temps.create(shard).map_err(|e| {
            let path = temps
                .path(shard)
                .map(|p| p.to_path_buf())
                .unwrap_or_default();
            io_error(&path, e)
        })?;
        outputs.push((shard, file));
    }
    // Sources: healthy shards first (each of their blocks verifies), then damaged ones whose header
    // is intact, since a shard with one bad block still has good blocks for other stripes.
    let mut sources: Vec<(usize, File)> = Vec::new();
    for shard in (0..total)
        .filter(|s| !damaged.contains(s))
        .chain(damaged.iter().copied())
    {
        if report.skipped_down.contains(&shard) {
            continue;
        }
        let Some(drive) = inner.drives.drive(blob.placement[shard]) else {
            continue;
        };
        if let Ok(file) = open_shard(
            &drive.shard_path(&blob.id, shard),
            &blob.expected_header(shard),
        ) {
            sources.push((shard, file));
        }
    }
    let codec = inner
        .codecs
        .get(blob.data_shards, blob.parity_shards)
        .map_err(ChunkError::InvalidLayout)?;
    for stripe in 0..geometry.stripe_count() {
        let offset = geometry.block_offset_in_shard(stripe);
        let len = geometry.block_len(stripe) as usize;
        let mut blocks: Vec<Option<Vec<u8>>> = vec![None; total];
        let mut healthy = 0;
        for (shard, file) in &mut sources {
            if healthy == k {
                break;
            }
            if let Ok(block) = read_block(file, offset, len) {
                blocks[*shard] = Some(block);
                healthy += 1;
            }
        }
        if healthy < k {
            return Err(ChunkError::Unrecoverable {
                blob: blob.id,
                detail: format!(
                    "repair: stripe {stripe} has {healthy} healthy blocks of the {k} needed"
                ),
            });
        }
        reconstruct(&codec, &mut blocks, false).map_err(|e| ChunkError::Unrecoverable {
            blob: blob.id,
            detail: format!("repair: stripe {stripe}: {e}"),
        })?;
        for (shard, file) in &outputs {
            let block = blocks[*shard].as_deref().unwrap_or_default();
            write_block(file, offset, block).map_err(|e| temp_error(&temps, *shard, e))?;
        }
    }
    for (shard, file) in &outputs {
        let header = blob.expected_header(*shard).encode();
        file.write_all_at(&header, 0)
            .and_then(|()| file.sync_all())
            .map_err(|e| temp_error(&temps, *shard, e))?;
    }
    for (shard, _) in &outputs {
        let Some(drive) = inner.drives.drive(blob.placement[*shard]) else {
            continue;
        };
        let dest = drive.shard_path(&blob.id, *shard);
        let Some(tmp) = temps.path(*shard) else {
            continue;
        };
        let new_dir = rename_into_place(tmp, &dest).map_err(|e| io_error(&dest, e))?;
        let mut dirs = vec![dest.parent().map(|p| p.to_path_buf()).unwrap_or_default()];
        if new_dir {
            dirs.push(drive.blobs_dir());
        }
        for dir in dirs {
            fsync_dir(&dir).map_err(|e| io_error(&dir, e))?;
        }
        tracing::info!(blob = %blob.id, shard = *shard, "shard rebuilt");
    }
    temps.commit();
    report.rebuilt = damaged;
    Ok(report)
}

fn temp_error(temps: &TempShards, shard: usize, e: std::io::Error) -> ChunkError {
    io_error(
        &temps
            .path(shard)
            .map(|p| p.to_path_buf())
            .unwrap_or_default(),
        e,
    )
}

/// A shard is healthy when its header matches, its length is exact and every block verifies.
fn verify_shard(inner: &StoreInner, blob: &BlobRef, shard: usize) -> Result<(), ShardFault> {
    let drive = inner
        .drives
        .drive(blob.placement[shard])
        .ok_or(ShardFault::DriveDown)?;
    let mut file = open_shard(
        &drive.shard_path(&blob.id, shard),
        &blob.expected_header(shard),
    )?;
    let geometry = blob.geometry();
    let found = file
        .metadata()
        .map_err(|e| ShardFault::Io(e.to_string()))?
        .len();
    let expected = geometry.shard_file_len();
    if found != expected {
        return Err(ShardFault::WrongLength { found, expected });
    }
    for stripe in 0..geometry.stripe_count() {
        read_block(
            &mut file,
            geometry.block_offset_in_shard(stripe),
            geometry.block_len(stripe) as usize,
        )?;
    }
    Ok(())
}
