//! Inline policies, groups and managed policies, and what they do to S3 access.

use super::common::accounts::s3_client_as;
use super::common::{self, TestServer, assert_sdk_error, xml_value};
use super::{Aws, READ_ONLY, ROOT, allow, refused, root_ok, user_with_key};

#[tokio::test]
async fn inline_user_policies_round_trip_url_encoded() {
    let server = TestServer::start();
    root_ok(&server, &[("Action", "CreateUser"), ("UserName", "dave")]).await;
    let document = allow(&["s3:GetObject"], "arn:aws:s3:::b/*");
    let put = [
        ("Action", "PutUserPolicy"),
        ("UserName", "dave"),
        ("PolicyName", "read"),
        ("PolicyDocument", document.as_str()),
    ];
    root_ok(&server, &put).await;
    let got = root_ok(
        &server,
        &[
            ("Action", "GetUserPolicy"),
            ("UserName", "dave"),
            ("PolicyName", "read"),
        ],
    )
    .await;
    assert_eq!(xml_value(&got, "UserName").as_deref(), Some("dave"));
    let encoded = xml_value(&got, "PolicyDocument").expect("document");
    assert!(
        encoded.starts_with("%7B%22") && encoded.contains("%3A"),
        "{encoded}"
    );
    let decoded = percent_encoding::percent_decode_str(&encoded)
        .decode_utf8()
        .expect("utf-8");
    assert_eq!(decoded, document);
    let listed = root_ok(
        &server,
        &[("Action", "ListUserPolicies"), ("UserName", "dave")],
    )
    .await;
    assert!(
        listed.contains(
            "<PolicyNames><member>read</member></PolicyNames><IsTruncated>false</IsTruncated>"
        ),
        "{listed}"
    );

    let message = refused(
        &server,
        ROOT,
        &[
            ("Action", "PutUserPolicy"),
            ("UserName", "dave"),
            ("PolicyName", "bad"),
            (
                "PolicyDocument",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}"#,
            ),
        ],
        400,
        "MalformedPolicyDocument",
    )
    .await;
    assert!(!message.is_empty());
    refused(
        &server,
        ROOT,
        &[
            ("Action", "PutUserPolicy"),
            ("UserName", "dave"),
            ("PolicyName", "bad"),
            ("PolicyDocument", "not json"),
        ],
        400,
        "MalformedPolicyDocument",
    )
    .await;
    let mut to_nobody = put;
    to_nobody[1] = ("UserName", "nobody");
    refused(&server, ROOT, &to_nobody, 404, "NoSuchEntity").await;

    let delete = [
        ("Action", "DeleteUserPolicy"),
        ("UserName", "dave"),
        ("PolicyName", "read"),
    ];
    root_ok(&server, &delete).await;
    refused(&server, ROOT, &delete, 404, "NoSuchEntity").await;
}

#[tokio::test]
async fn deletes_conflict_while_something_depends_on_the_entity() {
    let server = TestServer::start();
    let (key, _) = user_with_key(&server, "erin").await;
    root_ok(&server, &[("Action", "CreateGroup"), ("GroupName", "ops")]).await;
    root_ok(
        &server,
        &[
            ("Action", "AddUserToGroup"),
            ("GroupName", "ops"),
            ("UserName", "erin"),
        ],
    )
    .await;
    let created = root_ok(
        &server,
        &[
            ("Action", "CreatePolicy"),
            ("PolicyName", "Ops"),
            ("PolicyDocument", &allow(&["s3:*"], "*")),
        ],
    )
    .await;
    let arn = xml_value(&created, "Arn").expect("arn");
    root_ok(
        &server,
        &[
            ("Action", "AttachUserPolicy"),
            ("UserName", "erin"),
            ("PolicyArn", &arn),
        ],
    )
    .await;

    let delete_user = [("Action", "DeleteUser"), ("UserName", "erin")];
    let message = refused(&server, ROOT, &delete_user, 409, "DeleteConflict").await;
    assert!(message.contains("access keys"), "{message}");
    root_ok(
        &server,
        &[
            ("Action", "DeleteAccessKey"),
            ("UserName", "erin"),
            ("AccessKeyId", &key),
        ],
    )
    .await;
    let message = refused(&server, ROOT, &delete_user, 409, "DeleteConflict").await;
    assert!(message.contains("policies"), "{message}");
    refused(
        &server,
        ROOT,
        &[("Action", "DeletePolicy"), ("PolicyArn", &arn)],
        409,
        "DeleteConflict",
    )
    .await;
    root_ok(
        &server,
        &[
            ("Action", "DetachUserPolicy"),
            ("UserName", "erin"),
            ("PolicyArn", &arn),
        ],
    )
    .await;
    root_ok(&server, &[("Action", "DeletePolicy"), ("PolicyArn", &arn)]).await;
    let message = refused(&server, ROOT, &delete_user, 409, "DeleteConflict").await;
    assert!(message.contains("groups"), "{message}");
    refused(
        &server,
        ROOT,
        &[("Action", "DeleteGroup"), ("GroupName", "ops")],
        409,
        "DeleteConflict",
    )
    .await;
    root_ok(
        &server,
        &[
            ("Action", "RemoveUserFromGroup"),
            ("GroupName", "ops"),
            ("UserName", "erin"),
        ],
    )
    .await;
    root_ok(&server, &delete_user).await;
    root_ok(&server, &[("Action", "DeleteGroup"), ("GroupName", "ops")]).await;
}

