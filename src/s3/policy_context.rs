//! The condition keys of one S3 request, as bucket policies see them (`aws:SourceIp`,
//! `aws:SecureTransport`, `s3:prefix`, `s3:x-amz-storage-class`, ...). Built once per request in
//! `dispatch`, before the body is read; keys derived from the principal (`aws:PrincipalArn`,
//! `aws:username`, ...) are added by the policy engine itself.

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use http::HeaderMap;

use super::route::Operation;
use crate::policy::ConditionContext;

/// Where the request came from and how it was signed.
pub struct RequestFacts<'a> {
    pub client_ip: Option<IpAddr>,
    pub secure: bool,
    pub headers: &'a HeaderMap,
    pub query: &'a [(String, String)],
    pub operation: Operation,
    pub now: SystemTime,
}

/// Request headers that become `s3:<header>` condition keys when present.
const HEADER_KEYS: [&str; 10] = [
    "x-amz-acl",
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-storage-class",
    "x-amz-content-sha256",
    "x-amz-copy-source",
    "x-amz-metadata-directive",
    "x-amz-object-lock-mode",
    "x-amz-object-lock-retain-until-date",
    "x-amz-object-lock-legal-hold",
];

/// `s3:<header>`, except that the Object Lock headers are `s3:object-lock-*`, as AWS names them.
fn header_key(header: &str) -> String {
    match header.strip_prefix("x-amz-object-lock-") {
        Some(rest) => format!("s3:object-lock-{rest}"),
        None => format!("s3:{header}"),
    }
}

/// Query parameters of the listing operations that become `s3:<name>` keys.
const LIST_KEYS: [&str; 3] = ["prefix", "delimiter", "max-keys"];

/// `20231114T221320Z` → milliseconds since the Unix epoch.
fn amz_date_ms(text: &str) -> Option<i64> {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let parsed = time::PrimitiveDateTime::parse(text, format).ok()?;
    Some((parsed.assume_utc().unix_timestamp_nanos() / 1_000_000) as i64)
}

