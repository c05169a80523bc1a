//! S3 Object Lock against the real binary, asserting what Amazon S3 does: buckets created with
//! Object Lock (versioning Enabled for good), PutObjectLockConfiguration on versioned buckets
//! and AWS's validation of it, default retention, the lock headers of PutObject (validated, and
//! shown again by HEAD and GET), Put/GetObjectRetention and Put/GetObjectLegalHold, what
//! COMPLIANCE and GOVERNANCE allow (and `s3:BypassGovernanceRetention`), deletes of locked
//! versions (one by one and in DeleteObjects), retention that runs out, lifecycle that waits for
//! it, bucket policy condition keys on the lock headers, a restart, multipart uploads and
//! copies. End to end with the aws CLI and restic in `object_lock/cli.rs`.
//!
//! Raw signed HTTP where a status, a header or an error code is the point (and for requests the
//! SDK would never send); the SDK where it exposes the behaviour, and for other identities.

#[path = "object_lock/cli.rs"]
mod cli;
mod common;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketVersioningStatus, Delete, ExpirationStatus, LifecycleRule,
    LifecycleRuleFilter, NoncurrentVersionExpiration, ObjectIdentifier, ObjectLockLegalHoldStatus,
    ObjectLockMode, ObjectLockRetention, ObjectLockRetentionMode,
};
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::accounts::{create_account, s3_client_as, user_with_policy};
use common::{RawResponse, TestServer, assert_raw_error, assert_sdk_error, signed_exchange};

const XMLNS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";
const DAY: i64 = 86_400;

// ---------------------------------------------------------------------------------------------
// Time: retain-until dates are ISO 8601 UTC, compared at second precision.

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

/// `2030-01-01T00:00:00Z` for these seconds since the epoch.
fn iso(secs: i64) -> String {
    DateTime::from_secs(secs)
        .fmt(Format::DateTime)
        .expect("format date")
}

/// Seconds since the epoch of an ISO 8601 date as S3 writes them.
fn parse_iso(text: &str) -> i64 {
    DateTime::from_str(text, Format::DateTime)
        .unwrap_or_else(|e| panic!("{text:?} is not an ISO 8601 date: {e}"))
        .secs()
}

/// A retain-until date `days` from now (whole seconds).
fn in_days(days: i64) -> String {
    iso(unix_now() + days * DAY)
}

fn smithy(secs: i64) -> DateTime {
    DateTime::from_secs(secs)
}

// ---------------------------------------------------------------------------------------------
// Raw requests: everything with a body carries the Content-MD5 AWS requires for these calls.

fn md5_b64(body: &[u8]) -> String {
    use md5::Digest;
    BASE64.encode(md5::Md5::digest(body))
}

