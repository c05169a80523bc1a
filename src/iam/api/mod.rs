//! The AWS IAM Query API and STS `GetCallerIdentity` on the S3 endpoint, so `aws iam
//! --endpoint-url`, `aws sts get-caller-identity` and boto3's IAM client work unchanged.
//!
//! A request is `POST /` with a form body (`Action=CreateUser&Version=2010-05-08&...`), signed
//! with SigV4 for service `iam` or `sts` over the whole body; the HTTP layer sends it here when
//! [`service_of`] recognises it. [`dispatch`], in order: read the body (at most [`MAX_BODY`]),
//! verify the signature (`auth::verify_service_request`), find the principal, parse the form,
//! find the handler in the action table ([`IAM_ACTIONS`], [`STS_ACTIONS`]), and render its
//! result in IAM's XML envelope or an IAM error document.
//!
//! Each handler parses its parameters, then authorizes (`Ctx::authorize`: an account's root may
//! do everything inside its account; a user what its identity policies allow as `iam:<Action>`
//! on the target's ARN), then calls `iam::manage`. Everything acts inside the caller's account;
//! only the server's root account may use the strata extensions (`CreateAccount`,
//! `ListAccounts`, `RunLifecycle`, `GetUsageReport`). Handlers run on the blocking pool: IAM writes fsync the metadata.

mod accounts;
mod ctx;
mod groups;
mod keys;
mod policies;
mod users;
pub mod xml;

use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, Method, StatusCode};
use percent_encoding::percent_decode_str;

use self::ctx::Ctx;
use self::xml::{IAM_NAMESPACE, STS_NAMESPACE, Xml};
use crate::auth::AuthError;
use crate::http::AppState;
use crate::iam::manage::IamError;

/// Form bodies beyond this are refused (the largest legitimate one, a 6,144-character managed
/// policy percent-encoded, stays far below).
pub const MAX_BODY: usize = 64 * 1024;

const IAM_VERSION: &str = "2010-05-08";
const STS_VERSION: &str = "2011-06-15";

/// Which API a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Iam,
    Sts,
}

impl Service {
    fn name(self) -> &'static str {
        match self {
            Service::Iam => "iam",
            Service::Sts => "sts",
        }
    }

    fn namespace(self) -> &'static str {
        match self {
            Service::Iam => IAM_NAMESPACE,
            Service::Sts => STS_NAMESPACE,
        }
    }
}

type Handler = fn(&Ctx<'_>) -> Result<Option<Xml>, ApiError>;

/// The IAM actions: one row per action.
const IAM_ACTIONS: &[(&str, Handler)] = &[
    ("CreateUser", users::create_user),
    ("GetUser", users::get_user),
    ("ListUsers", users::list_users),
    ("DeleteUser", users::delete_user),
    ("CreateAccessKey", keys::create_access_key),
    ("ListAccessKeys", keys::list_access_keys),
    ("UpdateAccessKey", keys::update_access_key),
    ("DeleteAccessKey", keys::delete_access_key),
    ("PutUserPolicy", policies::put_inline::<policies::User>),
    ("GetUserPolicy", policies::get_inline::<policies::User>),
    ("ListUserPolicies", policies::list_inline::<policies::User>),
    (
        "DeleteUserPolicy",
        policies::delete_inline::<policies::User>,
    ),
    ("CreateGroup", groups::create_group),
    ("GetGroup", groups::get_group),
    ("ListGroups", groups::list_groups),
    ("DeleteGroup", groups::delete_group),
    ("AddUserToGroup", groups::add_user_to_group),
    ("RemoveUserFromGroup", groups::remove_user_from_group),
    ("ListGroupsForUser", groups::list_groups_for_user),
    ("PutGroupPolicy", policies::put_inline::<policies::Group>),
    ("GetGroupPolicy", policies::get_inline::<policies::Group>),
    (
        "ListGroupPolicies",
        policies::list_inline::<policies::Group>,
    ),
    (
        "DeleteGroupPolicy",
        policies::delete_inline::<policies::Group>,
    ),
    ("CreatePolicy", policies::create_policy),
    ("GetPolicy", policies::get_policy),
    ("GetPolicyVersion", policies::get_policy_version),
    ("ListPolicyVersions", policies::list_policy_versions),
    ("DeletePolicy", policies::delete_policy),
    ("ListPolicies", policies::list_policies),
    ("AttachUserPolicy", policies::attach::<policies::User>),
    ("DetachUserPolicy", policies::detach::<policies::User>),
    (
        "ListAttachedUserPolicies",
        policies::list_attached::<policies::User>,
    ),
    ("AttachGroupPolicy", policies::attach::<policies::Group>),
    ("DetachGroupPolicy", policies::detach::<policies::Group>),
    (
        "ListAttachedGroupPolicies",
        policies::list_attached::<policies::Group>,
    ),
    // strata extensions: accounts (the server's root account only).
    ("CreateAccount", accounts::create_account),
    ("ListAccounts", accounts::list_accounts),
    // strata extension: background work (the server's root account only).
    ("RunLifecycle", accounts::run_lifecycle),
    ("GetUsageReport", accounts::get_usage_report),
];

const STS_ACTIONS: &[(&str, Handler)] = &[("GetCallerIdentity", accounts::get_caller_identity)];

/// An IAM error: code, message; the status comes from the one table in [`status_of`].
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }

    fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!(%err, "IAM request failed");
        ApiError::new("InternalFailure", "An internal error occurred.")
    }

    /// `ValidationError` for a missing required parameter, worded like AWS.
    fn missing(param: &str) -> Self {
        ApiError::new(
            "ValidationError",
            format!(
                "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
                member_name(param)
            ),
        )
    }
}

