//! The S3 API through the official aws-sdk-s3 client, against the real binary.

mod common;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, Delete, ObjectIdentifier};
use common::{TestServer, pattern};

async fn body_bytes(output: aws_sdk_s3::operation::get_object::GetObjectOutput) -> Vec<u8> {
    output
        .body
        .collect()
        .await
        .expect("read body")
        .into_bytes()
        .to_vec()
}

fn error_code<E: aws_sdk_s3::error::ProvideErrorMetadata>(err: &E) -> String {
    err.code().unwrap_or_default().to_string()
}

#[tokio::test]
async fn bucket_lifecycle_create_head_list_location_delete() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, "alpha").await;
    s3.head_bucket().bucket("alpha").send().await.expect("head");
    let buckets = s3.list_buckets().send().await.expect("list");
    let names: Vec<_> = buckets.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, ["alpha"]);
    assert!(buckets.buckets()[0].creation_date().is_some());
    let location = s3
        .get_bucket_location()
        .bucket("alpha")
        .send()
        .await
        .expect("location");
    assert!(
        location
            .location_constraint()
            .is_none_or(|c| c.as_str().is_empty())
    );
    s3.delete_bucket()
        .bucket("alpha")
        .send()
        .await
        .expect("delete");
    let err = s3
        .head_bucket()
        .bucket("alpha")
        .send()
        .await
        .expect_err("gone");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(404));
}

#[tokio::test]
async fn creating_an_owned_bucket_twice_is_bucket_already_owned_by_you() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, "twice").await;
    let err = s3
        .create_bucket()
        .bucket("twice")
        .send()
        .await
        .expect_err("second create");
    assert_eq!(error_code(&err), "BucketAlreadyOwnedByYou");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(409));
}

#[tokio::test]
async fn deleting_a_non_empty_bucket_is_refused() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, "full").await;
    common::put(&s3, "full", "k", b"x".to_vec()).await;
    let err = s3
        .delete_bucket()
        .bucket("full")
        .send()
        .await
        .expect_err("not empty");
    assert_eq!(error_code(&err), "BucketNotEmpty");
    s3.delete_object()
        .bucket("full")
        .key("k")
        .send()
        .await
        .expect("delete object");
    s3.delete_bucket()
        .bucket("full")
        .send()
        .await
        .expect("now empty");
}

#[tokio::test]
async fn missing_bucket_and_key_are_no_such_bucket_and_no_such_key() {
    let server = TestServer::start();
    let s3 = server.client();
    let err = s3
        .get_object()
        .bucket("nope")
        .key("k")
        .send()
        .await
        .expect_err("no bucket");
    assert_eq!(error_code(&err), "NoSuchBucket");
    common::create_bucket(&s3, "here").await;
    let err = s3
        .get_object()
        .bucket("here")
        .key("missing")
        .send()
        .await
        .expect_err("no key");
    assert_eq!(error_code(&err), "NoSuchKey");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(404));
    assert!(
        err.raw_response()
            .and_then(|r| r.headers().get("x-amz-request-id"))
            .is_some()
    );
}

#[tokio::test]
async fn put_and_get_round_trip_sizes_across_inline_and_erasure_coded_paths() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, "sizes").await;
    for (i, size) in [
        0usize,
        1,
        1000,
        128 * 1024,
        128 * 1024 + 1,
        4 * 1024 * 1024 + 7,
        9 * 1024 * 1024,
    ]
    .into_iter()
    .enumerate()
    {
        let data = pattern(size, i as u64);
        let key = format!("obj-{size}");
        let put = s3
            .put_object()
            .bucket("sizes")
            .key(&key)
            .body(ByteStream::from(data.clone()))
            .send()
            .await
            .expect("put");
        let expected_etag = format!(
            "\"{}\"",
            hex::encode(<md5::Md5 as md5::Digest>::digest(&data))
        );
        assert_eq!(put.e_tag(), Some(expected_etag.as_str()), "etag of {size}");
        let got = s3
            .get_object()
            .bucket("sizes")
            .key(&key)
            .send()
            .await
            .expect("get");
        assert_eq!(got.content_length(), Some(size as i64));
        assert_eq!(got.e_tag(), Some(expected_etag.as_str()));
        assert!(body_bytes(got).await == data, "bytes of {size}");
    }
}

