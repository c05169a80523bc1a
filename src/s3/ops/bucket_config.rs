//! Bucket configuration reads for what strata has no configuration of yet. Each answers what
//! AWS answers for a bucket that has none — the truth here — so probing clients (s3cmd info,
//! rclone, the AWS console) carry on: their "not configured" 404s. Writes of these
//! configurations are routed to 501 NotImplemented until their issues land.

use axum::response::Response;

use crate::http::AppState;
use crate::s3::error::{S3Error, S3Result};
use crate::s3::request::S3Request;

/// The "no such configuration" answer of each unconfigurable bucket setting.
pub async fn not_configured(
    app: &AppState,
    request: &S3Request,
    what: Unconfigured,
) -> S3Result<Response> {
    let bucket = app.store.bucket(request.bucket()?)?;
    let (code, message) = match what {
        Unconfigured::Lifecycle => (
            "NoSuchLifecycleConfiguration",
            "The lifecycle configuration does not exist",
        ),
        Unconfigured::Encryption => (
            "ServerSideEncryptionConfigurationNotFoundError",
            "The server side encryption configuration was not found",
        ),
    };
    Err(S3Error::new(code, message).with("BucketName", &bucket.name))
}

#[derive(Debug, Clone, Copy)]
pub enum Unconfigured {
    Lifecycle,
    Encryption,
}
