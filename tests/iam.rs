//! The IAM Query API and STS GetCallerIdentity on the S3 endpoint, through the real aws CLI
//! (v1, botocore), raw signed calls (for exact XML, statuses and malformed requests), and
//! `strata admin`; and what IAM writes do to S3 access, at once. Users, keys, STS,
//! authorization and malformed requests here; policies and groups in `iam/policies.rs`,
//! `strata admin` in `iam/admin.rs`.

#[path = "iam/admin.rs"]
mod admin;
mod common;
#[path = "iam/policies.rs"]
mod policies;

use common::accounts::{
    create_account, form_body, iam_call, s3_client_as, send, service_call, signed_form_request,
};
use common::aws_cli::AwsCli;
use common::{ACCESS_KEY, SECRET_KEY, TestServer, assert_sdk_error, xml_value};

const IAM_XMLNS: &str = r#"xmlns="https://iam.amazonaws.com/doc/2010-05-08/""#;
const READ_ONLY: &str = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";

fn allow(actions: &[&str], resource: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resource}]
    })
    .to_string()
}

/// An IAM call signed with `keys` that must succeed; returns the XML.
async fn ok_as(server: &TestServer, keys: (&str, &str), params: &[(&str, &str)]) -> String {
    let (status, body) = iam_call(server, keys.0, keys.1, params).await;
    assert_eq!(status, 200, "{params:?}: {body}");
    body
}

/// A root-signed IAM call that must succeed; returns the XML.
async fn root_ok(server: &TestServer, params: &[(&str, &str)]) -> String {
    ok_as(server, ROOT, params).await
}

/// A call that must fail with this status and IAM code; returns the message.
async fn refused(
    server: &TestServer,
    keys: (&str, &str),
    params: &[(&str, &str)],
    status: u16,
    code: &str,
) -> String {
    let (got, body) = iam_call(server, keys.0, keys.1, params).await;
    assert_eq!(got, status, "{params:?}: {body}");
    assert_eq!(
        xml_value(&body, "Code").as_deref(),
        Some(code),
        "{params:?}: {body}"
    );
    assert!(
        body.contains("<ErrorResponse ") && body.contains(IAM_XMLNS),
        "{body}"
    );
    xml_value(&body, "Message").unwrap_or_default()
}

const ROOT: (&str, &str) = (ACCESS_KEY, SECRET_KEY);

/// Creates `name` with one access key; returns the key and its secret.
async fn user_with_key(server: &TestServer, name: &str) -> (String, String) {
    root_ok(server, &[("Action", "CreateUser"), ("UserName", name)]).await;
    let body = root_ok(server, &[("Action", "CreateAccessKey"), ("UserName", name)]).await;
    (
        xml_value(&body, "AccessKeyId").expect("key id"),
        xml_value(&body, "SecretAccessKey").expect("secret"),
    )
}

/// How many entries the list `key` of a CLI answer has.
fn count(answer: &serde_json::Value, key: &str) -> Option<usize> {
    answer[key].as_array().map(Vec::len)
}

/// Sends raw request bytes that must be refused with this status and IAM error code.
async fn send_refused(server: &TestServer, request: Vec<u8>, status: u16, code: &str) {
    let (got, body) = send(server, request).await;
    assert_eq!(
        (got, xml_value(&body, "Code").as_deref()),
        (status, Some(code)),
        "{body}"
    );
}

