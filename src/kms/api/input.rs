//! A request's JSON body ([`Input`]) and typed access to its members, with AWS's errors: a body
//! that is not a JSON object, or a member of the wrong type, is SerializationException; a
//! missing required member or a value out of range is ValidationException worded like AWS
//! ("1 validation error detected: Value ... at 'keyId' failed to satisfy constraint: ...").

use base64::Engine as _;
use serde_json::{Map, Value};

use crate::kms::{EncryptionContext, KmsError};

pub(crate) struct Input {
    members: Map<String, Value>,
}

fn serialization(message: impl Into<String>) -> KmsError {
    KmsError::new("SerializationException", message)
}

/// `KeyId` → `keyId`: how AWS names members in validation messages.
pub(crate) fn member_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

pub(crate) fn constraint(value: impl std::fmt::Display, name: &str, rule: &str) -> KmsError {
    KmsError::validation(format!(
        "1 validation error detected: Value '{value}' at '{}' failed to satisfy constraint: {rule}",
        member_name(name)
    ))
}

impl Input {
    /// An empty body counts as `{}` (nothing to say).
    pub(crate) fn parse(body: &[u8]) -> Result<Input, KmsError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Input {
                members: Map::new(),
            });
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(members)) => Ok(Input { members }),
            Ok(_) => Err(serialization(
                "Start of structure or map found where not expected.",
            )),
            Err(err) => Err(serialization(format!(
                "The request body is not valid JSON: {err}"
            ))),
        }
    }

    fn member(&self, name: &str) -> Option<&Value> {
        self.members.get(name).filter(|v| !v.is_null())
    }

    pub(crate) fn member_present(&self, name: &str) -> bool {
        self.member(name).is_some()
    }

    pub(crate) fn string(&self, name: &str) -> Result<Option<&str>, KmsError> {
        match self.member(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(serialization(format!("{name} must be a string."))),
        }
    }

    pub(crate) fn required(&self, name: &str) -> Result<&str, KmsError> {
        self.string(name)?.ok_or_else(|| missing(name))
    }

    /// A required key identifier (1 to 2,048 characters).
    pub(crate) fn key_id(&self, name: &str) -> Result<&str, KmsError> {
        let value = self.required(name)?;
        if value.is_empty() || value.len() > 2048 {
            return Err(constraint(
                value,
                name,
                "Member must have length between 1 and 2048",
            ));
        }
        Ok(value)
    }

    pub(crate) fn integer(&self, name: &str) -> Result<Option<i64>, KmsError> {
        match self.member(name) {
            None => Ok(None),
            Some(value) => value
                .as_i64()
                .map(Some)
                .ok_or_else(|| serialization(format!("{name} must be an integer."))),
        }
    }

    /// An integer within `min..=max`, AWS's message otherwise.
    pub(crate) fn bounded(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, KmsError> {
        let Some(value) = self.integer(name)? else {
            return Ok(None);
        };
        if value < min {
            return Err(constraint(
                value,
                name,
                &format!("Member must have value greater than or equal to {min}"),
            ));
        }
        if value > max {
            return Err(constraint(
                value,
                name,
                &format!("Member must have value less than or equal to {max}"),
            ));
        }
        Ok(Some(value))
    }

    pub(crate) fn boolean(&self, name: &str) -> Result<Option<bool>, KmsError> {
        match self.member(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(serialization(format!("{name} must be a boolean."))),
        }
    }

    /// A base64 blob of `min..=max` bytes.
    pub(crate) fn blob(&self, name: &str, max: usize) -> Result<Option<Vec<u8>>, KmsError> {
        let Some(text) = self.string(name)? else {
            return Ok(None);
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|_| serialization(format!("{name} is not valid base64.")))?;
        let member = member_name(name);
        if bytes.is_empty() {
            return Err(KmsError::validation(format!(
                "1 validation error detected: Value at '{member}' failed to satisfy constraint: Member must have length greater than or equal to 1"
            )));
        }
        if bytes.len() > max {
            return Err(KmsError::validation(format!(
                "1 validation error detected: Value at '{member}' failed to satisfy constraint: Member must have length less than or equal to {max}"
            )));
        }
        Ok(Some(bytes))
    }

    pub(crate) fn required_blob(&self, name: &str, max: usize) -> Result<Vec<u8>, KmsError> {
        self.blob(name, max)?.ok_or_else(|| missing(name))
    }

    /// A string → string map; absent = empty.
    pub(crate) fn context(&self, name: &str) -> Result<EncryptionContext, KmsError> {
        match self.member(name) {
            None => Ok(EncryptionContext::new()),
            Some(Value::Object(map)) => map
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.clone(), s.clone())),
                    _ => Err(serialization(format!("{name} values must be strings."))),
                })
                .collect(),
            Some(_) => Err(serialization(format!("{name} must be a map."))),
        }
    }

    /// The `EncryptionAlgorithm` member (`name`): only `SYMMETRIC_DEFAULT` applies to the keys
    /// here; an RSA or SM2 algorithm is the wrong one for them (InvalidKeyUsageException).
    pub(crate) fn algorithm(&self, name: &str) -> Result<(), KmsError> {
        match self.string(name)? {
            None | Some("SYMMETRIC_DEFAULT") => Ok(()),
            Some(other @ ("RSAES_OAEP_SHA_1" | "RSAES_OAEP_SHA_256" | "SM2PKE")) => {
                Err(KmsError::new(
                    "InvalidKeyUsageException",
                    format!(
                        "{other} is not a valid encryption algorithm for a SYMMETRIC_DEFAULT key."
                    ),
                ))
            }
            Some(other) => Err(constraint(
                other,
                name,
                "Member must satisfy enum value set: [SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, SM2PKE]",
            )),
        }
    }

    /// `Limit` (1 to 1000) with this default.
    pub(crate) fn limit(&self, default: usize) -> Result<usize, KmsError> {
        Ok(self
            .bounded("Limit", 1, 1000)?
            .map_or(default, |n| n as usize))
    }

    /// `Marker`: a value an earlier page returned.
    pub(crate) fn marker(&self, valid: impl Fn(&str) -> bool) -> Result<Option<&str>, KmsError> {
        match self.string("Marker")? {
            None => Ok(None),
            Some(marker) if valid(marker) => Ok(Some(marker)),
            Some(_) => Err(KmsError::new(
                "InvalidMarkerException",
                "The marker that specifies where to start paginating is invalid.",
            )),
        }
    }

    /// `DryRun: true` answers DryRunOperationException after the checks (as AWS).
    pub(crate) fn dry_run(&self) -> Result<bool, KmsError> {
        Ok(self.boolean("DryRun")?.unwrap_or(false))
    }
}

