//! Condition operators: the part of the policy language that compares a statement's `Condition`
//! values with the facts of one request (wildcards and `${key}` variables are in `pattern`).
//!
//! Owns: the request's condition keys ([`ConditionContext`]), the operator grammar
//! (`[ForAnyValue:|ForAllValues:]<Operator>[IfExists]`) and value parsing per operator family.
//! It does not know statements, principals or effects — `eval` decides when a condition block
//! is consulted, `document` where its JSON comes from.
//!
//! Invariants: condition key names are stored lower-case (AWS treats them case-insensitively);
//! nothing here panics on policy or request input.

use std::net::IpAddr;

use base64::Engine as _;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime};

use super::document::PolicyError;
use super::pattern::{Pattern, Tok, arn_matches, glob};

/// The request's condition keys: `aws:SourceIp`, `s3:prefix`, `s3:ExistingObjectTag/team`, ...
/// Names are case-insensitive; a key may carry several values (`aws:TagKeys`). A key inserted
/// with no values counts as absent, as AWS treats an empty data set.
///
/// A list, not a hash map: a request has about ten keys, and comparing ten short strings costs
/// less than hashing one (measured in `benches/micro.rs` "authorize").
#[derive(Default, Clone, Debug)]
pub struct ConditionContext {
    values: Vec<(String, Vec<String>)>,
}

