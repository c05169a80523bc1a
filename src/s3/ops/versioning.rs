//! Bucket versioning: Get/PutBucketVersioning, ListObjectVersions, and the `versionId`
//! plumbing every object operation shares.

use axum::response::Response;
use http::StatusCode;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::{http_date, iso8601, quoted, set_header, url_encode_if, xml_response};
use crate::http::AppState;
use crate::iam::ROOT_DISPLAY_NAME;
use crate::lifecycle::evaluate::ObjectFacts;
use crate::meta::model::{ObjectVersion, Versioning};
use crate::s3::error::{S3Error, S3Result};
use crate::s3::request::{RequestBody, S3Request, read_small_body};
use crate::s3::xml::{self, XmlWriter};
use crate::store::list_versions::{VersionEntry, VersionQuery};
use crate::store::versions::{VersionSelector, shown_id};

/// The version a request addresses with its `versionId` query parameter.
pub(crate) fn selector(request: &S3Request) -> S3Result<VersionSelector> {
    Ok(VersionSelector::parse(request.query("versionId"))?)
}

/// `x-amz-version-id` of the version a request wrote or read: its id, `null` for the null
/// version of a bucket that has versioning enabled or suspended, nothing in a bucket that never
/// had versioning (the bucket record authorization already read decides).
pub(crate) fn set_version_header(
    app: &AppState,
    request: &S3Request,
    response: &mut Response,
    version: &ObjectVersion,
) -> S3Result<()> {
    let versioning = match request.bucket_record(&app.store) {
        Some(record) => record.versioning,
        None => app.store.bucket(request.bucket()?)?.versioning,
    };
    let shown = match &version.version_id {
        Some(id) => Some(id.as_str()),
        None => match versioning {
            Versioning::Unversioned => None,
            Versioning::Enabled | Versioning::Suspended => Some(shown_id(version)),
        },
    };
    if let Some(id) = shown {
        set_header(response, "x-amz-version-id", id);
    }
    Ok(())
}

/// A rule id in `x-amz-expiration` is URL-encoded.
const RULE_ID: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The headers of a version a request wrote or read as the key's current one:
/// `x-amz-version-id`, and `x-amz-expiration` when a lifecycle rule will expire it.
pub(crate) fn set_current_version_headers(
    app: &AppState,
    request: &S3Request,
    response: &mut Response,
    version: &ObjectVersion,
) -> S3Result<()> {
    set_version_header(app, request, response, version)?;
    let Some(record) = request.bucket_record(&app.store) else {
        return Ok(());
    };
    if version.delete_marker || request.query("versionId").is_some() {
        return Ok(());
    }
    let Some(rules) = app.bucket_lifecycles.get(&app.store, record)? else {
        return Ok(());
    };
    let Ok(key) = request.key() else {
        return Ok(());
    };
    let facts = ObjectFacts {
        key,
        size: version.size,
        tags: &version.attrs.tags,
        created_ms: version.last_modified_ms,
        storage_class: &version.attrs.storage_class,
        is_latest: true,
        is_delete_marker: false,
        sole_version: false,
        noncurrent_since_ms: None,
        newer_noncurrent_count: 0,
        versioned: record.versioning != Versioning::Unversioned,
    };
    if let Some((expiry, rule_id)) = rules.expiration_header(&facts, app.store.day_ms()) {
        let rule_id = utf8_percent_encode(rule_id, RULE_ID);
        let value = format!(
            "expiry-date=\"{}\", rule-id=\"{rule_id}\"",
            http_date(expiry)
        );
        set_header(response, "x-amz-expiration", &value);
    }
    Ok(())
}

pub async fn get_versioning(app: &AppState, request: &S3Request) -> S3Result<Response> {
    let bucket = app.store.bucket(request.bucket()?)?;
    let mut out = XmlWriter::document();
    out.root("VersioningConfiguration");
    match bucket.versioning {
        Versioning::Unversioned => {}
        Versioning::Enabled => out.elem("Status", "Enabled"),
        Versioning::Suspended => out.elem("Status", "Suspended"),
    }
    out.close("VersioningConfiguration");
    Ok(xml_response(StatusCode::OK, out.finish()))
}

fn illegal_configuration() -> S3Error {
    S3Error::new(
        "IllegalVersioningConfigurationException",
        "The Versioning element must be specified",
    )
}

pub async fn put_versioning(
    app: &AppState,
    request: &S3Request,
    body: &mut RequestBody,
) -> S3Result<Response> {
    let bucket = request.bucket()?;
    let document = read_small_body(body, xml::MAX_XML_BODY).await?;
    app.store.bucket(bucket)?;
    let root = xml::parse(&document)?;
    if root.name != "VersioningConfiguration" {
        return Err(S3Error::malformed_xml());
    }
    match root.child_text("MfaDelete").map(str::trim) {
        None | Some("Disabled") => {}
        Some("Enabled") => return Err(S3Error::not_implemented("MFA Delete")),
        Some(_) => return Err(S3Error::malformed_xml()),
    }
    if request.header("x-amz-mfa").is_some() {
        return Err(S3Error::not_implemented("MFA Delete"));
    }
    let versioning = match root.child_text("Status").map(str::trim) {
        // No status changes nothing, as on AWS (a bucket never returns to "unversioned").
        None => return Ok(super::empty_response(StatusCode::OK)),
        Some("Enabled") => Versioning::Enabled,
        Some("Suspended") => Versioning::Suspended,
        Some(_) => return Err(illegal_configuration()),
    };
    app.store.set_versioning(bucket, versioning).await?;
    Ok(super::empty_response(StatusCode::OK))
}

