//! Which S3 operation a request is.
//!
//! S3 decides on method + bucket/key presence + query keywords + a few headers, not on paths
//! alone, so one function ([`resolve`]) turns a parsed request into an [`Operation`], and its
//! table-driven test below is the readable list of routes. Adding an operation = one variant,
//! one row here, one handler in `s3::ops`.

use http::Method;

use crate::s3::error::S3Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    ListBuckets,
    CreateBucket,
    HeadBucket,
    DeleteBucket,
    GetBucketLocation,
    ListObjects,
    ListObjectsV2,
    ListMultipartUploads,
    DeleteObjects,
    PutObject,
    GetObject,
    HeadObject,
    DeleteObject,
    CreateMultipartUpload,
    UploadPart,
    CompleteMultipartUpload,
    AbortMultipartUpload,
    ListParts,
    CopyObject,
    UploadPartCopy,
    /// Browser form upload: authenticated by the policy in the form, not by headers.
    PostObject,
    GetObjectAttributes,
    RestoreObject,
    GetObjectTagging,
    PutObjectTagging,
    DeleteObjectTagging,
    GetObjectAcl,
    PutObjectAcl,
    GetBucketTagging,
    PutBucketTagging,
    DeleteBucketTagging,
    GetBucketAcl,
    PutBucketAcl,
    GetBucketOwnershipControls,
    PutBucketOwnershipControls,
    DeleteBucketOwnershipControls,
    GetPublicAccessBlock,
    PutPublicAccessBlock,
    DeletePublicAccessBlock,
    GetBucketVersioning,
    PutBucketVersioning,
    ListObjectVersions,
    /// strata's own: the bucket's version accounting (`GET /bucket?x-strata-usage`).
    GetBucketUsage,
    /// Bucket configurations strata does not support yet, read-only: they answer the S3
    /// "not configured" error (NoSuchBucketPolicy, NoSuchCORSConfiguration, ...), which is the
    /// truth for every bucket here and what probing clients (s3cmd info, rclone) expect.
    GetBucketPolicy,
    PutBucketPolicy,
    DeleteBucketPolicy,
    GetBucketPolicyStatus,
    GetBucketCors,
    PutBucketCors,
    DeleteBucketCors,
    /// `OPTIONS` on a bucket or object: a browser's CORS preflight. It carries no credentials,
    /// so `dispatch` does not authorize it; the bucket's CORS configuration decides.
    CorsPreflight,
    GetBucketWebsite,
    PutBucketWebsite,
    DeleteBucketWebsite,
    GetBucketLifecycle,
    PutBucketLifecycle,
    DeleteBucketLifecycle,
    /// GetBucketIntelligentTieringConfiguration with `id`, the List without.
    GetBucketIntelligentTiering,
    PutBucketIntelligentTiering,
    DeleteBucketIntelligentTiering,
    GetBucketEncryption,
    PutBucketEncryption,
    DeleteBucketEncryption,
    GetObjectLockConfiguration,
    PutObjectLockConfiguration,
    GetObjectRetention,
    PutObjectRetention,
    GetObjectLegalHold,
    PutObjectLegalHold,
    /// A bucket or object sub-resource S3 has and strata does not have yet (answered 501).
    NotImplemented(&'static str),
}

