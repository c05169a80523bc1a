//! The identity store: accounts, access keys, IAM users, groups and managed policies as
//! metadata records (`iam::model`), and the in-memory caches that keep authentication off the
//! metadata store on the hot path.
//!
//! Invariants:
//! - Every IAM write goes through [`Identities::write`], which bumps the generation after the
//!   transaction commits; every cache entry remembers the generation it was built at and is
//!   dropped when it differs, so a deleted or deactivated key, or a changed policy, takes effect
//!   on the next request — there is no TTL to wait out.
//! - Secrets are stored sealed (`iam::seal`); the clear secret exists only in memory.
//! - The server's root account (`000000000001`) always exists; its keys come from
//!   `root-credentials.toml` or the environment, never from the metadata store.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use rand::Rng;

use super::model::{AccessKeyRecord, AccountRecord, KeyStatus, ManagedPolicyRecord, UserRecord};
use super::seal::Sealer;
use super::{
    Principal, ROOT_ACCOUNT_ID, ROOT_ACCOUNT_NUMBER, ROOT_DISPLAY_NAME, RootCredentials,
    UserPrincipal,
};
use crate::auth::SecretLookup;
use crate::meta::{Meta, MetaError, Tree, TxnView};
use crate::policy::document::{PolicyDocument, PolicyKind};

/// What an access key authenticates as.
#[derive(Debug)]
pub struct ResolvedKey {
    pub secret: String,
    pub principal: Principal,
}

struct Generational<T> {
    generation: u64,
    value: T,
}

pub struct Identities {
    root: RootCredentials,
    root_key: Arc<ResolvedKey>,
    pub(crate) meta: Meta,
    pub(crate) sealer: Sealer,
    generation: AtomicU64,
    keys: RwLock<Generational<HashMap<String, Arc<ResolvedKey>>>>,
    accounts: RwLock<Generational<Option<Arc<Vec<AccountRecord>>>>>,
}

impl std::fmt::Debug for Identities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identities")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

/// The AWS managed policies strata has built in, by name under `arn:aws:iam::aws:policy/`.
pub const BUILTIN_POLICIES: [(&str, &str); 3] = [
    (
        "AdministratorAccess",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    ),
    (
        "AmazonS3FullAccess",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","s3-object-lambda:*"],"Resource":"*"}]}"#,
    ),
    (
        "AmazonS3ReadOnlyAccess",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*","s3-object-lambda:Get*","s3-object-lambda:List*"],"Resource":"*"}]}"#,
    ),
];

pub const AWS_MANAGED_PREFIX: &str = "arn:aws:iam::aws:policy/";

/// The document of a built-in AWS managed policy by ARN.
pub fn builtin_policy(arn: &str) -> Option<&'static str> {
    let name = arn.strip_prefix(AWS_MANAGED_PREFIX)?;
    BUILTIN_POLICIES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, doc)| *doc)
}

/// `IamEntities` key: `account 0x00 kind 0x00 lowercase(name)`.
pub fn entity_key(account: &str, kind: EntityKind, name: &str) -> Vec<u8> {
    let mut out = entity_prefix(account, kind);
    out.extend_from_slice(name.to_ascii_lowercase().as_bytes());
    out
}

pub fn entity_prefix(account: &str, kind: EntityKind) -> Vec<u8> {
    let mut out = Vec::with_capacity(account.len() + 3);
    out.extend_from_slice(account.as_bytes());
    out.push(0);
    out.push(kind as u8);
    out.push(0);
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum EntityKind {
    User = b'u',
    Group = b'g',
    Policy = b'p',
}

/// Random upper-case id characters as AWS uses them (`AKIA...`, `AIDA...`).
pub fn random_id(prefix: &str, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut rng = rand::thread_rng();
    let mut out = String::with_capacity(prefix.len() + len);
    out.push_str(prefix);
    out.extend((0..len).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char));
    out
}

