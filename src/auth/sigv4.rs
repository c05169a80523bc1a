//! The pure parts of AWS Signature Version 4: canonical request, string to sign, signature, and
//! parsing of the `Authorization` header, the credential scope and the dates SigV4 uses.
//!
//! Everything here works on the request *as received*: the canonical URI is rebuilt from the
//! path bytes on the wire, the canonical query from the raw query string, the canonical headers
//! from the header values hyper handed us, in the order and with the names the client said it
//! signed. Nothing here performs I/O or looks up secrets; `super::verify` drives it.
//!
//! S3 differs from the other AWS services in two ways that matter here, and [`CanonicalOptions::S3`]
//! encodes both: the path is not normalized (`/a/../b` and `//` are signed as sent) and it is
//! encoded once (decode what arrived, then UriEncode each byte), not twice.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use http::HeaderMap;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, percent_encode};
use sha2::{Digest, Sha256};

use super::error::AuthError;

/// The only signing algorithm accepted (SigV4a's ECDSA variant is not supported).
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The scope terminator.
pub const TERMINATOR: &str = "aws4_request";
/// Hex SHA-256 of the empty string: the payload hash of a body-less request.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// AWS UriEncode: everything but the unreserved set `A-Z a-z 0-9 - . _ ~` is percent-encoded
/// with uppercase hex.
const URI_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// UriEncode for the path: `/` separates segments and is kept.
const URI_ENCODE_PATH: &AsciiSet = &URI_ENCODE.remove(b'/');

/// How the canonical URI is derived from the request path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CanonicalOptions {
    /// Remove `.`/`..` segments and empty segments (every service but S3).
    pub normalize_path: bool,
    /// Encode the path as sent once more instead of decoding it first (every service but S3).
    pub double_encode: bool,
}

impl CanonicalOptions {
    /// What S3 does: neither.
    pub const S3: CanonicalOptions = CanonicalOptions {
        normalize_path: false,
        double_encode: false,
    };
}

/// The canonical URI of a request path (`uri.path()`, still percent-encoded as received).
pub fn canonical_uri(path: &str, opts: CanonicalOptions) -> String {
    let path = if path.is_empty() { "/" } else { path };
    let path = if opts.normalize_path {
        Cow::Owned(normalize_path(path))
    } else {
        Cow::Borrowed(path)
    };
    if opts.double_encode {
        percent_encode(path.as_bytes(), URI_ENCODE_PATH).to_string()
    } else {
        let raw: Cow<[u8]> = percent_decode_str(&path).into();
        percent_encode(&raw, URI_ENCODE_PATH).to_string()
    }
}

/// RFC 3986 remove_dot_segments plus collapsing of empty segments, keeping a trailing slash:
/// the normalization the non-S3 services apply before signing.
fn normalize_path(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut out = String::with_capacity(path.len());
    for s in &segments {
        out.push('/');
        out.push_str(s);
    }
    if out.is_empty() || path.ends_with('/') {
        out.push('/');
    }
    out
}

/// UriEncode of a percent-decoded query component (`/` is encoded too). `+` is a literal plus:
/// SigV4 signers never use it for a space, so decoding it as one would break their signatures.
fn encode_query_component(raw: &str) -> String {
    let decoded: Cow<[u8]> = percent_decode_str(raw).into();
    percent_encode(&decoded, URI_ENCODE).to_string()
}

/// The canonical query string: every parameter (empty values and valueless keys included),
/// decoded then UriEncoded, sorted by key then value. `exclude` drops one parameter by its
/// (decoded) name: `X-Amz-Signature` for presigned URLs.
pub fn canonical_query(query: &str, exclude: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (encode_query_component(k), encode_query_component(v))
        })
        // The excluded names are unreserved-only, so their encoded form is the name itself.
        .filter(|(k, _)| Some(k.as_str()) != exclude)
        .collect();
    pairs.sort_unstable();
    let mut out = String::with_capacity(query.len() + 8);
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// The first value of query parameter `name`, percent-decoded; `None` if absent or not UTF-8.
pub fn query_param<'q>(query: &'q str, name: &str) -> Option<Cow<'q, str>> {
    query
        .split('&')
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .find(|(k, _)| percent_decode_str(k).decode_utf8().is_ok_and(|k| k == name))
        .and_then(|(_, v)| percent_decode_str(v).decode_utf8().ok())
}

