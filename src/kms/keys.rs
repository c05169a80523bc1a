//! The store of KMS keys and aliases in `Tree::Kms` (layout in `model`): create, read, change
//! in one transaction, list with markers, and forget keys whose deletion date has passed.
//!
//! Deletion is lazy: a key past its deletion date is removed (with its index entry and the
//! aliases that point to it) the next time anything reads it or lists past it, and reads as
//! absent from then on. Every change is one transaction followed by a flush, like every other
//! metadata write. This module knows records, not requests: no authorization, no JSON.

use super::error::KmsError;
use super::material::{MaterialSealer, PlainKey};
use super::model::{
    AliasRecord, KeyManager, KeyRecord, KeyState, MS_PER_DAY, MaterialRecord, Origin,
    account_key_entry, account_keys_prefix, alias_entry, aliases_prefix, key_entry, new_key_id,
    prefix_end,
};
use crate::meta::{Meta, Tree};

/// Automatic rotation period of AWS-managed keys, and the default of EnableKeyRotation.
pub const DEFAULT_ROTATION_DAYS: u32 = 365;

pub fn now_ms() -> i64 {
    crate::iam::store::now_ms()
}

/// What a new key is.
pub struct NewKey<'a> {
    pub account: &'a str,
    pub description: &'a str,
    pub manager: KeyManager,
}

pub struct KeyStore {
    meta: Meta,
    sealer: MaterialSealer,
}

impl KeyStore {
    pub fn new(meta: Meta, sealer: MaterialSealer) -> KeyStore {
        KeyStore { meta, sealer }
    }

    /// The key with this id, `None` when there is none (or it just expired, and is now gone).
    pub fn get(&self, key_id: &str) -> Result<Option<KeyRecord>, KmsError> {
        let Some(record) = self
            .meta
            .get_record::<KeyRecord>(Tree::Kms, &key_entry(key_id))?
        else {
            return Ok(None);
        };
        if record.expired(now_ms()) {
            self.purge(&record)?;
            return Ok(None);
        }
        Ok(Some(record))
    }

    /// Creates a key with its first material version.
    pub fn create(&self, new: &NewKey<'_>) -> Result<KeyRecord, KmsError> {
        let record = self.new_record(new);
        self.meta.transact(|tx| {
            tx.put_record(Tree::Kms, &key_entry(&record.key_id), &record)?;
            tx.put(
                Tree::Kms,
                &account_key_entry(&record.account, &record.key_id),
                b"",
            )?;
            Ok::<_, KmsError>(())
        })?;
        self.meta.flush()?;
        Ok(record)
    }

    /// The key `alias` (in `new.account`) points to, created with the alias when there is none:
    /// concurrent first uses create one key (the transaction reads the alias; a racing creator
    /// conflicts and, re-run, finds the alias).
    pub fn get_or_create_aliased(
        &self,
        new: &NewKey<'_>,
        alias: &str,
    ) -> Result<KeyRecord, KmsError> {
        let candidate = self.new_record(new);
        let entry = alias_entry(new.account, alias);
        let (record, created) = self.meta.transact(|tx| {
            if let Some(existing) = tx.get_record::<AliasRecord>(Tree::Kms, &entry)?
                && let Some(record) =
                    tx.get_record::<KeyRecord>(Tree::Kms, &key_entry(&existing.target_key_id))?
            {
                return Ok::<_, KmsError>((record, false));
            }
            tx.put_record(Tree::Kms, &key_entry(&candidate.key_id), &candidate)?;
            tx.put(
                Tree::Kms,
                &account_key_entry(new.account, &candidate.key_id),
                b"",
            )?;
            let alias_record = AliasRecord {
                name: alias.to_string(),
                target_key_id: candidate.key_id.clone(),
                created_ms: candidate.created_ms,
                updated_ms: candidate.created_ms,
            };
            tx.put_record(Tree::Kms, &entry, &alias_record)?;
            Ok((candidate.clone(), true))
        })?;
        if created {
            self.meta.flush()?;
        }
        Ok(record)
    }

