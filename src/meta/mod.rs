//! Metadata: buckets, object versions, multipart uploads, blob references.
//!
//! Everything above this module talks to [`Meta`], which wraps a narrow [`MetaBackend`] trait:
//! point get, ordered range scan with a limit, and a serializable read-modify-write transaction
//! over named trees. That is all sled gives that we rely on, and all a SQL engine (PostgreSQL,
//! CockroachDB) can give too, so the engine can be swapped without touching the object layer.
//! Invariants: every mutation is one transaction; keys are byte-ordered so listings are range
//! scans (see `keys`); records are MessagePack with named fields so they can grow new fields.

pub mod keys;
pub mod memory;
pub mod model;
pub mod sled_backend;

use std::cell::RefCell;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tree {
    Buckets,
    /// bucket/key → the current version of each key (what ListObjects reads).
    Objects,
    /// bucket/key/version-order → every version, newest first within a key.
    Versions,
    /// data id → bytes of a small object stored in the metadata itself.
    Inline,
    Uploads,
    Parts,
    /// blob id → () for every blob some record references (the orphan GC's truth).
    Blobs,
    /// blob id → BlobRef of blobs no longer referenced, waiting for the GC worker.
    Gc,
    /// bucket/key → the Versions-tree key of the key's `null` version, wherever it sits.
    NullVersions,
    /// bucket/shard → version accounting counters (`store::usage`).
    Usage,
    /// bucket/name → a bucket configuration document (the bucket policy), read only when the
    /// revision stamped in the bucket record changes.
    BucketConfigs,
    /// 12-digit account id → `iam::model::AccountRecord`.
    Accounts,
    /// access key id → `iam::model::AccessKeyRecord` (secret sealed).
    AccessKeys,
    /// account/kind/name → IAM users, groups and managed policies (`iam::store::entity_key`).
    IamEntities,
    /// due time/kind/target → the target of a scheduled lifecycle or restore step (`store::due`).
    Due,
    /// bucket/month/uid/class → an early-deletion charge (`store::billing`).
    Billing,
    /// The master key's check value (`crypto::master_key`); KMS keys and aliases later.
    Kms,
}

