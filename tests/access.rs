//! Access control across accounts, IAM users and anonymous callers, end to end through the real
//! binary: three accounts (the server's root account and two made with the strata CreateAccount
//! action), users with identity policies, cross-account grants by bucket policy and by ACL.

mod common;

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use common::TestServer;
use common::accounts::{create_account, iam_call, s3_client_as, user_with_policy};
use strata::iam::ROOT_ACCOUNT_ID;

async fn put(s3: &Client, bucket: &str, key: &str) -> Result<(), String> {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from_static(b"data"))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            use aws_sdk_s3::error::ProvideErrorMetadata;
            e.code().unwrap_or("no code").to_string()
        })
}

async fn get(s3: &Client, bucket: &str, key: &str) -> Result<Vec<u8>, String> {
    match s3.get_object().bucket(bucket).key(key).send().await {
        Ok(out) => Ok(out.body.collect().await.expect("body").to_vec()),
        Err(e) => {
            use aws_sdk_s3::error::ProvideErrorMetadata;
            Err(e.code().unwrap_or("no code").to_string())
        }
    }
}

async fn list(s3: &Client, bucket: &str, prefix: Option<&str>) -> Result<Vec<String>, String> {
    match s3
        .list_objects_v2()
        .bucket(bucket)
        .set_prefix(prefix.map(str::to_string))
        .send()
        .await
    {
        Ok(out) => Ok(out
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_string))
            .collect()),
        Err(e) => {
            use aws_sdk_s3::error::ProvideErrorMetadata;
            Err(e.code().unwrap_or("no code").to_string())
        }
    }
}

fn denied<T: std::fmt::Debug>(result: Result<T, String>) {
    assert_eq!(result.err().as_deref(), Some("AccessDenied"));
}

#[tokio::test]
async fn three_accounts_own_separate_buckets() {
    let server = TestServer::start();
    let root = server.client();
    let alpha = create_account(&server, "alpha").await;
    let beta = create_account(&server, "beta").await;
    assert_ne!(alpha.number, beta.number);
    assert_ne!(alpha.canonical_id, beta.canonical_id);
    let alpha_s3 = s3_client_as(&server, &alpha.access_key, &alpha.secret_key);
    let beta_s3 = s3_client_as(&server, &beta.access_key, &beta.secret_key);

    common::create_bucket(&root, "root-bucket").await;
    common::create_bucket(&alpha_s3, "alpha-bucket").await;
    put(&alpha_s3, "alpha-bucket", "a.txt")
        .await
        .expect("owner writes");
    let names = |out: aws_sdk_s3::operation::list_buckets::ListBucketsOutput| {
        out.buckets()
            .iter()
            .filter_map(|b| b.name().map(str::to_string))
            .collect::<Vec<_>>()
    };
    let listed = alpha_s3.list_buckets().send().await.expect("list");
    assert_eq!(
        listed.owner().and_then(|o| o.id()),
        Some(alpha.canonical_id.as_str())
    );
    assert_eq!(names(listed), ["alpha-bucket"]);
    assert_eq!(
        names(root.list_buckets().send().await.expect("list")),
        ["root-bucket"]
    );
    assert!(names(beta_s3.list_buckets().send().await.expect("list")).is_empty());

    // Names are global: another account's bucket is taken, and closed to strangers.
    let taken = beta_s3
        .create_bucket()
        .bucket("alpha-bucket")
        .send()
        .await
        .expect_err("taken");
    common::assert_sdk_error(&taken, 409, "BucketAlreadyExists");
    denied(get(&beta_s3, "alpha-bucket", "a.txt").await);
    denied(put(&beta_s3, "alpha-bucket", "b.txt").await);
    denied(list(&beta_s3, "alpha-bucket", None).await);
    denied(get(&root, "alpha-bucket", "a.txt").await);
    let head = beta_s3
        .head_bucket()
        .bucket("alpha-bucket")
        .send()
        .await
        .expect_err("not beta's");
    assert_eq!(head.raw_response().map(|r| r.status().as_u16()), Some(403));

    // x-amz-expected-bucket-owner names the owning account's 12-digit id.
    alpha_s3
        .get_object()
        .bucket("alpha-bucket")
        .key("a.txt")
        .expected_bucket_owner(&alpha.number)
        .send()
        .await
        .expect("expected owner matches");
    let wrong = alpha_s3
        .get_object()
        .bucket("alpha-bucket")
        .key("a.txt")
        .expected_bucket_owner(&beta.number)
        .send()
        .await
        .expect_err("expected owner differs");
    common::assert_sdk_error(&wrong, 403, "AccessDenied");
}

