//! Checksums, copies, conditional writes, tagging, GetObjectAttributes and the configuration
//! probes real tools send — through aws-sdk-s3 and raw HTTP against the real binary.

mod common;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, ChecksumMode, CompletedMultipartUpload, CompletedPart, MetadataDirective,
    ObjectAttributes, Tag, Tagging, TaggingDirective,
};
use base64::Engine;
use common::{TestServer, pattern};

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn crc32_b64(data: &[u8]) -> String {
    b64(&crc32fast::hash(data).to_be_bytes())
}

fn sha256_b64(data: &[u8]) -> String {
    use sha2::Digest;
    b64(&sha2::Sha256::digest(data))
}

fn code<E: aws_sdk_s3::error::ProvideErrorMetadata>(err: &E) -> String {
    err.code().unwrap_or_default().to_string()
}

fn status<E, R: std::fmt::Debug>(
    err: &aws_sdk_s3::error::SdkError<E, aws_smithy_runtime_api::http::Response<R>>,
) -> u16 {
    err.raw_response().map(|r| r.status().as_u16()).unwrap_or(0)
}

#[tokio::test]
async fn header_checksums_are_verified_stored_and_returned_with_checksum_mode() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, "sums").await;
    let data = pattern(300 * 1024, 1);
    for (algorithm, expected) in [
        (ChecksumAlgorithm::Crc32, crc32_b64(&data)),
        (ChecksumAlgorithm::Sha256, sha256_b64(&data)),
    ] {
        let key = format!("obj-{}", algorithm.as_str());
        let put = s3
            .put_object()
            .bucket("sums")
            .key(&key)
            .checksum_algorithm(algorithm.clone())
            .body(ByteStream::from(data.clone()))
            .send()
            .await
            .expect("put with checksum");
        let returned = put.checksum_crc32().or(put.checksum_sha256());
        assert_eq!(returned, Some(expected.as_str()));
        let head = s3
            .head_object()
            .bucket("sums")
            .key(&key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
            .expect("head");
        assert_eq!(
            head.checksum_crc32().or(head.checksum_sha256()),
            Some(expected.as_str())
        );
        let get = s3
            .get_object()
            .bucket("sums")
            .key(&key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
            .expect("get");
        assert_eq!(
            get.checksum_crc32().or(get.checksum_sha256()),
            Some(expected.as_str())
        );
    }
    // Without a requested checksum, the CRC64NVME default is stored, as on AWS.
    let path = "/sums/plain";
    let response = common::raw_exchange(
        &server.addr,
        &common::signed_request("PUT", &server.addr, path, &[], b"plain body"),
    );
    assert_eq!(response.status, 200);
    assert!(
        response.header("x-amz-checksum-crc64nvme").is_some(),
        "{:?}",
        response.headers
    );
}

#[tokio::test]
async fn a_wrong_header_checksum_is_bad_digest_and_nothing_is_stored() {
    let server = TestServer::start();
    common::create_bucket(&server.client(), "badsum").await;
    let wrong = crc32_b64(b"something else");
    for (path, body) in [
        ("/badsum/small", b"tiny".to_vec()),
        ("/badsum/big", pattern(400 * 1024, 2)),
    ] {
        let request = common::signed_request(
            "PUT",
            &server.addr,
            path,
            &[("x-amz-checksum-crc32", &wrong)],
            &body,
        );
        let response = common::raw_exchange(&server.addr, &request);
        assert_eq!(response.status, 400, "{}", response.body_text());
        assert_eq!(response.error_code(), "BadDigest");
        let get = common::raw_exchange(
            &server.addr,
            &common::signed_request("GET", &server.addr, path, &[], b""),
        );
        assert_eq!(get.status, 404);
    }
    let garbage = common::signed_request(
        "PUT",
        &server.addr,
        "/badsum/x",
        &[("x-amz-checksum-crc32", "!!")],
        b"x",
    );
    assert_eq!(
        common::raw_exchange(&server.addr, &garbage).error_code(),
        "InvalidRequest"
    );
}

async fn multipart_with_checksums(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    parts: &[Vec<u8>],
    kind: Option<aws_sdk_s3::types::ChecksumType>,
) -> aws_sdk_s3::operation::complete_multipart_upload::CompleteMultipartUploadOutput {
    let upload = s3
        .create_multipart_upload()
        .bucket(bucket)
        .key(key)
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .set_checksum_type(kind)
        .send()
        .await
        .expect("create");
    let id = upload.upload_id().expect("id");
    let mut completed = Vec::new();
    for (i, data) in parts.iter().enumerate() {
        let out = s3
            .upload_part()
            .bucket(bucket)
            .key(key)
            .upload_id(id)
            .part_number(i as i32 + 1)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .body(ByteStream::from(data.clone()))
            .send()
            .await
            .expect("part");
        assert_eq!(out.checksum_crc32(), Some(crc32_b64(data).as_str()));
        completed.push(
            CompletedPart::builder()
                .part_number(i as i32 + 1)
                .e_tag(out.e_tag().expect("etag"))
                .checksum_crc32(out.checksum_crc32().expect("crc"))
                .build(),
        );
    }
    let listed = s3
        .list_parts()
        .bucket(bucket)
        .key(key)
        .upload_id(id)
        .send()
        .await
        .expect("list parts");
    assert_eq!(
        listed.parts()[0].checksum_crc32(),
        Some(crc32_b64(&parts[0]).as_str())
    );
    s3.complete_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(completed))
                .build(),
        )
        .send()
        .await
        .expect("complete")
}

