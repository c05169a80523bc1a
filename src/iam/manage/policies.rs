//! Identity policies: inline policies of users and groups, customer managed policies, AWS's
//! built-in managed policies, and attaching managed policies to users and groups.
//!
//! A customer managed policy counts its attachments (`attachment_count`), changed in the same
//! transaction as the user's or group's `attached_policies`, so DeletePolicy can refuse while it
//! is attached. Built-in policies are not records; their per-account attachment count is
//! counted when asked for.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::groups::no_such_group;
use super::{IamError, Listing, MAX_ENTITY_NAME, MAX_POLICY_NAME, Page, paginate};
use super::{validate_name, validate_path};
use crate::iam::Identities;
use crate::iam::model::{GroupRecord, ManagedPolicyRecord, UserRecord};
use crate::iam::store::{
    AWS_MANAGED_PREFIX, BUILTIN_POLICIES, EntityKind, entity_key, now_ms, parse_policy_arn,
    random_id,
};
use crate::meta::{Tree, TxnView};
use crate::policy::document::{PolicyDocument, PolicyKind};

/// At most this many managed policies per user or group (AWS's quota).
pub const MAX_ATTACHED: usize = 10;

/// Ids, creation dates and descriptions AWS shows for its managed policies.
const BUILTIN_META: [(&str, &str, i64, &str); 3] = [
    (
        "AdministratorAccess",
        "ANPAIWMBCKSKIEE64ZLYK",
        1_423_247_986_000,
        "Provides full access to AWS services and resources.",
    ),
    (
        "AmazonS3FullAccess",
        "ANPAIFIR6V6BVTRAHWINE",
        1_423_248_058_000,
        "Provides full access to all buckets via the AWS Management Console.",
    ),
    (
        "AmazonS3ReadOnlyAccess",
        "ANPAIZTJ4DXE7G6AGAE6M",
        1_423_248_059_000,
        "Provides read only access to all buckets via the AWS Management Console.",
    ),
];

/// A managed policy as GetPolicy shows it: customer managed or built in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedPolicy {
    pub name: String,
    pub arn: String,
    pub policy_id: String,
    pub path: String,
    pub description: Option<String>,
    pub document: String,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub attachment_count: u32,
    pub aws_managed: bool,
}

impl From<ManagedPolicyRecord> for ManagedPolicy {
    fn from(record: ManagedPolicyRecord) -> Self {
        ManagedPolicy {
            arn: record.arn(),
            name: record.name,
            policy_id: record.policy_id,
            path: record.path,
            description: record.description,
            document: record.document,
            created_ms: record.created_ms,
            updated_ms: record.updated_ms,
            attachment_count: record.attachment_count,
            aws_managed: false,
        }
    }
}

/// ListPolicies' `Scope`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyScope {
    All,
    Aws,
    Local,
}

/// A user or a group: what inline policies and attachments belong to.
pub trait PolicyHolder: Serialize + DeserializeOwned {
    const KIND: EntityKind;
    /// `user` or `group`, for messages.
    const WHAT: &'static str;
    /// The request field naming it (`userName`, `groupName`), for validation messages.
    const FIELD: &'static str;
    /// AWS's limit on the combined size of the inline policies, in non-whitespace characters.
    const INLINE_LIMIT: usize;
    fn name(&self) -> &str;
    fn arn(&self) -> String;
    fn inline(&mut self) -> &mut BTreeMap<String, String>;
    fn attached(&mut self) -> &mut Vec<String>;
    fn missing(name: &str) -> IamError;
}

/// The user and the group implementation differ only in these values.
macro_rules! policy_holder {
    ($record:ty, $kind:ident, $what:literal, $field:literal, $limit:literal, $missing:path) => {
        impl PolicyHolder for $record {
            const KIND: EntityKind = EntityKind::$kind;
            const WHAT: &'static str = $what;
            const FIELD: &'static str = $field;
            const INLINE_LIMIT: usize = $limit;
            fn name(&self) -> &str {
                &self.name
            }
            fn arn(&self) -> String {
                <$record>::arn(self)
            }
            fn inline(&mut self) -> &mut BTreeMap<String, String> {
                &mut self.inline_policies
            }
            fn attached(&mut self) -> &mut Vec<String> {
                &mut self.attached_policies
            }
            fn missing(name: &str) -> IamError {
                $missing(name)
            }
        }
    };
}

