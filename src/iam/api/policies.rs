//! Inline policies of users and groups (Put/Get/List/Delete{User,Group}Policy), managed
//! policies (CreatePolicy, GetPolicy, GetPolicyVersion, ListPolicyVersions, DeletePolicy,
//! ListPolicies) and their attachments (Attach/Detach/ListAttached{User,Group}Policies). The
//! user and group variants are one generic handler each, instantiated for [`User`] and
//! [`Group`].

use super::xml::{Xml, encode_document, iso8601};
use super::{ApiError, Ctx};
use crate::iam::Identities;
use crate::iam::manage::{
    IamError, ManagedPolicy, PolicyHolder, PolicyScope, paginate, paginate_in_order,
};
use crate::iam::model::{GroupRecord, UserRecord};

/// What differs between the user and the group variant of an action.
pub(super) trait Kind {
    type Record: PolicyHolder;
    /// The parameter (and response element) naming the user or group.
    const PARAM: &'static str;
}

pub(super) struct User;
pub(super) struct Group;

impl Kind for User {
    type Record = UserRecord;
    const PARAM: &'static str = "UserName";
}

impl Kind for Group {
    type Record = GroupRecord;
    const PARAM: &'static str = "GroupName";
}

/// The named user or group, authorized against its ARN.
fn authorized_holder<'c, K: Kind>(ctx: &'c Ctx<'_>) -> Result<&'c str, ApiError> {
    let name = ctx.required(K::PARAM)?;
    ctx.authorize_holder::<K::Record>(name)?;
    Ok(name)
}

pub(super) fn put_inline<K: Kind>(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    let policy_name = ctx.required("PolicyName")?;
    let document = ctx.required("PolicyDocument")?;
    let name = authorized_holder::<K>(ctx)?;
    ctx.app.identities.put_inline_policy::<K::Record>(
        ctx.account(),
        name,
        policy_name,
        document,
    )?;
    Ok(None)
}

pub(super) fn get_inline<K: Kind>(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    let policy_name = ctx.required("PolicyName")?;
    let name = authorized_holder::<K>(ctx)?;
    let (holder, document) =
        ctx.app
            .identities
            .get_inline_policy::<K::Record>(ctx.account(), name, policy_name)?;
    let mut xml = Xml::new();
    xml.elem(K::PARAM, &holder)
        .elem("PolicyName", policy_name)
        .elem("PolicyDocument", &encode_document(&document));
    Ok(Some(xml))
}

pub(super) fn list_inline<K: Kind>(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    let page = ctx.page()?;
    let name = authorized_holder::<K>(ctx)?;
    let names = ctx
        .app
        .identities
        .list_inline_policies::<K::Record>(ctx.account(), name)?;
    let listing = paginate(names.into_iter().map(|n| (n.clone(), n)).collect(), &page);
    let mut xml = Xml::new();
    xml.listing("PolicyNames", &listing, |xml, name| xml.text(name));
    Ok(Some(xml))
}

pub(super) fn delete_inline<K: Kind>(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    change_holder::<K>(
        ctx,
        "PolicyName",
        Identities::delete_inline_policy::<K::Record>,
    )
}

/// An action that changes the named user or group by one more parameter (`param`) and
/// answers nothing.
fn change_holder<K: Kind>(
    ctx: &Ctx<'_>,
    param: &str,
    change: fn(&Identities, &str, &str, &str) -> Result<(), IamError>,
) -> Result<Option<Xml>, ApiError> {
    let value = ctx.required(param)?;
    let name = authorized_holder::<K>(ctx)?;
    change(&ctx.app.identities, ctx.account(), name, value)?;
    Ok(None)
}

fn one_policy(policy: &ManagedPolicy) -> Xml {
    let mut xml = Xml::new();
    xml.open("Policy").policy(policy).close("Policy");
    xml
}

pub(super) fn create_policy(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    let name = ctx.required("PolicyName")?;
    let document = ctx.required("PolicyDocument")?;
    let path = ctx.param("Path");
    let description = ctx.param("Description");
    ctx.authorize(&ctx.arn("policy", path.unwrap_or("/"), name))?;
    let policy =
        ctx.app
            .identities
            .create_policy(ctx.account(), name, path, description, document)?;
    Ok(Some(one_policy(&policy)))
}