impl Operation {
    /// The IAM action of this operation on a specific version (`versionId` given), where AWS
    /// names it differently; otherwise [`Operation::action`].
    pub fn action_for(self, versioned: bool) -> &'static str {
        use Operation::*;
        match (self, versioned) {
            (GetObject | HeadObject, true) => "s3:GetObjectVersion",
            (DeleteObject, true) => "s3:DeleteObjectVersion",
            (GetObjectTagging, true) => "s3:GetObjectVersionTagging",
            (PutObjectTagging, true) => "s3:PutObjectVersionTagging",
            (DeleteObjectTagging, true) => "s3:DeleteObjectVersionTagging",
            (GetObjectAcl, true) => "s3:GetObjectVersionAcl",
            (PutObjectAcl, true) => "s3:PutObjectVersionAcl",
            (GetObjectAttributes, true) => "s3:GetObjectVersionAttributes",
            _ => self.action(),
        }
    }

    /// The IAM action name, for authorization and logs.
    pub fn action(self) -> &'static str {
        use Operation::*;
        match self {
            ListBuckets => "s3:ListAllMyBuckets",
            CreateBucket => "s3:CreateBucket",
            HeadBucket | ListObjects | ListObjectsV2 => "s3:ListBucket",
            DeleteBucket => "s3:DeleteBucket",
            GetBucketLocation => "s3:GetBucketLocation",
            ListMultipartUploads => "s3:ListBucketMultipartUploads",
            DeleteObjects | DeleteObject => "s3:DeleteObject",
            PutObject | CreateMultipartUpload | UploadPart | CompleteMultipartUpload => {
                "s3:PutObject"
            }
            GetObject | HeadObject => "s3:GetObject",
            AbortMultipartUpload => "s3:AbortMultipartUpload",
            ListParts => "s3:ListMultipartUploadParts",
            CopyObject | UploadPartCopy | PostObject => "s3:PutObject",
            GetObjectAttributes => "s3:GetObjectAttributes",
            RestoreObject => "s3:RestoreObject",
            GetObjectTagging => "s3:GetObjectTagging",
            PutObjectTagging => "s3:PutObjectTagging",
            DeleteObjectTagging => "s3:DeleteObjectTagging",
            GetObjectAcl => "s3:GetObjectAcl",
            PutObjectAcl => "s3:PutObjectAcl",
            GetBucketTagging => "s3:GetBucketTagging",
            PutBucketTagging | DeleteBucketTagging => "s3:PutBucketTagging",
            GetBucketAcl => "s3:GetBucketAcl",
            PutBucketAcl => "s3:PutBucketAcl",
            GetBucketOwnershipControls => "s3:GetBucketOwnershipControls",
            // AWS has no DeleteBucketOwnershipControls action: deleting is putting.
            PutBucketOwnershipControls | DeleteBucketOwnershipControls => {
                "s3:PutBucketOwnershipControls"
            }
            GetPublicAccessBlock => "s3:GetBucketPublicAccessBlock",
            PutPublicAccessBlock | DeletePublicAccessBlock => "s3:PutBucketPublicAccessBlock",
            GetBucketVersioning => "s3:GetBucketVersioning",
            PutBucketVersioning => "s3:PutBucketVersioning",
            ListObjectVersions => "s3:ListBucketVersions",
            GetBucketUsage => "strata:GetBucketUsage",
            GetBucketPolicy => "s3:GetBucketPolicy",
            PutBucketPolicy => "s3:PutBucketPolicy",
            DeleteBucketPolicy => "s3:DeleteBucketPolicy",
            GetBucketPolicyStatus => "s3:GetBucketPolicyStatus",
            GetBucketCors => "s3:GetBucketCORS",
            // AWS has no DeleteBucketCORS action: deleting is putting.
            PutBucketCors | DeleteBucketCors => "s3:PutBucketCORS",
            // Not an IAM action: preflights are never authorized (for logs only).
            CorsPreflight => "s3:PreflightCORS",
            GetBucketWebsite => "s3:GetBucketWebsite",
            PutBucketWebsite => "s3:PutBucketWebsite",
            DeleteBucketWebsite => "s3:DeleteBucketWebsite",
            GetBucketLifecycle => "s3:GetLifecycleConfiguration",
            PutBucketLifecycle | DeleteBucketLifecycle => "s3:PutLifecycleConfiguration",
            GetBucketIntelligentTiering => "s3:GetIntelligentTieringConfiguration",
            PutBucketIntelligentTiering | DeleteBucketIntelligentTiering => {
                "s3:PutIntelligentTieringConfiguration"
            }
            GetBucketEncryption => "s3:GetEncryptionConfiguration",
            // AWS has no DeleteBucketEncryption action: deleting is putting.
            PutBucketEncryption | DeleteBucketEncryption => "s3:PutEncryptionConfiguration",
            GetObjectLockConfiguration => "s3:GetBucketObjectLockConfiguration",
            PutObjectLockConfiguration => "s3:PutBucketObjectLockConfiguration",
            GetObjectRetention => "s3:GetObjectRetention",
            PutObjectRetention => "s3:PutObjectRetention",
            GetObjectLegalHold => "s3:GetObjectLegalHold",
            PutObjectLegalHold => "s3:PutObjectLegalHold",
            NotImplemented(_) => "s3:Unknown",
        }
    }
}

