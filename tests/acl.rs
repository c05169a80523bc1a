//! ACLs, object ownership and the public access block against the real binary, asserting what
//! Amazon S3 does: canned ACLs and grant headers on CreateBucket, PutObject, CopyObject,
//! CreateMultipartUpload and browser uploads; Put/GetBucketAcl and Put/GetObjectAcl with the
//! `AccessControlPolicy` document; the errors of malformed and contradictory requests; anonymous
//! access granted by ACLs; Put/Get/DeleteBucketOwnershipControls and what BucketOwnerEnforced
//! disables; Put/Get/DeletePublicAccessBlock and each of its four effects; `--bucket-defaults`.
//!
//! The SDK is used where it exposes the behaviour; raw HTTP for anonymous requests, malformed
//! documents and header combinations the SDK would not send.

mod common;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    AccessControlPolicy, BucketCannedAcl, BucketVersioningStatus, Grant, Grantee, ObjectCannedAcl,
    ObjectOwnership, Owner, OwnershipControls, OwnershipControlsRule, Permission,
    PublicAccessBlockConfiguration, Type,
};
use common::accounts::{TestAccount, create_account, iam_call, s3_client_as};
use common::{
    RawResponse, TestServer, anonymous_exchange, assert_raw_error, assert_sdk_error,
    server_with_bucket, signed_exchange,
};

/// The canonical id of the server's root account (what owns everything the tests create).
const ROOT_ID: &str = "7374726174612d726f6f742d6163636f756e742d63616e6f6e6963616c2d6964";
const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
const AUTHENTICATED_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
const LOG_DELIVERY: &str = "http://acs.amazonaws.com/groups/s3/LogDelivery";

/// The body of the objects the tests put with an ACL.
const BODY: &[u8] = b"body";

// ---------------------------------------------------------------------------------------------
// Steps the tests repeat.

/// What a refused SDK call answered: (HTTP status, S3 error code).
type Refusal = (u16, String);

fn refusal<E: ProvideErrorMetadata>(err: SdkError<E, HttpResponse>) -> Refusal {
    (
        err.raw_response().map_or(0, |r| r.status().as_u16()),
        err.code().unwrap_or_default().to_string(),
    )
}

fn refused<T>(status: u16, code: &str) -> Result<T, Refusal> {
    Err((status, code.to_string()))
}

fn denied<T>() -> Result<T, Refusal> {
    refused(403, "AccessDenied")
}

/// A grant as the tests compare them: `("id:<canonical id>" | "uri:<group uri>", permission)`.
type Shown = (String, String);

fn user(id: &str, permission: &str) -> Shown {
    (format!("id:{id}"), permission.to_string())
}

fn group(uri: &str, permission: &str) -> Shown {
    (format!("uri:{uri}"), permission.to_string())
}

/// The default ACL of what the root account owns: its FULL_CONTROL alone.
fn owner_only() -> Vec<Shown> {
    vec![user(ROOT_ID, "FULL_CONTROL")]
}

/// `public-read` on what the root account owns.
fn public_read() -> Vec<Shown> {
    vec![user(ROOT_ID, "FULL_CONTROL"), group(ALL_USERS, "READ")]
}

fn shown(grants: &[Grant]) -> Vec<Shown> {
    grants
        .iter()
        .map(|grant| {
            let grantee = grant.grantee().expect("a grantee");
            let who = match (grantee.r#type(), grantee.id(), grantee.uri()) {
                (Type::CanonicalUser, Some(id), None) => format!("id:{id}"),
                (Type::Group, None, Some(uri)) => format!("uri:{uri}"),
                other => panic!("unexpected grantee {other:?}"),
            };
            let permission = grant
                .permission()
                .expect("a permission")
                .as_str()
                .to_string();
            (who, permission)
        })
        .collect()
}

/// GetBucketAcl through the SDK: (owner id, grants).
async fn bucket_acl(s3: &Client, bucket: &str) -> (String, Vec<Shown>) {
    let out = s3
        .get_bucket_acl()
        .bucket(bucket)
        .send()
        .await
        .unwrap_or_else(|e| panic!("get acl of {bucket}: {e:?}"));
    let owner = out.owner().and_then(|o| o.id()).expect("owner").to_string();
    (owner, shown(out.grants()))
}

/// GetObjectAcl through the SDK (of a version when given): (owner id, grants).
async fn try_object_acl(
    s3: &Client,
    bucket: &str,
    key: &str,
    version: Option<&str>,
) -> Result<(String, Vec<Shown>), Refusal> {
    let out = s3
        .get_object_acl()
        .bucket(bucket)
        .key(key)
        .set_version_id(version.map(str::to_string))
        .send()
        .await
        .map_err(refusal)?;
    let owner = out.owner().and_then(|o| o.id()).expect("owner").to_string();
    Ok((owner, shown(out.grants())))
}

async fn object_acl(
    s3: &Client,
    bucket: &str,
    key: &str,
    version: Option<&str>,
) -> (String, Vec<Shown>) {
    try_object_acl(s3, bucket, key, version)
        .await
        .unwrap_or_else(|e| panic!("get acl of {key}: {e:?}"))
}

/// PutObject of [`BODY`] as `s3`, with a canned ACL when given.
async fn try_put(
    s3: &Client,
    bucket: &str,
    key: &str,
    acl: Option<ObjectCannedAcl>,
) -> Result<(), Refusal> {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .set_acl(acl)
        .body(ByteStream::from_static(BODY))
        .send()
        .await
        .map(|_| ())
        .map_err(refusal)
}

async fn put_with_acl(s3: &Client, bucket: &str, key: &str, acl: ObjectCannedAcl) {
    try_put(s3, bucket, key, Some(acl))
        .await
        .unwrap_or_else(|e| panic!("put {key}: {e:?}"));
}

/// GetObject as `s3`: the body.
async fn try_get(s3: &Client, bucket: &str, key: &str) -> Result<Vec<u8>, Refusal> {
    let out = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(refusal)?;
    Ok(out
        .body
        .collect()
        .await
        .expect("body")
        .into_bytes()
        .to_vec())
}

/// CreateBucket with a canned ACL and an object ownership, each when given.
async fn try_create_bucket(
    s3: &Client,
    bucket: &str,
    acl: Option<BucketCannedAcl>,
    ownership: Option<ObjectOwnership>,
) -> Result<(), Refusal> {
    s3.create_bucket()
        .bucket(bucket)
        .set_acl(acl)
        .set_object_ownership(ownership)
        .send()
        .await
        .map(|_| ())
        .map_err(refusal)
}

/// PutBucketAcl with a canned ACL.
async fn put_bucket_canned(s3: &Client, bucket: &str, acl: BucketCannedAcl) -> Result<(), Refusal> {
    s3.put_bucket_acl()
        .bucket(bucket)
        .acl(acl)
        .send()
        .await
        .map(|_| ())
        .map_err(refusal)
}

/// PutObjectAcl with a canned ACL (of a version when given).
async fn put_object_canned(
    s3: &Client,
    bucket: &str,
    key: &str,
    version: Option<&str>,
    acl: ObjectCannedAcl,
) -> Result<(), Refusal> {
    s3.put_object_acl()
        .bucket(bucket)
        .key(key)
        .set_version_id(version.map(str::to_string))
        .acl(acl)
        .send()
        .await
        .map(|_| ())
        .map_err(refusal)
}

