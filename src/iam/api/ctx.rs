//! What a handler sees of its request ([`Ctx`]): the caller, the parameters, and the one
//! authorization check every IAM action makes before it acts.

use super::{ApiError, member_name, param, xml};
use crate::http::AppState;
use crate::iam::Principal;
use crate::iam::manage::{Page, PolicyHolder};
use crate::iam::model::iam_arn;
use crate::policy::{ConditionContext, Effect};

/// One request, parsed: what handlers read.
pub(crate) struct Ctx<'a> {
    pub(super) app: &'a AppState,
    pub(super) principal: Principal,
    pub(super) params: Vec<(String, String)>,
    /// The action's name (`CreateUser`): what `iam:<action>` policies name.
    pub(super) action: &'static str,
    pub(super) parts: &'a http::request::Parts,
}

impl Ctx<'_> {
    /// The caller's 12-digit account number: every action acts inside it.
    pub(super) fn account(&self) -> &str {
        self.principal.account_number().unwrap_or_default()
    }

    pub(super) fn param(&self, name: &str) -> Option<&str> {
        param(&self.params, name)
    }

    pub(super) fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.param(name).ok_or_else(|| ApiError::missing(name))
    }

    /// `Marker` and `MaxItems` (1 to 1000, default 100).
    pub(super) fn page(&self) -> Result<Page, ApiError> {
        let max_items = match self.param("MaxItems") {
            None => 100,
            Some(text) => match text.parse::<usize>() {
                Ok(n) if (1..=1000).contains(&n) => n,
                _ => {
                    return Err(ApiError::new(
                        "ValidationError",
                        format!(
                            "1 validation error detected: Value '{text}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000"
                        ),
                    ));
                }
            },
        };
        Ok(Page {
            marker: self.param("Marker").map(str::to_string),
            max_items,
        })
    }

    /// A boolean parameter (`true`/`false`), default false.
    pub(super) fn flag(&self, name: &str) -> Result<bool, ApiError> {
        match self.param(name) {
            None => Ok(false),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(ApiError::new(
                "ValidationError",
                format!(
                    "1 validation error detected: Value '{v}' at '{}' failed to satisfy constraint: Member must be true or false",
                    member_name(name)
                ),
            )),
        }
    }

    /// The user the caller is, when it is an IAM user.
    pub(super) fn caller_user(&self) -> Option<&str> {
        match &self.principal {
            Principal::User(user) => Some(&user.name),
            _ => None,
        }
    }

    /// The account's root may do anything inside its account; a user what its identity
    /// policies allow as `iam:<this action>` on `resource`.
    pub(super) fn authorize(&self, resource: &str) -> Result<(), ApiError> {
        let action = format!("iam:{}", self.action);
        match &self.principal {
            Principal::Root { .. } => Ok(()),
            Principal::User(user) => {
                let effect = crate::policy::identity_effect(
                    &self.principal,
                    &action,
                    resource,
                    &self.conditions(),
                );
                if effect == Effect::Allow {
                    return Ok(());
                }
                let why = if effect == Effect::Deny {
                    "with an explicit deny in an identity-based policy"
                } else {
                    "because no identity-based policy allows the action"
                };
                Err(ApiError::new(
                    "AccessDenied",
                    format!(
                        "User: {} is not authorized to perform: {action} on resource: {resource} {why}",
                        user.arn
                    ),
                ))
            }
            Principal::Anonymous => Err(ApiError::new(
                "MissingAuthenticationToken",
                "Request is missing Authentication Token",
            )),
        }
    }

    /// The global condition keys an IAM request has.
    pub(super) fn conditions(&self) -> ConditionContext {
        let mut context = ConditionContext::default();
        context.insert("aws:SecureTransport", vec![self.app.secure.to_string()]);
        if let Some(addr) = self.parts.extensions.get::<crate::http::ClientAddr>() {
            context.insert("aws:SourceIp", vec![addr.0.ip().to_string()]);
        }
        let now_ms = crate::iam::store::now_ms();
        context.insert("aws:EpochTime", vec![(now_ms / 1000).to_string()]);
        context.insert("aws:CurrentTime", vec![xml::iso8601(now_ms)]);
        if let Some(agent) = self
            .parts
            .headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
        {
            context.insert("aws:UserAgent", vec![agent.to_string()]);
        }
        context
    }

    /// `arn:aws:iam::<account>:<kind><path><name>`.
    pub(super) fn arn(&self, kind: &str, path: &str, name: &str) -> String {
        iam_arn(self.account(), kind, path, name)
    }

    /// Authorizes an action on the user or group `name` against its ARN: its own when it exists
    /// (with its path), else the name under `/`.
    pub(super) fn authorize_holder<H: PolicyHolder>(&self, name: &str) -> Result<(), ApiError> {
        let existing = self
            .app
            .identities
            .entity::<H>(self.account(), H::KIND, name)
            .map_err(ApiError::internal)?;
        let resource = match existing {
            Some(holder) => holder.arn(),
            None => self.arn(H::WHAT, "/", name),
        };
        self.authorize(&resource)
    }
}
