//! The versions of one key: version ids, finding a version, and the transaction steps that add a
//! version on top, remove one, and keep the current-version record and the usage counters true.
//!
//! Layout (see `meta::keys`): every version, delete markers included, is a record in
//! `Tree::Versions`, newest first within a key; `Tree::Objects` holds a copy of the newest one
//! (the "latest", possibly a delete marker), so GET and ListObjects are one point read or one
//! range scan whatever the number of old versions; `Tree::NullVersions` points at the key's
//! `null` version once newer versions cover it (a write in a suspended bucket replaces the null
//! version wherever it sits); while the null version is the latest it needs no pointer.
//!
//! A version id is the version's position: base64url of the big-endian sort sequence and the
//! 16-byte uid (32 characters). Looking a version up by id is therefore a point read, and ids
//! of one key sort like the versions themselves.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::billing::Charging;
use super::due::DueTarget;
use super::usage::UsageDelta;
use super::{Store, StoreError};
use crate::meta::model::{BucketRecord, ObjectData, ObjectVersion, Versioning};
use crate::meta::{Tree, TxnView, keys};

/// The version id S3 shows for versions written while versioning was off or suspended.
pub const NULL_VERSION_ID: &str = "null";

/// Which version of a key a request addresses (`versionId` query parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionSelector {
    Latest,
    Null,
    Id { sequence: u64, uid: [u8; 16] },
}

impl VersionSelector {
    /// The selector that names exactly `version` (its id, or `null`).
    pub fn of(version: &ObjectVersion) -> VersionSelector {
        match &version.version_id {
            None => VersionSelector::Null,
            Some(_) => VersionSelector::Id {
                sequence: version.sequence,
                uid: version.uid_bytes(),
            },
        }
    }

    /// Parse a `versionId` value; anything that is not `null` or an id this server issued is
    /// malformed (AWS: 400 InvalidArgument "Invalid version id specified").
    pub fn parse(value: Option<&str>) -> Result<VersionSelector, StoreError> {
        let Some(value) = value else {
            return Ok(VersionSelector::Latest);
        };
        if value == NULL_VERSION_ID {
            return Ok(VersionSelector::Null);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(value)
            .ok()
            .filter(|b| b.len() == 24 && value.len() == 32)
            .ok_or_else(|| StoreError::InvalidVersionId(value.to_string()))?;
        let mut sequence = [0u8; 8];
        sequence.copy_from_slice(&bytes[..8]);
        let mut uid = [0u8; 16];
        uid.copy_from_slice(&bytes[8..]);
        Ok(VersionSelector::Id {
            sequence: u64::from_be_bytes(sequence),
            uid,
        })
    }

    pub fn is_latest(self) -> bool {
        self == VersionSelector::Latest
    }
}

pub fn version_id(sequence: u64, uid: &[u8; 16]) -> String {
    let mut bytes = [0u8; 24];
    bytes[..8].copy_from_slice(&sequence.to_be_bytes());
    bytes[8..].copy_from_slice(uid);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The id S3 shows for a version: its id, or `null`.
pub fn shown_id(version: &ObjectVersion) -> &str {
    version.version_id.as_deref().unwrap_or(NULL_VERSION_ID)
}

/// The Versions-tree key of a version.
pub fn version_key(bucket: &str, key: &str, version: &ObjectVersion) -> Vec<u8> {
    keys::version(bucket, key, version.sequence, &version.uid_bytes())
}

/// What a DeleteObject did, for its response headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteOutcome {
    /// The version removed or created was a delete marker (`x-amz-delete-marker: true`).
    pub delete_marker: bool,
    /// `x-amz-version-id` of the marker created or the version removed; None when unversioned.
    pub version_id: Option<String>,
}

/// Transaction steps on one key's versions. Each keeps `Tree::Objects`, `Tree::NullVersions`,
/// the blob references and the usage counters consistent with `Tree::Versions`.
pub(super) struct KeyVersions<'t, 'a> {
    pub tx: &'t TxnView<'a>,
    pub bucket: &'t str,
    pub key: &'t str,
    object_key: Vec<u8>,
    pub usage: UsageDelta,
    charging: Option<Charging<'t>>,
    /// The caller may remove GOVERNANCE-retained versions (it sent the bypass header and has
    /// the permission); nothing removes a COMPLIANCE-retained or legally held one.
    bypass_governance: bool,
}

impl<'t, 'a> KeyVersions<'t, 'a> {
    pub fn new(tx: &'t TxnView<'a>, bucket: &'t str, key: &'t str) -> Self {
        KeyVersions {
            tx,
            bucket,
            key,
            object_key: keys::object(bucket, key),
            usage: UsageDelta::default(),
            charging: None,
            bypass_governance: false,
        }
    }