impl Tree {
    pub const ALL: [Tree; 17] = [
        Tree::Buckets,
        Tree::Objects,
        Tree::Versions,
        Tree::Inline,
        Tree::Uploads,
        Tree::Parts,
        Tree::Blobs,
        Tree::Gc,
        Tree::NullVersions,
        Tree::Usage,
        Tree::BucketConfigs,
        Tree::Accounts,
        Tree::AccessKeys,
        Tree::IamEntities,
        Tree::Due,
        Tree::Billing,
        Tree::Kms,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Tree::Buckets => "buckets",
            Tree::Objects => "objects",
            Tree::Versions => "versions",
            Tree::Inline => "inline",
            Tree::Uploads => "uploads",
            Tree::Parts => "parts",
            Tree::Blobs => "blobs",
            Tree::Gc => "gc",
            Tree::NullVersions => "null_versions",
            Tree::Usage => "usage",
            Tree::BucketConfigs => "bucket_configs",
            Tree::Accounts => "accounts",
            Tree::AccessKeys => "access_keys",
            Tree::IamEntities => "iam_entities",
            Tree::Due => "due",
            Tree::Billing => "billing",
            Tree::Kms => "kms",
        }
    }

    fn index(self) -> usize {
        Tree::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MetaError {
    #[error("metadata engine: {0}")]
    Backend(String),
    #[error("corrupt metadata record in {tree}: {detail}")]
    Corrupt { tree: &'static str, detail: String },
}

/// Returned by a transaction body to stop and roll back; the caller's own error travels beside it.
#[derive(Debug)]
pub struct Abort;

pub type KeyValue = (Vec<u8>, Vec<u8>);

/// The operations a transaction body may perform; all of them see the transaction's snapshot.
pub trait Txn {
    fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>, Abort>;
    fn put(&self, tree: Tree, key: &[u8], value: &[u8]) -> Result<(), Abort>;
    fn delete(&self, tree: Tree, key: &[u8]) -> Result<(), Abort>;
}

/// What an engine must provide. Bodies passed to `transact` may run more than once (on conflict).
pub trait MetaBackend: Send + Sync + 'static {
    fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>, MetaError>;
    /// Keys in `[start, end)` in byte order, at most `limit`.
    fn scan(
        &self,
        tree: Tree,
        start: &[u8],
        end: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<KeyValue>, MetaError>;
    fn transact(
        &self,
        body: &dyn Fn(&dyn Txn) -> Result<(), Abort>,
    ) -> Result<Result<(), Abort>, MetaError>;
    /// Make every committed transaction durable (fsync).
    fn flush(&self) -> Result<(), MetaError>;
}

#[derive(Clone)]
pub struct Meta {
    backend: Arc<dyn MetaBackend>,
}

impl Meta {
    pub fn new(backend: Arc<dyn MetaBackend>) -> Self {
        Meta { backend }
    }

    pub fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>, MetaError> {
        self.backend.get(tree, key)
    }

    pub fn get_record<T: DeserializeOwned>(
        &self,
        tree: Tree,
        key: &[u8],
    ) -> Result<Option<T>, MetaError> {
        self.backend
            .get(tree, key)?
            .map(|bytes| decode(tree, &bytes))
            .transpose()
    }

    pub fn scan(
        &self,
        tree: Tree,
        start: &[u8],
        end: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<KeyValue>, MetaError> {
        self.backend.scan(tree, start, end, limit)
    }

    /// Run `body` as one serializable transaction. `body` returns `Err(E)` to roll back; the
    /// engine may re-run it on conflict, so it must only act through the `TxnView`.
    pub fn transact<R, E>(&self, body: impl Fn(&TxnView<'_>) -> Result<R, E>) -> Result<R, E>
    where
        E: From<MetaError>,
    {
        let outcome: RefCell<Option<Result<R, E>>> = RefCell::new(None);
        let result = self.backend.transact(&|txn| {
            let view = TxnView {
                txn,
                failure: RefCell::new(None),
            };
            let result = body(&view);
            if let Some(err) = view.failure.into_inner() {
                *outcome.borrow_mut() = Some(Err(E::from(err)));
                return Err(Abort);
            }
            let failed = result.is_err();
            *outcome.borrow_mut() = Some(result);
            if failed { Err(Abort) } else { Ok(()) }
        });
        match result {
            Err(engine) => Err(E::from(engine)),
            Ok(_) => outcome.into_inner().unwrap_or_else(|| {
                Err(E::from(MetaError::Backend(
                    "transaction body did not run".into(),
                )))
            }),
        }
    }

    pub fn flush(&self) -> Result<(), MetaError> {
        self.backend.flush()
    }
}

/// A transaction handle with typed record access. Engine failures inside the body are kept here
/// and turned into the caller's error type by [`Meta::transact`].
pub struct TxnView<'a> {
    txn: &'a dyn Txn,
    failure: RefCell<Option<MetaError>>,
}

impl TxnView<'_> {
    fn engine<T>(&self, result: Result<T, Abort>) -> Result<T, MetaError> {
        result.map_err(|Abort| {
            let err = MetaError::Backend("transaction aborted by the engine".into());
            *self.failure.borrow_mut() = Some(MetaError::Backend(err.to_string()));
            err
        })
    }

    pub fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>, MetaError> {
        let result = self.txn.get(tree, key);
        self.engine(result)
    }

    pub fn get_record<T: DeserializeOwned>(
        &self,
        tree: Tree,
        key: &[u8],
    ) -> Result<Option<T>, MetaError> {
        self.get(tree, key)?
            .map(|bytes| decode(tree, &bytes))
            .transpose()
    }

    pub fn put(&self, tree: Tree, key: &[u8], value: &[u8]) -> Result<(), MetaError> {
        let result = self.txn.put(tree, key, value);
        self.engine(result)
    }

    pub fn put_record<T: Serialize>(
        &self,
        tree: Tree,
        key: &[u8],
        record: &T,
    ) -> Result<(), MetaError> {
        self.put(tree, key, &encode(record)?)
    }

    pub fn delete(&self, tree: Tree, key: &[u8]) -> Result<(), MetaError> {
        let result = self.txn.delete(tree, key);
        self.engine(result)
    }
}

pub fn encode<T: Serialize>(record: &T) -> Result<Vec<u8>, MetaError> {
    rmp_serde::to_vec_named(record).map_err(|e| MetaError::Backend(format!("encode: {e}")))
}

pub fn decode<T: DeserializeOwned>(tree: Tree, bytes: &[u8]) -> Result<T, MetaError> {
    rmp_serde::from_slice(bytes).map_err(|e| MetaError::Corrupt {
        tree: tree.name(),
        detail: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backends() -> Vec<(&'static str, Meta, Option<tempfile::TempDir>)> {
        let dir = tempfile::tempdir().expect("tempdir");
        let sled = sled_backend::SledBackend::open(dir.path()).expect("open sled");
        vec![
            (
                "memory",
                Meta::new(Arc::new(memory::MemoryBackend::default())),
                None,
            ),
            ("sled", Meta::new(Arc::new(sled)), Some(dir)),
        ]
    }

    #[derive(Debug)]
    enum TestError {
        Meta,
        Exists,
    }
    impl From<MetaError> for TestError {
        fn from(_: MetaError) -> Self {
            TestError::Meta
        }
    }

    #[test]
    fn transaction_commits_or_rolls_back_as_a_whole() {
        for (name, meta, _dir) in backends() {
            let insert_if_absent = |key: &'static [u8]| {
                meta.transact(|tx| {
                    if tx.get(Tree::Objects, key)?.is_some() {
                        return Err(TestError::Exists);
                    }
                    tx.put(Tree::Objects, key, b"v")?;
                    tx.put(Tree::Blobs, key, b"")?;
                    Ok(())
                })
            };
            assert!(insert_if_absent(b"k").is_ok(), "{name}");
            assert!(
                matches!(insert_if_absent(b"k"), Err(TestError::Exists)),
                "{name}"
            );
            let rolled_back: Result<(), TestError> = meta.transact(|tx| {
                tx.put(Tree::Objects, b"other", b"v")?;
                Err(TestError::Exists)
            });
            assert!(rolled_back.is_err());
            assert_eq!(
                meta.get(Tree::Objects, b"other").expect("get"),
                None,
                "{name}"
            );
            assert_eq!(
                meta.get(Tree::Blobs, b"k").expect("get"),
                Some(vec![]),
                "{name}"
            );
            assert!(matches!(TestError::Meta, TestError::Meta));
        }
    }

    #[test]
    fn scan_is_ordered_bounded_and_limited() {
        for (name, meta, _dir) in backends() {
            for key in [&b"a"[..], b"b", b"ba", b"c", b"d"] {
                meta.transact(|tx| tx.put(Tree::Objects, key, key).map_err(|_| TestError::Meta))
                    .expect("put");
            }
            let keys = |start: &[u8], end: Option<&[u8]>, limit| {
                meta.scan(Tree::Objects, start, end, limit)
                    .expect("scan")
                    .into_iter()
                    .map(|(k, _)| String::from_utf8(k).expect("utf8"))
                    .collect::<Vec<_>>()
            };
            assert_eq!(keys(b"b", Some(b"c"), 10), ["b", "ba"], "{name}");
            assert_eq!(keys(b"", None, 3), ["a", "b", "ba"], "{name}");
            assert_eq!(keys(b"bb", None, 10), ["c", "d"], "{name}");
        }
    }
}
