//! Access control lists: Get/PutBucketAcl, Get/PutObjectAcl, and the ACL a request gives what it
//! creates (`x-amz-acl`, `x-amz-grant-*` on CreateBucket, PutObject, CopyObject,
//! CreateMultipartUpload; the `acl` field of a browser upload).
//!
//! A request names an ACL one of three ways ([`AclSource`]): a canned ACL, grant headers, or an
//! `AccessControlPolicy` document (PutXAcl only). Grantees are resolved here, before anything is
//! stored: e-mail addresses become canonical ids (`UnresolvableGrantByEmailAddress` when no
//! account has the address) and canonical ids must name an account, so a stored ACL never needs
//! a lookup. Whether an ACL may be set at all is decided against the bucket record inside the
//! store transaction that writes it ([`check_settable`]): BucketOwnerEnforced disables ACLs
//! (`AccessControlListNotSupported`) and BlockPublicAcls refuses public ones (`AccessDenied`).
//!
//! Stored ACLs are expanded grant lists, None for the default (the owner's FULL_CONTROL).

use axum::response::Response;
use http::StatusCode;

use super::ownership::update_access;
use super::versioning::selector;
use super::{empty_response, xml_response};
use crate::http::AppState;
use crate::meta::model::BucketRecord;
use crate::policy::acl::{
    Acl, CannedAcl, Grant, Grantee, GroupGrantee, ObjectOwnership, Permission,
};
use crate::s3::error::{S3Error, S3Result};
use crate::s3::request::{RequestBody, S3Request, read_small_body};

mod document;

use document::{parse_policy, policy_xml};

/// The grant headers and the permission each gives.
const GRANT_HEADERS: [(&str, Permission); 5] = [
    ("x-amz-grant-read", Permission::Read),
    ("x-amz-grant-write", Permission::Write),
    ("x-amz-grant-read-acp", Permission::ReadAcp),
    ("x-amz-grant-write-acp", Permission::WriteAcp),
    ("x-amz-grant-full-control", Permission::FullControl),
];

/// AWS's limit on the grants of one ACL.
const MAX_GRANTS: usize = 100;

/// An `AccessControlPolicy` document is small; this leaves room for 100 grants by e-mail.
const MAX_POLICY_BODY: usize = 64 * 1024;

/// What a request asks an ACL to be, its grantees resolved.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AclSource {
    /// `x-amz-acl`.
    Canned(CannedAcl),
    /// `x-amz-grant-*`: exactly these grants (the owner keeps only what they give it).
    Grants(Vec<Grant>),
    /// A PutXAcl body: its `Owner/ID` must be the resource's owner.
    Document { owner: String, grants: Vec<Grant> },
}

impl AclSource {
    fn canned(&self) -> Option<CannedAcl> {
        match self {
            AclSource::Canned(canned) => Some(*canned),
            _ => None,
        }
    }

    /// The ACL of a resource owned by `owner` in a bucket owned by `bucket_owner`.
    pub(crate) fn acl_for(&self, owner: &str, bucket_owner: &str) -> S3Result<Acl> {
        let grants = match self {
            AclSource::Canned(canned) => return Ok(canned.expand(owner, bucket_owner)),
            AclSource::Grants(grants) => grants.clone(),
            // AWS refuses a document naming another owner: ownership cannot be given away.
            AclSource::Document { owner: named, .. } if !named.eq_ignore_ascii_case(owner) => {
                return Err(S3Error::access_denied());
            }
            AclSource::Document { grants, .. } => grants.clone(),
        };
        Ok(Acl {
            owner: owner.to_string(),
            grants,
        })
    }
}

fn malformed_acl() -> S3Error {
    S3Error::new(
        "MalformedACLError",
        "The XML you provided was not well-formed or did not validate against our published schema",
    )
}

fn acls_not_supported() -> S3Error {
    S3Error::new(
        "AccessControlListNotSupported",
        "The bucket does not allow ACLs",
    )
}

