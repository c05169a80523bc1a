//! Behaviour tests of the data path: round trips, corrupt and missing shards, repair, cleanup.
//!
//! Each test builds a store in its own temp directory with small blocks (4 KiB) so that multi-stripe
//! blobs stay small and fast. The pure arithmetic (layouts, geometry, placement) is tested beside it
//! in `layout.rs`; the file format in `shard.rs`; AZs and drives in `tests_drives.rs`.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::StreamExt;
use proptest::prelude::*;

use super::layout::StripeGeometry;
use super::*;

pub(super) const BLOCK: u32 = 4096;
const K: u64 = 4;

pub(super) fn rs42() -> Layout {
    Layout {
        data_shards: 4,
        parity_shards: 2,
        block_size: BLOCK,
        spread: Spread::Zones,
        pool: Pool::Hot,
    }
}

pub(super) fn open(root: &Path, azs: usize) -> ChunkStore {
    ChunkStore::open(ChunkConfig::with_default_azs(root, azs)).unwrap()
}

/// Deterministic, non-repeating test bytes.
pub(super) fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

pub(super) async fn put_in_chunks(
    store: &ChunkStore,
    layout: &Layout,
    data: &[u8],
    chunk: usize,
) -> BlobRef {
    let mut writer = store.writer(layout).unwrap();
    for piece in data.chunks(chunk.max(1)) {
        writer.write(Bytes::copy_from_slice(piece)).await.unwrap();
    }
    assert_eq!(writer.written(), data.len() as u64);
    writer.finish().await.unwrap()
}

pub(super) async fn put(store: &ChunkStore, data: &[u8]) -> BlobRef {
    put_in_chunks(store, &rs42(), data, 1000).await
}

pub(super) async fn get(
    store: &ChunkStore,
    blob: &BlobRef,
    range: std::ops::Range<u64>,
) -> Result<Vec<u8>, ChunkError> {
    let mut stream = std::pin::pin!(store.read(blob, range));
    let mut out = Vec::new();
    while let Some(piece) = stream.next().await {
        out.extend_from_slice(&piece?);
    }
    Ok(out)
}

pub(super) async fn get_all(store: &ChunkStore, blob: &BlobRef) -> Result<Vec<u8>, ChunkError> {
    get(store, blob, 0..blob.size).await
}

fn flip_byte(path: &Path, offset: u64) {
    let mut bytes = std::fs::read(path).unwrap();
    let at = (offset as usize).min(bytes.len() - 1);
    bytes[at] ^= 0x5A;
    std::fs::write(path, bytes).unwrap();
}

/// Files (not directories) under `dir`, recursively, sorted.
pub(super) fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.extend(files_under(&path));
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

pub(super) fn assert_no_damage(rx: &mut tokio::sync::mpsc::Receiver<BlobRef>) {
    assert!(rx.try_recv().is_err(), "unexpected damage report");
}

pub(super) fn assert_damage_once(rx: &mut tokio::sync::mpsc::Receiver<BlobRef>, blob: &BlobRef) {
    assert_eq!(rx.try_recv().ok().as_ref(), Some(blob));
    assert!(rx.try_recv().is_err(), "damage reported more than once");
}

#[tokio::test]
async fn edge_sizes_round_trip_and_shard_files_have_the_computed_length() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), 3);
    let b = u64::from(BLOCK);
    let sizes = [0, 1, 63, 64, b - 1, b * K, b * K + 1, b * K * 7 / 2];
    for (i, &size) in sizes.iter().enumerate() {
        let data = pattern(size as usize, i as u64);
        for chunk in [1000, 3 * BLOCK as usize * 4 + 5, size as usize + 1] {
            let blob = put_in_chunks(&store, &rs42(), &data, chunk).await;
            assert_eq!(blob.size, size);
            assert_eq!(
                get_all(&store, &blob).await.unwrap(),
                data,
                "size {size}, chunk {chunk}"
            );
            let expected_len = StripeGeometry::new(size, 4, BLOCK).shard_file_len();
            for shard in 0..6 {
                let path = store.shard_path(&blob, shard);
                assert_eq!(
                    std::fs::metadata(&path).unwrap().len(),
                    expected_len,
                    "{path:?}"
                );
            }
            if size > 2 {
                let (a, z) = (size / 3, size - 1);
                assert_eq!(
                    get(&store, &blob, a..z).await.unwrap(),
                    data[a as usize..z as usize]
                );
            }
            assert!(get(&store, &blob, size..size).await.unwrap().is_empty());
        }
    }
}

