//! Bucket policies against the real binary, asserting what Amazon S3 does: Put/Get/Delete
//! BucketPolicy and GetBucketPolicyStatus, `MalformedPolicy` validation, anonymous access granted
//! by a policy, explicit Deny binding the bucket owner (except for managing the policy itself),
//! conditions on facts of the request (`aws:SecureTransport`, `aws:SourceIp`, `s3:prefix`,
//! `s3:x-amz-storage-class`) and the version-specific action names.
//!
//! The bucket owner is the server's root account (`000000000001`; other accounts and IAM users
//! are in tests/access.rs); anonymous requests are plain HTTP requests without an
//! `Authorization` header. The SDK is used for the root's
//! requests where it exposes the behaviour; raw HTTP for anonymous requests and where a status
//! or body matters (204 of DeleteBucketPolicy, the policy text as served, the `PolicyStatus` XML).

mod common;

use aws_sdk_s3::Client;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketVersioningStatus, StorageClass};
use common::{
    RawResponse, TestServer, anonymous_exchange as anonymous, assert_raw_error, assert_sdk_error,
    server_with_bucket, xml_value,
};
use serde_json::{Value, json};

/// The root account's ARN, as a policy names it.
const ROOT_ARN: &str = "arn:aws:iam::000000000001:root";

// ---------------------------------------------------------------------------------------------
// Steps the tests repeat.

/// A policy document (language version 2012-10-17) holding `statements`.
fn policy(statements: &[Value]) -> String {
    json!({ "Version": "2012-10-17", "Statement": statements }).to_string()
}

/// `arn:aws:s3:::bucket` (the bucket: ListBucket and bucket sub-resources).
fn bucket_arn(bucket: &str) -> String {
    format!("arn:aws:s3:::{bucket}")
}

/// `arn:aws:s3:::bucket/*` (every object in it).
fn objects_arn(bucket: &str) -> String {
    format!("arn:aws:s3:::{bucket}/*")
}

/// Everyone, anonymous callers included, may GetObject any object of `bucket`: the policy of
/// AWS's "granting read-only permission to anonymous users" example.
fn public_read(bucket: &str) -> String {
    policy(&[json!({
        "Sid": "PublicRead",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": objects_arn(bucket),
    })])
}

/// Every S3 action on `bucket` and its objects is denied to everyone when `condition` holds.
fn deny_everything_when(bucket: &str, condition: Value) -> String {
    policy(&[json!({
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn(bucket), objects_arn(bucket)],
        "Condition": condition,
    })])
}

/// PutBucketPolicy as the root; panics unless it succeeds.
async fn set_policy(s3: &Client, bucket: &str, policy: &str) {
    s3.put_bucket_policy()
        .bucket(bucket)
        .policy(policy)
        .send()
        .await
        .unwrap_or_else(|e| panic!("put policy on {bucket}: {e:?}\n{policy}"));
}

/// The policy GetBucketPolicy returns, parsed.
async fn stored_policy(s3: &Client, bucket: &str) -> Value {
    let out = s3
        .get_bucket_policy()
        .bucket(bucket)
        .send()
        .await
        .unwrap_or_else(|e| panic!("get policy of {bucket}: {e:?}"));
    let text = out.policy().expect("a policy document");
    serde_json::from_str(text).unwrap_or_else(|e| panic!("policy is not JSON ({e}): {text}"))
}

/// PutBucketPolicy that must be refused: the SDK error, for its status, code and message.
async fn refused_policy(
    s3: &Client,
    bucket: &str,
    policy: &str,
) -> aws_sdk_s3::error::SdkError<
    aws_sdk_s3::operation::put_bucket_policy::PutBucketPolicyError,
    aws_sdk_s3::config::http::HttpResponse,
> {
    s3.put_bucket_policy()
        .bucket(bucket)
        .policy(policy)
        .send()
        .await
        .expect_err("the policy must be refused")
}

/// A request signed with the root's credentials.
fn signed(server: &TestServer, method: &str, path_and_query: &str, body: &[u8]) -> RawResponse {
    common::signed_exchange(server, method, path_and_query, &[], body)
}

/// What S3 answers a request a policy (or the lack of one) does not allow.
fn assert_access_denied(response: &RawResponse) {
    assert_raw_error(response, 403, "AccessDenied");
}