#[tokio::test]
async fn group_policies_apply_to_members_only() {
    let server = TestServer::start();
    let s3_root = server.client();
    common::create_bucket(&s3_root, "shared").await;
    common::put(&s3_root, "shared", "doc.txt", b"shared doc".to_vec()).await;
    let (key, secret) = user_with_key(&server, "frank").await;
    let s3 = s3_client_as(&server, &key, &secret);
    let read = || s3.get_object().bucket("shared").key("doc.txt").send();
    assert_sdk_error(
        &read().await.expect_err("no policy yet"),
        403,
        "AccessDenied",
    );

    let home = tempfile::tempdir().expect("home");
    let aws = Aws::new(&server, home.path(), ROOT);
    let group = aws.json(&[
        "iam",
        "create-group",
        "--group-name",
        "readers",
        "--path",
        "/teams/",
    ]);
    assert_eq!(
        group["Group"]["Arn"],
        "arn:aws:iam::000000000001:group/teams/readers"
    );
    assert!(
        group["Group"]["GroupId"]
            .as_str()
            .is_some_and(|id| id.starts_with("AGPA"))
    );
    aws.json(&[
        "iam",
        "put-group-policy",
        "--group-name",
        "readers",
        "--policy-name",
        "read",
        "--policy-document",
        &allow(&["s3:GetObject"], "arn:aws:s3:::shared/*"),
    ]);
    aws.json(&[
        "iam",
        "add-user-to-group",
        "--group-name",
        "readers",
        "--user-name",
        "frank",
    ]);
    read().await.expect("a member reads");
    let groups = aws.json(&["iam", "list-groups-for-user", "--user-name", "frank"]);
    assert_eq!(groups["Groups"][0]["GroupName"], "readers", "{groups}");
    let got = aws.json(&["iam", "get-group", "--group-name", "readers"]);
    assert_eq!(got["Users"][0]["UserName"], "frank", "{got}");
    let listed = aws.json(&["iam", "list-groups"]);
    assert_eq!(listed["Groups"].as_array().map(Vec::len), Some(1));
    let policy = aws.json(&[
        "iam",
        "get-group-policy",
        "--group-name",
        "readers",
        "--policy-name",
        "read",
    ]);
    assert_eq!(
        policy["PolicyDocument"]["Statement"][0]["Action"][0],
        "s3:GetObject"
    );
    aws.json(&[
        "iam",
        "remove-user-from-group",
        "--group-name",
        "readers",
        "--user-name",
        "frank",
    ]);
    assert_sdk_error(&read().await.expect_err("removed"), 403, "AccessDenied");
    aws.json(&[
        "iam",
        "delete-group-policy",
        "--group-name",
        "readers",
        "--policy-name",
        "read",
    ]);
    aws.json(&["iam", "delete-group", "--group-name", "readers"]);
    let err = aws.fails(&["iam", "get-group", "--group-name", "readers"]);
    assert!(err.contains("NoSuchEntity"), "{err}");
}

