//! AWS Signature Version 2 for S3: `Authorization: AWS <AccessKeyId>:<Signature>` and presigned
//! URLs (`?AWSAccessKeyId=..&Expires=..&Signature=..`), as awscli v1, boto3's presigner, s3cmd
//! and the older SDKs still produce them.
//!
//! The signature is base64 HMAC-SHA1 of a string to sign built from the request as received:
//!
//! ```text
//! Verb \n Content-MD5 \n Content-Type \n Date \n CanonicalizedAmzHeaders CanonicalizedResource
//! ```
//!
//! - Date is the `Date` header, or empty when `x-amz-date` is present (the timestamp then travels
//!   in the amz headers); presigned URLs put their `Expires` value there instead.
//! - CanonicalizedAmzHeaders: every `x-amz-*` header, names lowercased, sorted, values trimmed,
//!   repeated headers joined with `,`, one `name:value\n` each.
//! - CanonicalizedResource: `/bucket` when the bucket came from the Host header, then the path
//!   exactly as sent (still percent-encoded), then the sub-resources S3 signs ([`SUBRESOURCES`]),
//!   sorted, with their values decoded.
//!
//! SigV2 does not sign the body: the payload check is whatever the request declares
//! (`x-amz-content-sha256`, itself signed as an amz header), usually nothing; Content-MD5, when
//! sent, is signed and checked by the operation.
//!
//! A SigV2 presigned URL has no lifetime cap (the 7-day limit is SigV4's): it is valid until its
//! `Expires`. Like S3, only the listed sub-resources are signed, so a holder of a presigned URL can
//! add other query parameters (`prefix`, `max-keys`, ...) without breaking it; that is SigV2's
//! design, and the reason clients should prefer SigV4.

use std::borrow::Cow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use hmac::{Hmac, Mac as _};
use http::{HeaderMap, Method, Uri};
use percent_encoding::percent_decode_str;
use sha1::Sha1;

use super::error::AuthError;
use super::sigv4::{distance, format_iso8601, parse_amz_date, query_param, signatures_match};
use super::verify::{MAX_SKEW, declared_payload};
use super::{SecretLookup, Verified};

/// The query parameters that are part of the canonical resource. S3's own documentation lists
/// the classic ones (acl ... website, the `response-*` overrides, `delete`); the rest are those
/// the SDKs sign for the sub-resources added since (the AWS SDK for Java's list, botocore's and
/// minio-go's), because S3 signs them too: a client and the server must agree on every name
/// present, and a name only matters when a request carries it. Sorted, matched case-sensitively
/// against the raw (undecoded) parameter name, as the signers do.
pub const SUBRESOURCES: &[&str] = &[
    "accelerate",
    "acl",
    "analytics",
    "cors",
    "defaultObjectAcl",
    "delete",
    "encryption",
    "inventory",
    "legal-hold",
    "lifecycle",
    "location",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "partNumber",
    "policy",
    "replication",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "retention",
    "select",
    "select-type",
    "storageClass",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
];

/// Latest `Expires` accepted: 9999-12-31T23:59:59Z. Larger numbers are not seconds (a client
/// sending milliseconds gets S3's "should be seconds since epoch" answer rather than a URL that
/// never expires).
const MAX_EXPIRES: u64 = 253_402_300_799;

/// The parts of a request a SigV2 signature covers.
pub(crate) struct V2Request<'a> {
    pub method: &'a Method,
    pub uri: &'a Uri,
    pub headers: &'a HeaderMap,
    /// The bucket named by the Host header (virtual-hosted style), if any.
    pub host_bucket: Option<&'a str>,
}

/// Where the signature travelled: the rules for the date line and the amz headers differ.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Header,
    /// Presigned URL: `Expires` is the date line, and headers may ride in the query string.
    Query,
}

