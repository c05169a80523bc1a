//! Browser POST uploads (`POST /<bucket>` with `multipart/form-data`): the form's credentials and
//! the signed POST policy that rules the form.
//!
//! The HTTP layer parses the body and calls [`verify_post_policy`] with the text fields that
//! precede the `file` field (names as sent, `${filename}` already substituted in their values),
//! then checks the file's size with [`PostPolicyAuth::check_size`] once it is known.
//!
//! Authentication, in S3's order:
//! 1. `key` must be present, and the fields before the file fit in [`MAX_POST_PRE_DATA`].
//! 2. The credential fields decide the scheme: `x-amz-algorithm`/`x-amz-credential`/
//!    `x-amz-signature` mean SigV4 (hex HMAC-SHA256 of the base64 policy, under the signing key of
//!    the credential's scope), `AWSAccessKeyId`/`signature` mean SigV2 (base64 HMAC-SHA1 of the
//!    base64 policy). Every field the scheme needs must be there. With none of them the upload is
//!    anonymous, and a policy it may carry is ignored: nobody signed it, so it restricts nothing
//!    the sender could not drop.
//! 3. The signature is checked over the policy text as received, before it is decoded. The SigV4
//!    signing key is derived for the credential's own day and the server's region; `x-amz-date`
//!    is not compared with that day (S3 is not known to), but the policy must pin it, since every
//!    field needs a condition.
//! 4. The policy is decoded (`InvalidPolicyDocument` when it cannot be read), its expiration
//!    checked, then every condition, then the rule that every field is covered by a condition.
//!
//! Field and condition names, operators included, compare case-insensitively; values compare
//! exactly. A condition on a field the form lacks fails, even `starts-with ""`, as on S3. The
//! `bucket` condition is checked against the bucket the request addresses, and that bucket counts
//! as a field which a condition must cover. Several fields with one name are matched as their
//! values joined with commas. `starts-with` on `Content-Type` treats a comma-separated value as a
//! list whose every item must match.
//!
//! Refusals read like S3's: `AccessDenied` "Invalid according to Policy: ..." for an expired
//! policy, a failed condition (printed as S3 prints it, a simple condition as `["eq", ...]`) and
//! uncovered fields; `InvalidArgument` for a missing or malformed credential field;
//! `InvalidPolicyDocument` for a policy that is not a policy.

use std::borrow::Cow;
use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use serde_json::Value;

use super::SecretLookup;
use super::error::{AuthError, MAX_POST_PRE_DATA};
use super::signing_key::SIGNING_KEYS;
use super::sigv2;
use super::sigv4::{
    ALGORITHM, CREDENTIAL_SHAPE, Credential, TERMINATOR, parse_amz_date, signature,
    signatures_match,
};

/// Base64 as browsers' and SDKs' encoders write it: padding optional, line breaks (which some
/// encoders insert every 76 characters) removed before decoding.
const POLICY_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Fields no condition needs to cover: the credentials, the policy itself, the file, and
/// whatever the form author marked `x-ignore-`.
const EXEMPT: &[&str] = &[
    "policy",
    "signature",
    "x-amz-signature",
    "awsaccesskeyid",
    "file",
];

/// An authenticated (or anonymous) browser upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostPolicyAuth {
    /// The access key that signed the policy; `None` for an anonymous upload.
    pub access_key: Option<String>,
    /// The policy's `content-length-range` (intersected, if it has several).
    range: Option<(u64, u64)>,
}

impl PostPolicyAuth {
    /// `content-length-range` bounds (inclusive), if the policy has one.
    pub fn content_length_range(&self) -> Option<(u64, u64)> {
        self.range
    }

    /// Checks the file's size against `content-length-range`: `EntityTooSmall` or
    /// `EntityTooLarge` (400) with the proposed size and the bound, as S3 answers.
    pub fn check_size(&self, size: u64) -> Result<(), AuthError> {
        match self.range {
            Some((min, _)) if size < min => Err(AuthError::EntityTooSmall {
                proposed: size,
                min,
            }),
            Some((_, max)) if size > max => Err(AuthError::EntityTooLarge {
                proposed: size,
                max,
            }),
            _ => Ok(()),
        }
    }
}

