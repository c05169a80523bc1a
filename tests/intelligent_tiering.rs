//! S3 Intelligent-Tiering against the real binary: the configuration API (aws-sdk-s3, raw HTTP
//! for the refusals), and the access tiers with `--lifecycle-day-seconds` fractions so that
//! AWS's 30 / 90 idle days pass in seconds — an unread object moves Frequent → Infrequent →
//! Archive Instant Access, a GET brings it back to Frequent, an opt-in Archive Access tier
//! makes it unreadable until a RestoreObject (without Days) returns it to Frequent Access.
//! The tier is observed in the usage report (per access tier), `x-amz-archive-status` and the
//! bytes on disk.

mod common;

use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    IntelligentTieringAccessTier, IntelligentTieringConfiguration, IntelligentTieringFilter,
    IntelligentTieringStatus, StorageClass, Tiering,
};
use common::{TestServer, assert_raw_error, pattern, signed_exchange, xml_value};

const BUCKET: &str = "tiers";

async fn server_with(day_seconds: &str) -> (TestServer, aws_sdk_s3::Client) {
    let server = TestServer::start_with(&["--lifecycle-day-seconds", day_seconds]);
    let s3 = server.client();
    common::create_bucket(&s3, BUCKET).await;
    (server, s3)
}

async fn put_tiered(s3: &aws_sdk_s3::Client, key: &str, data: &[u8]) {
    s3.put_object()
        .bucket(BUCKET)
        .key(key)
        .storage_class(StorageClass::IntelligentTiering)
        .body(ByteStream::from(data.to_vec()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("put {key}: {e:?}"));
}

fn configuration(
    id: &str,
    prefix: Option<&str>,
    tiers: &[(i32, &str)],
) -> IntelligentTieringConfiguration {
    let mut builder = IntelligentTieringConfiguration::builder()
        .id(id)
        .status(IntelligentTieringStatus::Enabled);
    if let Some(prefix) = prefix {
        builder = builder.filter(IntelligentTieringFilter::builder().prefix(prefix).build());
    }
    for (days, tier) in tiers {
        builder = builder.tierings(
            Tiering::builder()
                .days(*days)
                .access_tier(IntelligentTieringAccessTier::from(*tier))
                .build()
                .expect("tiering"),
        );
    }
    builder.build().expect("configuration")
}

async fn put_configuration(s3: &aws_sdk_s3::Client, config: IntelligentTieringConfiguration) {
    s3.put_bucket_intelligent_tiering_configuration()
        .bucket(BUCKET)
        .id(config.id())
        .intelligent_tiering_configuration(config)
        .send()
        .await
        .expect("put configuration");
}

async fn get_configuration(
    s3: &aws_sdk_s3::Client,
    id: &str,
) -> Result<
    aws_sdk_s3::operation::get_bucket_intelligent_tiering_configuration::GetBucketIntelligentTieringConfigurationOutput,
    aws_sdk_s3::error::SdkError<
        aws_sdk_s3::operation::get_bucket_intelligent_tiering_configuration::GetBucketIntelligentTieringConfigurationError,
        aws_sdk_s3::config::http::HttpResponse,
    >,
>{
    s3.get_bucket_intelligent_tiering_configuration()
        .bucket(BUCKET)
        .id(id)
        .send()
        .await
}

/// ListBucketIntelligentTieringConfigurations, raw.
fn list_configurations(server: &TestServer) -> common::RawResponse {
    signed_exchange(
        server,
        "GET",
        &format!("/{BUCKET}?intelligent-tiering"),
        &[],
        b"",
    )
}

/// DeleteBucketIntelligentTieringConfiguration, raw.
fn delete_configuration(server: &TestServer, id: &str) -> common::RawResponse {
    let path = format!("/{BUCKET}?intelligent-tiering&id={id}");
    signed_exchange(server, "DELETE", &path, &[], b"")
}

fn config_xml(id: &str, tierings: &str) -> String {
    format!(
        "<IntelligentTieringConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
         <Id>{id}</Id><Status>Enabled</Status>{tierings}</IntelligentTieringConfiguration>"
    )
}

fn put_raw(server: &TestServer, id: &str, body: &str) -> common::RawResponse {
    signed_exchange(
        server,
        "PUT",
        &format!("/{BUCKET}?intelligent-tiering&id={id}"),
        &[],
        body.as_bytes(),
    )
}

#[tokio::test]
async fn configurations_are_put_got_listed_and_deleted() {
    let (server, s3) = server_with("86400").await;
    // None yet: Get is 404 NoSuchConfiguration, the List is empty.
    let missing = get_configuration(&s3, "archive")
        .await
        .expect_err("none yet");
    common::assert_sdk_error(&missing, 404, "NoSuchConfiguration");
    let empty = s3
        .list_bucket_intelligent_tiering_configurations()
        .bucket(BUCKET)
        .send()
        .await
        .expect("list");
    assert!(empty.intelligent_tiering_configuration_list().is_empty());
    assert_eq!(empty.is_truncated(), Some(false));

    put_configuration(
        &s3,
        configuration(
            "archive",
            Some("logs/"),
            &[(90, "ARCHIVE_ACCESS"), (180, "DEEP_ARCHIVE_ACCESS")],
        ),
    )
    .await;
    put_configuration(
        &s3,
        configuration("deep", None, &[(365, "DEEP_ARCHIVE_ACCESS")]),
    )
    .await;
    // Replacing an ID keeps one configuration under it.
    put_configuration(
        &s3,
        configuration("deep", None, &[(400, "DEEP_ARCHIVE_ACCESS")]),
    )
    .await;

    let got = get_configuration(&s3, "archive").await.expect("get");
    let config = got
        .intelligent_tiering_configuration()
        .expect("configuration");
    assert_eq!(config.id(), "archive");
    assert_eq!(config.filter().and_then(|f| f.prefix()), Some("logs/"));
    let tierings: Vec<_> = config
        .tierings()
        .iter()
        .map(|t| (t.days(), t.access_tier().as_str().to_string()))
        .collect();
    assert_eq!(
        tierings,
        vec![
            (90, "ARCHIVE_ACCESS".to_string()),
            (180, "DEEP_ARCHIVE_ACCESS".to_string())
        ]
    );

    let listed = s3
        .list_bucket_intelligent_tiering_configurations()
        .bucket(BUCKET)
        .send()
        .await
        .expect("list");
    let ids: Vec<_> = listed
        .intelligent_tiering_configuration_list()
        .iter()
        .map(|c| (c.id().to_string(), c.tierings()[0].days()))
        .collect();
    assert_eq!(
        ids,
        vec![("archive".to_string(), 90), ("deep".to_string(), 400)]
    );

    let deleted = delete_configuration(&server, "archive");
    assert_eq!(deleted.status, 204, "{}", deleted.body_text());
    let again = delete_configuration(&server, "archive");
    assert_raw_error(&again, 404, "NoSuchConfiguration");
    let listed = list_configurations(&server);
    assert_eq!(listed.status, 200);
    let text = listed.body_text();
    assert!(
        text.contains("<ListBucketIntelligentTieringConfigurationsOutput"),
        "{text}"
    );
    assert_eq!(xml_value(&text, "Id").as_deref(), Some("deep"), "{text}");
    assert_eq!(
        text.matches("<IntelligentTieringConfiguration>").count(),
        1,
        "{text}"
    );

    // A bucket that does not exist.
    let nobody = signed_exchange(
        &server,
        "GET",
        "/nobucket?intelligent-tiering&id=a",
        &[],
        b"",
    );
    assert_raw_error(&nobody, 404, "NoSuchBucket");
}

#[tokio::test]
async fn invalid_configurations_get_the_errors_aws_gives() {
    let (server, _s3) = server_with("86400").await;
    let tiering = |tier: &str, days: &str| {
        format!("<Tiering><AccessTier>{tier}</AccessTier><Days>{days}</Days></Tiering>")
    };
    let cases = [
        // Below the tiers' minimums, above two years.
        (
            config_xml("a", &tiering("ARCHIVE_ACCESS", "89")),
            400,
            "InvalidArgument",
        ),
        (
            config_xml("a", &tiering("DEEP_ARCHIVE_ACCESS", "179")),
            400,
            "InvalidArgument",
        ),
        (
            config_xml("a", &tiering("ARCHIVE_ACCESS", "731")),
            400,
            "InvalidArgument",
        ),
        // The same tier twice.
        (
            config_xml(
                "a",
                &format!(
                    "{}{}",
                    tiering("ARCHIVE_ACCESS", "90"),
                    tiering("ARCHIVE_ACCESS", "100")
                ),
            ),
            400,
            "InvalidArgument",
        ),
        // Schema faults: no Tiering, an unknown tier, a body Id other than the query's.
        (config_xml("a", ""), 400, "MalformedXML"),
        (config_xml("a", &tiering("COLD", "90")), 400, "MalformedXML"),
        (
            config_xml("other", &tiering("ARCHIVE_ACCESS", "90")),
            400,
            "MalformedXML",
        ),
        (
            "<IntelligentTieringConfiguration>".to_string(),
            400,
            "MalformedXML",
        ),
    ];
    for (body, status, code) in cases {
        let response = put_raw(&server, "a", &body);
        assert_eq!(response.status, status, "{body}: {}", response.body_text());
        assert_eq!(
            response.error_code(),
            code,
            "{body}: {}",
            response.body_text()
        );
    }
    let message = xml_value(
        &put_raw(
            &server,
            "a",
            &config_xml("a", &tiering("ARCHIVE_ACCESS", "10")),
        )
        .body_text(),
        "Message",
    );
    assert_eq!(
        message.as_deref(),
        Some("Days specified in ARCHIVE_ACCESS tier should not be less than 90.")
    );
    // Nothing was stored by the refused Puts.
    let listed = list_configurations(&server);
    assert!(
        !listed.body_text().contains("<Id>"),
        "{}",
        listed.body_text()
    );
}

/// The usage report's object count per access tier of the bucket's INTELLIGENT_TIERING row.
fn tier_counts(server: &TestServer) -> Vec<(String, u64)> {
    let rows = common::usage_rows(server, BUCKET);
    let Some(row) = rows
        .iter()
        .find(|r| r["StorageClass"] == "INTELLIGENT_TIERING")
    else {
        return Vec::new();
    };
    row["AccessTiers"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, usage)| usage["Objects"].as_u64() != Some(0))
        .map(|(tier, usage)| (tier.clone(), usage["Objects"].as_u64().unwrap_or(0)))
        .collect()
}

