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

pub mod bucket_encryption;
pub mod cors;
pub mod error;
pub mod object_lock;
pub mod ops;
pub mod policy_context;
pub mod request;
pub mod route;
pub mod website;
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
use crate::policy::acl::ObjectOwnership;
use crate::policy::{self, Decision, Resource};

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

    let now = SystemTime::now();
    let verified = crate::auth::verify_request(
        &parts.method,
        &parts.uri,
        &parts.headers,
        &app.identities,
        &app.region,
        target.bucket.as_deref().filter(|_| target.virtual_hosted),
        now,
    )?;
    let principal = principal_of(app, verified.access_key.as_deref())?;
    if let (Some(bucket), Some(expected)) = (
        target.bucket.as_deref(),
        parts.headers.get("x-amz-expected-bucket-owner"),
    ) && operation != route::Operation::CreateBucket
    {
        check_expected_owner(app, bucket, expected.to_str().unwrap_or_default())?;
    }
    let s3_request = S3Request {
        operation,
        method: parts.method,
        bucket: target.bucket,
        key: target.key,
        query,
        headers: parts.headers,
        principal,
        client_ip: parts
            .extensions
            .get::<crate::http::ClientAddr>()
            .map(|addr| addr.0.ip()),
        secure: app.secure,
        received: now,
        policy_keys: Default::default(),
        bucket_record: Default::default(),
        request_id: request_id.to_string(),
        trailer_algorithm: match &verified.payload {
            crate::auth::PayloadCheck::Chunked(chunked) => chunked.trailer(),
            _ => None,
        },
    };
    // A browser POST carries its credentials in the form: PostObject authenticates and
    // authorizes itself once it has read the form fields. DeleteObjects authorizes each key.
    // A CORS preflight carries no credentials: the bucket's CORS configuration decides.
    if !matches!(
        s3_request.operation,
        route::Operation::PostObject
            | route::Operation::DeleteObjects
            | route::Operation::CorsPreflight
    ) {
        let action = s3_request
            .operation
            .action_for(s3_request.query("versionId").is_some());
        for action in std::iter::once(action).chain(implied_actions(&s3_request)) {
            check_access(
                app,
                &s3_request.principal,
                action,
                s3_request.bucket.as_deref(),
                s3_request.key.as_deref(),
                &s3_request,
            )?;
        }
    }

    let verified_body = crate::auth::verify_body(body.into_data_stream(), verified.payload);
    let mut body: RequestBody = Box::pin(verified_body.map(|item| item.map_err(S3Error::from)));
    ops::execute(app, &s3_request, &mut body).await
}

/// Who an authenticated access key is; an unknown key is InvalidAccessKeyId.
pub(crate) fn principal_of(app: &AppState, access_key: Option<&str>) -> S3Result<Principal> {
    match access_key {
        None => Ok(Principal::Anonymous),
        Some(access_key) => app
            .identities
            .principal_for(access_key)
            .map_err(|e| S3Error::internal(e.to_string()))?
            .ok_or_else(|| {
                S3Error::new(
                    "InvalidAccessKeyId",
                    "The AWS Access Key Id you provided does not exist in our records.",
                )
            }),
    }
}

static NO_CONDITIONS: std::sync::LazyLock<policy::ConditionContext> =
    std::sync::LazyLock::new(Default::default);

/// `x-amz-expected-bucket-owner` (and `x-amz-source-expected-bucket-owner` for a copy source):
/// when the bucket exists and another account owns it, the request is refused with 403, so a
/// client never writes into (or reads from) a bucket someone else took over.
pub(crate) fn check_expected_owner(app: &AppState, bucket: &str, expected: &str) -> S3Result<()> {
    match app.store.bucket(bucket) {
        Ok(record)
            if app.identities.account_number_of(&record.owner).as_deref() != Some(expected) =>
        {
            Err(S3Error::access_denied())
        }
        _ => Ok(()),
    }
}

/// Further actions an IAM user needs because of what its headers set, as AWS requires them:
/// an ACL set on upload needs `s3:PutObjectAcl`, one set on CreateBucket `s3:PutBucketAcl`,
/// and choosing the object ownership `s3:PutBucketOwnershipControls`. Account roots and
/// anonymous writers are not asked: the ACL of an object they create is theirs to set (the
/// bucket's WRITE grant or policy already let them create it).
fn implied_actions(request: &S3Request) -> impl Iterator<Item = &'static str> + '_ {
    use route::Operation::*;
    let sets_acl = matches!(request.principal, Principal::User(_))
        && request
            .headers
            .keys()
            .any(|name| name == "x-amz-acl" || name.as_str().starts_with("x-amz-grant-"));
    let (acl_action, ownership) = match request.operation {
        PutObject | CopyObject | CreateMultipartUpload => (Some("s3:PutObjectAcl"), false),
        CreateBucket => (
            Some("s3:PutBucketAcl"),
            request.headers.contains_key("x-amz-object-ownership"),
        ),
        _ => (None, false),
    };
    let ownership = ownership && matches!(request.principal, Principal::User(_));
    acl_action
        .filter(|_| sets_acl)
        .into_iter()
        .chain(ownership.then_some("s3:PutBucketOwnershipControls"))
}

