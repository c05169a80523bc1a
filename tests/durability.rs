//! Failure tests: lose an AZ, corrupt shards, kill -9 mid-write — then compare bytes.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use common::{TestServer, pattern, shard_files};

fn blob_ids(data_dir: &Path) -> BTreeSet<String> {
    shard_files(data_dir)
        .iter()
        .filter_map(|p| {
            p.file_name()?
                .to_str()?
                .split('.')
                .next()
                .map(str::to_string)
        })
        .collect()
}

fn temp_files(data_dir: &Path) -> usize {
    let mut count = 0;
    for az in ["az-a", "az-b", "az-c"] {
        if let Ok(entries) = std::fs::read_dir(data_dir.join(az).join("tmp")) {
            count += entries.count();
        }
    }
    count
}

/// A mix of inline, single-blob and multipart objects; returns (key, bytes).
async fn write_fixture(s3: &aws_sdk_s3::Client, bucket: &str) -> Vec<(String, Vec<u8>)> {
    common::create_bucket(s3, bucket).await;
    let mut objects = Vec::new();
    for (i, size) in [
        10usize,
        100 * 1024,
        300 * 1024,
        3 * 1024 * 1024 + 5,
        6 * 1024 * 1024,
    ]
    .into_iter()
    .enumerate()
    {
        let key = format!("single-{size}");
        let data = pattern(size, i as u64 + 100);
        common::put(s3, bucket, &key, data.clone()).await;
        objects.push((key, data));
    }
    let parts = [pattern(5 * 1024 * 1024, 7), pattern(700 * 1024, 8)];
    common::multipart_upload(
        s3,
        s3.create_multipart_upload().bucket(bucket).key("multi"),
        &parts,
    )
    .await;
    objects.push(("multi".to_string(), parts.concat()));
    objects
}

async fn assert_all_read_back(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    objects: &[(String, Vec<u8>)],
) {
    for (key, data) in objects {
        let got = common::get(s3, bucket, key).await;
        assert!(
            got == *data,
            "{key}: {} bytes back, {} expected, or different content",
            got.len(),
            data.len()
        );
    }
}

#[tokio::test]
async fn losing_a_whole_az_loses_no_data() {
    let mut server = TestServer::start();
    let s3 = server.client();
    let objects = write_fixture(&s3, "azloss").await;
    std::fs::remove_dir_all(server.az_dir("az-b")).expect("remove az-b");
    assert_all_read_back(&s3, "azloss", &objects).await;
    assert!(
        server.log().contains("WARN"),
        "the lost shards are reported"
    );

    // After a restart the AZ is known to be down; reads still work and new writes still land.
    server.restart();
    let s3 = server.client();
    assert_all_read_back(&s3, "azloss", &objects).await;
    let fresh = pattern(2 * 1024 * 1024, 42);
    common::put(&s3, "azloss", "written-while-down", fresh.clone()).await;
    assert!(common::get(&s3, "azloss", "written-while-down").await == fresh);
}

#[tokio::test]
async fn a_flipped_byte_in_any_shard_is_detected_repaired_and_never_served() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, "flip").await;
    let data = pattern(3 * 1024 * 1024 + 123, 9);
    common::put(&s3, "flip", "victim", data.clone()).await;
    let files = shard_files(&server.data_dir());
    assert_eq!(files.len(), 6, "RS(4,2): six shard files, got {files:?}");
    let shard0 = files
        .iter()
        .find(|p| p.to_string_lossy().ends_with(".0"))
        .expect("data shard 0")
        .clone();
    let original = std::fs::read(&shard0).expect("read shard");
    let mut damaged = original.clone();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0x5A;
    std::fs::write(&shard0, &damaged).expect("corrupt shard");

    assert!(common::get(&s3, "flip", "victim").await == data);
    let blob_id = shard0
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.split('.').next())
        .expect("id")
        .to_string();
    // The heal worker rewrites the shard; wait for it (bounded).
    let mut repaired = false;
    for _ in 0..100 {
        if std::fs::read(&shard0).is_ok_and(|now| now == original) {
            repaired = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        repaired,
        "shard file rebuilt byte-identical; log:\n{}",
        server.log()
    );
    let log = server.log();
    assert!(
        log.contains(&blob_id),
        "the damage is logged with the blob id:\n{log}"
    );
    assert!(common::get(&s3, "flip", "victim").await == data);
}