/// Whether `acl` may be set on `bucket` or an object in it: not when ACLs are disabled
/// (BucketOwnerEnforced accepts only the bucket owner's FULL_CONTROL, i.e. `private` or
/// `bucket-owner-full-control` or their XML forms), not a public one under BlockPublicAcls.
pub(crate) fn check_settable(bucket: &BucketRecord, acl: &Acl) -> S3Result<()> {
    if bucket.ownership() == ObjectOwnership::BucketOwnerEnforced
        && !(acl.is_default() && acl.owner == bucket.owner)
    {
        return Err(acls_not_supported());
    }
    if bucket
        .public_access_block
        .is_some_and(|block| block.block_public_acls)
        && acl.is_public()
    {
        return Err(S3Error::access_denied());
    }
    Ok(())
}

/// The owner and stored ACL of an object `writer` creates in `bucket`, as the request's ACL
/// (`asked`) and the bucket's object ownership decide.
pub(crate) fn new_object_access(
    bucket: &BucketRecord,
    writer: &str,
    asked: Option<&AclSource>,
) -> S3Result<(String, Option<Acl>)> {
    let owner = bucket
        .ownership()
        .object_owner(&bucket.owner, writer, asked.and_then(AclSource::canned))
        .to_string();
    let acl = match asked {
        Some(source) => source.acl_for(&owner, &bucket.owner)?,
        None => Acl::private(&owner),
    };
    check_settable(bucket, &acl)?;
    Ok((owner, acl.into_stored()))
}

/// The owner and stored ACL of the object a PutObject / CopyObject / CreateMultipartUpload
/// creates, from its `x-amz-acl` / `x-amz-grant-*` headers.
pub(crate) fn object_access(
    app: &AppState,
    request: &S3Request,
) -> S3Result<(String, Option<Acl>)> {
    let asked = header_acl(app, request)?;
    let read;
    let bucket = match request.bucket_record(&app.store) {
        Some(record) => record,
        None => {
            read = app.store.bucket(request.bucket()?)?;
            &read
        }
    };
    new_object_access(bucket, request.owner_id(), asked.as_ref())
}

/// `x-amz-acl` as a canned ACL; InvalidArgument for a name AWS does not have.
pub(crate) fn parse_canned(value: &str, argument: &'static str) -> S3Result<CannedAcl> {
    CannedAcl::parse(value.trim()).ok_or_else(|| {
        S3Error::invalid_argument("The canned ACL you provided is not valid")
            .with("ArgumentName", argument)
            .with("ArgumentValue", value)
    })
}

/// The ACL a request's headers ask for, if any: `x-amz-acl` or the `x-amz-grant-*` headers
/// (not both: AWS refuses that with InvalidRequest).
pub(crate) fn header_acl(app: &AppState, request: &S3Request) -> S3Result<Option<AclSource>> {
    let canned = request.header("x-amz-acl");
    let has_grants = GRANT_HEADERS
        .iter()
        .any(|(name, _)| request.headers.contains_key(*name));
    match (canned, has_grants) {
        (Some(_), true) => Err(S3Error::invalid_request(
            "Specifying both Canned ACLs and Header Grants is not allowed",
        )),
        (Some(value), false) => Ok(Some(AclSource::Canned(parse_canned(value, "x-amz-acl")?))),
        (None, false) => Ok(None),
        (None, true) => {
            let mut grants = Vec::new();
            for (name, permission) in GRANT_HEADERS {
                for value in request.headers.get_all(name) {
                    let value = value.to_str().map_err(|_| bad_grant_header(name, ""))?;
                    for grantee in parse_grant_header(name, value)? {
                        grants.push(Grant {
                            grantee: resolve(app, grantee)?,
                            permission,
                        });
                    }
                }
            }
            if grants.len() > MAX_GRANTS {
                return Err(S3Error::invalid_argument("Too many grants"));
            }
            Ok(Some(AclSource::Grants(grants)))
        }
    }
}

/// A grantee as a request names it, before e-mail addresses are resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
enum NamedGrantee {
    Id(String),
    Email(String),
    Group(GroupGrantee),
}

fn bad_grant_header(name: &'static str, value: &str) -> S3Error {
    S3Error::invalid_argument("Argument format not recognized")
        .with("ArgumentName", name)
        .with("ArgumentValue", value)
}