    /// Lets this step remove versions under GOVERNANCE retention.
    pub fn bypassing_governance(mut self, bypass: bool) -> Self {
        self.bypass_governance = bypass;
        self
    }

    /// Versions this removes (deletes, overwrites) before their class's minimum storage
    /// duration are charged the days they fell short (`store::billing`).
    pub fn charging(mut self, charging: Charging<'t>) -> Self {
        self.charging = Some(charging);
        self
    }

    /// The latest version (possibly a delete marker).
    pub fn latest(&self) -> Result<Option<ObjectVersion>, StoreError> {
        Ok(self.tx.get_record(Tree::Objects, &self.object_key)?)
    }

    /// The key's `null` version, wherever it sits among the versions.
    pub fn null_version(
        &self,
        latest: Option<&ObjectVersion>,
    ) -> Result<Option<ObjectVersion>, StoreError> {
        if let Some(at) = self.tx.get(Tree::NullVersions, &self.object_key)? {
            return Ok(self.tx.get_record(Tree::Versions, &at)?);
        }
        // Without a pointer the null version, if any, is the latest.
        Ok(latest.filter(|l| l.version_id.is_none()).cloned())
    }

    /// Put `version` on top as the new latest. Its sequence, id and LastModified are assigned
    /// here: the sequence is above the current latest's even within one clock tick, and with
    /// versioning off or suspended the version is `null` and replaces the previous `null` one.
    pub fn push(
        &mut self,
        version: &mut ObjectVersion,
        versioning: Versioning,
        latest: Option<ObjectVersion>,
        inline: Option<&[u8]>,
    ) -> Result<(), StoreError> {
        version.sequence = super::now_nanos().max(latest.as_ref().map_or(0, |c| c.sequence + 1));
        // Stamped at commit, from the sequence, so that newest-first also reads newest-first by
        // LastModified (racing writers of one key commit in a different order than they began).
        version.last_modified_ms = (version.sequence / 1_000_000) as i64;
        let mut previous = latest;
        match versioning {
            Versioning::Enabled => {
                version.version_id = Some(version_id(version.sequence, &version.uid_bytes()));
            }
            Versioning::Unversioned | Versioning::Suspended => {
                version.version_id = None;
                // Never versioned: the latest is the only version, the null one.
                let null = match versioning {
                    Versioning::Unversioned => previous.clone(),
                    _ => self.null_version(previous.as_ref())?,
                };
                if let Some(null) = null {
                    let was_latest = previous.as_ref().is_some_and(|p| p.uid == null.uid);
                    self.remove(&null, was_latest)?;
                    if was_latest {
                        previous = None;
                    }
                }
            }
        }
        if let Some(previous) = previous {
            if previous.version_id.is_none() {
                // A null version is about to stop being the latest: from now on it is found
                // through the pointer. (While it is the latest it needs none, which keeps a
                // write into an unversioned bucket at one record per tree.)
                self.tx.put(
                    Tree::NullVersions,
                    &self.object_key,
                    &version_key(self.bucket, self.key, &previous),
                )?;
            }
            if !previous.delete_marker {
                self.usage.demote(&previous);
            }
        }
        self.tx.put_record(
            Tree::Versions,
            &version_key(self.bucket, self.key, version),
            version,
        )?;
        self.tx
            .put_record(Tree::Objects, &self.object_key, version)?;
        if let Some(bytes) = inline {
            self.tx.put(Tree::Inline, &version.uid_bytes(), bytes)?;
        }
        for blob in version.blobs() {
            self.tx.put(Tree::Blobs, &blob.id.0, &[])?;
        }
        self.usage.add_latest(version);
        Ok(())
    }

