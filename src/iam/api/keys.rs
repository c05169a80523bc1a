//! CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey. Without `UserName` they
//! act on the caller: a user's own keys, or an account root's root keys.

use super::xml::{Xml, iso8601};
use super::{ApiError, Ctx};
use crate::iam::manage::paginate_in_order;
use crate::iam::model::{KeyStatus, UserRecord};

/// The user whose keys the request is about (None: the caller is an account's root and named
/// no user, so its root keys).
fn target<'c>(ctx: &'c Ctx<'_>) -> Option<&'c str> {
    ctx.param("UserName").or(ctx.caller_user())
}

/// Authorizes against the target user; the root's own keys need no policy.
fn authorize_target(ctx: &Ctx<'_>, user: Option<&str>) -> Result<(), ApiError> {
    match user {
        Some(name) => ctx.authorize_holder::<UserRecord>(name),
        None => Ok(()),
    }
}

pub(super) fn create_access_key(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    let user = target(ctx);
    authorize_target(ctx, user)?;
    let (record, secret) = ctx.app.identities.create_access_key(ctx.account(), user)?;
    let mut xml = Xml::new();
    xml.open("AccessKey")
        .elem_opt("UserName", record.user.as_deref())
        .elem("AccessKeyId", &record.access_key_id)
        .elem("Status", record.status.as_str())
        .elem("SecretAccessKey", &secret)
        .elem("CreateDate", &iso8601(record.created_ms))
        .close("AccessKey");
    Ok(Some(xml))
}

pub(super) fn list_access_keys(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    let user = target(ctx);
    let page = ctx.page()?;
    authorize_target(ctx, user)?;
    let keys = ctx.app.identities.list_access_keys(ctx.account(), user)?;
    let owner = keys
        .first()
        .and_then(|k| k.user.clone())
        .or(user.map(str::to_string));
    let listing = paginate_in_order(keys, &page);
    let mut xml = Xml::new();
    xml.elem_opt("UserName", owner.as_deref()).listing(
        "AccessKeyMetadata",
        &listing,
        Xml::key_metadata,
    );
    Ok(Some(xml))
}

pub(super) fn update_access_key(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    let key_id = ctx.required("AccessKeyId")?;
    let status = match ctx.required("Status")? {
        "Active" => KeyStatus::Active,
        "Inactive" => KeyStatus::Inactive,
        other => {
            return Err(ApiError::new(
                "ValidationError",
                format!(
                    "1 validation error detected: Value '{other}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]"
                ),
            ));
        }
    };
    let user = target(ctx);
    authorize_target(ctx, user)?;
    ctx.app
        .identities
        .update_access_key(ctx.account(), user, key_id, status)?;
    Ok(None)
}

pub(super) fn delete_access_key(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    let key_id = ctx.required("AccessKeyId")?;
    let user = target(ctx);
    authorize_target(ctx, user)?;
    ctx.app
        .identities
        .delete_access_key(ctx.account(), user, key_id)?;
    Ok(None)
}