/// A 40-character secret access key.
pub fn random_secret() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut rng = rand::thread_rng();
    (0..40)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Identities {
    /// Opens the identity store and makes sure the server's root account is recorded.
    pub fn open(root: RootCredentials, meta: Meta, sealer: Sealer) -> Result<Identities, String> {
        let root_key = Arc::new(ResolvedKey {
            secret: root.secret_key.clone(),
            principal: Principal::Root {
                account_id: ROOT_ACCOUNT_ID.to_string(),
                account_number: ROOT_ACCOUNT_NUMBER.to_string(),
            },
        });
        let identities = Identities {
            root,
            root_key,
            meta,
            sealer,
            generation: AtomicU64::new(1),
            keys: RwLock::new(Generational {
                generation: 0,
                value: HashMap::new(),
            }),
            accounts: RwLock::new(Generational {
                generation: 0,
                value: None,
            }),
        };
        identities
            .write(|tx| {
                if tx
                    .get(Tree::Accounts, ROOT_ACCOUNT_NUMBER.as_bytes())?
                    .is_none()
                {
                    tx.put_record(
                        Tree::Accounts,
                        ROOT_ACCOUNT_NUMBER.as_bytes(),
                        &AccountRecord {
                            number: ROOT_ACCOUNT_NUMBER.to_string(),
                            canonical_id: ROOT_ACCOUNT_ID.to_string(),
                            name: ROOT_DISPLAY_NAME.to_string(),
                            email: None,
                            created_ms: now_ms(),
                        },
                    )?;
                }
                Ok::<(), MetaError>(())
            })
            .map_err(|e| format!("identities: {e}"))?;
        Ok(identities)
    }

    /// Runs one IAM write transaction and, once it committed, invalidates every cache built
    /// from the identity records.
    pub fn write<R, E: From<MetaError>>(
        &self,
        body: impl Fn(&TxnView<'_>) -> Result<R, E>,
    ) -> Result<R, E> {
        let result = self.meta.transact(body);
        if result.is_ok() {
            self.meta.flush()?;
        }
        // Bumped even after a failed transaction: harmless, and a body that failed half-way
        // through the engine cannot have left the caches right either.
        self.generation.fetch_add(1, Ordering::AcqRel);
        result
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Who `access_key` is and its secret; None for unknown and inactive keys.
    pub fn resolve(&self, access_key: &str) -> Result<Option<Arc<ResolvedKey>>, MetaError> {
        if access_key == self.root.access_key {
            return Ok(Some(self.root_key.clone()));
        }
        let generation = self.generation();
        if let Ok(keys) = self.keys.read()
            && keys.generation == generation
            && let Some(found) = keys.value.get(access_key)
        {
            return Ok(Some(found.clone()));
        }
        let Some(resolved) = self.load_key(access_key)? else {
            return Ok(None);
        };
        let resolved = Arc::new(resolved);
        if let Ok(mut keys) = self.keys.write() {
            if keys.generation != generation {
                keys.value.clear();
                keys.generation = generation;
            }
            keys.value.insert(access_key.to_string(), resolved.clone());
        }
        Ok(Some(resolved))
    }

    fn load_key(&self, access_key: &str) -> Result<Option<ResolvedKey>, MetaError> {
        let Some(record) = self
            .meta
            .get_record::<AccessKeyRecord>(Tree::AccessKeys, access_key.as_bytes())?
        else {
            return Ok(None);
        };
        if record.status != KeyStatus::Active {
            return Ok(None);
        }
        let Some(secret) = self.sealer.open(access_key, &record.sealed_secret) else {
            tracing::warn!(
                access_key,
                "a stored secret does not open with this server key"
            );
            return Ok(None);
        };
        let Some(account) = self.account_by_number(&record.account)? else {
            return Ok(None);
        };
        let principal = match &record.user {
            None => Principal::Root {
                account_id: account.canonical_id.clone(),
                account_number: account.number.clone(),
            },
            Some(name) => {
                let Some(user) = self.meta.get_record::<UserRecord>(
                    Tree::IamEntities,
                    &entity_key(&account.number, EntityKind::User, name),
                )?
                else {
                    return Ok(None);
                };
                Principal::User(Arc::new(UserPrincipal {
                    account_id: account.canonical_id.clone(),
                    account_number: account.number.clone(),
                    arn: user.arn(),
                    policies: self.identity_policies(&user)?,
                    name: user.name,
                    user_id: user.user_id,
                }))
            }
        };
        Ok(Some(ResolvedKey { secret, principal }))
    }

    /// Every policy that applies to `user`: its inline and attached policies and those of its
    /// groups, parsed. A stored document that no longer parses (it was validated on write) is
    /// skipped with a warning rather than locking the user out of everything else.
    pub fn identity_policies(
        &self,
        user: &UserRecord,
    ) -> Result<Vec<Arc<PolicyDocument>>, MetaError> {
        let mut texts: Vec<String> = user.inline_policies.values().cloned().collect();
        let mut attached: Vec<String> = user.attached_policies.clone();
        for group in &user.groups {
            if let Some(group) = self.meta.get_record::<super::model::GroupRecord>(
                Tree::IamEntities,
                &entity_key(&user.account, EntityKind::Group, group),
            )? {
                texts.extend(group.inline_policies.into_values());
                attached.extend(group.attached_policies);
            }
        }
        attached.sort();
        attached.dedup();
        for arn in attached {
            match self.managed_policy_document(&arn)? {
                Some(text) => texts.push(text),
                None => tracing::warn!(%arn, "an attached policy does not exist"),
            }
        }
        Ok(texts
            .iter()
            .filter_map(
                |text| match PolicyDocument::parse(text, PolicyKind::Identity, None) {
                    Ok(doc) => Some(Arc::new(doc)),
                    Err(err) => {
                        tracing::warn!(user = %user.arn(), %err, "a stored identity policy does not parse");
                        None
                    }
                },
            )
            .collect())
    }

    /// The document of a managed policy by ARN: built in (`arn:aws:iam::aws:policy/...`) or a
    /// customer managed policy of some account.
    pub fn managed_policy_document(&self, arn: &str) -> Result<Option<String>, MetaError> {
        if let Some(doc) = builtin_policy(arn) {
            return Ok(Some(doc.to_string()));
        }
        let Some((account, name)) = parse_policy_arn(arn) else {
            return Ok(None);
        };
        Ok(self
            .meta
            .get_record::<ManagedPolicyRecord>(
                Tree::IamEntities,
                &entity_key(account, EntityKind::Policy, name),
            )?
            .filter(|p| p.arn() == arn)
            .map(|p| p.document))
    }

    /// The principal `access_key` authenticates as (None: unknown or inactive).
    pub fn principal_for(&self, access_key: &str) -> Result<Option<Principal>, MetaError> {
        Ok(self.resolve(access_key)?.map(|r| r.principal.clone()))
    }

    fn accounts(&self) -> Result<Arc<Vec<AccountRecord>>, MetaError> {
        let generation = self.generation();
        if let Ok(cached) = self.accounts.read()
            && cached.generation == generation
            && let Some(list) = &cached.value
        {
            return Ok(list.clone());
        }
        let mut list = Vec::new();
        for (_, value) in self.meta.scan(Tree::Accounts, b"", None, usize::MAX)? {
            list.push(crate::meta::decode::<AccountRecord>(
                Tree::Accounts,
                &value,
            )?);
        }
        let list = Arc::new(list);
        if let Ok(mut cached) = self.accounts.write() {
            *cached = Generational {
                generation,
                value: Some(list.clone()),
            };
        }
        Ok(list)
    }

    pub fn list_accounts(&self) -> Result<Arc<Vec<AccountRecord>>, MetaError> {
        self.accounts()
    }

    pub fn account_by_number(&self, number: &str) -> Result<Option<AccountRecord>, MetaError> {
        Ok(self
            .accounts()?
            .iter()
            .find(|a| a.number == number)
            .cloned())
    }

    pub fn account_by_canonical_id(
        &self,
        canonical_id: &str,
    ) -> Result<Option<AccountRecord>, MetaError> {
        Ok(self
            .accounts()?
            .iter()
            .find(|a| a.canonical_id.eq_ignore_ascii_case(canonical_id))
            .cloned())
    }

    pub fn account_by_email(&self, email: &str) -> Result<Option<AccountRecord>, MetaError> {
        Ok(self
            .accounts()?
            .iter()
            .find(|a| {
                a.email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(email))
            })
            .cloned())
    }

    /// The display name of the account with this canonical id (`Owner/DisplayName`).
    pub fn display_name(&self, canonical_id: &str) -> String {
        match self.account_by_canonical_id(canonical_id) {
            Ok(Some(account)) => account.name,
            _ => String::new(),
        }
    }

    /// The 12-digit number of the account with this canonical id.
    pub fn account_number_of(&self, canonical_id: &str) -> Option<String> {
        self.account_by_canonical_id(canonical_id)
            .ok()
            .flatten()
            .map(|a| a.number)
    }

    /// Creates an account named `name` with a root access key; returns the account and the
    /// key's secret (shown to the caller once, stored only sealed).
    pub fn create_account(
        &self,
        name: &str,
        email: Option<&str>,
    ) -> Result<(AccountRecord, String, String), AccountError> {
        if name.is_empty()
            || name.len() > 50
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
        {
            return Err(AccountError::InvalidName);
        }
        let access_key = random_id("AKIA", 16);
        let secret = random_secret();
        let sealed = self.sealer.seal(&access_key, &secret);
        let canonical_id = hex::encode(rand::random::<[u8; 32]>());
        let created = self.write(|tx| {
            // Account numbers are dense (accounts are never deleted), so the transaction reads
            // every account by probing numbers upward; two racing creations then conflict
            // instead of taking the same number.
            let mut next = 1u64;
            while let Some(existing) =
                tx.get_record::<AccountRecord>(Tree::Accounts, format!("{next:012}").as_bytes())?
            {
                if existing.name.eq_ignore_ascii_case(name) {
                    return Err(AccountError::Exists);
                }
                next += 1;
            }
            let number = format!("{next:012}");
            let account = AccountRecord {
                number: number.clone(),
                canonical_id: canonical_id.clone(),
                name: name.to_string(),
                email: email.map(str::to_string),
                created_ms: now_ms(),
            };
            tx.put_record(Tree::Accounts, number.as_bytes(), &account)?;
            tx.put_record(
                Tree::AccessKeys,
                access_key.as_bytes(),
                &AccessKeyRecord {
                    access_key_id: access_key.clone(),
                    account: number,
                    user: None,
                    sealed_secret: sealed.clone(),
                    status: KeyStatus::Active,
                    created_ms: now_ms(),
                },
            )?;
            Ok(account)
        })?;
        Ok((created, access_key, secret))
    }
}

/// `arn:aws:iam::<account>:policy<path><name>` → (account, name).
pub fn parse_policy_arn(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let path_and_name = resource.strip_prefix("policy")?;
    let name = path_and_name.rsplit('/').next()?;
    (!name.is_empty() && path_and_name.starts_with('/')).then_some((account, name))
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("account names are 1 to 50 characters of letters, digits and +=,.@_-")]
    InvalidName,
    #[error("an account with this name exists")]
    Exists,
    #[error(transparent)]
    Meta(#[from] MetaError),
}

impl SecretLookup for Identities {
    fn secret_key(&self, access_key: &str) -> Option<String> {
        match self.resolve(access_key) {
            Ok(found) => found.map(|r| r.secret.clone()),
            Err(err) => {
                tracing::error!(%err, "reading an access key failed");
                None
            }
        }
    }
}

/// An identity store over the in-memory metadata engine, with root key `ROOTKEY`.
#[cfg(test)]
pub(crate) fn test_identities() -> Identities {
    Identities::open(
        RootCredentials {
            access_key: "ROOTKEY".into(),
            secret_key: "root-secret".into(),
        },
        Meta::new(Arc::new(crate::meta::memory::MemoryBackend::default())),
        Sealer::from_key(&[3; 32]),
    )
    .expect("open")
}

#[cfg(test)]
mod tests {
    use super::test_identities as identities;
    use super::*;

    #[test]
    fn accounts_get_increasing_numbers_and_working_root_keys() {
        let ids = identities();
        assert_eq!(
            ids.account_by_number(ROOT_ACCOUNT_NUMBER)
                .expect("read")
                .map(|a| a.canonical_id),
            Some(ROOT_ACCOUNT_ID.to_string())
        );
        let (first, key, secret) = ids.create_account("alpha", None).expect("create");
        let (second, ..) = ids.create_account("beta", None).expect("create");
        assert_eq!(first.number, "000000000002");
        assert_eq!(second.number, "000000000003");
        assert!(matches!(
            ids.create_account("ALPHA", None),
            Err(AccountError::Exists)
        ));
        assert!(matches!(
            ids.create_account("bad name", None),
            Err(AccountError::InvalidName)
        ));
        assert_eq!(ids.secret_key(&key), Some(secret));
        assert_eq!(
            ids.principal_for(&key).expect("read"),
            Some(Principal::Root {
                account_id: first.canonical_id.clone(),
                account_number: first.number.clone()
            })
        );
        assert_eq!(
            ids.account_number_of(&first.canonical_id),
            Some(first.number)
        );
        assert_eq!(ids.display_name(ROOT_ACCOUNT_ID), ROOT_DISPLAY_NAME);
    }

    #[test]
    fn a_deactivated_key_stops_at_once() {
        let ids = identities();
        let (_, key, secret) = ids.create_account("alpha", None).expect("create");
        assert_eq!(ids.secret_key(&key), Some(secret));
        ids.write(|tx| {
            let mut record: AccessKeyRecord = tx
                .get_record(Tree::AccessKeys, key.as_bytes())?
                .ok_or(MetaError::Backend("missing".into()))?;
            record.status = KeyStatus::Inactive;
            tx.put_record(Tree::AccessKeys, key.as_bytes(), &record)
        })
        .expect("deactivate");
        assert_eq!(ids.secret_key(&key), None);
    }

    #[test]
    fn policy_arns_parse() {
        assert_eq!(
            parse_policy_arn("arn:aws:iam::000000000002:policy/team/ReadLogs"),
            Some(("000000000002", "ReadLogs"))
        );
        assert_eq!(parse_policy_arn("arn:aws:iam::000000000002:user/bob"), None);
        assert!(builtin_policy("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess").is_some());
        for (name, doc) in BUILTIN_POLICIES {
            PolicyDocument::parse(doc, PolicyKind::Identity, None)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}