async fn put_policy(s3: &Client, bucket: &str, policy: &str) -> Result<(), Refusal> {
    s3.put_bucket_policy()
        .bucket(bucket)
        .policy(policy)
        .send()
        .await
        .map(|_| ())
        .map_err(refusal)
}

/// A signed PUT of `path_and_query` with `headers` and no body.
fn put_headers(server: &TestServer, path_and_query: &str, headers: &[(&str, &str)]) -> RawResponse {
    signed_exchange(server, "PUT", path_and_query, headers, b"")
}

/// A signed PUT of `path_and_query` with `body` and no extra headers.
fn put_body(server: &TestServer, path_and_query: &str, body: &str) -> RawResponse {
    signed_exchange(server, "PUT", path_and_query, &[], body.as_bytes())
}

fn anonymous_get(server: &TestServer, path_and_query: &str) -> RawResponse {
    anonymous_exchange(server, "GET", path_and_query, b"")
}

fn assert_anonymous_get_denied(server: &TestServer, path_and_query: &str) {
    assert_raw_error(&anonymous_get(server, path_and_query), 403, "AccessDenied");
}

/// An `AccessControlPolicy` document owned by `owner` with `grants` (raw `<Grant>` elements).
fn policy_document(owner: &str, grants: &[String]) -> String {
    format!(
        r#"<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>{owner}</ID></Owner><AccessControlList>{}</AccessControlList></AccessControlPolicy>"#,
        grants.concat()
    )
}

/// One `<Grant>`: `grantee` is the `xsi:type` and its child, e.g. `Group` / `<URI>…</URI>`.
fn grant_xml(kind: &str, child: &str, permission: &str) -> String {
    format!(
        r#"<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="{kind}">{child}</Grantee><Permission>{permission}</Permission></Grant>"#
    )
}

/// The root account's FULL_CONTROL as a `<Grant>`.
fn owner_grant_xml() -> String {
    grant_xml(
        "CanonicalUser",
        &format!("<ID>{ROOT_ID}</ID>"),
        "FULL_CONTROL",
    )
}

fn group_grant_xml(uri: &str, permission: &str) -> String {
    grant_xml("Group", &format!("<URI>{uri}</URI>"), permission)
}

async fn try_set_ownership(
    s3: &Client,
    bucket: &str,
    ownership: ObjectOwnership,
) -> Result<(), Refusal> {
    let controls = OwnershipControls::builder()
        .rules(
            OwnershipControlsRule::builder()
                .object_ownership(ownership)
                .build()
                .expect("rule"),
        )
        .build()
        .expect("controls");
    s3.put_bucket_ownership_controls()
        .bucket(bucket)
        .ownership_controls(controls)
        .send()
        .await
        .map(|_| ())
        .map_err(refusal)
}

async fn set_ownership(s3: &Client, bucket: &str, ownership: ObjectOwnership) {
    try_set_ownership(s3, bucket, ownership)
        .await
        .unwrap_or_else(|e| panic!("ownership controls of {bucket}: {e:?}"));
}

async fn ownership_of(s3: &Client, bucket: &str) -> Result<ObjectOwnership, Refusal> {
    let out = s3
        .get_bucket_ownership_controls()
        .bucket(bucket)
        .send()
        .await
        .map_err(refusal)?;
    let rules = out.ownership_controls().expect("controls").rules();
    assert_eq!(rules.len(), 1, "{rules:?}");
    Ok(rules[0].object_ownership().clone())
}

/// The four settings of a public access block, in AWS's order.
fn block(
    block_acls: bool,
    ignore_acls: bool,
    block_policy: bool,
    restrict: bool,
) -> PublicAccessBlockConfiguration {
    PublicAccessBlockConfiguration::builder()
        .block_public_acls(block_acls)
        .ignore_public_acls(ignore_acls)
        .block_public_policy(block_policy)
        .restrict_public_buckets(restrict)
        .build()
}

async fn set_block(s3: &Client, bucket: &str, config: PublicAccessBlockConfiguration) {
    s3.put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(config)
        .send()
        .await
        .unwrap_or_else(|e| panic!("public access block of {bucket}: {e:?}"));
}

async fn block_of(s3: &Client, bucket: &str) -> Result<[Option<bool>; 4], Refusal> {
    let out = s3
        .get_public_access_block()
        .bucket(bucket)
        .send()
        .await
        .map_err(refusal)?;
    let config = out.public_access_block_configuration().expect("config");
    Ok([
        config.block_public_acls(),
        config.ignore_public_acls(),
        config.block_public_policy(),
        config.restrict_public_buckets(),
    ])
}

async fn delete_block(s3: &Client, bucket: &str) {
    s3.delete_public_access_block()
        .bucket(bucket)
        .send()
        .await
        .unwrap_or_else(|e| panic!("delete public access block of {bucket}: {e:?}"));
}

fn public_read_policy(bucket: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*"}}]}}"#
    )
}

// ---------------------------------------------------------------------------------------------
// Canned ACLs on the operations that create things.

#[tokio::test]
async fn canned_acls_on_create_bucket_show_in_get_bucket_acl() {
    let server = TestServer::start();
    let s3 = server.client();
    let table = [
        (BucketCannedAcl::Private, owner_only()),
        (BucketCannedAcl::PublicRead, public_read()),
        (
            BucketCannedAcl::PublicReadWrite,
            vec![
                user(ROOT_ID, "FULL_CONTROL"),
                group(ALL_USERS, "READ"),
                group(ALL_USERS, "WRITE"),
            ],
        ),
        (
            BucketCannedAcl::AuthenticatedRead,
            vec![
                user(ROOT_ID, "FULL_CONTROL"),
                group(AUTHENTICATED_USERS, "READ"),
            ],
        ),
    ];
    for (i, (acl, expected)) in table.into_iter().enumerate() {
        let bucket = format!("canned-{i}");
        try_create_bucket(&s3, &bucket, Some(acl.clone()), None)
            .await
            .unwrap_or_else(|e| panic!("create {bucket} {acl:?}: {e:?}"));
        assert_eq!(
            bucket_acl(&s3, &bucket).await,
            (ROOT_ID.to_string(), expected),
            "{acl:?}"
        );
    }
    // Canned ACLs the SDK's bucket enum lacks, through the header.
    for (i, (name, expected)) in [
        (
            "log-delivery-write",
            vec![
                user(ROOT_ID, "FULL_CONTROL"),
                group(LOG_DELIVERY, "WRITE"),
                group(LOG_DELIVERY, "READ_ACP"),
            ],
        ),
        // On a bucket the bucket owner is the owner: one grant.
        ("bucket-owner-full-control", owner_only()),
    ]
    .into_iter()
    .enumerate()
    {
        let bucket = format!("header-{i}");
        let response = put_headers(&server, &format!("/{bucket}"), &[("x-amz-acl", name)]);
        assert_eq!(response.status, 200, "{name}: {}", response.body_text());
        assert_eq!(bucket_acl(&s3, &bucket).await.1, expected, "{name}");
    }
    let response = put_headers(&server, "/bad-acl", &[("x-amz-acl", "public")]);
    assert_raw_error(&response, 400, "InvalidArgument");
}

