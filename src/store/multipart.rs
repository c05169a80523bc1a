//! Multipart uploads: parts are blobs of their own; completing an upload commits one version
//! that points at the chosen parts' blobs in order — no data is copied, and the object appears
//! atomically in that single transaction.

use md5::{Digest, Md5};

use super::encryption::{CustomerKey, SseRequest, StreamId, check_customer_key};
use super::object::{ChecksumSpec, MAX_PUT_SIZE, Stored, WriteCondition};
use super::{BodyStream, Store, StoreError, gc::release_blob, now_ms, now_nanos, random_hex};
use crate::checksum::{Checksum, ChecksumAlgorithm, ChecksumType, combine_full_object};
use crate::crypto::package::Encryptor;
use crate::meta::model::{
    ObjectAttributes, ObjectData, ObjectVersion, PartData, PartRecord, UploadRecord,
};
use crate::meta::{Tree, decode, keys};

/// AWS's minimum size of every part but the last.
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
pub const MAX_PART_NUMBER: u32 = 10_000;

/// Where a part goes and what the client declared about its bytes.
#[derive(Clone)]
pub struct PartInput<'a> {
    pub bucket: &'a str,
    pub key: &'a str,
    pub upload_id: &'a str,
    pub number: u32,
    pub content_md5: Option<[u8; 16]>,
    pub checksum: Option<Checksum>,
    /// The SSE-C key of the request (an SSE-C upload's parts need the upload's key).
    pub customer: Option<&'a CustomerKey>,
}

pub struct UploadsQuery<'a> {
    pub prefix: &'a str,
    pub key_marker: Option<&'a str>,
    pub upload_id_marker: Option<&'a str>,
    pub max_uploads: usize,
}

impl Store {
    pub async fn create_upload(
        &self,
        bucket: &str,
        key: &str,
        attrs: ObjectAttributes,
        checksum: Option<(ChecksumAlgorithm, ChecksumType)>,
        encryption: Option<&SseRequest>,
        lock: Option<crate::meta::model::ObjectLock>,
    ) -> Result<UploadRecord, StoreError> {
        let (checksum_algorithm, checksum_type) =
            checksum.unwrap_or((ChecksumAlgorithm::Crc64Nvme, ChecksumType::FullObject));
        // Upload ids start with the creation time so one key's uploads list in initiation order.
        let upload_id = format!("{:016x}{}", now_nanos(), random_hex(12));
        let record = UploadRecord {
            upload_id: upload_id.clone(),
            bucket: bucket.to_string(),
            key: key.to_string(),
            initiated_ms: now_ms(),
            attrs,
            checksum_algorithm,
            checksum_type,
            checksum_declared: checksum.is_some(),
            encryption: encryption.map(|request| self.encryption_template(request)),
            version_uid: encryption.map(|_| random_hex(16)),
            lock,
        };
        self.meta.transact(|tx| {
            let bucket_record = Store::writable_bucket(tx, bucket)?;
            tx.put_record(
                Tree::Uploads,
                &keys::upload(bucket, key, &upload_id),
                &record,
            )?;
            if bucket_record.lifecycle_revision.is_some() {
                // The worker works out when (if ever) a rule aborts it.
                let target = super::due::DueTarget::Upload {
                    bucket: bucket.to_string(),
                    key: key.to_string(),
                    upload_id: upload_id.clone(),
                };
                super::due::schedule(tx, now_ms(), &target)?;
            }
            Ok::<(), StoreError>(())
        })?;
        self.sync().await?;
        Ok(record)
    }

    pub fn upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<UploadRecord, StoreError> {
        self.bucket(bucket)?;
        self.meta
            .get_record(Tree::Uploads, &keys::upload(bucket, key, upload_id))?
            .ok_or_else(|| StoreError::NoSuchUpload(upload_id.to_string()))
    }