/// Base64 HMAC-SHA1 of `string_to_sign` under `secret`: a SigV2 request signature, and the
/// signature of a SigV2 browser POST policy (whose string to sign is the base64 policy).
pub fn sign(secret: &str, string_to_sign: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha1>>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(string_to_sign);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn format_error(value: &str) -> AuthError {
    AuthError::invalid_argument(
        "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature",
        "Authorization",
        value,
    )
}

/// Splits `AWS <AccessKeyId>:<Signature>` (exactly one space, as S3 requires).
pub(crate) fn parse_authorization(value: &str) -> Result<(&str, &str), AuthError> {
    let spacing = || {
        AuthError::invalid_argument(
            "Authorization header is invalid -- one and only one ' ' (space) required",
            "Authorization",
            value,
        )
    };
    let rest = value
        .trim()
        .strip_prefix("AWS")
        .ok_or_else(|| format_error(value))?;
    if rest.is_empty() {
        return Err(format_error(value));
    }
    let credentials = rest.strip_prefix(' ').ok_or_else(spacing)?;
    if credentials.contains([' ', '\t']) {
        return Err(spacing());
    }
    match credentials.split_once(':') {
        Some((access_key, signature)) if !signature.is_empty() && !signature.contains(':') => {
            Ok((access_key, signature))
        }
        _ => Err(format_error(value)),
    }
}

/// Verifies `Authorization: AWS ...`: the timestamp (±15 minutes), then the signature.
pub(crate) fn verify_header(
    request: &V2Request<'_>,
    value: &str,
    secrets: &dyn SecretLookup,
    now: SystemTime,
) -> Result<Verified, AuthError> {
    let (access_key, signature) = parse_authorization(value)?;
    let headers = request.headers;
    // x-amz-date wins over Date; it is then signed as an amz header and the date line is empty.
    let (text, amz_date) = match headers.get("x-amz-date") {
        Some(v) => (v, true),
        None => (
            headers
                .get(http::header::DATE)
                .ok_or_else(AuthError::missing_date)?,
            false,
        ),
    };
    let text = text.to_str().map_err(|_| AuthError::missing_date())?.trim();
    let time = parse_date(text).ok_or_else(AuthError::missing_date)?;
    if distance(now, time) > MAX_SKEW {
        return Err(AuthError::RequestTimeTooSkewed {
            request_time: text.to_owned(),
            server_time: format_iso8601(now),
        });
    }
    let payload = declared_payload(headers)?;
    let date_line = if amz_date { "" } else { text };
    check_signature(
        request,
        Source::Header,
        date_line.as_bytes(),
        access_key,
        signature,
        secrets,
    )?;
    Ok(Verified {
        access_key: Some(access_key.to_owned()),
        presigned: false,
        payload,
    })
}

/// Verifies a presigned URL: the parameters, `Expires`, then the signature.
pub(crate) fn verify_query(
    request: &V2Request<'_>,
    secrets: &dyn SecretLookup,
    now: SystemTime,
) -> Result<Verified, AuthError> {
    let query = request.uri.query().unwrap_or("");
    let (Some(access_key), Some(signature), Some(expires)) = (
        query_param(query, "AWSAccessKeyId"),
        query_param(query, "Signature"),
        query_param(query, "Expires"),
    ) else {
        return Err(AuthError::access_denied(
            "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters",
        ));
    };
    let seconds = expires
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| expires.parse::<u64>().ok())
        .flatten()
        .filter(|s| *s <= MAX_EXPIRES)
        .ok_or_else(|| {
            AuthError::access_denied(format!(
                "Invalid date (should be seconds since epoch): {expires}"
            ))
        })?;
    let expiry = UNIX_EPOCH + Duration::from_secs(seconds);
    if now > expiry {
        return Err(AuthError::AccessDenied {
            message: Cow::Borrowed("Request has expired"),
            details: vec![
                ("Expires", format_iso8601(expiry)),
                ("ServerTime", format_iso8601(now)),
            ],
        });
    }
    let payload = declared_payload(request.headers)?;
    check_signature(
        request,
        Source::Query,
        expires.as_bytes(),
        &access_key,
        &signature,
        secrets,
    )?;
    Ok(Verified {
        access_key: Some(access_key.into_owned()),
        presigned: true,
        payload,
    })
}