    /// Remove one version record and release what it referenced (inline bytes, blobs → GC).
    /// The caller decides what becomes latest when `was_latest`.
    pub fn remove(&mut self, version: &ObjectVersion, was_latest: bool) -> Result<(), StoreError> {
        super::object_lock::check_removal(version, super::now_ms(), self.bypass_governance)?;
        let uid = version.uid_bytes();
        self.tx
            .delete(Tree::Versions, &version_key(self.bucket, self.key, version))?;
        if version.version_id.is_none() {
            self.tx.delete(Tree::NullVersions, &self.object_key)?;
        }
        if matches!(version.data, ObjectData::Inline) {
            self.tx.delete(Tree::Inline, &uid)?;
        }
        for blob in version.blobs().into_iter().chain(version.restored_blobs()) {
            super::gc::release_blob(self.tx, blob)?;
        }
        if let Some(charging) = &self.charging {
            charging.record(self.tx, self.bucket, version, super::now_ms())?;
        }
        self.usage.remove(version, was_latest);
        Ok(())
    }

    /// After the latest was removed: `next` (the newest remaining version) becomes latest, or
    /// the key disappears from the current-version tree.
    pub fn promote(&mut self, next: Option<&ObjectVersion>) -> Result<(), StoreError> {
        match next {
            Some(next) => {
                self.tx.put_record(Tree::Objects, &self.object_key, next)?;
                if !next.delete_marker {
                    self.usage.promote(next);
                }
            }
            None => self.tx.delete(Tree::Objects, &self.object_key)?,
        }
        Ok(())
    }

    /// Rewrite a version in place (tags): its record, and the latest copy when it is the latest.
    pub fn rewrite(&self, version: &ObjectVersion, is_latest: bool) -> Result<(), StoreError> {
        self.tx.put_record(
            Tree::Versions,
            &version_key(self.bucket, self.key, version),
            version,
        )?;
        if is_latest {
            self.tx
                .put_record(Tree::Objects, &self.object_key, version)?;
        }
        Ok(())
    }

    /// Rewrites `version` where it is, whether or not it is the latest.
    pub fn update(&self, version: &ObjectVersion) -> Result<(), StoreError> {
        let is_latest = self
            .latest()?
            .is_some_and(|latest| latest.uid == version.uid);
        self.rewrite(version, is_latest)
    }

    /// A write under lifecycle rules: the key's versions are looked at again by the lifecycle
    /// worker (what is due may have changed: a new noncurrent version, a sole delete marker).
    pub fn watch_lifecycle(&self, record: &BucketRecord) -> Result<(), StoreError> {
        if record.lifecycle_revision.is_some() {
            self.watch()?;
        }
        Ok(())
    }

    /// Has the lifecycle worker look at the key's versions now.
    pub fn watch(&self) -> Result<(), StoreError> {
        let target = DueTarget::Key {
            bucket: self.bucket.to_string(),
            key: self.key.to_string(),
        };
        super::due::schedule(self.tx, super::now_ms(), &target)
    }

    /// Write the usage changes this transaction made.
    pub fn finish(self) -> Result<(), StoreError> {
        self.usage.apply(self.tx, self.bucket, self.key)
    }
}

impl Store {
    /// The version `selector` addresses. A delete marker is reported as
    /// [`StoreError::DeleteMarker`] (404 for the latest, 405 when asked for by id).
    pub fn version(
        &self,
        bucket: &str,
        key: &str,
        selector: VersionSelector,
    ) -> Result<ObjectVersion, StoreError> {
        let found = self.find_version(bucket, key, selector)?;
        match found {
            Some(version) if version.delete_marker => Err(StoreError::DeleteMarker {
                key: key.to_string(),
                version_id: version.version_id.clone(),
                last_modified_ms: version.last_modified_ms,
                addressed: !selector.is_latest(),
            }),
            Some(version) => Ok(version),
            None => {
                self.bucket(bucket)?;
                Err(match selector {
                    VersionSelector::Latest => StoreError::NoSuchKey(key.to_string()),
                    _ => StoreError::NoSuchVersion {
                        key: key.to_string(),
                        version_id: selector_text(selector),
                    },
                })
            }
        }
    }

    /// The version `selector` addresses, delete markers included; None when there is none.
    pub(super) fn find_version(
        &self,
        bucket: &str,
        key: &str,
        selector: VersionSelector,
    ) -> Result<Option<ObjectVersion>, StoreError> {
        let object_key = keys::object(bucket, key);
        Ok(match selector {
            VersionSelector::Latest => self.meta.get_record(Tree::Objects, &object_key)?,
            VersionSelector::Null => match self.meta.get(Tree::NullVersions, &object_key)? {
                Some(at) => self.meta.get_record(Tree::Versions, &at)?,
                None => self
                    .meta
                    .get_record::<ObjectVersion>(Tree::Objects, &object_key)?
                    .filter(|l| l.version_id.is_none()),
            },
            VersionSelector::Id { sequence, uid } => self
                .meta
                .get_record::<ObjectVersion>(
                    Tree::Versions,
                    &keys::version(bucket, key, sequence, &uid),
                )?
                .filter(|v| v.version_id.is_some()),
        })
    }

