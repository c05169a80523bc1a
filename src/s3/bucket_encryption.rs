//! A bucket's default encryption (PutBucketEncryption's `ServerSideEncryptionConfiguration`):
//! the typed model, AWS's validation and the document GetBucketEncryption answers.
//!
//! One `Rule` with `ApplyServerSideEncryptionByDefault` (`SSEAlgorithm`: `AES256`, `aws:kms`,
//! `aws:kms:dsse`; `KMSMasterKeyID` only with the KMS ones) and an optional `BucketKeyEnabled`.
//! The KMS algorithms are refused with 501 until the built-in KMS exists (docs/encryption.md).

use crate::s3::error::S3Error;
use crate::s3::xml::{self, XmlWriter, only_children, optional_text, required_text, single};
use crate::store::bucket_config::BucketConfig;
use crate::store::config_cache::StoredConfig;
use crate::store::encryption::{SSE_S3, SseRequest};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketEncryption {
    /// `AES256` (the only one built so far).
    pub algorithm: String,
    pub bucket_key_enabled: Option<bool>,
}

impl BucketEncryption {
    /// What a write without encryption headers gets.
    pub fn default_request(&self) -> SseRequest {
        SseRequest::S3
    }
}

pub fn parse(body: &[u8]) -> Result<BucketEncryption, S3Error> {
    let root = xml::parse(body)?;
    if root.name != "ServerSideEncryptionConfiguration" {
        return Err(S3Error::malformed_xml());
    }
    only_children(&root, &["Rule"])?;
    let rule = single(&root, "Rule")?.ok_or_else(S3Error::malformed_xml)?;
    only_children(
        rule,
        &["ApplyServerSideEncryptionByDefault", "BucketKeyEnabled"],
    )?;
    let bucket_key_enabled = match optional_text(rule, "BucketKeyEnabled")?.as_deref() {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => return Err(S3Error::malformed_xml()),
    };
    let apply =
        single(rule, "ApplyServerSideEncryptionByDefault")?.ok_or_else(S3Error::malformed_xml)?;
    only_children(apply, &["SSEAlgorithm", "KMSMasterKeyID"])?;
    let algorithm = required_text(apply, "SSEAlgorithm")?;
    let kms_key = optional_text(apply, "KMSMasterKeyID")?;
    match algorithm.as_str() {
        SSE_S3 if kms_key.is_some() => Err(S3Error::invalid_argument(
            "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse",
        )),
        SSE_S3 => Ok(BucketEncryption {
            algorithm,
            bucket_key_enabled,
        }),
        "aws:kms" | "aws:kms:dsse" => Err(S3Error::not_implemented(
            "default encryption with KMS keys (SSE-KMS)",
        )),
        _ => Err(S3Error::malformed_xml()),
    }
}

/// GetBucketEncryption's document (also the stored form).
pub fn render(config: &BucketEncryption) -> String {
    let mut out = XmlWriter::document();
    out.root("ServerSideEncryptionConfiguration");
    out.open("Rule");
    out.open("ApplyServerSideEncryptionByDefault");
    out.elem("SSEAlgorithm", &config.algorithm);
    out.close("ApplyServerSideEncryptionByDefault");
    if let Some(enabled) = config.bucket_key_enabled {
        out.elem("BucketKeyEnabled", if enabled { "true" } else { "false" });
    }
    out.close("Rule");
    out.close("ServerSideEncryptionConfiguration");
    out.finish()
}

impl StoredConfig for BucketEncryption {
    const WHICH: BucketConfig = BucketConfig::Encryption;

    fn parse_stored(_bucket: &str, text: &str) -> Result<Self, String> {
        parse(text.as_bytes()).map_err(|err| err.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(inner: &str) -> String {
        format!(
            "<ServerSideEncryptionConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">{inner}</ServerSideEncryptionConfiguration>"
        )
    }

    #[test]
    fn sse_s3_defaults_parse_and_render_back() {
        let body = doc(
            "<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm>\
             </ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled></Rule>",
        );
        let parsed = parse(body.as_bytes()).expect("parses");
        assert_eq!(parsed.algorithm, "AES256");
        assert_eq!(parsed.bucket_key_enabled, Some(true));
        assert_eq!(
            parse(render(&parsed).as_bytes()).expect("round trip"),
            parsed
        );
    }

    #[test]
    fn invalid_documents_get_aws_errors() {
        let apply = |inner: &str| {
            doc(&format!(
                "<Rule><ApplyServerSideEncryptionByDefault>{inner}</ApplyServerSideEncryptionByDefault></Rule>"
            ))
        };
        let cases = [
            (doc(""), "MalformedXML"),
            (doc("<Rule></Rule>"), "MalformedXML"),
            (apply("<SSEAlgorithm>AES128</SSEAlgorithm>"), "MalformedXML"),
            (apply(""), "MalformedXML"),
            (
                apply("<SSEAlgorithm>AES256</SSEAlgorithm><KMSMasterKeyID>k</KMSMasterKeyID>"),
                "InvalidArgument",
            ),
            (
                apply("<SSEAlgorithm>aws:kms</SSEAlgorithm>"),
                "NotImplemented",
            ),
            ("<Other/>".to_string(), "MalformedXML"),
        ];
        for (body, code) in cases {
            assert_eq!(
                parse(body.as_bytes()).expect_err(&body).code,
                code,
                "{body}"
            );
        }
    }
}
