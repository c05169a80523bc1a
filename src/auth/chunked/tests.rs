//! Unit tests of the aws-chunked decoder: AWS's documented chunk and trailer signatures, the
//! layouts real clients produce, and every way a body can be refused.

use super::*;
use crate::auth::sigv4::parse_amz_date;
use proptest::prelude::*;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// The AWS documentation's chunked-upload example: 66560 bytes of 'a' in 64 KiB chunks.
fn doc_signing(seed: &str) -> ChunkSigning {
    let t = parse_amz_date("20130524T000000Z").unwrap();
    ChunkSigning {
        key: SigningKey::derive(SECRET, t, "us-east-1", "s3"),
        amz_date: "20130524T000000Z".into(),
        scope: "20130524/us-east-1/s3/aws4_request".into(),
        seed: seed.into(),
        access_key: "AKIAIOSFODNN7EXAMPLE".into(),
    }
}

pub(crate) fn doc_signed_body() -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(
        b"10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n",
    );
    body.extend(std::iter::repeat_n(b'a', 65_536));
    body.extend_from_slice(
        b"\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n",
    );
    body.extend(std::iter::repeat_n(b'a', 1_024));
    body.extend_from_slice(
        b"\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n",
    );
    body
}

pub(crate) fn doc_signed_trailer_body() -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(
        b"10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2\r\n",
    );
    body.extend(std::iter::repeat_n(b'a', 65_536));
    body.extend_from_slice(
        b"\r\n400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7\r\n",
    );
    body.extend(std::iter::repeat_n(b'a', 1_024));
    body.extend_from_slice(
        b"\r\n0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n",
    );
    body.extend_from_slice(b"x-amz-checksum-crc32c:sOO8/Q==\r\n");
    body.extend_from_slice(
        b"x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n",
    );
    body
}

pub(crate) const DOC_SEED: &str =
    "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
pub(crate) const DOC_TRAILER_SEED: &str =
    "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";

fn signed_payload() -> ChunkedPayload {
    ChunkedPayload {
        signing: Some(doc_signing(DOC_SEED)),
        trailer_mode: false,
        trailer: None,
        decoded_len: 66_560,
    }
}

fn signed_trailer_payload() -> ChunkedPayload {
    ChunkedPayload {
        signing: Some(doc_signing(DOC_TRAILER_SEED)),
        trailer_mode: true,
        trailer: Some(ChecksumAlgorithm::Crc32c),
        decoded_len: 66_560,
    }
}

/// Feeds `body` in pieces of `step` bytes; returns the decoded data or the first error.
fn run(
    payload: ChunkedPayload,
    body: &[u8],
    step: usize,
) -> Result<(Vec<u8>, Option<Checksum>), AuthError> {
    let mut d = ChunkedDecoder::new(payload);
    let mut out = Vec::new();
    for piece in body.chunks(step.max(1)) {
        let mut input = Bytes::copy_from_slice(piece);
        while let Some(data) = d.decode(&mut input)? {
            out.extend_from_slice(&data);
        }
    }
    let checksum = d.finish()?;
    Ok((out, checksum))
}

fn unsigned_body(chunks: &[&[u8]], trailer: &str, end: &str) -> Vec<u8> {
    let mut body = Vec::new();
    for c in chunks {
        body.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
        body.extend_from_slice(c);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"0\r\n");
    body.extend_from_slice(trailer.as_bytes());
    body.extend_from_slice(end.as_bytes());
    body
}

#[test]
fn aws_documented_signed_chunks_decode_in_any_split() {
    let body = doc_signed_body();
    for step in [1, 7, 100, 8192, 65_536, body.len()] {
        let (data, checksum) = run(signed_payload(), &body, step).unwrap();
        assert_eq!(data.len(), 66_560);
        assert!(data.iter().all(|b| *b == b'a'));
        assert_eq!(checksum, None);
    }
}

#[test]
fn aws_documented_signed_trailer_verifies() {
    let (data, checksum) = run(signed_trailer_payload(), &doc_signed_trailer_body(), 4096).unwrap();
    assert_eq!(data.len(), 66_560);
    assert_eq!(
        checksum,
        Some(Checksum {
            algorithm: ChecksumAlgorithm::Crc32c,
            value: "sOO8/Q==".into()
        })
    );
}

#[test]
fn signed_trailer_layout_variants_are_accepted() {
    let body = doc_signed_trailer_body();
    let text = String::from_utf8(body).unwrap();
    let variants = [
        // An extra CRLF between the final chunk and the trailer.
        text.replace("\r\nx-amz-checksum-crc32c", "\r\n\r\nx-amz-checksum-crc32c"),
        // No final empty line.
        text.strip_suffix("\r\n").unwrap().to_owned(),
        // Bare LF line ends in the trailer.
        text.replace("sOO8/Q==\r\n", "sOO8/Q==\n"),
    ];
    for v in variants {
        run(signed_trailer_payload(), v.as_bytes(), 999).unwrap();
    }
}

