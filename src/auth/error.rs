//! [`AuthError`]: every way authentication or payload verification can refuse a request, one
//! variant per S3 error code, carrying the message S3 gives and the extra elements S3 puts in the
//! error document (`<Region>`, `<HeadersNotSigned>`, `<StringToSign>`, ...).
//!
//! This module knows S3 *codes* (they are part of what authentication means to a client) but not
//! HTTP statuses or XML: the code → status table and rendering live in the one S3 error type at the
//! HTTP boundary, which reads [`AuthError::code`], `to_string()` and [`AuthError::details`].
//!
//! Messages that name what the client sent (a field, a condition, a date) are owned strings;
//! fixed wording stays `&'static str` through `Cow`, so the common refusals allocate nothing.

use std::borrow::Cow;

use crate::checksum::ChecksumAlgorithm;

/// Bytes of form fields S3 accepts before the file of a browser POST upload (20 KiB, the
/// `MaxPostPreDataLengthBytes` it reports).
pub const MAX_POST_PRE_DATA: usize = 20 * 1024;

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Missing or invalid date, expired or not-yet-valid presigned URL, unsigned headers, and
    /// every "Invalid according to Policy: ..." refusal of a browser POST upload.
    #[error("{message}")]
    AccessDenied {
        message: Cow<'static, str>,
        details: Vec<(&'static str, String)>,
    },

    #[error("The AWS Access Key Id you provided does not exist in our records.")]
    InvalidAccessKeyId { access_key: String },

    /// Request, chunk or trailer signature mismatch. `canonical_request` is empty for chunk and
    /// trailer signatures (they have none).
    #[error(
        "The request signature we calculated does not match the signature you provided. Check your key and signing method."
    )]
    SignatureDoesNotMatch {
        access_key: String,
        string_to_sign: String,
        canonical_request: String,
        signature_provided: String,
    },

    /// `reason` is the text after "The authorization header is malformed; ".
    #[error("The authorization header is malformed; {reason}")]
    AuthorizationHeaderMalformed {
        reason: String,
        /// Set when the region was wrong: S3 adds `<Region>` so clients can retry there.
        region: Option<String>,
    },

    #[error("{reason}")]
    AuthorizationQueryParametersError {
        reason: String,
        region: Option<String>,
    },

    #[error("The difference between the request time and the current time is too large.")]
    RequestTimeTooSkewed {
        request_time: String,
        server_time: String,
    },

    #[error("The provided 'x-amz-content-sha256' header does not match what was computed.")]
    XAmzContentSHA256Mismatch {
        client_computed: String,
        s3_computed: String,
    },

    /// `region` is set when a POST form's credential names the wrong region: S3 adds `<Region>`.
    #[error("{message}")]
    InvalidArgument {
        message: Cow<'static, str>,
        argument_name: &'static str,
        argument_value: String,
        region: Option<String>,
    },

    #[error("{message}")]
    InvalidRequest { message: String },

    /// Fewer (or more) payload bytes than declared, or a body that ended mid-frame.
    #[error("{message}")]
    IncompleteBody {
        message: &'static str,
        expected: Option<u64>,
        provided: Option<u64>,
    },

    /// The trailing checksum does not match the data.
    #[error("The {} you specified did not match the calculated checksum.", algorithm.name())]
    BadDigest { algorithm: ChecksumAlgorithm },

    #[error(
        "The request contained trailing data that was not well-formed or did not conform to our published schema."
    )]
    MalformedTrailerError,

    /// `chunk` is 1-based, as in S3's `<Chunk>` element.
    #[error("{message}")]
    InvalidChunkSizeError {
        message: &'static str,
        chunk: u64,
        size: u64,
    },

    /// A streaming upload without a usable `x-amz-decoded-content-length`.
    #[error("You must provide the Content-Length HTTP header.")]
    MissingContentLength,

    /// A browser POST policy that cannot be read: `message` starts with "Invalid Policy: ".
    #[error("{message}")]
    InvalidPolicyDocument { message: Cow<'static, str> },

    /// A browser POST body that is not multipart/form-data. Raised by the form parser (the HTTP
    /// layer), declared here so every POST refusal has one home.
    #[error("The body of your POST request is not well-formed multipart/form-data.")]
    MalformedPOSTRequest,

    /// The form fields before the file exceed [`MAX_POST_PRE_DATA`]. S3's message is misspelt
    /// ("preceeding") and ungrammatical; clients compare it as is.
    #[error("Your POST request fields preceeding the upload file was too large.")]
    MaxPostPreDataLengthExceeded,

    /// The upload is larger than the POST policy's `content-length-range` allows.
    #[error("Your proposed upload exceeds the maximum allowed size")]
    EntityTooLarge { proposed: u64, max: u64 },

    /// The upload is smaller than the POST policy's `content-length-range` allows.
    #[error("Your proposed upload is smaller than the minimum allowed size")]
    EntityTooSmall { proposed: u64, min: u64 },
}

