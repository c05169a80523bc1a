//! Object Lock: Put/GetObjectLockConfiguration, Put/GetObjectRetention,
//! Put/GetObjectLegalHold, the `x-amz-object-lock-*` headers of writes (PutObject, CopyObject,
//! CreateMultipartUpload, browser POST) and of reads (GET, HEAD), the bucket's default
//! retention, and whether a delete may bypass GOVERNANCE retention. The rules themselves
//! (what may be removed, how a retention may change) are `store::object_lock`'s, applied inside
//! the store's transactions.

use axum::response::Response;
use http::StatusCode;

use super::bucket_config::stored_document;
use super::{empty_response, iso8601, set_header, xml_response};
use crate::http::AppState;
use crate::meta::model::{ObjectLock, ObjectVersion, Retention};
use crate::s3::error::{S3Error, S3Result};
use crate::s3::object_lock::{self as model, ObjectLockConfig};
use crate::s3::request::{RequestBody, S3Request, read_small_body};
use crate::store::StoreError;
use crate::store::bucket_config::BucketConfig;
use crate::store::object_lock::check_retention_change;
use crate::store::versions::VersionSelector;

const MODE_HEADER: &str = "x-amz-object-lock-mode";
const UNTIL_HEADER: &str = "x-amz-object-lock-retain-until-date";
const HOLD_HEADER: &str = "x-amz-object-lock-legal-hold";
const BYPASS_HEADER: &str = "x-amz-bypass-governance-retention";

fn missing_configuration() -> S3Error {
    S3Error::invalid_request("Bucket is missing Object Lock Configuration")
}

fn now_ms() -> i64 {
    crate::store::now_ms()
}

/// Whether a delete (or a retention change) of bucket/key may bypass GOVERNANCE retention: it
/// says so with `x-amz-bypass-governance-retention: true`, and the caller may
/// `s3:BypassGovernanceRetention`.
pub fn bypass_governance(app: &AppState, request: &S3Request, bucket: &str, key: &str) -> bool {
    request
        .header(BYPASS_HEADER)
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
        && crate::s3::check_access(
            app,
            &request.principal,
            "s3:BypassGovernanceRetention",
            Some(bucket),
            Some(key),
            request,
        )
        .is_ok()
}

/// The Object Lock configuration of the request's bucket; None when Object Lock is not
/// enabled (known from the bucket record the request has read anyway: most writes stop here).
fn configuration(
    app: &AppState,
    request: &S3Request,
) -> S3Result<Option<std::sync::Arc<ObjectLockConfig>>> {
    let bucket = request.bucket()?;
    let record = request
        .bucket_record(&app.store)
        .ok_or_else(|| S3Error::no_such_bucket(bucket))?;
    if record.object_lock_revision.is_none() {
        return Ok(None);
    }
    Ok(app.bucket_object_lock.get(&app.store, record)?)
}

/// The lock a new version written now gets from its bucket's default retention
/// (CompleteMultipartUpload, and writes without lock headers).
pub fn default_lock(app: &AppState, request: &S3Request) -> S3Result<Option<ObjectLock>> {
    Ok(configuration(app, request)?
        .and_then(|config| config.default_retention)
        .map(|default| ObjectLock {
            retention: Some(default.from(now_ms())),
            legal_hold: None,
        }))
}

/// The lock a write asks for in its headers (form fields of a browser POST are passed the same
/// way, by name), checked as AWS checks them, else the bucket's default retention. Setting a
/// retention or a legal hold needs `s3:PutObjectRetention` / `s3:PutObjectLegalHold` too.
pub fn for_write<'a>(
    app: &AppState,
    request: &S3Request,
    (bucket, key): (&str, &str),
    field: impl Fn(&str) -> Option<&'a str>,
) -> S3Result<Option<ObjectLock>> {
    let (mode, until, hold) = (field(MODE_HEADER), field(UNTIL_HEADER), field(HOLD_HEADER));
    if mode.is_none() && until.is_none() && hold.is_none() {
        return default_lock(app, request);
    }
    if configuration(app, request)?.is_none() {
        return Err(missing_configuration());
    }
    let retention = match (mode, until) {
        (None, None) => None,
        (Some(mode), Some(until)) => {
            let mode = crate::meta::model::LockMode::parse(mode.trim()).ok_or_else(|| {
                S3Error::invalid_argument("Unknown wormMode directive.")
                    .with("ArgumentName", MODE_HEADER)
                    .with("ArgumentValue", mode)
            })?;
            let retain_until_ms = model::parse_date(until).ok_or_else(|| {
                S3Error::invalid_argument(
                    "The retain until date must be provided in ISO 8601 format",
                )
                .with("ArgumentName", UNTIL_HEADER)
            })?;
            if retain_until_ms <= now_ms() {
                return Err(S3Error::invalid_argument(
                    "The retain until date must be in the future!",
                )
                .with("ArgumentName", UNTIL_HEADER));
            }
            Some(Retention {
                mode,
                retain_until_ms,
            })
        }
        _ => {
            return Err(S3Error::invalid_argument(
                "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied",
            ));
        }
    };
    let legal_hold = match hold.map(str::trim) {
        None => None,
        Some("OFF") => Some(false),
        Some("ON") => Some(true),
        Some(other) => {
            return Err(
                S3Error::invalid_argument("Legal Hold must be either of 'ON' or 'OFF'")
                    .with("ArgumentName", HOLD_HEADER)
                    .with("ArgumentValue", other),
            );
        }
    };
    let check = |action: &str| {
        crate::s3::check_access(
            app,
            &request.principal,
            action,
            Some(bucket),
            Some(key),
            request,
        )
    };
    if retention.is_some() {
        check("s3:PutObjectRetention")?;
    }
    if hold.is_some() {
        check("s3:PutObjectLegalHold")?;
    }
    let retention = match retention {
        Some(retention) => Some(retention),
        None => default_lock(app, request)?.and_then(|lock| lock.retention),
    };
    Ok(Some(ObjectLock {
        retention,
        legal_hold,
    }))
}