#[tokio::test]
async fn a_tiny_blob_costs_64_byte_blocks_not_full_ones() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), 3);
    let blob = put_in_chunks(
        &store,
        &Layout {
            block_size: 1 << 20,
            ..rs42()
        },
        b"ten bytes!",
        10,
    )
    .await;
    let len = std::fs::metadata(store.shard_path(&blob, 0)).unwrap().len();
    assert_eq!(
        len,
        (shard::SHARD_HEADER_LEN + 64 + shard::BLOCK_HASH_LEN) as u64
    );
    assert_eq!(get_all(&store, &blob).await.unwrap(), b"ten bytes!");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn random_ranges_read_back_the_original_bytes(
        size in 0usize..(BLOCK as usize * 4 * 4),
        chunk in 1usize..40_000,
        seed in any::<u64>(),
        ranges in proptest::collection::vec((any::<u64>(), any::<u64>()), 1..8),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let store = open(dir.path(), 3);
            let data = pattern(size, seed);
            let blob = put_in_chunks(&store, &rs42(), &data, chunk).await;
            for (a, b) in ranges {
                let (a, b) = (a % (size as u64 + 1), b % (size as u64 + 1));
                let (start, end) = (a.min(b), a.max(b));
                let got = get(&store, &blob, start..end).await.unwrap();
                prop_assert_eq!(&got[..], &data[start as usize..end as usize]);
            }
            Ok(())
        })?;
    }
}

#[tokio::test]
async fn one_corrupt_byte_in_any_shard_reads_identical_bytes_and_reports_damage() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), 3);
    let mut damage = store.take_damage_receiver().unwrap();
    let data = pattern(BLOCK as usize * 4 * 7 / 2, 2);
    let blob = put(&store, &data).await;
    assert_no_damage(&mut damage);
    let geometry = StripeGeometry::new(blob.size, 4, BLOCK);
    let last = geometry.stripe_count() - 1;
    let offsets = [
        3,                                                                   // header field
        shard::SHARD_HEADER_LEN as u64 - 1,                                  // header hash
        geometry.block_offset_in_shard(0),                                   // first block
        geometry.block_offset_in_shard(1) + 100,                             // middle stripe
        geometry.block_offset_in_shard(last) + geometry.block_len(last) + 5, // last block's hash
    ];
    for shard in 0..6 {
        let path = store.shard_path(&blob, shard);
        let original = std::fs::read(&path).unwrap();
        for offset in offsets {
            flip_byte(&path, offset);
            assert_eq!(
                get_all(&store, &blob).await.unwrap(),
                data,
                "shard {shard} offset {offset}"
            );
            if shard < 4 {
                // Only reads that need the data block notice; parity is checked by repair.
                assert_damage_once(&mut damage, &blob);
            }
            std::fs::write(&path, &original).unwrap();
        }
    }
    assert_no_damage(&mut damage);
}

