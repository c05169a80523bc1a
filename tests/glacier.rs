//! Archive classes against the real binary, with `--lifecycle-day-seconds 1` so that AWS's
//! hours are fractions of a second: GLACIER and DEEP_ARCHIVE objects are stored (in the wide
//! archive layout) but not readable, RestoreObject makes a temporary copy after the tier's
//! latency, `x-amz-restore` reports it, and the copy goes away after its days while the archive
//! stays. Raw HTTP where the status matters (202 vs 200), aws-sdk-s3 and the aws CLI elsewhere.

mod common;

use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::StorageClass;
use common::aws_cli::AwsCli;
use common::{TestServer, assert_raw_error, pattern, shard_names, signed_exchange, xml_value};

const BUCKET: &str = "vault";

async fn archive_server() -> (TestServer, aws_sdk_s3::Client) {
    let server = TestServer::start_with(&["--lifecycle-day-seconds", "1"]);
    let s3 = server.client();
    common::create_bucket(&s3, BUCKET).await;
    (server, s3)
}

async fn put_in(s3: &aws_sdk_s3::Client, key: &str, class: &str, data: &[u8]) {
    s3.put_object()
        .bucket(BUCKET)
        .key(key)
        .storage_class(StorageClass::from(class))
        .body(ByteStream::from(data.to_vec()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("put {key}: {e:?}"));
}

fn restore_body(days: Option<u32>, tier: &str) -> String {
    let days = days
        .map(|d| format!("<Days>{d}</Days>"))
        .unwrap_or_default();
    format!(
        "<RestoreRequest xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">{days}\
         <GlacierJobParameters><Tier>{tier}</Tier></GlacierJobParameters></RestoreRequest>"
    )
}

fn restore(server: &TestServer, key: &str, days: Option<u32>, tier: &str) -> common::RawResponse {
    let path = format!("/{BUCKET}/{key}?restore");
    signed_exchange(
        server,
        "POST",
        &path,
        &[],
        restore_body(days, tier).as_bytes(),
    )
}

fn get(server: &TestServer, key: &str) -> common::RawResponse {
    signed_exchange(server, "GET", &format!("/{BUCKET}/{key}"), &[], b"")
}

fn head(server: &TestServer, key: &str) -> common::RawResponse {
    signed_exchange(server, "HEAD", &format!("/{BUCKET}/{key}"), &[], b"")
}

/// Polls HEAD until `done` holds for its `x-amz-restore` header (at most 20 s).
fn wait_for_restore(server: &TestServer, key: &str, done: impl Fn(Option<&str>) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let response = head(server, key);
        if done(response.header("x-amz-restore")) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "restore of {key} never reached the expected state; last x-amz-restore: {:?}\n{}",
            response.header("x-amz-restore"),
            server.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn assert_archived(response: &common::RawResponse, class: &str) {
    assert_raw_error(response, 403, "InvalidObjectState");
    let body = response.body_text();
    assert_eq!(
        xml_value(&body, "StorageClass").as_deref(),
        Some(class),
        "{body}"
    );
}

#[tokio::test]
async fn an_archived_object_is_stored_wide_and_unreadable_until_restored() {
    let (server, s3) = archive_server().await;
    let data = pattern(20 * 1024 * 1024 + 5, 41);
    put_in(&s3, "archive.bin", "GLACIER", &data).await;

    // RS(8,4) over the three AZs: twelve shard files, four per AZ.
    let files = shard_names(&server.data_dir());
    assert_eq!(files.len(), 12, "{files:?}");
    for az in ["az-a", "az-b", "az-c"] {
        assert_eq!(shard_names(&server.data_dir().join(az)).len(), 4, "{az}");
    }

    let head = head(&server, "archive.bin");
    assert_eq!(head.status, 200);
    assert_eq!(head.header("x-amz-storage-class"), Some("GLACIER"));
    assert_eq!(head.header("x-amz-restore"), None);
    assert_archived(&get(&server, "archive.bin"), "GLACIER");

    // Neither may it be a copy source (AWS words that for the source).
    let copy = signed_exchange(
        &server,
        "PUT",
        &format!("/{BUCKET}/copy.bin"),
        &[("x-amz-copy-source", &format!("/{BUCKET}/archive.bin"))],
        b"",
    );
    assert_archived(&copy, "GLACIER");
    assert!(
        copy.body_text().contains("source object"),
        "{}",
        copy.body_text()
    );

    // Listings show the class.
    let listed = s3
        .list_objects_v2()
        .bucket(BUCKET)
        .send()
        .await
        .expect("list");
    let entry = &listed.contents()[0];
    assert_eq!(entry.storage_class().map(|c| c.as_str()), Some("GLACIER"));
}

#[tokio::test]
async fn restore_makes_a_temporary_copy_that_expires_and_leaves_the_archive() {
    let (server, s3) = archive_server().await;
    let data = pattern(3 * 1024 * 1024, 42);
    put_in(&s3, "photo.raw", "GLACIER", &data).await;
    let archive_shards = shard_names(&server.data_dir());

    // Three lifecycle days (seconds here) leave ample time to read the copy before it goes.
    let started = restore(&server, "photo.raw", Some(3), "Standard");
    assert_eq!(started.status, 202, "{}", started.body_text());
    // Until the copy is ready: in progress, still unreadable, a second request is a conflict.
    let first = head(&server, "photo.raw");
    if first.header("x-amz-restore") == Some("ongoing-request=\"true\"") {
        let again = restore(&server, "photo.raw", Some(3), "Standard");
        if again.status != 200 {
            assert_raw_error(&again, 409, "RestoreAlreadyInProgress");
        }
    }

    wait_for_restore(&server, "photo.raw", |h| {
        h.is_some_and(|h| h.starts_with("ongoing-request=\"false\", expiry-date=\""))
    });
    let read = get(&server, "photo.raw");
    assert_eq!(read.status, 200, "{}", read.body_text());
    assert!(read.body == data, "the restored bytes differ");
    assert_eq!(read.header("x-amz-storage-class"), Some("GLACIER"));
    assert!(
        read.header("x-amz-restore")
            .is_some_and(|h| h.ends_with(" GMT\""))
    );
    // The copy sits beside the archive (RS(4,2): six more shard files).
    assert_eq!(
        shard_names(&server.data_dir()).len(),
        archive_shards.len() + 6
    );

    // Listings report it when asked to.
    let listed = s3
        .list_objects_v2()
        .bucket(BUCKET)
        .optional_object_attributes(aws_sdk_s3::types::OptionalObjectAttributes::RestoreStatus)
        .send()
        .await
        .expect("list");
    let status = listed.contents()[0]
        .restore_status()
        .expect("RestoreStatus");
    assert_eq!(status.is_restore_in_progress(), Some(false));
    assert!(status.restore_expiry_date().is_some());
    let plain = s3
        .list_objects_v2()
        .bucket(BUCKET)
        .send()
        .await
        .expect("list");
    assert!(plain.contents()[0].restore_status().is_none());

    // A restore of a restored object only extends it: 200.
    let extended = restore(&server, "photo.raw", Some(1), "Bulk");
    assert_eq!(extended.status, 200, "{}", extended.body_text());

    // A lifecycle day later (plus the rounding to the day boundary) the copy is gone.
    wait_for_restore(&server, "photo.raw", |h| h.is_none());
    assert_archived(&get(&server, "photo.raw"), "GLACIER");
    let deadline = Instant::now() + Duration::from_secs(20);
    while shard_names(&server.data_dir()) != archive_shards {
        assert!(
            Instant::now() < deadline,
            "the copy's shards were never collected"
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // The archive is intact: it restores again, byte-identical.
    let again = restore(&server, "photo.raw", Some(1), "Expedited");
    assert_eq!(again.status, 202, "{}", again.body_text());
    wait_for_restore(&server, "photo.raw", |h| {
        h.is_some_and(|h| h.starts_with("ongoing-request=\"false\""))
    });
    let s3_read = s3.get_object().bucket(BUCKET).key("photo.raw").send().await;
    let bytes = s3_read
        .expect("get")
        .body
        .collect()
        .await
        .expect("body")
        .into_bytes();
    assert!(bytes[..] == data[..]);
}

#[tokio::test]
async fn restore_requests_are_refused_as_on_aws() {
    let (server, s3) = archive_server().await;
    put_in(&s3, "deep", "DEEP_ARCHIVE", b"deep archive bytes").await;
    put_in(&s3, "hot", "STANDARD", b"hot bytes").await;
    put_in(&s3, "instant", "GLACIER_IR", b"instant bytes").await;

    // DEEP_ARCHIVE has no Expedited tier.
    assert_raw_error(
        &restore(&server, "deep", Some(1), "Expedited"),
        400,
        "InvalidArgument",
    );
    // Archive restores need Days.
    assert_raw_error(
        &restore(&server, "deep", None, "Standard"),
        400,
        "InvalidArgument",
    );
    assert_raw_error(
        &restore(&server, "deep", Some(0), "Standard"),
        400,
        "InvalidArgument",
    );
    // Classes that are readable need no restore.
    for key in ["hot", "instant"] {
        let refused = restore(&server, key, Some(1), "Standard");
        assert_raw_error(&refused, 403, "InvalidObjectState");
        assert!(refused.body_text().contains("Restore is not allowed"));
    }
    // Malformed requests.
    let path = format!("/{BUCKET}/deep?restore");
    let bad_tier = b"<RestoreRequest><Days>1</Days><Tier>Fastest</Tier></RestoreRequest>";
    assert_raw_error(
        &signed_exchange(&server, "POST", &path, &[], bad_tier),
        400,
        "MalformedXML",
    );
    let select = b"<RestoreRequest><Type>SELECT</Type></RestoreRequest>";
    assert_raw_error(
        &signed_exchange(&server, "POST", &path, &[], select),
        501,
        "NotImplemented",
    );
    let missing = restore(&server, "nothing-here", Some(1), "Standard");
    assert_raw_error(&missing, 404, "NoSuchKey");
    // DEEP_ARCHIVE's Bulk tier takes two lifecycle days here (48 hours on AWS).
    assert_eq!(restore(&server, "deep", Some(1), "Bulk").status, 202);
    assert_eq!(
        head(&server, "deep").header("x-amz-restore"),
        Some("ongoing-request=\"true\"")
    );
    assert_archived(&get(&server, "deep"), "DEEP_ARCHIVE");
}

#[tokio::test]
async fn the_aws_cli_archives_restores_and_reads_back() {
    let (server, _s3) = archive_server().await;
    let home = tempfile::tempdir().expect("home");
    let aws = AwsCli::new(&server, home.path());
    let source = home.path().join("ledger.csv");
    let data = pattern(700_000, 43);
    std::fs::write(&source, &data).expect("write source");
    let target = format!("s3://{BUCKET}/ledger.csv");
    aws.run(&[
        "s3",
        "cp",
        &source.display().to_string(),
        &target,
        "--storage-class",
        "DEEP_ARCHIVE",
    ]);
    let head = aws.json(&[
        "s3api",
        "head-object",
        "--bucket",
        BUCKET,
        "--key",
        "ledger.csv",
    ]);
    assert_eq!(head["StorageClass"], "DEEP_ARCHIVE", "{head}");
    // The CLI itself refuses to download an unrestored archive (it reads the class first).
    let early = home.path().join("early.csv").display().to_string();
    let refused = aws.run_fails(&["s3", "cp", &target, &early]);
    assert!(refused.contains("restore"), "{refused}");

    aws.run(&[
        "s3api",
        "restore-object",
        "--bucket",
        BUCKET,
        "--key",
        "ledger.csv",
        "--restore-request",
        "Days=10,GlacierJobParameters={Tier=Standard}",
    ]);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let head = aws.json(&[
            "s3api",
            "head-object",
            "--bucket",
            BUCKET,
            "--key",
            "ledger.csv",
        ]);
        let restore = head["Restore"].as_str().unwrap_or_default().to_string();
        if restore.starts_with("ongoing-request=\"false\"") {
            break;
        }
        assert!(restore.starts_with("ongoing-request=\"true\""), "{head}");
        assert!(Instant::now() < deadline, "restore never finished: {head}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let copy = home.path().join("back.csv");
    aws.run(&["s3", "cp", &target, &copy.display().to_string()]);
    assert!(std::fs::read(&copy).expect("read back") == data);
}
