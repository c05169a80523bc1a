//! End-to-end tests of `verify_request` + `verify_body`: AWS's documented S3 examples (header,
//! presigned, chunked, chunked with trailer) and what real clients send. The refusals, the
//! interoperability checks against the official signer, the AWS SigV4 test suite, SigV2 (`v2`)
//! and browser POST uploads (`post`) live in the submodules; the helpers here are shared by all
//! of them.

mod interop;
mod post;
mod refusals;
mod suite;
mod v2;

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::{StreamExt as _, stream};
use http::{HeaderMap, HeaderValue, Method, Uri};
use proptest::prelude::*;

use super::sigv4::{
    CanonicalOptions, SignedHeaders, canonical_headers, canonical_query, canonical_request,
    canonical_uri, format_amz_date, parse_amz_date, signature, string_to_sign,
};
use super::*;
use crate::checksum::{Checksum, ChecksumAlgorithm};

pub(crate) const AK: &str = "AKIAIOSFODNN7EXAMPLE";
pub(crate) const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

pub(crate) struct Keys(pub Vec<(&'static str, &'static str)>);

impl SecretLookup for Keys {
    fn secret_key(&self, access_key: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| *k == access_key)
            .map(|(_, s)| (*s).to_owned())
    }
}

fn keys() -> Keys {
    Keys(vec![(AK, SECRET)])
}

