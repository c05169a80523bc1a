//! CreateUser, GetUser, ListUsers, DeleteUser.

use super::xml::{Xml, iso8601};
use super::{ApiError, Ctx};
use crate::iam::model::UserRecord;

fn one_user(user: &UserRecord) -> Xml {
    let mut xml = Xml::new();
    xml.open("User").user(user).close("User");
    xml
}

pub(super) fn create_user(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    let name = ctx.required("UserName")?;
    let path = ctx.param("Path");
    ctx.authorize(&ctx.arn("user", path.unwrap_or("/"), name))?;
    let user = ctx.app.identities.create_user(ctx.account(), name, path)?;
    Ok(Some(one_user(&user)))
}

/// Without `UserName`, the caller itself; for an account's root that is the root user, shown
/// as AWS shows it (the account number as its id, no name).
pub(super) fn get_user(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    let name = match ctx.param("UserName").or(ctx.caller_user()) {
        Some(name) => name,
        None => {
            let account = ctx.account();
            let created = ctx
                .app
                .identities
                .account_by_number(account)
                .map_err(ApiError::internal)?
                .map_or(0, |a| a.created_ms);
            let mut xml = Xml::new();
            xml.open("User")
                .elem("UserId", account)
                .elem("Arn", &format!("arn:aws:iam::{account}:root"))
                .elem("CreateDate", &iso8601(created))
                .close("User");
            return Ok(Some(xml));
        }
    };
    ctx.authorize_holder::<UserRecord>(name)?;
    let user = ctx.app.identities.get_user(ctx.account(), name)?;
    Ok(Some(one_user(&user)))
}

pub(super) fn list_users(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    let prefix = ctx.param("PathPrefix").unwrap_or("/");
    let page = ctx.page()?;
    ctx.authorize(&ctx.arn("user", prefix, "*"))?;
    let listing = ctx
        .app
        .identities
        .list_users(ctx.account(), prefix, &page)?;
    let mut xml = Xml::new();
    xml.listing("Users", &listing, Xml::user);
    Ok(Some(xml))
}

pub(super) fn delete_user(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    let name = ctx.required("UserName")?;
    ctx.authorize_holder::<UserRecord>(name)?;
    ctx.app.identities.delete_user(ctx.account(), name)?;
    Ok(None)
}
