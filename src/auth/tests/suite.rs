//! The AWS SigV4 test suite shipped inside the `aws-sigv4` package
//! (`aws-signing-test-suite/v4/<case>/`), run against this module from both ends:
//!
//! - signer side: from `request.txt` and `context.json`, build the header-signed and the
//!   presigned form the way a client would and compare canonical request, string to sign and
//!   signature with the expected files;
//! - verifier side: feed `header-signed-request.txt` and `query-signed-request.txt` to the
//!   verifier, as a server receives them, and expect them to authenticate.
//!
//! The suite targets a generic service ("service"), so it runs under a policy with that service
//! and the case's `normalize` flag; S3's own rules (single encoding, no normalization) are what
//! `CanonicalOptions::S3` means and are covered by the S3 examples in `tests/mod.rs`. The two legacy
//! cases without `context.json` (`double-url-encode`, `double-encode-path`) exercise the
//! double encoding other services use.
//!
//! The suite is located with `cargo metadata` (the `aws-sigv4` package's manifest path), so it
//! always matches the resolved version of the crate.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use http::{HeaderMap, HeaderValue, Method, Uri};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use sha2::{Digest, Sha256};

use super::Keys;
use crate::auth::signing_key::SigningKey;
use crate::auth::sigv4::{
    CanonicalOptions, SignedHeaders, canonical_headers, canonical_query, canonical_request,
    canonical_uri, parse_amz_date, signature, string_to_sign,
};
use crate::auth::verify::{Policy, verify};
use crate::auth::{AuthError, PayloadCheck};

/// Characters a raw request line may carry in the suite (a space, UTF-8) that `http::Uri`
/// refuses: percent-encode them first. Decoding is the verifier's first step in single-encoding
/// mode, so this does not change what is signed.
const URI_UNSAFE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

fn suite_dir() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = String::from_utf8(out.stdout).expect("utf-8 metadata");
    // Every package has a "manifest_path"; pick aws-sigv4's by its directory name. (No JSON
    // parser among the crate's dependencies, and this key/value shape is stable.)
    json.split("\"manifest_path\":\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|p| Path::new(p).parent().unwrap_or(Path::new("")).to_path_buf())
        .find(|dir| {
            dir.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("aws-sigv4-"))
                && dir.join("aws-signing-test-suite/v4").is_dir()
        })
        .map(|dir| dir.join("aws-signing-test-suite/v4"))
        .expect("aws-sigv4 package with aws-signing-test-suite in cargo metadata")
}

/// A string or literal value from the flat `context.json`.
fn json_value(json: &str, key: &str) -> Option<String> {
    let start = json.find(&format!("\"{key}\""))? + key.len() + 2;
    let rest = json[start..].trim_start().strip_prefix(':')?.trim_start();
    if let Some(s) = rest.strip_prefix('"') {
        return s.split('"').next().map(str::to_owned);
    }
    Some(rest.split([',', '}', '\n']).next()?.trim().to_owned())
}

struct Context {
    access_key: String,
    secret: String,
    token: Option<String>,
    omit_token: bool,
    region: String,
    service: String,
    normalize: bool,
    sign_body: bool,
    expires: String,
    amz_date: String,
}

impl Context {
    fn load(dir: &Path) -> Option<Context> {
        let json = std::fs::read_to_string(dir.join("context.json")).ok()?;
        let get =
            |k: &str| json_value(&json, k).unwrap_or_else(|| panic!("{k} in {}", dir.display()));
        let timestamp = get("timestamp"); // RFC 3339, e.g. 2015-08-30T12:36:00Z
        Some(Context {
            access_key: get("access_key_id"),
            secret: get("secret_access_key"),
            token: json_value(&json, "token"),
            omit_token: json_value(&json, "omit_session_token").as_deref() == Some("true"),
            region: get("region"),
            service: get("service"),
            normalize: get("normalize") == "true",
            sign_body: get("sign_body") == "true",
            expires: get("expiration_in_seconds"),
            amz_date: timestamp.replace(['-', ':'], ""),
        })
    }

    fn scope(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            &self.amz_date[..8],
            self.region,
            self.service
        )
    }
}

struct RawRequest {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Parses the suite's request files: request line, headers (continuation lines are folded into
/// the previous value with a space, as HTTP obs-fold prescribes), blank line, body.
fn parse_request(text: &str) -> RawRequest {
    let text = text.replace("\r\n", "\n");
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let line = lines.next().expect("request line");
    let (method, rest) = line.split_once(' ').expect("method");
    let target = rest.rsplit_once(' ').map_or(rest, |(t, version)| {
        if version.starts_with("HTTP/") {
            t
        } else {
            rest
        }
    });
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = headers.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    RawRequest {
        method: method.to_owned(),
        target: target.to_owned(),
        headers,
        body: body.as_bytes().to_vec(),
    }
}

impl RawRequest {
    fn header_map(&self) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in &self.headers {
            h.append(
                http::header::HeaderName::from_bytes(k.as_bytes()).expect("header name"),
                HeaderValue::from_str(v).expect("header value"),
            );
        }
        h
    }