    pub async fn upload_part(
        &self,
        part: &PartInput<'_>,
        body: &mut dyn BodyStream,
    ) -> Result<PartRecord, StoreError> {
        let PartInput {
            bucket,
            key,
            upload_id,
            number: part_number,
            content_md5,
            checksum: expected_checksum,
            customer,
        } = part.clone();
        let upload = self.upload(bucket, key, upload_id)?;
        if let Some(expected) = &expected_checksum
            && expected.algorithm != upload.checksum_algorithm
            && upload.checksum_declared
        {
            return Err(StoreError::ChecksumTypeMismatch {
                expected: upload.checksum_algorithm,
                actual: expected.algorithm,
            });
        }
        let class = self.class(&upload.attrs.storage_class)?;
        let algorithm = expected_checksum
            .as_ref()
            .map_or(upload.checksum_algorithm, |c| c.algorithm);
        let spec = ChecksumSpec {
            algorithm,
            expected: expected_checksum,
        };
        // An encrypted upload's parts each get a data key of their own: a part number may be
        // uploaded again, and a key must never seal two plaintexts under one stream id.
        // SSE-C parts need the key the upload was created with.
        check_customer_key(upload.encryption.as_ref(), customer)?;
        let (encryptor, keyed) = match (&upload.encryption, &upload.version_uid) {
            (Some(encryption), Some(uid)) => {
                let stream = StreamId {
                    bucket,
                    key,
                    uid,
                    stream: part_number,
                };
                let (data_key, sealed) = self.new_data_key(encryption, customer, stream)?;
                let encryptor = Encryptor::unbounded(&data_key, stream.binding(), part_number);
                (Some(encryptor), Some((sealed, data_key)))
            }
            _ => (None, None),
        };
        let written = self
            .write_body(&class.layout, body, false, MAX_PUT_SIZE, &spec, encryptor)
            .await?;
        let Stored::Blob(blob) = &written.stored else {
            return Err(StoreError::Internal("part stored inline".into()));
        };
        if content_md5.is_some_and(|md5| md5 != written.md5) {
            self.discard(&written.stored).await;
            return Err(StoreError::BadDigest);
        }
        let part = PartRecord {
            number: part_number,
            size: written.size,
            etag: super::encryption::etag(
                upload.encryption.as_ref(),
                keyed.as_ref().map(|(_, data_key)| data_key),
                &written.md5,
            ),
            last_modified_ms: now_ms(),
            blob: blob.clone(),
            checksum: Some(written.checksum.clone()),
            sealed_key: keyed.map(|(sealed, _)| sealed),
        };
        let upload_key = keys::upload(bucket, key, upload_id);
        let part_key = keys::part(upload_id, part_number);
        let committed = self.meta.transact(|tx| {
            if tx.get(Tree::Uploads, &upload_key)?.is_none() {
                return Err(StoreError::NoSuchUpload(upload_id.to_string()));
            }
            if let Some(old) = tx.get_record::<PartRecord>(Tree::Parts, &part_key)? {
                release_blob(tx, &old.blob)?;
            }
            tx.put_record(Tree::Parts, &part_key, &part)?;
            tx.put(Tree::Blobs, &part.blob.id.0, &[])?;
            Ok(())
        });
        if let Err(err) = committed {
            self.discard(&written.stored).await;
            return Err(err);
        }
        self.sync().await?;
        self.gc_wakeup.notify_one();
        Ok(part)
    }

    /// Parts of an upload in part-number order, starting after `marker`.
    pub fn list_parts(
        &self,
        upload_id: &str,
        after: u32,
        limit: usize,
    ) -> Result<Vec<PartRecord>, StoreError> {
        let start = keys::part(upload_id, after.saturating_add(1));
        let end = keys::prefix_end(&keys::parts_of(upload_id));
        self.meta
            .scan(Tree::Parts, &start, end.as_deref(), limit)?
            .into_iter()
            .map(|(_, value)| decode(Tree::Parts, &value).map_err(StoreError::from))
            .collect()
    }

    fn all_parts(&self, upload_id: &str) -> Result<Vec<PartRecord>, StoreError> {
        let mut parts = Vec::new();
        loop {
            let after = parts.last().map_or(0, |p: &PartRecord| p.number);
            let batch = self.list_parts(upload_id, after, 1000)?;
            if batch.is_empty() {
                return Ok(parts);
            }
            parts.extend(batch);
        }
    }

