//! Object ownership and the public access block of a bucket: Put/Get/DeleteBucketOwnershipControls,
//! Put/Get/DeletePublicAccessBlock, and the access settings CreateBucket gives a new bucket
//! (`x-amz-object-ownership`, `x-amz-acl` / `x-amz-grant-*`, and the server's
//! `--bucket-defaults`).
//!
//! What the settings do is decided elsewhere: `policy::authorize` applies IgnorePublicAcls and
//! RestrictPublicBuckets (and disables ACL grants under BucketOwnerEnforced), `ops::acl` refuses
//! ACLs the bucket does not allow, `ops::bucket_policy` refuses public policies under
//! BlockPublicPolicy. Changes happen in one store transaction with the checks they depend on.

use axum::response::Response;
use http::StatusCode;

use super::acl::header_acl;
use super::{empty_response, xml_response};
use crate::config::BucketDefaults;
use crate::http::AppState;
use crate::meta::model::BucketRecord;
use crate::policy::acl::{ObjectOwnership, PublicAccessBlock};
use crate::s3::error::{S3Error, S3Result};
use crate::s3::request::{RequestBody, S3Request, read_small_body};
use crate::s3::xml::{self, XmlWriter};
use crate::store::acl::BucketAccess;

const MAX_CONFIG_BODY: usize = 16 * 1024;

fn invalid_acl_with_ownership() -> S3Error {
    S3Error::new(
        "InvalidBucketAclWithObjectOwnership",
        "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
    )
}

fn parse_ownership(value: &str) -> Option<ObjectOwnership> {
    ObjectOwnership::parse(value.trim())
}

/// The access settings of a bucket CreateBucket is about to create for `owner`: what the
/// request says, else the server's defaults. Under `legacy` defaults a bucket gets no ownership
/// controls and no public access block (ACLs enabled, ObjectWriter); under `aws` it gets
/// BucketOwnerEnforced (unless `x-amz-object-ownership` says otherwise) and all four blocks.
pub(crate) fn create_bucket_access(
    app: &AppState,
    request: &S3Request,
    owner: &str,
) -> S3Result<BucketAccess> {
    let ownership = match request.header("x-amz-object-ownership") {
        None => None,
        Some(value) => Some(parse_ownership(value).ok_or_else(|| {
            S3Error::invalid_argument("Invalid x-amz-object-ownership header")
                .with("ArgumentName", "x-amz-object-ownership")
                .with("ArgumentValue", value)
        })?),
    };
    let (ownership, public_access_block) = match app.bucket_defaults {
        BucketDefaults::Legacy => (ownership, None),
        BucketDefaults::Aws => (
            Some(ownership.unwrap_or(ObjectOwnership::BucketOwnerEnforced)),
            Some(PublicAccessBlock::all()),
        ),
    };
    let acl = match header_acl(app, request)? {
        None => None,
        Some(source) => {
            // The bucket's owner owns it: `bucket-owner-*` are the owner's FULL_CONTROL.
            let acl = source.acl_for(owner, owner)?;
            if ownership == Some(ObjectOwnership::BucketOwnerEnforced) && !acl.is_default() {
                return Err(invalid_acl_with_ownership());
            }
            if public_access_block.is_some_and(|b| b.block_public_acls) && acl.is_public() {
                return Err(S3Error::access_denied());
            }
            acl.into_stored()
        }
    };
    Ok(BucketAccess {
        acl,
        ownership,
        public_access_block,
    })
}

/// Change the access settings of `bucket` in one store transaction (`change` sees the record
/// there and edits the settings, or refuses and nothing is written), then answer `status`.
pub(super) async fn update_access(
    app: &AppState,
    bucket: &str,
    status: StatusCode,
    change: impl Fn(&BucketRecord, &mut BucketAccess) -> S3Result<()>,
) -> S3Result<Response> {
    app.store.update_bucket_access(bucket, change).await??;
    Ok(empty_response(status))
}

/// The bucket a Put… of one setting names (checked to exist before the body is read) and the
/// setting its body holds.
async fn requested_setting<'r, T>(
    app: &AppState,
    request: &'r S3Request,
    body: &mut RequestBody,
    parse: impl FnOnce(&[u8]) -> S3Result<T>,
) -> S3Result<(&'r str, T)> {
    let name = request.bucket()?;
    app.store.bucket(name)?;
    Ok((name, parse(&read_small_body(body, MAX_CONFIG_BODY).await?)?))
}

/// A Delete… of one setting: `clear` removes it from the bucket's settings.
async fn clear_setting(
    app: &AppState,
    request: &S3Request,
    clear: impl Fn(&mut BucketAccess),
) -> S3Result<Response> {
    let name = request.bucket()?;
    update_access(app, name, StatusCode::NO_CONTENT, |_, access| {
        clear(access);
        Ok(())
    })
    .await
}

pub async fn get_ownership_controls(app: &AppState, request: &S3Request) -> S3Result<Response> {
    let bucket = app.store.bucket(request.bucket()?)?;
    let Some(ownership) = bucket.ownership else {
        return Err(S3Error::new(
            "OwnershipControlsNotFoundError",
            "The bucket ownership controls were not found",
        )
        .with("BucketName", &bucket.name));
    };
    let mut out = XmlWriter::document();
    out.root("OwnershipControls");
    out.open("Rule");
    out.elem("ObjectOwnership", ownership.as_str());
    out.close("Rule");
    out.close("OwnershipControls");
    Ok(xml_response(StatusCode::OK, out.finish()))
}

