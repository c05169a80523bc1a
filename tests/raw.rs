//! Negative and malformed requests over raw HTTP: what the SDK would never send.

mod common;

use std::time::{Duration, SystemTime};

use base64::Engine;
use common::{
    RawResponse, TestServer, raw_exchange, raw_request, sha256_hex, signed_headers, signed_request,
};
use hmac::Mac;

fn put(server: &TestServer, path: &str, extra: &[(&str, &str)], body: &[u8]) -> RawResponse {
    raw_exchange(
        &server.addr,
        &signed_request("PUT", &server.addr, path, extra, body),
    )
}

fn get(server: &TestServer, path: &str) -> RawResponse {
    raw_exchange(
        &server.addr,
        &signed_request("GET", &server.addr, path, &[], b""),
    )
}

fn server_with_bucket(bucket: &str) -> TestServer {
    let server = TestServer::start();
    let response = put(&server, &format!("/{bucket}"), &[], b"");
    assert_eq!(response.status, 200, "{}", response.body_text());
    server
}

fn assert_error(response: &RawResponse, status: u16, code: &str) {
    assert_eq!(response.status, status, "{}", response.body_text());
    assert_eq!(response.error_code(), code, "{}", response.body_text());
    assert!(
        response
            .header("x-amz-request-id")
            .is_some_and(|id| !id.is_empty())
    );
    assert_eq!(response.header("content-type"), Some("application/xml"));
    assert!(common::xml_value(&response.body_text(), "RequestId").is_some());
}

#[test]
fn anonymous_requests_are_access_denied() {
    let server = server_with_bucket("anon");
    let response = raw_exchange(
        &server.addr,
        &raw_request(
            "GET",
            "/anon/k",
            &[("host".into(), server.addr.clone())],
            b"",
        ),
    );
    assert_error(&response, 403, "AccessDenied");
    let response = raw_exchange(
        &server.addr,
        &raw_request("GET", "/", &[("host".into(), server.addr.clone())], b""),
    );
    assert_error(&response, 403, "AccessDenied");
}

#[test]
fn every_response_carries_a_request_id() {
    let server = server_with_bucket("ids");
    let ok = get(&server, "/ids?list-type=2");
    assert_eq!(ok.status, 200);
    assert!(ok.header("x-amz-request-id").is_some());
}

#[test]
fn a_wrong_signature_is_signature_does_not_match() {
    let server = server_with_bucket("sig");
    let mut headers = signed_headers(
        "GET",
        &server.addr,
        "/sig/k",
        &[],
        &sha256_hex(b""),
        SystemTime::now(),
    );
    for (name, value) in headers.iter_mut() {
        if name.eq_ignore_ascii_case("authorization") {
            let last = value.pop().expect("signature char");
            value.push(if last == '0' { '1' } else { '0' });
        }
    }
    let response = raw_exchange(&server.addr, &raw_request("GET", "/sig/k", &headers, b""));
    assert_error(&response, 403, "SignatureDoesNotMatch");
}

#[test]
fn a_tampered_path_or_header_breaks_the_signature() {
    let server = server_with_bucket("tamper");
    let headers = signed_headers(
        "GET",
        &server.addr,
        "/tamper/a",
        &[("x-amz-meta-z", "1")],
        &sha256_hex(b""),
        SystemTime::now(),
    );
    let response = raw_exchange(
        &server.addr,
        &raw_request("GET", "/tamper/b", &headers, b""),
    );
    assert_error(&response, 403, "SignatureDoesNotMatch");
    let changed: Vec<_> = headers
        .iter()
        .map(|(k, v)| {
            if k == "x-amz-meta-z" {
                (k.clone(), "2".to_string())
            } else {
                (k.clone(), v.clone())
            }
        })
        .collect();
    let response = raw_exchange(
        &server.addr,
        &raw_request("GET", "/tamper/a", &changed, b""),
    );
    assert_error(&response, 403, "SignatureDoesNotMatch");
}

#[test]
fn an_unknown_access_key_is_invalid_access_key_id() {
    let server = server_with_bucket("keys");
    let headers = signed_headers(
        "GET",
        &server.addr,
        "/keys",
        &[],
        &sha256_hex(b""),
        SystemTime::now(),
    );
    let swapped: Vec<_> = headers
        .into_iter()
        .map(|(k, v)| {
            if k.eq_ignore_ascii_case("authorization") {
                (k, v.replace(common::ACCESS_KEY, "AKIAUNKNOWNKEY000000"))
            } else {
                (k, v)
            }
        })
        .collect();
    let response = raw_exchange(&server.addr, &raw_request("GET", "/keys", &swapped, b""));
    assert_error(&response, 403, "InvalidAccessKeyId");
}