impl AuthError {
    /// The S3 error code (`<Code>`).
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::AccessDenied { .. } => "AccessDenied",
            AuthError::InvalidAccessKeyId { .. } => "InvalidAccessKeyId",
            AuthError::SignatureDoesNotMatch { .. } => "SignatureDoesNotMatch",
            AuthError::AuthorizationHeaderMalformed { .. } => "AuthorizationHeaderMalformed",
            AuthError::AuthorizationQueryParametersError { .. } => {
                "AuthorizationQueryParametersError"
            }
            AuthError::RequestTimeTooSkewed { .. } => "RequestTimeTooSkewed",
            AuthError::XAmzContentSHA256Mismatch { .. } => "XAmzContentSHA256Mismatch",
            AuthError::InvalidArgument { .. } => "InvalidArgument",
            AuthError::InvalidRequest { .. } => "InvalidRequest",
            AuthError::IncompleteBody { .. } => "IncompleteBody",
            AuthError::BadDigest { .. } => "BadDigest",
            AuthError::MalformedTrailerError => "MalformedTrailerError",
            AuthError::InvalidChunkSizeError { .. } => "InvalidChunkSizeError",
            AuthError::MissingContentLength => "MissingContentLength",
            AuthError::InvalidPolicyDocument { .. } => "InvalidPolicyDocument",
            AuthError::MalformedPOSTRequest => "MalformedPOSTRequest",
            AuthError::MaxPostPreDataLengthExceeded => "MaxPostPreDataLengthExceeded",
            AuthError::EntityTooLarge { .. } => "EntityTooLarge",
            AuthError::EntityTooSmall { .. } => "EntityTooSmall",
        }
    }

    /// Extra elements of the S3 error document, in S3's element names and order.
    pub fn details(&self) -> Vec<(&'static str, String)> {
        match self {
            AuthError::AccessDenied { details, .. } => details.clone(),
            AuthError::InvalidAccessKeyId { access_key } => {
                vec![("AWSAccessKeyId", access_key.clone())]
            }
            AuthError::SignatureDoesNotMatch {
                access_key,
                string_to_sign,
                canonical_request,
                signature_provided,
            } => {
                let mut d = vec![
                    ("AWSAccessKeyId", access_key.clone()),
                    ("StringToSign", string_to_sign.clone()),
                    ("SignatureProvided", signature_provided.clone()),
                    ("StringToSignBytes", spaced_hex(string_to_sign.as_bytes())),
                ];
                if !canonical_request.is_empty() {
                    d.push(("CanonicalRequest", canonical_request.clone()));
                }
                d
            }
            AuthError::AuthorizationHeaderMalformed { region, .. }
            | AuthError::AuthorizationQueryParametersError { region, .. } => {
                region.iter().map(|r| ("Region", r.clone())).collect()
            }
            AuthError::RequestTimeTooSkewed {
                request_time,
                server_time,
            } => vec![
                ("RequestTime", request_time.clone()),
                ("ServerTime", server_time.clone()),
                ("MaxAllowedSkewMilliseconds", "900000".to_owned()),
            ],
            AuthError::XAmzContentSHA256Mismatch {
                client_computed,
                s3_computed,
            } => vec![
                ("ClientComputedContentSHA256", client_computed.clone()),
                ("S3ComputedContentSHA256", s3_computed.clone()),
            ],
            AuthError::InvalidArgument {
                argument_name,
                argument_value,
                region,
                ..
            } => {
                let mut d = vec![
                    ("ArgumentName", (*argument_name).to_owned()),
                    ("ArgumentValue", argument_value.clone()),
                ];
                d.extend(region.iter().map(|r| ("Region", r.clone())));
                d
            }
            AuthError::IncompleteBody {
                expected, provided, ..
            } => {
                let mut d = Vec::new();
                if let Some(e) = expected {
                    d.push(("NumberBytesExpected", e.to_string()));
                }
                if let Some(p) = provided {
                    d.push(("NumberBytesProvided", p.to_string()));
                }
                d
            }
            AuthError::InvalidChunkSizeError { chunk, size, .. } => vec![
                ("Chunk", chunk.to_string()),
                ("BadChunkSize", size.to_string()),
            ],
            AuthError::MaxPostPreDataLengthExceeded => {
                vec![("MaxPostPreDataLengthBytes", MAX_POST_PRE_DATA.to_string())]
            }
            AuthError::EntityTooLarge { proposed, max } => vec![
                ("ProposedSize", proposed.to_string()),
                ("MaxSizeAllowed", max.to_string()),
            ],
            AuthError::EntityTooSmall { proposed, min } => vec![
                ("ProposedSize", proposed.to_string()),
                ("MinSizeAllowed", min.to_string()),
            ],
            AuthError::InvalidRequest { .. }
            | AuthError::BadDigest { .. }
            | AuthError::MalformedTrailerError
            | AuthError::MissingContentLength
            | AuthError::InvalidPolicyDocument { .. }
            | AuthError::MalformedPOSTRequest => Vec::new(),
        }
    }

    // Constructors for the errors raised from several places, so their wording lives in one spot.

    pub(crate) fn signature_mismatch(
        access_key: &str,
        string_to_sign: String,
        canonical_request: String,
        signature_provided: &str,
    ) -> Self {
        AuthError::SignatureDoesNotMatch {
            access_key: access_key.to_owned(),
            string_to_sign,
            canonical_request,
            signature_provided: signature_provided.to_owned(),
        }
    }

    pub(crate) fn headers_not_signed(names: Vec<String>) -> Self {
        AuthError::AccessDenied {
            message: Cow::Borrowed(
                "There were headers present in the request which were not signed",
            ),
            details: vec![("HeadersNotSigned", names.join(", "))],
        }
    }

    pub(crate) fn missing_date() -> Self {
        AuthError::AccessDenied {
            message: Cow::Borrowed("AWS authentication requires a valid Date or x-amz-date header"),
            details: Vec::new(),
        }
    }

    /// AccessDenied with S3's message and no extra elements.
    pub(crate) fn access_denied(message: impl Into<Cow<'static, str>>) -> Self {
        AuthError::AccessDenied {
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// InvalidArgument naming the offending argument.
    pub(crate) fn invalid_argument(
        message: impl Into<Cow<'static, str>>,
        argument_name: &'static str,
        argument_value: impl Into<String>,
    ) -> Self {
        AuthError::InvalidArgument {
            message: message.into(),
            argument_name,
            argument_value: argument_value.into(),
            region: None,
        }
    }

    pub(crate) fn invalid_policy(message: impl Into<Cow<'static, str>>) -> Self {
        AuthError::InvalidPolicyDocument {
            message: message.into(),
        }
    }

    /// The body ended before its framing did, or could not be read.
    pub(crate) fn body_truncated() -> Self {
        AuthError::IncompleteBody {
            message: "The request body terminated unexpectedly",
            expected: None,
            provided: None,
        }
    }

    /// The decoded payload length differs from `x-amz-decoded-content-length`.
    pub(crate) fn length_mismatch(expected: u64, provided: u64) -> Self {
        AuthError::IncompleteBody {
            message: "You did not provide the number of bytes specified by the Content-Length HTTP header",
            expected: Some(expected),
            provided: Some(provided),
        }
    }

    pub(crate) fn invalid_content_sha256(value: &str) -> Self {
        AuthError::InvalidArgument {
            message: Cow::Borrowed(
                "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.",
            ),
            argument_name: "x-amz-content-sha256",
            argument_value: value.to_owned(),
            region: None,
        }
    }
}

/// S3's `<StringToSignBytes>`: two lowercase hex digits a byte, separated by single spaces.
fn spaced_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        super::sigv4::push_hex(&mut out, std::slice::from_ref(b));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_messages_and_details_read_like_s3() {
        let e = AuthError::AuthorizationHeaderMalformed {
            reason: "the region 'x' is wrong; expecting 'us-east-1'".into(),
            region: Some("us-east-1".into()),
        };
        assert_eq!(e.code(), "AuthorizationHeaderMalformed");
        assert_eq!(
            e.to_string(),
            "The authorization header is malformed; the region 'x' is wrong; expecting 'us-east-1'"
        );
        assert_eq!(e.details(), vec![("Region", "us-east-1".to_owned())]);

        let e = AuthError::BadDigest {
            algorithm: ChecksumAlgorithm::Crc32,
        };
        assert_eq!(
            (e.code(), e.to_string()),
            (
                "BadDigest",
                "The CRC32 you specified did not match the calculated checksum.".to_owned()
            )
        );

        let e = AuthError::length_mismatch(10, 4);
        assert_eq!(e.code(), "IncompleteBody");
        assert_eq!(
            e.details(),
            vec![
                ("NumberBytesExpected", "10".to_owned()),
                ("NumberBytesProvided", "4".to_owned())
            ]
        );

        let e = AuthError::headers_not_signed(vec!["x-amz-meta-a".into(), "x-amz-acl".into()]);
        assert_eq!(e.code(), "AccessDenied");
        assert_eq!(
            e.details(),
            vec![("HeadersNotSigned", "x-amz-meta-a, x-amz-acl".to_owned())]
        );
        assert_eq!(
            AuthError::MalformedTrailerError.code(),
            "MalformedTrailerError"
        );
        assert_eq!(
            AuthError::MissingContentLength.code(),
            "MissingContentLength"
        );
    }

    #[test]
    fn post_upload_errors_read_like_s3() {
        let e = AuthError::MalformedPOSTRequest;
        assert_eq!(
            (e.code(), e.to_string().as_str()),
            (
                "MalformedPOSTRequest",
                "The body of your POST request is not well-formed multipart/form-data."
            )
        );
        assert!(e.details().is_empty());
        let e = AuthError::invalid_policy("Invalid Policy: Invalid JSON.");
        assert_eq!(
            (e.code(), e.to_string().as_str()),
            ("InvalidPolicyDocument", "Invalid Policy: Invalid JSON.")
        );
        let e = AuthError::MaxPostPreDataLengthExceeded;
        assert_eq!(e.code(), "MaxPostPreDataLengthExceeded");
        assert_eq!(
            e.details(),
            vec![("MaxPostPreDataLengthBytes", "20480".to_owned())]
        );
        let e = AuthError::signature_mismatch("AK", "GET\n/".into(), String::new(), "sig");
        assert_eq!(
            e.details(),
            vec![
                ("AWSAccessKeyId", "AK".to_owned()),
                ("StringToSign", "GET\n/".to_owned()),
                ("SignatureProvided", "sig".to_owned()),
                ("StringToSignBytes", "47 45 54 0a 2f".to_owned()),
            ]
        );
    }
}
