//! Bucket CORS against the real binary, asserting what Amazon S3 does: Put/Get/DeleteBucketCors
//! (through aws-sdk-s3, the configuration round-trips exactly), validation of the document
//! (MalformedXML / InvalidRequest, raw HTTP), preflight `OPTIONS` requests (anonymous raw HTTP,
//! as a browser sends them: allowed or refused per origin, method and headers), and the
//! `Access-Control-*` headers of actual requests carrying an `Origin`, errors included.

mod common;

use aws_sdk_s3::Client;
use aws_sdk_s3::types::{CorsConfiguration, CorsRule};
use common::{
    RawResponse, TestServer, assert_raw_error, assert_sdk_error, raw_exchange, server_with_bucket,
    signed_exchange, unsigned_request,
};

const VARY: &str = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";

/// Three rules, in the order matching tries them.
fn rules() -> CorsConfiguration {
    CorsConfiguration::builder()
        .cors_rules(
            CorsRule::builder()
                .id("uploads")
                .allowed_origins("http://www.example.com")
                .allowed_methods("PUT")
                .allowed_methods("POST")
                .allowed_methods("DELETE")
                .allowed_headers("x-amz-*")
                .allowed_headers("Content-Type")
                .expose_headers("ETag")
                .expose_headers("x-amz-request-id")
                .max_age_seconds(3000)
                .build()
                .expect("rule"),
        )
        .cors_rules(
            CorsRule::builder()
                .allowed_origins("http://*.example.com")
                .allowed_methods("GET")
                .allowed_methods("HEAD")
                .build()
                .expect("rule"),
        )
        .cors_rules(
            CorsRule::builder()
                .allowed_origins("*")
                .allowed_methods("GET")
                .allowed_headers("*")
                .build()
                .expect("rule"),
        )
        .build()
        .expect("configuration")
}

async fn put_rules(s3: &Client, bucket: &str) {
    s3.put_bucket_cors()
        .bucket(bucket)
        .cors_configuration(rules())
        .send()
        .await
        .expect("put cors");
}

/// A preflight as a browser sends it: anonymous, `Origin` plus the `Access-Control-Request-*`.
fn preflight(server: &TestServer, path: &str, headers: &[(&str, &str)]) -> RawResponse {
    raw_exchange(
        &server.addr,
        &unsigned_request("OPTIONS", &server.addr, path, headers, b""),
    )
}

fn assert_forbidden(response: &RawResponse) {
    assert_raw_error(response, 403, "AccessForbidden");
    assert!(
        response
            .body_text()
            .contains("CORSResponse: This CORS request is not allowed."),
        "{}",
        response.body_text()
    );
    assert_eq!(response.header("access-control-allow-origin"), None);
}

/// Asserts each named header's value (None: the header is absent).
fn assert_headers(response: &RawResponse, expected: &[(&str, Option<&str>)]) {
    for (name, value) in expected {
        assert_eq!(
            response.header(name),
            *value,
            "{name}: {:?}",
            response.headers
        );
    }
}

async fn server_with_rules() -> (TestServer, Client) {
    let (server, s3) = server_with_bucket("site").await;
    put_rules(&s3, "site").await;
    (server, s3)
}

// ---------------------------------------------------------------------------------------------
// The configuration API.

#[tokio::test]
async fn cors_configuration_round_trips_and_deletes() {
    let (_server, s3) = server_with_bucket("site").await;
    let err = s3
        .get_bucket_cors()
        .bucket("site")
        .send()
        .await
        .expect_err("none yet");
    assert_sdk_error(&err, 404, "NoSuchCORSConfiguration");

    put_rules(&s3, "site").await;
    let got = s3
        .get_bucket_cors()
        .bucket("site")
        .send()
        .await
        .expect("get cors");
    assert_eq!(got.cors_rules(), rules().cors_rules());

    s3.delete_bucket_cors()
        .bucket("site")
        .send()
        .await
        .expect("delete cors");
    let err = s3
        .get_bucket_cors()
        .bucket("site")
        .send()
        .await
        .expect_err("deleted");
    assert_sdk_error(&err, 404, "NoSuchCORSConfiguration");
}