/// The query's parameter names, percent-decoded (names that are not UTF-8 are skipped).
pub fn query_keys(query: &str) -> impl Iterator<Item = Cow<'_, str>> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').map_or(p, |(k, _)| k))
        .filter_map(|k| percent_decode_str(k).decode_utf8().ok())
}

/// Appends a header value trimmed, with inner runs of spaces collapsed to one.
fn push_trimmed(out: &mut Vec<u8>, value: &[u8]) {
    let is_ws = |b: &u8| *b == b' ' || *b == b'\t';
    let start = value.iter().position(|b| !is_ws(b)).unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|b| !is_ws(b))
        .map_or(start, |i| i + 1);
    let value = &value[start..end];
    // Almost every value has no run of spaces (most have no space at all): copy it whole.
    if !value.contains(&b' ') || !value.windows(2).any(|w| w == b"  ") {
        out.extend_from_slice(value);
        return;
    }
    let mut previous_space = false;
    for &b in value {
        if b == b' ' {
            if !previous_space {
                out.push(b' ');
            }
            previous_space = true;
        } else {
            out.push(b);
            previous_space = false;
        }
    }
}

/// The canonical headers block: one `name:value\n` line per signed header, in the order the
/// client listed them. Repeated headers are joined with `,`. A signed header that is absent is
/// left out, as S3 does (some clients list `transfer-encoding` that a proxy then drops); `host`
/// falls back to the URI authority for requests that carry it there instead of in a header.
pub fn canonical_headers(
    headers: &HeaderMap,
    signed: &SignedHeaders<'_>,
    authority: Option<&str>,
) -> Vec<u8> {
    // One pass over the request headers rather than one HeaderMap lookup per signed name: a
    // lookup by `&str` re-parses the name, which dominated verify_request's profile.
    let mut found: Vec<(usize, &[u8])> = Vec::with_capacity(signed.names.len() + 4);
    for (name, value) in headers {
        let name = name.as_str();
        // Names are lowercase on both sides in practice: try the plain comparison first.
        let same = |n: &&str| n.len() == name.len() && (*n == name || n.eq_ignore_ascii_case(name));
        if let Some(i) = signed.names.iter().position(same) {
            found.push((i, value.as_bytes()));
        }
    }
    // Stable: the values of a repeated header keep the order they arrived in.
    found.sort_by_key(|(i, _)| *i);
    let mut found = found.into_iter().peekable();
    let mut out = Vec::with_capacity(512);
    for (i, name) in signed.names.iter().enumerate() {
        let mut present = false;
        while let Some((_, value)) = found.next_if(|(j, _)| *j == i) {
            if present {
                out.push(b',');
            } else {
                out.extend(name.bytes().map(|b| b.to_ascii_lowercase()));
                out.push(b':');
                present = true;
            }
            push_trimmed(&mut out, value);
        }
        if present {
            out.push(b'\n');
        } else if let (Some(a), true) = (authority, name.eq_ignore_ascii_case("host")) {
            out.extend_from_slice(b"host:");
            push_trimmed(&mut out, a.as_bytes());
            out.push(b'\n');
        }
    }
    out
}

/// The full canonical request. Bytes, not `String`: header values may be any visible octet.
pub fn canonical_request(
    method: &str,
    canonical_uri: &str,
    canonical_query: &str,
    canonical_headers: &[u8],
    signed_headers: &str,
    payload_hash: &str,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        method.len()
            + canonical_uri.len()
            + canonical_query.len()
            + canonical_headers.len()
            + signed_headers.len()
            + payload_hash.len()
            + 6,
    );
    for part in [
        method.as_bytes(),
        canonical_uri.as_bytes(),
        canonical_query.as_bytes(),
    ] {
        out.extend_from_slice(part);
        out.push(b'\n');
    }
    out.extend_from_slice(canonical_headers);
    out.push(b'\n');
    out.extend_from_slice(signed_headers.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(payload_hash.as_bytes());
    out
}

