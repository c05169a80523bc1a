//! Object checksums: the five algorithms S3 clients send (`x-amz-checksum-crc32`, `-crc32c`,
//! `-crc64nvme`, `-sha1`, `-sha256`), streaming hashers for them, and the checks S3 applies to the
//! values clients send (well-formed base64 of the right length, one algorithm per request,
//! `Content-MD5`).
//!
//! Owns: the algorithm names and header names, the digest computation, the S3 wire form of a
//! checksum (base64 of the big-endian digest) and the composite `checksum-of-checksums-N` form of
//! multipart uploads. It does not decide *when* a checksum is required or stored; handlers do.
//!
//! Invariant: a [`Checksum`] built by this module ([`ChecksumHasher::finish`], [`Checksum::parse`],
//! [`Checksum::compute`]) always holds base64 that decodes to exactly
//! [`ChecksumAlgorithm::digest_len`] bytes, so two checksums of one algorithm compare equal exactly
//! when their digests do.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::HeaderMap;
use serde::{Deserialize, Serialize};
use sha1::Digest as _;

/// A checksum algorithm S3 accepts in `x-amz-checksum-*` and `x-amz-sdk-checksum-algorithm`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChecksumAlgorithm {
    Crc32,
    Crc32c,
    Crc64Nvme,
    Sha1,
    Sha256,
}

impl ChecksumAlgorithm {
    /// Every algorithm, in the order S3 documents them.
    pub const ALL: [ChecksumAlgorithm; 5] = [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32c,
        ChecksumAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256,
    ];

    /// Parses the name used in `x-amz-sdk-checksum-algorithm` / `x-amz-checksum-algorithm`
    /// ("CRC32", "crc64nvme", ...); case-insensitive like S3.
    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(s.trim()))
    }

    /// The S3 name: "CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256".
    pub fn name(&self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "CRC32",
            ChecksumAlgorithm::Crc32c => "CRC32C",
            ChecksumAlgorithm::Crc64Nvme => "CRC64NVME",
            ChecksumAlgorithm::Sha1 => "SHA1",
            ChecksumAlgorithm::Sha256 => "SHA256",
        }
    }

    /// The request/response header (and aws-chunked trailer) carrying this checksum, lowercase.
    pub fn header_name(&self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "x-amz-checksum-crc32",
            ChecksumAlgorithm::Crc32c => "x-amz-checksum-crc32c",
            ChecksumAlgorithm::Crc64Nvme => "x-amz-checksum-crc64nvme",
            ChecksumAlgorithm::Sha1 => "x-amz-checksum-sha1",
            ChecksumAlgorithm::Sha256 => "x-amz-checksum-sha256",
        }
    }

    /// The inverse of [`header_name`](Self::header_name), case-insensitive.
    pub fn from_header_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.header_name().eq_ignore_ascii_case(name.trim()))
    }

    /// Length in bytes of the raw digest.
    pub fn digest_len(&self) -> usize {
        match self {
            ChecksumAlgorithm::Crc32 | ChecksumAlgorithm::Crc32c => 4,
            ChecksumAlgorithm::Crc64Nvme => 8,
            ChecksumAlgorithm::Sha1 => 20,
            ChecksumAlgorithm::Sha256 => 32,
        }
    }

    /// A fresh streaming hasher.
    pub fn hasher(&self) -> ChecksumHasher {
        let state = match self {
            ChecksumAlgorithm::Crc32 => HasherState::Crc32(crc32fast::Hasher::new()),
            ChecksumAlgorithm::Crc32c => HasherState::Crc32c(0),
            ChecksumAlgorithm::Crc64Nvme => HasherState::Crc64Nvme(crc64fast_nvme::Digest::new()),
            ChecksumAlgorithm::Sha1 => HasherState::Sha1(sha1::Sha1::new()),
            ChecksumAlgorithm::Sha256 => HasherState::Sha256(sha2::Sha256::new()),
        };
        ChecksumHasher { state }
    }
}

/// Incremental checksum over data that arrives in pieces.
pub struct ChecksumHasher {
    state: HasherState,
}

enum HasherState {
    Crc32(crc32fast::Hasher),
    // crc32c exposes an append function over the running value rather than a hasher type.
    Crc32c(u32),
    Crc64Nvme(crc64fast_nvme::Digest),
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
}

