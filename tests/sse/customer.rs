//! SSE-C against the real binary over HTTPS (AWS refuses it over HTTP; `sse.rs` checks that):
//! objects encrypted with a key the client brings read back only with that key; a request
//! without it, with another key or with a wrong key MD5 gets AWS's errors; copies and
//! multipart uploads carry the key for source and destination; neither the objects' marker nor
//! the key reaches the data directory.

use aws_sdk_s3::primitives::ByteStream;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::common;
use super::{BUCKET, SECRET_MARKER, marked, tree_contains};

/// A customer key: its base64 and the base64 of its MD5, as the headers carry them.
struct Key {
    raw: [u8; 32],
    b64: String,
    md5: String,
}

fn key(seed: u8) -> Key {
    let raw: [u8; 32] = std::array::from_fn(|i| seed.wrapping_mul(31).wrapping_add(i as u8 * 7));
    Key {
        raw,
        b64: BASE64.encode(raw),
        md5: BASE64.encode(<md5::Md5 as md5::Digest>::digest(raw)),
    }
}

async fn https_server(dir: &std::path::Path) -> (common::TestServer, aws_sdk_s3::Client) {
    let (server, ca) = common::start_https_server(dir);
    let s3 = common::s3_client(&server.endpoint, Some(&ca));
    common::create_bucket(&s3, BUCKET).await;
    (server, s3)
}

async fn put_with(s3: &aws_sdk_s3::Client, name: &str, data: &[u8], key: &Key) -> String {
    let out = s3
        .put_object()
        .bucket(BUCKET)
        .key(name)
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key.b64)
        .sse_customer_key_md5(&key.md5)
        .body(ByteStream::from(data.to_vec()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("put {name}: {e:?}"));
    assert_eq!(out.sse_customer_algorithm(), Some("AES256"));
    assert_eq!(out.sse_customer_key_md5(), Some(key.md5.as_str()));
    // SSE-C says so with its own headers, not x-amz-server-side-encryption.
    assert_eq!(out.server_side_encryption(), None);
    out.e_tag().unwrap_or_default().to_string()
}

async fn get_with(s3: &aws_sdk_s3::Client, name: &str, key: &Key, range: Option<&str>) -> Vec<u8> {
    let out = s3
        .get_object()
        .bucket(BUCKET)
        .key(name)
        .set_range(range.map(str::to_string))
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key.b64)
        .sse_customer_key_md5(&key.md5)
        .send()
        .await
        .unwrap_or_else(|e| panic!("get {name}: {e:?}"));
    assert_eq!(out.sse_customer_algorithm(), Some("AES256"));
    assert_eq!(out.sse_customer_key_md5(), Some(key.md5.as_str()));
    out.body
        .collect()
        .await
        .expect("body")
        .into_bytes()
        .to_vec()
}

/// A GET with these SSE-C headers, which must fail.
async fn get_fails(
    s3: &aws_sdk_s3::Client,
    name: &str,
    key_b64: &str,
    key_md5: &str,
) -> aws_sdk_s3::error::SdkError<aws_sdk_s3::operation::get_object::GetObjectError> {
    s3.get_object()
        .bucket(BUCKET)
        .key(name)
        .sse_customer_algorithm("AES256")
        .sse_customer_key(key_b64)
        .sse_customer_key_md5(key_md5)
        .send()
        .await
        .expect_err("the GET must fail")
}

