//! The AWS KMS JSON API on the S3 endpoint, so `aws kms --endpoint-url` and the SDKs' KMS
//! clients work unchanged.
//!
//! A request is `POST /` with `X-Amz-Target: TrentService.<Operation>` and a JSON body
//! (`application/x-amz-json-1.1`), signed with SigV4 for service `kms` over the whole body; the
//! HTTP layer sends it here when [`is_kms_request`] recognises it. [`dispatch`], in order: read
//! the body (at most [`MAX_BODY`]), verify the signature, find the principal, find the
//! operation in [`OPERATIONS`] (UnknownOperationException), parse the JSON
//! (SerializationException), run the handler on the blocking pool (KMS writes fsync), and render
//! its JSON or a KMS error (`{"__type": ..., "message": ...}`, status from [`status_of`]).
//!
//! Handlers parse and validate their input first (ValidationException), then resolve the key,
//! authorize (`kms::authorize`: `kms:<Operation>` on the key ARN, see `Ctx`), check the key
//! state, and act.

mod aliases;
mod crypto;
mod ctx;
mod input;
mod keys;

use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, Method, StatusCode};
use serde_json::Value;

use self::ctx::Ctx;
use self::input::Input;
use super::KmsError;
use crate::auth::AuthError;
use crate::http::AppState;

/// JSON bodies beyond this are refused (the largest legitimate one, a ReEncrypt of a
/// 6,144-byte blob with two contexts, stays far below).
pub const MAX_BODY: usize = 64 * 1024;

const TARGET_PREFIX: &str = "TrentService.";
const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

type Handler = fn(&Ctx<'_>) -> Result<Option<Value>, KmsError>;

/// The operations: one row each.
const OPERATIONS: &[(&str, Handler)] = &[
    ("CreateKey", keys::create_key),
    ("DescribeKey", keys::describe_key),
    ("ListKeys", keys::list_keys),
    ("EnableKey", keys::enable_key),
    ("DisableKey", keys::disable_key),
    ("ScheduleKeyDeletion", keys::schedule_key_deletion),
    ("CancelKeyDeletion", keys::cancel_key_deletion),
    ("EnableKeyRotation", keys::enable_key_rotation),
    ("DisableKeyRotation", keys::disable_key_rotation),
    ("GetKeyRotationStatus", keys::get_key_rotation_status),
    ("RotateKeyOnDemand", keys::rotate_key_on_demand),
    ("ListKeyRotations", keys::list_key_rotations),
    ("CreateAlias", aliases::create_alias),
    ("DeleteAlias", aliases::delete_alias),
    ("ListAliases", aliases::list_aliases),
    ("Encrypt", crypto::encrypt),
    ("Decrypt", crypto::decrypt),
    ("ReEncrypt", crypto::re_encrypt),
    ("GenerateDataKey", crypto::generate_data_key),
    (
        "GenerateDataKeyWithoutPlaintext",
        crypto::generate_data_key_without_plaintext,
    ),
];

/// Code → status: the one table. AWS KMS answers every client error with 400.
pub fn status_of(code: &str) -> StatusCode {
    match code {
        "KMSInternalException" | "DependencyTimeoutException" | "KeyUnavailableException" => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
        _ => StatusCode::BAD_REQUEST,
    }
}

/// Whether a request is for this API: a POST whose `X-Amz-Target` names `TrentService`.
pub fn is_kms_request(request: &Request) -> bool {
    request.method() == Method::POST
        && request
            .headers()
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with(TARGET_PREFIX))
}

/// Handles one KMS request; never fails (errors are rendered as KMS error documents).
pub async fn dispatch(app: Arc<AppState>, request: Request, request_id: &str) -> Response {
    let (parts, body) = request.into_parts();
    let body = match read_body(&parts.headers, body).await {
        Ok(body) => body,
        Err(err) => return error_response(&err, request_id),
    };
    let id = request_id.to_string();
    let handled = tokio::task::spawn_blocking(move || match run(&app, &parts, &body, &id) {
        Ok(value) => json_response(StatusCode::OK, value, &id),
        Err(err) => error_response(&err, &id),
    })
    .await;
    handled.unwrap_or_else(|err| error_response(&KmsError::internal(err), request_id))
}

