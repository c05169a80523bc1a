//! The verification flow behind [`verify_request`](super::verify_request): which scheme a request
//! uses, the checks S3 makes before the signature (scope, clock, signed headers, payload mode)
//! and the signature itself, for SigV4 `Authorization`-header and presigned-URL requests. SigV2
//! requests are recognised here and handed to [`super::sigv2`].
//!
//! Order of checks: shape of the credentials, scope (region, service), time, signed headers,
//! `x-amz-content-sha256`, access key, signature, then the payload parameters
//! (`x-amz-decoded-content-length`, `x-amz-trailer`). Everything that needs no secret comes first,
//! and a wrong region is reported before anything else, so SDKs that retry in the region named in
//! `<Region>` get that hint even when other things are off too.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use http::{HeaderMap, Method, Uri};

use super::chunked::{ChunkSigning, ChunkedPayload};
use super::error::AuthError;
use super::signing_key::{SIGNING_KEYS, SigningKey};
use super::sigv2;
use super::sigv4::{
    ALGORITHM, AuthorizationHeader, CREDENTIAL_SHAPE, CanonicalOptions, Credential, SignedHeaders,
    TERMINATOR, canonical_headers, canonical_query, canonical_request, canonical_uri, distance,
    format_amz_date, format_iso8601, parse_amz_date, parse_http_date, query_keys, query_param,
    signature, signatures_match, string_to_sign,
};
use super::{
    PayloadCheck, STREAMING_PAYLOAD, STREAMING_PAYLOAD_TRAILER, STREAMING_UNSIGNED_PAYLOAD_TRAILER,
    SecretLookup, UNSIGNED_PAYLOAD, Verified,
};
use crate::checksum::ChecksumAlgorithm;

/// S3's allowed clock skew for header-signed requests (and for presigned URLs dated ahead).
pub const MAX_SKEW: Duration = Duration::from_secs(15 * 60);
/// Longest presigned-URL lifetime SigV4 allows: 7 days.
pub const MAX_EXPIRES_SECS: u64 = 604_800;

/// What a verification accepts. [`Policy::s3`] is the server's; the other settings exist so the
/// AWS SigV4 test suite (written for generic services) can run through the same code.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Policy<'a> {
    pub region: &'a str,
    pub service: &'a str,
    pub canonical: CanonicalOptions,
    /// S3's own rules: `x-amz-content-sha256` is required with header auth, every `x-amz-*`
    /// header must be signed, and presigned URLs default to `UNSIGNED-PAYLOAD`.
    pub s3_rules: bool,
    /// Payload hash assumed when the request names none (only without `s3_rules`).
    pub default_payload_hash: &'a str,
}

impl<'a> Policy<'a> {
    pub fn s3(region: &'a str) -> Self {
        Policy {
            region,
            service: "s3",
            canonical: CanonicalOptions::S3,
            s3_rules: true,
            default_payload_hash: UNSIGNED_PAYLOAD,
        }
    }
}

/// How a request claims to be authenticated.
enum Scheme<'a> {
    Anonymous,
    HeaderV4(&'a str),
    QueryV4,
    /// SigV2 (`Authorization: AWS <key>:<sig>`), with the header value.
    HeaderV2(&'a str),
    /// SigV2 presigned (`?AWSAccessKeyId=..&Signature=..&Expires=..`).
    QueryV2,
}

fn scheme<'h>(headers: &'h HeaderMap, query: &str) -> Result<Scheme<'h>, AuthError> {
    let header = match headers.get(http::header::AUTHORIZATION) {
        // An empty Authorization header is treated as absent, like S3 does.
        Some(v) if !v.as_bytes().iter().all(u8::is_ascii_whitespace) => Some(v),
        _ => None,
    };
    let (mut query_v4, mut query_v2) = (false, false);
    for key in query_keys(query) {
        match key.as_ref() {
            "X-Amz-Algorithm" | "X-Amz-Credential" | "X-Amz-Signature" => query_v4 = true,
            "AWSAccessKeyId" | "Signature" => query_v2 = true,
            _ => {}
        }
    }
    match header {
        Some(value) if query_v4 || query_v2 => Err(AuthError::invalid_argument(
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified",
            "Authorization",
            String::from_utf8_lossy(value.as_bytes()),
        )),
        Some(value) => {
            let unsupported = || {
                AuthError::invalid_argument(
                    "Unsupported Authorization Type",
                    "Authorization",
                    String::from_utf8_lossy(value.as_bytes()),
                )
            };
            let text = value.to_str().map_err(|_| unsupported())?.trim_start();
            let algorithm = text.split([' ', '\t']).next().unwrap_or_default();
            match algorithm {
                ALGORITHM => Ok(Scheme::HeaderV4(text)),
                "AWS" => Ok(Scheme::HeaderV2(text)),
                _ => Err(unsupported()),
            }
        }
        None if query_v4 => Ok(Scheme::QueryV4),
        None if query_v2 => Ok(Scheme::QueryV2),
        None => Ok(Scheme::Anonymous),
    }
}

