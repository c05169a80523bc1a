//! S3 Intelligent-Tiering configurations (`PUT|GET|DELETE /?intelligent-tiering&id=…`,
//! `GET /?intelligent-tiering` to list): the typed model, the parser that validates a
//! PutBucketIntelligentTieringConfiguration body the way AWS does, the renderers of
//! GetBucketIntelligentTieringConfiguration's and ListBucketIntelligentTieringConfigurations'
//! answers, and the pure tier arithmetic the engine needs (which automatic access tier an
//! INTELLIGENT_TIERING object is in, which opt-in archive tier a configuration puts it in).
//!
//! Owns: the schema rules (what is MalformedXML, including a body `Id` other than the `id`
//! query parameter), AWS's value rules on `Tiering` (InvalidArgument), the 1,000-configuration
//! limit's error. It does no I/O: it does not store configurations, route requests or move
//! objects.
//! Invariants: an [`IntelligentTieringConfiguration`] that [`parse`] returns is valid, and
//! `parse(render(c).as_bytes(), &c.id) == Ok(c)`.
//!
//! Sources (docs/aws-notes/archive-classes.md §7): the API reference (`Tiering`: "The minimum
//! number of days specified for Archive Access tier must be at least 90 days and Deep Archive
//! Access tier must be at least 180 days. The maximum can be up to 2 years (730 days)."; the
//! response syntaxes; the special errors InvalidArgument / TooManyConfigurations), the
//! CloudFormation reference ("At least one tier must be defined in the list. At most, you can
//! specify two tiers in the list, one for each available AccessTier"), and errors AWS returned
//! to users: `Days specified in ARCHIVE_ACCESS tier should not be less than 90.`
//! (aws-cloudformation/cfn-lint#3992), MalformedXML for a body `Id` other than the query's
//! (aws/aws-sdk#336) and for an empty `Tierings` list (aws/aws-cdk#20937).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::filter::{self, Predicates};
use crate::s3::error::S3Error;
use crate::s3::xml::{
    self, Element, XmlWriter, only_children, optional_text, required_text, single,
};
use crate::store::bucket_config::BucketConfig;
use crate::store::config_cache::StoredConfig;

/// "You can have up to 1,000 S3 Intelligent-Tiering configurations per bucket."
pub const MAX_CONFIGURATIONS: usize = 1000;
/// Configuration IDs: at most 64 characters of letters, digits, `.`, `-`, `_` (the rule AWS
/// applies to the IDs of the other bucket sub-configurations; assumed here).
pub const MAX_ID_CHARS: usize = 64;
/// A prefix longer than the longest key (1024 bytes) matches nothing.
pub const MAX_PREFIX_BYTES: usize = 1024;
/// The longest idle time a `Tiering` may name: "up to 2 years (730 days)".
pub const MAX_TIERING_DAYS: u32 = 730;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntelligentTieringConfiguration {
    /// Equal to the `id` query parameter it was put under.
    pub id: String,
    pub filter: TieringFilter,
    pub status: Status,
    /// One or two, at most one per tier, in document order.
    pub tierings: Vec<Tiering>,
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

/// The XML form a configuration's filter came in; Get answers in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterShape {
    /// No `<Filter>`: every object of the bucket.
    Absent,
    /// `<Filter/>`: every object too.
    Empty,
    Prefix,
    Tag,
    /// `<Filter><And>` with at least two predicates.
    And,
}

/// `IntelligentTieringFilter`, normalized: an object matches when its key has the prefix and it
/// carries every tag. `shape` says which fields may be set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TieringFilter {
    pub shape: FilterShape,
    /// Present when the document had a `Prefix` element (possibly empty).
    pub prefix: Option<String>,
    /// Distinct keys, in document order.
    pub tags: Vec<(String, String)>,
}

impl TieringFilter {
    /// The filter of a configuration that has none: the whole bucket.
    pub fn whole_bucket() -> Self {
        TieringFilter {
            shape: FilterShape::Absent,
            prefix: None,
            tags: Vec::new(),
        }
    }

    pub fn matches(&self, key: &str, tags: &[(String, String)]) -> bool {
        filter::matches(self.prefix.as_deref(), &self.tags, key, tags)
    }
}

