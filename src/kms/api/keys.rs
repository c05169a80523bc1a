//! Key management: CreateKey, DescribeKey, ListKeys, Enable/DisableKey,
//! Schedule/CancelKeyDeletion, and rotation (Enable/DisableKeyRotation, GetKeyRotationStatus,
//! RotateKeyOnDemand, ListKeyRotations).

use serde_json::{Value, json};

use super::ctx::Ctx;
use super::input::constraint;
use crate::kms::keys::{DEFAULT_ROTATION_DAYS, NewKey, now_ms};
use crate::kms::model::{KeyManager, KeyRecord, KeyState, MS_PER_DAY, Origin};
use crate::kms::{KmsError, Names};

/// Epoch seconds: how the JSON protocol sends timestamps.
pub(super) fn seconds(ms: i64) -> Value {
    json!(ms as f64 / 1000.0)
}

/// On-demand rotations AWS allows per key.
const ON_DEMAND_LIMIT: usize = 25;

const KEY_SPECS: &[&str] = &[
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
    "SYMMETRIC_DEFAULT",
    "HMAC_224",
    "HMAC_256",
    "HMAC_384",
    "HMAC_512",
    "SM2",
    "ML_DSA_44",
    "ML_DSA_65",
    "ML_DSA_87",
    "ECC_NIST_EDWARDS25519",
];
const KEY_USAGES: &[&str] = &[
    "SIGN_VERIFY",
    "ENCRYPT_DECRYPT",
    "GENERATE_VERIFY_MAC",
    "KEY_AGREEMENT",
];
const ORIGINS: &[&str] = &["AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"];

fn unsupported(what: impl std::fmt::Display) -> KmsError {
    KmsError::new(
        "UnsupportedOperationException",
        format!(
            "{what} is not supported by this KMS: it makes SYMMETRIC_DEFAULT ENCRYPT_DECRYPT keys with AWS_KMS key material only."
        ),
    )
}

/// An enum member: `supported`, another of AWS's values (UnsupportedOperationException), or
/// none of them (ValidationException).
fn enum_member(
    ctx: &Ctx<'_>,
    name: &str,
    values: &[&str],
    supported: &str,
) -> Result<(), KmsError> {
    match ctx.input.string(name)? {
        None => Ok(()),
        Some(value) if value == supported => Ok(()),
        Some(value) if values.contains(&value) => Err(unsupported(format!("{name} {value}"))),
        Some(value) => Err(constraint(
            value,
            name,
            &format!(
                "Member must satisfy enum value set: [{}]",
                values.join(", ")
            ),
        )),
    }
}

pub(super) fn metadata(ctx: &Ctx<'_>, record: &KeyRecord) -> Value {
    let mut meta = json!({
        "AWSAccountId": record.account,
        "KeyId": record.key_id,
        "Arn": ctx.kms.arn(record),
        "CreationDate": seconds(record.created_ms),
        "Enabled": record.state == KeyState::Enabled,
        "Description": record.description,
        "KeyUsage": "ENCRYPT_DECRYPT",
        "KeyState": record.state.as_str(),
        "Origin": "AWS_KMS",
        "KeyManager": record.manager.as_str(),
        "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT",
        "KeySpec": "SYMMETRIC_DEFAULT",
        "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"],
        "MultiRegion": false,
    });
    if let (Some(at), Value::Object(map)) = (record.deletion_ms, &mut meta) {
        map.insert("DeletionDate".into(), seconds(at));
        if let Some(days) = record.pending_window_days {
            map.insert("PendingDeletionWindowInDays".into(), json!(days));
        }
    }
    meta
}

pub(super) fn create_key(ctx: &Ctx<'_>) -> Result<Option<Value>, KmsError> {
    enum_member(ctx, "KeyUsage", KEY_USAGES, "ENCRYPT_DECRYPT")?;
    enum_member(ctx, "KeySpec", KEY_SPECS, "SYMMETRIC_DEFAULT")?;
    enum_member(ctx, "CustomerMasterKeySpec", KEY_SPECS, "SYMMETRIC_DEFAULT")?;
    enum_member(ctx, "Origin", ORIGINS, "AWS_KMS")?;
    for member in ["CustomKeyStoreId", "XksKeyId"] {
        if ctx.input.string(member)?.is_some() {
            return Err(unsupported(member));
        }
    }
    if ctx.input.boolean("MultiRegion")? == Some(true) {
        return Err(unsupported("A multi-Region key"));
    }
    // Key policies are not modelled (every key acts as if it had the default policy, which
    // delegates to IAM): refusing one is honest, ignoring it would not be.
    if ctx.input.string("Policy")?.is_some() {
        return Err(unsupported(
            "A key policy (keys are authorized by IAM identity policies only)",
        ));
    }
    let description = ctx.input.string("Description")?.unwrap_or_default();
    if description.chars().count() > 8192 {
        return Err(constraint(
            description,
            "Description",
            "Member must have length less than or equal to 8192",
        ));
    }
    ctx.authorize_own("*")?;
    let record = ctx.kms.store().create(&NewKey {
        account: ctx.account(),
        description,
        manager: KeyManager::Customer,
    })?;
    Ok(Some(json!({ "KeyMetadata": metadata(ctx, &record) })))
}

