//! The server-side encryption headers of writes and reads: `x-amz-server-side-encryption`
//! (SSE-S3, and `aws:kms` with its key id, encryption context and bucket key headers;
//! dual-layer `aws:kms:dsse` answers 501), the SSE-C headers (`x-amz-server-side-encryption-customer-*`, and
//! `x-amz-copy-source-...` for a copy's source), checked as AWS checks them; a bucket's default
//! encryption (Put/Get/DeleteBucketEncryption), and the server's (SSE-S3 unless
//! `--no-default-encryption`), which writes without encryption headers get. SSE-KMS keys are
//! resolved in the caller's account and used only with `kms:GenerateDataKey` (writes) and
//! `kms:Decrypt` (reads) allowed on them.

use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::StatusCode;
use md5::{Digest, Md5};

use super::bucket_config::{delete_document, store_document, stored_document};
use super::{empty_response, set_header, xml_response};
use crate::http::AppState;
use crate::iam::Principal;
use crate::kms::EncryptionContext;
use crate::meta::model::{Encryption, ObjectVersion};
use crate::policy::ConditionContext;
use crate::s3::bucket_encryption;
use crate::s3::error::{S3Error, S3Result};
use crate::s3::request::{RequestBody, S3Request, read_small_body};
use crate::store::bucket_config::BucketConfig;
use crate::store::encryption::{
    CustomerKey, KmsRequest, SSE_KMS, SSE_KMS_DSSE, SSE_S3, SseRequest,
};

pub const SSE_HEADER: &str = "x-amz-server-side-encryption";

/// The three SSE-C headers: of the object a request writes or reads, or of a copy's source.
#[derive(Debug, Clone, Copy)]
pub struct CustomerHeaders {
    pub algorithm: &'static str,
    pub key: &'static str,
    pub key_md5: &'static str,
}

/// `x-amz-server-side-encryption-customer-*`: the object written or read.
pub const CUSTOMER: CustomerHeaders = CustomerHeaders {
    algorithm: "x-amz-server-side-encryption-customer-algorithm",
    key: "x-amz-server-side-encryption-customer-key",
    key_md5: "x-amz-server-side-encryption-customer-key-MD5",
};

/// `x-amz-copy-source-server-side-encryption-customer-*`: a copy's source.
pub const COPY_SOURCE_CUSTOMER: CustomerHeaders = CustomerHeaders {
    algorithm: "x-amz-copy-source-server-side-encryption-customer-algorithm",
    key: "x-amz-copy-source-server-side-encryption-customer-key",
    key_md5: "x-amz-copy-source-server-side-encryption-customer-key-MD5",
};

/// An SSE-C key from a request's headers (or form fields), checked as AWS checks it; None when
/// the request has none of the three.
pub fn customer_key<'a>(
    app: &AppState,
    headers: CustomerHeaders,
    field: impl Fn(&str) -> Option<&'a str>,
) -> S3Result<Option<CustomerKey>> {
    let (algorithm, key, key_md5) = (
        field(headers.algorithm),
        field(headers.key),
        field(headers.key_md5),
    );
    if algorithm.is_none() && key.is_none() && key_md5.is_none() {
        return Ok(None);
    }
    if !app.secure {
        return Err(S3Error::invalid_request(
            "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.",
        ));
    }
    let invalid = |message: &str, header: &str| {
        S3Error::invalid_argument(message).with("ArgumentName", header)
    };
    match algorithm {
        None => {
            return Err(invalid(
                "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.",
                headers.algorithm,
            ));
        }
        Some(SSE_S3) => {}
        Some(_) => {
            return Err(S3Error::new(
                "InvalidEncryptionAlgorithmError",
                "The encryption request that you specified is not valid. The valid value is AES256.",
            )
            .with("ArgumentName", headers.algorithm));
        }
    }
    let key = key.ok_or_else(|| {
        invalid(
            "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.",
            headers.key,
        )
    })?;
    let bytes: [u8; 32] = BASE64
        .decode(key.trim())
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| {
            invalid(
                "The secret key was invalid for the specified algorithm.",
                headers.key,
            )
        })?;
    let key_md5 = key_md5.ok_or_else(|| {
        invalid(
            "Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.",
            headers.key_md5,
        )
    })?;
    let actual = BASE64.encode(Md5::digest(bytes));
    if key_md5.trim() != actual {
        return Err(invalid(
            "The calculated MD5 hash of the key did not match the hash that was provided.",
            headers.key_md5,
        ));
    }
    Ok(Some(CustomerKey::new(bytes, actual)))
}

