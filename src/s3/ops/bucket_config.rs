//! What the Put/Get/Delete operations of bucket configurations share: the stored documents
//! (`store::bucket_config`: policy, CORS, website, lifecycle) and the "not configured" answers, including
//! those of settings strata does not store yet. Each Get answers what AWS answers for a bucket
//! without that configuration, so probing clients (s3cmd info, rclone, the AWS console) carry
//! on; writes of the settings not stored yet are routed to 501 NotImplemented until their
//! issues land.

use axum::response::Response;
use http::StatusCode;

use super::empty_response;
use crate::http::AppState;
use crate::s3::error::{S3Error, S3Result};
use crate::s3::request::S3Request;
use crate::store::bucket_config::BucketConfig;

/// AWS's error for a bucket without the stored configuration `which`.
pub fn missing(which: BucketConfig, bucket: &str) -> S3Error {
    let (code, message) = match which {
        BucketConfig::Policy => ("NoSuchBucketPolicy", "The bucket policy does not exist"),
        BucketConfig::Cors => (
            "NoSuchCORSConfiguration",
            "The CORS configuration does not exist",
        ),
        BucketConfig::Website => (
            "NoSuchWebsiteConfiguration",
            "The specified bucket does not have a website configuration",
        ),
        BucketConfig::Lifecycle => (
            "NoSuchLifecycleConfiguration",
            "The lifecycle configuration does not exist",
        ),
        BucketConfig::IntelligentTiering => (
            "NoSuchConfiguration",
            "The specified configuration does not exist.",
        ),
        BucketConfig::Encryption => (
            "ServerSideEncryptionConfigurationNotFoundError",
            "The server side encryption configuration was not found",
        ),
        BucketConfig::ObjectLock => (
            "ObjectLockConfigurationNotFoundError",
            "Object Lock configuration does not exist for this bucket",
        ),
    };
    S3Error::new(code, message).with("BucketName", bucket)
}

/// Get: the document as it was stored (NoSuchBucket, or the configuration's own 404).
pub fn stored_document(
    app: &AppState,
    request: &S3Request,
    which: BucketConfig,
) -> S3Result<String> {
    let bucket = request.bucket()?;
    // The revision in the record says whether there is one; the document is read only then.
    if which.revision(&app.store.bucket(bucket)?).is_none() {
        return Err(missing(which, bucket));
    }
    app.store
        .bucket_config(bucket, which)?
        .ok_or_else(|| missing(which, bucket))
}

/// Put: stores a document the operation has validated.
pub async fn store_document(
    app: &AppState,
    request: &S3Request,
    which: BucketConfig,
    document: String,
) -> S3Result<()> {
    app.store
        .set_bucket_config(request.bucket()?, which, Some(document))
        .await?;
    Ok(())
}

/// Delete: 204 whether or not there was one, as on AWS.
pub async fn delete_document(
    app: &AppState,
    request: &S3Request,
    which: BucketConfig,
) -> S3Result<Response> {
    app.store
        .set_bucket_config(request.bucket()?, which, None)
        .await?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}
