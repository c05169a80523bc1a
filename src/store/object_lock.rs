//! Object Lock in the store: the rules that decide whether a version may be removed or its
//! retention changed, applied where it happens — `KeyVersions::remove` is the one place a
//! version record is removed (DeleteObject by version, DeleteObjects, lifecycle expirations), so
//! no path of the API, the lifecycle engine or `strata admin` gets around them — and the
//! transaction that edits a version's retention or legal hold.
//!
//! A version is protected while it has a legal hold, or a retention whose date has not passed.
//! Only GOVERNANCE retention yields, and only to a caller the S3 layer has found to send
//! `x-amz-bypass-governance-retention: true` with the `s3:BypassGovernanceRetention` permission.

use super::versions::VersionSelector;
use super::{Store, StoreError};
use crate::meta::model::{LockMode, ObjectLock, ObjectVersion, Retention};

impl ObjectLock {
    /// Whether the version may not be removed at `now_ms`.
    pub fn protects(&self, now_ms: i64, bypass_governance: bool) -> bool {
        if self.legal_hold == Some(true) {
            return true;
        }
        match self.retention {
            Some(retention) if retention.retain_until_ms > now_ms => {
                retention.mode == LockMode::Compliance || !bypass_governance
            }
            _ => false,
        }
    }

    /// The retention in force at `now_ms` (None once its date has passed).
    pub fn active_retention(&self, now_ms: i64) -> Option<Retention> {
        self.retention.filter(|r| r.retain_until_ms > now_ms)
    }
}

/// Refuses removing `version` while it is protected.
pub fn check_removal(
    version: &ObjectVersion,
    now_ms: i64,
    bypass_governance: bool,
) -> Result<(), StoreError> {
    match &version.lock {
        Some(lock) if lock.protects(now_ms, bypass_governance) => Err(StoreError::ObjectLocked),
        _ => Ok(()),
    }
}

/// Whether retention `current` may become `new` (None = removed): an expired or absent
/// retention may become anything; COMPLIANCE may only be extended; GOVERNANCE may be extended
/// or made COMPLIANCE, and shortened or removed only when bypassing governance.
pub fn check_retention_change(
    current: Option<Retention>,
    new: Option<Retention>,
    now_ms: i64,
    bypass_governance: bool,
) -> Result<(), StoreError> {
    let Some(current) = current.filter(|r| r.retain_until_ms > now_ms) else {
        return Ok(());
    };
    let keeps = new.is_some_and(|new| new.retain_until_ms >= current.retain_until_ms);
    match current.mode {
        LockMode::Compliance
            if keeps && new.is_some_and(|new| new.mode == LockMode::Compliance) =>
        {
            Ok(())
        }
        LockMode::Compliance => Err(StoreError::ObjectLocked),
        LockMode::Governance if keeps || bypass_governance => Ok(()),
        LockMode::Governance => Err(StoreError::ObjectLocked),
    }
}

impl Store {
    /// Replaces the Object Lock state of a version (the latest when `selector` says so) by what
    /// `edit` makes of it, in one transaction with the version's current record.
    pub async fn edit_object_lock(
        &self,
        bucket: &str,
        key: &str,
        selector: VersionSelector,
        edit: impl Fn(&ObjectVersion) -> Result<ObjectLock, StoreError>,
    ) -> Result<ObjectVersion, StoreError> {
        self.edit_version(bucket, key, selector, |version| {
            let lock = edit(version)?;
            version.lock = (lock != ObjectLock::default()).then_some(lock);
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_000_000;

    fn retention(mode: LockMode, until: i64) -> Option<Retention> {
        Some(Retention {
            mode,
            retain_until_ms: until,
        })
    }

    #[test]
    fn what_protects_a_version() {
        let hold = ObjectLock {
            retention: None,
            legal_hold: Some(true),
        };
        assert!(hold.protects(NOW, true));
        let governance = ObjectLock {
            retention: retention(LockMode::Governance, NOW + 1),
            legal_hold: None,
        };
        assert!(governance.protects(NOW, false));
        assert!(!governance.protects(NOW, true));
        assert!(!governance.protects(NOW + 1, false), "expired at the date");
        let compliance = ObjectLock {
            retention: retention(LockMode::Compliance, NOW + 1),
            legal_hold: Some(false),
        };
        assert!(compliance.protects(NOW, true));
        assert!(!compliance.protects(NOW + 5, false));
    }

    #[test]
    fn retention_changes_follow_the_mode() {
        use LockMode::{Compliance, Governance};
        let ok = |current, new, bypass| check_retention_change(current, new, NOW, bypass).is_ok();
        // COMPLIANCE: extend only.
        let c = retention(Compliance, NOW + 100);
        assert!(ok(c, retention(Compliance, NOW + 200), false));
        assert!(ok(c, retention(Compliance, NOW + 100), false));
        assert!(!ok(c, retention(Compliance, NOW + 50), true));
        assert!(!ok(c, retention(Governance, NOW + 200), true));
        assert!(!ok(c, None, true));
        // GOVERNANCE: extend or harden freely; shorten or remove only bypassing.
        let g = retention(Governance, NOW + 100);
        assert!(ok(g, retention(Governance, NOW + 200), false));
        assert!(ok(g, retention(Compliance, NOW + 100), false));
        assert!(!ok(g, retention(Governance, NOW + 50), false));
        assert!(ok(g, retention(Governance, NOW + 50), true));
        assert!(!ok(g, None, false));
        assert!(ok(g, None, true));
        // Expired or absent: anything.
        assert!(ok(retention(Compliance, NOW), None, false));
        assert!(ok(None, retention(Governance, NOW + 1), false));
    }
}
