//! Server-side encryption against the real binary. SSE-S3 here: objects written with
//! `x-amz-server-side-encryption: AES256` read back byte-identical (whole, ranged across the
//! 64 KiB packages, copied in and out of encryption, after a restart), say so in their headers,
//! and never reach the data directory in clear — a marker string in them is found nowhere
//! under it, while the same search finds the marker of an unencrypted control object (written
//! to a server started with `--no-default-encryption`). Without that flag every write is
//! encrypted, as on AWS. Multipart uploads encrypt each part under its own key, and read back
//! whole, by part and by range. SSE-C in `sse/customer.rs`, SSE-KMS in `sse/kms.rs`.

mod common;
#[path = "sse/customer.rs"]
mod customer;
#[path = "sse/kms.rs"]
mod kms;

use std::path::Path;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use common::{TestServer, assert_raw_error, signed_exchange};

const BUCKET: &str = "vault";
const SECRET_MARKER: &[u8] = b"SSE-SECRET-MARKER-5b1e9c";
const PLAIN_MARKER: &[u8] = b"SSE-PLAIN-MARKER-04d7aa";
const PLAIN_INLINE_MARKER: &[u8] = b"SSE-PLAIN-INLINE-MARKER-9c2f";

/// `len` bytes of varied data with `marker` written every 1,000 bytes.
fn marked(len: usize, marker: &[u8]) -> Vec<u8> {
    let mut data = common::pattern(len, 5);
    for at in (0..len.saturating_sub(marker.len())).step_by(1000) {
        data[at..at + marker.len()].copy_from_slice(marker);
    }
    data
}

/// Whether any file under `dir` contains `needle`.
fn tree_contains(dir: &Path, needle: &[u8]) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|entry| {
        let path = entry.path();
        if path.is_dir() {
            tree_contains(&path, needle)
        } else {
            std::fs::read(&path).is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle))
        }
    })
}

/// The secret marker is nowhere under `data`, while the search does find the plain one there
/// (so not finding the secret means something).
fn assert_secret_not_on_disk(data: &Path) {
    assert!(
        tree_contains(data, PLAIN_MARKER),
        "the search sees the data"
    );
    assert!(
        !tree_contains(data, SECRET_MARKER),
        "encrypted bytes reached the disk in clear"
    );
}

/// A server that stores writes without encryption headers as sent (`--no-default-encryption`),
/// so that unencrypted control objects can be written beside encrypted ones.
fn plain_server() -> TestServer {
    TestServer::start_with(&["--no-default-encryption"])
}

async fn put_encrypted(s3: &aws_sdk_s3::Client, key: &str, data: &[u8]) -> String {
    let out = s3
        .put_object()
        .bucket(BUCKET)
        .key(key)
        .server_side_encryption(ServerSideEncryption::Aes256)
        .body(ByteStream::from(data.to_vec()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("put {key}: {e:?}"));
    assert_eq!(
        out.server_side_encryption(),
        Some(&ServerSideEncryption::Aes256)
    );
    out.e_tag().unwrap_or_default().to_string()
}

async fn head_of(
    s3: &aws_sdk_s3::Client,
    key: &str,
) -> aws_sdk_s3::operation::head_object::HeadObjectOutput {
    s3.head_object()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("head {key}: {e:?}"))
}

async fn get_range(s3: &aws_sdk_s3::Client, key: &str, range: &str) -> Vec<u8> {
    let out = s3
        .get_object()
        .bucket(BUCKET)
        .key(key)
        .range(range)
        .send()
        .await
        .unwrap_or_else(|e| panic!("get {key} {range}: {e:?}"));
    assert_eq!(
        out.server_side_encryption(),
        Some(&ServerSideEncryption::Aes256)
    );
    out.body
        .collect()
        .await
        .expect("body")
        .into_bytes()
        .to_vec()
}