/// One `<Tiering>`: objects not accessed for `days` consecutive days move to `access_tier`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tiering {
    /// Within [`ArchiveTier::min_days`]..=[`MAX_TIERING_DAYS`].
    pub days: u32,
    pub access_tier: ArchiveTier,
}

/// The opt-in archive tiers a configuration can name (`IntelligentTieringAccessTier`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ArchiveTier {
    ArchiveAccess,
    DeepArchiveAccess,
}

impl ArchiveTier {
    pub fn as_str(self) -> &'static str {
        AccessTier::from(self).as_str()
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "ARCHIVE_ACCESS" => Some(Self::ArchiveAccess),
            "DEEP_ARCHIVE_ACCESS" => Some(Self::DeepArchiveAccess),
            _ => None,
        }
    }

    /// The fewest idle days a `Tiering` of this tier may name.
    pub fn min_days(self) -> u32 {
        match self {
            Self::ArchiveAccess => 90,
            Self::DeepArchiveAccess => 180,
        }
    }
}

/// Where an INTELLIGENT_TIERING object's data is, warmest first. The first three are automatic
/// and instant; the last two are opt-in (a configuration) and need a RestoreObject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AccessTier {
    Frequent,
    Infrequent,
    ArchiveInstant,
    ArchiveAccess,
    DeepArchiveAccess,
}

impl AccessTier {
    /// AWS's spelling of the archive tiers (`AccessTier`, `x-amz-archive-status`); the automatic
    /// tiers follow the same pattern (AWS's API names them nowhere).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Frequent => "FREQUENT_ACCESS",
            Self::Infrequent => "INFREQUENT_ACCESS",
            Self::ArchiveInstant => "ARCHIVE_INSTANT_ACCESS",
            Self::ArchiveAccess => "ARCHIVE_ACCESS",
            Self::DeepArchiveAccess => "DEEP_ARCHIVE_ACCESS",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        [
            Self::Frequent,
            Self::Infrequent,
            Self::ArchiveInstant,
            Self::ArchiveAccess,
            Self::DeepArchiveAccess,
        ]
        .into_iter()
        .find(|tier| tier.as_str() == name)
    }

    /// The `x-amz-archive-status` HeadObject reports: only for the two asynchronous tiers.
    pub fn archive_status(self) -> Option<&'static str> {
        self.needs_restore().then(|| self.as_str())
    }

    /// Whether a GET needs a RestoreObject first.
    pub fn needs_restore(self) -> bool {
        matches!(self, Self::ArchiveAccess | Self::DeepArchiveAccess)
    }
}

impl From<ArchiveTier> for AccessTier {
    fn from(tier: ArchiveTier) -> Self {
        match tier {
            ArchiveTier::ArchiveAccess => AccessTier::ArchiveAccess,
            ArchiveTier::DeepArchiveAccess => AccessTier::DeepArchiveAccess,
        }
    }
}

/// The next access-tier move of a monitored INTELLIGENT_TIERING object in tier `current`,
/// last read at `last_ms`, under `thresholds` (consecutive idle days, tier): the coldest tier
/// whose time has come by `now` (with that time), else the earliest move still to come. None
/// when no threshold leads to a colder tier. Days are `day_ms` long.
pub fn next_move(
    current: AccessTier,
    last_ms: i64,
    now: i64,
    day_ms: i64,
    thresholds: impl IntoIterator<Item = (u32, AccessTier)>,
) -> Option<(i64, AccessTier)> {
    let mut arrived: Option<(i64, AccessTier)> = None;
    let mut coming: Option<(i64, AccessTier)> = None;
    for (days, tier) in thresholds {
        if tier <= current {
            continue;
        }
        let at = last_ms.saturating_add(i64::from(days).saturating_mul(day_ms));
        if at <= now {
            if arrived.is_none_or(|(_, coldest)| tier > coldest) {
                arrived = Some((at, tier));
            }
        } else if coming.is_none_or(|(earliest, _)| at < earliest) {
            coming = Some((at, tier));
        }
    }
    arrived.or(coming)
}

impl IntelligentTieringConfiguration {
    /// Whether the configuration's filter selects this object (whatever its status).
    pub fn matches(&self, key: &str, tags: &[(String, String)]) -> bool {
        self.filter.matches(key, tags)
    }
}