#[test]
fn a_skewed_clock_is_request_time_too_skewed() {
    let server = server_with_bucket("skew");
    for offset in [-1, 1] {
        let skew = Duration::from_secs(20 * 60);
        let time = if offset < 0 {
            SystemTime::now() - skew
        } else {
            SystemTime::now() + skew
        };
        let headers = signed_headers("GET", &server.addr, "/skew", &[], &sha256_hex(b""), time);
        let response = raw_exchange(&server.addr, &raw_request("GET", "/skew", &headers, b""));
        assert_error(&response, 403, "RequestTimeTooSkewed");
    }
}

#[test]
fn malformed_authorization_headers_are_refused_cleanly() {
    let server = server_with_bucket("malformed");
    for auth in [
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA256 Credential=/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 Credential=STRATATESTACCESSKEY1/20260101/us-east-1/s3/aws4_request",
        "Bearer abc",
        "AWS4-HMAC-SHA256 Credential=STRATATESTACCESSKEY1/xx/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=00",
    ] {
        let headers = vec![
            ("host".to_string(), server.addr.clone()),
            ("authorization".to_string(), auth.to_string()),
            ("x-amz-date".to_string(), "20260101T000000Z".to_string()),
            ("x-amz-content-sha256".to_string(), sha256_hex(b"")),
        ];
        let response = raw_exchange(
            &server.addr,
            &raw_request("GET", "/malformed", &headers, b""),
        );
        assert!(
            matches!(response.status, 400 | 403),
            "{auth}: {}",
            response.status
        );
        assert!(!response.error_code().is_empty(), "{auth}");
    }
}

#[test]
fn a_payload_that_does_not_match_its_hash_is_refused_and_not_stored() {
    let server = server_with_bucket("hash");
    let headers = signed_headers(
        "PUT",
        &server.addr,
        "/hash/k",
        &[],
        &sha256_hex(b"expected body"),
        SystemTime::now(),
    );
    let response = raw_exchange(
        &server.addr,
        &raw_request("PUT", "/hash/k", &headers, b"another body!"),
    );
    assert_error(&response, 400, "XAmzContentSHA256Mismatch");
    assert_error(&get(&server, "/hash/k"), 404, "NoSuchKey");
}

#[test]
fn content_md5_mismatch_is_bad_digest_and_garbage_is_invalid_digest() {
    let server = server_with_bucket("md5");
    let wrong = base64::engine::general_purpose::STANDARD.encode([0u8; 16]);
    let response = put(&server, "/md5/k", &[("content-md5", &wrong)], b"data");
    assert_error(&response, 400, "BadDigest");
    let response = put(
        &server,
        "/md5/k",
        &[("content-md5", "not-base64!")],
        b"data",
    );
    assert_error(&response, 400, "InvalidDigest");
    assert_error(&get(&server, "/md5/k"), 404, "NoSuchKey");
    let right = base64::engine::general_purpose::STANDARD
        .encode(<md5::Md5 as md5::Digest>::digest(b"data"));
    assert_eq!(
        put(&server, "/md5/k", &[("content-md5", &right)], b"data").status,
        200
    );
}

fn presigned_get_path(
    server: &TestServer,
    key_path: &str,
    signed_at: SystemTime,
    expires: u64,
) -> String {
    use aws_sigv4::http_request::{
        SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
    };
    let identity = aws_credential_types::Credentials::new(
        common::ACCESS_KEY,
        common::SECRET_KEY,
        None,
        None,
        "t",
    )
    .into();
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(Duration::from_secs(expires));
    settings.percent_encoding_mode = aws_sigv4::http_request::PercentEncodingMode::Single;
    settings.uri_path_normalization_mode =
        aws_sigv4::http_request::UriPathNormalizationMode::Disabled;
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(common::REGION)
        .name("s3")
        .time(signed_at)
        .settings(settings)
        .build()
        .expect("params")
        .into();
    let url = format!("http://{}{key_path}", server.addr);
    let request = SignableRequest::new(
        "GET",
        url,
        [("host", server.addr.as_str())].into_iter(),
        SignableBody::UnsignedPayload,
    )
    .expect("req");
    let (instructions, _) = sign(request, &params).expect("sign").into_parts();
    let (_, query) = instructions.into_parts();
    let query: Vec<String> = query
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}={}",
                percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
            )
        })
        .collect();
    format!("{key_path}?{}", query.join("&"))
}