/// GetBucketPolicy (raw) answers 404 NoSuchBucketPolicy: the bucket has no policy.
fn assert_no_policy(server: &TestServer, bucket: &str) {
    let response = signed(server, "GET", &format!("/{bucket}?policy"), b"");
    assert_raw_error(&response, 404, "NoSuchBucketPolicy");
}

/// `IsPublic` of GetBucketPolicyStatus: the `<PolicyStatus>` XML S3 answers, which the SDK must
/// read the same way.
async fn is_public(server: &TestServer, s3: &Client, bucket: &str) -> bool {
    let response = signed(server, "GET", &format!("/{bucket}?policyStatus"), b"");
    assert_eq!(response.status, 200, "{}", response.body_text());
    let body = response.body_text();
    assert!(
        body.contains("<PolicyStatus") && body.contains("</PolicyStatus>"),
        "a <PolicyStatus> document: {body}"
    );
    let public = match xml_value(&body, "IsPublic").as_deref() {
        Some("true") => true,
        Some("false") => false,
        _ => panic!("<IsPublic> must be true or false: {body}"),
    };
    let sdk = s3
        .get_bucket_policy_status()
        .bucket(bucket)
        .send()
        .await
        .unwrap_or_else(|e| panic!("policy status of {bucket}: {e:?}"));
    assert_eq!(
        sdk.policy_status().and_then(|s| s.is_public()),
        Some(public)
    );
    public
}