/// PutBucketIntelligentTieringConfiguration's answer to a new ID when the bucket already has
/// [`MAX_CONFIGURATIONS`] (the API reference's special error; message its "Cause").
pub fn too_many_configurations() -> S3Error {
    S3Error::new(
        "TooManyConfigurations",
        "You are attempting to create a new configuration but have already reached the 1,000-configuration limit.",
    )
}

/// The limit check of a Put: `existing` configurations in the bucket, `replaces` when the Put's
/// ID is one of them (replacing never exceeds the limit).
pub fn check_limit(existing: usize, replaces: bool) -> Result<(), S3Error> {
    if replaces || existing < MAX_CONFIGURATIONS {
        Ok(())
    } else {
        Err(too_many_configurations())
    }
}

/// Get / Delete of an ID the bucket does not have (the code AWS uses for analytics, inventory
/// and metrics configurations; assumed here).
pub fn no_such_configuration() -> S3Error {
    S3Error::new(
        "NoSuchConfiguration",
        "The specified configuration does not exist.",
    )
}

/// Whether `id` is a well-formed configuration ID (see [`MAX_ID_CHARS`]).
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.chars().count() <= MAX_ID_CHARS
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// Parse and validate a PutBucketIntelligentTieringConfiguration body put under the `id` query
/// parameter `id_from_query`. Schema faults anywhere (unknown, missing or repeated elements,
/// enumeration values, non-integer `Days`), an ill-formed ID and a body `Id` other than the
/// query's are MalformedXML; then the values, in document order, are InvalidArgument.
pub fn parse(body: &[u8], id_from_query: &str) -> Result<IntelligentTieringConfiguration, S3Error> {
    let root = xml::parse(body)?;
    if root.name != "IntelligentTieringConfiguration" {
        return Err(S3Error::malformed_xml());
    }
    from_element(&root, id_from_query)
}

/// [`parse`] of an `IntelligentTieringConfiguration` element already parsed.
fn from_element(
    root: &Element,
    id_from_query: &str,
) -> Result<IntelligentTieringConfiguration, S3Error> {
    only_children(root, &["Id", "Filter", "Status", "Tiering"])?;
    let id = required_text(root, "Id")?;
    let status = match required_text(root, "Status")?.trim() {
        "Enabled" => Status::Enabled,
        "Disabled" => Status::Disabled,
        _ => return Err(S3Error::malformed_xml()),
    };
    let filter = match single(root, "Filter")? {
        None => TieringFilter::whole_bucket(),
        Some(filter) => draft_filter(filter)?,
    };
    let mut drafts = Vec::new();
    for tiering in root.children_named("Tiering") {
        only_children(tiering, &["Days", "AccessTier"])?;
        let tier = ArchiveTier::from_name(required_text(tiering, "AccessTier")?.trim())
            .ok_or_else(S3Error::malformed_xml)?;
        let days = required_text(tiering, "Days")?
            .trim()
            .parse::<i64>()
            .map_err(|_| S3Error::malformed_xml())?;
        drafts.push((tier, days));
    }
    // `Tierings` is required and AWS's schema wants at least one element.
    if drafts.is_empty() {
        return Err(S3Error::malformed_xml());
    }
    // AWS answers a body whose Id is not the query's as a schema fault (aws/aws-sdk#336).
    if id != id_from_query || !valid_id(&id) {
        return Err(S3Error::malformed_xml());
    }

    validate_filter(&filter)?;
    let mut tierings = Vec::with_capacity(drafts.len());
    let mut seen = HashSet::new();
    for (tier, days) in drafts {
        tierings.push(validate_tiering(tier, days)?);
        if !seen.insert(tier) {
            return Err(S3Error::invalid_argument(format!(
                "More than one Tiering specified for {} tier.",
                tier.as_str()
            )));
        }
    }
    Ok(IntelligentTieringConfiguration {
        id,
        filter,
        status,
        tierings,
    })
}

