//! Identities: accounts, IAM users and groups, access keys — who a verified access key
//! belongs to, and the policies that follow the caller.
//!
//! The server's root account exists from the first start. Its credentials come from
//! `STRATA_ROOT_ACCESS_KEY` / `STRATA_ROOT_SECRET_KEY`, or are generated on first start, saved
//! with mode 0600 in the data dir and printed once. There is no built-in default secret. Further
//! accounts, their users, groups, keys and policies live in the metadata store (`store`), with
//! secrets sealed under the server key (`seal`).

pub mod api;
pub mod manage;
pub mod model;
pub mod seal;
pub mod store;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use store::Identities;

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
    /// An IAM user: may do what its identity policies (and resource policies) allow.
    User(Arc<UserPrincipal>),
}

/// An authenticated IAM user with its identity policies, parsed once per IAM generation.
#[derive(Debug)]
pub struct UserPrincipal {
    /// Canonical id of the user's account: what owns the buckets and objects it creates.
    pub account_id: String,
    pub account_number: String,
    pub name: String,
    pub user_id: String,
    pub arn: String,
    /// Inline, attached and group policies.
    pub policies: Vec<Arc<crate::policy::document::PolicyDocument>>,
}

impl PartialEq for UserPrincipal {
    fn eq(&self, other: &Self) -> bool {
        self.user_id == other.user_id && self.arn == other.arn
    }
}

impl Eq for UserPrincipal {}

impl Principal {
    /// Canonical id of the caller's account (None = anonymous).
    pub fn account_id(&self) -> Option<&str> {
        match self {
            Principal::Anonymous => None,
            Principal::Root { account_id, .. } => Some(account_id),
            Principal::User(user) => Some(&user.account_id),
        }
    }

    pub fn account_number(&self) -> Option<&str> {
        match self {
            Principal::Anonymous => None,
            Principal::Root { account_number, .. } => Some(account_number),
            Principal::User(user) => Some(&user.account_number),
        }
    }

    /// `arn:aws:iam::<number>:root` or the user's ARN.
    pub fn arn(&self) -> Option<String> {
        match self {
            Principal::Anonymous => None,
            Principal::Root { account_number, .. } => {
                Some(format!("arn:aws:iam::{account_number}:root"))
            }
            Principal::User(user) => Some(user.arn.clone()),
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
                let text = toml::to_string(&creds).map_err(|e| e.to_string())?;
                crate::crypto::master_key::write_new_private(&path, text.as_bytes())
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                Ok((creds, CredentialSource::Generated(path)))
            }
            Err(err) => Err(format!("{}: {err}", path.display())),
        }
    }

    fn generate() -> RootCredentials {
        RootCredentials {
            access_key: store::random_id("STRA", 16),
            secret_key: store::random_secret(),
        }
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
