//! Multipart uploads: Create, UploadPart, Complete, Abort, ListParts, ListMultipartUploads.

use axum::response::Response;
use http::StatusCode;

use super::checksums::{
    checksum_spec, listed_part_checksum, multipart_checksum, set_checksum_headers,
    write_checksum_xml,
};
use super::list::{max_keys, url_encoding};
use super::object::{content_md5, declared_length, object_attributes, write_condition};
use super::{empty_response, http_date, iso8601, quoted, set_header, url_encode_if, xml_response};
use crate::http::AppState;
use crate::iam::ROOT_DISPLAY_NAME;
use crate::s3::error::{S3Error, S3Result};
use crate::s3::request::{RequestBody, S3Request, read_small_body};
use crate::s3::xml::{self, XmlWriter};
use crate::store::list::common_prefix;
use crate::store::multipart::{MAX_PART_NUMBER, PartInput, RequestedPart, UploadsQuery};
use crate::store::object::MAX_PUT_SIZE;

pub(crate) fn upload_id(request: &S3Request) -> S3Result<&str> {
    request
        .query("uploadId")
        .filter(|id| !id.is_empty())
        .ok_or_else(|| S3Error::no_such_upload(""))
}

fn owner_elements(out: &mut XmlWriter, element: &str, id: &str) {
    out.open(element);
    out.elem("ID", id);
    out.elem("DisplayName", ROOT_DISPLAY_NAME);
    out.close(element);
}

pub async fn create_upload(app: &AppState, request: &S3Request) -> S3Result<Response> {
    let bucket = request.bucket()?;
    let key = request.key()?;
    let checksum = multipart_checksum(request)?;
    let encryption = super::sse::for_request(app, request)?;
    let upload = app
        .store
        .create_upload(
            bucket,
            key,
            object_attributes(app, request)?,
            checksum,
            encryption.as_ref(),
            super::object_lock::requested(app, request)?,
        )
        .await?;
    let mut out = XmlWriter::document();
    out.root("InitiateMultipartUploadResult");
    out.elem("Bucket", bucket);
    out.elem("Key", key);
    out.elem("UploadId", &upload.upload_id);
    out.close("InitiateMultipartUploadResult");
    let mut response = xml_response(StatusCode::OK, out.finish());
    set_abort_headers(app, request, &mut response, key, upload.initiated_ms)?;
    super::sse::set_write_headers(
        &mut response,
        upload.encryption.as_ref(),
        encryption.as_ref().and_then(|e| e.customer()),
    );
    if upload.checksum_declared {
        set_header(
            &mut response,
            "x-amz-checksum-algorithm",
            upload.checksum_algorithm.name(),
        );
        set_header(
            &mut response,
            "x-amz-checksum-type",
            upload.checksum_type.name(),
        );
    }
    Ok(response)
}

pub(crate) fn part_number(request: &S3Request) -> S3Result<u32> {
    let invalid = |value: &str| {
        S3Error::invalid_argument(format!(
            "Part number must be an integer between 1 and {MAX_PART_NUMBER}, inclusive"
        ))
        .with("ArgumentName", "partNumber")
        .with("ArgumentValue", value)
    };
    let value = request.query("partNumber").unwrap_or("");
    value
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_PART_NUMBER).contains(n))
        .ok_or_else(|| invalid(value))
}

pub async fn upload_part(
    app: &AppState,
    request: &S3Request,
    body: &mut RequestBody,
) -> S3Result<Response> {
    let number = part_number(request)?;
    let upload_id = upload_id(request)?;
    let size = declared_length(request)?;
    if size > MAX_PUT_SIZE {
        return Err(S3Error::new(
            "EntityTooLarge",
            "Your proposed upload exceeds the maximum allowed object size.",
        ));
    }
    let md5 = content_md5(request)?;
    let expected = checksum_spec(request, None)?.expected;
    let customer = super::sse::request_customer_key(app, request)?;
    let (bucket, key) = (request.bucket()?, request.key()?);
    let upload = app.store.upload(bucket, key, upload_id)?;
    super::sse::authorize_kms(
        app,
        &request.principal,
        upload.encryption.as_ref(),
        "kms:GenerateDataKey",
    )?;
    let input = PartInput {
        bucket,
        key,
        upload_id,
        number,
        content_md5: md5,
        checksum: expected,
        customer: customer.as_ref(),
    };
    let part = app.store.upload_part(&input, body).await?;
    let mut response = empty_response(StatusCode::OK);
    set_header(&mut response, "etag", &quoted(&part.etag));
    super::sse::set_encryption_headers(&mut response, upload.encryption.as_ref());
    super::sse::set_customer_headers(&mut response, customer.as_ref());
    if let Some(checksum) = &part.checksum {
        set_checksum_headers(&mut response, checksum, None);
    }
    Ok(response)
}