#[tokio::test]
async fn sse_s3_objects_round_trip_and_never_reach_the_disk_in_clear() {
    let mut server = plain_server();
    let s3 = server.client();
    common::create_bucket(&s3, BUCKET).await;
    // A blob (above the 128 KiB inline threshold) and an inline object, both encrypted; the
    // controls are the same sizes in clear.
    let big = marked(300_000, SECRET_MARKER);
    let small = marked(2_000, SECRET_MARKER);
    let etag = put_encrypted(&s3, "big", &big).await;
    // SSE-S3 keeps the MD5 of the plaintext as the ETag.
    let md5 = hex::encode(<md5::Md5 as md5::Digest>::digest(&big));
    assert_eq!(etag, format!("\"{md5}\""));
    put_encrypted(&s3, "small", &small).await;
    common::put(&s3, BUCKET, "plain-big", marked(300_000, PLAIN_MARKER)).await;
    common::put(
        &s3,
        BUCKET,
        "plain-small",
        marked(2_000, PLAIN_INLINE_MARKER),
    )
    .await;

    assert_eq!(common::get(&s3, BUCKET, "big").await, big);
    assert_eq!(common::get(&s3, BUCKET, "small").await, small);
    let head = head_of(&s3, "big").await;
    assert_eq!(
        head.server_side_encryption(),
        Some(&ServerSideEncryption::Aes256)
    );
    assert_eq!(head.content_length(), Some(300_000));
    assert_eq!(
        head_of(&s3, "plain-big").await.server_side_encryption(),
        None
    );

    // Ranges: the first byte, the last byte, within one package, across three package edges.
    let package = 64 * 1024;
    for (first, last) in [
        (0, 0),
        (299_999, 299_999),
        (70_000, 70_010),
        (package - 6, 3 * package + 10),
    ] {
        let got = get_range(&s3, "big", &format!("bytes={first}-{last}")).await;
        assert_eq!(got, big[first..=last], "bytes {first}-{last}");
    }
    assert_eq!(get_range(&s3, "small", "bytes=-10").await, small[1990..]);

    // On disk: shards and metadata (inline bytes live there). The search does find the
    // unencrypted controls' marker, so not finding the other one means something.
    let data = server.data_dir();
    assert_secret_not_on_disk(&data);
    assert!(
        tree_contains(&data, PLAIN_INLINE_MARKER),
        "the search sees the metadata"
    );

    // The keys are derived from the master key, which outlives the process.
    server.restart();
    let s3 = server.client();
    assert_eq!(common::get(&s3, BUCKET, "big").await, big);
    assert_eq!(common::get(&s3, BUCKET, "small").await, small);
}

#[tokio::test]
async fn copies_move_objects_in_and_out_of_encryption() {
    let server = plain_server();
    let s3 = server.client();
    common::create_bucket(&s3, BUCKET).await;
    let data = marked(200_000, SECRET_MARKER);
    common::put(&s3, BUCKET, "plain", data.clone()).await;
    let copied = s3
        .copy_object()
        .bucket(BUCKET)
        .key("sealed")
        .copy_source(format!("{BUCKET}/plain"))
        .server_side_encryption(ServerSideEncryption::Aes256)
        .send()
        .await
        .expect("copy into encryption");
    assert_eq!(
        copied.server_side_encryption(),
        Some(&ServerSideEncryption::Aes256)
    );
    assert_eq!(get_range(&s3, "sealed", "bytes=0-199999").await, data);
    // Out again: a copy without the header is stored as sent.
    s3.copy_object()
        .bucket(BUCKET)
        .key("open")
        .copy_source(format!("{BUCKET}/sealed"))
        .send()
        .await
        .expect("copy out of encryption");
    let open = s3
        .get_object()
        .bucket(BUCKET)
        .key("open")
        .send()
        .await
        .expect("get");
    assert_eq!(open.server_side_encryption(), None);
    assert_eq!(
        open.body
            .collect()
            .await
            .expect("body")
            .into_bytes()
            .to_vec(),
        data
    );
    // Encrypting an object in place is a legal self-copy.
    s3.copy_object()
        .bucket(BUCKET)
        .key("plain")
        .copy_source(format!("{BUCKET}/plain"))
        .server_side_encryption(ServerSideEncryption::Aes256)
        .send()
        .await
        .expect("encrypt in place");
    assert_eq!(get_range(&s3, "plain", "bytes=0-199999").await, data);

    // UploadPartCopy reads an encrypted source decrypted.
    let create = s3.create_multipart_upload().bucket(BUCKET).key("assembled");
    let upload = create.send().await.expect("create");
    let upload_id = upload.upload_id().expect("upload id");
    let part = s3
        .upload_part_copy()
        .bucket(BUCKET)
        .key("assembled")
        .upload_id(upload_id)
        .part_number(1)
        .copy_source(format!("{BUCKET}/sealed"))
        .copy_source_range("bytes=1000-99999")
        .send()
        .await
        .expect("upload part copy");
    let etag = part
        .copy_part_result()
        .and_then(|r| r.e_tag())
        .expect("etag");
    common::complete_upload(
        &s3,
        BUCKET,
        "assembled",
        upload_id,
        &[(1, etag.to_string())],
    )
    .await;
    assert_eq!(
        common::get(&s3, BUCKET, "assembled").await,
        data[1000..100_000]
    );
}

