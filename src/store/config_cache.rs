//! Parsed bucket configuration documents (bucket policy, CORS, website), cached by bucket and
//! checked against the revision stamped in the bucket record — which the requests that need a
//! configuration read anyway — so such a request neither reads nor parses the stored document
//! once its revision is cached, and a changed or deleted document is never served stale.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

pub struct ConfigCache<T> {
    parsed: RwLock<HashMap<String, (u64, Arc<T>)>>,
}

impl<T> Default for ConfigCache<T> {
    fn default() -> Self {
        ConfigCache {
            parsed: RwLock::new(HashMap::new()),
        }
    }
}

impl<T> ConfigCache<T> {
    /// The parsed document of `bucket` at `revision`; `load` reads and parses it when the
    /// cache does not hold that revision (its error is returned as is, nothing is cached).
    pub fn get<E>(
        &self,
        bucket: &str,
        revision: u64,
        load: impl FnOnce() -> Result<T, E>,
    ) -> Result<Arc<T>, E> {
        if let Ok(parsed) = self.parsed.read()
            && let Some((cached, document)) = parsed.get(bucket)
            && *cached == revision
        {
            return Ok(document.clone());
        }
        let document = Arc::new(load()?);
        if let Ok(mut parsed) = self.parsed.write() {
            parsed.insert(bucket.to_string(), (revision, document.clone()));
        }
        Ok(document)
    }

    /// Drops the entry of a deleted bucket (a bucket of the same name starts again at no
    /// revision, but the memory should not outlive the bucket).
    pub fn forget(&self, bucket: &str) {
        if let Ok(mut parsed) = self.parsed.write() {
            parsed.remove(bucket);
        }
    }
}
