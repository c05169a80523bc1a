//! GetObjectAttributes: the attributes named in `x-amz-object-attributes` (ETag, Checksum,
//! ObjectParts, StorageClass, ObjectSize), without the body.

use axum::response::Response;
use http::StatusCode;

use crate::http::AppState;
use crate::meta::model::ObjectData;
use crate::s3::error::{S3Error, S3Result};
use crate::s3::ops::{http_date, set_header, xml_response};
use crate::s3::request::S3Request;
use crate::s3::xml::XmlWriter;

const ATTRIBUTES: [&str; 5] = [
    "ETag",
    "Checksum",
    "ObjectParts",
    "StorageClass",
    "ObjectSize",
];

fn requested(request: &S3Request) -> S3Result<Vec<&'static str>> {
    let invalid = || S3Error::invalid_argument("Invalid attribute name specified.");
    // The header may repeat (one value each, as the SDKs send it) or hold a comma list.
    let values = request.headers.get_all("x-amz-object-attributes");
    let mut out = Vec::new();
    for name in values
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        let known = ATTRIBUTES
            .iter()
            .find(|a| a.eq_ignore_ascii_case(name))
            .ok_or_else(invalid)?;
        out.push(*known);
    }
    if out.is_empty() {
        return Err(invalid());
    }
    Ok(out)
}

pub async fn get_object_attributes(app: &AppState, request: &S3Request) -> S3Result<Response> {
    let wanted = requested(request)?;
    let selector = crate::s3::ops::versioning::selector(request)?;
    let version = app
        .store
        .version(request.bucket()?, request.key()?, selector)?;
    // As GET and HEAD: an SSE-C object's attributes need its key.
    let customer = crate::s3::ops::sse::request_customer_key(app, request)?;
    crate::store::encryption::check_customer_key(version.encryption.as_ref(), customer.as_ref())?;
    let number = |header: &str, default: u32| -> S3Result<u32> {
        match request.header(header) {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse()
                .map_err(|_| S3Error::invalid_argument(format!("Invalid {header}"))),
        }
    };
    let max_parts = number("x-amz-max-parts", 1000)?.min(1000) as usize;
    let marker = number("x-amz-part-number-marker", 0)?;

    let mut out = XmlWriter::document();
    out.root("GetObjectAttributesResponse");
    if wanted.contains(&"ETag") {
        // Unquoted here, unlike every other API.
        out.elem("ETag", &version.etag);
    }
    if wanted.contains(&"Checksum")
        && let Some(checksum) = &version.checksum
    {
        out.open("Checksum");
        out.elem(checksum.algorithm.xml_element(), &checksum.value);
        if let Some(kind) = version.checksum_type {
            out.elem("ChecksumType", kind.name());
        }
        out.close("Checksum");
    }
    if wanted.contains(&"ObjectParts")
        && let ObjectData::Parts(parts) = &version.data
    {
        let page: Vec<_> = parts
            .iter()
            .filter(|p| p.number > marker)
            .take(max_parts)
            .collect();
        let truncated = parts.iter().filter(|p| p.number > marker).count() > page.len();
        out.open("ObjectParts");
        // The API reference calls it TotalPartsCount; on the wire it is PartsCount.
        out.elem("PartsCount", &parts.len().to_string());
        out.elem("PartNumberMarker", &marker.to_string());
        if let Some(last) = page.last() {
            out.elem("NextPartNumberMarker", &last.number.to_string());
        }
        out.elem("MaxParts", &max_parts.to_string());
        out.elem("IsTruncated", if truncated { "true" } else { "false" });
        for part in page {
            out.open("Part");
            out.elem("PartNumber", &part.number.to_string());
            out.elem("Size", &part.size.to_string());
            if let Some(checksum) = &part.checksum {
                out.elem(checksum.algorithm.xml_element(), &checksum.value);
            }
            out.close("Part");
        }
        out.close("ObjectParts");
    }
    if wanted.contains(&"StorageClass") {
        out.elem("StorageClass", &version.attrs.storage_class);
    }
    if wanted.contains(&"ObjectSize") {
        out.elem("ObjectSize", &version.size.to_string());
    }
    out.close("GetObjectAttributesResponse");
    let mut response = xml_response(StatusCode::OK, out.finish());
    set_header(
        &mut response,
        "last-modified",
        &http_date(version.last_modified_ms),
    );
    crate::s3::ops::versioning::set_version_header(app, request, &mut response, &version)?;
    Ok(response)
}
