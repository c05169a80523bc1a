//! The bucket lifecycle configuration (`<LifecycleConfiguration>` of
//! PutBucketLifecycleConfiguration): its typed model, the parser that validates a request
//! document the way AWS does, the renderer of GetBucketLifecycleConfiguration's answer, and the
//! pure evaluation the lifecycle engine calls (which action is due for an object version, when,
//! under which rule).
//!
//! Owns: the schema rules (what is MalformedXML), AWS's value rules (InvalidArgument /
//! InvalidRequest with AWS's messages where they are known), the "Lifecycle V1" (rule-level
//! `Prefix`) / "Lifecycle V2" (`Filter`) split, and the date arithmetic of due times (a `Days`
//! action is due at the first day boundary at or after `start + days`). It does no I/O: it does
//! not store configurations, list objects or run actions.
//! Invariants: a [`LifecycleConfiguration`] that exists is valid, every rule has a unique ID, and
//! `parse(render(c), Some(c.min_transition_size.as_str())) == c`.

use std::collections::HashSet;

use base64::Engine as _;

use crate::s3::error::S3Error;
use crate::s3::xml;
use crate::store::bucket_config::BucketConfig;
use crate::store::config_cache::StoredConfig;

mod render;
mod schema;
mod values;

use crate::s3::xml::only_children;
pub use render::render;
use schema::draft_rule;
use values::{overlapping_prefixes, validate_rule};

/// "A lifecycle configuration can have up to 1,000 rules. This limit is not adjustable."
pub const MAX_RULES: usize = 1000;
/// "ID length is limited to 255 characters."
pub const MAX_ID_CHARS: usize = 255;
/// A prefix longer than the longest key (1024 bytes) matches nothing.
pub const MAX_PREFIX_BYTES: usize = 1024;
/// The bound AWS states for `ObjectSizeGreaterThan` / `ObjectSizeLessThan` (1000 × 2^40).
pub const MAX_FILTER_SIZE: i64 = 1_099_511_627_776_000;
/// "You can specify up to 100 noncurrent versions to retain" (API reference).
pub const MAX_NEWER_NONCURRENT_VERSIONS: i64 = 100;
/// Objects below this size are not transitioned by default (128 KiB).
pub const DEFAULT_MIN_TRANSITION_SIZE: u64 = 128 * 1024;
/// The request and response header carrying [`MinTransitionSize`].
pub const MIN_TRANSITION_SIZE_HEADER: &str = "x-amz-transition-default-minimum-object-size";
/// STANDARD_IA and ONEZONE_IA refuse objects younger (or noncurrent for less) than this, and a
/// later transition must leave an object this long in them.
const INFREQUENT_ACCESS_MIN_DAYS: i64 = 30;
const DAY_MS: i64 = 86_400_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleConfiguration {
    /// At least one, at most [`MAX_RULES`], IDs unique.
    pub rules: Vec<Rule>,
    pub min_transition_size: MinTransitionSize,
}

/// `x-amz-transition-default-minimum-object-size`: which small objects transition by default.
/// A rule with an `ObjectSizeGreaterThan` / `ObjectSizeLessThan` filter overrides it ("Custom
/// filters always take precedence over the default transition behavior").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MinTransitionSize {
    /// `all_storage_classes_128K`: objects under 128 KiB transition to no class (AWS's default
    /// since September 2024, and what it reports for a configuration set without the header).
    #[default]
    AllStorageClasses128K,
    /// `varies_by_storage_class`: objects under 128 KiB transition to GLACIER and DEEP_ARCHIVE
    /// only.
    VariesByStorageClass,
}