/// [`for_write`] from a request's headers. A PutObject that gets a lock (its headers', or the
/// bucket's default retention) must prove its body's integrity, as on AWS: `Content-MD5` or an
/// `x-amz-checksum-*` (header or trailer).
pub fn for_request(
    app: &AppState,
    request: &S3Request,
    checked_body: bool,
) -> S3Result<Option<ObjectLock>> {
    let lock = for_write(app, request, (request.bucket()?, request.key()?), |name| {
        request.header(name)
    })?;
    if lock.is_some() && checked_body {
        let has_checksum = request.header("content-md5").is_some()
            || request.trailer_algorithm.is_some()
            || request.headers.keys().any(|name| {
                name.as_str().starts_with("x-amz-checksum-") && name != "x-amz-checksum-type"
            });
        if !has_checksum {
            return Err(S3Error::invalid_request(
                "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters",
            ));
        }
    }
    Ok(lock)
}

/// The lock CreateMultipartUpload's headers ask for; None without lock headers (the bucket's
/// default retention is applied at completion, when the object is created).
pub fn requested(app: &AppState, request: &S3Request) -> S3Result<Option<ObjectLock>> {
    let asks = [MODE_HEADER, UNTIL_HEADER, HOLD_HEADER]
        .iter()
        .any(|name| request.header(name).is_some());
    if !asks {
        return Ok(None);
    }
    for_request(app, request, false)
}

/// `x-amz-object-lock-*` on responses about `version`.
pub fn set_headers(response: &mut Response, version: &ObjectVersion) {
    let Some(lock) = &version.lock else {
        return;
    };
    if let Some(retention) = &lock.retention {
        set_header(response, MODE_HEADER, retention.mode.as_str());
        set_header(response, UNTIL_HEADER, &iso8601(retention.retain_until_ms));
    }
    if let Some(on) = lock.legal_hold {
        set_header(response, HOLD_HEADER, if on { "ON" } else { "OFF" });
    }
}

/// An Object Lock configuration is one short rule.
const MAX_CONFIG_BODY: usize = 16 * 1024;

/// PutObjectLockConfiguration: enables Object Lock (for good) on a bucket whose versioning is
/// Enabled, and sets or clears its default retention.
pub async fn put_configuration(
    app: &AppState,
    request: &S3Request,
    body: &mut RequestBody,
) -> S3Result<Response> {
    let bucket = request.bucket()?;
    app.store.bucket(bucket)?;
    let document = read_small_body(body, MAX_CONFIG_BODY).await?;
    let config = model::parse_config(&document)?;
    let rendered = model::render_config(&config);
    app.store
        .edit_bucket_config(bucket, BucketConfig::ObjectLock, |record, _| {
            if record.versioning != crate::meta::model::Versioning::Enabled {
                return Err(StoreError::Refused(S3Error::new(
                    "InvalidBucketState",
                    "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration",
                )));
            }
            Ok(Some(rendered.clone()))
        })
        .await?;
    Ok(empty_response(StatusCode::OK))
}

pub async fn get_configuration(app: &AppState, request: &S3Request) -> S3Result<Response> {
    let document = stored_document(app, request, BucketConfig::ObjectLock)?;
    Ok(xml_response(StatusCode::OK, document))
}

/// The document CreateBucket with `x-amz-bucket-object-lock-enabled: true` stores.
pub fn enabled_document() -> String {
    model::render_config(&ObjectLockConfig {
        default_retention: None,
    })
}

/// The lock-related body of PutObjectRetention / PutObjectLegalHold.
const MAX_LOCK_BODY: usize = 4 * 1024;

