//! Test harness: start the real `strata` binary on a free port with a temp data dir, talk to it
//! with aws-sdk-s3 or raw HTTP, and kill -9 / restart / damage it for failure tests.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime};

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};

pub const ACCESS_KEY: &str = "STRATATESTACCESSKEY1";
pub const SECRET_KEY: &str = "strata-test-secret-key-0123456789abcdef";
pub const REGION: &str = "us-east-1";

pub struct TestServer {
    child: Option<Child>,
    pub addr: String,
    pub endpoint: String,
    dir: tempfile::TempDir,
    extra_args: Vec<String>,
}

impl TestServer {
    pub fn start() -> TestServer {
        TestServer::start_with(&[])
    }

    pub fn start_with(extra_args: &[&str]) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut server = TestServer {
            child: None,
            addr: String::new(),
            endpoint: String::new(),
            dir,
            extra_args: extra_args.iter().map(|s| s.to_string()).collect(),
        };
        server.spawn("127.0.0.1:0");
        server
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    /// Everything the server logged so far (stderr).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn spawn(&mut self, listen: &str) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("log file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_strata"))
            .arg("serve")
            .arg("--listen")
            .arg(listen)
            .arg("--data-dir")
            .arg(self.data_dir())
            .args(&self.extra_args)
            .env("STRATA_ROOT_ACCESS_KEY", ACCESS_KEY)
            .env("STRATA_ROOT_SECRET_KEY", SECRET_KEY)
            .env("STRATA_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("spawn strata");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("strata listening on ")
                    && let Some(tx) = tx.take()
                {
                    let _ = tx.send(rest.to_string());
                }
            }
        });
        let url = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                panic!("strata did not start; log:\n{}", self.log());
            }
        };
        self.addr = url.split("://").nth(1).expect("address").to_string();
        self.endpoint = url;
        self.child = Some(child);
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Start again on the same data dir and port.
    pub fn restart(&mut self) {
        self.kill9();
        let addr = self.addr.clone();
        self.spawn(&addr);
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).expect("server running")
    }

    pub fn client(&self) -> aws_sdk_s3::Client {
        s3_client(&self.endpoint, None)
    }

    /// The AZ directories (`az-a`, `az-b`, ...).
    pub fn az_dir(&self, name: &str) -> PathBuf {
        self.data_dir().join(name)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill9();
    }
}

pub fn s3_client(endpoint: &str, ca_pem: Option<&Path>) -> aws_sdk_s3::Client {
    let http_client = match ca_pem {
        None => aws_smithy_http_client::Builder::new()
            .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https(),
        Some(path) => {
            let pem = std::fs::read(path).expect("ca pem");
            let trust = aws_smithy_http_client::tls::TrustStore::empty().with_pem_certificate(pem);
            aws_smithy_http_client::Builder::new()
                .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                    aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
                ))
                .tls_context(
                    aws_smithy_http_client::tls::TlsContext::builder()
                        .with_trust_store(trust)
                        .build()
                        .expect("tls"),
                )
                .build_https()
        }
    };
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "test"))
        .http_client(http_client)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// Deterministic pseudo-random bytes (xorshift), so failures are reproducible.
/// Every shard file under a data dir's AZ `blobs/` directories (named `<blob>.<shard>`), sorted.
pub fn shard_files(data_dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![data_dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n == "meta") {
                    continue;
                }
                stack.push(path);
            } else if path.components().any(|c| c.as_os_str() == "blobs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The file names of [`shard_files`].
pub fn shard_names(data_dir: &Path) -> Vec<String> {
    shard_files(data_dir)
        .iter()
        .filter_map(|p| Some(p.file_name()?.to_str()?.to_string()))
        .collect()
}

pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP, for malformed and negative cases the SDK would never send.

#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The `<Code>` of an S3 error body.
    pub fn error_code(&self) -> String {
        xml_value(&self.body_text(), "Code").unwrap_or_default()
    }
}