#[tokio::test]
async fn unknown_encryption_modes_and_sse_c_over_http_are_refused() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, BUCKET).await;
    let put = |headers: &[(&str, &str)]| {
        signed_exchange(&server, "PUT", &format!("/{BUCKET}/x"), headers, b"data")
    };
    assert_raw_error(
        &put(&[("x-amz-server-side-encryption", "AES128")]),
        400,
        "InvalidArgument",
    );
    // SSE-C sends keys: never over plain HTTP (tests/sse/customer.rs has it over HTTPS).
    assert_raw_error(
        &put(&[("x-amz-server-side-encryption-customer-algorithm", "AES256")]),
        400,
        "InvalidRequest",
    );
    let create = signed_exchange(
        &server,
        "POST",
        &format!("/{BUCKET}/x?uploads"),
        &[("x-amz-server-side-encryption", "aws:kms:triple")],
        b"",
    );
    assert_raw_error(&create, 400, "InvalidArgument");
    // Nothing was stored by the refused writes.
    let head = signed_exchange(&server, "HEAD", &format!("/{BUCKET}/x"), &[], b"");
    assert_eq!(head.status, 404);
}

/// Header and per-block hash of the shard file format (src/chunk/shard.rs).
const SHARD_HEADER_LEN: usize = 96;
const BLOCK_HASH_LEN: usize = 32;

#[tokio::test]
async fn tampered_ciphertext_fails_the_read_and_never_returns_wrong_bytes() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, BUCKET).await;
    let data = marked(300_000, SECRET_MARKER);
    put_encrypted(&s3, "victim", &data).await;
    // One stripe (under 4 MiB of data): shard 0 is the first quarter of the ciphertext. Flip a
    // byte of it and write the block's blake3 again, so that the chunk store serves the block
    // as sound and only AES-GCM can notice.
    let shard = common::shard_files(&server.data_dir())
        .into_iter()
        .find(|path| path.extension().is_some_and(|e| e == "0"))
        .expect("a data shard");
    let mut bytes = std::fs::read(&shard).expect("read shard");
    let block_end = bytes.len() - BLOCK_HASH_LEN;
    bytes[SHARD_HEADER_LEN + 10] ^= 0x40;
    let hash = blake3::hash(&bytes[SHARD_HEADER_LEN..block_end]);
    bytes[block_end..].copy_from_slice(hash.as_bytes());
    std::fs::write(&shard, &bytes).expect("write shard");

    let outcome = match s3.get_object().bucket(BUCKET).key("victim").send().await {
        Err(err) => Err(format!("{err:?}")),
        Ok(out) => out
            .body
            .collect()
            .await
            .map(|body| body.into_bytes().to_vec())
            .map_err(|err| format!("{err:?}")),
    };
    if let Ok(body) = outcome {
        let what = if body == data { "original" } else { "altered" };
        panic!(
            "a tampered object was served ({} bytes, {what})",
            body.len()
        );
    }
    // Untouched packages still read: a range past the first shard's bytes.
    let tail = get_range(&s3, "victim", "bytes=200000-299999").await;
    assert_eq!(tail, data[200_000..]);
}