#[tokio::test]
async fn sse_c_objects_need_their_key_and_keep_it_off_the_disk() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (server, s3) = https_server(dir.path()).await;
    let right = key(1);
    let wrong = key(2);
    let data = marked(300_000, SECRET_MARKER);
    let etag = put_with(&s3, "locked", &data, &right).await;
    // The ETag of an SSE-C object is not the MD5 of its data.
    let md5 = hex::encode(<md5::Md5 as md5::Digest>::digest(&data));
    assert_ne!(etag.trim_matches('"'), md5);
    assert_eq!(etag.trim_matches('"').len(), 32);

    assert_eq!(get_with(&s3, "locked", &right, None).await, data);
    let package = 64 * 1024;
    for (first, last) in [(0, 0), (299_999, 299_999), (package - 3, 3 * package + 3)] {
        let range = format!("bytes={first}-{last}");
        let got = get_with(&s3, "locked", &right, Some(&range)).await;
        assert_eq!(got, data[first..=last], "{range}");
    }
    let head = s3
        .head_object()
        .bucket(BUCKET)
        .key("locked")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&right.b64)
        .sse_customer_key_md5(&right.md5)
        .send()
        .await
        .expect("head with the key");
    assert_eq!(head.content_length(), Some(300_000));
    assert_eq!(head.sse_customer_key_md5(), Some(right.md5.as_str()));

    // Without the key: 400 InvalidRequest, for GET and HEAD (HEAD has no body to carry a code).
    let err = s3
        .get_object()
        .bucket(BUCKET)
        .key("locked")
        .send()
        .await
        .expect_err("no key");
    common::assert_sdk_error(&err, 400, "InvalidRequest");
    let err = s3
        .head_object()
        .bucket(BUCKET)
        .key("locked")
        .send()
        .await
        .expect_err("no key");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(400));
    // Another key: 403 AccessDenied.
    let err = get_fails(&s3, "locked", &wrong.b64, &wrong.md5).await;
    common::assert_sdk_error(&err, 403, "AccessDenied");
    // The right key with the MD5 of another: 400 InvalidArgument.
    let err = get_fails(&s3, "locked", &right.b64, &wrong.md5).await;
    common::assert_sdk_error(&err, 400, "InvalidArgument");
    // A key of the wrong length, and an algorithm other than AES256.
    let err = s3
        .put_object()
        .bucket(BUCKET)
        .key("short")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(BASE64.encode([1u8; 16]))
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .expect_err("short key");
    common::assert_sdk_error(&err, 400, "InvalidArgument");
    let err = s3
        .put_object()
        .bucket(BUCKET)
        .key("other")
        .sse_customer_algorithm("AES128")
        .sse_customer_key(&right.b64)
        .sse_customer_key_md5(&right.md5)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .expect_err("other algorithm");
    common::assert_sdk_error(&err, 400, "InvalidEncryptionAlgorithmError");
    // SSE-C headers on an object that is not SSE-C: 400 InvalidRequest.
    common::put(&s3, BUCKET, "s3-managed", b"plain".to_vec()).await;
    let err = get_fails(&s3, "s3-managed", &right.b64, &right.md5).await;
    common::assert_sdk_error(&err, 400, "InvalidRequest");
    // Both SSE-C and x-amz-server-side-encryption: 400 InvalidArgument.
    let err = s3
        .put_object()
        .bucket(BUCKET)
        .key("both")
        .server_side_encryption(aws_sdk_s3::types::ServerSideEncryption::Aes256)
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&right.b64)
        .sse_customer_key_md5(&right.md5)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .expect_err("both modes");
    common::assert_sdk_error(&err, 400, "InvalidArgument");

    // Neither the marker nor the key, raw or base64, is anywhere under the data directory.
    let data_dir = server.data_dir();
    assert!(!tree_contains(&data_dir, SECRET_MARKER));
    assert!(!tree_contains(&data_dir, &right.raw));
    assert!(!tree_contains(&data_dir, right.b64.as_bytes()));
}