#[tokio::test]
async fn canned_acls_on_put_object_show_in_get_object_acl() {
    let (_server, s3) = server_with_bucket("objects").await;
    let table = [
        (ObjectCannedAcl::Private, owner_only()),
        (ObjectCannedAcl::PublicRead, public_read()),
        (
            ObjectCannedAcl::PublicReadWrite,
            vec![
                user(ROOT_ID, "FULL_CONTROL"),
                group(ALL_USERS, "READ"),
                group(ALL_USERS, "WRITE"),
            ],
        ),
        (
            ObjectCannedAcl::AuthenticatedRead,
            vec![
                user(ROOT_ID, "FULL_CONTROL"),
                group(AUTHENTICATED_USERS, "READ"),
            ],
        ),
        // The bucket owner's own object: the bucket-owner grant is the owner's.
        (ObjectCannedAcl::BucketOwnerRead, owner_only()),
        (ObjectCannedAcl::BucketOwnerFullControl, owner_only()),
        (ObjectCannedAcl::AwsExecRead, owner_only()),
    ];
    for (acl, expected) in table {
        let key = format!("k-{}", acl.as_str());
        put_with_acl(&s3, "objects", &key, acl.clone()).await;
        assert_eq!(
            object_acl(&s3, "objects", &key, None).await,
            (ROOT_ID.to_string(), expected),
            "{acl:?}"
        );
    }
    // Without a canned ACL: the default.
    common::put(&s3, "objects", "plain", b"x".to_vec()).await;
    assert_eq!(
        object_acl(&s3, "objects", "plain", None).await.1,
        owner_only()
    );
}

#[tokio::test]
async fn copy_object_gets_the_private_acl_unless_its_headers_say_otherwise() {
    let (_server, s3) = server_with_bucket("copies").await;
    put_with_acl(&s3, "copies", "source", ObjectCannedAcl::PublicRead).await;
    let copy = |key: &str, acl: Option<ObjectCannedAcl>| {
        s3.copy_object()
            .bucket("copies")
            .key(key)
            .copy_source("copies/source")
            .set_acl(acl)
            .send()
    };
    copy("plain-copy", None).await.expect("copy");
    assert_eq!(
        object_acl(&s3, "copies", "plain-copy", None).await.1,
        owner_only(),
        "the source's ACL is not copied"
    );
    copy("readable-copy", Some(ObjectCannedAcl::AuthenticatedRead))
        .await
        .expect("copy with acl");
    assert_eq!(
        object_acl(&s3, "copies", "readable-copy", None).await.1,
        vec![
            user(ROOT_ID, "FULL_CONTROL"),
            group(AUTHENTICATED_USERS, "READ")
        ]
    );
}

#[tokio::test]
async fn create_multipart_upload_acl_applies_to_the_completed_object() {
    let (server, s3) = server_with_bucket("uploads").await;
    let create = s3
        .create_multipart_upload()
        .bucket("uploads")
        .key("big")
        .acl(ObjectCannedAcl::PublicRead);
    common::multipart_upload(&s3, create, &[b"only part"]).await;
    assert_eq!(
        object_acl(&s3, "uploads", "big", None).await.1,
        public_read()
    );
    let response = anonymous_get(&server, "/uploads/big");
    assert_eq!(response.status, 200, "{}", response.body_text());
    assert_eq!(response.body, b"only part");
}

// ---------------------------------------------------------------------------------------------
// PutBucketAcl / PutObjectAcl.

#[tokio::test]
async fn put_bucket_acl_with_a_document_round_trips() {
    let (_server, s3) = server_with_bucket("documented").await;
    let grant = |kind: Type, who: &str, permission: Permission| {
        let grantee = Grantee::builder().r#type(kind.clone());
        let grantee = match kind {
            Type::CanonicalUser => grantee.id(who),
            _ => grantee.uri(who),
        };
        Grant::builder()
            .grantee(grantee.build().expect("grantee"))
            .permission(permission)
            .build()
    };
    let policy = AccessControlPolicy::builder()
        .owner(Owner::builder().id(ROOT_ID).build())
        .grants(grant(Type::CanonicalUser, ROOT_ID, Permission::FullControl))
        .grants(grant(Type::Group, ALL_USERS, Permission::Read))
        .grants(grant(Type::Group, LOG_DELIVERY, Permission::Write))
        .build();
    s3.put_bucket_acl()
        .bucket("documented")
        .access_control_policy(policy)
        .send()
        .await
        .expect("put bucket acl");
    assert_eq!(
        bucket_acl(&s3, "documented").await,
        (
            ROOT_ID.to_string(),
            vec![
                user(ROOT_ID, "FULL_CONTROL"),
                group(ALL_USERS, "READ"),
                group(LOG_DELIVERY, "WRITE"),
            ]
        )
    );
    // A canned ACL replaces the whole list.
    put_bucket_canned(&s3, "documented", BucketCannedAcl::Private)
        .await
        .expect("back to private");
    assert_eq!(bucket_acl(&s3, "documented").await.1, owner_only());
}

#[tokio::test]
async fn get_acl_answers_the_policy_document_with_display_names() {
    let (server, s3) = server_with_bucket("xml").await;
    put_with_acl(&s3, "xml", "k", ObjectCannedAcl::PublicRead).await;
    let response = signed_exchange(&server, "GET", "/xml/k?acl", &[], b"");
    assert_eq!(response.status, 200, "{}", response.body_text());
    let body = response.body_text();
    for piece in [
        "<AccessControlPolicy xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
        &format!("<Owner><ID>{ROOT_ID}</ID><DisplayName>strata-root</DisplayName></Owner>"),
        "xsi:type=\"CanonicalUser\"",
        &format!(
            "xsi:type=\"Group\"><URI>{ALL_USERS}</URI></Grantee><Permission>READ</Permission>"
        ),
    ] {
        assert!(body.contains(piece), "{piece} in {body}");
    }
}

#[tokio::test]
async fn put_object_acl_addresses_the_version_named() {
    let (_server, s3) = server_with_bucket("versioned").await;
    common::set_versioning(&s3, "versioned", BucketVersioningStatus::Enabled).await;
    let put = |data: &'static [u8]| {
        let s3 = s3.clone();
        async move {
            s3.put_object()
                .bucket("versioned")
                .key("k")
                .body(ByteStream::from_static(data))
                .send()
                .await
                .expect("put")
                .version_id()
                .expect("version id")
                .to_string()
        }
    };
    let old = put(b"old").await;
    let new = put(b"new").await;
    put_object_canned(
        &s3,
        "versioned",
        "k",
        Some(&old),
        ObjectCannedAcl::PublicRead,
    )
    .await
    .expect("put acl of the old version");
    let acl_of = |version| object_acl(&s3, "versioned", "k", version);
    assert_eq!(acl_of(Some(&old)).await.1, public_read());
    assert_eq!(acl_of(Some(&new)).await.1, owner_only());
    assert_eq!(acl_of(None).await.1, owner_only());

    // Without versionId: the latest.
    s3.put_object_acl()
        .bucket("versioned")
        .key("k")
        .grant_read(format!("uri={AUTHENTICATED_USERS}"))
        .send()
        .await
        .expect("put acl of the latest");
    assert_eq!(
        acl_of(Some(&new)).await.1,
        vec![group(AUTHENTICATED_USERS, "READ")]
    );
    assert_eq!(acl_of(Some(&old)).await.1, public_read());
}