impl ChecksumHasher {
    /// Which algorithm this hasher computes.
    pub fn algorithm(&self) -> ChecksumAlgorithm {
        match self.state {
            HasherState::Crc32(_) => ChecksumAlgorithm::Crc32,
            HasherState::Crc32c(_) => ChecksumAlgorithm::Crc32c,
            HasherState::Crc64Nvme(_) => ChecksumAlgorithm::Crc64Nvme,
            HasherState::Sha1(_) => ChecksumAlgorithm::Sha1,
            HasherState::Sha256(_) => ChecksumAlgorithm::Sha256,
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        match &mut self.state {
            HasherState::Crc32(h) => h.update(data),
            HasherState::Crc32c(crc) => *crc = crc32c::crc32c_append(*crc, data),
            HasherState::Crc64Nvme(h) => h.write(data),
            HasherState::Sha1(h) => h.update(data),
            HasherState::Sha256(h) => h.update(data),
        }
    }

    /// The raw big-endian digest.
    pub fn finish_raw(self) -> Vec<u8> {
        match self.state {
            HasherState::Crc32(h) => h.finalize().to_be_bytes().to_vec(),
            HasherState::Crc32c(crc) => crc.to_be_bytes().to_vec(),
            HasherState::Crc64Nvme(h) => h.sum64().to_be_bytes().to_vec(),
            HasherState::Sha1(h) => h.finalize().to_vec(),
            HasherState::Sha256(h) => h.finalize().to_vec(),
        }
    }

    pub fn finish(self) -> Checksum {
        let algorithm = self.algorithm();
        Checksum {
            algorithm,
            value: BASE64.encode(self.finish_raw()),
        }
    }
}

/// A checksum in S3's wire form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checksum {
    pub algorithm: ChecksumAlgorithm,
    /// Base64 (standard alphabet, padded) of the big-endian digest.
    pub value: String,
}

impl Checksum {
    /// Checksum of a complete buffer.
    pub fn compute(algorithm: ChecksumAlgorithm, data: &[u8]) -> Checksum {
        let mut h = algorithm.hasher();
        h.update(data);
        h.finish()
    }

    /// Validates a client-sent value (header or trailer): base64 of exactly
    /// `algorithm.digest_len()` bytes. Surrounding whitespace is ignored, as HTTP does.
    pub fn parse(algorithm: ChecksumAlgorithm, value: &str) -> Result<Checksum, ChecksumError> {
        let value = value.trim();
        match BASE64.decode(value) {
            Ok(raw) if raw.len() == algorithm.digest_len() => Ok(Checksum {
                algorithm,
                value: value.to_owned(),
            }),
            _ => Err(ChecksumError::InvalidValue { algorithm }),
        }
    }

    /// The raw digest, or `None` if `value` is not valid base64 (only possible for a `Checksum`
    /// built by hand or deserialized from elsewhere).
    pub fn digest(&self) -> Option<Vec<u8>> {
        BASE64.decode(&self.value).ok()
    }

    /// The header this checksum travels in.
    pub fn header_name(&self) -> &'static str {
        self.algorithm.header_name()
    }

    /// Compares a client-declared checksum (`self`) with the one computed over the data.
    /// Digests are compared, not strings, so equivalent base64 spellings do not matter.
    pub fn verify(&self, computed: &Checksum) -> Result<(), ChecksumError> {
        if self.algorithm == computed.algorithm
            && self.digest().is_some()
            && self.digest() == computed.digest()
        {
            Ok(())
        } else {
            Err(ChecksumError::BadDigest {
                algorithm: self.algorithm,
            })
        }
    }

    /// The checksum a request declares in its headers, if any.
    ///
    /// S3 accepts one `x-amz-checksum-<algo>` header per request; when
    /// `x-amz-sdk-checksum-algorithm` is also present it must name the same algorithm (botocore
    /// sends both). A request that only names the algorithm (the value comes later in an
    /// aws-chunked trailer) yields `None` here.
    pub fn from_headers(headers: &HeaderMap) -> Result<Option<Checksum>, ChecksumError> {
        let mut found: Option<Checksum> = None;
        for algorithm in ChecksumAlgorithm::ALL {
            let mut values = headers.get_all(algorithm.header_name()).iter();
            let Some(value) = values.next() else { continue };
            if found.is_some() || values.next().is_some() {
                return Err(ChecksumError::MultipleChecksums);
            }
            let text = value
                .to_str()
                .map_err(|_| ChecksumError::InvalidValue { algorithm })?;
            found = Some(Checksum::parse(algorithm, text)?);
        }
        if let (Some(checksum), Some(declared)) =
            (&found, headers.get("x-amz-sdk-checksum-algorithm"))
        {
            let declared = declared
                .to_str()
                .ok()
                .and_then(ChecksumAlgorithm::from_name);
            if declared != Some(checksum.algorithm) {
                return Err(ChecksumError::AlgorithmMismatch);
            }
        }
        Ok(found)
    }

    /// The composite ("checksum of checksums") value of a multipart object: the checksum of the
    /// concatenated raw part digests, followed by `-<number of parts>`, as S3 reports it for
    /// `x-amz-checksum-type: COMPOSITE`. All parts must use `algorithm`.
    pub fn composite(
        algorithm: ChecksumAlgorithm,
        parts: &[Checksum],
    ) -> Result<String, ChecksumError> {
        let mut h = algorithm.hasher();
        for part in parts {
            if part.algorithm != algorithm {
                return Err(ChecksumError::InvalidValue { algorithm });
            }
            let raw = part
                .digest()
                .filter(|d| d.len() == algorithm.digest_len())
                .ok_or(ChecksumError::InvalidValue { algorithm })?;
            h.update(&raw);
        }
        Ok(format!("{}-{}", h.finish().value, parts.len()))
    }
}

