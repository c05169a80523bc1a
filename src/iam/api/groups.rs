//! CreateGroup, GetGroup, ListGroups, DeleteGroup, AddUserToGroup, RemoveUserFromGroup,
//! ListGroupsForUser.

use super::xml::Xml;
use super::{ApiError, Ctx};
use crate::iam::Identities;
use crate::iam::manage::{IamError, Listing, Page, PolicyHolder, paginate};
use crate::iam::model::{GroupRecord, UserRecord};

pub(super) fn create_group(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    let name = ctx.required("GroupName")?;
    let path = ctx.param("Path");
    ctx.authorize(&ctx.arn("group", path.unwrap_or("/"), name))?;
    let group = ctx.app.identities.create_group(ctx.account(), name, path)?;
    let mut xml = Xml::new();
    xml.open("Group").group(&group).close("Group");
    Ok(Some(xml))
}

/// Pages users or groups, already in name order, by lower-cased name as the scans do.
fn page_by_name<H: PolicyHolder>(items: Vec<H>, page: &Page) -> Listing<H> {
    let keyed = items
        .into_iter()
        .map(|item| (item.name().to_ascii_lowercase(), item));
    paginate(keyed.collect(), page)
}

/// The group and (a page of) its members.
pub(super) fn get_group(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    let name = ctx.required("GroupName")?;
    let page = ctx.page()?;
    ctx.authorize_holder::<GroupRecord>(name)?;
    let ids = &ctx.app.identities;
    let group = ids.get_group(ctx.account(), name)?;
    let members = ids.group_members(ctx.account(), &group)?;
    let listing = page_by_name(members, &page);
    let mut xml = Xml::new();
    xml.open("Group")
        .group(&group)
        .close("Group")
        .listing("Users", &listing, Xml::user);
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
    Ok(Some(groups_xml(&listing)))
}

fn groups_xml(listing: &Listing<GroupRecord>) -> Xml {
    let mut xml = Xml::new();
    xml.listing("Groups", listing, Xml::group);
    xml
}

pub(super) fn delete_group(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    let name = ctx.required("GroupName")?;
    ctx.authorize_holder::<GroupRecord>(name)?;
    ctx.app.identities.delete_group(ctx.account(), name)?;
    Ok(None)
}

pub(super) fn add_user_to_group(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    change_membership(ctx, Identities::add_user_to_group)
}

pub(super) fn remove_user_from_group(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    change_membership(ctx, Identities::remove_user_from_group)
}

/// AddUserToGroup and RemoveUserFromGroup: authorized against the group.
fn change_membership(
    ctx: &Ctx<'_>,
    change: fn(&Identities, &str, &str, &str) -> Result<(), IamError>,
) -> Result<Option<Xml>, ApiError> {
    let group = ctx.required("GroupName")?;
    let user = ctx.required("UserName")?;
    ctx.authorize_holder::<GroupRecord>(group)?;
    change(&ctx.app.identities, ctx.account(), group, user)?;
    Ok(None)
}

pub(super) fn list_groups_for_user(ctx: &Ctx<'_>) -> Result<Option<Xml>, ApiError> {
    let user = ctx.required("UserName")?;
    let page = ctx.page()?;
    ctx.authorize_holder::<UserRecord>(user)?;
    let groups = ctx.app.identities.groups_for_user(ctx.account(), user)?;
    Ok(Some(groups_xml(&page_by_name(groups, &page))))
}