/// The SSE-C key of a request about an object (GET, HEAD, UploadPart, the destination of a
/// copy).
pub fn request_customer_key(app: &AppState, request: &S3Request) -> S3Result<Option<CustomerKey>> {
    customer_key(app, CUSTOMER, |name| request.header(name))
}

const KMS_KEY_HEADER: &str = "x-amz-server-side-encryption-aws-kms-key-id";
const KMS_CONTEXT_HEADER: &str = "x-amz-server-side-encryption-context";
const BUCKET_KEY_HEADER: &str = "x-amz-server-side-encryption-bucket-key-enabled";

/// What a write names (in its headers, form fields, or its bucket's default) before a KMS key
/// is resolved.
pub enum Wanted {
    S3,
    Customer(CustomerKey),
    Kms {
        /// Key id, key ARN, alias name or alias ARN; None = the account's `aws/s3` key.
        key_id: Option<String>,
        context: EncryptionContext,
        bucket_key: bool,
    },
}

/// The encryption a write asks for in its headers (form fields of a browser POST are passed
/// the same way, by name).
pub fn requested<'a>(
    app: &AppState,
    field: impl Fn(&str) -> Option<&'a str> + Copy,
) -> S3Result<Option<Wanted>> {
    let customer = customer_key(app, CUSTOMER, field)?;
    let kms_only = || {
        S3Error::invalid_argument(
            "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms",
        )
        .with("ArgumentName", SSE_HEADER)
    };
    let names_kms = field(KMS_KEY_HEADER).is_some() || field(KMS_CONTEXT_HEADER).is_some();
    match (field(SSE_HEADER), customer) {
        (Some(_), Some(_)) => Err(S3Error::invalid_argument(
            "Server Side Encryption with Customer provided key is incompatible with the encryption method specified",
        )
        .with("ArgumentName", SSE_HEADER)),
        (None, _) | (Some(SSE_S3), _) if names_kms => Err(kms_only()),
        (None, Some(customer)) => Ok(Some(Wanted::Customer(customer))),
        (None, None) => Ok(None),
        (Some(SSE_S3), None) => Ok(Some(Wanted::S3)),
        (Some(SSE_KMS_DSSE), None) => Err(bucket_encryption::dual_layer_not_built()),
        (Some(SSE_KMS), None) => Ok(Some(Wanted::Kms {
            key_id: field(KMS_KEY_HEADER)
                .map(|id| id.trim().to_string())
                .filter(|id| !id.is_empty()),
            context: field(KMS_CONTEXT_HEADER)
                .map(parse_context)
                .transpose()?
                .unwrap_or_default(),
            bucket_key: field(BUCKET_KEY_HEADER).is_some_and(|v| v.eq_ignore_ascii_case("true")),
        })),
        (Some(_), None) => Err(S3Error::invalid_argument(
            "The encryption method specified is not supported",
        )
        .with("ArgumentName", SSE_HEADER)),
    }
}

/// `x-amz-server-side-encryption-context`: base64 of a JSON object of strings.
fn parse_context(text: &str) -> S3Result<EncryptionContext> {
    BASE64
        .decode(text.trim())
        .ok()
        .and_then(|json| serde_json::from_slice::<EncryptionContext>(&json).ok())
        .ok_or_else(|| {
            S3Error::invalid_argument(
                "The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map",
            )
            .with("ArgumentName", KMS_CONTEXT_HEADER)
        })
}

