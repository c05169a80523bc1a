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
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    AccessControlPolicy, BucketCannedAcl, BucketVersioningStatus, CompletedMultipartUpload,
    CompletedPart, Grant, Grantee, ObjectCannedAcl, ObjectOwnership, Owner, OwnershipControls,
    OwnershipControlsRule, Permission, PublicAccessBlockConfiguration, Type,
};
use common::accounts::{TestAccount, create_account, iam_call, s3_client_as};
use common::{
    RawResponse, TestServer, assert_raw_error, assert_sdk_error, raw_exchange, signed_request,
    unsigned_request,
};

/// The canonical id of the server's root account (what owns everything the tests create).
const ROOT_ID: &str = "7374726174612d726f6f742d6163636f756e742d63616e6f6e6963616c2d6964";
const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
const AUTHENTICATED_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
const LOG_DELIVERY: &str = "http://acs.amazonaws.com/groups/s3/LogDelivery";

// ---------------------------------------------------------------------------------------------
// Steps the tests repeat.

async fn server_with_bucket(bucket: &str) -> (TestServer, Client) {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, bucket).await;
    (server, s3)
}

/// A grant as the tests compare them: `("id:<canonical id>" | "uri:<group uri>", permission)`.
type Shown = (String, String);

fn user(id: &str, permission: &str) -> Shown {
    (format!("id:{id}"), permission.to_string())
}