/// Parses a `Content-MD5` header: base64 of a 16-byte MD5 digest.
pub fn parse_content_md5(value: &str) -> Result<[u8; 16], ChecksumError> {
    BASE64
        .decode(value.trim())
        .ok()
        .and_then(|raw| <[u8; 16]>::try_from(raw.as_slice()).ok())
        .ok_or(ChecksumError::InvalidContentMd5)
}

/// Checks a body's MD5 against the `Content-MD5` the client sent.
pub fn verify_content_md5(declared: &[u8; 16], computed: &[u8; 16]) -> Result<(), ChecksumError> {
    use subtle::ConstantTimeEq as _;
    if bool::from(declared.ct_eq(computed)) {
        Ok(())
    } else {
        Err(ChecksumError::ContentMd5Mismatch)
    }
}

/// A checksum a client sent that S3 would refuse. Messages are S3's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChecksumError {
    /// Not base64, or the wrong digest length.
    #[error("Value for {} header is invalid.", algorithm.header_name())]
    InvalidValue { algorithm: ChecksumAlgorithm },
    /// The data does not match the declared checksum.
    #[error("The {} you specified did not match the calculated checksum.", algorithm.name())]
    BadDigest { algorithm: ChecksumAlgorithm },
    #[error("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")]
    MultipleChecksums,
    /// `x-amz-sdk-checksum-algorithm` names another algorithm than the `x-amz-checksum-*` header.
    #[error("Value for x-amz-sdk-checksum-algorithm header is invalid.")]
    AlgorithmMismatch,
    #[error("The Content-MD5 you specified was invalid.")]
    InvalidContentMd5,
    #[error("The Content-MD5 you specified did not match what we received.")]
    ContentMd5Mismatch,
}

impl ChecksumError {
    /// The S3 error code.
    pub fn code(&self) -> &'static str {
        match self {
            ChecksumError::InvalidValue { .. }
            | ChecksumError::MultipleChecksums
            | ChecksumError::AlgorithmMismatch => "InvalidRequest",
            ChecksumError::BadDigest { .. } | ChecksumError::ContentMd5Mismatch => "BadDigest",
            ChecksumError::InvalidContentMd5 => "InvalidDigest",
        }
    }
}

/// How a multipart object's checksum relates to its bytes (`x-amz-checksum-type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChecksumType {
    /// A checksum of the part checksums, reported as `<base64>-<parts>`.
    Composite,
    /// The checksum of the whole object, as if uploaded in one piece.
    FullObject,
}

impl ChecksumType {
    pub fn name(&self) -> &'static str {
        match self {
            ChecksumType::Composite => "COMPOSITE",
            ChecksumType::FullObject => "FULL_OBJECT",
        }
    }

    pub fn from_name(s: &str) -> Option<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "COMPOSITE" => Some(ChecksumType::Composite),
            "FULL_OBJECT" => Some(ChecksumType::FullObject),
            _ => None,
        }
    }

    /// What S3 accepts: CRC64NVME only as a full-object checksum; the CRCs both ways; SHA-1
    /// and SHA-256 only as composite (a hash cannot be combined from its parts).
    pub fn allowed_for(&self, algorithm: ChecksumAlgorithm) -> bool {
        !matches!(
            (self, algorithm),
            (ChecksumType::Composite, ChecksumAlgorithm::Crc64Nvme)
                | (
                    ChecksumType::FullObject,
                    ChecksumAlgorithm::Sha1 | ChecksumAlgorithm::Sha256
                )
        )
    }

    /// S3's default type for a multipart upload that names only the algorithm.
    pub fn default_for(algorithm: ChecksumAlgorithm) -> ChecksumType {
        match algorithm {
            ChecksumAlgorithm::Crc64Nvme => ChecksumType::FullObject,
            _ => ChecksumType::Composite,
        }
    }
}