#[tokio::test]
async fn acl_operations_on_missing_things_are_404() {
    let (server, s3) = server_with_bucket("present").await;
    assert_eq!(
        try_object_acl(&s3, "present", "absent", None).await,
        refused(404, "NoSuchKey")
    );
    let response = put_headers(&server, "/present/absent?acl", &[("x-amz-acl", "private")]);
    assert_raw_error(&response, 404, "NoSuchKey");
    let err = s3
        .get_bucket_acl()
        .bucket("absent")
        .send()
        .await
        .expect_err("no bucket");
    assert_sdk_error(&err, 404, "NoSuchBucket");
}

// ---------------------------------------------------------------------------------------------
// Grant headers and grantee resolution.

#[tokio::test]
async fn grant_headers_give_exactly_the_grants_they_list() {
    let (server, s3) = server_with_bucket("granted").await;
    let response = signed_exchange(
        &server,
        "PUT",
        "/granted/k",
        &[
            (
                "x-amz-grant-read",
                &format!("uri=\"{ALL_USERS}\", uri=\"{AUTHENTICATED_USERS}\""),
            ),
            ("x-amz-grant-full-control", &format!("id=\"{ROOT_ID}\"")),
            ("x-amz-grant-write-acp", &format!("uri={LOG_DELIVERY}")),
        ],
        b"data",
    );
    assert_eq!(response.status, 200, "{}", response.body_text());
    assert_eq!(
        object_acl(&s3, "granted", "k", None).await,
        (
            ROOT_ID.to_string(),
            vec![
                group(ALL_USERS, "READ"),
                group(AUTHENTICATED_USERS, "READ"),
                group(LOG_DELIVERY, "WRITE_ACP"),
                user(ROOT_ID, "FULL_CONTROL"),
            ]
        )
    );
    assert_eq!(anonymous_get(&server, "/granted/k").status, 200);

    // Bucket ACL through headers (SDK).
    s3.put_bucket_acl()
        .bucket("granted")
        .grant_read_acp(format!("uri={ALL_USERS}"))
        .grant_full_control(format!("id={ROOT_ID}"))
        .send()
        .await
        .expect("put bucket acl with headers");
    assert_eq!(
        bucket_acl(&s3, "granted").await.1,
        vec![group(ALL_USERS, "READ_ACP"), user(ROOT_ID, "FULL_CONTROL")]
    );
    // READ_ACP for everyone: anonymous GetBucketAcl works, listing does not.
    assert_eq!(anonymous_get(&server, "/granted?acl").status, 200);
    assert_anonymous_get_denied(&server, "/granted");
}

#[tokio::test]
async fn bad_grant_headers_are_invalid_arguments() {
    let (server, _s3) = server_with_bucket("bad-grants").await;
    for value in [
        "everyone",
        "id=",
        "name=\"x\"",
        "uri=\"http://acs.amazonaws.com/groups/global/Nobody\"",
        // A well-formed id that names no account.
        "id=\"0000000000000000000000000000000000000000000000000000000000000000\"",
    ] {
        let headers = [("x-amz-grant-read", value)];
        let response = signed_exchange(&server, "PUT", "/bad-grants/k", &headers, b"x");
        assert_raw_error(&response, 400, "InvalidArgument");
    }
}

#[tokio::test]
async fn grants_by_unknown_email_are_unresolvable() {
    let (server, s3) = server_with_bucket("emails").await;
    common::put(&s3, "emails", "k", b"x".to_vec()).await;
    let response = put_headers(
        &server,
        "/emails/k?acl",
        &[("x-amz-grant-read", "emailAddress=\"nobody@example.com\"")],
    );
    assert_raw_error(&response, 400, "UnresolvableGrantByEmailAddress");
    let document = policy_document(
        ROOT_ID,
        &[grant_xml(
            "AmazonCustomerByEmail",
            "<EmailAddress>nobody@example.com</EmailAddress>",
            "READ",
        )],
    );
    let response = put_body(&server, "/emails?acl", &document);
    assert_raw_error(&response, 400, "UnresolvableGrantByEmailAddress");
    // Nothing changed.
    assert_eq!(object_acl(&s3, "emails", "k", None).await.1, owner_only());
}

// ---------------------------------------------------------------------------------------------
// Refused ACL requests.

#[tokio::test]
async fn malformed_acl_documents_are_refused() {
    let (server, s3) = server_with_bucket("malformed").await;
    let table = [
        ("not XML", "<AccessControlPolicy><Owner>".to_string()),
        ("another root", "<Policy/>".to_string()),
        (
            "unknown permission",
            policy_document(ROOT_ID, &[group_grant_xml(ALL_USERS, "EVERYTHING")]),
        ),
        (
            "unknown grantee type",
            policy_document(ROOT_ID, &[grant_xml("Robot", "<ID>r2d2</ID>", "READ")]),
        ),
        (
            "unknown group",
            policy_document(
                ROOT_ID,
                &[group_grant_xml("http://example.com/all", "READ")],
            ),
        ),
        (
            "no owner",
            format!(
                "<AccessControlPolicy><AccessControlList>{}</AccessControlList></AccessControlPolicy>",
                owner_grant_xml()
            ),
        ),
    ];
    common::put(&s3, "malformed", "k", b"x".to_vec()).await;
    for (what, body) in table {
        for path in ["/malformed?acl", "/malformed/k?acl"] {
            let response = put_body(&server, path, &body);
            assert_eq!(
                (response.status, response.error_code().as_str()),
                (400, "MalformedACLError"),
                "{what} on {path}: {}",
                response.body_text()
            );
        }
    }
}

#[tokio::test]
async fn headers_and_a_document_together_are_refused() {
    let (server, s3) = server_with_bucket("both").await;
    common::put(&s3, "both", "k", b"x".to_vec()).await;
    let document = policy_document(ROOT_ID, &[owner_grant_xml()]);
    let grant = format!("id=\"{ROOT_ID}\"");
    type Headers<'a> = &'a [(&'a str, &'a str)];
    let cases: [(Headers, &[u8], &str); 4] = [
        // A canned ACL and a body: AWS's UnexpectedContent.
        (
            &[("x-amz-acl", "public-read")],
            document.as_bytes(),
            "UnexpectedContent",
        ),
        // Grant headers and a body.
        (
            &[("x-amz-grant-read", &grant)],
            document.as_bytes(),
            "UnexpectedContent",
        ),
        // A canned ACL and grant headers: InvalidRequest.
        (
            &[("x-amz-acl", "private"), ("x-amz-grant-read", &grant)],
            b"",
            "InvalidRequest",
        ),
        // Neither.
        (&[], b"", "MissingSecurityHeader"),
    ];
    for path in ["/both?acl", "/both/k?acl"] {
        for (headers, body, code) in cases {
            let response = signed_exchange(&server, "PUT", path, headers, body);
            assert_raw_error(&response, 400, code);
        }
    }
    // On PutObject too: canned and grants together.
    let response = signed_exchange(
        &server,
        "PUT",
        "/both/other",
        &[
            ("x-amz-acl", "private"),
            ("x-amz-grant-read", &format!("uri={ALL_USERS}")),
        ],
        b"x",
    );
    assert_raw_error(&response, 400, "InvalidRequest");
    // Nothing was changed by any of them.
    assert_eq!(bucket_acl(&s3, "both").await.1, owner_only());
}

