//! CopyObject and UploadPartCopy: the source is read as a stream and written anew in the
//! destination's class (a copy may change class, and blobs are never shared between records),
//! so memory stays bounded whatever the size.

use axum::response::Response;
use futures_util::TryStreamExt;
use http::StatusCode;
use percent_encoding::percent_decode_str;

use super::conditions::{Conditions, Outcome};
use super::range::ByteRange;
use super::{content_md5, object_attributes, storage_class_of, write_condition};
use crate::checksum::ChecksumAlgorithm;
use crate::http::AppState;
use crate::meta::model::ObjectVersion;
use crate::s3::error::{S3Error, S3Result, archived};
use crate::s3::ops::checksums::write_checksum_xml;
use crate::s3::ops::sse;
use crate::s3::ops::tagging::header_tags;
use crate::s3::ops::versioning::set_current_version_headers;
use crate::s3::ops::{iso8601, quoted, set_header, xml_response};
use crate::s3::request::S3Request;
use crate::s3::route::Operation;
use crate::s3::xml::XmlWriter;
use crate::store::StoreError;
use crate::store::encryption::{CustomerKey, check_customer_key};
use crate::store::multipart::PartInput;
use crate::store::object::{ChecksumSpec, MAX_PUT_SIZE, PutInput};
use crate::store::versions::{VersionSelector, shown_id};

/// `x-amz-copy-source`: `[/]bucket/key[?versionId=v]`, URL-encoded.
struct CopySource {
    bucket: String,
    key: String,
    version: VersionSelector,
}

fn copy_source(request: &S3Request) -> S3Result<CopySource> {
    let invalid = || {
        S3Error::invalid_argument(
            "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
        )
        .with("ArgumentName", "x-amz-copy-source")
    };
    let raw = request.header("x-amz-copy-source").ok_or_else(invalid)?;
    let (path, query) = raw.split_once('?').unwrap_or((raw, ""));
    let decoded = percent_decode_str(path)
        .decode_utf8()
        .map_err(|_| invalid())?;
    let decoded = decoded.strip_prefix('/').unwrap_or(&decoded);
    let (bucket, key) = decoded.split_once('/').ok_or_else(invalid)?;
    if bucket.is_empty() || key.is_empty() {
        return Err(invalid());
    }
    let mut version = VersionSelector::Latest;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("versionId", id)) => version = VersionSelector::parse(Some(id))?,
            _ => return Err(invalid()),
        }
    }
    Ok(CopySource {
        bucket: bucket.to_string(),
        key: key.to_string(),
        version,
    })
}

/// Look up the source, check the caller may read it (and, for SSE-C, brought its key), and
/// apply the copy-source conditions.
fn source_version(
    app: &AppState,
    request: &S3Request,
    source: &CopySource,
    source_key: Option<&CustomerKey>,
) -> S3Result<ObjectVersion> {
    let action = Operation::GetObject.action_for(!source.version.is_latest());
    crate::s3::check_access(
        app,
        &request.principal,
        action,
        Some(&source.bucket),
        Some(&source.key),
        request,
    )?;
    if let Some(expected) = request.header("x-amz-source-expected-bucket-owner") {
        crate::s3::check_expected_owner(app, &source.bucket, expected)?;
    }
    let version = match app
        .store
        .version(&source.bucket, &source.key, source.version)
    {
        Err(StoreError::DeleteMarker {
            addressed: true, ..
        }) => {
            return Err(S3Error::invalid_request(
                "The source of a copy request may not specifically refer to a delete marker by version id.",
            ));
        }
        other => other?,
    };
    // An archived source is unreadable until restored; AWS words this for the source.
    if let Err(StoreError::Archived {
        storage_class,
        access_tier,
    }) = app.store.readable_data(&version)
    {
        return Err(archived(
            "Operation is not valid for the source object's storage class",
            &storage_class,
            access_tier,
        ));
    }
    check_customer_key(version.encryption.as_ref(), source_key)?;
    sse::authorize_decrypt(app, &request.principal, &version)?;
    match Conditions::parse_copy_source(request).evaluate(&version.etag, version.last_modified_ms) {
        Outcome::Proceed => Ok(version),
        // For a copy, an unmet "none-match"/"modified-since" is a failed precondition, not a 304.
        Outcome::NotModified => Err(S3Error::precondition_failed(
            "x-amz-copy-source-If-None-Match",
        )),
        Outcome::PreconditionFailed(condition) => Err(S3Error::precondition_failed(&format!(
            "x-amz-copy-source-{condition}"
        ))),
    }
}

