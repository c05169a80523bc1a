//! Bucket CORS configurations: the parsed document, its validation, and the evaluation of a
//! cross-origin request against it.
//!
//! This module is pure: it parses and renders the `CORSConfiguration` XML, validates it as
//! AWS does (1–100 rules, methods from GET/PUT/POST/DELETE/HEAD, at most one `*` per origin and
//! per header) and answers "which rule allows this request" ([`CorsConfiguration::matching`]).
//! It does no I/O and knows nothing of HTTP responses: `s3::ops::cors` turns a match into
//! headers; parsed configurations are cached by `store::config_cache`.
//!
//! Matching follows AWS: the first rule (in document order) whose origins, methods and headers
//! all allow the request wins; origins match case-sensitively, headers case-insensitively, and
//! a `*` in either stands for any run of characters.

use crate::store::bucket_config::BucketConfig;
use crate::store::config_cache::StoredConfig;

use crate::s3::error::{S3Error, S3Result};
use crate::s3::xml::{self, XmlWriter};

/// AWS's limit on the rules of one configuration.
pub const MAX_RULES: usize = 100;

/// The methods a rule may allow (AWS refuses others).
const METHODS: &[&str] = &["GET", "PUT", "POST", "DELETE", "HEAD"];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorsRule {
    pub id: Option<String>,
    pub allowed_origins: Vec<String>,
    pub allowed_methods: Vec<String>,
    pub allowed_headers: Vec<String>,
    pub expose_headers: Vec<String>,
    pub max_age_seconds: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorsConfiguration {
    pub rules: Vec<CorsRule>,
}

/// A cross-origin request as a rule sees it. For a preflight, `method` is the
/// `Access-Control-Request-Method` and `headers` the `Access-Control-Request-Headers`; for an
/// actual request, the request's own method and no headers (AWS checks only origin and method).
#[derive(Debug, Clone, Copy)]
pub struct CorsRequest<'a> {
    pub origin: &'a str,
    pub method: &'a str,
    pub headers: &'a [&'a str],
}

/// What the matching rule allows, ready to become `Access-Control-*` headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsMatch<'a> {
    /// `*` when the rule's matching origin is exactly `*`, else the request's origin.
    pub allow_origin: &'a str,
    /// Whether to send `Access-Control-Allow-Credentials: true` (never with origin `*`).
    pub allow_credentials: bool,
    pub rule: &'a CorsRule,
    /// The requested headers the rule allows (all of them, since a rule must allow all).
    pub allow_headers: Vec<&'a str>,
}

impl CorsConfiguration {
    /// Parse and validate a PutBucketCors body.
    pub fn parse(body: &[u8]) -> S3Result<CorsConfiguration> {
        let root = xml::parse(body)?;
        if root.name != "CORSConfiguration" {
            return Err(S3Error::malformed_xml());
        }
        let mut rules = Vec::new();
        for child in &root.children {
            if child.name != "CORSRule" {
                return Err(S3Error::malformed_xml());
            }
            rules.push(parse_rule(child)?);
        }
        if rules.is_empty() || rules.len() > MAX_RULES {
            return Err(S3Error::malformed_xml());
        }
        Ok(CorsConfiguration { rules })
    }

    /// The GetBucketCors document (also the stored form).
    pub fn to_xml(&self) -> String {
        let mut out = XmlWriter::document();
        out.root("CORSConfiguration");
        for rule in &self.rules {
            out.open("CORSRule");
            out.elem_opt("ID", rule.id.as_deref());
            for (name, values) in [
                ("AllowedHeader", &rule.allowed_headers),
                ("AllowedMethod", &rule.allowed_methods),
                ("AllowedOrigin", &rule.allowed_origins),
                ("ExposeHeader", &rule.expose_headers),
            ] {
                for value in values {
                    out.elem(name, value);
                }
            }
            if let Some(age) = rule.max_age_seconds {
                out.elem("MaxAgeSeconds", &age.to_string());
            }
            out.close("CORSRule");
        }
        out.close("CORSConfiguration");
        out.finish()
    }

