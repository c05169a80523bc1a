//! Behaviour tests of AZs and drives: lost and returning AZs, write quorum, several drives per AZ,
//! the data root's format, operator actions. Helpers are shared with `tests.rs`.

use std::path::{Path, PathBuf};

use bytes::Bytes;

use super::tests::{
    BLOCK, assert_damage_once, files_under, get, get_all, open, pattern, put, put_in_chunks, rs42,
};
use super::*;

#[tokio::test]
async fn losing_a_whole_az_directory_loses_no_byte() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), 3);
    let mut damage = store.take_damage_receiver().unwrap();
    assert!(store.take_damage_receiver().is_none());
    let data = pattern(BLOCK as usize * 4 * 7 / 2, 1);
    let blob = put(&store, &data).await;

    std::fs::remove_dir_all(dir.path().join("az-b")).unwrap();
    assert_eq!(get_all(&store, &blob).await.unwrap(), data);
    assert_damage_once(&mut damage, &blob);
    // The failed reads re-probed the drive: it is now known to be down.
    assert!(!store.az_status()[1].up);
    for start in (0..data.len() as u64).step_by(5000) {
        let end = (start + 7000).min(data.len() as u64);
        assert_eq!(
            get(&store, &blob, start..end).await.unwrap(),
            data[start as usize..end as usize]
        );
    }

    // After a restart the AZ is down from the start and is not re-created.
    drop(store);
    let store = open(dir.path(), 3);
    let status = store.az_status();
    assert_eq!(
        status
            .iter()
            .map(|az| (az.name.as_str(), az.up))
            .collect::<Vec<_>>(),
        [("az-a", true), ("az-b", false), ("az-c", true)]
    );
    assert!(!dir.path().join("az-b").exists());
    assert_eq!(get_all(&store, &blob).await.unwrap(), data);
}

#[tokio::test]
async fn writes_with_one_az_down_reach_quorum_and_heal_when_it_returns() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path(), 3));
    let az_c = dir.path().join("az-c");
    std::fs::remove_dir_all(&az_c).unwrap();
    let store = open(dir.path(), 3);
    let mut damage = store.take_damage_receiver().unwrap();
    assert!(!store.az_status()[2].up);

    let data = pattern(BLOCK as usize * 4 * 5 / 2, 10);
    let blob = put(&store, &data).await;
    assert_damage_once(&mut damage, &blob);
    assert!(
        !az_c.exists(),
        "a down drive's directory must not be re-created"
    );
    assert_eq!(get_all(&store, &blob).await.unwrap(), data);
    let in_c: Vec<usize> = (0..6).filter(|&s| blob.placement[s].az == 2).collect();
    assert_eq!(in_c.len(), 2);
    let report = store.repair(&blob).await.unwrap();
    assert_eq!(report.skipped_down, in_c);
    assert!(report.rebuilt.is_empty());

    // The operator brings the disk back (empty): a re-probe sees it, the heal writes the shards.
    for sub in ["tmp", "blobs"] {
        std::fs::create_dir_all(az_c.join(sub)).unwrap();
    }
    assert!(store.recheck_drives().await.unwrap()[2].up);
    let report = store.repair(&blob).await.unwrap();
    assert_eq!(report.rebuilt, in_c);
    assert!(store.az_status()[2].up);
    for shard in in_c {
        std::fs::remove_file(store.shard_path(&blob, (shard + 1) % 6)).ok();
    }
    assert_eq!(get_all(&store, &blob).await.unwrap(), data);
}