#[test]
fn tampered_chunk_signature_is_refused() {
    let mut body = doc_signed_body();
    let pos = body.windows(8).position(|w| w == b"0055627c").unwrap();
    body[pos] = b'1';
    let err = run(signed_payload(), &body, 1000).unwrap_err();
    assert_eq!(err.code(), "SignatureDoesNotMatch");
}

#[test]
fn tampered_data_is_refused() {
    let mut body = doc_signed_body();
    body[200] = b'b';
    assert_eq!(
        run(signed_payload(), &body, 1000).unwrap_err().code(),
        "SignatureDoesNotMatch"
    );
}

#[test]
fn tampered_trailer_is_refused_by_its_signature() {
    let body = String::from_utf8(doc_signed_trailer_body())
        .unwrap()
        .replace("sOO8/Q==", "sOO8/A==");
    assert_eq!(
        run(signed_trailer_payload(), body.as_bytes(), 1000)
            .unwrap_err()
            .code(),
        "SignatureDoesNotMatch"
    );
    let body = String::from_utf8(doc_signed_trailer_body())
        .unwrap()
        .replace("x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n", "");
    assert_eq!(
        run(signed_trailer_payload(), body.as_bytes(), 1000)
            .unwrap_err()
            .code(),
        "MalformedTrailerError"
    );
}

#[test]
fn missing_chunk_signature_in_signed_stream_is_a_signature_error() {
    let body = b"400\r\n".to_vec();
    assert_eq!(
        run(signed_payload(), &body, 10).unwrap_err().code(),
        "SignatureDoesNotMatch"
    );
}

#[test]
fn truncated_bodies_are_incomplete() {
    let body = doc_signed_body();
    for cut in [0, 10, 90, 5000, 65_600, body.len() - 40] {
        let err = run(signed_payload(), &body[..cut], 1000).unwrap_err();
        assert_eq!(err.code(), "IncompleteBody", "cut at {cut}");
    }
    let err = run(signed_payload(), &body[..5000], 1000).unwrap_err();
    assert_eq!(
        err.details(),
        vec![
            ("NumberBytesExpected", "66560".to_owned()),
            ("NumberBytesProvided", "4912".to_owned())
        ]
    );
}

#[test]
fn unsigned_trailer_body_verifies_and_tolerates_missing_final_crlf() {
    let data = vec![b'x'; 10_000];
    let crc = Checksum::compute(ChecksumAlgorithm::Crc32, &data).value;
    let trailer = format!("x-amz-checksum-crc32:{crc}\r\n");
    for end in ["\r\n", ""] {
        let body = unsigned_body(&[&data[..8192], &data[8192..]], &trailer, end);
        let payload = ChunkedPayload::unsigned(10_000, Some(ChecksumAlgorithm::Crc32));
        let (out, checksum) = run(payload, &body, 333).unwrap();
        assert_eq!(out, data);
        assert_eq!(checksum.unwrap().value, crc);
    }
}

#[test]
fn wrong_trailing_checksum_is_bad_digest() {
    let data = b"hello world";
    let wrong = Checksum::compute(ChecksumAlgorithm::Crc32, b"hello worlD").value;
    let body = unsigned_body(
        &[data],
        &format!("x-amz-checksum-crc32:{wrong}\r\n"),
        "\r\n",
    );
    let err = run(
        ChunkedPayload::unsigned(11, Some(ChecksumAlgorithm::Crc32)),
        &body,
        5,
    )
    .unwrap_err();
    assert_eq!(err.code(), "BadDigest");
    assert_eq!(
        err.to_string(),
        "The CRC32 you specified did not match the calculated checksum."
    );
}

