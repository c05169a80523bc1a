//! Put/Get/DeleteBucketLifecycleConfiguration. The document is validated by
//! `lifecycle::rules` and stored rendered back in AWS's shape, preceded by the
//! `x-amz-transition-default-minimum-object-size` it was put with (a line of its own), which
//! GetBucketLifecycleConfiguration answers as a header.

use axum::response::Response;
use http::StatusCode;

use super::bucket_config::{delete_document, store_document, stored_document};
use super::{empty_response, set_header, xml_response};
use crate::http::AppState;
use crate::lifecycle::rules::{self, LifecycleConfiguration, MIN_TRANSITION_SIZE_HEADER};
use crate::s3::error::{S3Error, S3Result};
use crate::s3::request::{RequestBody, S3Request, read_small_body};
use crate::store::bucket_config::BucketConfig;
use crate::store::config_cache::StoredConfig;

/// 1,000 rules with long prefixes and several tags each stay under this.
const MAX_LIFECYCLE_BODY: usize = 2 * 1024 * 1024;

/// The stored form: the minimum-size setting, a newline, the document.
fn stored_form(config: &LifecycleConfiguration) -> String {
    format!(
        "{}\n{}",
        config.min_transition_size.as_str(),
        rules::render(config)
    )
}

fn split_stored(text: &str) -> (&str, &str) {
    text.split_once('\n').unwrap_or(("", text))
}

impl StoredConfig for LifecycleConfiguration {
    const WHICH: BucketConfig = BucketConfig::Lifecycle;

    fn parse_stored(_bucket: &str, text: &str) -> Result<Self, String> {
        let (min_size, document) = split_stored(text);
        rules::parse(document.as_bytes(), Some(min_size)).map_err(|err| err.message)
    }
}

pub async fn put_bucket_lifecycle(
    app: &AppState,
    request: &S3Request,
    body: &mut RequestBody,
) -> S3Result<Response> {
    app.store.bucket(request.bucket()?)?;
    let document = read_small_body(body, MAX_LIFECYCLE_BODY).await?;
    let config = rules::parse(&document, request.header(MIN_TRANSITION_SIZE_HEADER))?;
    store_document(app, request, BucketConfig::Lifecycle, stored_form(&config)).await?;
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
    let (min_size, document) = split_stored(&stored);
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
