//! The bucket website configuration API against the real binary, asserting what Amazon S3 does:
//! Put/Get/DeleteBucketWebsite round trips through aws-sdk-s3 (index + error document,
//! redirect-all, routing rules), the validation errors of PutBucketWebsite (raw signed PUTs,
//! status + code), `x-amz-website-redirect-location` on uploads, and the aws CLI's
//! `aws s3 website`. Serving pages from the website endpoint is not part of this file.

mod common;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    Condition, ErrorDocument, IndexDocument, Protocol, Redirect, RedirectAllRequestsTo,
    RoutingRule, WebsiteConfiguration,
};
use common::aws_cli::AwsCli;
use common::{
    TestServer, assert_raw_error, assert_sdk_error, server_with_bucket, signed_exchange, xml_value,
};

const BUCKET: &str = "site";

fn index_document(suffix: &str) -> IndexDocument {
    IndexDocument::builder()
        .suffix(suffix)
        .build()
        .expect("index document")
}

/// PutBucketWebsite, then what GetBucketWebsite answers, through the SDK.
async fn put_then_get(
    s3: &aws_sdk_s3::Client,
    config: WebsiteConfiguration,
) -> aws_sdk_s3::operation::get_bucket_website::GetBucketWebsiteOutput {
    s3.put_bucket_website()
        .bucket(BUCKET)
        .website_configuration(config)
        .send()
        .await
        .expect("put website");
    s3.get_bucket_website()
        .bucket(BUCKET)
        .send()
        .await
        .expect("get website")
}

/// The redirect location HeadObject reports for `key`.
async fn redirect_of(s3: &aws_sdk_s3::Client, key: &str) -> Option<String> {
    let head = s3.head_object().bucket(BUCKET).key(key).send().await;
    head.expect("head")
        .website_redirect_location()
        .map(str::to_string)
}

/// A raw PutBucketWebsite with `inner` inside `<WebsiteConfiguration>`.
fn put_raw(server: &TestServer, inner: &str) -> common::RawResponse {
    let body = format!(
        "<WebsiteConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">{inner}</WebsiteConfiguration>"
    );
    signed_exchange(
        server,
        "PUT",
        &format!("/{BUCKET}?website"),
        &[],
        body.as_bytes(),
    )
}

#[tokio::test]
async fn index_and_error_documents_round_trip() {
    let (_server, s3) = server_with_bucket(BUCKET).await;
    let got = put_then_get(
        &s3,
        WebsiteConfiguration::builder()
            .index_document(index_document("index.html"))
            .error_document(
                ErrorDocument::builder()
                    .key("errors/404.html")
                    .build()
                    .expect("error document"),
            )
            .build(),
    )
    .await;
    assert_eq!(got.index_document().map(|i| i.suffix()), Some("index.html"));
    assert_eq!(
        got.error_document().map(|e| e.key()),
        Some("errors/404.html")
    );
    assert!(got.redirect_all_requests_to().is_none());
    assert!(got.routing_rules().is_empty());
}

#[tokio::test]
async fn redirect_all_requests_round_trips() {
    let (_server, s3) = server_with_bucket(BUCKET).await;
    let got = put_then_get(
        &s3,
        WebsiteConfiguration::builder()
            .redirect_all_requests_to(
                RedirectAllRequestsTo::builder()
                    .host_name("www.example.com")
                    .protocol(Protocol::Https)
                    .build()
                    .expect("redirect all"),
            )
            .build(),
    )
    .await;
    let redirect = got.redirect_all_requests_to().expect("redirect all");
    assert_eq!(redirect.host_name(), "www.example.com");
    assert_eq!(redirect.protocol(), Some(&Protocol::Https));
    assert!(got.index_document().is_none());
}

#[tokio::test]
async fn routing_rules_round_trip_every_field() {
    let (_server, s3) = server_with_bucket(BUCKET).await;
    let prefix_rule = RoutingRule::builder()
        .condition(
            Condition::builder()
                .key_prefix_equals("docs/")
                .http_error_code_returned_equals("404")
                .build(),
        )
        .redirect(
            Redirect::builder()
                .protocol(Protocol::Http)
                .host_name("docs.example.com")
                .replace_key_prefix_with("documents/")
                .http_redirect_code("302")
                .build(),
        )
        .build();
    let key_rule = RoutingRule::builder()
        .condition(Condition::builder().key_prefix_equals("old.html").build())
        .redirect(Redirect::builder().replace_key_with("new.html").build())
        .build();
    let got = put_then_get(
        &s3,
        WebsiteConfiguration::builder()
            .index_document(index_document("index.html"))
            .routing_rules(prefix_rule.clone())
            .routing_rules(key_rule.clone())
            .build(),
    )
    .await;
    assert_eq!(got.routing_rules(), &[prefix_rule, key_rule]);
}

