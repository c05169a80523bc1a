//! Browser POST uploads through `verify_post_policy`: AWS's SigV4 browser-upload example,
//! `generate_presigned_post` output of boto3 1.43 for SigV2 and SigV4 (clock pinned to
//! 2013-05-24T00:00:00Z, committed as data), and every policy rule, refusals included.

use std::time::{Duration, SystemTime};

use base64::Engine as _;

use super::{AK, Keys, SECRET, doc_time};
use crate::auth::sigv2::sign;
use crate::auth::sigv4::parse_amz_date;
use crate::auth::{AuthError, MAX_POST_PRE_DATA, PostPolicyAuth, verify_post_policy};

fn keys() -> Keys {
    Keys(vec![(AK, SECRET)])
}

fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn post(
    fields: &[(String, String)],
    bucket: &str,
    now: SystemTime,
) -> Result<PostPolicyAuth, AuthError> {
    verify_post_policy(fields, bucket, &keys(), "us-east-1", now)
}

fn refusal(result: Result<PostPolicyAuth, AuthError>) -> (&'static str, String) {
    let err = result.expect_err("refused");
    (err.code(), err.to_string())
}

fn without(fields: &[(String, String)], name: &str) -> Vec<(String, String)> {
    fields
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case(name))
        .cloned()
        .collect()
}

fn with(fields: &[(String, String)], name: &str, value: &str) -> Vec<(String, String)> {
    let mut out = without(fields, name);
    out.push((name.to_owned(), value.to_owned()));
    out
}

// ---------------------------------------------------------------------------------------------
// AWS's example: "Example: Browser-Based Upload using HTTP POST (Using AWS Signature Version 4)".

const DOC_POLICY: &str = "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9";
const DOC_SIGNATURE: &str = "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e";

/// The example's form, `${filename}` replaced as the HTTP layer does, field names as the page
/// spells them.
fn doc_form() -> Vec<(String, String)> {
    form(&[
        ("key", "user/user1/photo.jpg"),
        ("acl", "public-read"),
        (
            "success_action_redirect",
            "http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html",
        ),
        ("Content-Type", "image/jpeg"),
        ("x-amz-meta-uuid", "14365123651274"),
        ("x-amz-server-side-encryption", "AES256"),
        (
            "X-Amz-Credential",
            "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request",
        ),
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
        ("X-Amz-Date", "20151229T000000Z"),
        ("x-amz-meta-tag", ""),
        ("Policy", DOC_POLICY),
        ("X-Amz-Signature", DOC_SIGNATURE),
    ])
}

fn doc_now() -> SystemTime {
    parse_amz_date("20151229T120000Z").unwrap()
}

#[test]
fn aws_example_sigv4_browser_upload() {
    let auth = post(&doc_form(), "sigv4examplebucket", doc_now()).unwrap();
    assert_eq!(auth.access_key.as_deref(), Some(AK));
    assert_eq!(auth.content_length_range(), None);
    auth.check_size(u64::MAX).unwrap();
    // Valid through its expiration instant, not after.
    let expiration = parse_amz_date("20151230T120000Z").unwrap();
    post(&doc_form(), "sigv4examplebucket", expiration).unwrap();
    assert_eq!(
        refusal(post(
            &doc_form(),
            "sigv4examplebucket",
            expiration + Duration::from_secs(1)
        )),
        (
            "AccessDenied",
            "Invalid according to Policy: Policy expired.".to_owned()
        )
    );
}

