//! The document as given: which elements a rule may have, and how many; anything else is
//! MalformedXML, before any value is looked at.

use super::*;
use crate::lifecycle::filter::{self, Predicates};
use crate::s3::xml::{Element, only_children, optional_text, required_text, single};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

/// A rule as the document gives it, schema-checked, values not yet checked.
pub(super) struct Draft {
    pub(super) id: Option<String>,
    pub(super) legacy_prefix: Option<String>,
    pub(super) filter: Option<DraftFilter>,
    pub(super) status: Status,
    pub(super) expiration: Option<DraftExpiration>,
    pub(super) transitions: Vec<(DraftTiming, TransitionClass)>,
    pub(super) noncurrent_expiration: Option<(i64, Option<i64>)>,
    pub(super) noncurrent_transitions: Vec<(i64, Option<i64>, TransitionClass)>,
    pub(super) abort_days: Option<i64>,
}

pub(super) struct DraftFilter {
    pub(super) shape: FilterShape,
    pub(super) prefix: Option<String>,
    pub(super) tags: Vec<(String, String)>,
    pub(super) size_gt: Option<i64>,
    pub(super) size_lt: Option<i64>,
}

pub(super) struct DraftExpiration {
    pub(super) days: Option<i64>,
    pub(super) date: Option<i64>,
    pub(super) marker: Option<bool>,
}

#[derive(Clone, Copy)]
pub(super) enum DraftTiming {
    Days(i64),
    Date(i64),
}

pub(super) fn draft_rule(rule: &Element) -> Result<Draft, S3Error> {
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

pub(super) const PREDICATES: [&str; 4] = [
    "Prefix",
    "Tag",
    "ObjectSizeGreaterThan",
    "ObjectSizeLessThan",
];

/// `<Filter>`: empty, or exactly one predicate, several only inside `<And>` (at least two).
pub(super) fn draft_filter(filter: &Element) -> Result<DraftFilter, S3Error> {
    let (shape, holder) = match filter::predicates(filter, &PREDICATES)? {
        Predicates::Empty => {
            return Ok(DraftFilter {
                shape: FilterShape::Empty,
                prefix: None,
                tags: Vec::new(),
                size_gt: None,
                size_lt: None,
            });
        }
        Predicates::Single(name, holder) => {
            let shape = match name {
                "Prefix" => FilterShape::Prefix,
                "Tag" => FilterShape::Tag,
                "ObjectSizeGreaterThan" => FilterShape::ObjectSizeGreaterThan,
                _ => FilterShape::ObjectSizeLessThan,
            };
            (shape, holder)
        }
        Predicates::And(holder) => (FilterShape::And, holder),
    };
    Ok(DraftFilter {
        shape,
        prefix: optional_text(holder, "Prefix")?,
        tags: filter::tags(holder)?,
        size_gt: integer(holder, "ObjectSizeGreaterThan")?,
        size_lt: integer(holder, "ObjectSizeLessThan")?,
    })
}

pub(super) fn storage_class(parent: &Element) -> Result<TransitionClass, S3Error> {
    // An enumeration in the schema: STANDARD, REDUCED_REDUNDANCY or a typo do not validate.
    TransitionClass::from_name(required_text(parent, "StorageClass")?.trim())
        .ok_or_else(S3Error::malformed_xml)
}

pub(super) fn integer(parent: &Element, name: &str) -> Result<Option<i64>, S3Error> {
    optional_text(parent, name)?
        .map(|text| {
            text.trim()
                .parse::<i64>()
                .map_err(|_| S3Error::malformed_xml())
        })
        .transpose()
}

pub(super) fn boolean(text: &str) -> Result<bool, S3Error> {
    match text.trim() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(S3Error::malformed_xml()),
    }
}

/// An ISO 8601 timestamp as milliseconds since the epoch (any time of day: the midnight rule is
/// a value rule, checked later). A date alone, or a time without offset, is UTC.
pub(super) fn date(parent: &Element, name: &str) -> Result<Option<i64>, S3Error> {
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
