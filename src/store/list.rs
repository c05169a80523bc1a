//! ListObjects as a range scan over the current-version tree, with S3's delimiter rollup.
//!
//! Keys are visited in UTF-8 byte order starting after the marker. With a delimiter, a key whose
//! remainder (after the prefix) contains the delimiter is rolled into a common prefix, and the
//! scan then jumps past every key sharing that prefix instead of walking them: a listing of a
//! bucket with a million keys under `logs/` costs one seek, not a million reads.

use super::{Store, StoreError};
use crate::meta::model::ObjectVersion;
use crate::meta::{Tree, decode, keys};

pub struct ListQuery<'a> {
    pub prefix: &'a str,
    pub delimiter: Option<&'a str>,
    /// Exclusive: list what comes after this key (or after this common prefix, as a whole).
    pub after: Option<&'a str>,
    pub max_keys: usize,
}

pub enum Entry {
    Object(String, Box<ObjectVersion>),
    CommonPrefix(String),
}

impl Entry {
    pub fn name(&self) -> &str {
        match self {
            Entry::Object(key, _) | Entry::CommonPrefix(key) => key,
        }
    }
}

pub struct ListPage {
    pub entries: Vec<Entry>,
    pub is_truncated: bool,
}

impl Store {
    pub fn list_objects(
        &self,
        bucket: &str,
        query: &ListQuery<'_>,
    ) -> Result<ListPage, StoreError> {
        self.bucket(bucket)?;
        let bucket_start = keys::object(bucket, query.prefix);
        let end = keys::prefix_end(&bucket_start);
        let mut start = match query.after {
            Some(after) if after.as_bytes() >= query.prefix.as_bytes() => {
                match common_prefix(query.prefix, query.delimiter, after) {
                    // The marker is a rolled-up prefix: resume after all of it.
                    Some(prefix) if prefix == after => {
                        match keys::prefix_end(&keys::object(bucket, prefix)) {
                            Some(next) => next,
                            None => {
                                return Ok(ListPage {
                                    entries: Vec::new(),
                                    is_truncated: false,
                                });
                            }
                        }
                    }
                    _ => {
                        let mut next = keys::object(bucket, after);
                        next.push(0);
                        next
                    }
                }
            }
            _ => bucket_start.clone(),
        };
        let mut entries: Vec<Entry> = Vec::new();
        let batch_size = (query.max_keys + 1).clamp(2, 1001);
        loop {
            let batch = self
                .meta
                .scan(Tree::Objects, &start, end.as_deref(), batch_size)?;
            if batch.is_empty() {
                return Ok(ListPage {
                    entries,
                    is_truncated: false,
                });
            }
            let mut jumped = false;
            for (raw_key, value) in &batch {
                let Some(key) = keys::object_key_of(bucket, raw_key) else {
                    continue;
                };
                if let Some(prefix) = common_prefix(query.prefix, query.delimiter, &key) {
                    if entries.len() == query.max_keys {
                        return Ok(ListPage {
                            entries,
                            is_truncated: true,
                        });
                    }
                    let prefix = prefix.to_string();
                    let next = keys::prefix_end(&keys::object(bucket, &prefix));
                    entries.push(Entry::CommonPrefix(prefix));
                    match next {
                        Some(next) => {
                            start = next;
                            jumped = true;
                            break;
                        }
                        None => {
                            return Ok(ListPage {
                                entries,
                                is_truncated: false,
                            });
                        }
                    }
                }
                let version: ObjectVersion = decode(Tree::Objects, value)?;
                if version.delete_marker {
                    continue;
                }
                if entries.len() == query.max_keys {
                    return Ok(ListPage {
                        entries,
                        is_truncated: true,
                    });
                }
                entries.push(Entry::Object(key, Box::new(version)));
            }
            if !jumped {
                let Some((last, _)) = batch.last() else { break };
                start = last.clone();
                start.push(0);
            }
        }
        Ok(ListPage {
            entries,
            is_truncated: false,
        })
    }
}

/// The common prefix `key` rolls up into: prefix + remainder up to and including the first
/// delimiter, or None when the key is listed by itself.
pub fn common_prefix<'k>(prefix: &str, delimiter: Option<&str>, key: &'k str) -> Option<&'k str> {
    let delimiter = delimiter.filter(|d| !d.is_empty())?;
    let rest = key.strip_prefix(prefix)?;
    let at = rest.find(delimiter)?;
    Some(&key[..prefix.len() + at + delimiter.len()])
}

#[cfg(test)]
mod tests {
    use super::common_prefix;

    #[test]
    fn common_prefix_rolls_up_at_the_first_delimiter_after_the_prefix() {
        assert_eq!(common_prefix("", Some("/"), "a/b/c"), Some("a/"));
        assert_eq!(common_prefix("a/", Some("/"), "a/b/c"), Some("a/b/"));
        assert_eq!(common_prefix("a/", Some("/"), "a/b"), None);
        assert_eq!(common_prefix("", Some("--"), "x--y--z"), Some("x--"));
        assert_eq!(common_prefix("", None, "a/b"), None);
        assert_eq!(common_prefix("", Some(""), "a/b"), None);
        assert_eq!(common_prefix("dir/", Some("/"), "dir/"), None);
    }
}
