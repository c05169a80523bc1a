//! Evaluation: whether a parsed policy's statements apply to one request, and the document's
//! verdict (explicit Deny beats Allow; nothing applying is NotApplicable, which the caller turns
//! into an implicit deny or falls through to other policies and ACLs).
//!
//! Owns: principal, action and resource matching and the request-derived condition keys
//! (`aws:username`, `aws:PrincipalAccount`, ...). It does not combine several policies with each
//! other or with ACLs and ownership — `authorize` does that — and never fails: a statement that
//! cannot be decided (a policy variable without a value) simply does not match.

use super::condition::{ConditionContext, RequestKeys};
use super::document::{PolicyDocument, PolicyKind, PrincipalId, Statement, StatementEffect};
use super::pattern::pattern_matches;

/// A document's verdict on one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    /// An explicit deny: overrides every allow, from this or any other policy.
    Deny,
    NotApplicable,
}

/// Who is asking, as far as policies can tell.
#[derive(Debug, Clone, Copy, Default)]
pub struct PrincipalFacts<'a> {
    /// 12 digits; `None` = anonymous.
    pub account_id: Option<&'a str>,
    /// `arn:aws:iam::123456789012:root` or `arn:aws:iam::123456789012:user/path/name`.
    pub arn: Option<&'a str>,
    /// 64 hex digits.
    pub canonical_id: Option<&'a str>,
    pub is_root: bool,
    /// An IAM user's unique id (`AIDA...`): `aws:userid`.
    pub user_id: Option<&'a str>,
}

/// One request to decide.
#[derive(Debug, Clone, Copy)]
pub struct EvalRequest<'a> {
    pub principal: &'a PrincipalFacts<'a>,
    /// `s3:GetObject`, `iam:CreateUser`.
    pub action: &'a str,
    /// `arn:aws:s3:::bucket/key`, `arn:aws:s3:::bucket`, `*`.
    pub resource: &'a str,
    pub context: &'a ConditionContext,
}

pub(super) fn evaluate(doc: &PolicyDocument, request: &EvalRequest<'_>) -> Effect {
    let keys = RequestKeys::new(request.context, derived_keys(request.principal));
    let mut allowed = false;
    for statement in doc.statements() {
        if applies(statement, doc.kind(), request, &keys) {
            match statement.effect {
                StatementEffect::Deny => return Effect::Deny,
                StatementEffect::Allow => allowed = true,
            }
        }
    }
    if allowed {
        Effect::Allow
    } else {
        Effect::NotApplicable
    }
}

/// Principal, action, resource, then conditions — cheapest first.
fn applies(
    st: &Statement,
    kind: PolicyKind,
    req: &EvalRequest<'_>,
    keys: &RequestKeys<'_>,
) -> bool {
    let principal_ok = match (&st.principal, kind) {
        (Some(p), PolicyKind::Bucket) => {
            p.items
                .iter()
                .any(|id| principal_matches(id, req.principal))
                != p.negated
        }
        // Identity policies are attached to the caller: they have no principal to check.
        _ => true,
    };
    if !principal_ok {
        return false;
    }
    let action_ok = st
        .action
        .items
        .iter()
        .any(|a| pattern_matches(a, keys, req.action, true));
    if action_ok == st.action.negated {
        return false;
    }
    let resource_ok = st
        .resource
        .items
        .iter()
        .any(|r| pattern_matches(r, keys, req.resource, false));
    resource_ok != st.resource.negated && st.condition.matches(keys)
}

fn principal_matches(id: &PrincipalId, who: &PrincipalFacts<'_>) -> bool {
    match id {
        PrincipalId::Everyone => true,
        PrincipalId::Account(account) => who.account_id == Some(account.as_str()),
        PrincipalId::Arn(arn) => who.arn == Some(arn.as_str()),
        PrincipalId::CanonicalUser(id) => {
            who.canonical_id.is_some_and(|c| c.eq_ignore_ascii_case(id))
        }
        PrincipalId::Service(_) => false,
    }
}

/// Global condition keys AWS fills from the authenticated principal; the caller's context wins
/// where it sets them too. Anonymous callers get only `aws:PrincipalType`.
fn derived_keys(who: &PrincipalFacts<'_>) -> Vec<(&'static str, String)> {
    let mut keys = Vec::with_capacity(5);
    let user_name = who
        .arn
        .and_then(|arn| arn.splitn(6, ':').nth(5))
        .and_then(|resource| resource.strip_prefix("user/"))
        .and_then(|path| path.rsplit('/').next())
        .filter(|name| !name.is_empty());
    let kind = if who.is_root {
        "Account"
    } else if user_name.is_some() {
        "User"
    } else if who.account_id.is_none() {
        "Anonymous"
    } else {
        ""
    };
    if !kind.is_empty() {
        keys.push(("aws:principaltype", kind.to_string()));
    }
    if let Some(account) = who.account_id {
        keys.push(("aws:principalaccount", account.to_string()));
        if who.is_root {
            // For the root user AWS sets aws:userid to the account id.
            keys.push(("aws:userid", account.to_string()));
        }
    }
    if let Some(user_id) = who.user_id {
        keys.push(("aws:userid", user_id.to_string()));
    }
    if let Some(arn) = who.arn {
        keys.push(("aws:principalarn", arn.to_string()));
    }
    if let Some(name) = user_name {
        keys.push(("aws:username", name.to_string()));
    }
    keys
}

#[cfg(test)]
#[path = "eval_tests.rs"]
mod table_tests;
