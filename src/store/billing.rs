//! Early-deletion charges: a version removed, overwritten or transitioned out of a class before
//! the class's minimum storage duration (30 days for the IA classes, 90 for GLACIER_IR and
//! GLACIER, 180 for DEEP_ARCHIVE) is billed, as on AWS, the storage of the days it fell short.
//!
//! The charge is recorded in `Tree::Billing` in the transaction that removes or moves the
//! version, under the calendar month (UTC) it happened in; the usage report adds up a bucket's
//! charges of the current month. Days are lifecycle days (`--lifecycle-day-seconds`), and a
//! month's price is taken to cover 30 of them.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Store, StoreError};
use crate::classes::StorageClasses;
use crate::meta::model::ObjectVersion;
use crate::meta::{Tree, TxnView, keys};

/// Days a GB-month price covers, for prorating.
pub const DAYS_PER_MONTH: f64 = 30.0;

/// One early removal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EarlyDeletion {
    pub class: String,
    /// What the class bills for the version (minimum size and overhead included).
    pub billable_bytes: u64,
    /// The minimum duration minus the days the version spent in the class.
    pub days_short: f64,
    pub at_ms: i64,
}

/// What a transaction needs to know to charge early deletions.
#[derive(Clone, Copy)]
pub struct Charging<'c> {
    classes: &'c StorageClasses,
    day_ms: i64,
}

impl Store {
    pub(super) fn charging(&self) -> Charging<'_> {
        Charging {
            classes: &self.classes,
            day_ms: self.day_ms,
        }
    }

    /// `bucket`'s early-deletion charges of the month `now_ms` falls in, from `since_ms` on
    /// (the bucket's creation: a bucket deleted and created again starts afresh).
    pub fn early_deletions(
        &self,
        bucket: &str,
        since_ms: i64,
        now_ms: i64,
    ) -> Result<Vec<EarlyDeletion>, StoreError> {
        let prefix = month_prefix(bucket, now_ms);
        let end = keys::prefix_end(&prefix);
        let mut charges = Vec::new();
        let mut start = prefix.clone();
        loop {
            let page = self
                .meta
                .scan(Tree::Billing, &start, end.as_deref(), 1000)?;
            let Some((last, _)) = page.last() else {
                break;
            };
            start = last.clone();
            start.push(0);
            let full = page.len() == 1000;
            for (_, value) in page {
                let charge: EarlyDeletion = crate::meta::decode(Tree::Billing, &value)?;
                if charge.at_ms >= since_ms {
                    charges.push(charge);
                }
            }
            if !full {
                break;
            }
        }
        Ok(charges)
    }
}

impl Charging<'_> {
    /// Records the charge for `version` of bucket/key leaving its class at `now_ms`, if it
    /// leaves before the class's minimum duration.
    pub fn record(
        &self,
        tx: &TxnView<'_>,
        bucket: &str,
        version: &ObjectVersion,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        if version.delete_marker {
            return Ok(());
        }
        let Some(class) = self.classes.get(&version.attrs.storage_class) else {
            return Ok(());
        };
        let stored_days = (now_ms - version.in_class_since_ms()) as f64 / self.day_ms as f64;
        let days_short = f64::from(class.billing.min_storage_days) - stored_days;
        if days_short <= 0.0 {
            return Ok(());
        }
        let charge = EarlyDeletion {
            class: class.name.clone(),
            billable_bytes: version.size.max(class.billing.min_object_bytes)
                + class.billing.overhead_bytes,
            days_short,
            at_ms: now_ms,
        };
        let mut at = month_prefix(bucket, now_ms);
        at.extend_from_slice(version.uid.as_bytes());
        at.push(0);
        at.extend_from_slice(class.name.as_bytes());
        tx.put_record(Tree::Billing, &at, &charge)?;
        Ok(())
    }
}

/// `bucket 0x00 YYYY-MM 0x00`: one month of a bucket's charges.
fn month_prefix(bucket: &str, at_ms: i64) -> Vec<u8> {
    let when = OffsetDateTime::from_unix_timestamp_nanos(i128::from(at_ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let mut prefix = keys::bucket_prefix(bucket);
    prefix
        .extend_from_slice(format!("{:04}-{:02}", when.year(), u8::from(when.month())).as_bytes());
    prefix.push(0);
    prefix
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_utc_calendar_months() {
        // 2026-11-30T23:59:59.999Z and one millisecond later.
        let end_of_november = 1_796_083_199_999;
        let tail = |prefix: Vec<u8>| String::from_utf8_lossy(&prefix[2..9]).into_owned();
        assert_eq!(tail(month_prefix("b", end_of_november)), "2026-11");
        assert_eq!(tail(month_prefix("b", end_of_november + 1)), "2026-12");
    }
}
