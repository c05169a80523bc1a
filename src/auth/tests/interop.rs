//! Interoperability: requests signed by the official signer (the `aws-sigv4` crate, with the
//! settings the Rust S3 SDK uses: single encoding, no normalization) verify here, for random keys,
//! query parameters and metadata headers, in both header and presigned form.

use super::*;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation,
    SigningSettings, UriPathNormalizationMode, sign as official_sign,
};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// How SDKs put keys and query values on the wire: everything but unreserved encoded.
const SDK_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn signed_request(
    method: &str,
    path_and_query: &str,
    extra: &[(String, String)],
    body: &[u8],
    presign: bool,
) -> http::Request<()> {
    let identity = aws_credential_types::Credentials::new(AK, SECRET, None, None, "test").into();
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    if presign {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(Duration::from_secs(900));
    } else {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("s3")
        .time(doc_time())
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let url = format!("https://bucket.example.com{path_and_query}");
    let body = if presign {
        SignableBody::UnsignedPayload
    } else {
        SignableBody::Bytes(body)
    };
    let signable = SignableRequest::new(
        method,
        url.as_str(),
        extra.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        body,
    )
    .unwrap();
    let (instructions, _) = official_sign(signable, &params).unwrap().into_parts();
    let mut req = http::Request::builder()
        .method(method)
        .uri(&url)
        .body(())
        .unwrap();
    for (k, v) in extra {
        req.headers_mut().append(
            http::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    instructions.apply_to_request_http1x(&mut req);
    // As a server sees it: origin-form target plus a Host header.
    let target: Uri = req
        .uri()
        .path_and_query()
        .unwrap()
        .as_str()
        .parse()
        .unwrap();
    *req.uri_mut() = target;
    req.headers_mut()
        .insert("host", HeaderValue::from_static("bucket.example.com"));
    req
}

fn check(req: &http::Request<()>) -> Result<Verified, AuthError> {
    verify_request(
        req.method(),
        req.uri(),
        req.headers(),
        &keys(),
        "us-east-1",
        None,
        doc_time(),
    )
}

#[tokio::test]
async fn official_signer_put_with_body_and_metadata() {
    let extra = vec![
        ("content-type".to_owned(), "text/plain".to_owned()),
        ("x-amz-meta-note".to_owned(), "two  spaces".to_owned()),
    ];
    let req = signed_request(
        "PUT",
        "/b/dir/caf%C3%A9%20%2B%20tea.txt?x-id=PutObject",
        &extra,
        b"payload",
        false,
    );
    let v = check(&req).unwrap();
    let (data, result, _) = read_body(v.payload, vec![b"payload".to_vec()]).await;
    result.unwrap();
    assert_eq!(data, b"payload");
    let req = signed_request("GET", "/b/dir/caf%C3%A9%20%2B%20tea.txt", &[], b"", true);
    assert!(check(&req).unwrap().presigned);
}

#[tokio::test]
async fn presigned_put_honours_the_body_framing_header() {
    // A presigned URL's canonical request says UNSIGNED-PAYLOAD; the (signed) header says the
    // body is aws-chunked, so it is decoded rather than stored with its framing.
    let extra = vec![
        (
            "x-amz-content-sha256".to_owned(),
            STREAMING_UNSIGNED_PAYLOAD_TRAILER.to_owned(),
        ),
        ("x-amz-decoded-content-length".to_owned(), "5".to_owned()),
    ];
    let req = signed_request("PUT", "/b/k", &extra, b"", true);
    let v = check(&req).unwrap();
    assert!(v.presigned);
    assert_eq!(v.payload.decoded_content_length(), Some(5));
    let (data, result, _) = read_body(v.payload, vec![b"5\r\nhello\r\n0\r\n\r\n".to_vec()]).await;
    result.unwrap();
    assert_eq!(data, b"hello");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn official_signer_requests_verify(
        segments in proptest::collection::vec("[a-zA-Z0-9 !$&'()*+,;=:@%~._é€-]{1,10}", 1..4),
        params in proptest::collection::vec(("[a-zA-Z0-9_.~-]{1,8}", "[a-zA-Z0-9 /+=&%é-]{0,10}"), 0..4),
        meta in proptest::collection::vec(("[a-z0-9]{1,8}", "[!-~]{1,6}( {1,3}[!-~]{1,6}){0,2}"), 0..3),
        presign in any::<bool>(),
        body in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut path = String::from("/bucket");
        for s in &segments {
            path.push('/');
            path.push_str(&utf8_percent_encode(s, SDK_ENCODE).to_string());
        }
        let query: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, SDK_ENCODE)))
            .collect();
        let target = if query.is_empty() { path } else { format!("{path}?{}", query.join("&")) };
        let extra: Vec<(String, String)> = meta
            .iter()
            .map(|(k, v)| (format!("x-amz-meta-{k}"), v.clone()))
            .collect();
        let req = signed_request("PUT", &target, &extra, &body, presign);
        let verified = check(&req);
        prop_assert!(verified.is_ok(), "{target} presign={presign}: {:?}", verified.err());
        let v = verified.unwrap();
        prop_assert_eq!(v.presigned, presign);
        prop_assert_eq!(v.access_key.as_deref(), Some(AK));
    }
}
