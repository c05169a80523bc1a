//! The static website endpoint against the real binary, asserting what Amazon S3's website
//! endpoint does: raw HTTP with a `Host: site.s3-website.localhost:PORT` header (browsers
//! resolve `*.localhost` to loopback), the bucket set up through aws-sdk-s3 (public-read
//! bucket policy, website configuration, objects).

mod common;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    Condition, CorsConfiguration, CorsRule, ErrorDocument, IndexDocument, Protocol, Redirect,
    RedirectAllRequestsTo, RoutingRule, WebsiteConfiguration,
};
use common::{RawResponse, TestServer, create_bucket, put, raw_exchange, raw_request};

const BUCKET: &str = "site";

fn public_read(bucket: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*"}}]}}"#
    )
}

fn site_config(error_key: Option<&str>, rules: Vec<RoutingRule>) -> WebsiteConfiguration {
    let mut builder = WebsiteConfiguration::builder().index_document(
        IndexDocument::builder()
            .suffix("index.html")
            .build()
            .expect("index document"),
    );
    if let Some(key) = error_key {
        builder = builder.error_document(ErrorDocument::builder().key(key).build().expect("error"));
    }
    for rule in rules {
        builder = builder.routing_rules(rule);
    }
    builder.build()
}

async fn put_html(s3: &aws_sdk_s3::Client, key: &str, body: &str) {
    s3.put_object()
        .bucket(BUCKET)
        .key(key)
        .content_type("text/html")
        .body(ByteStream::from(body.as_bytes().to_vec()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("put {key}: {e:?}"));
}

/// A server with a public-read bucket `site` whose website configuration is `config`, holding
/// `index.html`, `docs/index.html` and `404.html`.
async fn site(config: WebsiteConfiguration) -> (TestServer, aws_sdk_s3::Client) {
    let server = TestServer::start();
    let s3 = server.client();
    create_bucket(&s3, BUCKET).await;
    s3.put_bucket_policy()
        .bucket(BUCKET)
        .policy(public_read(BUCKET))
        .send()
        .await
        .expect("put bucket policy");
    s3.put_bucket_website()
        .bucket(BUCKET)
        .website_configuration(config)
        .send()
        .await
        .expect("put bucket website");
    put_html(&s3, "index.html", "<h1>home</h1>").await;
    put_html(&s3, "docs/index.html", "<h1>docs</h1>").await;
    put_html(&s3, "404.html", "<h1>not here</h1>").await;
    (server, s3)
}

fn port(server: &TestServer) -> &str {
    server.addr.rsplit_once(':').expect("port").1
}

/// A request to `bucket`'s website endpoint.
fn website_exchange(
    server: &TestServer,
    bucket: &str,
    method: &str,
    path: &str,
    extra: &[(&str, &str)],
) -> RawResponse {
    let mut headers = vec![(
        "host".to_string(),
        format!("{bucket}.s3-website.localhost:{}", port(server)),
    )];
    headers.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    raw_exchange(&server.addr, &raw_request(method, path, &headers, b""))
}

fn get(server: &TestServer, path: &str) -> RawResponse {
    website_exchange(server, BUCKET, "GET", path, &[])
}

fn assert_html_error(response: &RawResponse, status: u16, code: &str) {
    let body = response.body_text();
    assert_eq!(response.status, status, "{body}");
    assert!(
        response
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/html")),
        "{:?}",
        response.headers
    );
    assert!(body.contains(&format!("<li>Code: {code}</li>")), "{body}");
    assert!(body.contains("<li>RequestId: "), "{body}");
}

#[tokio::test]
async fn index_document_is_served_at_the_root_and_in_directories() {
    let (server, _s3) = site(site_config(None, vec![])).await;
    let root = get(&server, "/");
    assert_eq!(root.status, 200, "{}", root.body_text());
    assert_eq!(root.body_text(), "<h1>home</h1>");
    assert_eq!(root.header("content-type"), Some("text/html"));
    assert!(root.header("etag").is_some());
    assert!(root.header("last-modified").is_some());
    let docs = get(&server, "/docs/");
    assert_eq!(docs.status, 200);
    assert_eq!(docs.body_text(), "<h1>docs</h1>");
    let direct = get(&server, "/docs/index.html");
    assert_eq!(direct.body_text(), "<h1>docs</h1>");
}

#[tokio::test]
async fn directory_without_trailing_slash_redirects_with_302() {
    let (server, _s3) = site(site_config(None, vec![])).await;
    let response = get(&server, "/docs");
    assert_eq!(response.status, 302, "{}", response.body_text());
    assert_eq!(response.header("location"), Some("/docs/"));
}

#[tokio::test]
async fn missing_key_serves_the_error_document_with_404() {
    let (server, _s3) = site(site_config(Some("404.html"), vec![])).await;
    let response = get(&server, "/nope.html");
    assert_eq!(response.status, 404);
    assert_eq!(response.body_text(), "<h1>not here</h1>");
    assert_eq!(response.header("content-type"), Some("text/html"));
}

#[tokio::test]
async fn missing_key_without_error_document_gets_the_html_404_page() {
    let (server, _s3) = site(site_config(None, vec![])).await;
    let response = get(&server, "/nope.html");
    assert_html_error(&response, 404, "NoSuchKey");
    assert!(response.body_text().contains("<h1>404 Not Found</h1>"));
    assert!(response.body_text().contains("<li>Key: nope.html</li>"));
}

#[tokio::test]
async fn missing_error_document_is_reported_in_the_404_page() {
    let (server, _s3) = site(site_config(Some("gone.html"), vec![])).await;
    let response = get(&server, "/nope.html");
    assert_html_error(&response, 404, "NoSuchKey");
    assert!(
        response
            .body_text()
            .contains("An Error Occurred While Attempting to Retrieve a Custom Error Document")
    );
}

#[tokio::test]
async fn routing_rule_on_a_key_prefix_redirects() {
    let rule = RoutingRule::builder()
        .condition(Condition::builder().key_prefix_equals("old/").build())
        .redirect(Redirect::builder().replace_key_prefix_with("new/").build())
        .build();
    let (server, _s3) = site(site_config(None, vec![rule])).await;
    let response = get(&server, "/old/page.html");
    assert_eq!(response.status, 301, "{}", response.body_text());
    assert_eq!(
        response.header("location"),
        Some(
            format!(
                "http://site.s3-website.localhost:{}/new/page.html",
                port(&server)
            )
            .as_str()
        )
    );
    // Other keys are not redirected.
    assert_eq!(get(&server, "/").status, 200);
}

#[tokio::test]
async fn routing_rule_on_an_error_code_redirects_after_the_lookup() {
    let rule = RoutingRule::builder()
        .condition(
            Condition::builder()
                .http_error_code_returned_equals("404")
                .build(),
        )
        .redirect(
            Redirect::builder()
                .host_name("example.com")
                .protocol(Protocol::Https)
                .replace_key_with("missing.html")
                .http_redirect_code("307")
                .build(),
        )
        .build();
    let (server, _s3) = site(site_config(Some("404.html"), vec![rule])).await;
    let response = get(&server, "/nope.html");
    assert_eq!(response.status, 307, "{}", response.body_text());
    assert_eq!(
        response.header("location"),
        Some("https://example.com/missing.html")
    );
    // Existing keys are served.
    assert_eq!(get(&server, "/index.html").status, 200);
}

#[tokio::test]
async fn redirect_all_requests_sends_every_path_to_the_other_host() {
    let config = WebsiteConfiguration::builder()
        .redirect_all_requests_to(
            RedirectAllRequestsTo::builder()
                .host_name("www.example.com")
                .protocol(Protocol::Https)
                .build()
                .expect("redirect all"),
        )
        .build();
    let (server, _s3) = site(config).await;
    let response = get(&server, "/a/b.html");
    assert_eq!(response.status, 301);
    assert_eq!(
        response.header("location"),
        Some("https://www.example.com/a/b.html")
    );
}

#[tokio::test]
async fn object_with_a_website_redirect_answers_301() {
    let (server, s3) = site(site_config(None, vec![])).await;
    s3.put_object()
        .bucket(BUCKET)
        .key("moved.html")
        .website_redirect_location("/docs/")
        .body(ByteStream::from_static(b""))
        .send()
        .await
        .expect("put redirect object");
    let response = get(&server, "/moved.html");
    assert_eq!(response.status, 301);
    assert_eq!(response.header("location"), Some("/docs/"));
}

/// A server whose bucket `private` has a website configuration but no public-read policy.
async fn private_site() -> TestServer {
    let server = TestServer::start();
    let s3 = server.client();
    create_bucket(&s3, "private").await;
    s3.put_bucket_website()
        .bucket("private")
        .website_configuration(site_config(None, vec![]))
        .send()
        .await
        .expect("put bucket website");
    put(&s3, "private", "index.html", "secret").await;
    server
}

#[tokio::test]
async fn private_bucket_answers_the_html_403_page() {
    let server = private_site().await;
    let response = website_exchange(&server, "private", "GET", "/", &[]);
    assert_html_error(&response, 403, "AccessDenied");
    let body = response.body_text();
    assert!(body.contains("<title>403 Forbidden</title>"), "{body}");
    assert!(body.contains("<li>Message: Access Denied</li>"), "{body}");
    assert!(!body.contains("secret"));
}

#[tokio::test]
async fn credentials_are_ignored_on_the_website_endpoint() {
    let server = private_site().await;
    let host = format!("private.s3-website.localhost:{}", port(&server));
    let signed = common::signed_request("GET", &host, "/index.html", &[], b"");
    let response = raw_exchange(&server.addr, &signed);
    assert_html_error(&response, 403, "AccessDenied");
}

#[tokio::test]
async fn bucket_without_website_configuration_answers_404() {
    let server = TestServer::start();
    create_bucket(&server.client(), "plain").await;
    let response = website_exchange(&server, "plain", "GET", "/", &[]);
    assert_html_error(&response, 404, "NoSuchWebsiteConfiguration");
    let response = website_exchange(&server, "absent", "GET", "/", &[]);
    assert_html_error(&response, 404, "NoSuchBucket");
}

#[tokio::test]
async fn put_answers_405() {
    let (server, _s3) = site(site_config(None, vec![])).await;
    let response = website_exchange(&server, BUCKET, "PUT", "/index.html", &[]);
    assert_html_error(&response, 405, "MethodNotAllowed");
    assert_eq!(
        website_exchange(&server, BUCKET, "GET", "/index.html", &[]).body_text(),
        "<h1>home</h1>"
    );
}

#[tokio::test]
async fn range_answers_206() {
    let (server, _s3) = site(site_config(None, vec![])).await;
    let response = website_exchange(
        &server,
        BUCKET,
        "GET",
        "/index.html",
        &[("range", "bytes=1-2")],
    );
    assert_eq!(response.status, 206);
    assert_eq!(response.body_text(), "h1");
    assert_eq!(response.header("content-range"), Some("bytes 1-2/13"));
}

/// What a browser's `<video>` element sends: `bytes=0-` first, then seeks with open-ended ranges.
#[tokio::test]
async fn a_100_mib_video_is_served_in_ranges() {
    const SIZE: usize = 100 * 1024 * 1024;
    let (server, s3) = site(site_config(None, vec![])).await;
    let video = common::pattern(SIZE, 11);
    s3.put_object()
        .bucket(BUCKET)
        .key("media/clip.mp4")
        .content_type("video/mp4")
        .body(ByteStream::from(video.clone()))
        .send()
        .await
        .expect("put video");

    let ranged = |range: &str| {
        website_exchange(
            &server,
            BUCKET,
            "GET",
            "/media/clip.mp4",
            &[("range", range)],
        )
    };
    let whole = ranged("bytes=0-");
    assert_eq!(whole.status, 206);
    assert_eq!(
        whole.header("content-range"),
        Some(format!("bytes 0-{}/{SIZE}", SIZE - 1).as_str())
    );
    assert_eq!(whole.header("content-type"), Some("video/mp4"));
    assert_eq!(whole.header("accept-ranges"), Some("bytes"));
    assert!(whole.body == video, "the whole video differs");

    let seek = 73 * 1024 * 1024 + 17;
    let tail = ranged(&format!("bytes={seek}-"));
    assert_eq!(tail.status, 206);
    assert_eq!(
        tail.header("content-length"),
        Some((SIZE - seek).to_string().as_str())
    );
    assert!(tail.body[..] == video[seek..], "the tail differs");

    let middle = ranged("bytes=52428800-53477375");
    assert_eq!(middle.status, 206);
    assert_eq!(
        middle.header("content-range"),
        Some(format!("bytes 52428800-53477375/{SIZE}").as_str())
    );
    assert!(
        middle.body[..] == video[52428800..=53477375],
        "the middle differs"
    );

    let last = ranged("bytes=-4096");
    assert_eq!(last.status, 206);
    assert!(last.body[..] == video[SIZE - 4096..]);

    let beyond = ranged(&format!("bytes={SIZE}-"));
    assert_eq!(beyond.status, 416, "{}", beyond.body_text());
}

#[tokio::test]
async fn if_none_match_answers_304() {
    let (server, _s3) = site(site_config(None, vec![])).await;
    let first = get(&server, "/");
    let etag = first.header("etag").expect("etag").to_string();
    let response = website_exchange(&server, BUCKET, "GET", "/", &[("if-none-match", &etag)]);
    assert_eq!(response.status, 304);
    assert!(response.body.is_empty());
}

#[tokio::test]
async fn head_has_headers_and_no_body() {
    let (server, _s3) = site(site_config(None, vec![])).await;
    let response = website_exchange(&server, BUCKET, "HEAD", "/", &[]);
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-length"), Some("13"));
    assert!(response.body.is_empty());
}

#[tokio::test]
async fn cors_headers_are_added_to_a_website_get_with_origin() {
    let (server, s3) = site(site_config(None, vec![])).await;
    s3.put_bucket_cors()
        .bucket(BUCKET)
        .cors_configuration(
            CorsConfiguration::builder()
                .cors_rules(
                    CorsRule::builder()
                        .allowed_origins("http://app.localhost")
                        .allowed_methods("GET")
                        .build()
                        .expect("rule"),
                )
                .build()
                .expect("cors"),
        )
        .send()
        .await
        .expect("put bucket cors");
    let allowed = website_exchange(
        &server,
        BUCKET,
        "GET",
        "/",
        &[("origin", "http://app.localhost")],
    );
    assert_eq!(allowed.status, 200);
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("http://app.localhost")
    );
    let other = website_exchange(
        &server,
        BUCKET,
        "GET",
        "/",
        &[("origin", "http://evil.test")],
    );
    assert_eq!(other.status, 200);
    assert_eq!(other.header("access-control-allow-origin"), None);
    let preflight = website_exchange(
        &server,
        BUCKET,
        "OPTIONS",
        "/",
        &[
            ("origin", "http://app.localhost"),
            ("access-control-request-method", "GET"),
        ],
    );
    assert_eq!(preflight.status, 200, "{}", preflight.body_text());
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("http://app.localhost")
    );
}