    fn uri(&self) -> Uri {
        utf8_percent_encode(&self.target, URI_UNSAFE)
            .to_string()
            .parse()
            .expect("request target")
    }

    fn path_and_query(&self) -> (&str, &str) {
        self.target.split_once('?').unwrap_or((&self.target, ""))
    }
}

fn read(dir: &Path, file: &str) -> Option<String> {
    std::fs::read_to_string(dir.join(file))
        .ok()
        .map(|s| s.replace("\r\n", "\n"))
}

fn sorted_names(h: &HeaderMap) -> String {
    let mut names: Vec<&str> = h.keys().map(|k| k.as_str()).collect();
    names.sort_unstable();
    names.join(";")
}

/// Signer side, header form.
fn check_header_form(
    dir: &Path,
    ctx: &Context,
    req: &RawRequest,
    opts: CanonicalOptions,
) -> Result<(), String> {
    let mut h = req.header_map();
    h.insert(
        "x-amz-date",
        ctx.amz_date.parse().map_err(|e| format!("{e}"))?,
    );
    if let (Some(token), false) = (&ctx.token, ctx.omit_token) {
        h.insert(
            "x-amz-security-token",
            token.parse().map_err(|e| format!("{e}"))?,
        );
    }
    let payload_hash = hex::encode(Sha256::digest(&req.body));
    if ctx.sign_body {
        h.insert(
            "x-amz-content-sha256",
            payload_hash.parse().map_err(|e| format!("{e}"))?,
        );
    }
    let signed = sorted_names(&h);
    let (path, query) = req.path_and_query();
    let canonical = canonical_request(
        &req.method,
        &canonical_uri(path, opts),
        &canonical_query(query, None),
        &canonical_headers(&h, &SignedHeaders::parse(&signed).unwrap(), None),
        &signed,
        &payload_hash,
    );
    compare(dir, "header", ctx, &canonical)
}

/// Signer side, presigned form.
fn check_query_form(dir: &Path, ctx: &Context, req: &RawRequest) -> Result<(), String> {
    let opts = CanonicalOptions {
        normalize_path: ctx.normalize,
        double_encode: false,
    };
    let h = req.header_map();
    let signed = sorted_names(&h);
    let (path, query) = req.path_and_query();
    let enc = |s: &str| utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string();
    let mut q = query.to_owned();
    let mut add = |k: &str, v: &str| {
        if !q.is_empty() {
            q.push('&');
        }
        q.push_str(&format!("{k}={}", enc(v)));
    };
    add("X-Amz-Algorithm", "AWS4-HMAC-SHA256");
    add(
        "X-Amz-Credential",
        &format!("{}/{}", ctx.access_key, ctx.scope()),
    );
    add("X-Amz-Date", &ctx.amz_date);
    add("X-Amz-Expires", &ctx.expires);
    add("X-Amz-SignedHeaders", &signed);
    if let (Some(token), false) = (&ctx.token, ctx.omit_token) {
        add("X-Amz-Security-Token", token);
    }
    let canonical = canonical_request(
        &req.method,
        &canonical_uri(path, opts),
        &canonical_query(&q, None),
        &canonical_headers(&h, &SignedHeaders::parse(&signed).unwrap(), None),
        &signed,
        &hex::encode(Sha256::digest(&req.body)),
    );
    compare(dir, "query", ctx, &canonical)
}

fn compare(dir: &Path, form: &str, ctx: &Context, canonical: &[u8]) -> Result<(), String> {
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("?");
    let canonical = String::from_utf8_lossy(canonical);
    let expected =
        read(dir, &format!("{form}-canonical-request.txt")).ok_or("missing canonical request")?;
    let expected = expected.trim_end_matches('\n');
    if canonical != expected {
        return Err(format!(
            "{name} {form}: canonical request\n--- ours\n{canonical}\n--- expected\n{expected}"
        ));
    }
    let sts = string_to_sign(&ctx.amz_date, &ctx.scope(), canonical.as_bytes());
    if let Some(expected) = read(dir, &format!("{form}-string-to-sign.txt"))
        && sts != expected.trim_end_matches('\n')
    {
        return Err(format!(
            "{name} {form}: string to sign\n--- ours\n{sts}\n--- expected\n{expected}"
        ));
    }
    if let Some(expected) = read(dir, &format!("{form}-signature.txt")) {
        let t = parse_amz_date(&ctx.amz_date).ok_or("timestamp")?;
        let key = SigningKey::derive(&ctx.secret, t, &ctx.region, &ctx.service);
        let sig = signature(key.as_ref(), &sts);
        if sig != expected.trim() {
            return Err(format!(
                "{name} {form}: signature {sig} != {}",
                expected.trim()
            ));
        }
    }
    Ok(())
}

