//! Sealing secret access keys: AES-256-GCM under a server key that lives in its own file
//! (`<data>/server.key`, mode 0600), outside the metadata store, so a copy of the metadata alone
//! does not reveal any secret. The access key id is the associated data: a sealed secret copied
//! into another key's record does not open.

use std::io::Write;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};

pub const SERVER_KEY_FILE: &str = "server.key";
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

    /// Reads `<data_dir>/server.key`, creating it (32 random bytes, 0600) on first start.
    pub fn load_or_create(data_dir: &Path) -> Result<Sealer, String> {
        let path = data_dir.join(SERVER_KEY_FILE);
        let shown = path.display();
        match std::fs::read(&path) {
            Ok(bytes) => {
                let key: [u8; 32] = bytes
                    .as_slice()
                    .try_into()
                    .map_err(|_| format!("{shown}: expected 32 bytes, found {}", bytes.len()))?;
                Ok(Sealer::from_key(&key))
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let key: [u8; 32] = rand::random();
                write_new_private(&path, &key).map_err(|e| format!("{shown}: {e}"))?;
                Ok(Sealer::from_key(&key))
            }
            Err(err) => Err(format!("{shown}: {err}")),
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

pub(crate) fn write_new_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

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

    #[test]
    fn the_server_key_is_created_private_and_reused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = Sealer::load_or_create(dir.path()).expect("create");
        let path = dir.path().join(SERVER_KEY_FILE);
        let mode = std::fs::metadata(&path)
            .expect("key file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let sealed = first.seal("AKIA", "secret");
        let again = Sealer::load_or_create(dir.path()).expect("load");
        assert_eq!(again.open("AKIA", &sealed).as_deref(), Some("secret"));
        std::fs::write(&path, b"short").expect("write");
        assert!(Sealer::load_or_create(dir.path()).is_err());
    }
}