/// `x-amz-copy-source-version-id`: the source version copied, when it has an id (or the
/// request named the `null` version).
fn set_source_version(
    response: &mut Response,
    version: &ObjectVersion,
    requested: VersionSelector,
) {
    if version.version_id.is_some() || requested == VersionSelector::Null {
        set_header(response, "x-amz-copy-source-version-id", shown_id(version));
    }
}

/// `x-amz-copy-source-server-side-encryption-customer-*`: the key of an SSE-C source.
fn source_customer_key(app: &AppState, request: &S3Request) -> S3Result<Option<CustomerKey>> {
    sse::customer_key(app, sse::COPY_SOURCE_CUSTOMER, |name| request.header(name))
}

fn too_large(size: u64) -> S3Result<()> {
    if size > MAX_PUT_SIZE {
        return Err(S3Error::invalid_request(format!(
            "The specified copy source is larger than the maximum allowable size for a copy source: {MAX_PUT_SIZE}"
        )));
    }
    Ok(())
}

/// The checksum a copy computes: the one the request names, else the source's algorithm.
fn copy_checksum(request: &S3Request, source: &ObjectVersion) -> S3Result<ChecksumSpec> {
    let requested = match request.header("x-amz-checksum-algorithm") {
        None => None,
        Some(name) => Some(ChecksumAlgorithm::from_name(name).ok_or_else(|| {
            S3Error::invalid_request("Checksum algorithm provided is unsupported.")
        })?),
    };
    let algorithm = requested
        .or(source.checksum.as_ref().map(|c| c.algorithm))
        .unwrap_or(ChecksumAlgorithm::Crc64Nvme);
    Ok(ChecksumSpec {
        algorithm,
        expected: None,
    })
}

pub async fn copy_object(app: &AppState, request: &S3Request) -> S3Result<Response> {
    let bucket = request.bucket()?;
    let key = request.key()?;
    let source = copy_source(request)?;
    let metadata_directive = directive(request, "x-amz-metadata-directive")?;
    let tagging_directive = directive(request, "x-amz-tagging-directive")?;
    let storage_class = storage_class_of(app, request)?;
    let source_key = source_customer_key(app, request)?;
    let version = source_version(app, request, &source, source_key.as_ref())?;
    too_large(version.size)?;

    // Copying an older version onto its own key is how a version is restored: allowed.
    let same_object = source.bucket == bucket && source.key == key && source.version.is_latest();
    let class_changes = request.header("x-amz-storage-class").is_some()
        && storage_class != version.attrs.storage_class;
    // The redirect location is never copied, so naming one always sets something new.
    let sets_redirect = request.header("x-amz-website-redirect-location").is_some();
    let sets_encryption = request.header(sse::SSE_HEADER).is_some()
        || request.header(sse::CUSTOMER.algorithm).is_some();
    if same_object
        && metadata_directive == Directive::Copy
        && !class_changes
        && !sets_redirect
        && !sets_encryption
    {
        return Err(S3Error::invalid_request(
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        ));
    }

    let mut attrs = object_attributes(app, request)?;
    if metadata_directive == Directive::Copy {
        attrs.content = version.attrs.content.clone();
        attrs.user_meta = version.attrs.user_meta.clone();
    }
    attrs.tags = match tagging_directive {
        Directive::Copy => version.attrs.tags.clone(),
        Directive::Replace => header_tags(request)?,
    };
    let input = PutInput {
        bucket: bucket.to_string(),
        key: key.to_string(),
        attrs,
        content_md5: None,
        checksum: copy_checksum(request, &version)?,
        condition: write_condition(request)?,
        encryption: sse::for_request(app, request)?,
        lock: crate::s3::ops::object_lock::for_request(app, request, false)?,
    };
    let customer = input
        .encryption
        .as_ref()
        .and_then(|e| e.customer().cloned());
    let mut body = app
        .store
        .read_object(
            &source.bucket,
            &source.key,
            &version,
            0..version.size,
            source_key.as_ref(),
        )?
        .map_err(S3Error::from);
    app.store.note_access(&source.bucket, &source.key, &version);
    let copied = app.store.put_object(input, &mut body).await?;

    let mut out = XmlWriter::document();
    out.root("CopyObjectResult");
    out.elem("LastModified", &iso8601(copied.last_modified_ms));
    out.elem("ETag", &quoted(&copied.etag));
    if let Some(checksum) = &copied.checksum {
        write_checksum_xml(&mut out, checksum, copied.checksum_type);
    }
    out.close("CopyObjectResult");
    let mut response = xml_response(StatusCode::OK, out.finish());
    sse::set_write_headers(&mut response, copied.encryption.as_ref(), customer.as_ref());
    set_current_version_headers(app, request, &mut response, &copied)?;
    set_source_version(&mut response, &version, source.version);
    Ok(response)
}