#[tokio::test]
async fn metadata_and_content_headers_are_stored_and_returned() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, "meta").await;
    s3.put_object()
        .bucket("meta")
        .key("doc.html")
        .body(ByteStream::from_static(b"<h1>hi</h1>"))
        .content_type("text/html")
        .content_encoding("identity")
        .content_disposition("attachment; filename=\"doc.html\"")
        .content_language("en")
        .cache_control("max-age=60")
        .metadata("color", "blue")
        .metadata("Owner-Name", "ann")
        .storage_class(aws_sdk_s3::types::StorageClass::StandardIa)
        .send()
        .await
        .expect("put");
    let head = s3
        .head_object()
        .bucket("meta")
        .key("doc.html")
        .send()
        .await
        .expect("head");
    assert_eq!(head.content_type(), Some("text/html"));
    assert_eq!(head.content_encoding(), Some("identity"));
    assert_eq!(
        head.content_disposition(),
        Some("attachment; filename=\"doc.html\"")
    );
    assert_eq!(head.content_language(), Some("en"));
    assert_eq!(head.cache_control(), Some("max-age=60"));
    assert_eq!(head.content_length(), Some(11));
    assert_eq!(
        head.storage_class().map(|c| c.as_str()),
        Some("STANDARD_IA")
    );
    let meta = head.metadata().expect("metadata");
    assert_eq!(meta.get("color").map(String::as_str), Some("blue"));
    assert_eq!(meta.get("owner-name").map(String::as_str), Some("ann"));
    assert!(head.last_modified().is_some());
}

#[tokio::test]
async fn unknown_storage_classes_are_invalid_and_every_aws_class_is_accepted() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, "classes").await;
    for class in ["NOPE", "EXPRESS_ONEZONE", "standard"] {
        let err = s3
            .put_object()
            .bucket("classes")
            .key("k")
            .storage_class(aws_sdk_s3::types::StorageClass::from(class))
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .expect_err(class);
        assert_eq!(error_code(&err), "InvalidStorageClass", "{class}");
    }
    for class in [
        "STANDARD",
        "REDUCED_REDUNDANCY",
        "STANDARD_IA",
        "ONEZONE_IA",
        "INTELLIGENT_TIERING",
        "GLACIER_IR",
        "GLACIER",
        "DEEP_ARCHIVE",
    ] {
        let data = pattern(300 * 1024, 3);
        s3.put_object()
            .bucket("classes")
            .key(class)
            .storage_class(aws_sdk_s3::types::StorageClass::from(class))
            .body(ByteStream::from(data.clone()))
            .send()
            .await
            .expect(class);
        let head = s3
            .head_object()
            .bucket("classes")
            .key(class)
            .send()
            .await
            .expect("head");
        // AWS leaves the header out for STANDARD.
        let shown = head.storage_class().map(|c| c.as_str().to_string());
        let expected = (class != "STANDARD").then(|| class.to_string());
        assert_eq!(shown, expected, "{class}");
        if class == "GLACIER" || class == "DEEP_ARCHIVE" {
            continue; // unreadable until restored: tests/glacier.rs
        }
        let got = s3
            .get_object()
            .bucket("classes")
            .key(class)
            .send()
            .await
            .expect("get");
        assert!(body_bytes(got).await == data, "{class}");
    }
}