#[tokio::test]
async fn delete_then_get_is_no_such_website_configuration() {
    let (server, s3) = server_with_bucket(BUCKET).await;
    let err = s3
        .get_bucket_website()
        .bucket(BUCKET)
        .send()
        .await
        .expect_err("no website yet");
    assert_sdk_error(&err, 404, "NoSuchWebsiteConfiguration");

    let put = put_raw(
        &server,
        "<IndexDocument><Suffix>index.html</Suffix></IndexDocument>",
    );
    assert_eq!(put.status, 200, "{}", put.body_text());
    let deleted = signed_exchange(&server, "DELETE", &format!("/{BUCKET}?website"), &[], b"");
    assert_eq!(deleted.status, 204, "{}", deleted.body_text());

    let gone = signed_exchange(&server, "GET", &format!("/{BUCKET}?website"), &[], b"");
    assert_raw_error(&gone, 404, "NoSuchWebsiteConfiguration");
    assert_eq!(
        xml_value(&gone.body_text(), "BucketName").as_deref(),
        Some(BUCKET)
    );
}

#[tokio::test]
async fn get_returns_aws_xml_shape() {
    let (server, _s3) = server_with_bucket(BUCKET).await;
    let put = put_raw(
        &server,
        "<IndexDocument><Suffix>index.html</Suffix></IndexDocument><RoutingRules><RoutingRule><Redirect><ReplaceKeyWith>x.html</ReplaceKeyWith><HostName>h</HostName></Redirect><Condition><KeyPrefixEquals>a</KeyPrefixEquals></Condition></RoutingRule></RoutingRules>",
    );
    assert_eq!(put.status, 200, "{}", put.body_text());
    let got = signed_exchange(&server, "GET", &format!("/{BUCKET}?website"), &[], b"");
    assert_eq!(got.status, 200);
    let body = got.body_text();
    assert!(
        body.contains("<WebsiteConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><IndexDocument><Suffix>index.html</Suffix></IndexDocument><RoutingRules><RoutingRule><Condition><KeyPrefixEquals>a</KeyPrefixEquals></Condition><Redirect><HostName>h</HostName><ReplaceKeyWith>x.html</ReplaceKeyWith></Redirect></RoutingRule></RoutingRules></WebsiteConfiguration>"),
        "{body}"
    );
}

