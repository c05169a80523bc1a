//! Request authentication: AWS Signature Version 4 in the `Authorization` header and in
//! presigned URLs, with verification of the payload the signature vouches for (signed SHA-256,
//! `UNSIGNED-PAYLOAD`, and aws-chunked streams with chunk signatures and trailing checksums);
//! Signature Version 2 in the header and in presigned URLs; and browser POST uploads, whose
//! signed policy rules the form ([`verify_post_policy`]).
//!
//! Two steps, split at the point where the body starts to matter:
//! 1. [`verify_request`] checks the request line and headers and says who is calling
//!    ([`Verified`]) and how the body must be checked ([`PayloadCheck`]). It never touches the
//!    body: hyper answers `Expect: 100-continue` when the body is first polled, and a client must
//!    only be told to send its upload once it is authenticated (and authorized, by the caller).
//! 2. [`verify_body`] wraps the body in a stream that yields payload bytes and ends with an error
//!    if anything about the payload is wrong. Consumers commit only after a clean end.
//!
//! The signature is always recomputed from the request as received — path bytes, raw query,
//! the headers the client chose to sign — never from a re-serialized form. Errors carry S3's
//! codes and messages ([`AuthError`]); mapping them to HTTP statuses is the HTTP layer's job.
//!
//! Browser POST uploads carry their credentials in the form body, so they have their own entry
//! point: the HTTP layer parses the form fields that precede the file and hands them to
//! [`verify_post_policy`], then checks the file's size against the policy with
//! [`PostPolicyAuth::check_size`].

mod chunked;
mod error;
mod payload;
mod post_policy;
mod signing_key;
mod sigv2;
mod sigv4;
mod verify;

#[cfg(test)]
mod tests;

use std::time::SystemTime;

pub use chunked::{ChunkedPayload, MAX_SIGNED_CHUNK, MIN_CHUNK};
pub use error::{AuthError, MAX_POST_PRE_DATA};
pub use payload::{TrailerHandle, VerifiedBody};
pub use post_policy::{PostPolicyAuth, verify_post_policy};
pub use signing_key::SigningKey;
pub use sigv4::EMPTY_SHA256;

/// `x-amz-content-sha256` value: the payload is not signed.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// `x-amz-content-sha256` value: aws-chunked with chunk signatures.
pub const STREAMING_PAYLOAD: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
/// `x-amz-content-sha256` value: aws-chunked with chunk signatures and a signed trailer.
pub const STREAMING_PAYLOAD_TRAILER: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
/// `x-amz-content-sha256` value: aws-chunked without signatures, with a trailer.
pub const STREAMING_UNSIGNED_PAYLOAD_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

/// Where secret keys come from (the IAM/users store).
pub trait SecretLookup: Send + Sync {
    /// The secret of `access_key`, or `None` if no such key exists.
    fn secret_key(&self, access_key: &str) -> Option<String>;
}

/// The outcome of [`verify_request`].
#[derive(Debug, Clone)]
pub struct Verified {
    /// The authenticated access key; `None` = anonymous (no `Authorization` header and no
    /// signature query parameter).
    pub access_key: Option<String>,
    /// Authenticated through a presigned URL.
    pub presigned: bool,
    /// How [`verify_body`] must check the body.
    pub payload: PayloadCheck,
}

/// What the body must satisfy.
#[derive(Debug, Clone)]
pub enum PayloadCheck {
    /// Nothing (`UNSIGNED-PAYLOAD`, presigned URLs, anonymous and SigV2 requests).
    Unsigned,
    /// The whole body must hash to this SHA-256 (`x-amz-content-sha256: <hex>`).
    Sha256([u8; 32]),
    /// The body is aws-chunked; decode it, checking signatures, length and trailer.
    Chunked(ChunkedPayload),
}

impl PayloadCheck {
    /// The payload size when the request declares it apart from the framing
    /// (`x-amz-decoded-content-length`); otherwise the caller uses `Content-Length`.
    pub fn decoded_content_length(&self) -> Option<u64> {
        match self {
            PayloadCheck::Chunked(c) => Some(c.decoded_len()),
            PayloadCheck::Unsigned | PayloadCheck::Sha256(_) => None,
        }
    }
}