#[tokio::test]
async fn ranges_return_206_with_content_range_and_416_when_unsatisfiable() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, "ranges").await;
    let data = pattern(3 * 1024 * 1024 + 11, 9);
    common::put(&s3, "ranges", "big", data.clone()).await;
    let size = data.len();
    let cases = [
        ("bytes=0-9", 0..10),
        ("bytes=1048570-2097160", 1048570..2097161),
        (&*format!("bytes={}-", size - 100), size - 100..size),
        ("bytes=-500", size - 500..size),
        (&*format!("bytes=10-{}", size * 2), 10..size),
    ];
    for (range, span) in cases {
        let got = s3
            .get_object()
            .bucket("ranges")
            .key("big")
            .range(range)
            .send()
            .await
            .expect(range);
        assert_eq!(
            got.content_range(),
            Some(format!("bytes {}-{}/{}", span.start, span.end - 1, size).as_str()),
            "{range}"
        );
        assert_eq!(got.content_length(), Some(span.len() as i64));
        assert!(body_bytes(got).await == data[span.clone()], "{range}");
    }
    let err = s3
        .get_object()
        .bucket("ranges")
        .key("big")
        .range(format!("bytes={size}-"))
        .send()
        .await
        .expect_err("416");
    assert_eq!(error_code(&err), "InvalidRange");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(416));
}

#[tokio::test]
async fn conditional_gets_answer_304_and_412() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, "cond").await;
    let put = s3
        .put_object()
        .bucket("cond")
        .key("k")
        .body(ByteStream::from_static(b"hello"))
        .send()
        .await
        .expect("put");
    let etag = put.e_tag().expect("etag").to_string();
    let ok = s3
        .get_object()
        .bucket("cond")
        .key("k")
        .if_match(&etag)
        .send()
        .await
        .expect("if-match ok");
    assert_eq!(body_bytes(ok).await, b"hello");
    let err = s3
        .get_object()
        .bucket("cond")
        .key("k")
        .if_match("\"other\"")
        .send()
        .await
        .expect_err("412");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(412));
    let err = s3
        .get_object()
        .bucket("cond")
        .key("k")
        .if_none_match(&etag)
        .send()
        .await
        .expect_err("304");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(304));
    let future = aws_sdk_s3::primitives::DateTime::from_secs(4_000_000_000);
    let err = s3
        .get_object()
        .bucket("cond")
        .key("k")
        .if_modified_since(future)
        .send()
        .await
        .expect_err("304");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(304));
    let past = aws_sdk_s3::primitives::DateTime::from_secs(1_000_000_000);
    let err = s3
        .get_object()
        .bucket("cond")
        .key("k")
        .if_unmodified_since(past)
        .send()
        .await
        .expect_err("412");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(412));
    // If-Match works together with Range (aws s3 cp's parallel ranged downloads).
    let ranged = s3
        .get_object()
        .bucket("cond")
        .key("k")
        .if_match(&etag)
        .range("bytes=1-3")
        .send()
        .await
        .expect("ranged");
    assert_eq!(body_bytes(ranged).await, b"ell");
}

#[tokio::test]
async fn response_overrides_replace_headers_for_one_response() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, "ovr").await;
    s3.put_object()
        .bucket("ovr")
        .key("k")
        .content_type("text/plain")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .expect("put");
    let got = s3
        .get_object()
        .bucket("ovr")
        .key("k")
        .response_content_type("application/json")
        .response_content_disposition("inline")
        .response_cache_control("no-cache")
        .send()
        .await
        .expect("get");
    assert_eq!(got.content_type(), Some("application/json"));
    assert_eq!(got.content_disposition(), Some("inline"));
    assert_eq!(got.cache_control(), Some("no-cache"));
    let head = s3
        .head_object()
        .bucket("ovr")
        .key("k")
        .send()
        .await
        .expect("head");
    assert_eq!(head.content_type(), Some("text/plain"));
}

#[tokio::test]
async fn conditional_put_if_none_match_star_refuses_an_existing_key() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, "lock").await;
    s3.put_object()
        .bucket("lock")
        .key("state.tflock")
        .if_none_match("*")
        .body(ByteStream::from_static(b"a"))
        .send()
        .await
        .expect("first");
    let err = s3
        .put_object()
        .bucket("lock")
        .key("state.tflock")
        .if_none_match("*")
        .body(ByteStream::from_static(b"b"))
        .send()
        .await
        .expect_err("second");
    assert_eq!(error_code(&err), "PreconditionFailed");
    let got = s3
        .get_object()
        .bucket("lock")
        .key("state.tflock")
        .send()
        .await
        .expect("get");
    assert_eq!(body_bytes(got).await, b"a");
}

