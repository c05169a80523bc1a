//! Put/Get/DeleteBucketWebsite. The document is validated by `s3::website` before it is
//! stored, and stored rendered back in AWS's shape (so GetBucketWebsite answers what AWS
//! answers, whatever namespace or element order the client sent).

use axum::response::Response;
use http::StatusCode;

use super::{empty_response, xml_response};
use crate::http::AppState;
use crate::s3::error::{S3Error, S3Result};
use crate::s3::request::{RequestBody, S3Request, read_small_body};
use crate::s3::website;

/// 50 routing rules of a few long keys each stay far below this.
const MAX_WEBSITE_BODY: usize = 256 * 1024;

fn no_website(bucket: &str) -> S3Error {
    S3Error::new(
        "NoSuchWebsiteConfiguration",
        "The specified bucket does not have a website configuration",
    )
    .with("BucketName", bucket)
}

pub async fn put_bucket_website(
    app: &AppState,
    request: &S3Request,
    body: &mut RequestBody,
) -> S3Result<Response> {
    let bucket = request.bucket()?;
    app.store.bucket(bucket)?;
    let document = read_small_body(body, MAX_WEBSITE_BODY).await?;
    let config = website::parse(&document)?;
    app.store
        .set_bucket_website(bucket, Some(website::render(&config)))
        .await?;
    Ok(empty_response(StatusCode::OK))
}

pub async fn get_bucket_website(app: &AppState, request: &S3Request) -> S3Result<Response> {
    let bucket = request.bucket()?;
    // The revision in the record says whether there is one; the document is read only then.
    if app.store.bucket(bucket)?.website_revision.is_none() {
        return Err(no_website(bucket));
    }
    let document = app
        .store
        .bucket_website(bucket)?
        .ok_or_else(|| no_website(bucket))?;
    Ok(xml_response(StatusCode::OK, document))
}

pub async fn delete_bucket_website(app: &AppState, request: &S3Request) -> S3Result<Response> {
    let bucket = request.bucket()?;
    app.store.set_bucket_website(bucket, None).await?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}