/// `host_bucket` is the bucket named by the Host header (virtual-hosted style); only SigV2 needs
/// it, because its string to sign names the bucket even when the path does not.
pub(crate) fn verify(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    secrets: &dyn SecretLookup,
    policy: &Policy<'_>,
    host_bucket: Option<&str>,
    now: SystemTime,
) -> Result<Verified, AuthError> {
    let query = uri.query().unwrap_or("");
    match scheme(headers, query)? {
        Scheme::Anonymous => anonymous(headers),
        Scheme::HeaderV4(value) => verify_header(method, uri, headers, value, secrets, policy, now),
        Scheme::QueryV4 => verify_presigned(method, uri, headers, secrets, policy, now),
        Scheme::HeaderV2(value) => {
            let request = sigv2::V2Request {
                method,
                uri,
                headers,
                host_bucket,
            };
            sigv2::verify_header(&request, value, secrets, now)
        }
        Scheme::QueryV2 => {
            let request = sigv2::V2Request {
                method,
                uri,
                headers,
                host_bucket,
            };
            sigv2::verify_query(&request, secrets, now)
        }
    }
}

/// A request without credentials still declares how its body is framed.
fn anonymous(headers: &HeaderMap) -> Result<Verified, AuthError> {
    Ok(Verified {
        access_key: None,
        presigned: false,
        payload: declared_payload(headers)?,
    })
}

/// The body check a request declares through `x-amz-content-sha256` when no SigV4 signature
/// backs it (anonymous and SigV2 requests): a hash or an unsigned aws-chunked framing is honoured,
/// so the framing is decoded rather than stored; signed chunks are refused.
pub(crate) fn declared_payload(headers: &HeaderMap) -> Result<PayloadCheck, AuthError> {
    let payload = match headers.get("x-amz-content-sha256") {
        None => PayloadCheck::Unsigned,
        Some(v) => {
            let value = v.to_str().map_err(|_| {
                AuthError::invalid_content_sha256(&String::from_utf8_lossy(v.as_bytes()))
            })?;
            let mode = PayloadMode::parse(value)?;
            if let PayloadMode::Streaming { signed: true, .. } = mode {
                // Chunk signatures chain from a request signature this request does not have.
                return Err(AuthError::InvalidRequest {
                    message: "The value of x-amz-content-sha256 header is invalid.".to_owned(),
                });
            }
            payload_check(mode, headers, None)?
        }
    };
    Ok(payload)
}

/// Where the credentials came from: the wording of scope errors differs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Location {
    Header,
    Query,
}

fn scope_error(location: Location, reason: String, region: Option<String>) -> AuthError {
    match location {
        Location::Header => AuthError::AuthorizationHeaderMalformed { reason, region },
        Location::Query => AuthError::AuthorizationQueryParametersError {
            reason: format!("Error parsing the X-Amz-Credential parameter; {reason}"),
            region,
        },
    }
}

fn check_scope(
    credential: &Credential<'_>,
    policy: &Policy<'_>,
    location: Location,
) -> Result<(), AuthError> {
    if credential.region != policy.region {
        return Err(scope_error(
            location,
            format!(
                "the region '{}' is wrong; expecting '{}'",
                credential.region, policy.region
            ),
            Some(policy.region.to_owned()),
        ));
    }
    if credential.service != policy.service {
        return Err(scope_error(
            location,
            format!(
                "incorrect service \"{}\". This endpoint belongs to \"{}\".",
                credential.service, policy.service
            ),
            None,
        ));
    }
    if credential.terminator != TERMINATOR {
        return Err(scope_error(
            location,
            format!(
                "incorrect terminal \"{}\". This endpoint uses \"{TERMINATOR}\".",
                credential.terminator
            ),
            None,
        ));
    }
    Ok(())
}