impl ChecksumAlgorithm {
    /// The XML element carrying this checksum (`ChecksumCRC32`, ...).
    pub fn xml_element(&self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "ChecksumCRC32",
            ChecksumAlgorithm::Crc32c => "ChecksumCRC32C",
            ChecksumAlgorithm::Crc64Nvme => "ChecksumCRC64NVME",
            ChecksumAlgorithm::Sha1 => "ChecksumSHA1",
            ChecksumAlgorithm::Sha256 => "ChecksumSHA256",
        }
    }

    /// Reflected polynomial and width of the CRC algorithms (all use init = xorout = all ones,
    /// which is what lets CRCs of pieces be combined without the data).
    fn crc_parameters(&self) -> Option<(u64, u32)> {
        match self {
            ChecksumAlgorithm::Crc32 => Some((0xEDB8_8320, 32)),
            ChecksumAlgorithm::Crc32c => Some((0x82F6_3B78, 32)),
            ChecksumAlgorithm::Crc64Nvme => Some((0x9A6C_9329_AC4B_C9B5, 64)),
            ChecksumAlgorithm::Sha1 | ChecksumAlgorithm::Sha256 => None,
        }
    }
}

/// The full-object CRC of a multipart object from its parts' CRCs and sizes, without reading
/// the data: CRC(A‖B) = CRC(A)·x^(8·|B|) mod P ⊕ CRC(B) (the zlib `crc32_combine` method,
/// generalised to any reflected CRC). None for SHA algorithms or malformed part values.
pub fn combine_full_object(
    algorithm: ChecksumAlgorithm,
    parts: &[(Checksum, u64)],
) -> Option<Checksum> {
    let (poly, width) = algorithm.crc_parameters()?;
    let bytes = (width / 8) as usize;
    let mut combined: Option<u64> = None;
    for (checksum, length) in parts {
        if checksum.algorithm != algorithm {
            return None;
        }
        let digest = checksum.digest().filter(|d| d.len() == bytes)?;
        let value = digest
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        combined = Some(match combined {
            None => value,
            Some(previous) => crc_combine(previous, value, *length, poly, width),
        });
    }
    let value = combined?;
    let raw = &value.to_be_bytes()[8 - bytes..];
    Some(Checksum {
        algorithm,
        value: BASE64.encode(raw),
    })
}

fn crc_multiply(a: u64, mut b: u64, poly: u64, width: u32) -> u64 {
    let mut m = 1u64 << (width - 1);
    let mut product = 0;
    loop {
        if a & m != 0 {
            product ^= b;
            if a & (m - 1) == 0 {
                break;
            }
        }
        m >>= 1;
        if m == 0 {
            break;
        }
        b = if b & 1 != 0 { (b >> 1) ^ poly } else { b >> 1 };
    }
    product
}

/// x^(8·n) mod P, by squaring: x^(2^k) for k = 3.. covers bytes.
fn crc_x8n(mut n: u64, poly: u64, width: u32) -> u64 {
    let mut power = 1u64 << (width - 2); // x^1
    let mut result = 1u64 << (width - 1); // x^0
    for _ in 0..3 {
        power = crc_multiply(power, power, poly, width);
    }
    while n != 0 {
        if n & 1 != 0 {
            result = crc_multiply(power, result, poly, width);
        }
        n >>= 1;
        power = crc_multiply(power, power, poly, width);
    }
    result
}

fn crc_combine(crc1: u64, crc2: u64, len2: u64, poly: u64, width: u32) -> u64 {
    crc_multiply(crc_x8n(len2, poly, width), crc1, poly, width) ^ crc2
}

#[cfg(test)]
mod combine_tests {
    use super::*;