fn doc_time() -> SystemTime {
    parse_amz_date("20130524T000000Z").unwrap()
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.append(
            http::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    h
}

fn with_auth(mut h: HeaderMap, signed: &str, sig: &str) -> HeaderMap {
    let value = format!(
        "AWS4-HMAC-SHA256 Credential={AK}/20130524/us-east-1/s3/aws4_request, SignedHeaders={signed}, Signature={sig}"
    );
    h.insert(http::header::AUTHORIZATION, value.parse().unwrap());
    h
}

fn verify(method: &str, uri: &str, h: &HeaderMap, now: SystemTime) -> Result<Verified, AuthError> {
    verify_request(
        &Method::from_bytes(method.as_bytes()).unwrap(),
        &uri.parse::<Uri>().unwrap(),
        h,
        &keys(),
        "us-east-1",
        None,
        now,
    )
}

/// Signs like a client would, with this module's canonical forms: for tests of behaviour around
/// the signature (the signature math itself is pinned by the AWS vectors below and the suite).
pub(crate) fn sign(
    method: &str,
    uri: &str,
    mut h: HeaderMap,
    t: SystemTime,
    region: &str,
) -> HeaderMap {
    let uri: Uri = uri.parse().unwrap();
    let amz_date = format_amz_date(t);
    h.insert("x-amz-date", amz_date.parse().unwrap());
    let mut names: Vec<String> = h.keys().map(|k| k.as_str().to_owned()).collect();
    names.sort();
    names.dedup();
    let signed = names.join(";");
    let payload = h
        .get("x-amz-content-sha256")
        .map_or(UNSIGNED_PAYLOAD.to_owned(), |v| {
            v.to_str().unwrap().to_owned()
        });
    let canonical = canonical_request(
        method,
        &canonical_uri(uri.path(), CanonicalOptions::S3),
        &canonical_query(uri.query().unwrap_or(""), None),
        &canonical_headers(&h, &SignedHeaders::parse(&signed).unwrap(), None),
        &signed,
        &payload,
    );
    let scope = format!("{}/{region}/s3/aws4_request", &amz_date[..8]);
    let sts = string_to_sign(&amz_date, &scope, &canonical);
    let key = SigningKey::derive(SECRET, t, region, "s3");
    let sig = signature(key.as_ref(), &sts);
    let value = format!(
        "AWS4-HMAC-SHA256 Credential={AK}/{scope}, SignedHeaders={signed}, Signature={sig}"
    );
    h.insert(http::header::AUTHORIZATION, value.parse().unwrap());
    h
}

async fn read_body(
    check: PayloadCheck,
    pieces: Vec<Vec<u8>>,
) -> (Vec<u8>, Result<(), AuthError>, TrailerHandle) {
    let raw = stream::iter(
        pieces
            .into_iter()
            .map(|p| Ok::<_, std::io::Error>(Bytes::from(p))),
    );
    let mut body = verify_body(raw, check);
    let trailer = body.trailer();
    let mut data = Vec::new();
    let mut result = Ok(());
    while let Some(item) = body.next().await {
        match item {
            Ok(b) => data.extend_from_slice(&b),
            Err(e) => result = Err(e),
        }
    }
    (data, result, trailer)
}

fn split(body: &[u8], step: usize) -> Vec<Vec<u8>> {
    body.chunks(step).map(<[u8]>::to_vec).collect()
}

// ---------------------------------------------------------------------------------------------
// AWS's documented S3 examples ("Signature Calculations for the Authorization Header",
// "Authenticating Requests: Using Query Parameters", "Transferring Payload in Multiple Chunks",
// "Including Trailing Headers"). Credentials AKIAIOSFODNN7EXAMPLE / wJalr..., 20130524T000000Z.

#[test]
fn aws_example_get_object_with_range() {
    let h = with_auth(
        headers(&[
            ("host", "examplebucket.s3.amazonaws.com"),
            ("range", "bytes=0-9"),
            ("x-amz-content-sha256", EMPTY_SHA256),
            ("x-amz-date", "20130524T000000Z"),
        ]),
        "host;range;x-amz-content-sha256;x-amz-date",
        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
    );
    let v = verify("GET", "/test.txt", &h, doc_time()).unwrap();
    assert_eq!(v.access_key.as_deref(), Some(AK));
    assert!(!v.presigned);
    assert!(matches!(v.payload, PayloadCheck::Sha256(h) if hex::encode(h) == EMPTY_SHA256));
}

#[tokio::test]
async fn aws_example_put_object_with_date_header_and_signed_payload() {
    let h = with_auth(
        headers(&[
            ("host", "examplebucket.s3.amazonaws.com"),
            ("date", "Fri, 24 May 2013 00:00:00 GMT"),
            ("x-amz-date", "20130524T000000Z"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            (
                "x-amz-content-sha256",
                "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
            ),
        ]),
        "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
        "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
    );
    let v = verify("PUT", "/test%24file.text", &h, doc_time()).unwrap();
    let (data, result, _) = read_body(
        v.payload.clone(),
        vec![b"Welcome to ".to_vec(), b"Amazon S3.".to_vec()],
    )
    .await;
    assert_eq!(data, b"Welcome to Amazon S3.");
    result.unwrap();
    // Same request, other body: the payload hash catches it at the end of the stream.
    let (_, result, _) = read_body(v.payload, vec![b"Welcome to Amazon S4.".to_vec()]).await;
    assert_eq!(result.unwrap_err().code(), "XAmzContentSHA256Mismatch");
}

#[test]
fn aws_example_get_bucket_lifecycle_and_list_objects() {
    let base = headers(&[
        ("host", "examplebucket.s3.amazonaws.com"),
        ("x-amz-content-sha256", EMPTY_SHA256),
        ("x-amz-date", "20130524T000000Z"),
    ]);
    let signed = "host;x-amz-content-sha256;x-amz-date";
    let lifecycle = with_auth(
        base.clone(),
        signed,
        "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
    );
    verify("GET", "/?lifecycle", &lifecycle, doc_time()).unwrap();
    let list = with_auth(
        base,
        signed,
        "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
    );
    verify("GET", "/?max-keys=2&prefix=J", &list, doc_time()).unwrap();
    // Parameter order on the wire does not matter; the canonical query is sorted.
    verify("GET", "/?prefix=J&max-keys=2", &list, doc_time()).unwrap();
}

const PRESIGNED: &str = "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";

#[test]
fn aws_example_presigned_url() {
    let h = headers(&[("host", "examplebucket.s3.amazonaws.com")]);
    let v = verify("GET", PRESIGNED, &h, doc_time() + Duration::from_secs(3600)).unwrap();
    assert_eq!(v.access_key.as_deref(), Some(AK));
    assert!(v.presigned);
    assert!(matches!(v.payload, PayloadCheck::Unsigned));
    // Valid until the last second of its 86400, not after.
    verify(
        "GET",
        PRESIGNED,
        &h,
        doc_time() + Duration::from_secs(86_400),
    )
    .unwrap();
    let err = verify(
        "GET",
        PRESIGNED,
        &h,
        doc_time() + Duration::from_secs(86_401),
    )
    .unwrap_err();
    assert_eq!(
        (err.code(), err.to_string().as_str()),
        ("AccessDenied", "Request has expired")
    );
    assert_eq!(
        err.details(),
        vec![
            ("X-Amz-Expires", "86400".to_owned()),
            ("Expires", "2013-05-25T00:00:00Z".to_owned()),
            ("ServerTime", "2013-05-25T00:00:01Z".to_owned()),
        ]
    );
    // The signature covers the other parameters and the host.
    let tampered = PRESIGNED.replace("X-Amz-Expires=86400", "X-Amz-Expires=86401");
    assert_eq!(
        verify("GET", &tampered, &h, doc_time()).unwrap_err().code(),
        "SignatureDoesNotMatch"
    );
    let other_host = headers(&[("host", "otherbucket.s3.amazonaws.com")]);
    assert_eq!(
        verify("GET", PRESIGNED, &other_host, doc_time())
            .unwrap_err()
            .code(),
        "SignatureDoesNotMatch"
    );
}

fn chunked_headers(payload_mode: &str, trailer: Option<&str>) -> HeaderMap {
    let mut h = headers(&[
        ("host", "s3.amazonaws.com"),
        ("x-amz-date", "20130524T000000Z"),
        ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ("x-amz-content-sha256", payload_mode),
        ("content-encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "66560"),
    ]);
    match trailer {
        Some(t) => {
            h.insert("x-amz-trailer", t.parse().unwrap());
        }
        None => {
            h.insert("content-length", "66824".parse().unwrap());
        }
    }
    h
}

#[tokio::test]
async fn aws_example_chunked_upload_verifies_seed_chunks_and_data() {
    let h = with_auth(
        chunked_headers(STREAMING_PAYLOAD, None),
        "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class",
        crate::auth::chunked::tests::DOC_SEED,
    );
    let v = verify("PUT", "/examplebucket/chunkObject.txt", &h, doc_time()).unwrap();
    assert_eq!(v.payload.decoded_content_length(), Some(66_560));
    let body = crate::auth::chunked::tests::doc_signed_body();
    for step in [1000, 65_536, body.len()] {
        let (data, result, trailer) = read_body(v.payload.clone(), split(&body, step)).await;
        result.unwrap();
        assert_eq!(data, vec![b'a'; 66_560]);
        assert_eq!(trailer.get(), None);
    }
    // A tampered chunk signature is the last item, after the data that preceded it.
    let mut bad = body.clone();
    let at = bad.windows(8).position(|w| w == b"b6c6ea8a").unwrap();
    bad[at] = b'c';
    let (data, result, _) = read_body(v.payload.clone(), split(&bad, 4096)).await;
    assert_eq!(data.len(), 66_560);
    assert_eq!(result.unwrap_err().code(), "SignatureDoesNotMatch");
    // Truncated.
    let (_, result, _) = read_body(v.payload, split(&body[..30_000], 4096)).await;
    assert_eq!(result.unwrap_err().code(), "IncompleteBody");
}

#[tokio::test]
async fn aws_example_chunked_upload_with_signed_trailer() {
    let h = with_auth(
        chunked_headers(STREAMING_PAYLOAD_TRAILER, Some("x-amz-checksum-crc32c")),
        "content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer",
        crate::auth::chunked::tests::DOC_TRAILER_SEED,
    );
    let v = verify("PUT", "/examplebucket/chunkObject.txt", &h, doc_time()).unwrap();
    let PayloadCheck::Chunked(ref c) = v.payload else {
        panic!("expected chunked payload, got {:?}", v.payload)
    };
    assert!(c.is_signed());
    assert_eq!(c.trailer(), Some(ChecksumAlgorithm::Crc32c));
    let body = crate::auth::chunked::tests::doc_signed_trailer_body();
    let (data, result, trailer) = read_body(v.payload.clone(), split(&body, 3000)).await;
    result.unwrap();
    assert_eq!(data.len(), 66_560);
    assert_eq!(trailer.get().unwrap().value, "sOO8/Q==");
}

#[tokio::test]
async fn botocore_unsigned_trailer_upload_without_content_length() {
    // What botocore sends over https: Transfer-Encoding chunked, no Content-Length.
    let data = vec![7u8; 20_000];
    let crc = Checksum::compute(ChecksumAlgorithm::Crc32, &data).value;
    let h = sign(
        "PUT",
        "/bucket/key",
        headers(&[
            ("host", "127.0.0.1:9000"),
            ("x-amz-content-sha256", STREAMING_UNSIGNED_PAYLOAD_TRAILER),
            ("content-encoding", "aws-chunked"),
            ("transfer-encoding", "chunked"),
            ("x-amz-trailer", "x-amz-checksum-crc32"),
            ("x-amz-decoded-content-length", "20000"),
            ("x-amz-sdk-checksum-algorithm", "CRC32"),
            ("expect", "100-continue"),
        ]),
        doc_time(),
        "us-east-1",
    );
    let v = verify("PUT", "/bucket/key", &h, doc_time()).unwrap();
    let mut body = Vec::new();
    for c in data.chunks(16_384) {
        body.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
        body.extend_from_slice(c);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("0\r\nx-amz-checksum-crc32:{crc}\r\n\r\n").as_bytes());
    let (out, result, trailer) = read_body(v.payload.clone(), split(&body, 1500)).await;
    result.unwrap();
    assert_eq!(out, data);
    assert_eq!(trailer.get().unwrap().value, crc);
    // A wrong trailing checksum is refused with S3's BadDigest.
    let wrong = String::from_utf8(body).unwrap().replace(&crc, "AAAAAA==");
    let (_, result, trailer) = read_body(v.payload, split(wrong.as_bytes(), 1500)).await;
    let err = result.unwrap_err();
    assert_eq!(
        (err.code(), err.to_string().as_str()),
        (
            "BadDigest",
            "The CRC32 you specified did not match the calculated checksum."
        )
    );
    assert_eq!(trailer.get(), None);
}

// ---------------------------------------------------------------------------------------------
// What real clients send.

#[test]
fn s3cmd_style_header_without_spaces_and_go_sdk_x_id() {
    let h = sign(
        "PUT",
        "/b/k?x-id=PutObject",
        headers(&[
            ("host", "127.0.0.1:9000"),
            ("x-amz-content-sha256", UNSIGNED_PAYLOAD),
        ]),
        doc_time(),
        "us-east-1",
    );
    let compact = h
        .get("authorization")
        .unwrap()
        .to_str()
        .unwrap()
        .replace(", ", ",");
    let mut h2 = h.clone();
    h2.insert("authorization", compact.parse().unwrap());
    for h in [h, h2] {
        let v = verify("PUT", "/b/k?x-id=PutObject", &h, doc_time()).unwrap();
        assert!(matches!(v.payload, PayloadCheck::Unsigned));
        // x-id is part of what was signed.
        assert_eq!(
            verify("PUT", "/b/k", &h, doc_time()).unwrap_err().code(),
            "SignatureDoesNotMatch"
        );
    }
}

#[test]
fn keys_with_reserved_and_unicode_characters_verify() {
    for path in [
        "/b/a%20b%2Bc",
        "/b/a+b",
        "/b/%E2%82%AC%20price.txt",
        "/b/dir/../x",
        "/b//double//slash",
        "/b/100%25",
        "/b/~tilde_-.",
        "/b/sp%20ace?list-type=2&prefix=env%3A%2F&encoding-type=url",
    ] {
        let h = sign(
            "GET",
            path,
            headers(&[
                ("host", "127.0.0.1:9000"),
                ("x-amz-content-sha256", EMPTY_SHA256),
            ]),
            doc_time(),
            "us-east-1",
        );
        verify("GET", path, &h, doc_time()).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
}

#[test]
fn anonymous_requests_are_recognised() {
    let v = verify("GET", "/b/k", &headers(&[("host", "h")]), doc_time()).unwrap();
    assert_eq!(v.access_key, None);
    assert!(!v.presigned);
    let v = verify(
        "GET",
        "/b/k",
        &headers(&[("host", "h"), ("authorization", " ")]),
        doc_time(),
    )
    .unwrap();
    assert_eq!(v.access_key, None);
    let h = headers(&[
        ("host", "h"),
        ("x-amz-content-sha256", STREAMING_UNSIGNED_PAYLOAD_TRAILER),
        ("x-amz-decoded-content-length", "3"),
    ]);
    assert!(matches!(
        verify("PUT", "/b/k", &h, doc_time()).unwrap().payload,
        PayloadCheck::Chunked(_)
    ));
    let h = headers(&[("host", "h"), ("x-amz-content-sha256", STREAMING_PAYLOAD)]);
    assert_eq!(
        verify("PUT", "/b/k", &h, doc_time()).unwrap_err().code(),
        "InvalidRequest"
    );
}