/// `host` must be signed; with S3's rules every `x-amz-*` header present must be too
/// (`x-amz-content-sha256` excepted, as S3 tolerates it unsigned).
fn check_signed_headers(
    headers: &HeaderMap,
    signed: &SignedHeaders<'_>,
    policy: &Policy<'_>,
) -> Result<(), AuthError> {
    if !signed.contains("host") {
        return Err(AuthError::headers_not_signed(vec!["host".to_owned()]));
    }
    if policy.s3_rules {
        let mut unsigned: Vec<String> = headers
            .keys()
            .map(|k| k.as_str())
            .filter(|k| {
                k.starts_with("x-amz-") && *k != "x-amz-content-sha256" && !signed.contains(k)
            })
            .map(str::to_owned)
            .collect();
        if !unsigned.is_empty() {
            unsigned.sort_unstable();
            return Err(AuthError::headers_not_signed(unsigned));
        }
    }
    Ok(())
}

/// The request timestamp as it goes into the string to sign, and as a time.
fn header_time(headers: &HeaderMap) -> Result<(String, SystemTime), AuthError> {
    if let Some(v) = headers.get("x-amz-date") {
        let text = v.to_str().map_err(|_| AuthError::missing_date())?;
        let t = parse_amz_date(text).ok_or_else(AuthError::missing_date)?;
        return Ok((text.to_owned(), t));
    }
    let t = headers
        .get(http::header::DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_http_date)
        .ok_or_else(AuthError::missing_date)?;
    Ok((format_amz_date(t), t))
}

/// `x-amz-content-sha256` (or the presigned `X-Amz-Content-Sha256`) decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PayloadMode {
    Unsigned,
    Sha256([u8; 32]),
    Streaming { signed: bool, trailer: bool },
}

impl PayloadMode {
    pub fn parse(value: &str) -> Result<Self, AuthError> {
        match value {
            UNSIGNED_PAYLOAD => Ok(PayloadMode::Unsigned),
            STREAMING_PAYLOAD => Ok(PayloadMode::Streaming {
                signed: true,
                trailer: false,
            }),
            STREAMING_PAYLOAD_TRAILER => Ok(PayloadMode::Streaming {
                signed: true,
                trailer: true,
            }),
            STREAMING_UNSIGNED_PAYLOAD_TRAILER => Ok(PayloadMode::Streaming {
                signed: false,
                trailer: true,
            }),
            hex_hash => {
                let mut digest = [0u8; 32];
                match hex::decode_to_slice(hex_hash, &mut digest) {
                    Ok(()) => Ok(PayloadMode::Sha256(digest)),
                    Err(_) => Err(AuthError::invalid_content_sha256(value)),
                }
            }
        }
    }
}

/// Turns the payload mode into the body check, reading the streaming parameters.
fn payload_check(
    mode: PayloadMode,
    headers: &HeaderMap,
    signing: Option<ChunkSigning>,
) -> Result<PayloadCheck, AuthError> {
    let (signed, trailer_mode) = match mode {
        PayloadMode::Unsigned => return Ok(PayloadCheck::Unsigned),
        PayloadMode::Sha256(h) => return Ok(PayloadCheck::Sha256(h)),
        PayloadMode::Streaming { signed, trailer } => (signed, trailer),
    };
    let decoded_len = headers
        .get("x-amz-decoded-content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .ok_or(AuthError::MissingContentLength)?;
    let trailer = match (trailer_mode, headers.get("x-amz-trailer")) {
        (true, Some(v)) => Some(
            v.to_str()
                .ok()
                .and_then(ChecksumAlgorithm::from_header_name)
                .ok_or_else(|| AuthError::InvalidRequest {
                    message: "The value specified in the x-amz-trailer header is not supported"
                        .to_owned(),
                })?,
        ),
        _ => None,
    };
    Ok(PayloadCheck::Chunked(ChunkedPayload {
        signing: if signed { signing } else { None },
        trailer_mode,
        trailer,
        decoded_len,
    }))
}

/// What both SigV4 forms have once their parameters are parsed.
struct SignedRequest<'a> {
    credential: Credential<'a>,
    signed_headers: SignedHeaders<'a>,
    signature: &'a str,
    amz_date: String,
    time: SystemTime,
    payload_hash: &'a str,
    canonical_query: String,
    location: Location,
    /// `credential.scope()`, formatted once.
    scope: String,
}