#[tokio::test]
async fn two_corrupt_shards_of_rs_4_2_still_read_back() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, "two").await;
    let data = pattern(5 * 1024 * 1024, 10);
    common::put(&s3, "two", "k", data.clone()).await;
    let files = shard_files(&server.data_dir());
    for suffix in [".1", ".3"] {
        let path = files
            .iter()
            .find(|p| p.to_string_lossy().ends_with(suffix))
            .expect("shard");
        let mut bytes = std::fs::read(path).expect("read");
        let at = bytes.len() - 10;
        bytes[at] ^= 0xFF;
        std::fs::write(path, bytes).expect("write");
    }
    assert!(common::get(&s3, "two", "k").await == data);
}

/// Start a 200 MiB upload over a raw socket, stream part of it, then kill -9 the server.
fn start_partial_upload(
    server: &TestServer,
    path: &str,
    total: usize,
    send: usize,
) -> std::net::TcpStream {
    use std::io::Write;
    let headers = common::signed_headers(
        "PUT",
        &server.addr,
        path,
        &[("content-length", &total.to_string())],
        "UNSIGNED-PAYLOAD",
        std::time::SystemTime::now(),
    );
    let mut stream = std::net::TcpStream::connect(&server.addr).expect("connect");
    let mut head = format!("PUT {path} HTTP/1.1\r\n");
    for (k, v) in &headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("head");
    let block = pattern(1024 * 1024, 77);
    let mut sent = 0;
    while sent < send {
        stream.write_all(&block).expect("body");
        sent += block.len();
    }
    stream
}

#[tokio::test]
async fn kill_9_during_a_200_mib_upload_leaves_no_partial_object_and_keeps_acknowledged_ones() {
    let mut server = TestServer::start();
    let s3 = server.client();
    let objects = write_fixture(&s3, "crash").await;
    let before = blob_ids(&server.data_dir());

    let _stream =
        start_partial_upload(&server, "/crash/huge", 200 * 1024 * 1024, 120 * 1024 * 1024);
    std::thread::sleep(Duration::from_millis(300));
    server.kill9();
    assert!(
        temp_files(&server.data_dir()) > 0,
        "the interrupted write had temp shard files"
    );

    server.restart();
    let s3 = server.client();
    let err = s3
        .head_object()
        .bucket("crash")
        .key("huge")
        .send()
        .await
        .expect_err("no partial object");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(404));
    assert_all_read_back(&s3, "crash", &objects).await;
    assert_eq!(
        temp_files(&server.data_dir()),
        0,
        "start-up recovery removed the temp files"
    );
    assert_eq!(
        blob_ids(&server.data_dir()),
        before,
        "no shard of the interrupted upload is left"
    );
}

#[tokio::test]
async fn orphan_blobs_written_but_never_committed_are_collected_at_start_up() {
    let mut server = TestServer::start();
    let s3 = server.client();
    let objects = write_fixture(&s3, "orphans").await;
    let before = blob_ids(&server.data_dir());
    // Simulate a crash between shard rename and metadata commit: shard files of a blob id that
    // no metadata references.
    let orphan_id = "0123456789abcdef0123456789abcdef";
    for file in shard_files(&server.data_dir()).iter().take(6) {
        let name = file.file_name().and_then(|n| n.to_str()).expect("name");
        let suffix = name.split('.').nth(1).expect("shard index");
        let dir = file
            .parent()
            .and_then(|p| p.parent())
            .expect("blobs dir")
            .join(&orphan_id[..2]);
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::copy(file, dir.join(format!("{orphan_id}.{suffix}"))).expect("copy");
    }
    assert!(blob_ids(&server.data_dir()).contains(orphan_id));
    server.restart();
    assert_eq!(
        blob_ids(&server.data_dir()),
        before,
        "the orphan was collected"
    );
    assert_all_read_back(&server.client(), "orphans", &objects).await;
}