/// The client's part list in document order. Parsed by element name so the boto, rclone
/// (`&#34;`-escaped quotes) and s3cmd (no namespace, unquoted) dialects all work.
fn parse_complete(document: &[u8]) -> S3Result<Vec<RequestedPart>> {
    let root = xml::parse(document)?;
    if root.name != "CompleteMultipartUpload" {
        return Err(S3Error::malformed_xml());
    }
    root.children_named("Part")
        .map(|part| {
            let number = part
                .child_text("PartNumber")
                .and_then(|n| n.trim().parse::<u32>().ok());
            let etag = part.child_text("ETag");
            match (number, etag) {
                (Some(number), Some(etag)) => Ok(RequestedPart {
                    number,
                    etag: etag.to_string(),
                    checksum: listed_part_checksum(part)?,
                }),
                _ => Err(S3Error::malformed_xml()),
            }
        })
        .collect()
}

pub async fn complete_upload(
    app: &AppState,
    request: &S3Request,
    body: &mut RequestBody,
) -> S3Result<Response> {
    let bucket = request.bucket()?;
    let key = request.key()?;
    let upload_id = upload_id(request)?;
    let document = read_small_body(body, xml::MAX_XML_BODY).await?;
    let parts = parse_complete(&document)?;
    let version = app
        .store
        .complete_upload(
            bucket,
            key,
            upload_id,
            &parts,
            &write_condition(request)?,
            super::object_lock::default_lock(app, request)?,
        )
        .await?;
    let mut out = XmlWriter::document();
    out.root("CompleteMultipartUploadResult");
    out.elem(
        "Location",
        &format!("/{bucket}/{}", url_encode_if(key, true)),
    );
    out.elem("Bucket", bucket);
    out.elem("Key", key);
    out.elem("ETag", &quoted(&version.etag));
    if let Some(checksum) = &version.checksum {
        write_checksum_xml(&mut out, checksum, version.checksum_type);
    }
    out.close("CompleteMultipartUploadResult");
    let mut response = xml_response(StatusCode::OK, out.finish());
    super::sse::set_headers(&mut response, &version);
    super::versioning::set_current_version_headers(app, request, &mut response, &version)?;
    Ok(response)
}

pub async fn abort_upload(app: &AppState, request: &S3Request) -> S3Result<Response> {
    app.store
        .abort_upload(request.bucket()?, request.key()?, upload_id(request)?)
        .await?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}

pub async fn list_parts(app: &AppState, request: &S3Request) -> S3Result<Response> {
    let bucket = request.bucket()?;
    let key = request.key()?;
    let upload_id = upload_id(request)?;
    let max_parts = max_keys(request, "max-parts")?;
    let marker = request.query_u32("part-number-marker")?.unwrap_or(0);
    let upload = app.store.upload(bucket, key, upload_id)?;
    let mut parts = app.store.list_parts(upload_id, marker, max_parts + 1)?;
    let truncated = parts.len() > max_parts;
    parts.truncate(max_parts);

    let mut out = XmlWriter::document();
    out.root("ListPartsResult");
    out.elem("Bucket", bucket);
    out.elem("Key", key);
    out.elem("UploadId", upload_id);
    owner_elements(&mut out, "Initiator", &upload.attrs.owner);
    owner_elements(&mut out, "Owner", &upload.attrs.owner);
    out.elem("StorageClass", &upload.attrs.storage_class);
    if upload.checksum_declared {
        out.elem("ChecksumAlgorithm", upload.checksum_algorithm.name());
        out.elem("ChecksumType", upload.checksum_type.name());
    }
    out.elem("PartNumberMarker", &marker.to_string());
    if let Some(last) = parts.last() {
        out.elem("NextPartNumberMarker", &last.number.to_string());
    }
    out.elem("MaxParts", &max_parts.to_string());
    out.elem("IsTruncated", if truncated { "true" } else { "false" });
    for part in &parts {
        out.open("Part");
        out.elem("PartNumber", &part.number.to_string());
        out.elem("LastModified", &iso8601(part.last_modified_ms));
        out.elem("ETag", &quoted(&part.etag));
        out.elem("Size", &part.size.to_string());
        if let Some(checksum) = &part.checksum {
            write_checksum_xml(&mut out, checksum, None);
        }
        out.close("Part");
    }
    out.close("ListPartsResult");
    let mut response = xml_response(StatusCode::OK, out.finish());
    set_abort_headers(app, request, &mut response, key, upload.initiated_ms)?;
    Ok(response)
}

