//! Byte-ordered key encodings for the metadata trees.
//!
//! Invariant: for every tree, sorting encoded keys bytewise sorts the logical keys the way S3
//! lists them (bucket, then object key in UTF-8 byte order, then newest version first), so every
//! listing is one range scan. Object keys may hold any byte, including 0x00, so inside composite
//! keys they are escaped (0x00 → 0x00 0xFF) and terminated (0x00 0x01), which keeps the order.

const SEPARATOR: u8 = 0x00;
const TERMINATOR: [u8; 2] = [0x00, 0x01];

/// `bucket 0x00` — every key of a bucket's objects starts with this.
pub fn bucket_prefix(bucket: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(bucket.len() + 1);
    out.extend_from_slice(bucket.as_bytes());
    out.push(SEPARATOR);
    out
}

/// Objects tree: `bucket 0x00 key` (the key is last, so it needs no escaping).
pub fn object(bucket: &str, key: &str) -> Vec<u8> {
    let mut out = bucket_prefix(bucket);
    out.extend_from_slice(key.as_bytes());
    out
}

/// The object key from an objects-tree key.
pub fn object_key_of(bucket: &str, encoded: &[u8]) -> Option<String> {
    let rest = encoded.strip_prefix(bucket_prefix(bucket).as_slice())?;
    String::from_utf8(rest.to_vec()).ok()
}

fn push_escaped(out: &mut Vec<u8>, key: &str) {
    for &b in key.as_bytes() {
        out.push(b);
        if b == SEPARATOR {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&TERMINATOR);
}

/// BucketConfigs tree: `bucket 0x00 name` (name: `policy`, ...).
pub fn bucket_config(bucket: &str, name: &str) -> Vec<u8> {
    let mut out = bucket_prefix(bucket);
    out.extend_from_slice(name.as_bytes());
    out
}

/// Versions tree prefix of one key: `bucket 0x00 escaped(key) 0x00 0x01`.
pub fn versions_of(bucket: &str, key: &str) -> Vec<u8> {
    let mut out = bucket_prefix(bucket);
    push_escaped(&mut out, key);
    out
}

/// Versions tree: versions of a key sort newest first by an inverted timestamp, then by uid.
pub fn version(bucket: &str, key: &str, timestamp_nanos: u64, uid: &[u8; 16]) -> Vec<u8> {
    let mut out = versions_of(bucket, key);
    out.extend_from_slice(&(u64::MAX - timestamp_nanos).to_be_bytes());
    out.extend_from_slice(uid);
    out
}

/// Uploads tree: `bucket 0x00 escaped(key) 0x00 0x01 upload-id`; upload ids begin with their
/// creation time, so uploads of one key list in initiation order as on AWS.
pub fn upload(bucket: &str, key: &str, upload_id: &str) -> Vec<u8> {
    let mut out = versions_of(bucket, key);
    out.extend_from_slice(upload_id.as_bytes());
    out
}

/// Decode an uploads-tree key into (object key, upload id).
pub fn split_upload(bucket: &str, encoded: &[u8]) -> Option<(String, String)> {
    let (key, rest) = split_escaped(bucket, encoded)?;
    Some((key, String::from_utf8(rest.to_vec()).ok()?))
}

/// Split a versions- or uploads-tree key into the object key and what follows it.
pub fn split_escaped<'e>(bucket: &str, encoded: &'e [u8]) -> Option<(String, &'e [u8])> {
    let rest = encoded.strip_prefix(bucket_prefix(bucket).as_slice())?;
    let mut key = Vec::new();
    let mut i = 0;
    while i < rest.len() {
        match (rest[i], rest.get(i + 1)) {
            (SEPARATOR, Some(0xFF)) => {
                key.push(SEPARATOR);
                i += 2;
            }
            (SEPARATOR, Some(0x01)) => {
                return Some((String::from_utf8(key).ok()?, &rest[i + 2..]));
            }
            (b, _) => {
                key.push(b);
                i += 1;
            }
        }
    }
    None
}

/// Versions-tree key prefix of every key that starts with `prefix` (no terminator).
pub fn versions_with_prefix(bucket: &str, prefix: &str) -> Vec<u8> {
    let mut out = versions_of(bucket, prefix);
    out.truncate(out.len() - TERMINATOR.len());
    out
}

/// Parts tree: `upload-id 0x00 part-number (big endian)`.
pub fn part(upload_id: &str, part_number: u32) -> Vec<u8> {
    let mut out = parts_of(upload_id);
    out.extend_from_slice(&part_number.to_be_bytes());
    out
}

pub fn parts_of(upload_id: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(upload_id.len() + 5);
    out.extend_from_slice(upload_id.as_bytes());
    out.push(SEPARATOR);
    out
}

/// The smallest byte string greater than every string that starts with `prefix`, or None when
/// no such bound exists (all 0xFF): the exclusive end of a prefix scan.
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xFF {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn escaped_keys_sort_like_raw_keys(a in "\\PC{0,8}|[a\\x00b]{0,6}", b in "\\PC{0,8}|[a\\x00b]{0,6}") {
            let ea = versions_of("bkt", &a);
            let eb = versions_of("bkt", &b);
            prop_assert_eq!(a.as_bytes().cmp(b.as_bytes()), ea.cmp(&eb));
        }

        #[test]
        fn upload_keys_round_trip(key in "\\PC{0,12}|[a\\x00]{0,6}", id in "[0-9a-f]{8}") {
            let encoded = upload("bkt", &key, &id);
            prop_assert_eq!(split_upload("bkt", &encoded), Some((key, id)));
        }

        #[test]
        fn version_key_prefixes_match_object_key_prefixes(key in "[a\\x00b/]{0,6}", prefix in "[a\\x00b/]{0,3}") {
            let encoded = version("bkt", &key, 5, &[1; 16]);
            let scan_prefix = versions_with_prefix("bkt", &prefix);
            prop_assert_eq!(encoded.starts_with(&scan_prefix), key.starts_with(&prefix));
            prop_assert_eq!(split_escaped("bkt", &encoded).map(|(k, _)| k), Some(key));
        }
    }

    #[test]
    fn newer_versions_sort_first() {
        let uid = [0u8; 16];
        assert!(version("b", "k", 2000, &uid) < version("b", "k", 1000, &uid));
        assert!(version("b", "k", 1, &uid) < version("b", "k\0", 9, &uid));
    }

    #[test]
    fn prefix_end_bounds_a_prefix() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_end(b"\xff\xff"), None);
    }
}
