//! The one S3 error type and its rendering.
//!
//! Every failure a client sees is an [`S3Error`]: an S3 error code, a message in AWS's words, the
//! resource it concerns and the request id. The code → HTTP status mapping lives in [`status_of`]
//! and nowhere else, and XML rendering happens once, in [`S3Error::into_response_with`]. Inner
//! layers (store, meta, chunk, auth) have their own error kinds; the `From` impls at the bottom
//! of this file are the boundary where they become S3 codes.

use axum::body::Body;
use axum::response::Response;
use http::{HeaderValue, StatusCode};

use crate::auth::AuthError;
use crate::store::StoreError;

#[derive(Debug, Clone)]
pub struct S3Error {
    pub code: &'static str,
    pub message: String,
    pub resource: Option<String>,
    /// Extra XML elements some errors carry (e.g. `BucketName`, `Key`, `Condition`).
    pub extra: Vec<(&'static str, String)>,
    /// Response headers some errors carry (`x-amz-delete-marker`, `Allow`, ...).
    pub headers: Vec<(&'static str, String)>,
}

pub type S3Result<T> = Result<T, S3Error>;

/// Code → status. The one table; a code missing here is a bug (it renders as 500).
fn status_of(code: &str) -> StatusCode {
    use StatusCode as S;
    match code {
        "AccessDenied"
        | "InvalidAccessKeyId"
        | "SignatureDoesNotMatch"
        | "RequestTimeTooSkewed"
        | "AllAccessDisabled"
        | "InvalidObjectState"
        | "ObjectAlreadyInActiveTierError"
        | "RequestExpired"
        | "AccessForbidden" => S::FORBIDDEN,
        "NoSuchBucket"
        | "NoSuchKey"
        | "NoSuchUpload"
        | "NoSuchVersion"
        | "NoSuchBucketPolicy"
        | "NoSuchCORSConfiguration"
        | "NoSuchLifecycleConfiguration"
        | "NoSuchTagSet"
        | "NoSuchWebsiteConfiguration"
        | "ServerSideEncryptionConfigurationNotFoundError"
        | "ObjectLockConfigurationNotFoundError"
        | "NoSuchObjectLockConfiguration"
        | "NoSuchPublicAccessBlockConfiguration"
        | "OwnershipControlsNotFoundError"
        | "NoSuchConfiguration" => S::NOT_FOUND,
        "BucketAlreadyExists"
        | "BucketAlreadyOwnedByYou"
        | "BucketNotEmpty"
        | "OperationAborted"
        | "RestoreAlreadyInProgress"
        | "InvalidBucketState" => S::CONFLICT,
        "PreconditionFailed" => S::PRECONDITION_FAILED,
        "NotModified" => S::NOT_MODIFIED,
        "InvalidRange" => S::RANGE_NOT_SATISFIABLE,
        "MethodNotAllowed" => S::METHOD_NOT_ALLOWED,
        "MissingContentLength" => S::LENGTH_REQUIRED,
        "EntityTooLarge"
        | "EntityTooSmall"
        | "InvalidArgument"
        | "InvalidEncryptionAlgorithmError"
        | "KMS.DisabledException"
        | "KMS.KMSInvalidStateException"
        | "KMS.NotFoundException"
        | "KMS.InvalidKeyUsageException"
        | "InvalidBucketName"
        | "InvalidDigest"
        | "BadDigest"
        | "InvalidPart"
        | "InvalidPartOrder"
        | "InvalidRequest"
        | "MalformedXML"
        | "KeyTooLongError"
        | "InvalidStorageClass"
        | "InvalidLocationConstraint"
        | "AuthorizationHeaderMalformed"
        | "AuthorizationQueryParametersError"
        | "XAmzContentSHA256Mismatch"
        | "IncompleteBody"
        | "MissingSecurityHeader"
        | "MalformedTrailerError"
        | "InvalidChunkSizeError"
        | "InvalidEncodingType"
        | "TooManyBuckets"
        | "IllegalLocationConstraintException"
        | "UnexpectedContent"
        | "InvalidMaxKeys"
        | "MetadataTooLarge"
        | "InvalidURI"
        | "InvalidTag"
        | "MissingRequestBodyError"
        | "InvalidPolicyDocument"
        | "MalformedPOSTRequest"
        | "MaxPostPreDataLengthExceeded"
        | "InvalidPartNumber"
        | "InvalidContinuationToken"
        | "IllegalVersioningConfigurationException"
        | "MalformedPolicy"
        | "MalformedACLError"
        | "AccessControlListNotSupported"
        | "InvalidBucketAclWithObjectOwnership"
        | "UnresolvableGrantByEmailAddress"
        | "TooManyConfigurations"
        | "BadRequest" => S::BAD_REQUEST,
        "NotImplemented" => S::NOT_IMPLEMENTED,
        "ServiceUnavailable" => S::SERVICE_UNAVAILABLE,
        "SlowDown" => S::SERVICE_UNAVAILABLE,
        "RequestTimeout" => S::BAD_REQUEST,
        _ => S::INTERNAL_SERVER_ERROR,
    }
}

impl S3Error {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        S3Error {
            code,
            message: message.into(),
            resource: None,
            extra: Vec::new(),
            headers: Vec::new(),
        }
    }

    pub fn with_resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
        self
    }