/// A signed request as the server's root with `Content-MD5` of `body` added to `headers`.
fn send_md5(
    server: &TestServer,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> RawResponse {
    let md5 = md5_b64(body);
    let mut all = headers.to_vec();
    all.push(("content-md5", md5.as_str()));
    signed_exchange(server, method, path_and_query, &all, body)
}

fn assert_status(response: &RawResponse, status: u16, what: &str) {
    assert_eq!(response.status, status, "{what}: {}", response.body_text());
}

/// `?versionId=` (or `&versionId=`) when a version is named.
fn version_query(first: char, version: Option<&str>) -> String {
    version.map_or(String::new(), |v| format!("{first}versionId={v}"))
}

/// CreateBucket with `x-amz-bucket-object-lock-enabled: true`.
async fn create_locked_bucket(s3: &Client, bucket: &str) {
    s3.create_bucket()
        .bucket(bucket)
        .object_lock_enabled_for_bucket(true)
        .send()
        .await
        .unwrap_or_else(|e| panic!("create lock-enabled bucket {bucket}: {e:?}"));
}

/// A server and its root client with one lock-enabled bucket.
async fn locked_server(bucket: &str) -> (TestServer, Client) {
    let server = TestServer::start();
    let s3 = server.client();
    create_locked_bucket(&s3, bucket).await;
    (server, s3)
}

fn lock_configuration_xml(inner: &str) -> String {
    format!("<ObjectLockConfiguration xmlns=\"{XMLNS}\">{inner}</ObjectLockConfiguration>")
}

/// `<ObjectLockEnabled>Enabled</ObjectLockEnabled>` with a default retention rule.
fn default_retention_xml(mode: &str, period: &str) -> String {
    lock_configuration_xml(&format!(
        "<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>{mode}</Mode>{period}</DefaultRetention></Rule>"
    ))
}

fn put_lock_configuration(server: &TestServer, bucket: &str, xml: &str) -> RawResponse {
    send_md5(
        server,
        "PUT",
        &format!("/{bucket}?object-lock"),
        &[],
        xml.as_bytes(),
    )
}

fn get_lock_configuration(server: &TestServer, bucket: &str) -> RawResponse {
    signed_exchange(server, "GET", &format!("/{bucket}?object-lock"), &[], b"")
}

/// PutObject with these headers (and Content-MD5); answers 200 with a version id or fails.
fn put_with(server: &TestServer, bucket: &str, key: &str, headers: &[(&str, &str)]) -> String {
    let response = send_md5(
        server,
        "PUT",
        &format!("/{bucket}/{key}"),
        headers,
        format!("body of {key}").as_bytes(),
    );
    assert_status(&response, 200, &format!("PUT {key} with {headers:?}"));
    response
        .header("x-amz-version-id")
        .unwrap_or_else(|| panic!("PUT {key} answered no version id"))
        .to_string()
}

/// A version of `key` retained in `mode` until `until` (ISO 8601); its version id.
fn put_retained(server: &TestServer, bucket: &str, key: &str, mode: &str, until: &str) -> String {
    put_with(
        server,
        bucket,
        key,
        &[
            ("x-amz-object-lock-mode", mode),
            ("x-amz-object-lock-retain-until-date", until),
        ],
    )
}

/// A version of `key` under legal hold ON and nothing else; its version id.
fn put_held(server: &TestServer, bucket: &str, key: &str) -> String {
    put_with(
        server,
        bucket,
        key,
        &[("x-amz-object-lock-legal-hold", "ON")],
    )
}

fn retention_xml(mode: &str, until: &str) -> String {
    format!(
        "<Retention xmlns=\"{XMLNS}\"><Mode>{mode}</Mode><RetainUntilDate>{until}</RetainUntilDate></Retention>"
    )
}

/// PutObjectRetention (`bypass`: with `x-amz-bypass-governance-retention: true`).
fn put_retention(
    server: &TestServer,
    bucket: &str,
    key: &str,
    version: Option<&str>,
    xml: &str,
    bypass: bool,
) -> RawResponse {
    let headers: &[(&str, &str)] = if bypass {
        &[("x-amz-bypass-governance-retention", "true")]
    } else {
        &[]
    };
    send_md5(
        server,
        "PUT",
        &format!("/{bucket}/{key}?retention{}", version_query('&', version)),
        headers,
        xml.as_bytes(),
    )
}

fn get_retention(
    server: &TestServer,
    bucket: &str,
    key: &str,
    version: Option<&str>,
) -> RawResponse {
    signed_exchange(
        server,
        "GET",
        &format!("/{bucket}/{key}?retention{}", version_query('&', version)),
        &[],
        b"",
    )
}

/// GetObjectRetention must answer 200 with this mode and date (second precision).
fn assert_retention(
    server: &TestServer,
    bucket: &str,
    key: &str,
    version: Option<&str>,
    mode: &str,
    until: &str,
) {
    let response = get_retention(server, bucket, key, version);
    assert_status(&response, 200, "GetObjectRetention");
    let body = response.body_text();
    assert_eq!(
        common::xml_value(&body, "Mode").as_deref(),
        Some(mode),
        "{body}"
    );
    let date = common::xml_value(&body, "RetainUntilDate").expect("RetainUntilDate");
    assert_eq!(parse_iso(&date), parse_iso(until), "{body}");
}

fn put_legal_hold(
    server: &TestServer,
    bucket: &str,
    key: &str,
    version: Option<&str>,
    status: &str,
) -> RawResponse {
    send_md5(
        server,
        "PUT",
        &format!("/{bucket}/{key}?legal-hold{}", version_query('&', version)),
        &[],
        format!("<LegalHold xmlns=\"{XMLNS}\"><Status>{status}</Status></LegalHold>").as_bytes(),
    )
}

fn get_legal_hold(
    server: &TestServer,
    bucket: &str,
    key: &str,
    version: Option<&str>,
) -> RawResponse {
    signed_exchange(
        server,
        "GET",
        &format!("/{bucket}/{key}?legal-hold{}", version_query('&', version)),
        &[],
        b"",
    )
}

/// DeleteObject of one version (`bypass`: with `x-amz-bypass-governance-retention: true`).
fn delete_version(
    server: &TestServer,
    bucket: &str,
    key: &str,
    version: &str,
    bypass: bool,
) -> RawResponse {
    let headers: &[(&str, &str)] = if bypass {
        &[("x-amz-bypass-governance-retention", "true")]
    } else {
        &[]
    };
    signed_exchange(
        server,
        "DELETE",
        &format!("/{bucket}/{key}?versionId={version}"),
        headers,
        b"",
    )
}

/// The version must still be there, with its bytes.
async fn assert_version_readable(s3: &Client, bucket: &str, key: &str, version: &str) {
    let body = common::get_version(s3, bucket, key, version).await;
    assert_eq!(body, format!("body of {key}").into_bytes());
}

/// GET of the version must answer 404 NoSuchVersion: it is gone.
fn assert_version_gone(server: &TestServer, bucket: &str, key: &str, version: &str) {
    let response = signed_exchange(
        server,
        "GET",
        &format!("/{bucket}/{key}?versionId={version}"),
        &[],
        b"",
    );
    assert_raw_error(&response, 404, "NoSuchVersion");
}

/// The three lock headers of a HEAD (or GET) answer.
fn lock_headers(response: &RawResponse) -> (Option<&str>, Option<&str>, Option<&str>) {
    (
        response.header("x-amz-object-lock-mode"),
        response.header("x-amz-object-lock-retain-until-date"),
        response.header("x-amz-object-lock-legal-hold"),
    )
}

fn head_version(server: &TestServer, bucket: &str, key: &str, version: &str) -> RawResponse {
    let response = signed_exchange(
        server,
        "HEAD",
        &format!("/{bucket}/{key}?versionId={version}"),
        &[],
        b"",
    );
    assert_status(&response, 200, "HEAD");
    response
}

/// Polls `probe` until it returns Some (at most `limit` of real time).
async fn eventually<T, F, Fut>(what: &str, server: &TestServer, limit: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "never happened: {what}\n{}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Whether ListObjectVersions still lists this version of `key`.
async fn version_listed(s3: &Client, bucket: &str, key: &str, version: &str) -> bool {
    let (versions, _) = common::versions_of(s3, bucket, key).await;
    versions.iter().any(|v| v.version_id() == Some(version))
}

// ---------------------------------------------------------------------------------------------
// The bucket's configuration.

#[tokio::test]
async fn a_bucket_created_with_object_lock_is_versioned_for_good() {
    let (server, s3) = locked_server("vault").await;
    let versioning = s3
        .get_bucket_versioning()
        .bucket("vault")
        .send()
        .await
        .expect("get versioning");
    assert_eq!(versioning.status(), Some(&BucketVersioningStatus::Enabled));

    let got = get_lock_configuration(&server, "vault");
    assert_status(&got, 200, "GetObjectLockConfiguration");
    let body = got.body_text();
    assert_eq!(
        common::xml_value(&body, "ObjectLockEnabled").as_deref(),
        Some("Enabled"),
        "{body}"
    );
    assert!(!body.contains("<Rule>"), "no rule yet: {body}");
    let sdk = s3
        .get_object_lock_configuration()
        .bucket("vault")
        .send()
        .await
        .expect("SDK GetObjectLockConfiguration");
    let configuration = sdk.object_lock_configuration().expect("configuration");
    assert_eq!(
        configuration.object_lock_enabled().map(|e| e.as_str()),
        Some("Enabled")
    );
    assert!(configuration.rule().is_none(), "{configuration:?}");

    // Versioning cannot be suspended on it, and stays Enabled.
    let suspend = send_md5(
        &server,
        "PUT",
        "/vault?versioning",
        &[],
        format!(
            "<VersioningConfiguration xmlns=\"{XMLNS}\"><Status>Suspended</Status></VersioningConfiguration>"
        )
        .as_bytes(),
    );
    assert_raw_error(&suspend, 409, "InvalidBucketState");
    let versioning = s3
        .get_bucket_versioning()
        .bucket("vault")
        .send()
        .await
        .expect("get versioning");
    assert_eq!(versioning.status(), Some(&BucketVersioningStatus::Enabled));

    // A bucket created without it has no configuration.
    common::create_bucket(&s3, "plain").await;
    assert_raw_error(
        &get_lock_configuration(&server, "plain"),
        404,
        "ObjectLockConfigurationNotFoundError",
    );
    let err = s3
        .get_object_lock_configuration()
        .bucket("plain")
        .send()
        .await
        .expect_err("not configured");
    assert_sdk_error(&err, 404, "ObjectLockConfigurationNotFoundError");
}

#[tokio::test]
async fn object_lock_can_be_turned_on_only_for_a_bucket_with_versioning_enabled() {
    let server = TestServer::start();
    let s3 = server.client();
    let enabled = lock_configuration_xml("<ObjectLockEnabled>Enabled</ObjectLockEnabled>");

    common::create_bucket(&s3, "unversioned").await;
    assert_raw_error(
        &put_lock_configuration(&server, "unversioned", &enabled),
        409,
        "InvalidBucketState",
    );
    assert_raw_error(
        &get_lock_configuration(&server, "unversioned"),
        404,
        "ObjectLockConfigurationNotFoundError",
    );

    common::create_bucket(&s3, "suspended").await;
    common::set_versioning(&s3, "suspended", BucketVersioningStatus::Enabled).await;
    common::set_versioning(&s3, "suspended", BucketVersioningStatus::Suspended).await;
    assert_raw_error(
        &put_lock_configuration(&server, "suspended", &enabled),
        409,
        "InvalidBucketState",
    );

    common::create_bucket(&s3, "versioned").await;
    common::set_versioning(&s3, "versioned", BucketVersioningStatus::Enabled).await;
    // Objects locked before the bucket is lock-enabled are refused ...
    let early = send_md5(
        &server,
        "PUT",
        "/versioned/early",
        &[
            ("x-amz-object-lock-mode", "GOVERNANCE"),
            ("x-amz-object-lock-retain-until-date", &in_days(1)),
        ],
        b"body of early",
    );
    assert_raw_error(&early, 400, "InvalidRequest");
    let put = put_lock_configuration(&server, "versioned", &enabled);
    assert_status(
        &put,
        200,
        "PutObjectLockConfiguration on a versioned bucket",
    );
    let got = get_lock_configuration(&server, "versioned");
    assert_status(&got, 200, "GetObjectLockConfiguration");
    assert_eq!(
        common::xml_value(&got.body_text(), "ObjectLockEnabled").as_deref(),
        Some("Enabled")
    );
    // ... and accepted after, and versioning can no longer be suspended.
    let until = in_days(1);
    let version = put_retained(&server, "versioned", "late", "GOVERNANCE", &until);
    assert_retention(
        &server,
        "versioned",
        "late",
        Some(&version),
        "GOVERNANCE",
        &until,
    );
    let suspend = send_md5(
        &server,
        "PUT",
        "/versioned?versioning",
        &[],
        format!(
            "<VersioningConfiguration xmlns=\"{XMLNS}\"><Status>Suspended</Status></VersioningConfiguration>"
        )
        .as_bytes(),
    );
    assert_raw_error(&suspend, 409, "InvalidBucketState");
}

#[tokio::test]
async fn bad_object_lock_configurations_get_aws_errors() {
    let (server, _s3) = locked_server("vault").await;
    let malformed = [
        (
            "wrong root element",
            format!(
                "<LockConfiguration xmlns=\"{XMLNS}\"><ObjectLockEnabled>Enabled</ObjectLockEnabled></LockConfiguration>"
            ),
        ),
        ("not XML", "ObjectLockEnabled=Enabled".to_string()),
        (
            "ObjectLockEnabled other than Enabled",
            lock_configuration_xml("<ObjectLockEnabled>Disabled</ObjectLockEnabled>"),
        ),
        (
            "both Days and Years",
            default_retention_xml("GOVERNANCE", "<Days>1</Days><Years>1</Years>"),
        ),
        (
            "neither Days nor Years",
            default_retention_xml("GOVERNANCE", ""),
        ),
        (
            "an unknown mode",
            default_retention_xml("FOREVER", "<Days>1</Days>"),
        ),
    ];
    for (what, xml) in &malformed {
        let response = put_lock_configuration(&server, "vault", xml);
        assert_eq!(response.status, 400, "{what}: {}", response.body_text());
        assert_eq!(
            response.error_code(),
            "MalformedXML",
            "{what}: {}",
            response.body_text()
        );
    }
    let invalid = [
        (
            "zero days",
            default_retention_xml("GOVERNANCE", "<Days>0</Days>"),
        ),
        (
            "negative days",
            default_retention_xml("COMPLIANCE", "<Days>-1</Days>"),
        ),
        (
            "zero years",
            default_retention_xml("GOVERNANCE", "<Years>0</Years>"),
        ),
        (
            "negative years",
            default_retention_xml("COMPLIANCE", "<Years>-3</Years>"),
        ),
    ];
    for (what, xml) in &invalid {
        let response = put_lock_configuration(&server, "vault", xml);
        assert_eq!(response.status, 400, "{what}: {}", response.body_text());
        assert_eq!(
            response.error_code(),
            "InvalidArgument",
            "{what}: {}",
            response.body_text()
        );
    }
    // None of them changed anything: still enabled, still no rule.
    let got = get_lock_configuration(&server, "vault");
    assert_status(&got, 200, "GetObjectLockConfiguration");
    assert!(!got.body_text().contains("<Rule>"), "{}", got.body_text());
}

#[tokio::test]
async fn default_retention_locks_new_versions_written_without_lock_headers() {
    let (server, s3) = locked_server("vault").await;
    let before = put_with(&server, "vault", "before", &[]);

    let put = put_lock_configuration(
        &server,
        "vault",
        &default_retention_xml("GOVERNANCE", "<Days>2</Days>"),
    );
    assert_status(&put, 200, "PutObjectLockConfiguration with a rule");
    let got = s3
        .get_object_lock_configuration()
        .bucket("vault")
        .send()
        .await
        .expect("GetObjectLockConfiguration");
    let retention = got
        .object_lock_configuration()
        .and_then(|c| c.rule())
        .and_then(|r| r.default_retention())
        .expect("default retention");
    assert_eq!(retention.mode(), Some(&ObjectLockRetentionMode::Governance));
    assert_eq!(retention.days(), Some(2));
    assert_eq!(retention.years(), None);

    // A version written before the rule keeps none.
    assert_raw_error(
        &get_retention(&server, "vault", "before", Some(&before)),
        404,
        "NoSuchObjectLockConfiguration",
    );

    // A plain SDK write (no lock headers) gets GOVERNANCE until now + 2 days.
    let written_at = unix_now();
    let out = s3
        .put_object()
        .bucket("vault")
        .key("plain")
        .body(ByteStream::from_static(b"body of plain"))
        .send()
        .await
        .expect("put without lock headers");
    let version = out.version_id().expect("version id").to_string();
    let head = head_version(&server, "vault", "plain", &version);
    let (mode, until, _) = lock_headers(&head);
    assert_eq!(mode, Some("GOVERNANCE"), "{:?}", head.headers);
    let until = parse_iso(until.expect("retain-until header"));
    assert!(
        (until - (written_at + 2 * DAY)).abs() <= 300,
        "retain-until {} is not about now + 2 days ({})",
        iso(until),
        iso(written_at + 2 * DAY)
    );
    assert_eq!(
        delete_version(&server, "vault", "plain", &version, false).status,
        403,
        "the default retention protects the version"
    );

    // Explicit headers win over the default.
    let explicit = in_days(5);
    let version = put_retained(&server, "vault", "explicit", "COMPLIANCE", &explicit);
    assert_retention(
        &server,
        "vault",
        "explicit",
        Some(&version),
        "COMPLIANCE",
        &explicit,
    );

    // A rule in years: COMPLIANCE until about a year from now.
    let put = put_lock_configuration(
        &server,
        "vault",
        &default_retention_xml("COMPLIANCE", "<Years>1</Years>"),
    );
    assert_status(&put, 200, "PutObjectLockConfiguration in years");
    let written_at = unix_now();
    let version = put_with(&server, "vault", "yearly", &[]);
    let head = head_version(&server, "vault", "yearly", &version);
    let (mode, until, _) = lock_headers(&head);
    assert_eq!(mode, Some("COMPLIANCE"), "{:?}", head.headers);
    let until = parse_iso(until.expect("retain-until header"));
    assert!(
        until >= written_at + 365 * DAY - 300 && until <= written_at + 366 * DAY + 300,
        "retain-until {} is not about a year from {}",
        iso(until),
        iso(written_at)
    );
}

// ---------------------------------------------------------------------------------------------
// Lock headers on writes, shown on reads.

#[tokio::test]
async fn put_object_lock_headers_are_validated() {
    let (server, _s3) = locked_server("vault").await;
    common::create_bucket(&server.client(), "plain").await;
    let future = in_days(1);
    let past = iso(unix_now() - DAY);

    let refused = [
        (
            "plain",
            "a bucket without Object Lock",
            vec![
                ("x-amz-object-lock-mode", "GOVERNANCE"),
                ("x-amz-object-lock-retain-until-date", future.as_str()),
            ],
            400,
            "InvalidRequest",
        ),
        (
            "vault",
            "a mode without a date",
            vec![("x-amz-object-lock-mode", "GOVERNANCE")],
            400,
            "InvalidArgument",
        ),
        (
            "vault",
            "a date without a mode",
            vec![("x-amz-object-lock-retain-until-date", future.as_str())],
            400,
            "InvalidArgument",
        ),
        (
            "vault",
            "a date in the past",
            vec![
                ("x-amz-object-lock-mode", "COMPLIANCE"),
                ("x-amz-object-lock-retain-until-date", past.as_str()),
            ],
            400,
            "InvalidArgument",
        ),
        (
            "vault",
            "an unknown mode",
            vec![
                ("x-amz-object-lock-mode", "FOREVER"),
                ("x-amz-object-lock-retain-until-date", future.as_str()),
            ],
            400,
            "InvalidArgument",
        ),
        (
            "plain",
            "a legal hold on a bucket without Object Lock",
            vec![("x-amz-object-lock-legal-hold", "ON")],
            400,
            "InvalidRequest",
        ),
    ];
    for (bucket, what, headers, status, code) in &refused {
        let response = send_md5(&server, "PUT", &format!("/{bucket}/k"), headers, b"data");
        assert_eq!(response.status, *status, "{what}: {}", response.body_text());
        assert_eq!(
            response.error_code(),
            *code,
            "{what}: {}",
            response.body_text()
        );
    }
    // None of them stored anything.
    let listed = signed_exchange(&server, "GET", "/vault?versions", &[], b"");
    assert_status(&listed, 200, "ListObjectVersions");
    assert!(
        !listed.body_text().contains("<Key>k</Key>"),
        "{}",
        listed.body_text()
    );

    // Retention headers need an integrity check of the body: Content-MD5 or a checksum.
    let lock = [
        ("x-amz-object-lock-mode", "GOVERNANCE"),
        ("x-amz-object-lock-retain-until-date", future.as_str()),
    ];
    let bare = signed_exchange(&server, "PUT", "/vault/unchecked", &lock, b"data");
    assert_raw_error(&bare, 400, "InvalidRequest");
    let with_md5 = send_md5(&server, "PUT", "/vault/unchecked", &lock, b"data");
    assert_status(&with_md5, 200, "the same PUT with Content-MD5");
    let checksum = {
        use sha2::Digest;
        BASE64.encode(sha2::Sha256::digest(b"data"))
    };
    let mut with_checksum = lock.to_vec();
    with_checksum.push(("x-amz-checksum-sha256", checksum.as_str()));
    let response = signed_exchange(
        &server,
        "PUT",
        "/vault/checksummed",
        &with_checksum,
        b"data",
    );
    assert_status(&response, 200, "the same PUT with x-amz-checksum-sha256");
    let version = response
        .header("x-amz-version-id")
        .expect("version id")
        .to_string();
    assert_retention(
        &server,
        "vault",
        "checksummed",
        Some(&version),
        "GOVERNANCE",
        &future,
    );
}

#[tokio::test]
async fn head_and_get_show_the_lock_of_each_version() {
    let (server, s3) = locked_server("vault").await;
    let until = in_days(3);
    let locked = put_with(
        &server,
        "vault",
        "doc",
        &[
            ("x-amz-object-lock-mode", "COMPLIANCE"),
            ("x-amz-object-lock-retain-until-date", &until),
            ("x-amz-object-lock-legal-hold", "ON"),
        ],
    );
    let head = head_version(&server, "vault", "doc", &locked);
    let (mode, date, hold) = lock_headers(&head);
    assert_eq!(mode, Some("COMPLIANCE"), "{:?}", head.headers);
    assert_eq!(hold, Some("ON"), "{:?}", head.headers);
    let date = date.expect("x-amz-object-lock-retain-until-date");
    assert!(date.ends_with('Z'), "an ISO 8601 UTC date: {date}");
    assert_eq!(parse_iso(date), parse_iso(&until));

    let get = signed_exchange(&server, "GET", "/vault/doc", &[], b"");
    assert_status(&get, 200, "GET");
    assert_eq!(get.body, b"body of doc");
    let (mode, date, hold) = lock_headers(&get);
    assert_eq!(mode, Some("COMPLIANCE"), "{:?}", get.headers);
    assert_eq!(hold, Some("ON"), "{:?}", get.headers);
    assert_eq!(parse_iso(date.expect("date on GET")), parse_iso(&until));

    // The SDK reads the same from HEAD and GET.
    let head = s3
        .head_object()
        .bucket("vault")
        .key("doc")
        .version_id(&locked)
        .send()
        .await
        .expect("SDK HEAD");
    assert_eq!(head.object_lock_mode(), Some(&ObjectLockMode::Compliance));
    assert_eq!(
        head.object_lock_retain_until_date().map(DateTime::secs),
        Some(parse_iso(&until))
    );
    assert_eq!(
        head.object_lock_legal_hold_status(),
        Some(&ObjectLockLegalHoldStatus::On)
    );
    let get = s3
        .get_object()
        .bucket("vault")
        .key("doc")
        .send()
        .await
        .expect("SDK GET");
    assert_eq!(get.object_lock_mode(), Some(&ObjectLockMode::Compliance));
    assert_eq!(
        get.object_lock_legal_hold_status(),
        Some(&ObjectLockLegalHoldStatus::On)
    );

    // Each version shows its own: a newer one with only a legal hold OFF, one with nothing.
    let off = put_with(
        &server,
        "vault",
        "doc",
        &[("x-amz-object-lock-legal-hold", "OFF")],
    );
    let head = head_version(&server, "vault", "doc", &off);
    let (mode, date, hold) = lock_headers(&head);
    assert_eq!((mode, date), (None, None), "{:?}", head.headers);
    assert!(hold.is_none() || hold == Some("OFF"), "{:?}", head.headers);
    let plain = put_with(&server, "vault", "doc", &[]);
    let head = head_version(&server, "vault", "doc", &plain);
    let (mode, date, _) = lock_headers(&head);
    assert_eq!((mode, date), (None, None), "{:?}", head.headers);
    let head = head_version(&server, "vault", "doc", &locked);
    assert_eq!(lock_headers(&head).0, Some("COMPLIANCE"));

    // The SDK's own lock parameters on PutObject (it adds a checksum) work the same.
    let sdk_until = unix_now() + 4 * DAY;
    let out = s3
        .put_object()
        .bucket("vault")
        .key("sdk")
        .body(ByteStream::from_static(b"body of sdk"))
        .object_lock_mode(ObjectLockMode::Governance)
        .object_lock_retain_until_date(smithy(sdk_until))
        .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On)
        .send()
        .await
        .expect("SDK PutObject with lock parameters");
    let version = out.version_id().expect("version id").to_string();
    let head = head_version(&server, "vault", "sdk", &version);
    let (mode, date, hold) = lock_headers(&head);
    assert_eq!(mode, Some("GOVERNANCE"));
    assert_eq!(date.map(parse_iso), Some(sdk_until));
    assert_eq!(hold, Some("ON"));
}

// ---------------------------------------------------------------------------------------------
// PutObjectRetention and PutObjectLegalHold.

#[tokio::test]
async fn retention_and_legal_hold_round_trip_per_version() {
    let (server, s3) = locked_server("vault").await;
    let old = put_with(&server, "vault", "doc", &[]);
    let new = put_with(&server, "vault", "doc", &[]);

    assert_raw_error(
        &get_retention(&server, "vault", "doc", None),
        404,
        "NoSuchObjectLockConfiguration",
    );
    assert_raw_error(
        &get_legal_hold(&server, "vault", "doc", None),
        404,
        "NoSuchObjectLockConfiguration",
    );

    // The older version by id; the latest stays without.
    let until = in_days(2);
    let put = put_retention(
        &server,
        "vault",
        "doc",
        Some(&old),
        &retention_xml("GOVERNANCE", &until),
        false,
    );
    assert_status(&put, 200, "PutObjectRetention");
    assert_retention(&server, "vault", "doc", Some(&old), "GOVERNANCE", &until);
    assert_raw_error(
        &get_retention(&server, "vault", "doc", Some(&new)),
        404,
        "NoSuchObjectLockConfiguration",
    );
    let head = head_version(&server, "vault", "doc", &old);
    assert_eq!(lock_headers(&head).0, Some("GOVERNANCE"));

    // Without a version id: the latest.
    let latest_until = in_days(3);
    let put = put_retention(
        &server,
        "vault",
        "doc",
        None,
        &retention_xml("COMPLIANCE", &latest_until),
        false,
    );
    assert_status(&put, 200, "PutObjectRetention on the latest");
    assert_retention(
        &server,
        "vault",
        "doc",
        Some(&new),
        "COMPLIANCE",
        &latest_until,
    );
    assert_retention(&server, "vault", "doc", None, "COMPLIANCE", &latest_until);
    assert_retention(&server, "vault", "doc", Some(&old), "GOVERNANCE", &until);

    // The SDK reads it the same way.
    let sdk = s3
        .get_object_retention()
        .bucket("vault")
        .key("doc")
        .version_id(&old)
        .send()
        .await
        .expect("SDK GetObjectRetention");
    let retention = sdk.retention().expect("retention");
    assert_eq!(retention.mode(), Some(&ObjectLockRetentionMode::Governance));
    assert_eq!(
        retention.retain_until_date().map(DateTime::secs),
        Some(parse_iso(&until))
    );

    // Legal hold: ON, then OFF, per version.
    assert_status(
        &put_legal_hold(&server, "vault", "doc", Some(&old), "ON"),
        200,
        "legal hold ON",
    );
    let got = get_legal_hold(&server, "vault", "doc", Some(&old));
    assert_status(&got, 200, "GetObjectLegalHold");
    assert_eq!(
        common::xml_value(&got.body_text(), "Status").as_deref(),
        Some("ON")
    );
    assert_eq!(
        head_version(&server, "vault", "doc", &old).header("x-amz-object-lock-legal-hold"),
        Some("ON")
    );
    assert_status(
        &put_legal_hold(&server, "vault", "doc", Some(&old), "OFF"),
        200,
        "legal hold OFF",
    );
    let got = get_legal_hold(&server, "vault", "doc", Some(&old));
    assert_status(&got, 200, "GetObjectLegalHold after OFF");
    assert_eq!(
        common::xml_value(&got.body_text(), "Status").as_deref(),
        Some("OFF")
    );
    let sdk = s3
        .get_object_legal_hold()
        .bucket("vault")
        .key("doc")
        .version_id(&old)
        .send()
        .await
        .expect("SDK GetObjectLegalHold");
    assert_eq!(
        sdk.legal_hold().and_then(|h| h.status()),
        Some(&ObjectLockLegalHoldStatus::Off)
    );

    // A bucket without Object Lock refuses all four.
    common::create_bucket(&s3, "plain").await;
    common::put(&s3, "plain", "doc", "body of doc").await;
    assert_raw_error(
        &put_retention(
            &server,
            "plain",
            "doc",
            None,
            &retention_xml("GOVERNANCE", &until),
            false,
        ),
        400,
        "InvalidRequest",
    );
    assert_raw_error(
        &get_retention(&server, "plain", "doc", None),
        400,
        "InvalidRequest",
    );
    assert_raw_error(
        &put_legal_hold(&server, "plain", "doc", None, "ON"),
        400,
        "InvalidRequest",
    );
    assert_raw_error(
        &get_legal_hold(&server, "plain", "doc", None),
        400,
        "InvalidRequest",
    );
}

#[tokio::test]
async fn a_legal_hold_never_set_has_no_configuration_even_under_retention() {
    let (server, _s3) = locked_server("vault").await;
    let until = in_days(2);
    // Retention from the PUT's headers, from PutObjectRetention, and from the bucket default:
    // none of them sets a legal hold, so GetObjectLegalHold finds none.
    let by_header = put_retained(&server, "vault", "by-header", "GOVERNANCE", &until);
    let by_call = put_with(&server, "vault", "by-call", &[]);
    assert_status(
        &put_retention(
            &server,
            "vault",
            "by-call",
            Some(&by_call),
            &retention_xml("COMPLIANCE", &until),
            false,
        ),
        200,
        "PutObjectRetention",
    );
    assert_status(
        &put_lock_configuration(
            &server,
            "vault",
            &default_retention_xml("GOVERNANCE", "<Days>1</Days>"),
        ),
        200,
        "default retention",
    );
    let by_default = put_with(&server, "vault", "by-default", &[]);
    for (key, version) in [
        ("by-header", &by_header),
        ("by-call", &by_call),
        ("by-default", &by_default),
    ] {
        let response = get_legal_hold(&server, "vault", key, Some(version));
        assert_eq!(
            (response.status, response.error_code()),
            (404, "NoSuchObjectLockConfiguration".to_string()),
            "GetObjectLegalHold of {key}, retained but never held: {}",
            response.body_text()
        );
    }
}

#[tokio::test]
async fn compliance_retention_can_only_be_extended_even_by_the_root() {
    let (server, _s3) = locked_server("vault").await;
    let until = unix_now() + 2 * DAY;
    let version = put_retained(&server, "vault", "doc", "COMPLIANCE", &iso(until));

    let longer = iso(until + DAY);
    let put = put_retention(
        &server,
        "vault",
        "doc",
        Some(&version),
        &retention_xml("COMPLIANCE", &longer),
        false,
    );
    assert_status(&put, 200, "extending COMPLIANCE");
    assert_retention(
        &server,
        "vault",
        "doc",
        Some(&version),
        "COMPLIANCE",
        &longer,
    );

    for bypass in [false, true] {
        let shorter = put_retention(
            &server,
            "vault",
            "doc",
            Some(&version),
            &retention_xml("COMPLIANCE", &iso(until)),
            bypass,
        );
        assert_raw_error(&shorter, 403, "AccessDenied");
        let governance = put_retention(
            &server,
            "vault",
            "doc",
            Some(&version),
            &retention_xml("GOVERNANCE", &longer),
            bypass,
        );
        assert_raw_error(&governance, 403, "AccessDenied");
        let removed = put_retention(
            &server,
            "vault",
            "doc",
            Some(&version),
            "<Retention/>",
            bypass,
        );
        assert_raw_error(&removed, 403, "AccessDenied");
    }
    assert_retention(
        &server,
        "vault",
        "doc",
        Some(&version),
        "COMPLIANCE",
        &longer,
    );
}

#[tokio::test]
async fn governance_retention_shrinks_only_with_the_bypass_header() {
    let (server, _s3) = locked_server("vault").await;
    let until = unix_now() + 2 * DAY;
    let version = put_retained(&server, "vault", "doc", "GOVERNANCE", &iso(until));

    let longer = iso(until + DAY);
    let put = put_retention(
        &server,
        "vault",
        "doc",
        Some(&version),
        &retention_xml("GOVERNANCE", &longer),
        false,
    );
    assert_status(&put, 200, "extending GOVERNANCE");

    let shorter = iso(until - DAY);
    assert_raw_error(
        &put_retention(
            &server,
            "vault",
            "doc",
            Some(&version),
            &retention_xml("GOVERNANCE", &shorter),
            false,
        ),
        403,
        "AccessDenied",
    );
    assert_raw_error(
        &put_retention(
            &server,
            "vault",
            "doc",
            Some(&version),
            "<Retention/>",
            false,
        ),
        403,
        "AccessDenied",
    );
    assert_retention(
        &server,
        "vault",
        "doc",
        Some(&version),
        "GOVERNANCE",
        &longer,
    );

    // The root with the bypass header may shorten it, and remove it.
    let put = put_retention(
        &server,
        "vault",
        "doc",
        Some(&version),
        &retention_xml("GOVERNANCE", &shorter),
        true,
    );
    assert_status(&put, 200, "shortening with bypass");
    assert_retention(
        &server,
        "vault",
        "doc",
        Some(&version),
        "GOVERNANCE",
        &shorter,
    );
    let put = put_retention(
        &server,
        "vault",
        "doc",
        Some(&version),
        "<Retention/>",
        true,
    );
    assert_status(&put, 200, "removing with bypass");
    assert_raw_error(
        &get_retention(&server, "vault", "doc", Some(&version)),
        404,
        "NoSuchObjectLockConfiguration",
    );
    assert_status(
        &delete_version(&server, "vault", "doc", &version, false),
        204,
        "deleting once the retention is gone",
    );

    // GOVERNANCE may become COMPLIANCE with a date not earlier, without bypass.
    let until = iso(unix_now() + 2 * DAY);
    let other = put_retained(&server, "vault", "other", "GOVERNANCE", &until);
    let put = put_retention(
        &server,
        "vault",
        "other",
        Some(&other),
        &retention_xml("COMPLIANCE", &until),
        false,
    );
    assert_status(&put, 200, "GOVERNANCE to COMPLIANCE");
    assert_retention(
        &server,
        "vault",
        "other",
        Some(&other),
        "COMPLIANCE",
        &until,
    );
    assert_raw_error(
        &delete_version(&server, "vault", "other", &other, true),
        403,
        "AccessDenied",
    );
}

#[tokio::test]
async fn bypassing_governance_needs_s3_bypass_governance_retention() {
    let server = TestServer::start();
    let alpha = create_account(&server, "alpha").await;
    let owner = s3_client_as(&server, &alpha.access_key, &alpha.secret_key);
    create_locked_bucket(&owner, "team").await;

    let listed = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[
        "s3:GetObject","s3:GetObjectVersion","s3:PutObject","s3:DeleteObject",
        "s3:DeleteObjectVersion","s3:PutObjectRetention","s3:GetObjectRetention",
        "s3:PutObjectLegalHold","s3:GetObjectLegalHold","s3:ListBucket",
        "s3:ListBucketVersions"],"Resource":"*"}]}"#;
    let denied = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"s3:*","Resource":"*"},
        {"Effect":"Deny","Action":"s3:BypassGovernanceRetention","Resource":"*"}]}"#;
    let allowed = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
    let users = [
        ("lister", listed, false),
        ("denied", denied, false),
        ("bypasser", allowed, true),
    ];
    let mut clients = Vec::new();
    for (name, policy, may_bypass) in users {
        let keys = user_with_policy(&server, &alpha, name, policy).await;
        clients.push((name, s3_client_as(&server, &keys.0, &keys.1), may_bypass));
    }
    clients.push(("alpha's root", owner.clone(), true));

    for (name, s3, may_bypass) in &clients {
        let key = format!("{}-doc", name.replace(['\'', ' '], "-"));
        let until = unix_now() + 2 * DAY;
        let out = s3
            .put_object()
            .bucket("team")
            .key(&key)
            .body(ByteStream::from(format!("body of {key}").into_bytes()))
            .object_lock_mode(ObjectLockMode::Governance)
            .object_lock_retain_until_date(smithy(until))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{name} writes a GOVERNANCE version: {e:?}"));
        let version = out.version_id().expect("version id").to_string();

        // Everyone here may extend it: the refusals below are about the bypass alone.
        let retention = |secs: i64| {
            ObjectLockRetention::builder()
                .mode(ObjectLockRetentionMode::Governance)
                .retain_until_date(smithy(secs))
                .build()
        };
        s3.put_object_retention()
            .bucket("team")
            .key(&key)
            .version_id(&version)
            .retention(retention(until + DAY))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{name} extends the retention: {e:?}"));
        // Shortening without the header is refused for everyone.
        let err = s3
            .put_object_retention()
            .bucket("team")
            .key(&key)
            .version_id(&version)
            .retention(retention(until))
            .send()
            .await
            .expect_err("shortening without bypass");
        assert_sdk_error(&err, 403, "AccessDenied");

        let shorten = s3
            .put_object_retention()
            .bucket("team")
            .key(&key)
            .version_id(&version)
            .retention(retention(until))
            .bypass_governance_retention(true)
            .send()
            .await;
        let delete = s3
            .delete_object()
            .bucket("team")
            .key(&key)
            .version_id(&version)
            .bypass_governance_retention(true)
            .send()
            .await;
        if *may_bypass {
            shorten.unwrap_or_else(|e| panic!("{name} shortens with bypass: {e:?}"));
            delete.unwrap_or_else(|e| panic!("{name} deletes with bypass: {e:?}"));
            let err = owner
                .head_object()
                .bucket("team")
                .key(&key)
                .version_id(&version)
                .send()
                .await
                .expect_err("the version is gone");
            assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(404));
        } else {
            assert_sdk_error(&shorten.expect_err(name), 403, "AccessDenied");
            assert_sdk_error(&delete.expect_err(name), 403, "AccessDenied");
            let retention = owner
                .get_object_retention()
                .bucket("team")
                .key(&key)
                .version_id(&version)
                .send()
                .await
                .expect("retention still there");
            assert_eq!(
                retention
                    .retention()
                    .and_then(|r| r.retain_until_date())
                    .map(DateTime::secs),
                Some(until + DAY),
                "{name}'s refused bypass changed nothing"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Deletes.

#[tokio::test]
async fn locked_versions_cannot_be_deleted_by_version_id() {
    let (server, s3) = locked_server("vault").await;
    let until = in_days(2);
    let governance = put_retained(&server, "vault", "governance", "GOVERNANCE", &until);
    let compliance = put_retained(&server, "vault", "compliance", "COMPLIANCE", &until);
    let held = put_held(&server, "vault", "held");
    let held_governed = put_with(
        &server,
        "vault",
        "held-governed",
        &[
            ("x-amz-object-lock-mode", "GOVERNANCE"),
            ("x-amz-object-lock-retain-until-date", &until),
            ("x-amz-object-lock-legal-hold", "ON"),
        ],
    );
    let versions = [
        ("governance", &governance),
        ("compliance", &compliance),
        ("held", &held),
        ("held-governed", &held_governed),
    ];
    for (key, version) in versions {
        assert_raw_error(
            &delete_version(&server, "vault", key, version, false),
            403,
            "AccessDenied",
        );
        assert_version_readable(&s3, "vault", key, version).await;
    }

    // A delete without a version id only adds a delete marker.
    for (key, version) in versions {
        let response = signed_exchange(&server, "DELETE", &format!("/vault/{key}"), &[], b"");
        assert_status(&response, 204, "simple DELETE");
        assert_eq!(response.header("x-amz-delete-marker"), Some("true"));
        assert_version_readable(&s3, "vault", key, version).await;
    }

    // Bypass: enough for GOVERNANCE, not for COMPLIANCE or a legal hold.
    for (key, version) in [
        ("compliance", &compliance),
        ("held", &held),
        ("held-governed", &held_governed),
    ] {
        assert_raw_error(
            &delete_version(&server, "vault", key, version, true),
            403,
            "AccessDenied",
        );
        assert_version_readable(&s3, "vault", key, version).await;
    }
    assert_status(
        &delete_version(&server, "vault", "governance", &governance, true),
        204,
        "GOVERNANCE delete with bypass",
    );
    assert_version_gone(&server, "vault", "governance", &governance);

    // Legal hold OFF and no retention: deletable.
    assert_status(
        &put_legal_hold(&server, "vault", "held", Some(&held), "OFF"),
        200,
        "legal hold OFF",
    );
    assert_status(
        &delete_version(&server, "vault", "held", &held, false),
        204,
        "delete after the hold is lifted",
    );
    assert_version_gone(&server, "vault", "held", &held);
    // Hold OFF but still GOVERNANCE-retained: only with bypass.
    assert_status(
        &put_legal_hold(
            &server,
            "vault",
            "held-governed",
            Some(&held_governed),
            "OFF",
        ),
        200,
        "legal hold OFF",
    );
    assert_raw_error(
        &delete_version(&server, "vault", "held-governed", &held_governed, false),
        403,
        "AccessDenied",
    );
    assert_status(
        &delete_version(&server, "vault", "held-governed", &held_governed, true),
        204,
        "delete with bypass after the hold is lifted",
    );
}

#[tokio::test]
async fn delete_objects_reports_locked_versions_as_errors() {
    let (server, s3) = locked_server("vault").await;
    let until = in_days(2);
    let governance = put_retained(&server, "vault", "governance", "GOVERNANCE", &until);
    let compliance = put_retained(&server, "vault", "compliance", "COMPLIANCE", &until);
    let held = put_held(&server, "vault", "held");
    let free = put_with(&server, "vault", "free", &[]);
    let all = [
        ("governance", &governance),
        ("compliance", &compliance),
        ("held", &held),
        ("free", &free),
    ];
    let delete = |bypass: bool| {
        let objects = all
            .iter()
            .map(|(key, version)| {
                ObjectIdentifier::builder()
                    .key(*key)
                    .version_id(version.as_str())
                    .build()
                    .expect("identifier")
            })
            .collect::<Vec<_>>();
        s3.delete_objects()
            .bucket("vault")
            .delete(
                Delete::builder()
                    .set_objects(Some(objects))
                    .build()
                    .expect("delete"),
            )
            .set_bypass_governance_retention(bypass.then_some(true))
            .send()
    };
    let out = delete(false).await.expect("DeleteObjects");
    let deleted: Vec<(&str, &str)> = out
        .deleted()
        .iter()
        .map(|d| (d.key().unwrap_or(""), d.version_id().unwrap_or("")))
        .collect();
    assert_eq!(deleted, [("free", free.as_str())], "{out:?}");
    let mut errors: Vec<(&str, &str, &str)> = out
        .errors()
        .iter()
        .map(|e| {
            (
                e.key().unwrap_or(""),
                e.version_id().unwrap_or(""),
                e.code().unwrap_or(""),
            )
        })
        .collect();
    errors.sort();
    assert_eq!(
        errors,
        [
            ("compliance", compliance.as_str(), "AccessDenied"),
            ("governance", governance.as_str(), "AccessDenied"),
            ("held", held.as_str(), "AccessDenied"),
        ],
        "{out:?}"
    );
    assert_version_gone(&server, "vault", "free", &free);
    for (key, version) in &all[..3] {
        assert_version_readable(&s3, "vault", key, version).await;
    }

    // With the bypass header the GOVERNANCE version goes; the others stay.
    let out = delete(true).await.expect("DeleteObjects with bypass");
    let deleted: Vec<&str> = out.deleted().iter().filter_map(|d| d.key()).collect();
    assert!(deleted.contains(&"governance"), "{out:?}");
    let mut refused: Vec<&str> = out.errors().iter().filter_map(|e| e.key()).collect();
    refused.sort();
    assert_eq!(refused, ["compliance", "held"], "{out:?}");
    assert!(
        out.errors()
            .iter()
            .all(|e| e.code() == Some("AccessDenied")),
        "{out:?}"
    );
    assert_version_gone(&server, "vault", "governance", &governance);
}

#[tokio::test]
async fn a_retention_that_runs_out_stops_protecting_the_version() {
    let (server, s3) = locked_server("vault").await;
    let until = unix_now() + 4;
    let version = put_retained(&server, "vault", "doc", "COMPLIANCE", &iso(until));
    assert_raw_error(
        &delete_version(&server, "vault", "doc", &version, false),
        403,
        "AccessDenied",
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let response = delete_version(&server, "vault", "doc", &version, false);
        let answered_at = unix_now();
        if response.status == 204 {
            assert!(
                answered_at >= until,
                "deleted at {} while retained until {}",
                iso(answered_at),
                iso(until)
            );
            break;
        }
        assert_raw_error(&response, 403, "AccessDenied");
        assert!(
            Instant::now() < deadline,
            "still refused 30 s after the retention ran out ({})",
            iso(until)
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_version_gone(&server, "vault", "doc", &version);
    assert!(!version_listed(&s3, "vault", "doc", &version).await);
}

#[tokio::test]
async fn a_bucket_holding_locked_versions_cannot_be_deleted() {
    let (server, s3) = locked_server("vault").await;
    let version = put_retained(&server, "vault", "doc", "GOVERNANCE", &in_days(1));
    let response = signed_exchange(&server, "DELETE", "/vault/doc", &[], b"");
    assert_status(&response, 204, "delete marker");
    let response = signed_exchange(&server, "DELETE", "/vault", &[], b"");
    assert_raw_error(&response, 409, "BucketNotEmpty");
    assert_version_readable(&s3, "vault", "doc", &version).await;
    let head = s3.head_bucket().bucket("vault").send().await;
    assert!(head.is_ok(), "the bucket is still there: {head:?}");
}

// ---------------------------------------------------------------------------------------------
// Lifecycle, policies, restarts, multipart uploads and copies.

#[tokio::test]
async fn lifecycle_waits_for_retention_and_legal_holds() {
    let server = TestServer::start_with(&["--lifecycle-day-seconds", "1"]);
    let s3 = server.client();
    create_locked_bucket(&s3, "aging").await;
    s3.put_bucket_lifecycle_configuration()
        .bucket("aging")
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .rules(
                    LifecycleRule::builder()
                        .id("old-versions")
                        .status(ExpirationStatus::Enabled)
                        .filter(LifecycleRuleFilter::builder().prefix("").build())
                        .noncurrent_version_expiration(
                            NoncurrentVersionExpiration::builder()
                                .noncurrent_days(1)
                                .build(),
                        )
                        .build()
                        .expect("rule"),
                )
                .build()
                .expect("configuration"),
        )
        .send()
        .await
        .expect("put lifecycle");

    let retained_until = unix_now() + 6;
    let retained = put_retained(
        &server,
        "aging",
        "retained",
        "GOVERNANCE",
        &iso(retained_until),
    );
    let held = put_held(&server, "aging", "held");
    let plain = put_with(&server, "aging", "plain", &[]);
    let started = Instant::now();
    for key in ["retained", "held", "plain"] {
        put_with(&server, "aging", key, &[]);
    }

    // The unprotected noncurrent version goes after a lifecycle day or so: the worker runs.
    eventually(
        "the unlocked noncurrent version expires",
        &server,
        Duration::from_secs(30),
        || {
            let s3 = s3.clone();
            let plain = plain.clone();
            async move { (!version_listed(&s3, "aging", "plain", &plain).await).then_some(()) }
        },
    )
    .await;
    // At about 3 s the retained one is still there (its retention has 3 s to go).
    let check_at = started + Duration::from_secs(3);
    if let Some(wait) = check_at.checked_duration_since(Instant::now()) {
        tokio::time::sleep(wait).await;
    }
    assert!(
        unix_now() < retained_until,
        "the check came too late to mean anything"
    );
    assert!(
        version_listed(&s3, "aging", "retained", &retained).await,
        "a retained noncurrent version was expired\n{}",
        server.log()
    );
    assert!(version_listed(&s3, "aging", "held", &held).await);

    // Once the retention has run out, lifecycle removes it.
    eventually("the retained version expires after its retention", &server, Duration::from_secs(30), || {
        let s3 = s3.clone();
        let retained = retained.clone();
        async move { (!version_listed(&s3, "aging", "retained", &retained).await).then_some(()) }
    })
    .await;
    assert!(
        unix_now() >= retained_until,
        "removed before its retain-until date"
    );
    // Several lifecycle days later the held one is still there.
    assert!(
        version_listed(&s3, "aging", "held", &held).await,
        "a noncurrent version under legal hold was expired\n{}",
        server.log()
    );
    assert_version_readable(&s3, "aging", "held", &held).await;

    // Lifting the hold lets lifecycle take it.
    assert_status(
        &put_legal_hold(&server, "aging", "held", Some(&held), "OFF"),
        200,
        "legal hold OFF",
    );
    eventually(
        "the version expires once its hold is lifted",
        &server,
        Duration::from_secs(30),
        || {
            let s3 = s3.clone();
            let held = held.clone();
            async move { (!version_listed(&s3, "aging", "held", &held).await).then_some(()) }
        },
    )
    .await;
}

#[tokio::test]
async fn bucket_policies_see_the_lock_headers_of_a_put() {
    let (server, s3) = locked_server("vault").await;
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AtMost30Days",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": "arn:aws:s3:::vault/*",
                "Condition": {"NumericGreaterThan": {"s3:object-lock-remaining-retention-days": "30"}}
            },
            {
                "Sid": "NoCompliance",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": "arn:aws:s3:::vault/*",
                "Condition": {"StringEquals": {"s3:object-lock-mode": "COMPLIANCE"}}
            },
            {
                "Sid": "NoLegalHolds",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": "arn:aws:s3:::vault/*",
                "Condition": {"StringEquals": {"s3:object-lock-legal-hold": "ON"}}
            }
        ]
    });
    s3.put_bucket_policy()
        .bucket("vault")
        .policy(policy.to_string())
        .send()
        .await
        .expect("put policy");

    let put = |key: &str, headers: &[(&str, &str)]| {
        send_md5(&server, "PUT", &format!("/vault/{key}"), headers, b"data")
    };
    let sixty = in_days(60);
    let ten = in_days(10);
    let refused = [
        (
            "60 days of retention",
            vec![
                ("x-amz-object-lock-mode", "GOVERNANCE"),
                ("x-amz-object-lock-retain-until-date", sixty.as_str()),
            ],
        ),
        (
            "COMPLIANCE",
            vec![
                ("x-amz-object-lock-mode", "COMPLIANCE"),
                ("x-amz-object-lock-retain-until-date", ten.as_str()),
            ],
        ),
        ("a legal hold", vec![("x-amz-object-lock-legal-hold", "ON")]),
    ];
    for (what, headers) in &refused {
        let response = put("refused", headers);
        assert_eq!(response.status, 403, "{what}: {}", response.body_text());
        assert_eq!(response.error_code(), "AccessDenied", "{what}");
    }
    let head = s3.head_object().bucket("vault").key("refused").send().await;
    assert!(head.is_err(), "a refused PUT stored nothing: {head:?}");

    let allowed = [
        (
            "10 days of GOVERNANCE",
            vec![
                ("x-amz-object-lock-mode", "GOVERNANCE"),
                ("x-amz-object-lock-retain-until-date", ten.as_str()),
            ],
        ),
        (
            "a legal hold OFF",
            vec![("x-amz-object-lock-legal-hold", "OFF")],
        ),
        ("no lock headers", vec![]),
    ];
    for (what, headers) in &allowed {
        let response = put("allowed", headers);
        assert_eq!(response.status, 200, "{what}: {}", response.body_text());
    }
}

#[tokio::test]
async fn locks_survive_a_restart() {
    let (mut server, s3) = locked_server("vault").await;
    let put = put_lock_configuration(
        &server,
        "vault",
        &default_retention_xml("GOVERNANCE", "<Days>3</Days>"),
    );
    assert_status(&put, 200, "default retention");
    let until = in_days(2);
    let compliance = put_retained(&server, "vault", "compliance", "COMPLIANCE", &until);
    let held = put_held(&server, "vault", "held");
    let defaulted = put_with(&server, "vault", "defaulted", &[]);
    let default_until = head_version(&server, "vault", "defaulted", &defaulted)
        .header("x-amz-object-lock-retain-until-date")
        .expect("default retention")
        .to_string();

    server.restart();

    for (key, version, bypass) in [
        ("compliance", &compliance, true),
        ("held", &held, true),
        ("defaulted", &defaulted, false),
    ] {
        assert_raw_error(
            &delete_version(&server, "vault", key, version, bypass),
            403,
            "AccessDenied",
        );
        assert_version_readable(&s3, "vault", key, version).await;
    }
    assert_retention(
        &server,
        "vault",
        "compliance",
        Some(&compliance),
        "COMPLIANCE",
        &until,
    );
    assert_retention(
        &server,
        "vault",
        "defaulted",
        Some(&defaulted),
        "GOVERNANCE",
        &default_until,
    );
    let got = get_legal_hold(&server, "vault", "held", Some(&held));
    assert_eq!(
        common::xml_value(&got.body_text(), "Status").as_deref(),
        Some("ON")
    );
    let got = get_lock_configuration(&server, "vault");
    assert_status(&got, 200, "GetObjectLockConfiguration after restart");
    let body = got.body_text();
    assert_eq!(
        common::xml_value(&body, "Mode").as_deref(),
        Some("GOVERNANCE"),
        "{body}"
    );
    assert_eq!(
        common::xml_value(&body, "Days").as_deref(),
        Some("3"),
        "{body}"
    );
    let suspend = s3
        .put_bucket_versioning()
        .bucket("vault")
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Suspended)
                .build(),
        )
        .send()
        .await
        .expect_err("still lock-enabled");
    assert_sdk_error(&suspend, 409, "InvalidBucketState");
    // The default still applies to new writes.
    let after = put_with(&server, "vault", "after", &[]);
    assert_eq!(
        head_version(&server, "vault", "after", &after).header("x-amz-object-lock-mode"),
        Some("GOVERNANCE")
    );
}

#[tokio::test]
async fn multipart_uploads_and_copies_take_their_lock_headers() {
    let (server, s3) = locked_server("vault").await;
    let until = unix_now() + 3 * DAY;
    let parts = [
        common::pattern(5 * 1024 * 1024, 1),
        common::pattern(1000, 2),
    ];
    let done = common::multipart_upload(
        &s3,
        s3.create_multipart_upload()
            .bucket("vault")
            .key("big")
            .object_lock_mode(ObjectLockMode::Compliance)
            .object_lock_retain_until_date(smithy(until))
            .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On),
        &parts,
    )
    .await;
    let big = done.version_id().expect("version id").to_string();
    let head = head_version(&server, "vault", "big", &big);
    let (mode, date, hold) = lock_headers(&head);
    assert_eq!(mode, Some("COMPLIANCE"), "{:?}", head.headers);
    assert_eq!(date.map(parse_iso), Some(until));
    assert_eq!(hold, Some("ON"));
    assert_raw_error(
        &delete_version(&server, "vault", "big", &big, true),
        403,
        "AccessDenied",
    );
    let body = common::get_version(&s3, "vault", "big", &big).await;
    assert_eq!(body, parts.concat());

    let source = put_with(&server, "vault", "source", &[]);
    let copy_until = unix_now() + 2 * DAY;
    let copied = s3
        .copy_object()
        .bucket("vault")
        .key("copy")
        .copy_source(format!("vault/source?versionId={source}"))
        .object_lock_mode(ObjectLockMode::Governance)
        .object_lock_retain_until_date(smithy(copy_until))
        .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On)
        .send()
        .await
        .expect("CopyObject with lock headers");
    let copy = copied.version_id().expect("version id").to_string();
    let head = head_version(&server, "vault", "copy", &copy);
    let (mode, date, hold) = lock_headers(&head);
    assert_eq!(mode, Some("GOVERNANCE"), "{:?}", head.headers);
    assert_eq!(date.map(parse_iso), Some(copy_until));
    assert_eq!(hold, Some("ON"));
    assert_eq!(
        common::get_version(&s3, "vault", "copy", &copy).await,
        b"body of source"
    );
    assert_raw_error(
        &delete_version(&server, "vault", "copy", &copy, false),
        403,
        "AccessDenied",
    );
    // The source was not locked by its copy.
    assert_status(
        &delete_version(&server, "vault", "source", &source, false),
        204,
        "the unlocked source",
    );
}
