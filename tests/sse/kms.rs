//! SSE-KMS against the real binary: keys made with `aws kms` on the same endpoint encrypt
//! objects written with `aws:kms` (by the aws CLI and the SDK, single-part, multipart, copies,
//! a bucket default); a disabled key makes its objects unreadable with AWS's error, enabling it
//! makes them readable again, and rotation keeps old objects readable. Using a key needs
//! `kms:GenerateDataKey` (writes) and `kms:Decrypt` (reads), and a bucket policy can require
//! SSE-KMS.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::common::aws_cli::AwsCli;
use super::common::{self, TestServer};
use super::{BUCKET, SECRET_MARKER, marked, tree_contains};

/// Creates a key (and `alias`) with the CLI; returns its id and ARN.
fn create_key(cli: &AwsCli<'_>, alias: &str) -> (String, String) {
    let created = cli.json(&["kms", "create-key", "--description", "test key"]);
    let id = created["KeyMetadata"]["KeyId"]
        .as_str()
        .expect("KeyId")
        .to_string();
    let arn = created["KeyMetadata"]["Arn"]
        .as_str()
        .expect("Arn")
        .to_string();
    cli.run(&[
        "kms",
        "create-alias",
        "--alias-name",
        alias,
        "--target-key-id",
        &id,
    ]);
    (id, arn)
}

#[tokio::test]
async fn aws_cli_sse_kms_objects_follow_their_key_state_and_rotation() {
    let server = TestServer::start();
    let home = tempfile::tempdir().expect("home");
    let cli = AwsCli::new(&server, home.path());
    let (key_id, arn) = create_key(&cli, "alias/backups");
    cli.run(&["s3", "mb", &format!("s3://{BUCKET}")]);
    let data = marked(300_000, SECRET_MARKER);
    let local = home.path().join("object");
    std::fs::write(&local, &data).expect("write");
    let object = format!("s3://{BUCKET}/object");
    let local_path = local.to_str().expect("path");
    let sse_kms = ["--sse", "aws:kms", "--sse-kms-key-id", "alias/backups"];
    cli.run(&[&["s3", "cp", local_path, &object][..], &sse_kms].concat());

    let head = cli.json(&[
        "s3api",
        "head-object",
        "--bucket",
        BUCKET,
        "--key",
        "object",
    ]);
    assert_eq!(head["ServerSideEncryption"], "aws:kms");
    assert_eq!(head["SSEKMSKeyId"], arn.as_str());
    let fetched = home.path().join("fetched");
    let fetched_path = fetched.to_str().expect("path");
    let download = ["s3", "cp", &object, fetched_path];
    cli.run(&download);
    assert_eq!(std::fs::read(&fetched).expect("read"), data);

    // A disabled key: GET fails with AWS's error (HEAD still answers), and so do new writes;
    // enabled again, everything reads.
    cli.run(&["kms", "disable-key", "--key-id", &key_id]);
    cli.fails_with(&download, "KMS.DisabledException");
    cli.json(&[
        "s3api",
        "head-object",
        "--bucket",
        BUCKET,
        "--key",
        "object",
    ]);
    let second = format!("s3://{BUCKET}/second");
    let upload_second = [&["s3", "cp", local_path, &second][..], &sse_kms].concat();
    cli.fails_with(&upload_second, "KMS.DisabledException");
    cli.run(&["kms", "enable-key", "--key-id", &key_id]);
    std::fs::remove_file(&fetched).expect("remove");
    cli.run(&download);
    assert_eq!(std::fs::read(&fetched).expect("read"), data);

    // Rotation: the old object still reads, a new one is written under the new material.
    cli.run(&["kms", "rotate-key-on-demand", "--key-id", &key_id]);
    cli.run(&upload_second);
    for name in ["object", "second"] {
        let out = home.path().join(format!("after-rotation-{name}"));
        let out_path = out.to_str().expect("path");
        cli.run(&["s3", "cp", &format!("s3://{BUCKET}/{name}"), out_path]);
        assert_eq!(std::fs::read(&out).expect("read"), data, "{name}");
    }
    assert!(!tree_contains(&server.data_dir(), SECRET_MARKER));
}