#[tokio::test]
async fn multipart_checksums_composite_and_full_object() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, "mpsum").await;
    let parts = vec![pattern(5 * 1024 * 1024, 1), pattern(1000, 2)];
    let composite = multipart_with_checksums(&s3, "mpsum", "composite", &parts, None).await;
    let mut digests = Vec::new();
    for part in &parts {
        digests.extend_from_slice(&crc32fast::hash(part).to_be_bytes());
    }
    let expected = format!("{}-2", crc32_b64(&digests));
    assert_eq!(composite.checksum_crc32(), Some(expected.as_str()));

    let full = multipart_with_checksums(
        &s3,
        "mpsum",
        "full",
        &parts,
        Some(aws_sdk_s3::types::ChecksumType::FullObject),
    )
    .await;
    assert_eq!(
        full.checksum_crc32(),
        Some(crc32_b64(&parts.concat()).as_str())
    );
    let head = s3
        .head_object()
        .bucket("mpsum")
        .key("full")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .expect("head");
    assert_eq!(
        head.checksum_crc32(),
        Some(crc32_b64(&parts.concat()).as_str())
    );
    assert_eq!(
        head.checksum_type().map(|t| t.as_str()),
        Some("FULL_OBJECT")
    );

    let attributes = s3
        .get_object_attributes()
        .bucket("mpsum")
        .key("composite")
        .object_attributes(ObjectAttributes::Etag)
        .object_attributes(ObjectAttributes::Checksum)
        .object_attributes(ObjectAttributes::ObjectParts)
        .object_attributes(ObjectAttributes::ObjectSize)
        .object_attributes(ObjectAttributes::StorageClass)
        .send()
        .await
        .expect("attributes");
    assert_eq!(
        attributes.object_size(),
        Some((5 * 1024 * 1024 + 1000) as i64)
    );
    assert_eq!(
        attributes.storage_class().map(|c| c.as_str()),
        Some("STANDARD")
    );
    assert_eq!(
        attributes.checksum().and_then(|c| c.checksum_crc32()),
        Some(expected.as_str())
    );
    let object_parts = attributes.object_parts().expect("parts");
    assert_eq!(object_parts.total_parts_count(), Some(2));
    assert_eq!(object_parts.parts()[1].size(), Some(1000));
    assert!(
        attributes
            .e_tag()
            .is_some_and(|e| e.ends_with("-2") && !e.starts_with('"'))
    );
}

