//! Policy documents: parsing and validating the IAM policy language (bucket policies and identity
//! policies) into a typed [`PolicyDocument`], and answering S3's "is this policy public?".
//!
//! Owns: the JSON grammar (`Version`, `Id`, `Statement` with `Sid`, `Effect`, `Principal`,
//! `NotPrincipal`, `Action`, `NotAction`, `Resource`, `NotResource`, `Condition`), the size limits,
//! and the error messages, worded like AWS's `MalformedPolicy` answers. It does not decide
//! requests — `eval` does, over the types defined here — and knows nothing of storage.
//!
//! Invariants: a `PolicyDocument` only exists for input that passed every check, so evaluation
//! never meets an unknown field, an unparsable condition value or a bucket policy resource
//! outside its bucket. Duplicate JSON keys are rejected rather than silently "last one wins",
//! so what a reviewer reads is what gets enforced.

use std::collections::HashSet;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use super::condition::{ConditionBlock, ConditionEntries};
use super::eval::{self, Effect, EvalRequest};
use super::pattern::Pattern;

/// Which kind of policy a document is: the two differ in whether they name principals and in
/// what their resources may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// Attached to a bucket: names principals, resources are the bucket and its objects.
    Bucket,
    /// Attached to a user (or group): no principal, any resource ARN or `*`.
    Identity,
}

impl PolicyKind {
    /// S3 caps a bucket policy at 20 KiB; IAM caps a managed policy at 6,144 characters, not
    /// counting whitespace.
    pub fn max_len(self) -> usize {
        match self {
            PolicyKind::Bucket => 20 * 1024,
            PolicyKind::Identity => 6144,
        }
    }
}

/// Why a policy was rejected, in words like AWS's (`MalformedPolicy` for bucket policies,
/// `MalformedPolicyDocument` for identity policies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    pub message: String,
}

impl PolicyError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        PolicyError {
            message: message.into(),
        }
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PolicyError {}

/// Condition keys carrying the tags of the object a request addresses (lower case).
pub const EXISTING_OBJECT_TAG_PREFIX: &str = "s3:existingobjecttag/";

/// The policy language version. In 2008-10-17 (also what an absent `Version` means) `${...}` is
/// literal text; 2012-10-17 substitutes policy variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyVersion {
    Version2008,
    Version2012,
}

/// A parsed, validated policy.
#[derive(Debug, Clone)]
pub struct PolicyDocument {
    version: PolicyVersion,
    id: Option<String>,
    kind: PolicyKind,
    statements: Vec<Statement>,
    /// Whether a condition reads `s3:ExistingObjectTag/<key>`: only then must authorization
    /// read the object's tags first.
    reads_object_tags: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StatementEffect {
    Allow,
    Deny,
}

/// `Principal` or `NotPrincipal`, `Action` or `NotAction`, `Resource` or `NotResource`: a list
/// of entries and whether the statement applies to what they match or to everything else.
#[derive(Debug, Clone)]
pub(super) struct Matchers<T> {
    pub(super) negated: bool,
    pub(super) items: Vec<T>,
}

/// One entry of a `Principal` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PrincipalId {
    /// `"*"` or `{"AWS": "*"}`: everyone, anonymous callers included.
    Everyone,
    /// `{"AWS": "123456789012"}` or `arn:aws:iam::123456789012:root`: every principal of the
    /// account (its root user and its users).
    Account(String),
    /// A user (or role) ARN: exactly that principal.
    Arn(String),
    /// 64 hex digits, lower-case.
    CanonicalUser(String),
    /// `{"Service": "..."}`: accepted for compatibility with policies written for AWS, never
    /// matches (strata has no service principals).
    Service(String),
}

#[derive(Debug, Clone)]
pub(super) struct Statement {
    pub(super) sid: Option<String>,
    pub(super) effect: StatementEffect,
    /// `None` for identity policies.
    pub(super) principal: Option<Matchers<PrincipalId>>,
    pub(super) action: Matchers<Pattern>,
    pub(super) resource: Matchers<Pattern>,
    pub(super) condition: ConditionBlock,
}

