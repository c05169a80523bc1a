//! Object and bucket tagging: Put/Get/DeleteObjectTagging, Put/Get/DeleteBucketTagging, and the
//! `x-amz-tagging` header of PutObject, CopyObject and CreateMultipartUpload. AWS's limits:
//! 10 tags per object (50 per bucket), keys 1–128 and values 0–256 Unicode characters, unique
//! keys, no `aws:` prefix.

use axum::response::Response;
use http::StatusCode;
use percent_encoding::percent_decode_str;

use super::versioning::{selector, set_version_header};
use super::{empty_response, xml_response};
use crate::http::AppState;
use crate::s3::error::{S3Error, S3Result};
use crate::s3::request::{RequestBody, S3Request, read_small_body};
use crate::s3::xml::{self, XmlWriter};

pub type Tags = Vec<(String, String)>;

const MAX_OBJECT_TAGS: usize = 10;
const MAX_BUCKET_TAGS: usize = 50;

fn invalid_tag(message: &str) -> S3Error {
    S3Error::new("InvalidTag", message)
}

fn validate(tags: &Tags, max: usize, kind: &str) -> S3Result<()> {
    if tags.len() > max {
        return Err(invalid_tag(&format!(
            "{kind} tags cannot be greater than {max}"
        )));
    }
    for (i, (key, value)) in tags.iter().enumerate() {
        if key.is_empty() || key.chars().count() > 128 {
            return Err(invalid_tag("The TagKey you have provided is invalid"));
        }
        if value.chars().count() > 256 {
            return Err(invalid_tag("The TagValue you have provided is invalid"));
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(invalid_tag(
                "System tags cannot be added/updated by requester",
            ));
        }
        if tags[..i].iter().any(|(k, _)| k == key) {
            return Err(invalid_tag(
                "Cannot provide multiple Tags with the same key",
            ));
        }
    }
    Ok(())
}

/// `x-amz-tagging: k1=v1&k2=v2` (URL-encoded like a query string).
pub(crate) fn header_tags(request: &S3Request) -> S3Result<Tags> {
    let Some(value) = request.header("x-amz-tagging") else {
        return Ok(Vec::new());
    };
    let decode = |s: &str| -> S3Result<String> {
        percent_decode_str(&s.replace('+', " "))
            .decode_utf8()
            .map(|s| s.into_owned())
            .map_err(|_| invalid_tag("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates."))
    };
    let tags = value
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode(k)?, decode(v)?))
        })
        .collect::<S3Result<Tags>>()?;
    validate(&tags, MAX_OBJECT_TAGS, "Object")?;
    Ok(tags)
}

async fn body_tags(body: &mut RequestBody, max: usize, kind: &str) -> S3Result<Tags> {
    let document = read_small_body(body, 256 * 1024).await?;
    let root = xml::parse(&document)?;
    if root.name != "Tagging" {
        return Err(S3Error::malformed_xml());
    }
    let tag_set = root.child("TagSet").ok_or_else(S3Error::malformed_xml)?;
    let tags = tag_set
        .children_named("Tag")
        .map(
            |tag| match (tag.child_text("Key"), tag.child_text("Value")) {
                (Some(key), value) => Ok((key.to_string(), value.unwrap_or("").to_string())),
                _ => Err(S3Error::malformed_xml()),
            },
        )
        .collect::<S3Result<Tags>>()?;
    validate(&tags, max, kind)?;
    Ok(tags)
}

fn tagging_document(tags: &Tags) -> String {
    let mut out = XmlWriter::document();
    out.root("Tagging");
    out.open("TagSet");
    for (key, value) in tags {
        out.open("Tag");
        out.elem("Key", key);
        out.elem("Value", value);
        out.close("Tag");
    }
    out.close("TagSet");
    out.close("Tagging");
    out.finish()
}

pub async fn get_object_tagging(app: &AppState, request: &S3Request) -> S3Result<Response> {
    let selector = selector(request)?;
    let version = app
        .store
        .version(request.bucket()?, request.key()?, selector)?;
    let mut response = xml_response(StatusCode::OK, tagging_document(&version.attrs.tags));
    set_version_header(app, request, &mut response, &version)?;
    Ok(response)
}

pub async fn put_object_tagging(
    app: &AppState,
    request: &S3Request,
    body: &mut RequestBody,
) -> S3Result<Response> {
    let tags = body_tags(body, MAX_OBJECT_TAGS, "Object").await?;
    set_object_tags(app, request, tags, StatusCode::OK).await
}

pub async fn delete_object_tagging(app: &AppState, request: &S3Request) -> S3Result<Response> {
    set_object_tags(app, request, Vec::new(), StatusCode::NO_CONTENT).await
}

async fn set_object_tags(
    app: &AppState,
    request: &S3Request,
    tags: Vec<(String, String)>,
    status: StatusCode,
) -> S3Result<Response> {
    let selector = selector(request)?;
    let version = app
        .store
        .set_object_tags(request.bucket()?, request.key()?, selector, tags)
        .await?;
    let mut response = empty_response(status);
    set_version_header(app, request, &mut response, &version)?;
    Ok(response)
}

pub async fn get_bucket_tagging(app: &AppState, request: &S3Request) -> S3Result<Response> {
    let bucket = app.store.bucket(request.bucket()?)?;
    match &bucket.tags {
        Some(tags) => Ok(xml_response(StatusCode::OK, tagging_document(tags))),
        None => Err(S3Error::new("NoSuchTagSet", "The TagSet does not exist")
            .with("BucketName", &bucket.name)),
    }
}

pub async fn put_bucket_tagging(
    app: &AppState,
    request: &S3Request,
    body: &mut RequestBody,
) -> S3Result<Response> {
    let bucket = request.bucket()?;
    app.store.bucket(bucket)?;
    let tags = body_tags(body, MAX_BUCKET_TAGS, "Bucket").await?;
    app.store.set_bucket_tags(bucket, Some(tags)).await?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}

pub async fn delete_bucket_tagging(app: &AppState, request: &S3Request) -> S3Result<Response> {
    app.store.set_bucket_tags(request.bucket()?, None).await?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn tag_limits() {
        assert!(validate(&tags(&[("a", "1"), ("b", "")]), 10, "Object").is_ok());
        let eleven: Tags = (0..11).map(|i| (format!("k{i}"), String::new())).collect();
        assert_eq!(
            validate(&eleven, 10, "Object").unwrap_err().code,
            "InvalidTag"
        );
        assert!(validate(&eleven, 50, "Bucket").is_ok());
        let long_key = "k".repeat(129);
        let long_value = "v".repeat(257);
        for bad in [
            tags(&[("", "x")]),
            tags(&[(&long_key, "x")]),
            tags(&[("k", &long_value)]),
            tags(&[("aws:cloudformation", "x")]),
            tags(&[("dup", "1"), ("dup", "2")]),
        ] {
            assert_eq!(
                validate(&bad, 10, "Object").unwrap_err().code,
                "InvalidTag",
                "{bad:?}"
            );
        }
        // Limits count characters, not bytes.
        assert!(validate(&tags(&[(&"é".repeat(128), &"ü".repeat(256))]), 10, "Object").is_ok());
    }
}