#[tokio::test]
async fn kill_9_around_complete_multipart_upload_is_all_or_nothing() {
    let mut server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, "complete").await;
    let parts = [
        pattern(5 * 1024 * 1024, 1),
        pattern(5 * 1024 * 1024, 2),
        pattern(1024 * 1024, 3),
    ];
    let upload = s3
        .create_multipart_upload()
        .bucket("complete")
        .key("obj")
        .send()
        .await
        .expect("create");
    let upload_id = upload.upload_id().expect("id").to_string();
    let mut xml = String::from("<CompleteMultipartUpload>");
    for (i, part) in parts.iter().enumerate() {
        let out = s3
            .upload_part()
            .bucket("complete")
            .key("obj")
            .upload_id(&upload_id)
            .part_number(i as i32 + 1)
            .body(ByteStream::from(part.clone()))
            .send()
            .await
            .expect("part");
        xml.push_str(&format!(
            "<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>",
            i + 1,
            out.e_tag().expect("etag")
        ));
    }
    xml.push_str("</CompleteMultipartUpload>");
    // Send Complete and kill the server without waiting for the answer.
    let request = common::signed_request(
        "POST",
        &server.addr,
        &format!("/complete/obj?uploadId={upload_id}"),
        &[],
        xml.as_bytes(),
    );
    let mut stream = std::net::TcpStream::connect(&server.addr).expect("connect");
    std::io::Write::write_all(&mut stream, &request).expect("send complete");
    server.kill9();
    server.restart();
    let s3 = server.client();
    match s3.get_object().bucket("complete").key("obj").send().await {
        Ok(out) => {
            let got = out.body.collect().await.expect("body").into_bytes();
            assert!(
                got.as_ref() == parts.concat().as_slice(),
                "a visible object is the complete object"
            );
        }
        Err(err) => {
            assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(404));
            // Not committed: the upload is still there and can be completed now.
            let listed = s3
                .list_parts()
                .bucket("complete")
                .key("obj")
                .upload_id(&upload_id)
                .send()
                .await
                .expect("parts");
            assert_eq!(listed.parts().len(), 3);
        }
    }
}

#[tokio::test]
async fn acknowledged_writes_survive_kill_9() {
    let mut server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, "acked").await;
    let mut objects = Vec::new();
    for i in 0..20 {
        let data = pattern(if i % 2 == 0 { 1000 } else { 200 * 1024 }, i);
        common::put(&s3, "acked", &format!("k{i}"), data.clone()).await;
        objects.push((format!("k{i}"), data));
    }
    s3.delete_object()
        .bucket("acked")
        .key("k0")
        .send()
        .await
        .expect("delete");
    objects.remove(0);
    server.kill9();
    server.restart();
    let s3 = server.client();
    assert_all_read_back(&s3, "acked", &objects).await;
    let err = s3
        .head_object()
        .bucket("acked")
        .key("k0")
        .send()
        .await
        .expect_err("deleted stays deleted");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(404));
}

/// One PUT of the versioned crash test: the body is `pattern(size, seed)`.
#[derive(Debug, Clone, Copy)]
struct Put {
    size: usize,
    seed: u64,
}

impl Put {
    fn body(self) -> Vec<u8> {
        pattern(self.size, self.seed)
    }
}

/// What a writer saw before the server died: the acknowledged PUTs (version id, put), oldest
/// first, and the one PUT that got no answer.
struct Written {
    acked: Vec<(String, Put)>,
    in_flight: Put,
    error: String,
}

