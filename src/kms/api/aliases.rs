//! Aliases: CreateAlias, DeleteAlias, ListAliases. Names start with `alias/`; `alias/aws/` is
//! reserved for AWS-managed keys (NotAuthorizedException, as AWS answers).

use serde_json::{Value, json};

use super::ctx::Ctx;
use super::input::constraint;
use super::keys::{page, seconds};
use crate::kms::model::{AWS_ALIAS_PREFIX, KeyState, alias_arn};
use crate::kms::{KmsError, Names};

/// A valid alias name for a customer: `alias/` and then `[a-zA-Z0-9/_-]`, at most 256
/// characters, not under `alias/aws/`.
fn alias_name<'a>(ctx: &'a Ctx<'_>) -> Result<&'a str, KmsError> {
    let name = ctx.input.required("AliasName")?;
    if name.is_empty() || name.len() > 256 {
        return Err(constraint(
            name,
            "AliasName",
            "Member must have length between 1 and 256",
        ));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'/' | b'_' | b'-'))
    {
        return Err(constraint(
            name,
            "AliasName",
            "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
        ));
    }
    if !name.starts_with("alias/") || name.len() == "alias/".len() {
        return Err(KmsError::validation(
            "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html",
        ));
    }
    if name.contains(':') {
        return Err(KmsError::validation(format!(
            "{name} contains invalid characters for an alias"
        )));
    }
    if name.starts_with(AWS_ALIAS_PREFIX) {
        return Err(KmsError::new(
            "NotAuthorizedException",
            format!("Aliases beginning with {AWS_ALIAS_PREFIX} are reserved for AWS managed keys."),
        ));
    }
    Ok(name)
}

/// CreateAlias needs `kms:CreateAlias` on the alias and on the key (as AWS).
pub(super) fn create_alias(ctx: &Ctx<'_>) -> Result<Option<Value>, KmsError> {
    let name = alias_name(ctx)?;
    let record = ctx.key("TargetKeyId", Names::KeyOnly)?;
    let arn = alias_arn(ctx.kms.region(), ctx.account(), name);
    ctx.authorize_own(&arn)?;
    ctx.customer_managed(&record)?;
    if record.state == KeyState::PendingDeletion {
        return Err(KmsError::pending_deletion(&ctx.kms.arn(&record)));
    }
    if !ctx
        .kms
        .store()
        .create_alias(ctx.account(), name, &record.key_id)?
    {
        return Err(KmsError::new(
            "AlreadyExistsException",
            format!("An alias with the name {arn} already exists"),
        ));
    }
    Ok(None)
}

/// DeleteAlias needs `kms:DeleteAlias` on the alias and on its key (as AWS).
pub(super) fn delete_alias(ctx: &Ctx<'_>) -> Result<Option<Value>, KmsError> {
    let name = alias_name(ctx)?;
    let arn = alias_arn(ctx.kms.region(), ctx.account(), name);
    let store = ctx.kms.store();
    let alias = store
        .alias(ctx.account(), name)?
        .ok_or_else(|| KmsError::alias_not_found(&arn))?;
    ctx.authorize_own(&arn)?;
    if let Some(record) = store.get(&alias.target_key_id)? {
        ctx.authorize(&record, &ctx.action(), &Default::default())?;
    }
    if !store.delete_alias(ctx.account(), name)? {
        return Err(KmsError::alias_not_found(&arn));
    }
    Ok(None)
}

/// Alias names are the markers.
fn is_alias_name(text: &str) -> bool {
    text.starts_with("alias/") && text.len() <= 256
}

pub(super) fn list_aliases(ctx: &Ctx<'_>) -> Result<Option<Value>, KmsError> {
    // AWS takes 1 to 100 here (the model says 1,000), and 50 by default.
    let limit = ctx.input.limit(50)?.min(100);
    let marker = ctx.input.marker(is_alias_name)?;
    let target = match ctx.input.string("KeyId")? {
        Some(text) => Some(ctx.kms.find(ctx.account(), text, Names::KeyOnly)?),
        None => None,
    };
    ctx.authorize_own("*")?;
    let (aliases, next) = ctx.kms.store().list_aliases(
        ctx.account(),
        target.as_ref().map(|k| k.key_id.as_str()),
        marker,
        limit,
    )?;
    let entries = aliases
        .iter()
        .map(|a| {
            json!({
                "AliasName": a.name,
                "AliasArn": alias_arn(ctx.kms.region(), ctx.account(), &a.name),
                "TargetKeyId": a.target_key_id,
                "CreationDate": seconds(a.created_ms),
                "LastUpdatedDate": seconds(a.updated_ms),
            })
        })
        .collect();
    Ok(Some(page("Aliases", entries, next)))
}