impl PolicyDocument {
    /// Parse and validate. `bucket`: for bucket policies, every Resource must be this bucket or
    /// objects in it (else "Policy has invalid resource"). Bucket policies require Principal or
    /// NotPrincipal; identity policies must not have them. Size limit from
    /// [`PolicyKind::max_len`].
    pub fn parse(
        json: &str,
        kind: PolicyKind,
        bucket: Option<&str>,
    ) -> Result<PolicyDocument, PolicyError> {
        check_size(json, kind)?;
        if !json.trim_start().starts_with('{') {
            return Err(PolicyError::new(
                "Policies must be valid JSON and the first byte must be '{'",
            ));
        }
        let tree: Json =
            serde_json::from_str(json).map_err(|_| PolicyError::new("Invalid policy syntax."))?;
        let Json::Object(top) = &tree else {
            return Err(PolicyError::new("Invalid policy syntax."));
        };
        let top = Fields::new(top)?;
        top.allow_only(&["Version", "Id", "Statement"])?;
        let version = match top.get("Version") {
            None => PolicyVersion::Version2008,
            Some(Json::String(v)) if v == "2012-10-17" => PolicyVersion::Version2012,
            Some(Json::String(v)) if v == "2008-10-17" => PolicyVersion::Version2008,
            Some(_) => {
                return Err(PolicyError::new(
                    "The policy must contain a valid version string (2012-10-17 or 2008-10-17)",
                ));
            }
        };
        let id = match top.get("Id") {
            None => None,
            Some(Json::String(id)) => Some(id.clone()),
            Some(_) => {
                return Err(PolicyError::new(
                    "Invalid Id: the policy Id must be a string",
                ));
            }
        };
        let raw_statements: Vec<&Json> = match top.get("Statement") {
            None => return Err(PolicyError::new("Missing required field Statement")),
            Some(one @ Json::Object(_)) => vec![one],
            Some(Json::Array(list)) => list.iter().collect(),
            Some(_) => {
                return Err(PolicyError::new(
                    "Invalid Statement: must be an object or an array of objects",
                ));
            }
        };
        if raw_statements.is_empty() {
            return Err(PolicyError::new(
                "Invalid Statement: the policy has no statements",
            ));
        }
        let context = ParseContext {
            kind,
            bucket,
            variables: version == PolicyVersion::Version2012,
        };
        let mut statements = Vec::with_capacity(raw_statements.len());
        let mut sids = HashSet::new();
        for raw in raw_statements {
            let Json::Object(fields) = raw else {
                return Err(PolicyError::new(
                    "Invalid Statement: must be an object or an array of objects",
                ));
            };
            let statement = parse_statement(&Fields::new(fields)?, &context)?;
            if let Some(sid) = &statement.sid
                && !sid.is_empty()
                && !sids.insert(sid.clone())
            {
                return Err(PolicyError::new(format!(
                    "Statement IDs (SID) in a single policy must be unique: {sid}"
                )));
            }
            statements.push(statement);
        }
        Ok(PolicyDocument {
            version,
            id,
            kind,
            statements,
            // Conservative (a Sid could mention the key too): a false positive costs one read.
            reads_object_tags: json
                .to_ascii_lowercase()
                .contains(EXISTING_OBJECT_TAG_PREFIX),
        })
    }

    /// Deny if a statement that applies denies, else Allow if one allows, else NotApplicable.
    pub fn evaluate(&self, request: &EvalRequest<'_>) -> Effect {
        eval::evaluate(self, request)
    }

    /// For GetBucketPolicyStatus and BlockPublicPolicy: whether a statement Allows a wildcard
    /// principal (or everyone but a `NotPrincipal` list) without a condition that pins the caller
    /// to fixed values of `aws:SourceIp` (not `/0`), `aws:SourceArn`, `aws:SourceVpc(e)`,
    /// `aws:SourceAccount`, `aws:SourceOwner`, `aws:PrincipalAccount`, `aws:PrincipalArn`,
    /// `aws:PrincipalOrgID`, `aws:userid`, `s3:DataAccessPointArn/Account` or the SSE-KMS key id.
    pub fn is_public(&self) -> bool {
        self.statements.iter().any(|st| {
            let to_everyone = match &st.principal {
                None => false,
                Some(p) if p.negated => true,
                Some(p) => p.items.contains(&PrincipalId::Everyone),
            };
            st.effect == StatementEffect::Allow && to_everyone && !st.condition.pins_caller()
        })
    }

    /// Whether evaluating this policy needs the addressed object's tags as
    /// `s3:ExistingObjectTag/<key>` condition keys.
    pub fn reads_object_tags(&self) -> bool {
        self.reads_object_tags
    }

    pub fn version(&self) -> PolicyVersion {
        self.version
    }

    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    pub(super) fn statements(&self) -> &[Statement] {
        &self.statements
    }
}

fn check_size(json: &str, kind: PolicyKind) -> Result<(), PolicyError> {
    let max = kind.max_len();
    let (size, unit) = match kind {
        PolicyKind::Bucket => (json.len(), "bytes"),
        PolicyKind::Identity => (
            json.chars().filter(|c| !c.is_whitespace()).count(),
            "characters",
        ),
    };
    if size > max {
        return Err(PolicyError::new(format!(
            "Policy size {size} exceeds the maximum allowed policy size of {max} {unit}"
        )));
    }
    Ok(())
}