pub fn condition_context(facts: &RequestFacts<'_>) -> ConditionContext {
    let mut context = ConditionContext::default();
    let header = |name: &str| facts.headers.get(name).and_then(|v| v.to_str().ok());
    let query = |name: &str| {
        facts
            .query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    context.insert("aws:SecureTransport", vec![facts.secure.to_string()]);
    if let Some(ip) = facts.client_ip {
        context.insert("aws:SourceIp", vec![ip.to_string()]);
    }
    let since_epoch = facts.now.duration_since(UNIX_EPOCH).unwrap_or_default();
    context.insert("aws:EpochTime", vec![since_epoch.as_secs().to_string()]);
    context.insert(
        "aws:CurrentTime",
        vec![super::ops::iso8601(since_epoch.as_millis() as i64)],
    );
    // One pass over the request's headers (about ten) instead of a hashed lookup per
    // candidate name; the first value of a repeated header counts, as with `HeaderMap::get`.
    for (name, value) in facts.headers {
        let key = match name.as_str() {
            "user-agent" => "aws:UserAgent".to_string(),
            "referer" => "aws:Referer".to_string(),
            other if HEADER_KEYS.contains(&other) => header_key(other),
            _ => continue,
        };
        if let Ok(value) = value.to_str()
            && context.get(&key).is_none()
        {
            context.insert(&key, vec![value.to_string()]);
        }
    }
    if matches!(
        facts.operation,
        Operation::ListObjects | Operation::ListObjectsV2 | Operation::ListObjectVersions
    ) {
        for name in LIST_KEYS {
            if let Some(value) = query(name) {
                context.insert(&format!("s3:{name}"), vec![value.to_string()]);
            }
        }
    }
    if let Some(version) = query("versionId") {
        context.insert("s3:VersionId", vec![version.to_string()]);
    }
    let (auth_type, signature_version) = match header("authorization") {
        Some(value) if value.starts_with("AWS4-") => {
            (Some("REST-HEADER"), Some("AWS4-HMAC-SHA256"))
        }
        Some(_) => (Some("REST-HEADER"), Some("AWS")),
        None if query("X-Amz-Signature").is_some() => {
            (Some("REST-QUERY-STRING"), Some("AWS4-HMAC-SHA256"))
        }
        None if query("Signature").is_some() => (Some("REST-QUERY-STRING"), Some("AWS")),
        None if facts.operation == Operation::PostObject => (Some("POST"), None),
        None => (None, None),
    };
    if let Some(auth_type) = auth_type {
        context.insert("s3:authType", vec![auth_type.to_string()]);
    }
    if let Some(version) = signature_version {
        context.insert("s3:signatureversion", vec![version.to_string()]);
    }
    // s3:signatureAge: milliseconds since the SigV4 signature's date (header or presigned URL).
    let signed_at = header("x-amz-date").or_else(|| query("X-Amz-Date"));
    if signature_version == Some("AWS4-HMAC-SHA256")
        && let Some(signed_ms) = signed_at.and_then(amz_date_ms)
    {
        let age = (since_epoch.as_millis() as i64 - signed_ms).max(0);
        context.insert("s3:signatureAge", vec![age.to_string()]);
    }
    // Days left of the retention a write asks for (rounded up), as AWS computes it.
    if let Some(until) =
        header("x-amz-object-lock-retain-until-date").and_then(super::object_lock::parse_date)
    {
        let day_ms = 86_400_000i64;
        let remaining = (until - since_epoch.as_millis() as i64).max(0);
        context.insert(
            "s3:object-lock-remaining-retention-days",
            vec![((remaining + day_ms - 1) / day_ms).to_string()],
        );
    }
    if let Some(tagging) = header("x-amz-tagging") {
        let mut keys = Vec::new();
        for pair in tagging.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            let key = decode(key);
            context.insert(&format!("s3:RequestObjectTag/{key}"), vec![decode(value)]);
            keys.push(key);
        }
        context.insert("s3:RequestObjectTagKeys", keys);
    }
    context
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_facts_become_condition_keys() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=x".parse().unwrap(),
        );
        headers.insert("x-amz-storage-class", "STANDARD_IA".parse().unwrap());
        headers.insert(
            "x-amz-tagging",
            "team=blue&cost%20centre=42".parse().unwrap(),
        );
        headers.insert("user-agent", "aws-cli/1".parse().unwrap());
        headers.insert("x-amz-date", "20231114T221312Z".parse().unwrap());
        let query = vec![
            ("list-type".to_string(), "2".to_string()),
            ("prefix".to_string(), "home/".to_string()),
        ];
        let context = condition_context(&RequestFacts {
            client_ip: Some("127.0.0.1".parse().unwrap()),
            secure: false,
            headers: &headers,
            query: &query,
            operation: Operation::ListObjectsV2,
            now: UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000),
        });
        let get = |key: &str| context.get(key).map(|v| v.to_vec());
        let one = |value: &str| Some(vec![value.to_string()]);
        assert_eq!(get("aws:SecureTransport"), one("false"));
        assert_eq!(get("aws:SourceIp"), one("127.0.0.1"));
        assert_eq!(get("aws:EpochTime"), one("1700000000"));
        assert_eq!(get("aws:CurrentTime"), one("2023-11-14T22:13:20.000Z"));
        assert_eq!(get("aws:UserAgent"), one("aws-cli/1"));
        assert_eq!(get("s3:signatureAge"), one("8000"));
        assert_eq!(get("s3:prefix"), one("home/"));
        assert_eq!(get("s3:delimiter"), None);
        assert_eq!(get("s3:x-amz-storage-class"), one("STANDARD_IA"));
        assert_eq!(get("s3:authType"), one("REST-HEADER"));
        assert_eq!(get("s3:signatureversion"), one("AWS4-HMAC-SHA256"));
        assert_eq!(get("s3:RequestObjectTag/team"), one("blue"));
        assert_eq!(get("s3:RequestObjectTag/cost centre"), one("42"));
        assert_eq!(
            get("s3:RequestObjectTagKeys"),
            Some(vec!["team".to_string(), "cost centre".to_string()])
        );
    }
}