policy_holder! { UserRecord, User, "user", "userName", 2048, IamError::no_such_user }
policy_holder! { GroupRecord, Group, "group", "groupName", 5120, no_such_group }

/// Validates an identity policy document the way IAM does.
pub fn check_document(document: &str) -> Result<(), IamError> {
    PolicyDocument::parse(document, PolicyKind::Identity, None)
        .map(drop)
        .map_err(|e| IamError::MalformedPolicyDocument(e.message))
}

fn policy_not_found(arn: &str) -> IamError {
    IamError::NoSuchEntity(format!("Policy {arn} does not exist or is not attachable."))
}

/// The customer managed policy `arn` stored under `key`, read inside a transaction.
fn policy_in(tx: &TxnView<'_>, key: &[u8], arn: &str) -> Result<ManagedPolicyRecord, IamError> {
    tx.get_record::<ManagedPolicyRecord>(Tree::IamEntities, key)?
        .filter(|p| p.arn() == arn)
        .ok_or_else(|| policy_not_found(arn))
}

fn builtin(name: &str) -> Option<ManagedPolicy> {
    let (_, document) = BUILTIN_POLICIES.iter().find(|(n, _)| *n == name)?;
    let (_, id, created_ms, description) = BUILTIN_META.iter().find(|(n, ..)| *n == name)?;
    Some(ManagedPolicy {
        name: name.to_string(),
        arn: format!("{AWS_MANAGED_PREFIX}{name}"),
        policy_id: id.to_string(),
        path: "/".to_string(),
        description: Some(description.to_string()),
        document: document.to_string(),
        created_ms: *created_ms,
        updated_ms: *created_ms,
        attachment_count: 0,
        aws_managed: true,
    })
}