pub async fn list_object_versions(app: &AppState, request: &S3Request) -> S3Result<Response> {
    let bucket = request.bucket()?;
    let prefix = request.query("prefix").unwrap_or("");
    let delimiter = request.query("delimiter").filter(|d| !d.is_empty());
    let max_keys = super::list::max_keys(request, "max-keys")?;
    let encode = super::list::url_encoding(request)?;
    let key_marker = request.query("key-marker").filter(|m| !m.is_empty());
    let version_marker = request.query("version-id-marker").filter(|m| !m.is_empty());
    if version_marker.is_some() && key_marker.is_none() {
        return Err(S3Error::invalid_argument(
            "A version-id marker cannot be specified without a key marker.",
        )
        .with("ArgumentName", "version-id-marker")
        .with("ArgumentValue", version_marker.unwrap_or_default()));
    }
    let version_selector = match version_marker {
        None => None,
        Some(marker) => Some(VersionSelector::parse(Some(marker)).map_err(|_| {
            S3Error::invalid_argument("Invalid version id specified")
                .with("ArgumentName", "version-id-marker")
                .with("ArgumentValue", marker)
        })?),
    };
    let page = app.store.list_versions(
        bucket,
        &VersionQuery {
            prefix,
            delimiter,
            key_marker,
            version_marker: version_selector,
            max_keys,
        },
    )?;
    let e = |s: &str| url_encode_if(s, encode);

    let mut out = XmlWriter::document();
    out.root("ListVersionsResult");
    out.elem("Name", bucket);
    out.elem("Prefix", &e(prefix));
    out.elem("KeyMarker", &e(key_marker.unwrap_or("")));
    out.elem("VersionIdMarker", version_marker.unwrap_or(""));
    if page.is_truncated {
        match page.entries.last() {
            Some(VersionEntry::Version { key, version, .. }) => {
                out.elem("NextKeyMarker", &e(key));
                out.elem("NextVersionIdMarker", shown_id(version));
            }
            Some(VersionEntry::CommonPrefix(prefix)) => out.elem("NextKeyMarker", &e(prefix)),
            None => {}
        }
    }
    super::list::write_page_settings(&mut out, max_keys, delimiter, encode, page.is_truncated);
    for entry in &page.entries {
        let VersionEntry::Version {
            key,
            version,
            is_latest,
        } = entry
        else {
            continue;
        };
        let element = if version.delete_marker {
            "DeleteMarker"
        } else {
            "Version"
        };
        out.open(element);
        out.elem("Key", &e(key));
        out.elem("VersionId", shown_id(version));
        out.elem("IsLatest", if *is_latest { "true" } else { "false" });
        out.elem("LastModified", &iso8601(version.last_modified_ms));
        if !version.delete_marker {
            out.elem("ETag", &quoted(&version.etag));
            out.elem("Size", &version.size.to_string());
            out.elem("StorageClass", &version.attrs.storage_class);
        }
        out.open("Owner");
        out.elem("ID", &version.attrs.owner);
        out.elem("DisplayName", ROOT_DISPLAY_NAME);
        out.close("Owner");
        out.close(element);
    }
    super::list::write_common_prefixes(
        &mut out,
        page.entries.iter().filter_map(|entry| match entry {
            VersionEntry::CommonPrefix(prefix) => Some(prefix.as_str()),
            VersionEntry::Version { .. } => None,
        }),
        encode,
    );
    out.close("ListVersionsResult");
    Ok(xml_response(StatusCode::OK, out.finish()))
}

/// strata's `GET /bucket?x-strata-usage`: the version accounting lifecycle and cost reports
/// build on — current and noncurrent objects and bytes, and delete markers.
pub async fn get_bucket_usage(app: &AppState, request: &S3Request) -> S3Result<Response> {
    let bucket = request.bucket()?;
    let usage = app.store.usage(bucket)?;
    let mut out = XmlWriter::document();
    out.open("BucketUsage");
    out.elem("Name", bucket);
    for (element, objects, bytes) in [
        ("Current", usage.current_objects, usage.current_bytes),
        (
            "Noncurrent",
            usage.noncurrent_objects,
            usage.noncurrent_bytes,
        ),
    ] {
        out.open(element);
        out.elem("Objects", &objects.to_string());
        out.elem("Bytes", &bytes.to_string());
        out.close(element);
    }
    out.elem("DeleteMarkers", &usage.delete_markers.to_string());
    out.close("BucketUsage");
    Ok(xml_response(StatusCode::OK, out.finish()))
}
