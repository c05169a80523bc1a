//! Access control lists, object ownership and the public access block: the data `authorize`
//! reads besides policies.
//!
//! An ACL is stored resolved: grants by e-mail address are turned into canonical ids when the
//! ACL is written, so evaluation never looks anything up. `None` where an ACL is optional means
//! the default private ACL (the owner has FULL_CONTROL, nobody else anything).

use serde::{Deserialize, Serialize};

use crate::iam::Principal;

pub const ALL_USERS_URI: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
pub const AUTHENTICATED_USERS_URI: &str =
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
pub const LOG_DELIVERY_URI: &str = "http://acs.amazonaws.com/groups/s3/LogDelivery";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acl {
    /// Canonical id of the owner of the bucket or object.
    pub owner: String,
    pub grants: Vec<Grant>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub grantee: Grantee,
    pub permission: Permission,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Grantee {
    /// 64-hex canonical id of an account (lower case).
    CanonicalUser(String),
    Group(GroupGrantee),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum GroupGrantee {
    AllUsers,
    AuthenticatedUsers,
    LogDelivery,
}

impl GroupGrantee {
    pub fn uri(self) -> &'static str {
        match self {
            GroupGrantee::AllUsers => ALL_USERS_URI,
            GroupGrantee::AuthenticatedUsers => AUTHENTICATED_USERS_URI,
            GroupGrantee::LogDelivery => LOG_DELIVERY_URI,
        }
    }

    pub fn from_uri(uri: &str) -> Option<GroupGrantee> {
        [
            GroupGrantee::AllUsers,
            GroupGrantee::AuthenticatedUsers,
            GroupGrantee::LogDelivery,
        ]
        .into_iter()
        .find(|g| g.uri() == uri)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Permission {
    Read,
    Write,
    ReadAcp,
    WriteAcp,
    FullControl,
}

impl Permission {
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Read => "READ",
            Permission::Write => "WRITE",
            Permission::ReadAcp => "READ_ACP",
            Permission::WriteAcp => "WRITE_ACP",
            Permission::FullControl => "FULL_CONTROL",
        }
    }

    pub fn parse(text: &str) -> Option<Permission> {
        [
            Permission::Read,
            Permission::Write,
            Permission::ReadAcp,
            Permission::WriteAcp,
            Permission::FullControl,
        ]
        .into_iter()
        .find(|p| p.as_str() == text)
    }
}

/// Object ownership (`x-amz-object-ownership`, PutBucketOwnershipControls).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum ObjectOwnership {
    /// ACLs are disabled; the bucket owner owns every object.
    BucketOwnerEnforced,
    /// The bucket owner owns objects uploaded with `bucket-owner-full-control`.
    BucketOwnerPreferred,
    /// The uploading account owns the object (AWS's default before April 2023).
    #[default]
    ObjectWriter,
}

impl ObjectOwnership {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectOwnership::BucketOwnerEnforced => "BucketOwnerEnforced",
            ObjectOwnership::BucketOwnerPreferred => "BucketOwnerPreferred",
            ObjectOwnership::ObjectWriter => "ObjectWriter",
        }
    }

    pub fn parse(text: &str) -> Option<ObjectOwnership> {
        [
            ObjectOwnership::BucketOwnerEnforced,
            ObjectOwnership::BucketOwnerPreferred,
            ObjectOwnership::ObjectWriter,
        ]
        .into_iter()
        .find(|o| o.as_str() == text)
    }
}

/// PutPublicAccessBlock's four settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PublicAccessBlock {
    /// Reject requests that set a public ACL (PutBucketAcl, PutObjectAcl, PutObject etc. with
    /// a public canned ACL or grant).
    pub block_public_acls: bool,
    /// Evaluate ACLs as if they had no public grants (AllUsers, AuthenticatedUsers).
    pub ignore_public_acls: bool,
    /// Reject PutBucketPolicy with a public policy.
    pub block_public_policy: bool,
    /// If the bucket policy is public, only principals of the owning account get what it
    /// grants.
    pub restrict_public_buckets: bool,
}

impl Grantee {
    /// Whether this grantee is a public group (what the public access block calls public).
    pub fn is_public(&self) -> bool {
        matches!(
            self,
            Grantee::Group(GroupGrantee::AllUsers | GroupGrantee::AuthenticatedUsers)
        )
    }

