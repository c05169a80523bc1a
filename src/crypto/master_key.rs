//! The server's master key: the one root of every key strata keeps (IAM secrets are sealed
//! under it; KMS keys and object data keys will be wrapped under keys derived from it). It never
//! enters the metadata store, so a copy of the data directory without it reveals nothing sealed.
//!
//! Where it comes from, first match wins: `STRATA_MASTER_KEY` (32 bytes, base64 or hex), the file
//! `--master-key-file` names, or `<data>/server.key` — generated (32 random bytes, mode 0600) on
//! the first start of an empty data directory.
//!
//! The metadata store keeps a check value sealed under the key (`Tree::Kms`). A start whose key
//! does not open it, or that would generate a new key for a data directory that already has one,
//! is refused before anything is written: a wrong key must never seal new data next to old.

use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::meta::{Meta, Tree};

/// The default key file, inside the data directory (the name predates this module: IAM secrets
/// were sealed under it first).
pub const DEFAULT_KEY_FILE: &str = "server.key";
/// `Tree::Kms` entry holding the sealed check value.
const CHECK_ENTRY: &[u8] = b"master-key-check";
const CHECK_TEXT: &[u8] = b"strata master key check v1";
const NONCE_LEN: usize = 12;

/// Where the key came from, for messages (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Environment,
    File(PathBuf),
    /// The default file, created by this start.
    Generated(PathBuf),
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::Environment => f.write_str("STRATA_MASTER_KEY"),
            KeySource::File(path) => write!(f, "{}", path.display()),
            KeySource::Generated(path) => write!(f, "{} (generated)", path.display()),
        }
    }
}

pub struct MasterKey {
    bytes: [u8; 32],
    source: KeySource,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey(from {})", self.source)
    }
}

impl Drop for MasterKey {
    fn drop(&mut self) {
        self.bytes.fill(0);
        std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
    }
}

impl MasterKey {
    /// The key from the environment value `from_env`, the file `file`, or the data directory's
    /// default file (created when `may_generate`: the metadata store holds nothing sealed yet).
    pub fn load(
        data_dir: &Path,
        from_env: Option<&str>,
        file: Option<&Path>,
        may_generate: bool,
    ) -> Result<MasterKey, String> {
        if let Some(text) = from_env {
            let bytes = decode_key(text.trim())
                .ok_or("STRATA_MASTER_KEY must hold 32 bytes, base64 or hex encoded")?;
            return Ok(MasterKey {
                bytes,
                source: KeySource::Environment,
            });
        }
        let (path, named) = match file {
            Some(path) => (path.to_path_buf(), true),
            None => (data_dir.join(DEFAULT_KEY_FILE), false),
        };
        match std::fs::read(&path) {
            Ok(contents) => Ok(MasterKey {
                bytes: key_file_bytes(&contents).ok_or_else(|| {
                    format!(
                        "{}: a master key file holds 32 bytes (raw, base64 or hex)",
                        path.display()
                    )
                })?,
                source: KeySource::File(path),
            }),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound && !named && may_generate => {
                let bytes: [u8; 32] = rand::random();
                write_new_private(&path, &bytes).map_err(|e| format!("{}: {e}", path.display()))?;
                Ok(MasterKey {
                    bytes,
                    source: KeySource::Generated(path),
                })
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Err(format!(
                "{}: the master key is missing, and this data directory holds data sealed with \
                 one; refusing to start (nothing was changed). Restore the key file, or give \
                 the key with STRATA_MASTER_KEY or --master-key-file.",
                path.display()
            )),
            Err(err) => Err(format!("{}: {err}", path.display())),
        }
    }

    /// The key for the first start of a store: generate only when it has no check value yet.
    /// Then checks the key against the store (sealing the check value on first use).
    pub fn open_for(
        meta: &Meta,
        data_dir: &Path,
        from_env: Option<&str>,
        file: Option<&Path>,
    ) -> Result<MasterKey, String> {
        let check = meta
            .get(Tree::Kms, CHECK_ENTRY)
            .map_err(|err| format!("reading the master key check: {err}"))?;
        let key = MasterKey::load(data_dir, from_env, file, check.is_none())?;
        match check {
            Some(sealed) if key.opens_check(&sealed) => Ok(key),
            Some(_) => Err(format!(
                "the master key from {} is not the one this data directory was sealed with; \
                 refusing to start (nothing was changed)",
                key.source
            )),
            None => {
                let sealed = key.seal_check();
                meta.transact(|tx| tx.put(Tree::Kms, CHECK_ENTRY, &sealed))
                    .map_err(|err| format!("writing the master key check: {err}"))?;
                Ok(key)
            }
        }
    }

    pub fn source(&self) -> &KeySource {
        &self.source
    }

    /// The raw key, for the sealing that has always used it directly (IAM secrets).
    pub fn bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// A key for one purpose (HMAC-SHA256 of the purpose under the master key), so that no two
    /// uses share a key.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.bytes)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(b"strata/");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }

    fn check_cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new((&self.derive("master-key-check")).into())
    }

