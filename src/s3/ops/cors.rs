//! CORS on the REST endpoint: Put/Get/DeleteBucketCors, the preflight (`OPTIONS`) answer, and
//! the `Access-Control-*` headers of actual cross-origin requests ([`CrossOrigin`]).
//!
//! The configuration is validated and matched by `s3::cors`; this module reads it (through the
//! revision-keyed cache in `AppState`) and turns a match into headers. A preflight carries no
//! credentials, so it is not authorized: the configuration alone decides, as on AWS.

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use http::{HeaderMap, HeaderValue, Method, StatusCode};

use super::bucket_config::{delete_document, store_document, stored_document};
use super::empty_response;
use crate::http::AppState;
use crate::meta::model::BucketRecord;
use crate::s3::cors::{CorsConfiguration, CorsMatch, CorsRequest, split_header_list};
use crate::s3::error::{S3Error, S3Result};
use crate::s3::request::{RequestBody, S3Request, read_small_body};
use crate::store::bucket_config::BucketConfig;

/// A configuration of 100 rules with long origin lists stays well under this.
const MAX_CORS_BODY: usize = 64 * 1024;

/// What every CORS-aware response varies on (AWS sends exactly this).
const VARY: &str = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";

/// AWS's answer to a preflight no rule allows (its spelling of "evaluation" included).
fn forbidden() -> S3Error {
    S3Error::new(
        "AccessForbidden",
        "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
    )
}

pub async fn put_bucket_cors(
    app: &AppState,
    request: &S3Request,
    body: &mut RequestBody,
) -> S3Result<Response> {
    app.store.bucket(request.bucket()?)?;
    let document = read_small_body(body, MAX_CORS_BODY).await?;
    let config = CorsConfiguration::parse(&document)?;
    // Stored as rendered from the parsed rules: what GetBucketCors answers, in S3's namespace.
    store_document(app, request, BucketConfig::Cors, config.to_xml()).await?;
    Ok(empty_response(StatusCode::OK))
}

pub async fn get_bucket_cors(app: &AppState, request: &S3Request) -> S3Result<Response> {
    let document = stored_document(app, request, BucketConfig::Cors)?;
    Ok(super::xml_response(StatusCode::OK, document))
}

pub async fn delete_bucket_cors(app: &AppState, request: &S3Request) -> S3Result<Response> {
    delete_document(app, request, BucketConfig::Cors).await
}

/// The parsed configuration of a bucket, None when it has none.
fn configuration(
    app: &AppState,
    record: &BucketRecord,
) -> S3Result<Option<Arc<CorsConfiguration>>> {
    Ok(app.bucket_cors.get(&app.store, record)?)
}

/// `OPTIONS /bucket[/key]`: 200 with the matching rule's `Access-Control-*` headers, or 403
/// AccessForbidden when the bucket has no configuration or no rule allows the request.
pub async fn preflight(app: &AppState, request: &S3Request) -> S3Result<Response> {
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .map(|v| v.to_str().unwrap_or_default())
    };
    let origin = header("origin").ok_or_else(|| {
        S3Error::new(
            "BadRequest",
            "Insufficient information. Origin request header needed.",
        )
    })?;
    let method = match header("access-control-request-method") {
        None => {
            return Err(S3Error::new(
                "BadRequest",
                "Insufficient information. Access-Control-Request-Method request header needed.",
            ));
        }
        Some(method) => method,
    };
    if !["GET", "PUT", "POST", "DELETE", "HEAD"].contains(&method) {
        return Err(S3Error::new(
            "BadRequest",
            format!("Invalid Access-Control-Request-Method: {method}"),
        ));
    }
    let requested = split_header_list(header("access-control-request-headers").unwrap_or(""));
    let record = app.store.bucket(request.bucket()?)?;
    let config = configuration(app, &record)?.ok_or_else(forbidden)?;
    let found = config
        .matching(&CorsRequest {
            origin,
            method,
            headers: &requested,
        })
        .ok_or_else(forbidden)?;
    let mut response = Response::new(Body::empty());
    add_headers(response.headers_mut(), &found, true);
    Ok(response)
}

