//! Which lifecycle action is due for an object version, when, and under which rule: pure
//! functions of the configuration, the version's facts and the length of a day.

use super::rules::*;

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

impl Filter {
    pub(crate) fn has_size_bounds(&self) -> bool {
        self.size_gt.is_some() || self.size_lt.is_some()
    }

    /// Whether an object of that key, size and tags is in the filter's scope.
    pub fn matches(&self, key: &str, size: u64, tags: &[(String, String)]) -> bool {
        super::filter::matches(self.prefix.as_deref(), &self.tags, key, tags)
            && self.size_gt.is_none_or(|bound| size > bound)
            && self.size_lt.is_none_or(|bound| size < bound)
    }
}
