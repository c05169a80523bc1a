//! Managing the identities inside an account: IAM users and their access keys here, groups in
//! `groups`, inline and managed policies in `policies`. These are the operations behind the IAM
//! Query API (`iam::api`) and `strata admin`; they know IAM's rules (name patterns, limits,
//! `DeleteConflict`) but nothing about HTTP or XML.
//!
//! Invariants:
//! - Every write is one [`Identities::write`] transaction, so it takes effect on the next
//!   request. Whatever a rule depends on (a user's keys, groups and policies; a group's members;
//!   a policy's attachment count) is read inside that transaction, so two racing writes cannot
//!   both pass a check that only one of them may pass.
//! - The two sides of a relation change together: a user's `groups` and the group's `members`;
//!   a user's `access_keys` and the key records; a policy's `attachment_count` and the
//!   `attached_policies` of users and groups.
//! - Lists are scans outside transactions (`Meta::scan`), paged by the lower-cased name that
//!   also orders the keys.

mod groups;
mod policies;

pub use policies::{ManagedPolicy, PolicyHolder, PolicyScope, check_document};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Identities;
use super::model::{AccessKeyRecord, KeyStatus, UserRecord};
use super::store::{EntityKind, entity_key, entity_prefix, now_ms, random_id, random_secret};
use crate::meta::{MetaError, Tree, TxnView};

/// At most this many access keys per user (AWS's quota).
pub const MAX_KEYS_PER_USER: usize = 2;
/// Longest IAM user or group name.
pub const MAX_ENTITY_NAME: usize = 64;
/// Longest policy name.
pub const MAX_POLICY_NAME: usize = 128;
/// Longest path (`/division/team/`).
pub const MAX_PATH: usize = 512;

/// What went wrong, by IAM error code.
#[derive(Debug, thiserror::Error)]
pub enum IamError {
    #[error("{0}")]
    NoSuchEntity(String),
    #[error("{0}")]
    EntityAlreadyExists(String),
    #[error("{0}")]
    DeleteConflict(String),
    #[error("{0}")]
    LimitExceeded(String),
    #[error("{0}")]
    MalformedPolicyDocument(String),
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    InvalidInput(String),
    #[error(transparent)]
    Meta(#[from] MetaError),
}

impl IamError {
    /// The IAM error code (`NoSuchEntity`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            IamError::NoSuchEntity(_) => "NoSuchEntity",
            IamError::EntityAlreadyExists(_) => "EntityAlreadyExists",
            IamError::DeleteConflict(_) => "DeleteConflict",
            IamError::LimitExceeded(_) => "LimitExceeded",
            IamError::MalformedPolicyDocument(_) => "MalformedPolicyDocument",
            IamError::Validation(_) => "ValidationError",
            IamError::InvalidInput(_) => "InvalidInput",
            IamError::Meta(_) => "InternalFailure",
        }
    }

    pub(crate) fn no_such_user(name: &str) -> IamError {
        IamError::NoSuchEntity(format!("The user with name {name} cannot be found."))
    }

    pub(crate) fn no_such_key(id: &str) -> IamError {
        IamError::NoSuchEntity(format!("The Access Key with id {id} cannot be found."))
    }
}

/// One page request: resume after `marker` (as a previous page returned it), at most
/// `max_items` entries.
#[derive(Debug, Clone)]
pub struct Page {
    pub marker: Option<String>,
    pub max_items: usize,
}

impl Default for Page {
    fn default() -> Self {
        Page {
            marker: None,
            max_items: 100,
        }
    }
}

/// One page of a list; `next_marker` is set when more entries follow.
#[derive(Debug, Clone)]
pub struct Listing<T> {
    pub items: Vec<T>,
    pub next_marker: Option<String>,
}

/// Pages a small list already in memory, sorted by the marker keys it carries.
pub fn paginate<T>(items: Vec<(String, T)>, page: &Page) -> Listing<T> {
    let mut rest = items
        .into_iter()
        .filter(|(key, _)| page.marker.as_ref().is_none_or(|m| key > m))
        .peekable();
    let mut out = Vec::new();
    let mut last = None;
    while out.len() < page.max_items {
        let Some((key, item)) = rest.next() else {
            break;
        };
        out.push(item);
        last = Some(key);
    }
    Listing {
        items: out,
        next_marker: rest.peek().and(last),
    }
}

/// Pages a small list in the order given; markers are positions (`0003`).
pub fn paginate_in_order<T>(items: Vec<T>, page: &Page) -> Listing<T> {
    let keyed = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| (format!("{i:04}"), item));
    paginate(keyed.collect(), page)
}

