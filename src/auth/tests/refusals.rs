//! Requests S3 refuses, with S3's codes, messages and error details; and random input that must
//! neither panic nor authenticate.

use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderValue, Method, Uri};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

use super::*;

// ---------------------------------------------------------------------------------------------
// Refusals, with S3's codes and messages.

fn signed_get(extra: &[(&str, &str)], t: SystemTime, region: &str) -> HeaderMap {
    let mut pairs = vec![
        ("host", "127.0.0.1:9000"),
        ("x-amz-content-sha256", EMPTY_SHA256),
    ];
    pairs.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
    pairs.extend_from_slice(extra);
    sign("GET", "/b/k", headers(&pairs), t, region)
}

#[test]
fn clock_skew_beyond_15_minutes_is_refused_both_ways() {
    let h = signed_get(&[], doc_time(), "us-east-1");
    verify("GET", "/b/k", &h, doc_time() + Duration::from_secs(15 * 60)).unwrap();
    verify("GET", "/b/k", &h, doc_time() - Duration::from_secs(15 * 60)).unwrap();
    for now in [
        doc_time() + Duration::from_secs(15 * 60 + 1),
        doc_time() - Duration::from_secs(15 * 60 + 1),
    ] {
        let err = verify("GET", "/b/k", &h, now).unwrap_err();
        assert_eq!(err.code(), "RequestTimeTooSkewed");
        assert_eq!(
            err.to_string(),
            "The difference between the request time and the current time is too large."
        );
        assert_eq!(
            err.details()[0],
            ("RequestTime", "20130524T000000Z".to_owned())
        );
    }
}

#[test]
fn wrong_region_names_the_expected_one() {
    let h = signed_get(&[], doc_time(), "eu-west-1");
    let err = verify("GET", "/b/k", &h, doc_time()).unwrap_err();
    assert_eq!(err.code(), "AuthorizationHeaderMalformed");
    assert_eq!(
        err.to_string(),
        "The authorization header is malformed; the region 'eu-west-1' is wrong; expecting 'us-east-1'"
    );
    assert_eq!(err.details(), vec![("Region", "us-east-1".to_owned())]);

    let q = PRESIGNED.replace("us-east-1", "eu-west-1");
    let err = verify("GET", &q, &headers(&[("host", "x")]), doc_time()).unwrap_err();
    assert_eq!(err.code(), "AuthorizationQueryParametersError");
    assert_eq!(
        err.to_string(),
        "Error parsing the X-Amz-Credential parameter; the region 'eu-west-1' is wrong; expecting 'us-east-1'"
    );
}

#[test]
fn scope_and_header_shape_errors() {
    let base = headers(&[
        ("host", "h"),
        ("x-amz-date", "20130524T000000Z"),
        ("x-amz-content-sha256", EMPTY_SHA256),
    ]);
    let cases = [
        (
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=00",
            "AuthorizationHeaderMalformed",
            "The authorization header is malformed; incorrect service \"iam\". This endpoint belongs to \"s3\".",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws5_request, SignedHeaders=host, Signature=00",
            "AuthorizationHeaderMalformed",
            "The authorization header is malformed; incorrect terminal \"aws5_request\". This endpoint uses \"aws4_request\".",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130525/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00",
            "AuthorizationHeaderMalformed",
            "The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date.",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=UNKNOWNKEY/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=00",
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=x-amz-content-sha256;x-amz-date, Signature=00",
            "AccessDenied",
            "There were headers present in the request which were not signed",
        ),
        (
            // SigV2 is verified (tests/sigv2.rs); this one signs another request.
            "AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=",
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        ),
        (
            "Bearer abc",
            "InvalidArgument",
            "Unsupported Authorization Type",
        ),
        (
            "AWS4-ECDSA-P256-SHA256 Credential=x",
            "InvalidArgument",
            "Unsupported Authorization Type",
        ),
    ];
    for (auth, code, message) in cases {
        let mut h = base.clone();
        h.insert("authorization", auth.parse().unwrap());
        let err = verify("GET", "/b/k", &h, doc_time()).unwrap_err();
        assert_eq!(
            (err.code(), err.to_string().as_str()),
            (code, message),
            "{auth}"
        );
    }
}

#[test]
fn signature_mismatch_reports_what_was_signed() {
    let mut h = signed_get(&[], doc_time(), "us-east-1");
    h.insert("host", "evil.example".parse().unwrap());
    let err = verify("GET", "/b/k", &h, doc_time()).unwrap_err();
    let details = err.details();
    assert_eq!(details[0], ("AWSAccessKeyId", AK.to_owned()));
    assert!(
        details[1].1.starts_with(
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
        )
    );
    assert_eq!(details[3].0, "StringToSignBytes");
    assert!(details[3].1.starts_with("41 57 53 34 2d")); // "AWS4-"
    assert_eq!(details[4].0, "CanonicalRequest");
    assert!(details[4].1.contains("host:evil.example\n"));
}

