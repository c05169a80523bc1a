//! Put/Get/Delete/ListBucketIntelligentTieringConfiguration (`?intelligent-tiering[&id=…]`).
//! `lifecycle::tiering` validates and renders; all of a bucket's configurations are stored as
//! one document, edited in one transaction so that concurrent Puts of different IDs both land.

use axum::response::Response;
use http::StatusCode;

use super::{empty_response, xml_response};
use crate::http::AppState;
use crate::lifecycle::tiering::{self, BucketTieringConfigurations};
use crate::s3::error::{S3Error, S3Result};
use crate::s3::request::{RequestBody, S3Request, read_small_body};
use crate::store::StoreError;
use crate::store::bucket_config::BucketConfig;
use crate::store::config_cache::StoredConfig;

/// One configuration with a 1 KiB prefix and a few tags stays far under this.
const MAX_BODY: usize = 64 * 1024;

/// The `id` query parameter a Put, Get or Delete needs.
fn id(request: &S3Request) -> S3Result<&str> {
    match request.query("id") {
        Some(id) if !id.is_empty() => Ok(id),
        _ => {
            Err(S3Error::invalid_argument("Missing required parameter: id")
                .with("ArgumentName", "id"))
        }
    }
}

fn parse_stored(
    bucket: &str,
    text: Option<String>,
) -> Result<BucketTieringConfigurations, StoreError> {
    match text {
        None => Ok(BucketTieringConfigurations::default()),
        Some(text) => BucketTieringConfigurations::parse_stored(bucket, &text).map_err(|err| {
            StoreError::Internal(format!(
                "the stored Intelligent-Tiering configurations of {bucket} do not parse: {err}"
            ))
        }),
    }
}

/// The bucket's configurations (none is an empty set).
fn configurations(app: &AppState, bucket: &str) -> S3Result<BucketTieringConfigurations> {
    let record = app.store.bucket(bucket)?;
    let which = BucketConfig::IntelligentTiering;
    let text = match which.revision(&record) {
        None => None,
        Some(_) => app.store.bucket_config(bucket, which)?,
    };
    Ok(parse_stored(bucket, text)?)
}

pub async fn put(
    app: &AppState,
    request: &S3Request,
    body: &mut RequestBody,
) -> S3Result<Response> {
    let bucket = request.bucket()?;
    app.store.bucket(bucket)?;
    let id = id(request)?;
    let document = read_small_body(body, MAX_BODY).await?;
    let config = tiering::parse(&document, id)?;
    app.store
        .edit_bucket_config(bucket, BucketConfig::IntelligentTiering, |_, stored| {
            let mut configs = parse_stored(bucket, stored)?;
            configs.put(config.clone()).map_err(StoreError::Refused)?;
            Ok(Some(configs.to_stored()))
        })
        .await?;
    // Objects the new configuration selects may now be due for an archive tier.
    app.store.lifecycle_changed(bucket).await?;
    Ok(empty_response(StatusCode::OK))
}

/// Get with an `id`; the List without one.
pub async fn get(app: &AppState, request: &S3Request) -> S3Result<Response> {
    let bucket = request.bucket()?;
    let configs = configurations(app, bucket)?;
    if request.query("id").is_some() {
        let config = configs
            .get(id(request)?)
            .ok_or_else(tiering::no_such_configuration)?;
        return Ok(xml_response(StatusCode::OK, tiering::render(config)));
    }
    let continuation = request.query("continuation-token");
    let (page, next) = configs.page(continuation);
    Ok(xml_response(
        StatusCode::OK,
        tiering::render_list(page, continuation, next, next.is_some()),
    ))
}

pub async fn delete(app: &AppState, request: &S3Request) -> S3Result<Response> {
    let bucket = request.bucket()?;
    app.store.bucket(bucket)?;
    let id = id(request)?;
    app.store
        .edit_bucket_config(bucket, BucketConfig::IntelligentTiering, |_, stored| {
            let mut configs = parse_stored(bucket, stored)?;
            configs.remove(id).map_err(StoreError::Refused)?;
            Ok((!configs.configs.is_empty()).then(|| configs.to_stored()))
        })
        .await?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}