#[tokio::test]
async fn a_document_naming_another_owner_is_access_denied() {
    let (server, s3) = server_with_bucket("owned").await;
    common::put(&s3, "owned", "k", b"x".to_vec()).await;
    let other = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let document = policy_document(other, &[owner_grant_xml()]);
    for path in ["/owned?acl", "/owned/k?acl"] {
        assert_raw_error(&put_body(&server, path, &document), 403, "AccessDenied");
    }
}

// ---------------------------------------------------------------------------------------------
// What ACLs grant.

#[tokio::test]
async fn a_public_read_object_is_readable_anonymously_and_a_private_one_is_not() {
    let (server, s3) = server_with_bucket("mixed").await;
    put_with_acl(&s3, "mixed", "public", ObjectCannedAcl::PublicRead).await;
    common::put(&s3, "mixed", "private", b"secret".to_vec()).await;
    let response = anonymous_get(&server, "/mixed/public");
    assert_eq!(response.status, 200, "{}", response.body_text());
    assert_eq!(response.body, BODY);
    let head = anonymous_exchange(&server, "HEAD", "/mixed/public", b"");
    assert_eq!(head.status, 200);
    assert_anonymous_get_denied(&server, "/mixed/private");
    // READ on an object is not READ_ACP, nor any right on the bucket.
    assert_anonymous_get_denied(&server, "/mixed/public?acl");
    assert_anonymous_get_denied(&server, "/mixed");
    // Making it private again takes the grant away.
    put_object_canned(&s3, "mixed", "public", None, ObjectCannedAcl::Private)
        .await
        .expect("private again");
    assert_anonymous_get_denied(&server, "/mixed/public");
}

#[tokio::test]
async fn a_public_read_bucket_is_listable_anonymously() {
    let server = TestServer::start();
    let s3 = server.client();
    try_create_bucket(&s3, "listable", Some(BucketCannedAcl::PublicRead), None)
        .await
        .expect("create");
    common::put(&s3, "listable", "k", b"x".to_vec()).await;
    let response = anonymous_get(&server, "/listable?list-type=2");
    assert_eq!(response.status, 200, "{}", response.body_text());
    assert!(response.body_text().contains("<Key>k</Key>"));
    // Listing is READ on the bucket; the objects keep their own (private) ACLs.
    assert_anonymous_get_denied(&server, "/listable/k");
    assert_raw_error(
        &anonymous_exchange(&server, "PUT", "/listable/new", b"x"),
        403,
        "AccessDenied",
    );
}

#[tokio::test]
async fn a_public_read_write_bucket_takes_anonymous_writes() {
    let server = TestServer::start();
    let s3 = server.client();
    try_create_bucket(&s3, "dropbox", Some(BucketCannedAcl::PublicReadWrite), None)
        .await
        .expect("create");
    let response = anonymous_exchange(&server, "PUT", "/dropbox/drop", b"anonymous data");
    assert_eq!(response.status, 200, "{}", response.body_text());
    let listing = s3
        .list_objects_v2()
        .bucket("dropbox")
        .send()
        .await
        .expect("list");
    assert_eq!(listing.contents().len(), 1);
}

#[tokio::test]
async fn a_browser_upload_applies_its_acl_field() {
    let (server, s3) = server_with_bucket("forms").await;
    let response = post_form(&server, "forms", "public.txt", Some("public-read"));
    assert_eq!(response.status, 204, "{}", response.body_text());
    assert_eq!(
        object_acl(&s3, "forms", "public.txt", None).await.1,
        public_read()
    );
    assert_eq!(anonymous_get(&server, "/forms/public.txt").status, 200);
    let response = post_form(&server, "forms", "plain.txt", None);
    assert_eq!(response.status, 204, "{}", response.body_text());
    assert_anonymous_get_denied(&server, "/forms/plain.txt");
    let response = post_form(&server, "forms", "bad.txt", Some("everyone"));
    assert_raw_error(&response, 400, "InvalidArgument");
}

