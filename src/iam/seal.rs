//! Sealing secret access keys: AES-256-GCM under the server's master key
//! (`crypto::master_key`), which lives outside the metadata store, so a copy of the metadata alone
//! does not reveal any secret. The access key id is the associated data: a sealed secret copied
//! into another key's record does not open.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};

const NONCE_LEN: usize = 12;

pub struct Sealer {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

impl Sealer {
    pub fn from_key(key: &[u8; 32]) -> Sealer {
        Sealer {
            cipher: Aes256Gcm::new(key.into()),
        }
    }

    pub fn seal(&self, access_key_id: &str, secret: &str) -> Vec<u8> {
        let nonce: [u8; NONCE_LEN] = rand::random();
        let payload = Payload {
            msg: secret.as_bytes(),
            aad: access_key_id.as_bytes(),
        };
        // Encryption only fails for messages beyond GCM's 64 GiB limit; a secret is 40 bytes.
        let ciphertext = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), payload)
            .unwrap_or_default();
        let mut out = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        out
    }

    /// The secret, or None when the sealed bytes were not sealed by this key for this access
    /// key id (or are damaged).
    pub fn open(&self, access_key_id: &str, sealed: &[u8]) -> Option<String> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let payload = Payload {
            msg: ciphertext,
            aad: access_key_id.as_bytes(),
        };
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), payload)
            .ok()?;
        String::from_utf8(plain).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_for_their_key_id_and_server_key() {
        let sealer = Sealer::from_key(&[7; 32]);
        let sealed = sealer.seal("AKIAONE", "the-secret");
        assert!(!sealed.windows(10).any(|w| w == b"the-secret"));
        assert_eq!(
            sealer.open("AKIAONE", &sealed).as_deref(),
            Some("the-secret")
        );
        assert_eq!(sealer.open("AKIATWO", &sealed), None);
        assert_eq!(Sealer::from_key(&[8; 32]).open("AKIAONE", &sealed), None);
        assert_eq!(sealer.open("AKIAONE", &sealed[..5]), None);
        let mut damaged = sealed.clone();
        damaged[20] ^= 1;
        assert_eq!(sealer.open("AKIAONE", &damaged), None);
    }
}