#[test]
fn presigned_urls_expire_and_cannot_exceed_seven_days() {
    let server = server_with_bucket("presign");
    assert_eq!(put(&server, "/presign/k", &[], b"hello").status, 200);
    let host = vec![("host".to_string(), server.addr.clone())];
    let fresh = presigned_get_path(&server, "/presign/k", SystemTime::now(), 60);
    let response = raw_exchange(&server.addr, &raw_request("GET", &fresh, &host, b""));
    assert_eq!(response.status, 200, "{}", response.body_text());
    assert_eq!(response.body, b"hello");

    let expired = presigned_get_path(
        &server,
        "/presign/k",
        SystemTime::now() - Duration::from_secs(3600),
        60,
    );
    let response = raw_exchange(&server.addr, &raw_request("GET", &expired, &host, b""));
    assert_error(&response, 403, "AccessDenied");

    let too_long = presigned_get_path(&server, "/presign/k", SystemTime::now(), 8 * 24 * 3600);
    let response = raw_exchange(&server.addr, &raw_request("GET", &too_long, &host, b""));
    assert_eq!(response.status, 400, "{}", response.body_text());
    assert_eq!(response.error_code(), "AuthorizationQueryParametersError");

    let tampered = fresh.replace("/presign/k", "/presign/other");
    let response = raw_exchange(&server.addr, &raw_request("GET", &tampered, &host, b""));
    assert_error(&response, 403, "SignatureDoesNotMatch");
}

/// Build a signed aws-chunked body (STREAMING-AWS4-HMAC-SHA256-PAYLOAD), chunk signatures chained.
fn signed_chunked_upload(
    server: &TestServer,
    path: &str,
    data: &[u8],
    chunk_size: usize,
    tamper_chunk: Option<usize>,
) -> RawResponse {
    let time = SystemTime::now();
    let encoded_len = {
        let mut total = 0;
        let mut sizes: Vec<usize> = data.chunks(chunk_size).map(|c| c.len()).collect();
        sizes.push(0);
        for size in sizes {
            total += format!("{size:x}").len() + ";chunk-signature=".len() + 64 + 2 + size + 2;
        }
        total
    };
    let decoded = data.len().to_string();
    let encoded = encoded_len.to_string();
    let headers = signed_headers(
        "PUT",
        &server.addr,
        path,
        &[
            ("content-encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", &decoded),
            ("content-length", &encoded),
        ],
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        time,
    );
    let auth = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .expect("auth")
        .1
        .clone();
    let seed = auth
        .rsplit("Signature=")
        .next()
        .expect("signature")
        .to_string();
    let amz_date = headers
        .iter()
        .find(|(k, _)| k == "x-amz-date")
        .expect("date")
        .1
        .clone();
    let scope = format!("{}/{}/s3/aws4_request", &amz_date[..8], common::REGION);
    let key =
        aws_sigv4::sign::v4::generate_signing_key(common::SECRET_KEY, time, common::REGION, "s3");
    let mut previous = seed;
    let mut body = Vec::new();
    let mut chunks: Vec<&[u8]> = data.chunks(chunk_size).collect();
    chunks.push(&[]);
    for (i, chunk) in chunks.into_iter().enumerate() {
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{amz_date}\n{scope}\n{previous}\n{}\n{}",
            sha256_hex(b""),
            sha256_hex(chunk)
        );
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key.as_ref()).expect("hmac");
        mac.update(string_to_sign.as_bytes());
        let mut signature = hex::encode(mac.finalize().into_bytes());
        previous = signature.clone();
        if tamper_chunk == Some(i) {
            signature.replace_range(0..1, if signature.starts_with('0') { "1" } else { "0" });
        }
        body.extend_from_slice(
            format!("{:x};chunk-signature={signature}\r\n", chunk.len()).as_bytes(),
        );
        body.extend_from_slice(chunk);
        body.extend_from_slice(b"\r\n");
    }
    assert_eq!(body.len(), encoded_len);
    raw_exchange(&server.addr, &raw_request("PUT", path, &headers, &body))
}

#[test]
fn signed_chunked_uploads_verify_every_chunk_signature() {
    let server = server_with_bucket("chunks");
    let data = common::pattern(200 * 1024 + 17, 5);
    let response = signed_chunked_upload(&server, "/chunks/good", &data, 64 * 1024, None);
    assert_eq!(response.status, 200, "{}", response.body_text());
    let got = get(&server, "/chunks/good");
    assert!(got.body == data);

    let response = signed_chunked_upload(&server, "/chunks/bad", &data, 64 * 1024, Some(2));
    assert_error(&response, 403, "SignatureDoesNotMatch");
    assert_error(&get(&server, "/chunks/bad"), 404, "NoSuchKey");
}

