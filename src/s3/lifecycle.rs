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
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::s3::error::S3Error;
use crate::s3::xml::{self, Element, XmlWriter};

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
    fn blocks(self, size: u64, class: TransitionClass) -> bool {
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
    fn preference(self) -> u8 {
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

// ---- schema: the document as given -------------------------------------------------------

/// A rule as the document gives it, schema-checked, values not yet checked.
struct Draft {
    id: Option<String>,
    legacy_prefix: Option<String>,
    filter: Option<DraftFilter>,
    status: Status,
    expiration: Option<DraftExpiration>,
    transitions: Vec<(DraftTiming, TransitionClass)>,
    noncurrent_expiration: Option<(i64, Option<i64>)>,
    noncurrent_transitions: Vec<(i64, Option<i64>, TransitionClass)>,
    abort_days: Option<i64>,
}

struct DraftFilter {
    shape: FilterShape,
    prefix: Option<String>,
    tags: Vec<(String, String)>,
    size_gt: Option<i64>,
    size_lt: Option<i64>,
}

struct DraftExpiration {
    days: Option<i64>,
    date: Option<i64>,
    marker: Option<bool>,
}

#[derive(Clone, Copy)]
enum DraftTiming {
    Days(i64),
    Date(i64),
}

fn draft_rule(rule: &Element) -> Result<Draft, S3Error> {
    only_children(
        rule,
        &[
            "ID",
            "Prefix",
            "Filter",
            "Status",
            "Expiration",
            "Transition",
            "NoncurrentVersionExpiration",
            "NoncurrentVersionTransition",
            "AbortIncompleteMultipartUpload",
        ],
    )?;
    let status = match required_text(rule, "Status")?.trim() {
        "Enabled" => Status::Enabled,
        "Disabled" => Status::Disabled,
        _ => return Err(S3Error::malformed_xml()),
    };
    let legacy_prefix = optional_text(rule, "Prefix")?;
    let filter = single(rule, "Filter")?.map(draft_filter).transpose()?;
    // A rule names its objects by one or the other.
    if legacy_prefix.is_none() && filter.is_none() {
        return Err(S3Error::malformed_xml());
    }
    let expiration = match single(rule, "Expiration")? {
        None => None,
        Some(expiration) => {
            only_children(expiration, &["Days", "Date", "ExpiredObjectDeleteMarker"])?;
            let draft = DraftExpiration {
                days: integer(expiration, "Days")?,
                date: date(expiration, "Date")?,
                marker: match optional_text(expiration, "ExpiredObjectDeleteMarker")? {
                    None => None,
                    Some(text) => Some(boolean(&text)?),
                },
            };
            match (draft.days, draft.date, draft.marker) {
                (None, None, None) | (Some(_), Some(_), _) => {
                    return Err(S3Error::malformed_xml());
                }
                _ => Some(draft),
            }
        }
    };
    let mut transitions = Vec::new();
    for transition in rule.children_named("Transition") {
        only_children(transition, &["Days", "Date", "StorageClass"])?;
        let timing = match (integer(transition, "Days")?, date(transition, "Date")?) {
            (Some(days), None) => DraftTiming::Days(days),
            (None, Some(date)) => DraftTiming::Date(date),
            _ => return Err(S3Error::malformed_xml()),
        };
        transitions.push((timing, storage_class(transition)?));
    }
    let noncurrent_expiration = match single(rule, "NoncurrentVersionExpiration")? {
        None => None,
        Some(element) => {
            only_children(element, &["NoncurrentDays", "NewerNoncurrentVersions"])?;
            let days = integer(element, "NoncurrentDays")?.ok_or_else(S3Error::malformed_xml)?;
            Some((days, integer(element, "NewerNoncurrentVersions")?))
        }
    };
    let mut noncurrent_transitions = Vec::new();
    for element in rule.children_named("NoncurrentVersionTransition") {
        only_children(
            element,
            &["NoncurrentDays", "NewerNoncurrentVersions", "StorageClass"],
        )?;
        let days = integer(element, "NoncurrentDays")?.ok_or_else(S3Error::malformed_xml)?;
        let newer = integer(element, "NewerNoncurrentVersions")?;
        noncurrent_transitions.push((days, newer, storage_class(element)?));
    }
    let abort_days = match single(rule, "AbortIncompleteMultipartUpload")? {
        None => None,
        Some(abort) => {
            only_children(abort, &["DaysAfterInitiation"])?;
            Some(integer(abort, "DaysAfterInitiation")?.ok_or_else(S3Error::malformed_xml)?)
        }
    };
    Ok(Draft {
        id: optional_text(rule, "ID")?,
        legacy_prefix,
        filter,
        status,
        expiration,
        transitions,
        noncurrent_expiration,
        noncurrent_transitions,
        abort_days,
    })
}

const PREDICATES: [&str; 4] = [
    "Prefix",
    "Tag",
    "ObjectSizeGreaterThan",
    "ObjectSizeLessThan",
];

/// `<Filter>`: empty, or exactly one predicate, several only inside `<And>` (at least two).
fn draft_filter(filter: &Element) -> Result<DraftFilter, S3Error> {
    only_children(
        filter,
        &[
            "Prefix",
            "Tag",
            "ObjectSizeGreaterThan",
            "ObjectSizeLessThan",
            "And",
        ],
    )?;
    if filter.children.len() > 1 {
        return Err(S3Error::malformed_xml());
    }
    let Some(predicate) = filter.children.first() else {
        return Ok(DraftFilter {
            shape: FilterShape::Empty,
            prefix: None,
            tags: Vec::new(),
            size_gt: None,
            size_lt: None,
        });
    };
    let (shape, holder) = match predicate.name.as_str() {
        "Prefix" => (FilterShape::Prefix, filter),
        "Tag" => (FilterShape::Tag, filter),
        "ObjectSizeGreaterThan" => (FilterShape::ObjectSizeGreaterThan, filter),
        "ObjectSizeLessThan" => (FilterShape::ObjectSizeLessThan, filter),
        _ => {
            only_children(predicate, &PREDICATES)?;
            if predicate.children.len() < 2 {
                return Err(S3Error::malformed_xml());
            }
            (FilterShape::And, predicate)
        }
    };
    let mut tags = Vec::new();
    for tag in holder.children_named("Tag") {
        only_children(tag, &["Key", "Value"])?;
        tags.push((required_text(tag, "Key")?, required_text(tag, "Value")?));
    }
    Ok(DraftFilter {
        shape,
        prefix: optional_text(holder, "Prefix")?,
        tags,
        size_gt: integer(holder, "ObjectSizeGreaterThan")?,
        size_lt: integer(holder, "ObjectSizeLessThan")?,
    })
}

fn storage_class(parent: &Element) -> Result<TransitionClass, S3Error> {
    // An enumeration in the schema: STANDARD, REDUCED_REDUNDANCY or a typo do not validate.
    TransitionClass::from_name(required_text(parent, "StorageClass")?.trim())
        .ok_or_else(S3Error::malformed_xml)
}

fn integer(parent: &Element, name: &str) -> Result<Option<i64>, S3Error> {
    optional_text(parent, name)?
        .map(|text| {
            text.trim()
                .parse::<i64>()
                .map_err(|_| S3Error::malformed_xml())
        })
        .transpose()
}

fn boolean(text: &str) -> Result<bool, S3Error> {
    match text.trim() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(S3Error::malformed_xml()),
    }
}

/// An ISO 8601 timestamp as milliseconds since the epoch (any time of day: the midnight rule is
/// a value rule, checked later). A date alone, or a time without offset, is UTC.
fn date(parent: &Element, name: &str) -> Result<Option<i64>, S3Error> {
    let Some(text) = optional_text(parent, name)? else {
        return Ok(None);
    };
    let text = text.trim();
    let parsed = OffsetDateTime::parse(text, &Rfc3339)
        .or_else(|_| {
            PrimitiveDateTime::parse(
                text,
                format_description!(
                    "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
                ),
            )
            .map(PrimitiveDateTime::assume_utc)
        })
        .or_else(|_| {
            time::Date::parse(text, format_description!("[year]-[month]-[day]"))
                .map(|day| day.midnight().assume_utc())
        })
        .map_err(|_| S3Error::malformed_xml())?;
    let ms = parsed.unix_timestamp_nanos() / 1_000_000;
    i64::try_from(ms)
        .map(Some)
        .map_err(|_| S3Error::malformed_xml())
}

/// Unknown elements do not validate against AWS's schema.
fn only_children(parent: &Element, allowed: &[&str]) -> Result<(), S3Error> {
    if parent
        .children
        .iter()
        .all(|c| allowed.contains(&c.name.as_str()))
    {
        Ok(())
    } else {
        Err(S3Error::malformed_xml())
    }
}

/// The child of that name; twice is a schema violation.
fn single<'e>(parent: &'e Element, name: &'e str) -> Result<Option<&'e Element>, S3Error> {
    let mut found = parent.children_named(name);
    let first = found.next();
    if found.next().is_some() {
        return Err(S3Error::malformed_xml());
    }
    Ok(first)
}

/// A leaf's text; a leaf with children is a schema violation.
fn optional_text(parent: &Element, name: &str) -> Result<Option<String>, S3Error> {
    match single(parent, name)? {
        None => Ok(None),
        Some(leaf) if leaf.children.is_empty() => Ok(Some(leaf.text.clone())),
        Some(_) => Err(S3Error::malformed_xml()),
    }
}

fn required_text(parent: &Element, name: &str) -> Result<String, S3Error> {
    optional_text(parent, name)?.ok_or_else(S3Error::malformed_xml)
}

// ---- values: AWS's rules -----------------------------------------------------------------

/// One rule's values checked, in the order of the rule's elements (filter, then each action).
/// The ID stays empty when the document gave none; [`parse`] names it.
fn validate_rule(draft: Draft, v2: bool) -> Result<Rule, S3Error> {
    if v2 && draft.legacy_prefix.is_some() {
        return Err(S3Error::invalid_request(
            "Base level prefix cannot be used in Lifecycle V2, prefixes are only supported in the Filter.",
        ));
    }
    if !v2 && draft.filter.is_some() {
        return Err(S3Error::invalid_request(
            "Filter element can only be used in Lifecycle V2.",
        ));
    }
    let newer_given = draft
        .noncurrent_expiration
        .is_some_and(|(_, n)| n.is_some())
        || draft
            .noncurrent_transitions
            .iter()
            .any(|(_, n, _)| n.is_some());
    if !v2 && newer_given {
        return Err(S3Error::invalid_request(
            "NewerNoncurrentVersions element can only be used in Lifecycle V2.",
        ));
    }
    let filter = match (draft.filter, draft.legacy_prefix) {
        (Some(filter), _) => validate_filter(filter)?,
        (None, prefix) => {
            let filter = DraftFilter {
                shape: FilterShape::LegacyPrefix,
                prefix: Some(prefix.unwrap_or_default()),
                tags: Vec::new(),
                size_gt: None,
                size_lt: None,
            };
            validate_filter(filter)?
        }
    };
    let scope = filter.describe();

    if draft.expiration.is_none()
        && draft.transitions.is_empty()
        && draft.noncurrent_expiration.is_none()
        && draft.noncurrent_transitions.is_empty()
        && draft.abort_days.is_none()
    {
        return Err(S3Error::invalid_request(
            "At least one action needs to be specified in a rule",
        ));
    }

    let expiration = draft
        .expiration
        .map(|given| validate_expiration(given, &filter))
        .transpose()?;
    let transitions = validate_transitions(&draft.transitions, expiration, &scope)?;
    let noncurrent_expiration = match draft.noncurrent_expiration {
        None => None,
        Some((days, newer)) => {
            if days < 1 {
                return Err(S3Error::invalid_argument(
                    "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer",
                ));
            }
            Some(NoncurrentExpiration {
                noncurrent_days: clamp_days(days),
                newer_noncurrent_versions: newer_versions(newer, "NoncurrentVersionExpiration")?,
            })
        }
    };
    let noncurrent_transitions = validate_noncurrent_transitions(
        &draft.noncurrent_transitions,
        noncurrent_expiration,
        &scope,
    )?;
    let abort_incomplete_multipart_days = match draft.abort_days {
        None => None,
        Some(days) => {
            if days < 1 {
                return Err(S3Error::invalid_argument(
                    "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer",
                ));
            }
            if !filter.tags.is_empty() {
                return Err(S3Error::invalid_request(
                    "AbortIncompleteMultipartUpload cannot be specified with Tags.",
                ));
            }
            if filter.has_size_bounds() {
                return Err(S3Error::invalid_request(
                    "AbortIncompleteMultipartUpload cannot be specified with Object Size.",
                ));
            }
            Some(clamp_days(days))
        }
    };
    Ok(Rule {
        id: draft.id.unwrap_or_default(),
        status: draft.status,
        filter,
        expiration,
        transitions,
        noncurrent_expiration,
        noncurrent_transitions,
        abort_incomplete_multipart_days,
    })
}

/// Day counts beyond `u32` are kept as the largest: no clock reaches them either way.
fn clamp_days(days: i64) -> u32 {
    u32::try_from(days.max(0)).unwrap_or(u32::MAX)
}

fn validate_filter(draft: DraftFilter) -> Result<Filter, S3Error> {
    if draft
        .prefix
        .as_ref()
        .is_some_and(|prefix| prefix.len() > MAX_PREFIX_BYTES)
    {
        return Err(S3Error::invalid_request(format!(
            "The maximum size of a prefix is {MAX_PREFIX_BYTES}"
        )));
    }
    let mut keys = HashSet::new();
    for (key, value) in &draft.tags {
        if key.is_empty() || key.chars().count() > 128 {
            return Err(S3Error::invalid_request(
                "A Tag's Key must be a length between 1 and 128",
            ));
        }
        if value.chars().count() > 256 {
            return Err(S3Error::invalid_request(
                "A Tag's Value must be a length between 0 and 256",
            ));
        }
        if !keys.insert(key.as_str()) {
            return Err(S3Error::invalid_request(
                "Duplicate Tag Keys are not allowed.",
            ));
        }
    }
    if draft
        .size_gt
        .is_some_and(|size| !(0..=MAX_FILTER_SIZE).contains(&size))
    {
        return Err(S3Error::invalid_request(format!(
            "'ObjectSizeGreaterThan' should be between 0 and {MAX_FILTER_SIZE}."
        )));
    }
    if draft
        .size_lt
        .is_some_and(|size| !(1..=MAX_FILTER_SIZE).contains(&size))
    {
        return Err(S3Error::invalid_request(format!(
            "'ObjectSizeLessThan' should be between 1 and {MAX_FILTER_SIZE}."
        )));
    }
    if let (Some(gt), Some(lt)) = (draft.size_gt, draft.size_lt)
        && gt >= lt
    {
        return Err(S3Error::invalid_request(
            "'ObjectSizeLessThan' has to be a value greater than 'ObjectSizeGreaterThan'.",
        ));
    }
    // Both bounds were range-checked above, so they are non-negative.
    let unsigned = |size: Option<i64>| size.map(|s| u64::try_from(s).unwrap_or_default());
    Ok(Filter {
        shape: draft.shape,
        prefix: draft.prefix,
        tags: draft.tags,
        size_gt: unsigned(draft.size_gt),
        size_lt: unsigned(draft.size_lt),
    })
}

fn validate_expiration(given: DraftExpiration, filter: &Filter) -> Result<Expiration, S3Error> {
    if given.marker.is_some() && (given.days.is_some() || given.date.is_some()) {
        return Err(S3Error::invalid_argument(
            "ExpiredObjectDeleteMarker cannot be specified with Days or Date in a Lifecycle Expiration Policy",
        ));
    }
    match (given.days, given.date, given.marker) {
        (Some(days), None, None) => {
            if days < 1 {
                return Err(S3Error::invalid_argument(
                    "'Days' for Expiration action must be a positive integer",
                ));
            }
            Ok(Expiration::Days(clamp_days(days)))
        }
        (None, Some(date), None) => Ok(Expiration::Date(midnight(date)?)),
        (None, None, Some(marker)) => {
            if !filter.tags.is_empty() {
                return Err(S3Error::invalid_request(
                    "ExpiredObjectDeleteMarker cannot be specified with Tags.",
                ));
            }
            if filter.has_size_bounds() {
                return Err(S3Error::invalid_request(
                    "ExpiredObjectDeleteMarker cannot be specified with Object Size.",
                ));
            }
            Ok(Expiration::ExpiredObjectDeleteMarker(marker))
        }
        // The schema step refused the rest.
        _ => Err(S3Error::malformed_xml()),
    }
}

fn midnight(ms: i64) -> Result<i64, S3Error> {
    if ms.rem_euclid(DAY_MS) == 0 {
        Ok(ms)
    } else {
        Err(S3Error::invalid_argument("'Date' must be at midnight GMT"))
    }
}

fn newer_versions(given: Option<i64>, action: &str) -> Result<Option<u32>, S3Error> {
    match given {
        None => Ok(None),
        Some(n) if n < 1 => Err(S3Error::invalid_argument(format!(
            "'NewerNoncurrentVersions' for {action} action must be a positive integer"
        ))),
        Some(n) if n > MAX_NEWER_NONCURRENT_VERSIONS => Err(S3Error::invalid_argument(format!(
            "'NewerNoncurrentVersions' for {action} action must not exceed {MAX_NEWER_NONCURRENT_VERSIONS}"
        ))),
        Some(n) => Ok(Some(clamp_days(n))),
    }
}

/// A rule's `Transition`s: each valid alone, then together (one class each, one kind of
/// timing, matching the expiration's, and down the waterfall in time).
fn validate_transitions(
    given: &[(DraftTiming, TransitionClass)],
    expiration: Option<Expiration>,
    scope: &str,
) -> Result<Vec<Transition>, S3Error> {
    let mut transitions = Vec::with_capacity(given.len());
    for &(timing, class) in given {
        let timing = match timing {
            DraftTiming::Days(days) => {
                if days < 0 {
                    return Err(S3Error::invalid_argument(
                        "'Days' for Transition action must be a nonnegative integer",
                    ));
                }
                if class.infrequent_access() && days < INFREQUENT_ACCESS_MIN_DAYS {
                    return Err(S3Error::invalid_argument(format!(
                        "'Days' in Transition action must be greater than or equal to 30 for storageClass '{}'",
                        class.as_str()
                    )));
                }
                Timing::Days(clamp_days(days))
            }
            DraftTiming::Date(date) => Timing::Date(midnight(date)?),
        };
        transitions.push(Transition {
            timing,
            storage_class: class,
        });
    }
    let classes: Vec<TransitionClass> = transitions.iter().map(|t| t.storage_class).collect();
    distinct_classes(&classes, "Transition", scope)?;
    let by_days = transitions
        .iter()
        .any(|t| matches!(t.timing, Timing::Days(_)));
    let by_date = transitions
        .iter()
        .any(|t| matches!(t.timing, Timing::Date(_)));
    if by_days && by_date {
        return Err(S3Error::invalid_request(format!(
            "Found mixed 'Date' and 'Days' based Transition actions in lifecycle rule for {scope}"
        )));
    }
    match expiration {
        Some(Expiration::Days(_)) if by_date => {
            return Err(mixed_expiration(scope));
        }
        Some(Expiration::Date(_)) if by_days => {
            return Err(mixed_expiration(scope));
        }
        _ => {}
    }
    let field = if by_date { "Date" } else { "Days" };
    let steps: Vec<(TransitionClass, i64)> = transitions
        .iter()
        .map(|t| match t.timing {
            Timing::Days(days) => (t.storage_class, i64::from(days)),
            Timing::Date(ms) => (t.storage_class, ms),
        })
        .collect();
    waterfall(&steps, "Transition", field, by_days, scope)?;
    let last = steps.iter().map(|&(_, at)| at).max();
    match (expiration, last) {
        (Some(Expiration::Days(days)), Some(last)) if i64::from(days) <= last => {
            Err(S3Error::invalid_argument(format!(
                "'Days' in the Expiration action for {scope} must be greater than 'Days' in the Transition action"
            )))
        }
        (Some(Expiration::Date(date)), Some(last)) if date <= last => {
            Err(S3Error::invalid_argument(format!(
                "'Date' in the Expiration action for {scope} must be greater than 'Date' in the Transition action"
            )))
        }
        _ => Ok(transitions),
    }
}

fn mixed_expiration(scope: &str) -> S3Error {
    S3Error::invalid_request(format!(
        "Found mixed 'Date' and 'Days' based Expiration and Transition actions in lifecycle rule for {scope}"
    ))
}

fn validate_noncurrent_transitions(
    given: &[(i64, Option<i64>, TransitionClass)],
    expiration: Option<NoncurrentExpiration>,
    scope: &str,
) -> Result<Vec<NoncurrentTransition>, S3Error> {
    let mut transitions = Vec::with_capacity(given.len());
    for &(days, newer, class) in given {
        if days < 0 {
            return Err(S3Error::invalid_argument(
                "'NoncurrentDays' for NoncurrentVersionTransition action must be a nonnegative integer",
            ));
        }
        if class.infrequent_access() && days < INFREQUENT_ACCESS_MIN_DAYS {
            return Err(S3Error::invalid_argument(format!(
                "'NoncurrentDays' in NoncurrentVersionTransition action must be greater than or equal to 30 for storageClass '{}'",
                class.as_str()
            )));
        }
        transitions.push(NoncurrentTransition {
            noncurrent_days: clamp_days(days),
            newer_noncurrent_versions: newer_versions(newer, "NoncurrentVersionTransition")?,
            storage_class: class,
        });
    }
    let classes: Vec<TransitionClass> = transitions.iter().map(|t| t.storage_class).collect();
    distinct_classes(&classes, "NoncurrentVersionTransition", scope)?;
    let steps: Vec<(TransitionClass, i64)> = transitions
        .iter()
        .map(|t| (t.storage_class, i64::from(t.noncurrent_days)))
        .collect();
    waterfall(
        &steps,
        "NoncurrentVersionTransition",
        "NoncurrentDays",
        true,
        scope,
    )?;
    let last = steps.iter().map(|&(_, days)| days).max();
    if let (Some(expiration), Some(last)) = (expiration, last)
        && i64::from(expiration.noncurrent_days) <= last
    {
        return Err(S3Error::invalid_argument(format!(
            "'NoncurrentDays' in the NoncurrentVersionExpiration action for {scope} must be greater than 'NoncurrentDays' in the NoncurrentVersionTransition action"
        )));
    }
    Ok(transitions)
}

fn distinct_classes(classes: &[TransitionClass], action: &str, scope: &str) -> Result<(), S3Error> {
    let mut seen = HashSet::new();
    if classes.iter().all(|class| seen.insert(*class)) {
        Ok(())
    } else {
        Err(S3Error::invalid_request(format!(
            "'StorageClass' must be different for '{action}' actions in same 'Rule' with {scope}"
        )))
    }
}

/// Transitions of one rule go down the waterfall in time: a colder class strictly later, and,
/// counted in days, at least 30 days after a STANDARD_IA or ONEZONE_IA one (objects stay 30
/// days in those classes).
fn waterfall(
    steps: &[(TransitionClass, i64)],
    action: &str,
    field: &str,
    in_days: bool,
    scope: &str,
) -> Result<(), S3Error> {
    let mut ordered = steps.to_vec();
    ordered.sort_by_key(|&(class, _)| class);
    for pair in ordered.windows(2) {
        let ((warm, warm_at), (cold, cold_at)) = (pair[0], pair[1]);
        if cold_at <= warm_at {
            return Err(S3Error::invalid_argument(format!(
                "'{field}' in the {action} action for StorageClass '{}' for {scope} must be greater than '{field}' in the {action} action for StorageClass '{}' for {scope}",
                cold.as_str(),
                warm.as_str()
            )));
        }
        if in_days && warm.infrequent_access() && cold_at - warm_at < INFREQUENT_ACCESS_MIN_DAYS {
            return Err(S3Error::invalid_argument(format!(
                "'{field}' in the {action} action for StorageClass '{}' for {scope} must be 30 days more than '{scope}' in the {action} action for StorageClass '{}'",
                cold.as_str(),
                warm.as_str()
            )));
        }
    }
    Ok(())
}

/// "Lifecycle V1" refuses two rules whose prefixes overlap (one begins the other) taking the
/// same kind of action; V2 resolves such overlaps when it runs.
fn overlapping_prefixes(rules: &[Rule]) -> Result<(), S3Error> {
    type Takes = fn(&Rule) -> bool;
    let kinds: [(&str, Takes); 5] = [
        ("Expiration", |r| r.expiration.is_some()),
        ("Transition", |r| !r.transitions.is_empty()),
        ("NoncurrentVersionExpiration", |r| {
            r.noncurrent_expiration.is_some()
        }),
        ("NoncurrentVersionTransition", |r| {
            !r.noncurrent_transitions.is_empty()
        }),
        ("AbortIncompleteMultipartUpload", |r| {
            r.abort_incomplete_multipart_days.is_some()
        }),
    ];
    for (kind, takes) in kinds {
        let prefixes: Vec<&str> = rules
            .iter()
            .filter(|rule| takes(rule))
            .map(|rule| rule.filter.prefix.as_deref().unwrap_or_default())
            .collect();
        for (later, b) in prefixes.iter().enumerate() {
            if let Some(a) = prefixes[..later]
                .iter()
                .find(|a| a.starts_with(b) || b.starts_with(**a))
            {
                return Err(S3Error::invalid_request(format!(
                    "Found overlapping prefixes '{b}' and '{a}' for same action type '{kind}'"
                )));
            }
        }
    }
    Ok(())
}

impl Filter {
    fn has_size_bounds(&self) -> bool {
        self.size_gt.is_some() || self.size_lt.is_some()
    }

    /// How AWS names a rule's scope in its error messages: `prefix 'logs/'` for a V1 rule,
    /// `filter '(prefix=logs/ and objectsizelessthan=100)'` for a V2 one.
    fn describe(&self) -> String {
        if self.shape == FilterShape::LegacyPrefix {
            return format!("prefix '{}'", self.prefix.as_deref().unwrap_or_default());
        }
        let mut parts = Vec::new();
        if let Some(prefix) = &self.prefix {
            parts.push(format!("prefix={prefix}"));
        }
        for (key, value) in &self.tags {
            parts.push(format!("tag={{key={key}, value={value}}}"));
        }
        if let Some(size) = self.size_gt {
            parts.push(format!("objectsizegreaterthan={size}"));
        }
        if let Some(size) = self.size_lt {
            parts.push(format!("objectsizelessthan={size}"));
        }
        if parts.is_empty() {
            parts.push("prefix=".to_string());
        }
        format!("filter '({})'", parts.join(" and "))
    }

    /// Whether an object of that key, size and tags is in the filter's scope.
    pub fn matches(&self, key: &str, size: u64, tags: &[(String, String)]) -> bool {
        self.prefix
            .as_deref()
            .is_none_or(|prefix| key.starts_with(prefix))
            && self
                .tags
                .iter()
                .all(|wanted| tags.iter().any(|tag| tag == wanted))
            && self.size_gt.is_none_or(|bound| size > bound)
            && self.size_lt.is_none_or(|bound| size < bound)
    }
}

// ---- rendering ---------------------------------------------------------------------------

/// GetBucketLifecycleConfiguration's body. The minimum transition size travels in the
/// `x-amz-transition-default-minimum-object-size` response header, not in the document.
/// Elements in the order of AWS's examples: ID, Filter (or Prefix), Status, Transitions,
/// Expiration, NoncurrentVersionTransitions, NoncurrentVersionExpiration,
/// AbortIncompleteMultipartUpload.
pub fn render(config: &LifecycleConfiguration) -> String {
    let mut out = XmlWriter::document();
    out.root("LifecycleConfiguration");
    for rule in &config.rules {
        render_rule(&mut out, rule);
    }
    out.close("LifecycleConfiguration");
    out.finish()
}

fn render_rule(out: &mut XmlWriter, rule: &Rule) {
    out.open("Rule");
    out.elem("ID", &rule.id);
    render_filter(out, &rule.filter);
    out.elem("Status", rule.status.as_str());
    for transition in &rule.transitions {
        out.open("Transition");
        match transition.timing {
            Timing::Days(days) => out.elem("Days", &days.to_string()),
            Timing::Date(ms) => out.elem("Date", &format_date(ms)),
        }
        out.elem("StorageClass", transition.storage_class.as_str());
        out.close("Transition");
    }
    if let Some(expiration) = rule.expiration {
        out.open("Expiration");
        match expiration {
            Expiration::Days(days) => out.elem("Days", &days.to_string()),
            Expiration::Date(ms) => out.elem("Date", &format_date(ms)),
            Expiration::ExpiredObjectDeleteMarker(marker) => out.elem(
                "ExpiredObjectDeleteMarker",
                if marker { "true" } else { "false" },
            ),
        }
        out.close("Expiration");
    }
    for transition in &rule.noncurrent_transitions {
        out.open("NoncurrentVersionTransition");
        out.elem("NoncurrentDays", &transition.noncurrent_days.to_string());
        if let Some(newer) = transition.newer_noncurrent_versions {
            out.elem("NewerNoncurrentVersions", &newer.to_string());
        }
        out.elem("StorageClass", transition.storage_class.as_str());
        out.close("NoncurrentVersionTransition");
    }
    if let Some(expiration) = rule.noncurrent_expiration {
        out.open("NoncurrentVersionExpiration");
        out.elem("NoncurrentDays", &expiration.noncurrent_days.to_string());
        if let Some(newer) = expiration.newer_noncurrent_versions {
            out.elem("NewerNoncurrentVersions", &newer.to_string());
        }
        out.close("NoncurrentVersionExpiration");
    }
    if let Some(days) = rule.abort_incomplete_multipart_days {
        out.open("AbortIncompleteMultipartUpload");
        out.elem("DaysAfterInitiation", &days.to_string());
        out.close("AbortIncompleteMultipartUpload");
    }
    out.close("Rule");
}

fn render_filter(out: &mut XmlWriter, filter: &Filter) {
    if filter.shape == FilterShape::LegacyPrefix {
        out.elem("Prefix", filter.prefix.as_deref().unwrap_or_default());
        return;
    }
    out.open("Filter");
    let and = filter.shape == FilterShape::And;
    if and {
        out.open("And");
    }
    out.elem_opt("Prefix", filter.prefix.as_deref());
    for (key, value) in &filter.tags {
        out.open("Tag");
        out.elem("Key", key);
        out.elem("Value", value);
        out.close("Tag");
    }
    if let Some(size) = filter.size_gt {
        out.elem("ObjectSizeGreaterThan", &size.to_string());
    }
    if let Some(size) = filter.size_lt {
        out.elem("ObjectSizeLessThan", &size.to_string());
    }
    if and {
        out.close("And");
    }
    out.close("Filter");
}

/// A date as AWS writes it back: `2025-01-01T00:00:00.000Z`.
fn format_date(ms: i64) -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

// ---- evaluation --------------------------------------------------------------------------

/// What the lifecycle engine knows of one object version. Times are ms since the epoch.
#[derive(Debug, Clone, Copy)]
pub struct ObjectFacts<'a> {
    pub key: &'a str,
    /// 0 for a delete marker.
    pub size: u64,
    /// Empty for a delete marker.
    pub tags: &'a [(String, String)],
    pub created_ms: i64,
    pub storage_class: &'a str,
    pub is_latest: bool,
    pub is_delete_marker: bool,
    /// No other version of the key exists: a current delete marker with this set is an
    /// "expired object delete marker".
    pub sole_version: bool,
    /// When the version stopped being current (its successor's creation); None while current.
    pub noncurrent_since_ms: Option<i64>,
    /// How many noncurrent versions of the key are newer than this one.
    pub newer_noncurrent_count: u32,
    /// Versioning is enabled or suspended: expiring the current version then adds a delete
    /// marker instead of deleting data.
    pub versioned: bool,
}