fn selector(request: &S3Request) -> S3Result<VersionSelector> {
    super::versioning::selector(request)
}

/// Object-level operations need Object Lock on the bucket.
fn require_lock(app: &AppState, request: &S3Request) -> S3Result<()> {
    match configuration(app, request)? {
        Some(_) => Ok(()),
        None => Err(missing_configuration()),
    }
}

/// PutObjectRetention's and PutObjectLegalHold's bucket, key and body, on a bucket with Object
/// Lock.
async fn lock_request<'r>(
    app: &AppState,
    request: &'r S3Request,
    body: &mut RequestBody,
) -> S3Result<(&'r str, &'r str, bytes::Bytes)> {
    let (bucket, key) = (request.bucket()?, request.key()?);
    let document = read_small_body(body, MAX_LOCK_BODY).await?;
    require_lock(app, request)?;
    Ok((bucket, key, document))
}

fn no_lock_configuration() -> S3Error {
    S3Error::new(
        "NoSuchObjectLockConfiguration",
        "The specified object does not have a ObjectLock configuration",
    )
}

pub async fn put_retention(
    app: &AppState,
    request: &S3Request,
    body: &mut RequestBody,
) -> S3Result<Response> {
    let (bucket, key, document) = lock_request(app, request, body).await?;
    let retention = model::parse_retention(&document)?;
    if let Some(new) = &retention {
        if new.retain_until_ms <= now_ms() {
            return Err(S3Error::invalid_argument(
                "The retain until date must be in the future!",
            ));
        }
        // The policy keys of the retention asked for, which only the body carries.
        crate::s3::check_access_with(
            app,
            &request.principal,
            "s3:PutObjectRetention",
            Some(bucket),
            Some(key),
            request,
            &retention_keys(new),
        )?;
    }
    let bypass = bypass_governance(app, request, bucket, key);
    let version = app
        .store
        .edit_object_lock(bucket, key, selector(request)?, |version| {
            let mut lock = version.lock.unwrap_or_default();
            check_retention_change(lock.retention, retention, now_ms(), bypass)?;
            lock.retention = retention;
            Ok(lock)
        })
        .await?;
    let mut response = empty_response(StatusCode::OK);
    super::versioning::set_version_header(app, request, &mut response, &version)?;
    Ok(response)
}

/// The condition keys of a retention (`s3:object-lock-*`).
pub fn retention_keys(retention: &Retention) -> Vec<(&'static str, String)> {
    let remaining_ms = (retention.retain_until_ms - now_ms()).max(0);
    let day_ms = 86_400_000;
    vec![
        ("s3:object-lock-mode", retention.mode.as_str().to_string()),
        (
            "s3:object-lock-retain-until-date",
            iso8601(retention.retain_until_ms),
        ),
        (
            "s3:object-lock-remaining-retention-days",
            ((remaining_ms + day_ms - 1) / day_ms).to_string(),
        ),
    ]
}

pub async fn get_retention(app: &AppState, request: &S3Request) -> S3Result<Response> {
    let (bucket, key) = (request.bucket()?, request.key()?);
    require_lock(app, request)?;
    let version = app.store.version(bucket, key, selector(request)?)?;
    let retention = version
        .lock
        .and_then(|lock| lock.retention)
        .ok_or_else(no_lock_configuration)?;
    Ok(xml_response(
        StatusCode::OK,
        model::render_retention(&retention),
    ))
}

pub async fn put_legal_hold(
    app: &AppState,
    request: &S3Request,
    body: &mut RequestBody,
) -> S3Result<Response> {
    let (bucket, key, document) = lock_request(app, request, body).await?;
    let on = model::parse_legal_hold(&document)?;
    crate::s3::check_access_with(
        app,
        &request.principal,
        "s3:PutObjectLegalHold",
        Some(bucket),
        Some(key),
        request,
        &[(
            "s3:object-lock-legal-hold",
            if on { "ON" } else { "OFF" }.to_string(),
        )],
    )?;
    let version = app
        .store
        .edit_object_lock(bucket, key, selector(request)?, |version| {
            let mut lock = version.lock.unwrap_or_default();
            lock.legal_hold = Some(on);
            Ok(lock)
        })
        .await?;
    let mut response = empty_response(StatusCode::OK);
    super::versioning::set_version_header(app, request, &mut response, &version)?;
    Ok(response)
}

pub async fn get_legal_hold(app: &AppState, request: &S3Request) -> S3Result<Response> {
    let (bucket, key) = (request.bucket()?, request.key()?);
    require_lock(app, request)?;
    let version = app.store.version(bucket, key, selector(request)?)?;
    // A hold once set and released reads OFF; one never set has no configuration.
    match version.lock.and_then(|lock| lock.legal_hold) {
        Some(on) => Ok(xml_response(StatusCode::OK, model::render_legal_hold(on))),
        None => Err(no_lock_configuration()),
    }
}