#[tokio::test]
async fn users_do_what_their_policies_allow_and_nothing_else() {
    let server = TestServer::start();
    let alpha = create_account(&server, "alpha").await;
    let alpha_s3 = s3_client_as(&server, &alpha.access_key, &alpha.secret_key);
    common::create_bucket(&alpha_s3, "team").await;
    put(&alpha_s3, "team", "home/bob/notes")
        .await
        .expect("root writes");
    put(&alpha_s3, "team", "shared/readme")
        .await
        .expect("root writes");

    let home_policy = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:DeleteObject"],
         "Resource":"arn:aws:s3:::team/home/${aws:username}/*"},
        {"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::team",
         "Condition":{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}}]}"#;
    let (key, secret) = user_with_policy(&server, &alpha, "alice", home_policy).await;
    let alice = s3_client_as(&server, &key, &secret);
    put(&alice, "team", "home/alice/todo")
        .await
        .expect("own prefix");
    assert_eq!(
        get(&alice, "team", "home/alice/todo").await.as_deref(),
        Ok(&b"data"[..])
    );
    denied(put(&alice, "team", "home/bob/todo").await);
    // Setting an ACL on upload also needs s3:PutObjectAcl, which alice's policy does not give.
    let with_acl = alice
        .put_object()
        .bucket("team")
        .key("home/alice/public")
        .acl(aws_sdk_s3::types::ObjectCannedAcl::PublicRead)
        .body(ByteStream::from_static(b"data"))
        .send()
        .await
        .expect_err("no s3:PutObjectAcl");
    common::assert_sdk_error(&with_acl, 403, "AccessDenied");
    denied(get(&alice, "team", "home/bob/notes").await);
    denied(get(&alice, "team", "shared/readme").await);
    assert_eq!(
        list(&alice, "team", Some("home/alice/")).await,
        Ok(vec!["home/alice/todo".to_string()])
    );
    denied(list(&alice, "team", None).await);
    denied(list(&alice, "team", Some("home/bob/")).await);
    denied(alice.list_buckets().send().await.map_err(|e| {
        use aws_sdk_s3::error::ProvideErrorMetadata;
        e.code().unwrap_or_default().to_string()
    }));
    denied(
        alice
            .create_bucket()
            .bucket("alices-own")
            .send()
            .await
            .map_err(|e| {
                use aws_sdk_s3::error::ProvideErrorMetadata;
                e.code().unwrap_or_default().to_string()
            }),
    );

    // A user with no policy at all is denied everything, its own account's buckets included.
    let (key, secret) = user_with_policy(&server, &alpha, "nobody", "").await;
    let nobody = s3_client_as(&server, &key, &secret);
    denied(get(&nobody, "team", "shared/readme").await);
    denied(put(&nobody, "team", "home/nobody/x").await);
    denied(list(&nobody, "team", None).await);

    // A bucket owned by the account, created by a user allowed to: the account owns it.
    let creator_policy = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
    let (key, secret) = user_with_policy(&server, &alpha, "admin", creator_policy).await;
    let admin = s3_client_as(&server, &key, &secret);
    common::create_bucket(&admin, "made-by-admin").await;
    let owner = alpha_s3
        .get_bucket_acl()
        .bucket("made-by-admin")
        .send()
        .await
        .expect("the account root reads the user's bucket");
    assert_eq!(
        owner.owner().and_then(|o| o.id()),
        Some(alpha.canonical_id.as_str())
    );
}

#[tokio::test]
async fn a_bucket_policy_grants_another_account_and_its_users_need_their_own_allow() {
    let server = TestServer::start();
    let root = server.client();
    let beta = create_account(&server, "beta").await;
    let gamma = create_account(&server, "gamma").await;
    common::create_bucket(&root, "shared").await;
    put(&root, "shared", "report.csv")
        .await
        .expect("owner writes");
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow",
            "Principal":{{"AWS":"arn:aws:iam::{}:root"}},
            "Action":["s3:GetObject","s3:ListBucket"],
            "Resource":["arn:aws:s3:::shared","arn:aws:s3:::shared/*"]}}]}}"#,
        beta.number
    );
    root.put_bucket_policy()
        .bucket("shared")
        .policy(policy)
        .send()
        .await
        .expect("policy");

    let beta_s3 = s3_client_as(&server, &beta.access_key, &beta.secret_key);
    assert_eq!(
        get(&beta_s3, "shared", "report.csv").await.as_deref(),
        Ok(&b"data"[..])
    );
    assert_eq!(
        list(&beta_s3, "shared", None).await,
        Ok(vec!["report.csv".to_string()])
    );
    denied(put(&beta_s3, "shared", "upload").await);

    // Beta's users need beta's permission too: none, then the AWS read-only managed policy.
    let (key, secret) = user_with_policy(&server, &beta, "analyst", "").await;
    let analyst = s3_client_as(&server, &key, &secret);
    denied(get(&analyst, "shared", "report.csv").await);
    let (status, body) = iam_call(
        &server,
        &beta.access_key,
        &beta.secret_key,
        &[
            ("Action", "AttachUserPolicy"),
            ("UserName", "analyst"),
            (
                "PolicyArn",
                "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
            ),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        get(&analyst, "shared", "report.csv").await.as_deref(),
        Ok(&b"data"[..])
    );
    denied(put(&analyst, "shared", "upload").await);

    // The grant names beta only.
    let gamma_s3 = s3_client_as(&server, &gamma.access_key, &gamma.secret_key);
    denied(get(&gamma_s3, "shared", "report.csv").await);
    denied(list(&gamma_s3, "shared", None).await);
}