fn unsigned_trailer_upload(
    server: &TestServer,
    path: &str,
    data: &[u8],
    checksum: &str,
) -> RawResponse {
    let mut body = Vec::new();
    for chunk in data.chunks(64 * 1024) {
        body.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        body.extend_from_slice(chunk);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("0\r\nx-amz-checksum-crc32:{checksum}\r\n\r\n").as_bytes());
    let decoded = data.len().to_string();
    let encoded = body.len().to_string();
    let headers = signed_headers(
        "PUT",
        &server.addr,
        path,
        &[
            ("content-encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", &decoded),
            ("x-amz-trailer", "x-amz-checksum-crc32"),
            ("content-length", &encoded),
        ],
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        SystemTime::now(),
    );
    raw_exchange(&server.addr, &raw_request("PUT", path, &headers, &body))
}

#[test]
fn trailing_checksums_are_verified() {
    let server = server_with_bucket("trailer");
    let data = common::pattern(150 * 1024, 8);
    let crc =
        base64::engine::general_purpose::STANDARD.encode(crc32fast::hash(&data).to_be_bytes());
    let response = unsigned_trailer_upload(&server, "/trailer/good", &data, &crc);
    assert_eq!(response.status, 200, "{}", response.body_text());
    assert!(get(&server, "/trailer/good").body == data);

    let wrong = base64::engine::general_purpose::STANDARD.encode(0u32.to_be_bytes());
    let response = unsigned_trailer_upload(&server, "/trailer/bad", &data, &wrong);
    assert_error(&response, 400, "BadDigest");
    assert_error(&get(&server, "/trailer/bad"), 404, "NoSuchKey");
}

