//! A real browser (headless Chromium) against the website endpoint and CORS: a single-page app
//! uploaded with `aws s3 sync`, made public with a bucket policy and configured with
//! `aws s3 website`, loaded at `/` and at a deep link; and a page on a second origin that
//! fetch()es from the REST endpoint, allowed by a CORS rule and blocked without one.
//! What the browser did is read back from the DOM it prints (`--dump-dom`).

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use common::TestServer;
use common::aws_cli::AwsCli;

/// A 3×2 PNG (red pixels), so the page can report the decoded size.
const LOGO_PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAMAAAACCAIAAAASFvFNAAAAEElEQVR4nGM4IacBQQxwFgBDHAZVhuWbagAAAABJRU5ErkJggg==";

/// The shape of a production build of a React app: one HTML shell, hashed assets under
/// `static/`, routing done in the browser from `location.pathname`.
const INDEX_HTML: &str = r#"<!doctype html>
<html>
<head>
<meta charset="utf-8">
<title>strata spa</title>
<link rel="stylesheet" href="/static/css/main.3f2a.css">
<script defer src="/static/js/main.9c1e.js"></script>
</head>
<body><div id="root">not rendered</div></body>
</html>
"#;

const MAIN_CSS: &str = "#root { color: rgb(12, 34, 56); }\n.logo { border: 0; }\n";

const MAIN_JS: &str = r#"(function () {
  var root = document.getElementById('root');
  var path = location.pathname;
  var views = { '/': 'home', '/about': 'about' };
  var view = views[path] || (path.indexOf('/users/') === 0 ? 'user ' + path.slice(7) : 'unknown');
  root.textContent = '';
  var title = document.createElement('h1');
  title.id = 'view';
  title.textContent = 'view: ' + view;
  root.appendChild(title);
  root.setAttribute('data-color', getComputedStyle(root).color);
  var logo = new Image();
  logo.className = 'logo';
  logo.onload = function () { root.setAttribute('data-logo', logo.naturalWidth + 'x' + logo.naturalHeight); };
  logo.onerror = function () { root.setAttribute('data-logo', 'failed'); };
  logo.src = '/static/media/logo.5d5d.png';
  root.appendChild(logo);
})();
"#;

/// Loads `url` in headless Chromium and returns the DOM after the page's scripts ran.
fn dump_dom(url: &str) -> String {
    let profile = tempfile::tempdir().expect("profile dir");
    let mut child = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--no-proxy-server",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--virtual-time-budget=10000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect(
            "chromium is required by tests/browser.rs (scripts/test installs Debian's chromium)",
        );
    let deadline = Instant::now() + Duration::from_secs(90);
    while child.try_wait().expect("chromium status").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish loading {url} in 90 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let output = child.wait_with_output().expect("chromium output");
    let dom = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success() && dom.contains("<html"),
        "chromium failed on {url}: {}\n{dom}",
        String::from_utf8_lossy(&output.stderr)
    );
    dom
}

fn public_read_policy(bucket: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*"}}]}}"#
    )
}

fn write(dir: &Path, relative: &str, bytes: &[u8]) {
    let path = dir.join(relative);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, bytes).expect("write site file");
}

/// Publishes `files` as a public website bucket with the aws CLI, as a user would.
fn publish_site(aws: &AwsCli<'_>, bucket: &str, build: &Path, error_document: &str) {
    let target = format!("s3://{bucket}");
    aws.run(&["s3", "mb", &target]);
    aws.run(&["s3", "sync", &build.display().to_string(), &target]);
    let policy = public_read_policy(bucket);
    aws.run(&[
        "s3api",
        "put-bucket-policy",
        "--bucket",
        bucket,
        "--policy",
        &policy,
    ]);
    aws.run(&[
        "s3",
        "website",
        &target,
        "--index-document",
        "index.html",
        "--error-document",
        error_document,
    ]);
}

fn website_url(server: &TestServer, bucket: &str, path: &str) -> String {
    let port = server.addr.rsplit_once(':').expect("port").1;
    format!("http://{bucket}.s3-website.localhost:{port}{path}")
}

/// The opening tag of `<div id="root" ...>` as the browser serialized it.
fn root_tag(dom: &str) -> &str {
    let start = dom
        .find("<div id=\"root\"")
        .unwrap_or_else(|| panic!("no root: {dom}"));
    let end = start + dom[start..].find('>').expect("tag end");
    &dom[start..=end]
}

