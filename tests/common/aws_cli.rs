//! The real aws CLI (v1, botocore) against a test server: its own HOME and config files, the
//! root keys unless told otherwise, and the server's CA bundle for HTTPS.

use std::path::Path;
use std::process::{Command, Output};

use super::{ACCESS_KEY, REGION, SECRET_KEY, TestServer};

pub struct AwsCli<'a> {
    pub endpoint: String,
    home: &'a Path,
    keys: (String, String),
    pub ca_bundle: Option<&'a Path>,
}

impl<'a> AwsCli<'a> {
    /// The CLI as the server's root, with `home` for its HOME and (absent) config files.
    pub fn new(server: &TestServer, home: &'a Path) -> AwsCli<'a> {
        AwsCli {
            endpoint: server.endpoint.clone(),
            home,
            keys: (ACCESS_KEY.to_string(), SECRET_KEY.to_string()),
            ca_bundle: None,
        }
    }

    /// The same CLI signing with another access key.
    pub fn with_keys(mut self, (key, secret): (&str, &str)) -> AwsCli<'a> {
        self.keys = (key.to_string(), secret.to_string());
        self
    }

    /// Trust this CA for an HTTPS endpoint (`--ca-bundle`).
    pub fn with_ca_bundle(mut self, ca: &'a Path) -> AwsCli<'a> {
        self.ca_bundle = Some(ca);
        self
    }

    /// Runs `aws <args>`; panics with the output when it fails.
    pub fn run(&self, args: &[&str]) -> String {
        let output = self.output(args);
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "aws {args:?} failed:\nstdout: {stdout}\nstderr: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
    }

    /// Runs `aws <args>` and parses what it prints as JSON (`Null` when it prints nothing).
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let stdout = self.run(args);
        if stdout.trim().is_empty() {
            return serde_json::Value::Null;
        }
        serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("aws {args:?} printed no JSON ({e}):\n{stdout}"))
    }

    /// Runs `aws <args>`, which must fail; returns what it printed on stderr.
    pub fn run_fails(&self, args: &[&str]) -> String {
        let output = self.output(args);
        assert!(
            !output.status.success(),
            "aws {args:?} succeeded but must fail:\n{}",
            String::from_utf8_lossy(&output.stdout)
        );
        String::from_utf8_lossy(&output.stderr).into_owned()
    }

    /// Must fail with `code` (an S3 or IAM error code) in its message.
    pub fn fails_with(&self, args: &[&str], code: &str) {
        let err = self.run_fails(args);
        assert!(err.contains(code), "aws {args:?}: {err}");
    }

    pub fn output(&self, args: &[&str]) -> Output {
        let mut command = Command::new("aws");
        command
            .arg("--endpoint-url")
            .arg(&self.endpoint)
            .args(args)
            .env("AWS_ACCESS_KEY_ID", &self.keys.0)
            .env("AWS_SECRET_ACCESS_KEY", &self.keys.1)
            .env("AWS_DEFAULT_REGION", REGION)
            .env("AWS_CONFIG_FILE", self.home.join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", self.home.join("credentials"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            // A CA bundle set for the whole machine must not decide what a test trusts.
            .env_remove("AWS_CA_BUNDLE")
            .env("HOME", self.home);
        if let Some(ca) = self.ca_bundle {
            command.arg("--ca-bundle").arg(ca);
        }
        command
            .output()
            .expect("the aws CLI must be installed (scripts/test installs it)")
    }
}
