//! Storage classes, loaded from `storage-classes/*.toml`.
//!
//! A class is data, not code: its erasure layout, tier, restore rule, minimum storage duration
//! and prices. The files are compiled into the binary so `strata serve` runs anywhere out of the
//! box; `--storage-classes DIR` loads a directory instead. Layouts are validated against the AZ
//! count at start-up, so a class that could not survive an AZ loss is refused before any write.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::lifecycle::tiering::AccessTier;

use crate::chunk::{Layout, Pool, Spread};

const EMBEDDED: &[(&str, &str)] = &[
    ("STANDARD", include_str!("../storage-classes/STANDARD.toml")),
    (
        "REDUCED_REDUNDANCY",
        include_str!("../storage-classes/REDUCED_REDUNDANCY.toml"),
    ),
    (
        "STANDARD_IA",
        include_str!("../storage-classes/STANDARD_IA.toml"),
    ),
    (
        "ONEZONE_IA",
        include_str!("../storage-classes/ONEZONE_IA.toml"),
    ),
    (
        "INTELLIGENT_TIERING",
        include_str!("../storage-classes/INTELLIGENT_TIERING.toml"),
    ),
    (
        "GLACIER_IR",
        include_str!("../storage-classes/GLACIER_IR.toml"),
    ),
    ("GLACIER", include_str!("../storage-classes/GLACIER.toml")),
    (
        "DEEP_ARCHIVE",
        include_str!("../storage-classes/DEEP_ARCHIVE.toml"),
    ),
];

pub const DEFAULT_CLASS: &str = "STANDARD";

/// What kind of storage a class is, for reports and for the lifecycle's "colder than" order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Hot,
    Cool,
    Archive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum SpreadSpec {
    Zones,
    SingleZone,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClassFile {
    name: String,
    tier: Tier,
    layout: LayoutFile,
    billing: Billing,
    price: Prices,
    restore: Option<RestoreTiers>,
    intelligent_tiering: Option<AccessTiers>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct LayoutFile {
    data_shards: u8,
    parity_shards: u8,
    spread: SpreadSpec,
    pool: Pool,
    block_size: u32,
}

/// How stored bytes are billed beyond their size.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Billing {
    /// Deleting, overwriting or transitioning an object earlier is billed as if it stayed.
    pub min_storage_days: u32,
    /// Smaller objects are billed as this size (128 KiB for the IA classes and GLACIER_IR).
    pub min_object_bytes: u64,
    /// Per-object index overhead billed at this class's price (32 KiB for GLACIER, DEEP_ARCHIVE).
    pub overhead_bytes: u64,
    /// Per-object metadata overhead billed at STANDARD's price (8 KiB for GLACIER, DEEP_ARCHIVE).
    pub overhead_standard_bytes: u64,
}

/// US dollars, as on AWS's price list for us-east-1.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Prices {
    pub storage_gb_month: f64,
    /// PUT, COPY, POST, LIST, lifecycle transitions into the class.
    pub put_per_1000: f64,
    /// GET, SELECT and all other requests.
    pub get_per_1000: f64,
    /// Reading bytes back (the IA classes and GLACIER_IR charge for it).
    pub retrieval_gb: f64,
}

/// The retrieval tiers of RestoreObject a class offers; present only for classes whose objects
/// must be restored before they are read.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RestoreTiers {
    pub expedited: Option<RestoreTier>,
    pub standard: Option<RestoreTier>,
    pub bulk: Option<RestoreTier>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RestoreTier {
    /// AWS's stated range in minutes; a restore completes at the upper bound.
    pub minutes: [u32; 2],
    pub price_gb: f64,
    pub price_per_1000: f64,
}

/// RestoreObject's `Tier`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetrievalTier {
    Expedited,
    Standard,
    Bulk,
}

impl RetrievalTier {
    pub fn parse(name: &str) -> Option<RetrievalTier> {
        match name {
            "Expedited" => Some(RetrievalTier::Expedited),
            "Standard" => Some(RetrievalTier::Standard),
            "Bulk" => Some(RetrievalTier::Bulk),
            _ => None,
        }
    }
}