#[test]
fn expect_100_continue_is_refused_before_the_body_when_unauthenticated() {
    use std::io::{Read, Write};
    let server = server_with_bucket("expect");
    let mut stream = std::net::TcpStream::connect(&server.addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let head = format!(
        "PUT /expect/k HTTP/1.1\r\nhost: {}\r\ncontent-length: 1048576\r\nexpect: 100-continue\r\n\r\n",
        server.addr
    );
    stream.write_all(head.as_bytes()).expect("write");
    let mut buf = vec![0u8; 4096];
    let n = stream.read(&mut buf).expect("read");
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(
        text.starts_with("HTTP/1.1 403"),
        "expected a 403 before any 100 Continue, got {text}"
    );

    // An authenticated one gets 100 Continue and then stores the body.
    let body = b"continued".to_vec();
    let mut headers = signed_headers(
        "PUT",
        &server.addr,
        "/expect/ok",
        &[("expect", "100-continue")],
        &sha256_hex(&body),
        SystemTime::now(),
    );
    headers.push(("content-length".into(), body.len().to_string()));
    let mut stream = std::net::TcpStream::connect(&server.addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut head = "PUT /expect/ok HTTP/1.1\r\n".to_string();
    for (k, v) in &headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("connection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).expect("write head");
    let n = stream.read(&mut buf).expect("read 100");
    assert!(
        String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 100"),
        "{}",
        String::from_utf8_lossy(&buf[..n])
    );
    stream.write_all(&body).expect("write body");
    let response = common::read_response(&mut stream);
    assert_eq!(response.status, 200);
    assert_eq!(get(&server, "/expect/ok").body, body);
}

#[test]
fn invalid_bucket_names_are_invalid_bucket_name() {
    let server = TestServer::start();
    for name in [
        "ab",
        "UPPER",
        "bad_underscore",
        "-start",
        "192.168.5.4",
        "a..b",
        &"x".repeat(64),
    ] {
        let response = put(&server, &format!("/{name}"), &[], b"");
        assert_error(&response, 400, "InvalidBucketName");
    }
}

#[test]
fn keys_longer_than_1024_bytes_are_key_too_long() {
    let server = server_with_bucket("long");
    let key = "k".repeat(1025);
    let response = put(&server, &format!("/long/{key}"), &[], b"x");
    assert_error(&response, 400, "KeyTooLongError");
    let key = "k".repeat(1024);
    assert_eq!(put(&server, &format!("/long/{key}"), &[], b"x").status, 200);
}

#[test]
fn malformed_xml_bodies_are_malformed_xml() {
    let server = server_with_bucket("xml");
    let response = raw_exchange(
        &server.addr,
        &signed_request(
            "POST",
            &server.addr,
            "/xml?delete",
            &[],
            b"<Delete><Object><Key>a</Key>",
        ),
    );
    assert_error(&response, 400, "MalformedXML");
    let response = raw_exchange(
        &server.addr,
        &signed_request("POST", &server.addr, "/xml?delete", &[], b"not xml at all"),
    );
    assert_error(&response, 400, "MalformedXML");
    let create = raw_exchange(
        &server.addr,
        &signed_request("POST", &server.addr, "/xml/k?uploads", &[], b""),
    );
    assert_eq!(create.status, 200);
    let upload_id = common::xml_value(&create.body_text(), "UploadId").expect("upload id");
    let response = raw_exchange(
        &server.addr,
        &signed_request(
            "POST",
            &server.addr,
            &format!("/xml/k?uploadId={upload_id}"),
            &[],
            b"<CompleteMultipartUpload><Part>",
        ),
    );
    assert_error(&response, 400, "MalformedXML");
    let response = put(
        &server,
        "/xml2",
        &[],
        b"<CreateBucketConfiguration><LocationConstraint>",
    );
    assert_error(&response, 400, "MalformedXML");
}

#[test]
fn bad_ranges_are_ignored_or_unsatisfiable_as_on_aws() {
    let server = server_with_bucket("range");
    assert_eq!(put(&server, "/range/k", &[], b"0123456789").status, 200);
    let ranged = |range: &str| {
        let headers = signed_headers(
            "GET",
            &server.addr,
            "/range/k",
            &[("range", range)],
            &sha256_hex(b""),
            SystemTime::now(),
        );
        raw_exchange(&server.addr, &raw_request("GET", "/range/k", &headers, b""))
    };
    let response = ranged("bytes=2-4");
    assert_eq!(
        (response.status, response.body.as_slice()),
        (206, &b"234"[..])
    );
    assert_eq!(response.header("content-range"), Some("bytes 2-4/10"));
    for ignored in ["bytes=5-2", "bytes=abc", "lines=1-2", "bytes=0-1,3-4"] {
        let response = ranged(ignored);
        assert_eq!(
            (response.status, response.body.as_slice()),
            (200, &b"0123456789"[..]),
            "{ignored}"
        );
    }
    let response = ranged("bytes=10-20");
    assert_error(&response, 416, "InvalidRange");
}

#[test]
fn missing_content_length_is_411_and_unknown_methods_are_405() {
    let server = server_with_bucket("len");
    let headers = signed_headers(
        "PUT",
        &server.addr,
        "/len/k",
        &[],
        "UNSIGNED-PAYLOAD",
        SystemTime::now(),
    );
    let mut request = "PUT /len/k HTTP/1.1\r\n".to_string();
    for (k, v) in &headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request
        .push_str("transfer-encoding: chunked\r\nconnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    let response = raw_exchange(&server.addr, request.as_bytes());
    assert_error(&response, 411, "MissingContentLength");
    let response = raw_exchange(
        &server.addr,
        &signed_request("PATCH", &server.addr, "/len/k", &[], b""),
    );
    assert_error(&response, 405, "MethodNotAllowed");
}

#[test]
fn unimplemented_subresources_answer_501_not_implemented_in_xml() {
    let server = server_with_bucket("sub");
    let response = get(&server, "/sub?logging");
    assert_error(&response, 501, "NotImplemented");
    let response = get(&server, "/missing-bucket?policy");
    assert_error(&response, 404, "NoSuchBucket");
}

#[test]
fn head_errors_have_status_and_no_body() {
    let server = server_with_bucket("head");
    let response = raw_exchange(
        &server.addr,
        &signed_request("HEAD", &server.addr, "/head/none", &[], b""),
    );
    assert_eq!(response.status, 404);
    assert!(response.body.is_empty());
    assert!(response.header("x-amz-request-id").is_some());
}

#[test]
fn virtual_hosted_style_addresses_the_bucket_by_host() {
    let server = TestServer::start_with(&["--domain", "s3.strata.test"]);
    let host = format!(
        "vhost.s3.strata.test:{}",
        server.addr.rsplit(':').next().expect("port")
    );
    assert_eq!(put(&server, "/vhost", &[], b"").status, 200);
    let headers = signed_headers(
        "PUT",
        &host,
        "/dir/file.txt",
        &[],
        &sha256_hex(b"virtual"),
        SystemTime::now(),
    );
    let response = raw_exchange(
        &server.addr,
        &raw_request("PUT", "/dir/file.txt", &headers, b"virtual"),
    );
    assert_eq!(response.status, 200, "{}", response.body_text());
    assert_eq!(get(&server, "/vhost/dir/file.txt").body, b"virtual");
}