    #[test]
    fn combined_part_crcs_equal_the_whole_object_crc() {
        let data: Vec<u8> = (0..100_000u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        for algorithm in [
            ChecksumAlgorithm::Crc32,
            ChecksumAlgorithm::Crc32c,
            ChecksumAlgorithm::Crc64Nvme,
        ] {
            for cuts in [
                vec![1usize, 99_999],
                vec![40_000, 30_000, 30_000],
                vec![100_000],
                vec![0, 50_000, 50_000],
            ] {
                let mut offset = 0;
                let parts: Vec<(Checksum, u64)> = cuts
                    .iter()
                    .map(|len| {
                        let piece = &data[offset..offset + len];
                        offset += len;
                        (Checksum::compute(algorithm, piece), *len as u64)
                    })
                    .collect();
                assert_eq!(
                    combine_full_object(algorithm, &parts),
                    Some(Checksum::compute(algorithm, &data)),
                    "{algorithm:?} {cuts:?}"
                );
            }
        }
        assert_eq!(combine_full_object(ChecksumAlgorithm::Sha256, &[]), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hex_of(c: &Checksum) -> String {
        hex::encode(c.digest().unwrap_or_default())
    }

    #[test]
    fn standard_check_values_for_123456789() {
        // The catalogued "check" value of each CRC (input "123456789") and the FIPS SHA vectors.
        let cases = [
            (ChecksumAlgorithm::Crc32, "cbf43926"),
            (ChecksumAlgorithm::Crc32c, "e3069283"),
            (ChecksumAlgorithm::Crc64Nvme, "ae8b14860a799888"),
            (
                ChecksumAlgorithm::Sha1,
                "f7c3bc1d808e04732adf679965ccc34ca7ae3441",
            ),
            (
                ChecksumAlgorithm::Sha256,
                "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225",
            ),
        ];
        for (algorithm, expected) in cases {
            let c = Checksum::compute(algorithm, b"123456789");
            assert_eq!(hex_of(&c), expected, "{algorithm:?}");
            assert_eq!(c.algorithm, algorithm);
        }
    }

    #[test]
    fn aws_trailer_example_crc32c_of_66560_a() {
        // The value in AWS's "trailing headers" chunked-upload example.
        let c = Checksum::compute(ChecksumAlgorithm::Crc32c, &vec![b'a'; 66_560]);
        assert_eq!(c.value, "sOO8/Q==");
    }

    #[test]
    fn empty_input_values_match_what_sdks_send_for_empty_objects() {
        assert_eq!(
            Checksum::compute(ChecksumAlgorithm::Crc32, b"").value,
            "AAAAAA=="
        );
        assert_eq!(
            Checksum::compute(ChecksumAlgorithm::Sha256, b"").value,
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }

    #[test]
    fn names_round_trip_case_insensitively() {
        for a in ChecksumAlgorithm::ALL {
            assert_eq!(ChecksumAlgorithm::from_name(a.name()), Some(a));
            assert_eq!(
                ChecksumAlgorithm::from_name(&a.name().to_lowercase()),
                Some(a)
            );
            assert_eq!(
                ChecksumAlgorithm::from_header_name(a.header_name()),
                Some(a)
            );
            assert_eq!(
                ChecksumAlgorithm::from_header_name(&a.header_name().to_uppercase()),
                Some(a)
            );
            assert_eq!(a.hasher().algorithm(), a);
        }
        assert_eq!(ChecksumAlgorithm::from_name("MD5"), None);
        assert_eq!(
            ChecksumAlgorithm::from_header_name("x-amz-checksum-sha10"),
            None
        );
        assert_eq!(
            ChecksumAlgorithm::Crc32.header_name(),
            "x-amz-checksum-crc32"
        );
    }

    #[test]
    fn parse_rejects_bad_base64_and_wrong_lengths() {
        assert!(Checksum::parse(ChecksumAlgorithm::Crc32, "sOO8/Q==").is_ok());
        assert!(Checksum::parse(ChecksumAlgorithm::Crc32, " sOO8/Q== ").is_ok());
        for bad in ["", "not base64!", "sOO8/Q", "AAAAAAAAAAA="] {
            let err = Checksum::parse(ChecksumAlgorithm::Crc32, bad).unwrap_err();
            assert_eq!(err.code(), "InvalidRequest");
            assert_eq!(
                err.to_string(),
                "Value for x-amz-checksum-crc32 header is invalid."
            );
        }
    }

    #[test]
    fn verify_compares_digests_and_reports_bad_digest_in_s3_words() {
        let good = Checksum::compute(ChecksumAlgorithm::Crc32, b"hello");
        assert!(good.verify(&good.clone()).is_ok());
        let other = Checksum::compute(ChecksumAlgorithm::Crc32, b"hellO");
        let err = good.verify(&other).unwrap_err();
        assert_eq!(err.code(), "BadDigest");
        assert_eq!(
            err.to_string(),
            "The CRC32 you specified did not match the calculated checksum."
        );
    }

    #[test]
    fn from_headers_finds_one_checksum_and_checks_the_sdk_algorithm() {
        let mut h = HeaderMap::new();
        assert_eq!(Checksum::from_headers(&h), Ok(None));
        h.insert("x-amz-checksum-crc32", "NhCmhg==".parse().unwrap());
        h.insert("x-amz-sdk-checksum-algorithm", "crc32".parse().unwrap());
        let c = Checksum::from_headers(&h).unwrap().unwrap();
        assert_eq!(c.algorithm, ChecksumAlgorithm::Crc32);

        h.insert("x-amz-sdk-checksum-algorithm", "SHA256".parse().unwrap());
        assert_eq!(
            Checksum::from_headers(&h),
            Err(ChecksumError::AlgorithmMismatch)
        );

        h.remove("x-amz-sdk-checksum-algorithm");
        h.insert(
            "x-amz-checksum-sha1",
            "qvTGHdzF6KLavt4PO0gs2a6pQ00=".parse().unwrap(),
        );
        assert_eq!(
            Checksum::from_headers(&h),
            Err(ChecksumError::MultipleChecksums)
        );

        let mut h = HeaderMap::new();
        h.insert("x-amz-checksum-sha256", "short".parse().unwrap());
        assert_eq!(
            Checksum::from_headers(&h),
            Err(ChecksumError::InvalidValue {
                algorithm: ChecksumAlgorithm::Sha256
            })
        );
    }

    #[test]
    fn composite_is_checksum_of_raw_part_digests_with_part_count() {
        let a = Checksum::compute(ChecksumAlgorithm::Sha256, b"part one");
        let b = Checksum::compute(ChecksumAlgorithm::Sha256, b"part two");
        let mut raw = a.digest().unwrap();
        raw.extend(b.digest().unwrap());
        let expected = format!(
            "{}-2",
            Checksum::compute(ChecksumAlgorithm::Sha256, &raw).value
        );
        assert_eq!(
            Checksum::composite(ChecksumAlgorithm::Sha256, &[a.clone(), b]).unwrap(),
            expected
        );
        let crc = Checksum::compute(ChecksumAlgorithm::Crc32, b"x");
        assert!(Checksum::composite(ChecksumAlgorithm::Sha256, &[a, crc]).is_err());
    }

    #[test]
    fn content_md5_parse_and_verify() {
        use md5::Digest as _;
        let digest: [u8; 16] = md5::Md5::digest(b"hello").into();
        let header = BASE64.encode(digest);
        assert_eq!(parse_content_md5(&header), Ok(digest));
        assert!(verify_content_md5(&digest, &digest).is_ok());
        let err = verify_content_md5(&digest, &[0; 16]).unwrap_err();
        assert_eq!(
            (err.code(), err.to_string().as_str()),
            (
                "BadDigest",
                "The Content-MD5 you specified did not match what we received."
            )
        );
        let err = parse_content_md5("AAAA").unwrap_err();
        assert_eq!(
            (err.code(), err.to_string().as_str()),
            (
                "InvalidDigest",
                "The Content-MD5 you specified was invalid."
            )
        );
    }

    #[test]
    fn checksum_serializes_with_algorithm_and_value() {
        // serde derive is part of the public contract (metadata records store checksums).
        fn assert_serde<T: Serialize + for<'de> Deserialize<'de>>() {}
        assert_serde::<Checksum>();
        assert_serde::<ChecksumAlgorithm>();
    }

    proptest! {
        #[test]
        fn streaming_equals_one_shot(data in proptest::collection::vec(any::<u8>(), 0..2048), cut in 0usize..2048) {
            for algorithm in ChecksumAlgorithm::ALL {
                let cut = cut.min(data.len());
                let mut h = algorithm.hasher();
                h.update(&data[..cut]);
                h.update(&data[cut..]);
                prop_assert_eq!(h.finish(), Checksum::compute(algorithm, &data));
            }
        }

        #[test]
        fn computed_values_parse_back(data in proptest::collection::vec(any::<u8>(), 0..256)) {
            for algorithm in ChecksumAlgorithm::ALL {
                let c = Checksum::compute(algorithm, &data);
                prop_assert_eq!(Checksum::parse(algorithm, &c.value), Ok(c));
            }
        }
    }
}