/// `UserName` → `userName`: how AWS names members in validation messages.
fn member_name(param: &str) -> String {
    let mut chars = param.chars();
    match chars.next() {
        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// Code → status: the one table.
fn status_of(code: &str) -> StatusCode {
    match code {
        "NoSuchEntity" => StatusCode::NOT_FOUND,
        "EntityAlreadyExists" | "DeleteConflict" | "LimitExceeded" => StatusCode::CONFLICT,
        "MalformedPolicyDocument"
        | "ValidationError"
        | "InvalidAction"
        | "InvalidInput"
        | "MissingAction"
        | "MalformedQueryString"
        | "IncompleteSignature"
        | "InvalidParameterValue" => StatusCode::BAD_REQUEST,
        "AccessDenied"
        | "MissingAuthenticationToken"
        | "InvalidClientTokenId"
        | "SignatureDoesNotMatch"
        | "RequestExpired" => StatusCode::FORBIDDEN,
        "RequestEntityTooLarge" => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<IamError> for ApiError {
    fn from(err: IamError) -> Self {
        match err {
            IamError::Meta(err) => ApiError::internal(err),
            other => ApiError::new(other.code(), other.to_string()),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::InvalidAccessKeyId { .. } => ApiError::new(
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
            ),
            AuthError::SignatureDoesNotMatch { .. }
            | AuthError::XAmzContentSHA256Mismatch { .. } => ApiError::new(
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
            ),
            AuthError::RequestTimeTooSkewed { .. } => ApiError::new(
                "RequestExpired",
                "Signature expired: the request time is too far from the server time.",
            ),
            AuthError::AccessDenied { message, .. } => ApiError::new("AccessDenied", message),
            AuthError::AuthorizationHeaderMalformed { reason, .. }
            | AuthError::AuthorizationQueryParametersError { reason, .. } => {
                ApiError::new("IncompleteSignature", reason)
            }
            other => ApiError::new("IncompleteSignature", other.to_string()),
        }
    }
}

/// Whether a request is for this API: `/` signed (SigV4) for `iam` or `sts`, or an unsigned
/// form post to `/` that addresses no bucket (refused later as anonymous). `domain` is the
/// virtual-hosting domain: a form posted to `bucket.domain/` is S3's.
pub fn service_of(request: &Request, domain: Option<&str>) -> Option<Service> {
    if request.uri().path() != "/" {
        return None;
    }
    if let Some((_, service)) = crate::auth::credential_scope(request.uri(), request.headers()) {
        return match service.as_str() {
            "iam" => Some(Service::Iam),
            "sts" => Some(Service::Sts),
            _ => None,
        };
    }
    let headers = request.headers();
    let signed = headers.contains_key(http::header::AUTHORIZATION)
        || request
            .uri()
            .query()
            .is_some_and(|q| q.contains("Signature"));
    let form = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let host = headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok());
    let addresses_bucket = crate::http::addressing::resolve(host, domain, "/")
        .map_or(true, |target| target.bucket.is_some());
    (request.method() == Method::POST && !signed && form && !addresses_bucket)
        .then_some(Service::Iam)
}

/// Handles one IAM or STS request; never fails (errors are rendered as IAM error documents).
pub async fn dispatch(
    app: Arc<AppState>,
    request: Request,
    request_id: &str,
    service: Service,
) -> Response {
    let (parts, body) = request.into_parts();
    let body = match read_body(&parts.headers, body).await {
        Ok(body) => body,
        Err(err) => return error_response(service, &err, request_id),
    };
    let id = request_id.to_string();
    let handled = tokio::task::spawn_blocking(move || {
        let outcome = handle(&app, &parts, &body, service, &id);
        let namespace = outcome.namespace;
        match outcome.result {
            Ok((action, result)) => xml_response(
                StatusCode::OK,
                xml::envelope(action, namespace, result, &id),
            ),
            Err(err) => error_response_in(namespace, &err, &id),
        }
    })
    .await;
    handled.unwrap_or_else(|err| error_response(service, &ApiError::internal(err), request_id))
}

async fn read_body(headers: &http::HeaderMap, body: axum::body::Body) -> Result<Vec<u8>, ApiError> {
    crate::http::read_bounded_body(headers, body, MAX_BODY)
        .await
        .map_err(|err| match err {
            crate::http::BodyError::TooLarge => ApiError::new(
                "RequestEntityTooLarge",
                format!("Request bodies are limited to {MAX_BODY} bytes."),
            ),
            crate::http::BodyError::Unreadable(why) => ApiError::new(
                "InvalidInput",
                format!("The request body could not be read: {why}"),
            ),
        })
}

/// A request's outcome: the action's name and result, or an error; in the namespace of the
/// API it was for.
struct Outcome {
    namespace: &'static str,
    result: Result<(&'static str, Option<Xml>), ApiError>,
}

fn handle(
    app: &AppState,
    parts: &http::request::Parts,
    body: &[u8],
    service: Service,
    request_id: &str,
) -> Outcome {
    let params = parse_form(parts.uri.query().unwrap_or("").as_bytes()).and_then(|mut query| {
        query.extend(parse_form(body)?);
        Ok(query)
    });
    // An unsigned request names its API only through its Version.
    let unsigned = crate::auth::credential_scope(&parts.uri, &parts.headers).is_none();
    let service = match &params {
        Ok(params) if unsigned && param(params, "Version") == Some(STS_VERSION) => Service::Sts,
        _ => service,
    };
    Outcome {
        namespace: service.namespace(),
        result: run(app, parts, body, params, service, request_id),
    }
}

/// Authenticate, then parse, route and run. Authentication comes first, so an unauthenticated
/// caller learns nothing from the form's errors.
fn run(
    app: &AppState,
    parts: &http::request::Parts,
    body: &[u8],
    params: Result<Vec<(String, String)>, ApiError>,
    service: Service,
    request_id: &str,
) -> Result<(&'static str, Option<Xml>), ApiError> {
    let verified = crate::auth::verify_service_request(
        parts,
        body,
        &app.identities,
        &app.region,
        service.name(),
        SystemTime::now(),
    )?;
    let Some(key) = verified.access_key.as_deref() else {
        return Err(ApiError::new(
            "MissingAuthenticationToken",
            "Request is missing Authentication Token",
        ));
    };
    let principal = app
        .identities
        .principal_for(key)
        .map_err(ApiError::internal)?
        .ok_or_else(|| {
            ApiError::from(AuthError::InvalidAccessKeyId {
                access_key: key.to_string(),
            })
        })?;
    let params = params?;
    let action = param(&params, "Action")
        .ok_or_else(|| ApiError::new("MissingAction", "Missing Action"))?
        .to_string();
    let (table, version) = match service {
        Service::Iam => (IAM_ACTIONS, IAM_VERSION),
        Service::Sts => (STS_ACTIONS, STS_VERSION),
    };
    let requested = param(&params, "Version");
    let (name, handler) = match table.iter().find(|(name, _)| *name == action) {
        Some(row) if requested.is_none_or(|v| v == version) => *row,
        _ => {
            return Err(ApiError::new(
                "InvalidAction",
                format!(
                    "Could not find operation {action} for version {}",
                    requested.unwrap_or("NO_VERSION_SPECIFIED")
                ),
            ));
        }
    };
    let ctx = Ctx {
        app,
        principal,
        params,
        action: name,
        parts,
    };
    let result = handler(&ctx)?;
    // Changes to identities are worth an audit line; reads are not.
    let caller = ctx.principal.arn();
    if name.starts_with("Get") || name.starts_with("List") {
        tracing::debug!(action = name, ?caller, %request_id, "IAM read");
    } else {
        tracing::info!(action = name, ?caller, %request_id, "IAM change");
    }
    Ok((name, result))
}

fn xml_response(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/xml"),
    );
    response
}

fn error_response(service: Service, err: &ApiError, request_id: &str) -> Response {
    error_response_in(service.namespace(), err, request_id)
}

fn error_response_in(namespace: &str, err: &ApiError, request_id: &str) -> Response {
    let status = status_of(err.code);
    tracing::debug!(code = err.code, message = %err.message, %request_id, "IAM request failed");
    xml_response(
        status,
        xml::error_document(
            namespace,
            !status.is_server_error(),
            err.code,
            &err.message,
            request_id,
        ),
    )
}

/// `application/x-www-form-urlencoded`: `&`-separated pairs, `+` for space, percent-escapes.
pub fn parse_form(text: &[u8]) -> Result<Vec<(String, String)>, ApiError> {
    let malformed = || {
        ApiError::new(
            "MalformedQueryString",
            "The request is not valid UTF-8 form data.",
        )
    };
    let text = std::str::from_utf8(text).map_err(|_| malformed())?;
    let decode = |s: &str| -> Result<String, ApiError> {
        let spaced = s.replace('+', " ");
        percent_decode_str(&spaced)
            .decode_utf8()
            .map(|c| c.into_owned())
            .map_err(|_| malformed())
    };
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode(key)?, decode(value)?))
        })
        .collect()
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests;