const CRASH_BUCKET: &str = "crash-versions";
const CRASH_KEY: &str = "one-key";

/// PUT one key over and over with distinct bodies until a PUT fails (the server was killed),
/// counting acknowledgements in `acked_count`.
async fn put_until_refused(
    s3: aws_sdk_s3::Client,
    first_seed: u64,
    acked_count: Arc<AtomicUsize>,
) -> Written {
    // Inline (below the 128 KiB inline threshold) and erasure-coded bodies, in turn.
    const SIZES: [usize; 4] = [10 * 1024, 3 * 1024 * 1024, 100 * 1024, 3 * 1024 * 1024 + 5];
    let mut acked = Vec::new();
    let mut seed = first_seed;
    loop {
        let put = Put {
            size: SIZES[seed as usize % SIZES.len()],
            seed,
        };
        let sent = s3
            .put_object()
            .bucket(CRASH_BUCKET)
            .key(CRASH_KEY)
            .body(ByteStream::from(put.body()))
            .send()
            .await;
        match sent {
            Ok(out) => {
                let id = out
                    .version_id()
                    .expect("a PUT into an Enabled bucket answers with its version id");
                acked.push((id.to_string(), put));
                acked_count.fetch_add(1, Ordering::SeqCst);
            }
            Err(e) => {
                return Written {
                    acked,
                    in_flight: put,
                    error: format!("{e:?}"),
                };
            }
        }
        seed += 1;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_amid_puts_of_one_versioned_key_keeps_exactly_the_acknowledged_versions() {
    use aws_sdk_s3::config::retry::RetryConfig;
    let mut server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, CRASH_BUCKET).await;
    common::set_versioning(
        &s3,
        CRASH_BUCKET,
        aws_sdk_s3::types::BucketVersioningStatus::Enabled,
    )
    .await;
    // Every version that must exist, oldest first.
    let mut history: Vec<(String, Put)> = Vec::new();
    let mut seed = 0;
    // Kill at a different moment of the PUT in flight each round: ms after the sixth answer.
    for (round, delay) in [0, 2, 5, 11, 23].into_iter().enumerate() {
        // No retries: a retried PUT could land after the restart and blur what was acknowledged
        // before the kill.
        let writer_s3 = aws_sdk_s3::Client::from_conf(
            server
                .client()
                .config()
                .to_builder()
                .retry_config(RetryConfig::disabled())
                .build(),
        );
        let acked_count = Arc::new(AtomicUsize::new(0));
        let writer = tokio::spawn(put_until_refused(writer_s3, seed, acked_count.clone()));
        let deadline = Instant::now() + Duration::from_secs(60);
        while acked_count.load(Ordering::SeqCst) < 6 {
            if writer.is_finished() {
                let written = writer.await.expect("writer");
                panic!("a PUT failed before the kill: {}", written.error);
            }
            assert!(Instant::now() < deadline, "six PUTs take under a minute");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        tokio::time::sleep(Duration::from_millis(delay)).await;
        server.kill9();
        let written = writer.await.expect("writer");
        eprintln!(
            "round {round}: {} PUTs acknowledged, then {:?} failed: {}",
            written.acked.len(),
            written.in_flight,
            written.error
        );
        seed = written.in_flight.seed + 1;
        history.extend(written.acked);

        server.restart();
        let s3 = server.client();
        let (versions, markers) = common::versions_of(&s3, CRASH_BUCKET, CRASH_KEY).await;
        assert!(markers.is_empty(), "no delete markers: {markers:?}");
        let listed: Vec<&str> = versions
            .iter()
            .map(|v| v.version_id().expect("version id"))
            .collect();
        common::assert_newest_is_latest(&versions);
        // The PUT in flight at the kill was never acknowledged, but it may have committed
        // before the process died with only its answer lost: S3 promises nothing either way
        // for an unacknowledged write. So the listing may hold that one extra version, as the
        // newest (it was sent after every acknowledged one) — and it must then be whole.
        let acked: Vec<&str> = history.iter().rev().map(|(id, _)| id.as_str()).collect();
        let committed_in_flight = listed.len() == acked.len() + 1;
        let known = &listed[usize::from(committed_in_flight)..];
        assert_eq!(
            known, acked,
            "round {round}: every acknowledged version, newest first, and no other"
        );
        if committed_in_flight {
            eprintln!("round {round}: the unacknowledged PUT committed");
            history.push((listed[0].to_string(), written.in_flight));
        }
        for (id, put) in &history {
            let got = common::get_version(&s3, CRASH_BUCKET, CRASH_KEY, id).await;
            assert!(
                got == put.body(),
                "version {id} ({put:?}): {} bytes back, or different content",
                got.len()
            );
        }
        let (_, newest) = history.last().expect("versions");
        assert!(common::get(&s3, CRASH_BUCKET, CRASH_KEY).await == newest.body());
    }
}

/// Temp shard files of a write in the archive layout (RS(8,4): shard indices up to 11).
fn archive_temp_files(data_dir: &Path) -> usize {
    let mut count = 0;
    for az in ["az-a", "az-b", "az-c"] {
        for entry in std::fs::read_dir(data_dir.join(az).join("tmp"))
            .into_iter()
            .flatten()
            .flatten()
        {
            if entry.file_name().to_string_lossy().contains(".11.") {
                count += 1;
            }
        }
    }
    count
}

async fn class_of(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> String {
    let head = s3
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .expect("head");
    head.storage_class()
        .map_or("STANDARD".into(), |c| c.as_str().to_string())
}

#[tokio::test]
async fn kill_9_during_a_200_mib_transition_keeps_the_object_in_exactly_one_layout() {
    use aws_sdk_s3::types::{
        BucketLifecycleConfiguration, ExpirationStatus, LifecycleRule, LifecycleRuleFilter,
        Transition, TransitionStorageClass,
    };
    let mut server = TestServer::start_with(&["--lifecycle-day-seconds", "0.05"]);
    let s3 = server.client();
    common::create_bucket(&s3, "tiers").await;
    let data = pattern(200 * 1024 * 1024, 61);
    common::put(&s3, "tiers", "big", data.clone()).await;
    let rule = LifecycleRule::builder()
        .id("to-archive")
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("").build())
        .transitions(
            Transition::builder()
                .days(1)
                .storage_class(TransitionStorageClass::GlacierIr)
                .build(),
        )
        .build()
        .expect("rule");
    s3.put_bucket_lifecycle_configuration()
        .bucket("tiers")
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .rules(rule)
                .build()
                .expect("configuration"),
        )
        .send()
        .await
        .expect("put lifecycle");

    // Kill the server while the re-encode into RS(8,4) is writing its temp shards.
    let deadline = Instant::now() + Duration::from_secs(30);
    while archive_temp_files(&server.data_dir()) == 0 {
        assert!(
            Instant::now() < deadline,
            "the transition never started\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    server.kill9();
    server.restart();
    let s3 = server.client();

    // Whatever layout it is in now, it reads back whole; the worker then finishes the job.
    let read = common::get(&s3, "tiers", "big").await;
    assert!(read == data, "the object changed across the crash");
    let deadline = Instant::now() + Duration::from_secs(60);
    while class_of(&s3, "tiers", "big").await != "GLACIER_IR" {
        assert!(
            Instant::now() < deadline,
            "the transition never completed\n{}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let read = common::get(&s3, "tiers", "big").await;
    assert!(read == data, "the transitioned object differs");
    // No orphan: one blob of twelve shards left once the GC has run, no temp files.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let files = shard_files(&server.data_dir()).len();
        if blob_ids(&server.data_dir()).len() == 1
            && files == 12
            && temp_files(&server.data_dir()) == 0
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "left behind: {:?} ({files} shard files, {} temp files)",
            blob_ids(&server.data_dir()),
            temp_files(&server.data_dir())
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