#[tokio::test]
async fn two_corrupt_shards_still_read_and_three_are_unrecoverable() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), 3);
    let data = pattern(BLOCK as usize * 4 * 3, 3);
    let blob = put(&store, &data).await;
    let geometry = StripeGeometry::new(blob.size, 4, BLOCK);
    let in_stripe_1 = geometry.block_offset_in_shard(1) + 10;

    flip_byte(&store.shard_path(&blob, 0), in_stripe_1);
    flip_byte(&store.shard_path(&blob, 3), in_stripe_1);
    assert_eq!(get_all(&store, &blob).await.unwrap(), data);

    flip_byte(&store.shard_path(&blob, 4), in_stripe_1);
    let err = get_all(&store, &blob).await.unwrap_err();
    assert!(
        matches!(err, ChunkError::Unrecoverable { blob: id, .. } if id == blob.id),
        "{err}"
    );
    // Stripes other than the damaged one still read.
    let stripe0 = geometry.stripe_data_len(0);
    assert_eq!(
        get(&store, &blob, 0..stripe0).await.unwrap(),
        data[..stripe0 as usize]
    );

    // Whole files gone behave the same.
    let dir2 = tempfile::tempdir().unwrap();
    let store = open(dir2.path(), 3);
    let blob = put(&store, &data).await;
    for shard in [1, 2] {
        std::fs::remove_file(store.shard_path(&blob, shard)).unwrap();
    }
    assert_eq!(get_all(&store, &blob).await.unwrap(), data);
    std::fs::remove_file(store.shard_path(&blob, 5)).unwrap();
    assert!(matches!(
        get_all(&store, &blob).await,
        Err(ChunkError::Unrecoverable { .. })
    ));
}

#[tokio::test]
async fn a_range_read_touches_only_the_blocks_it_needs() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), 3);
    let mut damage = store.take_damage_receiver().unwrap();
    let data = pattern(BLOCK as usize * 4 * 2, 4);
    let blob = put(&store, &data).await;
    // Only shard 1 survives among the data shards; parity too is gone.
    for shard in [0, 2, 3, 4, 5] {
        std::fs::remove_file(store.shard_path(&blob, shard)).unwrap();
    }
    let b = u64::from(BLOCK);
    // Block 1 of stripe 0 and block 1 of stripe 1.
    assert_eq!(
        get(&store, &blob, b + 7..2 * b).await.unwrap(),
        data[(b + 7) as usize..(2 * b) as usize]
    );
    assert_eq!(
        get(&store, &blob, 5 * b..5 * b + 1).await.unwrap(),
        data[(5 * b) as usize..(5 * b + 1) as usize]
    );
    assert_no_damage(&mut damage);
    assert!(get(&store, &blob, b - 1..b + 1).await.is_err());
}

#[tokio::test]
async fn repair_rebuilds_damaged_shards_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), 3);
    let mut damage = store.take_damage_receiver().unwrap();
    let data = pattern(BLOCK as usize * 4 * 7 / 2, 5);
    let blob = put(&store, &data).await;
    let originals: Vec<Vec<u8>> = (0..6)
        .map(|s| std::fs::read(store.shard_path(&blob, s)).unwrap())
        .collect();
    assert_eq!(store.repair(&blob).await.unwrap(), RepairReport::default());

    let geometry = StripeGeometry::new(blob.size, 4, BLOCK);
    flip_byte(
        &store.shard_path(&blob, 2),
        geometry.block_offset_in_shard(1) + 1,
    );
    std::fs::remove_file(store.shard_path(&blob, 4)).unwrap();
    // Truncated file, one block short.
    let truncated = store.shard_path(&blob, 5);
    std::fs::write(&truncated, &originals[5][..originals[5].len() - 10]).unwrap();
    assert_eq!(get_all(&store, &blob).await.unwrap(), data);
    assert_damage_once(&mut damage, &blob);

    let report = store.repair(&blob).await.unwrap();
    assert_eq!(report.rebuilt, vec![2, 4, 5]);
    assert!(report.skipped_down.is_empty());
    for (shard, original) in originals.iter().enumerate() {
        assert_eq!(
            &std::fs::read(store.shard_path(&blob, shard)).unwrap(),
            original,
            "shard {shard}"
        );
    }
    assert_eq!(store.repair(&blob).await.unwrap(), RepairReport::default());
    assert!(files_under(&dir.path().join("az-a/tmp")).is_empty());

    // More damage than parity: nothing is replaced, nothing is left in tmp/.
    for shard in [0, 1, 3] {
        std::fs::remove_file(store.shard_path(&blob, shard)).unwrap();
    }
    assert!(matches!(
        store.repair(&blob).await,
        Err(ChunkError::Unrecoverable { .. })
    ));
    for az in ["az-a", "az-b", "az-c"] {
        assert!(
            files_under(&dir.path().join(az).join("tmp")).is_empty(),
            "{az}"
        );
    }
}

