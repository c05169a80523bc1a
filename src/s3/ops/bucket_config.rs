//! Bucket configuration reads for what strata has no configuration of yet. Each answers what
//! AWS answers for a bucket that has none — the truth here — so probing clients (s3cmd info,
//! rclone, the AWS console) carry on: ACLs show the owner's FULL_CONTROL, the others are their
//! "not configured" 404s. Writes of these configurations are routed to 501 NotImplemented until
//! their issues land.

use axum::response::Response;
use http::StatusCode;

use super::xml_response;
use crate::http::AppState;
use crate::iam::ROOT_DISPLAY_NAME;
use crate::s3::error::{S3Error, S3Result};
use crate::s3::request::S3Request;
use crate::s3::xml::XmlWriter;

/// GetBucketAcl / GetObjectAcl: with ACLs not configurable yet, the owner holds FULL_CONTROL
/// and nobody else has a grant (AWS's "bucket owner enforced" default).
pub async fn get_acl(app: &AppState, request: &S3Request) -> S3Result<Response> {
    let bucket = app.store.bucket(request.bucket()?)?;
    let owner = match &request.key {
        Some(key) => {
            app.store
                .version(&bucket.name, key, super::versioning::selector(request)?)?
                .attrs
                .owner
        }
        None => bucket.owner,
    };
    let mut out = XmlWriter::document();
    out.root("AccessControlPolicy");
    out.open("Owner");
    out.elem("ID", &owner);
    out.elem("DisplayName", ROOT_DISPLAY_NAME);
    out.close("Owner");
    out.open("AccessControlList");
    out.raw("<Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\">");
    out.elem("ID", &owner);
    out.elem("DisplayName", ROOT_DISPLAY_NAME);
    out.close("Grantee");
    out.elem("Permission", "FULL_CONTROL");
    out.close("Grant");
    out.close("AccessControlList");
    out.close("AccessControlPolicy");
    Ok(xml_response(StatusCode::OK, out.finish()))
}

/// The "no such configuration" answer of each unconfigurable bucket setting.
pub async fn not_configured(
    app: &AppState,
    request: &S3Request,
    what: Unconfigured,
) -> S3Result<Response> {
    let bucket = app.store.bucket(request.bucket()?)?;
    let (code, message) = match what {
        Unconfigured::Cors => (
            "NoSuchCORSConfiguration",
            "The CORS configuration does not exist",
        ),
        Unconfigured::Website => (
            "NoSuchWebsiteConfiguration",
            "The specified bucket does not have a website configuration",
        ),
        Unconfigured::Lifecycle => (
            "NoSuchLifecycleConfiguration",
            "The lifecycle configuration does not exist",
        ),
        Unconfigured::Encryption => (
            "ServerSideEncryptionConfigurationNotFoundError",
            "The server side encryption configuration was not found",
        ),
    };
    Err(S3Error::new(code, message).with("BucketName", &bucket.name))
}

#[derive(Debug, Clone, Copy)]
pub enum Unconfigured {
    Cors,
    Website,
    Lifecycle,
    Encryption,
}