#[tokio::test]
async fn multipart_uploads_encrypt_every_part_and_read_back_whole_by_part_and_by_range() {
    let server = plain_server();
    let s3 = server.client();
    common::create_bucket(&s3, BUCKET).await;
    let first = marked(5 * 1024 * 1024, SECRET_MARKER);
    let second = marked(5 * 1024 * 1024 + 1_000, SECRET_MARKER);
    let copied_source = marked(700_000, PLAIN_MARKER);
    common::put(&s3, BUCKET, "source", copied_source.clone()).await;
    let upload = s3
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("big")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .send()
        .await
        .expect("create");
    assert_eq!(
        upload.server_side_encryption(),
        Some(&ServerSideEncryption::Aes256)
    );
    let upload_id = upload.upload_id().expect("upload id");
    let upload_part = |number: i32, data: Vec<u8>| {
        s3.upload_part()
            .bucket(BUCKET)
            .key("big")
            .upload_id(upload_id)
            .part_number(number)
            .body(ByteStream::from(data))
            .send()
    };
    // Part 1 is uploaded twice: the second upload replaces the first (under a key of its own).
    upload_part(1, second.clone())
        .await
        .expect("part 1, first try");
    let one = upload_part(1, first.clone()).await.expect("part 1");
    assert_eq!(
        one.server_side_encryption(),
        Some(&ServerSideEncryption::Aes256)
    );
    let two = upload_part(2, second.clone()).await.expect("part 2");
    let three = s3
        .upload_part_copy()
        .bucket(BUCKET)
        .key("big")
        .upload_id(upload_id)
        .part_number(3)
        .copy_source(format!("{BUCKET}/source"))
        .send()
        .await
        .expect("part 3 copied");
    let parts = [
        (1, one.e_tag().expect("etag").to_string()),
        (2, two.e_tag().expect("etag").to_string()),
        (
            3,
            three
                .copy_part_result()
                .and_then(|r| r.e_tag())
                .expect("etag")
                .to_string(),
        ),
    ];
    let done = common::complete_upload(&s3, BUCKET, "big", upload_id, &parts).await;
    assert_eq!(
        done.server_side_encryption(),
        Some(&ServerSideEncryption::Aes256)
    );

    let whole = [first.as_slice(), &second, &copied_source].concat();
    assert_eq!(common::get(&s3, BUCKET, "big").await, whole);
    // A range across the first part boundary and one across the second.
    let edge = first.len();
    for (from, to) in [
        (edge - 100, edge + 99),
        (edge + second.len() - 5, edge + second.len() + 70_000),
    ] {
        let got = get_range(&s3, "big", &format!("bytes={from}-{to}")).await;
        assert_eq!(got, whole[from..=to], "bytes {from}-{to}");
    }
    let part_two = s3
        .get_object()
        .bucket(BUCKET)
        .key("big")
        .part_number(2)
        .send()
        .await
        .expect("part 2");
    assert_eq!(
        part_two
            .body
            .collect()
            .await
            .expect("body")
            .into_bytes()
            .to_vec(),
        second
    );
    // The source's marker is on disk in clear (it was stored so); the parts' never.
    assert_secret_not_on_disk(&server.data_dir());
}

