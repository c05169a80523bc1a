//! GetBucketLifecycleConfiguration's document.

use super::*;
use crate::s3::xml::XmlWriter;
use time::OffsetDateTime;
use time::macros::format_description;

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

pub(super) fn render_rule(out: &mut XmlWriter, rule: &Rule) {
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

pub(super) fn render_filter(out: &mut XmlWriter, filter: &Filter) {
    if filter.shape == FilterShape::LegacyPrefix {
        out.elem("Prefix", filter.prefix.as_deref().unwrap_or_default());
        return;
    }
    out.open("Filter");
    let and = filter.shape == FilterShape::And;
    if and {
        out.open("And");
    }
    crate::lifecycle::filter::render_prefix_and_tags(out, filter.prefix.as_deref(), &filter.tags);
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
pub(super) fn format_date(ms: i64) -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}
