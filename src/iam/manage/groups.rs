//! IAM groups: creation, membership (both sides in one transaction), deletion.

use super::{
    IamError, Listing, MAX_ENTITY_NAME, Page, PolicyHolder, load, validate_name, validate_path,
};
use crate::iam::Identities;
use crate::iam::model::{GroupRecord, UserRecord};
use crate::iam::store::{EntityKind, entity_key, now_ms, random_id};
use crate::meta::Tree;

/// A user may be in at most this many groups (AWS's quota).
pub const MAX_GROUPS_PER_USER: usize = 10;

pub(crate) fn no_such_group(name: &str) -> IamError {
    IamError::NoSuchEntity(format!("The group with name {name} cannot be found."))
}

impl Identities {
    pub fn create_group(
        &self,
        account: &str,
        name: &str,
        path: Option<&str>,
    ) -> Result<GroupRecord, IamError> {
        validate_name("groupName", name, MAX_ENTITY_NAME)?;
        let path = path.unwrap_or("/");
        validate_path("path", path)?;
        let group = GroupRecord {
            account: account.to_string(),
            name: name.to_string(),
            group_id: random_id("AGPA", 17),
            path: path.to_string(),
            created_ms: now_ms(),
            inline_policies: Default::default(),
            attached_policies: Vec::new(),
            members: Vec::new(),
        };
        self.insert_entity(
            &entity_key(account, EntityKind::Group, name),
            &group,
            || format!("Group with name {name} already exists."),
        )?;
        Ok(group)
    }

    pub fn get_group(&self, account: &str, name: &str) -> Result<GroupRecord, IamError> {
        validate_name("groupName", name, MAX_ENTITY_NAME)?;
        self.holder(account, name)
    }

    pub fn list_groups(
        &self,
        account: &str,
        path_prefix: &str,
        page: &Page,
    ) -> Result<Listing<GroupRecord>, IamError> {
        self.scan_entities(account, EntityKind::Group, page, |g: &GroupRecord| {
            g.path.starts_with(path_prefix)
        })
    }

    /// Deletes an empty group: AWS refuses while it has members or policies.
    pub fn delete_group(&self, account: &str, name: &str) -> Result<(), IamError> {
        self.delete_holder(account, name, |g: &GroupRecord| {
            [
                ("must remove users from group first", g.members.len()),
                ("must delete policies first", g.inline_policies.len()),
                ("must detach all policies first", g.attached_policies.len()),
            ]
        })
    }

    /// Adds `user` to `group`; adding a member again changes nothing (as in AWS).
    pub fn add_user_to_group(
        &self,
        account: &str,
        group: &str,
        user: &str,
    ) -> Result<(), IamError> {
        self.change_membership(account, group, user, |group, user| {
            if user
                .groups
                .iter()
                .any(|g| g.eq_ignore_ascii_case(&group.name))
            {
                return Ok(false);
            }
            if user.groups.len() >= MAX_GROUPS_PER_USER {
                return Err(IamError::LimitExceeded(format!(
                    "Cannot exceed quota for GroupsPerUser: {MAX_GROUPS_PER_USER}"
                )));
            }
            user.groups.push(group.name.clone());
            group.members.push(user.name.clone());
            Ok(true)
        })
    }

    /// Removes `user` from `group`; NoSuchEntity when it is not a member.
    pub fn remove_user_from_group(
        &self,
        account: &str,
        group: &str,
        user: &str,
    ) -> Result<(), IamError> {
        self.change_membership(account, group, user, |group_record, user_record| {
            let before = user_record.groups.len();
            user_record
                .groups
                .retain(|g| !g.eq_ignore_ascii_case(&group_record.name));
            group_record
                .members
                .retain(|m| !m.eq_ignore_ascii_case(&user_record.name));
            if user_record.groups.len() == before {
                return Err(IamError::NoSuchEntity(format!(
                    "The user with name {user} is not a member of group {group}."
                )));
            }
            Ok(true)
        })
    }

    /// Reads `group` and `user` in one transaction and hands both to `change`, which says
    /// whether it changed them; both are then written back together, so the group's `members`
    /// and the user's `groups` always agree.
    fn change_membership(
        &self,
        account: &str,
        group: &str,
        user: &str,
        change: impl Fn(&mut GroupRecord, &mut UserRecord) -> Result<bool, IamError>,
    ) -> Result<(), IamError> {
        let group_key = entity_key(account, EntityKind::Group, group);
        let user_key = entity_key(account, EntityKind::User, user);
        self.write(|tx| {
            let mut group_record: GroupRecord = load(tx, &group_key, group)?;
            let mut user_record: UserRecord = load(tx, &user_key, user)?;
            if change(&mut group_record, &mut user_record)? {
                tx.put_record(Tree::IamEntities, &user_key, &user_record)?;
                tx.put_record(Tree::IamEntities, &group_key, &group_record)?;
            }
            Ok(())
        })
    }

    /// The groups `user` is in, in name order.
    pub fn groups_for_user(&self, account: &str, user: &str) -> Result<Vec<GroupRecord>, IamError> {
        let user = self.get_user(account, user)?;
        self.holders_named(account, &user.groups)
    }

    /// The members of `group`, in name order.
    pub fn group_members(
        &self,
        account: &str,
        group: &GroupRecord,
    ) -> Result<Vec<UserRecord>, IamError> {
        self.holders_named(account, &group.members)
    }

    /// The users or groups of `names` that exist, in name order.
    fn holders_named<H: PolicyHolder>(
        &self,
        account: &str,
        names: &[String],
    ) -> Result<Vec<H>, IamError> {
        let mut found = Vec::new();
        for name in names {
            if let Some(holder) = self.entity::<H>(account, H::KIND, name)? {
                found.push(holder);
            }
        }
        found.sort_by_key(|h| h.name().to_ascii_lowercase());
        Ok(found)
    }
}