#[tokio::test]
async fn cors_requests_answer_aws_statuses_and_documents() {
    let (server, _s3) = server_with_bucket("site").await;
    let document = "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>\
                    <AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>60</MaxAgeSeconds>\
                    </CORSRule></CORSConfiguration>";
    let put = signed_exchange(&server, "PUT", "/site?cors", &[], document.as_bytes());
    assert_eq!(put.status, 200, "{}", put.body_text());
    let get = signed_exchange(&server, "GET", "/site?cors", &[], b"");
    assert_eq!(get.status, 200);
    assert_eq!(
        get.body_text(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CORSConfiguration \
         xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><CORSRule>\
         <AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin>\
         <MaxAgeSeconds>60</MaxAgeSeconds></CORSRule></CORSConfiguration>"
    );
    let delete = signed_exchange(&server, "DELETE", "/site?cors", &[], b"");
    assert_eq!(delete.status, 204);
    let missing = signed_exchange(&server, "GET", "/nobucket?cors", &[], b"");
    assert_raw_error(&missing, 404, "NoSuchBucket");
}

#[tokio::test]
async fn invalid_cors_configurations_are_refused() {
    let (server, _s3) = server_with_bucket("site").await;
    let rule = |body: &str| format!("<CORSRule>{body}</CORSRule>");
    let doc = |rules: &str| format!("<CORSConfiguration>{rules}</CORSConfiguration>");
    let get_any = "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>";
    let table = [
        ("not xml".to_string(), "MalformedXML"),
        ("<CORSConfiguration>".to_string(), "MalformedXML"),
        (doc(""), "MalformedXML"),
        ("<Other/>".to_string(), "MalformedXML"),
        (
            doc(&rule("<AllowedOrigin>*</AllowedOrigin>")),
            "MalformedXML",
        ),
        (
            doc(&rule("<AllowedMethod>GET</AllowedMethod>")),
            "MalformedXML",
        ),
        (
            doc(&rule(&format!("{get_any}<MaxAgeSeconds>x</MaxAgeSeconds>"))),
            "MalformedXML",
        ),
        (doc(&rule(get_any).repeat(101)), "MalformedXML"),
        (
            doc(&rule(
                "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod>",
            )),
            "InvalidRequest",
        ),
        (
            doc(&rule(
                "<AllowedOrigin>http://*.*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>",
            )),
            "InvalidRequest",
        ),
        (
            doc(&rule(&format!(
                "{get_any}<AllowedHeader>*-*</AllowedHeader>"
            ))),
            "InvalidRequest",
        ),
    ];
    for (document, code) in table {
        let response = signed_exchange(&server, "PUT", "/site?cors", &[], document.as_bytes());
        assert_raw_error(&response, 400, code);
    }
    let response = signed_exchange(
        &server,
        "PUT",
        "/site?cors",
        &[],
        doc(&rule(
            "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod>",
        ))
        .as_bytes(),
    );
    assert!(
        response
            .body_text()
            .contains("Found unsupported HTTP method in CORS config. Unsupported method is PATCH"),
        "{}",
        response.body_text()
    );
    // Nothing was stored by any of them.
    let get = signed_exchange(&server, "GET", "/site?cors", &[], b"");
    assert_raw_error(&get, 404, "NoSuchCORSConfiguration");
}

// ---------------------------------------------------------------------------------------------
// Preflight.

#[tokio::test]
async fn preflight_allowed_by_exact_origin_returns_the_rule() {
    let (server, _s3) = server_with_rules().await;
    let response = preflight(
        &server,
        "/site/photo.jpg",
        &[
            ("Origin", "http://www.example.com"),
            ("Access-Control-Request-Method", "PUT"),
            ("Access-Control-Request-Headers", "x-amz-date, Content-Type"),
        ],
    );
    assert_eq!(response.status, 200, "{}", response.body_text());
    assert_headers(
        &response,
        &[
            (
                "access-control-allow-origin",
                Some("http://www.example.com"),
            ),
            ("access-control-allow-methods", Some("PUT, POST, DELETE")),
            (
                "access-control-allow-headers",
                Some("x-amz-date, Content-Type"),
            ),
            (
                "access-control-expose-headers",
                Some("ETag, x-amz-request-id"),
            ),
            ("access-control-max-age", Some("3000")),
            ("access-control-allow-credentials", Some("true")),
            ("vary", Some(VARY)),
        ],
    );
}

#[tokio::test]
async fn preflight_on_a_bucket_and_with_wildcard_origin_is_allowed() {
    let (server, _s3) = server_with_rules().await;
    let response = preflight(
        &server,
        "/site",
        &[
            ("Origin", "http://cdn.example.com"),
            ("Access-Control-Request-Method", "HEAD"),
        ],
    );
    assert_eq!(response.status, 200, "{}", response.body_text());
    assert_headers(
        &response,
        &[
            (
                "access-control-allow-origin",
                Some("http://cdn.example.com"),
            ),
            ("access-control-allow-methods", Some("GET, HEAD")),
            ("access-control-max-age", None),
            ("access-control-allow-headers", None),
        ],
    );
}

#[tokio::test]
async fn preflight_with_star_origin_answers_star_without_credentials() {
    let (server, _s3) = server_with_rules().await;
    let response = preflight(
        &server,
        "/site/k",
        &[
            ("Origin", "https://elsewhere.org"),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "authorization"),
        ],
    );
    assert_eq!(response.status, 200, "{}", response.body_text());
    assert_headers(
        &response,
        &[
            ("access-control-allow-origin", Some("*")),
            ("access-control-allow-credentials", None),
            ("access-control-allow-headers", Some("authorization")),
        ],
    );
}

