//! End-to-end with the real aws CLI (v1, botocore), over HTTP and over HTTPS with a
//! self-signed certificate (where botocore switches to aws-chunked bodies with trailing checksums),
//! and object versioning through `aws s3api`.

mod common;

use std::path::Path;

use common::aws_cli::AwsCli;
use common::{TestServer, pattern};

fn files_equal(a: &Path, b: &Path) -> bool {
    std::fs::read(a).expect("read a") == std::fs::read(b).expect("read b")
}

fn scenario(cli: &AwsCli<'_>, work: &Path) {
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
    let cli = AwsCli::new(&server, work.path());
    scenario(&cli, work.path());
}

#[test]
fn aws_cli_end_to_end_over_https_with_aws_chunked_trailers() {
    let certs = tempfile::tempdir().expect("cert dir");
    let (server, ca) = common::start_https_server(certs.path());
    let work = tempfile::tempdir().expect("work dir");
    let cli = AwsCli::new(&server, work.path()).with_ca_bundle(&ca);
    scenario(&cli, work.path());
}

/// (VersionId, IsLatest) of each entry of one list (`Versions` or `DeleteMarkers`) of
/// `aws s3api list-object-versions` output, in the order listed.
fn listed(listing: &serde_json::Value, list: &str) -> Vec<(String, bool)> {
    listing[list]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .map(|e| {
                    let id = e["VersionId"].as_str().expect("VersionId").to_string();
                    (id, e["IsLatest"] == true)
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn aws_cli_versioning_keeps_history_deletes_versions_and_adds_delete_markers() {
    let server = TestServer::start();
    let work = tempfile::tempdir().expect("work dir");
    let cli = AwsCli::new(&server, work.path());
    let (bucket, key) = ("history", "doc.bin");
    let object = ["--bucket", bucket, "--key", key];
    cli.run(&["s3", "mb", &format!("s3://{bucket}")]);
    cli.run(&[
        "s3api",
        "put-bucket-versioning",
        "--bucket",
        bucket,
        "--versioning-configuration",
        "Status=Enabled",
    ]);
    let status = cli.json(&["s3api", "get-bucket-versioning", "--bucket", bucket]);
    assert_eq!(status["Status"], "Enabled", "{status:#}");

    // Inline and erasure-coded bodies (the inline threshold is 128 KiB).
    let bodies = [pattern(1000, 1), pattern(300 * 1024, 2), pattern(5000, 3)];
    let mut ids = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        let file = work.path().join(format!("v{i}.bin"));
        std::fs::write(&file, body).expect("body file");
        let put = cli.json(
            &[
                &["s3api", "put-object"][..],
                &object,
                &["--body", file.to_str().expect("path")],
            ]
            .concat(),
        );
        ids.push(put["VersionId"].as_str().expect("VersionId").to_string());
    }
    let [oldest, middle, newest] = [&ids[0], &ids[1], &ids[2]];
    assert!(
        oldest != middle && middle != newest && oldest != newest,
        "{ids:?}"
    );

    let listing = cli.json(&["s3api", "list-object-versions", "--bucket", bucket]);
    let versions = listed(&listing, "Versions");
    assert_eq!(
        versions,
        [
            (newest.clone(), true),
            (middle.clone(), false),
            (oldest.clone(), false)
        ],
        "three versions, newest first, only the newest IsLatest:\n{listing:#}"
    );
    assert!(listed(&listing, "DeleteMarkers").is_empty(), "{listing:#}");

    // `--version-id=` because a version id may begin with '-'.
    let get = |version: Option<&str>, name: &str| {
        let target = work.path().join(name);
        let version = version.map(|id| format!("--version-id={id}"));
        let out = cli.json(
            &[
                &["s3api", "get-object"][..],
                &object,
                version.as_deref().as_slice(),
                &[target.to_str().expect("path")],
            ]
            .concat(),
        );
        let bytes = std::fs::read(&target).expect("downloaded");
        (
            out["VersionId"].as_str().unwrap_or_default().to_string(),
            bytes,
        )
    };
    let (id, bytes) = get(Some(oldest), "oldest.bin");
    assert_eq!(&id, oldest);
    assert!(
        bytes == bodies[0],
        "the oldest version reads back byte-identical"
    );

    let deleted = cli.json(
        &[
            &["s3api", "delete-object"][..],
            &object,
            &[&format!("--version-id={newest}")],
        ]
        .concat(),
    );
    assert_eq!(deleted["VersionId"], newest.as_str(), "{deleted:#}");
    assert!(
        deleted.get("DeleteMarker").is_none_or(|m| m == false),
        "deleting a version by id adds no delete marker: {deleted:#}"
    );
    let (id, bytes) = get(None, "current.bin");
    assert_eq!(&id, middle, "the previous version is current again");
    assert!(
        bytes == bodies[1],
        "the current object is the middle version"
    );
    let listing = cli.json(&["s3api", "list-object-versions", "--bucket", bucket]);
    assert_eq!(
        listed(&listing, "Versions"),
        [(middle.clone(), true), (oldest.clone(), false)],
        "{listing:#}"
    );

    let marked = cli.json(&[&["s3api", "delete-object"][..], &object].concat());
    assert_eq!(marked["DeleteMarker"], true, "{marked:#}");
    let marker = marked["VersionId"]
        .as_str()
        .expect("delete marker's VersionId");
    assert!(!ids.iter().any(|id| id == marker), "{marked:#}");
    let refused = cli.run_fails(&[&["s3api", "head-object"][..], &object].concat());
    assert!(
        refused.contains("(404)"),
        "HeadObject behind a delete marker is 404:\n{refused}"
    );
    let listing = cli.json(&["s3api", "list-object-versions", "--bucket", bucket]);
    assert_eq!(
        listed(&listing, "DeleteMarkers"),
        [(marker.to_string(), true)],
        "{listing:#}"
    );
    assert_eq!(
        listed(&listing, "Versions"),
        [(middle.clone(), false), (oldest.clone(), false)],
        "the versions behind the marker stay:\n{listing:#}"
    );
    let (_, bytes) = get(Some(middle), "middle.bin");
    assert!(
        bytes == bodies[1],
        "a version behind the marker reads by id"
    );
}
