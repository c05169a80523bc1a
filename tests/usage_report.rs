//! The usage and cost report (`strata admin usage`) against a hand computation: a small known
//! data set in several classes, its billable bytes worked out from AWS's rules (128 KiB minimum
//! for IA and GLACIER_IR, 32 KiB + 8 KiB per GLACIER object), its monthly cost from the class
//! prices, and its bytes on disk checked against the shard files actually written.

mod common;

use std::path::Path;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::StorageClass;
use common::{TestServer, pattern};

const GIB: f64 = (1u64 << 30) as f64;

async fn put(s3: &aws_sdk_s3::Client, key: &str, class: &str, size: usize) {
    s3.put_object()
        .bucket("costs")
        .key(key)
        .storage_class(StorageClass::from(class))
        .body(ByteStream::from(pattern(size, 9)))
        .send()
        .await
        .expect("put");
}

/// The report's row for `class`.
fn row_of(rows: &[serde_json::Value], class: &str) -> serde_json::Value {
    rows.iter()
        .find(|r| r["StorageClass"] == class)
        .unwrap_or_else(|| panic!("no {class} row in {rows:?}"))
        .clone()
}

fn shard_bytes(dir: &Path) -> u64 {
    common::shard_files(dir)
        .iter()
        .map(|file| std::fs::metadata(file).map_or(0, |m| m.len()))
        .sum()
}