fn non_whitespace(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

impl Identities {
    pub fn put_inline_policy<H: PolicyHolder>(
        &self,
        account: &str,
        name: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<(), IamError> {
        validate_name(H::FIELD, name, MAX_ENTITY_NAME)?;
        validate_name("policyName", policy_name, MAX_POLICY_NAME)?;
        check_document(document)?;
        self.update_holder(account, name, |_, holder: &mut H| {
            holder
                .inline()
                .insert(policy_name.to_string(), document.to_string());
            let size: usize = holder.inline().values().map(|d| non_whitespace(d)).sum();
            if size > H::INLINE_LIMIT {
                return Err(IamError::LimitExceeded(format!(
                    "Maximum policy size of {} bytes exceeded for {} {}",
                    H::INLINE_LIMIT,
                    H::WHAT,
                    holder.name()
                )));
            }
            Ok(true)
        })
    }

    /// The holder's name as created and the policy's document.
    pub fn get_inline_policy<H: PolicyHolder>(
        &self,
        account: &str,
        name: &str,
        policy_name: &str,
    ) -> Result<(String, String), IamError> {
        let mut holder: H = self.holder(account, name)?;
        let document = holder
            .inline()
            .get(policy_name)
            .cloned()
            .ok_or_else(|| no_such_inline::<H>(policy_name))?;
        Ok((holder.name().to_string(), document))
    }

    pub fn delete_inline_policy<H: PolicyHolder>(
        &self,
        account: &str,
        name: &str,
        policy_name: &str,
    ) -> Result<(), IamError> {
        self.update_holder(account, name, |_, holder: &mut H| {
            match holder.inline().remove(policy_name) {
                Some(_) => Ok(true),
                None => Err(no_such_inline::<H>(policy_name)),
            }
        })
    }

    /// The names of the holder's inline policies, sorted.
    pub fn list_inline_policies<H: PolicyHolder>(
        &self,
        account: &str,
        name: &str,
    ) -> Result<Vec<String>, IamError> {
        let mut holder: H = self.holder(account, name)?;
        Ok(holder.inline().keys().cloned().collect())
    }

    pub fn create_policy(
        &self,
        account: &str,
        name: &str,
        path: Option<&str>,
        description: Option<&str>,
        document: &str,
    ) -> Result<ManagedPolicy, IamError> {
        validate_name("policyName", name, MAX_POLICY_NAME)?;
        let path = path.unwrap_or("/");
        validate_path("path", path)?;
        if description.is_some_and(|d| d.chars().count() > 1000) {
            return Err(IamError::Validation(
                "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000".into(),
            ));
        }
        check_document(document)?;
        let now = now_ms();
        let record = ManagedPolicyRecord {
            account: account.to_string(),
            name: name.to_string(),
            policy_id: random_id("ANPA", 17),
            path: path.to_string(),
            description: description.map(str::to_string),
            document: document.to_string(),
            created_ms: now,
            updated_ms: now,
            attachment_count: 0,
        };
        self.insert_entity(
            &entity_key(account, EntityKind::Policy, name),
            &record,
            || format!("A policy called {name} already exists. Duplicate names are not allowed."),
        )?;
        Ok(record.into())
    }

    /// A managed policy the account can see: built in, or one of its own.
    pub fn get_policy(&self, account: &str, arn: &str) -> Result<ManagedPolicy, IamError> {
        if let Some(name) = arn.strip_prefix(AWS_MANAGED_PREFIX) {
            let mut policy = builtin(name).ok_or_else(|| policy_not_found(arn))?;
            policy.attachment_count = self
                .builtin_attachments(account)?
                .get(arn)
                .copied()
                .unwrap_or(0);
            return Ok(policy);
        }
        Ok(self.own_policy(account, arn)?.into())
    }

    fn own_policy(&self, account: &str, arn: &str) -> Result<ManagedPolicyRecord, IamError> {
        let Some((owner, name)) = parse_policy_arn(arn) else {
            return Err(IamError::InvalidInput(format!("ARN {arn} is not valid.")));
        };
        if owner != account {
            return Err(policy_not_found(arn));
        }
        self.entity::<ManagedPolicyRecord>(account, EntityKind::Policy, name)?
            .filter(|p| p.arn() == arn)
            .ok_or_else(|| policy_not_found(arn))
    }

    /// How many users and groups of `account` each built-in policy is attached to.
    fn builtin_attachments(&self, account: &str) -> Result<HashMap<String, u32>, IamError> {
        let mut counts = HashMap::new();
        let mut count = |arns: &[String]| {
            for arn in arns.iter().filter(|a| a.starts_with(AWS_MANAGED_PREFIX)) {
                *counts.entry(arn.clone()).or_insert(0) += 1;
            }
        };
        for user in self.all_entities::<UserRecord>(account, EntityKind::User)? {
            count(&user.attached_policies);
        }
        for group in self.all_entities::<GroupRecord>(account, EntityKind::Group)? {
            count(&group.attached_policies);
        }
        Ok(counts)
    }

    /// Deletes a customer managed policy that is attached to nothing.
    pub fn delete_policy(&self, account: &str, arn: &str) -> Result<(), IamError> {
        if arn.starts_with(AWS_MANAGED_PREFIX) {
            return Err(IamError::InvalidInput(
                "AWS managed policies cannot be deleted.".into(),
            ));
        }
        let record = self.own_policy(account, arn)?;
        let key = entity_key(account, EntityKind::Policy, &record.name);
        self.write(|tx| {
            if policy_in(tx, &key, arn)?.attachment_count > 0 {
                return Err(IamError::DeleteConflict(
                    "Cannot delete a policy attached to entities.".into(),
                ));
            }
            tx.delete(Tree::IamEntities, &key)?;
            Ok(())
        })
    }

    /// ListPolicies: built-in policies (scope All or AWS) then the account's own (All or
    /// Local), each in name order.
    pub fn list_policies(
        &self,
        account: &str,
        scope: PolicyScope,
        only_attached: bool,
        path_prefix: &str,
        page: &Page,
    ) -> Result<Listing<ManagedPolicy>, IamError> {
        let mut items = Vec::new();
        if scope != PolicyScope::Local {
            let counts = self.builtin_attachments(account)?;
            for (name, _) in BUILTIN_POLICIES {
                if let Some(mut policy) = builtin(name) {
                    policy.attachment_count = counts.get(&policy.arn).copied().unwrap_or(0);
                    items.push((format!("aws:{name}"), policy));
                }
            }
        }
        if scope != PolicyScope::Aws {
            for record in self.all_entities::<ManagedPolicyRecord>(account, EntityKind::Policy)? {
                items.push((
                    format!("local:{}", record.name.to_ascii_lowercase()),
                    record.into(),
                ));
            }
        }
        items.retain(|(_, p)| {
            p.path.starts_with(path_prefix) && (!only_attached || p.attachment_count > 0)
        });
        items.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(paginate(items, page))
    }

    /// Attaches a managed policy; attaching it again changes nothing (as in AWS).
    pub fn attach_policy<H: PolicyHolder>(
        &self,
        account: &str,
        name: &str,
        arn: &str,
    ) -> Result<(), IamError> {
        // Built in, or one of the account's own (another account's cannot be attached).
        let own_key = match arn.strip_prefix(AWS_MANAGED_PREFIX) {
            Some(builtin_name) => {
                builtin(builtin_name).ok_or_else(|| policy_not_found(arn))?;
                None
            }
            None => {
                let record = self.own_policy(account, arn)?;
                Some(entity_key(account, EntityKind::Policy, &record.name))
            }
        };
        self.update_holder(account, name, |tx, holder: &mut H| {
            if holder.attached().iter().any(|a| a == arn) {
                return Ok(false);
            }
            if holder.attached().len() >= MAX_ATTACHED {
                return Err(IamError::LimitExceeded(format!(
                    "Cannot exceed quota for PoliciesPer{}: {MAX_ATTACHED}",
                    if H::WHAT == "user" { "User" } else { "Group" }
                )));
            }
            if let Some(policy_key) = &own_key {
                let mut policy = policy_in(tx, policy_key, arn)?;
                policy.attachment_count += 1;
                tx.put_record(Tree::IamEntities, policy_key, &policy)?;
            }
            holder.attached().push(arn.to_string());
            Ok(true)
        })
    }

    pub fn detach_policy<H: PolicyHolder>(
        &self,
        account: &str,
        name: &str,
        arn: &str,
    ) -> Result<(), IamError> {
        let policy_key = parse_policy_arn(arn)
            .filter(|(owner, _)| *owner == account)
            .map(|(_, policy)| entity_key(account, EntityKind::Policy, policy));
        self.update_holder(account, name, |tx, holder: &mut H| {
            let before = holder.attached().len();
            holder.attached().retain(|a| a != arn);
            if holder.attached().len() == before {
                return Err(IamError::NoSuchEntity(format!(
                    "Policy {arn} was not found."
                )));
            }
            if let Some(policy_key) = &policy_key
                && let Some(mut policy) =
                    tx.get_record::<ManagedPolicyRecord>(Tree::IamEntities, policy_key)?
                && policy.arn() == arn
            {
                policy.attachment_count = policy.attachment_count.saturating_sub(1);
                tx.put_record(Tree::IamEntities, policy_key, &policy)?;
            }
            Ok(true)
        })
    }

    /// The ARNs of the managed policies attached to the holder, in attachment order.
    pub fn attached_policies<H: PolicyHolder>(
        &self,
        account: &str,
        name: &str,
    ) -> Result<Vec<String>, IamError> {
        let mut holder: H = self.holder(account, name)?;
        Ok(holder.attached().clone())
    }
}

fn no_such_inline<H: PolicyHolder>(policy_name: &str) -> IamError {
    IamError::NoSuchEntity(format!(
        "The {} policy with name {policy_name} cannot be found.",
        H::WHAT
    ))
}