pub(super) fn describe_key(ctx: &Ctx<'_>) -> Result<Option<Value>, KmsError> {
    let record = ctx.key("KeyId", Names::KeyOrAlias)?;
    Ok(Some(json!({ "KeyMetadata": metadata(ctx, &record) })))
}

/// Key ids (what markers are here) are UUIDs.
fn is_key_id(text: &str) -> bool {
    !text.is_empty() && text.len() <= 64 && text.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

pub(super) fn list_keys(ctx: &Ctx<'_>) -> Result<Option<Value>, KmsError> {
    let limit = ctx.input.limit(100)?;
    let marker = ctx.input.marker(is_key_id)?;
    ctx.authorize_own("*")?;
    let (keys, next) = ctx.kms.store().list_keys(ctx.account(), marker, limit)?;
    let entries: Vec<Value> = keys
        .iter()
        .map(|k| json!({ "KeyId": k.key_id, "KeyArn": ctx.kms.arn(k) }))
        .collect();
    Ok(Some(page("Keys", entries, next)))
}

/// A list page: `Truncated`, and `NextMarker` when there is more.
pub(super) fn page(name: &str, entries: Vec<Value>, next: Option<String>) -> Value {
    let mut out = serde_json::Map::new();
    out.insert(name.into(), Value::Array(entries));
    out.insert("Truncated".into(), json!(next.is_some()));
    if let Some(next) = next {
        out.insert("NextMarker".into(), json!(next));
    }
    Value::Object(out)
}

/// A key management operation: resolve (key id or ARN), authorize, refuse AWS-managed keys,
/// change in one transaction.
fn manage(
    ctx: &Ctx<'_>,
    change: impl Fn(&mut KeyRecord, &str) -> Result<(), KmsError>,
) -> Result<KeyRecord, KmsError> {
    let record = ctx.key("KeyId", Names::KeyOnly)?;
    ctx.customer_managed(&record)?;
    let arn = ctx.kms.arn(&record);
    ctx.kms
        .store()
        .update(&record.key_id, &arn, |current| change(current, &arn))
}

fn not_pending_deletion(record: &KeyRecord, arn: &str) -> Result<(), KmsError> {
    if record.state == KeyState::PendingDeletion {
        return Err(KmsError::pending_deletion(arn));
    }
    Ok(())
}

fn usable(record: &KeyRecord, arn: &str) -> Result<(), KmsError> {
    not_pending_deletion(record, arn)?;
    if record.state == KeyState::Disabled {
        return Err(KmsError::disabled(arn));
    }
    Ok(())
}

pub(super) fn enable_key(ctx: &Ctx<'_>) -> Result<Option<Value>, KmsError> {
    manage(ctx, |record, arn| {
        not_pending_deletion(record, arn)?;
        record.state = KeyState::Enabled;
        Ok(())
    })?;
    Ok(None)
}

pub(super) fn disable_key(ctx: &Ctx<'_>) -> Result<Option<Value>, KmsError> {
    manage(ctx, |record, arn| {
        not_pending_deletion(record, arn)?;
        record.state = KeyState::Disabled;
        Ok(())
    })?;
    Ok(None)
}

pub(super) fn schedule_key_deletion(ctx: &Ctx<'_>) -> Result<Option<Value>, KmsError> {
    // The model allows 1 to 365; the service 7 to 30 (AWS's messages for both).
    let days = ctx
        .input
        .bounded("PendingWindowInDays", 1, 365)?
        .unwrap_or(30);
    if !(7..=30).contains(&days) {
        let rule = if days < 7 {
            "Member must have value greater than or equal to 7"
        } else {
            "Member must have value less than or equal to 30"
        };
        return Err(constraint(days, "PendingWindowInDays", rule));
    }
    let deletion_ms = now_ms() + days * MS_PER_DAY;
    let record = manage(ctx, |record, arn| {
        not_pending_deletion(record, arn)?;
        record.state = KeyState::PendingDeletion;
        record.deletion_ms = Some(deletion_ms);
        record.pending_window_days = Some(days as u32);
        Ok(())
    })?;
    Ok(Some(json!({
        "KeyId": ctx.kms.arn(&record),
        "DeletionDate": seconds(deletion_ms),
        "KeyState": "PendingDeletion",
        "PendingWindowInDays": days,
    })))
}

/// A key whose deletion is cancelled is Disabled, as on AWS.
pub(super) fn cancel_key_deletion(ctx: &Ctx<'_>) -> Result<Option<Value>, KmsError> {
    let record = manage(ctx, |record, arn| {
        if record.state != KeyState::PendingDeletion {
            return Err(KmsError::new(
                "KMSInvalidStateException",
                format!("{arn} is not pending deletion."),
            ));
        }
        record.state = KeyState::Disabled;
        record.deletion_ms = None;
        record.pending_window_days = None;
        Ok(())
    })?;
    Ok(Some(json!({ "KeyId": ctx.kms.arn(&record) })))
}

pub(super) fn enable_key_rotation(ctx: &Ctx<'_>) -> Result<Option<Value>, KmsError> {
    let days = ctx
        .input
        .bounded("RotationPeriodInDays", 90, 2560)?
        .map_or(DEFAULT_ROTATION_DAYS, |d| d as u32);
    let now = now_ms();
    manage(ctx, |record, arn| {
        usable(record, arn)?;
        // A new period counts from the last rotation date (or now, when rotation was off).
        let base = match (
            record.rotation_enabled,
            record.next_rotation_ms,
            record.rotation_period_days,
        ) {
            (true, Some(next), Some(old)) => next - i64::from(old) * MS_PER_DAY,
            _ => now,
        };
        record.rotation_enabled = true;
        record.rotation_period_days = Some(days);
        record.next_rotation_ms = Some((base + i64::from(days) * MS_PER_DAY).max(now));
        Ok(())
    })?;
    Ok(None)
}

pub(super) fn disable_key_rotation(ctx: &Ctx<'_>) -> Result<Option<Value>, KmsError> {
    manage(ctx, |record, arn| {
        usable(record, arn)?;
        record.rotation_enabled = false;
        record.rotation_period_days = None;
        record.next_rotation_ms = None;
        Ok(())
    })?;
    Ok(None)
}

/// Rotations here complete at once, so `OnDemandRotationStartDate` (an on-demand rotation in
/// progress) never shows.
pub(super) fn get_key_rotation_status(ctx: &Ctx<'_>) -> Result<Option<Value>, KmsError> {
    let record = ctx.key("KeyId", Names::KeyOnly)?;
    let mut out = json!({
        "KeyRotationEnabled": record.rotation_enabled,
        "KeyId": ctx.kms.arn(&record),
    });
    if let (true, Value::Object(map)) = (record.rotation_enabled, &mut out) {
        if let Some(days) = record.rotation_period_days {
            map.insert("RotationPeriodInDays".into(), json!(days));
        }
        if let Some(next) = record.next_rotation_ms {
            map.insert("NextRotationDate".into(), seconds(next));
        }
    }
    Ok(Some(out))
}

pub(super) fn rotate_key_on_demand(ctx: &Ctx<'_>) -> Result<Option<Value>, KmsError> {
    let record = ctx.key("KeyId", Names::KeyOnly)?;
    ctx.customer_managed(&record)?;
    let arn = ctx.kms.arn(&record);
    usable(&record, &arn)?;
    let on_demand = record
        .materials
        .iter()
        .filter(|m| m.origin == Origin::OnDemand)
        .count();
    if on_demand >= ON_DEMAND_LIMIT {
        return Err(KmsError::new(
            "LimitExceededException",
            format!("{arn} has reached the limit of {ON_DEMAND_LIMIT} on-demand rotations."),
        ));
    }
    ctx.kms
        .store()
        .rotate(&record.key_id, &arn, Origin::OnDemand)?;
    Ok(Some(json!({ "KeyId": record.key_id })))
}

/// The completed rotations (every material version after the first), oldest first; markers
/// are version numbers.
pub(super) fn list_key_rotations(ctx: &Ctx<'_>) -> Result<Option<Value>, KmsError> {
    let limit = ctx.input.limit(100)?;
    let marker = ctx
        .input
        .marker(|m| m.parse::<u32>().is_ok())?
        .and_then(|m| m.parse::<u32>().ok());
    let record = ctx.key("KeyId", Names::KeyOnly)?;
    let rotations: Vec<_> = record
        .materials
        .iter()
        .filter(|m| m.origin != Origin::Created)
        .filter(|m| marker.is_none_or(|after| m.version > after))
        .collect();
    let next = (rotations.len() > limit)
        .then(|| rotations.get(limit - 1).map(|m| m.version.to_string()))
        .flatten();
    let entries = rotations
        .iter()
        .take(limit)
        .map(|m| {
            json!({
                "KeyId": record.key_id,
                "RotationDate": seconds(m.created_ms),
                "RotationType": if m.origin == Origin::OnDemand { "ON_DEMAND" } else { "AUTOMATIC" },
            })
        })
        .collect();
    Ok(Some(page("Rotations", entries, next)))
}