fn validate_tiering(tier: ArchiveTier, days: i64) -> Result<Tiering, S3Error> {
    let min = tier.min_days();
    if days < i64::from(min) {
        return Err(S3Error::invalid_argument(format!(
            "Days specified in {} tier should not be less than {min}.",
            tier.as_str()
        )));
    }
    if days > i64::from(MAX_TIERING_DAYS) {
        return Err(S3Error::invalid_argument(format!(
            "Days specified in {} tier should not be more than {MAX_TIERING_DAYS}.",
            tier.as_str()
        )));
    }
    Ok(Tiering {
        // Within min..=730 after the checks above.
        days: u32::try_from(days).unwrap_or(MAX_TIERING_DAYS),
        access_tier: tier,
    })
}

fn validate_filter(filter: &TieringFilter) -> Result<(), S3Error> {
    if filter
        .prefix
        .as_ref()
        .is_some_and(|prefix| prefix.len() > MAX_PREFIX_BYTES)
    {
        return Err(S3Error::invalid_argument(format!(
            "The maximum size of a prefix is {MAX_PREFIX_BYTES}"
        )));
    }
    let mut keys = HashSet::new();
    for (key, value) in &filter.tags {
        if key.is_empty() || key.chars().count() > 128 {
            return Err(S3Error::invalid_argument(
                "A Tag's Key must be a length between 1 and 128",
            ));
        }
        if value.chars().count() > 256 {
            return Err(S3Error::invalid_argument(
                "A Tag's Value must be a length between 0 and 256",
            ));
        }
        if !keys.insert(key.as_str()) {
            return Err(S3Error::invalid_argument(
                "Duplicate Tag Keys are not allowed.",
            ));
        }
    }
    Ok(())
}

/// `<Filter>`: empty, or exactly one of Prefix / Tag / And; And holds at least two predicates.
fn draft_filter(filter: &Element) -> Result<TieringFilter, S3Error> {
    let (shape, holder) = match filter::predicates(filter, &["Prefix", "Tag"])? {
        Predicates::Empty => {
            return Ok(TieringFilter {
                shape: FilterShape::Empty,
                prefix: None,
                tags: Vec::new(),
            });
        }
        Predicates::Single("Prefix", holder) => (FilterShape::Prefix, holder),
        Predicates::Single(_, holder) => (FilterShape::Tag, holder),
        Predicates::And(holder) => (FilterShape::And, holder),
    };
    Ok(TieringFilter {
        shape,
        prefix: optional_text(holder, "Prefix")?,
        tags: filter::tags(holder)?,
    })
}

/// GetBucketIntelligentTieringConfiguration's body: the API reference's response syntax has
/// the configuration itself as the root (`IntelligentTieringConfiguration`, the output's
/// payload member), not a `…Output` wrapper.
pub fn render(config: &IntelligentTieringConfiguration) -> String {
    let mut out = XmlWriter::document();
    out.root("IntelligentTieringConfiguration");
    render_body(&mut out, config);
    out.close("IntelligentTieringConfiguration");
    out.finish()
}

/// ListBucketIntelligentTieringConfigurations' body. The root is the output shape's name, which
/// the API reference's response syntax shows (the model gives it no other XML name):
/// `IsTruncated`, the request's `ContinuationToken` when it had one, `NextContinuationToken`
/// when given, then one `IntelligentTieringConfiguration` per configuration.
pub fn render_list(
    configs: &[IntelligentTieringConfiguration],
    continuation: Option<&str>,
    next: Option<&str>,
    truncated: bool,
) -> String {
    let mut out = XmlWriter::document();
    out.root("ListBucketIntelligentTieringConfigurationsOutput");
    out.elem("IsTruncated", if truncated { "true" } else { "false" });
    out.elem_opt("ContinuationToken", continuation);
    out.elem_opt("NextContinuationToken", next);
    for config in configs {
        out.open("IntelligentTieringConfiguration");
        render_body(&mut out, config);
        out.close("IntelligentTieringConfiguration");
    }
    out.close("ListBucketIntelligentTieringConfigurationsOutput");
    out.finish()
}

/// Every configuration of a bucket, by ID: what is stored (as one document, the first page of
/// the list without its paging fields) and what the engine reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BucketTieringConfigurations {
    /// Sorted by ID, IDs distinct.
    pub configs: Vec<IntelligentTieringConfiguration>,
}