struct ParseContext<'a> {
    kind: PolicyKind,
    bucket: Option<&'a str>,
    variables: bool,
}

const STATEMENT_FIELDS: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

fn parse_statement(f: &Fields<'_>, cx: &ParseContext<'_>) -> Result<Statement, PolicyError> {
    f.allow_only(STATEMENT_FIELDS)?;
    let sid = match f.get("Sid") {
        None => None,
        Some(Json::String(sid)) => Some(sid.clone()),
        Some(_) => {
            return Err(PolicyError::new(
                "Invalid Sid: the statement Sid must be a string",
            ));
        }
    };
    let effect = match f.get("Effect") {
        None => return Err(PolicyError::new("Missing required field Effect")),
        Some(Json::String(e)) if e == "Allow" => StatementEffect::Allow,
        Some(Json::String(e)) if e == "Deny" => StatementEffect::Deny,
        Some(other) => {
            return Err(PolicyError::new(format!(
                "Invalid effect: {} (must be Allow or Deny)",
                other.describe()
            )));
        }
    };

    let principal = match (f.get("Principal"), f.get("NotPrincipal")) {
        (Some(_), Some(_)) => {
            return Err(PolicyError::new(
                "A statement cannot contain both Principal and NotPrincipal",
            ));
        }
        (None, None) => None,
        (Some(p), None) => Some((p, false)),
        (None, Some(p)) => Some((p, true)),
    };
    let principal = match (cx.kind, principal) {
        (PolicyKind::Identity, Some(_)) => {
            return Err(PolicyError::new(
                "Policy document should not specify a principal.",
            ));
        }
        (PolicyKind::Identity, None) => None,
        (PolicyKind::Bucket, None) => {
            return Err(PolicyError::new("Missing required field Principal"));
        }
        (PolicyKind::Bucket, Some((json, negated))) => Some(Matchers {
            negated,
            items: parse_principal(json)?,
        }),
    };

    let action = match either(f, "Action", "NotAction")? {
        None => return Err(PolicyError::new("Missing required field Action")),
        Some((json, negated)) => {
            let list = string_list(json, "Action")?;
            if list.is_empty() {
                return Err(PolicyError::new(
                    "Policy statement must contain actions (Action is empty).",
                ));
            }
            let items = list
                .into_iter()
                .map(|a| parse_action(a, cx.kind))
                .collect::<Result<_, _>>()?;
            Matchers { negated, items }
        }
    };

    let resource = match either(f, "Resource", "NotResource")? {
        None => return Err(PolicyError::new("Missing required field Resource")),
        Some((json, negated)) => {
            let list = string_list(json, "Resource")?;
            if list.is_empty() {
                return Err(PolicyError::new(
                    "Policy statement must contain resources (Resource is empty).",
                ));
            }
            let items = list
                .into_iter()
                .map(|r| parse_resource(r, cx))
                .collect::<Result<_, _>>()?;
            Matchers { negated, items }
        }
    };

    let condition = match f.get("Condition") {
        None => ConditionBlock::default(),
        Some(json) => ConditionBlock::parse(condition_entries(json)?, cx.variables)?,
    };

    Ok(Statement {
        sid,
        effect,
        principal,
        action,
        resource,
        condition,
    })
}

/// `Action`/`NotAction` (or the Resource pair): at most one of the two.
fn either<'a>(
    f: &Fields<'a>,
    plain: &str,
    not: &str,
) -> Result<Option<(&'a Json, bool)>, PolicyError> {
    match (f.get(plain), f.get(not)) {
        (Some(_), Some(_)) => Err(PolicyError::new(format!(
            "A statement cannot contain both {plain} and {not}"
        ))),
        (Some(json), None) => Ok(Some((json, false))),
        (None, Some(json)) => Ok(Some((json, true))),
        (None, None) => Ok(None),
    }
}

fn string_list<'a>(json: &'a Json, element: &str) -> Result<Vec<&'a str>, PolicyError> {
    let bad = || {
        PolicyError::new(format!(
            "Invalid {element}: must be a string or an array of strings"
        ))
    };
    match json {
        Json::String(s) => Ok(vec![s.as_str()]),
        Json::Array(items) => items
            .iter()
            .map(|item| match item {
                Json::String(s) => Ok(s.as_str()),
                _ => Err(bad()),
            })
            .collect(),
        _ => Err(bad()),
    }
}