/// The encryption headers of a response about a version, a part or an upload encrypted as
/// `encryption`: `x-amz-server-side-encryption`, and for SSE-KMS its key and bucket key. (SSE-C
/// answers with [`set_customer_headers`].)
pub fn set_encryption_headers(response: &mut Response, encryption: Option<&Encryption>) {
    let Some(encryption) = encryption else {
        return;
    };
    if encryption.customer_key.is_some() {
        return;
    }
    set_header(response, SSE_HEADER, &encryption.algorithm);
    if let Some(kms) = &encryption.kms {
        set_header(response, KMS_KEY_HEADER, &kms.key_arn);
        if kms.bucket_key {
            set_header(response, BUCKET_KEY_HEADER, "true");
        }
    }
}

/// The encryption headers of the response to a write (PutObject, CopyObject, POST,
/// CreateMultipartUpload): [`set_encryption_headers`], the encryption context of SSE-KMS, and
/// for SSE-C the key's algorithm and MD5.
pub fn set_write_headers(
    response: &mut Response,
    encryption: Option<&Encryption>,
    customer: Option<&CustomerKey>,
) {
    set_encryption_headers(response, encryption);
    if let Some(kms) = encryption.and_then(|e| e.kms.as_ref()) {
        set_header(response, KMS_CONTEXT_HEADER, &BASE64.encode(&kms.context));
    }
    set_customer_headers(response, customer);
}

/// The SSE-C headers of a response to a request that brought its key.
pub fn set_customer_headers(response: &mut Response, customer: Option<&CustomerKey>) {
    if let Some(customer) = customer {
        set_header(response, CUSTOMER.algorithm, SSE_S3);
        set_header(response, CUSTOMER.key_md5, customer.md5());
    }
}

/// The encryption headers of a response about `version`.
pub fn set_headers(response: &mut Response, version: &ObjectVersion) {
    set_encryption_headers(response, version.encryption.as_ref());
}

/// The encryption a write of bucket/key by `principal` gets: its headers' (form fields'), else
/// the bucket's default, else SSE-S3 unless the server runs with `--no-default-encryption`.
/// An SSE-KMS key is resolved in the caller's account, and the caller must be allowed
/// `kms:GenerateDataKey` on it.
pub fn for_write<'a>(
    app: &AppState,
    request: &S3Request,
    principal: &Principal,
    (bucket, key): (&str, &str),
    field: impl Fn(&str) -> Option<&'a str> + Copy,
) -> S3Result<Option<SseRequest>> {
    let wanted = match requested(app, field)? {
        Some(wanted) => wanted,
        None => {
            // The record the request has read already (writes go to the addressed bucket).
            let record = request
                .bucket_record(&app.store)
                .ok_or_else(|| S3Error::no_such_bucket(bucket))?;
            match app.bucket_encryption.get(&app.store, record)? {
                Some(config) => by_default(&config),
                None if app.default_encryption => Wanted::S3,
                None => return Ok(None),
            }
        }
    };
    Ok(Some(match wanted {
        Wanted::S3 => SseRequest::S3,
        Wanted::Customer(customer) => SseRequest::Customer(customer),
        Wanted::Kms {
            key_id,
            mut context,
            bucket_key,
        } => {
            let account = principal
                .account_number()
                .ok_or_else(S3Error::access_denied)?;
            let key_info = match &key_id {
                Some(id) => app.kms.resolve(account, id)?,
                None => app.kms.default_s3_key(account)?,
            };
            authorize_key_use(app, principal, &key_info, "kms:GenerateDataKey")?;
            // As AWS: the object's ARN, or the bucket's when a bucket key is used.
            let arn = if bucket_key {
                format!("arn:aws:s3:::{bucket}")
            } else {
                format!("arn:aws:s3:::{bucket}/{key}")
            };
            context.insert("aws:s3:arn".to_string(), arn);
            SseRequest::Kms(KmsRequest {
                key: key_info,
                context,
                bucket_key,
            })
        }
    }))
}