/// ListBucketIntelligentTieringConfigurations' page size (AWS lists analytics and inventory
/// configurations 100 at a time; assumed the same).
pub const LIST_PAGE: usize = 100;

impl BucketTieringConfigurations {
    pub fn get(&self, id: &str) -> Option<&IntelligentTieringConfiguration> {
        self.position(id).ok().map(|i| &self.configs[i])
    }

    fn position(&self, id: &str) -> Result<usize, usize> {
        self.configs
            .binary_search_by(|config| config.id.as_str().cmp(id))
    }

    /// Adds or replaces the configuration with `config`'s ID (within the limit).
    pub fn put(&mut self, config: IntelligentTieringConfiguration) -> Result<(), S3Error> {
        match self.position(&config.id) {
            Ok(i) => self.configs[i] = config,
            Err(i) => {
                check_limit(self.configs.len(), false)?;
                self.configs.insert(i, config);
            }
        }
        Ok(())
    }

    /// Removes the configuration `id`; NoSuchConfiguration when there is none.
    pub fn remove(&mut self, id: &str) -> Result<(), S3Error> {
        let i = self.position(id).map_err(|_| no_such_configuration())?;
        self.configs.remove(i);
        Ok(())
    }

    /// The list page after the continuation token (an ID), and the next token.
    pub fn page(&self, after: Option<&str>) -> (&[IntelligentTieringConfiguration], Option<&str>) {
        let start = match after {
            None => 0,
            Some(id) => match self.position(id) {
                Ok(i) => i + 1,
                Err(i) => i,
            },
        };
        let end = (start + LIST_PAGE).min(self.configs.len());
        let page = &self.configs[start.min(end)..end];
        let next = (end < self.configs.len())
            .then(|| page.last().map(|config| config.id.as_str()))
            .flatten();
        (page, next)
    }

    /// The stored form: all configurations in one list document.
    pub fn to_stored(&self) -> String {
        render_list(&self.configs, None, None, false)
    }

    /// The archive-tier thresholds (idle days, tier) of the enabled configurations that
    /// select the object.
    pub fn thresholds<'a>(
        &'a self,
        key: &'a str,
        tags: &'a [(String, String)],
    ) -> impl Iterator<Item = (u32, AccessTier)> + 'a {
        self.configs
            .iter()
            .filter(move |config| config.status == Status::Enabled && config.matches(key, tags))
            .flat_map(|config| &config.tierings)
            .map(|tiering| (tiering.days, AccessTier::from(tiering.access_tier)))
    }
}

impl StoredConfig for BucketTieringConfigurations {
    const WHICH: BucketConfig = BucketConfig::IntelligentTiering;

    fn parse_stored(_bucket: &str, text: &str) -> Result<Self, String> {
        let root = xml::parse(text.as_bytes()).map_err(|err| err.message)?;
        let mut configs = Vec::new();
        for element in root.children_named("IntelligentTieringConfiguration") {
            let id = required_text(element, "Id").map_err(|err| err.message)?;
            configs.push(from_element(element, &id).map_err(|err| err.message)?);
        }
        configs.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(BucketTieringConfigurations { configs })
    }
}

/// Id, Filter, Status, Tiering… in the order of AWS's response syntax.
fn render_body(out: &mut XmlWriter, config: &IntelligentTieringConfiguration) {
    out.elem("Id", &config.id);
    render_filter(out, &config.filter);
    out.elem("Status", config.status.as_str());
    for tiering in &config.tierings {
        out.open("Tiering");
        out.elem("AccessTier", tiering.access_tier.as_str());
        out.elem("Days", &tiering.days.to_string());
        out.close("Tiering");
    }
}

fn render_filter(out: &mut XmlWriter, filter: &TieringFilter) {
    if filter.shape == FilterShape::Absent {
        return;
    }
    out.open("Filter");
    let and = filter.shape == FilterShape::And;
    if and {
        out.open("And");
    }
    filter::render_prefix_and_tags(out, filter.prefix.as_deref(), &filter.tags);
    if and {
        out.close("And");
    }
    out.close("Filter");
}

#[cfg(test)]
#[path = "tiering_tests.rs"]
mod tests;
