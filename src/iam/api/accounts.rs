//! STS GetCallerIdentity, and the strata extensions CreateAccount and ListAccounts, which only
//! the server's root account (`000000000001`) may call: accounts are above IAM, which manages
//! what is inside one account.

use super::xml::{Xml, iso8601};
use super::{ApiError, Ctx};
use crate::iam::manage::paginate;
use crate::iam::store::AccountError;
use crate::iam::{Principal, ROOT_ACCOUNT_NUMBER};

pub(super) fn get_caller_identity(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    let (arn, user_id) = match &ctx.principal {
        Principal::User(user) => (user.arn.clone(), user.user_id.clone()),
        other => (other.arn().unwrap_or_default(), ctx.account().to_string()),
    };
    let mut xml = Xml::new();
    xml.elem("Arn", &arn)
        .elem("UserId", &user_id)
        .elem("Account", ctx.account());
    Ok(Some(xml))
}

fn server_root_only(ctx: &Ctx<'_>) -> Result<(), ApiError> {
    match &ctx.principal {
        Principal::Root { account_number, .. } if account_number == ROOT_ACCOUNT_NUMBER => Ok(()),
        other => Err(ApiError::new(
            "AccessDenied",
            format!(
                "{} is not authorized to perform: strata:{}: only the server's root account manages accounts",
                other.arn().unwrap_or_default(),
                ctx.action
            ),
        )),
    }
}

pub(super) fn create_account(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    let name = ctx.required("AccountName")?;
    let email = ctx.param("Email");
    server_root_only(ctx)?;
    let (account, access_key, secret) =
        ctx.app
            .identities
            .create_account(name, email)
            .map_err(|err| match err {
                AccountError::InvalidName => ApiError::new("ValidationError", err.to_string()),
                AccountError::Exists => ApiError::new(
                    "EntityAlreadyExists",
                    format!("An account named {name} already exists."),
                ),
                AccountError::Meta(err) => ApiError::internal(err),
            })?;
    let mut xml = Xml::new();
    xml.open("Account")
        .elem("AccountId", &account.number)
        .elem("CanonicalUserId", &account.canonical_id)
        .elem("AccountName", &account.name)
        .elem_opt("Email", account.email.as_deref())
        .elem("AccessKeyId", &access_key)
        .elem("SecretAccessKey", &secret)
        .elem("CreateDate", &iso8601(account.created_ms))
        .close("Account");
    Ok(Some(xml))
}

pub(super) fn list_accounts(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    let page = ctx.page()?;
    server_root_only(ctx)?;
    let accounts = ctx
        .app
        .identities
        .list_accounts()
        .map_err(ApiError::internal)?;
    let listing = paginate(
        accounts
            .iter()
            .map(|a| (a.number.clone(), a.clone()))
            .collect(),
        &page,
    );
    let mut xml = Xml::new();
    xml.listing("Accounts", &listing, |xml, account| {
        xml.elem("AccountId", &account.number)
            .elem("CanonicalUserId", &account.canonical_id)
            .elem("AccountName", &account.name)
            .elem_opt("Email", account.email.as_deref())
            .elem("CreateDate", &iso8601(account.created_ms))
    });
    Ok(Some(xml))
}
