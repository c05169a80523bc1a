//! The built-in KMS through the real aws CLI (v1, botocore) and raw signed JSON calls (for
//! exact statuses, `__type`s and malformed requests): keys, aliases, encryption with contexts,
//! data keys, key states, rotation, the `aws/s3` key, restarts, authentication and
//! authorization.

mod common;

use std::path::Path;
use std::time::SystemTime;

use base64::Engine as _;
use common::accounts::{create_account, iam_call};
use common::aws_cli::AwsCli;
use common::{
    ACCESS_KEY, REGION, RawResponse, SECRET_KEY, TestServer, raw_exchange, raw_request, xml_value,
};
use serde_json::{Value, json};

const ROOT: (&str, &str) = (ACCESS_KEY, SECRET_KEY);

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(text: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text.as_str().expect("base64 string"))
        .expect("base64")
}

/// Writes `bytes` to a file under `dir` and returns its `fileb://` URL.
fn fileb(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    format!("fileb://{}", path.display())
}

fn create_key(cli: &AwsCli<'_>) -> (String, String) {
    let created = cli.json(&["kms", "create-key", "--description", "test key"]);
    let meta = &created["KeyMetadata"];
    (
        meta["KeyId"].as_str().expect("KeyId").to_string(),
        meta["Arn"].as_str().expect("Arn").to_string(),
    )
}

/// `aws kms encrypt` → the ciphertext blob's bytes.
fn encrypt(cli: &AwsCli<'_>, dir: &Path, key: &str, plaintext: &[u8], context: &[&str]) -> Vec<u8> {
    let file = fileb(dir, "plain.bin", plaintext);
    let mut args = vec!["kms", "encrypt", "--key-id", key, "--plaintext", &file];
    if !context.is_empty() {
        args.push("--encryption-context");
        args.extend_from_slice(context);
    }
    unb64(&cli.json(&args)["CiphertextBlob"])
}

/// `aws kms decrypt` → the whole answer.
fn decrypt(cli: &AwsCli<'_>, dir: &Path, blob: &[u8], extra: &[&str]) -> Value {
    let file = fileb(dir, "blob.bin", blob);
    let mut args = vec!["kms", "decrypt", "--ciphertext-blob", &file];
    args.extend_from_slice(extra);
    cli.json(&args)
}

fn decrypt_fails(cli: &AwsCli<'_>, dir: &Path, blob: &[u8], extra: &[&str], code: &str) {
    let file = fileb(dir, "blob.bin", blob);
    let mut args = vec!["kms", "decrypt", "--ciphertext-blob", &file];
    args.extend_from_slice(extra);
    cli.fails_with(&args, code);
}

