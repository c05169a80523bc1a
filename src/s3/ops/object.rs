//! Object operations: PutObject, GetObject/HeadObject (ranges, part numbers, conditionals,
//! response overrides), DeleteObject, DeleteObjects.

use axum::body::Body;
use axum::response::Response;
use base64::Engine;
use futures_util::TryStreamExt;
use http::StatusCode;

use super::checksums::{checksum_spec, set_checksum_headers};
use super::sse;
use super::versioning::{selector, set_current_version_headers};
use super::{empty_response, http_date, quoted, set_header, xml_response};
use crate::classes::DEFAULT_CLASS;
use crate::http::AppState;
use crate::meta::model::{ContentHeaders, ObjectAttributes, ObjectData, ObjectVersion};
use crate::s3::error::{S3Error, S3Result};
use crate::s3::request::{RequestBody, S3Request, read_small_body};
use crate::s3::route::Operation;
use crate::s3::xml::{self, XmlWriter};
use crate::store::StoreError;
use crate::store::encryption::check_customer_key;
use crate::store::object::{MAX_PUT_SIZE, PutInput, WriteCondition};
use crate::store::versions::VersionSelector;

pub(crate) mod attributes;
mod conditions;
pub(crate) mod copy;
mod range;

use conditions::{Conditions, Outcome};
use range::ByteRange;

/// AWS's limit on the total size of user-defined metadata (names and values).
const MAX_USER_METADATA: usize = 2 * 1024;

fn storage_class_of(app: &AppState, request: &S3Request) -> S3Result<String> {
    let name = request
        .header("x-amz-storage-class")
        .unwrap_or(DEFAULT_CLASS);
    let invalid = || {
        S3Error::new(
            "InvalidStorageClass",
            "The storage class you specified is not valid",
        )
        .with("StorageClassRequested", name)
    };
    let class = app.store.classes.get(name).ok_or_else(invalid)?;
    Ok(class.name.clone())
}

/// The attributes a writer sets with PutObject, CopyObject or CreateMultipartUpload headers.
/// The owner and ACL follow the bucket's object ownership and the ACL headers (`ops::acl`); a
/// copy gets them from its own headers, never from its source, as on AWS.
pub(crate) fn object_attributes(app: &AppState, request: &S3Request) -> S3Result<ObjectAttributes> {
    let storage_class = storage_class_of(app, request)?;
    let (owner, acl) = super::acl::object_access(app, request)?;
    Ok(ObjectAttributes {
        storage_class,
        owner,
        content: content_headers(request),
        user_meta: user_metadata(request)?,
        tags: super::tagging::header_tags(request)?,
        acl,
        website_redirect: website_redirect(request.header("x-amz-website-redirect-location"))?,
    })
}

/// AWS's limit on `x-amz-website-redirect-location`.
const MAX_WEBSITE_REDIRECT: usize = 2 * 1024;

/// `x-amz-website-redirect-location` (or the POST form field of that name), as AWS accepts it:
/// an absolute path or an http(s) URL, at most 2 KiB.
pub(crate) fn website_redirect(value: Option<&str>) -> S3Result<Option<String>> {
    let Some(value) = value else {
        return Ok(None);
    };
    if !["/", "http://", "https://"]
        .iter()
        .any(|prefix| value.starts_with(prefix))
    {
        return Err(S3Error::invalid_argument(
            "The website redirect location must have a prefix of 'http://' or 'https://' or '/'.",
        ));
    }
    if value.len() > MAX_WEBSITE_REDIRECT {
        return Err(S3Error::invalid_argument(
            "The length of website redirect location you specified exceeds the maximum allowed length of 2K.",
        ));
    }
    Ok(Some(value.to_string()))
}

fn content_headers(request: &S3Request) -> ContentHeaders {
    let get = |name: &str| request.header(name).map(str::to_string);
    ContentHeaders {
        content_type: get("content-type"),
        content_encoding: get("content-encoding")
            .map(|v| strip_aws_chunked(&v))
            .filter(|v| !v.is_empty()),
        content_disposition: get("content-disposition"),
        content_language: get("content-language"),
        cache_control: get("cache-control"),
        expires: get("expires"),
    }
}

/// `aws-chunked` is transfer framing, not a property of the object; AWS drops it.
fn strip_aws_chunked(value: &str) -> String {
    value
        .split(',')
        .map(str::trim)
        .filter(|v| !v.eq_ignore_ascii_case("aws-chunked") && !v.is_empty())
        .collect::<Vec<_>>()
        .join(",")
}