/// One `x-amz-grant-*` value: `id="…"`, `uri="…"`, `emailAddress="…"`, comma-separated, values
/// quoted or not (the AWS CLI sends them bare).
fn parse_grant_header(name: &'static str, value: &str) -> S3Result<Vec<NamedGrantee>> {
    let mut out = Vec::new();
    for item in split_unquoted_commas(value) {
        let item = item.trim();
        if item.is_empty() {
            if value.trim().is_empty() {
                continue;
            }
            return Err(bad_grant_header(name, value));
        }
        let (kind, raw) = item
            .split_once('=')
            .ok_or_else(|| bad_grant_header(name, value))?;
        let raw = raw.trim();
        let text = match raw.strip_prefix('"') {
            Some(rest) => rest
                .strip_suffix('"')
                .ok_or_else(|| bad_grant_header(name, value))?,
            None => raw,
        };
        if text.is_empty() || text.contains('"') {
            return Err(bad_grant_header(name, value));
        }
        out.push(match kind.trim().to_ascii_lowercase().as_str() {
            "id" => NamedGrantee::Id(text.to_string()),
            "emailaddress" => NamedGrantee::Email(text.to_string()),
            "uri" => NamedGrantee::Group(GroupGrantee::from_uri(text).ok_or_else(|| {
                S3Error::invalid_argument("Invalid group uri")
                    .with("ArgumentName", "uri")
                    .with("ArgumentValue", text)
            })?),
            _ => return Err(bad_grant_header(name, value)),
        });
    }
    Ok(out)
}

fn split_unquoted_commas(value: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    for (i, c) in value.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&value[start..]);
    parts
}