#[test]
fn trailer_problems_get_s3_codes() {
    let data = b"hello";
    let crc = Checksum::compute(ChecksumAlgorithm::Crc32, data).value;
    let algo = Some(ChecksumAlgorithm::Crc32);
    let cases: [(&str, Option<ChecksumAlgorithm>, &str); 6] = [
        ("", algo, "MalformedTrailerError"),
        (
            "x-amz-checksum-crc32c:sOO8/Q==\r\n",
            algo,
            "MalformedTrailerError",
        ),
        (
            "x-amz-checksum-crc32 sOO8/Q==\r\n",
            algo,
            "MalformedTrailerError",
        ),
        (":sOO8/Q==\r\n", algo, "MalformedTrailerError"),
        (
            "x-amz-checksum-crc32:not-base64\r\n",
            algo,
            "InvalidRequest",
        ),
        (
            "x-amz-checksum-crc32:AAAA\r\n",
            None,
            "MalformedTrailerError",
        ),
    ];
    for (trailer, algorithm, code) in cases {
        let body = unsigned_body(&[data], trailer, "\r\n");
        let err = run(ChunkedPayload::unsigned(5, algorithm), &body, 3).unwrap_err();
        assert_eq!(err.code(), code, "{trailer:?}");
    }
    let body = unsigned_body(
        &[b"hellx"],
        &format!("x-amz-checksum-crc32:{crc}\r\n"),
        "\r\n",
    );
    assert_eq!(
        run(ChunkedPayload::unsigned(5, algo), &body, 3)
            .unwrap_err()
            .code(),
        "BadDigest"
    );
    assert_eq!(
        run(
            ChunkedPayload::unsigned(5, None),
            &unsigned_body(&[data], "", "\r\n"),
            2
        )
        .unwrap()
        .0,
        data
    );
}

#[test]
fn small_non_final_chunk_is_invalid_chunk_size() {
    let body = unsigned_body(&[b"abc", &[b'x'; 9000]], "", "\r\n");
    let err = run(ChunkedPayload::unsigned(9003, None), &body, 64).unwrap_err();
    assert_eq!(err.code(), "InvalidChunkSizeError");
    assert_eq!(
        err.details(),
        vec![("Chunk", "1".to_owned()), ("BadChunkSize", "3".to_owned())]
    );
}

#[test]
fn decoded_length_is_enforced_both_ways() {
    let body = unsigned_body(&[b"hello"], "", "\r\n");
    let err = run(ChunkedPayload::unsigned(9, None), &body, 4).unwrap_err();
    assert_eq!(err.details()[0], ("NumberBytesExpected", "9".to_owned()));
    let err = run(ChunkedPayload::unsigned(3, None), &body, 4).unwrap_err();
    assert_eq!(err.code(), "IncompleteBody");
    // Refused as soon as the count passes the declaration, before the excess is released.
    assert_eq!(err.details()[1], ("NumberBytesProvided", "5".to_owned()));
}

#[test]
fn bad_framing_is_refused() {
    let cases: [&[u8]; 6] = [
        b"zz\r\nhello\r\n0\r\n\r\n",
        b"5\nhello\r\n0\r\n\r\n",
        b"5\r\nhelloXX0\r\n\r\n",
        b"\r\nhello\r\n0\r\n\r\n",
        b"11111111111111111\r\n",
        b"5\r\nhello\r\n",
    ];
    for body in cases {
        let err = run(ChunkedPayload::unsigned(5, None), body, 3).unwrap_err();
        assert_eq!(
            err.code(),
            "IncompleteBody",
            "{:?}",
            String::from_utf8_lossy(body)
        );
    }
    let mut long = vec![b'1'; MAX_LINE + 10];
    long.extend_from_slice(b"\r\n");
    assert_eq!(
        run(ChunkedPayload::unsigned(5, None), &long, 100)
            .unwrap_err()
            .code(),
        "IncompleteBody"
    );
}

#[test]
fn oversized_signed_chunk_is_refused_before_reading_it() {
    let body = b"1000001;chunk-signature=00\r\n";
    let err = run(signed_payload(), body, 100).unwrap_err();
    assert_eq!(err.code(), "InvalidChunkSizeError");
}

#[test]
fn unsigned_trailer_signature_line_is_malformed() {
    let body = unsigned_body(&[b"hello"], "x-amz-trailer-signature:abcd\r\n", "\r\n");
    assert_eq!(
        run(ChunkedPayload::unsigned(5, None), &body, 4)
            .unwrap_err()
            .code(),
        "MalformedTrailerError"
    );
}

proptest! {
    #[test]
    fn random_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..400), step in 1usize..50) {
        let _ = run(ChunkedPayload::unsigned(10, Some(ChecksumAlgorithm::Crc32)), &body, step);
        let _ = run(signed_trailer_payload(), &body, step);
    }

    #[test]
    fn valid_unsigned_bodies_round_trip(data in proptest::collection::vec(any::<u8>(), 0..40_000), step in 1usize..20_000) {
        let chunks: Vec<&[u8]> = data.chunks(8192).collect();
        let crc = Checksum::compute(ChecksumAlgorithm::Crc64Nvme, &data).value;
        let body = unsigned_body(&chunks, &format!("x-amz-checksum-crc64nvme:{crc}\r\n"), "\r\n");
        let payload = ChunkedPayload::unsigned(data.len() as u64, Some(ChecksumAlgorithm::Crc64Nvme));
        let (out, checksum) = run(payload, &body, step).unwrap();
        prop_assert_eq!(out, data);
        prop_assert_eq!(checksum.map(|c| c.value), Some(crc));
    }
}