pub fn xml_value(xml: &str, element: &str) -> Option<String> {
    let open = format!("<{element}>");
    let close = format!("</{element}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&close)? + start;
    Some(xml[start..end].to_string())
}

/// Send raw bytes (a whole HTTP/1.1 request; use `Connection: close`) and read the response.
pub fn raw_exchange(addr: &str, request: &[u8]) -> RawResponse {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    stream.write_all(request).expect("write request");
    read_response(&mut stream)
}

pub fn read_response(stream: &mut TcpStream) -> RawResponse {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 65536];
    let header_end = loop {
        if let Some(pos) = find(&buf, b"\r\n\r\n") {
            // Skip interim 1xx responses (100 Continue).
            if buf.starts_with(b"HTTP/1.1 1") {
                buf.drain(..pos + 4);
                continue;
            }
            break pos;
        }
        let n = stream.read(&mut chunk).expect("read response");
        assert!(
            n > 0,
            "connection closed before the response headers: {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = buf[header_end + 4..].to_vec();
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok());
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if status == 304 || status == 204 {
        return RawResponse {
            status,
            headers,
            body: Vec::new(),
        };
    }
    match length {
        Some(length) => {
            while body.len() < length {
                let n = stream.read(&mut chunk).unwrap_or(0);
                if n == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..n]);
            }
        }
        None => loop {
            let n = stream.read(&mut chunk).unwrap_or(0);
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        },
    }
    if chunked {
        body = dechunk(&body);
    }
    RawResponse {
        status,
        headers,
        body,
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(pos) = find(data, b"\r\n") {
        let size = usize::from_str_radix(
            String::from_utf8_lossy(&data[..pos])
                .split(';')
                .next()
                .unwrap_or("0")
                .trim(),
            16,
        )
        .unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[pos + 2..pos + 2 + size]);
        data = &data[pos + 2 + size + 2..];
    }
    out
}

/// Build and sign a request with SigV4 (the aws-sigv4 signer), returning the header lines to
/// send. `path_and_query` must already be URI-encoded. The payload hash header is added.
pub fn signed_headers(
    method: &str,
    host: &str,
    path_and_query: &str,
    extra_headers: &[(&str, &str)],
    payload_hash: &str,
    time: SystemTime,
) -> Vec<(String, String)> {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    use aws_sigv4::sign::v4;
    let identity = Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "test").into();
    let mut settings = SigningSettings::default();
    settings.payload_checksum_kind = aws_sigv4::http_request::PayloadChecksumKind::XAmzSha256;
    settings.percent_encoding_mode = aws_sigv4::http_request::PercentEncodingMode::Single;
    settings.uri_path_normalization_mode =
        aws_sigv4::http_request::UriPathNormalizationMode::Disabled;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name("s3")
        .time(time)
        .settings(settings)
        .build()
        .expect("signing params")
        .into();
    let mut headers: Vec<(String, String)> = vec![("host".to_string(), host.to_string())];
    headers.extend(
        extra_headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    let body = match payload_hash {
        "UNSIGNED-PAYLOAD" => SignableBody::UnsignedPayload,
        other => SignableBody::Precomputed(other.to_string()),
    };
    let url = format!("http://{host}{path_and_query}");
    let signable = SignableRequest::new(
        method,
        url,
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        body,
    )
    .expect("signable");
    let (instructions, _signature) = sign(signable, &params).expect("sign").into_parts();
    let (signed, _) = instructions.into_parts();
    for header in signed {
        headers.push((header.name().to_string(), header.value().to_string()));
    }
    headers
}

pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

/// A signed request as raw bytes, ready for `raw_exchange`.
pub fn signed_request(
    method: &str,
    addr: &str,
    path_and_query: &str,
    extra: &[(&str, &str)],
    body: &[u8],
) -> Vec<u8> {
    let headers = signed_headers(
        method,
        addr,
        path_and_query,
        extra,
        &sha256_hex(body),
        SystemTime::now(),
    );
    raw_request(method, path_and_query, &headers, body)
}