/// Recomputes the signature; on success returns the key (for chunk signatures).
fn check_signature(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    request: &SignedRequest<'_>,
    secrets: &dyn SecretLookup,
    policy: &Policy<'_>,
) -> Result<SigningKey, AuthError> {
    let credential = &request.credential;
    let secret =
        secrets
            .secret_key(credential.access_key)
            .ok_or_else(|| AuthError::InvalidAccessKeyId {
                access_key: credential.access_key.to_owned(),
            })?;
    let key = SIGNING_KEYS.get(
        credential.access_key,
        &secret,
        request.time,
        credential.date,
        credential.region,
        credential.service,
    );
    let authority = uri.authority().map(|a| a.as_str());
    let canonical = canonical_request(
        method.as_str(),
        &canonical_uri(uri.path(), policy.canonical),
        &request.canonical_query,
        &canonical_headers(headers, &request.signed_headers, authority),
        request.signed_headers.raw(),
        request.payload_hash,
    );
    let string_to_sign = string_to_sign(&request.amz_date, &request.scope, &canonical);
    let computed = signature(key.as_ref(), &string_to_sign);
    if !signatures_match(&computed, request.signature) {
        tracing::debug!(
            access_key = credential.access_key,
            presigned = request.location == Location::Query,
            "signature mismatch"
        );
        return Err(AuthError::signature_mismatch(
            credential.access_key,
            string_to_sign,
            String::from_utf8_lossy(&canonical).into_owned(),
            request.signature,
        ));
    }
    Ok(key)
}

fn finish(
    request: &SignedRequest<'_>,
    key: SigningKey,
    mode: PayloadMode,
    headers: &HeaderMap,
) -> Result<Verified, AuthError> {
    // Only signed streaming needs the chaining state; don't copy it for the common case.
    let signing =
        matches!(mode, PayloadMode::Streaming { signed: true, .. }).then(|| ChunkSigning {
            key,
            amz_date: request.amz_date.clone(),
            scope: request.scope.clone(),
            seed: request.signature.to_owned(),
            access_key: request.credential.access_key.to_owned(),
        });
    Ok(Verified {
        access_key: Some(request.credential.access_key.to_owned()),
        presigned: request.location == Location::Query,
        payload: payload_check(mode, headers, signing)?,
    })
}

fn verify_header(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    value: &str,
    secrets: &dyn SecretLookup,
    policy: &Policy<'_>,
    now: SystemTime,
) -> Result<Verified, AuthError> {
    let auth = AuthorizationHeader::parse(value)?;
    check_scope(&auth.credential, policy, Location::Header)?;
    let (amz_date, time) = header_time(headers)?;
    if !amz_date.starts_with(auth.credential.date) {
        return Err(AuthError::AuthorizationHeaderMalformed {
            reason: "Invalid credential date. Date is not the same as X-Amz-Date.".to_owned(),
            region: None,
        });
    }
    if distance(now, time) > MAX_SKEW {
        return Err(AuthError::RequestTimeTooSkewed {
            request_time: amz_date,
            server_time: format_iso8601(now),
        });
    }
    check_signed_headers(headers, &auth.signed_headers, policy)?;
    let payload_hash = match headers.get("x-amz-content-sha256") {
        Some(v) => v.to_str().map_err(|_| {
            AuthError::invalid_content_sha256(&String::from_utf8_lossy(v.as_bytes()))
        })?,
        None if policy.s3_rules => {
            return Err(AuthError::InvalidRequest {
                message: "Missing required header for this request: x-amz-content-sha256"
                    .to_owned(),
            });
        }
        None => policy.default_payload_hash,
    };
    let mode = PayloadMode::parse(payload_hash)?;
    let request = SignedRequest {
        credential: auth.credential,
        signed_headers: auth.signed_headers,
        signature: auth.signature,
        amz_date,
        time,
        payload_hash,
        canonical_query: canonical_query(uri.query().unwrap_or(""), None),
        location: Location::Header,
        scope: auth.credential.scope(),
    };
    let key = check_signature(method, uri, headers, &request, secrets, policy)?;
    finish(&request, key, mode, headers)
}

