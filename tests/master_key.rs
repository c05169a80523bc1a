//! The master key against the real binary: a restart with another key, or without the key
//! file, is refused with a message and changes nothing; the right key starts the server again
//! and everything sealed under it (IAM secrets) still opens.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::TestServer;

/// `strata serve` on `data_dir` with `args`, expected to refuse to start: its exit status and
/// what it printed. Killed (and the test failed) if it is still running after 30 s.
fn refused_start(data_dir: &Path, args: &[&str]) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .args(args)
        .env("STRATA_ROOT_ACCESS_KEY", common::ACCESS_KEY)
        .env("STRATA_ROOT_SECRET_KEY", common::SECRET_KEY)
        .env_remove("STRATA_MASTER_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn strata");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let output = child.wait_with_output().expect("output");
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            assert!(!status.success(), "started anyway: {text}");
            return text;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("strata started with a key it should have refused");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn another_key_or_a_missing_key_file_is_refused_and_changes_nothing() {
    let keys = tempfile::tempdir().expect("tempdir");
    let right = keys.path().join("right.key");
    let wrong = keys.path().join("wrong.key");
    std::fs::write(&right, hex_key(1)).expect("write key");
    std::fs::write(&wrong, hex_key(2)).expect("write key");
    let right_arg = right.to_str().expect("utf-8 path");
    let mut server = TestServer::start_with(&["--master-key-file", right_arg]);
    let s3 = server.client();
    common::create_bucket(&s3, "kept").await;
    common::put(&s3, "kept", "object", b"sealed world").await;
    // An IAM user's secret is sealed under the master key.
    let user = common::strata_admin(&server, &["user", "create", "alice"]);
    let keys_json = common::strata_admin(&server, &["key", "create", "--user", "alice"]);
    let created: serde_json::Value = serde_json::from_str(&keys_json).expect("key JSON");
    let access = created["AccessKeyId"]
        .as_str()
        .expect("access key")
        .to_string();
    let secret = created["SecretAccessKey"]
        .as_str()
        .expect("secret")
        .to_string();
    assert!(user.contains("alice"), "{user}");
    server.kill9();

    let wrong_arg = wrong.to_str().expect("utf-8 path");
    let refused = refused_start(&server.data_dir(), &["--master-key-file", wrong_arg]);
    assert!(
        refused.contains("not the one this data directory was sealed with"),
        "{refused}"
    );
    assert!(
        !refused.contains(&hex_key(2)),
        "the key is never printed: {refused}"
    );
    // No default key file: the key comes from the named file, and none is generated.
    assert!(!server.data_dir().join("server.key").exists());
    let missing = refused_start(&server.data_dir(), &[]);
    assert!(missing.contains("master key is missing"), "{missing}");
    assert!(!server.data_dir().join("server.key").exists());

    // The right key: the object and the user's sealed secret are as they were.
    server.restart();
    let s3 = server.client();
    assert_eq!(common::get(&s3, "kept", "object").await, b"sealed world");
    let as_alice = common::accounts::s3_client_as(&server, &access, &secret);
    let listed = as_alice.list_buckets().send().await;
    // Alice has no policy: AccessDenied proves her key authenticated (a key that did not open
    // would be InvalidAccessKeyId / SignatureDoesNotMatch).
    let err = listed.expect_err("no permission yet");
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&err),
        Some("AccessDenied"),
        "{err:?}"
    );
}

#[tokio::test]
async fn the_default_key_file_is_generated_once_and_required_afterwards() {
    let mut server = TestServer::start();
    let key_file = server.data_dir().join("server.key");
    let key = std::fs::read(&key_file).expect("generated key file");
    assert_eq!(key.len(), 32);
    server.kill9();
    std::fs::remove_file(&key_file).expect("remove key");
    let refused = refused_start(&server.data_dir(), &[]);
    assert!(refused.contains("master key is missing"), "{refused}");
    assert!(!key_file.exists(), "no new key replaced the lost one");
    std::fs::write(&key_file, &key).expect("restore key");
    server.restart();
    common::create_bucket(&server.client(), "back").await;
}

fn hex_key(seed: u8) -> String {
    (0..32)
        .map(|i| format!("{:02x}", seed.wrapping_mul(31).wrapping_add(i)))
        .collect()
}
