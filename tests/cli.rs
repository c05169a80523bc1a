//! End-to-end with the real aws CLI (v1, botocore), over HTTP and over HTTPS with a
//! self-signed certificate (where botocore switches to aws-chunked bodies with trailing checksums).

mod common;

use std::path::Path;
use std::process::Command;

use common::{TestServer, pattern};

struct Cli<'a> {
    endpoint: String,
    ca_bundle: Option<&'a Path>,
    home: &'a Path,
}

impl Cli<'_> {
    /// Run `aws <args>`; panics with the output when it fails.
    fn run(&self, args: &[&str]) -> String {
        let mut command = Command::new("aws");
        command
            .arg("--endpoint-url")
            .arg(&self.endpoint)
            .args(args)
            .env("AWS_ACCESS_KEY_ID", common::ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", common::SECRET_KEY)
            .env("AWS_DEFAULT_REGION", common::REGION)
            .env("AWS_CONFIG_FILE", self.home.join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", self.home.join("credentials"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("HOME", self.home);
        if let Some(ca) = self.ca_bundle {
            command.arg("--ca-bundle").arg(ca);
        }
        let output = command
            .output()
            .expect("the aws CLI must be installed (scripts/test installs it)");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "aws {args:?} failed:\nstdout: {stdout}\nstderr: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
    }
}

fn self_signed_cert(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
        ])
        .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl must be installed (scripts/test installs it)");
    assert!(
        status.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    (cert, key)
}

fn files_equal(a: &Path, b: &Path) -> bool {
    std::fs::read(a).expect("read a") == std::fs::read(b).expect("read b")
}

fn scenario(cli: &Cli<'_>, work: &Path) {
    cli.run(&["s3", "mb", "s3://e2e"]);
    let small = work.join("small.txt");
    std::fs::write(&small, b"hello from the aws cli\n").expect("small");
    let big = work.join("big.bin");
    std::fs::write(&big, pattern(100 * 1024 * 1024, 1)).expect("big");

    cli.run(&[
        "s3",
        "cp",
        small.to_str().expect("path"),
        "s3://e2e/small.txt",
    ]);
    let started = std::time::Instant::now();
    cli.run(&[
        "s3",
        "cp",
        big.to_str().expect("path"),
        "s3://e2e/big/big.bin",
    ]);
    let upload = started.elapsed();

    let tree = work.join("tree");
    for i in 0..200 {
        let dir = tree.join(format!("d{}", i % 7));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(
            dir.join(format!("f{i}.dat")),
            pattern(100 + i * 37, i as u64),
        )
        .expect("file");
    }
    let first = cli.run(&["s3", "sync", tree.to_str().expect("path"), "s3://e2e/tree"]);
    assert_eq!(
        first.matches("upload:").count(),
        200,
        "first sync uploads every file:\n{first}"
    );
    let second = cli.run(&["s3", "sync", tree.to_str().expect("path"), "s3://e2e/tree"]);
    assert_eq!(
        second.matches("upload:").count(),
        0,
        "second sync uploads nothing:\n{second}"
    );

    // awscli v1 presigns with SigV2 by default.
    let url = cli.run(&["s3", "presign", "s3://e2e/small.txt", "--expires-in", "300"]);
    let url = url.trim();
    assert!(
        url.contains("AWSAccessKeyId=") && url.contains("Signature="),
        "{url}"
    );
    if cli.ca_bundle.is_none() {
        let path = url
            .split_once(&cli.endpoint)
            .map(|(_, rest)| rest.to_string())
            .expect("endpoint in url");
        let addr = cli.endpoint.trim_start_matches("http://");
        let response = common::raw_exchange(
            addr,
            &common::raw_request("GET", &path, &[("host".into(), addr.to_string())], b""),
        );
        assert_eq!(response.status, 200, "{}", response.body_text());
        assert_eq!(response.body, std::fs::read(&small).expect("small"));
    }

    let listing = cli.run(&["s3", "ls", "--recursive", "s3://e2e"]);
    assert_eq!(listing.lines().count(), 202, "{listing}");
    assert!(
        listing.contains("big/big.bin") && listing.contains(" 104857600 "),
        "{listing}"
    );

    let back = work.join("back");
    std::fs::create_dir_all(&back).expect("back dir");
    let started = std::time::Instant::now();
    cli.run(&[
        "s3",
        "cp",
        "s3://e2e/big/big.bin",
        back.join("big.bin").to_str().expect("path"),
    ]);
    let download = started.elapsed();
    cli.run(&[
        "s3",
        "cp",
        "s3://e2e/small.txt",
        back.join("small.txt").to_str().expect("path"),
    ]);
    assert!(
        files_equal(&big, &back.join("big.bin")),
        "100 MiB object round-trips byte-identical"
    );
    assert!(files_equal(&small, &back.join("small.txt")));
    let tree_back = work.join("tree-back");
    cli.run(&[
        "s3",
        "sync",
        "s3://e2e/tree",
        tree_back.to_str().expect("path"),
    ]);
    for i in [0usize, 57, 199] {
        let rel = format!("d{}/f{i}.dat", i % 7);
        assert!(
            files_equal(&tree.join(&rel), &tree_back.join(&rel)),
            "{rel}"
        );
    }
    eprintln!(
        "aws s3 cp 100 MiB ({}): upload {upload:?}, download {download:?}",
        cli.endpoint
    );

    cli.run(&["s3", "rm", "--recursive", "s3://e2e"]);
    assert_eq!(cli.run(&["s3", "ls", "--recursive", "s3://e2e"]).trim(), "");
    cli.run(&["s3", "rb", "s3://e2e"]);
    let buckets = cli.run(&["s3", "ls"]);
    assert!(!buckets.contains("e2e"), "{buckets}");
}

#[test]
fn aws_cli_end_to_end_over_http() {
    let server = TestServer::start();
    let work = tempfile::tempdir().expect("work dir");
    let cli = Cli {
        endpoint: server.endpoint.clone(),
        ca_bundle: None,
        home: work.path(),
    };
    scenario(&cli, work.path());
}

#[test]
fn aws_cli_end_to_end_over_https_with_aws_chunked_trailers() {
    let certs = tempfile::tempdir().expect("cert dir");
    let (cert, key) = self_signed_cert(certs.path());
    let server = TestServer::start_with(&[
        "--tls-cert",
        cert.to_str().expect("cert path"),
        "--tls-key",
        key.to_str().expect("key path"),
    ]);
    assert!(server.endpoint.starts_with("https://"));
    let work = tempfile::tempdir().expect("work dir");
    let cli = Cli {
        endpoint: server.endpoint.clone(),
        ca_bundle: Some(&cert),
        home: work.path(),
    };
    scenario(&cli, work.path());
}
