//! What a handler sees of its request ([`Ctx`]): the caller, the JSON input, and the key
//! lookups and authorization checks every operation makes.

use super::input::Input;
use crate::http::AppState;
use crate::iam::Principal;
use crate::kms::model::{KeyManager, KeyRecord};
use crate::kms::{EncryptionContext, Kms, KmsError, Names};
use crate::policy::ConditionContext;

pub(crate) struct Ctx<'a> {
    pub(super) app: &'a AppState,
    pub(super) kms: &'a Kms,
    pub(super) principal: Principal,
    pub(super) input: Input,
    /// The operation's name (`Encrypt`): what `kms:<operation>` policies name.
    pub(super) operation: &'static str,
    pub(super) parts: &'a http::request::Parts,
}

impl Ctx<'_> {
    /// The caller's 12-digit account number: bare ids and alias names are looked up in it.
    pub(super) fn account(&self) -> &str {
        self.principal.account_number().unwrap_or_default()
    }

    /// `kms:<this operation>`.
    pub(super) fn action(&self) -> String {
        format!("kms:{}", self.operation)
    }

    /// The key the member `name` identifies, authorized for `kms:<this operation>`.
    pub(super) fn key(&self, name: &str, names: Names) -> Result<KeyRecord, KmsError> {
        self.key_for(name, names, &self.action(), &EncryptionContext::new())
    }

    /// The key the member `name` identifies, authorized for `action` with the encryption
    /// context's condition keys.
    pub(super) fn key_for(
        &self,
        name: &str,
        names: Names,
        action: &str,
        context: &EncryptionContext,
    ) -> Result<KeyRecord, KmsError> {
        let text = self.input.key_id(name)?;
        let record = self.kms.find(self.account(), text, names)?;
        self.authorize(&record, action, context)?;
        Ok(record)
    }

    pub(super) fn authorize(
        &self,
        record: &KeyRecord,
        action: &str,
        context: &EncryptionContext,
    ) -> Result<(), KmsError> {
        crate::kms::authorize(
            &self.principal,
            action,
            &self.kms.info(record),
            &self.conditions(context),
        )
    }

    /// Authorizes `kms:<this operation>` on a resource of the caller's own account (`*` for
    /// CreateKey, ListKeys and ListAliases; an alias ARN).
    pub(super) fn authorize_own(&self, resource: &str) -> Result<(), KmsError> {
        crate::kms::authorize_resource(
            &self.principal,
            &self.action(),
            self.account(),
            resource,
            &self.conditions(&EncryptionContext::new()),
        )
    }

    /// Key management of AWS-managed keys belongs to the service: their (implicit) key policy
    /// allows no one to change them, so AWS answers AccessDeniedException.
    pub(super) fn customer_managed(&self, record: &KeyRecord) -> Result<(), KmsError> {
        if record.manager == KeyManager::Customer {
            return Ok(());
        }
        let caller = self.principal.arn().unwrap_or_default();
        let action = self.action();
        Err(KmsError::new(
            "AccessDeniedException",
            format!(
                "User: {caller} is not authorized to perform: {action} on resource: {} because no resource-based policy allows the {action} action",
                self.kms.arn(record)
            ),
        ))
    }

    /// The global condition keys, `kms:CallerAccount`, and the encryption context's
    /// `kms:EncryptionContext:<key>` and `kms:EncryptionContextKeys`.
    pub(super) fn conditions(&self, context: &EncryptionContext) -> ConditionContext {
        let mut conditions = ConditionContext::default();
        conditions.insert("aws:SecureTransport", vec![self.app.secure.to_string()]);
        if let Some(addr) = self.parts.extensions.get::<crate::http::ClientAddr>() {
            conditions.insert("aws:SourceIp", vec![addr.0.ip().to_string()]);
        }
        let now_ms = crate::iam::store::now_ms();
        conditions.insert("aws:EpochTime", vec![(now_ms / 1000).to_string()]);
        conditions.insert(
            "aws:CurrentTime",
            vec![crate::iam::api::xml::iso8601(now_ms)],
        );
        if let Some(agent) = self
            .parts
            .headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
        {
            conditions.insert("aws:UserAgent", vec![agent.to_string()]);
        }
        conditions.insert("kms:CallerAccount", vec![self.account().to_string()]);
        if !context.is_empty() {
            conditions.insert(
                "kms:EncryptionContextKeys",
                context.keys().cloned().collect(),
            );
            for (key, value) in context {
                conditions.insert(&format!("kms:EncryptionContext:{key}"), vec![value.clone()]);
            }
        }
        conditions
    }
}