    fn includes(&self, principal: &Principal) -> bool {
        match self {
            Grantee::Group(GroupGrantee::AllUsers) => true,
            Grantee::Group(GroupGrantee::AuthenticatedUsers) => {
                !matches!(principal, Principal::Anonymous)
            }
            Grantee::Group(GroupGrantee::LogDelivery) => false,
            Grantee::CanonicalUser(id) => principal
                .account_id()
                .is_some_and(|account| account.eq_ignore_ascii_case(id)),
        }
    }
}

impl Acl {
    /// The default ACL: the owner has FULL_CONTROL.
    pub fn private(owner: &str) -> Acl {
        Acl {
            owner: owner.to_string(),
            grants: vec![Grant {
                grantee: Grantee::CanonicalUser(owner.to_string()),
                permission: Permission::FullControl,
            }],
        }
    }

    pub fn is_public(&self) -> bool {
        self.grants.iter().any(|g| g.grantee.is_public())
    }

    /// Whether a grant of this ACL gives `principal` the permission `action` needs (see
    /// [`acl_permission`]; the caller passes the ACL of the right resource). Public grants are
    /// skipped when `ignore_public` (the public access block's IgnorePublicAcls).
    pub fn allows(&self, principal: &Principal, action: &str, ignore_public: bool) -> bool {
        let Some((_, needed)) = acl_permission(action) else {
            return false;
        };
        self.grants.iter().any(|grant| {
            (grant.permission == needed || grant.permission == Permission::FullControl)
                && !(ignore_public && grant.grantee.is_public())
                && grant.grantee.includes(principal)
        })
    }
}

/// Whose ACL decides an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AclScope {
    Bucket,
    Object,
}

/// Which ACL (bucket's or object's) and which permission an action needs, as AWS maps them:
/// the bucket's READ lists it, its WRITE creates and deletes objects in it, READ_ACP/WRITE_ACP
/// read and write its ACL; an object's READ reads it, READ_ACP/WRITE_ACP its ACL. None: an ACL
/// cannot grant this action.
pub fn acl_permission(action: &str) -> Option<(AclScope, Permission)> {
    use AclScope::{Bucket, Object};
    Some(match action {
        "s3:ListBucket" | "s3:ListBucketVersions" | "s3:ListBucketMultipartUploads" => {
            (Bucket, Permission::Read)
        }
        "s3:PutObject" | "s3:DeleteObject" | "s3:DeleteObjectVersion" => {
            (Bucket, Permission::Write)
        }
        "s3:GetBucketAcl" => (Bucket, Permission::ReadAcp),
        "s3:PutBucketAcl" => (Bucket, Permission::WriteAcp),
        "s3:GetObject" | "s3:GetObjectVersion" | "s3:GetObjectTorrent" => {
            (Object, Permission::Read)
        }
        "s3:GetObjectAcl" | "s3:GetObjectVersionAcl" => (Object, Permission::ReadAcp),
        "s3:PutObjectAcl" | "s3:PutObjectVersionAcl" => (Object, Permission::WriteAcp),
        _ => return None,
    })
}

/// The canned ACLs of `x-amz-acl` (and the `acl` field of a browser upload): names for ACLs
/// AWS expands when they are set, so a stored ACL is always a plain grant list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CannedAcl {
    Private,
    PublicRead,
    PublicReadWrite,
    AuthenticatedRead,
    AwsExecRead,
    BucketOwnerRead,
    BucketOwnerFullControl,
    LogDeliveryWrite,
}

