//! S3 operations, one module per family. Each handler parses its typed input from the request
//! first (validation errors come from there, before any I/O), then calls the store, then
//! renders the response. Handlers never see raw sled or shard errors: `StoreError` converts.

pub(crate) mod acl;
mod bucket;
pub mod bucket_config;
mod bucket_policy;
mod checksums;
pub(crate) mod cors;
mod intelligent_tiering;
mod lifecycle;
mod list;
mod multipart;
pub(crate) mod object;
pub mod object_lock;
mod ownership;
mod post_object;
mod restore;
mod sse;
mod tagging;
mod versioning;
mod website;

use axum::body::Body;
use axum::response::Response;
use http::{HeaderValue, StatusCode};

use super::error::{S3Error, S3Result};
use super::request::{RequestBody, S3Request};
use super::route::Operation;
use crate::http::AppState;

pub async fn execute(
    app: &AppState,
    request: &S3Request,
    body: &mut RequestBody,
) -> S3Result<Response> {
    use Operation::*;
    match request.operation {
        ListBuckets => bucket::list_buckets(app, request).await,
        CreateBucket => bucket::create_bucket(app, request, body).await,
        HeadBucket => bucket::head_bucket(app, request).await,
        DeleteBucket => bucket::delete_bucket(app, request).await,
        GetBucketLocation => bucket::get_bucket_location(app, request).await,
        ListObjects => list::list_objects(app, request, list::Version::V1).await,
        ListObjectsV2 => list::list_objects(app, request, list::Version::V2).await,
        ListMultipartUploads => multipart::list_uploads(app, request).await,
        DeleteObjects => object::delete_objects(app, request, body).await,
        PutObject => object::put_object(app, request, body).await,
        GetObject => object::get_object(app, request, false).await,
        HeadObject => object::get_object(app, request, true).await,
        DeleteObject => object::delete_object(app, request).await,
        CreateMultipartUpload => multipart::create_upload(app, request).await,
        UploadPart => multipart::upload_part(app, request, body).await,
        CompleteMultipartUpload => multipart::complete_upload(app, request, body).await,
        AbortMultipartUpload => multipart::abort_upload(app, request).await,
        ListParts => multipart::list_parts(app, request).await,
        CopyObject => object::copy::copy_object(app, request).await,
        PostObject => post_object::post_object(app, request, body).await,
        UploadPartCopy => object::copy::upload_part_copy(app, request).await,
        GetObjectAttributes => object::attributes::get_object_attributes(app, request).await,
        RestoreObject => restore::restore_object(app, request, body).await,
        GetObjectTagging => tagging::get_object_tagging(app, request).await,
        PutObjectTagging => tagging::put_object_tagging(app, request, body).await,
        DeleteObjectTagging => tagging::delete_object_tagging(app, request).await,
        GetBucketTagging => tagging::get_bucket_tagging(app, request).await,
        PutBucketTagging => tagging::put_bucket_tagging(app, request, body).await,
        DeleteBucketTagging => tagging::delete_bucket_tagging(app, request).await,
        GetBucketAcl => acl::get_bucket_acl(app, request).await,
        PutBucketAcl => acl::put_bucket_acl(app, request, body).await,
        GetObjectAcl => acl::get_object_acl(app, request).await,
        PutObjectAcl => acl::put_object_acl(app, request, body).await,
        GetBucketOwnershipControls => ownership::get_ownership_controls(app, request).await,
        PutBucketOwnershipControls => ownership::put_ownership_controls(app, request, body).await,
        DeleteBucketOwnershipControls => ownership::delete_ownership_controls(app, request).await,
        GetPublicAccessBlock => ownership::get_public_access_block(app, request).await,
        PutPublicAccessBlock => ownership::put_public_access_block(app, request, body).await,
        DeletePublicAccessBlock => ownership::delete_public_access_block(app, request).await,
        GetBucketVersioning => versioning::get_versioning(app, request).await,
        PutBucketVersioning => versioning::put_versioning(app, request, body).await,
        ListObjectVersions => versioning::list_object_versions(app, request).await,
        GetBucketUsage => versioning::get_bucket_usage(app, request).await,
        GetBucketPolicy => bucket_policy::get_bucket_policy(app, request).await,
        PutBucketPolicy => bucket_policy::put_bucket_policy(app, request, body).await,
        DeleteBucketPolicy => bucket_policy::delete_bucket_policy(app, request).await,
        GetBucketPolicyStatus => bucket_policy::get_bucket_policy_status(app, request).await,
        GetBucketCors => cors::get_bucket_cors(app, request).await,
        PutBucketCors => cors::put_bucket_cors(app, request, body).await,
        DeleteBucketCors => cors::delete_bucket_cors(app, request).await,
        CorsPreflight => cors::preflight(app, request).await,
        GetBucketWebsite => website::get_bucket_website(app, request).await,
        PutBucketWebsite => website::put_bucket_website(app, request, body).await,
        DeleteBucketWebsite => website::delete_bucket_website(app, request).await,
        GetBucketLifecycle => lifecycle::get_bucket_lifecycle(app, request).await,
        PutBucketLifecycle => lifecycle::put_bucket_lifecycle(app, request, body).await,
        DeleteBucketLifecycle => lifecycle::delete_bucket_lifecycle(app, request).await,
        GetBucketIntelligentTiering => intelligent_tiering::get(app, request).await,
        PutBucketIntelligentTiering => intelligent_tiering::put(app, request, body).await,
        DeleteBucketIntelligentTiering => intelligent_tiering::delete(app, request).await,
        GetBucketEncryption => sse::get_bucket_encryption(app, request).await,
        PutBucketEncryption => sse::put_bucket_encryption(app, request, body).await,
        DeleteBucketEncryption => sse::delete_bucket_encryption(app, request).await,
        GetObjectLockConfiguration => object_lock::get_configuration(app, request).await,
        PutObjectLockConfiguration => object_lock::put_configuration(app, request, body).await,
        GetObjectRetention => object_lock::get_retention(app, request).await,
        PutObjectRetention => object_lock::put_retention(app, request, body).await,
        GetObjectLegalHold => object_lock::get_legal_hold(app, request).await,
        PutObjectLegalHold => object_lock::put_legal_hold(app, request, body).await,
        NotImplemented(what) => {
            // Check the bucket first, as AWS does: probing a missing bucket is NoSuchBucket.
            if let Some(bucket) = &request.bucket {
                app.store.bucket(bucket)?;
            }
            Err(S3Error::not_implemented(what))
        }
    }
}

