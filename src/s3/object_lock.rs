//! Object Lock documents: a bucket's `ObjectLockConfiguration` (enabled, and an optional
//! default retention), an object's `Retention` and `LegalHold`, with AWS's validation, and the
//! ISO 8601 dates they and the `x-amz-object-lock-*` headers carry.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::meta::model::{LockMode, Retention};
use crate::s3::error::S3Error;
use crate::s3::xml::{self, XmlWriter, only_children, optional_text, single};
use crate::store::bucket_config::BucketConfig;
use crate::store::config_cache::StoredConfig;

/// What a bucket's Object Lock configuration says beyond "enabled".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectLockConfig {
    pub default_retention: Option<DefaultRetention>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultRetention {
    pub mode: LockMode,
    pub period: Period,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Days(u32),
    Years(u32),
}

const DAY_MS: i64 = 86_400_000;

impl DefaultRetention {
    /// The retention a version written at `now_ms` gets. (A year is 365 days, as AWS counts it.)
    pub fn from(&self, now_ms: i64) -> Retention {
        let days = match self.period {
            Period::Days(days) => i64::from(days),
            Period::Years(years) => i64::from(years) * 365,
        };
        Retention {
            mode: self.mode,
            retain_until_ms: now_ms.saturating_add(days.saturating_mul(DAY_MS)),
        }
    }
}

pub fn parse_config(body: &[u8]) -> Result<ObjectLockConfig, S3Error> {
    let root = xml::parse(body)?;
    if root.name != "ObjectLockConfiguration" {
        return Err(S3Error::malformed_xml());
    }
    only_children(&root, &["ObjectLockEnabled", "Rule"])?;
    if optional_text(&root, "ObjectLockEnabled")?
        .as_deref()
        .map(str::trim)
        != Some("Enabled")
    {
        return Err(S3Error::malformed_xml());
    }
    let Some(rule) = single(&root, "Rule")? else {
        return Ok(ObjectLockConfig {
            default_retention: None,
        });
    };
    only_children(rule, &["DefaultRetention"])?;
    let retention = single(rule, "DefaultRetention")?.ok_or_else(S3Error::malformed_xml)?;
    only_children(retention, &["Mode", "Days", "Years"])?;
    let mode = optional_text(retention, "Mode")?
        .and_then(|m| LockMode::parse(m.trim()))
        .ok_or_else(S3Error::malformed_xml)?;
    let number = |name: &str| -> Result<Option<u32>, S3Error> {
        match optional_text(retention, name)? {
            None => Ok(None),
            Some(text) => match text.trim().parse::<i64>() {
                Ok(n) if n > 0 && n <= i64::from(u32::MAX) => Ok(Some(n as u32)),
                Ok(_) => Err(S3Error::invalid_argument(
                    "Default retention period must be a positive integer value",
                )),
                Err(_) => Err(S3Error::malformed_xml()),
            },
        }
    };
    let period = match (number("Days")?, number("Years")?) {
        (Some(days), None) => Period::Days(days),
        (None, Some(years)) => Period::Years(years),
        _ => return Err(S3Error::malformed_xml()),
    };
    Ok(ObjectLockConfig {
        default_retention: Some(DefaultRetention { mode, period }),
    })
}

/// GetObjectLockConfiguration's document (also the stored form).
pub fn render_config(config: &ObjectLockConfig) -> String {
    let mut out = XmlWriter::document();
    out.root("ObjectLockConfiguration");
    out.elem("ObjectLockEnabled", "Enabled");
    if let Some(default) = &config.default_retention {
        out.open("Rule");
        out.open("DefaultRetention");
        out.elem("Mode", default.mode.as_str());
        match default.period {
            Period::Days(days) => out.elem("Days", &days.to_string()),
            Period::Years(years) => out.elem("Years", &years.to_string()),
        }
        out.close("DefaultRetention");
        out.close("Rule");
    }
    out.close("ObjectLockConfiguration");
    out.finish()
}

impl StoredConfig for ObjectLockConfig {
    const WHICH: BucketConfig = BucketConfig::ObjectLock;

    fn parse_stored(_bucket: &str, text: &str) -> Result<Self, String> {
        parse_config(text.as_bytes()).map_err(|err| err.message)
    }
}

/// An ISO 8601 date as `x-amz-object-lock-retain-until-date` and `RetainUntilDate` carry it.
pub fn parse_date(text: &str) -> Option<i64> {
    let parsed = OffsetDateTime::parse(text.trim(), &Rfc3339).ok()?;
    i64::try_from(parsed.unix_timestamp_nanos() / 1_000_000).ok()
}

/// PutObjectRetention's body: a retention, or none (`<Retention/>` removes it).
pub fn parse_retention(body: &[u8]) -> Result<Option<Retention>, S3Error> {
    let root = xml::parse(body)?;
    if root.name != "Retention" {
        return Err(S3Error::malformed_xml());
    }
    only_children(&root, &["Mode", "RetainUntilDate"])?;
    let mode = optional_text(&root, "Mode")?;
    let until = optional_text(&root, "RetainUntilDate")?;
    match (mode, until) {
        (None, None) => Ok(None),
        (Some(mode), Some(until)) => {
            let mode = LockMode::parse(mode.trim()).ok_or_else(S3Error::malformed_xml)?;
            let retain_until_ms = parse_date(&until).ok_or_else(S3Error::malformed_xml)?;
            Ok(Some(Retention {
                mode,
                retain_until_ms,
            }))
        }
        _ => Err(S3Error::malformed_xml()),
    }
}