#[tokio::test]
async fn the_report_matches_a_hand_computation() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, "costs").await;
    // Blobs (above the 128 KiB inline threshold) and inline objects, in five classes; one key
    // overwritten in STANDARD (unversioned: only the new bytes count).
    put(&s3, "a", "STANDARD", 300_000).await;
    put(&s3, "a", "STANDARD", 1_000_000).await;
    put(&s3, "b", "STANDARD_IA", 1_000).await;
    put(&s3, "c", "GLACIER", 300_000).await;
    put(&s3, "d", "GLACIER_IR", 50_000).await;
    put(&s3, "e", "INTELLIGENT_TIERING", 200_000).await;
    put(&s3, "f", "STANDARD_IA", 400_000).await;

    let rows = common::usage_rows(&server, "costs");
    let row = |class: &str| row_of(&rows, class);
    let int = |r: &serde_json::Value, field: &str| r[field].as_u64().expect(field);
    let cost = |r: &serde_json::Value| r["MonthlyCostUsd"].as_f64().expect("cost");
    assert_eq!(rows.len(), 5, "{rows:?}");

    let standard = row("STANDARD");
    assert_eq!(
        (int(&standard, "Objects"), int(&standard, "LogicalBytes")),
        (1, 1_000_000)
    );
    assert_eq!(int(&standard, "BillableBytes"), 1_000_000);
    let ia = row("STANDARD_IA");
    // 1,000 bytes are billed as 128 KiB; 400,000 as themselves.
    assert_eq!(int(&ia, "BillableBytes"), 131_072 + 400_000);
    let glacier = row("GLACIER");
    assert_eq!(int(&glacier, "BillableBytes"), 300_000 + 32_768);
    assert_eq!(int(&glacier, "BillableStandardBytes"), 8_192);
    let instant = row("GLACIER_IR");
    assert_eq!(int(&instant, "BillableBytes"), 131_072);
    let tiering = row("INTELLIGENT_TIERING");
    assert_eq!(int(&tiering, "BillableBytes"), 200_000);
    // Monitored (at least 128 KiB) and not idle yet: Frequent Access.
    let frequent = &tiering["AccessTiers"]["FREQUENT_ACCESS"];
    assert_eq!(
        (int(frequent, "Objects"), int(frequent, "BillableBytes")),
        (1, 200_000),
        "{tiering}"
    );

    // The month's cost, by hand, from the class files' prices (USD per GiB-month).
    let close = |got: f64, want: f64| (got - want).abs() < 1e-9;
    assert!(
        close(cost(&standard), 1_000_000.0 / GIB * 0.023),
        "{standard}"
    );
    assert!(close(cost(&ia), 531_072.0 / GIB * 0.0125), "{ia}");
    assert!(
        close(
            cost(&glacier),
            332_768.0 / GIB * 0.0036 + 8_192.0 / GIB * 0.023
        ),
        "{glacier}"
    );
    assert!(close(cost(&instant), 131_072.0 / GIB * 0.004), "{instant}");
    assert!(
        close(cost(&tiering), 200_000.0 / GIB * 0.023 + 0.0025 / 1000.0),
        "{tiering}"
    );

    // Bytes on disk: the shard files written (erasure overhead included) plus the inline bytes
    // (1,000 + 50,000: objects up to the inline threshold live in the metadata).
    let disk: u64 = rows.iter().map(|r| int(r, "DiskBytes")).sum();
    let collected = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    // The first `a`'s shards wait for the GC; the report counts only what is referenced.
    while shard_bytes(&server.data_dir()) + 51_000 != disk {
        assert!(
            tokio::time::Instant::now() < collected,
            "disk {disk} vs files {}",
            shard_bytes(&server.data_dir())
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // RS(4,2) stores 1.5× plus headers and hashes; RS(8,4) the same ratio.
    assert!(int(&standard, "DiskBytes") >= 1_500_000);
    assert!(int(&glacier, "DiskBytes") >= 450_000);
}

#[tokio::test]
async fn early_deletions_are_charged_for_the_days_short_of_the_minimum() {
    // Lifecycle days of one second: GLACIER's 90-day minimum is 90 s, STANDARD_IA's 30 s.
    let server = TestServer::start_with(&["--lifecycle-day-seconds", "1"]);
    let s3 = server.client();
    common::create_bucket(&s3, "costs").await;
    put(&s3, "g", "GLACIER", 300_000).await;
    put(&s3, "ia", "STANDARD_IA", 1_000).await;
    put(&s3, "s", "STANDARD", 300_000).await;
    let written = std::time::Instant::now();
    // Deleted, overwritten (into another class) and deleted again: only the first two are
    // early, STANDARD has no minimum.
    s3.delete_object()
        .bucket("costs")
        .key("g")
        .send()
        .await
        .expect("delete");
    put(&s3, "ia", "STANDARD", 1_000).await;
    s3.delete_object()
        .bucket("costs")
        .key("s")
        .send()
        .await
        .expect("delete");
    let elapsed_days = written.elapsed().as_secs_f64() + 1.0;

    let rows = common::usage_rows(&server, "costs");
    let row = |class: &str| row_of(&rows, class);
    // Charged: the billable bytes (GLACIER: + 32 KiB; STANDARD_IA: at least 128 KiB) at the
    // class's price for the days short of the minimum, a month's price covering 30 days.
    let within = |r: &serde_json::Value, billable: f64, price: f64, minimum: f64| {
        assert_eq!(r["EarlyDeletions"].as_u64(), Some(1), "{r}");
        assert_eq!(r["Objects"].as_u64(), Some(0), "{r}");
        let charged = r["EarlyDeletionUsd"].as_f64().expect("charge");
        let most = billable / GIB * price * minimum / 30.0;
        let least = billable / GIB * price * (minimum - elapsed_days) / 30.0;
        assert!(
            least <= charged && charged <= most,
            "{least} <= {charged} <= {most}: {r}"
        );
        assert_eq!(r["MonthlyCostUsd"].as_f64(), Some(charged), "{r}");
    };
    within(&row("GLACIER"), 332_768.0, 0.0036, 90.0);
    within(&row("STANDARD_IA"), 131_072.0, 0.0125, 30.0);
    let standard = row("STANDARD");
    assert_eq!(standard["EarlyDeletions"].as_u64(), Some(0), "{standard}");
    assert_eq!(standard["Objects"].as_u64(), Some(1), "{standard}");
}