    pub fn with(mut self, element: &'static str, value: impl Into<String>) -> Self {
        self.extra.push((element, value.into()));
        self
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn status(&self) -> StatusCode {
        status_of(self.code)
    }

    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(%detail, "internal error");
        S3Error::new(
            "InternalError",
            "We encountered an internal error. Please try again.",
        )
    }

    pub fn access_denied() -> Self {
        S3Error::new("AccessDenied", "Access Denied")
    }
    pub fn no_such_bucket(bucket: &str) -> Self {
        S3Error::new("NoSuchBucket", "The specified bucket does not exist")
            .with("BucketName", bucket)
    }
    pub fn no_such_key(key: &str) -> Self {
        S3Error::new("NoSuchKey", "The specified key does not exist.").with("Key", key)
    }
    pub fn no_such_upload(upload_id: &str) -> Self {
        S3Error::new(
            "NoSuchUpload",
            "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
        )
        .with("UploadId", upload_id)
    }
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        S3Error::new("InvalidArgument", message)
    }
    pub fn invalid_request(message: impl Into<String>) -> Self {
        S3Error::new("InvalidRequest", message)
    }
    pub fn malformed_xml() -> Self {
        S3Error::new(
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our published schema",
        )
    }
    pub fn not_implemented(what: &str) -> Self {
        S3Error::new("NotImplemented", format!("{what} is not implemented"))
    }
    pub fn precondition_failed(condition: &str) -> Self {
        S3Error::new(
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
        )
        .with("Condition", condition)
    }
    pub fn method_not_allowed(method: &str, resource_type: &str) -> Self {
        S3Error::new(
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
        )
        .with("Method", method)
        .with("ResourceType", resource_type)
    }

    /// Render as an S3 XML error document. HEAD responses and 304 carry no body, as on AWS.
    pub fn into_response_with(self, request_id: &str, is_head: bool) -> Response {
        let status = self.status();
        let body = if is_head || status == StatusCode::NOT_MODIFIED {
            Body::empty()
        } else {
            let mut xml = crate::s3::xml::XmlWriter::document();
            xml.open("Error");
            xml.elem("Code", self.code);
            xml.elem("Message", &self.message);
            for (name, value) in &self.extra {
                xml.elem(name, value);
            }
            if let Some(resource) = &self.resource {
                xml.elem("Resource", resource);
            }
            xml.elem("RequestId", request_id);
            xml.close("Error");
            Body::from(xml.finish())
        };
        let mut response = Response::new(body);
        *response.status_mut() = status;
        for (name, value) in &self.headers {
            if let Ok(value) = HeaderValue::from_str(value) {
                response.headers_mut().insert(*name, value);
            }
        }
        if !is_head && status != StatusCode::NOT_MODIFIED {
            response.headers_mut().insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/xml"),
            );
        }
        response
    }
}

impl std::fmt::Display for S3Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for S3Error {}

impl From<AuthError> for S3Error {
    fn from(err: AuthError) -> Self {
        S3Error {
            code: err.code(),
            message: err.to_string(),
            resource: None,
            extra: err.details(),
            headers: Vec::new(),
        }
    }
}

/// InvalidObjectState for a read of archived bytes, naming the class and, for an
/// INTELLIGENT_TIERING version, its archive tier (the fields of AWS's error body).
pub fn archived(
    message: &str,
    storage_class: &str,
    access_tier: Option<crate::lifecycle::tiering::AccessTier>,
) -> S3Error {
    let error = S3Error::new("InvalidObjectState", message).with("StorageClass", storage_class);
    match access_tier {
        Some(tier) => error.with("AccessTier", tier.as_str()),
        None => error,
    }
}

impl From<crate::store::encryption::KeyError> for S3Error {
    fn from(err: crate::store::encryption::KeyError) -> Self {
        use crate::store::encryption::KeyError;
        match err {
            KeyError::CustomerKeyRequired => S3Error::invalid_request(
                "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.",
            ),
            KeyError::WrongCustomerKey => S3Error::access_denied(),
            KeyError::CustomerKeyNotApplicable => S3Error::invalid_request(
                "The encryption parameters are not applicable to this object.",
            ),
            KeyError::Kms(err) => S3Error::from(err),
        }
    }
}

/// What S3 answers when the KMS refuses a data key: the KMS's code under `KMS.` (400), as AWS
/// S3 does; a missing permission on the key is S3's AccessDenied.
impl From<crate::kms::KmsError> for S3Error {
    fn from(err: crate::kms::KmsError) -> Self {
        let code = match err.code {
            "DisabledException" => "KMS.DisabledException",
            "KMSInvalidStateException" => "KMS.KMSInvalidStateException",
            "NotFoundException" => "KMS.NotFoundException",
            "InvalidKeyUsageException" => "KMS.InvalidKeyUsageException",
            "AccessDeniedException" => return S3Error::new("AccessDenied", err.message),
            _ => return S3Error::internal(err),
        };
        S3Error::new(code, err.message)
    }
}