/// PutObject of `data` as the root; returns the version id (versioned buckets).
async fn put_version(s3: &Client, bucket: &str, key: &str, data: &[u8]) -> String {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(data.to_vec()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("put {key}: {e:?}"))
        .version_id()
        .expect("a version id")
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// Put, Get, Delete.

#[tokio::test]
async fn put_then_get_returns_the_policy_and_delete_removes_it() {
    let (server, s3) = server_with_bucket("docs").await;
    assert_no_policy(&server, "docs");

    let document = public_read("docs");
    set_policy(&s3, "docs", &document).await;
    let expected: Value = serde_json::from_str(&document).expect("json");
    assert_eq!(stored_policy(&s3, "docs").await, expected);
    let raw = signed(&server, "GET", "/docs?policy", b"");
    assert_eq!(raw.status, 200, "{}", raw.body_text());
    assert_eq!(
        serde_json::from_slice::<Value>(&raw.body).expect("the body is the policy JSON"),
        expected
    );

    // A second put replaces the policy as a whole.
    let replacement = policy(&[json!({
        "Sid": "OwnerOnly",
        "Effect": "Allow",
        "Principal": { "AWS": ROOT_ARN },
        "Action": ["s3:GetObject", "s3:PutObject"],
        "Resource": objects_arn("docs"),
    })]);
    set_policy(&s3, "docs", &replacement).await;
    assert_eq!(
        stored_policy(&s3, "docs").await,
        serde_json::from_str::<Value>(&replacement).expect("json")
    );

    let deleted = signed(&server, "DELETE", "/docs?policy", b"");
    assert_eq!(deleted.status, 204, "{}", deleted.body_text());
    assert!(deleted.body.is_empty());
    assert_no_policy(&server, "docs");
}

#[tokio::test]
async fn policy_operations_on_a_missing_bucket_are_no_such_bucket() {
    let server = TestServer::start();
    let s3 = server.client();
    let err = s3
        .put_bucket_policy()
        .bucket("absent")
        .policy(public_read("absent"))
        .send()
        .await
        .expect_err("no bucket");
    assert_sdk_error(&err, 404, "NoSuchBucket");
    for (method, query) in [
        ("GET", "policy"),
        ("DELETE", "policy"),
        ("GET", "policyStatus"),
    ] {
        let response = signed(&server, method, &format!("/absent?{query}"), b"");
        assert_raw_error(&response, 404, "NoSuchBucket");
    }
}

#[tokio::test]
async fn deleting_a_bucket_deletes_its_policy() {
    let (server, s3) = server_with_bucket("reborn").await;
    set_policy(&s3, "reborn", &public_read("reborn")).await;
    s3.delete_bucket()
        .bucket("reborn")
        .send()
        .await
        .expect("delete bucket");
    common::create_bucket(&s3, "reborn").await;
    assert_no_policy(&server, "reborn");
    common::put(&s3, "reborn", "k", b"private again".to_vec()).await;
    assert_access_denied(&anonymous(&server, "GET", "/reborn/k", b""));
}

#[tokio::test]
async fn a_policy_survives_a_restart() {
    let (mut server, s3) = server_with_bucket("kept").await;
    common::put(&s3, "kept", "k", b"still public".to_vec()).await;
    let document = public_read("kept");
    set_policy(&s3, "kept", &document).await;
    server.restart();
    let s3 = server.client();
    assert_eq!(
        stored_policy(&s3, "kept").await,
        serde_json::from_str::<Value>(&document).expect("json")
    );
    let got = anonymous(&server, "GET", "/kept/k", b"");
    assert_eq!(got.status, 200, "{}", got.body_text());
    assert_eq!(got.body, b"still public");
}

// ---------------------------------------------------------------------------------------------
// Validation.

#[tokio::test]
async fn malformed_policies_are_malformed_policy_and_not_stored() {
    let (server, s3) = server_with_bucket("strict").await;
    let valid = json!({
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": objects_arn("strict"),
    });
    let with = |field: &str, value: Value| {
        let mut statement = valid.clone();
        statement[field] = value;
        policy(&[statement])
    };
    let without_principal = {
        let mut statement = valid.clone();
        statement
            .as_object_mut()
            .expect("object")
            .remove("Principal");
        policy(&[statement])
    };
    // (case, document, words the message must contain). The messages are AWS's where known:
    // "Policies must be valid JSON..." (aws-cli issue 2779), "Policy has invalid resource",
    // "Invalid principal in policy" (AWS knowledge center), "Missing required field Principal".
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "not JSON",
            "this is not a policy".to_string(),
            "Policies must be valid JSON and the first byte must be '{'",
        ),
        (
            "missing Principal",
            without_principal,
            "Missing required field Principal",
        ),
        (
            "unknown Effect",
            with("Effect", json!("Permit")),
            "Invalid effect",
        ),
        (
            "Resource in another bucket",
            with("Resource", json!(objects_arn("someone-elses"))),
            "Policy has invalid resource",
        ),
        (
            "unknown condition operator",
            with(
                "Condition",
                json!({ "StringEqualz": { "s3:prefix": "public/" } }),
            ),
            "Invalid Condition type",
        ),
        (
            "malformed principal",
            with("Principal", json!({ "AWS": "not-an-account" })),
            "Invalid principal in policy",
        ),
        (
            "non-S3 action",
            with("Action", json!("iam:CreateUser")),
            "Policy has invalid action",
        ),
        ("empty Statement list", policy(&[]), "Statement"),
    ];
    for (case, document, words) in cases {
        let err = refused_policy(&s3, "strict", &document).await;
        assert_sdk_error(&err, 400, "MalformedPolicy");
        let message = err.message().unwrap_or_default();
        assert!(
            message.contains(words),
            "{case}: message {message:?} should contain {words:?}"
        );
        assert_no_policy(&server, "strict");
    }
}

/// A valid policy of about `size` bytes: one statement whose Resource lists object ARNs of the
/// bucket until the document is that long.
fn policy_of_size(bucket: &str, size: usize) -> String {
    let mut resources = Vec::new();
    let mut document = String::new();
    while document.len() < size {
        resources.push(format!(
            "arn:aws:s3:::{bucket}/reports/{:06}/*",
            resources.len()
        ));
        document = policy(&[json!({
            "Effect": "Allow",
            "Principal": { "AWS": ROOT_ARN },
            "Action": "s3:GetObject",
            "Resource": resources,
        })]);
    }
    document
}

