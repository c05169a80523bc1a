//! Lifecycle configurations against the real binary: the configuration API with AWS's
//! validation, and rules carried out by the lifecycle worker with `--lifecycle-day-seconds 0.05`
//! (a lifecycle day is 50 ms, so AWS's 30-day minimums take 1.5 s): transitions that move the
//! bytes, expirations, noncurrent versions, expired delete markers, stale multipart uploads,
//! filters by prefix, tag and size, and objects that existed before the rules.

mod common;

use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketVersioningStatus, ExpirationStatus, LifecycleExpiration,
    LifecycleRule, LifecycleRuleFilter, NoncurrentVersionExpiration, Tag, Transition,
    TransitionStorageClass, VersioningConfiguration,
};
use common::{
    TestServer, assert_raw_error, assert_sdk_error, pattern, shard_names, signed_exchange,
};

const BUCKET: &str = "aging";

async fn fast_server() -> (TestServer, aws_sdk_s3::Client) {
    let server = TestServer::start_with(&["--lifecycle-day-seconds", "0.05"]);
    let s3 = server.client();
    common::create_bucket(&s3, BUCKET).await;
    (server, s3)
}

async fn set_rules(s3: &aws_sdk_s3::Client, rules: Vec<LifecycleRule>) {
    s3.put_bucket_lifecycle_configuration()
        .bucket(BUCKET)
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .set_rules(Some(rules))
                .build()
                .expect("configuration"),
        )
        .send()
        .await
        .expect("put lifecycle");
}

fn rule(
    id: &str,
    filter: LifecycleRuleFilter,
) -> aws_sdk_s3::types::builders::LifecycleRuleBuilder {
    LifecycleRule::builder()
        .id(id)
        .status(ExpirationStatus::Enabled)
        .filter(filter)
}

fn prefix(value: &str) -> LifecycleRuleFilter {
    LifecycleRuleFilter::builder().prefix(value).build()
}

fn transition(days: i32, class: TransitionStorageClass) -> Transition {
    Transition::builder()
        .days(days)
        .storage_class(class)
        .build()
}

fn expire_after(days: i32) -> LifecycleExpiration {
    LifecycleExpiration::builder().days(days).build()
}