/// What falls due for a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Expire the current version (a DeleteObject without version ID).
    Expire,
    Transition(TransitionClass),
    /// Permanently delete this noncurrent version.
    ExpireNoncurrent,
    TransitionNoncurrent(TransitionClass),
    /// Remove this current delete marker, no other version being left.
    RemoveExpiredDeleteMarker,
}

impl Action {
    /// Who wins when several fall due at once: "Permanent deletion takes precedence over
    /// transition. Transition takes precedence over creation of delete markers." Between
    /// transitions, the cheaper class.
    fn precedence(self, versioned: bool) -> u8 {
        match self {
            Action::ExpireNoncurrent | Action::RemoveExpiredDeleteMarker => 100,
            Action::Expire if !versioned => 100,
            Action::Expire => 0,
            Action::Transition(class) | Action::TransitionNoncurrent(class) => {
                10 + class.preference()
            }
        }
    }
}

/// `days` after `start`, rounded up to the next day boundary (a multiple of `day_ms` since the
/// epoch): "Amazon S3 calculates the time by adding the number of days specified in the rule to
/// the object creation time and rounding up the resulting time to the next day midnight UTC."
/// Saturates at `i64::MAX`, a time no clock reaches.
pub fn due_after(start_ms: i64, days: u32, day_ms: i64) -> i64 {
    let day_ms = day_ms.max(1);
    let at = start_ms.saturating_add(i64::from(days).saturating_mul(day_ms));
    match at.rem_euclid(day_ms) {
        0 => at,
        into => at.saturating_sub(into).saturating_add(day_ms),
    }
}

