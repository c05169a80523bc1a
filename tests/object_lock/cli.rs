//! Object Lock end to end with real clients: the aws CLI's s3api lock commands, and restic
//! (Debian's package, installed by scripts/test) backing up to and restoring from a
//! lock-enabled bucket with a default GOVERNANCE retention, whose pack files then cannot be
//! deleted by version id.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::common::aws_cli::AwsCli;
use super::common::{self, ACCESS_KEY, SECRET_KEY, TestServer};
use super::{DAY, in_days, parse_iso, unix_now};

/// The CLI prints timestamps as `2030-01-01T00:00:00+00:00` (or with a `Z`): seconds since the
/// epoch of its first 19 characters, read as UTC.
fn cli_date(value: &serde_json::Value) -> i64 {
    let text = value.as_str().unwrap_or_else(|| panic!("no date: {value}"));
    parse_iso(&format!("{}Z", &text[..19]))
}

#[tokio::test]
async fn aws_cli_configures_locks_and_is_refused_deleting_a_locked_version() {
    let server = TestServer::start();
    let home = tempfile::tempdir().expect("home");
    let cli = AwsCli::new(&server, home.path());
    let bucket = "cli-vault";
    cli.run(&[
        "s3api",
        "create-bucket",
        "--bucket",
        bucket,
        "--object-lock-enabled-for-bucket",
    ]);
    let versioning = cli.json(&["s3api", "get-bucket-versioning", "--bucket", bucket]);
    assert_eq!(versioning["Status"], "Enabled", "{versioning}");
    cli.run(&[
        "s3api",
        "put-object-lock-configuration",
        "--bucket",
        bucket,
        "--object-lock-configuration",
        r#"{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":{"Mode":"GOVERNANCE","Days":1}}}"#,
    ]);
    let configuration = cli.json(&["s3api", "get-object-lock-configuration", "--bucket", bucket]);
    let configuration = &configuration["ObjectLockConfiguration"];
    assert_eq!(
        configuration["ObjectLockEnabled"], "Enabled",
        "{configuration}"
    );
    assert_eq!(
        configuration["Rule"]["DefaultRetention"]["Mode"], "GOVERNANCE",
        "{configuration}"
    );
    assert_eq!(
        configuration["Rule"]["DefaultRetention"]["Days"], 1,
        "{configuration}"
    );

    let local = home.path().join("report.txt");
    std::fs::write(&local, b"quarterly numbers").expect("write");
    let written_at = unix_now();
    let put = cli.json(&[
        "s3api",
        "put-object",
        "--bucket",
        bucket,
        "--key",
        "report.txt",
        "--body",
        local.to_str().expect("path"),
    ]);
    let version = put["VersionId"].as_str().expect("VersionId").to_string();
    let head = cli.json(&[
        "s3api",
        "head-object",
        "--bucket",
        bucket,
        "--key",
        "report.txt",
        "--version-id",
        &version,
    ]);
    assert_eq!(head["ObjectLockMode"], "GOVERNANCE", "{head}");
    let until = cli_date(&head["ObjectLockRetainUntilDate"]);
    assert!(
        (until - (written_at + DAY)).abs() <= 300,
        "the default retention is one day: {head}"
    );

    let longer = in_days(3);
    cli.run(&[
        "s3api",
        "put-object-retention",
        "--bucket",
        bucket,
        "--key",
        "report.txt",
        "--version-id",
        &version,
        "--retention",
        &format!(r#"{{"Mode":"GOVERNANCE","RetainUntilDate":"{longer}"}}"#),
    ]);
    let retention = cli.json(&[
        "s3api",
        "get-object-retention",
        "--bucket",
        bucket,
        "--key",
        "report.txt",
        "--version-id",
        &version,
    ]);
    assert_eq!(retention["Retention"]["Mode"], "GOVERNANCE", "{retention}");
    assert_eq!(
        cli_date(&retention["Retention"]["RetainUntilDate"]),
        parse_iso(&longer),
        "{retention}"
    );

    cli.run(&[
        "s3api",
        "put-object-legal-hold",
        "--bucket",
        bucket,
        "--key",
        "report.txt",
        "--version-id",
        &version,
        "--legal-hold",
        "Status=ON",
    ]);
    let hold = cli.json(&[
        "s3api",
        "get-object-legal-hold",
        "--bucket",
        bucket,
        "--key",
        "report.txt",
        "--version-id",
        &version,
    ]);
    assert_eq!(hold["LegalHold"]["Status"], "ON", "{hold}");

    let delete: [&str; 8] = [
        "s3api",
        "delete-object",
        "--bucket",
        bucket,
        "--key",
        "report.txt",
        "--version-id",
        &version,
    ];
    cli.fails_with(&delete, "AccessDenied");
    let bypass = [&delete[..], &["--bypass-governance-retention"]].concat();
    // The legal hold binds even with the bypass.
    cli.fails_with(&bypass, "AccessDenied");
    cli.run(&[
        "s3api",
        "put-object-legal-hold",
        "--bucket",
        bucket,
        "--key",
        "report.txt",
        "--version-id",
        &version,
        "--legal-hold",
        "Status=OFF",
    ]);
    // Without the hold, GOVERNANCE still refuses a plain delete, and yields to the bypass.
    cli.fails_with(&delete, "AccessDenied");
    cli.run(&bypass);
    let versions = cli.json(&["s3api", "list-object-versions", "--bucket", bucket]);
    assert!(
        versions["Versions"]
            .as_array()
            .is_none_or(|v| v.iter().all(|v| v["VersionId"] != version.as_str())),
        "{versions}"
    );
}

// ---------------------------------------------------------------------------------------------
// restic.

/// `restic ARGS` against `repository` with the root's keys, its cache and HOME under `home`.
fn restic(repository: &str, home: &Path, args: &[&str]) -> Output {
    Command::new("restic")
        .arg("--repo")
        .arg(repository)
        .args(args)
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("AWS_REGION")
        .env("RESTIC_PASSWORD", "correct horse battery staple")
        .env_remove("RESTIC_PASSWORD_FILE")
        .env_remove("RESTIC_REPOSITORY")
        .env("RESTIC_CACHE_DIR", home.join("cache"))
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .output()
        .expect("restic must be installed (scripts/test installs Debian's restic)")
}

/// Runs restic, which must succeed; returns its stdout.
fn restic_ok(server: &TestServer, repository: &str, home: &Path, args: &[&str]) -> String {
    let output = restic(repository, home, args);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let log = server.log();
    let log_tail: Vec<&str> = log.lines().rev().take(40).collect();
    assert!(
        output.status.success(),
        "restic {args:?} failed ({}):\nstdout: {stdout}\nstderr: {}\nserver log (last lines, newest first):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr),
        log_tail.join("\n")
    );
    stdout
}

/// Every file under `root`, relative to it, sorted.
fn files_under(root: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.push(path.strip_prefix(root).expect("under root").to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

#[tokio::test]
async fn restic_backs_up_to_a_lock_enabled_bucket_whose_packs_cannot_be_deleted() {
    let server = TestServer::start();
    let s3 = server.client();
    let bucket = "restic-vault";
    super::create_locked_bucket(&s3, bucket).await;
    let put = super::put_lock_configuration(
        &server,
        bucket,
        &super::default_retention_xml("GOVERNANCE", "<Days>1</Days>"),
    );
    assert_eq!(put.status, 200, "{}", put.body_text());

    let work = tempfile::tempdir().expect("work dir");
    let home = work.path().join("home");
    let source = work.path().join("source");
    let target = work.path().join("restored");
    for dir in [&home, &source.join("docs/nested"), &target] {
        std::fs::create_dir_all(dir).expect("mkdir");
    }
    std::fs::write(source.join("README"), b"what the backup holds\n").expect("write");
    std::fs::write(
        source.join("docs/big.bin"),
        common::pattern(3 * 1024 * 1024, 7),
    )
    .expect("write");
    std::fs::write(source.join("docs/nested/small.txt"), b"small\n").expect("write");
    std::fs::write(source.join("docs/nested/empty"), b"").expect("write");

    let repository = format!("s3:{}/{bucket}", server.endpoint);
    restic_ok(&server, &repository, &home, &["init"]);
    let source_arg = source.to_str().expect("path");
    restic_ok(&server, &repository, &home, &["backup", source_arg]);
    restic_ok(&server, &repository, &home, &["check"]);
    let snapshots = restic_ok(&server, &repository, &home, &["snapshots", "--json"]);
    let snapshots: serde_json::Value = serde_json::from_str(&snapshots).expect("snapshots JSON");
    assert_eq!(snapshots.as_array().map(Vec::len), Some(1), "{snapshots}");
    restic_ok(
        &server,
        &repository,
        &home,
        &[
            "restore",
            "latest",
            "--target",
            target.to_str().expect("path"),
        ],
    );

    // restic restores under the target by the source's absolute path.
    let restored = target.join(source.strip_prefix("/").expect("absolute source"));
    let files = files_under(&source);
    assert_eq!(files_under(&restored), files, "the same files came back");
    for file in &files {
        assert!(
            std::fs::read(source.join(file)).expect("read source")
                == std::fs::read(restored.join(file)).expect("read restored"),
            "{} differs after the round trip",
            file.display()
        );
    }

    // restic removed its lock files with plain deletes: delete markers over retained versions.
    let locks = s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix("locks/")
        .send()
        .await
        .expect("list locks/");
    assert!(
        locks.contents().is_empty(),
        "restic's locks are removed: {locks:?}"
    );
    let lock_versions = s3
        .list_object_versions()
        .bucket(bucket)
        .prefix("locks/")
        .send()
        .await
        .expect("list versions under locks/");
    assert!(
        !lock_versions.versions().is_empty() && !lock_versions.delete_markers().is_empty(),
        "the lock files' versions stay behind delete markers: {lock_versions:?}"
    );

    // The pack files are versions under GOVERNANCE retention: not deletable by version id.
    let listed = s3
        .list_object_versions()
        .bucket(bucket)
        .prefix("data/")
        .send()
        .await
        .expect("list versions under data/");
    let packs = listed.versions();
    assert!(
        !packs.is_empty(),
        "restic wrote pack files under data/: {listed:?}"
    );
    let pack = &packs[0];
    let key = pack.key().expect("key").to_string();
    let version = pack.version_id().expect("version id").to_string();
    let head = s3
        .head_object()
        .bucket(bucket)
        .key(&key)
        .version_id(&version)
        .send()
        .await
        .expect("head pack");
    assert_eq!(
        head.object_lock_mode().map(|m| m.as_str()),
        Some("GOVERNANCE"),
        "the default retention applies to restic's writes: {head:?}"
    );
    let cli_home = work.path().join("aws");
    std::fs::create_dir_all(&cli_home).expect("mkdir");
    let cli = AwsCli::new(&server, &cli_home);
    cli.fails_with(
        &[
            "s3api",
            "delete-object",
            "--bucket",
            bucket,
            "--key",
            &key,
            "--version-id",
            &version,
        ],
        "AccessDenied",
    );
    let body = common::get_version(&s3, bucket, &key, &version).await;
    assert_eq!(body.len() as i64, pack.size().expect("size"));
    // And the repository is still whole.
    restic_ok(&server, &repository, &home, &["check", "--read-data"]);
}
