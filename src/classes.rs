//! Storage classes, loaded from `storage-classes/*.toml`.
//!
//! A class is data, not code: its erasure layout, tier, restore rule, minimum storage duration
//! and prices. The files are compiled into the binary so `strata serve` runs anywhere out of the
//! box; `--storage-classes DIR` loads a directory instead. Layouts are validated against the AZ
//! count at start-up, so a class that could not survive an AZ loss is refused before any write.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::chunk::{Layout, Spread};

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
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
    data_shards: u8,
    parity_shards: u8,
    spread: SpreadSpec,
    block_size: u32,
    restore_required: bool,
    min_storage_days: u32,
    min_billable_bytes: u64,
    price_gb_month: f64,
    price_retrieval_gb: f64,
}

#[derive(Debug, Clone)]
pub struct StorageClass {
    pub name: String,
    pub tier: Tier,
    pub layout: Layout,
    pub restore_required: bool,
    pub min_storage_days: u32,
    pub min_billable_bytes: u64,
    pub price_gb_month: f64,
    pub price_retrieval_gb: f64,
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
                .map(|(name, text)| (name.to_string(), text.to_string())),
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
            let file: ClassFile = toml::from_str(&text).map_err(|e| format!("{origin}: {e}"))?;
            let layout = Layout {
                data_shards: file.data_shards,
                parity_shards: file.parity_shards,
                block_size: file.block_size,
                spread: match file.spread {
                    SpreadSpec::Zones => Spread::Zones,
                    SpreadSpec::SingleZone => Spread::SingleZone,
                },
            };
            layout
                .validate(az_count)
                .map_err(|e| format!("{origin}: class {}: {e}", file.name))?;
            let class = StorageClass {
                name: file.name.clone(),
                tier: file.tier,
                layout,
                restore_required: file.restore_required,
                min_storage_days: file.min_storage_days,
                min_billable_bytes: file.min_billable_bytes,
                price_gb_month: file.price_gb_month,
                price_retrieval_gb: file.price_retrieval_gb,
            };
            if classes.insert(file.name.clone(), class).is_some() {
                return Err(format!("{origin}: class {} defined twice", file.name));
            }
        }
        if !classes.contains_key(DEFAULT_CLASS) {
            return Err(format!("no {DEFAULT_CLASS} class defined"));
        }
        Ok(StorageClasses { classes })
    }

    pub fn get(&self, name: &str) -> Option<&StorageClass> {
        self.classes.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.classes.keys().map(String::as_str)
    }
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
        assert!(classes.get("GLACIER").is_some_and(|c| c.restore_required));
    }

    #[test]
    fn zone_spread_classes_are_refused_with_too_few_azs() {
        assert!(StorageClasses::embedded(2).is_err());
    }
}