impl ConditionContext {
    pub fn insert(&mut self, key: &str, values: Vec<String>) {
        let key = key.to_ascii_lowercase();
        match self.values.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = values,
            None => self.values.push((key, values)),
        }
    }

    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.values
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_slice())
    }

    /// The values of a key given in lower case.
    fn get_lower(&self, key: &str) -> Option<&Vec<String>> {
        self.values.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

/// What conditions and variables read during one evaluation: the caller's context first, then
/// keys derived from the principal (`aws:username`, `aws:PrincipalAccount`, ...) that the caller
/// did not set itself.
pub(crate) struct RequestKeys<'a> {
    context: &'a ConditionContext,
    derived: Vec<(&'static str, String)>,
}

impl<'a> RequestKeys<'a> {
    /// `derived` names must be lower-case.
    pub(crate) fn new(context: &'a ConditionContext, derived: Vec<(&'static str, String)>) -> Self {
        RequestKeys { context, derived }
    }

    /// The values of a (lower-case) key, `None` when absent or empty.
    pub(crate) fn get(&self, key: &str) -> Option<&[String]> {
        if let Some(values) = self.context.get_lower(key) {
            return (!values.is_empty()).then_some(values.as_slice());
        }
        self.derived
            .iter()
            .find(|(name, _)| *name == key)
            .map(|(_, value)| std::slice::from_ref(value))
    }

    /// A policy variable's value: only single-valued keys can be substituted (AWS: multivalued
    /// context keys cannot be used as policy variables).
    pub(super) fn variable(&self, key: &str) -> Option<&str> {
        match self.get(key)? {
            [one] => Some(one.as_str()),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Operators.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Comparison {
    fn holds<T: PartialOrd>(self, request: T, policy: T) -> bool {
        match self {
            Comparison::Eq => request == policy,
            Comparison::Lt => request < policy,
            Comparison::Le => request <= policy,
            Comparison::Gt => request > policy,
            Comparison::Ge => request >= policy,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    String,
    StringIgnoreCase,
    StringLike,
    Numeric(Comparison),
    Date(Comparison),
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

/// Base operator names; the negated ones match when the request value matches none of the
/// policy values.
const OPERATORS: &[(&str, Family, bool)] = &[
    ("StringEquals", Family::String, false),
    ("StringNotEquals", Family::String, true),
    ("StringEqualsIgnoreCase", Family::StringIgnoreCase, false),
    ("StringNotEqualsIgnoreCase", Family::StringIgnoreCase, true),
    ("StringLike", Family::StringLike, false),
    ("StringNotLike", Family::StringLike, true),
    ("NumericEquals", Family::Numeric(Comparison::Eq), false),
    ("NumericNotEquals", Family::Numeric(Comparison::Eq), true),
    ("NumericLessThan", Family::Numeric(Comparison::Lt), false),
    (
        "NumericLessThanEquals",
        Family::Numeric(Comparison::Le),
        false,
    ),
    ("NumericGreaterThan", Family::Numeric(Comparison::Gt), false),
    (
        "NumericGreaterThanEquals",
        Family::Numeric(Comparison::Ge),
        false,
    ),
    ("DateEquals", Family::Date(Comparison::Eq), false),
    ("DateNotEquals", Family::Date(Comparison::Eq), true),
    ("DateLessThan", Family::Date(Comparison::Lt), false),
    ("DateLessThanEquals", Family::Date(Comparison::Le), false),
    ("DateGreaterThan", Family::Date(Comparison::Gt), false),
    ("DateGreaterThanEquals", Family::Date(Comparison::Ge), false),
    ("Bool", Family::Bool, false),
    ("BinaryEquals", Family::Binary, false),
    ("IpAddress", Family::Ip, false),
    ("NotIpAddress", Family::Ip, true),
    ("ArnEquals", Family::Arn, false),
    ("ArnNotEquals", Family::Arn, true),
    ("ArnLike", Family::Arn, false),
    ("ArnNotLike", Family::Arn, true),
    ("Null", Family::Null, false),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetQualifier {
    /// No prefix: positive operators need one request value to match, negated ones need all.
    Single,
    /// `ForAnyValue:` — some request value satisfies the operator; false when the key is absent.
    AnyValue,
    /// `ForAllValues:` — every request value satisfies it; true when the key is absent.
    AllValues,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Operator {
    family: Family,
    negated: bool,
    if_exists: bool,
    set: SetQualifier,
}

impl Operator {
    fn parse(name: &str) -> Option<Operator> {
        let (set, rest) = if let Some(rest) = name.strip_prefix("ForAnyValue:") {
            (SetQualifier::AnyValue, rest)
        } else if let Some(rest) = name.strip_prefix("ForAllValues:") {
            (SetQualifier::AllValues, rest)
        } else {
            (SetQualifier::Single, name)
        };
        let (if_exists, base) = match rest.strip_suffix("IfExists") {
            // `Null` tests existence itself; `NullIfExists` is not an operator.
            Some("Null") => return None,
            Some(base) => (true, base),
            None => (false, rest),
        };
        let &(_, family, negated) = OPERATORS.iter().find(|(n, _, _)| *n == base)?;
        Some(Operator {
            family,
            negated,
            if_exists,
            set,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Values {
    Patterns(Vec<Pattern>),
    Numbers(Vec<f64>),
    /// Unix time in nanoseconds.
    Dates(Vec<i128>),
    /// `Bool` values, and `Null` values (true = the key must be absent).
    Bools(Vec<bool>),
    Bytes(Vec<Vec<u8>>),
    Cidrs(Vec<Cidr>),
}

/// One `"key": values` entry of an operator block.
#[derive(Debug, Clone, PartialEq)]
struct KeyTest {
    key: String,
    values: Values,
}

#[derive(Debug, Clone, PartialEq)]
struct Clause {
    op: Operator,
    tests: Vec<KeyTest>,
}

/// A `Condition` element as JSON gave it: operator name → (condition key → values as text).
pub(crate) type ConditionEntries = Vec<(String, Vec<(String, Vec<String>)>)>;

/// A statement's `Condition` element: every clause (operator) and every key in it must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ConditionBlock {
    clauses: Vec<Clause>,
}

/// Condition keys whose fixed values make a wildcard-principal grant non-public (S3's meaning of
/// "public"); `aws:SourceIp` is handled separately (any CIDR but `/0`).
const PINNING_KEYS: &[&str] = &[
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceowner",
    "aws:sourceaccount",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalorgid",
    "aws:userid",
    "s3:dataaccesspointarn",
    "s3:dataaccesspointaccount",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
];

impl ConditionBlock {
    /// Validates operators, keys and values. `entries`: operator name → (key → values), values
    /// already turned into strings. `variables`: policy version 2012-10-17.
    pub(crate) fn parse(
        entries: ConditionEntries,
        variables: bool,
    ) -> Result<ConditionBlock, PolicyError> {
        let mut clauses = Vec::with_capacity(entries.len());
        for (name, keys) in entries {
            let op = Operator::parse(&name)
                .ok_or_else(|| PolicyError::new(format!("Invalid Condition type : {name}")))?;
            let mut tests = Vec::with_capacity(keys.len());
            for (key, raw) in keys {
                if !valid_condition_key(&key) {
                    return Err(PolicyError::new(format!(
                        "Policy has an invalid condition key: {key}"
                    )));
                }
                let values = parse_values(op.family, &raw, variables).map_err(|bad| {
                    PolicyError::new(format!(
                        "Invalid Condition value for {name} on {key}: {bad}"
                    ))
                })?;
                tests.push(KeyTest {
                    key: key.to_ascii_lowercase(),
                    values,
                });
            }
            clauses.push(Clause { op, tests });
        }
        Ok(ConditionBlock { clauses })
    }

    pub(crate) fn matches(&self, keys: &RequestKeys<'_>) -> bool {
        self.clauses
            .iter()
            .all(|clause| clause.tests.iter().all(|test| test.holds(clause.op, keys)))
    }

    /// Whether some clause confines the statement to fixed values of a key that identifies the
    /// caller or its origin — what keeps an `Allow` to `"*"` from being public.
    pub(crate) fn pins_caller(&self) -> bool {
        self.clauses.iter().any(|clause| {
            let op = clause.op;
            // Negations, IfExists and ForAllValues all hold when the key is absent.
            if op.negated || op.if_exists || op.set == SetQualifier::AllValues {
                return false;
            }
            clause
                .tests
                .iter()
                .any(|test| match (&test.values, op.family) {
                    (Values::Cidrs(cidrs), Family::Ip) => {
                        test.key == "aws:sourceip"
                            && !cidrs.is_empty()
                            && cidrs.iter().all(|c| c.prefix > 0)
                    }
                    (
                        Values::Patterns(patterns),
                        Family::String
                        | Family::StringIgnoreCase
                        | Family::StringLike
                        | Family::Arn,
                    ) => {
                        PINNING_KEYS.contains(&test.key.as_str())
                            && !patterns.is_empty()
                            && patterns.iter().all(Pattern::is_fixed)
                    }
                    _ => false,
                })
        })
    }
}

fn valid_condition_key(key: &str) -> bool {
    let Some((prefix, name)) = key.split_once(':') else {
        return false;
    };
    !prefix.is_empty()
        && prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !name.is_empty()
        && !name.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Parses the policy values of one key for an operator family; `Err` carries the bad value.
fn parse_values(family: Family, raw: &[String], variables: bool) -> Result<Values, String> {
    fn each<T>(raw: &[String], f: impl Fn(&str) -> Option<T>) -> Result<Vec<T>, String> {
        raw.iter().map(|v| f(v).ok_or_else(|| v.clone())).collect()
    }
    Ok(match family {
        Family::String | Family::StringIgnoreCase => Values::Patterns(
            raw.iter()
                .map(|v| Pattern::parse(v, variables, false))
                .collect(),
        ),
        Family::StringLike | Family::Arn => Values::Patterns(
            raw.iter()
                .map(|v| Pattern::parse(v, variables, true))
                .collect(),
        ),
        Family::Numeric(_) => Values::Numbers(each(raw, parse_number)?),
        Family::Date(_) => Values::Dates(each(raw, parse_date)?),
        Family::Bool | Family::Null => Values::Bools(each(raw, parse_bool)?),
        Family::Binary => Values::Bytes(each(raw, parse_base64)?),
        Family::Ip => Values::Cidrs(each(raw, Cidr::parse)?),
    })
}

fn parse_number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

fn parse_bool(s: &str) -> Option<bool> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn parse_base64(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(s))
        .ok()
}

/// ISO 8601 (`2030-01-01T00:00:00Z`, with an offset, without one meaning UTC, or a bare date)
/// or epoch seconds, as Unix nanoseconds.
fn parse_date(s: &str) -> Option<i128> {
    let s = s.trim();
    if !s.is_empty()
        && s.trim_start_matches('-')
            .bytes()
            .all(|b| b.is_ascii_digit())
    {
        return s
            .parse::<i64>()
            .ok()
            .map(|secs| i128::from(secs) * 1_000_000_000);
    }
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t.unix_timestamp_nanos());
    }
    let local = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    if let Ok(t) = PrimitiveDateTime::parse(s, local) {
        return Some(t.assume_utc().unix_timestamp_nanos());
    }
    let day = format_description!("[year]-[month]-[day]");
    Date::parse(s, day)
        .ok()
        .map(|d| d.midnight().assume_utc().unix_timestamp_nanos())
}

/// An IPv4 or IPv6 network; a plain address is a /32 or /128.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    fn parse(s: &str) -> Option<Cidr> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((addr, prefix)) if prefix.bytes().all(|b| b.is_ascii_digit()) => (
                addr.parse::<IpAddr>().ok()?,
                Some(prefix.parse::<u8>().ok()?),
            ),
            Some(_) => return None,
            None => (s.parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Cidr { addr, prefix })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            // A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d.
            (IpAddr::V4(_), IpAddr::V6(ip)) => ip
                .to_ipv4_mapped()
                .is_some_and(|v4| self.contains(IpAddr::V4(v4))),
            (IpAddr::V6(_), IpAddr::V4(_)) => false,
        }
    }
}

impl KeyTest {
    /// One key of one operator, following AWS: a missing key fails positive operators, satisfies
    /// negated ones and `...IfExists`; `ForAllValues` holds and `ForAnyValue` fails on it.
    fn holds(&self, op: Operator, keys: &RequestKeys<'_>) -> bool {
        let request = keys.get(&self.key);
        if op.family == Family::Null {
            let absent = request.is_none();
            return match &self.values {
                Values::Bools(wants) => wants.contains(&absent),
                _ => false,
            };
        }
        let Some(request) = request else {
            return match op.set {
                SetQualifier::AllValues => true,
                SetQualifier::AnyValue => op.if_exists,
                SetQualifier::Single => op.if_exists || op.negated,
            };
        };
        let matcher = Matcher::new(&self.values, keys);
        let satisfies = |value: &String| matcher.any(op.family, value) != op.negated;
        match op.set {
            SetQualifier::Single if op.negated => request.iter().all(satisfies),
            SetQualifier::Single | SetQualifier::AnyValue => request.iter().any(satisfies),
            SetQualifier::AllValues => request.iter().all(satisfies),
        }
    }
}

/// A key's policy values prepared for one request: variables substituted once.
struct Matcher<'a> {
    values: &'a Values,
    /// Resolved string/ARN patterns; values whose variable has no value are left out.
    resolved: Vec<Vec<Tok<'a>>>,
}

impl<'a> Matcher<'a> {
    fn new(values: &'a Values, keys: &'a RequestKeys<'_>) -> Self {
        let resolved = match values {
            Values::Patterns(patterns) => patterns.iter().filter_map(|p| p.resolve(keys)).collect(),
            _ => Vec::new(),
        };
        Matcher { values, resolved }
    }

    /// Whether the request value matches any policy value (the positive sense of the operator).
    fn any(&self, family: Family, value: &str) -> bool {
        match (family, self.values) {
            (Family::String | Family::StringLike, _) => {
                self.resolved.iter().any(|toks| glob(toks, value, false))
            }
            (Family::StringIgnoreCase, _) => {
                let value = value.to_lowercase();
                self.resolved.iter().any(|toks| {
                    let joined: String = toks
                        .iter()
                        .map(|t| match t {
                            Tok::Lit(s) => *s,
                            Tok::Star => "*",
                            Tok::One => "?",
                        })
                        .collect();
                    joined.to_lowercase() == value
                })
            }
            (Family::Arn, _) => self.resolved.iter().any(|toks| arn_matches(toks, value)),
            (Family::Numeric(cmp), Values::Numbers(policy)) => {
                parse_number(value).is_some_and(|n| policy.iter().any(|&p| cmp.holds(n, p)))
            }
            (Family::Date(cmp), Values::Dates(policy)) => {
                parse_date(value).is_some_and(|d| policy.iter().any(|&p| cmp.holds(d, p)))
            }
            (Family::Bool, Values::Bools(policy)) => {
                parse_bool(value).is_some_and(|b| policy.contains(&b))
            }
            (Family::Binary, Values::Bytes(policy)) => {
                parse_base64(value).is_some_and(|b| policy.contains(&b))
            }
            (Family::Ip, Values::Cidrs(policy)) => value
                .trim()
                .parse::<IpAddr>()
                .is_ok_and(|ip| policy.iter().any(|c| c.contains(ip))),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_table() {
        let table = [
            ("10.0.0.0/8", "10.255.0.1", true),
            ("10.0.0.0/8", "11.0.0.1", false),
            ("10.0.0.1/8", "10.9.9.9", true),
            ("0.0.0.0/0", "1.2.3.4", true),
            ("192.0.2.7", "192.0.2.7", true),
            ("192.0.2.7", "192.0.2.8", false),
            ("2001:db8::/32", "2001:db8:ffff::1", true),
            ("2001:db8::/32", "2001:db9::1", false),
            ("::/0", "::1", true),
            ("10.0.0.0/8", "::ffff:10.1.1.1", true),
            ("::ffff:0:0/96", "10.1.1.1", false),
        ];
        for (cidr, ip, want) in table {
            let c = Cidr::parse(cidr).expect(cidr);
            let ip: IpAddr = ip.parse().expect(ip);
            assert_eq!(c.contains(ip), want, "{cidr} ∋ {ip}");
        }
        for bad in [
            "10.0.0.0/33",
            "::/129",
            "10.0.0/8",
            "x",
            "10.0.0.0/",
            "10.0.0.0/-1",
        ] {
            assert_eq!(Cidr::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates() {
        let day = parse_date("2030-01-01").expect("date");
        assert_eq!(parse_date("2030-01-01T00:00:00Z"), Some(day));
        assert_eq!(parse_date("2030-01-01T02:00:00+02:00"), Some(day));
        assert_eq!(parse_date("2030-01-01T00:00:00"), Some(day));
        assert_eq!(parse_date("1893456000"), Some(day));
        assert_eq!(parse_date("soon"), None);
        assert_eq!(parse_date("-"), None);
    }

    #[test]
    fn operator_names() {
        assert!(Operator::parse("ForAllValues:StringNotLikeIfExists").is_some());
        assert!(Operator::parse("ForAnyValue:Null").is_some());
        for bad in [
            "NullIfExists",
            "IfExists",
            "stringequals",
            "ForAnyValue:",
            "StringFoo",
        ] {
            assert_eq!(Operator::parse(bad), None, "{bad}");
        }
    }
}
