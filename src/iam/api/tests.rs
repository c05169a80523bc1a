use super::*;

#[test]
fn forms_decode_plus_and_percent_escapes() {
    let params =
        parse_form(b"Action=CreateUser&UserName=a%2Bb+c&Path=%2Fx%2F&Empty=&Flag").expect("parse");
    assert_eq!(
        params,
        [
            ("Action".to_string(), "CreateUser".to_string()),
            ("UserName".to_string(), "a+b c".to_string()),
            ("Path".to_string(), "/x/".to_string()),
            ("Empty".to_string(), String::new()),
            ("Flag".to_string(), String::new()),
        ]
    );
    assert!(parse_form(b"").expect("empty").is_empty());
    assert_eq!(
        parse_form(b"A=%FF").expect_err("not utf-8").code,
        "MalformedQueryString"
    );
    assert_eq!(
        parse_form(&[b'A', b'=', 0xff]).expect_err("not utf-8").code,
        "MalformedQueryString"
    );
}

#[test]
fn every_code_has_its_status() {
    for (code, status) in [
        ("NoSuchEntity", 404),
        ("EntityAlreadyExists", 409),
        ("DeleteConflict", 409),
        ("LimitExceeded", 409),
        ("MalformedPolicyDocument", 400),
        ("ValidationError", 400),
        ("InvalidAction", 400),
        ("InvalidInput", 400),
        ("AccessDenied", 403),
        ("MissingAuthenticationToken", 403),
        ("SignatureDoesNotMatch", 403),
        ("InvalidClientTokenId", 403),
        ("InternalFailure", 500),
    ] {
        assert_eq!(status_of(code).as_u16(), status, "{code}");
    }
    assert_eq!(member_name("UserName"), "userName");
}

fn request(method: &str, uri: &str, headers: &[(&str, &str)]) -> Request {
    let mut builder = http::Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(axum::body::Body::empty()).expect("request")
}

const IAM_AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/iam/aws4_request, SignedHeaders=host;x-amz-date, Signature=00";

#[test]
fn requests_are_routed_by_credential_scope() {
    let s3_auth = IAM_AUTH.replace("/iam/", "/s3/");
    let sts_auth = IAM_AUTH.replace("/iam/", "/sts/");
    let form = ("content-type", "application/x-www-form-urlencoded");
    let cases: &[(Request, Option<Service>)] = &[
        (
            request("POST", "/", &[("authorization", IAM_AUTH)]),
            Some(Service::Iam),
        ),
        (
            request("POST", "/", &[("authorization", &sts_auth)]),
            Some(Service::Sts),
        ),
        (request("POST", "/", &[("authorization", &s3_auth)]), None),
        (
            request("POST", "/bucket", &[("authorization", IAM_AUTH)]),
            None,
        ),
        (
            request("POST", "/", &[form, ("host", "127.0.0.1:9000")]),
            Some(Service::Iam),
        ),
        // A form posted to a virtual-hosted bucket is S3's (browser uploads).
        (
            request("POST", "/", &[form, ("host", "bucket.s3.example.com")]),
            None,
        ),
        (request("GET", "/", &[]), None),
        (
            request("POST", "/", &[("authorization", "AWS AKID:sig"), form]),
            None,
        ),
        (
            request(
                "GET",
                "/?Action=ListUsers&X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fiam%2Faws4_request",
                &[],
            ),
            Some(Service::Iam),
        ),
    ];
    for (request, expected) in cases {
        assert_eq!(
            service_of(request, Some("s3.example.com")),
            *expected,
            "{} {} {:?}",
            request.method(),
            request.uri(),
            request.headers()
        );
    }
}