#[tokio::test]
async fn overwrite_replaces_the_object_and_delete_removes_it() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, "over").await;
    let big = pattern(2 * 1024 * 1024, 1);
    common::put(&s3, "over", "k", big).await;
    common::put(&s3, "over", "k", b"small now".to_vec()).await;
    let got = s3
        .get_object()
        .bucket("over")
        .key("k")
        .send()
        .await
        .expect("get");
    assert_eq!(body_bytes(got).await, b"small now");
    s3.delete_object()
        .bucket("over")
        .key("k")
        .send()
        .await
        .expect("delete");
    s3.delete_object()
        .bucket("over")
        .key("k")
        .send()
        .await
        .expect("delete of a missing key is 204");
    let err = s3
        .head_object()
        .bucket("over")
        .key("k")
        .send()
        .await
        .expect_err("gone");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(404));
}

#[tokio::test]
async fn delete_objects_reports_each_key_and_quiet_mode_reports_only_errors() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, "multi").await;
    for key in ["a", "b", "c"] {
        common::put(&s3, "multi", key, b"x".to_vec()).await;
    }
    let ids = |keys: &[&str]| {
        keys.iter()
            .map(|k| ObjectIdentifier::builder().key(*k).build().expect("id"))
            .collect::<Vec<_>>()
    };
    let out = s3
        .delete_objects()
        .bucket("multi")
        .delete(
            Delete::builder()
                .set_objects(Some(ids(&["a", "b", "zz"])))
                .build()
                .expect("delete"),
        )
        .send()
        .await
        .expect("delete objects");
    let mut deleted: Vec<_> = out.deleted().iter().filter_map(|d| d.key()).collect();
    deleted.sort();
    assert_eq!(deleted, ["a", "b", "zz"]);
    let quiet = s3
        .delete_objects()
        .bucket("multi")
        .delete(
            Delete::builder()
                .set_objects(Some(ids(&["c"])))
                .quiet(true)
                .build()
                .expect("delete"),
        )
        .send()
        .await
        .expect("quiet");
    assert!(quiet.deleted().is_empty());
    let listed = s3
        .list_objects_v2()
        .bucket("multi")
        .send()
        .await
        .expect("list");
    assert_eq!(listed.key_count(), Some(0));
}

#[tokio::test]
async fn list_objects_v2_prefix_delimiter_pagination_and_start_after() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, "list").await;
    let keys = [
        "a.txt",
        "dir/one",
        "dir/sub/two",
        "dir/three",
        "logs/2026/x",
        "logs/2026/y",
        "z",
        "caf\u{e9} space",
    ];
    for key in keys {
        common::put(&s3, "list", key, b"d".to_vec()).await;
    }
    let top = s3
        .list_objects_v2()
        .bucket("list")
        .delimiter("/")
        .send()
        .await
        .expect("top");
    let objects: Vec<_> = top.contents().iter().filter_map(|o| o.key()).collect();
    let prefixes: Vec<_> = top
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    assert_eq!(objects, ["a.txt", "caf\u{e9} space", "z"]);
    assert_eq!(prefixes, ["dir/", "logs/"]);
    assert_eq!(top.key_count(), Some(5));

    let dir = s3
        .list_objects_v2()
        .bucket("list")
        .prefix("dir/")
        .delimiter("/")
        .send()
        .await
        .expect("dir");
    let objects: Vec<_> = dir.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(objects, ["dir/one", "dir/three"]);
    assert_eq!(
        dir.common_prefixes()
            .iter()
            .filter_map(|p| p.prefix())
            .collect::<Vec<_>>(),
        ["dir/sub/"]
    );

    // Pagination by 2 visits every key exactly once, in order.
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let page = s3
            .list_objects_v2()
            .bucket("list")
            .max_keys(2)
            .set_continuation_token(token.clone())
            .send()
            .await
            .expect("page");
        seen.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_string)),
        );
        if page.is_truncated() != Some(true) {
            break;
        }
        token = page.next_continuation_token().map(str::to_string);
        assert!(token.is_some());
    }
    let mut sorted: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    sorted.sort();
    assert_eq!(seen, sorted);

    let after = s3
        .list_objects_v2()
        .bucket("list")
        .start_after("logs/2026/x")
        .send()
        .await
        .expect("start-after");
    assert_eq!(
        after
            .contents()
            .iter()
            .filter_map(|o| o.key())
            .collect::<Vec<_>>(),
        ["logs/2026/y", "z"]
    );

    // Pagination with a delimiter does not repeat a common prefix.
    let mut entries = Vec::new();
    let mut token = None;
    loop {
        let page = s3
            .list_objects_v2()
            .bucket("list")
            .delimiter("/")
            .max_keys(1)
            .set_continuation_token(token.clone())
            .send()
            .await
            .expect("page");
        entries.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_string)),
        );
        entries.extend(
            page.common_prefixes()
                .iter()
                .filter_map(|p| p.prefix().map(str::to_string)),
        );
        if page.is_truncated() != Some(true) {
            break;
        }
        token = page.next_continuation_token().map(str::to_string);
    }
    assert_eq!(entries, ["a.txt", "caf\u{e9} space", "dir/", "logs/", "z"]);
}