#[tokio::test]
async fn a_part_checksum_mismatch_in_complete_is_invalid_part() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, "mpbad").await;
    let upload = s3
        .create_multipart_upload()
        .bucket("mpbad")
        .key("k")
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .send()
        .await
        .expect("create");
    let id = upload.upload_id().expect("id");
    let out = s3
        .upload_part()
        .bucket("mpbad")
        .key("k")
        .upload_id(id)
        .part_number(1)
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .body(ByteStream::from_static(b"part one"))
        .send()
        .await
        .expect("part");
    let err = s3
        .complete_multipart_upload()
        .bucket("mpbad")
        .key("k")
        .upload_id(id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(
                    CompletedPart::builder()
                        .part_number(1)
                        .e_tag(out.e_tag().expect("etag"))
                        .checksum_crc32(crc32_b64(b"not part one"))
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect_err("mismatch");
    assert_eq!(code(&err), "InvalidPart");
}

#[tokio::test]
async fn copy_object_within_and_across_buckets_with_directives() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, "src").await;
    common::create_bucket(&s3, "dst").await;
    let data = pattern(700 * 1024, 3);
    s3.put_object()
        .bucket("src")
        .key("dir/orig file")
        .content_type("image/png")
        .metadata("a", "1")
        .tagging("t=1")
        .body(ByteStream::from(data.clone()))
        .send()
        .await
        .expect("put");

    let copied = s3
        .copy_object()
        .bucket("dst")
        .key("copy")
        .copy_source("src/dir/orig%20file")
        .send()
        .await
        .expect("copy");
    let result = copied.copy_object_result().expect("result");
    assert!(result.e_tag().is_some() && result.last_modified().is_some());
    let head = s3
        .head_object()
        .bucket("dst")
        .key("copy")
        .send()
        .await
        .expect("head");
    assert_eq!(head.content_type(), Some("image/png"));
    assert_eq!(
        head.metadata().and_then(|m| m.get("a")).map(String::as_str),
        Some("1")
    );
    assert_eq!(common::get(&s3, "dst", "copy").await, data);
    let tags = s3
        .get_object_tagging()
        .bucket("dst")
        .key("copy")
        .send()
        .await
        .expect("tags");
    assert_eq!(tags.tag_set().len(), 1);

    s3.copy_object()
        .bucket("dst")
        .key("replaced")
        .copy_source("/src/dir/orig%20file")
        .metadata_directive(MetadataDirective::Replace)
        .content_type("text/plain")
        .metadata("b", "2")
        .tagging_directive(TaggingDirective::Replace)
        .storage_class(aws_sdk_s3::types::StorageClass::OnezoneIa)
        .send()
        .await
        .expect("copy with replace");
    let head = s3
        .head_object()
        .bucket("dst")
        .key("replaced")
        .send()
        .await
        .expect("head");
    assert_eq!(head.content_type(), Some("text/plain"));
    let meta = head.metadata().expect("meta");
    assert_eq!(meta.get("b").map(String::as_str), Some("2"));
    assert!(!meta.contains_key("a"));
    assert_eq!(head.storage_class().map(|c| c.as_str()), Some("ONEZONE_IA"));
    assert_eq!(common::get(&s3, "dst", "replaced").await, data);
    let tags = s3
        .get_object_tagging()
        .bucket("dst")
        .key("replaced")
        .send()
        .await
        .expect("tags");
    assert!(tags.tag_set().is_empty());
}

#[tokio::test]
async fn copy_onto_itself_needs_replace_and_copy_conditions_are_enforced() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, "self").await;
    let etag = common::put(&s3, "self", "k", b"content".to_vec()).await;
    let err = s3
        .copy_object()
        .bucket("self")
        .key("k")
        .copy_source("self/k")
        .send()
        .await
        .expect_err("self copy");
    assert_eq!(code(&err), "InvalidRequest");
    s3.copy_object()
        .bucket("self")
        .key("k")
        .copy_source("self/k")
        .metadata_directive(MetadataDirective::Replace)
        .metadata("new", "yes")
        .send()
        .await
        .expect("self copy with replace");

    let err = s3
        .copy_object()
        .bucket("self")
        .key("other")
        .copy_source("self/k")
        .copy_source_if_match("\"0000\"")
        .send()
        .await
        .expect_err("if-match");
    assert_eq!(status(&err), 412);
    let err = s3
        .copy_object()
        .bucket("self")
        .key("other")
        .copy_source("self/k")
        .copy_source_if_none_match(&etag)
        .send()
        .await
        .expect_err("if-none-match");
    assert_eq!(status(&err), 412);
    s3.copy_object()
        .bucket("self")
        .key("other")
        .copy_source("self/k")
        .copy_source_if_match(&etag)
        .send()
        .await
        .expect("if-match ok");
    let err = s3
        .copy_object()
        .bucket("self")
        .key("x")
        .copy_source("self/missing")
        .send()
        .await
        .expect_err("missing");
    assert_eq!(code(&err), "NoSuchKey");
    let err = s3
        .copy_object()
        .bucket("self")
        .key("x")
        .copy_source("nobucket-here/k")
        .send()
        .await
        .expect_err("missing bucket");
    assert_eq!(code(&err), "NoSuchBucket");
}