async fn read_body(headers: &http::HeaderMap, body: axum::body::Body) -> Result<Vec<u8>, KmsError> {
    crate::http::read_bounded_body(headers, body, MAX_BODY)
        .await
        .map_err(|err| match err {
            crate::http::BodyError::TooLarge => {
                KmsError::validation(format!("Request bodies are limited to {MAX_BODY} bytes."))
            }
            crate::http::BodyError::Unreadable(why) => KmsError::new(
                "SerializationException",
                format!("The request body could not be read: {why}"),
            ),
        })
}

/// Authenticate, then route, parse and run. Authentication comes first, so an unauthenticated
/// caller learns nothing from the body's errors.
fn run(
    app: &AppState,
    parts: &http::request::Parts,
    body: &[u8],
    request_id: &str,
) -> Result<Option<Value>, KmsError> {
    let verified = crate::auth::verify_service_request(
        parts,
        body,
        &app.identities,
        &app.region,
        "kms",
        SystemTime::now(),
    )
    .map_err(auth_error)?;
    let Some(key) = verified.access_key.as_deref() else {
        return Err(KmsError::new(
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        ));
    };
    let principal = app
        .identities
        .principal_for(key)
        .map_err(KmsError::internal)?
        .ok_or_else(|| {
            auth_error(AuthError::InvalidAccessKeyId {
                access_key: key.to_string(),
            })
        })?;
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let operation = target.strip_prefix(TARGET_PREFIX).unwrap_or(target);
    let Some((name, handler)) = OPERATIONS.iter().find(|(name, _)| *name == operation) else {
        return Err(KmsError::new(
            "UnknownOperationException",
            format!("Unknown operation: {target}"),
        ));
    };
    let input = Input::parse(body)?;
    let ctx = Ctx {
        app,
        kms: &app.kms,
        principal,
        input,
        operation: name,
        parts,
    };
    let result = handler(&ctx)?;
    let caller = ctx.principal.arn();
    if is_read(name) {
        tracing::debug!(operation = name, ?caller, %request_id, "KMS request");
    } else {
        tracing::info!(operation = name, ?caller, %request_id, "KMS change");
    }
    Ok(result)
}

/// Key management changes are worth an audit line; reads and cryptographic uses are not.
fn is_read(operation: &str) -> bool {
    operation.starts_with("Describe")
        || operation.starts_with("List")
        || operation.starts_with("Get")
        || matches!(
            operation,
            "Encrypt"
                | "Decrypt"
                | "ReEncrypt"
                | "GenerateDataKey"
                | "GenerateDataKeyWithoutPlaintext"
        )
}

/// Signature failures in KMS's words (its JSON protocol codes, not S3's).
fn auth_error(err: AuthError) -> KmsError {
    match err {
        AuthError::InvalidAccessKeyId { .. } => KmsError::new(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ),
        AuthError::SignatureDoesNotMatch { .. } | AuthError::XAmzContentSHA256Mismatch { .. } => {
            KmsError::new(
                "InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
            )
        }
        AuthError::RequestTimeTooSkewed {
            request_time,
            server_time,
        } => KmsError::new(
            "InvalidSignatureException",
            format!(
                "Signature expired: {request_time} is now earlier or later than the allowed window around {server_time}."
            ),
        ),
        AuthError::AuthorizationHeaderMalformed { reason, .. }
        | AuthError::AuthorizationQueryParametersError { reason, .. } => {
            KmsError::new("IncompleteSignatureException", reason)
        }
        other => KmsError::new("IncompleteSignatureException", other.to_string()),
    }
}

fn with_headers(mut response: Response, request_id: &str) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(CONTENT_TYPE),
    );
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", value);
    }
    response
}

/// An operation without output answers 200 with an empty body, as AWS does.
fn json_response(status: StatusCode, value: Option<Value>, request_id: &str) -> Response {
    let body = value.map(|v| v.to_string()).unwrap_or_default();
    with_headers((status, body).into_response(), request_id)
}

fn error_response(err: &KmsError, request_id: &str) -> Response {
    let status = status_of(err.code);
    tracing::debug!(code = err.code, message = %err.message, %request_id, "KMS request failed");
    let body = serde_json::json!({ "__type": err.code, "message": err.message });
    with_headers((status, body.to_string()).into_response(), request_id)
}