    /// Complete an upload from the client's list of (part number, ETag).
    pub async fn complete_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        requested: &[RequestedPart],
        condition: &WriteCondition,
        default_lock: Option<crate::meta::model::ObjectLock>,
    ) -> Result<ObjectVersion, StoreError> {
        let upload = self.upload(bucket, key, upload_id)?;
        if requested.is_empty() {
            return Err(StoreError::InvalidPart(
                "You must specify at least one part".into(),
            ));
        }
        if requested.windows(2).any(|w| w[0].number >= w[1].number) {
            return Err(StoreError::InvalidPartOrder);
        }
        let stored = self.all_parts(upload_id)?;
        let mut chosen = Vec::with_capacity(requested.len());
        let mut md5s = Md5::new();
        for (index, wanted) in requested.iter().enumerate() {
            let part = stored
                .iter()
                .find(|p| {
                    p.number == wanted.number
                        && p.etag == normalize_etag(&wanted.etag)
                        && wanted.checksum.as_ref().is_none_or(|c| {
                            p.checksum.as_ref().is_some_and(|stored| c.verify(stored).is_ok())
                        })
                })
                .ok_or_else(|| {
                    StoreError::InvalidPart(
                        "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.".into(),
                    )
                })?;
            let is_last = index + 1 == requested.len();
            if !is_last && part.size < MIN_PART_SIZE {
                return Err(StoreError::EntityTooSmall {
                    part_number: part.number,
                    size: part.size,
                });
            }
            md5s.update(
                hex::decode(&part.etag)
                    .map_err(|e| StoreError::Internal(format!("part etag: {e}")))?,
            );
            chosen.push(part.clone());
        }
        let etag = format!("{}-{}", hex::encode(md5s.finalize()), chosen.len());
        let checksum = object_checksum(&upload, &chosen)?;
        let version = ObjectVersion {
            uid: upload.version_uid.clone().unwrap_or_else(|| random_hex(16)),
            version_id: None,
            delete_marker: false,
            last_modified_ms: now_ms(),
            sequence: 0,
            size: chosen.iter().map(|p| p.size).sum(),
            etag,
            attrs: upload.attrs.clone(),
            data: ObjectData::Parts(
                chosen
                    .iter()
                    .map(|p| PartData {
                        number: p.number,
                        size: p.size,
                        etag: p.etag.clone(),
                        blob: p.blob.clone(),
                        checksum: p.checksum.clone(),
                        sealed_key: p.sealed_key.clone(),
                    })
                    .collect(),
            ),
            checksum_type: checksum.as_ref().map(|_| upload.checksum_type),
            checksum,
            restore: None,
            tiering: None,
            class_since_ms: None,
            encryption: upload.encryption.clone(),
            // The upload's own lock, else the bucket's default retention as of completion.
            lock: upload.lock.or(default_lock),
        };
        let upload_key = keys::upload(bucket, key, upload_id);
        let version = self.commit_version(bucket, key, version, None, |tx, current| {
            condition.check(key, current)?;
            if tx.get(Tree::Uploads, &upload_key)?.is_none() {
                return Err(StoreError::NoSuchUpload(upload_id.to_string()));
            }
            tx.delete(Tree::Uploads, &upload_key)?;
            for part in &stored {
                // A part re-uploaded since we read the list changes its blob: refuse rather than
                // commit an object made of bytes the client did not list.
                let current: Option<PartRecord> =
                    tx.get_record(Tree::Parts, &keys::part(upload_id, part.number))?;
                if current.as_ref().map(|c| c.blob.id) != Some(part.blob.id) {
                    return Err(StoreError::InvalidPart(format!(
                        "part {} changed during completion",
                        part.number
                    )));
                }
                tx.delete(Tree::Parts, &keys::part(upload_id, part.number))?;
                if !chosen.iter().any(|c| c.blob.id == part.blob.id) {
                    release_blob(tx, &part.blob)?;
                }
            }
            Ok(())
        })?;
        self.sync().await?;
        self.gc_wakeup.notify_one();
        Ok(version)
    }

    pub async fn abort_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<(), StoreError> {
        self.upload(bucket, key, upload_id)?;
        let parts = self.all_parts(upload_id)?;
        let upload_key = keys::upload(bucket, key, upload_id);
        self.meta.transact(|tx| {
            if tx.get(Tree::Uploads, &upload_key)?.is_none() {
                return Err(StoreError::NoSuchUpload(upload_id.to_string()));
            }
            tx.delete(Tree::Uploads, &upload_key)?;
            for part in &parts {
                tx.delete(Tree::Parts, &keys::part(upload_id, part.number))?;
                release_blob(tx, &part.blob)?;
            }
            Ok(())
        })?;
        self.sync().await?;
        self.gc_wakeup.notify_one();
        Ok(())
    }

    pub fn list_uploads(
        &self,
        bucket: &str,
        query: &UploadsQuery<'_>,
    ) -> Result<(Vec<UploadRecord>, bool), StoreError> {
        self.bucket(bucket)?;
        let prefix_start = keys::object(bucket, query.prefix);
        let end = keys::prefix_end(&prefix_start);
        let mut start = match query.key_marker {
            Some(marker) => match query.upload_id_marker {
                Some(id) => {
                    let mut next = keys::upload(bucket, marker, id);
                    next.push(0);
                    next
                }
                None => keys::prefix_end(&keys::versions_of(bucket, marker)).unwrap_or_default(),
            },
            None => keys::bucket_prefix(bucket),
        };
        if start < prefix_start {
            start = prefix_start;
        }
        let rows = self
            .meta
            .scan(Tree::Uploads, &start, end.as_deref(), query.max_uploads + 1)?;
        let truncated = rows.len() > query.max_uploads;
        let uploads = rows
            .into_iter()
            .take(query.max_uploads)
            .map(|(_, value)| decode(Tree::Uploads, &value).map_err(StoreError::from))
            .collect::<Result<Vec<UploadRecord>, _>>()?;
        Ok((uploads, truncated))
    }
}