fn user_metadata(request: &S3Request) -> S3Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut total = 0;
    for (name, value) in &request.headers {
        if let Some(suffix) = name.as_str().strip_prefix("x-amz-meta-") {
            let value = value
                .to_str()
                .map_err(|_| S3Error::invalid_argument("User metadata values must be ASCII"))?;
            total += suffix.len() + value.len();
            out.push((suffix.to_string(), value.to_string()));
        }
    }
    if total > MAX_USER_METADATA {
        return Err(S3Error::new(
            "MetadataTooLarge",
            "Your metadata headers exceed the maximum allowed metadata size",
        )
        .with("Size", total.to_string())
        .with("MaxSizeAllowed", MAX_USER_METADATA.to_string()));
    }
    Ok(out)
}

pub(crate) fn content_md5(request: &S3Request) -> S3Result<Option<[u8; 16]>> {
    let Some(value) = request.header("content-md5") else {
        return Ok(None);
    };
    let invalid = || {
        S3Error::new(
            "InvalidDigest",
            "The Content-MD5 you specified is not valid.",
        )
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .map_err(|_| invalid())?;
    bytes.try_into().map(Some).map_err(|_| invalid())
}

/// The payload size the client declares; S3 refuses uploads that declare none.
pub(crate) fn declared_length(request: &S3Request) -> S3Result<u64> {
    let value = request
        .header("x-amz-decoded-content-length")
        .or_else(|| request.header("content-length"));
    let Some(value) = value else {
        return Err(S3Error::new(
            "MissingContentLength",
            "You must provide the Content-Length HTTP header.",
        ));
    };
    value
        .trim()
        .parse()
        .map_err(|_| S3Error::invalid_argument("Content-Length is not a number"))
}

pub(crate) fn write_condition(request: &S3Request) -> S3Result<WriteCondition> {
    match (request.header("if-none-match"), request.header("if-match")) {
        (Some(_), Some(_)) => Err(S3Error::not_implemented(
            "If-Match together with If-None-Match",
        )),
        (Some(value), None) if value.trim() == "*" => Ok(WriteCondition::IfAbsent),
        (Some(_), None) => Err(S3Error::not_implemented(
            "If-None-Match with a value other than *",
        )),
        (None, Some(etag)) => Ok(WriteCondition::IfMatch(
            etag.trim().trim_matches('"').to_string(),
        )),
        (None, None) => Ok(WriteCondition::None),
    }
}

pub async fn put_object(
    app: &AppState,
    request: &S3Request,
    body: &mut RequestBody,
) -> S3Result<Response> {
    let size = declared_length(request)?;
    if size > MAX_PUT_SIZE {
        return Err(S3Error::new(
            "EntityTooLarge",
            "Your proposed upload exceeds the maximum allowed object size.",
        )
        .with("ProposedSize", size.to_string())
        .with("MaxSizeAllowed", MAX_PUT_SIZE.to_string()));
    }
    let input = PutInput {
        bucket: request.bucket()?.to_string(),
        key: request.key()?.to_string(),
        attrs: object_attributes(app, request)?,
        content_md5: content_md5(request)?,
        checksum: checksum_spec(request, None)?,
        condition: write_condition(request)?,
        encryption: sse::for_request(app, request)?,
        lock: super::object_lock::for_request(app, request, true)?,
    };
    let customer = input
        .encryption
        .as_ref()
        .and_then(|e| e.customer().cloned());
    let version = app.store.put_object(input, body).await?;
    let mut response = empty_response(StatusCode::OK);
    set_header(&mut response, "etag", &quoted(&version.etag));
    sse::set_write_headers(
        &mut response,
        version.encryption.as_ref(),
        customer.as_ref(),
    );
    set_current_version_headers(app, request, &mut response, &version)?;
    if let Some(checksum) = &version.checksum {
        set_checksum_headers(&mut response, checksum, version.checksum_type);
    }
    Ok(response)
}

pub async fn get_object(app: &AppState, request: &S3Request, head: bool) -> S3Result<Response> {
    let bucket = request.bucket()?;
    let key = request.key()?;
    let read = ReadInput::parse(request)?;
    let selector = selector(request)?;
    let version = match app.store.version(bucket, key, selector) {
        Err(StoreError::NoSuchKey(key)) => {
            // Without s3:ListBucket a caller may not learn whether a key exists (AWS: 403).
            crate::s3::check_access(
                app,
                &request.principal,
                "s3:ListBucket",
                Some(bucket),
                None,
                request,
            )?;
            return Err(StoreError::NoSuchKey(key).into());
        }
        other => other?,
    };
    read.respond(app, request, &version, head)
}

/// What a GET/HEAD asks of the object it reads: a part or a byte range, and preconditions.
/// Parsed before any I/O; [`ReadInput::respond`] turns an object version into the response
/// (also the website endpoint's, which serves objects exactly as GetObject does).
pub(crate) struct ReadInput<'a> {
    part_number: Option<u32>,
    range_header: Option<&'a str>,
    conditions: Conditions,
}