impl Rule {
    /// Enabled, and the version is in the filter's scope.
    pub fn applies_to(&self, facts: &ObjectFacts<'_>) -> bool {
        self.status == Status::Enabled && self.filter.matches(facts.key, facts.size, facts.tags)
    }

    /// Whether this rule may move `facts` to `class` at all.
    fn may_transition(
        &self,
        facts: &ObjectFacts<'_>,
        class: TransitionClass,
        min_size: MinTransitionSize,
    ) -> bool {
        !facts.is_delete_marker
            && class.reachable_from(facts.storage_class)
            && (self.filter.has_size_bounds() || !min_size.blocks(facts.size, class))
    }

    /// Every action this rule schedules for the version, with its due time.
    fn events(
        &self,
        facts: &ObjectFacts<'_>,
        day_ms: i64,
        min_size: MinTransitionSize,
    ) -> Vec<(i64, Action)> {
        let mut events = Vec::new();
        if facts.is_latest && facts.is_delete_marker {
            if facts.sole_version {
                match self.expiration {
                    Some(Expiration::ExpiredObjectDeleteMarker(true)) => events.push((
                        due_after(facts.created_ms, 0, day_ms),
                        Action::RemoveExpiredDeleteMarker,
                    )),
                    // "When you specify the Days tag, Amazon S3 automatically performs
                    // ExpiredObjectDeleteMarker cleanup when the delete markers are old enough".
                    Some(Expiration::Days(days)) => events.push((
                        due_after(facts.created_ms, days, day_ms),
                        Action::RemoveExpiredDeleteMarker,
                    )),
                    _ => {}
                }
            }
        } else if facts.is_latest {
            match self.expiration {
                Some(Expiration::Days(days)) => {
                    events.push((due_after(facts.created_ms, days, day_ms), Action::Expire));
                }
                Some(Expiration::Date(ms)) => events.push((ms, Action::Expire)),
                _ => {}
            }
            for transition in &self.transitions {
                let class = transition.storage_class;
                if self.may_transition(facts, class, min_size) {
                    let due = match transition.timing {
                        Timing::Days(days) => due_after(facts.created_ms, days, day_ms),
                        Timing::Date(ms) => ms,
                    };
                    events.push((due, Action::Transition(class)));
                }
            }
        } else if let Some(since) = facts.noncurrent_since_ms {
            // NewerNoncurrentVersions N keeps the N newest noncurrent versions whatever their age.
            let kept = |newer: Option<u32>| newer.is_some_and(|n| facts.newer_noncurrent_count < n);
            if let Some(expiration) = self.noncurrent_expiration
                && !kept(expiration.newer_noncurrent_versions)
            {
                events.push((
                    due_after(since, expiration.noncurrent_days, day_ms),
                    Action::ExpireNoncurrent,
                ));
            }
            for transition in &self.noncurrent_transitions {
                let class = transition.storage_class;
                if !kept(transition.newer_noncurrent_versions)
                    && self.may_transition(facts, class, min_size)
                {
                    events.push((
                        due_after(since, transition.noncurrent_days, day_ms),
                        Action::TransitionNoncurrent(class),
                    ));
                }
            }
        }
        events
    }
}