#[tokio::test]
async fn cli_creates_gets_lists_and_deletes_users() {
    let server = TestServer::start();
    let home = tempfile::tempdir().expect("home");
    let aws = AwsCli::new(&server, home.path());
    let created = aws.json(&[
        "iam",
        "create-user",
        "--user-name",
        "alice",
        "--path",
        "/staff/",
    ]);
    let user = &created["User"];
    assert_eq!(user["UserName"], "alice");
    assert_eq!(user["Path"], "/staff/");
    assert_eq!(user["Arn"], "arn:aws:iam::000000000001:user/staff/alice");
    assert!(
        user["UserId"]
            .as_str()
            .is_some_and(|id| id.starts_with("AIDA"))
    );
    assert!(
        user["CreateDate"]
            .as_str()
            .is_some_and(|d| d.ends_with('Z'))
    );
    aws.fails_with(
        &["iam", "create-user", "--user-name", "ALICE"],
        "EntityAlreadyExists",
    );
    let got = aws.json(&["iam", "get-user", "--user-name", "Alice"]);
    assert_eq!(got["User"], *user);
    let listed = aws.json(&["iam", "list-users"]);
    assert_eq!(count(&listed, "Users"), Some(1), "{listed}");
    let listed = aws.json(&["iam", "list-users", "--path-prefix", "/other/"]);
    assert_eq!(count(&listed, "Users"), Some(0), "{listed}");
    aws.json(&["iam", "delete-user", "--user-name", "alice"]);
    aws.fails_with(&["iam", "get-user", "--user-name", "alice"], "NoSuchEntity");
}

#[tokio::test]
async fn responses_are_iam_xml_with_request_ids() {
    let server = TestServer::start();
    let body = root_ok(&server, &[("Action", "CreateUser"), ("UserName", "bob")]).await;
    assert!(
        body.contains(&format!("<CreateUserResponse {IAM_XMLNS}><CreateUserResult><User><Path>/</Path><UserName>bob</UserName><UserId>AIDA")),
        "{body}"
    );
    assert!(
        xml_value(&body, "RequestId").is_some_and(|id| id.len() == 16),
        "{body}"
    );
    let body = root_ok(&server, &[("Action", "DeleteUser"), ("UserName", "bob")]).await;
    assert!(
        body.contains("<DeleteUserResponse ") && !body.contains("DeleteUserResult"),
        "{body}"
    );
    for (params, status, code, said) in [
        (
            &[("Action", "CreateUser"), ("UserName", "no spaces")][..],
            400,
            "ValidationError",
            "userName",
        ),
        (
            &[("Action", "CreateUser")],
            400,
            "ValidationError",
            "must not be null",
        ),
        (
            &[("Action", "DeleteUser"), ("UserName", "bob")],
            404,
            "NoSuchEntity",
            "bob",
        ),
    ] {
        let message = refused(&server, ROOT, params, status, code).await;
        assert!(message.contains(said), "{message}");
    }
}

#[tokio::test]
async fn end_to_end_a_user_writes_only_where_its_policy_allows() {
    let server = TestServer::start();
    common::create_bucket(&server.client(), "bucket").await;
    let home = tempfile::tempdir().expect("home");
    let root = AwsCli::new(&server, home.path());
    root.json(&["iam", "create-user", "--user-name", "alice"]);
    let key = root.json(&["iam", "create-access-key", "--user-name", "alice"]);
    let key = &key["AccessKey"];
    assert_eq!(key["Status"], "Active");
    let policy = allow(
        &["s3:PutObject", "s3:GetObject"],
        "arn:aws:s3:::bucket/home/alice/*",
    );
    root.json(&[
        "iam",
        "put-user-policy",
        "--user-name",
        "alice",
        "--policy-name",
        "home",
        "--policy-document",
        &policy,
    ]);
    let alice = AwsCli::new(&server, home.path()).with_keys((
        key["AccessKeyId"].as_str().expect("id"),
        key["SecretAccessKey"].as_str().expect("secret"),
    ));
    let file = home.path().join("notes.txt");
    std::fs::write(&file, b"alice's notes\n").expect("file");
    let file = file.to_str().expect("path");
    let back = home.path().join("back.txt");
    let back_path = back.to_str().expect("path");
    for args in [
        ["s3", "cp", file, "s3://bucket/home/alice/notes.txt"],
        ["s3", "cp", "s3://bucket/home/alice/notes.txt", back_path],
    ] {
        let ok = alice.output(&args);
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stderr)
        );
    }
    assert_eq!(std::fs::read(&back).expect("back"), b"alice's notes\n");
    alice.fails_with(
        &["s3", "cp", file, "s3://bucket/home/bob/notes.txt"],
        "AccessDenied",
    );
    alice.fails_with(&["s3", "ls", "s3://bucket"], "AccessDenied");

    // A user with no policy may do nothing.
    let nobody = user_with_key(&server, "nobody").await;
    let nobody = AwsCli::new(&server, home.path()).with_keys((&nobody.0, &nobody.1));
    for args in [
        &["s3", "ls"][..],
        &["s3", "cp", file, "s3://bucket/home/nobody/x"],
        &["s3", "cp", "s3://bucket/home/alice/notes.txt", "-"],
    ] {
        let err = nobody.run_fails(args);
        // A download starts with HeadObject, whose 403 has no body to carry a code.
        assert!(
            err.contains("AccessDenied") || err.contains("(403)"),
            "{args:?}: {err}"
        );
    }
}

