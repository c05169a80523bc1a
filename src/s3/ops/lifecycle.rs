//! Put/Get/DeleteBucketLifecycleConfiguration. The document is validated by
//! `lifecycle::rules` and stored in its stored form (`LifecycleConfiguration::to_stored`);
//! GetBucketLifecycleConfiguration answers the document and, as a header, the
//! `x-amz-transition-default-minimum-object-size` it was put with.

use axum::response::Response;
use http::StatusCode;

use super::bucket_config::{delete_document, store_document, stored_document};
use super::{empty_response, set_header, xml_response};
use crate::http::AppState;
use crate::lifecycle::rules::{self, MIN_TRANSITION_SIZE_HEADER};
use crate::s3::error::{S3Error, S3Result};
use crate::s3::request::{RequestBody, S3Request, read_small_body};
use crate::store::bucket_config::BucketConfig;

/// 1,000 rules with long prefixes and several tags each stay under this.
const MAX_LIFECYCLE_BODY: usize = 2 * 1024 * 1024;

pub async fn put_bucket_lifecycle(
    app: &AppState,
    request: &S3Request,
    body: &mut RequestBody,
) -> S3Result<Response> {
    app.store.bucket(request.bucket()?)?;
    let document = read_small_body(body, MAX_LIFECYCLE_BODY).await?;
    let config = rules::parse(&document, request.header(MIN_TRANSITION_SIZE_HEADER))?;
    store_document(app, request, BucketConfig::Lifecycle, config.to_stored()).await?;
    app.store.lifecycle_changed(request.bucket()?).await?;
    let mut response = empty_response(StatusCode::OK);
    set_header(
        &mut response,
        MIN_TRANSITION_SIZE_HEADER,
        config.min_transition_size.as_str(),
    );
    Ok(response)
}

pub async fn get_bucket_lifecycle(app: &AppState, request: &S3Request) -> S3Result<Response> {
    let stored = stored_document(app, request, BucketConfig::Lifecycle)?;
    let (min_size, document) = rules::split_stored(&stored);
    if document.is_empty() {
        return Err(S3Error::internal(
            "a stored lifecycle configuration is empty",
        ));
    }
    let mut response = xml_response(StatusCode::OK, document.to_string());
    set_header(&mut response, MIN_TRANSITION_SIZE_HEADER, min_size);
    Ok(response)
}

pub async fn delete_bucket_lifecycle(app: &AppState, request: &S3Request) -> S3Result<Response> {
    delete_document(app, request, BucketConfig::Lifecycle).await
}