#[test]
fn aws_example_conditions_each_refuse() {
    let f = doc_form();
    let failed = |c: &str| {
        (
            "AccessDenied",
            format!("Invalid according to Policy: Policy Condition failed: {c}"),
        )
    };
    let cases = [
        (
            f.clone(),
            "otherbucket",
            failed(r#"["eq", "$bucket", "sigv4examplebucket"]"#),
        ),
        (
            with(&f, "key", "user/user2/photo.jpg"),
            "sigv4examplebucket",
            failed(r#"["starts-with", "$key", "user/user1/"]"#),
        ),
        (
            with(&f, "acl", "public-read-write"),
            "sigv4examplebucket",
            failed(r#"["eq", "$acl", "public-read"]"#),
        ),
        (
            with(&f, "Content-Type", "text/html"),
            "sigv4examplebucket",
            failed(r#"["starts-with", "$Content-Type", "image/"]"#),
        ),
        (
            with(&f, "Content-Type", "image/png,text/html"),
            "sigv4examplebucket",
            failed(r#"["starts-with", "$Content-Type", "image/"]"#),
        ),
        // A condition on an absent field fails, even `starts-with ""`.
        (
            without(&f, "x-amz-meta-tag"),
            "sigv4examplebucket",
            failed(r#"["starts-with", "$x-amz-meta-tag", ""]"#),
        ),
        (
            with(&f, "x-amz-meta-uuid", "1"),
            "sigv4examplebucket",
            failed(r#"["eq", "$x-amz-meta-uuid", "14365123651274"]"#),
        ),
        // A field no condition covers.
        (
            with(&f, "x-amz-storage-class", "GLACIER"),
            "sigv4examplebucket",
            (
                "AccessDenied",
                "Invalid according to Policy: Extra input fields: x-amz-storage-class".to_owned(),
            ),
        ),
    ];
    for (fields, bucket, expected) in cases {
        assert_eq!(refusal(post(&fields, bucket, doc_now())), expected);
    }
    // A comma-separated Content-Type list passes when every item does; x-ignore- fields and
    // repeated ones are fine.
    post(
        &with(&f, "Content-Type", "image/jpg,image/png,image/gif"),
        "sigv4examplebucket",
        doc_now(),
    )
    .unwrap();
    let mut extra = with(&f, "x-ignore-tracking", "1");
    extra.push(("x-amz-meta-tag".to_owned(), "second".to_owned()));
    post(&extra, "sigv4examplebucket", doc_now()).unwrap();
}

#[test]
fn aws_example_signature_and_credential_refusals() {
    let f = doc_form();
    let bad = with(&f, "X-Amz-Signature", &DOC_SIGNATURE.replace('8', "9"));
    let err = post(&bad, "sigv4examplebucket", doc_now()).unwrap_err();
    assert_eq!(err.code(), "SignatureDoesNotMatch");
    let details = err.details();
    assert_eq!(details[0], ("AWSAccessKeyId", AK.to_owned()));
    assert_eq!(details[1], ("StringToSign", DOC_POLICY.to_owned()));
    assert_eq!(details[3].0, "StringToSignBytes");
    assert_eq!(details.len(), 4);
    // A policy edited after signing.
    let edited = with(&f, "Policy", &DOC_POLICY.replace("eyAi", "eyBi"));
    assert_eq!(
        post(&edited, "sigv4examplebucket", doc_now())
            .unwrap_err()
            .code(),
        "SignatureDoesNotMatch"
    );
    // The server in another region.
    let err =
        verify_post_policy(&f, "sigv4examplebucket", &keys(), "eu-west-1", doc_now()).unwrap_err();
    assert_eq!(
        (err.code(), err.to_string().as_str()),
        (
            "InvalidArgument",
            "the region 'us-east-1' is wrong; expecting 'eu-west-1'"
        )
    );
    assert_eq!(
        err.details(),
        vec![
            ("ArgumentName", "X-Amz-Credential".to_owned()),
            (
                "ArgumentValue",
                "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request".to_owned()
            ),
            ("Region", "eu-west-1".to_owned()),
        ]
    );
    let credential = |c: &str| with(&f, "X-Amz-Credential", c);
    let cases = [
        (
            with(&f, "X-Amz-Algorithm", "AWS4-ECDSA-P256-SHA256"),
            "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"",
        ),
        (
            credential("AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3"),
            "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".",
        ),
        (
            credential("/20151229/us-east-1/s3/aws4_request"),
            "a non-empty Access Key (AKID) must be provided in the credential.",
        ),
        (
            credential("AKIAIOSFODNN7EXAMPLE/20151399/us-east-1/s3/aws4_request"),
            "incorrect date format \"20151399\". This date in the credential must be in the format \"yyyyMMdd\".",
        ),
        (
            credential("AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/iam/aws4_request"),
            "incorrect service \"iam\". This endpoint belongs to \"s3\".",
        ),
        (
            credential("AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws5_request"),
            "incorrect terminal \"aws5_request\". This endpoint uses \"aws4_request\".",
        ),
        (
            with(&f, "X-Amz-Date", "2015-12-29T00:00:00Z"),
            "X-Amz-Date must be formated via ISO8601 Long format",
        ),
    ];
    for (fields, message) in cases {
        assert_eq!(
            refusal(post(&fields, "sigv4examplebucket", doc_now())),
            ("InvalidArgument", message.to_owned())
        );
    }
    let unknown = credential("NOBODY/20151229/us-east-1/s3/aws4_request");
    let err = post(&unknown, "sigv4examplebucket", doc_now()).unwrap_err();
    assert_eq!(err.code(), "InvalidAccessKeyId");
    assert_eq!(err.details(), vec![("AWSAccessKeyId", "NOBODY".to_owned())]);
}

// ---------------------------------------------------------------------------------------------
// boto3's `generate_presigned_post("examplebucket", "uploads/${filename}", Fields=..., Conditions=
// [{"acl": "public-read"}, ["starts-with", "$Content-Type", "image/"], {"success_action_status":
// "201"}, ["starts-with", "$x-amz-meta-tag", ""], ["content-length-range", 1, 1048576]],
// ExpiresIn=3600)`, and the same for "plain.txt" with nothing else (ExpiresIn=600).

const BOTO_V2_POLICY: &str = "eyJleHBpcmF0aW9uIjogIjIwMTMtMDUtMjRUMDE6MDA6MDBaIiwgImNvbmRpdGlvbnMiOiBbeyJhY2wiOiAicHVibGljLXJlYWQifSwgWyJzdGFydHMtd2l0aCIsICIkQ29udGVudC1UeXBlIiwgImltYWdlLyJdLCB7InN1Y2Nlc3NfYWN0aW9uX3N0YXR1cyI6ICIyMDEifSwgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sIFsiY29udGVudC1sZW5ndGgtcmFuZ2UiLCAxLCAxMDQ4NTc2XSwgeyJidWNrZXQiOiAiZXhhbXBsZWJ1Y2tldCJ9LCBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXBsb2Fkcy8iXV19";
const BOTO_V4_POLICY: &str = "eyJleHBpcmF0aW9uIjogIjIwMTMtMDUtMjRUMDE6MDA6MDBaIiwgImNvbmRpdGlvbnMiOiBbeyJhY2wiOiAicHVibGljLXJlYWQifSwgWyJzdGFydHMtd2l0aCIsICIkQ29udGVudC1UeXBlIiwgImltYWdlLyJdLCB7InN1Y2Nlc3NfYWN0aW9uX3N0YXR1cyI6ICIyMDEifSwgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sIFsiY29udGVudC1sZW5ndGgtcmFuZ2UiLCAxLCAxMDQ4NTc2XSwgeyJidWNrZXQiOiAiZXhhbXBsZWJ1Y2tldCJ9LCBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXBsb2Fkcy8iXSwgeyJ4LWFtei1hbGdvcml0aG0iOiAiQVdTNC1ITUFDLVNIQTI1NiJ9LCB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxMzA1MjQvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LCB7IngtYW16LWRhdGUiOiAiMjAxMzA1MjRUMDAwMDAwWiJ9XX0=";

fn boto_fields() -> Vec<(String, String)> {
    form(&[
        ("acl", "public-read"),
        ("Content-Type", "image/png"),
        ("success_action_status", "201"),
        ("x-amz-meta-tag", "holiday"),
        ("key", "uploads/cat.png"),
    ])
}

fn boto_v2() -> Vec<(String, String)> {
    let mut f = boto_fields();
    f.extend(form(&[
        ("AWSAccessKeyId", AK),
        ("policy", BOTO_V2_POLICY),
        ("signature", "+nwDrrzWnqF3s2XtGRrSLoTFizE="),
    ]));
    f
}

fn boto_v4() -> Vec<(String, String)> {
    let mut f = boto_fields();
    f.extend(form(&[
        ("x-amz-algorithm", "AWS4-HMAC-SHA256"),
        (
            "x-amz-credential",
            "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request",
        ),
        ("x-amz-date", "20130524T000000Z"),
        ("policy", BOTO_V4_POLICY),
        (
            "x-amz-signature",
            "924e629528a50979b4d4799dbd8e6fd92c8fa151439f8393894960da1e717adb",
        ),
    ]));
    f
}

#[test]
fn boto3_presigned_posts_verify_sigv2_and_sigv4() {
    for fields in [boto_v2(), boto_v4()] {
        let auth = post(&fields, "examplebucket", doc_time()).unwrap();
        assert_eq!(auth.access_key.as_deref(), Some(AK));
        assert_eq!(auth.content_length_range(), Some((1, 1_048_576)));
        auth.check_size(1).unwrap();
        auth.check_size(1_048_576).unwrap();
        assert_eq!(auth.check_size(0).unwrap_err().code(), "EntityTooSmall");
        assert_eq!(
            auth.check_size(1_048_577).unwrap_err().code(),
            "EntityTooLarge"
        );
        assert_eq!(
            refusal(post(
                &fields,
                "examplebucket",
                doc_time() + Duration::from_secs(3601)
            ))
            .1,
            "Invalid according to Policy: Policy expired."
        );
        assert_eq!(
            refusal(post(
                &with(&fields, "key", "cat.png"),
                "examplebucket",
                doc_time()
            ))
            .1,
            r#"Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "uploads/"]"#
        );
    }
    let plain_v2 = form(&[
        ("key", "plain.txt"),
        ("AWSAccessKeyId", AK),
        (
            "policy",
            "eyJleHBpcmF0aW9uIjogIjIwMTMtMDUtMjRUMDA6MTA6MDBaIiwgImNvbmRpdGlvbnMiOiBbeyJidWNrZXQiOiAiZXhhbXBsZWJ1Y2tldCJ9LCB7ImtleSI6ICJwbGFpbi50eHQifV19",
        ),
        ("signature", "QTwPyjpbuBNYbJYFDUIJA+i/zvA="),
    ]);
    let plain_v4 = form(&[
        ("key", "plain.txt"),
        ("x-amz-algorithm", "AWS4-HMAC-SHA256"),
        (
            "x-amz-credential",
            "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request",
        ),
        ("x-amz-date", "20130524T000000Z"),
        (
            "policy",
            "eyJleHBpcmF0aW9uIjogIjIwMTMtMDUtMjRUMDA6MTA6MDBaIiwgImNvbmRpdGlvbnMiOiBbeyJidWNrZXQiOiAiZXhhbXBsZWJ1Y2tldCJ9LCB7ImtleSI6ICJwbGFpbi50eHQifSwgeyJ4LWFtei1hbGdvcml0aG0iOiAiQVdTNC1ITUFDLVNIQTI1NiJ9LCB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxMzA1MjQvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LCB7IngtYW16LWRhdGUiOiAiMjAxMzA1MjRUMDAwMDAwWiJ9XX0=",
        ),
        (
            "x-amz-signature",
            "bf4a7b1f47f80b52c1e5cfca85d7e1f392ff7c1c3ae1a3b2d032bf78567767cc",
        ),
    ]);
    for fields in [plain_v2, plain_v4] {
        let auth = post(&fields, "examplebucket", doc_time()).unwrap();
        assert_eq!(auth.content_length_range(), None);
        // A simple condition prints as the `eq` it stands for.
        assert_eq!(
            refusal(post(
                &with(&fields, "key", "other.txt"),
                "examplebucket",
                doc_time()
            ))
            .1,
            r#"Invalid according to Policy: Policy Condition failed: ["eq", "$key", "plain.txt"]"#
        );
        // Fields the policy does not cover, the form's spelling kept.
        let err = refusal(post(
            &with(
                &with(&fields, "Cache-Control", "no-cache"),
                "acl",
                "private",
            ),
            "examplebucket",
            doc_time(),
        ));
        assert_eq!(
            err.1,
            "Invalid according to Policy: Extra input fields: Cache-Control, acl"
        );
    }
}

#[test]
fn missing_fields_are_named_as_s3_names_them() {
    let missing = |name: &str| {
        (
            "InvalidArgument",
            format!(
                "Bucket POST must contain a field named '{name}'.  If it is specified, please check the order of the fields."
            ),
        )
    };
    let v2 = boto_v2();
    let v4 = boto_v4();
    let cases = [
        (without(&v2, "key"), "key"),
        (without(&v2, "signature"), "Signature"),
        (without(&v2, "AWSAccessKeyId"), "AWSAccessKeyId"),
        (without(&v2, "policy"), "Policy"),
        (with(&v2, "signature", ""), "Signature"),
        (
            without(&without(&v4, "x-amz-algorithm"), "x-amz-credential"),
            "X-Amz-Algorithm",
        ),
        (without(&v4, "x-amz-credential"), "X-Amz-Credential"),
        (without(&v4, "x-amz-date"), "X-Amz-Date"),
        (without(&v4, "x-amz-signature"), "X-Amz-Signature"),
        (without(&v4, "policy"), "Policy"),
    ];
    for (fields, name) in cases {
        let err = post(&fields, "examplebucket", doc_time()).unwrap_err();
        assert_eq!((err.code(), err.to_string()), missing(name), "{name}");
        assert_eq!(
            err.details(),
            vec![
                ("ArgumentName", name.to_owned()),
                ("ArgumentValue", String::new())
            ]
        );
    }
}

#[test]
fn forms_without_credentials_are_anonymous() {
    let auth = post(
        &form(&[
            ("key", "k"),
            ("acl", "public-read"),
            ("Content-Type", "text/plain"),
        ]),
        "b",
        doc_time(),
    )
    .unwrap();
    assert_eq!(auth.access_key, None);
    assert_eq!(auth.content_length_range(), None);
    // A policy nobody signed restricts nothing: the upload is anonymous, left to bucket ACLs.
    let auth = post(
        &form(&[("key", "k"), ("policy", BOTO_V2_POLICY)]),
        "b",
        doc_time(),
    )
    .unwrap();
    assert_eq!(auth.access_key, None);
    assert_eq!(auth.content_length_range(), None);
    assert_eq!(
        refusal(post(&form(&[("acl", "private")]), "b", doc_time())).0,
        "InvalidArgument"
    );
}

// ---------------------------------------------------------------------------------------------
// The policy language, on policies signed here with SigV2.

/// A SigV2-signed form for `policy` (JSON text) plus `extra` fields, key "foo.txt".
fn signed(policy: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(policy);
    signed_b64(&b64, extra)
}

fn signed_b64(b64: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut f = form(&[("key", "foo.txt"), ("AWSAccessKeyId", AK), ("policy", b64)]);
    f.push(("signature".to_owned(), sign(SECRET, b64.as_bytes())));
    f.extend(form(extra));
    f
}

const EXP: &str = r#""expiration": "2013-05-24T01:00:00Z""#;

fn policy(conditions: &str) -> String {
    format!(
        r#"{{{EXP}, "conditions": [{{"bucket": "b"}}, ["starts-with", "$key", ""]{conditions}]}}"#
    )
}

#[test]
fn malformed_policies_are_invalid_policy_documents() {
    let invalid = |f: Vec<(String, String)>| {
        let err = post(&f, "b", doc_time()).unwrap_err();
        assert_eq!(err.code(), "InvalidPolicyDocument");
        err.to_string()
    };
    let cases: [(&str, &str); 17] = [
        ("not json", "Invalid Policy: Invalid JSON."),
        ("[1]", "Invalid Policy: Invalid JSON."),
        (
            r#"{"conditions": []}"#,
            "Invalid Policy: Policy missing expiration.",
        ),
        (
            &format!("{{{EXP}}}"),
            "Invalid Policy: Policy missing conditions.",
        ),
        (
            r#"{"EXPIRATION": "2013-05-24T01:00:00Z", "conditions": []}"#,
            "Invalid Policy: Unexpected: 'expiration'",
        ),
        (
            &format!(r#"{{{EXP}, "CONDITIONS": []}}"#),
            "Invalid Policy: Unexpected: 'conditions'",
        ),
        (
            &format!(r#"{{{EXP}, "conditions": {{}}}}"#),
            "Invalid Policy: Invalid 'conditions' value: must be a List.",
        ),
        (
            r#"{"expiration": "2013-05-24 01:00:00.000000+00:00", "conditions": []}"#,
            "Invalid Policy: Invalid 'expiration' value: '2013-05-24 01:00:00.000000+00:00'",
        ),
        (
            &policy(r#", {"acl": "private", "key": "a"}"#),
            "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.",
        ),
        (
            &policy(", {}"),
            "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.",
        ),
        (
            &policy(r#", {"Content-Length": 6199034}"#),
            "Invalid Policy: Invalid Simple-Condition: value must be a string.",
        ),
        (
            &policy(r#", {"success_action_redirect": null}"#),
            "Invalid Policy: Invalid JSON.",
        ),
        (
            &policy(", []"),
            "Invalid Policy: Invalid Condition: missing operation identifier.",
        ),
        (
            &policy(r#", ["ends-with", "$key", "x"]"#),
            "Invalid Policy: Invalid Condition: unknown operation 'ends-with'.",
        ),
        (
            &policy(r#", ["content-length-range", 0]"#),
            "Invalid Policy: Invalid content-length-range: wrong number of arguments.",
        ),
        (
            &policy(r#", ["content-length-range", -1, 0]"#),
            "Invalid Policy: Invalid JSON.",
        ),
        (
            &policy(", \"acl\""),
            "Invalid Policy: Invalid condition test: must be a List or Object.",
        ),
    ];
    for (text, message) in cases {
        assert_eq!(invalid(signed(text, &[])), message, "{text}");
    }
    assert_eq!(
        invalid(signed(
            &policy(r#", ["content-length-range", 0, 512.0]"#),
            &[]
        )),
        "Invalid Policy: Invalid JSON."
    );
    assert_eq!(
        invalid(signed_b64("!!!not base64", &[])),
        "Invalid Policy: invalid Base64 encoding."
    );
    // The signature is checked over the policy as sent, before it is read.
    let mut f = signed("not json", &[]);
    f.retain(|(k, _)| k != "signature");
    f.push(("signature".to_owned(), "AAAA".to_owned()));
    assert_eq!(
        post(&f, "b", doc_time()).unwrap_err().code(),
        "SignatureDoesNotMatch"
    );
}

#[test]
fn names_and_operators_are_case_insensitive_values_are_not() {
    // ceph s3-tests' case-insensitivity upload, as S3 accepts it.
    let text = format!(
        r#"{{{EXP}, "conditions": [{{"bUcKeT": "b"}}, ["StArTs-WiTh", "$KeY", "foo"], {{"AcL": "private"}}, ["StArTs-WiTh", "$CoNtEnT-TyPe", "text/plain"], ["content-length-range", 0, 1024]]}}"#
    );
    let b64 = base64::engine::general_purpose::STANDARD.encode(&text);
    let fields = form(&[
        ("kEy", "foo.txt"),
        ("AWSAccessKeyId", AK),
        ("aCl", "private"),
        ("SIGNATURE", &sign(SECRET, b64.as_bytes())),
        ("pOLICy", &b64),
        ("Content-Type", "text/plain"),
    ]);
    let auth = post(&fields, "b", doc_time()).unwrap();
    assert_eq!(auth.content_length_range(), Some((0, 1024)));
    assert_eq!(
        refusal(post(&with(&fields, "aCl", "PRIVATE"), "b", doc_time())).1,
        r#"Invalid according to Policy: Policy Condition failed: ["eq", "$AcL", "private"]"#
    );
}

#[test]
fn condition_semantics() {
    let ok = |conditions: &str, extra: &[(&str, &str)]| {
        post(&signed(&policy(conditions), extra), "b", doc_time())
    };
    let failed = |c: &str| format!("Invalid according to Policy: Policy Condition failed: {c}");
    // `eq` is exact; `starts-with ""` allows any value of a present field.
    ok(r#", ["eq", "$acl", "private"]"#, &[("acl", "private")]).unwrap();
    ok(r#", ["starts-with", "$acl", ""]"#, &[("acl", "anything")]).unwrap();
    assert_eq!(
        refusal(ok(r#", ["eq", "$acl", "private"]"#, &[("acl", "private ")])).1,
        failed(r#"["eq", "$acl", "private"]"#)
    );
    // Without `$` a condition names no field: it fails, and covers nothing.
    assert_eq!(
        refusal(ok(r#", ["eq", "acl", "private"]"#, &[("acl", "private")])).1,
        failed(r#"["eq", "acl", "private"]"#)
    );
    // Repeated fields are matched as their values joined with commas.
    ok(
        r#", {"x-amz-meta-tag": "Ninja,Stallman"}"#,
        &[("x-amz-meta-tag", "Ninja"), ("x-amz-meta-tag", "Stallman")],
    )
    .unwrap();
    // Printed as in the policy, quotes escaped.
    assert_eq!(
        refusal(ok(
            r#", ["eq", "$Content-Disposition", "filename=\"test.png\""]"#,
            &[("Content-Disposition", "inline")]
        ))
        .1,
        failed(r#"["eq", "$Content-Disposition", "filename=\"test.png\""]"#)
    );
    // Range bounds may be strings; a string that is not a number fails the condition.
    let auth = ok(r#", ["content-length-range", "5", "10"]"#, &[]).unwrap();
    assert_eq!(auth.content_length_range(), Some((5, 10)));
    assert_eq!(
        refusal(ok(r#", ["content-length-range", "test", "10"]"#, &[])),
        (
            "AccessDenied",
            failed(r#"["content-length-range", "test", "10"]"#)
        )
    );
    // Several ranges: all apply.
    let auth = ok(
        r#", ["content-length-range", 0, 100], ["content-length-range", 10, 1000]"#,
        &[],
    )
    .unwrap();
    assert_eq!(auth.content_length_range(), Some((10, 100)));
    // The bucket condition is checked against the addressed bucket, whatever the form says.
    let f = signed(&policy(""), &[("bucket", "b")]);
    assert_eq!(
        refusal(post(&f, "other", doc_time())).1,
        failed(r#"["eq", "$bucket", "b"]"#)
    );
    // And the addressed bucket must be covered.
    let no_bucket = format!(r#"{{{EXP}, "conditions": [["starts-with", "$key", ""]]}}"#);
    assert_eq!(
        refusal(post(&signed(&no_bucket, &[]), "b", doc_time())).1,
        "Invalid according to Policy: Extra input fields: bucket"
    );
}

#[test]
fn policy_escapes_dollar_and_backslash() {
    // `\$` is the policy language's escaped dollar...
    let text = format!(
        r#"{{{EXP}, "conditions": [{{"bucket": "b"}}, ["starts-with", "$key", "\$foo"]]}}"#
    );
    let b64 = base64::engine::general_purpose::STANDARD.encode(&text);
    let mut f = signed_b64(&b64, &[]);
    f[0].1 = "$foo.txt".to_owned();
    post(&f, "b", doc_time()).unwrap();
    // ...while an escaped backslash before a dollar stays both (ceph s3-tests'
    // escaped-field-values upload: key `\$foo.txt` under `["starts-with", "$key", "\\$foo"]`).
    let text = format!(
        r#"{{{EXP}, "conditions": [{{"bucket": "b"}}, ["starts-with", "$key", "\\$foo"]]}}"#
    );
    let b64 = base64::engine::general_purpose::STANDARD.encode(&text);
    let mut f = signed_b64(&b64, &[]);
    f[0].1 = r"\$foo.txt".to_owned();
    post(&f, "b", doc_time()).unwrap();
    f[0].1 = "$foo.txt".to_owned();
    assert_eq!(
        post(&f, "b", doc_time()).unwrap_err().code(),
        "AccessDenied"
    );
    // Base64 wrapped over several lines (as some encoders write it) reads the same.
    let wrapped: String = b64
        .as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\n");
    let mut f = signed_b64(&wrapped, &[]);
    f[0].1 = r"\$foo.txt".to_owned();
    post(&f, "b", doc_time()).unwrap();
}

#[test]
fn fields_before_the_file_are_limited_to_20_kib() {
    let big = "x".repeat(MAX_POST_PRE_DATA);
    let err = post(
        &form(&[("key", "k"), ("x-amz-meta-big", &big)]),
        "b",
        doc_time(),
    )
    .unwrap_err();
    assert_eq!(
        (err.code(), err.to_string().as_str()),
        (
            "MaxPostPreDataLengthExceeded",
            "Your POST request fields preceeding the upload file was too large."
        )
    );
    assert_eq!(
        err.details(),
        vec![("MaxPostPreDataLengthBytes", "20480".to_owned())]
    );
    post(
        &form(&[("key", "k"), ("x", &big[..MAX_POST_PRE_DATA - 5])]),
        "b",
        doc_time(),
    )
    .unwrap();
}