#[tokio::test]
async fn a_bucket_default_encrypts_writes_without_headers() {
    use aws_sdk_s3::types::{
        ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    };
    let server = plain_server();
    let s3 = server.client();
    common::create_bucket(&s3, BUCKET).await;
    let none = signed_exchange(&server, "GET", &format!("/{BUCKET}?encryption"), &[], b"");
    assert_raw_error(&none, 404, "ServerSideEncryptionConfigurationNotFoundError");

    let rule = ServerSideEncryptionRule::builder()
        .apply_server_side_encryption_by_default(
            ServerSideEncryptionByDefault::builder()
                .sse_algorithm(ServerSideEncryption::Aes256)
                .build()
                .expect("default"),
        )
        .build();
    s3.put_bucket_encryption()
        .bucket(BUCKET)
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(rule)
                .build()
                .expect("configuration"),
        )
        .send()
        .await
        .expect("put bucket encryption");
    let got = s3
        .get_bucket_encryption()
        .bucket(BUCKET)
        .send()
        .await
        .expect("get bucket encryption");
    let algorithm = got
        .server_side_encryption_configuration()
        .and_then(|c| c.rules().first())
        .and_then(|r| r.apply_server_side_encryption_by_default())
        .map(|d| d.sse_algorithm().clone());
    assert_eq!(algorithm, Some(ServerSideEncryption::Aes256));

    // No header: the bucket's default applies, to single PUTs and multipart uploads alike.
    let data = marked(200_000, SECRET_MARKER);
    let put = s3
        .put_object()
        .bucket(BUCKET)
        .key("defaulted")
        .body(ByteStream::from(data.clone()))
        .send()
        .await
        .expect("put");
    assert_eq!(
        put.server_side_encryption(),
        Some(&ServerSideEncryption::Aes256)
    );
    assert_eq!(get_range(&s3, "defaulted", "bytes=0-199999").await, data);
    let completed = common::multipart_upload(
        &s3,
        s3.create_multipart_upload().bucket(BUCKET).key("parts"),
        std::slice::from_ref(&data),
    )
    .await;
    assert_eq!(
        completed.server_side_encryption(),
        Some(&ServerSideEncryption::Aes256)
    );
    assert!(!tree_contains(&server.data_dir(), SECRET_MARKER));

    // Refused configurations change nothing.
    let put_config = |body: &str| {
        signed_exchange(
            &server,
            "PUT",
            &format!("/{BUCKET}?encryption"),
            &[],
            body.as_bytes(),
        )
    };
    let unknown = "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>\
               <SSEAlgorithm>AES128</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule>\
               </ServerSideEncryptionConfiguration>";
    assert_raw_error(&put_config(unknown), 400, "MalformedXML");
    assert_raw_error(
        &put_config("<ServerSideEncryptionConfiguration/>"),
        400,
        "MalformedXML",
    );

    let deleted = signed_exchange(
        &server,
        "DELETE",
        &format!("/{BUCKET}?encryption"),
        &[],
        b"",
    );
    assert_eq!(deleted.status, 204);
    let plain = s3
        .put_object()
        .bucket(BUCKET)
        .key("after")
        .body(ByteStream::from_static(b"clear"))
        .send()
        .await
        .expect("put");
    assert_eq!(plain.server_side_encryption(), None);
}

#[tokio::test]
async fn a_bucket_policy_can_require_encrypted_uploads() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, BUCKET).await;
    // AWS's documented pattern: deny uploads with another algorithm, and uploads without one.
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[
            {{"Sid":"WrongAlgorithm","Effect":"Deny","Principal":"*","Action":"s3:PutObject",
              "Resource":"arn:aws:s3:::{BUCKET}/*",
              "Condition":{{"StringNotEquals":{{"s3:x-amz-server-side-encryption":"AES256"}}}}}},
            {{"Sid":"NoAlgorithm","Effect":"Deny","Principal":"*","Action":"s3:PutObject",
              "Resource":"arn:aws:s3:::{BUCKET}/*",
              "Condition":{{"Null":{{"s3:x-amz-server-side-encryption":"true"}}}}}}]}}"#
    );
    s3.put_bucket_policy()
        .bucket(BUCKET)
        .policy(policy)
        .send()
        .await
        .expect("policy");
    let refused = s3
        .put_object()
        .bucket(BUCKET)
        .key("clear")
        .body(ByteStream::from_static(b"data"))
        .send()
        .await
        .expect_err("an upload in clear is denied");
    common::assert_sdk_error(&refused, 403, "AccessDenied");
    put_encrypted(&s3, "sealed", b"data").await;
    assert_eq!(common::get(&s3, BUCKET, "sealed").await, b"data");
}

