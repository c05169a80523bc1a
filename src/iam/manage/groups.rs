//! IAM groups: creation, membership (both sides in one transaction), deletion.

use super::{IamError, Listing, MAX_ENTITY_NAME, Page, validate_name, validate_path};
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
        let key = entity_key(account, EntityKind::Group, name);
        self.write(|tx| {
            if tx.get(Tree::IamEntities, &key)?.is_some() {
                return Err(IamError::EntityAlreadyExists(format!(
                    "Group with name {name} already exists."
                )));
            }
            tx.put_record(Tree::IamEntities, &key, &group)?;
            Ok(())
        })?;
        Ok(group)
    }

    pub fn get_group(&self, account: &str, name: &str) -> Result<GroupRecord, IamError> {
        validate_name("groupName", name, MAX_ENTITY_NAME)?;
        self.entity(account, EntityKind::Group, name)?
            .ok_or_else(|| no_such_group(name))
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
        let key = entity_key(account, EntityKind::Group, name);
        self.write(|tx| {
            let group: GroupRecord = tx
                .get_record(Tree::IamEntities, &key)?
                .ok_or_else(|| no_such_group(name))?;
            let conflict = if !group.members.is_empty() {
                Some("must remove users from group first")
            } else if !group.inline_policies.is_empty() {
                Some("must delete policies first")
            } else if !group.attached_policies.is_empty() {
                Some("must detach all policies first")
            } else {
                None
            };
            if let Some(what) = conflict {
                return Err(IamError::DeleteConflict(format!(
                    "Cannot delete entity, {what}."
                )));
            }
            tx.delete(Tree::IamEntities, &key)?;
            Ok(())
        })
    }

    /// Adds `user` to `group`; adding a member again changes nothing (as in AWS).
    pub fn add_user_to_group(
        &self,
        account: &str,
        group: &str,
        user: &str,
    ) -> Result<(), IamError> {
        let group_key = entity_key(account, EntityKind::Group, group);
        let user_key = entity_key(account, EntityKind::User, user);
        self.write(|tx| {
            let mut group_record: GroupRecord = tx
                .get_record(Tree::IamEntities, &group_key)?
                .ok_or_else(|| no_such_group(group))?;
            let mut user_record: UserRecord = tx
                .get_record(Tree::IamEntities, &user_key)?
                .ok_or_else(|| IamError::no_such_user(user))?;
            if user_record
                .groups
                .iter()
                .any(|g| g.eq_ignore_ascii_case(&group_record.name))
            {
                return Ok(());
            }
            if user_record.groups.len() >= MAX_GROUPS_PER_USER {
                return Err(IamError::LimitExceeded(format!(
                    "Cannot exceed quota for GroupsPerUser: {MAX_GROUPS_PER_USER}"
                )));
            }
            user_record.groups.push(group_record.name.clone());
            group_record.members.push(user_record.name.clone());
            tx.put_record(Tree::IamEntities, &user_key, &user_record)?;
            tx.put_record(Tree::IamEntities, &group_key, &group_record)?;
            Ok(())
        })
    }

    /// Removes `user` from `group`; NoSuchEntity when it is not a member.
    pub fn remove_user_from_group(
        &self,
        account: &str,
        group: &str,
        user: &str,
    ) -> Result<(), IamError> {
        let group_key = entity_key(account, EntityKind::Group, group);
        let user_key = entity_key(account, EntityKind::User, user);
        self.write(|tx| {
            let mut group_record: GroupRecord = tx
                .get_record(Tree::IamEntities, &group_key)?
                .ok_or_else(|| no_such_group(group))?;
            let mut user_record: UserRecord = tx
                .get_record(Tree::IamEntities, &user_key)?
                .ok_or_else(|| IamError::no_such_user(user))?;
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
            tx.put_record(Tree::IamEntities, &user_key, &user_record)?;
            tx.put_record(Tree::IamEntities, &group_key, &group_record)?;
            Ok(())
        })
    }

    /// The groups `user` is in, in name order.
    pub fn groups_for_user(&self, account: &str, user: &str) -> Result<Vec<GroupRecord>, IamError> {
        let user = self.get_user(account, user)?;
        let mut groups = Vec::new();
        for name in &user.groups {
            if let Some(group) = self.entity::<GroupRecord>(account, EntityKind::Group, name)? {
                groups.push(group);
            }
        }
        groups.sort_by_key(|g| g.name.to_ascii_lowercase());
        Ok(groups)
    }

    /// The members of `group`, in name order.
    pub fn group_members(
        &self,
        account: &str,
        group: &GroupRecord,
    ) -> Result<Vec<UserRecord>, IamError> {
        let mut users = Vec::new();
        for name in &group.members {
            if let Some(user) = self.entity::<UserRecord>(account, EntityKind::User, name)? {
                users.push(user);
            }
        }
        users.sort_by_key(|u| u.name.to_ascii_lowercase());
        Ok(users)
    }
}