    /// The first rule that allows `request`, or None (the request is not allowed).
    pub fn matching<'a>(&'a self, request: &CorsRequest<'a>) -> Option<CorsMatch<'a>> {
        self.rules.iter().find_map(|rule| {
            let origin = rule
                .allowed_origins
                .iter()
                .find(|pattern| wildcard_match(pattern, request.origin, false))?;
            if !rule.allowed_methods.iter().any(|m| m == request.method) {
                return None;
            }
            let allowed = |header: &str| {
                rule.allowed_headers
                    .iter()
                    .any(|pattern| wildcard_match(pattern, header, true))
            };
            if !request.headers.iter().all(|h| allowed(h)) {
                return None;
            }
            let any_origin = origin == "*";
            Some(CorsMatch {
                allow_origin: if any_origin { "*" } else { request.origin },
                allow_credentials: !any_origin,
                rule,
                allow_headers: request.headers.to_vec(),
            })
        })
    }
}

fn parse_rule(element: &xml::Element) -> S3Result<CorsRule> {
    let mut rule = CorsRule::default();
    for child in &element.children {
        let text = child.text.trim().to_string();
        match child.name.as_str() {
            "ID" if rule.id.is_none() => rule.id = Some(text),
            "AllowedOrigin" => {
                if text.matches('*').count() > 1 {
                    return Err(S3Error::invalid_request(format!(
                        "AllowedOrigin \"{text}\" can not have more than one wildcard."
                    )));
                }
                rule.allowed_origins.push(text);
            }
            "AllowedMethod" => {
                if !METHODS.contains(&text.as_str()) {
                    return Err(S3Error::invalid_request(format!(
                        "Found unsupported HTTP method in CORS config. Unsupported method is {text}"
                    )));
                }
                rule.allowed_methods.push(text);
            }
            "AllowedHeader" => {
                if text.matches('*').count() > 1 {
                    return Err(S3Error::invalid_request(format!(
                        "AllowedHeader \"{text}\" can not have more than one wildcard."
                    )));
                }
                rule.allowed_headers.push(text);
            }
            "ExposeHeader" => rule.expose_headers.push(text),
            "MaxAgeSeconds" if rule.max_age_seconds.is_none() => {
                rule.max_age_seconds = Some(text.parse().map_err(|_| S3Error::malformed_xml())?);
            }
            _ => return Err(S3Error::malformed_xml()),
        }
    }
    // The schema requires at least one origin and one method per rule.
    if rule.allowed_origins.is_empty() || rule.allowed_methods.is_empty() {
        return Err(S3Error::malformed_xml());
    }
    Ok(rule)
}

