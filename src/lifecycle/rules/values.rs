//! AWS's value rules on a schema-valid rule: InvalidArgument / InvalidRequest with AWS's
//! messages.

use super::schema::*;
use super::*;

/// One rule's values checked, in the order of the rule's elements (filter, then each action).
/// The ID stays empty when the document gave none; [`parse`] names it.
pub(super) fn validate_rule(draft: Draft, v2: bool) -> Result<Rule, S3Error> {
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
pub(super) fn clamp_days(days: i64) -> u32 {
    u32::try_from(days.max(0)).unwrap_or(u32::MAX)
}

pub(super) fn validate_filter(draft: DraftFilter) -> Result<Filter, S3Error> {
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

pub(super) fn validate_expiration(
    given: DraftExpiration,
    filter: &Filter,
) -> Result<Expiration, S3Error> {
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

pub(super) fn midnight(ms: i64) -> Result<i64, S3Error> {
    if ms.rem_euclid(DAY_MS) == 0 {
        Ok(ms)
    } else {
        Err(S3Error::invalid_argument("'Date' must be at midnight GMT"))
    }
}

pub(super) fn newer_versions(given: Option<i64>, action: &str) -> Result<Option<u32>, S3Error> {
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
pub(super) fn validate_transitions(
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

pub(super) fn mixed_expiration(scope: &str) -> S3Error {
    S3Error::invalid_request(format!(
        "Found mixed 'Date' and 'Days' based Expiration and Transition actions in lifecycle rule for {scope}"
    ))
}

pub(super) fn validate_noncurrent_transitions(
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

pub(super) fn distinct_classes(
    classes: &[TransitionClass],
    action: &str,
    scope: &str,
) -> Result<(), S3Error> {
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
pub(super) fn waterfall(
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
pub(super) fn overlapping_prefixes(rules: &[Rule]) -> Result<(), S3Error> {
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
    /// How AWS names a rule's scope in its error messages: `prefix 'logs/'` for a V1 rule,
    /// `filter '(prefix=logs/ and objectsizelessthan=100)'` for a V2 one.
    pub(super) fn describe(&self) -> String {
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
}