pub fn render_retention(retention: &Retention) -> String {
    let mut out = XmlWriter::document();
    out.root("Retention");
    out.elem("Mode", retention.mode.as_str());
    out.elem(
        "RetainUntilDate",
        &crate::s3::ops::iso8601(retention.retain_until_ms),
    );
    out.close("Retention");
    out.finish()
}

/// PutObjectLegalHold's body: ON or OFF.
pub fn parse_legal_hold(body: &[u8]) -> Result<bool, S3Error> {
    let root = xml::parse(body)?;
    if root.name != "LegalHold" {
        return Err(S3Error::malformed_xml());
    }
    only_children(&root, &["Status"])?;
    match optional_text(&root, "Status")?.as_deref().map(str::trim) {
        Some("ON") => Ok(true),
        Some("OFF") => Ok(false),
        _ => Err(S3Error::malformed_xml()),
    }
}

pub fn render_legal_hold(on: bool) -> String {
    let mut out = XmlWriter::document();
    out.root("LegalHold");
    out.elem("Status", if on { "ON" } else { "OFF" });
    out.close("LegalHold");
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(inner: &str) -> String {
        format!("<ObjectLockConfiguration>{inner}</ObjectLockConfiguration>")
    }

    #[test]
    fn configurations_parse_render_and_refuse_as_aws() {
        let enabled =
            parse_config(config("<ObjectLockEnabled>Enabled</ObjectLockEnabled>").as_bytes())
                .expect("enabled");
        assert_eq!(enabled.default_retention, None);
        let with_rule = config(
            "<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>\
             <Mode>COMPLIANCE</Mode><Years>2</Years></DefaultRetention></Rule>",
        );
        let parsed = parse_config(with_rule.as_bytes()).expect("rule");
        assert_eq!(
            parsed.default_retention,
            Some(DefaultRetention {
                mode: LockMode::Compliance,
                period: Period::Years(2)
            })
        );
        assert_eq!(
            parse_config(render_config(&parsed).as_bytes()).expect("round trip"),
            parsed
        );
        let retention = |inner: &str| {
            config(&format!(
                "<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>{inner}\
                 </DefaultRetention></Rule>"
            ))
        };
        for (body, code) in [
            ("<Other/>".to_string(), "MalformedXML"),
            (config(""), "MalformedXML"),
            (
                config("<ObjectLockEnabled>Disabled</ObjectLockEnabled>"),
                "MalformedXML",
            ),
            (
                retention("<Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years>"),
                "MalformedXML",
            ),
            (retention("<Mode>GOVERNANCE</Mode>"), "MalformedXML"),
            (
                retention("<Mode>STRICT</Mode><Days>1</Days>"),
                "MalformedXML",
            ),
            (
                retention("<Mode>GOVERNANCE</Mode><Days>0</Days>"),
                "InvalidArgument",
            ),
            (
                retention("<Mode>GOVERNANCE</Mode><Years>-1</Years>"),
                "InvalidArgument",
            ),
        ] {
            assert_eq!(
                parse_config(body.as_bytes()).expect_err(&body).code,
                code,
                "{body}"
            );
        }
    }

    #[test]
    fn retention_and_legal_hold_documents() {
        let body = "<Retention><Mode>GOVERNANCE</Mode>\
                    <RetainUntilDate>2030-01-01T00:00:00Z</RetainUntilDate></Retention>";
        let retention = parse_retention(body.as_bytes())
            .expect("parses")
            .expect("a retention");
        assert_eq!(retention.mode, LockMode::Governance);
        assert_eq!(retention.retain_until_ms, 1_893_456_000_000);
        assert_eq!(
            parse_retention(render_retention(&retention).as_bytes()).expect("round trip"),
            Some(retention)
        );
        assert_eq!(parse_retention(b"<Retention/>").expect("empty"), None);
        assert!(parse_retention(b"<Retention><Mode>GOVERNANCE</Mode></Retention>").is_err());
        assert!(parse_legal_hold(render_legal_hold(true).as_bytes()).expect("on"));
        assert!(!parse_legal_hold(b"<LegalHold><Status>OFF</Status></LegalHold>").expect("off"));
        assert!(parse_legal_hold(b"<LegalHold><Status>MAYBE</Status></LegalHold>").is_err());
    }

    #[test]
    fn default_retention_counts_days_and_years() {
        let days = DefaultRetention {
            mode: LockMode::Governance,
            period: Period::Days(2),
        };
        assert_eq!(days.from(0).retain_until_ms, 2 * DAY_MS);
        let years = DefaultRetention {
            mode: LockMode::Compliance,
            period: Period::Years(1),
        };
        assert_eq!(years.from(10).retain_until_ms, 10 + 365 * DAY_MS);
    }
}