/// INTELLIGENT_TIERING's automatic access tiers (the opt-in archive tiers are configured per
/// bucket); the class's own `price.storage_gb_month` is the Frequent Access price.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AccessTiers {
    pub infrequent_after_days: u32,
    pub infrequent_gb_month: f64,
    pub archive_instant_after_days: u32,
    pub archive_instant_gb_month: f64,
    pub monitoring_per_1000_objects: f64,
    /// Smaller objects are not monitored and stay in Frequent Access.
    pub min_monitored_bytes: u64,
    /// The class whose layout (drive pool, erasure code) and restore tiers the opt-in Archive
    /// Access tier uses; a class that needs restores.
    pub archive_access_class: String,
    pub archive_access_gb_month: f64,
    /// Likewise for the Deep Archive Access tier.
    pub deep_archive_access_class: String,
    pub deep_archive_access_gb_month: f64,
}

impl AccessTiers {
    /// The class an archive tier stores data like (None for the instant tiers).
    pub fn archive_class(&self, tier: AccessTier) -> Option<&str> {
        match tier {
            AccessTier::ArchiveAccess => Some(&self.archive_access_class),
            AccessTier::DeepArchiveAccess => Some(&self.deep_archive_access_class),
            _ => None,
        }
    }

    /// The storage price of a tier; `frequent` is the class's own price.
    pub fn gb_month(&self, tier: AccessTier, frequent: f64) -> f64 {
        match tier {
            AccessTier::Frequent => frequent,
            AccessTier::Infrequent => self.infrequent_gb_month,
            AccessTier::ArchiveInstant => self.archive_instant_gb_month,
            AccessTier::ArchiveAccess => self.archive_access_gb_month,
            AccessTier::DeepArchiveAccess => self.deep_archive_access_gb_month,
        }
    }

    /// The automatic tiers' thresholds: (idle days, tier), warmest first.
    pub fn automatic(&self) -> [(u32, AccessTier); 2] {
        [
            (self.infrequent_after_days, AccessTier::Infrequent),
            (self.archive_instant_after_days, AccessTier::ArchiveInstant),
        ]
    }
}

#[derive(Debug, Clone)]
pub struct StorageClass {
    pub name: String,
    pub tier: Tier,
    pub layout: Layout,
    pub billing: Billing,
    pub price: Prices,
    pub restore: Option<RestoreTiers>,
    pub intelligent_tiering: Option<AccessTiers>,
}

impl StorageClass {
    /// Whether a GET needs a RestoreObject first (GLACIER, DEEP_ARCHIVE).
    pub fn restore_required(&self) -> bool {
        self.restore.is_some()
    }