#[tokio::test]
async fn inactive_and_deleted_keys_stop_working_at_once() {
    let server = TestServer::start();
    common::create_bucket(&server.client(), "data").await;
    let (key, secret) = user_with_key(&server, "carol").await;
    root_ok(
        &server,
        &[
            ("Action", "AttachUserPolicy"),
            ("UserName", "carol"),
            ("PolicyArn", "arn:aws:iam::aws:policy/AmazonS3FullAccess"),
        ],
    )
    .await;
    let s3 = s3_client_as(&server, &key, &secret);
    let list = || s3.list_objects_v2().bucket("data").send();
    list().await.expect("active key");

    let update = |status: &'static str| {
        [
            ("Action", "UpdateAccessKey"),
            ("UserName", "carol"),
            ("AccessKeyId", key.as_str()),
            ("Status", status),
        ]
    };
    root_ok(&server, &update("Inactive")).await;
    let listed = root_ok(
        &server,
        &[("Action", "ListAccessKeys"), ("UserName", "carol")],
    )
    .await;
    assert!(listed.contains("<Status>Inactive</Status>"), "{listed}");
    let err = list().await.expect_err("inactive key");
    assert_sdk_error(&err, 403, "InvalidAccessKeyId");
    refused(
        &server,
        (&key, &secret),
        &[("Action", "GetUser")],
        403,
        "InvalidClientTokenId",
    )
    .await;
    root_ok(&server, &update("Active")).await;
    list().await.expect("active again");

    // Two keys at most.
    root_ok(
        &server,
        &[("Action", "CreateAccessKey"), ("UserName", "carol")],
    )
    .await;
    refused(
        &server,
        ROOT,
        &[("Action", "CreateAccessKey"), ("UserName", "carol")],
        409,
        "LimitExceeded",
    )
    .await;

    let delete = [
        ("Action", "DeleteAccessKey"),
        ("UserName", "carol"),
        ("AccessKeyId", key.as_str()),
    ];
    root_ok(&server, &delete).await;
    let err = list().await.expect_err("deleted key");
    assert_sdk_error(&err, 403, "InvalidAccessKeyId");
    refused(&server, ROOT, &delete, 404, "NoSuchEntity").await;
    refused(&server, ROOT, &update("Paused"), 400, "ValidationError").await;
}

#[tokio::test]
async fn an_account_root_manages_its_own_root_keys() {
    let server = TestServer::start();
    let account = create_account(&server, "keys-team").await;
    let first = (account.access_key.as_str(), account.secret_key.as_str());
    let created = ok_as(&server, first, &[("Action", "CreateAccessKey")]).await;
    assert!(
        !created.contains("<UserName>"),
        "a root key has no user: {created}"
    );
    let second = (
        xml_value(&created, "AccessKeyId").expect("id"),
        xml_value(&created, "SecretAccessKey").expect("secret"),
    );
    let second = (second.0.as_str(), second.1.as_str());
    let listed = ok_as(&server, second, &[("Action", "ListAccessKeys")]).await;
    assert!(
        listed.contains(first.0) && listed.contains(second.0),
        "{listed}"
    );
    refused(
        &server,
        second,
        &[("Action", "CreateAccessKey")],
        409,
        "LimitExceeded",
    )
    .await;
    let delete_first = [("Action", "DeleteAccessKey"), ("AccessKeyId", first.0)];
    // Another account's key is not found from here.
    refused(&server, ROOT, &delete_first, 404, "NoSuchEntity").await;
    ok_as(&server, second, &delete_first).await;
    let s3 = s3_client_as(&server, first.0, first.1);
    let err = s3
        .list_buckets()
        .send()
        .await
        .expect_err("deleted root key");
    assert_sdk_error(&err, 403, "InvalidAccessKeyId");
    s3_client_as(&server, second.0, second.1)
        .list_buckets()
        .send()
        .await
        .expect("the other root key works");
    refused(
        &server,
        ROOT,
        &[("Action", "GetUser"), ("UserName", "")],
        400,
        "ValidationError",
    )
    .await;
}

