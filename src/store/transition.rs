//! Storage class transitions: a version keeps its id, ETag, LastModified and bytes, and moves to
//! another class. When the two classes store data the same way (same erasure code, block size,
//! spread and pool — STANDARD → STANDARD_IA, GLACIER_IR → GLACIER) only the label changes;
//! otherwise every blob is re-encoded into the target layout first.
//!
//! Crash safety follows the write protocol: the new blobs are written completely (not yet
//! referenced, so a crash leaves orphans the start-up recovery removes), then one transaction
//! swaps the version's data if the version is still exactly the one that was copied, and
//! releases the old blobs to the GC. At every instant the version reads from exactly one layout.

use futures_util::StreamExt;

use super::{Store, StoreError};
use crate::chunk::{BlobRef, Layout};
use crate::lifecycle::tiering::AccessTier;
use crate::meta::model::{ObjectData, ObjectVersion, PartData, TieringState};
use crate::meta::{Tree, TxnView};
use crate::store::versions::{KeyVersions, version_key};

/// What a transition did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transitioned {
    /// The bytes were re-encoded into the target layout.
    Rewritten,
    /// The classes share a layout: only the label changed.
    Relabelled,
    /// The version changed or disappeared meanwhile: nothing was done.
    Superseded,
}

impl Store {
    /// Moves `version` (as the caller read it) of bucket/key to storage class `class`.
    pub async fn transition_version(
        &self,
        bucket: &str,
        key: &str,
        version: &ObjectVersion,
        class: &str,
    ) -> Result<Transitioned, StoreError> {
        let target = self.class(class)?.layout.clone();
        let now = super::now_ms();
        self.relocate(bucket, key, version, &target, |tx, moved| {
            if moved.attrs.storage_class != class {
                // Leaving a class early is charged like a deletion (store::billing).
                self.charging().record(tx, bucket, moved, now)?;
                moved.class_since_ms = Some(now);
            }
            moved.attrs.storage_class = class.to_string();
            // Access tiers are INTELLIGENT_TIERING's; the version leaves it.
            moved.tiering = None;
            Ok(())
        })
        .await
    }

    /// Moves an INTELLIGENT_TIERING `version` to access tier `tier`: the instant tiers keep
    /// the class's layout, the archive tiers take their archive class's.
    pub async fn move_access_tier(
        &self,
        bucket: &str,
        key: &str,
        version: &ObjectVersion,
        tier: AccessTier,
    ) -> Result<Transitioned, StoreError> {
        let class = self.class(&version.attrs.storage_class)?;
        let archive = class
            .intelligent_tiering
            .as_ref()
            .and_then(|tiers| tiers.archive_class(tier));
        let target = match archive {
            Some(archive) => self.class(archive)?.layout.clone(),
            None => class.layout.clone(),
        };
        let last_access_ms = version.last_access_ms();
        self.relocate(bucket, key, version, &target, |_, moved| {
            moved.tiering = Some(TieringState {
                tier,
                last_access_ms,
            });
            Ok(())
        })
        .await
    }

    /// How `version`'s own data is laid out: its class's layout, or for an INTELLIGENT_TIERING
    /// version in an archive tier, that tier's archive class's.
    pub fn data_layout(&self, version: &ObjectVersion) -> Result<&Layout, StoreError> {
        let class = self.class(&version.attrs.storage_class)?;
        let archive = class
            .intelligent_tiering
            .as_ref()
            .and_then(|tiers| tiers.archive_class(version.access_tier()));
        Ok(match archive {
            Some(archive) => &self.class(archive)?.layout,
            None => &class.layout,
        })
    }

