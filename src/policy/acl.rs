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