/// Polls `probe` until it returns Some (at most 30 s of real time).
async fn eventually<T, F, Fut>(what: &str, server: &TestServer, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "never happened: {what}\n{}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The class HEAD reports (STANDARD when the header is absent); None once the key is gone.
async fn class_of(s3: &aws_sdk_s3::Client, key: &str) -> Option<String> {
    match s3.head_object().bucket(BUCKET).key(key).send().await {
        Ok(head) => Some(
            head.storage_class()
                .map_or("STANDARD".to_string(), |c| c.as_str().to_string()),
        ),
        Err(_) => None,
    }
}

#[tokio::test]
async fn configurations_round_trip_and_bad_ones_get_aws_errors() {
    let (server, s3) = fast_server().await;
    let err = s3
        .get_bucket_lifecycle_configuration()
        .bucket(BUCKET)
        .send()
        .await
        .expect_err("none yet");
    assert_sdk_error(&err, 404, "NoSuchLifecycleConfiguration");

    let rules = vec![
        rule("tier-logs", prefix("logs/"))
            .transitions(transition(30, TransitionStorageClass::StandardIa))
            .transitions(transition(90, TransitionStorageClass::Glacier))
            .expiration(expire_after(365))
            .build()
            .expect("rule"),
    ];
    set_rules(&s3, rules.clone()).await;
    let got = s3
        .get_bucket_lifecycle_configuration()
        .bucket(BUCKET)
        .send()
        .await
        .expect("get");
    assert_eq!(got.rules(), &rules[..]);
    assert_eq!(
        got.transition_default_minimum_object_size()
            .map(|s| s.as_str()),
        Some("all_storage_classes_128K")
    );

    let path = format!("/{BUCKET}?lifecycle");
    let put = |body: &str| signed_exchange(&server, "PUT", &path, &[], body.as_bytes());
    let doc = |inner: &str| {
        format!(
            "<LifecycleConfiguration><Rule><ID>r</ID><Filter><Prefix></Prefix></Filter>\
             <Status>Enabled</Status>{inner}</Rule></LifecycleConfiguration>"
        )
    };
    assert_raw_error(
        &put(&doc("<Expiration><Days>0</Days></Expiration>")),
        400,
        "InvalidArgument",
    );
    let early_ia =
        doc("<Transition><Days>10</Days><StorageClass>STANDARD_IA</StorageClass></Transition>");
    assert_raw_error(&put(&early_ia), 400, "InvalidArgument");
    let to_standard =
        doc("<Transition><Days>10</Days><StorageClass>STANDARD</StorageClass></Transition>");
    assert_raw_error(&put(&to_standard), 400, "MalformedXML");
    assert_raw_error(&put(&doc("")), 400, "InvalidRequest");
    let bad_status = doc("<Expiration><Days>1</Days></Expiration>").replace("Enabled", "On");
    assert_raw_error(&put(&bad_status), 400, "MalformedXML");
    // The refused documents left the configuration as it was.
    let got = s3
        .get_bucket_lifecycle_configuration()
        .bucket(BUCKET)
        .send()
        .await;
    assert_eq!(got.expect("still there").rules(), &rules[..]);

    s3.delete_bucket_lifecycle()
        .bucket(BUCKET)
        .send()
        .await
        .expect("delete");
    let err = s3
        .get_bucket_lifecycle_configuration()
        .bucket(BUCKET)
        .send()
        .await
        .expect_err("deleted");
    assert_sdk_error(&err, 404, "NoSuchLifecycleConfiguration");
}

#[tokio::test]
async fn objects_move_standard_to_ia_to_glacier_and_then_expire() {
    let (server, s3) = fast_server().await;
    let data = pattern(3 * 1024 * 1024, 51);
    common::put(&s3, BUCKET, "logs/app.log", data.clone()).await;
    common::put(&s3, BUCKET, "data/keep.bin", data.clone()).await;
    set_rules(
        &s3,
        vec![
            rule("tier-logs", prefix("logs/"))
                .transitions(transition(30, TransitionStorageClass::StandardIa))
                .transitions(transition(60, TransitionStorageClass::Glacier))
                .expiration(expire_after(120))
                .build()
                .expect("rule"),
        ],
    )
    .await;

    // Each step is seen in order (HEAD is polled faster than a lifecycle day).
    eventually("STANDARD_IA", &server, || async {
        (class_of(&s3, "logs/app.log").await.as_deref() == Some("STANDARD_IA")).then_some(())
    })
    .await;
    let read = s3
        .get_object()
        .bucket(BUCKET)
        .key("logs/app.log")
        .send()
        .await;
    let bytes = read
        .expect("IA reads")
        .body
        .collect()
        .await
        .expect("body")
        .into_bytes();
    assert!(bytes[..] == data[..]);

    eventually("GLACIER", &server, || async {
        (class_of(&s3, "logs/app.log").await.as_deref() == Some("GLACIER")).then_some(())
    })
    .await;
    // The bytes really moved: RS(8,4) has shard files up to index 11, RS(4,2) only up to 5.
    eventually("re-encoded shards", &server, || async {
        shard_names(&server.data_dir())
            .iter()
            .any(|n| n.ends_with(".11"))
            .then_some(())
    })
    .await;
    let get = signed_exchange(&server, "GET", &format!("/{BUCKET}/logs/app.log"), &[], b"");
    assert_raw_error(&get, 403, "InvalidObjectState");

    eventually("expiry", &server, || async {
        class_of(&s3, "logs/app.log").await.is_none().then_some(())
    })
    .await;
    assert_eq!(
        class_of(&s3, "data/keep.bin").await.as_deref(),
        Some("STANDARD")
    );
}

#[tokio::test]
async fn noncurrent_versions_and_expired_delete_markers_go() {
    let (server, s3) = fast_server().await;
    s3.put_bucket_versioning()
        .bucket(BUCKET)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("versioning");
    for round in 0..4u8 {
        common::put(&s3, BUCKET, "doc", vec![round; 1000]).await;
    }
    common::put(&s3, BUCKET, "gone", b"soon deleted".to_vec()).await;
    s3.delete_object()
        .bucket(BUCKET)
        .key("gone")
        .send()
        .await
        .expect("delete marker");
    set_rules(
        &s3,
        vec![
            rule("keep-one", prefix("doc"))
                .noncurrent_version_expiration(
                    NoncurrentVersionExpiration::builder()
                        .noncurrent_days(2)
                        .newer_noncurrent_versions(1)
                        .build(),
                )
                .build()
                .expect("rule"),
            rule("clean-markers", prefix("gone"))
                .noncurrent_version_expiration(
                    NoncurrentVersionExpiration::builder()
                        .noncurrent_days(1)
                        .build(),
                )
                .expiration(
                    LifecycleExpiration::builder()
                        .expired_object_delete_marker(true)
                        .build(),
                )
                .build()
                .expect("rule"),
        ],
    )
    .await;

    // `doc`: the current version and the newest noncurrent one stay.
    let kept = eventually("noncurrent expiry", &server, || async {
        let (versions, markers) = common::versions_of(&s3, BUCKET, "doc").await;
        (versions.len() == 2 && markers.is_empty()).then_some(versions)
    })
    .await;
    assert!(kept[0].is_latest().unwrap_or(false));
    // `gone`: its only version expired as noncurrent, then the marker left alone went too.
    eventually("expired delete marker", &server, || async {
        let versions = s3
            .list_object_versions()
            .bucket(BUCKET)
            .prefix("gone")
            .send()
            .await;
        let versions = versions.expect("list");
        (versions.versions().is_empty() && versions.delete_markers().is_empty()).then_some(())
    })
    .await;
    let body = common::get(&s3, BUCKET, "doc").await;
    assert_eq!(body, vec![3u8; 1000]);
}

#[tokio::test]
async fn filters_by_tag_and_size_and_the_minimum_transition_size() {
    let (server, s3) = fast_server().await;
    let tagged = |key: &'static str, size: usize, tag: &'static str| {
        let s3 = s3.clone();
        async move {
            s3.put_object()
                .bucket(BUCKET)
                .key(key)
                .tagging(tag)
                .body(ByteStream::from(pattern(size, 7)))
                .send()
                .await
                .expect("put");
        }
    };
    tagged("big-temp", 200_000, "kind=temp").await;
    tagged("small-temp", 500, "kind=temp").await;
    tagged("big-kept", 200_000, "kind=kept").await;
    tagged("tiny-cold", 1000, "kind=cold").await;
    let temp = LifecycleRuleFilter::builder()
        .and(
            aws_sdk_s3::types::LifecycleRuleAndOperator::builder()
                .tags(
                    Tag::builder()
                        .key("kind")
                        .value("temp")
                        .build()
                        .expect("tag"),
                )
                .object_size_greater_than(1000)
                .build(),
        )
        .build();
    let cold = LifecycleRuleFilter::builder()
        .tag(
            Tag::builder()
                .key("kind")
                .value("cold")
                .build()
                .expect("tag"),
        )
        .build();
    set_rules(
        &s3,
        vec![
            rule("temp", temp)
                .expiration(expire_after(2))
                .build()
                .expect("rule"),
            rule("cold", cold)
                .transitions(transition(1, TransitionStorageClass::GlacierIr))
                .build()
                .expect("rule"),
        ],
    )
    .await;
    eventually("tag and size filter", &server, || async {
        class_of(&s3, "big-temp").await.is_none().then_some(())
    })
    .await;
    // Forty more lifecycle days: nothing else was due.
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(
        class_of(&s3, "small-temp").await.as_deref(),
        Some("STANDARD")
    );
    assert_eq!(class_of(&s3, "big-kept").await.as_deref(), Some("STANDARD"));
    // Under 128 KiB: not transitioned by default.
    assert_eq!(
        class_of(&s3, "tiny-cold").await.as_deref(),
        Some("STANDARD")
    );
}

#[tokio::test]
async fn stale_multipart_uploads_are_aborted() {
    let (server, s3) = fast_server().await;
    let upload = s3
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("half")
        .send()
        .await
        .expect("create upload");
    let upload_id = upload.upload_id().expect("id").to_string();
    s3.upload_part()
        .bucket(BUCKET)
        .key("half")
        .upload_id(&upload_id)
        .part_number(1)
        .body(ByteStream::from(pattern(100_000, 8)))
        .send()
        .await
        .expect("part");
    set_rules(
        &s3,
        vec![
            rule("abort", prefix(""))
                .abort_incomplete_multipart_upload(
                    aws_sdk_s3::types::AbortIncompleteMultipartUpload::builder()
                        .days_after_initiation(3)
                        .build(),
                )
                .build()
                .expect("rule"),
        ],
    )
    .await;
    // An upload started after the rules is aborted too.
    let later = s3
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("later")
        .send()
        .await
        .expect("create upload");
    assert!(later.upload_id().is_some());
    eventually("aborts", &server, || async {
        let listed = s3.list_multipart_uploads().bucket(BUCKET).send().await;
        listed.expect("list").uploads().is_empty().then_some(())
    })
    .await;
    let err = s3
        .list_parts()
        .bucket(BUCKET)
        .key("half")
        .upload_id(&upload_id)
        .send()
        .await
        .expect_err("aborted");
    assert_sdk_error(&err, 404, "NoSuchUpload");
}

#[tokio::test]
async fn expiration_and_abort_headers_name_the_rule() {
    let (server, s3) = fast_server().await;
    set_rules(
        &s3,
        vec![
            rule("old logs", prefix("logs/"))
                .expiration(expire_after(36500))
                .abort_incomplete_multipart_upload(
                    aws_sdk_s3::types::AbortIncompleteMultipartUpload::builder()
                        .days_after_initiation(36500)
                        .build(),
                )
                .build()
                .expect("rule"),
        ],
    )
    .await;
    let expiration_of =
        |response: &common::RawResponse| response.header("x-amz-expiration").map(str::to_string);
    let put = signed_exchange(&server, "PUT", &format!("/{BUCKET}/logs/a"), &[], b"log");
    let on_put = expiration_of(&put).expect("x-amz-expiration on PUT");
    assert!(on_put.starts_with("expiry-date=\""), "{on_put}");
    assert!(
        on_put.ends_with(" GMT\", rule-id=\"old%20logs\""),
        "{on_put}"
    );
    for method in ["HEAD", "GET"] {
        let read = signed_exchange(&server, method, &format!("/{BUCKET}/logs/a"), &[], b"");
        assert_eq!(
            expiration_of(&read).as_deref(),
            Some(on_put.as_str()),
            "{method}"
        );
    }
    let other = signed_exchange(&server, "PUT", &format!("/{BUCKET}/data/a"), &[], b"data");
    assert_eq!(expiration_of(&other), None);

    let created = s3
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("logs/big")
        .send()
        .await
        .expect("create upload");
    assert_eq!(created.abort_rule_id(), Some("old logs"));
    let abort_date = created.abort_date().expect("x-amz-abort-date");
    let listed = s3
        .list_parts()
        .bucket(BUCKET)
        .key("logs/big")
        .upload_id(created.upload_id().expect("id"))
        .send()
        .await
        .expect("list parts");
    assert_eq!(listed.abort_date(), Some(abort_date));
    assert_eq!(listed.abort_rule_id(), Some("old logs"));
    let elsewhere = s3
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("data/big")
        .send()
        .await
        .expect("create upload");
    assert_eq!(elsewhere.abort_rule_id(), None);
}

#[tokio::test]
async fn the_aws_cli_sets_rules_that_move_and_expire_objects() {
    let (server, s3) = fast_server().await;
    let home = tempfile::tempdir().expect("home");
    let aws = common::aws_cli::AwsCli::new(&server, home.path());
    common::put(&s3, BUCKET, "reports/q1.csv", pattern(300_000, 71)).await;
    let rules = r#"{"Rules":[{"ID":"reports","Status":"Enabled","Filter":{"Prefix":"reports/"},
        "Transitions":[{"Days":30,"StorageClass":"STANDARD_IA"},{"Days":60,"StorageClass":"DEEP_ARCHIVE"}],
        "Expiration":{"Days":400}}]}"#;
    aws.run(&[
        "s3api",
        "put-bucket-lifecycle-configuration",
        "--bucket",
        BUCKET,
        "--lifecycle-configuration",
        rules,
    ]);
    let got = aws.json(&[
        "s3api",
        "get-bucket-lifecycle-configuration",
        "--bucket",
        BUCKET,
    ]);
    assert_eq!(got["Rules"][0]["ID"], "reports", "{got}");
    assert_eq!(
        got["Rules"][0]["Transitions"][1]["StorageClass"], "DEEP_ARCHIVE",
        "{got}"
    );
    assert_eq!(got["Rules"][0]["Expiration"]["Days"], 400, "{got}");

    let head = || {
        aws.json(&[
            "s3api",
            "head-object",
            "--bucket",
            BUCKET,
            "--key",
            "reports/q1.csv",
        ])
    };
    let first = head();
    assert!(
        first["Expiration"]
            .as_str()
            .is_some_and(|e| e.contains("rule-id=\"reports\"")),
        "{first}"
    );
    eventually("DEEP_ARCHIVE", &server, || async {
        (class_of(&s3, "reports/q1.csv").await.as_deref() == Some("DEEP_ARCHIVE")).then_some(())
    })
    .await;
    assert_eq!(head()["StorageClass"], "DEEP_ARCHIVE");
    aws.run(&["s3api", "delete-bucket-lifecycle", "--bucket", BUCKET]);
    aws.fails_with(
        &[
            "s3api",
            "get-bucket-lifecycle-configuration",
            "--bucket",
            BUCKET,
        ],
        "NoSuchLifecycleConfiguration",
    );
}