#[tokio::test]
async fn rest_requests_are_unchanged() {
    let (server, s3) = site(site_config(None, vec![])).await;
    // The same server still answers the S3 API on its plain address.
    assert_eq!(
        common::get(&s3, BUCKET, "index.html").await,
        b"<h1>home</h1>"
    );
    let anonymous = common::anonymous_exchange(&server, "GET", "/site/index.html", b"");
    assert_eq!(anonymous.status, 200);
}

#[tokio::test]
async fn website_listener_serves_the_bucket_named_by_the_host() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let website_addr = free.local_addr().expect("addr").to_string();
    drop(free);
    let server = TestServer::start_with(&["--website-listen", &website_addr]);
    let s3 = server.client();
    create_bucket(&s3, "www.example.org").await;
    s3.put_bucket_policy()
        .bucket("www.example.org")
        .policy(public_read("www.example.org"))
        .send()
        .await
        .expect("policy");
    s3.put_bucket_website()
        .bucket("www.example.org")
        .website_configuration(site_config(None, vec![]))
        .send()
        .await
        .expect("website");
    put(&s3, "www.example.org", "index.html", "cname site").await;
    let website_port = website_addr.rsplit_once(':').expect("port").1;
    let headers = vec![(
        "host".to_string(),
        format!("www.example.org:{website_port}"),
    )];
    let response = raw_exchange(&website_addr, &raw_request("GET", "/", &headers, b""));
    assert_eq!(response.status, 200, "{}", response.body_text());
    assert_eq!(response.body_text(), "cname site");
}