#[test]
fn date_and_payload_header_requirements() {
    // No date at all.
    let mut h = signed_get(&[], doc_time(), "us-east-1");
    h.remove("x-amz-date");
    let err = verify("GET", "/b/k", &h, doc_time()).unwrap_err();
    assert_eq!(
        (err.code(), err.to_string().as_str()),
        (
            "AccessDenied",
            "AWS authentication requires a valid Date or x-amz-date header"
        )
    );
    // Unparseable x-amz-date.
    h.insert("x-amz-date", "2013-05-24T00:00:00Z".parse().unwrap());
    assert_eq!(
        verify("GET", "/b/k", &h, doc_time()).unwrap_err().code(),
        "AccessDenied"
    );
    // Missing x-amz-content-sha256 is S3's InvalidRequest.
    let mut h = signed_get(&[], doc_time(), "us-east-1");
    h.remove("x-amz-content-sha256");
    let err = verify("GET", "/b/k", &h, doc_time()).unwrap_err();
    assert_eq!(
        (err.code(), err.to_string().as_str()),
        (
            "InvalidRequest",
            "Missing required header for this request: x-amz-content-sha256"
        )
    );
    // Garbage x-amz-content-sha256 is InvalidArgument, naming the argument.
    let h = signed_get(
        &[("x-amz-content-sha256", "GIBBERISH")],
        doc_time(),
        "us-east-1",
    );
    let err = verify("GET", "/b/k", &h, doc_time()).unwrap_err();
    assert_eq!(err.code(), "InvalidArgument");
    assert_eq!(err.details()[1], ("ArgumentValue", "GIBBERISH".to_owned()));
}

#[test]
fn unsigned_amz_headers_are_refused_by_name() {
    let mut h = signed_get(&[], doc_time(), "us-east-1");
    h.insert("x-amz-meta-owner", "mallory".parse().unwrap());
    h.insert("x-amz-acl", "public-read".parse().unwrap());
    let err = verify("GET", "/b/k", &h, doc_time()).unwrap_err();
    assert_eq!(err.code(), "AccessDenied");
    assert_eq!(
        err.details(),
        vec![("HeadersNotSigned", "x-amz-acl, x-amz-meta-owner".to_owned())]
    );
    // Headers outside x-amz-* may stay unsigned (User-Agent, Expect, X-Amzn-Trace-Id...).
    let mut h = signed_get(&[], doc_time(), "us-east-1");
    h.insert("user-agent", "aws-cli/1.45".parse().unwrap());
    h.insert("x-amzn-trace-id", "Root=1".parse().unwrap());
    h.insert("expect", "100-continue".parse().unwrap());
    verify("GET", "/b/k", &h, doc_time()).unwrap();
}

#[test]
fn streaming_parameters_are_checked() {
    let base = [
        ("host", "h"),
        ("x-amz-content-sha256", STREAMING_UNSIGNED_PAYLOAD_TRAILER),
        ("content-encoding", "aws-chunked"),
    ];
    let h = sign("PUT", "/b/k", headers(&base), doc_time(), "us-east-1");
    let err = verify("PUT", "/b/k", &h, doc_time()).unwrap_err();
    assert_eq!(
        (err.code(), err.to_string().as_str()),
        (
            "MissingContentLength",
            "You must provide the Content-Length HTTP header."
        )
    );
    let mut pairs = base.to_vec();
    pairs.push(("x-amz-decoded-content-length", "12"));
    pairs.push(("x-amz-trailer", "x-amz-checksum-sha10"));
    let h = sign("PUT", "/b/k", headers(&pairs), doc_time(), "us-east-1");
    let err = verify("PUT", "/b/k", &h, doc_time()).unwrap_err();
    assert_eq!(
        (err.code(), err.to_string().as_str()),
        (
            "InvalidRequest",
            "The value specified in the x-amz-trailer header is not supported"
        )
    );
}