#[tokio::test]
async fn upload_part_copy_with_ranges_builds_an_object() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, "upc").await;
    let source = pattern(6 * 1024 * 1024 + 500, 4);
    common::put(&s3, "upc", "source", source.clone()).await;
    let upload = s3
        .create_multipart_upload()
        .bucket("upc")
        .key("assembled")
        .send()
        .await
        .expect("create");
    let id = upload.upload_id().expect("id");
    let first = s3
        .upload_part_copy()
        .bucket("upc")
        .key("assembled")
        .upload_id(id)
        .part_number(1)
        .copy_source("upc/source")
        .copy_source_range("bytes=0-5242879")
        .send()
        .await
        .expect("copy part 1");
    let second = s3
        .upload_part_copy()
        .bucket("upc")
        .key("assembled")
        .upload_id(id)
        .part_number(2)
        .copy_source("upc/source")
        .copy_source_range(format!("bytes=5242880-{}", source.len() - 1))
        .send()
        .await
        .expect("copy part 2");
    let err = s3
        .upload_part_copy()
        .bucket("upc")
        .key("assembled")
        .upload_id(id)
        .part_number(3)
        .copy_source("upc/source")
        .copy_source_range(format!("bytes=0-{}", source.len()))
        .send()
        .await
        .expect_err("range past the end");
    assert_eq!(code(&err), "InvalidRange");
    let parts = [
        first.copy_part_result().expect("r1"),
        second.copy_part_result().expect("r2"),
    ]
    .iter()
    .enumerate()
    .map(|(i, r)| {
        CompletedPart::builder()
            .part_number(i as i32 + 1)
            .e_tag(r.e_tag().expect("etag"))
            .build()
    })
    .collect();
    s3.complete_multipart_upload()
        .bucket("upc")
        .key("assembled")
        .upload_id(id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .expect("complete");
    assert!(common::get(&s3, "upc", "assembled").await == source);
}

#[tokio::test]
async fn fifty_concurrent_if_none_match_puts_give_exactly_one_success() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, "race").await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let s3 = s3.clone();
        tasks.push(tokio::spawn(async move {
            s3.put_object()
                .bucket("race")
                .key("lock.tflock")
                .if_none_match("*")
                .body(ByteStream::from(format!("writer {i}").into_bytes()))
                .send()
                .await
                .map_err(|e| status(&e))
        }));
    }
    let mut ok = 0;
    let mut refused = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => ok += 1,
            Err(412) => refused += 1,
            Err(other) => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((ok, refused), (1, 49));
}

#[tokio::test]
async fn conditional_writes_if_match_and_on_complete() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, "condw").await;
    let err = s3
        .put_object()
        .bucket("condw")
        .key("k")
        .if_match("\"abc\"")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .expect_err("missing");
    assert_eq!(status(&err), 404);
    let etag = common::put(&s3, "condw", "k", b"v1".to_vec()).await;
    let err = s3
        .put_object()
        .bucket("condw")
        .key("k")
        .if_match("\"abc\"")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .expect_err("mismatch");
    assert_eq!(status(&err), 412);
    s3.put_object()
        .bucket("condw")
        .key("k")
        .if_match(&etag)
        .body(ByteStream::from_static(b"v2"))
        .send()
        .await
        .expect("match");
    assert_eq!(common::get(&s3, "condw", "k").await, b"v2");

    let upload = s3
        .create_multipart_upload()
        .bucket("condw")
        .key("k")
        .send()
        .await
        .expect("create");
    let id = upload.upload_id().expect("id");
    let part = s3
        .upload_part()
        .bucket("condw")
        .key("k")
        .upload_id(id)
        .part_number(1)
        .body(ByteStream::from_static(b"mp"))
        .send()
        .await
        .expect("part");
    let err = s3
        .complete_multipart_upload()
        .bucket("condw")
        .key("k")
        .upload_id(id)
        .if_none_match("*")
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(
                    CompletedPart::builder()
                        .part_number(1)
                        .e_tag(part.e_tag().expect("etag"))
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect_err("exists");
    assert_eq!(status(&err), 412);
    assert_eq!(common::get(&s3, "condw", "k").await, b"v2");
}