/// The one authorization check of the S3 layer: `action` on the service, a bucket or an object
/// (copy sources, browser uploads and each key of DeleteObjects call it too, for the resource
/// they touch), under the bucket's policy if it has one.
pub(crate) fn check_access(
    app: &AppState,
    principal: &Principal,
    action: &str,
    bucket: Option<&str>,
    key: Option<&str>,
    request: &S3Request,
) -> S3Result<()> {
    check_access_with(app, principal, action, bucket, key, request, &[])
}

/// [`check_access`] with condition keys only the body carries (PutObjectRetention's
/// `s3:object-lock-*`), added to the request's own.
pub(crate) fn check_access_with(
    app: &AppState,
    principal: &Principal,
    action: &str,
    bucket: Option<&str>,
    key: Option<&str>,
    request: &S3Request,
    body_keys: &[(&str, String)],
) -> S3Result<()> {
    let other_bucket;
    let record = match bucket {
        // CreateBucket is decided as for a new bucket of the caller's; when the name is taken,
        // the operation answers BucketAlreadyExists / BucketAlreadyOwnedByYou as AWS does.
        _ if request.operation == route::Operation::CreateBucket => None,
        Some(b) if Some(b) == request.bucket.as_deref() => request.bucket_record(&app.store),
        Some(b) => {
            other_bucket = app.store.bucket(b).ok();
            other_bucket.as_ref()
        }
        None => None,
    };
    let owner = record.map(|b| b.owner.as_str());
    let resource = match (bucket, key) {
        (None, _) => Resource::Service,
        (Some(name), None) => Resource::Bucket { name, owner },
        (Some(bucket), Some(key)) => Resource::Object { bucket, key, owner },
    };
    let bucket_policy = match record {
        Some(record) => app.bucket_policies.get(&app.store, record)?,
        None => None,
    };
    let reads_tags = key.is_some()
        && (bucket_policy
            .as_ref()
            .is_some_and(|p| p.reads_object_tags())
            || matches!(principal, Principal::User(user)
                if user.policies.iter().any(|p| p.reads_object_tags())));
    // An object's own ACL (and owner) matters only once the bucket has objects that are not
    // the bucket owner's with the default ACL; until then the bucket record says all.
    let reads_acl = record.is_some_and(|record| {
        record.object_acls && record.ownership() != ObjectOwnership::BucketOwnerEnforced
    }) && policy::acl::acl_permission(action)
        .is_none_or(|(scope, _)| scope == policy::acl::AclScope::Object);
    let object = match (bucket, key) {
        (Some(bucket), Some(key)) if reads_tags || reads_acl => {
            addressed_object(app, bucket, key, request)?
        }
        _ => None,
    };
    let object_acl = object.as_ref().filter(|_| reads_acl).map(|version| {
        version
            .attrs
            .acl
            .clone()
            .unwrap_or_else(|| policy::acl::Acl::private(&version.attrs.owner))
    });
    // Built only when a policy will read them: most buckets have none.
    let extended;
    let context = match &object {
        _ if !body_keys.is_empty() || (reads_tags && object.is_some()) => {
            let mut context = request.conditions().clone();
            for (tag, value) in object
                .iter()
                .filter(|_| reads_tags)
                .flat_map(|v| &v.attrs.tags)
            {
                context.insert(
                    &format!("{}{tag}", policy::document::EXISTING_OBJECT_TAG_PREFIX),
                    vec![value.clone()],
                );
            }
            for (name, value) in body_keys {
                context.insert(name, vec![value.clone()]);
            }
            extended = context;
            &extended
        }
        _ if bucket_policy.is_some() || matches!(principal, Principal::User(_)) => {
            request.conditions()
        }
        _ => &NO_CONDITIONS,
    };
    let decision = policy::authorize(&policy::Request {
        principal,
        action,
        resource: &resource,
        context,
        bucket_policy: bucket_policy.as_deref(),
        bucket_acl: record.and_then(|r| r.acl.as_ref()),
        object_acl: object_acl.as_ref(),
        ownership: record.map(|r| r.ownership()).unwrap_or_default(),
        public_access_block: record
            .and_then(|r| r.public_access_block)
            .unwrap_or_default(),
    });
    match decision {
        Decision::Allow => Ok(()),
        Decision::Deny => Err(S3Error::access_denied()),
    }
}

/// The object version a request addresses (the one its `versionId` names), for the checks
/// that depend on it (its ACL and owner, `s3:ExistingObjectTag/*`); None when there is none —
/// the operation reports that itself.
fn addressed_object(
    app: &AppState,
    bucket: &str,
    key: &str,
    request: &S3Request,
) -> S3Result<Option<crate::meta::model::ObjectVersion>> {
    use crate::store::versions::VersionSelector;
    let selector = match request.query("versionId") {
        Some(id) if request.key.as_deref() == Some(key) => VersionSelector::parse(Some(id))?,
        _ => VersionSelector::Latest,
    };
    Ok(app.store.version(bucket, key, selector).ok())
}