/// Runs lifecycle passes until `reached` says what it waited for has happened (at most 30 s);
/// otherwise it returns what it saw, for the failure message.
fn after_passes(server: &TestServer, what: &str, mut reached: impl FnMut() -> Result<(), String>) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        common::strata_admin(server, &["lifecycle", "run"]);
        let seen = match reached() {
            Ok(()) => return,
            Err(seen) => seen,
        };
        assert!(
            Instant::now() < deadline,
            "{what} never happened; last {seen}\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Runs lifecycle passes until the tiers are `want`.
fn wait_for_tiers(server: &TestServer, want: &[(&str, u64)]) {
    let mut want: Vec<(String, u64)> = want.iter().map(|(t, n)| (t.to_string(), *n)).collect();
    want.sort();
    after_passes(server, &format!("tiers {want:?}"), || {
        let got = tier_counts(server);
        if got == want {
            Ok(())
        } else {
            Err(format!("{got:?}"))
        }
    });
}

#[tokio::test]
async fn idle_objects_move_down_the_tiers_and_a_get_brings_them_back() {
    // A day of 0.2 s: Infrequent Access after 6 s idle, Archive Instant after 18 s.
    let (server, s3) = server_with("0.2").await;
    let data = pattern(200_000, 3);
    put_tiered(&s3, "big", &data).await;
    // Under 128 KiB: not monitored, stays in Frequent Access without a monitoring fee.
    put_tiered(&s3, "small", &pattern(1_000, 4)).await;
    let unmonitored = ("FREQUENT_ACCESS_UNMONITORED", 1);
    assert_eq!(
        tier_counts(&server),
        vec![
            ("FREQUENT_ACCESS".to_string(), 1),
            ("FREQUENT_ACCESS_UNMONITORED".to_string(), 1)
        ]
    );
    wait_for_tiers(&server, &[unmonitored, ("INFREQUENT_ACCESS", 1)]);
    // HEAD is not an access; and the instant tiers are readable without a restore.
    let head = signed_exchange(&server, "HEAD", &format!("/{BUCKET}/big"), &[], b"");
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header("x-amz-storage-class"),
        Some("INTELLIGENT_TIERING")
    );
    assert_eq!(head.header("x-amz-archive-status"), None);
    wait_for_tiers(&server, &[("ARCHIVE_INSTANT_ACCESS", 1), unmonitored]);

    // A GET reads the bytes and moves the object back to Frequent Access.
    assert_eq!(common::get(&s3, BUCKET, "big").await, data);
    wait_for_tiers(&server, &[("FREQUENT_ACCESS", 1), unmonitored]);
    // ... and it ages again from that read.
    wait_for_tiers(&server, &[unmonitored, ("INFREQUENT_ACCESS", 1)]);
}