/// `AWS4-HMAC-SHA256\n<amz date>\n<scope>\n<hex sha256(canonical request)>`.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &[u8]) -> String {
    let mut out = String::with_capacity(ALGORITHM.len() + amz_date.len() + scope.len() + 67);
    for part in [ALGORITHM, amz_date, scope] {
        out.push_str(part);
        out.push('\n');
    }
    push_hex(&mut out, &Sha256::digest(canonical_request));
    out
}

/// Appends lowercase hex (`hex::encode` builds its string a char at a time, which showed up in
/// the profile of a request with two digests to format).
pub fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
}

/// Lowercase hex HMAC-SHA256 of `string_to_sign` under the derived signing key.
pub fn signature(signing_key: &[u8], string_to_sign: &str) -> String {
    aws_sigv4::sign::v4::calculate_signature(signing_key, string_to_sign.as_bytes())
}

/// Constant-time comparison of two hex signatures.
pub fn signatures_match(computed: &str, provided: &str) -> bool {
    use subtle::ConstantTimeEq as _;
    computed.len() == provided.len() && bool::from(computed.as_bytes().ct_eq(provided.as_bytes()))
}

/// The `SignedHeaders` list: the raw text (it goes into the canonical request verbatim) and the
/// names split once, since they are looked up per request header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedHeaders<'a> {
    raw: &'a str,
    names: Vec<&'a str>,
}

impl<'a> SignedHeaders<'a> {
    /// Validates the shape: non-empty names separated by single `;`.
    pub fn parse(raw: &'a str) -> Option<Self> {
        let valid =
            |n: &&str| !n.is_empty() && n.bytes().all(|b| b.is_ascii_graphic() && b != b':');
        let mut names = Vec::with_capacity(16);
        for name in raw.split(';') {
            if !valid(&name) {
                return None;
            }
            names.push(name);
        }
        Some(SignedHeaders { raw, names })
    }

    /// The list as the client sent it.
    pub fn raw(&self) -> &'a str {
        self.raw
    }

    pub fn contains(&self, name: &str) -> bool {
        self.names.iter().any(|n| n.eq_ignore_ascii_case(name))
    }
}

/// The credential scope `<access key>/<yyyymmdd>/<region>/<service>/aws4_request`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Credential<'a> {
    pub access_key: &'a str,
    pub date: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    pub terminator: &'a str,
}

impl<'a> Credential<'a> {
    /// Splits the five parts; `None` when the shape is wrong (the caller words the error, which
    /// differs between header and query authentication).
    pub fn parse(raw: &'a str) -> Option<Self> {
        let mut parts = raw.split('/');
        let credential = Credential {
            access_key: parts.next()?,
            date: parts.next()?,
            region: parts.next()?,
            service: parts.next()?,
            terminator: parts.next()?,
        };
        let well_formed = parts.next().is_none()
            && !credential.access_key.is_empty()
            && credential.date.len() == 8
            && credential.date.bytes().all(|b| b.is_ascii_digit())
            && !credential.region.is_empty()
            && !credential.service.is_empty();
        well_formed.then_some(credential)
    }

    /// `<date>/<region>/<service>/aws4_request`, the scope line of every string to sign.
    pub fn scope(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.date, self.region, self.service, self.terminator
        )
    }
}

/// A parsed `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizationHeader<'a> {
    pub credential: Credential<'a>,
    pub signed_headers: SignedHeaders<'a>,
    pub signature: &'a str,
}

fn malformed(reason: impl Into<String>) -> AuthError {
    AuthError::AuthorizationHeaderMalformed {
        reason: reason.into(),
        region: None,
    }
}

pub(crate) const CREDENTIAL_SHAPE: &str =
    "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".";