#[test]
fn only_one_auth_mechanism() {
    let mut h = headers(&[("host", "examplebucket.s3.amazonaws.com")]);
    h.insert(
        "authorization",
        "AWS4-HMAC-SHA256 Credential=x".parse().unwrap(),
    );
    let err = verify("GET", PRESIGNED, &h, doc_time()).unwrap_err();
    assert_eq!(err.code(), "InvalidArgument");
    assert!(
        err.to_string()
            .starts_with("Only one auth mechanism allowed")
    );
    // A SigV2 presigned URL alone is verified: this one expired in 1970.
    let err = verify(
        "GET",
        "/b/k?AWSAccessKeyId=AK&Expires=1&Signature=x",
        &headers(&[("host", "h")]),
        doc_time(),
    )
    .unwrap_err();
    assert_eq!(
        (err.code(), err.to_string().as_str()),
        ("AccessDenied", "Request has expired")
    );
    // SigV2 in the header and in the query at once.
    let mut h = headers(&[("host", "h")]);
    h.insert("authorization", "AWS AK:sig".parse().unwrap());
    let err = verify(
        "GET",
        "/b/k?AWSAccessKeyId=AK&Expires=1&Signature=x",
        &h,
        doc_time(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "InvalidArgument");
}

#[test]
fn presigned_parameter_errors() {
    let h = headers(&[("host", "examplebucket.s3.amazonaws.com")]);
    let cases = [
        (
            PRESIGNED.replace("&X-Amz-Expires=86400", ""),
            "AuthorizationQueryParametersError",
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
        ),
        (
            PRESIGNED.replace("X-Amz-Expires=86400", "X-Amz-Expires=604801"),
            "AuthorizationQueryParametersError",
            "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds",
        ),
        (
            PRESIGNED.replace("X-Amz-Expires=86400", "X-Amz-Expires=-1"),
            "AuthorizationQueryParametersError",
            "X-Amz-Expires must be non-negative",
        ),
        (
            PRESIGNED.replace("X-Amz-Expires=86400", "X-Amz-Expires=soon"),
            "AuthorizationQueryParametersError",
            "X-Amz-Expires should be a number",
        ),
        (
            PRESIGNED.replace("X-Amz-Expires=86400", "X-Amz-Expires=0"),
            "AccessDenied",
            "Request has expired",
        ),
        (
            PRESIGNED.replace("X-Amz-Date=20130524T000000Z", "X-Amz-Date=2013-05-24"),
            "AuthorizationQueryParametersError",
            "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
        ),
        (
            PRESIGNED.replace(
                "X-Amz-Algorithm=AWS4-HMAC-SHA256",
                "X-Amz-Algorithm=AWS4-HMAC-SHA1",
            ),
            "AuthorizationQueryParametersError",
            "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"",
        ),
        (
            PRESIGNED.replace("%2Fs3%2F", "%2Fs3%2Fx%2F"),
            "AuthorizationQueryParametersError",
            "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".",
        ),
        (
            PRESIGNED.replace("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=range"),
            "AccessDenied",
            "There were headers present in the request which were not signed",
        ),
    ];
    for (uri, code, message) in cases {
        let err = verify("GET", &uri, &h, doc_time()).unwrap_err();
        assert_eq!(
            (err.code(), err.to_string().as_str()),
            (code, message),
            "{uri}"
        );
    }
    // Dated more than 15 minutes ahead of the server clock.
    let err = verify(
        "GET",
        PRESIGNED,
        &h,
        doc_time() - Duration::from_secs(16 * 60),
    )
    .unwrap_err();
    assert_eq!(
        (err.code(), err.to_string().as_str()),
        ("AccessDenied", "Request is not yet valid")
    );
}

#[test]
fn presigned_put_with_payload_hash_parameter() {
    // Presign a PUT by hand with X-Amz-Content-Sha256 in the query.
    let t = doc_time();
    let body_hash = hex::encode(Sha256::digest(b"data"));
    let mut q = format!(
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={AK}%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Content-Sha256={body_hash}"
    );
    let h = headers(&[("host", "b.example")]);
    let canonical = canonical_request(
        "PUT",
        "/b/k",
        &canonical_query(&q, None),
        &canonical_headers(&h, &SignedHeaders::parse("host").unwrap(), None),
        "host",
        &body_hash,
    );
    let sts = string_to_sign(
        "20130524T000000Z",
        "20130524/us-east-1/s3/aws4_request",
        &canonical,
    );
    let sig = signature(
        SigningKey::derive(SECRET, t, "us-east-1", "s3").as_ref(),
        &sts,
    );
    q.push_str(&format!("&X-Amz-Signature={sig}"));
    let v = verify("PUT", &format!("/b/k?{q}"), &h, t).unwrap();
    assert!(v.presigned);
    assert!(matches!(v.payload, PayloadCheck::Sha256(_)));
}

#[test]
fn stored_content_encoding_drops_aws_chunked() {
    assert_eq!(stored_content_encoding("aws-chunked"), None);
    assert_eq!(
        stored_content_encoding("aws-chunked,gzip"),
        Some("gzip".to_owned())
    );
    assert_eq!(
        stored_content_encoding("gzip, aws-chunked"),
        Some("gzip".to_owned())
    );
    assert_eq!(stored_content_encoding("gzip"), Some("gzip".to_owned()));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Random headers and Authorization values never panic and never authenticate.
    #[test]
    fn random_requests_never_panic(
        auth in "(AWS4-HMAC-SHA256 |AWS |)[ -~]{0,160}",
        date in "[0-9TZ]{0,18}",
        sha in "[ -~]{0,70}",
        extra in proptest::collection::vec(("x-amz-[a-z]{1,8}", "[ -~]{0,20}"), 0..4),
        query in "[a-zA-Z0-9=&%-]{0,80}",
    ) {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("h"));
        for (k, v) in [("authorization", &auth), ("x-amz-date", &date), ("x-amz-content-sha256", &sha)] {
            if let Ok(v) = HeaderValue::from_str(v) {
                h.insert(k, v);
            }
        }
        for (k, v) in &extra {
            if let Ok(v) = HeaderValue::from_str(v) {
                h.append(http::header::HeaderName::from_bytes(k.as_bytes()).unwrap(), v);
            }
        }
        let uri: Uri = format!("/b/k?{query}").parse().unwrap_or_else(|_| Uri::from_static("/b/k"));
        if let Ok(v) = verify_request(&Method::PUT, &uri, &h, &keys(), "us-east-1", None, doc_time()) {
            prop_assert!(v.access_key.is_none(), "authenticated a random request: {v:?}");
        }
    }

    /// Presigned-looking random queries never panic either.
    #[test]
    fn random_presigned_queries_never_panic(
        expires in "-?[0-9]{0,8}",
        cred in "[A-Za-z0-9%/]{0,60}",
        signed in "[a-z;-]{0,30}",
        date in "[0-9TZ]{0,18}",
    ) {
        let q = format!("/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={cred}&X-Amz-Date={date}&X-Amz-Expires={expires}&X-Amz-SignedHeaders={signed}&X-Amz-Signature=00");
        if let Ok(uri) = q.parse::<Uri>() {
            let h = headers(&[("host", "h")]);
            prop_assert!(verify_request(&Method::GET, &uri, &h, &keys(), "us-east-1", None, doc_time()).is_err());
        }
    }

    /// SigV2 presigned-looking queries, path-style or virtual-hosted, never panic or verify.
    #[test]
    fn random_sigv2_presigned_queries_never_panic(
        expires in "[0-9a-z-]{0,14}",
        sig in "[A-Za-z0-9%+/=]{0,40}",
        extra in "[a-zA-Z0-9=&%-]{0,40}",
        bucket in proptest::option::of("[a-z0-9.-]{1,20}"),
    ) {
        let q = format!("/k?AWSAccessKeyId={AK}&Expires={expires}&Signature={sig}&{extra}");
        if let Ok(uri) = q.parse::<Uri>() {
            let h = headers(&[("host", "h")]);
            prop_assert!(verify_request(&Method::GET, &uri, &h, &keys(), "us-east-1", bucket.as_deref(), doc_time()).is_err());
        }
    }

    /// Random browser forms never panic, and never authenticate without a valid signature.
    #[test]
    fn random_post_forms_never_panic_nor_authenticate(
        fields in proptest::collection::vec(
            ("(key|policy|signature|AWSAccessKeyId|x-amz-(algorithm|credential|date|signature)|[a-z-]{1,8})", "[ -~]{0,60}"),
            0..8,
        ),
    ) {
        if let Ok(auth) = verify_post_policy(&fields, "b", &keys(), "us-east-1", doc_time()) {
            prop_assert!(auth.access_key.is_none());
        }
    }

    /// Validly signed but random policy documents never panic.
    #[test]
    fn random_signed_policies_never_panic(
        json in "[\\[\\]{}\",:$ a-z0-9.-]{0,120}",
        extra in proptest::collection::vec(("[a-z-]{1,8}", "[ -~]{0,20}"), 0..4),
    ) {
        use base64::Engine as _;
        let text = format!(r#"{{"expiration": "2013-05-24T01:00:00Z", "conditions": [{json}]}}"#);
        for policy in [text, json] {
            let b64 = base64::engine::general_purpose::STANDARD.encode(&policy);
            let mut fields = vec![
                ("key".to_owned(), "k".to_owned()),
                ("AWSAccessKeyId".to_owned(), AK.to_owned()),
                ("signature".to_owned(), crate::auth::sigv2::sign(SECRET, b64.as_bytes())),
                ("policy".to_owned(), b64),
            ];
            fields.extend(extra.iter().cloned());
            let _ = verify_post_policy(&fields, "b", &keys(), "us-east-1", doc_time());
        }
    }
}