#[tokio::test]
async fn list_objects_v1_markers_and_multi_character_delimiter() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, "listv1").await;
    for key in ["a--b--c", "a--d", "b", "c--e"] {
        common::put(&s3, "listv1", key, b"d".to_vec()).await;
    }
    let out = s3
        .list_objects()
        .bucket("listv1")
        .delimiter("--")
        .send()
        .await
        .expect("v1");
    assert_eq!(
        out.contents()
            .iter()
            .filter_map(|o| o.key())
            .collect::<Vec<_>>(),
        ["b"]
    );
    assert_eq!(
        out.common_prefixes()
            .iter()
            .filter_map(|p| p.prefix())
            .collect::<Vec<_>>(),
        ["a--", "c--"]
    );
    let page = s3
        .list_objects()
        .bucket("listv1")
        .delimiter("--")
        .max_keys(1)
        .send()
        .await
        .expect("page 1");
    assert_eq!(page.is_truncated(), Some(true));
    assert_eq!(page.next_marker(), Some("a--"));
    let page = s3
        .list_objects()
        .bucket("listv1")
        .delimiter("--")
        .marker("a--")
        .send()
        .await
        .expect("page 2");
    assert_eq!(
        page.contents()
            .iter()
            .filter_map(|o| o.key())
            .collect::<Vec<_>>(),
        ["b"]
    );
    assert_eq!(
        page.common_prefixes()
            .iter()
            .filter_map(|p| p.prefix())
            .collect::<Vec<_>>(),
        ["c--"]
    );
    let owner = out.contents()[0].owner().and_then(|o| o.id());
    assert!(owner.is_some_and(|id| !id.is_empty()));
}

#[tokio::test]
async fn keys_of_any_utf8_up_to_1024_bytes_round_trip() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, "keys").await;
    let long = "k".repeat(1024);
    for key in [
        "a b+c?d=e&f#g",
        "\u{65e5}\u{672c}/\u{1f600}",
        "//double//slash/",
        "%41percent",
        long.as_str(),
        "~tilde!*'()",
    ] {
        common::put(&s3, "keys", key, key.as_bytes().to_vec()).await;
        let got = s3
            .get_object()
            .bucket("keys")
            .key(key)
            .send()
            .await
            .expect(key);
        assert_eq!(body_bytes(got).await, key.as_bytes(), "{key}");
    }
    let listed = s3
        .list_objects_v2()
        .bucket("keys")
        .encoding_type(aws_sdk_s3::types::EncodingType::Url)
        .send()
        .await
        .expect("list");
    assert_eq!(listed.key_count(), Some(6));
}

