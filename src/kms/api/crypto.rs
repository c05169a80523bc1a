//! Cryptographic operations: Encrypt, Decrypt, ReEncrypt, GenerateDataKey and
//! GenerateDataKeyWithoutPlaintext. Plaintexts are at most 4,096 bytes, ciphertexts 6,144;
//! plaintext buffers are zeroed once encoded.

use base64::Engine as _;
use serde_json::{Value, json};

use super::ctx::Ctx;
use super::input::constraint;
use crate::kms::material::zero;
use crate::kms::model::KeyRecord;
use crate::kms::{KmsError, Names};

const MAX_PLAINTEXT: usize = 4096;
const MAX_CIPHERTEXT: usize = 6144;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn dry_run() -> KmsError {
    KmsError::new(
        "DryRunOperationException",
        "The request would have succeeded, but the DryRun option is set.",
    )
}

pub(super) fn encrypt(ctx: &Ctx<'_>) -> Result<Option<Value>, KmsError> {
    let mut plaintext = ctx.input.required_blob("Plaintext", MAX_PLAINTEXT)?;
    let context = ctx.input.context("EncryptionContext")?;
    ctx.input.algorithm("EncryptionAlgorithm")?;
    let record = ctx.key_for("KeyId", Names::KeyOrAlias, &ctx.action(), &context)?;
    ctx.kms.check_usable(&record)?;
    if ctx.input.dry_run()? {
        return Err(dry_run());
    }
    let blob = ctx.kms.encrypt_under(&record, &plaintext, &context);
    zero(&mut plaintext);
    Ok(Some(json!({
        "CiphertextBlob": b64(&blob?),
        "KeyId": ctx.kms.arn(&record),
        "EncryptionAlgorithm": "SYMMETRIC_DEFAULT",
    })))
}

/// The key a blob names, checked against the optional `key_member` (IncorrectKeyException when
/// it names another key) and authorized for `action`.
fn source_key(
    ctx: &Ctx<'_>,
    blob: &[u8],
    key_member: &str,
    action: &str,
    context: &crate::kms::EncryptionContext,
) -> Result<KeyRecord, KmsError> {
    let record = ctx.kms.blob_key(blob)?;
    if ctx.input.string(key_member)?.is_some() {
        let named = ctx.kms.find(
            ctx.account(),
            ctx.input.key_id(key_member)?,
            Names::KeyOrAlias,
        )?;
        if named.key_id != record.key_id {
            return Err(KmsError::incorrect_key());
        }
    }
    ctx.authorize(&record, action, context)?;
    Ok(record)
}

pub(super) fn decrypt(ctx: &Ctx<'_>) -> Result<Option<Value>, KmsError> {
    let blob = ctx.input.required_blob("CiphertextBlob", MAX_CIPHERTEXT)?;
    let context = ctx.input.context("EncryptionContext")?;
    ctx.input.algorithm("EncryptionAlgorithm")?;
    if ctx.input.member_present("Recipient") {
        return Err(KmsError::new(
            "UnsupportedOperationException",
            "Recipient (Nitro Enclaves attestation) is not supported by this KMS.",
        ));
    }
    let record = source_key(ctx, &blob, "KeyId", &ctx.action(), &context)?;
    ctx.kms.check_usable(&record)?;
    if ctx.input.dry_run()? {
        return Err(dry_run());
    }
    let (mut plaintext, record) = ctx.kms.decrypt_blob(&blob, &context)?;
    let encoded = b64(&plaintext);
    zero(&mut plaintext);
    Ok(Some(json!({
        "KeyId": ctx.kms.arn(&record),
        "Plaintext": encoded,
        "EncryptionAlgorithm": "SYMMETRIC_DEFAULT",
    })))
}