/// Sub-resource operations on a bucket: (method, query keyword) → operation.
const BUCKET_ROUTES: &[(Method, &str, Operation)] = &[
    (Method::GET, "tagging", Operation::GetBucketTagging),
    (Method::PUT, "tagging", Operation::PutBucketTagging),
    (Method::DELETE, "tagging", Operation::DeleteBucketTagging),
    (Method::GET, "acl", Operation::GetBucketAcl),
    (Method::PUT, "acl", Operation::PutBucketAcl),
    (
        Method::GET,
        "ownershipControls",
        Operation::GetBucketOwnershipControls,
    ),
    (
        Method::PUT,
        "ownershipControls",
        Operation::PutBucketOwnershipControls,
    ),
    (
        Method::DELETE,
        "ownershipControls",
        Operation::DeleteBucketOwnershipControls,
    ),
    (
        Method::GET,
        "publicAccessBlock",
        Operation::GetPublicAccessBlock,
    ),
    (
        Method::PUT,
        "publicAccessBlock",
        Operation::PutPublicAccessBlock,
    ),
    (
        Method::DELETE,
        "publicAccessBlock",
        Operation::DeletePublicAccessBlock,
    ),
    (Method::GET, "versioning", Operation::GetBucketVersioning),
    (Method::PUT, "versioning", Operation::PutBucketVersioning),
    (Method::GET, "versions", Operation::ListObjectVersions),
    (Method::GET, "x-strata-usage", Operation::GetBucketUsage),
    (Method::GET, "policy", Operation::GetBucketPolicy),
    (Method::PUT, "policy", Operation::PutBucketPolicy),
    (Method::DELETE, "policy", Operation::DeleteBucketPolicy),
    (
        Method::GET,
        "policyStatus",
        Operation::GetBucketPolicyStatus,
    ),
    (Method::GET, "cors", Operation::GetBucketCors),
    (Method::PUT, "cors", Operation::PutBucketCors),
    (Method::DELETE, "cors", Operation::DeleteBucketCors),
    (Method::GET, "website", Operation::GetBucketWebsite),
    (Method::PUT, "website", Operation::PutBucketWebsite),
    (Method::DELETE, "website", Operation::DeleteBucketWebsite),
    (Method::GET, "lifecycle", Operation::GetBucketLifecycle),
    (Method::PUT, "lifecycle", Operation::PutBucketLifecycle),
    (
        Method::DELETE,
        "lifecycle",
        Operation::DeleteBucketLifecycle,
    ),
    (
        Method::GET,
        "intelligent-tiering",
        Operation::GetBucketIntelligentTiering,
    ),
    (
        Method::PUT,
        "intelligent-tiering",
        Operation::PutBucketIntelligentTiering,
    ),
    (
        Method::DELETE,
        "intelligent-tiering",
        Operation::DeleteBucketIntelligentTiering,
    ),
    (Method::GET, "encryption", Operation::GetBucketEncryption),
    (Method::PUT, "encryption", Operation::PutBucketEncryption),
    (
        Method::DELETE,
        "encryption",
        Operation::DeleteBucketEncryption,
    ),
    (
        Method::GET,
        "object-lock",
        Operation::GetObjectLockConfiguration,
    ),
    (
        Method::PUT,
        "object-lock",
        Operation::PutObjectLockConfiguration,
    ),
];

/// Sub-resource operations on an object.
const OBJECT_ROUTES: &[(Method, &str, Operation)] = &[
    (Method::GET, "tagging", Operation::GetObjectTagging),
    (Method::PUT, "tagging", Operation::PutObjectTagging),
    (Method::DELETE, "tagging", Operation::DeleteObjectTagging),
    (Method::GET, "acl", Operation::GetObjectAcl),
    (Method::PUT, "acl", Operation::PutObjectAcl),
    (Method::GET, "attributes", Operation::GetObjectAttributes),
    (Method::POST, "restore", Operation::RestoreObject),
    (Method::GET, "retention", Operation::GetObjectRetention),
    (Method::PUT, "retention", Operation::PutObjectRetention),
    (Method::GET, "legal-hold", Operation::GetObjectLegalHold),
    (Method::PUT, "legal-hold", Operation::PutObjectLegalHold),
];