/// The `Access-Control-*` headers of a match; `Allow-Headers` only for a preflight.
fn add_headers(headers: &mut HeaderMap, found: &CorsMatch<'_>, preflight: bool) {
    let mut set = |name: &'static str, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    set("access-control-allow-origin", found.allow_origin);
    set(
        "access-control-allow-methods",
        &found.rule.allowed_methods.join(", "),
    );
    if preflight && !found.allow_headers.is_empty() {
        set(
            "access-control-allow-headers",
            &found.allow_headers.join(", "),
        );
    }
    if !found.rule.expose_headers.is_empty() {
        set(
            "access-control-expose-headers",
            &found.rule.expose_headers.join(", "),
        );
    }
    if let Some(age) = found.rule.max_age_seconds {
        set("access-control-max-age", &age.to_string());
    }
    if found.allow_credentials {
        set("access-control-allow-credentials", "true");
    }
    set("vary", VARY);
}

/// An actual (non-preflight) request that carries an `Origin`: what the http layer keeps of it
/// to add CORS headers to whatever response the request gets, errors included, as AWS does.
/// Built only when there is an `Origin`, so requests without one pay nothing.
pub struct CrossOrigin {
    origin: HeaderValue,
    method: Method,
    host: Option<String>,
    path: String,
}

impl CrossOrigin {
    /// None for a request without `Origin`, and for a preflight (it answers for itself).
    pub fn of<B>(request: &http::Request<B>) -> Option<CrossOrigin> {
        let origin = request.headers().get(http::header::ORIGIN)?;
        if request.method() == Method::OPTIONS {
            return None;
        }
        Some(CrossOrigin {
            origin: origin.clone(),
            method: request.method().clone(),
            host: request
                .headers()
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .or_else(|| request.uri().authority().map(|a| a.as_str()))
                .map(str::to_string),
            path: request.uri().path().to_string(),
        })
    }

    /// Add the matching rule's headers to `response` (nothing when the bucket has no
    /// configuration or no rule allows the origin and method). A failure to read the
    /// configuration is logged, never turned into a different response.
    pub fn decorate(&self, app: &AppState, response: &mut Response) {
        if response
            .headers()
            .contains_key("access-control-allow-origin")
        {
            return;
        }
        let bucket = match crate::http::addressing::resolve(
            self.host.as_deref(),
            app.domain.as_deref(),
            &self.path,
        ) {
            Ok(target) => target.bucket,
            Err(_) => None,
        };
        self.decorate_for(app, bucket.as_deref(), response);
    }

    /// [`CrossOrigin::decorate`] for a request whose bucket is already known (the website
    /// endpoint names it in the Host header, which REST addressing does not read that way).
    pub fn decorate_for(&self, app: &AppState, bucket: Option<&str>, response: &mut Response) {
        if response
            .headers()
            .contains_key("access-control-allow-origin")
        {
            return;
        }
        let Ok(origin) = self.origin.to_str() else {
            return;
        };
        let Some(record) = bucket.and_then(|bucket| app.store.bucket(bucket).ok()) else {
            return;
        };
        let config = match configuration(app, &record) {
            Ok(Some(config)) => config,
            Ok(None) => return,
            Err(err) => {
                tracing::warn!(bucket = %record.name, message = %err.message, "CORS configuration unreadable");
                return;
            }
        };
        let found = config.matching(&CorsRequest {
            origin,
            method: self.method.as_str(),
            headers: &[],
        });
        match found {
            Some(found) => add_headers(response.headers_mut(), &found, false),
            // The answer depends on the origin even when it is not allowed: caches must know.
            None => {
                response
                    .headers_mut()
                    .insert("vary", HeaderValue::from_static(VARY));
            }
        }
    }
}