impl LifecycleConfiguration {
    /// The next action due for this version under all the rules, and when: the earliest; at the
    /// same time, AWS's precedence ([`Action`]); between equals, the first rule's. Transitions
    /// to the class the version is in, to a warmer one, or of objects under the minimum
    /// transition size are not actions. None when nothing will ever be due.
    pub fn next_action(&self, facts: &ObjectFacts<'_>, day_ms: i64) -> Option<(i64, Action)> {
        let mut best: Option<(i64, Action)> = None;
        for rule in self.rules.iter().filter(|rule| rule.applies_to(facts)) {
            for (due, action) in rule.events(facts, day_ms, self.min_transition_size) {
                let better = match best {
                    None => true,
                    Some((best_due, best_action)) => {
                        due < best_due
                            || (due == best_due
                                && action.precedence(facts.versioned)
                                    > best_action.precedence(facts.versioned))
                    }
                };
                if better {
                    best = Some((due, action));
                }
            }
        }
        best
    }

    /// When an incomplete multipart upload of `key` initiated at `initiated_ms` is aborted, and
    /// by which rule (for `x-amz-abort-date` / `x-amz-abort-rule-id`). Rules with this action
    /// filter by prefix only, so the key decides.
    pub fn abort_due(&self, key: &str, initiated_ms: i64, day_ms: i64) -> Option<(i64, &str)> {
        let mut best: Option<(i64, &str)> = None;
        for rule in &self.rules {
            let Some(days) = rule.abort_incomplete_multipart_days else {
                continue;
            };
            if rule.status != Status::Enabled || !rule.filter.matches(key, 0, &[]) {
                continue;
            }
            let due = due_after(initiated_ms, days, day_ms);
            if best.is_none_or(|(best_due, _)| due < best_due) {
                best = Some((due, rule.id.as_str()));
            }
        }
        best
    }

    /// For the `x-amz-expiration` header of GET / HEAD / PUT: when the current version expires
    /// and under which rule (the earliest; the first rule on a tie). None for delete markers,
    /// noncurrent versions and versions no rule expires.
    pub fn expiration_header(&self, facts: &ObjectFacts<'_>, day_ms: i64) -> Option<(i64, &str)> {
        if !facts.is_latest || facts.is_delete_marker {
            return None;
        }
        let mut best: Option<(i64, &str)> = None;
        for rule in self.rules.iter().filter(|rule| rule.applies_to(facts)) {
            let due = match rule.expiration {
                Some(Expiration::Days(days)) => due_after(facts.created_ms, days, day_ms),
                Some(Expiration::Date(ms)) => ms,
                _ => continue,
            };
            if best.is_none_or(|(best_due, _)| due < best_due) {
                best = Some((due, rule.id.as_str()));
            }
        }
        best
    }
}

#[cfg(test)]
#[path = "lifecycle_tests.rs"]
mod tests;