#[tokio::test]
async fn acl_grants_reach_another_account() {
    let server = TestServer::start();
    let root = server.client();
    let beta = create_account(&server, "beta").await;
    let beta_s3 = s3_client_as(&server, &beta.access_key, &beta.secret_key);
    common::create_bucket(&root, "granted").await;
    put(&root, "granted", "private.txt")
        .await
        .expect("owner writes");
    root.put_object()
        .bucket("granted")
        .key("for-beta.txt")
        .grant_read(format!("id=\"{}\"", beta.canonical_id))
        .grant_full_control(format!("id=\"{ROOT_ACCOUNT_ID}\""))
        .body(ByteStream::from_static(b"data"))
        .send()
        .await
        .expect("object with a grant");
    denied(list(&beta_s3, "granted", None).await);
    assert_eq!(
        get(&beta_s3, "granted", "for-beta.txt").await.as_deref(),
        Ok(&b"data"[..])
    );
    denied(get(&beta_s3, "granted", "private.txt").await);

    root.put_bucket_acl()
        .bucket("granted")
        .grant_read(format!("id=\"{}\"", beta.canonical_id))
        .grant_full_control(format!("id=\"{ROOT_ACCOUNT_ID}\""))
        .send()
        .await
        .expect("bucket grant");
    let mut keys = list(&beta_s3, "granted", None).await.expect("READ lists");
    keys.sort();
    assert_eq!(keys, ["for-beta.txt", "private.txt"]);
    denied(get(&beta_s3, "granted", "private.txt").await);
    denied(put(&beta_s3, "granted", "upload").await);

    // WRITE on the bucket lets beta upload; as the writer, beta owns what it wrote and the
    // bucket owner cannot read it unless beta grants bucket-owner-full-control.
    root.put_bucket_acl()
        .bucket("granted")
        .grant_write(format!("id=\"{}\"", beta.canonical_id))
        .grant_full_control(format!("id=\"{ROOT_ACCOUNT_ID}\""))
        .send()
        .await
        .expect("bucket grant");
    put(&beta_s3, "granted", "from-beta")
        .await
        .expect("WRITE uploads");
    denied(get(&root, "granted", "from-beta").await);
    beta_s3
        .put_object()
        .bucket("granted")
        .key("from-beta-shared")
        .acl(aws_sdk_s3::types::ObjectCannedAcl::BucketOwnerFullControl)
        .body(ByteStream::from_static(b"data"))
        .send()
        .await
        .expect("upload with bucket-owner-full-control");
    assert_eq!(
        get(&root, "granted", "from-beta-shared").await.as_deref(),
        Ok(&b"data"[..])
    );
    // The bucket owner may always delete what is in its bucket.
    root.delete_object()
        .bucket("granted")
        .key("from-beta")
        .send()
        .await
        .expect("owner deletes");
}

#[tokio::test]
async fn anonymous_reads_under_a_public_object_policy_with_curl_but_cannot_list() {
    let server = TestServer::start();
    let root = server.client();
    common::create_bucket(&root, "site").await;
    put(&root, "site", "index.html").await.expect("put");
    root.put_bucket_policy()
        .bucket("site")
        .policy(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
                "Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*"}]}"#,
        )
        .send()
        .await
        .expect("policy");
    let curl = |path: &str| {
        let out = std::process::Command::new("curl")
            .args(["-s", "-o", "-", "-w", "\n%{http_code}"])
            .arg(format!("{}{path}", server.endpoint))
            .output()
            .expect("curl must be installed (README set-up)");
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let (body, status) = text.rsplit_once('\n').expect("status line");
        (status.to_string(), body.to_string())
    };
    assert_eq!(curl("/site/index.html"), ("200".into(), "data".into()));
    let (status, body) = curl("/site");
    assert_eq!(status, "403");
    assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
    let (status, _) = curl("/site/missing");
    assert_eq!(status, "403", "without s3:ListBucket a missing key is 403");
}