#[tokio::test]
async fn invalid_configurations_are_refused_as_on_aws() {
    let (server, _s3) = server_with_bucket(BUCKET).await;
    let index = "<IndexDocument><Suffix>index.html</Suffix></IndexDocument>";
    let rule = |inner: &str| {
        format!("{index}<RoutingRules><RoutingRule>{inner}</RoutingRule></RoutingRules>")
    };
    let too_many = format!(
        "{index}<RoutingRules>{}</RoutingRules>",
        "<RoutingRule><Redirect><HostName>h</HostName></Redirect></RoutingRule>".repeat(51)
    );
    let table: Vec<(String, &str)> = vec![
        (String::new(), "InvalidArgument"),
        (
            format!(
                "{index}<RedirectAllRequestsTo><HostName>h</HostName></RedirectAllRequestsTo>"
            ),
            "InvalidArgument",
        ),
        (
            "<IndexDocument><Suffix></Suffix></IndexDocument>".into(),
            "InvalidArgument",
        ),
        (
            "<IndexDocument><Suffix>a/index.html</Suffix></IndexDocument>".into(),
            "InvalidArgument",
        ),
        (
            "<RedirectAllRequestsTo><HostName>h</HostName><Protocol>ftp</Protocol></RedirectAllRequestsTo>".into(),
            "InvalidArgument",
        ),
        (too_many, "InvalidArgument"),
        (
            rule("<Condition><HttpErrorCodeReturnedEquals>200</HttpErrorCodeReturnedEquals></Condition><Redirect><HostName>h</HostName></Redirect>"),
            "InvalidArgument",
        ),
        (
            rule("<Redirect><HttpRedirectCode>200</HttpRedirectCode></Redirect>"),
            "InvalidArgument",
        ),
        (
            rule("<Redirect><Protocol>ftp</Protocol></Redirect>"),
            "InvalidArgument",
        ),
        (
            rule("<Redirect><ReplaceKeyPrefixWith>a</ReplaceKeyPrefixWith><ReplaceKeyWith>b</ReplaceKeyWith></Redirect>"),
            "InvalidArgument",
        ),
        (
            rule("<Condition><KeyPrefixEquals>a</KeyPrefixEquals></Condition>"),
            "MalformedXML",
        ),
        (format!("{index}<Bogus/>"), "MalformedXML"),
        ("<IndexDocument><Suffix>index.html".into(), "MalformedXML"),
    ];
    for (inner, code) in table {
        let response = put_raw(&server, &inner);
        assert_eq!(response.status, 400, "{inner}: {}", response.body_text());
        assert_eq!(
            response.error_code(),
            code,
            "{inner}: {}",
            response.body_text()
        );
    }
    let not_xml = signed_exchange(&server, "PUT", &format!("/{BUCKET}?website"), &[], b"{}");
    assert_raw_error(&not_xml, 400, "MalformedXML");
    // Nothing was stored by the refused documents.
    let get = signed_exchange(&server, "GET", &format!("/{BUCKET}?website"), &[], b"");
    assert_raw_error(&get, 404, "NoSuchWebsiteConfiguration");
}

#[tokio::test]
async fn suffix_message_is_aws_wording() {
    let (server, _s3) = server_with_bucket(BUCKET).await;
    let response = put_raw(
        &server,
        "<IndexDocument><Suffix>a/b</Suffix></IndexDocument>",
    );
    assert_raw_error(&response, 400, "InvalidArgument");
    assert_eq!(
        xml_value(&response.body_text(), "Message").as_deref(),
        Some("The IndexDocument Suffix is not well formed")
    );
}

#[tokio::test]
async fn website_on_missing_bucket_is_no_such_bucket() {
    let (server, _s3) = server_with_bucket(BUCKET).await;
    for method in ["GET", "PUT", "DELETE"] {
        let response = signed_exchange(
            &server,
            method,
            "/missing?website",
            &[],
            b"<WebsiteConfiguration><IndexDocument><Suffix>i.html</Suffix></IndexDocument></WebsiteConfiguration>",
        );
        assert_raw_error(&response, 404, "NoSuchBucket");
    }
}

#[tokio::test]
async fn website_redirect_location_is_stored_and_returned() {
    let (_server, s3) = server_with_bucket(BUCKET).await;
    for location in ["/other.html", "https://example.com/x", "http://example.com"] {
        s3.put_object()
            .bucket(BUCKET)
            .key("page.html")
            .website_redirect_location(location)
            .body(ByteStream::from_static(b"page"))
            .send()
            .await
            .expect("put with redirect");
        assert_eq!(
            redirect_of(&s3, "page.html").await.as_deref(),
            Some(location)
        );
        let get = s3
            .get_object()
            .bucket(BUCKET)
            .key("page.html")
            .send()
            .await
            .expect("get");
        assert_eq!(get.website_redirect_location(), Some(location));
    }

    // Copies and multipart uploads take it from their own request.
    s3.copy_object()
        .bucket(BUCKET)
        .key("copy.html")
        .copy_source(format!("{BUCKET}/page.html"))
        .website_redirect_location("/copied.html")
        .send()
        .await
        .expect("copy");
    assert_eq!(
        redirect_of(&s3, "copy.html").await.as_deref(),
        Some("/copied.html")
    );

    common::multipart_upload(
        &s3,
        s3.create_multipart_upload()
            .bucket(BUCKET)
            .key("multi.html")
            .website_redirect_location("/multi-target.html"),
        &[b"part"],
    )
    .await;
    assert_eq!(
        redirect_of(&s3, "multi.html").await.as_deref(),
        Some("/multi-target.html")
    );

    // Without the header there is none.
    s3.put_object()
        .bucket(BUCKET)
        .key("plain.html")
        .body(ByteStream::from_static(b"plain"))
        .send()
        .await
        .expect("put plain");
    assert_eq!(redirect_of(&s3, "plain.html").await.as_deref(), None);
}