async fn upload_parts(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    parts: &[Vec<u8>],
) -> (String, Vec<CompletedPart>) {
    let upload = s3
        .create_multipart_upload()
        .bucket(bucket)
        .key(key)
        .content_type("video/mp4")
        .metadata("m", "1")
        .send()
        .await
        .expect("create");
    let upload_id = upload.upload_id().expect("upload id").to_string();
    let mut completed = Vec::new();
    for (i, data) in parts.iter().enumerate() {
        let number = i as i32 + 1;
        let out = s3
            .upload_part()
            .bucket(bucket)
            .key(key)
            .upload_id(&upload_id)
            .part_number(number)
            .body(ByteStream::from(data.clone()))
            .send()
            .await
            .expect("upload part");
        completed.push(
            CompletedPart::builder()
                .part_number(number)
                .e_tag(out.e_tag().expect("etag"))
                .build(),
        );
    }
    (upload_id, completed)
}

#[tokio::test]
async fn multipart_upload_completes_atomically_with_md5_of_md5s_etag() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, "mpu").await;
    let parts = vec![
        pattern(5 * 1024 * 1024, 1),
        pattern(5 * 1024 * 1024 + 3, 2),
        pattern(1234, 3),
    ];
    let (upload_id, completed) = upload_parts(&s3, "mpu", "movie", &parts).await;
    // Not visible before completion.
    let err = s3
        .head_object()
        .bucket("mpu")
        .key("movie")
        .send()
        .await
        .expect_err("not yet");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(404));

    let listed = s3
        .list_parts()
        .bucket("mpu")
        .key("movie")
        .upload_id(&upload_id)
        .send()
        .await
        .expect("list parts");
    assert_eq!(listed.parts().len(), 3);
    assert_eq!(listed.parts()[2].size(), Some(1234));
    let uploads = s3
        .list_multipart_uploads()
        .bucket("mpu")
        .send()
        .await
        .expect("uploads");
    assert_eq!(
        uploads
            .uploads()
            .iter()
            .filter_map(|u| u.upload_id())
            .collect::<Vec<_>>(),
        [upload_id.as_str()]
    );

    let done = s3
        .complete_multipart_upload()
        .bucket("mpu")
        .key("movie")
        .upload_id(&upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(completed))
                .build(),
        )
        .send()
        .await
        .expect("complete");
    let mut md5s = Vec::new();
    for part in &parts {
        md5s.extend_from_slice(&<md5::Md5 as md5::Digest>::digest(part));
    }
    let expected = format!(
        "\"{}-3\"",
        hex::encode(<md5::Md5 as md5::Digest>::digest(&md5s))
    );
    assert_eq!(done.e_tag(), Some(expected.as_str()));

    let all: Vec<u8> = parts.concat();
    let got = s3
        .get_object()
        .bucket("mpu")
        .key("movie")
        .send()
        .await
        .expect("get");
    assert_eq!(got.content_type(), Some("video/mp4"));
    assert_eq!(
        got.metadata().and_then(|m| m.get("m")).map(String::as_str),
        Some("1")
    );
    assert!(body_bytes(got).await == all);
    // A range spanning the part boundary.
    let span = 5 * 1024 * 1024 - 10..5 * 1024 * 1024 + 10;
    let got = s3
        .get_object()
        .bucket("mpu")
        .key("movie")
        .range(format!("bytes={}-{}", span.start, span.end - 1))
        .send()
        .await
        .expect("range");
    assert!(body_bytes(got).await == all[span]);
    // partNumber reads one part and reports the part count.
    let got = s3
        .get_object()
        .bucket("mpu")
        .key("movie")
        .part_number(2)
        .send()
        .await
        .expect("part 2");
    assert_eq!(got.parts_count(), Some(3));
    assert!(body_bytes(got).await == parts[1]);
    let uploads = s3
        .list_multipart_uploads()
        .bucket("mpu")
        .send()
        .await
        .expect("uploads");
    assert!(uploads.uploads().is_empty());
}