#[tokio::test]
async fn users_need_iam_permissions_for_iam_actions() {
    let server = TestServer::start();
    let (key, secret) = user_with_key(&server, "hank").await;
    let hank = (key.as_str(), secret.as_str());
    let denied =
        async |params: &[(&str, &str)]| refused(&server, hank, params, 403, "AccessDenied").await;
    let message = denied(&[("Action", "CreateUser"), ("UserName", "eve")]).await;
    assert!(
        message.contains("arn:aws:iam::000000000001:user/hank")
            && message.contains("iam:CreateUser"),
        "{message}"
    );
    denied(&[("Action", "ListUsers")]).await;
    denied(&[("Action", "CreateAccessKey")]).await;

    // Allowed for users under /team/ only, and to read itself.
    let team = allow(
        &["iam:CreateUser", "iam:DeleteUser"],
        "arn:aws:iam::000000000001:user/team/*",
    );
    let me = allow(
        &["iam:GetUser"],
        "arn:aws:iam::000000000001:user/${aws:username}",
    );
    for (name, document) in [("team", &team), ("me", &me)] {
        root_ok(
            &server,
            &[
                ("Action", "PutUserPolicy"),
                ("UserName", "hank"),
                ("PolicyName", name),
                ("PolicyDocument", document),
            ],
        )
        .await;
    }
    ok_as(
        &server,
        hank,
        &[
            ("Action", "CreateUser"),
            ("UserName", "ivy"),
            ("Path", "/team/"),
        ],
    )
    .await;
    denied(&[("Action", "CreateUser"), ("UserName", "jack")]).await;
    denied(&[("Action", "GetUser"), ("UserName", "ivy")]).await;

    // `aws iam get-user` without a name answers for the caller.
    let home = tempfile::tempdir().expect("home");
    let me = AwsCli::new(&server, home.path())
        .with_keys(hank)
        .json(&["iam", "get-user"]);
    assert_eq!(me["User"]["UserName"], "hank", "{me}");
    assert_eq!(me["User"]["Arn"], "arn:aws:iam::000000000001:user/hank");
    let root = AwsCli::new(&server, home.path()).json(&["iam", "get-user"]);
    assert_eq!(
        root["User"]["Arn"], "arn:aws:iam::000000000001:root",
        "{root}"
    );
    assert_eq!(root["User"]["UserId"], "000000000001");
}