/// Looks the key up and compares the signature in constant time, against the canonical resource
/// and, for a bucket's root, its other spelling (see [`canonical_resources`]).
fn check_signature(
    request: &V2Request<'_>,
    source: Source,
    date_line: &[u8],
    access_key: &str,
    provided: &str,
    secrets: &dyn SecretLookup,
) -> Result<(), AuthError> {
    let secret = secrets
        .secret_key(access_key)
        .ok_or_else(|| AuthError::InvalidAccessKeyId {
            access_key: access_key.to_owned(),
        })?;
    let (primary, alternate) = canonical_resources(request);
    let mut first = None;
    for resource in std::iter::once(primary).chain(alternate) {
        let sts = string_to_sign(request, source, date_line, &resource);
        if signatures_match(&sign(&secret, &sts), provided) {
            return Ok(());
        }
        first.get_or_insert(sts);
    }
    tracing::debug!(
        access_key,
        presigned = source == Source::Query,
        "sigv2 signature mismatch"
    );
    let sts = first.unwrap_or_default();
    Err(AuthError::signature_mismatch(
        access_key,
        String::from_utf8_lossy(&sts).into_owned(),
        String::new(),
        provided,
    ))
}

/// The full string to sign, as bytes: header values may carry any visible octet and decoded
/// sub-resource values need not be UTF-8.
fn string_to_sign(
    request: &V2Request<'_>,
    source: Source,
    date_line: &[u8],
    resource: &[u8],
) -> Vec<u8> {
    let query = request.uri.query().unwrap_or("");
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(request.method.as_str().as_bytes());
    out.push(b'\n');
    for name in ["content-md5", "content-type"] {
        match request.headers.get(name) {
            Some(v) => out.extend_from_slice(v.as_bytes().trim_ascii()),
            // botocore's presigner moves these headers into the query string.
            None if source == Source::Query => {
                if let Some(v) = query_param_ignore_case(query, name) {
                    out.extend_from_slice(v.as_bytes().trim_ascii());
                }
            }
            None => {}
        }
        out.push(b'\n');
    }
    out.extend_from_slice(date_line);
    out.push(b'\n');
    out.extend_from_slice(&canonical_amz_headers(request.headers, source, query));
    out.extend_from_slice(resource);
    out
}

fn query_param_ignore_case<'q>(query: &'q str, name: &str) -> Option<Cow<'q, str>> {
    query
        .split('&')
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .find(|(k, _)| {
            percent_decode_str(k)
                .decode_utf8_lossy()
                .eq_ignore_ascii_case(name)
        })
        .map(|(_, v)| percent_decode_str(v).decode_utf8_lossy())
}

/// `name:value\n` for every `x-amz-*` header, sorted by lowercased name, repeated headers joined
/// with `,`. A presigned URL's date is its `Expires`, so its `x-amz-date` is not signed; its
/// `x-amz-*` query parameters are (botocore's presigner puts the request's amz headers, such as
/// `x-amz-security-token` or `x-amz-acl`, there), which also means such a parameter cannot be
/// added to someone else's URL.
fn canonical_amz_headers(headers: &HeaderMap, source: Source, query: &str) -> Vec<u8> {
    // `HeaderName`s are lowercase already.
    let mut entries: Vec<(Cow<'_, str>, Cow<'_, [u8]>)> = headers
        .iter()
        .filter(|(name, _)| {
            name.as_str().starts_with("x-amz-")
                && !(source == Source::Query && name.as_str() == "x-amz-date")
        })
        .map(|(name, value)| {
            (
                Cow::Borrowed(name.as_str()),
                Cow::Borrowed(value.as_bytes().trim_ascii()),
            )
        })
        .collect();
    if source == Source::Query {
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let name = percent_decode_str(k)
                .decode_utf8_lossy()
                .to_ascii_lowercase();
            if name.starts_with("x-amz-") {
                let value: Cow<'_, [u8]> = percent_decode_str(v).into();
                let value = value.trim_ascii().to_vec();
                entries.push((Cow::Owned(name), Cow::Owned(value)));
            }
        }
    }
    // Stable: the values of a repeated header keep their order.
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = Vec::with_capacity(entries.len() * 32);
    let mut previous: Option<&str> = None;
    for (name, value) in &entries {
        if previous == Some(name.as_ref()) {
            out.pop(); // the previous line's '\n'
            out.push(b',');
        } else {
            out.extend_from_slice(name.as_bytes());
            out.push(b':');
        }
        out.extend_from_slice(value);
        out.push(b'\n');
        previous = Some(name.as_ref());
    }
    out
}