fn parse_principal(json: &Json) -> Result<Vec<PrincipalId>, PolicyError> {
    let invalid = || PolicyError::new("Invalid principal in policy");
    match json {
        Json::String(s) if s == "*" => Ok(vec![PrincipalId::Everyone]),
        Json::Object(pairs) => {
            let fields = Fields::new(pairs)?;
            if fields.pairs.is_empty() {
                return Err(invalid());
            }
            let mut ids = Vec::new();
            for (kind, value) in fields.pairs {
                let values = string_list(value, "Principal").map_err(|_| invalid())?;
                if values.is_empty() {
                    return Err(invalid());
                }
                for v in values {
                    let id = match kind.as_str() {
                        "AWS" => parse_aws_principal(v),
                        "CanonicalUser" => (v.len() == 64
                            && v.bytes().all(|b| b.is_ascii_hexdigit()))
                        .then(|| PrincipalId::CanonicalUser(v.to_ascii_lowercase())),
                        "Service" => (!v.is_empty()
                            && !v.contains(|c: char| c.is_whitespace() || c == '*'))
                        .then(|| PrincipalId::Service(v.to_string())),
                        _ => None,
                    };
                    ids.push(id.ok_or_else(invalid)?);
                }
            }
            Ok(ids)
        }
        _ => Err(invalid()),
    }
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// `*`, a 12-digit account, `arn:<partition>:iam::<account>:root`, or a user/role ARN. AWS
/// allows no other wildcard in a principal.
fn parse_aws_principal(v: &str) -> Option<PrincipalId> {
    if v == "*" {
        return Some(PrincipalId::Everyone);
    }
    if is_account_id(v) {
        return Some(PrincipalId::Account(v.to_string()));
    }
    let parts: Vec<&str> = v.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = parts.as_slice() else {
        return None;
    };
    let well_formed = *arn == "arn"
        && !partition.is_empty()
        && partition
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'-')
        && region.is_empty()
        && is_account_id(account)
        && !v.contains(['*', '?']);
    if !well_formed {
        return None;
    }
    let named = |prefix: &str| {
        resource
            .strip_prefix(prefix)
            .is_some_and(|rest| !rest.is_empty() && !rest.ends_with('/'))
    };
    match *service {
        "iam" if *resource == "root" => Some(PrincipalId::Account((*account).to_string())),
        "iam" if named("user/") || named("role/") => Some(PrincipalId::Arn(v.to_string())),
        "sts" if named("assumed-role/") => Some(PrincipalId::Arn(v.to_string())),
        _ => None,
    }
}

/// `*` or `service:ActionName` with `*`/`?` wildcards, matched case-insensitively. Bucket
/// policies only grant S3 actions.
fn parse_action(a: &str, kind: PolicyKind) -> Result<Pattern, PolicyError> {
    let invalid = || PolicyError::new(format!("Policy has invalid action: {a}"));
    if a != "*" {
        let (service, name) = a.split_once(':').ok_or_else(invalid)?;
        let service_ok = !service.is_empty()
            && service
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        let name_ok = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'*' || b == b'?');
        if !service_ok || !name_ok {
            return Err(invalid());
        }
        if kind == PolicyKind::Bucket && !service.eq_ignore_ascii_case("s3") {
            return Err(invalid());
        }
    }
    Ok(Pattern::parse(a, false, true))
}

fn parse_resource(r: &str, cx: &ParseContext<'_>) -> Result<Pattern, PolicyError> {
    match cx.kind {
        PolicyKind::Identity => {
            let is_arn = r.starts_with("arn:") && r.matches(':').count() >= 5;
            if r != "*" && !is_arn {
                return Err(PolicyError::new(format!(
                    "Resource {r} must be in ARN format or \"*\"."
                )));
            }
        }
        PolicyKind::Bucket => {
            // The bucket part must name this bucket literally: a bucket policy cannot reach
            // other buckets, not even through a wildcard.
            let name = r
                .strip_prefix("arn:aws:s3:::")
                .map(|rest| rest.split('/').next().unwrap_or(rest));
            let ok = match (name, cx.bucket) {
                (Some(name), Some(bucket)) => name == bucket,
                (Some(name), None) => !name.is_empty() && !name.contains(['*', '?', '$']),
                (None, _) => false,
            };
            if !ok {
                return Err(PolicyError::new(format!(
                    "Policy has invalid resource: {r}"
                )));
            }
        }
    }
    Ok(Pattern::parse(r, cx.variables, true))
}

/// `{"Operator": {"key": value-or-values}}` → operator name → (key → values as strings).
fn condition_entries(json: &Json) -> Result<ConditionEntries, PolicyError> {
    let Json::Object(ops) = json else {
        return Err(PolicyError::new(
            "Invalid Condition: must be an object of operators",
        ));
    };
    let ops = Fields::new(ops)?;
    let mut entries = Vec::with_capacity(ops.pairs.len());
    for (op, block) in ops.pairs {
        let Json::Object(keys) = block else {
            return Err(PolicyError::new(format!(
                "Invalid Condition: {op} must map condition keys to values"
            )));
        };
        let keys = Fields::new(keys)?;
        let mut tests = Vec::with_capacity(keys.pairs.len());
        for (key, value) in keys.pairs {
            let bad = || {
                PolicyError::new(format!(
                    "Invalid Condition value for {op} on {key}: values must be strings, numbers or booleans"
                ))
            };
            let values = match value {
                Json::Array(items) => items
                    .iter()
                    .map(|item| item.scalar().ok_or_else(bad))
                    .collect::<Result<Vec<_>, _>>()?,
                other => vec![other.scalar().ok_or_else(bad)?],
            };
            if values.is_empty() {
                return Err(PolicyError::new(format!(
                    "Invalid Condition value for {op} on {key}: no values"
                )));
            }
            tests.push((key.clone(), values));
        }
        entries.push((op.clone(), tests));
    }
    Ok(entries)
}