    fn new_record(&self, new: &NewKey<'_>) -> KeyRecord {
        let key_id = new_key_id();
        let now = now_ms();
        let material = PlainKey::random();
        let aws = new.manager == KeyManager::Aws;
        KeyRecord {
            materials: vec![MaterialRecord {
                version: 1,
                created_ms: now,
                origin: Origin::Created,
                sealed: self.sealer.seal(&key_id, 1, &material),
            }],
            key_id,
            account: new.account.to_string(),
            created_ms: now,
            description: new.description.to_string(),
            manager: new.manager,
            state: KeyState::Enabled,
            deletion_ms: None,
            pending_window_days: None,
            // AWS-managed keys rotate every year, always.
            rotation_enabled: aws,
            rotation_period_days: aws.then_some(DEFAULT_ROTATION_DAYS),
            next_rotation_ms: aws.then_some(now + i64::from(DEFAULT_ROTATION_DAYS) * MS_PER_DAY),
        }
    }

    /// Changes the key in one transaction (`change` may run more than once); NotFoundException
    /// (with `arn` in the message) when it does not exist or has expired.
    pub fn update(
        &self,
        key_id: &str,
        arn: &str,
        change: impl Fn(&mut KeyRecord) -> Result<(), KmsError>,
    ) -> Result<KeyRecord, KmsError> {
        let now = now_ms();
        let record = self.meta.transact(|tx| {
            let mut record = tx
                .get_record::<KeyRecord>(Tree::Kms, &key_entry(key_id))?
                .filter(|r| !r.expired(now))
                .ok_or_else(|| KmsError::key_not_found(arn))?;
            change(&mut record)?;
            tx.put_record(Tree::Kms, &key_entry(key_id), &record)?;
            Ok::<_, KmsError>(record)
        })?;
        self.meta.flush()?;
        Ok(record)
    }

    /// Adds a material version (`origin` Automatic only when rotation is still due: a racing
    /// use may have rotated already). Returns the record as it is after.
    pub fn rotate(&self, key_id: &str, arn: &str, origin: Origin) -> Result<KeyRecord, KmsError> {
        let material = PlainKey::random();
        let now = now_ms();
        self.update(key_id, arn, |record| {
            if origin == Origin::Automatic && record.next_rotation_ms.is_none_or(|due| due > now) {
                return Ok(());
            }
            let version = record.newest().map_or(1, |m| m.version + 1);
            record.materials.push(MaterialRecord {
                version,
                created_ms: now,
                origin,
                sealed: self.sealer.seal(key_id, version, &material),
            });
            if origin == Origin::Automatic
                && let Some(days) = record.rotation_period_days
            {
                record.next_rotation_ms = Some(now + i64::from(days) * MS_PER_DAY);
            }
            Ok(())
        })
    }

    /// The plaintext material of one version.
    pub fn material(&self, record: &KeyRecord, version: u32) -> Option<PlainKey> {
        let sealed = record.material(version)?;
        self.sealer.open(&record.key_id, version, &sealed.sealed)
    }

    /// Removes an expired key, its index entry and every alias of its account that points to it.
    fn purge(&self, record: &KeyRecord) -> Result<(), KmsError> {
        let aliases = self.aliases_of(&record.account)?;
        let now = now_ms();
        self.meta.transact(|tx| {
            let current = tx.get_record::<KeyRecord>(Tree::Kms, &key_entry(&record.key_id))?;
            if !current.is_some_and(|r| r.expired(now)) {
                return Ok::<_, KmsError>(());
            }
            tx.delete(Tree::Kms, &key_entry(&record.key_id))?;
            tx.delete(
                Tree::Kms,
                &account_key_entry(&record.account, &record.key_id),
            )?;
            for alias in aliases.iter().filter(|a| a.target_key_id == record.key_id) {
                tx.delete(Tree::Kms, &alias_entry(&record.account, &alias.name))?;
            }
            Ok(())
        })?;
        self.meta.flush()?;
        tracing::info!(key_id = %record.key_id, account = %record.account, "KMS key deleted (its deletion date passed)");
        Ok(())
    }