#[tokio::test]
async fn the_server_encrypts_writes_without_headers_by_default() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, BUCKET).await;
    // Without a configuration, GetBucketEncryption answers the rule every write gets (AWS's
    // answer since January 2023), and deleting the configuration leaves that rule.
    let implicit = |response: common::RawResponse| {
        assert_eq!(response.status, 200, "{}", response.body_text());
        let body = response.body_text();
        assert_eq!(
            common::xml_value(&body, "SSEAlgorithm").as_deref(),
            Some("AES256"),
            "{body}"
        );
        assert_eq!(
            common::xml_value(&body, "BucketKeyEnabled").as_deref(),
            Some("false")
        );
    };
    let path = format!("/{BUCKET}?encryption");
    implicit(signed_exchange(&server, "GET", &path, &[], b""));
    let deleted = signed_exchange(&server, "DELETE", &path, &[], b"");
    assert_eq!(deleted.status, 204);
    implicit(signed_exchange(&server, "GET", &path, &[], b""));

    // Single PUTs (blob and inline), multipart uploads and copies without headers.
    let data = marked(200_000, SECRET_MARKER);
    let small = marked(3_000, SECRET_MARKER);
    for (key, body) in [("blob", &data), ("inline", &small)] {
        let put = s3
            .put_object()
            .bucket(BUCKET)
            .key(key)
            .metadata("note", String::from_utf8_lossy(PLAIN_MARKER))
            .body(ByteStream::from(body.clone()))
            .send()
            .await
            .expect("put");
        assert_eq!(
            put.server_side_encryption(),
            Some(&ServerSideEncryption::Aes256)
        );
    }
    let completed = common::multipart_upload(
        &s3,
        s3.create_multipart_upload().bucket(BUCKET).key("parts"),
        std::slice::from_ref(&data),
    )
    .await;
    assert_eq!(
        completed.server_side_encryption(),
        Some(&ServerSideEncryption::Aes256)
    );
    let copy = s3
        .copy_object()
        .bucket(BUCKET)
        .key("copy")
        .copy_source(format!("{BUCKET}/blob"))
        .send()
        .await
        .expect("copy");
    assert_eq!(
        copy.server_side_encryption(),
        Some(&ServerSideEncryption::Aes256)
    );
    for key in ["blob", "parts", "copy"] {
        assert_eq!(common::get(&s3, BUCKET, key).await, data, "{key}");
        assert_eq!(
            head_of(&s3, key).await.server_side_encryption(),
            Some(&ServerSideEncryption::Aes256)
        );
    }
    assert_eq!(common::get(&s3, BUCKET, "inline").await, small);
    // Metadata is not encrypted (nor is it on AWS): the search finds the marker kept there,
    // and never the one in the bytes.
    let dir = server.data_dir();
    assert!(
        tree_contains(&dir, PLAIN_MARKER),
        "the search sees the data"
    );
    assert!(!tree_contains(&dir, SECRET_MARKER));
}

#[tokio::test]
async fn lifecycle_transitions_keep_the_encryption() {
    use aws_sdk_s3::types::{
        BucketLifecycleConfiguration, ExpirationStatus, LifecycleRule, LifecycleRuleFilter,
        Transition, TransitionStorageClass,
    };
    let server = TestServer::start_with(&["--lifecycle-day-seconds", "0.05"]);
    let s3 = server.client();
    common::create_bucket(&s3, BUCKET).await;
    let data = marked(300_000, SECRET_MARKER);
    put_encrypted(&s3, "sse-s3", &data).await;
    s3.put_object()
        .bucket(BUCKET)
        .key("sse-kms")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .body(ByteStream::from(data.clone()))
        .send()
        .await
        .expect("put SSE-KMS");
    let kms_key = head_of(&s3, "sse-kms")
        .await
        .ssekms_key_id()
        .map(str::to_string);
    // GLACIER_IR re-encodes the bytes into the archive layout (RS(8,4)).
    let rule = LifecycleRule::builder()
        .id("archive")
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("").build())
        .transitions(
            Transition::builder()
                .days(1)
                .storage_class(TransitionStorageClass::GlacierIr)
                .build(),
        )
        .build()
        .expect("rule");
    s3.put_bucket_lifecycle_configuration()
        .bucket(BUCKET)
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .rules(rule)
                .build()
                .expect("configuration"),
        )
        .send()
        .await
        .expect("put lifecycle");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    for key in ["sse-s3", "sse-kms"] {
        loop {
            let head = head_of(&s3, key).await;
            if head.storage_class().map(|c| c.as_str()) == Some("GLACIER_IR") {
                let expected = if key == "sse-s3" {
                    ServerSideEncryption::Aes256
                } else {
                    ServerSideEncryption::AwsKms
                };
                assert_eq!(head.server_side_encryption(), Some(&expected), "{key}");
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{key} never moved to GLACIER_IR\n{}",
                server.log()
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(common::get(&s3, BUCKET, key).await, data, "{key}");
    }
    assert_eq!(
        head_of(&s3, "sse-kms")
            .await
            .ssekms_key_id()
            .map(str::to_string),
        kms_key
    );
    assert_eq!(
        get_range(&s3, "sse-s3", "bytes=65530-196620").await,
        data[65_530..=196_620]
    );
    assert!(!tree_contains(&server.data_dir(), SECRET_MARKER));
}