#[tokio::test]
async fn object_and_bucket_tagging() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, "tags").await;
    s3.put_object()
        .bucket("tags")
        .key("k")
        .tagging("env=prod&team=data%20eng")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .expect("put");
    let head = s3
        .get_object()
        .bucket("tags")
        .key("k")
        .send()
        .await
        .expect("get");
    assert_eq!(head.tag_count(), Some(2));
    let tags = s3
        .get_object_tagging()
        .bucket("tags")
        .key("k")
        .send()
        .await
        .expect("get tags");
    let pairs: Vec<_> = tags
        .tag_set()
        .iter()
        .map(|t| (t.key(), t.value()))
        .collect();
    assert_eq!(pairs, [("env", "prod"), ("team", "data eng")]);

    let tag = |k: &str, v: &str| Tag::builder().key(k).value(v).build().expect("tag");
    s3.put_object_tagging()
        .bucket("tags")
        .key("k")
        .tagging(
            Tagging::builder()
                .tag_set(tag("only", "one"))
                .build()
                .expect("tagging"),
        )
        .send()
        .await
        .expect("put tags");
    let tags = s3
        .get_object_tagging()
        .bucket("tags")
        .key("k")
        .send()
        .await
        .expect("get tags");
    assert_eq!(tags.tag_set().len(), 1);
    let eleven: Vec<Tag> = (0..11).map(|i| tag(&format!("k{i}"), "v")).collect();
    let err = s3
        .put_object_tagging()
        .bucket("tags")
        .key("k")
        .tagging(
            Tagging::builder()
                .set_tag_set(Some(eleven))
                .build()
                .expect("tagging"),
        )
        .send()
        .await
        .expect_err("too many");
    assert_eq!(code(&err), "InvalidTag");
    s3.delete_object_tagging()
        .bucket("tags")
        .key("k")
        .send()
        .await
        .expect("delete tags");
    let tags = s3
        .get_object_tagging()
        .bucket("tags")
        .key("k")
        .send()
        .await
        .expect("get tags");
    assert!(tags.tag_set().is_empty());

    let err = s3
        .get_bucket_tagging()
        .bucket("tags")
        .send()
        .await
        .expect_err("none yet");
    assert_eq!(code(&err), "NoSuchTagSet");
    s3.put_bucket_tagging()
        .bucket("tags")
        .tagging(
            Tagging::builder()
                .tag_set(tag("cost", "42"))
                .build()
                .expect("tagging"),
        )
        .send()
        .await
        .expect("bucket tags");
    let tags = s3
        .get_bucket_tagging()
        .bucket("tags")
        .send()
        .await
        .expect("get bucket tags");
    assert_eq!(tags.tag_set()[0].value(), "42");
    s3.delete_bucket_tagging()
        .bucket("tags")
        .send()
        .await
        .expect("delete bucket tags");
    let err = s3
        .get_bucket_tagging()
        .bucket("tags")
        .send()
        .await
        .expect_err("deleted");
    assert_eq!(code(&err), "NoSuchTagSet");
}