    /// One page of the account's keys after `marker` (a key id), in key id order; the marker of
    /// the next page when there is one.
    pub fn list_keys(
        &self,
        account: &str,
        marker: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<KeyRecord>, Option<String>), KmsError> {
        let prefix = account_keys_prefix(account);
        let mut start = prefix.clone();
        if let Some(marker) = marker {
            start.extend_from_slice(marker.as_bytes());
            start.push(0);
        }
        let end = prefix_end(&prefix);
        let mut keys = Vec::new();
        loop {
            let batch = self.meta.scan(Tree::Kms, &start, Some(&end), limit + 1)?;
            let exhausted = batch.len() <= limit;
            for (entry, _) in &batch {
                let Some(key_id) = entry
                    .strip_prefix(prefix.as_slice())
                    .and_then(|id| std::str::from_utf8(id).ok())
                else {
                    continue;
                };
                if keys.len() == limit {
                    let next = keys.last().map(|k: &KeyRecord| k.key_id.clone());
                    return Ok((keys, next));
                }
                if let Some(record) = self.get(key_id)? {
                    keys.push(record);
                }
            }
            match batch.last() {
                Some((last, _)) if !exhausted => {
                    start = last.clone();
                    start.push(0);
                }
                _ => return Ok((keys, None)),
            }
        }
    }

    pub fn alias(&self, account: &str, name: &str) -> Result<Option<AliasRecord>, KmsError> {
        Ok(self
            .meta
            .get_record(Tree::Kms, &alias_entry(account, name))?)
    }

    /// Creates the alias; false when the name is taken.
    pub fn create_alias(&self, account: &str, name: &str, key_id: &str) -> Result<bool, KmsError> {
        let entry = alias_entry(account, name);
        let now = now_ms();
        let created = self.meta.transact(|tx| {
            if tx.get(Tree::Kms, &entry)?.is_some() {
                return Ok::<_, KmsError>(false);
            }
            let record = AliasRecord {
                name: name.to_string(),
                target_key_id: key_id.to_string(),
                created_ms: now,
                updated_ms: now,
            };
            tx.put_record(Tree::Kms, &entry, &record)?;
            Ok(true)
        })?;
        self.meta.flush()?;
        Ok(created)
    }

    /// Deletes the alias; false when there was none.
    pub fn delete_alias(&self, account: &str, name: &str) -> Result<bool, KmsError> {
        let entry = alias_entry(account, name);
        let deleted = self.meta.transact(|tx| {
            if tx.get(Tree::Kms, &entry)?.is_none() {
                return Ok::<_, KmsError>(false);
            }
            tx.delete(Tree::Kms, &entry)?;
            Ok(true)
        })?;
        self.meta.flush()?;
        Ok(deleted)
    }

    /// Every alias of the account, in name order (the aliases of one account are few: AWS
    /// allows 2,500 per account and region, so one scan).
    fn aliases_of(&self, account: &str) -> Result<Vec<AliasRecord>, KmsError> {
        let prefix = aliases_prefix(account);
        let entries = self
            .meta
            .scan(Tree::Kms, &prefix, Some(&prefix_end(&prefix)), usize::MAX)?;
        entries
            .iter()
            .map(|(_, value)| crate::meta::decode(Tree::Kms, value).map_err(KmsError::from))
            .collect()
    }

    /// One page of the account's aliases after `marker` (an alias name), whose key still
    /// exists, optionally only those pointing to `target`.
    pub fn list_aliases(
        &self,
        account: &str,
        target: Option<&str>,
        marker: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<AliasRecord>, Option<String>), KmsError> {
        let mut page = Vec::new();
        for alias in self.aliases_of(account)? {
            if marker.is_some_and(|m| alias.name.as_str() <= m) {
                continue;
            }
            if target.is_some_and(|t| t != alias.target_key_id) {
                continue;
            }
            // `get` forgets expired keys and their aliases.
            if self.get(&alias.target_key_id)?.is_none() {
                continue;
            }
            if page.len() == limit {
                let next = page.last().map(|a: &AliasRecord| a.name.clone());
                return Ok((page, next));
            }
            page.push(alias);
        }
        Ok((page, None))
    }
}
