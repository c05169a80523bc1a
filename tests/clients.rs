//! End-to-end with real S3 clients other than the aws CLI (issue #3): boto3, rclone, s3cmd and
//! Terraform's S3 backend, each run as a subprocess against the real binary. The client-side
//! pieces (python scripts, config templates, the Terraform configuration) live in
//! `tests/clients/`. Every subprocess gets a private HOME and only the variables it needs, so
//! nothing on the machine (AWS_CA_BUNDLE, ~/.aws, ~/.terraformrc) changes what it does.

mod common;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{TestServer, pattern};

// ---------------------------------------------------------------------------------------------
// Running tools.

fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

/// A command with a private HOME, the server's credentials, and none of the machine's AWS
/// settings.
fn tool(program: &str, home: &Path) -> Command {
    let mut command = Command::new(program);
    command
        .env("HOME", home)
        .env("AWS_ACCESS_KEY_ID", common::ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", common::SECRET_KEY)
        .env("AWS_DEFAULT_REGION", common::REGION)
        .env("AWS_REGION", common::REGION)
        .env("AWS_CONFIG_FILE", home.join("aws-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("aws-credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        // Set machine-wide on this project's machines: rclone refuses to start with it
        // ("LoadCustomCABundleError ... unsupported transport"), and the https tests name their
        // own CA explicitly.
        .env_remove("AWS_CA_BUNDLE")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_S3")
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("http_proxy")
        .env_remove("https_proxy");
    command
}

struct Ran {
    ok: bool,
    stdout: String,
    stderr: String,
}

impl Ran {
    fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

fn run(command: &mut Command) -> Ran {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().unwrap_or_else(|e| {
        panic!(
            "{:?} could not be started ({e}); scripts/test installs the client tools",
            command.get_program()
        )
    });
    Ran {
        ok: status.success(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// Run and panic with the whole output unless it exits 0.
fn run_ok(command: &mut Command) -> Ran {
    let ran = run(command);
    assert!(
        ran.ok,
        "{:?} {:?} failed:\n--- stdout\n{}\n--- stderr\n{}",
        command.get_program(),
        command.get_args().collect::<Vec<_>>(),
        ran.stdout,
        ran.stderr
    );
    ran
}

fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(future)
}

/// Checks that do not stop the scenario: every failed one is reported together at the end, so
/// one missing feature does not hide the state of the rest.
#[derive(Default)]
struct Findings(Vec<String>);

impl Findings {
    fn check(&mut self, ok: bool, message: impl FnOnce() -> String) {
        if !ok {
            self.0.push(message());
        }
    }

    fn finish(self) {
        assert!(
            self.0.is_empty(),
            "{} check(s) failed:\n\n{}",
            self.0.len(),
            self.0.join("\n\n")
        );
    }
}

fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut text = std::fs::read_to_string(clients_dir().join(template)).expect("template");
    for (name, value) in values {
        text = text.replace(&format!("@{name}@"), value);
    }
    assert!(
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .all(|l| !l.contains('@')),
        "unfilled placeholder in {template}:\n{text}"
    );
    text
}

/// Every regular file under `root`, as sorted paths relative to it.
fn files_under(root: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read dir") {
            let path = entry.expect("dir entry").path();
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

// ---------------------------------------------------------------------------------------------
// boto3: the scripts in tests/clients/*.py, parametrised by environment variables.

fn boto3(server: &TestServer, script: &str, bucket: &str, extra: &[(&str, &str)]) -> Ran {
    let work = tempfile::tempdir().expect("work dir");
    let mut command = tool("python3", work.path());
    command
        .arg(clients_dir().join(script))
        .current_dir(clients_dir())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("STRATA_ENDPOINT", &server.endpoint)
        .env("STRATA_BUCKET", bucket)
        .env("STRATA_WORK", work.path());
    for (name, value) in extra {
        command.env(name, value);
    }
    let ran = run(&mut command);
    assert!(
        ran.ok,
        "python3 {script} failed:\n--- stdout\n{}\n--- stderr\n{}\n--- server log (tail)\n{}",
        ran.stdout,
        ran.stderr,
        tail(&server.log(), 40)
    );
    ran
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[test]
fn boto3_upload_file_multipart_and_download_file_round_trip_20_mib() {
    let server = TestServer::start();
    let files = tempfile::tempdir().expect("dir");
    let source = files.path().join("source.bin");
    let data = pattern(20 * 1024 * 1024, 3);
    std::fs::write(&source, &data).expect("source");
    let ran = boto3(
        &server,
        "boto3_transfer.py",
        "boto3-transfer",
        &[("STRATA_SOURCE", source.to_str().expect("path"))],
    );
    eprintln!("{}", ran.stdout);
    // What boto3 stored is the plain bytes, as any other client reads them.
    let stored = block_on(common::get(
        &server.client(),
        "boto3-transfer",
        "transfer/big.bin",
    ));
    assert!(stored == data, "aws-sdk-s3 reads back different bytes");
}

#[test]
fn boto3_presigned_get_url_default_sigv2_fetched_with_urllib() {
    let server = TestServer::start();
    boto3(
        &server,
        "boto3_presigned_url.py",
        "boto3-presign-v2",
        &[("STRATA_SIGNATURE", "default")],
    );
}

#[test]
fn boto3_presigned_get_url_s3v4_fetched_with_urllib() {
    let server = TestServer::start();
    boto3(
        &server,
        "boto3_presigned_url.py",
        "boto3-presign-v4",
        &[("STRATA_SIGNATURE", "s3v4")],
    );
}

#[test]
fn boto3_presigned_post_default_sigv2_form_upload_and_policy_enforced() {
    let server = TestServer::start();
    boto3(
        &server,
        "boto3_presigned_post.py",
        "boto3-post-v2",
        &[("STRATA_SIGNATURE", "default")],
    );
}

#[test]
fn boto3_presigned_post_s3v4_form_upload_and_policy_enforced() {
    let server = TestServer::start();
    boto3(
        &server,
        "boto3_presigned_post.py",
        "boto3-post-v4",
        &[("STRATA_SIGNATURE", "s3v4")],
    );
}

#[test]
fn boto3_list_objects_v2_paginates_2500_keys() {
    let server = TestServer::start();
    boto3(&server, "boto3_list_pagination.py", "boto3-list", &[]);
}

// ---------------------------------------------------------------------------------------------
// rclone

#[test]
fn rclone_copy_check_and_copy_back_directory_tree() {
    let server = TestServer::start();
    let work = tempfile::tempdir().expect("work dir");
    let config = work.path().join("rclone.conf");
    std::fs::write(
        &config,
        fill(
            "rclone.conf.template",
            &[
                ("ACCESS_KEY", common::ACCESS_KEY),
                ("SECRET_KEY", common::SECRET_KEY),
                ("REGION", common::REGION),
                ("ENDPOINT", &server.endpoint),
            ],
        ),
    )
    .expect("config");

    // A tree with nesting, an empty file, odd names, and one file above the 5 MiB upload
    // cutoff so that rclone uploads it as multipart.
    let tree = work.path().join("tree");
    let mut expected: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..40usize {
        expected.push((
            format!("d{}/sub{}/file-{i}.dat", i % 4, i % 3),
            pattern(i * 997, i as u64),
        ));
    }
    expected.push(("empty".to_string(), Vec::new()));
    expected.push((
        "odd names/with space + plus & ünïcødé.txt".to_string(),
        b"odd\n".to_vec(),
    ));
    expected.push(("big/twelve-mib.bin".to_string(), pattern(12 << 20, 77)));
    for (rel, data) in &expected {
        let path = tree.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
        std::fs::write(&path, data).expect("file");
    }
    let count = expected.len();

    let rclone = |args: &[&str]| {
        let mut command = tool("rclone", work.path());
        command
            .arg("--config")
            .arg(&config)
            .args(["--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M"])
            .args(["--retries", "1", "--low-level-retries", "1"])
            .args(args);
        command
    };
    let tree_arg = tree.to_str().expect("path");
    run_ok(&mut rclone(&["mkdir", "strata:rclone-e2e"]));
    let first = run_ok(&mut rclone(&[
        "copy",
        "-v",
        tree_arg,
        "strata:rclone-e2e/tree",
    ]));

    let mut findings = Findings::default();
    let uploaded = first.stderr.matches("Copied (new)").count();
    findings.check(uploaded == count, || {
        format!(
            "first rclone copy should upload all {count} files, uploaded {uploaded}:\n{}",
            first.stderr
        )
    });

    let check = run(&mut rclone(&["check", tree_arg, "strata:rclone-e2e/tree"]));
    findings.check(
        check.ok
            && check.stderr.contains("0 differences found")
            && check.stderr.contains(&format!("{count} matching files"))
            && !check.stderr.contains("could not be checked"),
        || {
            format!(
                "rclone check (size + MD5 of every file) must find {count} matching files, no \
                 differences, no unchecked hashes:\n{}",
                check.all()
            )
        },
    );

    eprintln!("rclone check:\n{}", check.all());

    let second = run(&mut rclone(&[
        "copy",
        "-v",
        tree_arg,
        "strata:rclone-e2e/tree",
    ]));
    findings.check(second.ok && !second.stderr.contains("Copied"), || {
        format!(
            "a second rclone copy should transfer nothing:\n{}",
            second.all()
        )
    });

    let back = work.path().join("back");
    run_ok(&mut rclone(&[
        "copy",
        "strata:rclone-e2e/tree",
        back.to_str().expect("path"),
    ]));
    let listed: Vec<PathBuf> = files_under(&back);
    let mut want: Vec<PathBuf> = expected.iter().map(|(rel, _)| PathBuf::from(rel)).collect();
    want.sort();
    findings.check(listed == want, || {
        format!("copied-back tree has files {listed:?}, want {want:?}")
    });
    for (rel, data) in &expected {
        let got = std::fs::read(back.join(rel)).unwrap_or_default();
        findings.check(&got == data, || {
            format!(
                "{rel}: copied back {} bytes that differ from the {} uploaded",
                got.len(),
                data.len()
            )
        });
    }

    // The bytes rclone stored are the plain file bytes for any other client too.
    let s3 = server.client();
    for rel in [
        "big/twelve-mib.bin",
        "odd names/with space + plus & ünïcødé.txt",
    ] {
        let key = format!("tree/{rel}");
        let got = block_on(common::get(&s3, "rclone-e2e", &key));
        let want = &expected.iter().find(|(r, _)| r == rel).expect("file").1;
        findings.check(&got == want, || {
            format!("aws-sdk-s3 GET {key} returns bytes that differ from the file")
        });
    }
    findings.finish();
}

// ---------------------------------------------------------------------------------------------
// s3cmd

fn s3cmd_scenario(signature_v2: bool) {
    let server = TestServer::start();
    let work = tempfile::tempdir().expect("work dir");
    let config = work.path().join("s3cmd.cfg");
    std::fs::write(
        &config,
        fill(
            "s3cmd.cfg.template",
            &[
                ("ACCESS_KEY", common::ACCESS_KEY),
                ("SECRET_KEY", common::SECRET_KEY),
                ("REGION", common::REGION),
                ("HOST", &server.addr),
                ("SIGNATURE_V2", if signature_v2 { "True" } else { "False" }),
            ],
        ),
    )
    .expect("config");
    let s3cmd = |args: &[&str]| {
        let mut command = tool("s3cmd", work.path());
        command.arg("-c").arg(&config);
        if signature_v2 {
            // s3cmd silently retries with SigV4 when a server refuses SigV2: the debug log is
            // how the test sees which signature actually got through.
            command.arg("--debug");
        }
        command.args(args);
        let ran = run_ok(&mut command);
        if signature_v2 {
            assert!(
                ran.stderr.contains("Using signature v2"),
                "s3cmd --debug should log the signature it uses:\n{}",
                ran.stderr
            );
            assert!(
                !ran.stderr.contains("Using signature v4"),
                "s3cmd {args:?} with signature_v2 = True fell back to SigV4, so the server \
                 refused its SigV2 request; the refusal:\n{}",
                sigv2_refusal(&ran.stderr)
            );
        }
        ran
    };
    let bucket = if signature_v2 { "s3cmd-v2" } else { "s3cmd-v4" };
    let uri = |key: &str| format!("s3://{bucket}/{key}");

    let small = work.path().join("small.txt");
    let small_data = b"hello from s3cmd\n".repeat(50);
    std::fs::write(&small, &small_data).expect("small");
    // Above multipart_chunk_size_mb = 5: three parts, s3cmd's CompleteMultipartUpload dialect.
    let big = work.path().join("big.bin");
    let big_data = pattern(12 << 20, 11);
    std::fs::write(&big, &big_data).expect("big");
    let odd_key = "dir/with space+plus.txt";

    s3cmd(&["mb", &format!("s3://{bucket}")]);
    s3cmd(&["put", small.to_str().expect("path"), &uri("small.txt")]);
    s3cmd(&["put", big.to_str().expect("path"), &uri("big.bin")]);
    s3cmd(&["put", small.to_str().expect("path"), &uri(odd_key)]);

    let mut findings = Findings::default();
    let listing = s3cmd(&["ls", "--recursive", &format!("s3://{bucket}")]).stdout;
    for (key, size) in [
        ("small.txt", small_data.len()),
        ("big.bin", big_data.len()),
        (odd_key, small_data.len()),
    ] {
        let line = listing.lines().find(|l| l.ends_with(&uri(key)));
        findings.check(
            line.is_some_and(|l| l.split_whitespace().any(|w| w == size.to_string())),
            || {
                format!(
                    "s3cmd ls should list {} with size {size}:\n{listing}",
                    uri(key)
                )
            },
        );
    }
    findings.check(listing.lines().count() == 3, || {
        format!("s3cmd ls lists exactly 3 objects:\n{listing}")
    });

    let info = s3cmd(&["info", &uri("small.txt")]).stdout;
    let md5 = {
        use md5::Digest;
        hex::encode(md5::Md5::digest(&small_data))
    };
    findings.check(
        info.contains(&format!("File size: {}", small_data.len())) && info.contains(&md5),
        || format!("s3cmd info should show the size and MD5 {md5}:\n{info}"),
    );
    // s3cmd prints "ACL: none" when GetObjectAcl fails; an S3 server answers with the owner's
    // FULL_CONTROL grant.
    findings.check(info.contains("FULL_CONTROL"), || {
        format!("s3cmd info should show the owner's FULL_CONTROL ACL grant (GetObjectAcl):\n{info}")
    });
    let bucket_info = s3cmd(&["info", &format!("s3://{bucket}")]).stdout;
    findings.check(
        bucket_info.contains("Location:  us-east-1") && bucket_info.contains("FULL_CONTROL"),
        || format!("s3cmd info on the bucket should show its location and ACL:\n{bucket_info}"),
    );

    let got_dir = work.path().join("got");
    std::fs::create_dir_all(&got_dir).expect("got dir");
    for (key, data) in [
        ("small.txt", &small_data),
        ("big.bin", &big_data),
        (odd_key, &small_data),
    ] {
        let target = got_dir.join(key.replace('/', "_"));
        s3cmd(&["get", &uri(key), target.to_str().expect("path")]);
        let got = std::fs::read(&target).unwrap_or_default();
        findings.check(&got == data, || {
            format!(
                "s3cmd get {key}: {} bytes that differ from the upload",
                got.len()
            )
        });
    }
    eprintln!("s3cmd info:\n{info}\n{bucket_info}");
    let stored = block_on(common::get(&server.client(), bucket, "big.bin"));
    findings.check(stored == big_data, || {
        "aws-sdk-s3 reads different bytes for s3cmd's multipart big.bin".to_string()
    });

    let deleted = s3cmd(&["del", &uri("small.txt")]).stdout;
    findings.check(
        deleted.contains(&format!("delete: '{}'", uri("small.txt"))),
        || format!("s3cmd del output:\n{deleted}"),
    );
    let listing = s3cmd(&["ls", "--recursive", &format!("s3://{bucket}")]).stdout;
    findings.check(
        !listing.contains("small.txt") && listing.lines().count() == 2,
        || format!("after del, small.txt is gone and two objects remain:\n{listing}"),
    );
    // DeleteObjects (s3cmd sends Content-MD5 with it).
    s3cmd(&["del", "--recursive", "--force", &format!("s3://{bucket}/")]);
    let listing = s3cmd(&["ls", "--recursive", &format!("s3://{bucket}")]).stdout;
    findings.check(listing.trim().is_empty(), || {
        format!("after del --recursive nothing is left:\n{listing}")
    });
    s3cmd(&["rb", &format!("s3://{bucket}")]);
    let buckets = s3cmd(&["ls"]).stdout;
    findings.check(!buckets.contains(bucket), || {
        format!("after rb the bucket is gone:\n{buckets}")
    });
    findings.finish();
}

/// The response s3cmd got to its SigV2 attempt, from its debug log.
fn sigv2_refusal(debug: &str) -> String {
    let start = debug.find("Using signature v2").unwrap_or(0);
    let end = debug
        .find("Using signature v4")
        .unwrap_or(debug.len())
        .max(start);
    let excerpt: Vec<&str> = debug[start..end]
        .lines()
        .filter(|l| {
            l.contains("status") || l.contains("Code") || l.contains("Message") || l.contains("b'")
        })
        .collect();
    excerpt.join("\n")
}

#[test]
fn s3cmd_put_get_ls_info_del_with_sigv4() {
    s3cmd_scenario(false);
}

#[test]
fn s3cmd_put_get_ls_info_del_with_sigv2() {
    s3cmd_scenario(true);
}

// ---------------------------------------------------------------------------------------------
// Terraform S3 backend with S3-native locking (use_lockfile).

const TF_BUCKET: &str = "tfstate";
const TF_KEY: &str = "env/app.tfstate";
const TF_LOCK_KEY: &str = "env/app.tfstate.tflock";

struct Terraform {
    dir: tempfile::TempDir,
}

impl Terraform {
    fn new(endpoint: &str, ca_bundle: Option<&Path>) -> Terraform {
        let dir = tempfile::tempdir().expect("terraform dir");
        let config = dir.path().join("config");
        std::fs::create_dir_all(&config).expect("config dir");
        std::fs::copy(
            clients_dir().join("terraform/main.tf"),
            config.join("main.tf"),
        )
        .expect("main.tf");
        let mut backend = format!("endpoints = {{ s3 = \"{endpoint}\" }}\n");
        if let Some(ca) = ca_bundle {
            backend.push_str(&format!("custom_ca_bundle = \"{}\"\n", ca.display()));
        }
        std::fs::write(config.join("backend.hcl"), backend).expect("backend.hcl");
        // An empty CLI configuration: no plugin cache, no credentials, no network mirrors.
        std::fs::write(dir.path().join("terraformrc"), "").expect("terraformrc");
        Terraform { dir }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = tool("terraform", self.dir.path());
        command
            .current_dir(self.dir.path().join("config"))
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("TF_DATA_DIR", self.dir.path().join("tf-data"))
            .env("TF_CLI_CONFIG_FILE", self.dir.path().join("terraformrc"))
            .env_remove("TF_LOG")
            .env_remove("TF_CLI_ARGS")
            .env_remove("TF_WORKSPACE")
            .args(args);
        command
    }

    fn run_ok(&self, args: &[&str]) -> Ran {
        run_ok(&mut self.command(args))
    }

    fn run(&self, args: &[&str]) -> Ran {
        run(&mut self.command(args))
    }

    fn init(&self) {
        let init = self.run_ok(&[
            "init",
            "-no-color",
            "-input=false",
            "-backend-config=backend.hcl",
        ]);
        assert!(
            init.stdout
                .contains("Successfully configured the backend \"s3\""),
            "{}",
            init.all()
        );
    }

    fn apply(&self, message: &str) -> Ran {
        self.run(&[
            "apply",
            "-no-color",
            "-auto-approve",
            "-lock-timeout=0s",
            &format!("-var=message={message}"),
        ])
    }

    /// An apply that must succeed and show the new output.
    fn apply_ok(&self, server: &TestServer, message: &str) -> Ran {
        let ran = self.apply(message);
        assert!(
            ran.ok,
            "terraform apply -var message={message} failed:\n{}\n--- server log (tail)\n{}",
            ran.all(),
            tail(&server.log(), 40)
        );
        assert!(
            ran.stdout.contains(&format!("message = \"{message}\"")),
            "{}",
            ran.all()
        );
        ran
    }
}

async fn state(s3: &aws_sdk_s3::Client) -> serde_json::Value {
    let bytes = common::get(s3, TF_BUCKET, TF_KEY).await;
    serde_json::from_slice(&bytes).expect("state is JSON")
}

async fn exists(s3: &aws_sdk_s3::Client, key: &str) -> bool {
    match s3.head_object().bucket(TF_BUCKET).key(key).send().await {
        Ok(_) => true,
        Err(e) => {
            let service = e.into_service_error();
            assert!(service.is_not_found(), "HeadObject {key}: {service:?}");
            false
        }
    }
}

fn assert_state(state: &serde_json::Value, message: &str, serial: u64) {
    assert_eq!(
        state["outputs"]["message"]["value"], message,
        "state: {state:#}"
    );
    let attributes = &state["resources"][0]["instances"][0]["attributes"];
    assert_eq!(attributes["input"]["value"], message, "state: {state:#}");
    assert_eq!(state["serial"], serial, "state: {state:#}");
}

fn terraform_scenario(server: &TestServer, ca_bundle: Option<&Path>) {
    let s3 = common::s3_client(&server.endpoint, ca_bundle);
    block_on(common::create_bucket(&s3, TF_BUCKET));
    let tf = Terraform::new(&server.endpoint, ca_bundle);
    tf.init();
    let apply = |message: &str| tf.apply_ok(server, message);
    let first = apply("first");
    assert!(first.stdout.contains("1 added"), "{}", first.stdout);
    assert_state(&block_on(state(&s3)), "first", 1);
    assert!(
        !block_on(exists(&s3, TF_LOCK_KEY)),
        "apply releases its lock"
    );

    let second = apply("second");
    assert!(second.stdout.contains("1 changed"), "{}", second.stdout);
    assert_state(&block_on(state(&s3)), "second", 2);
    assert!(block_on(exists(&s3, TF_KEY)), "state object in the bucket");
    assert!(
        !block_on(exists(&s3, TF_LOCK_KEY)),
        "apply releases its lock"
    );

    // Someone else holds the lock: a lock file as Terraform writes it.
    let lock_id = "6a1c2f7e-5b1d-4c3e-9f00-0123456789ab";
    let lock_info = serde_json::json!({
        "ID": lock_id,
        "Operation": "OperationTypeApply",
        "Info": "",
        "Who": "someone@elsewhere",
        "Version": "1.11.4",
        "Created": "2026-01-01T00:00:00.000000000Z",
        "Path": format!("{TF_BUCKET}/{TF_KEY}"),
    });
    block_on(common::put(
        &s3,
        TF_BUCKET,
        TF_LOCK_KEY,
        serde_json::to_vec(&lock_info).expect("json"),
    ));
    let blocked = tf.apply("third");
    assert!(
        !blocked.ok,
        "apply must fail while the lock is held:\n{}",
        blocked.all()
    );
    let text = blocked.all();
    assert!(
        text.contains("Error acquiring the state lock")
            && text.contains("PreconditionFailed")
            && text.contains(lock_id)
            && text.contains("someone@elsewhere"),
        "a held lock must be reported with its holder (If-None-Match: * answered 412 \
         PreconditionFailed, then the lock body read):\n{text}"
    );
    assert_state(&block_on(state(&s3)), "second", 2);
    eprintln!("apply while the lock is held:\n{}", blocked.stderr);

    let wrong = tf.run(&[
        "force-unlock",
        "-force",
        "00000000-0000-0000-0000-000000000000",
    ]);
    assert!(
        !wrong.ok,
        "force-unlock with another ID must fail:\n{}",
        wrong.all()
    );
    assert!(block_on(exists(&s3, TF_LOCK_KEY)), "the lock is still held");

    let unlocked = tf.run_ok(&["force-unlock", "-force", lock_id]);
    assert!(
        unlocked.all().contains("successfully unlocked"),
        "{}",
        unlocked.all()
    );
    assert!(
        !block_on(exists(&s3, TF_LOCK_KEY)),
        "force-unlock deletes the lock file"
    );

    let third = apply("third");
    assert!(third.stdout.contains("1 changed"), "{}", third.stdout);
    assert_state(&block_on(state(&s3)), "third", 3);
    assert!(
        !block_on(exists(&s3, TF_LOCK_KEY)),
        "apply releases its lock"
    );
}

#[test]
fn terraform_s3_backend_state_and_lockfile_over_http() {
    let server = TestServer::start();
    terraform_scenario(&server, None);
}

#[test]
fn terraform_s3_backend_state_and_lockfile_over_https_with_custom_ca_bundle() {
    let certs = tempfile::tempdir().expect("cert dir");
    let (server, ca) = common::start_https_server(certs.path());
    terraform_scenario(&server, Some(&ca));
}

/// With versioning on the state bucket (what AWS recommends for Terraform state), every state
/// Terraform wrote stays readable by version id, and each released lock leaves a delete marker.
#[test]
fn terraform_s3_backend_on_a_versioned_bucket_keeps_each_state_by_version_id() {
    use aws_sdk_s3::types::BucketVersioningStatus;
    let server = TestServer::start();
    let s3 = server.client();
    block_on(async {
        common::create_bucket(&s3, TF_BUCKET).await;
        common::set_versioning(&s3, TF_BUCKET, BucketVersioningStatus::Enabled).await;
    });
    let tf = Terraform::new(&server.endpoint, None);
    tf.init();
    tf.apply_ok(&server, "first");
    tf.apply_ok(&server, "second");
    assert_state(&block_on(state(&s3)), "second", 2);

    let (versions, markers) = block_on(common::versions_of(&s3, TF_BUCKET, TF_KEY));
    assert!(
        markers.is_empty(),
        "the state was never deleted: {markers:?}"
    );
    assert!(
        versions.len() >= 2,
        "one state version per apply at least: {versions:?}"
    );
    common::assert_newest_is_latest(&versions);
    // Oldest first.
    let history: Vec<serde_json::Value> = versions
        .iter()
        .rev()
        .map(|v| {
            let id = v.version_id().expect("version id");
            let bytes = block_on(common::get_version(&s3, TF_BUCKET, TF_KEY, id));
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|e| panic!("state version {id} is not JSON ({e})"))
        })
        .collect();
    let serials: Vec<u64> = history
        .iter()
        .map(|state| state["serial"].as_u64().expect("serial"))
        .collect();
    assert!(
        serials.windows(2).all(|w| w[0] < w[1]),
        "each state version has a higher serial than the one before: {serials:?}"
    );
    assert_state(&history[history.len() - 2], "first", 1);
    assert_state(&history[history.len() - 1], "second", 2);

    // Terraform 1.11 releases its lock with a DeleteObject without version id: in a versioned
    // bucket that adds a delete marker over the lock, as on AWS, and the lock counts as gone.
    assert!(
        !block_on(exists(&s3, TF_LOCK_KEY)),
        "apply releases its lock"
    );
    let (locks, released) = block_on(common::versions_of(&s3, TF_BUCKET, TF_LOCK_KEY));
    assert!(
        released
            .first()
            .is_some_and(|m| m.is_latest() == Some(true))
            && locks.iter().all(|v| v.is_latest() == Some(false)),
        "the lock's current version is a delete marker:\nversions {locks:?}\nmarkers {released:?}"
    );
    assert_eq!(
        locks.len(),
        released.len(),
        "every lock taken was released by a delete marker"
    );
}