    fn seal_check(&self) -> Vec<u8> {
        let nonce: [u8; NONCE_LEN] = rand::random();
        let payload = Payload {
            msg: CHECK_TEXT,
            aad: CHECK_ENTRY,
        };
        // GCM only refuses messages beyond 64 GiB.
        let sealed = self
            .check_cipher()
            .encrypt(Nonce::from_slice(&nonce), payload)
            .unwrap_or_default();
        [nonce.as_slice(), &sealed].concat()
    }

    fn opens_check(&self, sealed: &[u8]) -> bool {
        if sealed.len() < NONCE_LEN {
            return false;
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let payload = Payload {
            msg: ciphertext,
            aad: CHECK_ENTRY,
        };
        self.check_cipher()
            .decrypt(Nonce::from_slice(nonce), payload)
            .is_ok_and(|text| text == CHECK_TEXT)
    }
}

/// 32 bytes given as base64 (standard, padded or not) or 64 hex digits.
fn decode_key(text: &str) -> Option<[u8; 32]> {
    let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(text).ok()?
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(text))
            .ok()?
    };
    bytes.try_into().ok()
}

/// A key file: 32 raw bytes (what strata generates), or the key as text.
fn key_file_bytes(contents: &[u8]) -> Option<[u8; 32]> {
    if let Ok(raw) = <[u8; 32]>::try_from(contents) {
        return Some(raw);
    }
    decode_key(std::str::from_utf8(contents).ok()?.trim())
}

/// Creates `path` with mode 0600 and writes `bytes`; fails if it exists.
pub fn write_new_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::memory::MemoryBackend;
    use std::sync::Arc;

    fn meta() -> Meta {
        Meta::new(Arc::new(MemoryBackend::default()))
    }

    #[test]
    fn the_first_start_generates_a_private_key_and_later_starts_read_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let meta = meta();
        let first = MasterKey::open_for(&meta, dir.path(), None, None).expect("first start");
        assert!(matches!(first.source(), KeySource::Generated(_)));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(DEFAULT_KEY_FILE))
                .expect("key file")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = MasterKey::open_for(&meta, dir.path(), None, None).expect("second start");
        assert_eq!(again.bytes(), first.bytes());
        assert!(matches!(again.source(), KeySource::File(_)));
    }

    #[test]
    fn a_missing_or_wrong_key_is_refused_and_nothing_is_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let meta = meta();
        MasterKey::open_for(&meta, dir.path(), None, None).expect("first start");
        let check = meta.get(Tree::Kms, CHECK_ENTRY).expect("check");
        let wrong = hex::encode([7u8; 32]);
        let err = MasterKey::open_for(&meta, dir.path(), Some(&wrong), None).expect_err("wrong");
        assert!(
            err.contains("STRATA_MASTER_KEY") && err.contains("refusing"),
            "{err}"
        );
        std::fs::remove_file(dir.path().join(DEFAULT_KEY_FILE)).expect("remove");
        let err = MasterKey::open_for(&meta, dir.path(), None, None).expect_err("missing");
        assert!(err.contains("missing"), "{err}");
        assert!(
            !dir.path().join(DEFAULT_KEY_FILE).exists(),
            "no new key generated"
        );
        assert_eq!(meta.get(Tree::Kms, CHECK_ENTRY).expect("check"), check);
    }

    #[test]
    fn keys_come_as_base64_hex_or_raw_files_and_derived_keys_differ() {
        let dir = tempfile::tempdir().expect("tempdir");
        let raw = [9u8; 32];
        let b64 = base64::engine::general_purpose::STANDARD.encode(raw);
        let from_env = MasterKey::load(dir.path(), Some(&b64), None, false).expect("base64");
        assert_eq!(from_env.bytes(), &raw);
        let from_hex =
            MasterKey::load(dir.path(), Some(&hex::encode(raw)), None, false).expect("hex");
        assert_eq!(from_hex.bytes(), &raw);
        assert!(MasterKey::load(dir.path(), Some("c2hvcnQ="), None, false).is_err());
        let file = dir.path().join("key.txt");
        std::fs::write(&file, format!("{b64}\n")).expect("write");
        let from_file = MasterKey::load(dir.path(), None, Some(&file), false).expect("file");
        assert_eq!(from_file.bytes(), &raw);
        // A named file that is missing is never generated.
        let missing = dir.path().join("nope");
        assert!(MasterKey::load(dir.path(), None, Some(&missing), true).is_err());
        assert_ne!(from_env.derive("a"), from_env.derive("b"));
        assert_ne!(from_env.derive("a"), raw);
        assert!(!format!("{from_env:?}").contains(&b64));
    }
}