    /// The retrieval tier `tier` of this class, None when the class does not offer it.
    pub fn restore_tier(&self, tier: RetrievalTier) -> Option<&RestoreTier> {
        let tiers = self.restore.as_ref()?;
        match tier {
            RetrievalTier::Expedited => tiers.expedited.as_ref(),
            RetrievalTier::Standard => tiers.standard.as_ref(),
            RetrievalTier::Bulk => tiers.bulk.as_ref(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct StorageClasses {
    classes: BTreeMap<String, StorageClass>,
}

impl StorageClasses {
    pub fn embedded(az_count: usize) -> Result<Self, String> {
        Self::from_sources(
            EMBEDDED
                .iter()
                .map(|(name, text)| (format!("storage-classes/{name}.toml"), text.to_string())),
            az_count,
        )
    }

    pub fn load_dir(dir: &Path, az_count: usize) -> Result<Self, String> {
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut sources = Vec::new();
        for entry in entries {
            let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
            if path.extension().is_some_and(|e| e == "toml") {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                sources.push((path.display().to_string(), text));
            }
        }
        Self::from_sources(sources.into_iter(), az_count)
    }

    fn from_sources(
        sources: impl Iterator<Item = (String, String)>,
        az_count: usize,
    ) -> Result<Self, String> {
        let mut classes = BTreeMap::new();
        for (origin, text) in sources {
            let class = parse_class(&text, az_count).map_err(|e| format!("{origin}: {e}"))?;
            let name = class.name.clone();
            if classes.insert(name.clone(), class).is_some() {
                return Err(format!("{origin}: class {name} defined twice"));
            }
        }
        if !classes.contains_key(DEFAULT_CLASS) {
            return Err(format!("no {DEFAULT_CLASS} class defined"));
        }
        for class in classes.values() {
            let Some(tiers) = &class.intelligent_tiering else {
                continue;
            };
            for (field, archive) in [
                ("archive_access_class", &tiers.archive_access_class),
                (
                    "deep_archive_access_class",
                    &tiers.deep_archive_access_class,
                ),
            ] {
                if !classes
                    .get(archive)
                    .is_some_and(StorageClass::restore_required)
                {
                    return Err(format!(
                        "{}: field intelligent_tiering.{field}: {archive} is not a class that needs restores",
                        class.name
                    ));
                }
            }
        }
        Ok(StorageClasses { classes })
    }

    pub fn get(&self, name: &str) -> Option<&StorageClass> {
        self.classes.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.classes.keys().map(String::as_str)
    }

    pub fn all(&self) -> impl Iterator<Item = &StorageClass> {
        self.classes.values()
    }
}

/// One class file: the TOML shape (unknown, missing or mistyped fields are named by the TOML
/// reader), then the values (named here by their dotted path).
fn parse_class(text: &str, az_count: usize) -> Result<StorageClass, String> {
    let file: ClassFile = toml::from_str(text).map_err(|e| e.to_string())?;
    let layout = Layout {
        data_shards: file.layout.data_shards,
        parity_shards: file.layout.parity_shards,
        block_size: file.layout.block_size,
        spread: match file.layout.spread {
            SpreadSpec::Zones => Spread::Zones,
            SpreadSpec::SingleZone => Spread::SingleZone,
        },
        pool: file.layout.pool,
    };
    layout
        .validate(az_count)
        .map_err(|e| format!("field layout: {e}"))?;
    if file.name.is_empty()
        || !file
            .name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(format!(
            "field name: {:?} must be upper-case letters, digits and underscores",
            file.name
        ));
    }
    let mut prices: Vec<(String, f64)> = [
        ("storage_gb_month", file.price.storage_gb_month),
        ("put_per_1000", file.price.put_per_1000),
        ("get_per_1000", file.price.get_per_1000),
        ("retrieval_gb", file.price.retrieval_gb),
    ]
    .map(|(field, value)| (format!("price.{field}"), value))
    .into();
    if let Some(restore) = &file.restore {
        let tiers = [
            ("expedited", &restore.expedited),
            ("standard", &restore.standard),
            ("bulk", &restore.bulk),
        ];
        if tiers.iter().all(|(_, tier)| tier.is_none()) {
            return Err("field restore: offers no retrieval tier".into());
        }
        for (name, tier) in tiers {
            let Some(tier) = tier else { continue };
            let [low, high] = tier.minutes;
            if low == 0 || low > high {
                return Err(format!(
                    "field restore.{name}.minutes: [{low}, {high}] must be a range of at least one minute"
                ));
            }
            prices.push((format!("restore.{name}.price_gb"), tier.price_gb));
            prices.push((
                format!("restore.{name}.price_per_1000"),
                tier.price_per_1000,
            ));
        }
    }
    if let Some(tiers) = &file.intelligent_tiering {
        if tiers.infrequent_after_days == 0
            || tiers.archive_instant_after_days <= tiers.infrequent_after_days
        {
            return Err(format!(
                "field intelligent_tiering: infrequent_after_days ({}) must be positive and below archive_instant_after_days ({})",
                tiers.infrequent_after_days, tiers.archive_instant_after_days
            ));
        }
        for (field, value) in [
            ("infrequent_gb_month", tiers.infrequent_gb_month),
            ("archive_instant_gb_month", tiers.archive_instant_gb_month),
            ("archive_access_gb_month", tiers.archive_access_gb_month),
            (
                "deep_archive_access_gb_month",
                tiers.deep_archive_access_gb_month,
            ),
            (
                "monitoring_per_1000_objects",
                tiers.monitoring_per_1000_objects,
            ),
        ] {
            prices.push((format!("intelligent_tiering.{field}"), value));
        }
    }
    if let Some((field, value)) = prices
        .into_iter()
        .find(|(_, value)| !value.is_finite() || *value < 0.0)
    {
        return Err(format!("field {field}: {value} is not a price"));
    }
    Ok(StorageClass {
        name: file.name,
        tier: file.tier,
        layout,
        billing: file.billing,
        price: file.price,
        restore: file.restore,
        intelligent_tiering: file.intelligent_tiering,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_classes_load_for_three_azs() {
        let classes = StorageClasses::embedded(3).expect("valid classes");
        let names: Vec<_> = classes.names().collect();
        for expected in [
            "STANDARD",
            "REDUCED_REDUNDANCY",
            "STANDARD_IA",
            "ONEZONE_IA",
            "INTELLIGENT_TIERING",
            "GLACIER_IR",
            "GLACIER",
            "DEEP_ARCHIVE",
        ] {
            assert!(names.contains(&expected), "{expected} missing");
        }
        let standard = classes.get("STANDARD").expect("standard");
        assert_eq!(
            (standard.layout.data_shards, standard.layout.parity_shards),
            (4, 2)
        );
        assert_eq!(
            classes.get("ONEZONE_IA").map(|c| c.layout.spread.clone()),
            Some(Spread::SingleZone)
        );
        assert!(classes.get("GLACIER").is_some_and(|c| c.restore_required()));
    }

    #[test]
    fn archive_classes_use_the_wide_code_on_the_archive_pool_and_offer_aws_tiers() {
        let classes = StorageClasses::embedded(3).expect("valid classes");
        for name in ["GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"] {
            let class = classes.get(name).expect(name);
            assert_eq!(
                (
                    class.layout.data_shards,
                    class.layout.parity_shards,
                    class.layout.pool
                ),
                (8, 4, Pool::Archive),
                "{name}"
            );
        }
        let glacier = classes.get("GLACIER").expect("GLACIER");
        let minutes = |class: &StorageClass, tier| class.restore_tier(tier).map(|t| t.minutes);
        assert_eq!(minutes(glacier, RetrievalTier::Expedited), Some([1, 5]));
        assert_eq!(minutes(glacier, RetrievalTier::Standard), Some([180, 300]));
        assert_eq!(minutes(glacier, RetrievalTier::Bulk), Some([300, 720]));
        let deep = classes.get("DEEP_ARCHIVE").expect("DEEP_ARCHIVE");
        assert_eq!(minutes(deep, RetrievalTier::Expedited), None);
        assert_eq!(minutes(deep, RetrievalTier::Standard), Some([1, 720]));
        assert_eq!(minutes(deep, RetrievalTier::Bulk), Some([1, 2880]));
        assert!(!classes.get("GLACIER_IR").expect("IR").restore_required());
        let days = |name| classes.get(name).map(|c| c.billing.min_storage_days);
        assert_eq!(
            [
                "STANDARD_IA",
                "ONEZONE_IA",
                "GLACIER_IR",
                "GLACIER",
                "DEEP_ARCHIVE"
            ]
            .map(days),
            [Some(30), Some(30), Some(90), Some(90), Some(180)]
        );
        let min_size = |name| classes.get(name).map(|c| c.billing.min_object_bytes);
        assert_eq!(
            ["STANDARD_IA", "ONEZONE_IA", "GLACIER_IR", "STANDARD"].map(min_size),
            [Some(131072), Some(131072), Some(131072), Some(0)]
        );
    }

    /// A bad class file is refused with its name and the field at fault.
    #[test]
    fn bad_files_name_the_file_and_the_field() {
        let good = EMBEDDED
            .iter()
            .find(|(name, _)| *name == "GLACIER")
            .map(|(_, text)| text.to_string())
            .expect("GLACIER file");
        let cases = [
            (
                good.replace("pool = \"archive\"", "pool = \"tape\""),
                "pool",
            ),
            (
                good.replace("price_per_1000 = 10.0", "price_per_1000 = -1.0"),
                "restore.expedited.price_per_1000",
            ),
            (
                good.replace("minutes = [180, 300]", "minutes = [300, 180]"),
                "restore.standard.minutes",
            ),
            (
                good.replace("parity_shards = 4", "parity_shards = 1"),
                "layout",
            ),
            (
                good.replace("min_storage_days = 90", "min_storage_dayz = 90"),
                "min_storage_dayz",
            ),
            (
                good.replace("storage_gb_month = 0.0036\n", ""),
                "storage_gb_month",
            ),
            (
                good.replace("name = \"GLACIER\"", "name = \"glacier\""),
                "name",
            ),
        ];
        for (text, field) in cases {
            let sources = [
                ("custom/GLACIER.toml".to_string(), text),
                (
                    "custom/STANDARD.toml".to_string(),
                    EMBEDDED[0].1.to_string(),
                ),
            ];
            let err = StorageClasses::from_sources(sources.into_iter(), 3).expect_err(field);
            assert!(err.starts_with("custom/GLACIER.toml: "), "{err}");
            assert!(err.contains(field), "{field}: {err}");
        }
    }

    #[test]
    fn zone_spread_classes_are_refused_with_too_few_azs() {
        assert!(StorageClasses::embedded(2).is_err());
    }
}