#[tokio::test]
async fn writes_below_quorum_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path(), 3));
    std::fs::remove_dir_all(dir.path().join("az-a")).unwrap();
    std::fs::remove_dir_all(dir.path().join("az-b")).unwrap();
    let store = open(dir.path(), 3);
    assert!(matches!(
        store.writer(&rs42()),
        Err(ChunkError::Unavailable(_))
    ));

    // A drive lost during the write: the stripes fail once quorum is gone, and nothing is left.
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), 3);
    let mut writer = store.writer(&rs42()).unwrap();
    writer
        .write(Bytes::from(pattern(BLOCK as usize * 4, 11)))
        .await
        .unwrap();
    for az in ["az-a", "az-b"] {
        std::fs::remove_dir_all(dir.path().join(az)).unwrap();
    }
    let mut result = Ok(());
    for _ in 0..3 {
        result = writer
            .write(Bytes::from(pattern(BLOCK as usize * 4, 12)))
            .await;
        if result.is_err() {
            break;
        }
    }
    let result = match result {
        Ok(()) => writer.finish().await.map(|_| ()),
        Err(e) => {
            drop(writer);
            Err(e)
        }
    };
    assert!(
        matches!(result, Err(ChunkError::Unavailable(_))),
        "{result:?}"
    );
    assert!(files_under(&dir.path().join("az-c")).is_empty());
}

#[tokio::test]
async fn several_drives_per_az_share_the_shards() {
    let dir = tempfile::tempdir().unwrap();
    let config = ChunkConfig {
        root: dir.path().to_path_buf(),
        azs: ["east", "west", "north"]
            .iter()
            .map(|name| AzConfig {
                name: name.to_string(),
                drives: (0..2)
                    .map(|d| dir.path().join(format!("{name}-{d}")))
                    .collect(),
                archive_drives: Vec::new(),
            })
            .collect(),
    };
    let store = ChunkStore::open(config.clone()).unwrap();
    let data = pattern(50_000, 14);
    let blob = put(&store, &data).await;
    for (shard, loc) in blob.placement.iter().enumerate() {
        let drive = &config.azs[usize::from(loc.az)].drives[usize::from(loc.drive)];
        assert!(store.shard_path(&blob, shard).starts_with(drive));
        assert!(store.shard_path(&blob, shard).exists());
    }
    // Two shards per AZ, round-robin: one on each drive.
    for az in 0..3u16 {
        let drives: Vec<u16> = blob
            .placement
            .iter()
            .filter(|l| l.az == az)
            .map(|l| l.drive)
            .collect();
        assert_eq!(drives.len(), 2);
        assert_ne!(drives[0], drives[1]);
    }
    // One drive of an AZ gone: that AZ is still up.
    std::fs::remove_dir_all(dir.path().join("east-0")).unwrap();
    drop(store);
    let store = ChunkStore::open(config).unwrap();
    let east = &store.az_status()[0];
    assert!(east.up && !east.drives[0].up && east.drives[1].up);
    assert_eq!(get_all(&store, &blob).await.unwrap(), data);
}

#[tokio::test]
async fn first_open_formats_the_root_and_later_opens_check_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), 3);
    let format = std::fs::read_to_string(dir.path().join("format.json")).unwrap();
    assert_eq!(
        format::DataFormat::from_json(&format).unwrap().azs,
        ["az-a", "az-b", "az-c"]
    );
    for az in ["az-a", "az-b", "az-c"] {
        assert!(
            dir.path().join(az).join("tmp").is_dir() && dir.path().join(az).join("blobs").is_dir()
        );
    }
    drop(store);

    // Reordered AZs would change what every stored location means.
    let mut config = ChunkConfig::with_default_azs(dir.path(), 3);
    config.azs.swap(0, 1);
    assert!(matches!(
        ChunkStore::open(config),
        Err(ChunkError::Io { .. })
    ));
    // Appending an AZ is allowed; its drive is down until created.
    let store = open(dir.path(), 4);
    assert!(!store.az_status()[3].up);
    assert!(!dir.path().join("az-d").exists());

    // A drive whose tmp/ is not a directory is not writable: down.
    std::fs::remove_dir(dir.path().join("az-b/tmp")).unwrap();
    std::fs::write(dir.path().join("az-b/tmp"), b"").unwrap();
    let store = open(dir.path(), 3);
    assert!(!store.az_status()[1].up);

    let no_azs = ChunkConfig {
        root: dir.path().to_path_buf(),
        azs: vec![],
    };
    assert!(matches!(
        ChunkStore::open(no_azs),
        Err(ChunkError::InvalidLayout(_))
    ));
}

