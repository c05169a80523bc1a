//! Single objects: write a body (inline or as a blob), commit a version, read it back, delete it.

use std::ops::Range;
use std::pin::Pin;

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt, stream};

use super::encryption::{CustomerKey, SseRequest, StreamId, check_customer_key};
use super::hashing::BodyHasher;
use super::versions::{KeyVersions, VersionSelector};
use super::{BodyStream, Store, StoreError, now_ms, random_hex};
use crate::checksum::{Checksum, ChecksumAlgorithm, ChecksumType};
use crate::chunk::{BlobRef, BlobWriter, Layout};
use crate::crypto::package::{self, Decryptor, Encryptor};
use crate::meta::model::{BucketRecord, ObjectAttributes, ObjectData, ObjectVersion, PartData};
use crate::meta::{Tree, TxnView};

/// The largest single PUT AWS accepts (5 GiB); bigger objects need multipart.
pub const MAX_PUT_SIZE: u64 = 5 * 1024 * 1024 * 1024;

pub struct PutInput {
    pub bucket: String,
    pub key: String,
    pub attrs: ObjectAttributes,
    pub content_md5: Option<[u8; 16]>,
    pub checksum: ChecksumSpec,
    pub condition: WriteCondition,
    /// Server-side encryption to apply; None = store the bytes as sent.
    pub encryption: Option<SseRequest>,
    /// Object Lock the new version gets (its headers', or the bucket's default retention).
    pub lock: Option<crate::meta::model::ObjectLock>,
}

/// Which checksum to compute over a body, and the value the client declared in a header (if it
/// did) to verify before anything becomes visible. A trailing checksum was already verified by
/// `auth` while streaming; computing the same algorithm here records it.
#[derive(Debug, Clone)]
pub struct ChecksumSpec {
    pub algorithm: ChecksumAlgorithm,
    pub expected: Option<Checksum>,
}

/// A conditional write (`If-None-Match: *`, `If-Match: etag`), decided inside the commit
/// transaction so that of many racing writers exactly the allowed ones succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteCondition {
    None,
    IfAbsent,
    IfMatch(String),
}

impl WriteCondition {
    pub(super) fn check(
        &self,
        key: &str,
        current: Option<&ObjectVersion>,
    ) -> Result<(), StoreError> {
        let live = current.filter(|c| !c.delete_marker);
        match (self, live) {
            (WriteCondition::None, _) => Ok(()),
            (WriteCondition::IfAbsent, None) => Ok(()),
            (WriteCondition::IfAbsent, Some(_)) => {
                Err(StoreError::PreconditionFailed("If-None-Match"))
            }
            (WriteCondition::IfMatch(_), None) => Err(StoreError::NoSuchKey(key.to_string())),
            (WriteCondition::IfMatch(etag), Some(version)) if *etag == version.etag => Ok(()),
            (WriteCondition::IfMatch(_), Some(_)) => {
                Err(StoreError::PreconditionFailed("If-Match"))
            }
        }
    }
}

/// Where `write_body` puts the bytes it stores: memory up to the inline limit, then a blob.
struct Sink<'s> {
    store: &'s Store,
    layout: &'s Layout,
    inline_limit: usize,
    pending: BytesMut,
    writer: Option<BlobWriter>,
}

impl Sink<'_> {
    async fn write(&mut self, bytes: Bytes) -> Result<(), StoreError> {
        match self.writer.as_mut() {
            Some(writer) => writer.write(bytes).await?,
            None if self.pending.len() + bytes.len() <= self.inline_limit => {
                self.pending.extend_from_slice(&bytes)
            }
            None => {
                let mut writer = self.store.chunk.writer(self.layout)?;
                if !self.pending.is_empty() {
                    writer.write(self.pending.split().freeze()).await?;
                }
                writer.write(bytes).await?;
                self.writer = Some(writer);
            }
        }
        Ok(())
    }

    async fn finish(self, inline_allowed: bool) -> Result<Stored, StoreError> {
        Ok(match self.writer {
            Some(writer) => Stored::Blob(writer.finish().await?),
            None if inline_allowed => Stored::Inline(self.pending.freeze()),
            None => {
                let mut writer = self.store.chunk.writer(self.layout)?;
                if !self.pending.is_empty() {
                    writer.write(self.pending.freeze()).await?;
                }
                Stored::Blob(writer.finish().await?)
            }
        })
    }
}