/// The canonical resource, and for a request to a bucket's root the same resource with its
/// trailing slash toggled: `/bucket` and `/bucket/` name the same thing, signers differ (botocore
/// signs `/bucket/` for a path-style `GET /bucket?acl`, minio-go `/bucket`), and S3 accepts both.
fn canonical_resources(request: &V2Request<'_>) -> (Vec<u8>, Option<Vec<u8>>) {
    let path = match request.uri.path() {
        "" => "/",
        p => p,
    };
    let mut base = Vec::with_capacity(path.len() + 64);
    if let Some(bucket) = request.host_bucket {
        base.push(b'/');
        base.extend_from_slice(bucket.as_bytes());
    }
    base.extend_from_slice(path.as_bytes());
    let bucket_root = match request.host_bucket {
        Some(_) => path == "/",
        None => path.strip_prefix('/').is_some_and(|rest| {
            let bucket = rest.strip_suffix('/').unwrap_or(rest);
            !bucket.is_empty() && !bucket.contains('/')
        }),
    };
    let toggled = bucket_root.then(|| match base.strip_suffix(b"/") {
        Some(bare) => bare.to_vec(),
        None => [base.as_slice(), b"/"].concat(),
    });
    let subresources = signed_subresources(request.uri.query().unwrap_or(""));
    let finish = |mut resource: Vec<u8>| {
        resource.extend_from_slice(&subresources);
        resource
    };
    (finish(base), toggled.map(finish))
}

/// `?a&b=c` for the signed sub-resources present, sorted by name (stably, so repeated names keep
/// their order), values percent-decoded: S3 signs them unencoded. A name sent without `=` is
/// signed without one.
fn signed_subresources(query: &str) -> Vec<u8> {
    let mut found: Vec<(&str, Option<Cow<'_, [u8]>>)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|pair| {
            let (name, value) = match pair.split_once('=') {
                Some((n, v)) => (n, Some(percent_decode_str(v).into())),
                None => (pair, None),
            };
            SUBRESOURCES
                .binary_search(&name)
                .is_ok()
                .then_some((name, value))
        })
        .collect();
    found.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = Vec::new();
    for (i, (name, value)) in found.iter().enumerate() {
        out.push(if i == 0 { b'?' } else { b'&' });
        out.extend_from_slice(name.as_bytes());
        if let Some(v) = value {
            out.push(b'=');
            out.extend_from_slice(v);
        }
    }
    out
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn month(token: &str) -> Option<time::Month> {
    let i = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(token))?;
    time::Month::try_from(u8::try_from(i + 1).ok()?).ok()
}

/// `HH:MM[:SS]`.
fn clock(token: &str) -> Option<time::Time> {
    let mut parts = token.split(':');
    let mut number = || -> Option<u8> {
        let p = parts.next()?;
        (p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse().ok())
            .flatten()
    };
    let (h, m) = (number()?, number()?);
    let s = number().unwrap_or(0);
    if parts.next().is_some() {
        return None;
    }
    time::Time::from_hms(h, m, s).ok()
}

/// `GMT`, `UT`, `UTC`, `Z` or a numeric `+hhmm`/`-hhmm` offset.
fn zone(token: &str) -> Option<time::UtcOffset> {
    if ["GMT", "UT", "UTC", "Z"]
        .iter()
        .any(|z| z.eq_ignore_ascii_case(token))
    {
        return Some(time::UtcOffset::UTC);
    }
    let (sign, digits) = match token.as_bytes().first()? {
        b'+' => (1i8, &token[1..]),
        b'-' => (-1i8, &token[1..]),
        _ => return None,
    };
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i8 = digits[..2].parse().ok()?;
    let minutes: i8 = digits[2..].parse().ok()?;
    time::UtcOffset::from_hms(sign * hours, sign * minutes, 0).ok()
}