// ---------------------------------------------------------------------------------------------
// A JSON tree that keeps every key of an object in order, duplicates included, so validation can
// reject them (serde_json::Value would keep only the last).

#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    /// The number as text (`10`, `1.5`): condition values are compared as strings or re-parsed.
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// A condition value as text.
    fn scalar(&self) -> Option<String> {
        match self {
            Json::String(s) | Json::Number(s) => Some(s.clone()),
            Json::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    fn describe(&self) -> String {
        match self {
            Json::String(s) => s.clone(),
            Json::Number(n) => n.clone(),
            Json::Bool(b) => b.to_string(),
            Json::Null => "null".into(),
            Json::Array(_) => "an array".into(),
            Json::Object(_) => "an object".into(),
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.to_string()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.to_string()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(Json::Number(v.to_string()))
    }

    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Json>()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut pairs = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value::<Json>()?;
            pairs.push((key, value));
        }
        Ok(Json::Object(pairs))
    }
}

/// An object's members, checked for duplicate keys.
struct Fields<'a> {
    pairs: &'a [(String, Json)],
}

impl<'a> Fields<'a> {
    fn new(pairs: &'a [(String, Json)]) -> Result<Self, PolicyError> {
        let mut seen = HashSet::with_capacity(pairs.len());
        for (key, _) in pairs {
            if !seen.insert(key.as_str()) {
                return Err(PolicyError::new(format!("Duplicate field {key}")));
            }
        }
        Ok(Fields { pairs })
    }

