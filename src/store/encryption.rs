//! Server-side encryption in the store: whose key seals a version's data key, and how a read
//! gets it back (docs/encryption.md).
//!
//! Each encrypted version (each part, for a multipart object) has its own random data key; the
//! bytes are AES-256-GCM packages (`crypto::package`) bound to bucket, key, the version's uid and
//! a stream (0, or the part number), written in place of the plaintext after the MD5 and
//! checksums have seen the plaintext. The data key is kept only sealed:
//! - SSE-S3: under a key derived from the master key;
//! - SSE-C: under a key derived from the customer's key, which is never stored; a salted HMAC
//!   recognises it, so a wrong key is refused before anything is read;
//! - SSE-KMS: by the built-in KMS (`kms`), which generates the data key and returns it with a
//!   ciphertext blob naming its key; the blob is bound to the object's encryption context;
//!
//! always with bucket/key/uid/stream as associated data, so a sealed key copied into another
//! record does not open. Transitions and restores copy the ciphertext as it is: the binding does
//! not name a layout.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::{Store, StoreError};
use crate::crypto::master_key::MasterKey;
use crate::crypto::package::{Binding, DataKey};
use crate::meta::model::{CustomerKeyCheck, Encryption, KmsKeyRef};

/// `x-amz-server-side-encryption` for SSE-S3, and the only SSE-C algorithm.
pub const SSE_S3: &str = "AES256";
const NONCE_LEN: usize = 12;
const SALT_LEN: usize = 16;

/// `x-amz-server-side-encryption` for SSE-KMS, and for dual-layer SSE-KMS.
pub const SSE_KMS: &str = "aws:kms";
pub const SSE_KMS_DSSE: &str = "aws:kms:dsse";

/// What a write asks for.
#[derive(Clone)]
pub enum SseRequest {
    /// SSE-S3 (`AES256`).
    S3,
    /// SSE-C: the customer's key, from the request.
    Customer(CustomerKey),
    /// SSE-KMS: data keys from a KMS key (already resolved, and the caller allowed to use it).
    Kms(KmsRequest),
}

/// An SSE-KMS write (`aws:kms`): the key, the encryption context its data keys are bound to,
/// and whether the object reports a bucket key.
#[derive(Debug, Clone)]
pub struct KmsRequest {
    pub key: crate::kms::KeyInfo,
    pub context: crate::kms::EncryptionContext,
    pub bucket_key: bool,
}

impl SseRequest {
    /// The customer's key of an SSE-C request.
    pub fn customer(&self) -> Option<&CustomerKey> {
        match self {
            SseRequest::Customer(key) => Some(key),
            SseRequest::S3 | SseRequest::Kms(_) => None,
        }
    }
}

/// An SSE-C key as a request brings it (already checked against its MD5). Zeroed on drop.
#[derive(Clone)]
pub struct CustomerKey {
    key: [u8; 32],
    /// `x-amz-server-side-encryption-customer-key-MD5` (base64), echoed on responses.
    md5: String,
}

impl CustomerKey {
    pub fn new(key: [u8; 32], md5: String) -> CustomerKey {
        CustomerKey { key, md5 }
    }

    pub fn md5(&self) -> &str {
        &self.md5
    }

    /// The key data keys are sealed under: never the customer's key itself.
    fn sealing_cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new((&hmac_sha256(&self.key, b"strata/sse-c/sealing-key/v1")).into())
    }

    fn check_with(&self, salt: &[u8]) -> [u8; 32] {
        hmac_sha256(salt, &self.key)
    }

    fn new_check(&self) -> CustomerKeyCheck {
        let salt: [u8; SALT_LEN] = rand::random();
        CustomerKeyCheck {
            salt: salt.to_vec(),
            mac: self.check_with(&salt).to_vec(),
        }
    }

    fn matches(&self, check: &CustomerKeyCheck) -> bool {
        self.check_with(&check.salt).ct_eq(&check.mac).into()
    }
}

impl Drop for CustomerKey {
    fn drop(&mut self) {
        self.key.fill(0);
        // Keeps the zeroing from being dropped as a dead store to memory about to be freed.
        std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
    }
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Why the key of an encrypted version cannot be had: the S3 layer answers each as AWS does.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the object is encrypted with a customer-provided key and the request has none")]
    CustomerKeyRequired,
    #[error("the customer-provided key is not the one the object was encrypted with")]
    WrongCustomerKey,
    #[error("the object is not encrypted with a customer-provided key")]
    CustomerKeyNotApplicable,
    /// The KMS refused (a disabled or deleted key, ...).
    #[error("KMS: {0}")]
    Kms(crate::kms::KmsError),
}