#[tokio::test]
async fn preflight_not_allowed_by_any_rule_is_forbidden() {
    let (server, _s3) = server_with_rules().await;
    let cases: &[&[(&str, &str)]] = &[
        // Method no rule for this origin allows.
        &[
            ("Origin", "http://evil.org"),
            ("Access-Control-Request-Method", "PUT"),
        ],
        // Origin the wildcard does not cover (scheme differs), method only rule 2/3 allow.
        &[
            ("Origin", "https://www.example.com"),
            ("Access-Control-Request-Method", "DELETE"),
        ],
        // A requested header rule 1 does not allow.
        &[
            ("Origin", "http://www.example.com"),
            ("Access-Control-Request-Method", "PUT"),
            (
                "Access-Control-Request-Headers",
                "x-amz-date, authorization",
            ),
        ],
        // Rule 2 allows the origin and method but no headers; rule 3 does not allow HEAD.
        &[
            ("Origin", "http://a.example.com"),
            ("Access-Control-Request-Method", "HEAD"),
            ("Access-Control-Request-Headers", "range"),
        ],
    ];
    for headers in cases {
        assert_forbidden(&preflight(&server, "/site/k", headers));
    }
}

#[tokio::test]
async fn preflight_without_configuration_is_forbidden() {
    let (server, _s3) = server_with_bucket("plain").await;
    assert_forbidden(&preflight(
        &server,
        "/plain/k",
        &[
            ("Origin", "http://www.example.com"),
            ("Access-Control-Request-Method", "GET"),
        ],
    ));
}

#[tokio::test]
async fn preflight_without_origin_or_method_is_a_bad_request() {
    let (server, _s3) = server_with_rules().await;
    let response = preflight(
        &server,
        "/site/k",
        &[("Access-Control-Request-Method", "GET")],
    );
    assert_raw_error(&response, 400, "BadRequest");
    assert!(
        response
            .body_text()
            .contains("Insufficient information. Origin request header needed."),
        "{}",
        response.body_text()
    );
    let response = preflight(&server, "/site/k", &[("Origin", "http://www.example.com")]);
    assert_raw_error(&response, 400, "BadRequest");
    let response = preflight(
        &server,
        "/site/k",
        &[
            ("Origin", "http://www.example.com"),
            ("Access-Control-Request-Method", "PATCH"),
        ],
    );
    assert_raw_error(&response, 400, "BadRequest");
}

// ---------------------------------------------------------------------------------------------
// Actual requests.

#[tokio::test]
async fn get_with_origin_carries_cors_headers() {
    let (server, s3) = server_with_rules().await;
    common::put(&s3, "site", "k", b"hello".to_vec()).await;
    let response = signed_exchange(
        &server,
        "GET",
        "/site/k",
        &[("origin", "http://cdn.example.com")],
        b"",
    );
    assert_eq!(response.status, 200);
    assert_eq!(response.body, b"hello");
    assert_headers(
        &response,
        &[
            (
                "access-control-allow-origin",
                Some("http://cdn.example.com"),
            ),
            ("access-control-allow-methods", Some("GET, HEAD")),
            ("access-control-allow-credentials", Some("true")),
            ("vary", Some(VARY)),
        ],
    );
}

#[tokio::test]
async fn error_response_with_origin_carries_cors_headers() {
    let (server, _s3) = server_with_rules().await;
    let response = signed_exchange(
        &server,
        "GET",
        "/site/missing",
        &[("origin", "http://elsewhere.org")],
        b"",
    );
    assert_raw_error(&response, 404, "NoSuchKey");
    assert_headers(
        &response,
        &[
            ("access-control-allow-origin", Some("*")),
            ("access-control-allow-methods", Some("GET")),
            ("access-control-allow-credentials", None),
        ],
    );
}

#[tokio::test]
async fn requests_without_origin_or_match_carry_no_cors_headers() {
    let (server, s3) = server_with_rules().await;
    common::put(&s3, "site", "k", b"hello".to_vec()).await;
    let response = signed_exchange(&server, "GET", "/site/k", &[], b"");
    assert_eq!(response.status, 200);
    assert_eq!(response.header("access-control-allow-origin"), None);
    assert_eq!(response.header("vary"), None);
    // DELETE from an origin no rule allows it for: no Allow-Origin.
    let response = signed_exchange(
        &server,
        "DELETE",
        "/site/k",
        &[("origin", "http://elsewhere.org")],
        b"",
    );
    assert_eq!(response.status, 204);
    assert_eq!(response.header("access-control-allow-origin"), None);
}
