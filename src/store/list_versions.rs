//! ListObjectVersions: one range scan over the versions tree, keys in UTF-8 byte order and each
//! key's versions newest first, with the same delimiter rollup (and jump) as ListObjects.

use super::list::common_prefix;
use super::versions::VersionSelector;
use super::{Store, StoreError};
use crate::meta::model::ObjectVersion;
use crate::meta::{Tree, decode, keys};

pub struct VersionQuery<'a> {
    pub prefix: &'a str,
    pub delimiter: Option<&'a str>,
    /// Resume after this key (all its versions), or, with `version_marker`, after that version.
    pub key_marker: Option<&'a str>,
    pub version_marker: Option<VersionSelector>,
    pub max_keys: usize,
}

pub enum VersionEntry {
    Version {
        key: String,
        version: Box<ObjectVersion>,
        is_latest: bool,
    },
    CommonPrefix(String),
}

pub struct VersionPage {
    pub entries: Vec<VersionEntry>,
    pub is_truncated: bool,
}

impl Store {
    pub fn list_versions(
        &self,
        bucket: &str,
        query: &VersionQuery<'_>,
    ) -> Result<VersionPage, StoreError> {
        self.bucket(bucket)?;
        let scope = keys::versions_with_prefix(bucket, query.prefix);
        let end = keys::prefix_end(&scope);
        let (mut start, resumed_key) = self.versions_start(bucket, query, scope)?;
        let mut entries = Vec::new();
        let truncated = |entries: Vec<VersionEntry>| {
            Ok(VersionPage {
                entries,
                is_truncated: true,
            })
        };
        let mut previous_key: Option<String> = None;
        let batch_size = (query.max_keys + 1).clamp(2, 1001);
        while let Some(from) = start.take() {
            let batch = self
                .meta
                .scan(Tree::Versions, &from, end.as_deref(), batch_size)?;
            let Some((last, _)) = batch.last() else { break };
            let mut next = last.clone();
            next.push(0);
            // Where the next scan starts, unless a rolled-up prefix jumps further.
            start = Some(next);
            for (raw_key, value) in &batch {
                let Some((key, _)) = keys::split_escaped(bucket, raw_key) else {
                    continue;
                };
                if let Some(prefix) = common_prefix(query.prefix, query.delimiter, &key) {
                    if entries.len() == query.max_keys {
                        return truncated(entries);
                    }
                    let prefix = prefix.to_string();
                    let after = keys::prefix_end(&keys::versions_with_prefix(bucket, &prefix));
                    entries.push(VersionEntry::CommonPrefix(prefix));
                    previous_key = None;
                    start = after;
                    break;
                }
                let version: ObjectVersion = decode(Tree::Versions, value)?;
                if entries.len() == query.max_keys {
                    return truncated(entries);
                }
                let is_latest = if previous_key.as_ref() == Some(&key) {
                    false
                } else if resumed_key.as_ref() == Some(&key) {
                    // The page starts inside this key: the latest may or may not be behind us.
                    self.meta
                        .get_record::<ObjectVersion>(Tree::Objects, &keys::object(bucket, &key))?
                        .is_some_and(|latest| latest.uid == version.uid)
                } else {
                    true
                };
                previous_key = Some(key.clone());
                entries.push(VersionEntry::Version {
                    key,
                    version: Box::new(version),
                    is_latest,
                });
            }
        }
        Ok(VersionPage {
            entries,
            is_truncated: false,
        })
    }

    /// Where the scan starts, and the key it resumes inside of (after a version marker).
    fn versions_start(
        &self,
        bucket: &str,
        query: &VersionQuery<'_>,
        scope: Vec<u8>,
    ) -> Result<(Option<Vec<u8>>, Option<String>), StoreError> {
        let Some(marker) = query
            .key_marker
            .filter(|m| !m.is_empty() && m.as_bytes() >= query.prefix.as_bytes())
        else {
            return Ok((Some(scope), None));
        };
        let after_key = || keys::prefix_end(&keys::versions_of(bucket, marker));
        if common_prefix(query.prefix, query.delimiter, marker) == Some(marker) {
            // The marker is a rolled-up prefix: resume after all of it.
            return Ok((
                keys::prefix_end(&keys::versions_with_prefix(bucket, marker)),
                None,
            ));
        }
        let at = match query.version_marker {
            None | Some(VersionSelector::Latest) => return Ok((after_key(), None)),
            Some(VersionSelector::Id { sequence, uid }) => {
                Some(keys::version(bucket, marker, sequence, &uid))
            }
            Some(VersionSelector::Null) => self
                .meta
                .get(Tree::NullVersions, &keys::object(bucket, marker))?,
        };
        Ok(match at {
            Some(mut at) => {
                at.push(0);
                (Some(at), Some(marker.to_string()))
            }
            None => (after_key(), None),
        })
    }
}