/// Verifier side: the signed request as a server receives it.
fn verify_signed(
    dir: &Path,
    file: &str,
    ctx: &Context,
    secrets: &Keys,
    opts: CanonicalOptions,
) -> Result<(), AuthError> {
    let text = read(dir, file).expect("signed request");
    let req = parse_request(&text);
    let default_payload_hash = hex::encode(Sha256::digest(&req.body));
    let policy = Policy {
        region: &ctx.region,
        service: &ctx.service,
        canonical: opts,
        s3_rules: false,
        default_payload_hash: &default_payload_hash,
    };
    let now: SystemTime = parse_amz_date(&ctx.amz_date).expect("timestamp");
    let method = Method::from_bytes(req.method.as_bytes()).expect("method");
    let v = verify(
        &method,
        &req.uri(),
        &req.header_map(),
        secrets,
        &policy,
        None,
        now,
    )?;
    assert_eq!(v.access_key.as_deref(), Some(ctx.access_key.as_str()));
    assert!(matches!(v.payload, PayloadCheck::Sha256(_)));
    Ok(())
}

#[test]
fn aws_sigv4_test_suite() {
    let root = suite_dir();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("suite dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 30,
        "only {} cases in {}",
        cases.len(),
        root.display()
    );

    let mut failures = Vec::new();
    let mut checked = 0;
    for dir in &cases {
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("?")
            .to_owned();
        let Some(ctx) = Context::load(dir) else {
            continue;
        };
        let req = parse_request(&read(dir, "request.txt").expect("request.txt"));
        let opts = CanonicalOptions {
            normalize_path: ctx.normalize,
            double_encode: false,
        };
        if let Err(e) = check_header_form(dir, &ctx, &req, opts) {
            failures.push(e);
        }
        if let Err(e) = check_query_form(dir, &ctx, &req) {
            failures.push(e);
        }
        let secrets = Keys(vec![(
            Box::leak(ctx.access_key.clone().into_boxed_str()),
            Box::leak(ctx.secret.clone().into_boxed_str()),
        )]);
        if let Err(e) = verify_signed(dir, "header-signed-request.txt", &ctx, &secrets, opts) {
            failures.push(format!("{name} header-signed-request: {} {e}", e.code()));
        }
        match verify_signed(dir, "query-signed-request.txt", &ctx, &secrets, opts) {
            // A session token appended to the URL after signing is part of the query the server
            // sees; a presigned URL covers its whole query, so this one must not verify.
            Err(AuthError::SignatureDoesNotMatch { .. }) if ctx.omit_token => {}
            Ok(()) if ctx.omit_token => {
                failures.push(format!("{name}: unsigned query token accepted"))
            }
            Ok(()) => {}
            Err(e) => failures.push(format!("{name} query-signed-request: {} {e}", e.code())),
        }
        checked += 1;
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    assert!(checked >= 30, "checked {checked}");
}

/// The two migrated legacy cases: services other than S3 encode the path a second time.
#[test]
fn aws_sigv4_test_suite_double_encoding_cases() {
    let root = suite_dir();
    let opts = CanonicalOptions {
        normalize_path: true,
        double_encode: true,
    };
    // The timestamp the suite's own signer used for these two (see their canonical requests).
    let amz_date = "20210511T154045Z";
    for (case, region, service) in [
        ("double-url-encode", "us-east-2", "lambda"),
        ("double-encode-path", "us-east-1", "service"),
    ] {
        let dir = root.join(case);
        let req = parse_request(&read(&dir, "request.txt").expect("request.txt"));
        let mut h = req.header_map();
        h.insert("x-amz-date", amz_date.parse().unwrap());
        let signed = sorted_names(&h);
        let (path, query) = req.path_and_query();
        let canonical = canonical_request(
            &req.method,
            &canonical_uri(path, opts),
            &canonical_query(query, None),
            &canonical_headers(&h, &SignedHeaders::parse(&signed).unwrap(), None),
            &signed,
            crate::auth::EMPTY_SHA256,
        );
        let expected = read(&dir, "header-canonical-request.txt").unwrap();
        assert_eq!(
            String::from_utf8_lossy(&canonical),
            expected.trim_end_matches('\n'),
            "{case}"
        );
        if let Some(expected) = read(&dir, "header-string-to-sign.txt") {
            let scope = format!("{}/{region}/{service}/aws4_request", &amz_date[..8]);
            assert_eq!(
                string_to_sign(amz_date, &scope, &canonical),
                expected.trim_end_matches('\n'),
                "{case}"
            );
        }
    }

    // The signed form of double-encode-path verifies end to end (the crate signs it with its
    // test credentials at 20150830T123600Z).
    let ctx = Context {
        access_key: "ANOTREAL".into(),
        secret: "notrealrnrELgWzOk3IfjzDKtFBhDby".into(),
        token: None,
        omit_token: false,
        region: "us-east-1".into(),
        service: "service".into(),
        normalize: true,
        sign_body: false,
        expires: "0".into(),
        amz_date: "20150830T123600Z".into(),
    };
    let secrets = Keys(vec![("ANOTREAL", "notrealrnrELgWzOk3IfjzDKtFBhDby")]);
    verify_signed(
        &root.join("double-encode-path"),
        "header-signed-request.txt",
        &ctx,
        &secrets,
        opts,
    )
    .unwrap();
}