/// The parts a byte `range` of a multipart object touches, each with the range within it.
fn parts_in_range(parts: &[PartData], range: Range<u64>) -> Vec<(&PartData, Range<u64>)> {
    let mut touched = Vec::new();
    let mut offset = 0u64;
    for part in parts {
        let part_range = offset..offset + part.size;
        offset += part.size;
        let start = range.start.max(part_range.start);
        let end = range.end.min(part_range.end);
        if start < end {
            touched.push((part, start - part_range.start..end - part_range.start));
        }
    }
    touched
}

/// One encrypted stream of a version: the whole object (stream 0) or one part.
struct EncryptedStream<'k> {
    stream: u32,
    /// Plaintext bytes.
    size: u64,
    sealed_key: &'k [u8],
}

/// An encrypted version being read, and how its data keys are had: its record, and the SSE-C
/// key of the request.
#[derive(Clone, Copy)]
struct VersionKeys<'k> {
    bucket: &'k str,
    key: &'k str,
    version: &'k ObjectVersion,
    encryption: &'k crate::meta::model::Encryption,
    customer: Option<&'k CustomerKey>,
}

/// A body that has been consumed and made durable, not yet visible.
pub(super) struct WrittenData {
    pub size: u64,
    pub md5: [u8; 16],
    pub checksum: Checksum,
    pub stored: Stored,
}

pub(super) enum Stored {
    Inline(Bytes),
    Blob(BlobRef),
}

pub type ObjectStream = Pin<Box<dyn Stream<Item = Result<Bytes, StoreError>> + Send>>;