    fn get(&self, name: &str) -> Option<&'a Json> {
        self.pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    fn allow_only(&self, known: &[&str]) -> Result<(), PolicyError> {
        match self
            .pairs
            .iter()
            .find(|(k, _)| !known.contains(&k.as_str()))
        {
            Some((unknown, _)) => Err(PolicyError::new(format!("Unknown field {unknown}"))),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::policy::condition::ConditionContext;
    use crate::policy::eval::PrincipalFacts;

    const OK: &str =
        r#""Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*""#;
    const ID_OK: &str = r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*""#;

    fn doc(statement: &str) -> String {
        format!(r#"{{"Version":"2012-10-17","Statement":[{{{statement}}}]}}"#)
    }

    fn cond(condition: &str) -> String {
        doc(&format!(r#"{OK},"Condition":{condition}"#))
    }

    fn parse(json: &str, kind: PolicyKind) -> Result<PolicyDocument, PolicyError> {
        PolicyDocument::parse(json, kind, Some("b"))
    }

    #[test]
    #[rustfmt::skip]
    fn malformed_policies_say_what_is_wrong() {
        use PolicyKind::{Bucket as B, Identity as I};
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let big_bucket = doc(&format!(r#"{OK},"Sid":"{}""#, "x".repeat(21 * 1024)));
        let big_identity = doc(&format!(r#"{ID_OK},"Sid":"{}""#, "x".repeat(6200)));
        let table: Vec<(PolicyKind, String, &str)> = vec![
            (B, "nope".into(), "first byte must be '{'"),
            (B, "[1]".into(), "first byte must be '{'"),
            (B, "{".into(), "Invalid policy syntax"),
            (B, format!("{} x", doc(OK)), "Invalid policy syntax"),
            (B, format!(r#"{{"Statement":{deep}}}"#), "Invalid policy syntax"),
            (B, format!(r#"{{"Version":"2012-10-17","Statement":[{{{OK}}}],"Foo":1}}"#), "Unknown field Foo"),
            (B, doc(&format!(r#"{OK},"Actions":"s3:*""#)), "Unknown field Actions"),
            (B, format!(r#"{{"Version":"2020-01-01","Statement":[{{{OK}}}]}}"#), "valid version"),
            (B, format!(r#"{{"Version":20121017,"Statement":[{{{OK}}}]}}"#), "valid version"),
            (B, r#"{"Version":"2012-10-17"}"#.into(), "Missing required field Statement"),
            (B, r#"{"Version":"2012-10-17","Statement":[]}"#.into(), "no statements"),
            (B, r#"{"Statement":"x"}"#.into(), "Invalid Statement"),
            (B, r#"{"Statement":["x"]}"#.into(), "Invalid Statement"),
            (B, format!(r#"{{"Id":5,"Statement":[{{{OK}}}]}}"#), "Invalid Id"),
            (B, doc(r#""Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b""#), "Missing required field Effect"),
            (B, doc(r#""Effect":"allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b""#), "Invalid effect: allow"),
            (B, doc(&format!(r#"{OK},"NotAction":"s3:PutObject""#)), "both Action and NotAction"),
            (B, doc(r#""Effect":"Allow","Principal":"*","Resource":"arn:aws:s3:::b""#), "Missing required field Action"),
            (B, doc(r#""Effect":"Allow","Principal":"*","Action":[],"Resource":"arn:aws:s3:::b""#), "must contain actions"),
            (B, doc(r#""Effect":"Allow","Principal":"*","Action":"GetObject","Resource":"arn:aws:s3:::b""#), "invalid action: GetObject"),
            (B, doc(r#""Effect":"Allow","Principal":"*","Action":"iam:CreateUser","Resource":"arn:aws:s3:::b""#), "invalid action: iam:CreateUser"),
            (B, doc(r#""Effect":"Allow","Principal":"*","Action":"s3:Get Object","Resource":"arn:aws:s3:::b""#), "invalid action: s3:Get Object"),
            (B, doc(r#""Effect":"Allow","Principal":"*","Action":5,"Resource":"arn:aws:s3:::b""#), "Invalid Action"),
            (B, doc(r#""Effect":"Allow","Principal":"*","Action":"s3:*""#), "Missing required field Resource"),
            (B, doc(&format!(r#"{OK},"NotResource":"arn:aws:s3:::b/x""#)), "both Resource and NotResource"),
            (B, doc(r#""Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::other/*""#), "Policy has invalid resource"),
            (B, doc(r#""Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*""#), "Policy has invalid resource"),
            (B, doc(r#""Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b*""#), "Policy has invalid resource"),
            (B, doc(r#""Effect":"Allow","Principal":"*","Action":"s3:*","Resource":[]"#), "must contain resources"),
            (I, doc(r#""Effect":"Allow","Action":"s3:*","Resource":"b/key""#), "must be in ARN format"),
            (B, doc(r#""Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b""#), "Missing required field Principal"),
            (I, doc(&format!(r#"{ID_OK},"Principal":"*""#)), "should not specify a principal"),
            (B, doc(&format!(r#"{OK},"NotPrincipal":{{"AWS":"111122223333"}}"#)), "both Principal and NotPrincipal"),
            (B, doc(r#""Effect":"Allow","Principal":{"AWS":"bob"},"Action":"s3:*","Resource":"arn:aws:s3:::b""#), "Invalid principal"),
            (B, doc(r#""Effect":"Allow","Principal":{"AWS":"arn:aws:iam::*:root"},"Action":"s3:*","Resource":"arn:aws:s3:::b""#), "Invalid principal"),
            (B, doc(r#""Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/*"},"Action":"s3:*","Resource":"arn:aws:s3:::b""#), "Invalid principal"),
            (B, doc(r#""Effect":"Allow","Principal":{"CanonicalUser":"abc"},"Action":"s3:*","Resource":"arn:aws:s3:::b""#), "Invalid principal"),
            (B, doc(r#""Effect":"Allow","Principal":{"Federated":"x"},"Action":"s3:*","Resource":"arn:aws:s3:::b""#), "Invalid principal"),
            (B, doc(r#""Effect":"Allow","Principal":{},"Action":"s3:*","Resource":"arn:aws:s3:::b""#), "Invalid principal"),
            (B, doc(r#""Effect":"Allow","Principal":{"AWS":[]},"Action":"s3:*","Resource":"arn:aws:s3:::b""#), "Invalid principal"),
            (B, doc(r#""Effect":"Allow","Principal":"everyone","Action":"s3:*","Resource":"arn:aws:s3:::b""#), "Invalid principal"),
            (B, cond(r#"{"StringFoo":{"s3:prefix":"a"}}"#), "Invalid Condition type : StringFoo"),
            (B, cond(r#"{"NullIfExists":{"s3:prefix":"true"}}"#), "Invalid Condition type : NullIfExists"),
            (B, cond(r#"{"ForSomeValues:StringEquals":{"s3:prefix":"a"}}"#), "Invalid Condition type : ForSomeValues:StringEquals"),
            (B, cond(r#"{"StringEquals":{"prefix":"a"}}"#), "invalid condition key: prefix"),
            (B, cond(r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}"#), "IpAddress on aws:SourceIp: 10.0.0.0/33"),
            (B, cond(r#"{"NumericLessThan":{"s3:max-keys":"ten"}}"#), "NumericLessThan on s3:max-keys: ten"),
            (B, cond(r#"{"DateLessThan":{"aws:CurrentTime":"tomorrow"}}"#), "DateLessThan on aws:CurrentTime: tomorrow"),
            (B, cond(r#"{"Bool":{"aws:SecureTransport":"yes"}}"#), "Bool on aws:SecureTransport: yes"),
            (B, cond(r#"{"BinaryEquals":{"s3:x-bin":"***"}}"#), "BinaryEquals on s3:x-bin: ***"),
            (B, cond(r#"{"Null":{"s3:prefix":"maybe"}}"#), "Null on s3:prefix: maybe"),
            (B, cond(r#"{"StringEquals":{"s3:prefix":{"a":1}}}"#), "values must be strings, numbers or booleans"),
            (B, cond(r#"{"StringEquals":{"s3:prefix":[null]}}"#), "values must be strings, numbers or booleans"),
            (B, cond(r#"{"StringEquals":{"s3:prefix":[]}}"#), "no values"),
            (B, cond(r#""x""#), "Invalid Condition"),
            (B, cond(r#"{"StringEquals":"x"}"#), "StringEquals must map condition keys"),
            (B, format!(r#"{{"Statement":[{{{OK},"Sid":"s1"}},{{{OK},"Sid":"s1"}}]}}"#), "(SID) in a single policy must be unique"),
            (B, doc(&format!(r#"{OK},"Effect":"Deny""#)), "Duplicate field Effect"),
            (B, cond(r#"{"StringEquals":{"s3:prefix":"a","s3:prefix":"b"}}"#), "Duplicate field s3:prefix"),
            (B, doc(&format!(r#"{OK},"Sid":5"#)), "Invalid Sid"),
            (B, big_bucket, "exceeds the maximum allowed policy size of 20480 bytes"),
            (I, big_identity, "exceeds the maximum allowed policy size of 6144 characters"),
        ];
        assert!(table.len() >= 25);
        for (kind, json, want) in &table {
            match parse(json, *kind) {
                Ok(_) => panic!("accepted: {json}"),
                Err(e) => assert!(e.message.contains(want), "{json}\n  said {:?}, want {want:?}", e.message),
            }
        }
    }

    #[test]
    fn valid_forms() {
        let one = parse(
            &format!(r#"{{"Id":"p1","Statement":{{{OK}}}}}"#),
            PolicyKind::Bucket,
        )
        .expect("object statement");
        assert_eq!(one.version(), PolicyVersion::Version2008);
        assert_eq!(one.id(), Some("p1"));
        assert_eq!(one.kind(), PolicyKind::Bucket);
        // Whitespace does not count against the identity policy limit.
        let padded = doc(&format!("{ID_OK}{}", " ".repeat(8000)));
        assert!(parse(&padded, PolicyKind::Identity).is_ok());
        // Without a bucket to check against, any single bucket is accepted.
        let other = doc(
            r#""Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::other/*""#,
        );
        assert!(PolicyDocument::parse(&other, PolicyKind::Bucket, None).is_ok());
        let values = cond(
            r#"{"NumericLessThan":{"s3:max-keys":[10,"20"]},"Bool":{"aws:SecureTransport":true},"Null":{"s3:x":false}}"#,
        );
        assert!(parse(&values, PolicyKind::Bucket).is_ok());
        let service = doc(
            r#""Effect":"Allow","Principal":{"Service":"logging.s3.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::b/logs/*""#,
        );
        assert!(parse(&service, PolicyKind::Bucket).is_ok());
    }

    #[test]
    #[rustfmt::skip]
    fn is_public_table() {
        let stmt = |principal: &str, effect: &str, condition: &str| {
            let condition = if condition.is_empty() { String::new() } else { format!(r#","Condition":{condition}"#) };
            doc(&format!(r#""Effect":"{effect}","Principal":{principal},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"{condition}"#))
        };
        let star = r#""*""#;
        let table = [
            (stmt(star, "Allow", ""), true),
            (stmt(r#"{"AWS":"*"}"#, "Allow", ""), true),
            (stmt(r#"{"AWS":["111122223333","*"]}"#, "Allow", ""), true),
            (stmt(r#"{"AWS":"111122223333"}"#, "Allow", ""), false),
            (stmt(star, "Deny", ""), false),
            (stmt(star, "Allow", r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#), false),
            (stmt(star, "Allow", r#"{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","0.0.0.0/0"]}}"#), true),
            (stmt(star, "Allow", r#"{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#), true),
            (stmt(star, "Allow", r#"{"StringEquals":{"aws:SourceAccount":"111122223333"}}"#), false),
            (stmt(star, "Allow", r#"{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}"#), false),
            (stmt(star, "Allow", r#"{"ArnEquals":{"aws:SourceArn":"arn:aws:s3:::src"}}"#), false),
            (stmt(star, "Allow", r#"{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::*"}}"#), true),
            (stmt(star, "Allow", r#"{"StringEqualsIfExists":{"aws:SourceVpce":"vpce-1"}}"#), true),
            (stmt(star, "Allow", r#"{"StringNotEquals":{"aws:PrincipalAccount":"111122223333"}}"#), true),
            (stmt(star, "Allow", r#"{"ForAllValues:StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}"#), true),
            (stmt(star, "Allow", r#"{"StringEquals":{"aws:userid":"${aws:userid}"}}"#), true),
            (stmt(star, "Allow", r#"{"StringEquals":{"s3:prefix":"public/"}}"#), true),
            (stmt(r#"{"AWS":"111122223333"}"#, "Allow", r#"{"StringEquals":{"s3:prefix":"public/"}}"#), false),
            (doc(r#""Effect":"Allow","NotPrincipal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*""#), true),
            (format!(r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"AWS":"111122223333"}},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}},{{{OK}}}]}}"#), true),
        ];
        for (json, want) in &table {
            let doc = parse(json, PolicyKind::Bucket).unwrap_or_else(|e| panic!("{json}: {e}"));
            assert_eq!(doc.is_public(), *want, "{json}");
        }
        let identity = parse(&doc(ID_OK), PolicyKind::Identity).expect("identity");
        assert!(!identity.is_public());
    }

    fn evaluate_some(doc: &PolicyDocument) {
        let context = ConditionContext::default();
        for facts in [
            PrincipalFacts::default(),
            PrincipalFacts {
                account_id: Some("111122223333"),
                arn: Some("arn:aws:iam::111122223333:user/alice"),
                canonical_id: None,
                is_root: false,
                user_id: None,
            },
        ] {
            for resource in ["arn:aws:s3:::b/k", "*", ""] {
                let _ = doc.evaluate(&EvalRequest {
                    principal: &facts,
                    action: "s3:GetObject",
                    resource,
                    context: &context,
                });
            }
        }
        let _ = doc.is_public();
    }

    /// Seeds the mutation fuzzer starts from: valid policies touching every part of the grammar.
    const SEEDS: &[&str] = &[
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"a","Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::111122223333:user/alice"]},"Action":["s3:Get*"],"Resource":"arn:aws:s3:::b/${aws:username}/*","Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":["a*","${*}"]},"IpAddressIfExists":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]}}}]}"#,
        r#"{"Statement":{"Effect":"Deny","NotPrincipal":{"CanonicalUser":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},"NotAction":"s3:*","NotResource":["arn:aws:s3:::b"],"Condition":{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"},"Null":{"s3:x":true},"NumericEquals":{"s3:max-keys":10}}}}"#,
    ];

    proptest! {
        #[test]
        fn arbitrary_strings_never_panic(s in "\\PC{0,300}") {
            for kind in [PolicyKind::Bucket, PolicyKind::Identity] {
                if let Ok(doc) = PolicyDocument::parse(&s, kind, Some("b")) { evaluate_some(&doc); }
            }
        }

        #[test]
        fn json_ish_strings_never_panic(s in r#"\{[{}\[\]":, a-zA-Z0-9*?$/.'\\-]{0,400}"#) {
            for kind in [PolicyKind::Bucket, PolicyKind::Identity] {
                if let Ok(doc) = PolicyDocument::parse(&s, kind, Some("b")) { evaluate_some(&doc); }
            }
        }

        /// Splices tokens into valid policies at random places: most results are near-valid
        /// documents, which reach deep into validation and evaluation.
        #[test]
        fn mutated_policies_never_panic(
            seed in 0..SEEDS.len(),
            edits in prop::collection::vec((any::<prop::sample::Index>(), 0..4usize, prop::sample::select(vec![
                "\"", "{", "}", "[", "]", ",", ":", "*", "?", "${", "}", "${aws:username}", "''", "é", "\\u0000",
                "\"StringLike\"", "\"Null\"", "IfExists", "ForAllValues:", "true", "1e999", "-0", "/", "::", "arn:aws:s3:::",
            ])), 1..6),
        ) {
            let mut s = SEEDS[seed].to_string();
            for (at, len, token) in edits {
                let mut i = at.index(s.len() + 1);
                while !s.is_char_boundary(i) { i -= 1; }
                let mut j = (i + len).min(s.len());
                while !s.is_char_boundary(j) { j -= 1; }
                s.replace_range(i..j.max(i), token);
            }
            for kind in [PolicyKind::Bucket, PolicyKind::Identity] {
                if let Ok(doc) = PolicyDocument::parse(&s, kind, Some("b")) { evaluate_some(&doc); }
            }
        }
    }
}