impl<'a> AuthorizationHeader<'a> {
    /// Parses the value after the algorithm has been recognised. Components may be separated by
    /// `, ` (the SDKs) or `,` (s3cmd) and appear in any order.
    pub fn parse(value: &'a str) -> Result<Self, AuthError> {
        let rest = value
            .trim()
            .strip_prefix(ALGORITHM)
            .filter(|r| r.is_empty() || r.starts_with([' ', '\t']))
            .ok_or_else(|| {
                malformed(format!(
                    "the authorization component \"{value}\" is malformed."
                ))
            })?;
        let (mut credential, mut signed_headers, mut signature) = (None, None, None);
        for component in rest.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            let bad = || {
                malformed(format!(
                    "the authorization component \"{component}\" is malformed."
                ))
            };
            let (key, val) = component.split_once('=').ok_or_else(bad)?;
            let slot = match key.trim() {
                "Credential" => &mut credential,
                "SignedHeaders" => &mut signed_headers,
                "Signature" => &mut signature,
                _ => return Err(bad()),
            };
            if slot.replace(val.trim()).is_some() {
                return Err(bad());
            }
        }
        let (Some(credential), Some(signed_headers), Some(signature)) =
            (credential, signed_headers, signature)
        else {
            return Err(malformed(
                "the authorization header requires three components: Credential, SignedHeaders, and Signature.",
            ));
        };
        let credential =
            Credential::parse(credential).ok_or_else(|| malformed(CREDENTIAL_SHAPE))?;
        let signed_headers = SignedHeaders::parse(signed_headers).ok_or_else(|| {
            malformed(format!(
                "the authorization component \"SignedHeaders={signed_headers}\" is malformed."
            ))
        })?;
        Ok(AuthorizationHeader {
            credential,
            signed_headers,
            signature,
        })
    }
}

/// Parses SigV4's ISO 8601 basic timestamp `yyyyMMdd'T'HHmmss'Z'` (x-amz-date, X-Amz-Date).
pub fn parse_amz_date(s: &str) -> Option<SystemTime> {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    if s.len() != 16 {
        return None;
    }
    let t = time::PrimitiveDateTime::parse(s, format).ok()?.assume_utc();
    Some(SystemTime::from(t))
}

/// Parses an HTTP `Date` header (IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`), the fallback
/// when a request has no x-amz-date.
pub fn parse_http_date(s: &str) -> Option<SystemTime> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let t = time::PrimitiveDateTime::parse(s.trim(), format)
        .ok()?
        .assume_utc();
    Some(SystemTime::from(t))
}

