//! `strata admin`: accounts, and the shortcuts for users, keys and inline policies.

use std::process::{Command, Output, Stdio};

use super::common::accounts::{create_account, s3_client_as};
use super::common::{self, ACCESS_KEY, SECRET_KEY, TestServer, assert_sdk_error, xml_value};
use super::{ROOT, allow, ok_as, refused, root_ok};

fn admin(server: &TestServer, keys: Option<(&str, &str)>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_strata"));
    command
        .arg("admin")
        .arg("--endpoint")
        .arg(&server.endpoint)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .stdin(Stdio::null());
    if let Some((key, secret)) = keys {
        command.args(["--access-key", key, "--secret-key", secret]);
    }
    command.args(args).output().expect("run strata admin")
}

fn admin_ok(server: &TestServer, keys: Option<(&str, &str)>, args: &[&str]) -> String {
    let output = admin(server, keys, args);
    assert!(
        output.status.success(),
        "strata admin {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Must exit with 1, naming `code` (an IAM error code) on stderr.
fn admin_fails(server: &TestServer, keys: Option<(&str, &str)>, args: &[&str], code: &str) {
    let output = admin(server, keys, args);
    assert_eq!(output.status.code(), Some(1), "strata admin {args:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(code), "strata admin {args:?}: {stderr}");
}

#[tokio::test]
async fn admin_account_create_prints_keys_of_an_isolated_account() {
    let server = TestServer::start();
    common::create_bucket(&server.client(), "root-bucket").await;
    let printed = admin_ok(
        &server,
        Some(ROOT),
        &["account", "create", "team-b", "--email", "b@example.com"],
    );
    let account: serde_json::Value = serde_json::from_str(&printed).expect("JSON");
    assert_eq!(account["AccountId"], "000000000002", "{account}");
    assert_eq!(account["AccountName"], "team-b");
    assert_eq!(account["CanonicalUserId"].as_str().map(str::len), Some(64));
    let key = account["AccessKeyId"].as_str().expect("key");
    let secret = account["SecretAccessKey"].as_str().expect("secret");

    let s3 = s3_client_as(&server, key, secret);
    let buckets = s3.list_buckets().send().await.expect("list buckets");
    assert!(buckets.buckets().is_empty(), "{buckets:?}");
    common::create_bucket(&s3, "team-b-bucket").await;
    let buckets = s3.list_buckets().send().await.expect("list buckets");
    let names: Vec<_> = buckets.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, ["team-b-bucket"]);

    // Its IAM is its own: same user names, separate lists; no account management.
    root_ok(&server, &[("Action", "CreateUser"), ("UserName", "alice")]).await;
    let team = (key, secret);
    let body = ok_as(
        &server,
        team,
        &[("Action", "CreateUser"), ("UserName", "alice")],
    )
    .await;
    assert_eq!(
        xml_value(&body, "Arn").as_deref(),
        Some("arn:aws:iam::000000000002:user/alice")
    );
    let users = ok_as(&server, team, &[("Action", "ListUsers")]).await;
    assert_eq!(users.matches("<member>").count(), 1, "{users}");
    refused(
        &server,
        team,
        &[("Action", "CreateAccount"), ("AccountName", "sneaky")],
        403,
        "AccessDenied",
    )
    .await;

    admin_fails(
        &server,
        Some(ROOT),
        &["account", "create", "TEAM-B"],
        "EntityAlreadyExists",
    );
    let listed = admin_ok(&server, Some(ROOT), &["account", "list"]);
    assert!(
        listed.contains("000000000001\t") && listed.contains("000000000002\tteam-b\t"),
        "{listed}"
    );
    let created = create_account(&server, "team-c").await;
    assert_eq!(created.number, "000000000003");
}

#[tokio::test]
async fn admin_shortcuts_manage_users_keys_and_policies() {
    let server = TestServer::start();
    common::create_bucket(&server.client(), "box").await;
    // Credentials from a data dir's root-credentials.toml when none are given.
    let data = tempfile::tempdir().expect("data dir");
    std::fs::write(
        data.path().join("root-credentials.toml"),
        format!("access_key = \"{ACCESS_KEY}\"\nsecret_key = \"{SECRET_KEY}\"\n"),
    )
    .expect("credentials file");
    let dir = data.path().to_str().expect("path");
    let run = |args: &[&str]| {
        let mut all = vec!["--data-dir", dir];
        all.extend_from_slice(args);
        admin_ok(&server, None, &all)
    };
    let created = run(&["user", "create", "lee"]);
    assert!(
        created.contains("arn:aws:iam::000000000001:user/lee"),
        "{created}"
    );
    assert!(run(&["user", "list"]).starts_with("lee\t"));
    let key: serde_json::Value =
        serde_json::from_str(&run(&["key", "create", "--user", "lee"])).expect("JSON");
    let id = key["AccessKeyId"].as_str().expect("id").to_string();
    let secret = key["SecretAccessKey"].as_str().expect("secret").to_string();
    assert_eq!(key["UserName"], "lee");
    assert!(run(&["key", "list", "--user", "lee"]).contains(&format!("{id}\tActive\t")));

    let policy = data.path().join("policy.json");
    std::fs::write(&policy, allow(&["s3:ListBucket"], "arn:aws:s3:::box")).expect("policy");
    run(&[
        "user-policy",
        "put",
        "lee",
        "list",
        policy.to_str().expect("path"),
    ]);
    assert!(run(&["user-policy", "get", "lee", "list"]).contains("s3:ListBucket"));
    assert_eq!(run(&["user-policy", "list", "lee"]).trim(), "list");
    let s3 = s3_client_as(&server, &id, &secret);
    let list = || s3.list_objects_v2().bucket("box").send();
    list().await.expect("lee lists");

    run(&["key", "deactivate", &id, "--user", "lee"]);
    let err = list().await.expect_err("inactive");
    assert_sdk_error(&err, 403, "InvalidAccessKeyId");
    assert!(run(&["key", "list", "--user", "lee"]).contains("\tInactive\t"));
    run(&["key", "activate", &id, "--user", "lee"]);
    list().await.expect("active again");

    let xml = run(&["iam", "ListUserPolicies", "UserName=lee"]);
    assert!(xml.contains("<member>list</member>"), "{xml}");
    admin_fails(
        &server,
        None,
        &["--data-dir", dir, "user", "delete", "lee"],
        "DeleteConflict",
    );
    run(&["key", "delete", &id, "--user", "lee"]);
    run(&["user-policy", "delete", "lee", "list"]);
    run(&["user", "delete", "lee"]);
    assert_eq!(run(&["user", "list"]).trim(), "");
    // Nothing to sign with.
    let output = admin(
        &server,
        None,
        &["--data-dir", "/nonexistent", "user", "list"],
    );
    assert_eq!(output.status.code(), Some(1));
}

#[tokio::test]
async fn admin_lifecycle_run_is_for_the_server_root_only() {
    let server = TestServer::start();
    let printed = admin_ok(&server, Some(ROOT), &["lifecycle", "run"]);
    let ran: serde_json::Value = serde_json::from_str(&printed).expect("JSON");
    assert!(ran["handled"].is_u64(), "{printed}");

    let created = admin_ok(&server, Some(ROOT), &["account", "create", "tenant"]);
    let account: serde_json::Value = serde_json::from_str(&created).expect("JSON");
    let keys = (
        account["AccessKeyId"].as_str().expect("key"),
        account["SecretAccessKey"].as_str().expect("secret"),
    );
    admin_fails(&server, Some(keys), &["lifecycle", "run"], "AccessDenied");
}