#[tokio::test]
async fn a_policy_over_20_kib_is_refused_and_one_under_it_accepted() {
    let (server, s3) = server_with_bucket("sized").await;
    // AWS documents the limit ("Bucket policies are limited to 20 KB in size") but not the error
    // code of a bigger one: S3-compatible servers answer 400 `PolicyTooLarge` ("Policy exceeds
    // the maximum allowed document size"), and `MalformedPolicy` is the code of every other
    // refused document. Either is a 400 that stores nothing.
    let too_large = policy_of_size("sized", 21 * 1024);
    let err = refused_policy(&s3, "sized", &too_large).await;
    assert_eq!(
        err.raw_response().map(|r| r.status().as_u16()),
        Some(400),
        "{err:?}"
    );
    let code = err.code().unwrap_or_default();
    assert!(
        ["PolicyTooLarge", "MalformedPolicy"].contains(&code),
        "code {code:?}: {err:?}"
    );
    assert!(!err.message().unwrap_or_default().is_empty(), "{err:?}");
    assert_no_policy(&server, "sized");

    let fits = policy_of_size("sized", 19 * 1024);
    assert!(fits.len() < 20 * 1024);
    set_policy(&s3, "sized", &fits).await;
    assert_eq!(
        stored_policy(&s3, "sized").await,
        serde_json::from_str::<Value>(&fits).expect("json")
    );
}

// ---------------------------------------------------------------------------------------------
// Anonymous access.

#[tokio::test]
async fn without_a_policy_anonymous_requests_are_access_denied() {
    let (server, s3) = server_with_bucket("closed").await;
    common::put(&s3, "closed", "k", b"secret".to_vec()).await;
    assert_access_denied(&anonymous(&server, "GET", "/closed/k", b""));
    assert_eq!(anonymous(&server, "HEAD", "/closed/k", b"").status, 403);
    assert_access_denied(&anonymous(&server, "GET", "/closed", b""));
    assert_access_denied(&anonymous(&server, "PUT", "/closed/k", b"overwrite"));
}

#[tokio::test]
async fn public_read_policy_lets_anonymous_get_and_head_objects_and_nothing_else() {
    let (server, s3) = server_with_bucket("site").await;
    common::create_bucket(&s3, "private").await;
    let data = common::pattern(70 * 1024, 11);
    let etag = common::put(&s3, "site", "index.html", data.clone()).await;
    common::put(&s3, "private", "index.html", data.clone()).await;
    set_policy(&s3, "site", &public_read("site")).await;

    let got = anonymous(&server, "GET", "/site/index.html", b"");
    assert_eq!(got.status, 200, "{}", got.body_text());
    assert!(got.body == data, "anonymous GET returns the exact bytes");
    assert_eq!(got.header("etag"), Some(etag.as_str()));

    let head = anonymous(&server, "HEAD", "/site/index.html", b"");
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some("71680"));
    assert_eq!(head.header("etag"), Some(etag.as_str()));

    // GetObject only: listing, writing and deleting stay closed, and so does the other bucket.
    assert_access_denied(&anonymous(&server, "GET", "/site", b""));
    assert_access_denied(&anonymous(&server, "GET", "/site?list-type=2", b""));
    assert_access_denied(&anonymous(&server, "PUT", "/site/index.html", b"defaced"));
    assert_access_denied(&anonymous(&server, "DELETE", "/site/index.html", b""));
    assert_access_denied(&anonymous(&server, "GET", "/site?policy", b""));
    assert_access_denied(&anonymous(&server, "GET", "/private/index.html", b""));
    assert!(common::get(&s3, "site", "index.html").await == data);
}

#[tokio::test]
async fn a_missing_key_is_access_denied_to_a_reader_who_may_not_list() {
    let (server, s3) = server_with_bucket("probe").await;
    // AWS (GetObject, HeadObject): without s3:ListBucket a missing key is 403 AccessDenied, not
    // 404, so who may not list cannot learn which keys exist; with it, 404 NoSuchKey.
    set_policy(&s3, "probe", &public_read("probe")).await;
    assert_access_denied(&anonymous(&server, "GET", "/probe/missing", b""));
    assert_eq!(
        anonymous(&server, "HEAD", "/probe/missing", b"").status,
        403
    );

    let read_and_list = policy(&[
        json!({
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": objects_arn("probe"),
        }),
        json!({
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:ListBucket",
            "Resource": bucket_arn("probe"),
        }),
    ]);
    set_policy(&s3, "probe", &read_and_list).await;
    assert_raw_error(
        &anonymous(&server, "GET", "/probe/missing", b""),
        404,
        "NoSuchKey",
    );
    assert_eq!(
        anonymous(&server, "HEAD", "/probe/missing", b"").status,
        404
    );
}