impl From<StoreError> for S3Error {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NoSuchBucket(bucket) => S3Error::no_such_bucket(&bucket),
            StoreError::NoSuchKey(key) => S3Error::no_such_key(&key),
            StoreError::NoSuchUpload(id) => S3Error::no_such_upload(&id),
            StoreError::NoSuchVersion { key, version_id } => S3Error::new(
                "NoSuchVersion",
                "The specified version does not exist.",
            )
            .with("Key", key)
            .with("VersionId", version_id),
            StoreError::InvalidVersionId(_) => {
                S3Error::invalid_argument("Invalid version id specified")
                    .with("ArgumentName", "versionId")
            }
            StoreError::DeleteMarker {
                key,
                version_id,
                last_modified_ms,
                addressed,
            } => {
                let shown = version_id.unwrap_or_else(|| "null".to_string());
                let err = if addressed {
                    S3Error::method_not_allowed("GET", "DeleteMarker")
                        .with_header("allow", "DELETE")
                        .with_header("last-modified", crate::s3::ops::http_date(last_modified_ms))
                } else {
                    S3Error::no_such_key(&key)
                };
                err.with_header("x-amz-delete-marker", "true")
                    .with_header("x-amz-version-id", shown)
            }
            StoreError::BucketExists { name, .. } => S3Error::new(
                "BucketAlreadyExists",
                "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.",
            )
            .with("BucketName", name),
            StoreError::BucketNotEmpty(bucket) => {
                S3Error::new("BucketNotEmpty", "The bucket you tried to delete is not empty").with("BucketName", bucket)
            }
            StoreError::InvalidPart(message) => S3Error::new("InvalidPart", message),
            StoreError::InvalidPartOrder => S3Error::new(
                "InvalidPartOrder",
                "The list of parts was not in ascending order. Parts must be ordered by part number.",
            ),
            StoreError::EntityTooSmall { part_number, size } => {
                S3Error::new("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.")
                    .with("PartNumber", part_number.to_string())
                    .with("ProposedSize", size.to_string())
                    .with("MinSizeAllowed", (5 * 1024 * 1024).to_string())
            }
            StoreError::EntityTooLarge => {
                S3Error::new("EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size.")
            }
            StoreError::BadDigest => {
                S3Error::new("BadDigest", "The Content-MD5 you specified did not match what we received.")
            }
            StoreError::BadChecksum(algorithm) => S3Error::new(
                "BadDigest",
                format!("The {} you specified did not match the calculated checksum.", algorithm.name()),
            ),
            StoreError::ChecksumTypeMismatch { expected, actual } => S3Error::invalid_request(format!(
                "Checksum Type mismatch occurred, expected checksum Type: {}, actual checksum Type: {}",
                expected.name().to_ascii_lowercase(),
                actual.name().to_ascii_lowercase()
            )),
            StoreError::PreconditionFailed(condition) => S3Error::precondition_failed(condition),
            StoreError::Body(err) | StoreError::Refused(err) => err,
            StoreError::Archived {
                storage_class,
                access_tier,
            } => archived(
                "The operation is not valid for the object's storage class",
                &storage_class,
                access_tier,
            ),
            StoreError::RestoreNotAllowed => S3Error::new(
                "InvalidObjectState",
                "Restore is not allowed for the object's current storage class",
            ),
            StoreError::RestoreInProgress => {
                S3Error::new("RestoreAlreadyInProgress", "Object restore is already in progress")
            }
            StoreError::Unavailable(detail) => {
                tracing::warn!(%detail, "write refused: not enough drives up");
                S3Error::new("ServiceUnavailable", "Please reduce your request rate.")
            }
            StoreError::Key(err) => S3Error::from(err),
            StoreError::ObjectLocked => {
                S3Error::new("AccessDenied", "Access Denied because object protected by object lock.")
            }
            StoreError::ObjectLockNeedsVersioning => S3Error::new(
                "InvalidBucketState",
                "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.",
            ),
            other @ (StoreError::Meta(_)
            | StoreError::Chunk(_)
            | StoreError::Crypto(_)
            | StoreError::Internal(_)) => S3Error::internal(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_aws_statuses() {
        let table = [
            ("NoSuchKey", 404),
            ("NoSuchBucket", 404),
            ("AccessDenied", 403),
            ("SignatureDoesNotMatch", 403),
            ("PreconditionFailed", 412),
            ("InvalidRange", 416),
            ("BucketNotEmpty", 409),
            ("EntityTooSmall", 400),
            ("NotImplemented", 501),
            ("InternalError", 500),
        ];
        for (code, status) in table {
            assert_eq!(status_of(code).as_u16(), status, "{code}");
        }
    }

    #[test]
    fn error_renders_code_message_and_request_id() {
        let response = S3Error::no_such_key("a/b").into_response_with("REQ123", false);
        assert_eq!(response.status(), 404);
        assert_eq!(response.headers()["content-type"], "application/xml");
    }
}
