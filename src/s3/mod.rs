//! The S3 API: route a request to an [`Operation`], authenticate it, authorize it, run it.
//!
//! [`dispatch`] is the whole life of a request after addressing, in order:
//! 1. `route::resolve` — which operation (from method, bucket/key, query keywords, headers);
//! 2. `auth::verify_request` — SigV4 over the request as received; nothing has read the body
//!    yet, so hyper has not answered `Expect: 100-continue`, and a refused upload is refused
//!    before its body is sent;
//! 3. `policy::authorize` — the one authorization decision;
//! 4. `ops::*` — parse the typed input, call the store, render the response. The body reaches
//!    the operation wrapped by `auth::verify_body`, so bytes are verified while they stream.

pub mod error;
pub mod ops;
pub mod request;
pub mod route;
pub mod xml;

use std::time::SystemTime;

use axum::extract::Request;
use axum::response::Response;
use futures_util::StreamExt;
use http::header::HOST;

use self::error::{S3Error, S3Result};
use self::request::{RequestBody, S3Request};
use self::route::RouteInput;
use crate::http::AppState;
use crate::iam::Principal;
use crate::policy::{self, Decision, RequestContext, Resource};

pub async fn dispatch(app: &AppState, request: Request, request_id: &str) -> S3Result<Response> {
    let (parts, body) = request.into_parts();
    let host = parts
        .headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()));
    let target = crate::http::addressing::resolve(host, app.domain.as_deref(), parts.uri.path())?;
    let query = crate::http::addressing::parse_query(parts.uri.query())?;
    let operation = route::resolve(&RouteInput {
        method: &parts.method,
        bucket: target.bucket.as_deref(),
        key: target.key.as_deref(),
        query: &query,
        has_copy_source: parts.headers.contains_key("x-amz-copy-source"),
    })?;

    let verified = crate::auth::verify_request(
        &parts.method,
        &parts.uri,
        &parts.headers,
        &app.identities,
        &app.region,
        target.bucket.as_deref().filter(|_| target.virtual_hosted),
        SystemTime::now(),
    )?;
    let principal = match &verified.access_key {
        None => Principal::Anonymous,
        Some(access_key) => app.identities.principal_for(access_key).ok_or_else(|| {
            S3Error::new(
                "InvalidAccessKeyId",
                "The AWS Access Key Id you provided does not exist in our records.",
            )
        })?,
    };

    let s3_request = S3Request {
        operation,
        method: parts.method,
        bucket: target.bucket,
        key: target.key,
        query,
        headers: parts.headers,
        principal,
        request_id: request_id.to_string(),
        trailer_algorithm: match &verified.payload {
            crate::auth::PayloadCheck::Chunked(chunked) => chunked.trailer(),
            _ => None,
        },
    };
    // A browser POST carries its credentials in the form: PostObject authenticates and
    // authorizes itself once it has read the form fields.
    if s3_request.operation != route::Operation::PostObject {
        authorize(app, &s3_request)?;
    }

    let verified_body = crate::auth::verify_body(body.into_data_stream(), verified.payload);
    let mut body: RequestBody = Box::pin(verified_body.map(|item| item.map_err(S3Error::from)));
    ops::execute(app, &s3_request, &mut body).await
}

fn authorize(app: &AppState, request: &S3Request) -> S3Result<()> {
    let owner = match &request.bucket {
        Some(bucket) => app.store.bucket(bucket).ok().map(|b| b.owner),
        None => None,
    };
    let resource = match (&request.bucket, &request.key) {
        (None, _) => Resource::Service,
        (Some(bucket), None) => Resource::Bucket {
            name: bucket,
            owner: owner.as_deref(),
        },
        (Some(bucket), Some(key)) => Resource::Object {
            bucket,
            key,
            owner: owner.as_deref(),
        },
    };
    let context = RequestContext {
        secure_transport: app.secure,
    };
    match policy::authorize(
        &request.principal,
        request.operation.action(),
        &resource,
        &context,
    ) {
        Decision::Allow => Ok(()),
        Decision::Deny => Err(S3Error::access_denied()),
    }
}