fn group(uri: &str, permission: &str) -> Shown {
    (format!("uri:{uri}"), permission.to_string())
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
async fn object_acl(
    s3: &Client,
    bucket: &str,
    key: &str,
    version: Option<&str>,
) -> (String, Vec<Shown>) {
    let out = s3
        .get_object_acl()
        .bucket(bucket)
        .key(key)
        .set_version_id(version.map(str::to_string))
        .send()
        .await
        .unwrap_or_else(|e| panic!("get acl of {key}: {e:?}"));
    let owner = out.owner().and_then(|o| o.id()).expect("owner").to_string();
    (owner, shown(out.grants()))
}

async fn put_with_acl(s3: &Client, bucket: &str, key: &str, acl: ObjectCannedAcl) {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .acl(acl)
        .body(ByteStream::from_static(b"body"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("put {key}: {e:?}"));
}

fn signed(
    server: &TestServer,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> RawResponse {
    raw_exchange(
        &server.addr,
        &signed_request(method, &server.addr, path_and_query, headers, body),
    )
}

fn anonymous(server: &TestServer, method: &str, path_and_query: &str) -> RawResponse {
    raw_exchange(
        &server.addr,
        &unsigned_request(method, &server.addr, path_and_query, &[], b""),
    )
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

fn ownership_controls(ownership: ObjectOwnership) -> OwnershipControls {
    OwnershipControls::builder()
        .rules(
            OwnershipControlsRule::builder()
                .object_ownership(ownership)
                .build()
                .expect("rule"),
        )
        .build()
        .expect("controls")
}

async fn set_ownership(s3: &Client, bucket: &str, ownership: ObjectOwnership) {
    s3.put_bucket_ownership_controls()
        .bucket(bucket)
        .ownership_controls(ownership_controls(ownership))
        .send()
        .await
        .unwrap_or_else(|e| panic!("ownership controls of {bucket}: {e:?}"));
}

async fn ownership_of(s3: &Client, bucket: &str) -> ObjectOwnership {
    let out = s3
        .get_bucket_ownership_controls()
        .bucket(bucket)
        .send()
        .await
        .unwrap_or_else(|e| panic!("ownership controls of {bucket}: {e:?}"));
    let rules = out.ownership_controls().expect("controls").rules();
    assert_eq!(rules.len(), 1, "{rules:?}");
    rules[0].object_ownership().clone()
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

async fn block_of(s3: &Client, bucket: &str) -> [Option<bool>; 4] {
    let out = s3
        .get_public_access_block()
        .bucket(bucket)
        .send()
        .await
        .unwrap_or_else(|e| panic!("public access block of {bucket}: {e:?}"));
    let config = out.public_access_block_configuration().expect("config");
    [
        config.block_public_acls(),
        config.ignore_public_acls(),
        config.block_public_policy(),
        config.restrict_public_buckets(),
    ]
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
        (
            BucketCannedAcl::Private,
            vec![user(ROOT_ID, "FULL_CONTROL")],
        ),
        (
            BucketCannedAcl::PublicRead,
            vec![user(ROOT_ID, "FULL_CONTROL"), group(ALL_USERS, "READ")],
        ),
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
        s3.create_bucket()
            .bucket(&bucket)
            .acl(acl.clone())
            .send()
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
        (
            "bucket-owner-full-control",
            vec![user(ROOT_ID, "FULL_CONTROL")],
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let bucket = format!("header-{i}");
        let response = signed(
            &server,
            "PUT",
            &format!("/{bucket}"),
            &[("x-amz-acl", name)],
            b"",
        );
        assert_eq!(response.status, 200, "{name}: {}", response.body_text());
        assert_eq!(bucket_acl(&s3, &bucket).await.1, expected, "{name}");
    }
    let response = signed(&server, "PUT", "/bad-acl", &[("x-amz-acl", "public")], b"");
    assert_raw_error(&response, 400, "InvalidArgument");
}

#[tokio::test]
async fn canned_acls_on_put_object_show_in_get_object_acl() {
    let (_server, s3) = server_with_bucket("objects").await;
    let owner_only = vec![user(ROOT_ID, "FULL_CONTROL")];
    let table = [
        (ObjectCannedAcl::Private, owner_only.clone()),
        (
            ObjectCannedAcl::PublicRead,
            vec![user(ROOT_ID, "FULL_CONTROL"), group(ALL_USERS, "READ")],
        ),
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
        (ObjectCannedAcl::BucketOwnerRead, owner_only.clone()),
        (ObjectCannedAcl::BucketOwnerFullControl, owner_only.clone()),
        (ObjectCannedAcl::AwsExecRead, owner_only.clone()),
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
        owner_only
    );
}

#[tokio::test]
async fn copy_object_gets_the_private_acl_unless_its_headers_say_otherwise() {
    let (_server, s3) = server_with_bucket("copies").await;
    put_with_acl(&s3, "copies", "source", ObjectCannedAcl::PublicRead).await;
    s3.copy_object()
        .bucket("copies")
        .key("plain-copy")
        .copy_source("copies/source")
        .send()
        .await
        .expect("copy");
    assert_eq!(
        object_acl(&s3, "copies", "plain-copy", None).await.1,
        vec![user(ROOT_ID, "FULL_CONTROL")],
        "the source's ACL is not copied"
    );
    s3.copy_object()
        .bucket("copies")
        .key("readable-copy")
        .copy_source("copies/source")
        .acl(ObjectCannedAcl::AuthenticatedRead)
        .send()
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
    let upload = s3
        .create_multipart_upload()
        .bucket("uploads")
        .key("big")
        .acl(ObjectCannedAcl::PublicRead)
        .send()
        .await
        .expect("create upload");
    let upload_id = upload.upload_id().expect("upload id");
    let part = s3
        .upload_part()
        .bucket("uploads")
        .key("big")
        .upload_id(upload_id)
        .part_number(1)
        .body(ByteStream::from_static(b"only part"))
        .send()
        .await
        .expect("part");
    s3.complete_multipart_upload()
        .bucket("uploads")
        .key("big")
        .upload_id(upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(
                    CompletedPart::builder()
                        .part_number(1)
                        .e_tag(part.e_tag().expect("etag"))
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("complete");
    assert_eq!(
        object_acl(&s3, "uploads", "big", None).await.1,
        vec![user(ROOT_ID, "FULL_CONTROL"), group(ALL_USERS, "READ")]
    );
    let response = anonymous(&server, "GET", "/uploads/big");
    assert_eq!(response.status, 200, "{}", response.body_text());
    assert_eq!(response.body, b"only part");
}

// ---------------------------------------------------------------------------------------------
// PutBucketAcl / PutObjectAcl.

#[tokio::test]
async fn put_bucket_acl_with_a_document_round_trips() {
    let (_server, s3) = server_with_bucket("documented").await;
    let grantee = |kind: Type| Grantee::builder().r#type(kind);
    let policy = AccessControlPolicy::builder()
        .owner(Owner::builder().id(ROOT_ID).build())
        .grants(
            Grant::builder()
                .grantee(
                    grantee(Type::CanonicalUser)
                        .id(ROOT_ID)
                        .build()
                        .expect("grantee"),
                )
                .permission(Permission::FullControl)
                .build(),
        )
        .grants(
            Grant::builder()
                .grantee(
                    grantee(Type::Group)
                        .uri(ALL_USERS)
                        .build()
                        .expect("grantee"),
                )
                .permission(Permission::Read)
                .build(),
        )
        .grants(
            Grant::builder()
                .grantee(
                    grantee(Type::Group)
                        .uri(LOG_DELIVERY)
                        .build()
                        .expect("grantee"),
                )
                .permission(Permission::Write)
                .build(),
        )
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
    s3.put_bucket_acl()
        .bucket("documented")
        .acl(BucketCannedAcl::Private)
        .send()
        .await
        .expect("back to private");
    assert_eq!(
        bucket_acl(&s3, "documented").await.1,
        vec![user(ROOT_ID, "FULL_CONTROL")]
    );
}

#[tokio::test]
async fn get_acl_answers_the_policy_document_with_display_names() {
    let (server, s3) = server_with_bucket("xml").await;
    put_with_acl(&s3, "xml", "k", ObjectCannedAcl::PublicRead).await;
    let response = signed(&server, "GET", "/xml/k?acl", &[], b"");
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
    s3.put_object_acl()
        .bucket("versioned")
        .key("k")
        .version_id(&old)
        .acl(ObjectCannedAcl::PublicRead)
        .send()
        .await
        .expect("put acl of the old version");
    let private = vec![user(ROOT_ID, "FULL_CONTROL")];
    let public = vec![user(ROOT_ID, "FULL_CONTROL"), group(ALL_USERS, "READ")];
    assert_eq!(
        object_acl(&s3, "versioned", "k", Some(&old)).await.1,
        public
    );
    assert_eq!(
        object_acl(&s3, "versioned", "k", Some(&new)).await.1,
        private
    );
    assert_eq!(object_acl(&s3, "versioned", "k", None).await.1, private);

    // Without versionId: the latest.
    s3.put_object_acl()
        .bucket("versioned")
        .key("k")
        .grant_read(format!("uri={AUTHENTICATED_USERS}"))
        .send()
        .await
        .expect("put acl of the latest");
    assert_eq!(
        object_acl(&s3, "versioned", "k", Some(&new)).await.1,
        vec![group(AUTHENTICATED_USERS, "READ")]
    );
    assert_eq!(
        object_acl(&s3, "versioned", "k", Some(&old)).await.1,
        public
    );
}

#[tokio::test]
async fn acl_operations_on_missing_things_are_404() {
    let (server, s3) = server_with_bucket("present").await;
    let err = s3
        .get_object_acl()
        .bucket("present")
        .key("absent")
        .send()
        .await
        .expect_err("no key");
    assert_sdk_error(&err, 404, "NoSuchKey");
    let response = signed(
        &server,
        "PUT",
        "/present/absent?acl",
        &[("x-amz-acl", "private")],
        b"",
    );
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
    let response = signed(
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
    assert_eq!(anonymous(&server, "GET", "/granted/k").status, 200);

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
    assert_eq!(anonymous(&server, "GET", "/granted?acl").status, 200);
    assert_raw_error(&anonymous(&server, "GET", "/granted"), 403, "AccessDenied");
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
        let response = signed(
            &server,
            "PUT",
            "/bad-grants/k",
            &[("x-amz-grant-read", value)],
            b"x",
        );
        assert_raw_error(&response, 400, "InvalidArgument");
    }
}

#[tokio::test]
async fn grants_by_unknown_email_are_unresolvable() {
    let (server, s3) = server_with_bucket("emails").await;
    common::put(&s3, "emails", "k", b"x".to_vec()).await;
    let response = signed(
        &server,
        "PUT",
        "/emails/k?acl",
        &[("x-amz-grant-read", "emailAddress=\"nobody@example.com\"")],
        b"",
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
    let response = signed(&server, "PUT", "/emails?acl", &[], document.as_bytes());
    assert_raw_error(&response, 400, "UnresolvableGrantByEmailAddress");
    // Nothing changed.
    assert_eq!(
        object_acl(&s3, "emails", "k", None).await.1,
        vec![user(ROOT_ID, "FULL_CONTROL")]
    );
}

// ---------------------------------------------------------------------------------------------
// Refused ACL requests.

#[tokio::test]
async fn malformed_acl_documents_are_refused() {
    let (server, s3) = server_with_bucket("malformed").await;
    let owner_grant = grant_xml(
        "CanonicalUser",
        &format!("<ID>{ROOT_ID}</ID>"),
        "FULL_CONTROL",
    );
    let table = [
        ("not XML", "<AccessControlPolicy><Owner>".to_string()),
        ("another root", "<Policy/>".to_string()),
        (
            "unknown permission",
            policy_document(
                ROOT_ID,
                &[grant_xml(
                    "Group",
                    &format!("<URI>{ALL_USERS}</URI>"),
                    "EVERYTHING",
                )],
            ),
        ),
        (
            "unknown grantee type",
            policy_document(ROOT_ID, &[grant_xml("Robot", "<ID>r2d2</ID>", "READ")]),
        ),
        (
            "unknown group",
            policy_document(
                ROOT_ID,
                &[grant_xml(
                    "Group",
                    "<URI>http://example.com/all</URI>",
                    "READ",
                )],
            ),
        ),
        (
            "no owner",
            format!(
                "<AccessControlPolicy><AccessControlList>{owner_grant}</AccessControlList></AccessControlPolicy>"
            ),
        ),
    ];
    common::put(&s3, "malformed", "k", b"x".to_vec()).await;
    for (what, body) in table {
        for path in ["/malformed?acl", "/malformed/k?acl"] {
            let response = signed(&server, "PUT", path, &[], body.as_bytes());
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
    let document = policy_document(
        ROOT_ID,
        &[grant_xml(
            "CanonicalUser",
            &format!("<ID>{ROOT_ID}</ID>"),
            "FULL_CONTROL",
        )],
    );
    for path in ["/both?acl", "/both/k?acl"] {
        // A canned ACL and a body: AWS's UnexpectedContent.
        let response = signed(
            &server,
            "PUT",
            path,
            &[("x-amz-acl", "public-read")],
            document.as_bytes(),
        );
        assert_raw_error(&response, 400, "UnexpectedContent");
        // Grant headers and a body.
        let grant = format!("id=\"{ROOT_ID}\"");
        let response = signed(
            &server,
            "PUT",
            path,
            &[("x-amz-grant-read", &grant)],
            document.as_bytes(),
        );
        assert_raw_error(&response, 400, "UnexpectedContent");
        // A canned ACL and grant headers: InvalidRequest.
        let response = signed(
            &server,
            "PUT",
            path,
            &[("x-amz-acl", "private"), ("x-amz-grant-read", &grant)],
            b"",
        );
        assert_raw_error(&response, 400, "InvalidRequest");
        // Neither.
        let response = signed(&server, "PUT", path, &[], b"");
        assert_raw_error(&response, 400, "MissingSecurityHeader");
    }
    // On PutObject too: canned and grants together.
    let response = signed(
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
    assert_eq!(
        bucket_acl(&s3, "both").await.1,
        vec![user(ROOT_ID, "FULL_CONTROL")]
    );
}

#[tokio::test]
async fn a_document_naming_another_owner_is_access_denied() {
    let (server, s3) = server_with_bucket("owned").await;
    common::put(&s3, "owned", "k", b"x".to_vec()).await;
    let other = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let document = policy_document(
        other,
        &[grant_xml(
            "CanonicalUser",
            &format!("<ID>{ROOT_ID}</ID>"),
            "FULL_CONTROL",
        )],
    );
    for path in ["/owned?acl", "/owned/k?acl"] {
        let response = signed(&server, "PUT", path, &[], document.as_bytes());
        assert_raw_error(&response, 403, "AccessDenied");
    }
}

// ---------------------------------------------------------------------------------------------
// What ACLs grant.

#[tokio::test]
async fn a_public_read_object_is_readable_anonymously_and_a_private_one_is_not() {
    let (server, s3) = server_with_bucket("mixed").await;
    put_with_acl(&s3, "mixed", "public", ObjectCannedAcl::PublicRead).await;
    common::put(&s3, "mixed", "private", b"secret".to_vec()).await;
    let response = anonymous(&server, "GET", "/mixed/public");
    assert_eq!(response.status, 200, "{}", response.body_text());
    assert_eq!(response.body, b"body");
    assert_eq!(anonymous(&server, "HEAD", "/mixed/public").status, 200);
    assert_raw_error(
        &anonymous(&server, "GET", "/mixed/private"),
        403,
        "AccessDenied",
    );
    // READ on an object is not READ_ACP, nor any right on the bucket.
    assert_raw_error(
        &anonymous(&server, "GET", "/mixed/public?acl"),
        403,
        "AccessDenied",
    );
    assert_raw_error(&anonymous(&server, "GET", "/mixed"), 403, "AccessDenied");
    // Making it private again takes the grant away.
    s3.put_object_acl()
        .bucket("mixed")
        .key("public")
        .acl(ObjectCannedAcl::Private)
        .send()
        .await
        .expect("private again");
    assert_raw_error(
        &anonymous(&server, "GET", "/mixed/public"),
        403,
        "AccessDenied",
    );
}

#[tokio::test]
async fn a_public_read_bucket_is_listable_anonymously() {
    let server = TestServer::start();
    let s3 = server.client();
    s3.create_bucket()
        .bucket("listable")
        .acl(BucketCannedAcl::PublicRead)
        .send()
        .await
        .expect("create");
    common::put(&s3, "listable", "k", b"x".to_vec()).await;
    let response = anonymous(&server, "GET", "/listable?list-type=2");
    assert_eq!(response.status, 200, "{}", response.body_text());
    assert!(response.body_text().contains("<Key>k</Key>"));
    // Listing is READ on the bucket; the objects keep their own (private) ACLs.
    assert_raw_error(
        &anonymous(&server, "GET", "/listable/k"),
        403,
        "AccessDenied",
    );
    assert_raw_error(
        &raw_exchange(
            &server.addr,
            &unsigned_request("PUT", &server.addr, "/listable/new", &[], b"x"),
        ),
        403,
        "AccessDenied",
    );
}

#[tokio::test]
async fn a_public_read_write_bucket_takes_anonymous_writes() {
    let server = TestServer::start();
    let s3 = server.client();
    s3.create_bucket()
        .bucket("dropbox")
        .acl(BucketCannedAcl::PublicReadWrite)
        .send()
        .await
        .expect("create");
    let response = raw_exchange(
        &server.addr,
        &unsigned_request("PUT", &server.addr, "/dropbox/drop", &[], b"anonymous data"),
    );
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
    let response = post_form(
        &server,
        "forms",
        "public.txt",
        Some("public-read"),
        b"posted",
    );
    assert_eq!(response.status, 204, "{}", response.body_text());
    assert_eq!(
        object_acl(&s3, "forms", "public.txt", None).await.1,
        vec![user(ROOT_ID, "FULL_CONTROL"), group(ALL_USERS, "READ")]
    );
    assert_eq!(anonymous(&server, "GET", "/forms/public.txt").status, 200);
    let response = post_form(&server, "forms", "plain.txt", None, b"posted");
    assert_eq!(response.status, 204, "{}", response.body_text());
    assert_raw_error(
        &anonymous(&server, "GET", "/forms/plain.txt"),
        403,
        "AccessDenied",
    );
    let response = post_form(&server, "forms", "bad.txt", Some("everyone"), b"posted");
    assert_raw_error(&response, 400, "InvalidArgument");
}

/// A browser form upload of `key` (with an `acl` field when given) signed with SigV4 by a
/// policy that allows exactly that.
fn post_form(
    server: &TestServer,
    bucket: &str,
    key: &str,
    acl: Option<&str>,
    file: &[u8],
) -> RawResponse {
    use base64::Engine;
    use hmac::Mac;
    let now = std::time::SystemTime::now();
    let date = time::OffsetDateTime::from(now);
    let day = format!(
        "{:04}{:02}{:02}",
        date.year(),
        date.month() as u8,
        date.day()
    );
    let amz_date = format!(
        "{day}T{:02}{:02}{:02}Z",
        date.hour(),
        date.minute(),
        date.second()
    );
    let credential = format!(
        "{}/{day}/{}/s3/aws4_request",
        common::ACCESS_KEY,
        common::REGION
    );
    let acl_condition = acl
        .map(|acl| format!(r#"{{"acl": "{acl}"}}, "#))
        .unwrap_or_default();
    let policy = format!(
        r#"{{"expiration": "2099-01-01T00:00:00Z", "conditions": [{{"bucket": "{bucket}"}}, {{"key": "{key}"}}, {acl_condition}{{"x-amz-algorithm": "AWS4-HMAC-SHA256"}}, {{"x-amz-credential": "{credential}"}}, {{"x-amz-date": "{amz_date}"}}]}}"#
    );
    let policy = base64::engine::general_purpose::STANDARD.encode(policy);
    let signing_key =
        aws_sigv4::sign::v4::generate_signing_key(common::SECRET_KEY, now, common::REGION, "s3");
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(signing_key.as_ref()).expect("hmac key");
    mac.update(policy.as_bytes());
    let signature = hex::encode(mac.finalize().into_bytes());
    let mut fields = vec![("key", key.to_string())];
    if let Some(acl) = acl {
        fields.push(("acl", acl.to_string()));
    }
    fields.extend([
        ("x-amz-algorithm", "AWS4-HMAC-SHA256".to_string()),
        ("x-amz-credential", credential),
        ("x-amz-date", amz_date),
        ("policy", policy),
        ("x-amz-signature", signature),
    ]);
    let boundary = "----strataaclboundary";
    let mut body = Vec::new();
    for (name, value) in &fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let headers = vec![
        ("host".to_string(), server.addr.clone()),
        (
            "content-type".to_string(),
            format!("multipart/form-data; boundary={boundary}"),
        ),
    ];
    raw_exchange(
        &server.addr,
        &common::raw_request("POST", &format!("/{bucket}"), &headers, &body),
    )
}

// ---------------------------------------------------------------------------------------------
// Object ownership.

#[tokio::test]
async fn ownership_controls_round_trip_and_missing_ones_are_404() {
    let (server, s3) = server_with_bucket("owning").await;
    let err = s3
        .get_bucket_ownership_controls()
        .bucket("owning")
        .send()
        .await
        .expect_err("none by default");
    assert_sdk_error(&err, 404, "OwnershipControlsNotFoundError");
    for ownership in [
        ObjectOwnership::BucketOwnerPreferred,
        ObjectOwnership::ObjectWriter,
        ObjectOwnership::BucketOwnerEnforced,
    ] {
        set_ownership(&s3, "owning", ownership.clone()).await;
        assert_eq!(ownership_of(&s3, "owning").await, ownership);
    }
    let response = signed(&server, "DELETE", "/owning?ownershipControls", &[], b"");
    assert_eq!(response.status, 204, "{}", response.body_text());
    let response = signed(&server, "GET", "/owning?ownershipControls", &[], b"");
    assert_raw_error(&response, 404, "OwnershipControlsNotFoundError");
    // A document that is not one rule with a known setting is MalformedXML.
    for body in [
        "<OwnershipControls><Rule><ObjectOwnership>Mine</ObjectOwnership></Rule></OwnershipControls>",
        "<OwnershipControls/>",
        "not xml",
    ] {
        let response = signed(
            &server,
            "PUT",
            "/owning?ownershipControls",
            &[],
            body.as_bytes(),
        );
        assert_raw_error(&response, 400, "MalformedXML");
    }
    let response = signed(&server, "GET", "/absent?ownershipControls", &[], b"");
    assert_raw_error(&response, 404, "NoSuchBucket");
}

#[tokio::test]
async fn create_bucket_takes_its_object_ownership_from_the_header() {
    let server = TestServer::start();
    let s3 = server.client();
    s3.create_bucket()
        .bucket("preferred")
        .object_ownership(ObjectOwnership::BucketOwnerPreferred)
        .send()
        .await
        .expect("create");
    assert_eq!(
        ownership_of(&s3, "preferred").await,
        ObjectOwnership::BucketOwnerPreferred
    );
    // Enforced and a public ACL contradict each other.
    let err = s3
        .create_bucket()
        .bucket("contradiction")
        .object_ownership(ObjectOwnership::BucketOwnerEnforced)
        .acl(BucketCannedAcl::PublicRead)
        .send()
        .await
        .expect_err("refused");
    assert_sdk_error(&err, 400, "InvalidBucketAclWithObjectOwnership");
    let response = signed(
        &server,
        "PUT",
        "/unknown-ownership",
        &[("x-amz-object-ownership", "Nobody")],
        b"",
    );
    assert_raw_error(&response, 400, "InvalidArgument");
}

#[tokio::test]
async fn bucket_owner_enforced_disables_acls() {
    let (server, s3) = server_with_bucket("enforced").await;
    put_with_acl(&s3, "enforced", "was-public", ObjectCannedAcl::PublicRead).await;
    assert_eq!(
        anonymous(&server, "GET", "/enforced/was-public").status,
        200
    );
    set_ownership(&s3, "enforced", ObjectOwnership::BucketOwnerEnforced).await;

    // The object's ACL no longer grants anything; GetObjectAcl shows the owner alone.
    assert_raw_error(
        &anonymous(&server, "GET", "/enforced/was-public"),
        403,
        "AccessDenied",
    );
    let owner_only = (ROOT_ID.to_string(), vec![user(ROOT_ID, "FULL_CONTROL")]);
    assert_eq!(
        object_acl(&s3, "enforced", "was-public", None).await,
        owner_only
    );
    assert_eq!(bucket_acl(&s3, "enforced").await, owner_only);

    // Setting any other ACL fails with AccessControlListNotSupported.
    let err = s3
        .put_bucket_acl()
        .bucket("enforced")
        .acl(BucketCannedAcl::PublicRead)
        .send()
        .await
        .expect_err("bucket acl");
    assert_sdk_error(&err, 400, "AccessControlListNotSupported");
    let err = s3
        .put_object_acl()
        .bucket("enforced")
        .key("was-public")
        .acl(ObjectCannedAcl::PublicRead)
        .send()
        .await
        .expect_err("object acl");
    assert_sdk_error(&err, 400, "AccessControlListNotSupported");
    let err = s3
        .put_object()
        .bucket("enforced")
        .key("new")
        .acl(ObjectCannedAcl::PublicRead)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .expect_err("put with acl");
    assert_sdk_error(&err, 400, "AccessControlListNotSupported");
    let response = signed(
        &server,
        "PUT",
        "/enforced/granted",
        &[("x-amz-grant-read", &format!("uri={ALL_USERS}"))],
        b"x",
    );
    assert_raw_error(&response, 400, "AccessControlListNotSupported");
    let response = signed(
        &server,
        "PUT",
        "/enforced?acl",
        &[],
        policy_document(
            ROOT_ID,
            &[grant_xml(
                "Group",
                &format!("<URI>{ALL_USERS}</URI>"),
                "READ",
            )],
        )
        .as_bytes(),
    );
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
    s3.put_bucket_acl()
        .bucket("enforced")
        .acl(BucketCannedAcl::Private)
        .send()
        .await
        .expect("private bucket acl");
    let response = signed(
        &server,
        "PUT",
        "/enforced?acl",
        &[],
        policy_document(
            ROOT_ID,
            &[grant_xml(
                "CanonicalUser",
                &format!("<ID>{ROOT_ID}</ID>"),
                "FULL_CONTROL",
            )],
        )
        .as_bytes(),
    );
    assert_eq!(response.status, 200, "{}", response.body_text());

    // ACLs enabled again: the stored object ACL is back.
    set_ownership(&s3, "enforced", ObjectOwnership::ObjectWriter).await;
    assert_eq!(
        anonymous(&server, "GET", "/enforced/was-public").status,
        200
    );
}

#[tokio::test]
async fn enforcing_ownership_while_the_bucket_acl_grants_others_is_refused() {
    let server = TestServer::start();
    let s3 = server.client();
    s3.create_bucket()
        .bucket("shared")
        .acl(BucketCannedAcl::PublicRead)
        .send()
        .await
        .expect("create");
    let err = s3
        .put_bucket_ownership_controls()
        .bucket("shared")
        .ownership_controls(ownership_controls(ObjectOwnership::BucketOwnerEnforced))
        .send()
        .await
        .expect_err("refused");
    assert_sdk_error(&err, 400, "InvalidBucketAclWithObjectOwnership");
    // Other settings are fine; and once the ACL is private, so is enforcing.
    set_ownership(&s3, "shared", ObjectOwnership::BucketOwnerPreferred).await;
    s3.put_bucket_acl()
        .bucket("shared")
        .acl(BucketCannedAcl::Private)
        .send()
        .await
        .expect("private");
    set_ownership(&s3, "shared", ObjectOwnership::BucketOwnerEnforced).await;
}

// ---------------------------------------------------------------------------------------------
// The public access block.

#[tokio::test]
async fn public_access_block_round_trips_and_a_missing_one_is_404() {
    let (server, s3) = server_with_bucket("blocked").await;
    let err = s3
        .get_public_access_block()
        .bucket("blocked")
        .send()
        .await
        .expect_err("none by default");
    assert_sdk_error(&err, 404, "NoSuchPublicAccessBlockConfiguration");
    set_block(&s3, "blocked", block(true, false, true, false)).await;
    assert_eq!(
        block_of(&s3, "blocked").await,
        [Some(true), Some(false), Some(true), Some(false)]
    );
    // Settings left out are false.
    let response = signed(
        &server,
        "PUT",
        "/blocked?publicAccessBlock",
        &[],
        b"<PublicAccessBlockConfiguration><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>",
    );
    assert_eq!(response.status, 200, "{}", response.body_text());
    assert_eq!(
        block_of(&s3, "blocked").await,
        [Some(false), Some(false), Some(false), Some(true)]
    );
    let response = signed(
        &server,
        "PUT",
        "/blocked?publicAccessBlock",
        &[],
        b"<PublicAccessBlockConfiguration><BlockPublicAcls>maybe</BlockPublicAcls></PublicAccessBlockConfiguration>",
    );
    assert_raw_error(&response, 400, "MalformedXML");
    s3.delete_public_access_block()
        .bucket("blocked")
        .send()
        .await
        .expect("delete");
    let response = signed(&server, "GET", "/blocked?publicAccessBlock", &[], b"");
    assert_raw_error(&response, 404, "NoSuchPublicAccessBlockConfiguration");
}

#[tokio::test]
async fn block_public_acls_refuses_requests_that_set_public_acls() {
    let (server, s3) = server_with_bucket("no-public").await;
    common::put(&s3, "no-public", "k", b"x".to_vec()).await;
    set_block(&s3, "no-public", block(true, false, false, false)).await;
    let err = s3
        .put_object()
        .bucket("no-public")
        .key("public")
        .acl(ObjectCannedAcl::PublicRead)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .expect_err("public put");
    assert_sdk_error(&err, 403, "AccessDenied");
    let err = s3
        .put_bucket_acl()
        .bucket("no-public")
        .acl(BucketCannedAcl::AuthenticatedRead)
        .send()
        .await
        .expect_err("public bucket acl");
    assert_sdk_error(&err, 403, "AccessDenied");
    let response = signed(
        &server,
        "PUT",
        "/no-public/k?acl",
        &[("x-amz-grant-read", &format!("uri={ALL_USERS}"))],
        b"",
    );
    assert_raw_error(&response, 403, "AccessDenied");
    let response = signed(
        &server,
        "PUT",
        "/no-public/k?acl",
        &[],
        policy_document(
            ROOT_ID,
            &[grant_xml(
                "Group",
                &format!("<URI>{AUTHENTICATED_USERS}</URI>"),
                "READ",
            )],
        )
        .as_bytes(),
    );
    assert_raw_error(&response, 403, "AccessDenied");
    // Non-public ACLs still go through.
    put_with_acl(&s3, "no-public", "private", ObjectCannedAcl::Private).await;
    s3.put_bucket_acl()
        .bucket("no-public")
        .acl(BucketCannedAcl::Private)
        .send()
        .await
        .expect("private acl");
    let response = signed(
        &server,
        "PUT",
        "/no-public?acl",
        &[("x-amz-acl", "log-delivery-write")],
        b"",
    );
    assert_eq!(response.status, 200, "{}", response.body_text());
}

#[tokio::test]
async fn ignore_public_acls_makes_public_grants_grant_nothing() {
    let (server, s3) = server_with_bucket("ignoring").await;
    put_with_acl(&s3, "ignoring", "k", ObjectCannedAcl::PublicRead).await;
    assert_eq!(anonymous(&server, "GET", "/ignoring/k").status, 200);
    set_block(&s3, "ignoring", block(false, true, false, false)).await;
    assert_raw_error(
        &anonymous(&server, "GET", "/ignoring/k"),
        403,
        "AccessDenied",
    );
    // The ACL itself is unchanged, and counts again once the block is gone.
    assert_eq!(
        object_acl(&s3, "ignoring", "k", None).await.1,
        vec![user(ROOT_ID, "FULL_CONTROL"), group(ALL_USERS, "READ")]
    );
    s3.delete_public_access_block()
        .bucket("ignoring")
        .send()
        .await
        .expect("delete");
    assert_eq!(anonymous(&server, "GET", "/ignoring/k").status, 200);
}

#[tokio::test]
async fn block_public_policy_refuses_public_bucket_policies() {
    let (_server, s3) = server_with_bucket("no-public-policy").await;
    set_block(&s3, "no-public-policy", block(false, false, true, false)).await;
    let err = s3
        .put_bucket_policy()
        .bucket("no-public-policy")
        .policy(public_read_policy("no-public-policy"))
        .send()
        .await
        .expect_err("public policy");
    assert_sdk_error(&err, 403, "AccessDenied");
    // A policy for a named account is not public.
    let private = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000001:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::no-public-policy/*"}]}"#;
    s3.put_bucket_policy()
        .bucket("no-public-policy")
        .policy(private)
        .send()
        .await
        .expect("non-public policy");
}

#[tokio::test]
async fn restrict_public_buckets_stops_public_policies_granting_anonymous_reads() {
    let (server, s3) = server_with_bucket("restricted").await;
    common::put(&s3, "restricted", "k", b"x".to_vec()).await;
    s3.put_bucket_policy()
        .bucket("restricted")
        .policy(public_read_policy("restricted"))
        .send()
        .await
        .expect("policy");
    assert_eq!(anonymous(&server, "GET", "/restricted/k").status, 200);
    set_block(&s3, "restricted", block(false, false, false, true)).await;
    assert_raw_error(
        &anonymous(&server, "GET", "/restricted/k"),
        403,
        "AccessDenied",
    );
    // The owner's own access is untouched.
    assert_eq!(common::get(&s3, "restricted", "k").await, b"x");
}

// ---------------------------------------------------------------------------------------------
// Server defaults.

#[tokio::test]
async fn legacy_defaults_leave_acls_enabled_and_nothing_blocked() {
    let (_server, s3) = server_with_bucket("legacy").await;
    assert_sdk_error(
        &s3.get_bucket_ownership_controls()
            .bucket("legacy")
            .send()
            .await
            .expect_err("no controls"),
        404,
        "OwnershipControlsNotFoundError",
    );
    assert_sdk_error(
        &s3.get_public_access_block()
            .bucket("legacy")
            .send()
            .await
            .expect_err("no block"),
        404,
        "NoSuchPublicAccessBlockConfiguration",
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
        ObjectOwnership::BucketOwnerEnforced
    );
    assert_eq!(block_of(&s3, "modern").await, [Some(true); 4]);
    let err = s3
        .put_object()
        .bucket("modern")
        .key("k")
        .acl(ObjectCannedAcl::PublicRead)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .expect_err("acls disabled");
    assert_sdk_error(&err, 400, "AccessControlListNotSupported");
    common::put(&s3, "modern", "k", b"x".to_vec()).await;

    // CreateBucket may choose another ownership; the blocks are on regardless.
    s3.create_bucket()
        .bucket("writer-owned")
        .object_ownership(ObjectOwnership::ObjectWriter)
        .send()
        .await
        .expect("create");
    assert_eq!(
        ownership_of(&s3, "writer-owned").await,
        ObjectOwnership::ObjectWriter
    );
    assert_eq!(block_of(&s3, "writer-owned").await, [Some(true); 4]);
    let err = s3
        .create_bucket()
        .bucket("public")
        .acl(BucketCannedAcl::PublicRead)
        .send()
        .await
        .expect_err("public acl on an enforced bucket");
    assert_sdk_error(&err, 400, "InvalidBucketAclWithObjectOwnership");
}

// ---------------------------------------------------------------------------------------------
// Other accounts: what ACL grants give them, and who owns what they write.

/// A second account and an S3 client signing as its root.
async fn other_account(server: &TestServer, name: &str) -> (TestAccount, Client) {
    let account = create_account(server, name).await;
    let client = s3_client_as(server, &account.access_key, &account.secret_key);
    (account, client)
}

/// GetObject as `s3`: the body, or the SDK error's (status, code).
async fn try_get(s3: &Client, bucket: &str, key: &str) -> Result<Vec<u8>, (u16, String)> {
    use aws_sdk_s3::error::ProvideErrorMetadata;
    match s3.get_object().bucket(bucket).key(key).send().await {
        Ok(out) => Ok(out
            .body
            .collect()
            .await
            .expect("body")
            .into_bytes()
            .to_vec()),
        Err(err) => Err((
            err.raw_response().map_or(0, |r| r.status().as_u16()),
            err.code().unwrap_or_default().to_string(),
        )),
    }
}

fn denied() -> Result<Vec<u8>, (u16, String)> {
    Err((403, "AccessDenied".to_string()))
}

async fn try_put(
    s3: &Client,
    bucket: &str,
    key: &str,
    acl: Option<ObjectCannedAcl>,
) -> Result<(), (u16, String)> {
    use aws_sdk_s3::error::ProvideErrorMetadata;
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .set_acl(acl)
        .body(ByteStream::from_static(b"written by another account"))
        .send()
        .await
        .map(|_| ())
        .map_err(|err| {
            (
                err.raw_response().map_or(0, |r| r.status().as_u16()),
                err.code().unwrap_or_default().to_string(),
            )
        })
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
    assert_sdk_error(
        &as_other
            .get_object_acl()
            .bucket("shared-reads")
            .key("granted")
            .send()
            .await
            .expect_err("no READ_ACP"),
        403,
        "AccessDenied",
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
    assert_raw_error(
        &anonymous(&server, "GET", "/shared-reads/granted"),
        403,
        "AccessDenied",
    );
}

#[tokio::test]
async fn authenticated_read_is_any_account_but_not_anonymous() {
    let (server, s3) = server_with_bucket("members").await;
    let (_other, as_other) = other_account(&server, "member").await;
    put_with_acl(&s3, "members", "k", ObjectCannedAcl::AuthenticatedRead).await;
    assert_eq!(
        try_get(&as_other, "members", "k").await,
        Ok(b"body".to_vec())
    );
    assert_raw_error(
        &anonymous(&server, "GET", "/members/k"),
        403,
        "AccessDenied",
    );
}

#[tokio::test]
async fn a_bucket_write_grant_lets_another_account_write_objects_it_then_owns() {
    let (server, s3) = server_with_bucket("inbox").await;
    let (other, as_other) = other_account(&server, "writer").await;
    assert_eq!(
        try_put(&as_other, "inbox", "before", None).await,
        Err((403, "AccessDenied".to_string()))
    );
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
    assert_sdk_error(
        &s3.get_object_acl()
            .bucket("inbox")
            .key("theirs")
            .send()
            .await
            .expect_err("not the object's owner"),
        403,
        "AccessDenied",
    );
    assert_eq!(
        try_get(&as_other, "inbox", "theirs").await,
        Ok(b"written by another account".to_vec())
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
    assert_eq!(
        try_get(&s3, "inbox", "shared").await,
        Ok(b"written by another account".to_vec())
    );

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
        (ROOT_ID.to_string(), vec![user(ROOT_ID, "FULL_CONTROL")])
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
    s3.put_bucket_policy()
        .bucket("enforcing")
        .policy(format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{}:root"}},"Action":"s3:PutObject","Resource":"arn:aws:s3:::enforcing/*"}}]}}"#,
            other.number
        ))
        .send()
        .await
        .expect("policy");
    try_put(&as_other, "enforcing", "k", None)
        .await
        .expect("write allowed by the policy");
    assert_eq!(
        object_acl(&s3, "enforcing", "k", None).await,
        (ROOT_ID.to_string(), vec![user(ROOT_ID, "FULL_CONTROL")])
    );
    assert_eq!(
        try_get(&s3, "enforcing", "k").await,
        Ok(b"written by another account".to_vec())
    );
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
            grant_xml(
                "CanonicalUser",
                &format!("<ID>{ROOT_ID}</ID>"),
                "FULL_CONTROL",
            ),
            grant_xml(
                "AmazonCustomerByEmail",
                "<EmailAddress>Mailbox@Example.com</EmailAddress>",
                "READ",
            ),
        ],
    );
    let response = signed(
        &server,
        "PUT",
        "/mailed/letter?acl",
        &[],
        document.as_bytes(),
    );
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