impl Store {
    /// Consume `body`: small bodies stay in memory for an inline commit, larger ones stream into
    /// a blob. With an `encryptor`, what is stored is its packages (the hashes and the size are
    /// the plaintext's). On any error the writer guard removes its temp files.
    pub(super) async fn write_body(
        &self,
        layout: &Layout,
        body: &mut dyn BodyStream,
        inline_allowed: bool,
        max_size: u64,
        checksum: &ChecksumSpec,
        mut encryptor: Option<Encryptor>,
    ) -> Result<WrittenData, StoreError> {
        let mut hasher = BodyHasher::new(checksum.algorithm);
        let mut size: u64 = 0;
        // The threshold is of the object's size: an encrypted object of that size is stored
        // inline too, with its 16 bytes of tag per package.
        let inline_limit = match (inline_allowed, &encryptor) {
            (false, _) => 0,
            (true, None) => self.inline_threshold,
            (true, Some(_)) => package::encrypted_len(self.inline_threshold as u64) as usize,
        };
        let mut sink = Sink {
            store: self,
            layout,
            inline_limit,
            pending: BytesMut::new(),
            writer: None,
        };
        let mut packages = Vec::new();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(StoreError::Body)?;
            if chunk.is_empty() {
                continue;
            }
            size += chunk.len() as u64;
            if size > max_size {
                return Err(StoreError::EntityTooLarge);
            }
            hasher.update(&chunk).await?;
            match encryptor.as_mut() {
                None => sink.write(chunk).await?,
                Some(encryptor) => {
                    encryptor.push(&chunk, &mut packages)?;
                    for package in packages.drain(..) {
                        sink.write(package).await?;
                    }
                }
            }
        }
        if let Some(last) = encryptor.map(Encryptor::finish).transpose()?.flatten() {
            sink.write(last).await?;
        }
        let stored = sink.finish(inline_allowed).await?;
        let (md5, computed) = match hasher.finish().await {
            Ok(digests) => digests,
            Err(err) => {
                self.discard(&stored).await;
                return Err(err);
            }
        };
        let written = WrittenData {
            size,
            md5,
            checksum: computed,
            stored,
        };
        if let Some(expected) = &checksum.expected
            && expected.verify(&written.checksum).is_err()
        {
            self.discard(&written.stored).await;
            return Err(StoreError::BadChecksum(expected.algorithm));
        }
        Ok(written)
    }

    /// Delete a blob that was written but will never be committed.
    pub(super) async fn discard(&self, stored: &Stored) {
        if let Stored::Blob(blob) = stored {
            self.discard_blob(blob).await;
        }
    }

    pub async fn put_object(
        &self,
        input: PutInput,
        body: &mut dyn BodyStream,
    ) -> Result<ObjectVersion, StoreError> {
        // Fail fast before reading the body; the commit checks again inside its transaction.
        self.bucket(&input.bucket)?;
        let class = self.class(&input.attrs.storage_class)?;
        // The uid is fixed before the body is read: encrypted packages are bound to it.
        let uid = random_hex(16);
        let (encryptor, keyed) = match &input.encryption {
            None => (None, None),
            Some(request) => {
                let stream = StreamId {
                    bucket: &input.bucket,
                    key: &input.key,
                    uid: &uid,
                    stream: 0,
                };
                let mut encryption = self.encryption_template(request);
                let (data_key, sealed) =
                    self.new_data_key(&encryption, request.customer(), stream)?;
                encryption.sealed_key = sealed;
                let encryptor = Encryptor::unbounded(&data_key, stream.binding(), 0);
                (Some(encryptor), Some((encryption, data_key)))
            }
        };
        let written = self
            .write_body(
                &class.layout,
                body,
                true,
                MAX_PUT_SIZE,
                &input.checksum,
                encryptor,
            )
            .await?;
        if input.content_md5.is_some_and(|md5| md5 != written.md5) {
            self.discard(&written.stored).await;
            return Err(StoreError::BadDigest);
        }
        let (data, inline) = match &written.stored {
            Stored::Inline(bytes) => (ObjectData::Inline, Some(bytes.clone())),
            Stored::Blob(blob) => (ObjectData::Blob(blob.clone()), None),
        };
        let version = ObjectVersion {
            uid,
            version_id: None,
            delete_marker: false,
            last_modified_ms: now_ms(),
            sequence: 0,
            size: written.size,
            etag: super::encryption::etag(
                keyed.as_ref().map(|(encryption, _)| encryption),
                keyed.as_ref().map(|(_, data_key)| data_key),
                &written.md5,
            ),
            attrs: input.attrs,
            data,
            checksum: Some(written.checksum.clone()),
            checksum_type: Some(ChecksumType::FullObject),
            restore: None,
            tiering: None,
            class_since_ms: None,
            encryption: keyed.map(|(encryption, _)| encryption),
            lock: input.lock,
        };
        let condition = &input.condition;
        match self.commit_version(
            &input.bucket,
            &input.key,
            version,
            inline.as_deref(),
            |_, current| condition.check(&input.key, current),
        ) {
            Ok(version) => {
                self.sync().await?;
                self.gc_wakeup.notify_one();
                Ok(version)
            }
            Err(err) => {
                self.discard(&written.stored).await;
                Err(err)
            }
        }
    }

    /// Make `version` the latest version of bucket/key in one transaction (see
    /// `versions::KeyVersions::push` for ids and the `null` version). `extra` runs inside the
    /// same transaction (preconditions; multipart completion removes its upload records there).
    pub(super) fn commit_version(
        &self,
        bucket: &str,
        key: &str,
        version: ObjectVersion,
        inline: Option<&[u8]>,
        extra: impl Fn(&TxnView<'_>, Option<&ObjectVersion>) -> Result<(), StoreError>,
    ) -> Result<ObjectVersion, StoreError> {
        // Its access tier moves are scheduled by the lifecycle worker's look at the key.
        let monitored = self.monitored(&version);
        self.meta.transact(|tx| {
            let mut record: BucketRecord = Store::writable_bucket(tx, bucket)?;
            if !record.object_acls && super::acl::needs_object_acls(&record, &version) {
                // Authorization reads object ACLs only once this is set (store::acl).
                record.object_acls = true;
                tx.put_record(Tree::Buckets, bucket.as_bytes(), &record)?;
            }
            let mut versions = KeyVersions::new(tx, bucket, key).charging(self.charging());
            if monitored {
                versions.watch()?;
            } else {
                versions.watch_lifecycle(&record)?;
            }
            let latest = versions.latest()?;
            extra(tx, latest.as_ref())?;
            let mut version = version.clone();
            versions.push(&mut version, record.versioning, latest, inline)?;
            versions.finish()?;
            Ok(version)
        })
    }

    /// Stream bytes `range` of a version of bucket/key (decrypted when it is encrypted; SSE-C
    /// needs the customer's key). The blobs stay protected from the GC until the returned
    /// stream is dropped.
    pub fn read_object(
        &self,
        bucket: &str,
        key: &str,
        version: &ObjectVersion,
        range: Range<u64>,
        customer: Option<&CustomerKey>,
    ) -> Result<ObjectStream, StoreError> {
        check_customer_key(version.encryption.as_ref(), customer)?;
        let data = self.readable_data(version)?;
        let Some(encryption) = &version.encryption else {
            return self.read_data(version, data, range);
        };
        let keys = VersionKeys {
            bucket,
            key,
            version,
            encryption,
            customer,
        };
        let ObjectData::Parts(parts) = data else {
            let whole = EncryptedStream {
                stream: 0,
                size: version.size,
                sealed_key: &encryption.sealed_key,
            };
            return self.read_stream(keys, data, whole, range);
        };
        // Each part is a stream of its own, under its own data key.
        let mut pieces = Vec::new();
        for (part, within) in parts_in_range(parts, range) {
            let sealed = part.sealed_key.as_deref().ok_or_else(|| {
                StoreError::Internal(format!("part {} of {bucket}/{key} has no key", part.number))
            })?;
            let stored = ObjectData::Blob(part.blob.clone());
            let this_part = EncryptedStream {
                stream: part.number,
                size: part.size,
                sealed_key: sealed,
            };
            pieces.push(self.read_stream(keys, &stored, this_part, within)?);
        }
        Ok(Box::pin(stream::iter(pieces).flatten()))
    }

    /// Plaintext bytes `range` of one encrypted stream of `version`, stored as `data`: only the
    /// packages the range touches are read.
    fn read_stream(
        &self,
        keys: VersionKeys<'_>,
        data: &ObjectData,
        encrypted: EncryptedStream<'_>,
        range: Range<u64>,
    ) -> Result<ObjectStream, StoreError> {
        let EncryptedStream {
            stream,
            size,
            sealed_key,
        } = encrypted;
        let version = keys.version;
        let id = StreamId {
            bucket: keys.bucket,
            key: keys.key,
            uid: &version.uid,
            stream,
        };
        let data_key = self.data_key(keys.encryption, keys.customer, id, sealed_key)?;
        let span = package::ciphertext_span(range, size);
        if span.take == 0 {
            return Ok(Box::pin(stream::empty()));
        }
        let cipher = self.read_data(version, data, span.cipher.clone())?;
        let decryptor = Decryptor::new(&data_key, id.binding(), stream, size, &span);
        Ok(Box::pin(package::decrypt_stream(cipher, decryptor)))
    }

    /// Stream bytes `range` of what `data` stores (ciphertext for an encrypted version).
    fn read_data(
        &self,
        version: &ObjectVersion,
        data: &ObjectData,
        range: Range<u64>,
    ) -> Result<ObjectStream, StoreError> {
        match data {
            ObjectData::Inline => {
                let bytes = self
                    .meta
                    .get(Tree::Inline, &version.uid_bytes())?
                    .unwrap_or_default();
                let end = (range.end as usize).min(bytes.len());
                let start = (range.start as usize).min(end);
                let slice = Bytes::from(bytes).slice(start..end);
                Ok(Box::pin(stream::once(async move { Ok(slice) })))
            }
            ObjectData::Blob(blob) => {
                let lease = self.readers.register(vec![blob.id]);
                let inner = self.chunk.read(blob, range);
                Ok(Box::pin(inner.map(move |item| {
                    let _hold = &lease;
                    item.map_err(StoreError::from)
                })))
            }
            ObjectData::Parts(parts) => {
                let lease = self
                    .readers
                    .register(parts.iter().map(|p| p.blob.id).collect());
                let pieces: Vec<_> = parts_in_range(parts, range)
                    .into_iter()
                    .map(|(part, within)| (part.blob.clone(), within))
                    .collect();
                let chunk = self.chunk.clone();
                let inner =
                    stream::iter(pieces).flat_map(move |(blob, range)| chunk.read(&blob, range));
                Ok(Box::pin(inner.map(move |item| {
                    let _hold = &lease;
                    item.map_err(StoreError::from)
                })))
            }
        }
    }
}

