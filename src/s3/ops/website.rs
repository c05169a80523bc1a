//! Put/Get/DeleteBucketWebsite. The document is validated by `s3::website` before it is
//! stored, and stored rendered back in AWS's shape (so GetBucketWebsite answers what AWS
//! answers, whatever namespace or element order the client sent).

use axum::response::Response;
use http::StatusCode;

use super::bucket_config::{delete_document, store_document, stored_document};
use super::{empty_response, xml_response};
use crate::http::AppState;
use crate::s3::error::S3Result;
use crate::s3::request::{RequestBody, S3Request, read_small_body};
use crate::s3::website;
use crate::store::bucket_config::BucketConfig;

/// 50 routing rules of a few long keys each stay far below this.
const MAX_WEBSITE_BODY: usize = 256 * 1024;

pub async fn put_bucket_website(
    app: &AppState,
    request: &S3Request,
    body: &mut RequestBody,
) -> S3Result<Response> {
    app.store.bucket(request.bucket()?)?;
    let document = read_small_body(body, MAX_WEBSITE_BODY).await?;
    let config = website::parse(&document)?;
    store_document(
        app,
        request,
        BucketConfig::Website,
        website::render(&config),
    )
    .await?;
    Ok(empty_response(StatusCode::OK))
}

pub async fn get_bucket_website(app: &AppState, request: &S3Request) -> S3Result<Response> {
    let document = stored_document(app, request, BucketConfig::Website)?;
    Ok(xml_response(StatusCode::OK, document))
}

pub async fn delete_bucket_website(app: &AppState, request: &S3Request) -> S3Result<Response> {
    delete_document(app, request, BucketConfig::Website).await
}
