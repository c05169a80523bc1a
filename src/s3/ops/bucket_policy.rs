//! Bucket policies: Put/Get/DeleteBucketPolicy and GetBucketPolicyStatus. The document is
//! validated by the policy engine before it is stored (so a stored policy always parses), and
//! stored as sent, which is what GetBucketPolicy returns.

use axum::body::Body;
use axum::response::Response;
use http::{HeaderValue, StatusCode};

use super::bucket_config::{delete_document, missing, store_document, stored_document};
use super::{empty_response, xml_response};
use crate::http::AppState;
use crate::policy::document::{PolicyDocument, PolicyKind};
use crate::s3::error::{S3Error, S3Result};
use crate::s3::request::{RequestBody, S3Request, read_small_body};
use crate::s3::xml::XmlWriter;
use crate::store::bucket_config::BucketConfig;
use crate::store::config_cache::StoredConfig;

/// AWS's limit on a bucket policy; a little slack is read so that an oversized one is refused
/// with the policy error rather than as an oversized request body.
const MAX_POLICY_BODY: usize = 64 * 1024;

pub async fn put_bucket_policy(
    app: &AppState,
    request: &S3Request,
    body: &mut RequestBody,
) -> S3Result<Response> {
    let bucket = request.bucket()?;
    let record = app.store.bucket(bucket)?;
    let document = read_small_body(body, MAX_POLICY_BODY).await?;
    let text = std::str::from_utf8(&document)
        .map_err(|_| S3Error::new("MalformedPolicy", "Policies must be valid JSON"))?;
    let parsed = PolicyDocument::parse(text, PolicyKind::Bucket, Some(bucket))
        .map_err(|e| S3Error::new("MalformedPolicy", e.message))?;
    // BlockPublicPolicy: AWS answers 403 to a public policy, even for the bucket owner.
    if record
        .public_access_block
        .is_some_and(|block| block.block_public_policy)
        && parsed.is_public()
    {
        return Err(S3Error::access_denied());
    }
    store_document(app, request, BucketConfig::Policy, text.to_string()).await?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}

pub async fn get_bucket_policy(app: &AppState, request: &S3Request) -> S3Result<Response> {
    let text = stored_document(app, request, BucketConfig::Policy)?;
    let mut response = Response::new(Body::from(text));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

pub async fn delete_bucket_policy(app: &AppState, request: &S3Request) -> S3Result<Response> {
    delete_document(app, request, BucketConfig::Policy).await
}

pub async fn get_bucket_policy_status(app: &AppState, request: &S3Request) -> S3Result<Response> {
    let bucket = request.bucket()?;
    let record = app.store.bucket(bucket)?;
    let policy = app
        .bucket_policies
        .get(&app.store, &record)?
        .ok_or_else(|| missing(BucketConfig::Policy, bucket))?;
    let mut out = XmlWriter::document();
    out.root("PolicyStatus");
    out.elem(
        "IsPublic",
        if policy.is_public() { "true" } else { "false" },
    );
    out.close("PolicyStatus");
    Ok(xml_response(StatusCode::OK, out.finish()))
}

impl StoredConfig for PolicyDocument {
    const WHICH: BucketConfig = BucketConfig::Policy;

    fn parse_stored(bucket: &str, text: &str) -> Result<Self, String> {
        PolicyDocument::parse(text, PolicyKind::Bucket, Some(bucket)).map_err(|e| e.message)
    }
}
