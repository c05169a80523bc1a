//! Parsed bucket configuration documents (bucket policy, CORS, website, ...), cached by bucket
//! and checked against the revision stamped in the bucket record — which the requests that need
//! a configuration read anyway — so such a request neither reads nor parses the stored document
//! once its revision is cached, and a changed or deleted document is never served stale.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::bucket_config::BucketConfig;
use super::{Store, StoreError};
use crate::meta::model::BucketRecord;

/// A configuration type the cache can load: which stored document it is parsed from, and how.
pub trait StoredConfig: Sized {
    const WHICH: BucketConfig;

    /// Parses the stored text of `bucket`'s document. It was validated before it was stored,
    /// so an error here is damage or a bug; it is reported as an internal error.
    fn parse_stored(bucket: &str, text: &str) -> Result<Self, String>;
}

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

impl<T: StoredConfig> ConfigCache<T> {
    /// The parsed document of `record`'s bucket; None when the bucket has none.
    pub fn get(&self, store: &Store, record: &BucketRecord) -> Result<Option<Arc<T>>, StoreError> {
        let Some(revision) = T::WHICH.revision(record) else {
            return Ok(None);
        };
        let bucket = record.name.as_str();
        let what = T::WHICH.describe();
        self.get_or_load(bucket, revision, || {
            let text = store.bucket_config(bucket, T::WHICH)?.ok_or_else(|| {
                StoreError::Internal(format!("the {what} of {bucket} is missing"))
            })?;
            T::parse_stored(bucket, &text).map_err(|err| {
                StoreError::Internal(format!(
                    "the stored {what} of {bucket} does not parse: {err}"
                ))
            })
        })
        .map(Some)
    }
}

impl<T> ConfigCache<T> {
    /// The cached document of `bucket` at `revision`, else what `load` gives (an error is
    /// returned as is and nothing is cached).
    fn get_or_load<E>(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cached_revision_is_served_without_loading_and_a_new_one_reloads() {
        let cache = ConfigCache::<String>::default();
        let load = |text: &str| {
            let text = text.to_string();
            move || Ok::<String, ()>(text)
        };
        let first = cache.get_or_load("b", 1, load("one")).expect("loads");
        let again = cache
            .get_or_load("b", 1, || Err(()))
            .expect("served from the cache without loading");
        assert!(Arc::ptr_eq(&first, &again));
        let second = cache.get_or_load("b", 2, load("two")).expect("reloads");
        assert_eq!(*second, "two");
        assert!(cache.get_or_load("b", 3, || Err(())).is_err());
        // A failed load cached nothing: revision 2 is still the cached one.
        assert!(Arc::ptr_eq(
            &second,
            &cache.get_or_load("b", 2, || Err(())).expect("still cached")
        ));
        cache.forget("b");
        assert!(cache.get_or_load("b", 2, || Err(())).is_err());
    }
}