/// `<OwnershipControls><Rule><ObjectOwnership>…</ObjectOwnership></Rule></OwnershipControls>`,
/// exactly one rule.
fn parse_ownership_controls(body: &[u8]) -> S3Result<ObjectOwnership> {
    let root = xml::parse(body)?;
    if root.name != "OwnershipControls" {
        return Err(S3Error::malformed_xml());
    }
    let mut rules = root.children_named("Rule");
    match (rules.next(), rules.next()) {
        (Some(rule), None) => rule
            .child_text("ObjectOwnership")
            .and_then(parse_ownership)
            .ok_or_else(S3Error::malformed_xml),
        _ => Err(S3Error::malformed_xml()),
    }
}

pub async fn put_ownership_controls(
    app: &AppState,
    request: &S3Request,
    body: &mut RequestBody,
) -> S3Result<Response> {
    let (name, ownership) = requested_setting(app, request, body, parse_ownership_controls).await?;
    update_access(app, name, StatusCode::OK, |record, access| {
        // ACLs cannot be disabled while the bucket ACL grants anyone but the owner: AWS
        // makes the owner remove those grants first, so no access silently disappears.
        if ownership == ObjectOwnership::BucketOwnerEnforced
            && record
                .acl
                .as_ref()
                .is_some_and(|acl| acl.grants_others(&record.owner))
        {
            return Err(invalid_acl_with_ownership());
        }
        access.ownership = Some(ownership);
        Ok(())
    })
    .await
}

pub async fn delete_ownership_controls(app: &AppState, request: &S3Request) -> S3Result<Response> {
    clear_setting(app, request, |access| access.ownership = None).await
}

fn no_public_access_block(bucket: &str) -> S3Error {
    S3Error::new(
        "NoSuchPublicAccessBlockConfiguration",
        "The public access block configuration was not found",
    )
    .with("BucketName", bucket)
}

pub async fn get_public_access_block(app: &AppState, request: &S3Request) -> S3Result<Response> {
    let bucket = app.store.bucket(request.bucket()?)?;
    let block = bucket
        .public_access_block
        .ok_or_else(|| no_public_access_block(&bucket.name))?;
    let flag = |on: bool| if on { "true" } else { "false" };
    let mut out = XmlWriter::document();
    out.root("PublicAccessBlockConfiguration");
    out.elem("BlockPublicAcls", flag(block.block_public_acls));
    out.elem("IgnorePublicAcls", flag(block.ignore_public_acls));
    out.elem("BlockPublicPolicy", flag(block.block_public_policy));
    out.elem("RestrictPublicBuckets", flag(block.restrict_public_buckets));
    out.close("PublicAccessBlockConfiguration");
    Ok(xml_response(StatusCode::OK, out.finish()))
}

/// `<PublicAccessBlockConfiguration>` with any of its four booleans; a missing one is false.
fn parse_public_access_block(body: &[u8]) -> S3Result<PublicAccessBlock> {
    let root = xml::parse(body)?;
    if root.name != "PublicAccessBlockConfiguration" {
        return Err(S3Error::malformed_xml());
    }
    let mut block = PublicAccessBlock::default();
    for child in &root.children {
        let setting = match child.name.as_str() {
            "BlockPublicAcls" => &mut block.block_public_acls,
            "IgnorePublicAcls" => &mut block.ignore_public_acls,
            "BlockPublicPolicy" => &mut block.block_public_policy,
            "RestrictPublicBuckets" => &mut block.restrict_public_buckets,
            _ => return Err(S3Error::malformed_xml()),
        };
        *setting = match child.text.trim() {
            "true" => true,
            "false" => false,
            _ => return Err(S3Error::malformed_xml()),
        };
    }
    Ok(block)
}

pub async fn put_public_access_block(
    app: &AppState,
    request: &S3Request,
    body: &mut RequestBody,
) -> S3Result<Response> {
    let (name, block) = requested_setting(app, request, body, parse_public_access_block).await?;
    update_access(app, name, StatusCode::OK, |_, access| {
        access.public_access_block = Some(block);
        Ok(())
    })
    .await
}

pub async fn delete_public_access_block(app: &AppState, request: &S3Request) -> S3Result<Response> {
    clear_setting(app, request, |access| access.public_access_block = None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ownership_controls_parse() {
        let ok = b"<OwnershipControls xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Rule><ObjectOwnership>BucketOwnerPreferred</ObjectOwnership></Rule></OwnershipControls>";
        assert_eq!(
            parse_ownership_controls(ok).expect("valid"),
            ObjectOwnership::BucketOwnerPreferred
        );
        for bad in [
            &b"<OwnershipControls><Rule><ObjectOwnership>Mine</ObjectOwnership></Rule></OwnershipControls>"[..],
            b"<OwnershipControls></OwnershipControls>",
            b"<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></OwnershipControls>",
            b"<Ownership><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></Ownership>",
            b"<OwnershipControls><Rule>",
        ] {
            assert_eq!(
                parse_ownership_controls(bad).expect_err("invalid").code,
                "MalformedXML",
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn public_access_block_parses() {
        let all = b"<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>";
        assert_eq!(
            parse_public_access_block(all).expect("valid"),
            PublicAccessBlock::all()
        );
        let some = b"<PublicAccessBlockConfiguration><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicAcls>false</BlockPublicAcls></PublicAccessBlockConfiguration>";
        assert_eq!(
            parse_public_access_block(some).expect("valid"),
            PublicAccessBlock {
                ignore_public_acls: true,
                ..PublicAccessBlock::default()
            }
        );
        for bad in [
            &b"<PublicAccessBlockConfiguration><BlockPublicAcls>yes</BlockPublicAcls></PublicAccessBlockConfiguration>"[..],
            b"<PublicAccessBlockConfiguration><BlockEverything>true</BlockEverything></PublicAccessBlockConfiguration>",
            b"<PublicAccessBlock/>",
            b"",
        ] {
            assert_eq!(
                parse_public_access_block(bad).expect_err("invalid").code,
                "MalformedXML",
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