#[tokio::test]
async fn list_bucket_with_a_prefix_condition_lets_anonymous_list_only_that_prefix() {
    let (server, s3) = server_with_bucket("shared").await;
    for key in ["public/a.txt", "public/b.txt", "private/c.txt"] {
        common::put(&s3, "shared", key, key.as_bytes().to_vec()).await;
    }
    let document = policy(&[json!({
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:ListBucket",
        "Resource": bucket_arn("shared"),
        "Condition": { "StringEquals": { "s3:prefix": "public/" } },
    })]);
    set_policy(&s3, "shared", &document).await;

    for path in [
        "/shared?prefix=public/",
        "/shared?list-type=2&prefix=public/",
    ] {
        let listed = anonymous(&server, "GET", path, b"");
        assert_eq!(listed.status, 200, "{path}: {}", listed.body_text());
        let body = listed.body_text();
        assert!(
            body.contains("<Key>public/a.txt</Key>") && body.contains("<Key>public/b.txt</Key>"),
            "{path}: {body}"
        );
        assert!(!body.contains("private/"), "{path}: {body}");
    }
    for path in [
        "/shared?prefix=",
        "/shared",
        "/shared?list-type=2",
        "/shared?prefix=private/",
    ] {
        assert_access_denied(&anonymous(&server, "GET", path, b""));
    }
    // Listing is not reading.
    assert_access_denied(&anonymous(&server, "GET", "/shared/public/a.txt", b""));
}

// ---------------------------------------------------------------------------------------------
// Explicit Deny and the bucket owner.

#[tokio::test]
async fn an_explicit_deny_binds_the_bucket_owner() {
    let (_server, s3) = server_with_bucket("guarded").await;
    common::put(&s3, "guarded", "protected/x", b"keep".to_vec()).await;
    common::put(&s3, "guarded", "other/x", b"scratch".to_vec()).await;
    let document = policy(&[json!({
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:DeleteObject",
        "Resource": "arn:aws:s3:::guarded/protected/*",
    })]);
    set_policy(&s3, "guarded", &document).await;

    let err = s3
        .delete_object()
        .bucket("guarded")
        .key("protected/x")
        .send()
        .await
        .expect_err("the deny covers the owner");
    assert_sdk_error(&err, 403, "AccessDenied");
    assert_eq!(common::get(&s3, "guarded", "protected/x").await, b"keep");

    s3.delete_object()
        .bucket("guarded")
        .key("other/x")
        .send()
        .await
        .expect("outside the denied prefix");
    let err = s3
        .get_object()
        .bucket("guarded")
        .key("other/x")
        .send()
        .await
        .expect_err("deleted");
    assert_sdk_error(&err, 404, "NoSuchKey");
}

#[tokio::test]
async fn the_owner_root_can_always_manage_a_policy_that_denies_it_everything() {
    let (server, s3) = server_with_bucket("locked").await;
    common::put(&s3, "locked", "k", b"v".to_vec()).await;
    let deny_all = policy(&[json!({
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn("locked"), objects_arn("locked")],
    })]);
    set_policy(&s3, "locked", &deny_all).await;

    assert_access_denied(&signed(&server, "GET", "/locked/k", b""));
    assert_access_denied(&signed(&server, "PUT", "/locked/k2", b"v"));
    assert_access_denied(&signed(&server, "GET", "/locked?list-type=2", b""));

    // GetBucketPolicy, PutBucketPolicy and DeleteBucketPolicy stay open to the owner's root so
    // that it cannot lock itself out (AWS's PutBucketPolicy/DeleteBucketPolicy documentation).
    let expected: Value = serde_json::from_str(&deny_all).expect("json");
    assert_eq!(stored_policy(&s3, "locked").await, expected);
    set_policy(&s3, "locked", &deny_all).await;
    let deleted = signed(&server, "DELETE", "/locked?policy", b"");
    assert_eq!(deleted.status, 204, "{}", deleted.body_text());

    assert_eq!(common::get(&s3, "locked", "k").await, b"v");
    common::put(&s3, "locked", "k2", b"v2".to_vec()).await;
    let listed = signed(&server, "GET", "/locked?list-type=2", b"");
    assert_eq!(listed.status, 200, "{}", listed.body_text());
}

