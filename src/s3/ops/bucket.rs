//! Bucket operations: CreateBucket, HeadBucket, DeleteBucket, ListBuckets, GetBucketLocation.
//! A new bucket's ACL, object ownership and public access block come from `ops::ownership`.

use axum::response::Response;
use http::StatusCode;

use super::{empty_response, iso8601, set_header, xml_response};
use crate::http::AppState;
use crate::iam::ROOT_DISPLAY_NAME;
use crate::s3::error::{S3Error, S3Result};
use crate::s3::request::{RequestBody, S3Request, read_small_body};
use crate::s3::xml::{self, XmlWriter};
use crate::store::StoreError;

pub async fn list_buckets(app: &AppState, request: &S3Request) -> S3Result<Response> {
    let owner = request.owner_id();
    let buckets = app.store.list_buckets()?;
    let mut out = XmlWriter::document();
    out.root("ListAllMyBucketsResult");
    out.open("Owner");
    out.elem("ID", owner);
    out.elem("DisplayName", ROOT_DISPLAY_NAME);
    out.close("Owner");
    out.open("Buckets");
    for bucket in buckets.iter().filter(|b| b.owner == owner) {
        out.open("Bucket");
        out.elem("Name", &bucket.name);
        out.elem("CreationDate", &iso8601(bucket.created_ms));
        out.elem("BucketRegion", &bucket.region);
        out.close("Bucket");
    }
    out.close("Buckets");
    out.close("ListAllMyBucketsResult");
    Ok(xml_response(StatusCode::OK, out.finish()))
}

pub async fn create_bucket(
    app: &AppState,
    request: &S3Request,
    body: &mut RequestBody,
) -> S3Result<Response> {
    let name = request.bucket()?;
    validate_bucket_name(name)?;
    let config = read_small_body(body, 64 * 1024).await?;
    if !config.iter().all(u8::is_ascii_whitespace) {
        let root = xml::parse(&config)?;
        if root.name != "CreateBucketConfiguration" {
            return Err(S3Error::malformed_xml());
        }
        check_location_constraint(
            root.child_text("LocationConstraint").unwrap_or(""),
            &app.region,
        )?;
    }
    let access = super::ownership::create_bucket_access(app, request, request.owner_id())?;
    let object_lock = match request
        .header("x-amz-bucket-object-lock-enabled")
        .map(|v| v.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("false") => None,
        Some("true") => Some(super::object_lock::enabled_document()),
        Some(_) => {
            return Err(S3Error::invalid_argument(
                "x-amz-bucket-object-lock-enabled must be true or false",
            )
            .with("ArgumentName", "x-amz-bucket-object-lock-enabled"));
        }
    };
    match app
        .store
        .create_bucket_with(
            name,
            request.owner_id(),
            &app.region,
            access,
            object_lock.as_deref(),
        )
        .await
    {
        Ok(_) => {}
        Err(StoreError::BucketExists {
            owned_by_caller: true,
            ..
        }) => {
            return Err(S3Error::new(
                "BucketAlreadyOwnedByYou",
                "Your previous request to create the named bucket succeeded and you already own it.",
            )
            .with("BucketName", name));
        }
        Err(StoreError::BucketExists {
            owned_by_caller: false,
            ..
        }) => {
            return Err(S3Error::new(
                "BucketAlreadyExists",
                "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.",
            )
            .with("BucketName", name));
        }
        Err(other) => return Err(other.into()),
    }
    let mut response = empty_response(StatusCode::OK);
    set_header(&mut response, "location", &format!("/{name}"));
    Ok(response)
}

fn check_location_constraint(constraint: &str, region: &str) -> S3Result<()> {
    if constraint.is_empty() && region == "us-east-1" {
        return Ok(());
    }
    if constraint == region && region != "us-east-1" {
        return Ok(());
    }
    if constraint == "us-east-1" || constraint.is_empty() {
        return Err(S3Error::new(
            "InvalidLocationConstraint",
            "The specified location-constraint is not valid",
        )
        .with("LocationConstraint", constraint));
    }
    Err(S3Error::new(
        "IllegalLocationConstraintException",
        format!(
            "The {constraint} location constraint is incompatible for the region specific endpoint this request was sent to."
        ),
    ))
}

pub async fn head_bucket(app: &AppState, request: &S3Request) -> S3Result<Response> {
    let bucket = app.store.bucket(request.bucket()?)?;
    let mut response = empty_response(StatusCode::OK);
    set_header(&mut response, "x-amz-bucket-region", &bucket.region);
    Ok(response)
}

pub async fn delete_bucket(app: &AppState, request: &S3Request) -> S3Result<Response> {
    let bucket = request.bucket()?;
    app.store.delete_bucket(bucket).await?;
    // The parsed configurations of a deleted bucket must not outlive it in memory.
    app.bucket_policies.forget(bucket);
    app.bucket_cors.forget(bucket);
    app.bucket_websites.forget(bucket);
    app.bucket_lifecycles.forget(bucket);
    app.bucket_encryption.forget(bucket);
    Ok(empty_response(StatusCode::NO_CONTENT))
}

pub async fn get_bucket_location(app: &AppState, request: &S3Request) -> S3Result<Response> {
    let bucket = app.store.bucket(request.bucket()?)?;
    let mut out = XmlWriter::document();
    out.root("LocationConstraint");
    // us-east-1 is reported as an empty constraint, as on AWS.
    if bucket.region != "us-east-1" {
        out.elem_text(&bucket.region);
    }
    out.close("LocationConstraint");
    Ok(xml_response(StatusCode::OK, out.finish()))
}

/// AWS's general-purpose bucket naming rules.
pub fn validate_bucket_name(name: &str) -> S3Result<()> {
    let invalid = || {
        S3Error::new("InvalidBucketName", "The specified bucket is not valid.")
            .with("BucketName", name)
    };
    let bytes = name.as_bytes();
    if !(3..=63).contains(&bytes.len()) {
        return Err(invalid());
    }
    if !bytes
        .iter()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'.' || *b == b'-')
    {
        return Err(invalid());
    }
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return Err(invalid());
    }
    if name.contains("..") || name.contains(".-") || name.contains("-.") {
        return Err(invalid());
    }
    if name.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err(invalid());
    }
    let reserved_prefix = ["xn--", "sthree-", "amzn-s3-demo-"]
        .iter()
        .any(|p| name.starts_with(p));
    let reserved_suffix = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"]
        .iter()
        .any(|s| name.ends_with(s));
    if reserved_prefix || reserved_suffix {
        return Err(invalid());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_naming_rules() {
        for ok in ["abc", "my-bucket.v2", "a1b", &"a".repeat(63), "123"] {
            assert!(validate_bucket_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            &"a".repeat(64),
            "Abc",
            "a_b",
            "-ab",
            "ab-",
            "a..b",
            "a.-b",
            "192.168.1.1",
            "xn--abc",
            "abc-s3alias",
            "a b",
            "ab.",
        ] {
            assert_eq!(
                validate_bucket_name(bad).unwrap_err().code,
                "InvalidBucketName",
                "{bad}"
            );
        }
    }

    #[test]
    fn location_constraints() {
        assert!(check_location_constraint("", "us-east-1").is_ok());
        assert_eq!(
            check_location_constraint("us-east-1", "us-east-1")
                .unwrap_err()
                .code,
            "InvalidLocationConstraint"
        );
        assert!(check_location_constraint("eu-west-1", "eu-west-1").is_ok());
        assert_eq!(
            check_location_constraint("eu-west-1", "us-east-1")
                .unwrap_err()
                .code,
            "IllegalLocationConstraintException"
        );
    }
}