#[tokio::test]
async fn multipart_errors_entity_too_small_invalid_part_and_order() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, "mperr").await;
    let parts = vec![pattern(1024, 1), pattern(1024, 2)];
    let (upload_id, completed) = upload_parts(&s3, "mperr", "k", &parts).await;
    let complete = |parts: Vec<CompletedPart>| {
        s3.complete_multipart_upload()
            .bucket("mperr")
            .key("k")
            .upload_id(&upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
    };
    let err = complete(completed.clone()).await.expect_err("too small");
    assert_eq!(error_code(&err), "EntityTooSmall");
    let reversed: Vec<_> = completed.iter().rev().cloned().collect();
    let err = complete(reversed).await.expect_err("order");
    assert_eq!(error_code(&err), "InvalidPartOrder");
    let wrong = vec![
        CompletedPart::builder()
            .part_number(1)
            .e_tag("\"00000000000000000000000000000000\"")
            .build(),
    ];
    let err = complete(wrong).await.expect_err("invalid part");
    assert_eq!(error_code(&err), "InvalidPart");
    // A single small last part is fine.
    let only_first = vec![completed[0].clone()];
    complete(only_first).await.expect("single part");
    let got = s3
        .get_object()
        .bucket("mperr")
        .key("k")
        .send()
        .await
        .expect("get");
    assert!(body_bytes(got).await == parts[0]);
}

#[tokio::test]
async fn abort_removes_the_upload_and_later_part_uploads_fail() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, "abort").await;
    let (upload_id, _) = upload_parts(&s3, "abort", "k", &[pattern(1000, 1)]).await;
    s3.abort_multipart_upload()
        .bucket("abort")
        .key("k")
        .upload_id(&upload_id)
        .send()
        .await
        .expect("abort");
    let err = s3
        .upload_part()
        .bucket("abort")
        .key("k")
        .upload_id(&upload_id)
        .part_number(2)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .expect_err("aborted");
    assert_eq!(error_code(&err), "NoSuchUpload");
    let err = s3
        .list_parts()
        .bucket("abort")
        .key("k")
        .upload_id(&upload_id)
        .send()
        .await
        .expect_err("aborted");
    assert_eq!(error_code(&err), "NoSuchUpload");
    s3.delete_bucket()
        .bucket("abort")
        .send()
        .await
        .expect("bucket empty after abort");
}

#[tokio::test]
async fn reuploading_a_part_replaces_it() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, "redo").await;
    let (upload_id, _) = upload_parts(&s3, "redo", "k", &[pattern(100, 1)]).await;
    let again = s3
        .upload_part()
        .bucket("redo")
        .key("k")
        .upload_id(&upload_id)
        .part_number(1)
        .body(ByteStream::from_static(b"second"))
        .send()
        .await
        .expect("re-upload");
    let done = s3
        .complete_multipart_upload()
        .bucket("redo")
        .key("k")
        .upload_id(&upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(
                    CompletedPart::builder()
                        .part_number(1)
                        .e_tag(again.e_tag().expect("etag"))
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("complete");
    assert!(done.e_tag().is_some_and(|e| e.ends_with("-1\"")));
    let got = s3
        .get_object()
        .bucket("redo")
        .key("k")
        .send()
        .await
        .expect("get");
    assert_eq!(body_bytes(got).await, b"second");
}

#[tokio::test]
async fn presigned_get_and_put_urls_work_without_headers() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, "pre").await;
    let config =
        aws_sdk_s3::presigning::PresigningConfig::expires_in(std::time::Duration::from_secs(300))
            .expect("config");
    let put = s3
        .put_object()
        .bucket("pre")
        .key("k")
        .presigned(config.clone())
        .await
        .expect("presign put");
    let url = put.uri().to_string();
    let path = url
        .split_once(&server.addr)
        .expect("host in url")
        .1
        .to_string();
    let response = common::raw_exchange(
        &server.addr,
        &common::raw_request(
            "PUT",
            &path,
            &[("host".into(), server.addr.clone())],
            b"presigned body",
        ),
    );
    assert_eq!(response.status, 200, "{}", response.body_text());
    let get = s3
        .get_object()
        .bucket("pre")
        .key("k")
        .presigned(config)
        .await
        .expect("presign get");
    let path = get
        .uri()
        .split_once(&server.addr)
        .expect("host")
        .1
        .to_string();
    let response = common::raw_exchange(
        &server.addr,
        &common::raw_request("GET", &path, &[("host".into(), server.addr.clone())], b""),
    );
    assert_eq!(response.status, 200);
    assert_eq!(response.body, b"presigned body");
}
