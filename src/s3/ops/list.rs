//! ListObjects (V1) and ListObjectsV2: parameters, pagination tokens, XML.

use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::StatusCode;

use super::{iso8601, quoted, url_encode_if, xml_response};
use crate::http::AppState;
use crate::iam::ROOT_DISPLAY_NAME;
use crate::s3::error::{S3Error, S3Result};
use crate::s3::request::S3Request;
use crate::s3::xml::XmlWriter;
use crate::store::list::{Entry, ListQuery};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V1,
    V2,
}

pub const MAX_KEYS: usize = 1000;

/// `max-keys`: default and ceiling 1000; larger values are capped as on AWS, not refused.
pub(crate) fn max_keys(request: &S3Request, name: &str) -> S3Result<usize> {
    match request.query(name) {
        None => Ok(MAX_KEYS),
        Some(value) => value
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(|n| (n as usize).min(MAX_KEYS))
            .ok_or_else(|| {
                S3Error::invalid_argument(
                    "Provided max-keys not an integer or within integer range",
                )
                .with("ArgumentName", name)
                .with("ArgumentValue", value)
            }),
    }
}

pub(crate) fn url_encoding(request: &S3Request) -> S3Result<bool> {
    match request.query("encoding-type") {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("url") => Ok(true),
        Some(v) => Err(
            S3Error::invalid_argument("Invalid Encoding Method specified in Request")
                .with("ArgumentName", "encoding-type")
                .with("ArgumentValue", v),
        ),
    }
}

fn decode_token(token: &str) -> S3Result<String> {
    URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| {
            S3Error::invalid_argument("The continuation token provided is incorrect")
                .with("ArgumentName", "continuation-token")
        })
}

pub async fn list_objects(
    app: &AppState,
    request: &S3Request,
    version: Version,
) -> S3Result<Response> {
    let bucket = request.bucket()?;
    let prefix = request.query("prefix").unwrap_or("");
    let delimiter = request.query("delimiter").filter(|d| !d.is_empty());
    let max_keys = max_keys(request, "max-keys")?;
    let encode = url_encoding(request)?;
    let token = match (version, request.query("continuation-token")) {
        (Version::V2, Some(token)) => Some(decode_token(token)?),
        _ => None,
    };
    let after = match version {
        Version::V1 => request.query("marker").map(str::to_string),
        Version::V2 => token
            .clone()
            .or_else(|| request.query("start-after").map(str::to_string)),
    }
    .filter(|a| !a.is_empty());

    let page = if max_keys == 0 {
        app.store.bucket(bucket)?;
        crate::store::list::ListPage {
            entries: Vec::new(),
            is_truncated: false,
        }
    } else {
        app.store.list_objects(
            bucket,
            &ListQuery {
                prefix,
                delimiter,
                after: after.as_deref(),
                max_keys,
            },
        )?
    };
    let fetch_owner = match version {
        Version::V1 => true,
        Version::V2 => request.query("fetch-owner").is_some_and(|v| v == "true"),
    };
    let e = |s: &str| url_encode_if(s, encode);
    // `x-amz-optional-object-attributes: RestoreStatus` asks for the restore state of archives.
    let restore_status = request
        .header("x-amz-optional-object-attributes")
        .is_some_and(|v| v.split(',').any(|a| a.trim() == "RestoreStatus"));

    let mut out = XmlWriter::document();
    out.root("ListBucketResult");
    out.elem("Name", bucket);
    out.elem("Prefix", &e(prefix));
    match version {
        Version::V1 => {
            out.elem("Marker", &e(request.query("marker").unwrap_or("")));
            // NextMarker is returned only with a delimiter; without one, clients use the last key.
            if page.is_truncated
                && delimiter.is_some()
                && let Some(last) = page.entries.last()
            {
                out.elem("NextMarker", &e(last.name()));
            }
        }
        Version::V2 => {
            if let Some(token) = request.query("continuation-token") {
                out.elem("ContinuationToken", token);
            }
            if let Some(start_after) = request.query("start-after") {
                out.elem("StartAfter", &e(start_after));
            }
            out.elem("KeyCount", &page.entries.len().to_string());
            if page.is_truncated
                && let Some(last) = page.entries.last()
            {
                out.elem(
                    "NextContinuationToken",
                    &URL_SAFE_NO_PAD.encode(last.name()),
                );
            }
        }
    }
    write_page_settings(&mut out, max_keys, delimiter, encode, page.is_truncated);
    for entry in &page.entries {
        if let Entry::Object(key, version) = entry {
            out.open("Contents");
            out.elem("Key", &e(key));
            out.elem("LastModified", &iso8601(version.last_modified_ms));
            out.elem("ETag", &quoted(&version.etag));
            out.elem("Size", &version.size.to_string());
            if fetch_owner {
                out.open("Owner");
                out.elem("ID", &version.attrs.owner);
                out.elem("DisplayName", ROOT_DISPLAY_NAME);
                out.close("Owner");
            }
            out.elem("StorageClass", &version.attrs.storage_class);
            if restore_status && let Some(restore) = &version.restore {
                out.open("RestoreStatus");
                let ongoing = restore.in_progress();
                out.elem(
                    "IsRestoreInProgress",
                    if ongoing { "true" } else { "false" },
                );
                if !ongoing {
                    out.elem("RestoreExpiryDate", &iso8601(restore.expiry_ms));
                }
                out.close("RestoreStatus");
            }
            out.close("Contents");
        }
    }
    write_common_prefixes(
        &mut out,
        page.entries.iter().filter_map(|entry| match entry {
            Entry::CommonPrefix(prefix) => Some(prefix.as_str()),
            Entry::Object(..) => None,
        }),
        encode,
    );
    out.close("ListBucketResult");
    Ok(xml_response(StatusCode::OK, out.finish()))
}

/// The elements every listing writes after its markers.
pub(crate) fn write_page_settings(
    out: &mut XmlWriter,
    max_keys: usize,
    delimiter: Option<&str>,
    encode: bool,
    is_truncated: bool,
) {
    out.elem("MaxKeys", &max_keys.to_string());
    if let Some(delimiter) = delimiter {
        out.elem("Delimiter", &url_encode_if(delimiter, encode));
    }
    if encode {
        out.elem("EncodingType", "url");
    }
    out.elem("IsTruncated", if is_truncated { "true" } else { "false" });
}

/// `CommonPrefixes`, which every listing writes after its entries.
pub(crate) fn write_common_prefixes<'a>(
    out: &mut XmlWriter,
    prefixes: impl Iterator<Item = &'a str>,
    encode: bool,
) {
    for prefix in prefixes {
        out.open("CommonPrefixes");
        out.elem("Prefix", &url_encode_if(prefix, encode));
        out.close("CommonPrefixes");
    }
}
