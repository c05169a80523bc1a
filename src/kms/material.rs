//! Key material: 32 random bytes per key version, held in plaintext only in memory
//! ([`PlainKey`], zeroed on drop) and stored only sealed — AES-256-GCM under
//! `MasterKey::derive("kms/key-material")`, with the key id and version as associated data, so
//! a sealed material cannot be moved to another key or version.
//!
//! Sealed form: 12-byte random nonce ‖ ciphertext ‖ 16-byte tag.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};

use crate::crypto::master_key::MasterKey;

const NONCE_LEN: usize = 12;
const PURPOSE: &str = "kms/key-material";

/// A plaintext 256-bit key (key material or a data key), zeroed when dropped.
pub struct PlainKey([u8; 32]);

impl PlainKey {
    pub fn random() -> PlainKey {
        PlainKey(rand::random())
    }

    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl Drop for PlainKey {
    fn drop(&mut self) {
        zero(&mut self.0);
    }
}

/// Overwrites `bytes` with zeros (as `MasterKey` does; `black_box` keeps the stores).
pub fn zero(bytes: &mut [u8]) {
    bytes.fill(0);
    std::hint::black_box(&bytes);
    std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
}

/// Seals and opens key material.
pub struct MaterialSealer {
    cipher: Aes256Gcm,
}

impl MaterialSealer {
    pub fn new(master: &MasterKey) -> MaterialSealer {
        let mut key = master.derive(PURPOSE);
        let cipher = Aes256Gcm::new((&key).into());
        zero(&mut key);
        MaterialSealer { cipher }
    }

    pub fn seal(&self, key_id: &str, version: u32, material: &PlainKey) -> Vec<u8> {
        let nonce: [u8; NONCE_LEN] = rand::random();
        let aad = binding(key_id, version);
        let payload = Payload {
            msg: material.bytes(),
            aad: &aad,
        };
        // GCM only refuses messages beyond 64 GiB.
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), payload)
            .unwrap_or_default();
        [nonce.as_slice(), &sealed].concat()
    }

    /// `None` when the sealed bytes are not this key's and version's material under this
    /// master key.
    pub fn open(&self, key_id: &str, version: u32, sealed: &[u8]) -> Option<PlainKey> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let aad = binding(key_id, version);
        let payload = Payload {
            msg: ciphertext,
            aad: &aad,
        };
        let mut plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), payload)
            .ok()?;
        let key = <[u8; 32]>::try_from(plain.as_slice()).ok().map(PlainKey);
        zero(&mut plain);
        key
    }
}

fn binding(key_id: &str, version: u32) -> Vec<u8> {
    let mut aad = Vec::with_capacity(PURPOSE.len() + key_id.len() + 12);
    aad.extend_from_slice(PURPOSE.as_bytes());
    aad.extend_from_slice(&(key_id.len() as u32).to_be_bytes());
    aad.extend_from_slice(key_id.as_bytes());
    aad.extend_from_slice(&version.to_be_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(byte: u8) -> MaterialSealer {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = hex::encode([byte; 32]);
        let master = MasterKey::load(dir.path(), Some(&key), None, false).expect("master key");
        MaterialSealer::new(&master)
    }

    #[test]
    fn material_opens_only_for_its_key_version_and_master_key() {
        let sealer = sealer(1);
        let material = PlainKey::random();
        let sealed = sealer.seal("k1", 1, &material);
        assert_eq!(sealed.len(), 12 + 32 + 16);
        assert!(!sealed.windows(32).any(|w| w == material.bytes()));
        let opened = sealer.open("k1", 1, &sealed).expect("opens");
        assert_eq!(opened.bytes(), material.bytes());
        assert!(sealer.open("k1", 2, &sealed).is_none());
        assert!(sealer.open("k2", 1, &sealed).is_none());
        assert!(sealer.open("k1", 1, &sealed[..10]).is_none());
        assert!(super::tests::sealer(2).open("k1", 1, &sealed).is_none());
        let mut flipped = sealed.clone();
        flipped[20] ^= 1;
        assert!(sealer.open("k1", 1, &flipped).is_none());
    }
}
