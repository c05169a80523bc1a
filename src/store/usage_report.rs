//! The usage and cost report (`strata admin usage`): per bucket and storage class, the objects
//! and bytes stored (current and noncurrent versions; delete markers cost nothing), what AWS
//! would bill for them (minimum object sizes, per-object archive overheads), what they take on
//! the drives (erasure overhead included), restores in progress and restored copies, the
//! month's early-deletion charges, and the month's cost from the class files' prices.
//!
//! It is computed from the versions themselves, one scan of the bucket, when asked: exact by
//! construction, and costs nothing on the request path.

use std::collections::BTreeMap;

use serde::Serialize;

use super::billing::DAYS_PER_MONTH;
use super::{Store, StoreError};
use crate::classes::DEFAULT_CLASS;
use crate::lifecycle::tiering::AccessTier;
use crate::meta::model::{ObjectData, ObjectVersion};

const GIB: f64 = (1u64 << 30) as f64;

/// The access-tier entry of INTELLIGENT_TIERING objects too small to be monitored (billed at
/// the Frequent Access price, without the monitoring fee).
pub const UNMONITORED: &str = "FREQUENT_ACCESS_UNMONITORED";

/// One class of one bucket.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ClassUsage {
    pub objects: u64,
    /// The objects' sizes.
    pub logical_bytes: u64,
    /// What is billed at this class's price: sizes raised to the class's minimum object size,
    /// plus its per-object overhead (archive index).
    pub billable_bytes: u64,
    /// Per-object metadata overhead billed at STANDARD's price (archive classes).
    pub billable_standard_bytes: u64,
    /// Shard files (k + m shards with headers and hashes) and inline bytes, restored copies
    /// included.
    pub disk_bytes: u64,
    pub restores_in_progress: u64,
    /// Temporary copies made by RestoreObject, billed at STANDARD's price while they exist.
    pub restored_copy_bytes: u64,
    /// This month's storage cost in USD: billable bytes at the class's price (at each access
    /// tier's for INTELLIGENT_TIERING), the STANDARD-priced overhead and restored copies, and
    /// Intelligent-Tiering's monitoring fee.
    pub monthly_cost_usd: f64,
    /// Versions removed or transitioned out of this class this month before its minimum
    /// storage duration (`store::billing`).
    pub early_deletions: u64,
    /// Their charge: the days they fell short, at this class's price (in `monthly_cost_usd`).
    pub early_deletion_usd: f64,
    /// INTELLIGENT_TIERING only: the objects in each access tier (`FREQUENT_ACCESS`, ...).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub access_tiers: BTreeMap<String, TierUsage>,
}

/// One access tier of an INTELLIGENT_TIERING class's usage.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TierUsage {
    pub objects: u64,
    pub billable_bytes: u64,
    /// Billable bytes at the tier's price.
    pub monthly_cost_usd: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BucketUsageReport {
    pub bucket: String,
    pub classes: BTreeMap<String, ClassUsage>,
}

impl Store {
    /// The report of one bucket.
    pub fn usage_report(&self, bucket: &str) -> Result<BucketUsageReport, StoreError> {
        let mut report = BucketUsageReport {
            bucket: bucket.to_string(),
            classes: BTreeMap::new(),
        };
        let record = self.bucket(bucket)?;
        self.for_each_version(bucket, |_, version| match version.delete_marker {
            true => Ok(()),
            false => self.account(&mut report, version),
        })?;
        for charge in self.early_deletions(bucket, record.created_ms, super::now_ms())? {
            let price = self.class(&charge.class)?.price.storage_gb_month;
            let usage = report.classes.entry(charge.class).or_default();
            usage.early_deletions += 1;
            usage.early_deletion_usd +=
                charge.billable_bytes as f64 / GIB * price * charge.days_short / DAYS_PER_MONTH;
        }
        let standard_price = self.class(DEFAULT_CLASS)?.price.storage_gb_month;
        for (name, usage) in &mut report.classes {
            let class = self.class(name)?;
            let stored = match &class.intelligent_tiering {
                Some(tiers) => {
                    let monitored: u64 = usage
                        .access_tiers
                        .iter()
                        .filter(|(tier, _)| *tier != UNMONITORED)
                        .map(|(_, tier)| tier.objects)
                        .sum();
                    let mut cost = monitored as f64 / 1000.0 * tiers.monitoring_per_1000_objects;
                    for (name, tier) in &mut usage.access_tiers {
                        let price = match AccessTier::from_name(name) {
                            Some(access) => tiers.gb_month(access, class.price.storage_gb_month),
                            None => class.price.storage_gb_month,
                        };
                        tier.monthly_cost_usd = tier.billable_bytes as f64 / GIB * price;
                        cost += tier.monthly_cost_usd;
                    }
                    cost
                }
                None => usage.billable_bytes as f64 / GIB * class.price.storage_gb_month,
            };
            usage.monthly_cost_usd = stored
                + (usage.billable_standard_bytes + usage.restored_copy_bytes) as f64 / GIB
                    * standard_price
                + usage.early_deletion_usd;
        }
        Ok(report)
    }

    fn account(
        &self,
        report: &mut BucketUsageReport,
        version: &ObjectVersion,
    ) -> Result<(), StoreError> {
        let class = self.class(&version.attrs.storage_class)?;
        let usage = report.classes.entry(class.name.clone()).or_default();
        usage.objects += 1;
        usage.logical_bytes += version.size;
        let billable =
            version.size.max(class.billing.min_object_bytes) + class.billing.overhead_bytes;
        usage.billable_bytes += billable;
        if class.intelligent_tiering.is_some() {
            // Objects under the monitored size pay no monitoring fee and stay in Frequent Access.
            let tier = match self.monitored(version) {
                true => version.access_tier().as_str(),
                false => UNMONITORED,
            };
            let tier = usage.access_tiers.entry(tier.to_string()).or_default();
            tier.objects += 1;
            tier.billable_bytes += billable;
        }
        usage.billable_standard_bytes += class.billing.overhead_standard_bytes;
        usage.disk_bytes += disk_bytes(&version.data, version.size);
        if let Some(restore) = &version.restore {
            match &restore.copy {
                None => usage.restores_in_progress += 1,
                Some(copy) => {
                    usage.restored_copy_bytes += version.size;
                    usage.disk_bytes += disk_bytes(copy, version.size);
                }
            }
        }
        Ok(())
    }
}

/// What `data` takes on the drives (inline data lives in the metadata: its own size).
fn disk_bytes(data: &ObjectData, size: u64) -> u64 {
    match data {
        ObjectData::Inline => size,
        other => other.blobs().iter().map(|b| b.disk_bytes()).sum(),
    }
}
