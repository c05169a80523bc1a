//! The sled engine behind [`MetaBackend`]: one sled tree per [`Tree`], multi-tree ACID
//! transactions, and an explicit `flush` (fsync) that the object layer calls before it
//! acknowledges a write — sled on its own only flushes every 500 ms, which `kill -9` would beat.

use std::path::Path;

use sled::Transactional;
use sled::transaction::{
    ConflictableTransactionError, TransactionError, TransactionalTree, UnabortableTransactionError,
};

use super::{Abort, KeyValue, MetaBackend, MetaError, Tree, Txn};

pub struct SledBackend {
    db: sled::Db,
    trees: Vec<sled::Tree>,
}

impl SledBackend {
    pub fn open(path: &Path) -> Result<Self, MetaError> {
        let db = sled::Config::new()
            .path(path)
            .cache_capacity(64 * 1024 * 1024)
            .open()
            .map_err(engine_error)?;
        let trees = Tree::ALL
            .iter()
            .map(|t| db.open_tree(t.name()).map_err(engine_error))
            .collect::<Result<_, _>>()?;
        Ok(SledBackend { db, trees })
    }

    fn tree(&self, tree: Tree) -> &sled::Tree {
        &self.trees[tree.index()]
    }

    pub fn size_on_disk(&self) -> Result<u64, MetaError> {
        self.db.size_on_disk().map_err(engine_error)
    }
}

fn engine_error(err: sled::Error) -> MetaError {
    MetaError::Backend(err.to_string())
}

/// A sled conflict must reach sled's transaction loop (so it re-runs the body) rather than be
/// reported as a failure; the body only sees `Abort`, and the engine error waits here.
struct SledTxn<'a> {
    trees: &'a [TransactionalTree],
    engine_error: std::cell::RefCell<Option<UnabortableTransactionError>>,
}

impl SledTxn<'_> {
    fn keep<T>(&self, result: Result<T, UnabortableTransactionError>) -> Result<T, Abort> {
        result.map_err(|err| {
            *self.engine_error.borrow_mut() = Some(err);
            Abort
        })
    }
}

impl Txn for SledTxn<'_> {
    fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>, Abort> {
        self.keep(self.trees[tree.index()].get(key))
            .map(|v| v.map(|v| v.to_vec()))
    }
    fn put(&self, tree: Tree, key: &[u8], value: &[u8]) -> Result<(), Abort> {
        self.keep(self.trees[tree.index()].insert(key, value))
            .map(|_| ())
    }
    fn delete(&self, tree: Tree, key: &[u8]) -> Result<(), Abort> {
        self.keep(self.trees[tree.index()].remove(key)).map(|_| ())
    }
}

impl MetaBackend for SledBackend {
    fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>, MetaError> {
        Ok(self
            .tree(tree)
            .get(key)
            .map_err(engine_error)?
            .map(|v| v.to_vec()))
    }

    fn scan(
        &self,
        tree: Tree,
        start: &[u8],
        end: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<KeyValue>, MetaError> {
        let iter = match end {
            Some(end) => self.tree(tree).range(start..end),
            None => self.tree(tree).range(start..),
        };
        iter.take(limit)
            .map(|item| {
                item.map(|(k, v)| (k.to_vec(), v.to_vec()))
                    .map_err(engine_error)
            })
            .collect()
    }

    fn transact(
        &self,
        body: &dyn Fn(&dyn Txn) -> Result<(), Abort>,
    ) -> Result<Result<(), Abort>, MetaError> {
        let result = self.trees.as_slice().transaction(|trees| {
            let txn = SledTxn {
                trees,
                engine_error: std::cell::RefCell::new(None),
            };
            let result = body(&txn);
            match txn.engine_error.into_inner() {
                Some(UnabortableTransactionError::Conflict) => {
                    Err(ConflictableTransactionError::Conflict)
                }
                Some(UnabortableTransactionError::Storage(err)) => {
                    Err(ConflictableTransactionError::Storage(err))
                }
                None => result.map_err(ConflictableTransactionError::Abort),
            }
        });
        match result {
            Ok(()) => Ok(Ok(())),
            Err(TransactionError::Abort(abort)) => Ok(Err(abort)),
            Err(TransactionError::Storage(err)) => Err(engine_error(err)),
        }
    }

    fn flush(&self) -> Result<(), MetaError> {
        self.db.flush().map(|_| ()).map_err(engine_error)
    }
}