/// Query keywords that name a bucket sub-resource S3 supports but strata does not implement yet
/// (or not with this method: implemented ones stay listed so that, say, `DELETE /b?acl` is
/// answered 501 rather than falling through to DeleteBucket).
const BUCKET_SUBRESOURCES: &[&str] = &[
    "accelerate",
    "acl",
    "analytics",
    "encryption",
    "intelligent-tiering",
    "inventory",
    "lifecycle",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "ownershipControls",
    "policy",
    "policyStatus",
    "publicAccessBlock",
    "replication",
    "requestPayment",
    "tagging",
    "versioning",
    "versions",
];

const OBJECT_SUBRESOURCES: &[&str] = &[
    "acl",
    "attributes",
    "legal-hold",
    "restore",
    "retention",
    "select",
    "tagging",
    "torrent",
];

/// The parts of a request routing looks at.
pub struct RouteInput<'a> {
    pub method: &'a Method,
    pub bucket: Option<&'a str>,
    pub key: Option<&'a str>,
    pub query: &'a [(String, String)],
    pub has_copy_source: bool,
}

impl RouteInput<'_> {
    fn has(&self, keyword: &str) -> bool {
        self.query.iter().any(|(k, _)| k == keyword)
    }
}

pub fn resolve(input: &RouteInput<'_>) -> Result<Operation, S3Error> {
    use Operation::*;
    let method = input.method;
    let Some(_bucket) = input.bucket else {
        return match *method {
            Method::GET => Ok(ListBuckets),
            _ => Err(S3Error::method_not_allowed(method.as_str(), "SERVICE")),
        };
    };
    // S3 answers OPTIONS on any bucket or object URL as a CORS preflight, whatever the query.
    if *method == Method::OPTIONS {
        return Ok(CorsPreflight);
    }
    match input.key {
        None => {
            if let Some((_, _, op)) = BUCKET_ROUTES
                .iter()
                .find(|(m, k, _)| m == method && input.has(k))
            {
                return Ok(*op);
            }
            if let Some(sub) = BUCKET_SUBRESOURCES.iter().find(|s| input.has(s)) {
                return Ok(NotImplemented(sub));
            }
            match *method {
                Method::GET if input.has("location") => Ok(GetBucketLocation),
                Method::GET if input.has("uploads") => Ok(ListMultipartUploads),
                Method::GET
                    if input
                        .query
                        .iter()
                        .any(|(k, v)| k == "list-type" && v == "2") =>
                {
                    Ok(ListObjectsV2)
                }
                Method::GET => Ok(ListObjects),
                Method::HEAD => Ok(HeadBucket),
                Method::PUT => Ok(CreateBucket),
                Method::DELETE => Ok(DeleteBucket),
                Method::POST if input.has("delete") => Ok(DeleteObjects),
                Method::POST => Ok(PostObject),
                _ => Err(S3Error::method_not_allowed(method.as_str(), "BUCKET")),
            }
        }
        Some(_) => {
            if let Some((_, _, op)) = OBJECT_ROUTES
                .iter()
                .find(|(m, k, _)| m == method && input.has(k))
            {
                return Ok(*op);
            }
            if let Some(sub) = OBJECT_SUBRESOURCES.iter().find(|s| input.has(s)) {
                return Ok(NotImplemented(sub));
            }
            let has_upload_id = input.has("uploadId");
            match *method {
                Method::PUT if input.has_copy_source && has_upload_id => Ok(UploadPartCopy),
                Method::PUT if input.has_copy_source => Ok(CopyObject),
                Method::PUT if has_upload_id || input.has("partNumber") => Ok(UploadPart),
                Method::PUT => Ok(PutObject),
                Method::GET if has_upload_id => Ok(ListParts),
                Method::GET => Ok(GetObject),
                Method::HEAD => Ok(HeadObject),
                Method::DELETE if has_upload_id => Ok(AbortMultipartUpload),
                Method::DELETE => Ok(DeleteObject),
                Method::POST if input.has("uploads") => Ok(CreateMultipartUpload),
                Method::POST if has_upload_id => Ok(CompleteMultipartUpload),
                _ => Err(S3Error::method_not_allowed(method.as_str(), "OBJECT")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// "METHOD /bucket/key?query [+copy]" → operation.
    fn route(line: &str) -> Result<Operation, &'static str> {
        let (line, copy) = match line.strip_suffix(" +copy") {
            Some(rest) => (rest, true),
            None => (line, false),
        };
        let (method, target) = line.split_once(' ').expect("method and target");
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let query: Vec<(String, String)> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => (p.to_string(), String::new()),
            })
            .collect();
        let path = path.trim_start_matches('/');
        let (bucket, key) = match path.split_once('/') {
            Some((b, k)) => (Some(b), Some(k)),
            None if path.is_empty() => (None, None),
            None => (Some(path), None),
        };
        let method = Method::from_bytes(method.as_bytes()).expect("method");
        resolve(&RouteInput {
            method: &method,
            bucket,
            key,
            query: &query,
            has_copy_source: copy,
        })
        .map_err(|e| e.code)
    }

    #[test]
    fn access_operations_have_their_aws_actions() {
        use Operation::*;
        let table = [
            (PutBucketAcl, false, "s3:PutBucketAcl"),
            (GetObjectAcl, true, "s3:GetObjectVersionAcl"),
            (PutObjectAcl, false, "s3:PutObjectAcl"),
            (PutObjectAcl, true, "s3:PutObjectVersionAcl"),
            (
                GetBucketOwnershipControls,
                false,
                "s3:GetBucketOwnershipControls",
            ),
            (
                PutBucketOwnershipControls,
                false,
                "s3:PutBucketOwnershipControls",
            ),
            (
                DeleteBucketOwnershipControls,
                false,
                "s3:PutBucketOwnershipControls",
            ),
            (GetPublicAccessBlock, false, "s3:GetBucketPublicAccessBlock"),
            (PutPublicAccessBlock, false, "s3:PutBucketPublicAccessBlock"),
            (
                DeletePublicAccessBlock,
                false,
                "s3:PutBucketPublicAccessBlock",
            ),
        ];
        for (operation, versioned, action) in table {
            assert_eq!(operation.action_for(versioned), action, "{operation:?}");
        }
    }

    #[test]
    fn routing_table() {
        use Operation::*;
        let table: &[(&str, Result<Operation, &str>)] = &[
            ("GET /", Ok(ListBuckets)),
            ("PUT /", Err("MethodNotAllowed")),
            ("PUT /b", Ok(CreateBucket)),
            ("HEAD /b", Ok(HeadBucket)),
            ("DELETE /b", Ok(DeleteBucket)),
            ("GET /b?location", Ok(GetBucketLocation)),
            ("GET /b", Ok(ListObjects)),
            ("GET /b?list-type=2&prefix=a", Ok(ListObjectsV2)),
            ("GET /b?uploads", Ok(ListMultipartUploads)),
            ("POST /b?delete", Ok(DeleteObjects)),
            ("POST /b", Ok(PostObject)),
            ("GET /b?versioning", Ok(GetBucketVersioning)),
            ("PUT /b?versioning", Ok(PutBucketVersioning)),
            ("GET /b?versions", Ok(ListObjectVersions)),
            ("GET /b?x-strata-usage", Ok(GetBucketUsage)),
            (
                "GET /b?versions&prefix=a&key-marker=k",
                Ok(ListObjectVersions),
            ),
            ("GET /b?object-lock", Ok(GetObjectLockConfiguration)),
            ("PUT /b?object-lock", Ok(PutObjectLockConfiguration)),
            ("DELETE /b?object-lock", Ok(NotImplemented("object-lock"))),
            ("GET /b/k?retention", Ok(GetObjectRetention)),
            ("PUT /b/k?retention&versionId=v", Ok(PutObjectRetention)),
            ("GET /b/k?legal-hold", Ok(GetObjectLegalHold)),
            ("PUT /b/k?legal-hold", Ok(PutObjectLegalHold)),
            ("GET /b?policy", Ok(GetBucketPolicy)),
            ("PUT /b?policy", Ok(PutBucketPolicy)),
            ("DELETE /b?policy", Ok(DeleteBucketPolicy)),
            ("GET /b?policyStatus", Ok(GetBucketPolicyStatus)),
            ("GET /b?acl", Ok(GetBucketAcl)),
            ("PUT /b?acl", Ok(PutBucketAcl)),
            ("DELETE /b?acl", Ok(NotImplemented("acl"))),
            ("GET /b?ownershipControls", Ok(GetBucketOwnershipControls)),
            ("PUT /b?ownershipControls", Ok(PutBucketOwnershipControls)),
            (
                "DELETE /b?ownershipControls",
                Ok(DeleteBucketOwnershipControls),
            ),
            ("GET /b?publicAccessBlock", Ok(GetPublicAccessBlock)),
            ("PUT /b?publicAccessBlock", Ok(PutPublicAccessBlock)),
            ("DELETE /b?publicAccessBlock", Ok(DeletePublicAccessBlock)),
            ("GET /b?cors", Ok(GetBucketCors)),
            ("PUT /b?cors", Ok(PutBucketCors)),
            ("DELETE /b?cors", Ok(DeleteBucketCors)),
            ("OPTIONS /b", Ok(CorsPreflight)),
            ("OPTIONS /b/k", Ok(CorsPreflight)),
            ("OPTIONS /b/k?uploads", Ok(CorsPreflight)),
            ("OPTIONS /", Err("MethodNotAllowed")),
            ("GET /b?website", Ok(GetBucketWebsite)),
            ("PUT /b?website", Ok(PutBucketWebsite)),
            ("DELETE /b?website", Ok(DeleteBucketWebsite)),
            ("GET /b?lifecycle", Ok(GetBucketLifecycle)),
            ("PUT /b?lifecycle", Ok(PutBucketLifecycle)),
            ("DELETE /b?lifecycle", Ok(DeleteBucketLifecycle)),
            (
                "GET /b?intelligent-tiering",
                Ok(GetBucketIntelligentTiering),
            ),
            (
                "GET /b?intelligent-tiering&id=a",
                Ok(GetBucketIntelligentTiering),
            ),
            (
                "PUT /b?intelligent-tiering&id=a",
                Ok(PutBucketIntelligentTiering),
            ),
            (
                "DELETE /b?intelligent-tiering&id=a",
                Ok(DeleteBucketIntelligentTiering),
            ),
            ("GET /b?encryption", Ok(GetBucketEncryption)),
            ("PUT /b?encryption", Ok(PutBucketEncryption)),
            ("DELETE /b?encryption", Ok(DeleteBucketEncryption)),
            ("GET /b?tagging", Ok(GetBucketTagging)),
            ("PUT /b?tagging", Ok(PutBucketTagging)),
            ("DELETE /b?tagging", Ok(DeleteBucketTagging)),
            ("GET /b?logging", Ok(NotImplemented("logging"))),
            ("GET /b/k?acl", Ok(GetObjectAcl)),
            ("PUT /b/k?acl", Ok(PutObjectAcl)),
            ("PUT /b/k?acl&versionId=v", Ok(PutObjectAcl)),
            ("DELETE /b/k?acl", Ok(NotImplemented("acl"))),
            ("GET /b/k?attributes", Ok(GetObjectAttributes)),
            ("POST /b/k?restore", Ok(RestoreObject)),
            ("PUT /b/k?tagging", Ok(PutObjectTagging)),
            ("DELETE /b/k?tagging", Ok(DeleteObjectTagging)),
            ("PUT /b/k", Ok(PutObject)),
            ("PUT /b/k?x-id=PutObject", Ok(PutObject)),
            ("PUT /b/k +copy", Ok(CopyObject)),
            ("PUT /b/k?partNumber=1&uploadId=u", Ok(UploadPart)),
            ("PUT /b/k?partNumber=1&uploadId=u +copy", Ok(UploadPartCopy)),
            ("GET /b/k", Ok(GetObject)),
            ("GET /b/k?partNumber=2", Ok(GetObject)),
            ("HEAD /b/k", Ok(HeadObject)),
            ("DELETE /b/k", Ok(DeleteObject)),
            ("POST /b/k?uploads", Ok(CreateMultipartUpload)),
            ("POST /b/k?uploadId=u", Ok(CompleteMultipartUpload)),
            ("GET /b/k?uploadId=u", Ok(ListParts)),
            ("DELETE /b/k?uploadId=u", Ok(AbortMultipartUpload)),
            ("GET /b/k?tagging", Ok(GetObjectTagging)),
            ("PATCH /b/k", Err("MethodNotAllowed")),
        ];
        for (line, expected) in table {
            assert_eq!(route(line), *expected, "{line}");
        }
    }
}