// ---------------------------------------------------------------------------------------------
// Conditions on the request.

/// AWS's "deny requests that are not over HTTPS" policy.
fn deny_insecure_transport(bucket: &str) -> String {
    deny_everything_when(
        bucket,
        json!({ "Bool": { "aws:SecureTransport": "false" } }),
    )
}

#[tokio::test]
async fn secure_transport_deny_refuses_plain_http() {
    let (server, s3) = server_with_bucket("tls-only").await;
    common::put(&s3, "tls-only", "k", b"v".to_vec()).await;
    set_policy(&s3, "tls-only", &deny_insecure_transport("tls-only")).await;

    assert_access_denied(&signed(&server, "GET", "/tls-only/k", b""));
    assert_access_denied(&signed(&server, "PUT", "/tls-only/k", b"v2"));
    let err = s3
        .get_object()
        .bucket("tls-only")
        .key("k")
        .send()
        .await
        .expect_err("http");
    assert_sdk_error(&err, 403, "AccessDenied");
}

#[tokio::test]
async fn secure_transport_deny_lets_https_through() {
    let certs = tempfile::tempdir().expect("cert dir");
    let (server, ca) = common::start_https_server(certs.path());
    let s3 = common::s3_client(&server.endpoint, Some(&ca));
    common::create_bucket(&s3, "tls-only").await;
    set_policy(&s3, "tls-only", &deny_insecure_transport("tls-only")).await;

    common::put(&s3, "tls-only", "k", b"over tls".to_vec()).await;
    assert_eq!(common::get(&s3, "tls-only", "k").await, b"over tls");
    let listed = s3
        .list_objects_v2()
        .bucket("tls-only")
        .send()
        .await
        .expect("list over https");
    assert_eq!(listed.key_count(), Some(1));
}

#[tokio::test]
async fn source_ip_deny_outside_a_network_refuses_localhost() {
    let (server, s3) = server_with_bucket("office").await;
    common::put(&s3, "office", "k", b"v".to_vec()).await;
    let document = deny_everything_when(
        "office",
        json!({ "NotIpAddress": { "aws:SourceIp": "10.0.0.0/8" } }),
    );
    set_policy(&s3, "office", &document).await;

    assert_access_denied(&signed(&server, "GET", "/office/k", b""));
    assert_access_denied(&signed(&server, "PUT", "/office/k", b"v2"));
    s3.delete_bucket_policy()
        .bucket("office")
        .send()
        .await
        .expect("the owner's root may still delete the policy");
    assert_eq!(common::get(&s3, "office", "k").await, b"v");
}

#[tokio::test]
async fn source_ip_allow_grants_anonymous_reads_only_from_inside_the_network() {
    let (server, s3) = server_with_bucket("intranet").await;
    common::put(&s3, "intranet", "k", b"for insiders".to_vec()).await;
    let read_from = |network: &str| {
        policy(&[json!({
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": objects_arn("intranet"),
            "Condition": { "IpAddress": { "aws:SourceIp": network } },
        })])
    };

    set_policy(&s3, "intranet", &read_from("10.0.0.0/8")).await;
    assert_access_denied(&anonymous(&server, "GET", "/intranet/k", b""));

    set_policy(&s3, "intranet", &read_from("127.0.0.0/8")).await;
    let got = anonymous(&server, "GET", "/intranet/k", b"");
    assert_eq!(got.status, 200, "{}", got.body_text());
    assert_eq!(got.body, b"for insiders");
}

#[tokio::test]
async fn storage_class_condition_refuses_puts_of_other_classes() {
    let (_server, s3) = server_with_bucket("standard-only").await;
    let document = policy(&[json!({
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": objects_arn("standard-only"),
        "Condition": { "StringNotEquals": { "s3:x-amz-storage-class": "STANDARD" } },
    })]);
    set_policy(&s3, "standard-only", &document).await;
    let put = |key: &'static str, class: StorageClass| {
        s3.put_object()
            .bucket("standard-only")
            .key(key)
            .storage_class(class)
            .body(ByteStream::from_static(b"data"))
            .send()
    };

    let err = put("ia", StorageClass::StandardIa)
        .await
        .expect_err("STANDARD_IA is denied");
    assert_sdk_error(&err, 403, "AccessDenied");
    let err = s3
        .get_object()
        .bucket("standard-only")
        .key("ia")
        .send()
        .await
        .expect_err("nothing was stored");
    assert_sdk_error(&err, 404, "NoSuchKey");

    put("std", StorageClass::Standard)
        .await
        .expect("STANDARD is allowed");
    assert_eq!(common::get(&s3, "standard-only", "std").await, b"data");
}