    /// Every version of a key (delete markers included), newest first.
    pub fn key_versions(&self, bucket: &str, key: &str) -> Result<Vec<ObjectVersion>, StoreError> {
        let start = keys::versions_of(bucket, key);
        let end = keys::prefix_end(&start);
        self.meta
            .scan(Tree::Versions, &start, end.as_deref(), usize::MAX)?
            .iter()
            .map(|(_, value)| Ok(crate::meta::decode(Tree::Versions, value)?))
            .collect()
    }

    /// The version right below `version` (the one that becomes latest if it is removed).
    fn version_below(
        &self,
        bucket: &str,
        key: &str,
        version: &ObjectVersion,
    ) -> Result<Option<ObjectVersion>, StoreError> {
        let mut start = version_key(bucket, key, version);
        start.push(0);
        let end = keys::prefix_end(&keys::versions_of(bucket, key));
        let below = self.meta.scan(Tree::Versions, &start, end.as_deref(), 1)?;
        match below.first() {
            Some((_, value)) => Ok(Some(crate::meta::decode(Tree::Versions, value)?)),
            None => Ok(None),
        }
    }

    /// DeleteObject. Without a version: unversioned buckets lose the object; enabled buckets
    /// get a delete marker on top; suspended buckets get a `null` delete marker that replaces
    /// the `null` version. With a version: that version (or marker) is removed for good, and
    /// when it was the latest the one below it becomes latest. Deleting what does not exist
    /// succeeds, as on AWS.
    /// A version under Object Lock is not removed ([`StoreError::ObjectLocked`]); one under
    /// GOVERNANCE retention is when `bypass_governance`.
    pub async fn delete_object(
        &self,
        bucket: &str,
        key: &str,
        selector: VersionSelector,
        owner: &str,
        bypass_governance: bool,
    ) -> Result<DeleteOutcome, StoreError> {
        let outcome = match selector {
            VersionSelector::Latest => self.delete_latest(bucket, key, owner, None)?,
            _ => self.delete_version(bucket, key, selector, bypass_governance)?,
        };
        if let Some(outcome) = outcome {
            self.sync().await?;
            self.gc_wakeup.notify_one();
            return Ok(outcome);
        }
        Ok(DeleteOutcome {
            delete_marker: false,
            version_id: match selector {
                VersionSelector::Latest => None,
                other => Some(selector_text(other)),
            },
        })
    }

    /// Lifecycle expiration: a DeleteObject without version id, done only if the latest
    /// version is still `expected_uid` (the one the rules expired). None when it was not.
    pub async fn expire_latest(
        &self,
        bucket: &str,
        key: &str,
        owner: &str,
        expected_uid: &str,
    ) -> Result<Option<DeleteOutcome>, StoreError> {
        let outcome = self.delete_latest(bucket, key, owner, Some(expected_uid))?;
        if outcome.is_some() {
            self.sync().await?;
            self.gc_wakeup.notify_one();
        }
        Ok(outcome)
    }

    fn delete_latest(
        &self,
        bucket: &str,
        key: &str,
        owner: &str,
        expected_uid: Option<&str>,
    ) -> Result<Option<DeleteOutcome>, StoreError> {
        self.meta.transact(|tx| {
            let record = Store::writable_bucket(tx, bucket)?;
            let mut versions = KeyVersions::new(tx, bucket, key).charging(self.charging());
            let latest = versions.latest()?;
            if let Some(expected) = expected_uid
                && latest.as_ref().is_none_or(|l| l.uid != expected)
            {
                return Ok(None);
            }
            versions.watch_lifecycle(&record)?;
            let outcome = match record.versioning {
                Versioning::Unversioned => {
                    let Some(latest) = latest else {
                        return Ok(None);
                    };
                    versions.remove(&latest, true)?;
                    versions.promote(None)?;
                    DeleteOutcome {
                        delete_marker: false,
                        version_id: None,
                    }
                }
                Versioning::Enabled | Versioning::Suspended => {
                    let mut marker = delete_marker(owner);
                    versions.push(&mut marker, record.versioning, latest, None)?;
                    DeleteOutcome {
                        delete_marker: true,
                        version_id: Some(shown_id(&marker).to_string()),
                    }
                }
            };
            versions.finish()?;
            Ok(Some(outcome))
        })
    }