#[tokio::test]
async fn the_archive_access_tier_needs_a_restore_back_to_frequent() {
    // A day of 0.05 s: the 90-day Archive Access tier is 4.5 s away.
    let (server, s3) = server_with("0.05").await;
    let data = pattern(300_000, 7);
    put_tiered(&s3, "cold/data.bin", &data).await;
    put_tiered(&s3, "warm/data.bin", &data).await;
    put_configuration(
        &s3,
        configuration("cold", Some("cold/"), &[(90, "ARCHIVE_ACCESS")]),
    )
    .await;
    let disk_of = |server: &TestServer| {
        let rows = common::usage_rows(server, BUCKET);
        rows[0]["DiskBytes"].as_u64().expect("disk bytes")
    };
    let hot_disk = disk_of(&server);

    let path = format!("/{BUCKET}/cold/data.bin");
    after_passes(&server, "archiving", || {
        let head = signed_exchange(&server, "HEAD", &path, &[], b"");
        match head.header("x-amz-archive-status") {
            Some("ARCHIVE_ACCESS") => Ok(()),
            other => Err(format!("x-amz-archive-status {other:?}")),
        }
    });
    let head = signed_exchange(&server, "HEAD", &path, &[], b"");
    assert_eq!(
        head.header("x-amz-storage-class"),
        Some("INTELLIGENT_TIERING")
    );
    // Only the configuration's prefix was archived; the other went to Archive Instant.
    wait_for_tiers(
        &server,
        &[("ARCHIVE_ACCESS", 1), ("ARCHIVE_INSTANT_ACCESS", 1)],
    );
    // The archived bytes moved to the archive layout: RS(8,4) on the archive drives instead
    // of RS(4,2), so the shard headers and hashes on disk changed.
    assert_ne!(disk_of(&server), hot_disk);

    let get = signed_exchange(&server, "GET", &path, &[], b"");
    assert_raw_error(&get, 403, "InvalidObjectState");
    let body = get.body_text();
    assert_eq!(
        xml_value(&body, "StorageClass").as_deref(),
        Some("INTELLIGENT_TIERING")
    );
    assert_eq!(
        xml_value(&body, "AccessTier").as_deref(),
        Some("ARCHIVE_ACCESS")
    );
    let copy = signed_exchange(
        &server,
        "PUT",
        &format!("/{BUCKET}/copy"),
        &[("x-amz-copy-source", &format!("{BUCKET}/cold/data.bin"))],
        b"",
    );
    assert_raw_error(&copy, 403, "InvalidObjectState");

    let restore = |body: &str| {
        signed_exchange(
            &server,
            "POST",
            &format!("{path}?restore"),
            &[],
            body.as_bytes(),
        )
    };
    // Intelligent-Tiering restores take no Days.
    let with_days = restore("<RestoreRequest><Days>2</Days></RestoreRequest>");
    assert_raw_error(&with_days, 400, "InvalidArgument");
    let started = restore(
        "<RestoreRequest><GlacierJobParameters><Tier>Standard</Tier></GlacierJobParameters></RestoreRequest>",
    );
    assert_eq!(started.status, 202, "{}", started.body_text());

    after_passes(&server, "the restore", || {
        let response = signed_exchange(&server, "GET", &path, &[], b"");
        match response.status {
            200 => Ok(()),
            _ => Err(response.body_text()),
        }
    });
    let response = signed_exchange(&server, "GET", &path, &[], b"");
    assert_eq!(response.body, data, "restored bytes differ");
    assert_eq!(response.header("x-amz-archive-status"), None);
    assert_eq!(response.header("x-amz-restore"), None);
    // Back in Frequent Access for good: nothing to restore.
    let active = restore("");
    assert_raw_error(&active, 403, "ObjectAlreadyInActiveTierError");
    // A STANDARD object still answers the storage-class error.
    common::put(&s3, BUCKET, "plain", b"x").await;
    let plain = signed_exchange(
        &server,
        "POST",
        &format!("/{BUCKET}/plain?restore"),
        &[],
        b"",
    );
    assert_raw_error(&plain, 403, "InvalidObjectState");
}