/// One KMS JSON call signed (SigV4, service `kms`) with `keys`, the way botocore sends it.
fn kms_call(server: &TestServer, keys: (&str, &str), operation: &str, body: &str) -> RawResponse {
    use aws_credential_types::Credentials;
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    use aws_sigv4::sign::v4;
    let identity = Credentials::new(keys.0, keys.1, None, None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name("kms")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .expect("signing params")
        .into();
    let mut headers: Vec<(String, String)> = vec![
        ("host".into(), server.addr.clone()),
        ("content-type".into(), "application/x-amz-json-1.1".into()),
        ("x-amz-target".into(), format!("TrentService.{operation}")),
    ];
    let signable = SignableRequest::new(
        "POST",
        format!("http://{}/", server.addr),
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(body.as_bytes()),
    )
    .expect("signable");
    let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
    let (signed, _) = instructions.into_parts();
    for header in signed {
        headers.push((header.name().to_string(), header.value().to_string()));
    }
    raw_exchange(
        &server.addr,
        &raw_request("POST", "/", &headers, body.as_bytes()),
    )
}

fn json_of(response: &RawResponse) -> Value {
    serde_json::from_slice(&response.body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", response.body_text()))
}

/// A raw call that must fail with HTTP 400 and this `__type`; returns the message.
fn refused(response: &RawResponse, code: &str) -> String {
    let body = json_of(response);
    assert_eq!(
        (response.status, body["__type"].as_str()),
        (400, Some(code)),
        "{}",
        response.body_text()
    );
    assert_eq!(
        response.header("content-type"),
        Some("application/x-amz-json-1.1")
    );
    assert!(
        response
            .header("x-amzn-requestid")
            .is_some_and(|v| !v.is_empty())
    );
    body["message"].as_str().unwrap_or_default().to_string()
}

#[test]
fn cli_creates_describes_lists_and_aliases_keys() {
    let server = TestServer::start();
    let home = tempfile::tempdir().expect("home");
    let cli = AwsCli::new(&server, home.path());
    let (key_id, arn) = create_key(&cli);
    assert_eq!(
        arn,
        format!("arn:aws:kms:{REGION}:000000000001:key/{key_id}")
    );
    cli.run(&[
        "kms",
        "create-alias",
        "--alias-name",
        "alias/app",
        "--target-key-id",
        &key_id,
    ]);
    let alias_arn = format!("arn:aws:kms:{REGION}:000000000001:alias/app");
    for name in [key_id.as_str(), &arn, "alias/app", &alias_arn] {
        let meta = &cli.json(&["kms", "describe-key", "--key-id", name])["KeyMetadata"];
        assert_eq!(meta["KeyId"], json!(key_id), "{name}");
        assert_eq!(meta["KeyState"], json!("Enabled"));
        assert_eq!(meta["Enabled"], json!(true));
        assert_eq!(meta["KeySpec"], json!("SYMMETRIC_DEFAULT"));
        assert_eq!(meta["KeyUsage"], json!("ENCRYPT_DECRYPT"));
        assert_eq!(meta["KeyManager"], json!("CUSTOMER"));
        assert_eq!(meta["Description"], json!("test key"));
    }
    let keys = cli.json(&["kms", "list-keys"]);
    assert_eq!(keys["Keys"], json!([{"KeyId": key_id, "KeyArn": arn}]));
    let aliases = cli.json(&["kms", "list-aliases"]);
    let entry = &aliases["Aliases"][0];
    assert_eq!(
        (
            &entry["AliasName"],
            &entry["AliasArn"],
            &entry["TargetKeyId"]
        ),
        (&json!("alias/app"), &json!(alias_arn), &json!(key_id))
    );
    cli.fails_with(
        &[
            "kms",
            "create-alias",
            "--alias-name",
            "alias/app",
            "--target-key-id",
            &key_id,
        ],
        "AlreadyExistsException",
    );
    cli.fails_with(
        &[
            "kms",
            "create-alias",
            "--alias-name",
            "app",
            "--target-key-id",
            &key_id,
        ],
        "ValidationException",
    );
    cli.run(&["kms", "delete-alias", "--alias-name", "alias/app"]);
    cli.fails_with(
        &["kms", "describe-key", "--key-id", "alias/app"],
        "NotFoundException",
    );
    cli.fails_with(
        &[
            "kms",
            "describe-key",
            "--key-id",
            "00000000-0000-4000-8000-000000000000",
        ],
        "NotFoundException",
    );
    cli.fails_with(
        &[
            "kms",
            "create-key",
            "--key-spec",
            "RSA_2048",
            "--key-usage",
            "SIGN_VERIFY",
        ],
        "UnsupportedOperationException",
    );
}

#[test]
fn cli_encrypts_4096_bytes_and_refuses_4097_and_a_wrong_context() {
    let server = TestServer::start();
    let home = tempfile::tempdir().expect("home");
    let cli = AwsCli::new(&server, home.path());
    let (key_id, arn) = create_key(&cli);
    let plaintext = common::pattern(4096, 1);
    let blob = encrypt(
        &cli,
        home.path(),
        &key_id,
        &plaintext,
        &["purpose=test,bucket=b"],
    );
    assert!(!blob.windows(16).any(|w| w == &plaintext[..16]));
    let answer = decrypt(
        &cli,
        home.path(),
        &blob,
        &["--encryption-context", "bucket=b,purpose=test"],
    );
    assert_eq!(unb64(&answer["Plaintext"]), plaintext);
    assert_eq!(answer["KeyId"], json!(arn));
    assert_eq!(answer["EncryptionAlgorithm"], json!("SYMMETRIC_DEFAULT"));
    for wrong in [&["--encryption-context", "bucket=c,purpose=test"][..], &[]] {
        decrypt_fails(
            &cli,
            home.path(),
            &blob,
            wrong,
            "InvalidCiphertextException",
        );
    }
    let too_long = fileb(home.path(), "big.bin", &common::pattern(4097, 2));
    let err = cli.run_fails(&[
        "kms",
        "encrypt",
        "--key-id",
        &key_id,
        "--plaintext",
        &too_long,
    ]);
    assert!(
        err.contains("ValidationException")
            && err.contains("1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096"),
        "{err}"
    );
    let empty = kms_call(
        &server,
        ROOT,
        "Encrypt",
        &json!({"KeyId": key_id, "Plaintext": ""}).to_string(),
    );
    let message = refused(&empty, "ValidationException");
    assert!(message.contains("greater than or equal to 1"), "{message}");
    // A tampered blob is not decrypted.
    let mut tampered = blob.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    decrypt_fails(
        &cli,
        home.path(),
        &tampered,
        &["--encryption-context", "bucket=b,purpose=test"],
        "InvalidCiphertextException",
    );
}

#[test]
fn cli_generates_data_keys_that_decrypt_to_the_same_bytes() {
    let server = TestServer::start();
    let home = tempfile::tempdir().expect("home");
    let cli = AwsCli::new(&server, home.path());
    let (key_id, _) = create_key(&cli);
    let generated = cli.json(&[
        "kms",
        "generate-data-key",
        "--key-id",
        &key_id,
        "--key-spec",
        "AES_256",
        "--encryption-context",
        "object=o1",
    ]);
    let plaintext = unb64(&generated["Plaintext"]);
    assert_eq!(plaintext.len(), 32);
    let blob = unb64(&generated["CiphertextBlob"]);
    let answer = decrypt(
        &cli,
        home.path(),
        &blob,
        &["--encryption-context", "object=o1"],
    );
    assert_eq!(unb64(&answer["Plaintext"]), plaintext);

    let without = cli.json(&[
        "kms",
        "generate-data-key-without-plaintext",
        "--key-id",
        &key_id,
        "--number-of-bytes",
        "64",
    ]);
    assert!(without.get("Plaintext").is_none(), "{without}");
    let answer = decrypt(&cli, home.path(), &unb64(&without["CiphertextBlob"]), &[]);
    assert_eq!(unb64(&answer["Plaintext"]).len(), 64);

    let aes128 = cli.json(&[
        "kms",
        "generate-data-key",
        "--key-id",
        &key_id,
        "--key-spec",
        "AES_128",
    ]);
    assert_eq!(unb64(&aes128["Plaintext"]).len(), 16);
    for args in [
        &["--key-spec", "AES_256", "--number-of-bytes", "32"][..],
        &[],
    ] {
        let mut all = vec!["kms", "generate-data-key", "--key-id", &key_id];
        all.extend_from_slice(args);
        cli.fails_with(&all, "ValidationException");
    }
    let too_many = kms_call(
        &server,
        ROOT,
        "GenerateDataKey",
        &json!({"KeyId": key_id, "NumberOfBytes": 1025}).to_string(),
    );
    refused(&too_many, "ValidationException");
}

#[test]
fn cli_re_encrypts_to_another_key_and_decrypt_checks_the_named_key() {
    let server = TestServer::start();
    let home = tempfile::tempdir().expect("home");
    let cli = AwsCli::new(&server, home.path());
    let (first, first_arn) = create_key(&cli);
    let (second, second_arn) = create_key(&cli);
    let blob = encrypt(&cli, home.path(), &first, b"move me", &["k=v"]);
    let file = fileb(home.path(), "blob.bin", &blob);
    let moved = cli.json(&[
        "kms",
        "re-encrypt",
        "--ciphertext-blob",
        &file,
        "--source-encryption-context",
        "k=v",
        "--destination-key-id",
        &second,
        "--destination-encryption-context",
        "k=w",
    ]);
    assert_eq!(moved["SourceKeyId"], json!(first_arn));
    assert_eq!(moved["KeyId"], json!(second_arn));
    let moved_blob = unb64(&moved["CiphertextBlob"]);
    let answer = decrypt(
        &cli,
        home.path(),
        &moved_blob,
        &["--encryption-context", "k=w"],
    );
    assert_eq!(unb64(&answer["Plaintext"]), b"move me");
    assert_eq!(answer["KeyId"], json!(second_arn));
    // Decrypt without a KeyId works (the blob names its key); naming another key does not.
    decrypt(
        &cli,
        home.path(),
        &blob,
        &["--encryption-context", "k=v", "--key-id", &first],
    );
    decrypt_fails(
        &cli,
        home.path(),
        &blob,
        &["--encryption-context", "k=v", "--key-id", &second],
        "IncorrectKeyException",
    );
}

#[test]
fn a_disabled_key_refuses_use_until_enabled_again() {
    let server = TestServer::start();
    let home = tempfile::tempdir().expect("home");
    let cli = AwsCli::new(&server, home.path());
    let (key_id, _) = create_key(&cli);
    let blob = encrypt(&cli, home.path(), &key_id, b"data", &[]);
    cli.run(&["kms", "disable-key", "--key-id", &key_id]);
    let meta = &cli.json(&["kms", "describe-key", "--key-id", &key_id])["KeyMetadata"];
    assert_eq!(
        (&meta["KeyState"], &meta["Enabled"]),
        (&json!("Disabled"), &json!(false))
    );
    let file = fileb(home.path(), "p.bin", b"data");
    cli.fails_with(
        &["kms", "encrypt", "--key-id", &key_id, "--plaintext", &file],
        "DisabledException",
    );
    decrypt_fails(&cli, home.path(), &blob, &[], "DisabledException");
    cli.run(&["kms", "enable-key", "--key-id", &key_id]);
    assert_eq!(
        unb64(&decrypt(&cli, home.path(), &blob, &[])["Plaintext"]),
        b"data"
    );
    encrypt(&cli, home.path(), &key_id, b"more", &[]);
    // Key management takes key ids and ARNs, not aliases.
    cli.run(&[
        "kms",
        "create-alias",
        "--alias-name",
        "alias/x",
        "--target-key-id",
        &key_id,
    ]);
    cli.fails_with(
        &["kms", "disable-key", "--key-id", "alias/x"],
        "NotFoundException",
    );
}

#[test]
fn scheduled_deletion_blocks_use_and_cancelling_leaves_the_key_disabled() {
    let server = TestServer::start();
    let home = tempfile::tempdir().expect("home");
    let cli = AwsCli::new(&server, home.path());
    let (key_id, arn) = create_key(&cli);
    let blob = encrypt(&cli, home.path(), &key_id, b"data", &[]);
    cli.fails_with(
        &[
            "kms",
            "schedule-key-deletion",
            "--key-id",
            &key_id,
            "--pending-window-in-days",
            "6",
        ],
        "ValidationException",
    );
    let scheduled = cli.json(&[
        "kms",
        "schedule-key-deletion",
        "--key-id",
        &key_id,
        "--pending-window-in-days",
        "7",
    ]);
    assert_eq!(scheduled["KeyId"], json!(arn));
    assert_eq!(scheduled["KeyState"], json!("PendingDeletion"));
    assert_eq!(scheduled["PendingWindowInDays"], json!(7));
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("time")
        .as_secs_f64();
    let deletion = scheduled["DeletionDate"].as_f64().expect("DeletionDate");
    assert!(
        (deletion - now - 7.0 * 86400.0).abs() < 120.0,
        "{deletion} vs {now}"
    );
    let meta = &cli.json(&["kms", "describe-key", "--key-id", &key_id])["KeyMetadata"];
    assert_eq!(meta["KeyState"], json!("PendingDeletion"));
    assert!(meta["DeletionDate"].is_number());
    let file = fileb(home.path(), "p.bin", b"data");
    cli.fails_with(
        &["kms", "encrypt", "--key-id", &key_id, "--plaintext", &file],
        "KMSInvalidStateException",
    );
    decrypt_fails(&cli, home.path(), &blob, &[], "KMSInvalidStateException");
    cli.fails_with(
        &["kms", "enable-key", "--key-id", &key_id],
        "KMSInvalidStateException",
    );
    cli.fails_with(
        &["kms", "schedule-key-deletion", "--key-id", &key_id],
        "KMSInvalidStateException",
    );
    let cancelled = cli.json(&["kms", "cancel-key-deletion", "--key-id", &key_id]);
    assert_eq!(cancelled["KeyId"], json!(arn));
    let meta = &cli.json(&["kms", "describe-key", "--key-id", &key_id])["KeyMetadata"];
    assert_eq!(meta["KeyState"], json!("Disabled"));
    assert!(meta.get("DeletionDate").is_none());
    cli.fails_with(
        &["kms", "cancel-key-deletion", "--key-id", &key_id],
        "KMSInvalidStateException",
    );
    cli.run(&["kms", "enable-key", "--key-id", &key_id]);
    assert_eq!(
        unb64(&decrypt(&cli, home.path(), &blob, &[])["Plaintext"]),
        b"data"
    );
}

#[test]
fn rotation_keeps_old_ciphertexts_readable() {
    let server = TestServer::start();
    let home = tempfile::tempdir().expect("home");
    let cli = AwsCli::new(&server, home.path());
    let (key_id, _) = create_key(&cli);
    let status = cli.json(&["kms", "get-key-rotation-status", "--key-id", &key_id]);
    assert_eq!(status["KeyRotationEnabled"], json!(false));
    cli.run(&[
        "kms",
        "enable-key-rotation",
        "--key-id",
        &key_id,
        "--rotation-period-in-days",
        "180",
    ]);
    let status = cli.json(&["kms", "get-key-rotation-status", "--key-id", &key_id]);
    assert_eq!(status["KeyRotationEnabled"], json!(true));
    assert_eq!(status["RotationPeriodInDays"], json!(180));
    assert!(status["NextRotationDate"].is_number(), "{status}");
    // botocore checks the range itself; the server does too.
    let too_short = json!({"KeyId": key_id, "RotationPeriodInDays": 89}).to_string();
    refused(
        &kms_call(&server, ROOT, "EnableKeyRotation", &too_short),
        "ValidationException",
    );
    let old = encrypt(&cli, home.path(), &key_id, b"before", &[]);
    let rotated = cli.json(&["kms", "rotate-key-on-demand", "--key-id", &key_id]);
    assert_eq!(rotated["KeyId"], json!(key_id));
    let new = encrypt(&cli, home.path(), &key_id, b"after", &[]);
    assert_ne!(
        old[..46],
        new[..46],
        "the new blob names another material version"
    );
    assert_eq!(
        unb64(&decrypt(&cli, home.path(), &old, &[])["Plaintext"]),
        b"before"
    );
    assert_eq!(
        unb64(&decrypt(&cli, home.path(), &new, &[])["Plaintext"]),
        b"after"
    );
    let rotations = cli.json(&["kms", "list-key-rotations", "--key-id", &key_id]);
    let list = rotations["Rotations"].as_array().expect("rotations");
    assert_eq!(list.len(), 1, "{rotations}");
    assert_eq!(list[0]["RotationType"], json!("ON_DEMAND"));
    cli.run(&["kms", "disable-key-rotation", "--key-id", &key_id]);
    let status = cli.json(&["kms", "get-key-rotation-status", "--key-id", &key_id]);
    assert_eq!(status["KeyRotationEnabled"], json!(false));
}

#[test]
fn the_aws_s3_key_is_made_on_first_use_and_reserved() {
    let server = TestServer::start();
    let home = tempfile::tempdir().expect("home");
    let cli = AwsCli::new(&server, home.path());
    let meta =
        cli.json(&["kms", "describe-key", "--key-id", "alias/aws/s3"])["KeyMetadata"].clone();
    assert_eq!(meta["KeyManager"], json!("AWS"));
    assert_eq!(
        meta["Description"],
        json!("Default key that protects my S3 objects when no other key is defined")
    );
    let aws_key = meta["KeyId"].as_str().expect("KeyId").to_string();
    let again = cli.json(&["kms", "describe-key", "--key-id", "alias/aws/s3"]);
    assert_eq!(again["KeyMetadata"]["KeyId"], json!(aws_key), "made once");
    let status = cli.json(&["kms", "get-key-rotation-status", "--key-id", &aws_key]);
    assert_eq!(status["KeyRotationEnabled"], json!(true));
    let aliases = cli.json(&["kms", "list-aliases"]);
    assert_eq!(aliases["Aliases"][0]["AliasName"], json!("alias/aws/s3"));
    let (key_id, _) = create_key(&cli);
    cli.fails_with(
        &[
            "kms",
            "create-alias",
            "--alias-name",
            "alias/aws/mine",
            "--target-key-id",
            &key_id,
        ],
        "NotAuthorizedException",
    );
    cli.fails_with(
        &["kms", "delete-alias", "--alias-name", "alias/aws/s3"],
        "NotAuthorizedException",
    );
    for op in [
        "disable-key",
        "schedule-key-deletion",
        "enable-key-rotation",
        "rotate-key-on-demand",
    ] {
        cli.fails_with(&["kms", op, "--key-id", &aws_key], "AccessDeniedException");
    }
    cli.fails_with(
        &[
            "kms",
            "create-alias",
            "--alias-name",
            "alias/mine",
            "--target-key-id",
            &aws_key,
        ],
        "AccessDeniedException",
    );
    let blob = encrypt(&cli, home.path(), "alias/aws/s3", b"s3 data", &[]);
    assert_eq!(
        unb64(&decrypt(&cli, home.path(), &blob, &[])["Plaintext"]),
        b"s3 data"
    );
}

#[test]
fn keys_aliases_and_ciphertexts_survive_a_restart() {
    let mut server = TestServer::start();
    let home = tempfile::tempdir().expect("home");
    let cli = AwsCli::new(&server, home.path());
    let (key_id, _) = create_key(&cli);
    cli.run(&[
        "kms",
        "create-alias",
        "--alias-name",
        "alias/kept",
        "--target-key-id",
        &key_id,
    ]);
    let before = encrypt(&cli, home.path(), "alias/kept", b"durable", &["a=b"]);
    cli.run(&["kms", "rotate-key-on-demand", "--key-id", &key_id]);
    let s3_key =
        cli.json(&["kms", "describe-key", "--key-id", "alias/aws/s3"])["KeyMetadata"]["KeyId"]
            .clone();
    server.restart();
    let cli = AwsCli::new(&server, home.path());
    let answer = decrypt(&cli, home.path(), &before, &["--encryption-context", "a=b"]);
    assert_eq!(unb64(&answer["Plaintext"]), b"durable");
    let meta = &cli.json(&["kms", "describe-key", "--key-id", "alias/kept"])["KeyMetadata"];
    assert_eq!(meta["KeyId"], json!(key_id));
    let after = encrypt(&cli, home.path(), &key_id, b"new", &[]);
    assert_eq!(
        unb64(&decrypt(&cli, home.path(), &after, &[])["Plaintext"]),
        b"new"
    );
    let again = cli.json(&["kms", "describe-key", "--key-id", "alias/aws/s3"]);
    assert_eq!(again["KeyMetadata"]["KeyId"], s3_key);
}

#[test]
fn raw_requests_get_kms_json_errors() {
    let server = TestServer::start();
    // Unsigned.
    let unsigned = raw_exchange(
        &server.addr,
        &raw_request(
            "POST",
            "/",
            &[
                ("host".into(), server.addr.clone()),
                ("content-type".into(), "application/x-amz-json-1.1".into()),
                ("x-amz-target".into(), "TrentService.ListKeys".into()),
            ],
            b"{}",
        ),
    );
    refused(&unsigned, "MissingAuthenticationTokenException");
    refused(
        &kms_call(&server, ("NOSUCHKEY1234567", SECRET_KEY), "ListKeys", "{}"),
        "UnrecognizedClientException",
    );
    refused(
        &kms_call(&server, (ACCESS_KEY, "wrong-secret-key"), "ListKeys", "{}"),
        "InvalidSignatureException",
    );
    refused(
        &kms_call(&server, ROOT, "Frobnicate", "{}"),
        "UnknownOperationException",
    );
    refused(
        &kms_call(&server, ROOT, "CreateKey", "{not json"),
        "SerializationException",
    );
    refused(
        &kms_call(&server, ROOT, "DescribeKey", r#"{"KeyId": 5}"#),
        "SerializationException",
    );
    let message = refused(
        &kms_call(&server, ROOT, "DescribeKey", "{}"),
        "ValidationException",
    );
    assert!(message.contains("Value null at 'keyId'"), "{message}");
    refused(
        &kms_call(
            &server,
            ROOT,
            "Decrypt",
            &json!({"CiphertextBlob": b64(b"garbage")}).to_string(),
        ),
        "InvalidCiphertextException",
    );
    // A success has the JSON content type and a request id too.
    let ok = kms_call(&server, ROOT, "CreateKey", "{}");
    assert_eq!(ok.status, 200, "{}", ok.body_text());
    assert_eq!(
        ok.header("content-type"),
        Some("application/x-amz-json-1.1")
    );
    assert!(ok.header("x-amzn-requestid").is_some());
    assert_eq!(json_of(&ok)["KeyMetadata"]["KeyState"], json!("Enabled"));
}

#[test]
fn list_keys_and_aliases_page_with_markers() {
    let server = TestServer::start();
    let mut created = Vec::new();
    for i in 0..3 {
        let key = json_of(&kms_call(&server, ROOT, "CreateKey", "{}"))["KeyMetadata"]["KeyId"]
            .as_str()
            .expect("KeyId")
            .to_string();
        let alias = json!({"AliasName": format!("alias/a{i}"), "TargetKeyId": key}).to_string();
        assert_eq!(kms_call(&server, ROOT, "CreateAlias", &alias).status, 200);
        created.push(key);
    }
    created.sort();
    for (operation, list, expected) in [
        ("ListKeys", "Keys", created.clone()),
        (
            "ListAliases",
            "Aliases",
            vec!["alias/a0".into(), "alias/a1".into(), "alias/a2".into()],
        ),
    ] {
        let field = if list == "Keys" { "KeyId" } else { "AliasName" };
        let first = json_of(&kms_call(&server, ROOT, operation, r#"{"Limit": 2}"#));
        assert_eq!(first["Truncated"], json!(true), "{first}");
        let marker = first["NextMarker"].as_str().expect("NextMarker");
        let second = json_of(&kms_call(
            &server,
            ROOT,
            operation,
            &json!({"Limit": 2, "Marker": marker}).to_string(),
        ));
        assert_eq!(second["Truncated"], json!(false), "{second}");
        let seen: Vec<String> = [&first, &second]
            .iter()
            .flat_map(|page| page[list].as_array().cloned().unwrap_or_default())
            .map(|entry| entry[field].as_str().unwrap_or_default().to_string())
            .collect();
        assert_eq!(seen, expected, "{operation}");
    }
    refused(
        &kms_call(&server, ROOT, "ListKeys", r#"{"Limit": 0}"#),
        "ValidationException",
    );
    refused(
        &kms_call(&server, ROOT, "ListKeys", r#"{"Marker": "not a marker!"}"#),
        "InvalidMarkerException",
    );
}

#[tokio::test]
async fn an_iam_user_needs_an_identity_policy_for_each_kms_action() {
    let server = TestServer::start();
    let key = json_of(&kms_call(&server, ROOT, "CreateKey", "{}"))["KeyMetadata"].clone();
    let (key_id, arn) = (
        key["KeyId"].as_str().expect("id"),
        key["Arn"].as_str().expect("arn"),
    );
    let iam = |params: Vec<(&'static str, String)>| {
        let server = &server;
        async move {
            let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (status, body) = iam_call(server, ACCESS_KEY, SECRET_KEY, &params).await;
            assert_eq!(status, 200, "{params:?}: {body}");
            body
        }
    };
    iam(vec![
        ("Action", "CreateUser".into()),
        ("UserName", "alice".into()),
    ])
    .await;
    let created = iam(vec![
        ("Action", "CreateAccessKey".into()),
        ("UserName", "alice".into()),
    ])
    .await;
    let user_key = xml_value(&created, "AccessKeyId").expect("key id");
    let user_secret = xml_value(&created, "SecretAccessKey").expect("secret");
    let alice = (user_key.as_str(), user_secret.as_str());
    let encrypt_body = json!({"KeyId": key_id, "Plaintext": b64(b"hi")}).to_string();
    let message = refused(
        &kms_call(&server, alice, "Encrypt", &encrypt_body),
        "AccessDeniedException",
    );
    assert_eq!(
        message,
        format!(
            "User: arn:aws:iam::000000000001:user/alice is not authorized to perform: kms:Encrypt on resource: {arn} because no identity-based policy allows the kms:Encrypt action"
        )
    );
    let policy = json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": arn}]
    })
    .to_string();
    iam(vec![
        ("Action", "PutUserPolicy".into()),
        ("UserName", "alice".into()),
        ("PolicyName", "kms".into()),
        ("PolicyDocument", policy),
    ])
    .await;
    let ok = kms_call(&server, alice, "Encrypt", &encrypt_body);
    assert_eq!(ok.status, 200, "{}", ok.body_text());
    let blob = json_of(&ok)["CiphertextBlob"]
        .as_str()
        .expect("blob")
        .to_string();
    // Encrypt does not grant Decrypt, nor CreateKey.
    let decrypt_body = json!({"CiphertextBlob": blob}).to_string();
    refused(
        &kms_call(&server, alice, "Decrypt", &decrypt_body),
        "AccessDeniedException",
    );
    refused(
        &kms_call(&server, alice, "CreateKey", "{}"),
        "AccessDeniedException",
    );
    let root = json_of(&kms_call(&server, ROOT, "Decrypt", &decrypt_body));
    assert_eq!(unb64(&root["Plaintext"]), b"hi");
}

#[tokio::test]
async fn another_account_cannot_use_the_key() {
    let server = TestServer::start();
    let key = json_of(&kms_call(&server, ROOT, "CreateKey", "{}"))["KeyMetadata"].clone();
    let (key_id, arn) = (
        key["KeyId"].as_str().expect("id"),
        key["Arn"].as_str().expect("arn"),
    );
    let other = create_account(&server, "other").await;
    let keys = (other.access_key.as_str(), other.secret_key.as_str());
    let by_arn = json!({"KeyId": arn, "Plaintext": b64(b"x")}).to_string();
    let message = refused(
        &kms_call(&server, keys, "Encrypt", &by_arn),
        "AccessDeniedException",
    );
    assert!(
        message.contains(&format!("arn:aws:iam::{}:root", other.number)),
        "{message}"
    );
    // A bare key id is looked up in the caller's own account.
    let by_id = json!({"KeyId": key_id, "Plaintext": b64(b"x")}).to_string();
    refused(
        &kms_call(&server, keys, "Encrypt", &by_id),
        "NotFoundException",
    );
    let blob = json_of(&kms_call(&server, ROOT, "Encrypt", &by_id))["CiphertextBlob"].clone();
    let decrypt_body = json!({"CiphertextBlob": blob}).to_string();
    refused(
        &kms_call(&server, keys, "Decrypt", &decrypt_body),
        "AccessDeniedException",
    );
    refused(
        &kms_call(
            &server,
            keys,
            "DisableKey",
            &json!({"KeyId": arn}).to_string(),
        ),
        "AccessDeniedException",
    );
    // Its own lists are empty (ListKeys makes no aws/s3 key).
    let listed = json_of(&kms_call(&server, keys, "ListKeys", "{}"));
    assert_eq!(listed["Keys"], json!([]));
}