    /// Re-encodes `version`'s data into `target` unless it is laid out so already, then
    /// commits the version as `relabel` changes it, if it is still exactly the version that was
    /// read (data, and access tier state: a flushed read supersedes a move to a colder tier).
    async fn relocate(
        &self,
        bucket: &str,
        key: &str,
        version: &ObjectVersion,
        target: &Layout,
        relabel: impl Fn(&TxnView<'_>, &mut ObjectVersion) -> Result<(), StoreError>,
    ) -> Result<Transitioned, StoreError> {
        let rewrite = match &version.data {
            ObjectData::Inline => false,
            // Layouts compare code, block size, spread and pool: all that decides the shards.
            _ => self.data_layout(version)? != target,
        };
        let data = if rewrite {
            self.reencode(&version.data, target).await?
        } else {
            version.data.clone()
        };
        let committed = self.meta.transact(|tx| {
            let at = version_key(bucket, key, version);
            let Some(mut current) = tx.get_record::<ObjectVersion>(Tree::Versions, &at)? else {
                return Ok(false);
            };
            if current.uid != version.uid
                || current.data != version.data
                || current.tiering != version.tiering
            {
                return Ok(false);
            }
            relabel(tx, &mut current)?;
            current.data = data.clone();
            KeyVersions::new(tx, bucket, key).update(&current)?;
            if rewrite {
                for blob in current.blobs() {
                    tx.put(Tree::Blobs, &blob.id.0, &[])?;
                }
                for blob in version.blobs() {
                    super::gc::release_blob(tx, blob)?;
                }
            }
            Ok::<bool, StoreError>(true)
        });
        let outcome = match committed {
            Ok(true) if rewrite => Transitioned::Rewritten,
            Ok(true) => Transitioned::Relabelled,
            Ok(false) => Transitioned::Superseded,
            Err(err) => {
                if rewrite {
                    self.discard_data(&data).await;
                }
                return Err(err);
            }
        };
        if outcome == Transitioned::Superseded {
            if rewrite {
                self.discard_data(&data).await;
            }
            return Ok(outcome);
        }
        self.sync().await?;
        self.gc_wakeup.notify_one();
        Ok(outcome)
    }

    /// Copies every blob of `data` into `layout`, streaming (one stripe in memory at a time).
    pub(super) async fn reencode(
        &self,
        data: &ObjectData,
        layout: &Layout,
    ) -> Result<ObjectData, StoreError> {
        let blobs = data.blobs();
        if blobs.is_empty() {
            return Ok(data.clone());
        }
        // The old blobs must not be collected while they are being copied.
        let _lease = self.readers.register(blobs.iter().map(|b| b.id).collect());
        let mut copies = Vec::with_capacity(blobs.len());
        for blob in blobs {
            match self.copy_blob(blob, layout).await {
                Ok(copy) => copies.push(copy),
                Err(err) => {
                    for copy in &copies {
                        self.discard_blob(copy).await;
                    }
                    return Err(err);
                }
            }
        }
        Ok(match data {
            ObjectData::Parts(parts) => ObjectData::Parts(
                parts
                    .iter()
                    .zip(copies)
                    .map(|(part, blob)| PartData {
                        blob,
                        ..part.clone()
                    })
                    .collect(),
            ),
            _ => ObjectData::Blob(
                copies
                    .into_iter()
                    .next()
                    .ok_or_else(|| StoreError::Internal("a blob object without its blob".into()))?,
            ),
        })
    }

    async fn copy_blob(&self, blob: &BlobRef, layout: &Layout) -> Result<BlobRef, StoreError> {
        let mut writer = self.chunk.writer(layout)?;
        let mut source = Box::pin(self.chunk.read(blob, 0..blob.size));
        while let Some(chunk) = source.next().await {
            writer.write(chunk?).await?;
        }
        if writer.written() != blob.size {
            return Err(StoreError::Internal(format!(
                "blob {} read back {} of its {} bytes",
                blob.id,
                writer.written(),
                blob.size
            )));
        }
        Ok(writer.finish().await?)
    }

    pub(super) async fn discard_data(&self, data: &ObjectData) {
        for blob in data.blobs() {
            self.discard_blob(blob).await;
        }
    }

    pub(super) async fn discard_blob(&self, blob: &BlobRef) {
        if let Err(err) = self.chunk.delete(blob).await {
            tracing::warn!(blob = %blob.id, %err, "could not remove an uncommitted copy; the orphan GC will");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::{put, read_all, test_store};
    use crate::store::versions::VersionSelector;

    const BUCKET: &str = "tiers";

    async fn store_with_bucket(dir: &std::path::Path) -> Store {
        let store = test_store(dir);
        store
            .create_bucket(BUCKET, "owner", "us-east-1")
            .await
            .expect("bucket");
        store
    }

    fn latest(store: &Store, key: &str) -> ObjectVersion {
        store
            .version(BUCKET, key, VersionSelector::Latest)
            .expect("latest")
    }

    fn released(store: &Store, blob: &BlobRef) -> bool {
        store.meta.get(Tree::Gc, &blob.id.0).expect("gc").is_some()
            && store
                .meta
                .get(Tree::Blobs, &blob.id.0)
                .expect("blobs")
                .is_none()
    }

    #[tokio::test]
    async fn a_different_layout_re_encodes_and_keeps_the_version() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store_with_bucket(dir.path()).await;
        let body: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let before = put(&store, BUCKET, "big", "STANDARD", &body).await;
        let outcome = store
            .transition_version(BUCKET, "big", &before, "GLACIER_IR")
            .await
            .expect("transition");
        assert_eq!(outcome, Transitioned::Rewritten);
        let after = latest(&store, "big");
        assert_eq!(after.attrs.storage_class, "GLACIER_IR");
        assert_eq!(
            (&after.uid, &after.etag, after.last_modified_ms, after.size),
            (
                &before.uid,
                &before.etag,
                before.last_modified_ms,
                before.size
            )
        );
        let (old, new) = (before.blobs()[0], after.blobs()[0]);
        assert_ne!(old.id, new.id);
        assert_eq!((new.data_shards, new.parity_shards), (8, 4));
        assert_eq!(new.placement.len(), 12);
        assert!(released(&store, old), "the old blob goes to the GC");
        assert!(
            store
                .meta
                .get(Tree::Blobs, &new.id.0)
                .expect("blobs")
                .is_some()
        );
        assert_eq!(read_all(&store, &after).await, body);
    }

    #[tokio::test]
    async fn leaving_a_class_before_its_minimum_is_charged_and_restarts_the_clock() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store_with_bucket(dir.path()).await;
        let before = put(&store, BUCKET, "cold", "GLACIER", &[1u8; 1000]).await;
        let now = crate::store::now_ms();
        store
            .transition_version(BUCKET, "cold", &before, "DEEP_ARCHIVE")
            .await
            .expect("transition");
        let after = latest(&store, "cold");
        assert!(
            after.in_class_since_ms() >= now,
            "DEEP_ARCHIVE's days count from now"
        );
        let charges = store
            .early_deletions(BUCKET, 0, crate::store::now_ms())
            .expect("charges");
        assert_eq!(charges.len(), 1, "{charges:?}");
        let charge = &charges[0];
        assert_eq!(charge.class, "GLACIER");
        // 1,000 bytes plus GLACIER's 32 KiB index, short of 90 days by (almost) all of them.
        assert_eq!(charge.billable_bytes, 1000 + 32_768);
        assert!(
            charge.days_short > 89.99 && charge.days_short <= 90.0,
            "{charge:?}"
        );
        // STANDARD has no minimum: leaving it is free.
        let standard = put(&store, BUCKET, "warm", "STANDARD", &[2u8; 1000]).await;
        store
            .transition_version(BUCKET, "warm", &standard, "STANDARD_IA")
            .await
            .expect("transition");
        let charges = store
            .early_deletions(BUCKET, 0, crate::store::now_ms())
            .expect("charges");
        assert_eq!(charges.len(), 1, "{charges:?}");
    }

    #[tokio::test]
    async fn the_same_layout_only_relabels() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store_with_bucket(dir.path()).await;
        let body = vec![5u8; 200_000];
        let before = put(&store, BUCKET, "warm", "STANDARD", &body).await;
        let outcome = store
            .transition_version(BUCKET, "warm", &before, "STANDARD_IA")
            .await
            .expect("transition");
        assert_eq!(outcome, Transitioned::Relabelled);
        let after = latest(&store, "warm");
        assert_eq!(after.attrs.storage_class, "STANDARD_IA");
        assert_eq!(after.data, before.data);
        assert!(!released(&store, before.blobs()[0]));
        assert_eq!(read_all(&store, &after).await, body);
        // Inline objects have no shards: a label either way.
        let small = put(&store, BUCKET, "small", "STANDARD", b"tiny").await;
        let outcome = store
            .transition_version(BUCKET, "small", &small, "GLACIER_IR")
            .await
            .expect("transition");
        assert_eq!(outcome, Transitioned::Relabelled);
        assert_eq!(read_all(&store, &latest(&store, "small")).await, b"tiny");
    }