// ---------------------------------------------------------------------------------------------
// GetBucketPolicyStatus.

#[tokio::test]
async fn policy_status_is_public_only_for_unrestricted_grants_to_everyone() {
    let (server, s3) = server_with_bucket("status").await;
    let owner_only = policy(&[json!({
        "Effect": "Allow",
        "Principal": { "AWS": ROOT_ARN },
        "Action": "s3:GetObject",
        "Resource": objects_arn("status"),
    })]);
    let from_localhost = policy(&[json!({
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": objects_arn("status"),
        "Condition": { "IpAddress": { "aws:SourceIp": "127.0.0.0/8" } },
    })]);
    let deny_everyone = policy(&[json!({
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": objects_arn("status"),
    })]);
    // AWS's "meaning of public": a policy is public unless it grants only to fixed principals
    // or limits access to CIDR blocks with aws:SourceIp; a Deny grants nothing.
    let cases = [
        ("anonymous read", public_read("status"), true),
        ("the root account's ARN", owner_only, false),
        ("aws:SourceIp restricted", from_localhost, false),
        ("deny only", deny_everyone, false),
    ];
    for (case, document, expected) in cases {
        set_policy(&s3, "status", &document).await;
        assert_eq!(is_public(&server, &s3, "status").await, expected, "{case}");
    }
}

#[tokio::test]
async fn policy_status_without_a_policy_is_no_such_bucket_policy() {
    let (server, s3) = server_with_bucket("bare").await;
    let response = signed(&server, "GET", "/bare?policyStatus", b"");
    assert_raw_error(&response, 404, "NoSuchBucketPolicy");
    let err = s3
        .get_bucket_policy_status()
        .bucket("bare")
        .send()
        .await
        .expect_err("no policy");
    assert_sdk_error(&err, 404, "NoSuchBucketPolicy");
}

// ---------------------------------------------------------------------------------------------
// Version-specific actions.

#[tokio::test]
async fn deny_get_object_version_refuses_reads_by_version_id_only() {
    let (server, s3) = server_with_bucket("history").await;
    common::set_versioning(&s3, "history", BucketVersioningStatus::Enabled).await;
    let old = put_version(&s3, "history", "k", b"old").await;
    put_version(&s3, "history", "k", b"new").await;
    let document = policy(&[json!({
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:GetObjectVersion",
        "Resource": objects_arn("history"),
    })]);
    set_policy(&s3, "history", &document).await;

    let err = s3
        .get_object()
        .bucket("history")
        .key("k")
        .version_id(&old)
        .send()
        .await
        .expect_err("GET ?versionId is s3:GetObjectVersion");
    assert_sdk_error(&err, 403, "AccessDenied");
    let head = signed(&server, "HEAD", &format!("/history/k?versionId={old}"), b"");
    assert_eq!(
        head.status, 403,
        "HEAD ?versionId is s3:GetObjectVersion too"
    );
    assert_eq!(common::get(&s3, "history", "k").await, b"new");
}

#[tokio::test]
async fn deny_delete_object_version_refuses_permanent_deletes_only() {
    let (_server, s3) = server_with_bucket("ledger").await;
    common::set_versioning(&s3, "ledger", BucketVersioningStatus::Enabled).await;
    let version = put_version(&s3, "ledger", "k", b"entry").await;
    let document = policy(&[json!({
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:DeleteObjectVersion",
        "Resource": objects_arn("ledger"),
    })]);
    set_policy(&s3, "ledger", &document).await;

    let err = s3
        .delete_object()
        .bucket("ledger")
        .key("k")
        .version_id(&version)
        .send()
        .await
        .expect_err("DELETE ?versionId is s3:DeleteObjectVersion");
    assert_sdk_error(&err, 403, "AccessDenied");

    let marker = s3
        .delete_object()
        .bucket("ledger")
        .key("k")
        .send()
        .await
        .expect("a plain DELETE is s3:DeleteObject and adds a delete marker");
    assert_eq!(marker.delete_marker(), Some(true));
    let (versions, markers) = common::versions_of(&s3, "ledger", "k").await;
    assert_eq!(versions.len(), 1, "{versions:?}");
    assert_eq!(versions[0].version_id(), Some(version.as_str()));
    assert_eq!(markers.len(), 1, "{markers:?}");
    assert_eq!(
        common::get_version(&s3, "ledger", "k", &version).await,
        b"entry"
    );
}