#[tokio::test]
async fn operators_can_take_an_az_out_of_service() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), 3);
    let mut damage = store.take_damage_receiver().unwrap();
    assert!(store.set_az_down("az-a", true));
    assert!(!store.set_az_down("az-x", true));
    assert!(!store.az_status()[0].up);
    let data = pattern(20_000, 17);
    let blob = put(&store, &data).await;
    assert_damage_once(&mut damage, &blob);
    assert_eq!(get_all(&store, &blob).await.unwrap(), data);
    // Repair re-probes down drives, but an operator's decision stands.
    let report = store.repair(&blob).await.unwrap();
    assert_eq!((report.rebuilt.len(), report.skipped_down.len()), (0, 2));
    assert!(!store.recheck_drives().await.unwrap()[0].up);
    assert!(files_under(&dir.path().join("az-a")).is_empty());
    assert!(store.set_az_down("az-a", false));
    assert!(store.az_status()[0].up);
    let report = store.repair(&blob).await.unwrap();
    assert_eq!(report.rebuilt.len(), 2);
    assert_eq!(get_all(&store, &blob).await.unwrap(), data);
}

#[test]
fn default_az_names_continue_past_z() {
    let config = ChunkConfig::with_default_azs(Path::new("/data"), 28);
    assert_eq!(config.azs[0].name, "az-a");
    assert_eq!(config.azs[25].name, "az-z");
    assert_eq!(config.azs[26].name, "az-aa");
    assert_eq!(config.azs[27].drives, [PathBuf::from("/data/az-ab")]);
}

#[tokio::test]
async fn archive_layouts_go_to_the_archive_pool_where_an_az_has_one() {
    let dir = tempfile::tempdir().unwrap();
    // east and west have an archive drive each; north has only its hot drive.
    let config = ChunkConfig {
        root: dir.path().to_path_buf(),
        azs: ["east", "west", "north"]
            .iter()
            .map(|name| AzConfig {
                name: name.to_string(),
                drives: vec![dir.path().join(format!("{name}-hot"))],
                archive_drives: match *name {
                    "north" => Vec::new(),
                    _ => vec![dir.path().join(format!("{name}-archive"))],
                },
            })
            .collect(),
    };
    let store = ChunkStore::open(config.clone()).unwrap();
    let data = pattern(300_000, 15);
    let archive = Layout {
        pool: Pool::Archive,
        ..rs42()
    };
    let hot_blob = put(&store, &data).await;
    let archive_blob = put_in_chunks(&store, &archive, &data, 4096).await;
    let drive_of = |blob: &BlobRef, shard: usize| {
        let loc = blob.placement[shard];
        let az = &config.azs[usize::from(loc.az)];
        let all: Vec<&PathBuf> = az.drives.iter().chain(&az.archive_drives).collect();
        (az.name.clone(), all[usize::from(loc.drive)].clone())
    };
    for shard in 0..6 {
        let (_, hot_drive) = drive_of(&hot_blob, shard);
        assert!(
            hot_drive.to_string_lossy().ends_with("-hot"),
            "{}",
            hot_drive.display()
        );
        let (az, drive) = drive_of(&archive_blob, shard);
        let expected = if az == "north" { "hot" } else { "archive" };
        assert!(
            drive
                .to_string_lossy()
                .ends_with(&format!("{az}-{expected}")),
            "shard {shard} of the archive blob is on {}",
            drive.display()
        );
        assert!(store.shard_path(&archive_blob, shard).starts_with(&drive));
        assert!(store.shard_path(&archive_blob, shard).exists());
    }
    assert_eq!(get_all(&store, &archive_blob).await.unwrap(), data);
}