#[tokio::test]
async fn zero_size_blobs_read_repair_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), 3);
    let blob = put(&store, b"").await;
    assert_eq!(blob.size, 0);
    assert!(get_all(&store, &blob).await.unwrap().is_empty());
    let original = std::fs::read(store.shard_path(&blob, 3)).unwrap();
    std::fs::remove_file(store.shard_path(&blob, 3)).unwrap();
    assert_eq!(store.repair(&blob).await.unwrap().rebuilt, vec![3]);
    assert_eq!(std::fs::read(store.shard_path(&blob, 3)).unwrap(), original);
    store.delete(&blob).await.unwrap();
    assert!(store.list_blobs().await.unwrap().is_empty());
}

#[tokio::test]
async fn dropping_an_unfinished_writer_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), 3);
    let kept = put(&store, &pattern(5000, 6)).await;
    let blobs_before: Vec<_> = ["az-a", "az-b", "az-c"]
        .iter()
        .flat_map(|az| files_under(&dir.path().join(az).join("blobs")))
        .collect();

    let mut writer = store.writer(&rs42()).unwrap();
    writer
        .write(Bytes::from(pattern(BLOCK as usize * 4 * 5 / 2, 7)))
        .await
        .unwrap();
    drop(writer);
    let never_written = store.writer(&rs42()).unwrap();
    drop(never_written);
    // A writer dropped while its stripe task runs: the task's late file writes go to unlinked files.
    let mut racing = store.writer(&rs42()).unwrap();
    racing
        .write(Bytes::from(pattern(BLOCK as usize * 4, 8)))
        .await
        .unwrap();
    drop(racing);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;

    for az in ["az-a", "az-b", "az-c"] {
        assert!(
            files_under(&dir.path().join(az).join("tmp")).is_empty(),
            "{az}/tmp"
        );
    }
    let blobs_after: Vec<_> = ["az-a", "az-b", "az-c"]
        .iter()
        .flat_map(|az| files_under(&dir.path().join(az).join("blobs")))
        .collect();
    assert_eq!(blobs_before, blobs_after);
    assert_eq!(store.list_blobs().await.unwrap().len(), 1);
    assert_eq!(get_all(&store, &kept).await.unwrap(), pattern(5000, 6));
}

#[tokio::test]
async fn nothing_is_visible_in_blobs_before_finish() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), 3);
    let mut writer = store.writer(&rs42()).unwrap();
    writer
        .write(Bytes::from(pattern(BLOCK as usize * 4 * 3, 9)))
        .await
        .unwrap();
    assert!(store.list_blobs().await.unwrap().is_empty());
    let id = writer.id();
    let blob = writer.finish().await.unwrap();
    assert_eq!(blob.id, id);
    assert_eq!(
        store
            .list_blobs()
            .await
            .unwrap()
            .into_iter()
            .map(|(id, _)| id)
            .collect::<Vec<_>>(),
        [id]
    );
}

#[tokio::test]
async fn invalid_layouts_are_refused_by_writer() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), 2);
    assert!(matches!(
        store.writer(&rs42()),
        Err(ChunkError::InvalidLayout(_))
    ));
    let single = Layout {
        spread: Spread::SingleZone,
        ..rs42()
    };
    let data = pattern(20_000, 13);
    let blob = put_in_chunks(&store, &single, &data, 777).await;
    assert!(
        blob.placement
            .iter()
            .all(|loc| loc.az == blob.placement[0].az)
    );
    assert_eq!(get_all(&store, &blob).await.unwrap(), data);
}