// ---------------------------------------------------------------------------------------------
// x-amz-expected-bucket-owner.

#[tokio::test]
async fn expected_bucket_owner_must_match_the_owning_account() {
    let (server, s3) = server_with_bucket("owned").await;
    common::put(&s3, "owned", "src", b"payload".to_vec()).await;
    let send = |method: &str, path: &str, headers: &[(&str, &str)]| {
        common::raw_exchange(
            &server.addr,
            &common::signed_request(method, &server.addr, path, headers, b""),
        )
    };
    let mine = [("x-amz-expected-bucket-owner", "000000000001")];
    let theirs = [("x-amz-expected-bucket-owner", "111122223333")];
    assert_eq!(send("GET", "/owned/src", &mine).status, 200);
    assert_eq!(send("GET", "/owned?list-type=2", &mine).status, 200);
    common::assert_raw_error(&send("GET", "/owned/src", &theirs), 403, "AccessDenied");
    common::assert_raw_error(&send("PUT", "/owned/other", &theirs), 403, "AccessDenied");
    common::assert_raw_error(
        &send("GET", "/owned?list-type=2", &theirs),
        403,
        "AccessDenied",
    );
    assert_eq!(
        send("GET", "/owned/other", &mine).status,
        404,
        "the refused PUT stored nothing"
    );

    let copy = |owner: &str| {
        send(
            "PUT",
            "/owned/copy",
            &[
                ("x-amz-copy-source", "/owned/src"),
                ("x-amz-source-expected-bucket-owner", owner),
            ],
        )
    };
    common::assert_raw_error(&copy("111122223333"), 403, "AccessDenied");
    assert_eq!(copy("000000000001").status, 200);
}

// ---------------------------------------------------------------------------------------------
// s3:ExistingObjectTag: conditions on the tags of the object a request addresses.

#[tokio::test]
async fn existing_object_tag_conditions_read_the_addressed_objects_tags() {
    let (server, s3) = server_with_bucket("tagged").await;
    for (key, tagging) in [
        ("open", "visibility=public"),
        ("closed", "visibility=private"),
    ] {
        s3.put_object()
            .bucket("tagged")
            .key(key)
            .tagging(tagging)
            .body(aws_sdk_s3::primitives::ByteStream::from_static(b"payload"))
            .send()
            .await
            .expect("put");
    }
    common::put(&s3, "tagged", "untagged", b"payload".to_vec()).await;
    set_policy(
        &s3,
        "tagged",
        &policy(&[json!({
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": objects_arn("tagged"),
            "Condition": {"StringEquals": {"s3:ExistingObjectTag/visibility": "public"}},
        })]),
    )
    .await;
    let open = anonymous(&server, "GET", "/tagged/open", b"");
    assert_eq!(open.status, 200, "{}", open.body_text());
    assert_eq!(open.body, b"payload");
    assert_access_denied(&anonymous(&server, "GET", "/tagged/closed", b""));
    assert_access_denied(&anonymous(&server, "GET", "/tagged/untagged", b""));

    // Retagging the object changes the decision on the next request.
    s3.put_object_tagging()
        .bucket("tagged")
        .key("closed")
        .tagging(
            aws_sdk_s3::types::Tagging::builder()
                .tag_set(
                    aws_sdk_s3::types::Tag::builder()
                        .key("visibility")
                        .value("public")
                        .build()
                        .expect("tag"),
                )
                .build()
                .expect("tagging"),
        )
        .send()
        .await
        .expect("retag");
    assert_eq!(anonymous(&server, "GET", "/tagged/closed", b"").status, 200);
}
