//! An in-memory [`MetaBackend`] for unit tests: one lock around ordered maps, so every
//! transaction is trivially serializable. Not used by the server.

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::sync::Mutex;

use super::{Abort, KeyValue, MetaBackend, MetaError, Tree, Txn};

type Maps = HashMap<Tree, BTreeMap<Vec<u8>, Vec<u8>>>;

#[derive(Default)]
pub struct MemoryBackend {
    maps: Mutex<Maps>,
}

struct MemoryTxn {
    snapshot: std::cell::RefCell<Maps>,
}

impl Txn for MemoryTxn {
    fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>, Abort> {
        Ok(self
            .snapshot
            .borrow()
            .get(&tree)
            .and_then(|m| m.get(key).cloned()))
    }
    fn put(&self, tree: Tree, key: &[u8], value: &[u8]) -> Result<(), Abort> {
        self.snapshot
            .borrow_mut()
            .entry(tree)
            .or_default()
            .insert(key.to_vec(), value.to_vec());
        Ok(())
    }
    fn delete(&self, tree: Tree, key: &[u8]) -> Result<(), Abort> {
        self.snapshot
            .borrow_mut()
            .entry(tree)
            .or_default()
            .remove(key);
        Ok(())
    }
}

impl MemoryBackend {
    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Maps>, MetaError> {
        self.maps
            .lock()
            .map_err(|_| MetaError::Backend("memory backend lock poisoned".into()))
    }
}

impl MetaBackend for MemoryBackend {
    fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>, MetaError> {
        Ok(self.lock()?.get(&tree).and_then(|m| m.get(key).cloned()))
    }

    fn scan(
        &self,
        tree: Tree,
        start: &[u8],
        end: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<KeyValue>, MetaError> {
        let maps = self.lock()?;
        let Some(map) = maps.get(&tree) else {
            return Ok(Vec::new());
        };
        Ok(map
            .range(start.to_vec()..)
            .take_while(|(k, _)| end.is_none_or(|end| k.as_slice() < end))
            .take(limit)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }

    fn transact(
        &self,
        body: &dyn Fn(&dyn Txn) -> Result<(), Abort>,
    ) -> Result<Result<(), Abort>, MetaError> {
        let mut maps = self.lock()?;
        let txn = MemoryTxn {
            snapshot: std::cell::RefCell::new(maps.clone()),
        };
        let result = body(&txn);
        if result.is_ok() {
            *maps = txn.snapshot.into_inner();
        }
        Ok(result)
    }

    fn flush(&self) -> Result<(), MetaError> {
        Ok(())
    }
}