#[tokio::test]
async fn sse_c_copies_and_multipart_uploads_carry_the_keys() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (server, s3) = https_server(dir.path()).await;
    let (first_key, second_key) = (key(3), key(4));
    let data = marked(200_000, SECRET_MARKER);
    put_with(&s3, "source", &data, &first_key).await;

    // CopyObject needs the source's key in the copy-source headers.
    let err = s3
        .copy_object()
        .bucket(BUCKET)
        .key("copy")
        .copy_source(format!("{BUCKET}/source"))
        .send()
        .await
        .expect_err("no source key");
    common::assert_sdk_error(&err, 400, "InvalidRequest");
    // Re-encrypted under another customer key...
    let copied = s3
        .copy_object()
        .bucket(BUCKET)
        .key("copy")
        .copy_source(format!("{BUCKET}/source"))
        .copy_source_sse_customer_algorithm("AES256")
        .copy_source_sse_customer_key(&first_key.b64)
        .copy_source_sse_customer_key_md5(&first_key.md5)
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&second_key.b64)
        .sse_customer_key_md5(&second_key.md5)
        .send()
        .await
        .expect("copy to another key");
    assert_eq!(copied.sse_customer_key_md5(), Some(second_key.md5.as_str()));
    assert_eq!(get_with(&s3, "copy", &second_key, None).await, data);
    // ...and to SSE-S3 (the server's default).
    let opened = s3
        .copy_object()
        .bucket(BUCKET)
        .key("managed")
        .copy_source(format!("{BUCKET}/source"))
        .copy_source_sse_customer_algorithm("AES256")
        .copy_source_sse_customer_key(&first_key.b64)
        .copy_source_sse_customer_key_md5(&first_key.md5)
        .send()
        .await
        .expect("copy to SSE-S3");
    assert_eq!(
        opened.server_side_encryption(),
        Some(&aws_sdk_s3::types::ServerSideEncryption::Aes256)
    );
    assert_eq!(common::get(&s3, BUCKET, "managed").await, data);

    // A multipart upload under SSE-C: every part needs the upload's key.
    let upload = s3
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("parts")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&second_key.b64)
        .sse_customer_key_md5(&second_key.md5)
        .send()
        .await
        .expect("create");
    assert_eq!(upload.sse_customer_key_md5(), Some(second_key.md5.as_str()));
    let upload_id = upload.upload_id().expect("upload id");
    let part_one = marked(5 * 1024 * 1024, SECRET_MARKER);
    // (The refused parts are small: the answer comes before the body is read.)
    let upload_part = |with: Option<&Key>, body: &[u8]| {
        s3.upload_part()
            .bucket(BUCKET)
            .key("parts")
            .upload_id(upload_id)
            .part_number(1)
            .set_sse_customer_algorithm(with.map(|_| "AES256".to_string()))
            .set_sse_customer_key(with.map(|k| k.b64.clone()))
            .set_sse_customer_key_md5(with.map(|k| k.md5.clone()))
            .body(ByteStream::from(body.to_vec()))
            .send()
    };
    let err = upload_part(None, b"small")
        .await
        .expect_err("part without the key");
    common::assert_sdk_error(&err, 400, "InvalidRequest");
    let err = upload_part(Some(&first_key), b"small")
        .await
        .expect_err("part with another key");
    common::assert_sdk_error(&err, 403, "AccessDenied");
    let one = upload_part(Some(&second_key), &part_one)
        .await
        .expect("part 1");
    assert_eq!(one.sse_customer_key_md5(), Some(second_key.md5.as_str()));
    // UploadPartCopy from the SSE-C source: the source's key, and the upload's.
    let two = s3
        .upload_part_copy()
        .bucket(BUCKET)
        .key("parts")
        .upload_id(upload_id)
        .part_number(2)
        .copy_source(format!("{BUCKET}/source"))
        .copy_source_sse_customer_algorithm("AES256")
        .copy_source_sse_customer_key(&first_key.b64)
        .copy_source_sse_customer_key_md5(&first_key.md5)
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&second_key.b64)
        .sse_customer_key_md5(&second_key.md5)
        .send()
        .await
        .expect("part 2 copied");
    let parts = [
        (1, one.e_tag().expect("etag").to_string()),
        (
            2,
            two.copy_part_result()
                .and_then(|r| r.e_tag())
                .expect("etag")
                .to_string(),
        ),
    ];
    common::complete_upload(&s3, BUCKET, "parts", upload_id, &parts).await;
    let whole = [part_one.as_slice(), &data].concat();
    assert_eq!(get_with(&s3, "parts", &second_key, None).await, whole);
    let edge = part_one.len();
    let range = format!("bytes={}-{}", edge - 10, edge + 10);
    assert_eq!(
        get_with(&s3, "parts", &second_key, Some(&range)).await,
        whole[edge - 10..=edge + 10]
    );
    let by_part = s3
        .get_object()
        .bucket(BUCKET)
        .key("parts")
        .part_number(2)
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&second_key.b64)
        .sse_customer_key_md5(&second_key.md5)
        .send()
        .await
        .expect("part 2");
    assert_eq!(
        by_part
            .body
            .collect()
            .await
            .expect("body")
            .into_bytes()
            .to_vec(),
        data
    );
    let err = s3
        .get_object()
        .bucket(BUCKET)
        .key("parts")
        .send()
        .await
        .expect_err("no key");
    common::assert_sdk_error(&err, 400, "InvalidRequest");

    let data_dir = server.data_dir();
    assert!(!tree_contains(&data_dir, SECRET_MARKER));
    for key in [&first_key, &second_key] {
        assert!(!tree_contains(&data_dir, &key.raw));
        assert!(!tree_contains(&data_dir, key.b64.as_bytes()));
    }
}
