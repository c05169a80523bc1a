//! The server-side encryption headers of writes and reads (`x-amz-server-side-encryption`),
//! SSE-S3 so far (single PUTs, POST uploads, copies, multipart uploads); SSE-KMS and SSE-C are
//! answered 501 until they are built (docs/encryption.md), rather than stored unencrypted as if
//! they had been honoured.

use axum::response::Response;

use super::set_header;
use crate::meta::model::{ObjectVersion, PartRecord};
use crate::s3::error::{S3Error, S3Result};
use crate::s3::request::S3Request;
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

/// [`requested`] from a request's headers.
pub fn requested_by(request: &S3Request) -> S3Result<Option<SseRequest>> {
    requested(|name| request.header(name))
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
