//! RestoreObject (`POST /bucket/key?restore`): a temporary readable copy of a version archived
//! in GLACIER or DEEP_ARCHIVE, made after the retrieval tier's latency (`store::restore`); for
//! an INTELLIGENT_TIERING version in an archive tier, its return to Frequent Access.
//! Glacier Select (`Type=SELECT`, `OutputLocation`) is closed to new customers on AWS and is
//! answered 501.

use axum::response::Response;
use http::StatusCode;

use super::empty_response;
use super::versioning::selector;
use crate::classes::RetrievalTier;
use crate::http::AppState;
use crate::s3::error::{S3Error, S3Result};
use crate::s3::request::{RequestBody, S3Request, read_small_body};
use crate::s3::xml;
use crate::store::restore::RestoreOutcome;

/// A RestoreRequest is a few short elements.
const MAX_RESTORE_BODY: usize = 16 * 1024;

/// What the request asks for.
#[derive(Debug, PartialEq)]
struct RestoreRequest {
    days: Option<u32>,
    tier: RetrievalTier,
}

fn parse(body: &[u8]) -> S3Result<RestoreRequest> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(RestoreRequest {
            days: None,
            tier: RetrievalTier::Standard,
        });
    }
    let root = xml::parse(body)?;
    if root.name != "RestoreRequest" {
        return Err(S3Error::malformed_xml());
    }
    if root.child("Type").is_some() || root.child("OutputLocation").is_some() {
        return Err(S3Error::not_implemented("restore of type SELECT"));
    }
    let days = match root.child_text("Days") {
        None => None,
        Some(text) => Some(
            text.trim()
                .parse::<u32>()
                .map_err(|_| S3Error::malformed_xml())?,
        ),
    };
    let tier = root
        .child("GlacierJobParameters")
        .and_then(|p| p.child_text("Tier"))
        .or_else(|| root.child_text("Tier"));
    let tier = match tier {
        None => RetrievalTier::Standard,
        Some(name) => RetrievalTier::parse(name.trim()).ok_or_else(S3Error::malformed_xml)?,
    };
    Ok(RestoreRequest { days, tier })
}

pub async fn restore_object(
    app: &AppState,
    request: &S3Request,
    body: &mut RequestBody,
) -> S3Result<Response> {
    let bucket = request.bucket()?;
    let key = request.key()?;
    let selector = selector(request)?;
    let document = read_small_body(body, MAX_RESTORE_BODY).await?;
    let wanted = parse(&document)?;
    let version = app.store.version(bucket, key, selector)?;
    let intelligent = app
        .store
        .classes
        .get(&version.attrs.storage_class)
        .is_some_and(|class| class.intelligent_tiering.is_some());
    if intelligent && wanted.days.is_some() {
        return Err(S3Error::invalid_argument(
            "INTELLIGENT_TIERING objects are not subject to restore expiry. Do not specify Days when restoring this object",
        ));
    }
    let Some(class) = app.store.restore_class(&version)? else {
        return Err(if intelligent {
            S3Error::new(
                "ObjectAlreadyInActiveTierError",
                "This action is not allowed against this storage tier.",
            )
        } else {
            S3Error::from(crate::store::StoreError::RestoreNotAllowed)
        });
    };
    // An Intelligent-Tiering restore has no expiry; `days` is then unused.
    let days = match wanted.days {
        _ if intelligent => 0,
        Some(days) if days >= 1 => days,
        Some(_) => {
            return Err(S3Error::invalid_argument(
                "The restore request must specify Days as a positive integer",
            ));
        }
        None => {
            return Err(S3Error::invalid_argument(format!(
                "Days must be specified to restore an object from {}",
                class.name
            )));
        }
    };
    if class.restore_tier(wanted.tier).is_none() {
        return Err(S3Error::invalid_argument(format!(
            "{:?} retrieval is not supported for the {} storage class",
            wanted.tier, class.name
        )));
    }
    let outcome = app
        .store
        .restore_object(bucket, key, selector, days, wanted.tier)
        .await?;
    Ok(empty_response(match outcome {
        RestoreOutcome::Started => StatusCode::ACCEPTED,
        RestoreOutcome::Extended => StatusCode::OK,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_parse_as_aws_sends_them() {
        let both =
            b"<RestoreRequest xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Days>3</Days>\
            <GlacierJobParameters><Tier>Expedited</Tier></GlacierJobParameters></RestoreRequest>";
        assert_eq!(
            parse(both).expect("parses"),
            RestoreRequest {
                days: Some(3),
                tier: RetrievalTier::Expedited
            }
        );
        let top_tier = b"<RestoreRequest><Days>1</Days><Tier>Bulk</Tier></RestoreRequest>";
        assert_eq!(parse(top_tier).expect("parses").tier, RetrievalTier::Bulk);
        let default = b"<RestoreRequest><Days>2</Days></RestoreRequest>";
        assert_eq!(
            parse(default).expect("parses").tier,
            RetrievalTier::Standard
        );
        assert_eq!(parse(b"").expect("empty").days, None);
        for bad in [
            &b"<RestoreRequest><Days>x</Days></RestoreRequest>"[..],
            b"<RestoreRequest><Days>1</Days><Tier>Fast</Tier></RestoreRequest>",
            b"<Restore><Days>1</Days></Restore>",
            b"<RestoreRequest>",
        ] {
            assert_eq!(parse(bad).expect_err("refused").code, "MalformedXML");
        }
        let select = b"<RestoreRequest><Type>SELECT</Type></RestoreRequest>";
        assert_eq!(parse(select).expect_err("501").code, "NotImplemented");
    }
}
