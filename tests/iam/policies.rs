//! Inline policies, groups and managed policies, and what they do to S3 access.

use super::common::accounts::s3_client_as;
use super::common::{self, TestServer, assert_sdk_error, xml_value};
use super::{AwsCli, READ_ONLY, ROOT, allow, count, refused, root_ok, user_with_key};

/// A bucket holding one object, and an S3 client for a new user with a key (and no policy).
async fn bucket_and_user(
    server: &TestServer,
    bucket: &str,
    key: &str,
    user: &str,
) -> aws_sdk_s3::Client {
    let s3_root = server.client();
    common::create_bucket(&s3_root, bucket).await;
    common::put(
        &s3_root,
        bucket,
        key,
        format!("{bucket}/{key}").into_bytes(),
    )
    .await;
    let (access_key, secret) = user_with_key(server, user).await;
    s3_client_as(server, &access_key, &secret)
}

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

    for bad in [
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}"#,
        "not json",
    ] {
        let mut put_bad = put;
        put_bad[2] = ("PolicyName", "bad");
        put_bad[3] = ("PolicyDocument", bad);
        let message = refused(&server, ROOT, &put_bad, 400, "MalformedPolicyDocument").await;
        assert!(!message.is_empty());
    }
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
    let conflict = async |what: &str| {
        let message = refused(&server, ROOT, &delete_user, 409, "DeleteConflict").await;
        assert!(message.contains(what), "{message}");
    };
    conflict("access keys").await;
    root_ok(
        &server,
        &[
            ("Action", "DeleteAccessKey"),
            ("UserName", "erin"),
            ("AccessKeyId", &key),
        ],
    )
    .await;
    conflict("policies").await;
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
    conflict("groups").await;
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
    let s3 = bucket_and_user(&server, "shared", "doc.txt", "frank").await;
    let read = || s3.get_object().bucket("shared").key("doc.txt").send();
    assert_sdk_error(
        &read().await.expect_err("no policy yet"),
        403,
        "AccessDenied",
    );

    let home = tempfile::tempdir().expect("home");
    let aws = AwsCli::new(&server, home.path());
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
    assert_eq!(count(&listed, "Groups"), Some(1));
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
    aws.fails_with(
        &["iam", "get-group", "--group-name", "readers"],
        "NoSuchEntity",
    );
}

#[tokio::test]
async fn managed_policies_attach_to_users_and_groups() {
    let server = TestServer::start();
    let s3 = bucket_and_user(&server, "pics", "cat.jpg", "gina").await;
    let home = tempfile::tempdir().expect("home");
    let aws = AwsCli::new(&server, home.path());

    aws.json(&[
        "iam",
        "attach-user-policy",
        "--user-name",
        "gina",
        "--policy-arn",
        READ_ONLY,
    ]);
    let read_cat = || s3.get_object().bucket("pics").key("cat.jpg").send();
    read_cat().await.expect("read-only reads");
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
    assert_eq!(count(&aws_scope, "Policies"), Some(3), "{aws_scope}");
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
    aws.fails_with(
        &[
            "iam",
            "create-policy",
            "--policy-name",
            "upload",
            "--policy-document",
            &document,
        ],
        "EntityAlreadyExists",
    );
    for (args, policies) in [
        (&["iam", "list-policies", "--scope", "Local"][..], 1),
        (&["iam", "list-policies"], 4),
        (&["iam", "list-policies", "--only-attached"], 1),
    ] {
        let listed = aws.json(args);
        assert_eq!(count(&listed, "Policies"), Some(policies), "{listed}");
    }
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
    aws.fails_with(
        &[
            "iam",
            "get-policy-version",
            "--policy-arn",
            &arn,
            "--version-id",
            "v2",
        ],
        "NoSuchEntity",
    );

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
    aws.fails_with(
        &["iam", "delete-policy", "--policy-arn", &arn],
        "DeleteConflict",
    );
    aws.json(&[
        "iam",
        "detach-group-policy",
        "--group-name",
        "uploaders",
        "--policy-arn",
        &arn,
    ]);
    let detach_read_only = [
        "iam",
        "detach-user-policy",
        "--user-name",
        "gina",
        "--policy-arn",
        READ_ONLY,
    ];
    aws.json(&detach_read_only);
    assert_sdk_error(
        &read_cat().await.expect_err("detached"),
        403,
        "AccessDenied",
    );
    aws.fails_with(&detach_read_only, "NoSuchEntity");
    aws.json(&["iam", "delete-policy", "--policy-arn", &arn]);
    aws.fails_with(&["iam", "get-policy", "--policy-arn", &arn], "NoSuchEntity");
}