/// `x-amz-abort-date` / `x-amz-abort-rule-id` when an AbortIncompleteMultipartUpload rule
/// applies to the upload.
fn set_abort_headers(
    app: &AppState,
    request: &S3Request,
    response: &mut Response,
    key: &str,
    initiated_ms: i64,
) -> S3Result<()> {
    let Some(record) = request.bucket_record(&app.store) else {
        return Ok(());
    };
    let Some(rules) = app.bucket_lifecycles.get(&app.store, record)? else {
        return Ok(());
    };
    if let Some((due, rule_id)) = rules.abort_due(key, initiated_ms, app.store.day_ms()) {
        set_header(response, "x-amz-abort-date", &http_date(due));
        set_header(response, "x-amz-abort-rule-id", rule_id);
    }
    Ok(())
}

pub async fn list_uploads(app: &AppState, request: &S3Request) -> S3Result<Response> {
    let bucket = request.bucket()?;
    let prefix = request.query("prefix").unwrap_or("");
    let delimiter = request.query("delimiter").filter(|d| !d.is_empty());
    let max_uploads = max_keys(request, "max-uploads")?;
    let encode = url_encoding(request)?;
    let key_marker = request.query("key-marker").filter(|m| !m.is_empty());
    let upload_id_marker = request.query("upload-id-marker").filter(|m| !m.is_empty());
    let (uploads, truncated) = app.store.list_uploads(
        bucket,
        &UploadsQuery {
            prefix,
            key_marker,
            upload_id_marker: key_marker.and(upload_id_marker),
            max_uploads,
        },
    )?;
    let e = |s: &str| url_encode_if(s, encode);

    let mut out = XmlWriter::document();
    out.root("ListMultipartUploadsResult");
    out.elem("Bucket", bucket);
    out.elem("KeyMarker", &e(key_marker.unwrap_or("")));
    out.elem("UploadIdMarker", upload_id_marker.unwrap_or(""));
    if truncated && let Some(last) = uploads.last() {
        out.elem("NextKeyMarker", &e(&last.key));
        out.elem("NextUploadIdMarker", &last.upload_id);
    }
    out.elem("Prefix", &e(prefix));
    if let Some(delimiter) = delimiter {
        out.elem("Delimiter", &e(delimiter));
    }
    out.elem("MaxUploads", &max_uploads.to_string());
    if encode {
        out.elem("EncodingType", "url");
    }
    out.elem("IsTruncated", if truncated { "true" } else { "false" });
    let mut prefixes: Vec<&str> = Vec::new();
    for upload in &uploads {
        if let Some(common) = common_prefix(prefix, delimiter, &upload.key) {
            if prefixes.last() != Some(&common) {
                prefixes.push(common);
            }
            continue;
        }
        out.open("Upload");
        out.elem("Key", &e(&upload.key));
        out.elem("UploadId", &upload.upload_id);
        owner_elements(&mut out, "Initiator", &upload.attrs.owner);
        owner_elements(&mut out, "Owner", &upload.attrs.owner);
        out.elem("StorageClass", &upload.attrs.storage_class);
        out.elem("Initiated", &iso8601(upload.initiated_ms));
        out.close("Upload");
    }
    for common in prefixes {
        out.open("CommonPrefixes");
        out.elem("Prefix", &e(common));
        out.close("CommonPrefixes");
    }
    out.close("ListMultipartUploadsResult");
    Ok(xml_response(StatusCode::OK, out.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complete_documents_parse_in_every_client_dialect() {
        let docs: [&[u8]; 3] = [
            br#"<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ETag>"e1"</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32><PartNumber>1</PartNumber></Part><Part><ETag>"e2"</ETag><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>"#,
            br#"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&#34;e1&#34;</ETag></Part><Part><PartNumber>2</PartNumber><ETag>&#34;e2&#34;</ETag></Part></CompleteMultipartUpload>"#,
            b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>e1</ETag></Part><Part><PartNumber>2</PartNumber><ETag>e2</ETag></Part></CompleteMultipartUpload>",
        ];
        for doc in docs {
            let parts = parse_complete(doc).expect("parses");
            let normalized: Vec<_> = parts
                .iter()
                .map(|p| (p.number, crate::store::multipart::normalize_etag(&p.etag)))
                .collect();
            assert_eq!(
                normalized,
                vec![(1, "e1".to_string()), (2, "e2".to_string())]
            );
        }
        assert_eq!(
            parse_complete(b"<Other/>").unwrap_err().code,
            "MalformedXML"
        );
        assert_eq!(
            parse_complete(b"<CompleteMultipartUpload><Part><PartNumber>x</PartNumber></Part></CompleteMultipartUpload>")
                .unwrap_err()
                .code,
            "MalformedXML"
        );
    }
}
