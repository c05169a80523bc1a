//! The bucket CORS configuration (PutBucketCors): stored as the validated XML document under
//! the bucket's `cors` entry of `Tree::BucketConfigs`, with its revision in the bucket record,
//! so a request that carries an `Origin` learns from the record it reads anyway whether there
//! is a configuration, and caches of the parsed one (`s3::cors::BucketCors`) know when to
//! reload. The store does not parse it: `s3::cors` validated it before it got here.

use super::{Store, StoreError};
use crate::meta::{Tree, keys};

/// The BucketConfigs entry of the CORS configuration.
pub(super) const CORS: &str = "cors";

impl Store {
    /// Put (Some) or delete (None) the CORS configuration; the caller has validated it.
    pub async fn set_bucket_cors(
        &self,
        name: &str,
        document: Option<String>,
    ) -> Result<(), StoreError> {
        let at = keys::bucket_config(name, CORS);
        self.meta.transact(|tx| {
            let mut record = Store::writable_bucket(tx, name)?;
            match &document {
                Some(text) => {
                    let previous = record.cors_revision.unwrap_or(0);
                    record.cors_revision = Some(super::now_nanos().max(previous + 1));
                    tx.put(Tree::BucketConfigs, &at, text.as_bytes())?;
                }
                None => {
                    record.cors_revision = None;
                    tx.delete(Tree::BucketConfigs, &at)?;
                }
            }
            tx.put_record(Tree::Buckets, name.as_bytes(), &record)?;
            Ok::<(), StoreError>(())
        })?;
        self.sync().await
    }

    /// The CORS configuration document, as stored by [`Store::set_bucket_cors`].
    pub fn bucket_cors(&self, name: &str) -> Result<Option<String>, StoreError> {
        match self
            .meta
            .get(Tree::BucketConfigs, &keys::bucket_config(name, CORS))?
        {
            None => Ok(None),
            Some(bytes) => String::from_utf8(bytes).map(Some).map_err(|_| {
                StoreError::Internal(format!(
                    "the stored CORS configuration of {name} is not UTF-8"
                ))
            }),
        }
    }
}
