//! STS GetCallerIdentity, and the strata extensions CreateAccount, ListAccounts and
//! RunLifecycle, which only the server's root account (`000000000001`) may call: accounts and
//! the server's background work are above IAM, which manages what is inside one account.

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

/// A lifecycle pass now (`strata admin lifecycle run`): everything due is carried out before the
/// answer, which says how many due entries were handled.
pub(super) fn run_lifecycle(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    server_root_only(ctx)?;
    // Handlers run on the blocking pool, where waiting for the runtime is allowed.
    let handled = tokio::runtime::Handle::current()
        .block_on(ctx.app.lifecycle.pass())
        .map_err(ApiError::internal)?;
    let mut xml = Xml::new();
    xml.elem("Handled", &handled.to_string());
    Ok(Some(xml))
}

/// The usage and cost report (`strata admin usage`) of one bucket (`Bucket`) or of all.
pub(super) fn get_usage_report(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    let only = ctx.param("Bucket");
    server_root_only(ctx)?;
    let store = &ctx.app.store;
    let names: Vec<String> = match only {
        Some(name) => vec![name.to_string()],
        None => store
            .list_buckets()
            .map_err(ApiError::internal)?
            .into_iter()
            .map(|b| b.name)
            .collect(),
    };
    let mut xml = Xml::new();
    xml.open("Buckets");
    for name in names {
        let report = store.usage_report(&name).map_err(|err| match err {
            crate::store::StoreError::NoSuchBucket(_) => {
                ApiError::new("NoSuchEntity", format!("The bucket {name} does not exist."))
            }
            other => ApiError::internal(other),
        })?;
        xml.open("member")
            .elem("Bucket", &report.bucket)
            .open("Classes");
        for (class, usage) in &report.classes {
            xml.open("member")
                .elem("StorageClass", class)
                .elem("Objects", &usage.objects.to_string())
                .elem("LogicalBytes", &usage.logical_bytes.to_string())
                .elem("BillableBytes", &usage.billable_bytes.to_string())
                .elem(
                    "BillableStandardBytes",
                    &usage.billable_standard_bytes.to_string(),
                )
                .elem("DiskBytes", &usage.disk_bytes.to_string())
                .elem(
                    "RestoresInProgress",
                    &usage.restores_in_progress.to_string(),
                )
                .elem("RestoredCopyBytes", &usage.restored_copy_bytes.to_string())
                .elem("EarlyDeletions", &usage.early_deletions.to_string())
                .elem("EarlyDeletionUsd", &usage.early_deletion_usd.to_string())
                .elem("MonthlyCostUsd", &usage.monthly_cost_usd.to_string());
            if !usage.access_tiers.is_empty() {
                xml.open("AccessTiers");
                for (tier, tier_usage) in &usage.access_tiers {
                    xml.open("member")
                        .elem("AccessTier", tier)
                        .elem("Objects", &tier_usage.objects.to_string())
                        .elem("BillableBytes", &tier_usage.billable_bytes.to_string())
                        .elem("MonthlyCostUsd", &tier_usage.monthly_cost_usd.to_string())
                        .close("member");
                }
                xml.close("AccessTiers");
            }
            xml.close("member");
        }
        xml.close("Classes").close("member");
    }
    xml.close("Buckets");
    Ok(Some(xml))
}