pub(crate) fn missing(name: &str) -> KmsError {
    KmsError::validation(format!(
        "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
        member_name(name)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_and_members_are_typed_with_aws_errors() {
        assert!(Input::parse(b"").is_ok());
        for bad in [&b"{"[..], b"[]", b"\"x\"", b"{\"KeyId\":}"] {
            let err = Input::parse(bad).map(|_| ()).expect_err("refused");
            assert_eq!(err.code, "SerializationException", "{bad:?}");
        }
        let input = Input::parse(br#"{"KeyId":5,"Limit":0,"Plaintext":"!!","Ctx":{"a":1}}"#)
            .expect("object");
        assert_eq!(
            input.required("KeyId").err().map(|e| e.code),
            Some("SerializationException")
        );
        let err = input.limit(100).expect_err("out of range");
        assert_eq!(err.code, "ValidationException");
        assert!(err.message.contains("at 'limit'"), "{}", err.message);
        assert_eq!(
            input.blob("Plaintext", 4096).err().map(|e| e.code),
            Some("SerializationException")
        );
        assert_eq!(
            input.context("Ctx").err().map(|e| e.code),
            Some("SerializationException")
        );
        let err = input.required("Missing").expect_err("missing");
        assert!(
            err.message.contains("Value null at 'missing'"),
            "{}",
            err.message
        );
    }

    #[test]
    fn blob_lengths_are_checked_in_aws_words() {
        let big = base64::engine::general_purpose::STANDARD.encode(vec![0u8; 4097]);
        let input = Input::parse(format!(r#"{{"Plaintext":"{big}","Empty":""}}"#).as_bytes())
            .expect("object");
        let err = input.blob("Plaintext", 4096).expect_err("too long");
        assert_eq!(
            err.message,
            "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096"
        );
        let err = input.blob("Empty", 4096).expect_err("empty");
        assert!(
            err.message.contains("greater than or equal to 1"),
            "{}",
            err.message
        );
    }
}
