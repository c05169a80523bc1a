//! CreateGroup, GetGroup, ListGroups, DeleteGroup, AddUserToGroup, RemoveUserFromGroup,
//! ListGroupsForUser.

use super::users::user_resource;
use super::xml::Xml;
use super::{ApiError, Ctx};
use crate::iam::manage::paginate;
use crate::iam::model::GroupRecord;
use crate::iam::store::EntityKind;

/// The ARN a group action is authorized against (with the group's path when it exists).
pub(super) fn group_resource(ctx: &Ctx<'_>, name: &str) -> Result<String, ApiError> {
    let existing = ctx
        .app
        .identities
        .entity::<GroupRecord>(ctx.account(), EntityKind::Group, name)
        .map_err(ApiError::internal)?;
    Ok(match existing {
        Some(group) => group.arn(),
        None => ctx.arn("group", "/", name),
    })
}

pub(super) fn create_group(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    let name = ctx.required("GroupName")?;
    let path = ctx.param("Path");
    ctx.authorize(&ctx.arn("group", path.unwrap_or("/"), name))?;
    let group = ctx.app.identities.create_group(ctx.account(), name, path)?;
    let mut xml = Xml::new();
    xml.open("Group").group(&group).close("Group");
    Ok(Some(xml))
}

/// The group and (a page of) its members.
pub(super) fn get_group(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    let name = ctx.required("GroupName")?;
    let page = ctx.page()?;
    ctx.authorize(&group_resource(ctx, name)?)?;
    let ids = &ctx.app.identities;
    let group = ids.get_group(ctx.account(), name)?;
    let members = ids.group_members(ctx.account(), &group)?;
    let listing = paginate(
        members
            .into_iter()
            .map(|u| (u.name.to_ascii_lowercase(), u))
            .collect(),
        &page,
    );
    let mut xml = Xml::new();
    xml.open("Group").group(&group).close("Group").open("Users");
    for user in &listing.items {
        xml.open("member").user(user).close("member");
    }
    xml.close("Users")
        .truncation(listing.next_marker.as_deref());
    Ok(Some(xml))
}

pub(super) fn list_groups(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    let prefix = ctx.param("PathPrefix").unwrap_or("/");
    let page = ctx.page()?;
    ctx.authorize(&ctx.arn("group", prefix, "*"))?;
    let listing = ctx
        .app
        .identities
        .list_groups(ctx.account(), prefix, &page)?;
    Ok(Some(groups_xml(
        &listing.items,
        listing.next_marker.as_deref(),
    )))
}

fn groups_xml(groups: &[GroupRecord], next_marker: Option<&str>) -> Xml {
    let mut xml = Xml::new();
    xml.open("Groups");
    for group in groups {
        xml.open("member").group(group).close("member");
    }
    xml.close("Groups").truncation(next_marker);
    xml
}

pub(super) fn delete_group(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    let name = ctx.required("GroupName")?;
    ctx.authorize(&group_resource(ctx, name)?)?;
    ctx.app.identities.delete_group(ctx.account(), name)?;
    Ok(None)
}

pub(super) fn add_user_to_group(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    let group = ctx.required("GroupName")?;
    let user = ctx.required("UserName")?;
    ctx.authorize(&group_resource(ctx, group)?)?;
    ctx.app
        .identities
        .add_user_to_group(ctx.account(), group, user)?;
    Ok(None)
}

pub(super) fn remove_user_from_group(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    let group = ctx.required("GroupName")?;
    let user = ctx.required("UserName")?;
    ctx.authorize(&group_resource(ctx, group)?)?;
    ctx.app
        .identities
        .remove_user_from_group(ctx.account(), group, user)?;
    Ok(None)
}

pub(super) fn list_groups_for_user(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    let user = ctx.required("UserName")?;
    let page = ctx.page()?;
    ctx.authorize(&user_resource(ctx, user)?)?;
    let groups = ctx.app.identities.groups_for_user(ctx.account(), user)?;
    let listing = paginate(
        groups
            .into_iter()
            .map(|g| (g.name.to_ascii_lowercase(), g))
            .collect(),
        &page,
    );
    Ok(Some(groups_xml(
        &listing.items,
        listing.next_marker.as_deref(),
    )))
}