/// A request's SSE-C key against what a version (or upload) is encrypted with: a version under
/// SSE-C needs its key, any other refuses one.
pub fn check_customer_key(
    encryption: Option<&Encryption>,
    given: Option<&CustomerKey>,
) -> Result<(), KeyError> {
    match (encryption.and_then(|e| e.customer_key.as_ref()), given) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(KeyError::CustomerKeyNotApplicable),
        (Some(_), None) => Err(KeyError::CustomerKeyRequired),
        (Some(check), Some(key)) if key.matches(check) => Ok(()),
        (Some(_), Some(_)) => Err(KeyError::WrongCustomerKey),
    }
}

/// The key SSE-S3 data keys are sealed under.
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
fn key_context(label: &str, bucket: &str, key: &str, uid: &str, stream: u32) -> Vec<u8> {
    let mut out = label.as_bytes().to_vec();
    for field in [bucket, key, uid] {
        out.extend_from_slice(&(field.len() as u64).to_be_bytes());
        out.extend_from_slice(field.as_bytes());
    }
    out.extend_from_slice(&stream.to_be_bytes());
    out
}

/// Which data key: of stream `stream` of the version `uid` of bucket/key.
#[derive(Debug, Clone, Copy)]
pub struct StreamId<'a> {
    pub bucket: &'a str,
    pub key: &'a str,
    pub uid: &'a str,
    pub stream: u32,
}

impl StreamId<'_> {
    /// The packages of this stream are bound to it.
    pub fn binding(&self) -> Binding {
        Binding::new(self.bucket, self.key, self.uid.as_bytes(), self.stream)
    }

    fn context(&self, label: &str) -> Vec<u8> {
        key_context(label, self.bucket, self.key, self.uid, self.stream)
    }
}

const SSE_S3_LABEL: &str = "strata/sse-s3/data-key/v1";
const SSE_C_LABEL: &str = "strata/sse-c/data-key/v1";

fn seal(cipher: &Aes256Gcm, data_key: &DataKey, context: &[u8]) -> Result<Vec<u8>, StoreError> {
    let nonce: [u8; NONCE_LEN] = rand::random();
    let sealed = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: data_key.as_bytes(),
                aad: context,
            },
        )
        .map_err(|_| StoreError::Internal("sealing a data key failed".into()))?;
    Ok([nonce.as_slice(), &sealed].concat())
}

fn unseal(cipher: &Aes256Gcm, sealed: &[u8], context: &[u8]) -> Option<DataKey> {
    if sealed.len() < NONCE_LEN {
        return None;
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
    let mut plain = cipher
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad: context,
            },
        )
        .ok()?;
    let bytes: Option<[u8; 32]> = plain.as_slice().try_into().ok();
    plain.fill(0);
    bytes.map(DataKey::from_bytes)
}

/// The key id at the end of a key ARN (`arn:aws:kms:<region>:<account>:key/<id>`).
fn key_id_of(arn: &str) -> &str {
    arn.rsplit_once('/').map_or(arn, |(_, id)| id)
}

/// The encryption context an SSE-KMS version's data keys were generated under.
fn kms_context(kms: &KmsKeyRef) -> Result<crate::kms::EncryptionContext, StoreError> {
    serde_json::from_str(&kms.context).map_err(|err| {
        StoreError::Internal(format!("a stored encryption context does not parse: {err}"))
    })
}

/// The ETag of a version or part written under `encryption` with this data key and plaintext
/// MD5: the MD5 itself for SSE-S3 and plaintext, as on AWS; for SSE-C and SSE-KMS, whose ETags
/// are not the MD5 of the data on AWS either, a MAC of it under the data key, so that the
/// metadata reveals nothing that would confirm a guess of the plaintext.
pub fn etag(encryption: Option<&Encryption>, data_key: Option<&DataKey>, md5: &[u8; 16]) -> String {
    match (encryption, data_key) {
        (Some(e), Some(data_key)) if e.customer_key.is_some() || e.kms.is_some() => {
            let mac = hmac_sha256(data_key.as_bytes(), md5);
            hex::encode(&mac[..16])
        }
        _ => hex::encode(md5),
    }
}

impl Store {
    fn sealing_key(&self) -> Result<&SealingKey, StoreError> {
        self.sealing_key
            .as_ref()
            .ok_or_else(|| StoreError::Internal("server-side encryption needs a master key".into()))
    }