    #[tokio::test]
    async fn a_version_replaced_meanwhile_is_left_alone_and_the_copy_removed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store_with_bucket(dir.path()).await;
        let stale = put(&store, BUCKET, "k", "STANDARD", &vec![1u8; 100_000]).await;
        let current = put(&store, BUCKET, "k", "STANDARD", &vec![2u8; 100_000]).await;
        let outcome = store
            .transition_version(BUCKET, "k", &stale, "GLACIER")
            .await
            .expect("transition");
        assert_eq!(outcome, Transitioned::Superseded);
        let now = latest(&store, "k");
        assert_eq!(
            (now.uid.as_str(), now.attrs.storage_class.as_str()),
            (current.uid.as_str(), "STANDARD")
        );
        // The RS(8,4) copy was deleted: no shard file with an index above RS(4,2)'s is left.
        let shard_files = walk(dir.path());
        assert!(!shard_files.is_empty());
        assert!(
            shard_files
                .iter()
                .all(|name| !name.ends_with(".6") && !name.ends_with(".11")),
            "{shard_files:?}"
        );
    }

    fn walk(dir: &std::path::Path) -> Vec<String> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                names.extend(walk(&path));
            } else if path
                .parent()
                .and_then(|p| p.parent())
                .is_some_and(|p| p.ends_with("blobs"))
            {
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        names
    }
}