#[tokio::test]
async fn copying_an_object_onto_itself_may_change_only_its_redirect_location() {
    let (_server, s3) = server_with_bucket(BUCKET).await;
    s3.put_object()
        .bucket(BUCKET)
        .key("old.html")
        .website_redirect_location("/first.html")
        .body(ByteStream::from_static(b"old"))
        .send()
        .await
        .expect("put");

    // Nothing changes: AWS refuses the self-copy.
    let err = s3
        .copy_object()
        .bucket(BUCKET)
        .key("old.html")
        .copy_source(format!("{BUCKET}/old.html"))
        .send()
        .await
        .expect_err("self-copy changing nothing");
    assert_eq!(
        err.into_service_error().meta().code(),
        Some("InvalidRequest")
    );
    assert_eq!(
        redirect_of(&s3, "old.html").await.as_deref(),
        Some("/first.html")
    );

    // Only the redirect location changes: allowed, and the body and metadata stay.
    s3.copy_object()
        .bucket(BUCKET)
        .key("old.html")
        .copy_source(format!("{BUCKET}/old.html"))
        .website_redirect_location("/new.html")
        .send()
        .await
        .expect("self-copy setting the redirect");
    assert_eq!(
        redirect_of(&s3, "old.html").await.as_deref(),
        Some("/new.html")
    );
    let body = s3.get_object().bucket(BUCKET).key("old.html").send().await;
    let bytes = body
        .expect("get")
        .body
        .collect()
        .await
        .expect("body")
        .into_bytes();
    assert_eq!(&bytes[..], b"old");

    // The location is the object's own: a copy elsewhere without the header has none.
    s3.copy_object()
        .bucket(BUCKET)
        .key("elsewhere.html")
        .copy_source(format!("{BUCKET}/old.html"))
        .send()
        .await
        .expect("copy elsewhere");
    assert_eq!(redirect_of(&s3, "elsewhere.html").await, None);
}

#[tokio::test]
async fn website_redirect_location_without_allowed_prefix_is_refused() {
    let (server, s3) = server_with_bucket(BUCKET).await;
    let err = s3
        .put_object()
        .bucket(BUCKET)
        .key("page.html")
        .website_redirect_location("example.com/x")
        .body(ByteStream::from_static(b"page"))
        .send()
        .await
        .expect_err("no prefix");
    assert_sdk_error(&err, 400, "InvalidArgument");

    let err = s3
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("page.html")
        .website_redirect_location("ftp://example.com/x")
        .send()
        .await
        .expect_err("ftp");
    assert_sdk_error(&err, 400, "InvalidArgument");

    let too_long = format!("/{}", "a".repeat(2048));
    let response = signed_exchange(
        &server,
        "PUT",
        &format!("/{BUCKET}/long.html"),
        &[("x-amz-website-redirect-location", too_long.as_str())],
        b"x",
    );
    assert_raw_error(&response, 400, "InvalidArgument");

    let response = signed_exchange(
        &server,
        "PUT",
        &format!("/{BUCKET}/bad.html"),
        &[("x-amz-website-redirect-location", "relative.html")],
        b"x",
    );
    assert_raw_error(&response, 400, "InvalidArgument");
    assert_eq!(
        xml_value(&response.body_text(), "Message")
            .map(|m| m.replace("&apos;", "'"))
            .as_deref(),
        Some("The website redirect location must have a prefix of 'http://' or 'https://' or '/'.")
    );
}

#[tokio::test]
async fn aws_cli_s3_website_sets_index_and_error_documents() {
    let (server, _s3) = server_with_bucket(BUCKET).await;
    let home = tempfile::tempdir().expect("home");
    let aws = AwsCli::new(&server, home.path());
    let site = format!("s3://{BUCKET}");
    aws.run(&[
        "s3",
        "website",
        &site,
        "--index-document",
        "index.html",
        "--error-document",
        "error.html",
    ]);
    let got = aws.json(&["s3api", "get-bucket-website", "--bucket", BUCKET]);
    assert_eq!(got["IndexDocument"]["Suffix"], "index.html", "{got}");
    assert_eq!(got["ErrorDocument"]["Key"], "error.html", "{got}");
}