/// The form, with case-insensitive lookups.
struct Form<'a>(&'a [(String, String)]);

impl<'a> Form<'a> {
    fn values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'a str> + 's {
        self.0
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn first(&self, name: &str) -> Option<&'a str> {
        self.values(name).next()
    }

    /// The value conditions see: repeated fields joined with commas, as S3 documents.
    fn joined(&self, name: &str) -> Option<Cow<'a, str>> {
        let mut values = self.values(name);
        let first = values.next()?;
        match values.next() {
            None => Some(Cow::Borrowed(first)),
            Some(second) => {
                let mut all = format!("{first},{second}");
                for v in values {
                    all.push(',');
                    all.push_str(v);
                }
                Some(Cow::Owned(all))
            }
        }
    }

    /// A credential field, `display` being the name S3 uses when it is missing. Empty values
    /// count as missing: they can carry neither a key nor a signature.
    fn required(&self, name: &str, display: &'static str) -> Result<&'a str, AuthError> {
        self.first(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| missing_field(display))
    }
}

/// S3's answer to a form without a required field (fields after `file` are never seen, hence
/// the hint about their order). Two spaces after the first sentence, as S3 writes it.
fn missing_field(name: &'static str) -> AuthError {
    AuthError::invalid_argument(
        format!(
            "Bucket POST must contain a field named '{name}'.  If it is specified, please check the order of the fields."
        ),
        name,
        "",
    )
}

/// Who signed the policy, and how.
enum Signer<'a> {
    V2 {
        access_key: &'a str,
    },
    V4 {
        credential: Credential<'a>,
        /// The credential's day, for the signing key.
        day: SystemTime,
    },
}

/// Verifies the form's credentials and its policy; see the module documentation for the rules.
/// `fields` are the text fields before the file, in order, names as sent; `bucket` is the bucket
/// the request addresses; `region` the server's.
pub fn verify_post_policy(
    fields: &[(String, String)],
    bucket: &str,
    secrets: &dyn SecretLookup,
    region: &str,
    now: SystemTime,
) -> Result<PostPolicyAuth, AuthError> {
    let size: usize = fields.iter().map(|(n, v)| n.len() + v.len()).sum();
    if size > MAX_POST_PRE_DATA {
        return Err(AuthError::MaxPostPreDataLengthExceeded);
    }
    let form = Form(fields);
    form.first("key").ok_or_else(|| missing_field("key"))?;
    let present = |name| form.first(name).is_some();
    let (signer, policy_text, provided) =
        if ["x-amz-algorithm", "x-amz-credential", "x-amz-signature"]
            .into_iter()
            .any(present)
        {
            let algorithm = form.required("x-amz-algorithm", "X-Amz-Algorithm")?;
            let credential = form.required("x-amz-credential", "X-Amz-Credential")?;
            let date = form.required("x-amz-date", "X-Amz-Date")?;
            let provided = form.required("x-amz-signature", "X-Amz-Signature")?;
            let policy = form.required("policy", "Policy")?;
            let signer = v4_signer(algorithm, credential, date, region)?;
            (signer, policy, provided)
        } else if ["awsaccesskeyid", "signature"].into_iter().any(present) {
            let access_key = form.required("awsaccesskeyid", "AWSAccessKeyId")?;
            let provided = form.required("signature", "Signature")?;
            let policy = form.required("policy", "Policy")?;
            (Signer::V2 { access_key }, policy, provided)
        } else {
            return Ok(PostPolicyAuth {
                access_key: None,
                range: None,
            });
        };
    let access_key = check_signature(&signer, policy_text, provided, secrets)?;
    let policy = Policy::parse(policy_text)?;
    if now > policy.expiration {
        return Err(AuthError::access_denied(
            "Invalid according to Policy: Policy expired.",
        ));
    }
    let range = policy.check(&form, bucket)?;
    Ok(PostPolicyAuth {
        access_key: Some(access_key.to_owned()),
        range,
    })
}