async fn put_kms(
    s3: &aws_sdk_s3::Client,
    key: &str,
    data: &[u8],
    key_id: Option<&str>,
    context: Option<&str>,
) -> aws_sdk_s3::operation::put_object::PutObjectOutput {
    s3.put_object()
        .bucket(BUCKET)
        .key(key)
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .set_ssekms_key_id(key_id.map(str::to_string))
        .set_ssekms_encryption_context(context.map(str::to_string))
        .body(ByteStream::from(data.to_vec()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("put {key}: {e:?}"))
}

async fn get_all(s3: &aws_sdk_s3::Client, key: &str, range: Option<&str>) -> Vec<u8> {
    let out = s3
        .get_object()
        .bucket(BUCKET)
        .key(key)
        .set_range(range.map(str::to_string))
        .send()
        .await
        .unwrap_or_else(|e| panic!("get {key}: {e:?}"));
    out.body
        .collect()
        .await
        .expect("body")
        .into_bytes()
        .to_vec()
}

#[tokio::test]
async fn sse_kms_round_trips_with_the_sdk_across_modes_and_defaults() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, BUCKET).await;
    let home = tempfile::tempdir().expect("home");
    let cli = AwsCli::new(&server, home.path());
    let (key_id, arn) = create_key(&cli, "alias/app");
    let data = marked(200_000, SECRET_MARKER);

    // No key id: the account's aws/s3 key, made on first use; the context names the object.
    let put = put_kms(&s3, "default-key", &data, None, None).await;
    let s3_key = cli.json(&["kms", "describe-key", "--key-id", "alias/aws/s3"]);
    assert_eq!(put.ssekms_key_id(), s3_key["KeyMetadata"]["Arn"].as_str());
    assert_eq!(s3_key["KeyMetadata"]["KeyManager"], "AWS");
    let context = BASE64
        .decode(put.ssekms_encryption_context().expect("context header"))
        .expect("base64");
    let context: serde_json::Value = serde_json::from_slice(&context).expect("json");
    assert_eq!(
        context["aws:s3:arn"],
        format!("arn:aws:s3:::{BUCKET}/default-key")
    );
    // SSE-KMS ETags are not the MD5 of the data.
    let md5 = hex::encode(<md5::Md5 as md5::Digest>::digest(&data));
    assert_ne!(put.e_tag().unwrap_or_default().trim_matches('"'), md5);
    assert_eq!(get_all(&s3, "default-key", None).await, data);

    // A key by alias, with an encryption context of the caller's.
    let own_context = BASE64.encode(r#"{"project":"apollo"}"#);
    let put = put_kms(&s3, "own-key", &data, Some("alias/app"), Some(&own_context)).await;
    assert_eq!(put.ssekms_key_id(), Some(arn.as_str()));
    let context = BASE64
        .decode(put.ssekms_encryption_context().expect("context header"))
        .expect("base64");
    let context: serde_json::Value = serde_json::from_slice(&context).expect("json");
    assert_eq!(context["project"], "apollo");
    let head = s3
        .head_object()
        .bucket(BUCKET)
        .key("own-key")
        .send()
        .await
        .expect("head");
    assert_eq!(
        head.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    assert_eq!(head.ssekms_key_id(), Some(arn.as_str()));
    let package = 64 * 1024;
    let range = format!("bytes={}-{}", package - 5, 2 * package + 5);
    assert_eq!(
        get_all(&s3, "own-key", Some(&range)).await,
        data[package - 5..=2 * package + 5]
    );

    // Multipart: each part's data key from the KMS; read whole, by range and by part.
    let upload = s3
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("parts")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .ssekms_key_id(&key_id);
    let first = marked(5 * 1024 * 1024, SECRET_MARKER);
    let done = common::multipart_upload(&s3, upload, &[first.clone(), data.clone()]).await;
    assert_eq!(
        done.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    assert_eq!(done.ssekms_key_id(), Some(arn.as_str()));
    let whole = [first.as_slice(), &data].concat();
    assert_eq!(get_all(&s3, "parts", None).await, whole);
    let edge = first.len();
    let range = format!("bytes={}-{}", edge - 3, edge + 3);
    assert_eq!(
        get_all(&s3, "parts", Some(&range)).await,
        whole[edge - 3..=edge + 3]
    );

    // Copies between modes.
    let to_s3 = s3
        .copy_object()
        .bucket(BUCKET)
        .key("now-sse-s3")
        .copy_source(format!("{BUCKET}/own-key"))
        .server_side_encryption(ServerSideEncryption::Aes256)
        .send()
        .await
        .expect("copy to SSE-S3");
    assert_eq!(
        to_s3.server_side_encryption(),
        Some(&ServerSideEncryption::Aes256)
    );
    assert_eq!(get_all(&s3, "now-sse-s3", None).await, data);
    let to_kms = s3
        .copy_object()
        .bucket(BUCKET)
        .key("back-to-kms")
        .copy_source(format!("{BUCKET}/now-sse-s3"))
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .ssekms_key_id(&arn)
        .send()
        .await
        .expect("copy to SSE-KMS");
    assert_eq!(to_kms.ssekms_key_id(), Some(arn.as_str()));
    assert_eq!(get_all(&s3, "back-to-kms", None).await, data);

    // A bucket default naming the key: writes without headers use it.
    let config = "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>\
         <SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>alias/app</KMSMasterKeyID>\
         </ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled></Rule>\
         </ServerSideEncryptionConfiguration>";
    let path = format!("/{BUCKET}?encryption");
    let stored = common::signed_exchange(&server, "PUT", &path, &[], config.as_bytes());
    assert_eq!(stored.status, 200, "{}", stored.body_text());
    let shown = common::signed_exchange(&server, "GET", &path, &[], b"").body_text();
    assert_eq!(
        common::xml_value(&shown, "KMSMasterKeyID").as_deref(),
        Some("alias/app")
    );
    let defaulted = s3
        .put_object()
        .bucket(BUCKET)
        .key("defaulted")
        .body(ByteStream::from(data.clone()))
        .send()
        .await
        .expect("put");
    assert_eq!(
        defaulted.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    assert_eq!(defaulted.ssekms_key_id(), Some(arn.as_str()));
    assert_eq!(defaulted.bucket_key_enabled(), Some(true));
    assert_eq!(get_all(&s3, "defaulted", None).await, data);

    // Refusals.
    let raw_put = |headers: &[(&str, &str)]| {
        common::signed_exchange(&server, "PUT", &format!("/{BUCKET}/refused"), headers, b"x")
    };
    common::assert_raw_error(
        &raw_put(&[
            ("x-amz-server-side-encryption", "aws:kms"),
            (
                "x-amz-server-side-encryption-aws-kms-key-id",
                "11111111-2222-3333-4444-555555555555",
            ),
        ]),
        400,
        "KMS.NotFoundException",
    );
    // One layer is all strata applies: dual-layer is refused, not claimed.
    common::assert_raw_error(
        &raw_put(&[("x-amz-server-side-encryption", "aws:kms:dsse")]),
        501,
        "NotImplemented",
    );
    common::assert_raw_error(
        &raw_put(&[
            ("x-amz-server-side-encryption", "AES256"),
            ("x-amz-server-side-encryption-aws-kms-key-id", &key_id),
        ]),
        400,
        "InvalidArgument",
    );
    common::assert_raw_error(
        &raw_put(&[
            ("x-amz-server-side-encryption", "aws:kms"),
            ("x-amz-server-side-encryption-context", "not base64 json"),
        ]),
        400,
        "InvalidArgument",
    );
    assert!(!tree_contains(&server.data_dir(), SECRET_MARKER));
}

#[tokio::test]
async fn sse_kms_needs_the_callers_kms_permissions_and_policies_can_require_it() {
    let server = TestServer::start();
    let account = common::accounts::create_account(&server, "tenant").await;
    let home = tempfile::tempdir().expect("home");
    let cli = AwsCli::new(&server, home.path())
        .with_keys((account.access_key.as_str(), account.secret_key.as_str()));
    let (_, arn) = create_key(&cli, "alias/tenant");
    let owner = common::accounts::s3_client_as(&server, &account.access_key, &account.secret_key);
    common::create_bucket(&owner, BUCKET).await;
    let policy = |kms_actions: &[&str]| {
        let mut statements = vec![serde_json::json!(
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
        )];
        if !kms_actions.is_empty() {
            statements.push(serde_json::json!(
                {"Effect": "Allow", "Action": kms_actions, "Resource": arn}
            ));
        }
        serde_json::json!({"Version": "2012-10-17", "Statement": statements}).to_string()
    };
    let user = |name: &'static str, actions: &'static [&'static str]| {
        let policy = policy(actions);
        let (server, account) = (&server, &account);
        async move {
            let (key, secret) =
                common::accounts::user_with_policy(server, account, name, &policy).await;
            common::accounts::s3_client_as(server, &key, &secret)
        }
    };
    let none = user("no-kms", &[]).await;
    let writer = user("writer", &["kms:GenerateDataKey"]).await;
    let reader = user("reader", &["kms:GenerateDataKey", "kms:Decrypt"]).await;

    let err = none
        .put_object()
        .bucket(BUCKET)
        .key("k")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .ssekms_key_id("alias/tenant")
        .body(ByteStream::from_static(b"data"))
        .send()
        .await
        .expect_err("no kms:GenerateDataKey");
    common::assert_sdk_error(&err, 403, "AccessDenied");
    // The account's aws/s3 key serves anyone S3 lets write and read, as its AWS-managed key
    // policy says: no kms: permission needed.
    let managed = none
        .put_object()
        .bucket(BUCKET)
        .key("managed")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .body(ByteStream::from_static(b"managed"))
        .send()
        .await
        .expect("the aws/s3 key needs no kms: permission");
    assert_eq!(
        managed.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    let read = none
        .get_object()
        .bucket(BUCKET)
        .key("managed")
        .send()
        .await
        .expect("read under aws/s3");
    assert_eq!(
        read.body
            .collect()
            .await
            .expect("body")
            .into_bytes()
            .as_ref(),
        b"managed"
    );
    put_with_key(&writer, "k", "alias/tenant").await;
    let err = writer
        .get_object()
        .bucket(BUCKET)
        .key("k")
        .send()
        .await
        .expect_err("no kms:Decrypt");
    common::assert_sdk_error(&err, 403, "AccessDenied");
    let read = reader
        .get_object()
        .bucket(BUCKET)
        .key("k")
        .send()
        .await
        .expect("reader");
    assert_eq!(
        read.body
            .collect()
            .await
            .expect("body")
            .into_bytes()
            .as_ref(),
        b"data"
    );

    // AWS's documented policy: deny uploads that do not ask for SSE-KMS.
    let require_kms = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Principal":"*",
            "Action":"s3:PutObject","Resource":"arn:aws:s3:::{BUCKET}/*",
            "Condition":{{"StringNotEquals":{{"s3:x-amz-server-side-encryption":"aws:kms"}}}}}}]}}"#
    );
    owner
        .put_bucket_policy()
        .bucket(BUCKET)
        .policy(require_kms)
        .send()
        .await
        .expect("policy");
    for algorithm in [None, Some(ServerSideEncryption::Aes256)] {
        let err = owner
            .put_object()
            .bucket(BUCKET)
            .key("other")
            .set_server_side_encryption(algorithm.clone())
            .body(ByteStream::from_static(b"data"))
            .send()
            .await
            .expect_err("not SSE-KMS");
        common::assert_sdk_error(&err, 403, "AccessDenied");
    }
    put_with_key(&owner, "other", "alias/tenant").await;
}

async fn put_with_key(s3: &aws_sdk_s3::Client, key: &str, key_id: &str) {
    s3.put_object()
        .bucket(BUCKET)
        .key(key)
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .ssekms_key_id(key_id)
        .body(ByteStream::from_static(b"data"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("put {key}: {e:?}"));
}