/// `PolicyArn`, authorized as the resource itself.
fn authorized_arn<'c>(ctx: &'c Ctx<'_>) -> Result<&'c str, ApiError> {
    let arn = ctx.required("PolicyArn")?;
    if !arn.starts_with("arn:") {
        return Err(ApiError::new(
            "InvalidInput",
            format!("ARN {arn} is not valid."),
        ));
    }
    ctx.authorize(arn)?;
    Ok(arn)
}

pub(super) fn get_policy(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    let arn = authorized_arn(ctx)?;
    let policy = ctx.app.identities.get_policy(ctx.account(), arn)?;
    Ok(Some(one_policy(&policy)))
}

/// strata keeps one version of each policy, `v1`, the default.
pub(super) fn get_policy_version(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    let version = ctx.required("VersionId")?;
    let arn = authorized_arn(ctx)?;
    let policy = ctx.app.identities.get_policy(ctx.account(), arn)?;
    if version != "v1" {
        return Err(ApiError::new(
            "NoSuchEntity",
            format!("Policy {arn} version {version} does not exist or is not attachable."),
        ));
    }
    let mut xml = Xml::new();
    xml.open("PolicyVersion")
        .elem("Document", &encode_document(&policy.document))
        .elem("VersionId", "v1")
        .elem("IsDefaultVersion", "true")
        .elem("CreateDate", &iso8601(policy.updated_ms))
        .close("PolicyVersion");
    Ok(Some(xml))
}

pub(super) fn list_policy_versions(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    let arn = authorized_arn(ctx)?;
    let policy = ctx.app.identities.get_policy(ctx.account(), arn)?;
    let mut xml = Xml::new();
    xml.open("Versions")
        .open("member")
        .elem("VersionId", "v1")
        .elem("IsDefaultVersion", "true")
        .elem("CreateDate", &iso8601(policy.updated_ms))
        .close("member")
        .close("Versions")
        .truncation(None);
    Ok(Some(xml))
}

pub(super) fn delete_policy(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    let arn = authorized_arn(ctx)?;
    ctx.app.identities.delete_policy(ctx.account(), arn)?;
    Ok(None)
}

pub(super) fn list_policies(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    let scope = match ctx.param("Scope").unwrap_or("All") {
        "All" => PolicyScope::All,
        "AWS" => PolicyScope::Aws,
        "Local" => PolicyScope::Local,
        other => {
            return Err(ApiError::new(
                "ValidationError",
                format!(
                    "1 validation error detected: Value '{other}' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]"
                ),
            ));
        }
    };
    let only_attached = ctx.flag("OnlyAttached")?;
    let prefix = ctx.param("PathPrefix").unwrap_or("/");
    let page = ctx.page()?;
    ctx.authorize(&ctx.arn("policy", prefix, "*"))?;
    let listing =
        ctx.app
            .identities
            .list_policies(ctx.account(), scope, only_attached, prefix, &page)?;
    let mut xml = Xml::new();
    xml.listing("Policies", &listing, Xml::policy);
    Ok(Some(xml))
}

pub(super) fn attach<K: Kind>(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    change_holder::<K>(ctx, "PolicyArn", Identities::attach_policy::<K::Record>)
}

pub(super) fn detach<K: Kind>(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    change_holder::<K>(ctx, "PolicyArn", Identities::detach_policy::<K::Record>)
}

pub(super) fn list_attached<K: Kind>(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    let page = ctx.page()?;
    let name = authorized_holder::<K>(ctx)?;
    let arns = ctx
        .app
        .identities
        .attached_policies::<K::Record>(ctx.account(), name)?;
    let listing = paginate_in_order(arns, &page);
    let mut xml = Xml::new();
    xml.listing("AttachedPolicies", &listing, |xml, arn| {
        let policy_name = arn.rsplit('/').next().unwrap_or(arn);
        xml.elem("PolicyName", policy_name).elem("PolicyArn", arn)
    });
    Ok(Some(xml))
}