impl CannedAcl {
    pub const ALL: [CannedAcl; 8] = [
        CannedAcl::Private,
        CannedAcl::PublicRead,
        CannedAcl::PublicReadWrite,
        CannedAcl::AuthenticatedRead,
        CannedAcl::AwsExecRead,
        CannedAcl::BucketOwnerRead,
        CannedAcl::BucketOwnerFullControl,
        CannedAcl::LogDeliveryWrite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CannedAcl::Private => "private",
            CannedAcl::PublicRead => "public-read",
            CannedAcl::PublicReadWrite => "public-read-write",
            CannedAcl::AuthenticatedRead => "authenticated-read",
            CannedAcl::AwsExecRead => "aws-exec-read",
            CannedAcl::BucketOwnerRead => "bucket-owner-read",
            CannedAcl::BucketOwnerFullControl => "bucket-owner-full-control",
            CannedAcl::LogDeliveryWrite => "log-delivery-write",
        }
    }

    pub fn parse(text: &str) -> Option<CannedAcl> {
        CannedAcl::ALL.into_iter().find(|c| c.as_str() == text)
    }

    /// The grants it stands for on a resource owned by `owner` in a bucket owned by
    /// `bucket_owner` (for a bucket both are the bucket's owner, so the `bucket-owner-*` ACLs
    /// are the owner's FULL_CONTROL alone, as on AWS). `aws-exec-read` also gives Amazon EC2
    /// READ on AWS; there is no EC2 here, so it is the owner's FULL_CONTROL.
    pub fn expand(self, owner: &str, bucket_owner: &str) -> Acl {
        use GroupGrantee::{AllUsers, AuthenticatedUsers, LogDelivery};
        let mut acl = Acl::private(owner);
        let group = |group, permission| Grant {
            grantee: Grantee::Group(group),
            permission,
        };
        let bucket_owner_gets = |permission| Grant {
            grantee: Grantee::CanonicalUser(bucket_owner.to_string()),
            permission,
        };
        let extra = match self {
            CannedAcl::Private | CannedAcl::AwsExecRead => vec![],
            CannedAcl::PublicRead => vec![group(AllUsers, Permission::Read)],
            CannedAcl::PublicReadWrite => vec![
                group(AllUsers, Permission::Read),
                group(AllUsers, Permission::Write),
            ],
            CannedAcl::AuthenticatedRead => vec![group(AuthenticatedUsers, Permission::Read)],
            CannedAcl::BucketOwnerRead if owner != bucket_owner => {
                vec![bucket_owner_gets(Permission::Read)]
            }
            CannedAcl::BucketOwnerFullControl if owner != bucket_owner => {
                vec![bucket_owner_gets(Permission::FullControl)]
            }
            CannedAcl::BucketOwnerRead | CannedAcl::BucketOwnerFullControl => vec![],
            CannedAcl::LogDeliveryWrite => vec![
                group(LogDelivery, Permission::Write),
                group(LogDelivery, Permission::ReadAcp),
            ],
        };
        acl.grants.extend(extra);
        acl
    }

    /// Whether it grants anything to a public group (what BlockPublicAcls refuses).
    pub fn is_public(self) -> bool {
        matches!(
            self,
            CannedAcl::PublicRead | CannedAcl::PublicReadWrite | CannedAcl::AuthenticatedRead
        )
    }
}

impl Acl {
    /// A canned ACL by name (`x-amz-acl`), expanded as [`CannedAcl::expand`] does; None for a
    /// name AWS does not have.
    pub fn canned(name: &str, owner: &str, bucket_owner: &str) -> Option<Acl> {
        CannedAcl::parse(name).map(|canned| canned.expand(owner, bucket_owner))
    }

    /// Whether this is the default ACL: the owner's FULL_CONTROL and no other grant.
    pub fn is_default(&self) -> bool {
        *self == Acl::private(&self.owner)
    }

    /// The form records keep: None for the default ACL, so the common case costs nothing and
    /// a bucket's `object_acls` flag can tell "some object has a non-default ACL" from it.
    pub fn into_stored(self) -> Option<Acl> {
        if self.is_default() { None } else { Some(self) }
    }

    /// Whether a grant gives something to anyone but `owner` (an ACL that BucketOwnerEnforced,
    /// which disables ACLs, cannot coexist with).
    pub fn grants_others(&self, owner: &str) -> bool {
        self.grants.iter().any(|grant| match &grant.grantee {
            Grantee::CanonicalUser(id) => !id.eq_ignore_ascii_case(owner),
            Grantee::Group(_) => true,
        })
    }
}

impl ObjectOwnership {
    /// Who owns an object `writer` uploads with the canned ACL `canned` (if any) to a bucket
    /// owned by `bucket_owner`: the bucket owner under BucketOwnerEnforced, and under
    /// BucketOwnerPreferred when the upload says `bucket-owner-full-control`; otherwise the
    /// writer.
    pub fn object_owner<'a>(
        self,
        bucket_owner: &'a str,
        writer: &'a str,
        canned: Option<CannedAcl>,
    ) -> &'a str {
        match (self, canned) {
            (ObjectOwnership::BucketOwnerEnforced, _)
            | (ObjectOwnership::BucketOwnerPreferred, Some(CannedAcl::BucketOwnerFullControl)) => {
                bucket_owner
            }
            _ => writer,
        }
    }
}

