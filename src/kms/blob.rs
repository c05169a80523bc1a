//! The ciphertext blob Encrypt and GenerateDataKey return and Decrypt takes.
//!
//! ```text
//! magic "SKMS" ‖ format 0x01 ‖ key id length (u8) ‖ key id (ASCII) ‖ material version (u32 BE)
//!   ‖ nonce (12 random bytes) ‖ AES-256-GCM ciphertext ‖ tag (16)
//! ```
//!
//! The blob names its key and the material version, so Decrypt needs no KeyId and rotation
//! keeps old blobs readable. The associated data is the whole header (magic through version)
//! followed by the canonical encoding of the encryption context: the pair count, then each pair
//! in key order as length-prefixed (u32 BE) key and value bytes. Changing the key id, the
//! version, the context or any ciphertext byte fails the tag. Parsing never panics on bad input.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};

use super::EncryptionContext;
use super::material::PlainKey;

const MAGIC: &[u8; 4] = b"SKMS";
const FORMAT: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// A parsed blob, borrowing the bytes it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob<'a> {
    pub key_id: &'a str,
    pub version: u32,
    header: &'a [u8],
    nonce: &'a [u8],
    sealed: &'a [u8],
}

impl<'a> Blob<'a> {
    /// `None` when `bytes` is not a blob of this format.
    pub fn parse(bytes: &'a [u8]) -> Option<Blob<'a>> {
        let rest = bytes.strip_prefix(MAGIC.as_slice())?;
        let (&format, rest) = rest.split_first()?;
        let (&id_len, rest) = rest.split_first()?;
        if format != FORMAT || id_len == 0 {
            return None;
        }
        let id_len = usize::from(id_len);
        if rest.len() < id_len + 4 + NONCE_LEN + TAG_LEN {
            return None;
        }
        let (id, rest) = rest.split_at(id_len);
        let key_id = std::str::from_utf8(id).ok()?;
        let (version, rest) = rest.split_at(4);
        let version = u32::from_be_bytes(version.try_into().ok()?);
        let header_len = MAGIC.len() + 2 + id_len + 4;
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        Some(Blob {
            key_id,
            version,
            header: &bytes[..header_len],
            nonce,
            sealed,
        })
    }

    /// The plaintext, or `None` when the material or the context is not the one it was sealed
    /// with (or the blob was altered).
    pub fn open(&self, material: &PlainKey, context: &EncryptionContext) -> Option<Vec<u8>> {
        let cipher = Aes256Gcm::new(material.bytes().into());
        let aad = associated_data(self.header, context);
        cipher
            .decrypt(
                Nonce::from_slice(self.nonce),
                Payload {
                    msg: self.sealed,
                    aad: &aad,
                },
            )
            .ok()
    }
}

/// Seals `plaintext` under `material` (version `version` of key `key_id`). Key ids are UUIDs,
/// far below the 255 bytes the header allows; a longer id is cut, and then the blob would not
/// name its key (never the case for ids strata makes).
pub fn seal(
    key_id: &str,
    version: u32,
    material: &PlainKey,
    plaintext: &[u8],
    context: &EncryptionContext,
) -> Vec<u8> {
    let id = &key_id.as_bytes()[..key_id.len().min(255)];
    let mut blob = Vec::with_capacity(6 + id.len() + 4 + NONCE_LEN + plaintext.len() + TAG_LEN);
    blob.extend_from_slice(MAGIC);
    blob.push(FORMAT);
    blob.push(id.len() as u8);
    blob.extend_from_slice(id);
    blob.extend_from_slice(&version.to_be_bytes());
    let header_len = blob.len();
    let nonce: [u8; NONCE_LEN] = rand::random();
    let aad = associated_data(&blob[..header_len], context);
    let cipher = Aes256Gcm::new(material.bytes().into());
    // GCM only refuses messages beyond 64 GiB; plaintexts here are at most 4 KiB.
    let sealed = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: &aad,
            },
        )
        .unwrap_or_default();
    blob.extend_from_slice(&nonce);
    blob.extend_from_slice(&sealed);
    blob
}

fn associated_data(header: &[u8], context: &EncryptionContext) -> Vec<u8> {
    let mut aad = header.to_vec();
    aad.extend_from_slice(&canonical_context(context));
    aad
}

/// Pair count, then each pair in key order, key and value each length-prefixed (u32 BE): no
/// two different contexts encode alike.
pub fn canonical_context(context: &EncryptionContext) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(context.len() as u32).to_be_bytes());
    for (key, value) in context {
        for part in [key, value] {
            out.extend_from_slice(&(part.len() as u32).to_be_bytes());
            out.extend_from_slice(part.as_bytes());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(pairs: &[(&str, &str)]) -> EncryptionContext {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_blob_round_trips_and_names_its_key_and_version() {
        let material = PlainKey::random();
        let ctx = context(&[("bucket", "b"), ("a", "1")]);
        let blob = seal(
            "1234abcd-12ab-34cd-56ef-1234567890ab",
            7,
            &material,
            b"secret",
            &ctx,
        );
        assert!(!blob.windows(6).any(|w| w == b"secret"));
        let parsed = Blob::parse(&blob).expect("parses");
        assert_eq!(parsed.key_id, "1234abcd-12ab-34cd-56ef-1234567890ab");
        assert_eq!(parsed.version, 7);
        assert_eq!(
            parsed.open(&material, &ctx).as_deref(),
            Some(&b"secret"[..])
        );
        assert_eq!(blob.len(), 4 + 2 + 36 + 4 + 12 + 6 + 16);
    }

    #[test]
    fn any_change_fails_the_tag() {
        let material = PlainKey::random();
        let ctx = context(&[("k", "v")]);
        let blob = seal("key-1", 1, &material, b"data", &ctx);
        for i in 0..blob.len() {
            let mut tampered = blob.clone();
            tampered[i] ^= 0x01;
            let opened = Blob::parse(&tampered).and_then(|b| b.open(&material, &ctx));
            assert!(opened.is_none(), "byte {i} flipped still opened");
        }
        let parsed = Blob::parse(&blob).expect("parses");
        assert!(
            parsed.open(&PlainKey::random(), &ctx).is_none(),
            "other material"
        );
    }

    #[test]
    fn a_different_context_is_refused() {
        let material = PlainKey::random();
        let ctx = context(&[("k", "v")]);
        let blob = seal("key-1", 1, &material, b"data", &ctx);
        let parsed = Blob::parse(&blob).expect("parses");
        for other in [
            context(&[]),
            context(&[("k", "w")]),
            context(&[("k", "v"), ("x", "")]),
            context(&[("kv", "")]),
        ] {
            assert!(parsed.open(&material, &other).is_none(), "{other:?}");
        }
        // Length prefixes keep ("ab","c") and ("a","bc") apart.
        assert_ne!(
            canonical_context(&context(&[("ab", "c")])),
            canonical_context(&context(&[("a", "bc")]))
        );
    }

    #[test]
    fn garbage_is_not_a_blob() {
        for bytes in [
            &b""[..],
            b"SKMS",
            b"SKMS\x01\x00",
            b"SKMS\x02\x01k\0\0\0\x01",
            &[0u8; 80],
        ] {
            assert!(Blob::parse(bytes).is_none(), "{bytes:?}");
        }
        let blob = seal(
            "key-1",
            1,
            &PlainKey::random(),
            b"x",
            &EncryptionContext::new(),
        );
        assert!(Blob::parse(&blob[..blob.len() - 2]).is_none());
    }
}
