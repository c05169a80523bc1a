//! The metadata records. Serialized with named fields (MessagePack), so a later issue adds a
//! field with `#[serde(default)]` instead of migrating data.
//!
//! The model is versioned from day one: every object write creates an [`ObjectVersion`]; an
//! unversioned bucket keeps exactly one version per key, the `null` one (`version_id: None`), and a
//! delete marker is a version. Turning versioning on is then an API feature, not a migration.

use serde::{Deserialize, Serialize};

use crate::checksum::{Checksum, ChecksumAlgorithm, ChecksumType};
use crate::chunk::BlobRef;
use crate::lifecycle::tiering::AccessTier;
use crate::policy::acl::{Acl, ObjectOwnership, PublicAccessBlock};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Versioning {
    #[default]
    Unversioned,
    Enabled,
    Suspended,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BucketRecord {
    pub name: String,
    /// Milliseconds since the Unix epoch.
    pub created_ms: i64,
    pub region: String,
    /// Canonical id of the owning account.
    pub owner: String,
    #[serde(default)]
    pub versioning: Versioning,
    /// Set while DeleteBucket checks emptiness: writes that see it fail with NoSuchBucket, and
    /// because they read this record in their transaction, a write racing the delete conflicts
    /// with the flag being set and re-runs.
    #[serde(default)]
    pub deleting: bool,
    /// Bucket tags (PutBucketTagging); None = no tag set (GetBucketTagging answers NoSuchTagSet).
    #[serde(default)]
    pub tags: Option<Vec<(String, String)>>,
    /// Revision of the bucket policy stored in `Tree::BucketConfigs`; None = no policy. Kept
    /// here (not the text) so the record every request reads stays small, and caches of the
    /// parsed policy know when to reload.
    #[serde(default)]
    pub policy_revision: Option<u64>,
    /// Revision of the CORS configuration stored in `Tree::BucketConfigs` (PutBucketCors);
    /// None = none configured. Caches of the parsed configuration reload when it changes.
    #[serde(default)]
    pub cors_revision: Option<u64>,
    /// Revision of the website configuration stored in `Tree::BucketConfigs` (PutBucketWebsite);
    /// None = none configured.
    #[serde(default)]
    pub website_revision: Option<u64>,
    /// Revision of the lifecycle configuration (PutBucketLifecycleConfiguration); None = none.
    #[serde(default)]
    pub lifecycle_revision: Option<u64>,
    /// Revision of the bucket's Intelligent-Tiering configurations (all in one document);
    /// None = none.
    #[serde(default)]
    pub intelligent_tiering_revision: Option<u64>,
    /// Revision of the default encryption configuration (PutBucketEncryption); None = none.
    #[serde(default)]
    pub encryption_revision: Option<u64>,
    /// Revision of the Object Lock configuration (PutObjectLockConfiguration, or CreateBucket
    /// with Object Lock); None = Object Lock is not enabled. Once set it is never removed.
    #[serde(default)]
    pub object_lock_revision: Option<u64>,
    /// The bucket ACL; None = the default (the owner's FULL_CONTROL).
    #[serde(default)]
    pub acl: Option<Acl>,
    /// Object ownership; None = what the server's bucket defaults gave it at creation
    /// (records from before this field behave as `ObjectWriter`).
    #[serde(default)]
    pub ownership: Option<ObjectOwnership>,
    /// None = no public access block configured.
    #[serde(default)]
    pub public_access_block: Option<PublicAccessBlock>,
    /// Set (and never cleared) once an object of this bucket is owned by another account or
    /// has an ACL other than the default: until then authorization need not read an object's
    /// record to know its ACL, which keeps GET off a second metadata read.
    #[serde(default)]
    pub object_acls: bool,
}

impl BucketRecord {
    pub fn ownership(&self) -> ObjectOwnership {
        self.ownership.unwrap_or_default()
    }
}

/// Headers stored with an object and returned on GET/HEAD.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContentHeaders {
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
    pub content_disposition: Option<String>,
    pub content_language: Option<String>,
    pub cache_control: Option<String>,
    pub expires: Option<String>,
}

/// What the writer of an object chose for it: kept by an upload until completion, then by
/// the version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectAttributes {
    pub storage_class: String,
    /// Canonical id of the owning account.
    pub owner: String,
    pub content: ContentHeaders,
    /// `x-amz-meta-*` pairs, names lowercased without the prefix, in arrival order.
    pub user_meta: Vec<(String, String)>,
    /// Object tags (`x-amz-tagging`, PutObjectTagging), at most 10.
    #[serde(default)]
    pub tags: Vec<(String, String)>,
    /// The object ACL; None = the default (the owner's FULL_CONTROL).
    #[serde(default)]
    pub acl: Option<Acl>,
    /// `x-amz-website-redirect-location`, validated on upload, returned on GET/HEAD.
    #[serde(default)]
    pub website_redirect: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ObjectData {
    /// Bytes live in the `Inline` tree under the version's uid.
    Inline,
    Blob(BlobRef),
    /// A completed multipart upload: the parts' blobs, in order, as they were uploaded.
    Parts(Vec<PartData>),
}