/// `pattern` (with at most one `*`, standing for any run of characters) against `value`.
fn wildcard_match(pattern: &str, value: &str, ignore_case: bool) -> bool {
    let eq = |a: &str, b: &str| {
        if ignore_case {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    };
    match pattern.split_once('*') {
        None => eq(pattern, value),
        Some((prefix, suffix)) => {
            value.len() >= prefix.len() + suffix.len()
                && value.is_char_boundary(prefix.len())
                && value.is_char_boundary(value.len() - suffix.len())
                && eq(&value[..prefix.len()], prefix)
                && eq(&value[value.len() - suffix.len()..], suffix)
        }
    }
}

/// The comma-separated `Access-Control-Request-Headers` list, trimmed, empty items dropped.
pub fn split_header_list(value: &str) -> Vec<&str> {
    value
        .split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .collect()
}

impl StoredConfig for CorsConfiguration {
    const WHICH: BucketConfig = BucketConfig::Cors;

    fn parse_stored(_bucket: &str, text: &str) -> Result<Self, String> {
        CorsConfiguration::parse(text.as_bytes()).map_err(|err| err.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(rules: &str) -> S3Result<CorsConfiguration> {
        CorsConfiguration::parse(
            format!("<CORSConfiguration>{rules}</CORSConfiguration>").as_bytes(),
        )
    }

    fn sample() -> CorsConfiguration {
        config(
            "<CORSRule><ID>exact</ID><AllowedOrigin>http://www.example.com</AllowedOrigin>\
             <AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod>\
             <AllowedHeader>x-amz-*</AllowedHeader><AllowedHeader>Content-Type</AllowedHeader>\
             <ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule>\
             <CORSRule><AllowedOrigin>http://*.example.com</AllowedOrigin>\
             <AllowedMethod>GET</AllowedMethod></CORSRule>\
             <CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>HEAD</AllowedMethod>\
             <AllowedHeader>*</AllowedHeader></CORSRule>",
        )
        .expect("valid configuration")
    }

    /// (origin, method, requested headers) => (index of the rule, Allow-Origin) or None.
    type Case<'a> = (&'a str, &'a str, &'a [&'a str], Option<(usize, &'a str)>);

    #[test]
    fn first_matching_rule_decides() {
        let config = sample();
        let table: &[Case] = &[
            (
                "http://www.example.com",
                "PUT",
                &[],
                Some((0, "http://www.example.com")),
            ),
            (
                "http://www.example.com",
                "POST",
                &["X-Amz-Date", "content-type"],
                Some((0, "http://www.example.com")),
            ),
            // A header the first rule does not allow, and no other rule allows POST.
            ("http://www.example.com", "POST", &["authorization"], None),
            // The first rule does not allow GET; the wildcard rule does.
            (
                "http://www.example.com",
                "GET",
                &[],
                Some((1, "http://www.example.com")),
            ),
            (
                "http://a.b.example.com",
                "GET",
                &[],
                Some((1, "http://a.b.example.com")),
            ),
            ("https://a.example.com", "GET", &[], None),
            // Origins match case-sensitively.
            ("HTTP://WWW.EXAMPLE.COM", "PUT", &[], None),
            ("http://evil.com", "HEAD", &["anything"], Some((2, "*"))),
            ("http://evil.com", "DELETE", &[], None),
        ];
        for (origin, method, headers, expected) in table {
            let found = config.matching(&CorsRequest {
                origin,
                method,
                headers,
            });
            let got = found.as_ref().map(|m| {
                let index = config.rules.iter().position(|r| r == m.rule).expect("rule");
                (index, m.allow_origin)
            });
            assert_eq!(got, *expected, "{origin} {method} {headers:?}");
            if let Some(m) = found {
                assert_eq!(m.allow_credentials, m.allow_origin != "*");
                assert_eq!(m.allow_headers, headers.to_vec());
            }
        }
    }

    #[test]
    fn wildcards_match_any_run_of_characters() {
        let table = [
            ("*", "", true),
            ("*", "anything", true),
            ("http://*.example.com", "http://a.example.com", true),
            ("http://*.example.com", "http://.example.com", true),
            ("http://*.example.com", "http://example.com", false),
            ("x-amz-*", "X-AMZ-DATE", true),
            ("abc", "abcd", false),
            ("ab*ba", "aba", false),
        ];
        for (pattern, value, expected) in table {
            let ignore_case = pattern.starts_with("x-");
            assert_eq!(
                wildcard_match(pattern, value, ignore_case),
                expected,
                "{pattern} {value}"
            );
        }
    }

    #[test]
    fn invalid_configurations_are_refused_as_aws_does() {
        let rule = |body: &str| format!("<CORSRule>{body}</CORSRule>");
        let table = [
            (String::new(), "MalformedXML"),
            ("<CORSRule/>".to_string(), "MalformedXML"),
            (rule("<AllowedOrigin>*</AllowedOrigin>"), "MalformedXML"),
            (rule("<AllowedMethod>GET</AllowedMethod>"), "MalformedXML"),
            (
                rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod>"),
                "InvalidRequest",
            ),
            (
                rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>get</AllowedMethod>"),
                "InvalidRequest",
            ),
            (
                rule(
                    "<AllowedOrigin>http://*.*.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod>",
                ),
                "InvalidRequest",
            ),
            (
                rule(
                    "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>\
                     <AllowedHeader>**</AllowedHeader>",
                ),
                "InvalidRequest",
            ),
            (
                rule(
                    "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>\
                     <MaxAgeSeconds>soon</MaxAgeSeconds>",
                ),
                "MalformedXML",
            ),
            (
                rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><Foo/>"),
                "MalformedXML",
            ),
            (
                rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>")
                    .repeat(MAX_RULES + 1),
                "MalformedXML",
            ),
        ];
        for (rules, code) in table {
            let err = config(&rules).expect_err(&rules);
            assert_eq!(err.code, code, "{rules}");
        }
        let err = CorsConfiguration::parse(b"<Other/>").expect_err("wrong root");
        assert_eq!(err.code, "MalformedXML");
        let err = CorsConfiguration::parse(b"<CORSConfiguration>").expect_err("unclosed");
        assert_eq!(err.code, "MalformedXML");
        let err = config(
            &rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>")
                .repeat(MAX_RULES),
        );
        assert!(err.is_ok(), "100 rules are allowed");
    }

    #[test]
    fn document_round_trips() {
        let config = sample();
        let again = CorsConfiguration::parse(config.to_xml().as_bytes()).expect("reparses");
        assert_eq!(again, config);
    }

    #[test]
    fn header_lists_split_on_commas() {
        assert_eq!(
            split_header_list(" x-amz-date ,content-type,, "),
            vec!["x-amz-date", "content-type"]
        );
        assert!(split_header_list("").is_empty());
    }
}
