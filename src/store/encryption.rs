//! Server-side encryption in the store (SSE-S3 so far; docs/encryption.md has the plan).
//!
//! Each encrypted version has its own random data key; the bytes are AES-256-GCM packages
//! (`crypto::package`) bound to bucket, key, the version's uid and stream 0, written in place of
//! the plaintext (inline or as a blob) after the MD5 and checksums have seen the plaintext. The
//! data key is kept only sealed, under a key derived from the master key, with the same
//! bucket/key/uid as associated data, so a sealed key copied into another record does not open.
//! Transitions and restores copy the ciphertext as it is: the binding does not name a layout.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};

use super::{Store, StoreError};
use crate::crypto::master_key::MasterKey;
use crate::crypto::package::{Binding, DataKey};
use crate::meta::model::Encryption;

/// `x-amz-server-side-encryption` for SSE-S3.
pub const SSE_S3: &str = "AES256";
const NONCE_LEN: usize = 12;

/// What a write asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SseRequest {
    /// SSE-S3 (`AES256`).
    S3,
}

/// The key data keys are sealed under.
pub struct SealingKey {
    cipher: Aes256Gcm,
}

impl SealingKey {
    pub fn from_master(master: &MasterKey) -> SealingKey {
        SealingKey {
            cipher: Aes256Gcm::new((&master.derive("sse-s3/data-keys")).into()),
        }
    }
}

/// The version (and stream: 0, or a part number) a data key belongs to, as associated data:
/// length-prefixed so no two encode alike.
fn key_context(bucket: &str, key: &str, uid: &str, stream: u32) -> Vec<u8> {
    let mut out = b"strata/sse-s3/data-key/v1".to_vec();
    for field in [bucket, key, uid] {
        out.extend_from_slice(&(field.len() as u64).to_be_bytes());
        out.extend_from_slice(field.as_bytes());
    }
    out.extend_from_slice(&stream.to_be_bytes());
    out
}

/// The packages of a version's stream (0, or a part number) are bound to its bucket, key and
/// uid.
pub fn binding(bucket: &str, key: &str, uid: &str, stream: u32) -> Binding {
    Binding::new(bucket, key, uid.as_bytes(), stream)
}

impl Store {
    fn sealing_key(&self) -> Result<&SealingKey, StoreError> {
        self.sealing_key
            .as_ref()
            .ok_or_else(|| StoreError::Internal("server-side encryption needs a master key".into()))
    }

    /// A new data key for stream `stream` of the version `uid` of bucket/key, and the record
    /// that keeps it sealed.
    pub(super) fn new_data_key(
        &self,
        request: SseRequest,
        bucket: &str,
        key: &str,
        uid: &str,
        stream: u32,
    ) -> Result<(DataKey, Encryption), StoreError> {
        let SseRequest::S3 = request;
        let data_key = DataKey::generate();
        let nonce: [u8; NONCE_LEN] = rand::random();
        let context = key_context(bucket, key, uid, stream);
        let sealed = self
            .sealing_key()?
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: data_key.as_bytes(),
                    aad: &context,
                },
            )
            .map_err(|_| StoreError::Internal("sealing a data key failed".into()))?;
        let encryption = Encryption {
            algorithm: SSE_S3.to_string(),
            sealed_key: [nonce.as_slice(), &sealed].concat(),
        };
        Ok((data_key, encryption))
    }

    /// The data key of stream `stream` of the encrypted version of bucket/key with `uid`.
    pub(super) fn data_key(
        &self,
        bucket: &str,
        key: &str,
        uid: &str,
        stream: u32,
        sealed: &[u8],
    ) -> Result<DataKey, StoreError> {
        let unreadable = || {
            StoreError::Internal(format!(
                "the data key of {bucket}/{key} (version {uid}, stream {stream}) does not open"
            ))
        };
        if sealed.len() < NONCE_LEN {
            return Err(unreadable());
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let context = key_context(bucket, key, uid, stream);
        let plain = self
            .sealing_key()?
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &context,
                },
            )
            .map_err(|_| unreadable())?;
        let bytes: [u8; 32] = plain.as_slice().try_into().map_err(|_| unreadable())?;
        Ok(DataKey::from_bytes(bytes))
    }
}