fn constraint_error(field: &str, value: &str, constraint: &str) -> IamError {
    IamError::Validation(format!(
        "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: Member must {constraint}"
    ))
}

/// A user, group or policy name: 1 to `max` characters of `[\w+=,.@-]`.
pub fn validate_name(field: &str, value: &str, max: usize) -> Result<(), IamError> {
    if value.is_empty() {
        return Err(constraint_error(
            field,
            value,
            "have length greater than or equal to 1",
        ));
    }
    if value.chars().count() > max {
        return Err(constraint_error(
            field,
            value,
            &format!("have length less than or equal to {max}"),
        ));
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
    {
        return Err(constraint_error(
            field,
            value,
            r"satisfy regular expression pattern: [\w+=,.@-]+",
        ));
    }
    Ok(())
}

/// A path: `/` or `/a/b/`, printable ASCII, at most 512 characters.
pub fn validate_path(field: &str, value: &str) -> Result<(), IamError> {
    let printable = value.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if value.is_empty()
        || value.len() > MAX_PATH
        || !printable
        || !value.starts_with('/')
        || !value.ends_with('/')
    {
        return Err(constraint_error(
            field,
            value,
            r"satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)",
        ));
    }
    Ok(())
}

impl Identities {
    /// Reads an entity record outside any transaction.
    pub(crate) fn entity<T: DeserializeOwned>(
        &self,
        account: &str,
        kind: EntityKind,
        name: &str,
    ) -> Result<Option<T>, MetaError> {
        self.meta
            .get_record(Tree::IamEntities, &entity_key(account, kind, name))
    }

    /// One page of an account's entities of `kind` that `keep` accepts, in name order.
    pub(crate) fn scan_entities<T: DeserializeOwned>(
        &self,
        account: &str,
        kind: EntityKind,
        page: &Page,
        keep: impl Fn(&T) -> bool,
    ) -> Result<Listing<T>, IamError> {
        const BATCH: usize = 256;
        let prefix = entity_prefix(account, kind);
        let mut end = prefix.clone();
        if let Some(last) = end.last_mut() {
            *last = 1;
        }
        let mut start = prefix.clone();
        if let Some(marker) = &page.marker {
            start.extend_from_slice(marker.to_ascii_lowercase().as_bytes());
            start.push(0);
        }
        let mut items = Vec::new();
        let mut last_name: Option<String> = None;
        loop {
            let batch = self
                .meta
                .scan(Tree::IamEntities, &start, Some(&end), BATCH)?;
            let done = batch.len() < BATCH;
            for (key, value) in batch {
                start.clone_from(&key);
                start.push(0);
                let record: T = crate::meta::decode(Tree::IamEntities, &value)?;
                if !keep(&record) {
                    continue;
                }
                if items.len() == page.max_items {
                    return Ok(Listing {
                        items,
                        next_marker: last_name,
                    });
                }
                items.push(record);
                last_name = Some(String::from_utf8_lossy(&key[prefix.len()..]).into_owned());
            }
            if done {
                return Ok(Listing {
                    items,
                    next_marker: None,
                });
            }
        }
    }

    /// Every entity of `kind` in `account` (for counts over the whole account).
    pub(crate) fn all_entities<T: DeserializeOwned>(
        &self,
        account: &str,
        kind: EntityKind,
    ) -> Result<Vec<T>, IamError> {
        let page = Page {
            marker: None,
            max_items: usize::MAX,
        };
        Ok(self.scan_entities(account, kind, &page, |_| true)?.items)
    }

    /// The user or group `name` (without regard to case), read outside any transaction.
    pub(crate) fn holder<H: PolicyHolder>(&self, account: &str, name: &str) -> Result<H, IamError> {
        self.entity(account, H::KIND, name)?
            .ok_or_else(|| H::missing(name))
    }

    /// Reads the user or group `name` in one transaction and hands it to `change`, which says
    /// whether it changed it; a changed record is written back in that transaction.
    pub(crate) fn update_holder<H: PolicyHolder>(
        &self,
        account: &str,
        name: &str,
        change: impl Fn(&TxnView<'_>, &mut H) -> Result<bool, IamError>,
    ) -> Result<(), IamError> {
        let key = entity_key(account, H::KIND, name);
        self.write(|tx| {
            let mut holder: H = load(tx, &key, name)?;
            if change(tx, &mut holder)? {
                tx.put_record(Tree::IamEntities, &key, &holder)?;
            }
            Ok(())
        })
    }

    /// Stores a new user, group or policy under `key`; EntityAlreadyExists (worded by `taken`)
    /// when the name is in use.
    pub(crate) fn insert_entity<T: Serialize>(
        &self,
        key: &[u8],
        record: &T,
        taken: impl Fn() -> String,
    ) -> Result<(), IamError> {
        self.write(|tx| {
            if tx.get(Tree::IamEntities, key)?.is_some() {
                return Err(IamError::EntityAlreadyExists(taken()));
            }
            tx.put_record(Tree::IamEntities, key, record)?;
            Ok(())
        })
    }

    /// Deletes the user or group `name` when nothing depends on it any more, so nothing can be
    /// orphaned: `dependents` lists, in the order AWS checks them, what must go first (as the
    /// DeleteConflict words it) and how many of it are left.
    pub(crate) fn delete_holder<H: PolicyHolder, const N: usize>(
        &self,
        account: &str,
        name: &str,
        dependents: impl Fn(&H) -> [(&'static str, usize); N],
    ) -> Result<(), IamError> {
        let key = entity_key(account, H::KIND, name);
        self.write(|tx| {
            let holder: H = load(tx, &key, name)?;
            if let Some((what, _)) = dependents(&holder).into_iter().find(|(_, n)| *n > 0) {
                return Err(IamError::DeleteConflict(format!(
                    "Cannot delete entity, {what}."
                )));
            }
            tx.delete(Tree::IamEntities, &key)?;
            Ok(())
        })
    }

    pub fn create_user(
        &self,
        account: &str,
        name: &str,
        path: Option<&str>,
    ) -> Result<UserRecord, IamError> {
        validate_name("userName", name, MAX_ENTITY_NAME)?;
        let path = path.unwrap_or("/");
        validate_path("path", path)?;
        let user = UserRecord {
            account: account.to_string(),
            name: name.to_string(),
            user_id: random_id("AIDA", 17),
            path: path.to_string(),
            created_ms: now_ms(),
            inline_policies: Default::default(),
            attached_policies: Vec::new(),
            groups: Vec::new(),
            access_keys: Vec::new(),
        };
        self.insert_entity(&entity_key(account, EntityKind::User, name), &user, || {
            format!("User with name {name} already exists.")
        })?;
        Ok(user)
    }

    /// The user named `name` (without regard to case).
    pub fn get_user(&self, account: &str, name: &str) -> Result<UserRecord, IamError> {
        validate_name("userName", name, MAX_ENTITY_NAME)?;
        self.holder(account, name)
    }

    pub fn list_users(
        &self,
        account: &str,
        path_prefix: &str,
        page: &Page,
    ) -> Result<Listing<UserRecord>, IamError> {
        self.scan_entities(account, EntityKind::User, page, |u: &UserRecord| {
            u.path.starts_with(path_prefix)
        })
    }

    /// Deletes a user that has nothing left: AWS refuses while it has access keys, policies or
    /// group memberships.
    pub fn delete_user(&self, account: &str, name: &str) -> Result<(), IamError> {
        self.delete_holder(account, name, |u: &UserRecord| {
            [
                ("must delete access keys first", u.access_keys.len()),
                ("must delete policies first", u.inline_policies.len()),
                ("must detach all policies first", u.attached_policies.len()),
                ("must remove user from all groups first", u.groups.len()),
            ]
        })
    }

    /// A new access key for `user`, or for the account's root user when `user` is None.
    /// Returns the record and the clear secret (shown once).
    pub fn create_access_key(
        &self,
        account: &str,
        user: Option<&str>,
    ) -> Result<(AccessKeyRecord, String), IamError> {
        let access_key = random_id("AKIA", 16);
        let secret = random_secret();
        let sealed = self.sealer.seal(&access_key, &secret);
        let too_many = || {
            IamError::LimitExceeded(format!(
                "Cannot exceed quota for AccessKeysPerUser: {MAX_KEYS_PER_USER}"
            ))
        };
        if user.is_none() && self.root_keys(account)?.len() >= MAX_KEYS_PER_USER {
            return Err(too_many());
        }
        let record = self.write(|tx| {
            let owner = match user {
                None => None,
                Some(name) => {
                    let key = entity_key(account, EntityKind::User, name);
                    let mut record: UserRecord = load(tx, &key, name)?;
                    if record.access_keys.len() >= MAX_KEYS_PER_USER {
                        return Err(too_many());
                    }
                    record.access_keys.push(access_key.clone());
                    tx.put_record(Tree::IamEntities, &key, &record)?;
                    Some(record.name)
                }
            };
            let record = AccessKeyRecord {
                access_key_id: access_key.clone(),
                account: account.to_string(),
                user: owner,
                sealed_secret: sealed.clone(),
                status: KeyStatus::Active,
                created_ms: now_ms(),
            };
            tx.put_record(Tree::AccessKeys, access_key.as_bytes(), &record)?;
            Ok(record)
        })?;
        Ok((record, secret))
    }

    /// The stored root keys of an account (the server root's configured key is not stored).
    fn root_keys(&self, account: &str) -> Result<Vec<AccessKeyRecord>, IamError> {
        let mut keys = Vec::new();
        for (_, value) in self.meta.scan(Tree::AccessKeys, b"", None, usize::MAX)? {
            let record: AccessKeyRecord = crate::meta::decode(Tree::AccessKeys, &value)?;
            if record.account == account && record.user.is_none() {
                keys.push(record);
            }
        }
        Ok(keys)
    }

    /// The access keys of `user` (None: the account's root user), oldest first.
    pub fn list_access_keys(
        &self,
        account: &str,
        user: Option<&str>,
    ) -> Result<Vec<AccessKeyRecord>, IamError> {
        let mut keys = match user {
            None => self.root_keys(account)?,
            Some(name) => {
                let user = self.get_user(account, name)?;
                let mut keys = Vec::new();
                for id in &user.access_keys {
                    if let Some(record) = self
                        .meta
                        .get_record::<AccessKeyRecord>(Tree::AccessKeys, id.as_bytes())?
                    {
                        keys.push(record);
                    }
                }
                keys
            }
        };
        keys.sort_by(|a, b| {
            (a.created_ms, &a.access_key_id).cmp(&(b.created_ms, &b.access_key_id))
        });
        Ok(keys)
    }

    /// Activates or deactivates a key of `user` (None: a root key of the account).
    pub fn update_access_key(
        &self,
        account: &str,
        user: Option<&str>,
        key_id: &str,
        status: KeyStatus,
    ) -> Result<(), IamError> {
        self.write(|tx| {
            let mut record = owned_key(tx, account, user, key_id)?;
            record.status = status;
            tx.put_record(Tree::AccessKeys, key_id.as_bytes(), &record)?;
            Ok(())
        })
    }

    pub fn delete_access_key(
        &self,
        account: &str,
        user: Option<&str>,
        key_id: &str,
    ) -> Result<(), IamError> {
        self.write(|tx| {
            let record = owned_key(tx, account, user, key_id)?;
            if let Some(name) = &record.user {
                let key = entity_key(account, EntityKind::User, name);
                if let Some(mut user) = tx.get_record::<UserRecord>(Tree::IamEntities, &key)? {
                    user.access_keys.retain(|id| id != key_id);
                    tx.put_record(Tree::IamEntities, &key, &user)?;
                }
            }
            tx.delete(Tree::AccessKeys, key_id.as_bytes())?;
            Ok(())
        })
    }
}

/// The user or group `name` stored under `key`, read inside a transaction.
fn load<H: PolicyHolder>(tx: &TxnView<'_>, key: &[u8], name: &str) -> Result<H, IamError> {
    tx.get_record(Tree::IamEntities, key)?
        .ok_or_else(|| H::missing(name))
}

/// The key `key_id` if it belongs to `user` of `account` (None: to the account's root user);
/// NoSuchEntity for the user if it does not exist, else for the key.
fn owned_key(
    tx: &TxnView<'_>,
    account: &str,
    user: Option<&str>,
    key_id: &str,
) -> Result<AccessKeyRecord, IamError> {
    if let Some(name) = user
        && tx
            .get(
                Tree::IamEntities,
                &entity_key(account, EntityKind::User, name),
            )?
            .is_none()
    {
        return Err(IamError::no_such_user(name));
    }
    let record: AccessKeyRecord = tx
        .get_record(Tree::AccessKeys, key_id.as_bytes())?
        .ok_or_else(|| IamError::no_such_key(key_id))?;
    let same_owner = match (&record.user, user) {
        (None, None) => true,
        (Some(owner), Some(name)) => owner.eq_ignore_ascii_case(name),
        _ => false,
    };
    if record.account != account || !same_owner {
        return Err(IamError::no_such_key(key_id));
    }
    Ok(record)
}

#[cfg(test)]
mod tests;