/// A browser form upload of `key` (with an `acl` field when given) signed with SigV4 by a
/// policy that allows exactly that.
fn post_form(server: &TestServer, bucket: &str, key: &str, acl: Option<&str>) -> RawResponse {
    let acl_condition = acl
        .map(|acl| format!(r#"{{"acl": "{acl}"}}, "#))
        .unwrap_or_default();
    let policy = format!(
        r#"{{"expiration": "2099-01-01T00:00:00Z", "conditions": [{{"bucket": "{bucket}"}}, {{"key": "{key}"}}, {acl_condition}{{"x-amz-algorithm": "AWS4-HMAC-SHA256"}}, {{"x-amz-credential": "CREDENTIAL"}}, {{"x-amz-date": "AMZDATE"}}]}}"#
    );
    let mut fields = vec![("key", key)];
    fields.extend(acl.map(|acl| ("acl", acl)));
    common::post_form(server, bucket, &policy, &fields, b"posted")
}

// ---------------------------------------------------------------------------------------------
// Object ownership.

#[tokio::test]
async fn ownership_controls_round_trip_and_missing_ones_are_404() {
    let (server, s3) = server_with_bucket("owning").await;
    assert_eq!(
        ownership_of(&s3, "owning").await,
        refused(404, "OwnershipControlsNotFoundError"),
        "none by default"
    );
    for ownership in [
        ObjectOwnership::BucketOwnerPreferred,
        ObjectOwnership::ObjectWriter,
        ObjectOwnership::BucketOwnerEnforced,
    ] {
        set_ownership(&s3, "owning", ownership.clone()).await;
        assert_eq!(ownership_of(&s3, "owning").await, Ok(ownership));
    }
    let response = signed_exchange(&server, "DELETE", "/owning?ownershipControls", &[], b"");
    assert_eq!(response.status, 204, "{}", response.body_text());
    let response = signed_exchange(&server, "GET", "/owning?ownershipControls", &[], b"");
    assert_raw_error(&response, 404, "OwnershipControlsNotFoundError");
    // A document that is not one rule with a known setting is MalformedXML.
    for body in [
        "<OwnershipControls><Rule><ObjectOwnership>Mine</ObjectOwnership></Rule></OwnershipControls>",
        "<OwnershipControls/>",
        "not xml",
    ] {
        let response = put_body(&server, "/owning?ownershipControls", body);
        assert_raw_error(&response, 400, "MalformedXML");
    }
    let response = signed_exchange(&server, "GET", "/absent?ownershipControls", &[], b"");
    assert_raw_error(&response, 404, "NoSuchBucket");
}

#[tokio::test]
async fn create_bucket_takes_its_object_ownership_from_the_header() {
    let server = TestServer::start();
    let s3 = server.client();
    try_create_bucket(
        &s3,
        "preferred",
        None,
        Some(ObjectOwnership::BucketOwnerPreferred),
    )
    .await
    .expect("create");
    assert_eq!(
        ownership_of(&s3, "preferred").await,
        Ok(ObjectOwnership::BucketOwnerPreferred)
    );
    // Enforced and a public ACL contradict each other.
    assert_eq!(
        try_create_bucket(
            &s3,
            "contradiction",
            Some(BucketCannedAcl::PublicRead),
            Some(ObjectOwnership::BucketOwnerEnforced),
        )
        .await,
        refused(400, "InvalidBucketAclWithObjectOwnership")
    );
    let response = put_headers(
        &server,
        "/unknown-ownership",
        &[("x-amz-object-ownership", "Nobody")],
    );
    assert_raw_error(&response, 400, "InvalidArgument");
}

#[tokio::test]
async fn bucket_owner_enforced_disables_acls() {
    let (server, s3) = server_with_bucket("enforced").await;
    put_with_acl(&s3, "enforced", "was-public", ObjectCannedAcl::PublicRead).await;
    assert_eq!(anonymous_get(&server, "/enforced/was-public").status, 200);
    set_ownership(&s3, "enforced", ObjectOwnership::BucketOwnerEnforced).await;

    // The object's ACL no longer grants anything; GetObjectAcl shows the owner alone.
    assert_anonymous_get_denied(&server, "/enforced/was-public");
    let owner_only = (ROOT_ID.to_string(), owner_only());
    assert_eq!(
        object_acl(&s3, "enforced", "was-public", None).await,
        owner_only
    );
    assert_eq!(bucket_acl(&s3, "enforced").await, owner_only);

    // Setting any other ACL fails with AccessControlListNotSupported.
    let not_supported = refused(400, "AccessControlListNotSupported");
    let public = ObjectCannedAcl::PublicRead;
    assert_eq!(
        put_bucket_canned(&s3, "enforced", BucketCannedAcl::PublicRead).await,
        not_supported
    );
    assert_eq!(
        put_object_canned(&s3, "enforced", "was-public", None, public.clone()).await,
        not_supported
    );
    assert_eq!(
        try_put(&s3, "enforced", "new", Some(public)).await,
        not_supported
    );
    let response = signed_exchange(
        &server,
        "PUT",
        "/enforced/granted",
        &[("x-amz-grant-read", &format!("uri={ALL_USERS}"))],
        b"x",
    );
    assert_raw_error(&response, 400, "AccessControlListNotSupported");
    let document = policy_document(ROOT_ID, &[group_grant_xml(ALL_USERS, "READ")]);
    let response = put_body(&server, "/enforced?acl", &document);
    assert_raw_error(&response, 400, "AccessControlListNotSupported");

    // The owner's FULL_CONTROL in any form is accepted.
    put_with_acl(
        &s3,
        "enforced",
        "bofc",
        ObjectCannedAcl::BucketOwnerFullControl,
    )
    .await;
    put_with_acl(&s3, "enforced", "private", ObjectCannedAcl::Private).await;
    put_bucket_canned(&s3, "enforced", BucketCannedAcl::Private)
        .await
        .expect("private bucket acl");
    let document = policy_document(ROOT_ID, &[owner_grant_xml()]);
    let response = put_body(&server, "/enforced?acl", &document);
    assert_eq!(response.status, 200, "{}", response.body_text());

    // ACLs enabled again: the stored object ACL is back.
    set_ownership(&s3, "enforced", ObjectOwnership::ObjectWriter).await;
    assert_eq!(anonymous_get(&server, "/enforced/was-public").status, 200);
}

#[tokio::test]
async fn enforcing_ownership_while_the_bucket_acl_grants_others_is_refused() {
    let server = TestServer::start();
    let s3 = server.client();
    try_create_bucket(&s3, "shared", Some(BucketCannedAcl::PublicRead), None)
        .await
        .expect("create");
    assert_eq!(
        try_set_ownership(&s3, "shared", ObjectOwnership::BucketOwnerEnforced).await,
        refused(400, "InvalidBucketAclWithObjectOwnership")
    );
    // Other settings are fine; and once the ACL is private, so is enforcing.
    set_ownership(&s3, "shared", ObjectOwnership::BucketOwnerPreferred).await;
    put_bucket_canned(&s3, "shared", BucketCannedAcl::Private)
        .await
        .expect("private");
    set_ownership(&s3, "shared", ObjectOwnership::BucketOwnerEnforced).await;
}

// ---------------------------------------------------------------------------------------------
// The public access block.

#[tokio::test]
async fn public_access_block_round_trips_and_a_missing_one_is_404() {
    let (server, s3) = server_with_bucket("blocked").await;
    assert_eq!(
        block_of(&s3, "blocked").await,
        refused(404, "NoSuchPublicAccessBlockConfiguration"),
        "none by default"
    );
    set_block(&s3, "blocked", block(true, false, true, false)).await;
    assert_eq!(
        block_of(&s3, "blocked").await,
        Ok([Some(true), Some(false), Some(true), Some(false)])
    );
    // Settings left out are false.
    let response = put_body(
        &server,
        "/blocked?publicAccessBlock",
        "<PublicAccessBlockConfiguration><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>",
    );
    assert_eq!(response.status, 200, "{}", response.body_text());
    assert_eq!(
        block_of(&s3, "blocked").await,
        Ok([Some(false), Some(false), Some(false), Some(true)])
    );
    let response = put_body(
        &server,
        "/blocked?publicAccessBlock",
        "<PublicAccessBlockConfiguration><BlockPublicAcls>maybe</BlockPublicAcls></PublicAccessBlockConfiguration>",
    );
    assert_raw_error(&response, 400, "MalformedXML");
    delete_block(&s3, "blocked").await;
    let response = signed_exchange(&server, "GET", "/blocked?publicAccessBlock", &[], b"");
    assert_raw_error(&response, 404, "NoSuchPublicAccessBlockConfiguration");
}

#[tokio::test]
async fn block_public_acls_refuses_requests_that_set_public_acls() {
    let (server, s3) = server_with_bucket("no-public").await;
    common::put(&s3, "no-public", "k", b"x".to_vec()).await;
    set_block(&s3, "no-public", block(true, false, false, false)).await;
    assert_eq!(
        try_put(
            &s3,
            "no-public",
            "public",
            Some(ObjectCannedAcl::PublicRead)
        )
        .await,
        denied()
    );
    assert_eq!(
        put_bucket_canned(&s3, "no-public", BucketCannedAcl::AuthenticatedRead).await,
        denied()
    );
    let response = put_headers(
        &server,
        "/no-public/k?acl",
        &[("x-amz-grant-read", &format!("uri={ALL_USERS}"))],
    );
    assert_raw_error(&response, 403, "AccessDenied");
    let document = policy_document(ROOT_ID, &[group_grant_xml(AUTHENTICATED_USERS, "READ")]);
    let response = put_body(&server, "/no-public/k?acl", &document);
    assert_raw_error(&response, 403, "AccessDenied");
    // Non-public ACLs still go through.
    put_with_acl(&s3, "no-public", "private", ObjectCannedAcl::Private).await;
    put_bucket_canned(&s3, "no-public", BucketCannedAcl::Private)
        .await
        .expect("private acl");
    let response = put_headers(
        &server,
        "/no-public?acl",
        &[("x-amz-acl", "log-delivery-write")],
    );
    assert_eq!(response.status, 200, "{}", response.body_text());
}

#[tokio::test]
async fn ignore_public_acls_makes_public_grants_grant_nothing() {
    let (server, s3) = server_with_bucket("ignoring").await;
    put_with_acl(&s3, "ignoring", "k", ObjectCannedAcl::PublicRead).await;
    assert_eq!(anonymous_get(&server, "/ignoring/k").status, 200);
    set_block(&s3, "ignoring", block(false, true, false, false)).await;
    assert_anonymous_get_denied(&server, "/ignoring/k");
    // The ACL itself is unchanged, and counts again once the block is gone.
    assert_eq!(
        object_acl(&s3, "ignoring", "k", None).await.1,
        public_read()
    );
    delete_block(&s3, "ignoring").await;
    assert_eq!(anonymous_get(&server, "/ignoring/k").status, 200);
}

#[tokio::test]
async fn block_public_policy_refuses_public_bucket_policies() {
    let (_server, s3) = server_with_bucket("no-public-policy").await;
    set_block(&s3, "no-public-policy", block(false, false, true, false)).await;
    assert_eq!(
        put_policy(
            &s3,
            "no-public-policy",
            &public_read_policy("no-public-policy")
        )
        .await,
        denied()
    );
    // A policy for a named account is not public.
    let private = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000001:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::no-public-policy/*"}]}"#;
    put_policy(&s3, "no-public-policy", private)
        .await
        .expect("non-public policy");
}

#[tokio::test]
async fn restrict_public_buckets_stops_public_policies_granting_anonymous_reads() {
    let (server, s3) = server_with_bucket("restricted").await;
    common::put(&s3, "restricted", "k", b"x".to_vec()).await;
    put_policy(&s3, "restricted", &public_read_policy("restricted"))
        .await
        .expect("policy");
    assert_eq!(anonymous_get(&server, "/restricted/k").status, 200);
    set_block(&s3, "restricted", block(false, false, false, true)).await;
    assert_anonymous_get_denied(&server, "/restricted/k");
    // The owner's own access is untouched.
    assert_eq!(common::get(&s3, "restricted", "k").await, b"x");
}

// ---------------------------------------------------------------------------------------------
// Server defaults.

#[tokio::test]
async fn legacy_defaults_leave_acls_enabled_and_nothing_blocked() {
    let (_server, s3) = server_with_bucket("legacy").await;
    assert_eq!(
        ownership_of(&s3, "legacy").await,
        refused(404, "OwnershipControlsNotFoundError")
    );
    assert_eq!(
        block_of(&s3, "legacy").await,
        refused(404, "NoSuchPublicAccessBlockConfiguration")
    );
    put_with_acl(&s3, "legacy", "k", ObjectCannedAcl::PublicRead).await;
}

#[tokio::test]
async fn aws_defaults_enforce_ownership_and_block_public_access() {
    let server = TestServer::start_with(&["--bucket-defaults", "aws"]);
    let s3 = server.client();
    common::create_bucket(&s3, "modern").await;
    assert_eq!(
        ownership_of(&s3, "modern").await,
        Ok(ObjectOwnership::BucketOwnerEnforced)
    );
    assert_eq!(block_of(&s3, "modern").await, Ok([Some(true); 4]));
    assert_eq!(
        try_put(&s3, "modern", "k", Some(ObjectCannedAcl::PublicRead)).await,
        refused(400, "AccessControlListNotSupported"),
        "acls disabled"
    );
    common::put(&s3, "modern", "k", b"x".to_vec()).await;

    // CreateBucket may choose another ownership; the blocks are on regardless.
    try_create_bucket(
        &s3,
        "writer-owned",
        None,
        Some(ObjectOwnership::ObjectWriter),
    )
    .await
    .expect("create");
    assert_eq!(
        ownership_of(&s3, "writer-owned").await,
        Ok(ObjectOwnership::ObjectWriter)
    );
    assert_eq!(block_of(&s3, "writer-owned").await, Ok([Some(true); 4]));
    assert_eq!(
        try_create_bucket(&s3, "public", Some(BucketCannedAcl::PublicRead), None).await,
        refused(400, "InvalidBucketAclWithObjectOwnership"),
        "public acl on an enforced bucket"
    );
}

// ---------------------------------------------------------------------------------------------
// Other accounts: what ACL grants give them, and who owns what they write.

/// A second account and an S3 client signing as its root.
async fn other_account(server: &TestServer, name: &str) -> (TestAccount, Client) {
    let account = create_account(server, name).await;
    let client = s3_client_as(server, &account.access_key, &account.secret_key);
    (account, client)
}

/// PutBucketAcl through grant headers: the owner keeps FULL_CONTROL, `other` gets WRITE.
async fn grant_bucket_write(s3: &Client, bucket: &str, other: &TestAccount) {
    s3.put_bucket_acl()
        .bucket(bucket)
        .grant_full_control(format!("id={ROOT_ID}"))
        .grant_write(format!("id={}", other.canonical_id))
        .send()
        .await
        .unwrap_or_else(|e| panic!("grant write on {bucket}: {e:?}"));
}

#[tokio::test]
async fn a_read_grant_by_canonical_id_lets_another_account_get_the_object() {
    let (server, s3) = server_with_bucket("shared-reads").await;
    let (other, as_other) = other_account(&server, "reader").await;
    common::put(&s3, "shared-reads", "granted", b"for the reader".to_vec()).await;
    common::put(
        &s3,
        "shared-reads",
        "private",
        b"not for the reader".to_vec(),
    )
    .await;
    assert_eq!(
        try_get(&as_other, "shared-reads", "granted").await,
        denied()
    );

    s3.put_object_acl()
        .bucket("shared-reads")
        .key("granted")
        .grant_full_control(format!("id=\"{ROOT_ID}\""))
        .grant_read(format!("id=\"{}\"", other.canonical_id))
        .send()
        .await
        .expect("grant read");
    assert_eq!(
        object_acl(&s3, "shared-reads", "granted", None).await.1,
        // Grant headers are listed read, write, read-acp, write-acp, full-control.
        vec![
            user(&other.canonical_id, "READ"),
            user(ROOT_ID, "FULL_CONTROL")
        ]
    );
    assert_eq!(
        try_get(&as_other, "shared-reads", "granted").await,
        Ok(b"for the reader".to_vec())
    );
    // READ is neither READ_ACP, nor READ on other objects, nor on the bucket.
    assert_eq!(
        try_object_acl(&as_other, "shared-reads", "granted", None).await,
        denied(),
        "no READ_ACP"
    );
    assert_eq!(
        try_get(&as_other, "shared-reads", "private").await,
        denied()
    );
    assert_sdk_error(
        &as_other
            .list_objects_v2()
            .bucket("shared-reads")
            .send()
            .await
            .expect_err("no bucket READ"),
        403,
        "AccessDenied",
    );
    // Anonymous callers are not that account.
    assert_anonymous_get_denied(&server, "/shared-reads/granted");
}

#[tokio::test]
async fn authenticated_read_is_any_account_but_not_anonymous() {
    let (server, s3) = server_with_bucket("members").await;
    let (_other, as_other) = other_account(&server, "member").await;
    put_with_acl(&s3, "members", "k", ObjectCannedAcl::AuthenticatedRead).await;
    assert_eq!(try_get(&as_other, "members", "k").await, Ok(BODY.to_vec()));
    assert_anonymous_get_denied(&server, "/members/k");
}

#[tokio::test]
async fn a_bucket_write_grant_lets_another_account_write_objects_it_then_owns() {
    let (server, s3) = server_with_bucket("inbox").await;
    let (other, as_other) = other_account(&server, "writer").await;
    assert_eq!(try_put(&as_other, "inbox", "before", None).await, denied());
    grant_bucket_write(&s3, "inbox", &other).await;

    // ObjectWriter: the writer owns what it writes, and the bucket owner has no access to it.
    try_put(&as_other, "inbox", "theirs", None)
        .await
        .expect("write granted");
    assert_eq!(
        object_acl(&as_other, "inbox", "theirs", None).await,
        (
            other.canonical_id.clone(),
            vec![user(&other.canonical_id, "FULL_CONTROL")]
        )
    );
    assert_eq!(try_get(&s3, "inbox", "theirs").await, denied());
    assert_eq!(
        try_object_acl(&s3, "inbox", "theirs", None).await,
        denied(),
        "not the object's owner"
    );
    assert_eq!(
        try_get(&as_other, "inbox", "theirs").await,
        Ok(BODY.to_vec())
    );

    // With bucket-owner-full-control the bucket owner can read it (the writer still owns it).
    try_put(
        &as_other,
        "inbox",
        "shared",
        Some(ObjectCannedAcl::BucketOwnerFullControl),
    )
    .await
    .expect("write with bucket-owner-full-control");
    assert_eq!(
        object_acl(&s3, "inbox", "shared", None).await,
        (
            other.canonical_id.clone(),
            vec![
                user(&other.canonical_id, "FULL_CONTROL"),
                user(ROOT_ID, "FULL_CONTROL")
            ]
        )
    );
    assert_eq!(try_get(&s3, "inbox", "shared").await, Ok(BODY.to_vec()));

    // The bucket owner may still list and delete whatever is in its bucket.
    let listing = s3
        .list_objects_v2()
        .bucket("inbox")
        .send()
        .await
        .expect("list");
    assert_eq!(listing.contents().len(), 2);
    s3.delete_object()
        .bucket("inbox")
        .key("theirs")
        .send()
        .await
        .expect("the bucket owner deletes");
}

#[tokio::test]
async fn bucket_owner_preferred_takes_ownership_of_bucket_owner_full_control_uploads() {
    let (server, s3) = server_with_bucket("preferring").await;
    let (other, as_other) = other_account(&server, "uploader").await;
    grant_bucket_write(&s3, "preferring", &other).await;
    set_ownership(&s3, "preferring", ObjectOwnership::BucketOwnerPreferred).await;

    try_put(
        &as_other,
        "preferring",
        "handed-over",
        Some(ObjectCannedAcl::BucketOwnerFullControl),
    )
    .await
    .expect("write");
    assert_eq!(
        object_acl(&s3, "preferring", "handed-over", None).await,
        (ROOT_ID.to_string(), owner_only())
    );
    assert!(try_get(&s3, "preferring", "handed-over").await.is_ok());

    // Without that ACL the writer keeps it.
    try_put(&as_other, "preferring", "kept", None)
        .await
        .expect("write");
    assert_eq!(
        object_acl(&as_other, "preferring", "kept", None).await.0,
        other.canonical_id
    );
    assert_eq!(try_get(&s3, "preferring", "kept").await, denied());
}

#[tokio::test]
async fn bucket_owner_enforced_makes_the_bucket_owner_own_every_upload() {
    let (server, s3) = server_with_bucket("enforcing").await;
    let (other, as_other) = other_account(&server, "contributor").await;
    set_ownership(&s3, "enforcing", ObjectOwnership::BucketOwnerEnforced).await;
    // ACL grants do nothing here, so the other account writes through the bucket policy.
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{}:root"}},"Action":"s3:PutObject","Resource":"arn:aws:s3:::enforcing/*"}}]}}"#,
        other.number
    );
    put_policy(&s3, "enforcing", &policy).await.expect("policy");
    try_put(&as_other, "enforcing", "k", None)
        .await
        .expect("write allowed by the policy");
    assert_eq!(
        object_acl(&s3, "enforcing", "k", None).await,
        (ROOT_ID.to_string(), owner_only())
    );
    assert_eq!(try_get(&s3, "enforcing", "k").await, Ok(BODY.to_vec()));
    // The writer has no access to it beyond what the policy gives (PutObject only).
    assert_eq!(try_get(&as_other, "enforcing", "k").await, denied());
    // Turning ACLs back on: the object stays the bucket owner's.
    set_ownership(&s3, "enforcing", ObjectOwnership::ObjectWriter).await;
    assert!(try_get(&s3, "enforcing", "k").await.is_ok());
}

#[tokio::test]
async fn a_grant_by_email_resolves_to_the_account_with_that_address() {
    let (server, s3) = server_with_bucket("mailed").await;
    let (status, body) = iam_call(
        &server,
        common::ACCESS_KEY,
        common::SECRET_KEY,
        &[
            ("Action", "CreateAccount"),
            ("AccountName", "mailbox"),
            ("Email", "mailbox@example.com"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let field = |name: &str| common::xml_value(&body, name).expect(name);
    let (canonical_id, access_key, secret_key) = (
        field("CanonicalUserId"),
        field("AccessKeyId"),
        field("SecretAccessKey"),
    );
    let as_mailbox = s3_client_as(&server, &access_key, &secret_key);
    common::put(&s3, "mailed", "letter", b"dear mailbox".to_vec()).await;
    let document = policy_document(
        ROOT_ID,
        &[
            owner_grant_xml(),
            grant_xml(
                "AmazonCustomerByEmail",
                "<EmailAddress>Mailbox@Example.com</EmailAddress>",
                "READ",
            ),
        ],
    );
    let response = put_body(&server, "/mailed/letter?acl", &document);
    assert_eq!(response.status, 200, "{}", response.body_text());
    // Stored (and shown) as the account's canonical id.
    assert_eq!(
        object_acl(&s3, "mailed", "letter", None).await.1,
        vec![user(ROOT_ID, "FULL_CONTROL"), user(&canonical_id, "READ")]
    );
    assert_eq!(
        try_get(&as_mailbox, "mailed", "letter").await,
        Ok(b"dear mailbox".to_vec())
    );
}