impl Store {
    /// Replace the tag set of a version (the latest when `selector` says so).
    pub async fn set_object_tags(
        &self,
        bucket: &str,
        key: &str,
        selector: VersionSelector,
        tags: Vec<(String, String)>,
    ) -> Result<ObjectVersion, StoreError> {
        self.edit_version(bucket, key, selector, |version| {
            version.attrs.tags = tags.clone();
            Ok(())
        })
        .await
    }

    /// Rewrites a version's record (the latest when `selector` says so) as `edit` changes it,
    /// in one transaction with its current state. Lifecycle rules look at the key again: what
    /// changes (tags, a lock) may make an action due, or not.
    pub(super) async fn edit_version(
        &self,
        bucket: &str,
        key: &str,
        selector: VersionSelector,
        edit: impl Fn(&mut ObjectVersion) -> Result<(), StoreError>,
    ) -> Result<ObjectVersion, StoreError> {
        let target = self.version(bucket, key, selector)?;
        let version = self.meta.transact(|tx| {
            let record = Store::writable_bucket(tx, bucket)?;
            let versions = KeyVersions::new(tx, bucket, key);
            versions.watch_lifecycle(&record)?;
            let mut version = super::acl::reread_version(tx, bucket, key, selector, &target)?;
            edit(&mut version)?;
            let is_latest = versions.latest()?.is_some_and(|l| l.uid == version.uid);
            versions.rewrite(&version, is_latest)?;
            Ok::<_, StoreError>(version)
        })?;
        self.sync().await?;
        Ok(version)
    }
}