/// What a bucket's default encryption gives a write without headers.
fn by_default(config: &bucket_encryption::BucketEncryption) -> Wanted {
    match config.algorithm.as_str() {
        SSE_KMS => Wanted::Kms {
            key_id: config.kms_key_id.clone(),
            context: EncryptionContext::new(),
            bucket_key: config.bucket_key_enabled.unwrap_or(false),
        },
        _ => Wanted::S3,
    }
}

/// [`for_write`] from a request's headers, for its bucket and key.
pub fn for_request(app: &AppState, request: &S3Request) -> S3Result<Option<SseRequest>> {
    for_write(
        app,
        request,
        &request.principal,
        (request.bucket()?, request.key()?),
        |name| request.header(name),
    )
}

/// Reading the bytes of an SSE-KMS version needs `kms:Decrypt` on its key (HEAD does not).
pub fn authorize_decrypt(
    app: &AppState,
    principal: &Principal,
    version: &ObjectVersion,
) -> S3Result<()> {
    authorize_kms(app, principal, version.encryption.as_ref(), "kms:Decrypt")
}

/// `action` on the KMS key of what is encrypted as `encryption`, when that is SSE-KMS.
pub fn authorize_kms(
    app: &AppState,
    principal: &Principal,
    encryption: Option<&Encryption>,
    action: &str,
) -> S3Result<()> {
    let Some(kms) = encryption.and_then(|e| e.kms.as_ref()) else {
        return Ok(());
    };
    let account = principal.account_number().unwrap_or_default();
    let key_info = app.kms.resolve(account, &kms.key_arn)?;
    authorize_key_use(app, principal, &key_info, action)
}

/// `action` on a KMS key for S3. The account's `aws/s3` key serves every principal of the
/// account that S3 itself authorized, as its AWS-managed key policy says; any other key needs
/// the caller's own `kms:` permission.
fn authorize_key_use(
    app: &AppState,
    principal: &Principal,
    key: &crate::kms::KeyInfo,
    action: &str,
) -> S3Result<()> {
    if principal.account_number() == Some(key.account.as_str())
        && app.kms.resolve(&key.account, "alias/aws/s3")?.key_id == key.key_id
    {
        return Ok(());
    }
    crate::kms::authorize(principal, action, key, &ConditionContext::default())?;
    Ok(())
}

/// A ServerSideEncryptionConfiguration is one short rule.
const MAX_ENCRYPTION_BODY: usize = 16 * 1024;

pub async fn put_bucket_encryption(
    app: &AppState,
    request: &S3Request,
    body: &mut RequestBody,
) -> S3Result<Response> {
    app.store.bucket(request.bucket()?)?;
    let document = read_small_body(body, MAX_ENCRYPTION_BODY).await?;
    let config = bucket_encryption::parse(&document)?;
    store_document(
        app,
        request,
        BucketConfig::Encryption,
        bucket_encryption::render(&config),
    )
    .await?;
    Ok(empty_response(StatusCode::OK))
}

/// The stored configuration; without one, the rule every write gets by default (SSE-S3, as
/// AWS answers since 2023), unless the server runs with `--no-default-encryption`.
pub async fn get_bucket_encryption(app: &AppState, request: &S3Request) -> S3Result<Response> {
    let record = app.store.bucket(request.bucket()?)?;
    if app.default_encryption && record.encryption_revision.is_none() {
        let implicit = bucket_encryption::BucketEncryption {
            algorithm: SSE_S3.to_string(),
            kms_key_id: None,
            bucket_key_enabled: Some(false),
        };
        return Ok(xml_response(
            StatusCode::OK,
            bucket_encryption::render(&implicit),
        ));
    }
    let document = stored_document(app, request, BucketConfig::Encryption)?;
    Ok(xml_response(StatusCode::OK, document))
}

pub async fn delete_bucket_encryption(app: &AppState, request: &S3Request) -> S3Result<Response> {
    delete_document(app, request, BucketConfig::Encryption).await
}