#[tokio::test]
async fn sts_get_caller_identity_names_root_and_users() {
    let server = TestServer::start();
    let (key, secret) = user_with_key(&server, "kim").await;
    let home = tempfile::tempdir().expect("home");
    let root = AwsCli::new(&server, home.path()).json(&["sts", "get-caller-identity"]);
    assert_eq!(root["Account"], "000000000001", "{root}");
    assert_eq!(root["Arn"], "arn:aws:iam::000000000001:root");
    assert_eq!(root["UserId"], "000000000001");
    let user = AwsCli::new(&server, home.path())
        .with_keys((&key, &secret))
        .json(&["sts", "get-caller-identity"]);
    assert_eq!(user["Arn"], "arn:aws:iam::000000000001:user/kim", "{user}");
    assert!(
        user["UserId"]
            .as_str()
            .is_some_and(|id| id.starts_with("AIDA"))
    );

    let account = create_account(&server, "sts-team").await;
    let (status, body) = service_call(
        &server,
        "sts",
        &account.access_key,
        &account.secret_key,
        &[("Action", "GetCallerIdentity")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(
            r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">"#
        ),
        "{body}"
    );
    assert_eq!(xml_value(&body, "Account"), Some(account.number.clone()));
    // STS actions are not IAM actions.
    refused(
        &server,
        ROOT,
        &[("Action", "GetCallerIdentity")],
        400,
        "InvalidAction",
    )
    .await;
}

#[tokio::test]
async fn malformed_requests_get_iam_errors() {
    let server = TestServer::start();
    let unsigned = common::raw_request(
        "POST",
        "/",
        &[
            ("host".to_string(), server.addr.clone()),
            (
                "content-type".to_string(),
                "application/x-www-form-urlencoded".to_string(),
            ),
        ],
        b"Action=ListUsers&Version=2010-05-08",
    );
    send_refused(&server, unsigned, 403, "MissingAuthenticationToken").await;

    let list_users = &[("Action", "ListUsers")][..];
    for (keys, params, status, code) in [
        (
            ROOT,
            &[("Action", "FlyToTheMoon")][..],
            400,
            "InvalidAction",
        ),
        (ROOT, &[], 400, "MissingAction"),
        (
            ROOT,
            &[("Action", "ListUsers"), ("Version", "2099-01-01")],
            400,
            "InvalidAction",
        ),
        (
            (ACCESS_KEY, "not-the-secret"),
            list_users,
            403,
            "SignatureDoesNotMatch",
        ),
        (
            ("AKIANOSUCHKEY0000000", SECRET_KEY),
            list_users,
            403,
            "InvalidClientTokenId",
        ),
        (
            ROOT,
            &[("Action", "ListPolicies"), ("Scope", "Everything")],
            400,
            "ValidationError",
        ),
        (
            ROOT,
            &[("Action", "GetPolicy"), ("PolicyArn", "not-an-arn")],
            400,
            "InvalidInput",
        ),
    ] {
        refused(&server, keys, params, status, code).await;
    }
    for max in ["0", "1001", "lots"] {
        let params = [("Action", "ListUsers"), ("MaxItems", max)];
        refused(&server, ROOT, &params, 400, "ValidationError").await;
    }

    // A body that does not decode to UTF-8, and a body that was changed after signing.
    let sign = |body: &str| signed_form_request(&server.addr, "iam", ACCESS_KEY, SECRET_KEY, body);
    let request = sign("Action=CreateUser&Version=2010-05-08&UserName=%FF");
    send_refused(&server, request, 400, "MalformedQueryString").await;
    let mut request = sign(&form_body(&[
        ("Action", "CreateUser"),
        ("Version", "2010-05-08"),
        ("UserName", "aaa"),
    ]));
    let last = request.len() - 1;
    request[last] = b'b';
    send_refused(&server, request, 403, "SignatureDoesNotMatch").await;

    // Too large a form.
    let request = sign(&format!("Action=ListUsers&Pad={}", "x".repeat(70 * 1024)));
    send_refused(&server, request, 413, "RequestEntityTooLarge").await;

    // Still serving.
    root_ok(&server, &[("Action", "ListUsers")]).await;
}

#[tokio::test]
async fn lists_page_with_marker_and_max_items() {
    let server = TestServer::start();
    for name in ["u3", "u1", "u5", "u2", "u4"] {
        root_ok(&server, &[("Action", "CreateUser"), ("UserName", name)]).await;
    }
    let mut names = Vec::new();
    let mut marker: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut params = vec![("Action", "ListUsers"), ("MaxItems", "2")];
        if let Some(marker) = &marker {
            params.push(("Marker", marker));
        }
        let body = root_ok(&server, &params).await;
        pages += 1;
        names.extend(
            body.split("<UserName>")
                .skip(1)
                .filter_map(|s| s.split_once("</UserName>").map(|(n, _)| n.to_string())),
        );
        match xml_value(&body, "IsTruncated").as_deref() {
            Some("true") => marker = Some(xml_value(&body, "Marker").expect("marker")),
            _ => break,
        }
    }
    assert_eq!(names, ["u1", "u2", "u3", "u4", "u5"]);
    assert_eq!(pages, 3);
    let home = tempfile::tempdir().expect("home");
    let listed = AwsCli::new(&server, home.path()).json(&["iam", "list-users", "--page-size", "2"]);
    assert_eq!(count(&listed, "Users"), Some(5), "{listed}");
}