/// Two-digit years (RFC 850) are 1970-2069.
fn year(token: &str) -> Option<i32> {
    if !token.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let y: i32 = token.parse().ok()?;
    match token.len() {
        2 if y >= 70 => Some(1900 + y),
        2 => Some(2000 + y),
        4 => Some(y),
        _ => None,
    }
}

/// Parses the timestamp of a SigV2 request (`Date` or `x-amz-date`): the three HTTP date formats
/// (RFC 1123 — also with a numeric zone such as `+0000`, as AWS's own examples use —, RFC 850 and
/// asctime) and SigV4's `yyyyMMdd'T'HHmmss'Z'`. Dates before 1970 are refused like unreadable
/// ones.
pub fn parse_date(text: &str) -> Option<SystemTime> {
    let text = text.trim();
    if let Some(t) = parse_amz_date(text) {
        return Some(t);
    }
    let cleaned = text.replace(',', " ");
    let mut tokens: Vec<&str> = cleaned.split_whitespace().collect();
    // The weekday is optional and not checked against the date.
    if tokens.first().is_some_and(|t| {
        t.len() >= 3 && t.bytes().all(|b| b.is_ascii_alphabetic()) && month(t).is_none()
    }) {
        tokens.remove(0);
    }
    let (day, month, year, clock, zone) = match tokens.as_slice() {
        // RFC 1123 / RFC 822: `06 Nov 1994 08:49:37 GMT`.
        [d, m, y, t, z] if d.bytes().all(|b| b.is_ascii_digit()) => {
            (d.parse().ok()?, month(m)?, year(y)?, clock(t)?, zone(z)?)
        }
        // RFC 850: `06-Nov-94 08:49:37 GMT`.
        [dmy, t, z] => {
            let mut parts = dmy.split('-');
            let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
            if parts.next().is_some() || !d.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (d.parse().ok()?, month(m)?, year(y)?, clock(t)?, zone(z)?)
        }
        // asctime: `Nov  6 08:49:37 1994`, always GMT.
        [m, d, t, y] if d.bytes().all(|b| b.is_ascii_digit()) => (
            d.parse().ok()?,
            month(m)?,
            year(y)?,
            clock(t)?,
            time::UtcOffset::UTC,
        ),
        _ => return None,
    };
    let date = time::Date::from_calendar_date(year, month, day).ok()?;
    let t = time::PrimitiveDateTime::new(date, clock).assume_offset(zone);
    let t = SystemTime::from(t);
    (t >= UNIX_EPOCH).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn subresource_list_is_sorted_for_binary_search() {
        assert!(SUBRESOURCES.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn sign_matches_the_rfc_2202_hmac_sha1_vector() {
        // RFC 2202 test case 2: key "Jefe", data "what do ya want for nothing?".
        let expected = base64::engine::general_purpose::STANDARD
            .encode(hex::decode("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79").unwrap());
        assert_eq!(sign("Jefe", b"what do ya want for nothing?"), expected);
    }

    #[test]
    fn authorization_header_shapes() {
        assert_eq!(
            parse_authorization("AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=").unwrap(),
            ("AKIAIOSFODNN7EXAMPLE", "frJIUN8DYpKDtOLCwo//yllqDzg=")
        );
        let cases = [
            (
                "AWS HAHAHA",
                "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature",
            ),
            (
                "AWS AK:",
                "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature",
            ),
            (
                "AWS AK:a:b",
                "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature",
            ),
            (
                "AWS",
                "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature",
            ),
            (
                "AWS  AK:sig",
                "Authorization header is invalid -- one and only one ' ' (space) required",
            ),
            (
                "AWS AK: sig",
                "Authorization header is invalid -- one and only one ' ' (space) required",
            ),
            (
                "AWS\tAK:sig",
                "Authorization header is invalid -- one and only one ' ' (space) required",
            ),
        ];
        for (value, message) in cases {
            let err = parse_authorization(value).unwrap_err();
            assert_eq!(
                (err.code(), err.to_string().as_str()),
                ("InvalidArgument", message),
                "{value}"
            );
            assert_eq!(
                err.details(),
                vec![
                    ("ArgumentName", "Authorization".to_owned()),
                    ("ArgumentValue", value.to_owned())
                ]
            );
        }
    }

    #[test]
    fn dates_in_every_http_format_and_with_numeric_zones() {
        let t = parse_amz_date("19941106T084937Z").unwrap();
        for text in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 06 Nov 1994 08:49:37 +0000",
            "Sun, 06 Nov 1994 09:49:37 +0100",
            "Sun, 06 Nov 1994 03:49:37 -0500",
            "06 Nov 1994 08:49:37 UTC",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "19941106T084937Z",
            "  Sun, 06 Nov 1994 08:49:37 GMT ",
        ] {
            assert_eq!(parse_date(text), Some(t), "{text}");
        }
        for bad in [
            "",
            "now",
            "Sun, 06 Nov 1994 08:49:37",
            "Sun, 06 Nov 1994 08:49:37 CET",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:00:00 GMT",
            "Sun, 06 Nov 1994 08:49:37 +01",
            "Tue, 07 Jul 1950 21:53:04 GMT",
            "1369353600",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        assert!(parse_date("Tue, 07 Jul 9999 21:53:04 GMT").is_some());
    }

    #[test]
    fn subresources_are_filtered_sorted_and_decoded() {
        let cases = [
            ("", ""),
            ("acl", "?acl"),
            ("acl=", "?acl="),
            ("prefix=photos&max-keys=50&marker=puppy", ""),
            ("versionId=v%2F1&acl", "?acl&versionId=v/1"),
            (
                "uploadId=abc%2Fdef%3D&partNumber=2",
                "?partNumber=2&uploadId=abc/def=",
            ),
            (
                "response-content-disposition=attachment%3B%20filename%3D%22a%20b.txt%22&versionId=v1",
                "?response-content-disposition=attachment; filename=\"a b.txt\"&versionId=v1",
            ),
            ("versionid=1&ACL", ""),
            ("x-id=GetObject&tagging", "?tagging"),
            ("select&select-type=2", "?select&select-type=2"),
            ("a+b=1&delete", "?delete"),
        ];
        for (query, expected) in cases {
            assert_eq!(
                String::from_utf8(signed_subresources(query)).unwrap(),
                expected,
                "{query}"
            );
        }
    }

    #[test]
    fn amz_headers_are_lowercased_sorted_trimmed_and_joined() {
        let mut h = HeaderMap::new();
        h.append(
            "X-Amz-Meta-ReviewedBy",
            "joe@johnsmith.net".parse().unwrap(),
        );
        h.append("x-amz-acl", " public-read ".parse().unwrap());
        h.append(
            "X-Amz-Meta-ReviewedBy",
            "jane@johnsmith.net".parse().unwrap(),
        );
        h.append(
            "x-amz-date",
            "Tue, 27 Mar 2007 21:20:26 +0000".parse().unwrap(),
        );
        h.append("content-type", "text/plain".parse().unwrap());
        assert_eq!(
            String::from_utf8(canonical_amz_headers(&h, Source::Header, "")).unwrap(),
            "x-amz-acl:public-read\nx-amz-date:Tue, 27 Mar 2007 21:20:26 +0000\nx-amz-meta-reviewedby:joe@johnsmith.net,jane@johnsmith.net\n"
        );
        // Presigned: no x-amz-date; amz query parameters count.
        assert_eq!(
            String::from_utf8(canonical_amz_headers(
                &h,
                Source::Query,
                "X-Amz-Security-Token=a%2Bb&Signature=x&x-amz-acl=private"
            ))
            .unwrap(),
            "x-amz-acl:public-read,private\nx-amz-meta-reviewedby:joe@johnsmith.net,jane@johnsmith.net\nx-amz-security-token:a+b\n"
        );
    }

    proptest! {
        #[test]
        fn parsers_never_panic(s in "\\PC{0,60}") {
            let _ = parse_date(&s);
            let _ = parse_authorization(&s);
            let _ = parse_authorization(&format!("AWS {s}"));
            let _ = signed_subresources(&s);
        }
    }
}
