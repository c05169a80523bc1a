//! The HTTP edge: one axum fallback handler for every request. It stamps a request id on every
//! response, resolves path-style or virtual-hosted-style addressing (`addressing`), and hands
//! the request to `s3::dispatch` — or, for the static website endpoint (a `*.s3-website.*` Host,
//! or the `--website-listen` listener), to `website::serve`; or, for IAM and STS requests (`POST /` signed for those
//! services, `iam::api::service_of`), to `iam::api::dispatch`. S3 routes on query keywords and
//! headers, which axum path routes cannot express, so axum is used only as the hyper service
//! adapter.

pub mod addressing;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::Response;
use http::{HeaderValue, Method};

use crate::iam::Identities;
use crate::store::Store;
use crate::store::config_cache::ConfigCache;

pub struct AppState {
    pub store: Arc<Store>,
    pub identities: Identities,
    /// Parsed bucket configurations, by revision (`store::config_cache`).
    pub bucket_policies: ConfigCache<crate::policy::document::PolicyDocument>,
    pub bucket_cors: ConfigCache<crate::s3::cors::CorsConfiguration>,
    pub bucket_websites: ConfigCache<crate::s3::website::WebsiteConfig>,
    pub bucket_lifecycles: ConfigCache<crate::lifecycle::rules::LifecycleConfiguration>,
    pub bucket_encryption: ConfigCache<crate::s3::bucket_encryption::BucketEncryption>,
    pub bucket_object_lock: ConfigCache<crate::s3::object_lock::ObjectLockConfig>,
    /// The lifecycle worker (an operator can ask for a pass: `strata admin lifecycle run`).
    pub lifecycle: Arc<crate::lifecycle::LifecycleWorker>,
    pub region: String,
    pub domain: Option<String>,
    /// Whether this listener is TLS (feeds `aws:SecureTransport`).
    pub secure: bool,
    /// Access settings of new buckets when CreateBucket does not choose (`--bucket-defaults`).
    pub bucket_defaults: crate::config::BucketDefaults,
    /// The built-in KMS (`kms`): its JSON API here, and SSE-KMS's keys.
    pub kms: std::sync::Arc<crate::kms::Kms>,
    /// Whether writes without encryption headers, to buckets without a default encryption
    /// configuration, get SSE-S3 (`--no-default-encryption` turns it off).
    pub default_encryption: bool,
}

/// The TCP peer of a request's connection (request extension set by `server`), for
/// `aws:SourceIp`.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub std::net::SocketAddr);

/// Set on requests of the `--website-listen` listener, where any Host names a website bucket.
#[derive(Debug, Clone, Copy)]
pub struct WebsiteListener;

pub fn router(state: Arc<AppState>) -> axum::Router {
    axum::Router::new().fallback(handle).with_state(state)
}

async fn handle(State(app): State<Arc<AppState>>, request: Request) -> Response {
    let request_id = new_request_id();
    let is_head = request.method() == Method::HEAD;
    // The website endpoint (`<bucket>.s3-website.<domain>`, or the website listener) serves
    // pages to anonymous browsers; everything else is the S3 API.
    let website = request
        .headers()
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(|host| {
            crate::website::website_bucket(
                host,
                app.domain.as_deref(),
                request.extensions().get::<WebsiteListener>().is_some(),
            )
        });
    if let Some(bucket) = website {
        let cross_origin = crate::s3::ops::cors::CrossOrigin::of(&request);
        let mut response = crate::website::serve(&app, request, &bucket, &request_id).await;
        if let Some(cross_origin) = cross_origin {
            cross_origin.decorate_for(&app, Some(&bucket), &mut response);
        }
        return stamp(response, &request_id);
    }
    // KMS shares the endpoint: `POST` with `X-Amz-Target: TrentService.<Operation>`.
    if crate::kms::api::is_kms_request(&request) {
        let response = crate::kms::api::dispatch(app.clone(), request, &request_id).await;
        return stamp(response, &request_id);
    }
    // IAM and STS share the endpoint: `POST /` signed for service `iam` or `sts`.
    let iam = crate::iam::api::service_of(&request, app.domain.as_deref());
    // Only requests with an `Origin` header pay for CORS: the rest skip it entirely.
    let cross_origin = match iam {
        None => crate::s3::ops::cors::CrossOrigin::of(&request),
        Some(_) => None,
    };
    let mut response = match iam {
        Some(service) => {
            crate::iam::api::dispatch(app.clone(), request, &request_id, service).await
        }
        None => match crate::s3::dispatch(&app, request, &request_id).await {
            Ok(response) => response,
            Err(err) => {
                tracing::debug!(code = err.code, message = %err.message, %request_id, "request failed");
                err.into_response_with(&request_id, is_head)
            }
        },
    };
    if let Some(cross_origin) = cross_origin {
        cross_origin.decorate(&app, &mut response);
    }
    stamp(response, &request_id)
}

/// Why a small request body (an IAM form, a KMS JSON document) could not be had.
#[derive(Debug)]
pub enum BodyError {
    /// Declared or found to be over the limit.
    TooLarge,
    /// The connection failed while reading it.
    Unreadable(String),
}

/// Reads a body of at most `max` bytes, refusing a larger declared length before reading.
pub async fn read_bounded_body(
    headers: &http::HeaderMap,
    body: axum::body::Body,
    max: usize,
) -> Result<Vec<u8>, BodyError> {
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > max as u64) {
        return Err(BodyError::TooLarge);
    }
    match axum::body::to_bytes(body, max).await {
        Ok(bytes) => Ok(bytes.to_vec()),
        Err(err) => {
            let inner = err.into_inner();
            if inner
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                Err(BodyError::TooLarge)
            } else {
                Err(BodyError::Unreadable(inner.to_string()))
            }
        }
    }
}

/// The headers every response carries: the request id (twice, as AWS) and the server name.
fn stamp(mut response: Response, request_id: &str) -> Response {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert("x-amz-request-id", value.clone());
        headers.insert("x-amz-id-2", value);
    }
    headers.insert(http::header::SERVER, HeaderValue::from_static("strata"));
    response
}

/// 16 uppercase hex characters, like AWS's request ids.
fn new_request_id() -> String {
    let value: u64 = rand::random();
    format!("{value:016X}")
}