#[test]
fn a_single_page_app_runs_in_chromium_from_the_website_endpoint() {
    let server = TestServer::start();
    let home = tempfile::tempdir().expect("home");
    let aws = AwsCli::new(&server, home.path());
    let build = tempfile::tempdir().expect("build dir");
    let logo = base64::engine::general_purpose::STANDARD
        .decode(LOGO_PNG)
        .expect("png");
    write(build.path(), "index.html", INDEX_HTML.as_bytes());
    write(
        build.path(),
        "static/css/main.3f2a.css",
        MAIN_CSS.as_bytes(),
    );
    write(build.path(), "static/js/main.9c1e.js", MAIN_JS.as_bytes());
    write(build.path(), "static/media/logo.5d5d.png", &logo);
    // Deep links are not objects: the error document is the app shell, as SPAs are hosted on S3.
    publish_site(&aws, "spa", build.path(), "index.html");

    // Each page is the shell rendered by the app's script for its route, styled by the
    // stylesheet, with the image decoded.
    for (path, view) in [("/", "home"), ("/users/42", "user 42"), ("/about", "about")] {
        let dom = dump_dom(&website_url(&server, "spa", path));
        assert!(
            dom.contains(&format!("<h1 id=\"view\">view: {view}</h1>")),
            "{path}: {dom}"
        );
        let root = root_tag(&dom);
        assert!(
            root.contains("data-color=\"rgb(12, 34, 56)\""),
            "{path}: CSS not applied: {root}"
        );
        assert!(
            root.contains("data-logo=\"3x2\""),
            "{path}: image not decoded: {root}"
        );
    }
}

/// A page that fetch()es `url` with a custom header (so the browser sends a preflight first)
/// and writes what happened into `#out`.
fn fetching_page(url: &str) -> String {
    format!(
        r#"<!doctype html>
<html><head><meta charset="utf-8"><title>cors</title></head>
<body><p id="out" data-result="pending">fetching</p>
<script>
var out = document.getElementById('out');
fetch('{url}', {{ headers: {{ 'x-app-request': 'yes' }} }})
  .then(function (r) {{
    return r.text().then(function (text) {{
      out.setAttribute('data-result', 'ok ' + r.status + ' etag=' + (r.headers.get('etag') ? 'seen' : 'hidden') + ' ' + text.trim());
    }});
  }})
  .catch(function (e) {{ out.setAttribute('data-result', 'blocked'); }});
</script></body></html>
"#
    )
}

fn fetch_result(dom: &str) -> &str {
    let start = dom
        .find("data-result=\"")
        .unwrap_or_else(|| panic!("no result: {dom}"))
        + "data-result=\"".len();
    let end = start + dom[start..].find('"').expect("attribute end");
    &dom[start..end]
}

#[tokio::test]
async fn a_page_on_another_origin_reads_the_rest_endpoint_only_as_cors_allows() {
    let server = TestServer::start();
    let home = tempfile::tempdir().expect("home");
    let aws = AwsCli::new(&server, home.path());

    // The data: a public object on the REST endpoint (origin http://127.0.0.1:<port>).
    let s3 = server.client();
    common::create_bucket(&s3, "data").await;
    common::put(&s3, "data", "data.json", b"{\"hello\":\"cors\"}").await;
    let policy = public_read_policy("data");
    aws.run(&[
        "s3api",
        "put-bucket-policy",
        "--bucket",
        "data",
        "--policy",
        &policy,
    ]);

    // The app: a page on the website endpoint, a second origin.
    let app_origin = website_url(&server, "app", "");
    let data_url = format!("{}/data/data.json", server.endpoint);
    let build = tempfile::tempdir().expect("build dir");
    write(
        build.path(),
        "index.html",
        fetching_page(&data_url).as_bytes(),
    );
    publish_site(&aws, "app", build.path(), "index.html");
    let page = website_url(&server, "app", "/");

    // No CORS configuration: the browser refuses the response to the page.
    assert_eq!(fetch_result(&dump_dom(&page)), "blocked");

    // What the page gets once the data bucket has these CORS rules.
    let with_rules = |rules: &str| {
        let configuration = format!(r#"{{"CORSRules":[{rules}]}}"#);
        aws.run(&[
            "s3api",
            "put-bucket-cors",
            "--bucket",
            "data",
            "--cors-configuration",
            &configuration,
        ]);
        fetch_result(&dump_dom(&page)).to_string()
    };

    // A rule for the app's origin: the preflight passes and the page reads the object.
    let allowed = format!(
        r#"{{"AllowedOrigins":["{app_origin}"],"AllowedMethods":["GET"],"AllowedHeaders":["x-app-request"],"ExposeHeaders":["ETag"],"MaxAgeSeconds":0}}"#
    );
    assert_eq!(
        with_rules(&allowed),
        "ok 200 etag=seen {&quot;hello&quot;:&quot;cors&quot;}"
    );

    // A rule for some other origin only: blocked again.
    let other = r#"{"AllowedOrigins":["https://elsewhere.example"],"AllowedMethods":["GET"],"AllowedHeaders":["*"]}"#;
    assert_eq!(with_rules(other), "blocked");

    // The header the page sends is not allowed by the rule: the preflight fails.
    let no_header = format!(r#"{{"AllowedOrigins":["{app_origin}"],"AllowedMethods":["GET"]}}"#);
    assert_eq!(with_rules(&no_header), "blocked");
}