    /// What a version (or upload) encrypted as `request` records, before any data key: the
    /// algorithm and, for SSE-C, what recognises the key.
    pub(super) fn encryption_template(&self, request: &SseRequest) -> Encryption {
        let mut template = Encryption {
            algorithm: SSE_S3.to_string(),
            sealed_key: Vec::new(),
            customer_key: None,
            kms: None,
        };
        match request {
            SseRequest::S3 => {}
            SseRequest::Customer(key) => template.customer_key = Some(key.new_check()),
            SseRequest::Kms(kms) => {
                template.algorithm = SSE_KMS.to_string();
                template.kms = Some(KmsKeyRef {
                    key_arn: kms.key.arn.clone(),
                    context: serde_json::to_string(&kms.context).unwrap_or_default(),
                    bucket_key: kms.bucket_key,
                });
            }
        }
        template
    }

    fn kms(&self) -> Result<&crate::kms::Kms, StoreError> {
        self.kms
            .as_deref()
            .ok_or_else(|| StoreError::Internal("SSE-KMS needs the KMS".into()))
    }

    /// A new data key for `stream`, and the key sealed as `template`'s mode seals it. SSE-C
    /// needs the customer's key (`customer`), already checked against the template.
    pub(super) fn new_data_key(
        &self,
        template: &Encryption,
        customer: Option<&CustomerKey>,
        stream: StreamId<'_>,
    ) -> Result<(DataKey, Vec<u8>), StoreError> {
        if let Some(kms) = &template.kms {
            let (data_key, blob) = self
                .kms()?
                .generate_data_key(key_id_of(&kms.key_arn), &kms_context(kms)?)
                .map_err(KeyError::Kms)?;
            return Ok((DataKey::from_bytes(data_key), blob));
        }
        let data_key = DataKey::generate();
        let sealed = match (&template.customer_key, customer) {
            (None, _) => seal(
                &self.sealing_key()?.cipher,
                &data_key,
                &stream.context(SSE_S3_LABEL),
            )?,
            (Some(_), Some(customer)) => seal(
                &customer.sealing_cipher(),
                &data_key,
                &stream.context(SSE_C_LABEL),
            )?,
            (Some(_), None) => return Err(KeyError::CustomerKeyRequired.into()),
        };
        Ok((data_key, sealed))
    }