#[tokio::test]
async fn list_delete_by_id_clean_temp_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), 3);
    let one = put(&store, &pattern(10_000, 15)).await;
    let two = put(&store, &pattern(30_000, 16)).await;
    let listed = store.list_blobs().await.unwrap();
    let mut ids: Vec<BlobId> = listed.iter().map(|(id, _)| *id).collect();
    let mut expected = vec![one.id, two.id];
    ids.sort();
    expected.sort();
    assert_eq!(ids, expected);
    let newest = std::fs::metadata(store.shard_path(&one, 0))
        .unwrap()
        .modified()
        .unwrap();
    let one_time = listed.iter().find(|(id, _)| *id == one.id).unwrap().1;
    assert!(one_time >= newest);

    // Strays in blobs/ are not blobs; temp leftovers are cleaned.
    std::fs::write(dir.path().join("az-a/blobs/stray.txt"), b"x").unwrap();
    std::fs::write(dir.path().join("az-a/tmp/0123.4.w"), b"x").unwrap();
    std::fs::write(dir.path().join("az-c/tmp/5678.1.r00"), b"x").unwrap();
    assert_eq!(store.clean_temp().await.unwrap(), 2);
    assert_eq!(store.clean_temp().await.unwrap(), 0);

    store.delete_by_id(one.id).await.unwrap();
    store.delete_by_id(one.id).await.unwrap();
    assert_eq!(
        store
            .list_blobs()
            .await
            .unwrap()
            .into_iter()
            .map(|(id, _)| id)
            .collect::<Vec<_>>(),
        [two.id]
    );
    assert_eq!(get_all(&store, &two).await.unwrap(), pattern(30_000, 16));
    assert!(matches!(
        get_all(&store, &one).await,
        Err(ChunkError::Unrecoverable { .. })
    ));

    store.delete(&two).await.unwrap();
    store.delete(&two).await.unwrap();
    assert!(store.list_blobs().await.unwrap().is_empty());
}

#[tokio::test]
async fn malformed_blob_refs_are_refused_not_panicked_on() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), 3);
    let mut blob = put(&store, &pattern(1000, 18)).await;
    blob.placement.pop();
    assert!(matches!(
        get_all(&store, &blob).await,
        Err(ChunkError::InvalidLayout(_))
    ));
    assert!(matches!(
        store.repair(&blob).await,
        Err(ChunkError::InvalidLayout(_))
    ));
    blob.data_shards = 0;
    assert!(matches!(
        get_all(&store, &blob).await,
        Err(ChunkError::InvalidLayout(_))
    ));
}

#[test]
fn blob_ids_print_as_32_hex_and_parse_back() {
    let id = BlobId::random();
    let text = id.to_string();
    assert_eq!(text.len(), 32);
    assert!(
        text.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    assert_eq!(text.parse::<BlobId>(), Ok(id));
    assert!("abc".parse::<BlobId>().is_err());
    assert!("zz".repeat(16).parse::<BlobId>().is_err());
    assert_eq!(
        drives::parse_shard_file_name(&format!("{id}.5")),
        Some((id, 5))
    );
    assert_eq!(drives::parse_shard_file_name(&format!("{id}.5.w")), None);
    assert_eq!(drives::parse_shard_file_name(&format!("{id}.256")), None);
}

#[tokio::test]
async fn a_range_past_the_end_is_clipped() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), 3);
    let data = pattern(10_000, 19);
    let blob = put(&store, &data).await;
    assert_eq!(
        get(&store, &blob, 9_990..20_000).await.unwrap(),
        data[9_990..]
    );
    assert!(get(&store, &blob, 30_000..40_000).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_and_readers_do_not_mix_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), 3);
    let tasks: Vec<_> = (0..8u64)
        .map(|seed| {
            let store = store.clone();
            tokio::spawn(async move {
                let data = pattern(20_000 + seed as usize * 3_001, seed);
                let blob = put_in_chunks(&store, &rs42(), &data, 1_500 + seed as usize).await;
                assert_eq!(get_all(&store, &blob).await.unwrap(), data);
                blob
            })
        })
        .collect();
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap().id);
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 8);
    assert_eq!(store.list_blobs().await.unwrap().len(), 8);
}