/// A grantee as stored: e-mail addresses resolved to the account's canonical id, canonical ids
/// checked to name an account (AWS answers `InvalidArgument: Invalid id` otherwise).
fn resolve(app: &AppState, grantee: NamedGrantee) -> S3Result<Grantee> {
    match grantee {
        NamedGrantee::Group(group) => Ok(Grantee::Group(group)),
        NamedGrantee::Id(id) => match app
            .identities
            .account_by_canonical_id(&id)
            .map_err(S3Error::internal)?
        {
            Some(account) => Ok(Grantee::CanonicalUser(account.canonical_id)),
            None => Err(S3Error::invalid_argument("Invalid id")
                .with("ArgumentName", "CanonicalUser/ID")
                .with("ArgumentValue", id)),
        },
        NamedGrantee::Email(email) => match app
            .identities
            .account_by_email(&email)
            .map_err(S3Error::internal)?
        {
            Some(account) => Ok(Grantee::CanonicalUser(account.canonical_id)),
            None => Err(S3Error::new(
                "UnresolvableGrantByEmailAddress",
                "The e-mail address you provided does not match any account on record.",
            )
            .with("EmailAddress", email)),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// The operations.

/// The ACL a PutXAcl request asks for: headers or a document, exactly one of them.
async fn requested_acl(
    app: &AppState,
    request: &S3Request,
    body: &mut RequestBody,
) -> S3Result<AclSource> {
    let from_headers = header_acl(app, request)?;
    let document = read_small_body(body, MAX_POLICY_BODY).await?;
    let has_document = !document.iter().all(u8::is_ascii_whitespace);
    match (from_headers, has_document) {
        (Some(_), true) => Err(S3Error::new(
            "UnexpectedContent",
            "This request does not support content",
        )),
        (Some(source), false) => Ok(source),
        (None, false) => Err(S3Error::new(
            "MissingSecurityHeader",
            "Your request was missing a required header",
        )
        .with("MissingHeaderName", "x-amz-acl")),
        (None, true) => {
            let parsed = parse_policy(&document)?;
            let grants = parsed
                .grants
                .into_iter()
                .map(|(grantee, permission)| {
                    Ok(Grant {
                        grantee: resolve(app, grantee)?,
                        permission,
                    })
                })
                .collect::<S3Result<Vec<_>>>()?;
            Ok(AclSource::Document {
                owner: parsed.owner,
                grants,
            })
        }
    }
}

pub async fn get_bucket_acl(app: &AppState, request: &S3Request) -> S3Result<Response> {
    let bucket = app.store.bucket(request.bucket()?)?;
    // With ACLs disabled the owner's FULL_CONTROL is the whole truth, whatever is stored.
    let acl = match (&bucket.acl, bucket.ownership()) {
        (Some(acl), ownership) if ownership != ObjectOwnership::BucketOwnerEnforced => acl.clone(),
        _ => Acl::private(&bucket.owner),
    };
    Ok(xml_response(StatusCode::OK, policy_xml(app, &acl)))
}

pub async fn put_bucket_acl(
    app: &AppState,
    request: &S3Request,
    body: &mut RequestBody,
) -> S3Result<Response> {
    let name = request.bucket()?;
    app.store.bucket(name)?;
    let source = requested_acl(app, request, body).await?;
    update_access(app, name, StatusCode::OK, |record, access| {
        let acl = source.acl_for(&record.owner, &record.owner)?;
        check_settable(record, &acl)?;
        // Accepted under BucketOwnerEnforced only as the owner's FULL_CONTROL: nothing
        // changes, and the ACL stored from before comes back if ACLs are enabled again.
        if record.ownership() != ObjectOwnership::BucketOwnerEnforced {
            access.acl = acl.into_stored();
        }
        Ok(())
    })
    .await
}

pub async fn get_object_acl(app: &AppState, request: &S3Request) -> S3Result<Response> {
    let bucket = app.store.bucket(request.bucket()?)?;
    let version = app
        .store
        .version(&bucket.name, request.key()?, selector(request)?)?;
    let acl = if bucket.ownership() == ObjectOwnership::BucketOwnerEnforced {
        // The bucket owner owns every object while ACLs are disabled.
        Acl::private(&bucket.owner)
    } else {
        version
            .attrs
            .acl
            .unwrap_or_else(|| Acl::private(&version.attrs.owner))
    };
    Ok(xml_response(StatusCode::OK, policy_xml(app, &acl)))
}

pub async fn put_object_acl(
    app: &AppState,
    request: &S3Request,
    body: &mut RequestBody,
) -> S3Result<Response> {
    let bucket = request.bucket()?;
    let key = request.key()?;
    let selector = selector(request)?;
    app.store.version(bucket, key, selector)?;
    let source = requested_acl(app, request, body).await?;
    app.store
        .update_object_acl(bucket, key, selector, |record, version| {
            let enforced = record.ownership() == ObjectOwnership::BucketOwnerEnforced;
            let owner = if enforced {
                &record.owner
            } else {
                &version.attrs.owner
            };
            let acl = source.acl_for(owner, &record.owner)?;
            check_settable(record, &acl)?;
            if enforced {
                Ok(version.attrs.acl.clone())
            } else {
                Ok::<_, S3Error>(acl.into_stored())
            }
        })
        .await??;
    Ok(empty_response(StatusCode::OK))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_headers_parse() {
        let table: [(&str, Vec<NamedGrantee>); 5] = [
            (r#"id="abc""#, vec![NamedGrantee::Id("abc".into())]),
            (
                r#"id="abc", emailAddress="x@example.com""#,
                vec![
                    NamedGrantee::Id("abc".into()),
                    NamedGrantee::Email("x@example.com".into()),
                ],
            ),
            (
                "uri=http://acs.amazonaws.com/groups/global/AuthenticatedUsers,ID=def",
                vec![
                    NamedGrantee::Group(GroupGrantee::AuthenticatedUsers),
                    NamedGrantee::Id("def".into()),
                ],
            ),
            (
                r#"emailaddress="a@b.c" ,  uri="http://acs.amazonaws.com/groups/s3/LogDelivery""#,
                vec![
                    NamedGrantee::Email("a@b.c".into()),
                    NamedGrantee::Group(GroupGrantee::LogDelivery),
                ],
            ),
            ("", vec![]),
        ];
        for (value, expected) in table {
            assert_eq!(
                parse_grant_header("x-amz-grant-read", value).expect(value),
                expected,
                "{value}"
            );
        }
        for bad in [
            "abc",
            r#"id="abc"#,
            r#"id="""#,
            r#"name="abc""#,
            r#"id="abc",,id="def""#,
            r#"id="abc","#,
            r#"uri="http://acs.amazonaws.com/groups/global/Nobody""#,
            r#"id="a"b""#,
        ] {
            assert_eq!(
                parse_grant_header("x-amz-grant-read", bad)
                    .expect_err(bad)
                    .code,
                "InvalidArgument",
                "{bad}"
            );
        }
    }

    fn bucket(ownership: Option<ObjectOwnership>, block: bool) -> BucketRecord {
        BucketRecord {
            name: "b".into(),
            created_ms: 0,
            region: "us-east-1".into(),
            owner: "bo".into(),
            versioning: Default::default(),
            deleting: false,
            tags: None,
            policy_revision: None,
            cors_revision: None,
            website_revision: None,
            lifecycle_revision: None,
            intelligent_tiering_revision: None,
            encryption_revision: None,
            object_lock_revision: None,
            acl: None,
            ownership,
            public_access_block: block.then(crate::policy::acl::PublicAccessBlock::all),
            object_acls: false,
        }
    }

    #[test]
    fn new_objects_get_owner_and_acl_from_ownership() {
        use CannedAcl::*;
        use ObjectOwnership::*;
        let canned = |c| Some(AclSource::Canned(c));
        /// The owner and whether an ACL is stored, or the error code.
        type Outcome = Result<(&'static str, bool), &'static str>;
        let table: Vec<(Option<ObjectOwnership>, Option<AclSource>, Outcome)> = vec![
            (None, None, Ok(("w", false))),
            (None, canned(PublicRead), Ok(("w", true))),
            (None, canned(BucketOwnerFullControl), Ok(("w", true))),
            (
                Some(BucketOwnerPreferred),
                canned(BucketOwnerFullControl),
                Ok(("bo", false)),
            ),
            (
                Some(BucketOwnerPreferred),
                canned(Private),
                Ok(("w", false)),
            ),
            (Some(BucketOwnerEnforced), None, Ok(("bo", false))),
            (
                Some(BucketOwnerEnforced),
                canned(BucketOwnerFullControl),
                Ok(("bo", false)),
            ),
            (
                Some(BucketOwnerEnforced),
                canned(Private),
                Ok(("bo", false)),
            ),
            (
                Some(BucketOwnerEnforced),
                canned(PublicRead),
                Err("AccessControlListNotSupported"),
            ),
            (
                Some(BucketOwnerEnforced),
                Some(AclSource::Grants(vec![Grant {
                    grantee: Grantee::CanonicalUser("w".into()),
                    permission: Permission::Read,
                }])),
                Err("AccessControlListNotSupported"),
            ),
        ];
        for (ownership, asked, expected) in table {
            let got = new_object_access(&bucket(ownership, false), "w", asked.as_ref())
                .map(|(owner, acl)| (owner, acl.is_some()));
            match expected {
                Ok((owner, stored)) => {
                    assert_eq!(
                        got.expect("accepted"),
                        (owner.to_string(), stored),
                        "{ownership:?} {asked:?}"
                    )
                }
                Err(code) => assert_eq!(
                    got.expect_err("refused").code,
                    code,
                    "{ownership:?} {asked:?}"
                ),
            }
        }
    }

    #[test]
    fn block_public_acls_refuses_public_grants_only() {
        let blocked = bucket(None, true);
        for public in [
            AclSource::Canned(CannedAcl::PublicRead),
            AclSource::Canned(CannedAcl::PublicReadWrite),
            AclSource::Canned(CannedAcl::AuthenticatedRead),
            AclSource::Grants(vec![Grant {
                grantee: Grantee::Group(GroupGrantee::AllUsers),
                permission: Permission::Read,
            }]),
        ] {
            assert_eq!(
                new_object_access(&blocked, "w", Some(&public))
                    .expect_err("public")
                    .code,
                "AccessDenied",
                "{public:?}"
            );
        }
        for fine in [
            AclSource::Canned(CannedAcl::Private),
            AclSource::Canned(CannedAcl::BucketOwnerRead),
            AclSource::Canned(CannedAcl::LogDeliveryWrite),
        ] {
            assert!(
                new_object_access(&blocked, "w", Some(&fine)).is_ok(),
                "{fine:?}"
            );
        }
    }

    #[test]
    fn a_document_must_name_the_owner() {
        let source = AclSource::Document {
            owner: "SOMEONE".into(),
            grants: vec![],
        };
        assert_eq!(
            source
                .acl_for("someone", "b")
                .expect("same, any case")
                .owner,
            "someone"
        );
        assert_eq!(
            source.acl_for("other", "b").expect_err("other").code,
            "AccessDenied"
        );
    }
}