    /// The data key of `stream` of a version encrypted as `encryption`, from its sealed form.
    pub(super) fn data_key(
        &self,
        encryption: &Encryption,
        customer: Option<&CustomerKey>,
        stream: StreamId<'_>,
        sealed: &[u8],
    ) -> Result<DataKey, StoreError> {
        if let Some(kms) = &encryption.kms {
            let (mut plain, _) = self
                .kms()?
                .decrypt(sealed, &kms_context(kms)?)
                .map_err(KeyError::Kms)?;
            let bytes: Option<[u8; 32]> = plain.as_slice().try_into().ok();
            plain.fill(0);
            return bytes.map(DataKey::from_bytes).ok_or_else(|| {
                StoreError::Internal(format!(
                    "the KMS data key of {}/{} is not 32 bytes",
                    stream.bucket, stream.key
                ))
            });
        }
        let opened = match &encryption.customer_key {
            None => unseal(
                &self.sealing_key()?.cipher,
                sealed,
                &stream.context(SSE_S3_LABEL),
            ),
            Some(check) => {
                let customer = customer.ok_or(KeyError::CustomerKeyRequired)?;
                if !customer.matches(check) {
                    return Err(KeyError::WrongCustomerKey.into());
                }
                unseal(
                    &customer.sealing_cipher(),
                    sealed,
                    &stream.context(SSE_C_LABEL),
                )
            }
        };
        opened.ok_or_else(|| {
            StoreError::Internal(format!(
                "the data key of {}/{} (version {}, stream {}) does not open",
                stream.bucket, stream.key, stream.uid, stream.stream
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::Tree;
    use crate::store::object::{ChecksumSpec, PutInput, WriteCondition};
    use crate::store::test_support::{attrs, test_store};

    /// Whether any metadata record or any file under `dir` holds `needle`.
    fn anywhere(store: &Store, dir: &std::path::Path, needle: &[u8]) -> bool {
        let in_meta = Tree::ALL.iter().any(|tree| {
            let rows = store.meta.scan(*tree, b"", None, usize::MAX).expect("scan");
            rows.iter().any(|(k, v)| {
                k.windows(needle.len()).any(|w| w == needle)
                    || v.windows(needle.len()).any(|w| w == needle)
            })
        });
        fn in_files(dir: &std::path::Path, needle: &[u8]) -> bool {
            std::fs::read_dir(dir)
                .into_iter()
                .flatten()
                .flatten()
                .any(|entry| {
                    let path = entry.path();
                    if path.is_dir() {
                        in_files(&path, needle)
                    } else {
                        std::fs::read(&path)
                            .is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle))
                    }
                })
        }
        in_meta || in_files(dir, needle)
    }

    #[tokio::test]
    async fn data_keys_and_customer_keys_are_never_stored_in_clear() {
        let dir = tempfile::tempdir().expect("temp dir");
        let master_text = hex::encode([42u8; 32]);
        let master = MasterKey::load(dir.path(), Some(&master_text), None, false).expect("key");
        let store = test_store(&dir.path().join("store")).with_master_key(&master);
        store
            .create_bucket("b", "owner", "us-east-1")
            .await
            .expect("bucket");
        let customer = customer(77);
        for (key, request, size) in [
            ("s3-inline", SseRequest::S3, 10),
            ("s3-blob", SseRequest::S3, 300_000),
            ("c-blob", SseRequest::Customer(customer.clone()), 300_000),
        ] {
            let input = PutInput {
                bucket: "b".into(),
                key: key.into(),
                attrs: attrs("STANDARD"),
                content_md5: None,
                checksum: ChecksumSpec {
                    algorithm: crate::checksum::ChecksumAlgorithm::Crc64Nvme,
                    expected: None,
                },
                condition: WriteCondition::None,
                encryption: Some(request.clone()),
                lock: None,
            };
            let body = vec![5u8; size];
            let mut stream = futures_util::stream::iter(vec![Ok(bytes::Bytes::from(body))]);
            let version = store.put_object(input, &mut stream).await.expect("put");
            let encryption = version.encryption.as_ref().expect("encrypted");
            let stream_id = StreamId {
                bucket: "b",
                key,
                uid: &version.uid,
                stream: 0,
            };
            let data_key = store
                .data_key(
                    encryption,
                    request.customer(),
                    stream_id,
                    &encryption.sealed_key,
                )
                .expect("the data key opens");
            assert!(
                !anywhere(&store, dir.path(), data_key.as_bytes()),
                "{key}: a data key is stored in clear"
            );
        }
        assert!(!anywhere(&store, dir.path(), &customer.key));
    }

    fn customer(byte: u8) -> CustomerKey {
        CustomerKey::new([byte; 32], String::new())
    }

    #[test]
    fn a_customer_key_is_recognised_only_by_itself() {
        let key = customer(7);
        let check = key.new_check();
        assert!(key.matches(&check));
        assert!(!customer(8).matches(&check));
        // The check is salted: the same key gives another check each time.
        assert_ne!(key.new_check(), check);
        assert!(!check.mac.windows(32).any(|w| w == [7u8; 32]));
    }

    #[test]
    fn customer_key_rules() {
        let key = customer(1);
        let sse_c = Encryption {
            algorithm: SSE_S3.into(),
            sealed_key: Vec::new(),
            customer_key: Some(key.new_check()),
            kms: None,
        };
        let sse_s3 = Encryption {
            customer_key: None,
            ..sse_c.clone()
        };
        assert!(check_customer_key(None, None).is_ok());
        assert!(check_customer_key(Some(&sse_s3), None).is_ok());
        assert!(check_customer_key(Some(&sse_c), Some(&key)).is_ok());
        assert!(matches!(
            check_customer_key(Some(&sse_c), None),
            Err(KeyError::CustomerKeyRequired)
        ));
        assert!(matches!(
            check_customer_key(Some(&sse_c), Some(&customer(2))),
            Err(KeyError::WrongCustomerKey)
        ));
        assert!(matches!(
            check_customer_key(Some(&sse_s3), Some(&key)),
            Err(KeyError::CustomerKeyNotApplicable)
        ));
    }

    #[test]
    fn etags_are_the_md5_only_for_sse_s3_and_plaintext() {
        let md5 = [3u8; 16];
        let data_key = DataKey::from_bytes([9; 32]);
        let mut encryption = Encryption {
            algorithm: SSE_S3.into(),
            sealed_key: Vec::new(),
            customer_key: None,
            kms: None,
        };
        assert_eq!(etag(None, None, &md5), hex::encode(md5));
        assert_eq!(
            etag(Some(&encryption), Some(&data_key), &md5),
            hex::encode(md5)
        );
        encryption.customer_key = Some(customer(1).new_check());
        let keyed = etag(Some(&encryption), Some(&data_key), &md5);
        assert_eq!(keyed.len(), 32);
        assert_ne!(keyed, hex::encode(md5));
        let other_key = DataKey::from_bytes([10; 32]);
        assert_ne!(etag(Some(&encryption), Some(&other_key), &md5), keyed);
    }
}