/// One entry of the client's CompleteMultipartUpload list.
#[derive(Debug)]
pub struct RequestedPart {
    pub number: u32,
    pub etag: String,
    /// A part checksum the client lists (`<ChecksumCRC32>`): must match the stored one.
    pub checksum: Option<Checksum>,
}

/// The object checksum of a completed upload: composite (checksum of the part checksums, `-N`)
/// or full-object (the part CRCs combined), as the upload declared.
fn object_checksum(
    upload: &UploadRecord,
    parts: &[PartRecord],
) -> Result<Option<Checksum>, StoreError> {
    let algorithm = upload.checksum_algorithm;
    if parts
        .iter()
        .any(|p| p.checksum.as_ref().is_none_or(|c| c.algorithm != algorithm))
    {
        // Parts checksummed with another algorithm than the (defaulted) upload one.
        return Ok(None);
    }
    let missing = || {
        StoreError::Internal(format!(
            "a part of upload {} has no checksum",
            upload.upload_id
        ))
    };
    let part_checksums = parts
        .iter()
        .map(|p| p.checksum.clone().ok_or_else(missing))
        .collect::<Result<Vec<_>, _>>()?;
    match upload.checksum_type {
        ChecksumType::Composite => {
            let value = Checksum::composite(algorithm, &part_checksums)
                .map_err(|e| StoreError::Internal(format!("composite checksum: {e}")))?;
            Ok(Some(Checksum { algorithm, value }))
        }
        ChecksumType::FullObject => {
            let pieces: Vec<(Checksum, u64)> = part_checksums
                .into_iter()
                .zip(parts.iter().map(|p| p.size))
                .collect();
            combine_full_object(algorithm, &pieces)
                .map(Some)
                .ok_or_else(|| StoreError::Internal("full-object checksum".into()))
        }
    }
}

/// Clients send part ETags quoted, unquoted, or with escaped quotes; compare the bare hex.
pub fn normalize_etag(etag: &str) -> String {
    etag.trim().trim_matches('"').to_ascii_lowercase()
}