impl ObjectData {
    /// The blobs holding the bytes (none for inline data).
    pub fn blobs(&self) -> Vec<&BlobRef> {
        match self {
            ObjectData::Inline => Vec::new(),
            ObjectData::Blob(blob) => vec![blob],
            ObjectData::Parts(parts) => parts.iter().map(|p| &p.blob).collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartData {
    pub number: u32,
    pub size: u64,
    pub etag: String,
    pub blob: BlobRef,
    #[serde(default)]
    pub checksum: Option<Checksum>,
    /// An encrypted part's own data key, sealed (`store::encryption`); None in clear.
    #[serde(default)]
    pub sealed_key: Option<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectVersion {
    /// Unique per version, also the inline data key. Hex of 16 random bytes.
    pub uid: String,
    /// `None` is the `null` version (unversioned or suspended bucket).
    pub version_id: Option<String>,
    pub delete_marker: bool,
    pub last_modified_ms: i64,
    /// Sort position among the key's versions (nanoseconds, strictly increasing per key).
    pub sequence: u64,
    pub size: u64,
    /// Hex MD5 (single part) or `md5-of-md5s-N`, without quotes.
    pub etag: String,
    pub attrs: ObjectAttributes,
    pub data: ObjectData,
    /// The object's checksum: what the client sent (verified), or CRC64NVME computed by default.
    /// For a composite multipart checksum `value` ends in `-<parts>`.
    #[serde(default)]
    pub checksum: Option<Checksum>,
    #[serde(default)]
    pub checksum_type: Option<ChecksumType>,
    /// RestoreObject's state, for versions in a class that needs one (GLACIER, DEEP_ARCHIVE).
    #[serde(default)]
    pub restore: Option<RestoreState>,
    /// INTELLIGENT_TIERING versions once they have moved or been read: their access tier and
    /// last access. None = Frequent Access, not read since written.
    #[serde(default)]
    pub tiering: Option<TieringState>,
    /// When a transition put the version in its current class; None = since it was written.
    /// Minimum storage durations count from here.
    #[serde(default)]
    pub class_since_ms: Option<i64>,
    /// Server-side encryption of the stored bytes; None = stored as sent.
    #[serde(default)]
    pub encryption: Option<Encryption>,
    /// Object Lock: retention and legal hold (`store::object_lock`); None = neither.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock: Option<ObjectLock>,
}

/// A version's Object Lock state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ObjectLock {
    #[serde(default)]
    pub retention: Option<Retention>,
    /// None = never set (GetObjectLegalHold answers NoSuchObjectLockConfiguration); a hold
    /// released reads OFF.
    #[serde(default)]
    pub legal_hold: Option<bool>,
}

/// A retention period: the version cannot be deleted before `retain_until_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    pub mode: LockMode,
    pub retain_until_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LockMode {
    /// Shortened or removed only with `x-amz-bypass-governance-retention` and the
    /// `s3:BypassGovernanceRetention` permission.
    Governance,
    /// Extended only; never shortened or removed, by anyone.
    Compliance,
}

impl LockMode {
    pub fn as_str(self) -> &'static str {
        match self {
            LockMode::Governance => "GOVERNANCE",
            LockMode::Compliance => "COMPLIANCE",
        }
    }

    pub fn parse(text: &str) -> Option<LockMode> {
        match text {
            "GOVERNANCE" => Some(LockMode::Governance),
            "COMPLIANCE" => Some(LockMode::Compliance),
            _ => None,
        }
    }
}

/// How a version's bytes are encrypted (`crypto::package`: AES-256-GCM packages bound to bucket,
/// key, this version's uid and a stream: 0 for a single PUT, the part number for each part of a
/// multipart object, which has a data key of its own in its `PartData`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Encryption {
    /// `x-amz-server-side-encryption` as AWS reports it: `AES256` (SSE-S3, and the algorithm of
    /// SSE-C), `aws:kms`, `aws:kms:dsse`.
    pub algorithm: String,
    /// The version's data key, sealed (`store::encryption`): under the server's SSE-S3 key, a
    /// key derived from the customer's (SSE-C), or a KMS ciphertext blob (SSE-KMS); empty for a
    /// multipart object, whose parts have their own.
    #[serde(with = "serde_bytes")]
    pub sealed_key: Vec<u8>,
    /// SSE-C: what recognises the customer's key (the key itself is never stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_key: Option<CustomerKeyCheck>,
    /// SSE-KMS: the key and the encryption context the data keys were generated under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms: Option<KmsKeyRef>,
}

/// A salted HMAC-SHA256 of an SSE-C key: recognises the key a request brings, reveals nothing
/// of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerKeyCheck {
    #[serde(with = "serde_bytes")]
    pub salt: Vec<u8>,
    #[serde(with = "serde_bytes")]
    pub mac: Vec<u8>,
}