impl MinTransitionSize {
    /// The header of a PutBucketLifecycleConfiguration request; absent is the default.
    pub fn parse(header: Option<&str>) -> Result<Self, S3Error> {
        match header {
            None | Some("all_storage_classes_128K") => Ok(Self::AllStorageClasses128K),
            Some("varies_by_storage_class") => Ok(Self::VariesByStorageClass),
            Some(_) => Err(S3Error::invalid_request(
                "Invalid TransitionDefaultMinimumObjectSize found",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AllStorageClasses128K => "all_storage_classes_128K",
            Self::VariesByStorageClass => "varies_by_storage_class",
        }
    }

    /// Whether the default minimum keeps an object of `size` from transitioning to `class`.
    pub(crate) fn blocks(self, size: u64, class: TransitionClass) -> bool {
        size < DEFAULT_MIN_TRANSITION_SIZE
            && !(self == Self::VariesByStorageClass
                && matches!(
                    class,
                    TransitionClass::Glacier | TransitionClass::DeepArchive
                ))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Enabled,
    Disabled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Enabled => "Enabled",
            Status::Disabled => "Disabled",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// As given, or generated as AWS does when absent or empty.
    pub id: String,
    pub status: Status,
    pub filter: Filter,
    pub expiration: Option<Expiration>,
    /// Distinct classes, all `Days` or all `Date`, later (colder) classes strictly later.
    pub transitions: Vec<Transition>,
    pub noncurrent_expiration: Option<NoncurrentExpiration>,
    /// Distinct classes, colder classes strictly later.
    pub noncurrent_transitions: Vec<NoncurrentTransition>,
    /// `AbortIncompleteMultipartUpload`'s `DaysAfterInitiation`, at least 1; only in rules whose
    /// filter is a prefix at most.
    pub abort_incomplete_multipart_days: Option<u32>,
}

/// The XML form a rule's filter came in: GetBucketLifecycleConfiguration answers in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterShape {
    /// The rule's own `<Prefix>` ("Lifecycle V1").
    LegacyPrefix,
    /// `<Filter/>`: every object.
    Empty,
    Prefix,
    Tag,
    ObjectSizeGreaterThan,
    ObjectSizeLessThan,
    /// `<Filter><And>` with at least two predicates.
    And,
}

/// A rule's filter, normalized: an object matches when it has the prefix, every tag and a size
/// within the bounds. `shape` says which fields may be set (one for a single predicate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub shape: FilterShape,
    /// Present when the document had a `Prefix` element (possibly empty).
    pub prefix: Option<String>,
    /// Distinct keys.
    pub tags: Vec<(String, String)>,
    /// `ObjectSizeGreaterThan`: sizes strictly above it.
    pub size_gt: Option<u64>,
    /// `ObjectSizeLessThan`: sizes strictly below it; above `size_gt` when both are set.
    pub size_lt: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiration {
    /// At least 1: the current version expires this many days after creation.
    Days(u32),
    /// Milliseconds since the epoch, a midnight UTC.
    Date(i64),
    /// `true`: remove a delete marker that no other version is left beneath.
    ExpiredObjectDeleteMarker(bool),
}

/// When a transition happens: days after creation, or from a date (ms, midnight UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timing {
    Days(u32),
    Date(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub timing: Timing,
    pub storage_class: TransitionClass,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoncurrentExpiration {
    /// At least 1: days after the version became noncurrent.
    pub noncurrent_days: u32,
    /// 1..=100: this many newer noncurrent versions are kept whatever their age.
    pub newer_noncurrent_versions: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoncurrentTransition {
    pub noncurrent_days: u32,
    pub newer_noncurrent_versions: Option<u32>,
    pub storage_class: TransitionClass,
}

/// The classes a lifecycle rule can move objects to (AWS's `TransitionStorageClass`), in the
/// order of AWS's transition waterfall, warmest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TransitionClass {
    StandardIa,
    IntelligentTiering,
    OnezoneIa,
    GlacierIr,
    Glacier,
    DeepArchive,
}

impl TransitionClass {
    pub const ALL: [TransitionClass; 6] = [
        Self::StandardIa,
        Self::IntelligentTiering,
        Self::OnezoneIa,
        Self::GlacierIr,
        Self::Glacier,
        Self::DeepArchive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::StandardIa => "STANDARD_IA",
            Self::IntelligentTiering => "INTELLIGENT_TIERING",
            Self::OnezoneIa => "ONEZONE_IA",
            Self::GlacierIr => "GLACIER_IR",
            Self::Glacier => "GLACIER",
            Self::DeepArchive => "DEEP_ARCHIVE",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|class| class.as_str() == name)
    }

    fn infrequent_access(self) -> bool {
        matches!(self, Self::StandardIa | Self::OnezoneIa)
    }

    /// Whether lifecycle moves an object stored in `current` to this class. The waterfall only
    /// goes down, and ONEZONE_IA objects do not go to GLACIER_IR ("Unsupported lifecycle
    /// transitions"). STANDARD, REDUCED_REDUNDANCY and classes AWS does not know sit on top.
    pub fn reachable_from(self, current: &str) -> bool {
        match Self::from_name(current) {
            None => true,
            Some(Self::OnezoneIa) if self == Self::GlacierIr => false,
            Some(current) => self > current,
        }
    }

    /// When two transitions fall due together, the one S3 picks: "S3 Lifecycle transitions
    /// your objects to the lower-cost storage class ... S3 Intelligent-Tiering is favored by S3
    /// Lifecycle over any storage class, aside from the S3 Glacier and S3 Glacier Deep Archive".
    pub(crate) fn preference(self) -> u8 {
        match self {
            Self::StandardIa => 0,
            Self::OnezoneIa => 1,
            Self::GlacierIr => 2,
            Self::IntelligentTiering => 3,
            Self::Glacier => 4,
            Self::DeepArchive => 5,
        }
    }
}

/// Parse and validate a PutBucketLifecycleConfiguration body and its
/// `x-amz-transition-default-minimum-object-size` header.
pub fn parse(
    body: &[u8],
    min_size_header: Option<&str>,
) -> Result<LifecycleConfiguration, S3Error> {
    let min_transition_size = MinTransitionSize::parse(min_size_header)?;
    let root = xml::parse(body)?;
    if root.name != "LifecycleConfiguration" {
        return Err(S3Error::malformed_xml());
    }
    only_children(&root, &["Rule"])?;
    if root.children.is_empty() {
        return Err(S3Error::invalid_request(
            "At least one lifecycle rule must be specified.",
        ));
    }
    if root.children.len() > MAX_RULES {
        return Err(S3Error::invalid_request(format!(
            "The number of lifecycle rules must not exceed the allowed limit of {MAX_RULES} rules."
        )));
    }
    // The schema first, for every rule: a document that does not validate is MalformedXML
    // whatever else is wrong with it.
    let drafts = root
        .children
        .iter()
        .map(draft_rule)
        .collect::<Result<Vec<_>, _>>()?;

    let mut given_ids = HashSet::new();
    for draft in &drafts {
        if let Some(id) = draft.id.as_deref().filter(|id| !id.is_empty()) {
            if id.chars().count() > MAX_ID_CHARS {
                return Err(S3Error::invalid_argument(format!(
                    "ID length should not exceed allowed limit of {MAX_ID_CHARS}"
                ))
                .with("ArgumentName", "ID")
                .with("ArgumentValue", id));
            }
            if !given_ids.insert(id.to_string()) {
                return Err(S3Error::invalid_argument(
                    "Rule ID must be unique. Found same ID for more than one rule",
                )
                .with("ArgumentName", "ID")
                .with("ArgumentValue", id));
            }
        }
    }

    // The first rule decides the version: a Filter makes the configuration "Lifecycle V2".
    let v2 = drafts[0].filter.is_some();
    let mut rules = Vec::with_capacity(drafts.len());
    for draft in drafts {
        rules.push(validate_rule(draft, v2)?);
    }
    if !v2 {
        overlapping_prefixes(&rules)?;
    }
    for rule in &mut rules {
        if rule.id.is_empty() {
            rule.id = generated_id(&given_ids);
            given_ids.insert(rule.id.clone());
        }
    }
    Ok(LifecycleConfiguration {
        rules,
        min_transition_size,
    })
}

/// AWS names a rule given no ID with the base64 of a random UUID (48 characters).
fn generated_id(taken: &HashSet<String>) -> String {
    loop {
        let mut bytes: [u8; 16] = rand::random();
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        let hex = hex::encode(bytes);
        let uuid = format!(
            "{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        );
        let id = base64::engine::general_purpose::STANDARD.encode(uuid);
        if !taken.contains(&id) {
            return id;
        }
    }
}

impl LifecycleConfiguration {
    /// How a configuration is stored (`store::bucket_config`): the minimum-size setting, a
    /// newline, then GetBucketLifecycleConfiguration's document.
    pub fn to_stored(&self) -> String {
        format!("{}\n{}", self.min_transition_size.as_str(), render(self))
    }
}

/// A stored configuration's (minimum-size setting, document).
pub fn split_stored(text: &str) -> (&str, &str) {
    text.split_once('\n').unwrap_or(("", text))
}

impl StoredConfig for LifecycleConfiguration {
    const WHICH: BucketConfig = BucketConfig::Lifecycle;

    fn parse_stored(_bucket: &str, text: &str) -> Result<Self, String> {
        let (min_size, document) = split_stored(text);
        parse(document.as_bytes(), Some(min_size)).map_err(|err| err.message)
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