/// Validates the SigV4 credential fields against the server's scope.
fn v4_signer<'a>(
    algorithm: &str,
    raw: &'a str,
    date: &str,
    region: &str,
) -> Result<Signer<'a>, AuthError> {
    if algorithm != ALGORITHM {
        return Err(AuthError::invalid_argument(
            "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"",
            "X-Amz-Algorithm",
            algorithm,
        ));
    }
    let bad = |message: String| AuthError::invalid_argument(message, "X-Amz-Credential", raw);
    if raw.starts_with('/') {
        return Err(bad(
            "a non-empty Access Key (AKID) must be provided in the credential.".to_owned(),
        ));
    }
    let credential = Credential::parse(raw).ok_or_else(|| bad(CREDENTIAL_SHAPE.to_owned()))?;
    let day = parse_amz_date(&format!("{}T000000Z", credential.date)).ok_or_else(|| {
        bad(format!(
            "incorrect date format \"{}\". This date in the credential must be in the format \"yyyyMMdd\".",
            credential.date
        ))
    })?;
    if credential.region != region {
        return Err(AuthError::InvalidArgument {
            message: Cow::Owned(format!(
                "the region '{}' is wrong; expecting '{region}'",
                credential.region
            )),
            argument_name: "X-Amz-Credential",
            argument_value: raw.to_owned(),
            region: Some(region.to_owned()),
        });
    }
    if credential.service != "s3" {
        return Err(bad(format!(
            "incorrect service \"{}\". This endpoint belongs to \"s3\".",
            credential.service
        )));
    }
    if credential.terminator != TERMINATOR {
        return Err(bad(format!(
            "incorrect terminal \"{}\". This endpoint uses \"{TERMINATOR}\".",
            credential.terminator
        )));
    }
    if parse_amz_date(date).is_none() {
        // S3's spelling.
        return Err(AuthError::invalid_argument(
            "X-Amz-Date must be formated via ISO8601 Long format",
            "X-Amz-Date",
            date,
        ));
    }
    Ok(Signer::V4 { credential, day })
}

/// Recomputes the policy's signature; returns the access key on a match.
fn check_signature<'a>(
    signer: &Signer<'a>,
    policy: &str,
    provided: &str,
    secrets: &dyn SecretLookup,
) -> Result<&'a str, AuthError> {
    let access_key = match signer {
        Signer::V2 { access_key } => *access_key,
        Signer::V4 { credential, .. } => credential.access_key,
    };
    let secret = secrets
        .secret_key(access_key)
        .ok_or_else(|| AuthError::InvalidAccessKeyId {
            access_key: access_key.to_owned(),
        })?;
    let computed = match signer {
        Signer::V2 { .. } => sigv2::sign(&secret, policy.as_bytes()),
        Signer::V4 { credential, day } => {
            let key = SIGNING_KEYS.get(
                access_key,
                &secret,
                *day,
                credential.date,
                credential.region,
                credential.service,
            );
            signature(key.as_ref(), policy)
        }
    };
    if !signatures_match(&computed, provided) {
        tracing::debug!(access_key, "post policy signature mismatch");
        // S3 reports the policy as the string to sign: it is what was signed.
        return Err(AuthError::signature_mismatch(
            access_key,
            policy.to_owned(),
            String::new(),
            provided,
        ));
    }
    Ok(access_key)
}

/// A decoded POST policy.
struct Policy {
    expiration: SystemTime,
    conditions: Vec<Condition>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    StartsWith,
}

/// A `content-length-range` bound: a number, or a string S3 reads when it evaluates the
/// condition (a string that is not a number fails the condition rather than the policy).
enum Bound {
    Number(u64),
    Text(String),
}

impl Bound {
    fn value(&self) -> Option<u64> {
        match self {
            Bound::Number(n) => Some(*n),
            Bound::Text(t) => t.trim().parse().ok(),
        }
    }
}

enum Test {
    /// `field` is the lowercased name after `$`; `None` when the condition forgot the `$`, which
    /// names no field and therefore never holds.
    Match {
        op: Op,
        field: Option<String>,
        expected: String,
    },
    Range(Bound, Bound),
}

struct Condition {
    test: Test,
    /// How S3 prints the condition when it fails.
    display: String,
}

