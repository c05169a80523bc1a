//! The bucket website configuration (PutBucketWebsite): stored as the validated XML document
//! under the bucket's `website` entry of `Tree::BucketConfigs`, with its revision in the bucket
//! record so a reader (the website endpoint, later) knows whether there is one without a second
//! read. The store does not parse it: `s3::website` validated it before it got here, and parses
//! it again on read.

use super::{Store, StoreError};
use crate::meta::{Tree, keys};

/// The BucketConfigs entry of the website configuration.
pub(super) const WEBSITE: &str = "website";

impl Store {
    /// Put (Some) or delete (None) the website configuration; the caller has validated it.
    pub async fn set_bucket_website(
        &self,
        name: &str,
        document: Option<String>,
    ) -> Result<(), StoreError> {
        let at = keys::bucket_config(name, WEBSITE);
        self.meta.transact(|tx| {
            let mut record = Store::writable_bucket(tx, name)?;
            match &document {
                Some(text) => {
                    let previous = record.website_revision.unwrap_or(0);
                    record.website_revision = Some(super::now_nanos().max(previous + 1));
                    tx.put(Tree::BucketConfigs, &at, text.as_bytes())?;
                }
                None => {
                    record.website_revision = None;
                    tx.delete(Tree::BucketConfigs, &at)?;
                }
            }
            tx.put_record(Tree::Buckets, name.as_bytes(), &record)?;
            Ok::<(), StoreError>(())
        })?;
        self.sync().await
    }

    /// The website configuration document, as stored by [`Store::set_bucket_website`].
    pub fn bucket_website(&self, name: &str) -> Result<Option<String>, StoreError> {
        match self
            .meta
            .get(Tree::BucketConfigs, &keys::bucket_config(name, WEBSITE))?
        {
            None => Ok(None),
            Some(bytes) => String::from_utf8(bytes).map(Some).map_err(|_| {
                StoreError::Internal(format!(
                    "the stored website configuration of {name} is not UTF-8"
                ))
            }),
        }
    }
}