#[tokio::test]
async fn managed_policies_attach_to_users_and_groups() {
    let server = TestServer::start();
    let s3_root = server.client();
    common::create_bucket(&s3_root, "pics").await;
    common::put(&s3_root, "pics", "cat.jpg", b"meow".to_vec()).await;
    let (key, secret) = user_with_key(&server, "gina").await;
    let s3 = s3_client_as(&server, &key, &secret);
    let home = tempfile::tempdir().expect("home");
    let aws = Aws::new(&server, home.path(), ROOT);

    aws.json(&[
        "iam",
        "attach-user-policy",
        "--user-name",
        "gina",
        "--policy-arn",
        READ_ONLY,
    ]);
    s3.get_object()
        .bucket("pics")
        .key("cat.jpg")
        .send()
        .await
        .expect("read-only reads");
    let err = s3
        .put_object()
        .bucket("pics")
        .key("dog.jpg")
        .body(b"woof".to_vec().into())
        .send()
        .await
        .expect_err("read-only cannot write");
    assert_sdk_error(&err, 403, "AccessDenied");
    let attached = aws.json(&["iam", "list-attached-user-policies", "--user-name", "gina"]);
    assert_eq!(
        attached["AttachedPolicies"][0]["PolicyArn"], READ_ONLY,
        "{attached}"
    );
    assert_eq!(
        attached["AttachedPolicies"][0]["PolicyName"],
        "AmazonS3ReadOnlyAccess"
    );
    let builtin = aws.json(&["iam", "get-policy", "--policy-arn", READ_ONLY]);
    assert_eq!(builtin["Policy"]["AttachmentCount"], 1, "{builtin}");

    let aws_scope = aws.json(&["iam", "list-policies", "--scope", "AWS"]);
    assert_eq!(
        aws_scope["Policies"].as_array().map(Vec::len),
        Some(3),
        "{aws_scope}"
    );
    let document = allow(&["s3:PutObject"], "arn:aws:s3:::pics/*");
    let created = aws.json(&[
        "iam",
        "create-policy",
        "--policy-name",
        "Upload",
        "--path",
        "/media/",
        "--policy-document",
        &document,
    ]);
    let arn = created["Policy"]["Arn"].as_str().expect("arn").to_string();
    assert_eq!(arn, "arn:aws:iam::000000000001:policy/media/Upload");
    assert_eq!(created["Policy"]["DefaultVersionId"], "v1");
    let err = aws.fails(&[
        "iam",
        "create-policy",
        "--policy-name",
        "upload",
        "--policy-document",
        &document,
    ]);
    assert!(err.contains("EntityAlreadyExists"), "{err}");
    let local = aws.json(&["iam", "list-policies", "--scope", "Local"]);
    assert_eq!(
        local["Policies"].as_array().map(Vec::len),
        Some(1),
        "{local}"
    );
    let all = aws.json(&["iam", "list-policies"]);
    assert_eq!(all["Policies"].as_array().map(Vec::len), Some(4), "{all}");
    let attached_only = aws.json(&["iam", "list-policies", "--only-attached"]);
    assert_eq!(attached_only["Policies"].as_array().map(Vec::len), Some(1));
    let version = aws.json(&[
        "iam",
        "get-policy-version",
        "--policy-arn",
        &arn,
        "--version-id",
        "v1",
    ]);
    assert_eq!(
        version["PolicyVersion"]["Document"]["Statement"][0]["Action"][0],
        "s3:PutObject"
    );
    let err = aws.fails(&[
        "iam",
        "get-policy-version",
        "--policy-arn",
        &arn,
        "--version-id",
        "v2",
    ]);
    assert!(err.contains("NoSuchEntity"), "{err}");

    // Through a group.
    aws.json(&["iam", "create-group", "--group-name", "uploaders"]);
    aws.json(&[
        "iam",
        "add-user-to-group",
        "--group-name",
        "uploaders",
        "--user-name",
        "gina",
    ]);
    aws.json(&[
        "iam",
        "attach-group-policy",
        "--group-name",
        "uploaders",
        "--policy-arn",
        &arn,
    ]);
    common::put(&s3, "pics", "dog.jpg", b"woof".to_vec()).await;
    let err = aws.fails(&["iam", "delete-policy", "--policy-arn", &arn]);
    assert!(err.contains("DeleteConflict"), "{err}");
    aws.json(&[
        "iam",
        "detach-group-policy",
        "--group-name",
        "uploaders",
        "--policy-arn",
        &arn,
    ]);
    aws.json(&[
        "iam",
        "detach-user-policy",
        "--user-name",
        "gina",
        "--policy-arn",
        READ_ONLY,
    ]);
    let err = s3
        .get_object()
        .bucket("pics")
        .key("cat.jpg")
        .send()
        .await
        .expect_err("detached");
    assert_sdk_error(&err, 403, "AccessDenied");
    let err = aws.fails(&[
        "iam",
        "detach-user-policy",
        "--user-name",
        "gina",
        "--policy-arn",
        READ_ONLY,
    ]);
    assert!(err.contains("NoSuchEntity"), "{err}");
    aws.json(&["iam", "delete-policy", "--policy-arn", &arn]);
    let err = aws.fails(&["iam", "get-policy", "--policy-arn", &arn]);
    assert!(err.contains("NoSuchEntity"), "{err}");
}