fn invalid_json() -> AuthError {
    AuthError::invalid_policy("Invalid Policy: Invalid JSON.")
}

impl Policy {
    fn parse(text: &str) -> Result<Policy, AuthError> {
        let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let bytes = POLICY_BASE64
            .decode(compact)
            .map_err(|_| AuthError::invalid_policy("Invalid Policy: invalid Base64 encoding."))?;
        let json = String::from_utf8(bytes).map_err(|_| invalid_json())?;
        let document: Value =
            serde_json::from_str(&aws_escapes(&json)).map_err(|_| invalid_json())?;
        let Value::Object(members) = document else {
            return Err(invalid_json());
        };
        // S3 names an unknown member before complaining about missing ones.
        if let Some(unknown) = members
            .keys()
            .find(|k| *k != "expiration" && *k != "conditions")
        {
            return Err(AuthError::invalid_policy(format!(
                "Invalid Policy: Unexpected: '{}'",
                unknown.to_lowercase()
            )));
        }
        let expiration = match members.get("expiration") {
            None => {
                return Err(AuthError::invalid_policy(
                    "Invalid Policy: Policy missing expiration.",
                ));
            }
            Some(value) => parse_expiration(value)?,
        };
        let conditions = match members.get("conditions") {
            None => {
                return Err(AuthError::invalid_policy(
                    "Invalid Policy: Policy missing conditions.",
                ));
            }
            Some(Value::Array(items)) => items
                .iter()
                .map(Condition::parse)
                .collect::<Result<Vec<_>, _>>()?,
            Some(_) => {
                return Err(AuthError::invalid_policy(
                    "Invalid Policy: Invalid 'conditions' value: must be a List.",
                ));
            }
        };
        Ok(Policy {
            expiration,
            conditions,
        })
    }

    /// Evaluates every condition, then the coverage rule; returns the `content-length-range`.
    fn check(&self, form: &Form<'_>, bucket: &str) -> Result<Option<(u64, u64)>, AuthError> {
        let mut range: Option<(u64, u64)> = None;
        for condition in &self.conditions {
            let holds = match &condition.test {
                Test::Match {
                    op,
                    field: Some(field),
                    expected,
                } => {
                    let value = if field == "bucket" {
                        Some(Cow::Borrowed(bucket))
                    } else {
                        form.joined(field)
                    };
                    value.is_some_and(|v| matches(*op, field, &v, expected))
                }
                Test::Match { field: None, .. } => false,
                Test::Range(min, max) => match (min.value(), max.value()) {
                    (Some(lo), Some(hi)) => {
                        range = Some(match range {
                            Some((a, b)) => (a.max(lo), b.min(hi)),
                            None => (lo, hi),
                        });
                        true
                    }
                    _ => false,
                },
            };
            if !holds {
                return Err(AuthError::access_denied(format!(
                    "Invalid according to Policy: Policy Condition failed: {}",
                    condition.display
                )));
            }
        }
        let covered = |name: &str| {
            self.conditions.iter().any(|c| {
                matches!(&c.test, Test::Match { field: Some(f), .. } if f.eq_ignore_ascii_case(name))
            })
        };
        let mut extra: Vec<&str> = Vec::new();
        // The addressed bucket is a field of the request even when the form does not repeat it.
        if form.first("bucket").is_none() && !covered("bucket") {
            extra.push("bucket");
        }
        for (name, _) in form.0 {
            let lower = name.to_ascii_lowercase();
            let exempt = EXEMPT.contains(&lower.as_str()) || lower.starts_with("x-ignore-");
            if !exempt && !covered(name) && !extra.iter().any(|e| e.eq_ignore_ascii_case(name)) {
                extra.push(name);
            }
        }
        if !extra.is_empty() {
            return Err(AuthError::access_denied(format!(
                "Invalid according to Policy: Extra input fields: {}",
                extra.join(", ")
            )));
        }
        Ok(range)
    }
}

