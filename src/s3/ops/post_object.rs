//! PostObject: browser uploads with an HTML form (`multipart/form-data`), authenticated by a
//! signed POST policy in the form itself rather than by request headers. The text fields before
//! the `file` field are read (at most 20 KiB, as on AWS), the policy is verified by
//! `auth::verify_post_policy`, the principal is authorized like any PutObject, and then the file
//! streams into the store — its size checked against `content-length-range` before the commit.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::response::Response;
use futures_util::{StreamExt, stream};
use http::StatusCode;

use super::acl::{AclSource, new_object_access, parse_canned};
use super::checksums::set_checksum_headers;
use super::{empty_response, quoted, set_header, url_encode_if, xml_response};
use crate::auth::{AuthError, MAX_POST_PRE_DATA, verify_post_policy};
use crate::checksum::ChecksumAlgorithm;
use crate::classes::DEFAULT_CLASS;
use crate::http::AppState;
use crate::meta::model::{ContentHeaders, ObjectAttributes};
use crate::s3::error::{S3Error, S3Result};
use crate::s3::request::{RequestBody, S3Request};
use crate::s3::xml::XmlWriter;
use crate::store::object::{ChecksumSpec, PutInput, WriteCondition};

fn malformed() -> S3Error {
    S3Error::new(
        "MalformedPOSTRequest",
        "The body of your POST request is not well-formed multipart/form-data.",
    )
}

fn field<'f>(fields: &'f [(String, String)], name: &str) -> Option<&'f str> {
    fields
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

