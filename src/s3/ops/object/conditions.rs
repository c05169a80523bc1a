//! GET/HEAD preconditions, evaluated in the order AWS documents (RFC 7232 §6): If-Match, else
//! If-Unmodified-Since → 412; then If-None-Match, else If-Modified-Since → 304. A true
//! If-Match overrides a false If-Unmodified-Since, and If-None-Match overrides If-Modified-Since.

use crate::s3::error::S3Result;
use crate::s3::request::S3Request;

#[derive(Debug, Default)]
pub struct Conditions {
    if_match: Option<String>,
    if_none_match: Option<String>,
    /// Seconds since the epoch; an unparsable date is ignored, as on AWS.
    if_modified_since: Option<i64>,
    if_unmodified_since: Option<i64>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Proceed,
    NotModified,
    PreconditionFailed(&'static str),
}

fn parse_date(value: Option<&str>) -> Option<i64> {
    let time = httpdate::parse_http_date(value?.trim()).ok()?;
    time.duration_since(std::time::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs() as i64)
}

/// Does an `If-Match` / `If-None-Match` list match this ETag? `*` matches any object.
fn etag_list_matches(list: &str, etag: &str) -> bool {
    list.split(',')
        .map(|t| t.trim())
        .any(|t| t == "*" || t.trim_start_matches("W/").trim_matches('"') == etag)
}

impl Conditions {
    pub fn parse(request: &S3Request) -> S3Result<Conditions> {
        Ok(Conditions::with_prefix(request, ""))
    }

    /// CopyObject/UploadPartCopy's `x-amz-copy-source-if-*` conditions on the source.
    pub fn parse_copy_source(request: &S3Request) -> Conditions {
        Conditions::with_prefix(request, "x-amz-copy-source-")
    }

    fn with_prefix(request: &S3Request, prefix: &str) -> Conditions {
        let header = |name: &str| request.header(&format!("{prefix}{name}"));
        Conditions {
            if_match: header("if-match").map(str::to_string),
            if_none_match: header("if-none-match").map(str::to_string),
            if_modified_since: parse_date(header("if-modified-since")),
            if_unmodified_since: parse_date(header("if-unmodified-since")),
        }
    }

    pub fn evaluate(&self, etag: &str, last_modified_ms: i64) -> Outcome {
        let modified_secs = last_modified_ms.div_euclid(1000);
        match &self.if_match {
            Some(list) if !etag_list_matches(list, etag) => {
                return Outcome::PreconditionFailed("If-Match");
            }
            Some(_) => {}
            None => {
                if self
                    .if_unmodified_since
                    .is_some_and(|since| modified_secs > since)
                {
                    return Outcome::PreconditionFailed("If-Unmodified-Since");
                }
            }
        }
        match &self.if_none_match {
            Some(list) if etag_list_matches(list, etag) => Outcome::NotModified,
            Some(_) => Outcome::Proceed,
            None if self
                .if_modified_since
                .is_some_and(|since| modified_secs <= since) =>
            {
                Outcome::NotModified
            }
            None => Outcome::Proceed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conditions(
        im: Option<&str>,
        inm: Option<&str>,
        ims: Option<i64>,
        ius: Option<i64>,
    ) -> Conditions {
        Conditions {
            if_match: im.map(str::to_string),
            if_none_match: inm.map(str::to_string),
            if_modified_since: ims,
            if_unmodified_since: ius,
        }
    }

    #[test]
    fn precondition_table() {
        let etag = "abc";
        let modified_ms = 1_000_500; // second 1000
        let table = [
            (conditions(None, None, None, None), Outcome::Proceed),
            (
                conditions(Some("\"abc\""), None, None, None),
                Outcome::Proceed,
            ),
            (
                conditions(Some("\"xyz\""), None, None, None),
                Outcome::PreconditionFailed("If-Match"),
            ),
            (conditions(Some("*"), None, None, None), Outcome::Proceed),
            (
                conditions(Some("\"xyz\", \"abc\""), None, None, None),
                Outcome::Proceed,
            ),
            (
                conditions(None, Some("\"abc\""), None, None),
                Outcome::NotModified,
            ),
            (
                conditions(None, Some("\"xyz\""), None, None),
                Outcome::Proceed,
            ),
            (
                conditions(None, None, Some(1000), None),
                Outcome::NotModified,
            ),
            (conditions(None, None, Some(999), None), Outcome::Proceed),
            (
                conditions(None, None, None, Some(999)),
                Outcome::PreconditionFailed("If-Unmodified-Since"),
            ),
            (conditions(None, None, None, Some(1000)), Outcome::Proceed),
            // If-Match true overrides If-Unmodified-Since false.
            (
                conditions(Some("\"abc\""), None, None, Some(999)),
                Outcome::Proceed,
            ),
            // If-None-Match false (no match) overrides If-Modified-Since.
            (
                conditions(None, Some("\"xyz\""), Some(1000), None),
                Outcome::Proceed,
            ),
        ];
        for (c, expected) in table {
            assert_eq!(c.evaluate(etag, modified_ms), expected, "{c:?}");
        }
    }
}