    fn delete_version(
        &self,
        bucket: &str,
        key: &str,
        selector: VersionSelector,
        bypass_governance: bool,
    ) -> Result<Option<DeleteOutcome>, StoreError> {
        // The engines cannot range-scan inside a transaction, so the version below the target
        // is read first and the transaction re-checks that nothing moved; if something did, it
        // starts over. New versions only ever go on top, so "the one below" can only vanish.
        for _ in 0..64 {
            self.bucket(bucket)?;
            let Some(target) = self.find_version(bucket, key, selector)? else {
                return Ok(None);
            };
            let below = self.version_below(bucket, key, &target)?;
            let result = self.meta.transact(|tx| {
                let record = Store::writable_bucket(tx, bucket)?;
                let mut versions = KeyVersions::new(tx, bucket, key)
                    .charging(self.charging())
                    .bypassing_governance(bypass_governance);
                versions.watch_lifecycle(&record)?;
                let target_key = version_key(bucket, key, &target);
                if tx.get(Tree::Versions, &target_key)?.is_none() {
                    return Ok(None);
                }
                let was_latest = versions.latest()?.is_some_and(|l| l.uid == target.uid);
                if was_latest
                    && let Some(below) = &below
                    && tx
                        .get(Tree::Versions, &version_key(bucket, key, below))?
                        .is_none()
                {
                    return Ok(None);
                }
                versions.remove(&target, was_latest)?;
                if was_latest {
                    versions.promote(below.as_ref())?;
                }
                versions.finish()?;
                Ok::<_, StoreError>(Some(DeleteOutcome {
                    delete_marker: target.delete_marker,
                    version_id: Some(shown_id(&target).to_string()),
                }))
            })?;
            if let Some(outcome) = result {
                return Ok(Some(outcome));
            }
        }
        Err(StoreError::Internal(format!(
            "deleting a version of {bucket}/{key} kept conflicting"
        )))
    }
}

fn selector_text(selector: VersionSelector) -> String {
    match selector {
        VersionSelector::Latest => String::new(),
        VersionSelector::Null => NULL_VERSION_ID.to_string(),
        VersionSelector::Id { sequence, uid } => version_id(sequence, &uid),
    }
}

fn delete_marker(owner: &str) -> ObjectVersion {
    ObjectVersion {
        uid: super::random_hex(16),
        version_id: None,
        delete_marker: true,
        last_modified_ms: super::now_ms(),
        sequence: 0,
        size: 0,
        etag: String::new(),
        attrs: crate::meta::model::ObjectAttributes {
            storage_class: crate::classes::DEFAULT_CLASS.to_string(),
            owner: owner.to_string(),
            content: Default::default(),
            user_meta: Vec::new(),
            tags: Vec::new(),
            acl: None,
            website_redirect: None,
        },
        data: ObjectData::Inline,
        checksum: None,
        checksum_type: None,
        restore: None,
        tiering: None,
        class_since_ms: None,
        encryption: None,
        lock: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_ids_round_trip_and_reject_anything_else() {
        let uid = [7u8; 16];
        let id = version_id(1_700_000_000_123_456_789, &uid);
        assert_eq!(id.len(), 32);
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(
            VersionSelector::parse(Some(&id)).unwrap(),
            VersionSelector::Id {
                sequence: 1_700_000_000_123_456_789,
                uid
            }
        );
        assert_eq!(
            VersionSelector::parse(Some("null")).unwrap(),
            VersionSelector::Null
        );
        assert_eq!(
            VersionSelector::parse(None).unwrap(),
            VersionSelector::Latest
        );
        for bad in ["", "abc", "not-a-version", &format!("{id}A"), &id[1..]] {
            assert!(
                matches!(
                    VersionSelector::parse(Some(bad)),
                    Err(StoreError::InvalidVersionId(_))
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn later_sequences_sort_first_in_the_versions_tree() {
        let older = keys::version("b", "k", 100, &[0xFF; 16]);
        let newer = keys::version("b", "k", 101, &[0x00; 16]);
        assert!(newer < older);
    }
}

#[cfg(test)]
#[path = "versions_tests.rs"]
mod model_tests;