fn query_error(reason: impl Into<String>) -> AuthError {
    AuthError::AuthorizationQueryParametersError {
        reason: reason.into(),
        region: None,
    }
}

fn verify_presigned(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    secrets: &dyn SecretLookup,
    policy: &Policy<'_>,
    now: SystemTime,
) -> Result<Verified, AuthError> {
    let query = uri.query().unwrap_or("");
    let param = |name| query_param(query, name);
    let (
        Some(algorithm),
        Some(credential),
        Some(signature),
        Some(date),
        Some(signed_headers),
        Some(expires),
    ) = (
        param("X-Amz-Algorithm"),
        param("X-Amz-Credential"),
        param("X-Amz-Signature"),
        param("X-Amz-Date"),
        param("X-Amz-SignedHeaders"),
        param("X-Amz-Expires"),
    )
    else {
        return Err(query_error(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
        ));
    };
    if algorithm != ALGORITHM {
        return Err(query_error(
            "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"",
        ));
    }
    let credential = Credential::parse(&credential).ok_or_else(|| {
        query_error(format!(
            "Error parsing the X-Amz-Credential parameter; {CREDENTIAL_SHAPE}"
        ))
    })?;
    check_scope(&credential, policy, Location::Query)?;
    let time = parse_amz_date(&date).ok_or_else(|| {
        query_error("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
    })?;
    if !date.starts_with(credential.date) {
        return Err(query_error(format!(
            "Invalid credential date \"{}\". This date is not the same as X-Amz-Date: \"{}\".",
            credential.date,
            date.get(..8).unwrap_or(&date)
        )));
    }
    let expires: u64 = match expires.parse::<i64>() {
        Err(_) => return Err(query_error("X-Amz-Expires should be a number")),
        Ok(n) if n < 0 => return Err(query_error("X-Amz-Expires must be non-negative")),
        Ok(n) if n.unsigned_abs() > MAX_EXPIRES_SECS => {
            return Err(query_error(
                "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds",
            ));
        }
        Ok(n) => n.unsigned_abs(),
    };
    let expiry = time + Duration::from_secs(expires);
    let time_details = || {
        vec![
            ("X-Amz-Expires", expires.to_string()),
            ("Expires", format_iso8601(expiry)),
            ("ServerTime", format_iso8601(now)),
        ]
    };
    if time > now + MAX_SKEW {
        return Err(AuthError::AccessDenied {
            message: Cow::Borrowed("Request is not yet valid"),
            details: time_details(),
        });
    }
    // X-Amz-Expires=0 grants no validity at all (the accepted range is 1..=604800).
    if expires == 0 || now > expiry {
        return Err(AuthError::AccessDenied {
            message: Cow::Borrowed("Request has expired"),
            details: time_details(),
        });
    }
    let signed_headers = SignedHeaders::parse(&signed_headers).ok_or_else(|| {
        query_error(format!(
            "Error parsing the X-Amz-SignedHeaders parameter: \"{signed_headers}\""
        ))
    })?;
    check_signed_headers(headers, &signed_headers, policy)?;
    let content_sha256 = param("X-Amz-Content-Sha256");
    let payload_hash: &str = match &content_sha256 {
        Some(v) => v,
        None if policy.s3_rules => UNSIGNED_PAYLOAD,
        None => policy.default_payload_hash,
    };
    let mut mode = PayloadMode::parse(payload_hash)?;
    // The canonical request of a presigned URL says UNSIGNED-PAYLOAD, but a client may still
    // frame or hash the body and say so in the header: honour it, so an aws-chunked body is
    // decoded rather than stored with its framing, and a declared hash is checked.
    if let (None, Some(v)) = (&content_sha256, headers.get("x-amz-content-sha256")) {
        let value = v.to_str().map_err(|_| {
            AuthError::invalid_content_sha256(&String::from_utf8_lossy(v.as_bytes()))
        })?;
        mode = PayloadMode::parse(value)?;
    }
    let request = SignedRequest {
        credential,
        signed_headers,
        signature: &signature,
        amz_date: date.into_owned(),
        time,
        payload_hash,
        canonical_query: canonical_query(query, Some("X-Amz-Signature")),
        location: Location::Query,
        scope: credential.scope(),
    };
    let key = check_signature(method, uri, headers, &request, secrets, policy)?;
    finish(&request, key, mode, headers)
}
