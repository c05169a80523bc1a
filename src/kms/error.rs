//! [`KmsError`]: an AWS KMS error code (`__type`) and message, worded like AWS's. The HTTP
//! status lives in one table (`api::status_of`); the S3 side maps the codes it meets itself.

use crate::meta::MetaError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmsError {
    /// The AWS `__type`, e.g. `DisabledException`.
    pub code: &'static str,
    pub message: String,
}

impl std::fmt::Display for KmsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for KmsError {}

impl KmsError {
    pub fn new(code: &'static str, message: impl Into<String>) -> KmsError {
        KmsError {
            code,
            message: message.into(),
        }
    }

    pub fn internal(err: impl std::fmt::Display) -> KmsError {
        tracing::error!(%err, "KMS request failed");
        KmsError::new(
            "KMSInternalException",
            "The request was rejected because an internal exception occurred.",
        )
    }

    pub fn validation(message: impl Into<String>) -> KmsError {
        KmsError::new("ValidationException", message)
    }

    /// A key id or key ARN that names no key.
    pub fn key_not_found(arn: &str) -> KmsError {
        KmsError::new("NotFoundException", format!("Key '{arn}' does not exist"))
    }

    pub fn alias_not_found(alias_arn: &str) -> KmsError {
        KmsError::new(
            "NotFoundException",
            format!("Alias {alias_arn} is not found."),
        )
    }

    /// An identifier that cannot name a key here.
    pub fn invalid_key_id(text: &str) -> KmsError {
        KmsError::new("NotFoundException", format!("Invalid keyId {text}"))
    }

    pub fn disabled(arn: &str) -> KmsError {
        KmsError::new("DisabledException", format!("{arn} is disabled."))
    }

    pub fn pending_deletion(arn: &str) -> KmsError {
        KmsError::new(
            "KMSInvalidStateException",
            format!("{arn} is pending deletion."),
        )
    }

    pub fn invalid_ciphertext() -> KmsError {
        KmsError::new(
            "InvalidCiphertextException",
            "The ciphertext is invalid, or the encryption context does not match the one it was encrypted with.",
        )
    }

    pub fn incorrect_key() -> KmsError {
        KmsError::new(
            "IncorrectKeyException",
            "The key ID in the request does not identify a CMK that can perform this operation.",
        )
    }
}

impl From<MetaError> for KmsError {
    fn from(err: MetaError) -> Self {
        KmsError::internal(err)
    }
}
