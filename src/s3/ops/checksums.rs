//! Checksums as the S3 API carries them: which one a write must compute and verify (header,
//! aws-chunked trailer, `x-amz-sdk-checksum-algorithm`, or the CRC64NVME default AWS applies to
//! every upload), and how they come back (response headers, XML elements).

use axum::response::Response;

use super::set_header;
use crate::checksum::{Checksum, ChecksumAlgorithm, ChecksumError, ChecksumType};
use crate::s3::error::{S3Error, S3Result};
use crate::s3::request::S3Request;
use crate::s3::xml::XmlWriter;
use crate::store::object::ChecksumSpec;

pub(crate) fn checksum_error(err: ChecksumError) -> S3Error {
    S3Error::new(err.code(), err.to_string())
}

/// The checksum a PutObject/UploadPart computes; `default` when the request names none.
pub(crate) fn checksum_spec(
    request: &S3Request,
    default: Option<ChecksumAlgorithm>,
) -> S3Result<ChecksumSpec> {
    let expected = Checksum::from_headers(&request.headers).map_err(checksum_error)?;
    let sdk_algorithm = match request.header("x-amz-sdk-checksum-algorithm") {
        None => None,
        Some(name) => Some(ChecksumAlgorithm::from_name(name).ok_or_else(|| {
            S3Error::invalid_request("Value for x-amz-sdk-checksum-algorithm header is invalid.")
        })?),
    };
    let algorithm = expected
        .as_ref()
        .map(|c| c.algorithm)
        .or(request.trailer_algorithm)
        .or(sdk_algorithm)
        .or(default)
        .unwrap_or(ChecksumAlgorithm::Crc64Nvme);
    Ok(ChecksumSpec {
        algorithm,
        expected,
    })
}

/// `x-amz-checksum-algorithm` / `x-amz-checksum-type` of CreateMultipartUpload: None when the
/// client names no algorithm (the upload then defaults to CRC64NVME, full object).
pub(crate) fn multipart_checksum(
    request: &S3Request,
) -> S3Result<Option<(ChecksumAlgorithm, ChecksumType)>> {
    let algorithm = match request.header("x-amz-checksum-algorithm") {
        None => None,
        Some(name) => Some(ChecksumAlgorithm::from_name(name).ok_or_else(|| {
            S3Error::invalid_request("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
        })?),
    };
    let kind = match request.header("x-amz-checksum-type") {
        None => None,
        Some(name) => Some(ChecksumType::from_name(name).ok_or_else(|| {
            S3Error::invalid_request("Value for x-amz-checksum-type header is invalid.")
        })?),
    };
    match (algorithm, kind) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(S3Error::invalid_request(
            "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.",
        )),
        (Some(algorithm), kind) => {
            let kind = kind.unwrap_or_else(|| ChecksumType::default_for(algorithm));
            if !kind.allowed_for(algorithm) {
                return Err(S3Error::invalid_request(format!(
                    "The {} checksum type cannot be used with the {} checksum algorithm.",
                    kind.name(),
                    algorithm.name().to_ascii_lowercase()
                )));
            }
            Ok(Some((algorithm, kind)))
        }
    }
}

/// A part checksum listed in CompleteMultipartUpload (`<ChecksumCRC32>` ...), if any.
pub(crate) fn listed_part_checksum(part: &crate::s3::xml::Element) -> S3Result<Option<Checksum>> {
    for algorithm in ChecksumAlgorithm::ALL {
        if let Some(value) = part.child_text(algorithm.xml_element()) {
            return Checksum::parse(algorithm, value)
                .map(Some)
                .map_err(checksum_error);
        }
    }
    Ok(None)
}

pub(crate) fn set_checksum_headers(
    response: &mut Response,
    checksum: &Checksum,
    kind: Option<ChecksumType>,
) {
    set_header(response, checksum.algorithm.header_name(), &checksum.value);
    if let Some(kind) = kind {
        set_header(response, "x-amz-checksum-type", kind.name());
    }
}

pub(crate) fn write_checksum_xml(
    out: &mut XmlWriter,
    checksum: &Checksum,
    kind: Option<ChecksumType>,
) {
    out.elem(checksum.algorithm.xml_element(), &checksum.value);
    if let Some(kind) = kind {
        out.elem("ChecksumType", kind.name());
    }
}