pub(crate) fn xml_response(status: StatusCode, xml: String) -> Response {
    let mut response = Response::new(Body::from(xml));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    response
}

pub(crate) fn empty_response(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

pub(crate) fn set_header(response: &mut Response, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}

/// `2009-10-12T17:50:30.000Z`: S3's XML timestamp (UTC, milliseconds). Public for the benches.
pub fn iso8601(ms: i64) -> String {
    let time = time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        time.year(),
        time.month() as u8,
        time.day(),
        time.hour(),
        time.minute(),
        time.second(),
        time.millisecond()
    )
}

/// RFC 7231 date for Last-Modified (whole seconds, as `aws s3 sync` compares them).
pub(crate) fn http_date(ms: i64) -> String {
    let secs = u64::try_from(ms / 1000).unwrap_or(0);
    httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
}

pub(crate) fn quoted(etag: &str) -> String {
    format!("\"{etag}\"")
}

pub(crate) fn url_encode_if(value: &str, encode: bool) -> String {
    if !encode {
        return value.to_string();
    }
    // encoding-type=url: S3 encodes keys like form values but leaves '/' readable.
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'/');
    percent_encoding::utf8_percent_encode(value, SET).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_render_like_s3() {
        assert_eq!(iso8601(1_255_369_830_123), "2009-10-12T17:50:30.123Z");
        assert_eq!(
            http_date(1_255_369_830_999),
            "Mon, 12 Oct 2009 17:50:30 GMT"
        );
    }

    #[test]
    fn url_encoding_keeps_slashes() {
        assert_eq!(url_encode_if("a b/c+d", true), "a%20b/c%2Bd");
        assert_eq!(url_encode_if("a b", false), "a b");
    }
}