/// The KMS key of an SSE-KMS version and the encryption context its data keys are bound to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KmsKeyRef {
    /// The key's ARN (`x-amz-server-side-encryption-aws-kms-key-id` on responses).
    pub key_arn: String,
    /// The encryption context as JSON (`x-amz-server-side-encryption-context`, base64).
    pub context: String,
    /// `x-amz-server-side-encryption-bucket-key-enabled`.
    #[serde(default)]
    pub bucket_key: bool,
}

/// Where an INTELLIGENT_TIERING version is, and since when it has not been read. Reads are
/// recorded in memory and written here in batches (`store::access`), so a crash loses at most
/// the reads of the last batch: those objects then move a tier early, never lose data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TieringState {
    pub tier: AccessTier,
    pub last_access_ms: i64,
}

/// A restore of an archived version: requested, then (at `ready_ms`) a temporary copy in the
/// STANDARD layout that reads use until `expiry_ms`, when it is removed again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoreState {
    /// `Expedited`, `Standard` or `Bulk`.
    pub tier: String,
    pub requested_ms: i64,
    /// When the copy is due to be readable (the tier's latency after the request).
    pub ready_ms: i64,
    /// When the copy goes away: the request's `Days` after it, at a day boundary.
    pub expiry_ms: i64,
    /// The copy, once made; None while the restore is in progress.
    pub copy: Option<ObjectData>,
}

impl RestoreState {
    pub fn in_progress(&self) -> bool {
        self.copy.is_none()
    }
}

impl ObjectVersion {
    pub fn uid_bytes(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        if let Ok(bytes) = hex::decode(&self.uid) {
            let n = bytes.len().min(16);
            out[..n].copy_from_slice(&bytes[..n]);
        }
        out
    }

    /// Blobs this version references (for reference counting and GC).
    pub fn blobs(&self) -> Vec<&BlobRef> {
        self.data.blobs()
    }

    /// The blobs of a restored copy (an archived version's temporary STANDARD copy).
    pub fn restored_blobs(&self) -> Vec<&BlobRef> {
        self.restore
            .as_ref()
            .and_then(|r| r.copy.as_ref())
            .map(ObjectData::blobs)
            .unwrap_or_default()
    }

    /// An INTELLIGENT_TIERING version's access tier (Frequent until it moves).
    pub fn access_tier(&self) -> AccessTier {
        self.tiering.map_or(AccessTier::Frequent, |t| t.tier)
    }

    /// When the version was last read (its creation until then).
    pub fn last_access_ms(&self) -> i64 {
        self.tiering
            .map_or(self.last_modified_ms, |t| t.last_access_ms)
    }

    /// Since when the version has been in its storage class.
    pub fn in_class_since_ms(&self) -> i64 {
        self.class_since_ms.unwrap_or(self.last_modified_ms)
    }

    pub fn part_count(&self) -> Option<usize> {
        match &self.data {
            ObjectData::Parts(parts) => Some(parts.len()),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UploadRecord {
    pub upload_id: String,
    pub bucket: String,
    pub key: String,
    pub initiated_ms: i64,
    pub attrs: ObjectAttributes,
    pub checksum_algorithm: ChecksumAlgorithm,
    pub checksum_type: ChecksumType,
    /// Whether the client named the algorithm; if not (the CRC64NVME default), parts may carry
    /// checksums of another algorithm and the object then has no object-level checksum.
    #[serde(default)]
    pub checksum_declared: bool,
    /// The encryption the upload asked for (its data key empty: each part has its own).
    #[serde(default)]
    pub encryption: Option<Encryption>,
    /// The uid the completed object will have, fixed at creation so that encrypted parts can be
    /// bound to it; None for uploads in clear (the uid is drawn at completion).
    #[serde(default)]
    pub version_uid: Option<String>,
    /// Object Lock the object gets at completion (the request's headers).
    #[serde(default)]
    pub lock: Option<ObjectLock>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartRecord {
    pub number: u32,
    pub size: u64,
    pub etag: String,
    pub last_modified_ms: i64,
    pub blob: BlobRef,
    #[serde(default)]
    pub checksum: Option<Checksum>,
    /// The part's data key, sealed, when the upload is encrypted.
    #[serde(default)]
    pub sealed_key: Option<Vec<u8>>,
}