/// Formats a time as SigV4's `yyyyMMdd'T'HHmmss'Z'`.
pub fn format_amz_date(t: SystemTime) -> String {
    let t = time::OffsetDateTime::from(t);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Formats a time as ISO 8601 with `Z`, the form S3 uses in `<ServerTime>` and `<Expires>`.
pub fn format_iso8601(t: SystemTime) -> String {
    let t = time::OffsetDateTime::from(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// |a - b|.
pub fn distance(a: SystemTime, b: SystemTime) -> Duration {
    a.duration_since(b).unwrap_or_else(|e| e.duration())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn s3_canonical_uri_decodes_then_encodes_once_and_keeps_dots() {
        let s3 = CanonicalOptions::S3;
        let cases = [
            ("", "/"),
            ("/", "/"),
            ("/examplebucket/myphoto.jpg", "/examplebucket/myphoto.jpg"),
            ("/test%24file.text", "/test%24file.text"),
            ("/test$file.text", "/test%24file.text"),
            ("/b/a%20b+c", "/b/a%20b%2Bc"),
            ("/b/%E1%88%B4", "/b/%E1%88%B4"),
            ("/b/%e1%88%b4", "/b/%E1%88%B4"),
            ("/b/a/../c//d/./e", "/b/a/../c//d/./e"),
            // An encoded slash is a slash once decoded: keys are signed as their decoded bytes.
            ("/b/%2F", "/b//"),
            ("/b/~-._", "/b/~-._"),
            ("/b/100%", "/b/100%25"),
        ];
        for (path, expected) in cases {
            assert_eq!(canonical_uri(path, s3), expected, "{path}");
        }
    }

    #[test]
    fn other_services_normalize_and_double_encode() {
        let opts = CanonicalOptions {
            normalize_path: true,
            double_encode: true,
        };
        assert_eq!(canonical_uri("/a/b/../c", opts), "/a/c");
        assert_eq!(canonical_uri("//x//", opts), "/x/");
        assert_eq!(canonical_uri("/a%3Ab", opts), "/a%253Ab");
        assert_eq!(normalize_path("/./"), "/");
        assert_eq!(normalize_path("/example/.."), "/");
    }

    #[test]
    fn canonical_query_decodes_encodes_and_sorts_by_key_then_value() {
        let cases = [
            ("", ""),
            ("acl", "acl="),
            ("uploads=", "uploads="),
            ("x-id=PutObject", "x-id=PutObject"),
            ("prefix=a%2Fb&delimiter=/", "delimiter=%2F&prefix=a%2Fb"),
            ("b=2&a=1&a=0", "a=0&a=1&b=2"),
            ("Param-3=Value3&Param=Value2", "Param=Value2&Param-3=Value3"),
            ("k=a+b&s=a%20b", "k=a%2Bb&s=a%20b"),
            (
                "list-type=2&prefix=env%3A%2F",
                "list-type=2&prefix=env%3A%2F",
            ),
            ("a=1&&b=2&", "a=1&b=2"),
            ("v=%7e", "v=~"),
        ];
        for (query, expected) in cases {
            assert_eq!(canonical_query(query, None), expected, "{query}");
        }
        assert_eq!(
            canonical_query("X-Amz-Signature=abc&X-Amz-Date=1", Some("X-Amz-Signature")),
            "X-Amz-Date=1"
        );
    }

    #[test]
    fn query_param_lookup_decodes() {
        let q = "X-Amz-Credential=AK%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&acl";
        assert_eq!(
            query_param(q, "X-Amz-Credential").as_deref(),
            Some("AK/20130524/us-east-1/s3/aws4_request")
        );
        assert_eq!(query_param(q, "acl").as_deref(), Some(""));
        assert!(query_param(q, "x-amz-credential").is_none());
        assert!(query_keys(q).any(|k| k == "acl"));
        assert!(!query_keys(q).any(|k| k == "X-Amz-Signature"));
    }

    #[test]
    fn canonical_headers_trim_collapse_join_and_skip_absent() {
        let mut h = HeaderMap::new();
        h.insert("host", "example.com".parse().unwrap());
        h.append("my-header1", "  a   b  ".parse().unwrap());
        h.append("my-header1", "c".parse().unwrap());
        h.insert("x-amz-date", "20150830T123600Z".parse().unwrap());
        let signed = SignedHeaders::parse("host;my-header1;transfer-encoding;x-amz-date").unwrap();
        assert_eq!(
            String::from_utf8(canonical_headers(&h, &signed, None)).unwrap(),
            "host:example.com\nmy-header1:a b,c\nx-amz-date:20150830T123600Z\n"
        );
        h.remove("host");
        assert_eq!(
            String::from_utf8(canonical_headers(
                &h,
                &SignedHeaders::parse("host").unwrap(),
                Some("b.example:9000")
            ))
            .unwrap(),
            "host:b.example:9000\n"
        );
    }

    #[test]
    fn authorization_header_parses_sdk_and_s3cmd_forms() {
        let sdk = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-date, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024";
        let s3cmd = sdk.replace(", ", ",");
        for value in [sdk.to_owned(), s3cmd, sdk.replace(", ", " ,  ")] {
            let a = AuthorizationHeader::parse(&value).unwrap();
            assert_eq!(a.credential.access_key, "AKIAIOSFODNN7EXAMPLE");
            assert_eq!(a.credential.scope(), "20130524/us-east-1/s3/aws4_request");
            assert_eq!(a.signed_headers.raw(), "host;range;x-amz-date");
            assert!(a.signed_headers.contains("host"));
            assert_eq!(&a.signature[..8], "fe5f80f7");
        }
    }

    #[test]
    fn malformed_authorization_headers_get_s3_messages() {
        let cases = [
            (
                "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, Signature=ab",
                "The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.",
            ),
            (
                "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/aws4_request, SignedHeaders=host, Signature=ab",
                "The authorization header is malformed; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".",
            ),
            (
                "AWS4-HMAC-SHA256 Credential=AK/2013-05-24/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=ab",
                "The authorization header is malformed; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".",
            ),
            (
                "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=ab, Foo=bar",
                "The authorization header is malformed; the authorization component \"Foo=bar\" is malformed.",
            ),
            (
                "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;;date, Signature=ab",
                "The authorization header is malformed; the authorization component \"SignedHeaders=host;;date\" is malformed.",
            ),
            (
                "AWS4-HMAC-SHA256 Credential",
                "The authorization header is malformed; the authorization component \"Credential\" is malformed.",
            ),
            (
                "AWS4-HMAC-SHA256Credential=x",
                "The authorization header is malformed; the authorization component \"AWS4-HMAC-SHA256Credential=x\" is malformed.",
            ),
        ];
        for (value, message) in cases {
            let err = AuthorizationHeader::parse(value).unwrap_err();
            assert_eq!(err.code(), "AuthorizationHeaderMalformed", "{value}");
            assert_eq!(err.to_string(), message, "{value}");
        }
    }

    #[test]
    fn dates_parse_and_format() {
        let t = parse_amz_date("20130524T000000Z").unwrap();
        assert_eq!(format_amz_date(t), "20130524T000000Z");
        assert_eq!(format_iso8601(t), "2013-05-24T00:00:00Z");
        assert_eq!(parse_http_date("Fri, 24 May 2013 00:00:00 GMT"), Some(t));
        for bad in [
            "",
            "20130524T000000",
            "2013-05-24T00:00:00Z",
            "20131324T000000Z",
            "20130524T000000Z ",
        ] {
            assert!(parse_amz_date(bad).is_none(), "{bad}");
        }
        assert!(parse_http_date("Fri, 24 May 2013 00:00:00 CET").is_none());
        assert_eq!(
            distance(t, t + Duration::from_secs(5)),
            Duration::from_secs(5)
        );
        assert_eq!(
            distance(t + Duration::from_secs(5), t),
            Duration::from_secs(5)
        );
    }

    #[test]
    fn signature_comparison_is_exact() {
        assert!(signatures_match("abcd", "abcd"));
        assert!(!signatures_match("abcd", "abce"));
        assert!(!signatures_match("abcd", "abc"));
        assert!(!signatures_match("abcd", "ABCD"));
    }

    proptest! {
        #[test]
        fn authorization_parse_never_panics(s in "\\PC{0,200}") {
            let _ = AuthorizationHeader::parse(&s);
            let _ = AuthorizationHeader::parse(&format!("AWS4-HMAC-SHA256 {s}"));
        }

        #[test]
        fn canonical_forms_never_panic(path in "\\PC{0,100}", query in "\\PC{0,100}") {
            let _ = canonical_uri(&path, CanonicalOptions::S3);
            let _ = canonical_uri(&path, CanonicalOptions { normalize_path: true, double_encode: true });
            let _ = canonical_query(&query, Some("X-Amz-Signature"));
            let _ = query_param(&query, "X-Amz-Date");
        }

        #[test]
        fn canonical_uri_is_idempotent_in_s3_mode(path in "/[a-zA-Z0-9%/ ._~+-]{0,60}") {
            // Decoding then encoding once: feeding the canonical form back in must not change it,
            // which is what makes S3's single encoding stable for keys with '%' in them.
            let once = canonical_uri(&path, CanonicalOptions::S3);
            prop_assert_eq!(canonical_uri(&once, CanonicalOptions::S3), once);
        }
    }
}