impl PublicAccessBlock {
    /// All four settings on: what AWS gives new buckets since April 2023.
    pub fn all() -> PublicAccessBlock {
        PublicAccessBlock {
            block_public_acls: true,
            ignore_public_acls: true,
            block_public_policy: true,
            restrict_public_buckets: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str, permission: Permission) -> Grant {
        Grant {
            grantee: Grantee::CanonicalUser(id.to_string()),
            permission,
        }
    }

    fn group(group: GroupGrantee, permission: Permission) -> Grant {
        Grant {
            grantee: Grantee::Group(group),
            permission,
        }
    }

    #[test]
    fn canned_acls_expand_like_aws() {
        use GroupGrantee::*;
        use Permission::*;
        let table: [(&str, &str, Vec<Grant>); 10] = [
            ("private", "w", vec![user("w", FullControl)]),
            (
                "public-read",
                "w",
                vec![user("w", FullControl), group(AllUsers, Read)],
            ),
            (
                "public-read-write",
                "w",
                vec![
                    user("w", FullControl),
                    group(AllUsers, Read),
                    group(AllUsers, Write),
                ],
            ),
            (
                "authenticated-read",
                "w",
                vec![user("w", FullControl), group(AuthenticatedUsers, Read)],
            ),
            ("aws-exec-read", "w", vec![user("w", FullControl)]),
            (
                "bucket-owner-read",
                "w",
                vec![user("w", FullControl), user("b", Read)],
            ),
            (
                "bucket-owner-full-control",
                "w",
                vec![user("w", FullControl), user("b", FullControl)],
            ),
            // The bucket owner's own objects (and buckets): one grant, not two.
            (
                "bucket-owner-full-control",
                "b",
                vec![user("b", FullControl)],
            ),
            ("bucket-owner-read", "b", vec![user("b", FullControl)]),
            (
                "log-delivery-write",
                "b",
                vec![
                    user("b", FullControl),
                    group(LogDelivery, Write),
                    group(LogDelivery, ReadAcp),
                ],
            ),
        ];
        for (name, owner, grants) in table {
            let acl = Acl::canned(name, owner, "b").expect(name);
            assert_eq!(acl.owner, owner, "{name}");
            assert_eq!(acl.grants, grants, "{name} owned by {owner}");
            assert_eq!(
                acl.is_public(),
                CannedAcl::parse(name).expect(name).is_public(),
                "{name}"
            );
        }
        assert_eq!(Acl::canned("Private", "w", "b"), None);
        assert_eq!(Acl::canned("public", "w", "b"), None);
        for canned in CannedAcl::ALL {
            assert_eq!(CannedAcl::parse(canned.as_str()), Some(canned));
        }
    }

    #[test]
    fn default_acls_are_not_stored() {
        assert_eq!(Acl::private("o").into_stored(), None);
        assert_eq!(
            CannedAcl::BucketOwnerFullControl
                .expand("o", "o")
                .into_stored(),
            None
        );
        assert!(
            CannedAcl::PublicRead
                .expand("o", "o")
                .into_stored()
                .is_some()
        );
        let empty = Acl {
            owner: "o".into(),
            grants: vec![],
        };
        assert_eq!(empty.clone().into_stored(), Some(empty));
    }

    #[test]
    fn ownership_decides_the_object_owner() {
        use CannedAcl::*;
        use ObjectOwnership::*;
        let table = [
            (ObjectWriter, None, "writer"),
            (ObjectWriter, Some(BucketOwnerFullControl), "writer"),
            (BucketOwnerPreferred, None, "writer"),
            (BucketOwnerPreferred, Some(PublicRead), "writer"),
            (BucketOwnerPreferred, Some(BucketOwnerFullControl), "bucket"),
            (BucketOwnerEnforced, None, "bucket"),
            (BucketOwnerEnforced, Some(Private), "bucket"),
        ];
        for (ownership, canned, owner) in table {
            let expected = if owner == "writer" { "w" } else { "b" };
            assert_eq!(
                ownership.object_owner("b", "w", canned),
                expected,
                "{ownership:?} {canned:?}"
            );
        }
    }

    #[test]
    fn grants_to_others() {
        assert!(!Acl::private("o").grants_others("o"));
        assert!(!Acl::private("O").grants_others("o"));
        assert!(CannedAcl::PublicRead.expand("o", "o").grants_others("o"));
        assert!(
            CannedAcl::LogDeliveryWrite
                .expand("o", "o")
                .grants_others("o")
        );
        assert!(
            CannedAcl::BucketOwnerRead
                .expand("w", "o")
                .grants_others("w")
        );
    }
}
