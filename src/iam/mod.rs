//! Identities: who a verified access key belongs to.
//!
//! For now there is one account with its root user. Its credentials come from
//! `STRATA_ROOT_ACCESS_KEY` / `STRATA_ROOT_SECRET_KEY`, or are generated on first start, saved
//! with mode 0600 in the data dir and printed once. There is no built-in default secret.
//! IAM users, groups and further accounts plug in here (the access-control issue).

use std::io::Write;
use std::path::{Path, PathBuf};

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::auth::SecretLookup;

/// The canonical id of the root account (S3's 64-hex "canonical user id").
pub const ROOT_ACCOUNT_ID: &str =
    "7374726174612d726f6f742d6163636f756e742d63616e6f6e6963616c2d6964";
pub const ROOT_DISPLAY_NAME: &str = "strata-root";
/// The 12-digit account id of the root account (what policies name: `arn:aws:iam::<id>:root`).
pub const ROOT_ACCOUNT_NUMBER: &str = "000000000001";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Anonymous,
    /// The root user of an account: may do anything with what the account owns.
    Root {
        /// Canonical user id (64 hex): what owns buckets and objects.
        account_id: String,
        /// The 12-digit account id policies name.
        account_number: String,
    },
}

impl Principal {
    pub fn account_id(&self) -> Option<&str> {
        match self {
            Principal::Anonymous => None,
            Principal::Root { account_id, .. } => Some(account_id),
        }
    }

    pub fn account_number(&self) -> Option<&str> {
        match self {
            Principal::Anonymous => None,
            Principal::Root { account_number, .. } => Some(account_number),
        }
    }
}

#[derive(Clone, Serialize, Deserialize)]
pub struct RootCredentials {
    pub access_key: String,
    pub secret_key: String,
}

impl std::fmt::Debug for RootCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RootCredentials")
            .field("access_key", &self.access_key)
            .finish_non_exhaustive()
    }
}

pub const CREDENTIALS_FILE: &str = "root-credentials.toml";

pub enum CredentialSource {
    Environment,
    File(PathBuf),
    /// Generated now: the caller prints them once.
    Generated(PathBuf),
}

impl RootCredentials {
    pub fn load_or_create(
        data_dir: &Path,
        from_env: Option<(String, String)>,
    ) -> Result<(RootCredentials, CredentialSource), String> {
        if let Some((access_key, secret_key)) = from_env {
            if access_key.len() < 3 || secret_key.len() < 8 {
                return Err("STRATA_ROOT_ACCESS_KEY must have at least 3 characters and STRATA_ROOT_SECRET_KEY at least 8".into());
            }
            return Ok((
                RootCredentials {
                    access_key,
                    secret_key,
                },
                CredentialSource::Environment,
            ));
        }
        let path = data_dir.join(CREDENTIALS_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let creds: RootCredentials =
                    toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
                Ok((creds, CredentialSource::File(path)))
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let creds = RootCredentials::generate();
                write_private(&path, &toml::to_string(&creds).map_err(|e| e.to_string())?)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                Ok((creds, CredentialSource::Generated(path)))
            }
            Err(err) => Err(format!("{}: {err}", path.display())),
        }
    }

    fn generate() -> RootCredentials {
        const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        const SECRET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut rng = rand::thread_rng();
        let mut pick = |alphabet: &[u8], n: usize| -> String {
            (0..n)
                .map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char)
                .collect()
        };
        let access_key = format!("STRA{}", pick(UPPER, 16));
        let secret_key = pick(SECRET, 40);
        RootCredentials {
            access_key,
            secret_key,
        }
    }
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

/// Maps access keys to principals and secrets.
pub struct Identities {
    root: RootCredentials,
}

impl Identities {
    pub fn new(root: RootCredentials) -> Self {
        Identities { root }
    }

    pub fn principal_for(&self, access_key: &str) -> Option<Principal> {
        (access_key == self.root.access_key).then(|| Principal::Root {
            account_id: ROOT_ACCOUNT_ID.to_string(),
            account_number: ROOT_ACCOUNT_NUMBER.to_string(),
        })
    }
}

/// The 12-digit account id of the account with canonical id `canonical_id` (what
/// `x-amz-expected-bucket-owner` names). One account exists today.
pub fn account_number_of(canonical_id: &str) -> Option<&'static str> {
    (canonical_id == ROOT_ACCOUNT_ID).then_some(ROOT_ACCOUNT_NUMBER)
}

impl SecretLookup for Identities {
    fn secret_key(&self, access_key: &str) -> Option<String> {
        (access_key == self.root.access_key).then(|| self.root.secret_key.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn generated_credentials_are_saved_private_and_reused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (first, source) = RootCredentials::load_or_create(dir.path(), None).expect("create");
        assert!(matches!(source, CredentialSource::Generated(_)));
        let mode = std::fs::metadata(dir.path().join(CREDENTIALS_FILE))
            .expect("file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let (second, source) = RootCredentials::load_or_create(dir.path(), None).expect("load");
        assert!(matches!(source, CredentialSource::File(_)));
        assert_eq!(
            (first.access_key, first.secret_key),
            (second.access_key, second.secret_key)
        );
    }

    #[test]
    fn environment_credentials_win_and_are_not_saved() {
        let dir = tempfile::tempdir().expect("tempdir");
        let env = Some(("AKIDEXAMPLE".to_string(), "secret-key-123".to_string()));
        let (creds, source) = RootCredentials::load_or_create(dir.path(), env).expect("env");
        assert!(matches!(source, CredentialSource::Environment));
        assert_eq!(creds.access_key, "AKIDEXAMPLE");
        assert!(!dir.path().join(CREDENTIALS_FILE).exists());
    }
}