#[tokio::test]
async fn configuration_probes_answer_like_an_unconfigured_aws_bucket() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, "probe").await;
    common::put(&s3, "probe", "k", b"x".to_vec()).await;
    let acl = s3
        .get_bucket_acl()
        .bucket("probe")
        .send()
        .await
        .expect("bucket acl");
    assert_eq!(acl.grants().len(), 1);
    assert_eq!(
        acl.grants()[0].permission().map(|p| p.as_str()),
        Some("FULL_CONTROL")
    );
    assert_eq!(
        acl.grants()[0].grantee().and_then(|g| g.id()),
        acl.owner().and_then(|o| o.id())
    );
    let acl = s3
        .get_object_acl()
        .bucket("probe")
        .key("k")
        .send()
        .await
        .expect("object acl");
    assert_eq!(acl.grants().len(), 1);
    let versioning = s3
        .get_bucket_versioning()
        .bucket("probe")
        .send()
        .await
        .expect("versioning");
    assert!(versioning.status().is_none());
    assert_eq!(
        code(
            &s3.get_bucket_policy()
                .bucket("probe")
                .send()
                .await
                .expect_err("policy")
        ),
        "NoSuchBucketPolicy"
    );
    assert_eq!(
        code(
            &s3.get_bucket_cors()
                .bucket("probe")
                .send()
                .await
                .expect_err("cors")
        ),
        "NoSuchCORSConfiguration"
    );
    assert_eq!(
        code(
            &s3.get_bucket_website()
                .bucket("probe")
                .send()
                .await
                .expect_err("website")
        ),
        "NoSuchWebsiteConfiguration"
    );
    assert_eq!(
        code(
            &s3.get_bucket_lifecycle_configuration()
                .bucket("probe")
                .send()
                .await
                .expect_err("lifecycle")
        ),
        "NoSuchLifecycleConfiguration"
    );
    let err = s3
        .get_bucket_logging()
        .bucket("probe")
        .send()
        .await
        .expect_err("logging");
    assert_eq!(status(&err), 501);
    assert_eq!(code(&err), "NotImplemented");
}

fn policy(expiration: &str, key_condition: &str, max: u64) -> String {
    format!(
        r#"{{"expiration": "{expiration}", "conditions": [{{"bucket": "forms"}}, {key_condition}, ["starts-with", "$Content-Type", "image/"], ["content-length-range", 1, {max}], {{"success_action_status": "201"}}, {{"x-amz-algorithm": "AWS4-HMAC-SHA256"}}, {{"x-amz-credential": "CREDENTIAL"}}, {{"x-amz-date": "AMZDATE"}}]}}"#
    )
}

#[tokio::test]
async fn browser_post_uploads_enforce_the_signed_policy() {
    let server = TestServer::start();
    let s3 = server.client();
    common::create_bucket(&s3, "forms").await;
    let fields = [
        ("key", "uploads/${filename}"),
        ("Content-Type", "image/jpeg"),
        ("success_action_status", "201"),
    ];
    let good = policy(
        "2099-01-01T00:00:00Z",
        r#"["starts-with", "$key", "uploads/"]"#,
        1024,
    );
    let response = common::post_form(&server, "forms", &good, &fields, b"jpeg bytes");
    assert_eq!(response.status, 201, "{}", response.body_text());
    assert_eq!(
        common::xml_value(&response.body_text(), "Key").as_deref(),
        Some("uploads/photo.jpg")
    );
    let head = s3
        .head_object()
        .bucket("forms")
        .key("uploads/photo.jpg")
        .send()
        .await
        .expect("stored");
    assert_eq!(head.content_type(), Some("image/jpeg"));
    assert_eq!(
        common::get(&s3, "forms", "uploads/photo.jpg").await,
        b"jpeg bytes"
    );

    let too_big = common::post_form(
        &server,
        "forms",
        &good,
        &[
            ("key", "uploads/big"),
            ("Content-Type", "image/jpeg"),
            ("success_action_status", "201"),
        ],
        &[7u8; 2000],
    );
    assert_eq!(
        (too_big.status, too_big.error_code().as_str()),
        (400, "EntityTooLarge"),
        "{}",
        too_big.body_text()
    );
    let expired = policy(
        "2001-01-01T00:00:00Z",
        r#"["starts-with", "$key", "uploads/"]"#,
        1024,
    );
    let response = common::post_form(&server, "forms", &expired, &fields, b"x");
    assert_eq!(
        (response.status, response.error_code().as_str()),
        (403, "AccessDenied")
    );
    let response = common::post_form(
        &server,
        "forms",
        &good,
        &[
            ("key", "elsewhere/x"),
            ("Content-Type", "image/jpeg"),
            ("success_action_status", "201"),
        ],
        b"x",
    );
    assert_eq!(
        (response.status, response.error_code().as_str()),
        (403, "AccessDenied")
    );
    let err = s3
        .head_object()
        .bucket("forms")
        .key("uploads/big")
        .send()
        .await
        .expect_err("not stored");
    assert_eq!(status(&err), 404);
}
