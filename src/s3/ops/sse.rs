//! The server-side encryption headers of writes and reads (`x-amz-server-side-encryption`),
//! SSE-S3 so far (single PUTs, POST uploads, copies, multipart uploads); SSE-KMS and SSE-C are
//! answered 501 until they are built (docs/encryption.md), rather than stored unencrypted as if
//! they had been honoured; and a bucket's default encryption (Put/Get/DeleteBucketEncryption),
//! which writes without encryption headers get.

use axum::response::Response;
use http::StatusCode;

use super::bucket_config::{delete_document, store_document, stored_document};
use super::{empty_response, set_header, xml_response};
use crate::http::AppState;
use crate::meta::model::{ObjectVersion, PartRecord};
use crate::s3::bucket_encryption;
use crate::s3::error::{S3Error, S3Result};
use crate::s3::request::{RequestBody, S3Request, read_small_body};
use crate::store::bucket_config::BucketConfig;
use crate::store::encryption::{SSE_S3, SseRequest};

pub const SSE_HEADER: &str = "x-amz-server-side-encryption";
const SSE_C_ALGORITHM: &str = "x-amz-server-side-encryption-customer-algorithm";

/// The encryption a write asks for in its headers (form fields of a browser POST are passed
/// the same way, by name).
pub fn requested<'a>(field: impl Fn(&str) -> Option<&'a str>) -> S3Result<Option<SseRequest>> {
    if field(SSE_C_ALGORITHM).is_some() {
        return Err(S3Error::not_implemented(
            "server-side encryption with customer-provided keys (SSE-C)",
        ));
    }
    match field(SSE_HEADER) {
        None => Ok(None),
        Some(SSE_S3) => Ok(Some(SseRequest::S3)),
        Some("aws:kms" | "aws:kms:dsse") => Err(S3Error::not_implemented(
            "server-side encryption with KMS keys (SSE-KMS)",
        )),
        Some(_) => Err(S3Error::invalid_argument(
            "The encryption method specified is not supported",
        )
        .with("ArgumentName", SSE_HEADER)),
    }
}

/// `x-amz-server-side-encryption` on responses about a part (UploadPart, UploadPartCopy).
pub fn set_part_headers(response: &mut Response, part: &PartRecord) {
    if part.sealed_key.is_some() {
        set_header(response, SSE_HEADER, SSE_S3);
    }
}

/// `x-amz-server-side-encryption` on responses about `version`.
pub fn set_headers(response: &mut Response, version: &ObjectVersion) {
    if let Some(encryption) = &version.encryption {
        set_header(response, SSE_HEADER, &encryption.algorithm);
    }
}

/// The encryption a write gets: its headers' (form fields'), else the bucket's default.
pub fn for_write<'a>(
    app: &AppState,
    bucket: &str,
    field: impl Fn(&str) -> Option<&'a str>,
) -> S3Result<Option<SseRequest>> {
    if let Some(requested) = requested(field)? {
        return Ok(Some(requested));
    }
    let record = app.store.bucket(bucket)?;
    Ok(app
        .bucket_encryption
        .get(&app.store, &record)?
        .map(|config| config.default_request()))
}

/// [`for_write`] from a request's headers.
pub fn for_request(app: &AppState, request: &S3Request) -> S3Result<Option<SseRequest>> {
    for_write(app, request.bucket()?, |name| request.header(name))
}

/// A ServerSideEncryptionConfiguration is one short rule.
const MAX_ENCRYPTION_BODY: usize = 16 * 1024;

pub async fn put_bucket_encryption(
    app: &AppState,
    request: &S3Request,
    body: &mut RequestBody,
) -> S3Result<Response> {
    app.store.bucket(request.bucket()?)?;
    let document = read_small_body(body, MAX_ENCRYPTION_BODY).await?;
    let config = bucket_encryption::parse(&document)?;
    store_document(
        app,
        request,
        BucketConfig::Encryption,
        bucket_encryption::render(&config),
    )
    .await?;
    Ok(empty_response(StatusCode::OK))
}

pub async fn get_bucket_encryption(app: &AppState, request: &S3Request) -> S3Result<Response> {
    let document = stored_document(app, request, BucketConfig::Encryption)?;
    Ok(xml_response(StatusCode::OK, document))
}

pub async fn delete_bucket_encryption(app: &AppState, request: &S3Request) -> S3Result<Response> {
    delete_document(app, request, BucketConfig::Encryption).await
}