pub async fn upload_part_copy(app: &AppState, request: &S3Request) -> S3Result<Response> {
    let bucket = request.bucket()?;
    let key = request.key()?;
    let number = crate::s3::ops::multipart::part_number(request)?;
    let upload_id = crate::s3::ops::multipart::upload_id(request)?;
    let source = copy_source(request)?;
    // The upload must exist before any byte is copied.
    let upload = app.store.upload(bucket, key, upload_id)?;
    sse::authorize_kms(
        app,
        &request.principal,
        upload.encryption.as_ref(),
        "kms:GenerateDataKey",
    )?;
    let source_key = source_customer_key(app, request)?;
    let customer = sse::request_customer_key(app, request)?;
    let version = source_version(app, request, &source, source_key.as_ref())?;
    let span = match request.header("x-amz-copy-source-range") {
        None => 0..version.size,
        Some(header) => match ByteRange::parse(header) {
            Some(ByteRange::FromTo(first, last)) if last < version.size => first..last + 1,
            Some(ByteRange::FromTo(..)) => {
                return Err(
                    S3Error::new("InvalidRange", "The requested range is not satisfiable")
                        .with("ActualObjectSize", version.size.to_string()),
                );
            }
            _ => {
                return Err(S3Error::invalid_argument(
                    "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
                )
                .with("ArgumentName", "x-amz-copy-source-range"));
            }
        },
    };
    too_large(span.end - span.start)?;
    let mut body = app
        .store
        .read_object(
            &source.bucket,
            &source.key,
            &version,
            span,
            source_key.as_ref(),
        )?
        .map_err(S3Error::from);
    app.store.note_access(&source.bucket, &source.key, &version);
    let input = PartInput {
        bucket,
        key,
        upload_id,
        number,
        content_md5: content_md5(request)?,
        checksum: None,
        customer: customer.as_ref(),
    };
    let part = app.store.upload_part(&input, &mut body).await?;

    let mut out = XmlWriter::document();
    out.root("CopyPartResult");
    out.elem("LastModified", &iso8601(part.last_modified_ms));
    out.elem("ETag", &quoted(&part.etag));
    if let Some(checksum) = &part.checksum {
        write_checksum_xml(&mut out, checksum, None);
    }
    out.close("CopyPartResult");
    let mut response = xml_response(StatusCode::OK, out.finish());
    sse::set_encryption_headers(&mut response, upload.encryption.as_ref());
    sse::set_customer_headers(&mut response, customer.as_ref());
    set_source_version(&mut response, &version, source.version);
    Ok(response)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Directive {
    Copy,
    Replace,
}

fn directive(request: &S3Request, header: &'static str) -> S3Result<Directive> {
    match request.header(header) {
        None => Ok(Directive::Copy),
        Some(v) if v.eq_ignore_ascii_case("COPY") => Ok(Directive::Copy),
        Some(v) if v.eq_ignore_ascii_case("REPLACE") => Ok(Directive::Replace),
        Some(v) => Err(S3Error::invalid_argument(format!("Unknown {header} value"))
            .with("ArgumentName", header)
            .with("ArgumentValue", v)),
    }
}
