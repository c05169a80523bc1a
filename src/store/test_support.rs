//! What the store's unit tests share: a store on a temp directory with in-memory metadata, and
//! puts and reads without HTTP.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::{StreamExt, stream};

use crate::checksum::ChecksumAlgorithm;
use crate::chunk::{ChunkConfig, ChunkStore};
use crate::classes::StorageClasses;
use crate::meta::Meta;
use crate::meta::memory::MemoryBackend;
use crate::meta::model::{ObjectAttributes, ObjectVersion};
use crate::store::Store;
use crate::store::object::{ChecksumSpec, PutInput, WriteCondition};

/// Three AZs under `dir`, the built-in classes, in-memory metadata; objects up to 64 bytes are
/// stored inline, longer ones as blobs.
pub fn test_store(dir: &std::path::Path) -> Store {
    let classes = StorageClasses::embedded(3).expect("classes");
    let chunk = ChunkStore::open(ChunkConfig::with_default_azs(dir, 3)).expect("chunk store");
    let meta = Meta::new(Arc::new(MemoryBackend::default()));
    Store::new(meta, chunk, Arc::new(classes), 64)
}

pub fn attrs(class: &str) -> ObjectAttributes {
    ObjectAttributes {
        storage_class: class.into(),
        owner: "owner".into(),
        content: Default::default(),
        user_meta: Vec::new(),
        tags: Vec::new(),
        acl: None,
        website_redirect: None,
    }
}

pub async fn put(
    store: &Store,
    bucket: &str,
    key: &str,
    class: &str,
    body: &[u8],
) -> ObjectVersion {
    let input = PutInput {
        bucket: bucket.into(),
        key: key.into(),
        attrs: attrs(class),
        content_md5: None,
        checksum: ChecksumSpec {
            algorithm: ChecksumAlgorithm::Crc64Nvme,
            expected: None,
        },
        condition: WriteCondition::None,
        encryption: None,
        lock: None,
    };
    let mut body = stream::iter(vec![Ok(Bytes::copy_from_slice(body))]);
    store.put_object(input, &mut body).await.expect("put")
}

pub async fn read_all(store: &Store, version: &ObjectVersion) -> Vec<u8> {
    // Unit tests do not encrypt: bucket and key only bind encrypted packages.
    let mut stream = store
        .read_object("", "", version, 0..version.size, None)
        .expect("read");
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk.expect("chunk"));
    }
    out
}