/// `eq` is exact. `starts-with` on Content-Type reads a comma-separated value as a list whose
/// every item must carry the prefix; on any other field commas are just characters.
fn matches(op: Op, field: &str, value: &str, expected: &str) -> bool {
    match op {
        Op::Eq => value == expected,
        Op::StartsWith if field == "content-type" && value.contains(',') => value
            .split(',')
            .all(|item| item.trim().starts_with(expected)),
        Op::StartsWith => value.starts_with(expected),
    }
}

/// ISO 8601 in UTC (`2015-12-30T12:00:00.000Z`, fraction optional); an offset or a space for
/// the `T` is refused, as S3 does.
fn parse_expiration(value: &Value) -> Result<SystemTime, AuthError> {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let invalid = || {
        AuthError::invalid_policy(format!(
            "Invalid Policy: Invalid 'expiration' value: '{text}'"
        ))
    };
    // RFC 3339 lets a space stand for the `T`; S3 does not.
    if !text.ends_with('Z') || text.as_bytes().get(10) != Some(&b'T') {
        return Err(invalid());
    }
    let t = time::OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339)
        .map_err(|_| invalid())?;
    Ok(SystemTime::from(t))
}

/// The policy language's escapes that JSON lacks: `\$` (a dollar) and `\v` (vertical tab). An
/// escaped backslash is skipped as a unit, so `\\$` stays a backslash followed by a dollar.
fn aws_escapes(json: &str) -> Cow<'_, str> {
    if !json.contains('\\') {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len());
    let mut chars = json.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('$') => out.push('$'),
            Some('v') => out.push_str("\\u000b"),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    Cow::Owned(out)
}

/// A JSON value as S3 prints it inside a failed condition.
fn show(value: &Value) -> String {
    match value {
        Value::String(s) => Value::String(s.clone()).to_string(),
        other => other.to_string(),
    }
}

impl Condition {
    fn parse(value: &Value) -> Result<Condition, AuthError> {
        match value {
            Value::Object(members) => {
                let mut entries = members.iter();
                let (Some((name, expected)), None) = (entries.next(), entries.next()) else {
                    return Err(AuthError::invalid_policy(
                        "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.",
                    ));
                };
                let expected = match expected {
                    Value::String(s) => s.clone(),
                    Value::Null => return Err(invalid_json()),
                    _ => {
                        return Err(AuthError::invalid_policy(
                            "Invalid Policy: Invalid Simple-Condition: value must be a string.",
                        ));
                    }
                };
                // S3 prints a simple condition as the `eq` it stands for.
                let display = format!(
                    "[\"eq\", {}, {}]",
                    show(&Value::String(format!("${name}"))),
                    show(&Value::String(expected.clone()))
                );
                Ok(Condition {
                    test: Test::Match {
                        op: Op::Eq,
                        field: Some(name.to_ascii_lowercase()),
                        expected,
                    },
                    display,
                })
            }
            Value::Array(items) => {
                let Some(Value::String(operation)) = items.first() else {
                    return Err(AuthError::invalid_policy(
                        "Invalid Policy: Invalid Condition: missing operation identifier.",
                    ));
                };
                let op = operation.to_ascii_lowercase();
                if !["eq", "starts-with", "content-length-range"].contains(&op.as_str()) {
                    return Err(AuthError::invalid_policy(format!(
                        "Invalid Policy: Invalid Condition: unknown operation '{operation}'."
                    )));
                }
                if items.len() != 3 {
                    return Err(AuthError::invalid_policy(format!(
                        "Invalid Policy: Invalid {operation}: wrong number of arguments."
                    )));
                }
                let display = format!(
                    "[{}]",
                    items.iter().map(show).collect::<Vec<_>>().join(", ")
                );
                let test = if op == "content-length-range" {
                    Test::Range(bound(&items[1])?, bound(&items[2])?)
                } else {
                    let (Value::String(name), Value::String(expected)) = (&items[1], &items[2])
                    else {
                        return Err(invalid_json());
                    };
                    Test::Match {
                        op: if op == "eq" { Op::Eq } else { Op::StartsWith },
                        field: name.strip_prefix('$').map(str::to_ascii_lowercase),
                        expected: expected.clone(),
                    }
                };
                Ok(Condition { test, display })
            }
            _ => Err(AuthError::invalid_policy(
                "Invalid Policy: Invalid condition test: must be a List or Object.",
            )),
        }
    }
}