pub async fn post_object(
    app: &AppState,
    request: &S3Request,
    body: &mut RequestBody,
) -> S3Result<Response> {
    let bucket = request.bucket()?;
    let boundary = request
        .header("content-type")
        .and_then(|ct| multer::parse_boundary(ct).ok())
        .ok_or_else(|| {
            S3Error::new(
                "PreconditionFailed",
                "At least one of the pre-conditions you specified did not hold",
            )
            .with(
                "Condition",
                "Bucket POST must be of the enclosure-type multipart/form-data",
            )
        })?;
    let bucket_record = app.store.bucket(bucket)?;
    let mut form = multer::Multipart::new(body, boundary);

    let mut fields: Vec<(String, String)> = Vec::new();
    let mut pre_data = 0usize;
    let file = loop {
        let Some(part) = form.next_field().await.map_err(|_| malformed())? else {
            return Err(exactly_one_file());
        };
        let name = part.name().unwrap_or_default().to_string();
        if name.eq_ignore_ascii_case("file") {
            break part;
        }
        let value = part.text().await.map_err(|_| malformed())?;
        pre_data += name.len() + value.len();
        if pre_data > MAX_POST_PRE_DATA {
            return Err(AuthError::MaxPostPreDataLengthExceeded.into());
        }
        fields.push((name, value));
    };
    let filename = file.file_name().unwrap_or_default().to_string();
    // `${filename}` in the key is the name of the uploaded file, as browsers send it.
    if let Some((_, key)) = fields
        .iter_mut()
        .find(|(n, _)| n.eq_ignore_ascii_case("key"))
    {
        *key = key.replace("${filename}", &filename);
    }
    let auth = verify_post_policy(
        &fields,
        bucket,
        &app.identities,
        &app.region,
        std::time::SystemTime::now(),
    )?;
    let principal = crate::s3::principal_of(app, auth.access_key.as_deref())?;
    let key = field(&fields, "key").filter(|k| !k.is_empty()).ok_or_else(|| {
        S3Error::invalid_argument("Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.")
            .with("ArgumentName", "key")
    })?;
    if key.len() > crate::http::addressing::MAX_KEY_BYTES {
        return Err(S3Error::new("KeyTooLongError", "Your key is too long"));
    }
    crate::s3::check_access(
        app,
        &principal,
        "s3:PutObject",
        Some(bucket),
        Some(key),
        request,
    )?;

    let storage_class = field(&fields, "x-amz-storage-class")
        .unwrap_or(DEFAULT_CLASS)
        .to_string();
    if app.store.classes.get(&storage_class).is_none() {
        return Err(S3Error::new(
            "InvalidStorageClass",
            "The storage class you specified is not valid",
        ));
    }
    let get = |name: &str| field(&fields, name).map(str::to_string);
    // The form's `acl` field is the upload's canned ACL (`x-amz-acl` of a PutObject).
    let asked = match field(&fields, "acl") {
        Some(value) => Some(AclSource::Canned(parse_canned(value, "acl")?)),
        None => None,
    };
    let (owner, acl) = new_object_access(
        &bucket_record,
        principal.account_id().unwrap_or_default(),
        asked.as_ref(),
    )?;
    let attrs = ObjectAttributes {
        storage_class,
        owner,
        content: ContentHeaders {
            content_type: get("content-type")
                .or_else(|| file.content_type().map(|m| m.to_string())),
            content_encoding: get("content-encoding"),
            content_disposition: get("content-disposition"),
            content_language: None,
            cache_control: get("cache-control"),
            expires: get("expires"),
        },
        user_meta: fields
            .iter()
            .filter_map(|(n, v)| {
                let lower = n.to_ascii_lowercase();
                lower
                    .strip_prefix("x-amz-meta-")
                    .map(|m| (m.to_string(), v.clone()))
            })
            .collect(),
        tags: Vec::new(),
        acl,
        website_redirect: super::object::website_redirect(field(
            &fields,
            "x-amz-website-redirect-location",
        ))?,
    };

    // Count the file as it streams: over the policy's maximum fails at once, under its minimum
    // fails at the end — both before the store commits.
    let received = Arc::new(AtomicU64::new(0));
    let counter = received.clone();
    let max = auth.content_length_range().map(|(_, max)| max);
    let limit = auth.clone();
    let counted = file.map(move |item| {
        let bytes = item.map_err(|_| malformed())?;
        let total = counter.fetch_add(bytes.len() as u64, Ordering::Relaxed) + bytes.len() as u64;
        if max.is_some_and(|max| total > max) {
            return Err(S3Error::from(
                limit
                    .check_size(total)
                    .err()
                    .unwrap_or(AuthError::MalformedPOSTRequest),
            ));
        }
        Ok(bytes)
    });
    let final_check =
        stream::once(async move { auth.check_size(received.load(Ordering::Relaxed)) })
            .filter_map(|result| async move { result.err().map(|e| Err(S3Error::from(e))) });
    let mut file_body = Box::pin(counted.chain(final_check));

    let input = PutInput {
        bucket: bucket.to_string(),
        key: key.to_string(),
        attrs,
        content_md5: None,
        checksum: ChecksumSpec {
            algorithm: ChecksumAlgorithm::Crc64Nvme,
            expected: None,
        },
        condition: WriteCondition::None,
        encryption: super::sse::for_write(app, request, &principal, (bucket, key), |name| {
            field(&fields, name)
        })?,
        lock: super::object_lock::for_write(app, request, (bucket, key), |name| {
            field(&fields, name)
        })?,
    };
    let version = app.store.put_object(input, &mut file_body).await?;

    let location = format!("/{bucket}/{}", url_encode_if(key, true));
    if let Some(redirect) = get("success_action_redirect")
        .or_else(|| get("redirect"))
        .filter(|r| !r.is_empty())
    {
        let separator = if redirect.contains('?') { '&' } else { '?' };
        let target = format!(
            "{redirect}{separator}bucket={}&key={}&etag={}",
            url_encode_if(bucket, true),
            url_encode_if(key, true),
            url_encode_if(&quoted(&version.etag), true)
        );
        let mut response = empty_response(StatusCode::SEE_OTHER);
        set_header(&mut response, "location", &target);
        set_header(&mut response, "etag", &quoted(&version.etag));
        return Ok(response);
    }
    let mut response = match field(&fields, "success_action_status") {
        Some("201") => {
            let mut out = XmlWriter::document();
            out.open("PostResponse");
            out.elem("Location", &location);
            out.elem("Bucket", bucket);
            out.elem("Key", key);
            out.elem("ETag", &quoted(&version.etag));
            out.close("PostResponse");
            xml_response(StatusCode::CREATED, out.finish())
        }
        Some("200") => empty_response(StatusCode::OK),
        _ => empty_response(StatusCode::NO_CONTENT),
    };
    set_header(&mut response, "etag", &quoted(&version.etag));
    set_header(&mut response, "location", &location);
    super::sse::set_headers(&mut response, &version);
    if let Some(checksum) = &version.checksum {
        set_checksum_headers(&mut response, checksum, version.checksum_type);
    }
    super::versioning::set_current_version_headers(app, request, &mut response, &version)?;
    Ok(response)
}

fn exactly_one_file() -> S3Error {
    S3Error::invalid_argument("POST requires exactly one file upload per request.")
        .with("ArgumentName", "file")
}
