//! A bucket's default encryption (PutBucketEncryption's `ServerSideEncryptionConfiguration`):
//! the typed model, AWS's validation and the document GetBucketEncryption answers.
//!
//! One `Rule` with `ApplyServerSideEncryptionByDefault` (`SSEAlgorithm`: `AES256`, `aws:kms`,
//! `aws:kms:dsse`; `KMSMasterKeyID` only with the KMS ones) and an optional `BucketKeyEnabled`.
//! Dual-layer (`aws:kms:dsse`) answers 501: strata applies one layer.
//! The key is resolved when a write uses it, as on AWS: a configuration may name a key that
//! does not exist yet, and the writes fail with `KMS.NotFoundException` until it does.

use crate::s3::error::S3Error;
use crate::s3::xml::{self, XmlWriter, only_children, optional_text, required_text, single};
use crate::store::bucket_config::BucketConfig;
use crate::store::config_cache::StoredConfig;
use crate::store::encryption::{SSE_KMS, SSE_KMS_DSSE, SSE_S3};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketEncryption {
    /// `AES256`, `aws:kms` or `aws:kms:dsse`.
    pub algorithm: String,
    /// `KMSMasterKeyID` (id, ARN, alias name or alias ARN); None = the account's `aws/s3`.
    pub kms_key_id: Option<String>,
    pub bucket_key_enabled: Option<bool>,
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
        SSE_KMS_DSSE => Err(dual_layer_not_built()),
        SSE_S3 | SSE_KMS => Ok(BucketEncryption {
            algorithm,
            kms_key_id: kms_key.filter(|id| !id.is_empty()),
            bucket_key_enabled,
        }),
        _ => Err(S3Error::malformed_xml()),
    }
}

/// Dual-layer SSE-KMS would claim two independent layers of encryption; strata applies one, so
/// it refuses the request rather than report a protection it does not give.
pub fn dual_layer_not_built() -> S3Error {
    S3Error::not_implemented("dual-layer server-side encryption with KMS keys (aws:kms:dsse)")
}

/// GetBucketEncryption's document (also the stored form).
pub fn render(config: &BucketEncryption) -> String {
    let mut out = XmlWriter::document();
    out.root("ServerSideEncryptionConfiguration");
    out.open("Rule");
    out.open("ApplyServerSideEncryptionByDefault");
    out.elem("SSEAlgorithm", &config.algorithm);
    if let Some(key) = &config.kms_key_id {
        out.elem("KMSMasterKeyID", key);
    }
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
    fn kms_defaults_keep_their_key() {
        let body = doc(
            "<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm>\
             <KMSMasterKeyID>alias/app</KMSMasterKeyID></ApplyServerSideEncryptionByDefault></Rule>",
        );
        let parsed = parse(body.as_bytes()).expect("parses");
        assert_eq!(parsed.algorithm, "aws:kms");
        assert_eq!(parsed.kms_key_id.as_deref(), Some("alias/app"));
        assert_eq!(
            parse(render(&parsed).as_bytes()).expect("round trip"),
            parsed
        );
        let dsse = doc(
            "<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms:dsse</SSEAlgorithm>\
             </ApplyServerSideEncryptionByDefault></Rule>",
        );
        // One layer is all strata applies: dual-layer is refused, not claimed.
        assert_eq!(
            parse(dsse.as_bytes()).expect_err("dsse").code,
            "NotImplemented"
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