impl<'a> ReadInput<'a> {
    pub(crate) fn parse(request: &'a S3Request) -> S3Result<ReadInput<'a>> {
        let part_number = request.query_u32("partNumber")?;
        let range_header = request.header("range");
        if part_number.is_some() && range_header.is_some() {
            return Err(S3Error::invalid_request(
                "Cannot specify both Range header and partNumber query parameter",
            ));
        }
        Ok(ReadInput {
            part_number,
            range_header,
            conditions: Conditions::parse(request)?,
        })
    }

    /// The whole object, unconditionally (the website endpoint's error document).
    pub(crate) fn whole() -> ReadInput<'static> {
        ReadInput {
            part_number: None,
            range_header: None,
            conditions: Conditions::default(),
        }
    }

    /// The response to a GET (or HEAD, without a body) of `version`: 304/412 from the
    /// preconditions, 206 for a part or a satisfiable range, the object's stored headers, and
    /// the body streamed from the store.
    pub(crate) fn respond(
        &self,
        app: &AppState,
        request: &S3Request,
        version: &ObjectVersion,
        head: bool,
    ) -> S3Result<Response> {
        respond(app, request, version, head, self)
    }
}

fn respond(
    app: &AppState,
    request: &S3Request,
    version: &ObjectVersion,
    head: bool,
    read: &ReadInput<'_>,
) -> S3Result<Response> {
    // An SSE-C object answers nothing, not even its ETag, without its key.
    let customer = sse::request_customer_key(app, request)?;
    check_customer_key(version.encryption.as_ref(), customer.as_ref())?;
    let part_number = read.part_number;
    let range_header = read.range_header;
    match read
        .conditions
        .evaluate(&version.etag, version.last_modified_ms)
    {
        Outcome::Proceed => {}
        Outcome::NotModified => {
            let mut response = empty_response(StatusCode::NOT_MODIFIED);
            set_header(&mut response, "etag", &quoted(&version.etag));
            set_header(
                &mut response,
                "last-modified",
                &http_date(version.last_modified_ms),
            );
            return Ok(response);
        }
        Outcome::PreconditionFailed(condition) => {
            return Err(S3Error::precondition_failed(condition));
        }
    }

    let (span, status) = match (part_number, range_header) {
        (Some(number), _) => (part_span(version, number)?, StatusCode::PARTIAL_CONTENT),
        (None, Some(header)) => match ByteRange::parse(header) {
            Some(range) => (
                range
                    .resolve(version.size)
                    .ok_or_else(|| invalid_range(version.size))?,
                StatusCode::PARTIAL_CONTENT,
            ),
            None => (0..version.size, StatusCode::OK),
        },
        (None, None) => (0..version.size, StatusCode::OK),
    };
    // partNumber on a single-part object: the whole object is part 1, answered with 206.
    let status = if part_number.is_some() && version.part_count().is_none() {
        StatusCode::PARTIAL_CONTENT
    } else {
        status
    };

    let body = if head || span.is_empty() {
        Body::empty()
    } else {
        sse::authorize_decrypt(app, &request.principal, version)?;
        let (bucket, key) = (request.bucket()?, request.key()?);
        let stream =
            app.store
                .read_object(bucket, key, version, span.clone(), customer.as_ref())?;
        // A read of its bytes keeps an INTELLIGENT_TIERING object in (or brings it back to)
        // Frequent Access; HEAD is not an access.
        app.store.note_access(bucket, key, version);
        Body::from_stream(stream.map_err(|err| {
            tracing::error!(%err, "object read failed mid-stream; aborting the response");
            std::io::Error::other(err.to_string())
        }))
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    object_headers(&mut response, version);
    sse::set_customer_headers(&mut response, customer.as_ref());
    set_current_version_headers(app, request, &mut response, version)?;
    set_header(
        &mut response,
        "content-length",
        &(span.end - span.start).to_string(),
    );
    if status == StatusCode::PARTIAL_CONTENT && version.size > 0 {
        set_header(
            &mut response,
            "content-range",
            &format!("bytes {}-{}/{}", span.start, span.end - 1, version.size),
        );
    }
    if let Some(count) = version.part_count()
        && part_number.is_some()
    {
        set_header(&mut response, "x-amz-mp-parts-count", &count.to_string());
    }
    // Checksums describe whole objects (or whole parts): a byte range gets none, as on AWS.
    let whole = span.start == 0 && span.end == version.size && part_number.is_none();
    if whole
        && request
            .header("x-amz-checksum-mode")
            .is_some_and(|m| m.eq_ignore_ascii_case("ENABLED"))
        && let Some(checksum) = &version.checksum
    {
        set_checksum_headers(&mut response, checksum, version.checksum_type);
    }
    response_overrides(&mut response, request);
    Ok(response)
}

fn invalid_range(size: u64) -> S3Error {
    S3Error::new("InvalidRange", "The requested range is not satisfiable")
        .with("RangeRequested", "")
        .with("ActualObjectSize", size.to_string())
}

/// The byte span of part `number` of an object (a single-part object has exactly part 1).
fn part_span(version: &ObjectVersion, number: u32) -> S3Result<std::ops::Range<u64>> {
    let invalid = || {
        S3Error::new(
            "InvalidPartNumber",
            "The requested partnumber is not satisfiable",
        )
    };
    if number == 0 {
        return Err(S3Error::invalid_argument(
            "Part number must be an integer between 1 and 10000, inclusive",
        )
        .with("ArgumentName", "partNumber")
        .with("ArgumentValue", "0"));
    }
    match &version.data {
        ObjectData::Parts(parts) => {
            let index = usize::try_from(number - 1).map_err(|_| invalid())?;
            let part = parts.get(index).ok_or_else(invalid)?;
            let start: u64 = parts[..index].iter().map(|p| p.size).sum();
            Ok(start..start + part.size)
        }
        _ if number == 1 => Ok(0..version.size),
        _ => Err(invalid()),
    }
}

fn object_headers(response: &mut Response, version: &ObjectVersion) {
    let content = &version.attrs.content;
    set_header(
        response,
        "content-type",
        content
            .content_type
            .as_deref()
            .unwrap_or("binary/octet-stream"),
    );
    for (name, value) in [
        ("content-encoding", &content.content_encoding),
        ("content-disposition", &content.content_disposition),
        ("content-language", &content.content_language),
        ("cache-control", &content.cache_control),
        ("expires", &content.expires),
    ] {
        if let Some(value) = value {
            set_header(response, name, value);
        }
    }
    set_header(response, "etag", &quoted(&version.etag));
    set_header(
        response,
        "last-modified",
        &http_date(version.last_modified_ms),
    );
    set_header(response, "accept-ranges", "bytes");
    if let Some(location) = &version.attrs.website_redirect {
        set_header(response, "x-amz-website-redirect-location", location);
    }
    if !version.attrs.tags.is_empty() {
        set_header(
            response,
            "x-amz-tagging-count",
            &version.attrs.tags.len().to_string(),
        );
    }
    if version.attrs.storage_class != DEFAULT_CLASS {
        set_header(
            response,
            "x-amz-storage-class",
            &version.attrs.storage_class,
        );
    }
    sse::set_headers(response, version);
    super::object_lock::set_headers(response, version);
    if let Some(status) = version.access_tier().archive_status() {
        set_header(response, "x-amz-archive-status", status);
    }
    if let Some(restore) = &version.restore {
        let value = if restore.in_progress() {
            "ongoing-request=\"true\"".to_string()
        } else {
            format!(
                "ongoing-request=\"false\", expiry-date=\"{}\"",
                http_date(restore.expiry_ms)
            )
        };
        set_header(response, "x-amz-restore", &value);
    }
    for (name, value) in &version.attrs.user_meta {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::try_from(format!("x-amz-meta-{name}")),
            http::HeaderValue::from_str(value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
}

/// `response-content-type` and friends replace the stored headers in this response only.
fn response_overrides(response: &mut Response, request: &S3Request) {
    for (param, header) in [
        ("response-content-type", "content-type"),
        ("response-content-language", "content-language"),
        ("response-expires", "expires"),
        ("response-cache-control", "cache-control"),
        ("response-content-disposition", "content-disposition"),
        ("response-content-encoding", "content-encoding"),
    ] {
        if let Some(value) = request.query(param) {
            set_header(response, header, value);
        }
    }
}

pub async fn delete_object(app: &AppState, request: &S3Request) -> S3Result<Response> {
    let (bucket, key) = (request.bucket()?, request.key()?);
    let bypass = super::object_lock::bypass_governance(app, request, bucket, key);
    let outcome = app
        .store
        .delete_object(bucket, key, selector(request)?, request.owner_id(), bypass)
        .await?;
    let mut response = empty_response(StatusCode::NO_CONTENT);
    if outcome.delete_marker {
        set_header(&mut response, "x-amz-delete-marker", "true");
    }
    if let Some(id) = &outcome.version_id {
        set_header(&mut response, "x-amz-version-id", id);
    }
    Ok(response)
}

/// DeleteObjects accepts at most this many keys per request.
const MAX_DELETE_KEYS: usize = 1000;

pub async fn delete_objects(
    app: &AppState,
    request: &S3Request,
    body: &mut RequestBody,
) -> S3Result<Response> {
    let bucket = request.bucket()?;
    let content_md5 = content_md5(request)?;
    let document = read_small_body(body, xml::MAX_XML_BODY).await?;
    if let Some(expected) = content_md5 {
        use md5::Digest;
        let actual: [u8; 16] = md5::Md5::digest(&document).into();
        if actual != expected {
            return Err(S3Error::new(
                "BadDigest",
                "The Content-MD5 you specified did not match what we received.",
            ));
        }
    }
    let root = xml::parse(&document)?;
    if root.name != "Delete" {
        return Err(S3Error::malformed_xml());
    }
    let quiet = root
        .child_text("Quiet")
        .is_some_and(|q| q.trim().eq_ignore_ascii_case("true"));
    let objects: Vec<_> = root.children_named("Object").collect();
    if objects.is_empty() || objects.len() > MAX_DELETE_KEYS {
        return Err(S3Error::malformed_xml());
    }
    app.store.bucket(bucket)?;

    let mut out = XmlWriter::document();
    out.root("DeleteResult");
    for object in objects {
        let Some(key) = object.child_text("Key") else {
            return Err(S3Error::malformed_xml());
        };
        let requested_version = object.child_text("VersionId");
        let action = Operation::DeleteObject.action_for(requested_version.is_some());
        let result = if key.len() > crate::http::addressing::MAX_KEY_BYTES {
            Err(S3Error::new("KeyTooLongError", "Your key is too long"))
        } else if let Err(denied) = crate::s3::check_access(
            app,
            &request.principal,
            action,
            Some(bucket),
            Some(key),
            request,
        ) {
            Err(denied)
        } else {
            match VersionSelector::parse(requested_version) {
                Ok(selector) => {
                    let bypass = super::object_lock::bypass_governance(app, request, bucket, key);
                    app.store
                        .delete_object(bucket, key, selector, request.owner_id(), bypass)
                        .await
                        .map_err(S3Error::from)
                }
                Err(err) => Err(S3Error::from(err)),
            }
        };
        match result {
            Ok(_) if quiet => {}
            Ok(outcome) => {
                out.open("Deleted");
                out.elem("Key", key);
                if let Some(version) = requested_version {
                    out.elem("VersionId", version);
                }
                if outcome.delete_marker {
                    out.elem("DeleteMarker", "true");
                    if let Some(id) = &outcome.version_id {
                        out.elem("DeleteMarkerVersionId", id);
                    }
                }
                out.close("Deleted");
            }
            Err(err) => {
                out.open("Error");
                out.elem("Key", key);
                if let Some(version) = requested_version {
                    out.elem("VersionId", version);
                }
                out.elem("Code", err.code);
                out.elem("Message", &err.message);
                out.close("Error");
            }
        }
    }
    out.close("DeleteResult");
    Ok(xml_response(StatusCode::OK, out.finish()))
}