/// Verifies the request line and headers (SigV4 or SigV2, header or presigned URL). `region` is
/// the server's region; the service in a SigV4 credential scope must be `s3`. `host_bucket` is
/// `Some(bucket)` only when the bucket was named by the Host header (virtual-hosted style, CNAME
/// included): SigV2 signs `/bucket` + path, so it must know. `now` is injected so tests can pin
/// the clock.
pub fn verify_request(
    method: &http::Method,
    uri: &http::Uri,
    headers: &http::HeaderMap,
    secrets: &dyn SecretLookup,
    region: &str,
    host_bucket: Option<&str>,
    now: SystemTime,
) -> Result<Verified, AuthError> {
    verify::verify(
        method,
        uri,
        headers,
        secrets,
        &verify::Policy::s3(region),
        host_bucket,
        now,
    )
}

/// The region and service a SigV4 request's credential scope names (from the `Authorization`
/// header or the `X-Amz-Credential` query parameter); None for other schemes and unsigned
/// requests. The HTTP layer routes on the service: `iam` and `sts` requests go to the IAM API.
pub fn credential_scope(uri: &http::Uri, headers: &http::HeaderMap) -> Option<(String, String)> {
    if let Some(value) = headers.get(http::header::AUTHORIZATION) {
        let header = sigv4::AuthorizationHeader::parse(value.to_str().ok()?).ok()?;
        let credential = header.credential;
        return Some((credential.region.to_owned(), credential.service.to_owned()));
    }
    let raw = sigv4::query_param(uri.query()?, "X-Amz-Credential")?;
    let credential = sigv4::Credential::parse(&raw)?;
    Some((credential.region.to_owned(), credential.service.to_owned()))
}

/// Verifies a request to another AWS API served on this endpoint (IAM, STS: `service`). These
/// are small form posts signed with SigV4 over the whole body, usually without
/// `x-amz-content-sha256`, so the body is read first and its SHA-256 is the payload hash; the
/// path is canonicalized like every service but S3 does. Botocore signs global services for
/// `us-east-1`, so that region is accepted beside the server's.
pub fn verify_service_request(
    request: &http::request::Parts,
    body: &[u8],
    secrets: &dyn SecretLookup,
    region: &str,
    service: &str,
    now: SystemTime,
) -> Result<Verified, AuthError> {
    use sha2::Digest;
    let digest: [u8; 32] = sha2::Sha256::digest(body).into();
    let body_hash = hex::encode(digest);
    let (method, uri, headers) = (&request.method, &request.uri, &request.headers);
    let region = match credential_scope(uri, headers) {
        Some((signed, _)) if signed == "us-east-1" => "us-east-1",
        _ => region,
    };
    let policy = verify::Policy {
        region,
        service,
        canonical: sigv4::CanonicalOptions {
            normalize_path: true,
            double_encode: true,
        },
        s3_rules: false,
        default_payload_hash: &body_hash,
    };
    let verified = verify::verify(method, uri, headers, secrets, &policy, None, now)?;
    match &verified.payload {
        PayloadCheck::Unsigned => Ok(verified),
        PayloadCheck::Sha256(declared) if *declared == digest => Ok(verified),
        PayloadCheck::Sha256(declared) => Err(AuthError::XAmzContentSHA256Mismatch {
            client_computed: hex::encode(declared),
            s3_computed: body_hash,
        }),
        PayloadCheck::Chunked(_) => Err(AuthError::InvalidRequest {
            message: "aws-chunked bodies are not accepted by this API".to_owned(),
        }),
    }
}

/// Wraps the raw body: yields the decoded payload bytes, and yields `Err` as the last item
/// (right before ending) if the payload hash, a chunk signature, the framing, the decoded length
/// or the trailing checksum is wrong. Never buffers more than one framing line.
pub fn verify_body<S, E>(body: S, check: PayloadCheck) -> VerifiedBody
where
    S: futures_util::Stream<Item = Result<bytes::Bytes, E>> + Send + Unpin + 'static,
    E: std::fmt::Display,
{
    VerifiedBody::new(body, check)
}

/// The `Content-Encoding` to store for an object uploaded with `aws-chunked`: the header with the
/// `aws-chunked` coding removed (it describes the transfer, not the object), or `None` if nothing
/// remains. S3 does the same.
pub fn stored_content_encoding(header: &str) -> Option<String> {
    let rest: Vec<&str> = header
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty() && !c.eq_ignore_ascii_case("aws-chunked"))
        .collect();
    (!rest.is_empty()).then(|| rest.join(","))
}