pub fn raw_request(
    method: &str,
    path_and_query: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Vec<u8> {
    let mut out = format!("{method} {path_and_query} HTTP/1.1\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-length"))
    {
        out.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    out.push_str("connection: close\r\n\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

// ---------------------------------------------------------------------------------------------
// SDK shorthands for the steps most tests repeat.

pub async fn create_bucket(s3: &aws_sdk_s3::Client, bucket: &str) {
    s3.create_bucket()
        .bucket(bucket)
        .send()
        .await
        .unwrap_or_else(|e| panic!("create bucket {bucket}: {e:?}"));
}

/// PutObject with nothing but a body; returns the ETag.
pub async fn put(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    data: impl Into<Vec<u8>>,
) -> String {
    let body = aws_sdk_s3::primitives::ByteStream::from(data.into());
    let out = s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("put {key}: {e:?}"));
    out.e_tag().unwrap_or_default().to_string()
}

/// The whole body of GetObject.
pub async fn get(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Vec<u8> {
    get_body(s3, bucket, key, None).await
}

/// The whole body of one version (GetObject `?versionId=`).
pub async fn get_version(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    version_id: &str,
) -> Vec<u8> {
    get_body(s3, bucket, key, Some(version_id)).await
}

async fn get_body(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
) -> Vec<u8> {
    let out = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .set_version_id(version_id.map(str::to_string))
        .send()
        .await
        .unwrap_or_else(|e| panic!("get {key} (version {version_id:?}): {e:?}"));
    out.body
        .collect()
        .await
        .expect("read body")
        .into_bytes()
        .to_vec()
}

pub async fn set_versioning(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    status: aws_sdk_s3::types::BucketVersioningStatus,
) {
    s3.put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(status)
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("put versioning on {bucket}: {e:?}"));
}

/// Every version and every delete marker of exactly `key` (not of longer keys sharing it as a
/// prefix), newest first, across as many ListObjectVersions pages as it takes.
pub async fn versions_of(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> (
    Vec<aws_sdk_s3::types::ObjectVersion>,
    Vec<aws_sdk_s3::types::DeleteMarkerEntry>,
) {
    let (mut versions, mut markers) = (Vec::new(), Vec::new());
    let (mut key_marker, mut version_id_marker) = (None, None);
    loop {
        let page = s3
            .list_object_versions()
            .bucket(bucket)
            .prefix(key)
            .set_key_marker(key_marker.take())
            .set_version_id_marker(version_id_marker.take())
            .send()
            .await
            .unwrap_or_else(|e| panic!("list versions of {key}: {e:?}"));
        versions.extend(
            page.versions()
                .iter()
                .filter(|v| v.key() == Some(key))
                .cloned(),
        );
        markers.extend(
            page.delete_markers()
                .iter()
                .filter(|m| m.key() == Some(key))
                .cloned(),
        );
        if page.is_truncated() != Some(true) {
            return (versions, markers);
        }
        key_marker = page.next_key_marker().map(str::to_string);
        version_id_marker = page.next_version_id_marker().map(str::to_string);
    }
}

/// A listing of one key's versions is newest first, and only the newest is the latest.
pub fn assert_newest_is_latest(versions: &[aws_sdk_s3::types::ObjectVersion]) {
    let latest: Vec<bool> = versions
        .iter()
        .map(|v| v.is_latest() == Some(true))
        .collect();
    assert!(
        latest.first() == Some(&true) && !latest[1..].contains(&true),
        "newest first, and only it is latest: {versions:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Access control: anonymous requests, error assertions, an HTTPS server.

/// An anonymous request as raw bytes, ready for `raw_exchange`: no `Authorization` header, no
/// signature, nothing but a `host` and the `extra` headers.
pub fn unsigned_request(
    method: &str,
    addr: &str,
    path_and_query: &str,
    extra: &[(&str, &str)],
    body: &[u8],
) -> Vec<u8> {
    let mut headers = vec![("host".to_string(), addr.to_string())];
    headers.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    raw_request(method, path_and_query, &headers, body)
}

/// The status and `<Code>` of a raw error response.
pub fn assert_raw_error(response: &RawResponse, status: u16, code: &str) {
    assert_eq!(response.status, status, "{}", response.body_text());
    assert_eq!(response.error_code(), code, "{}", response.body_text());
}

/// The HTTP status and S3 error code of an SDK error.
pub fn assert_sdk_error<E>(
    err: &aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
    status: u16,
    code: &str,
) where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::fmt::Debug,
{
    use aws_sdk_s3::error::ProvideErrorMetadata;
    assert_eq!(
        err.raw_response().map(|r| r.status().as_u16()),
        Some(status),
        "{err:?}"
    );
    assert_eq!(err.code(), Some(code), "{err:?}");
}

/// A private CA and a server certificate for 127.0.0.1 signed by it, made with `openssl`
/// (rustls, which aws-sdk-s3 uses, refuses a CA certificate used as the server's own).
/// Returns (CA certificate for clients, server certificate, server key).
pub fn https_test_pki(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let ca = dir.join("ca.pem");
    let ca_key = dir.join("ca-key.pem");
    let csr = dir.join("server.csr");
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    let ext = dir.join("server.ext");
    std::fs::write(
        &ext,
        "basicConstraints = critical, CA:FALSE\n\
         keyUsage = critical, digitalSignature, keyEncipherment\n\
         extendedKeyUsage = serverAuth\n\
         subjectAltName = IP:127.0.0.1, DNS:localhost\n",
    )
    .expect("ext file");
    let path = |p: &PathBuf| p.to_str().expect("utf-8 path").to_string();
    let openssl = |args: &[&str]| {
        let output = Command::new("openssl")
            .args(args)
            .output()
            .expect("openssl must be installed (scripts/test installs it)");
        assert!(
            output.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let (ca_s, ca_key_s, csr_s) = (path(&ca), path(&ca_key), path(&csr));
    let (cert_s, key_s, ext_s) = (path(&cert), path(&key), path(&ext));
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=strata test CA",
        "-keyout",
        &ca_key_s,
        "-out",
        &ca_s,
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        &key_s,
        "-out",
        &csr_s,
    ]);
    openssl(&[
        "x509",
        "-req",
        "-in",
        &csr_s,
        "-CA",
        &ca_s,
        "-CAkey",
        &ca_key_s,
        "-set_serial",
        "2",
        "-days",
        "2",
        "-extfile",
        &ext_s,
        "-out",
        &cert_s,
    ]);
    (ca, cert, key)
}

/// A server that speaks HTTPS only, with certificates made in `certs`; returns it with the CA
/// certificate its clients must trust (`s3_client(&server.endpoint, Some(&ca))`).
pub fn start_https_server(certs: &Path) -> (TestServer, PathBuf) {
    let (ca, cert, key) = https_test_pki(certs);
    let server = TestServer::start_with(&[
        "--tls-cert",
        cert.to_str().expect("cert path"),
        "--tls-key",
        key.to_str().expect("key path"),
    ]);
    assert!(
        server.endpoint.starts_with("https://"),
        "{}",
        server.endpoint
    );
    (server, ca)
}

pub mod accounts;
pub mod aws_cli;

// ---------------------------------------------------------------------------------------------
// Steps more than one test file repeats.

/// A started server, its root client, and one empty bucket.
pub async fn server_with_bucket(bucket: &str) -> (TestServer, aws_sdk_s3::Client) {
    let server = TestServer::start();
    let s3 = server.client();
    create_bucket(&s3, bucket).await;
    (server, s3)
}

/// A request signed as the root account, sent as raw HTTP.
pub fn signed_exchange(
    server: &TestServer,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> RawResponse {
    raw_exchange(
        &server.addr,
        &signed_request(method, &server.addr, path_and_query, headers, body),
    )
}

/// An anonymous request, sent as raw HTTP.
pub fn anonymous_exchange(
    server: &TestServer,
    method: &str,
    path_and_query: &str,
    body: &[u8],
) -> RawResponse {
    raw_exchange(
        &server.addr,
        &unsigned_request(method, &server.addr, path_and_query, &[], body),
    )
}

/// A browser form upload to `bucket` signed with SigV4 as the root account: `fields` in order,
/// then the signature fields, then `file` (as `photo.jpg`, `image/jpeg`). In `policy` (the policy
/// document's JSON) `CREDENTIAL` and `AMZDATE` stand for the credential and date it is signed with.
pub fn post_form(
    server: &TestServer,
    bucket: &str,
    policy: &str,
    fields: &[(&str, &str)],
    file: &[u8],
) -> RawResponse {
    use base64::Engine;
    use hmac::Mac;
    let now = SystemTime::now();
    let date = time::OffsetDateTime::from(now);
    let day = format!(
        "{:04}{:02}{:02}",
        date.year(),
        date.month() as u8,
        date.day()
    );
    let amz_date = format!(
        "{day}T{:02}{:02}{:02}Z",
        date.hour(),
        date.minute(),
        date.second()
    );
    let credential = format!("{ACCESS_KEY}/{day}/{REGION}/s3/aws4_request");
    let policy = base64::engine::general_purpose::STANDARD.encode(
        policy
            .replace("CREDENTIAL", &credential)
            .replace("AMZDATE", &amz_date),
    );
    let key = aws_sigv4::sign::v4::generate_signing_key(SECRET_KEY, now, REGION, "s3");
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key.as_ref()).expect("hmac");
    mac.update(policy.as_bytes());
    let signature = hex::encode(mac.finalize().into_bytes());
    let mut fields: Vec<(&str, String)> = fields.iter().map(|(k, v)| (*k, v.to_string())).collect();
    fields.extend([
        ("x-amz-algorithm", "AWS4-HMAC-SHA256".to_string()),
        ("x-amz-credential", credential),
        ("x-amz-date", amz_date),
        ("policy", policy),
        ("x-amz-signature", signature),
    ]);
    let boundary = "----strataformboundary";
    let mut body = Vec::new();
    for (name, value) in &fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"photo.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let headers = vec![
        ("host".to_string(), server.addr.clone()),
        (
            "content-type".to_string(),
            format!("multipart/form-data; boundary={boundary}"),
        ),
    ];
    raw_exchange(
        &server.addr,
        &raw_request("POST", &format!("/{bucket}"), &headers, &body),
    )
}

/// A multipart upload of `parts`, in order, that `create` starts (a CreateMultipartUpload with
/// its bucket, key and whatever else the caller sets), completed.
pub async fn multipart_upload(
    s3: &aws_sdk_s3::Client,
    create: aws_sdk_s3::operation::create_multipart_upload::builders::CreateMultipartUploadFluentBuilder,
    parts: &[impl AsRef<[u8]>],
) -> aws_sdk_s3::operation::complete_multipart_upload::CompleteMultipartUploadOutput {
    let bucket = create.get_bucket().clone().expect("bucket");
    let key = create.get_key().clone().expect("key");
    let upload = create.send().await.expect("create upload");
    let upload_id = upload.upload_id().expect("upload id");
    let mut completed = Vec::new();
    for (number, data) in (1i32..).zip(parts) {
        let out = s3
            .upload_part()
            .bucket(&bucket)
            .key(&key)
            .upload_id(upload_id)
            .part_number(number)
            .body(aws_sdk_s3::primitives::ByteStream::from(
                data.as_ref().to_vec(),
            ))
            .send()
            .await
            .expect("upload part");
        completed.push((number, out.e_tag().expect("etag").to_string()));
    }
    complete_upload(s3, &bucket, &key, upload_id, &completed).await
}

/// CompleteMultipartUpload of `parts` (number, ETag), which must succeed.
pub async fn complete_upload(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    upload_id: &str,
    parts: &[(i32, String)],
) -> aws_sdk_s3::operation::complete_multipart_upload::CompleteMultipartUploadOutput {
    use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
    let parts = parts
        .iter()
        .map(|(number, etag)| {
            CompletedPart::builder()
                .part_number(*number)
                .e_tag(etag)
                .build()
        })
        .collect();
    s3.complete_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .expect("complete upload")
}

/// `strata admin ARGS` against `server` as its root; the command's stdout (it must succeed).
pub fn strata_admin(server: &TestServer, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(["admin", "--endpoint", &server.endpoint])
        .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run strata admin");
    assert!(
        output.status.success(),
        "strata admin {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The usage report rows of `bucket` (`strata admin usage --bucket B --json`).
pub fn usage_rows(server: &TestServer, bucket: &str) -> Vec<serde_json::Value> {
    let text = strata_admin(server, &["usage", "--bucket", bucket, "--json"]);
    serde_json::from_str(&text).expect("JSON rows")
}