/// Needs `kms:ReEncryptFrom` on the source key and `kms:ReEncryptTo` on the destination.
pub(super) fn re_encrypt(ctx: &Ctx<'_>) -> Result<Option<Value>, KmsError> {
    let blob = ctx.input.required_blob("CiphertextBlob", MAX_CIPHERTEXT)?;
    let source_context = ctx.input.context("SourceEncryptionContext")?;
    let destination_context = ctx.input.context("DestinationEncryptionContext")?;
    ctx.input.algorithm("SourceEncryptionAlgorithm")?;
    ctx.input.algorithm("DestinationEncryptionAlgorithm")?;
    let source = source_key(
        ctx,
        &blob,
        "SourceKeyId",
        "kms:ReEncryptFrom",
        &source_context,
    )?;
    let destination = ctx.key_for(
        "DestinationKeyId",
        Names::KeyOrAlias,
        "kms:ReEncryptTo",
        &destination_context,
    )?;
    ctx.kms.check_usable(&source)?;
    ctx.kms.check_usable(&destination)?;
    if ctx.input.dry_run()? {
        return Err(dry_run());
    }
    let (mut plaintext, source) = ctx.kms.decrypt_blob(&blob, &source_context)?;
    let sealed = ctx
        .kms
        .encrypt_under(&destination, &plaintext, &destination_context);
    zero(&mut plaintext);
    Ok(Some(json!({
        "CiphertextBlob": b64(&sealed?),
        "SourceKeyId": ctx.kms.arn(&source),
        "KeyId": ctx.kms.arn(&destination),
        "SourceEncryptionAlgorithm": "SYMMETRIC_DEFAULT",
        "DestinationEncryptionAlgorithm": "SYMMETRIC_DEFAULT",
    })))
}

/// Exactly one of `KeySpec` (AES_256, AES_128) and `NumberOfBytes` (1 to 1,024).
fn data_key_length(ctx: &Ctx<'_>) -> Result<usize, KmsError> {
    let bytes = ctx.input.bounded("NumberOfBytes", 1, 1024)?;
    let spec = ctx.input.string("KeySpec")?;
    match (spec, bytes) {
        (Some(_), Some(_)) | (None, None) => Err(KmsError::validation(
            "Please specify either number of bytes or key spec.",
        )),
        (None, Some(n)) => Ok(n as usize),
        (Some("AES_256"), None) => Ok(32),
        (Some("AES_128"), None) => Ok(16),
        (Some(other), None) => Err(constraint(
            other,
            "KeySpec",
            "Member must satisfy enum value set: [AES_256, AES_128]",
        )),
    }
}

/// GenerateDataKey and GenerateDataKeyWithoutPlaintext: the plaintext key and its blob.
fn data_key(ctx: &Ctx<'_>) -> Result<(Vec<u8>, Vec<u8>, KeyRecord), KmsError> {
    let length = data_key_length(ctx)?;
    let context = ctx.input.context("EncryptionContext")?;
    if ctx.input.member_present("Recipient") {
        return Err(KmsError::new(
            "UnsupportedOperationException",
            "Recipient (Nitro Enclaves attestation) is not supported by this KMS.",
        ));
    }
    let record = ctx.key_for("KeyId", Names::KeyOrAlias, &ctx.action(), &context)?;
    ctx.kms.check_usable(&record)?;
    if ctx.input.dry_run()? {
        return Err(dry_run());
    }
    let mut plaintext = vec![0u8; length];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut plaintext);
    match ctx.kms.encrypt_under(&record, &plaintext, &context) {
        Ok(blob) => Ok((plaintext, blob, record)),
        Err(err) => {
            zero(&mut plaintext);
            Err(err)
        }
    }
}

pub(super) fn generate_data_key(ctx: &Ctx<'_>) -> Result<Option<Value>, KmsError> {
    let (mut plaintext, blob, record) = data_key(ctx)?;
    let encoded = b64(&plaintext);
    zero(&mut plaintext);
    Ok(Some(json!({
        "CiphertextBlob": b64(&blob),
        "Plaintext": encoded,
        "KeyId": ctx.kms.arn(&record),
    })))
}

pub(super) fn generate_data_key_without_plaintext(
    ctx: &Ctx<'_>,
) -> Result<Option<Value>, KmsError> {
    let (mut plaintext, blob, record) = data_key(ctx)?;
    zero(&mut plaintext);
    Ok(Some(json!({
        "CiphertextBlob": b64(&blob),
        "KeyId": ctx.kms.arn(&record),
    })))
}