/// A range bound: a non-negative integer, or a string read later. Fractions and negative
/// numbers make the policy invalid, as on S3.
fn bound(value: &Value) -> Result<Bound, AuthError> {
    match value {
        Value::Number(n) => n.as_u64().map(Bound::Number).ok_or_else(invalid_json),
        Value::String(s) => Ok(Bound::Text(s.clone())),
        _ => Err(invalid_json()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn aws_escapes_turn_dollar_and_vertical_tab_into_json() {
        assert_eq!(aws_escapes(r#"["a\$b"]"#), r#"["a$b"]"#);
        assert_eq!(aws_escapes(r#"["\\$foo"]"#), r#"["\\$foo"]"#);
        assert_eq!(aws_escapes(r#"["\v"]"#), r#"["\u000b"]"#);
        assert_eq!(aws_escapes(r#"["\n\"\\"]"#), r#"["\n\"\\"]"#);
        assert_eq!(aws_escapes("plain"), "plain");
    }

    #[test]
    fn expiration_is_iso8601_utc() {
        let ok = |s: &str| parse_expiration(&Value::String(s.to_owned())).is_ok();
        assert!(ok("2015-12-30T12:00:00.000Z"));
        assert!(ok("2015-12-30T12:00:00Z"));
        assert!(!ok("2015-12-30T12:00:00+02:00"));
        assert!(!ok("2015-12-30 12:00:00.123456+00:00"));
        assert!(!ok("2015-12-30 12:00:00Z"));
        let err = parse_expiration(&Value::from(12)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid Policy: Invalid 'expiration' value: '12'"
        );
    }

    #[test]
    fn content_type_lists_and_plain_prefixes() {
        assert!(matches(
            Op::StartsWith,
            "content-type",
            "image/jpg,image/png,image/gif",
            "image/"
        ));
        assert!(!matches(
            Op::StartsWith,
            "content-type",
            "image/jpg,text/plain",
            "image/"
        ));
        assert!(matches(
            Op::StartsWith,
            "content-type",
            "image/jpg, image/png",
            "image/"
        ));
        // Other fields: a comma is a character.
        assert!(matches(Op::StartsWith, "key", "user/a,b", "user/"));
        assert!(!matches(Op::StartsWith, "key", "x,user/a", "user/"));
        assert!(matches(Op::StartsWith, "key", "anything", ""));
        assert!(matches(Op::Eq, "acl", "private", "private"));
        assert!(!matches(Op::Eq, "acl", "Private", "private"));
    }

    #[test]
    fn size_bounds_are_inclusive() {
        let auth = PostPolicyAuth {
            access_key: None,
            range: Some((5, 10)),
        };
        assert_eq!(auth.content_length_range(), Some((5, 10)));
        auth.check_size(5).unwrap();
        auth.check_size(10).unwrap();
        let small = auth.check_size(4).unwrap_err();
        assert_eq!(
            (small.code(), small.to_string().as_str()),
            (
                "EntityTooSmall",
                "Your proposed upload is smaller than the minimum allowed size"
            )
        );
        assert_eq!(
            small.details(),
            vec![
                ("ProposedSize", "4".to_owned()),
                ("MinSizeAllowed", "5".to_owned())
            ]
        );
        let large = auth.check_size(11).unwrap_err();
        assert_eq!(
            (large.code(), large.to_string().as_str()),
            (
                "EntityTooLarge",
                "Your proposed upload exceeds the maximum allowed size"
            )
        );
        assert_eq!(
            large.details(),
            vec![
                ("ProposedSize", "11".to_owned()),
                ("MaxSizeAllowed", "10".to_owned())
            ]
        );
        let unbounded = PostPolicyAuth {
            access_key: None,
            range: None,
        };
        unbounded.check_size(u64::MAX).unwrap();
    }

    proptest! {
        #[test]
        fn policy_parsing_never_panics(json in "\\PC{0,120}") {
            let b64 = base64::engine::general_purpose::STANDARD.encode(json.as_bytes());
            let _ = Policy::parse(&b64);
            let _ = Policy::parse(&json);
        }
    }
}
