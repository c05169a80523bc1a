//! Parsed website configurations by bucket, keyed by the bucket record's `website_revision`
//! (read with the record on every request anyway), so a page view neither reads nor parses the
//! stored document once its revision is cached, and a changed configuration is never stale.

use std::sync::Arc;

use crate::s3::error::{S3Error, S3Result};
use crate::s3::website::{WebsiteConfig, parse};
use crate::store::config_cache::ConfigCache;

#[derive(Default)]
pub struct BucketWebsites {
    parsed: ConfigCache<WebsiteConfig>,
}

impl BucketWebsites {
    /// The configuration of `bucket` at `revision`; `load` reads the stored document when the
    /// cache does not hold that revision. A stored document that does not parse is an internal
    /// error: PutBucketWebsite validated it.
    pub fn get(
        &self,
        bucket: &str,
        revision: u64,
        load: impl FnOnce() -> S3Result<String>,
    ) -> S3Result<Arc<WebsiteConfig>> {
        self.parsed.get(bucket, revision, || {
            parse(load()?.as_bytes()).map_err(|err| {
                S3Error::internal(format!(
                    "the stored website configuration of {bucket} does not parse: {}",
                    err.message
                ))
            })
        })
    }

    pub fn forget(&self, bucket: &str) {
        self.parsed.forget(bucket);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SITE: &str = "<WebsiteConfiguration><IndexDocument><Suffix>index.html</Suffix></IndexDocument></WebsiteConfiguration>";
    const OTHER: &str = "<WebsiteConfiguration><IndexDocument><Suffix>home.html</Suffix></IndexDocument></WebsiteConfiguration>";

    #[test]
    fn cache_reloads_on_a_new_revision() {
        let cache = BucketWebsites::default();
        let first = cache.get("b", 1, || Ok(SITE.to_string())).expect("parses");
        let again = cache
            .get("b", 1, || panic!("revision 1 is cached"))
            .expect("cached");
        assert!(Arc::ptr_eq(&first, &again));
        let second = cache.get("b", 2, || Ok(OTHER.to_string())).expect("parses");
        assert_ne!(first, second);
    }
}
