use std::pin::Pin;

use futures_util::{FutureExt as _, StreamExt as _};
use proptest::prelude::*;

use super::*;

const P: usize = PACKAGE_PLAINTEXT;
const P64: u64 = PACKAGE_PLAINTEXT as u64;

/// xorshift64*: deterministic test data without a dependency on rand's algorithms.
fn test_data(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

fn key(byte: u8) -> DataKey {
    DataKey::from_bytes([byte; 32])
}

fn binding() -> Binding {
    Binding::new("photos", "2024/cat.jpg", b"v-0001", 0)
}

/// The packages `Encryptor` emits for `plain`, pushed `chunk` bytes at a time.
fn encrypt_with(
    key: &DataKey,
    binding: Binding,
    stream: u32,
    plain: &[u8],
    chunk: usize,
) -> Vec<Bytes> {
    let mut enc = Encryptor::new(key, binding, stream, plain.len() as u64);
    let mut packages = Vec::new();
    for piece in plain.chunks(chunk) {
        enc.push(piece, &mut packages).expect("push");
    }
    packages.extend(enc.finish().expect("finish"));
    packages
}

fn encrypt(plain: &[u8]) -> Vec<u8> {
    encrypt_with(&key(1), binding(), 0, plain, 100 * 1024).concat()
}

/// Decrypts `cipher` (the span's bytes only) `chunk` bytes at a time. On failure, also returns
/// what was output before it.
fn decrypt_with(
    key: &DataKey,
    binding: Binding,
    stream: u32,
    plain_len: u64,
    span: &CipherSpan,
    cipher: &[u8],
    chunk: usize,
) -> Result<Vec<u8>, (CryptoError, Vec<u8>)> {
    let mut dec = Decryptor::new(key, binding, stream, plain_len, span);
    let mut out = Vec::new();
    for piece in cipher.chunks(chunk) {
        if let Err(err) = dec.push(piece, &mut out) {
            return Err((err, out.concat()));
        }
    }
    dec.finish().map_err(|err| (err, out.concat()))?;
    Ok(out.concat())
}

fn decrypt_whole(
    binding: Binding,
    stream: u32,
    plain_len: u64,
    cipher: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let span = ciphertext_span(0..plain_len, plain_len);
    decrypt_with(
        &key(1),
        binding,
        stream,
        plain_len,
        &span,
        cipher,
        100 * 1024,
    )
    .map_err(|(err, _)| err)
}

const EDGE_LENGTHS: [usize; 6] = [0, 1, P - 1, P, P + 1, 3 * P + 5];

#[test]
fn round_trips_at_package_edges_in_any_chunking() {
    for len in EDGE_LENGTHS {
        let plain = test_data(len, len as u64);
        for chunk in [1, 7, 100 * 1024] {
            let packages = encrypt_with(&key(1), binding(), 0, &plain, chunk);
            assert_eq!(
                packages.len() as u64,
                package_count(len as u64),
                "len {len}"
            );
            for (i, package) in packages.iter().enumerate() {
                let expect = if i + 1 < packages.len() {
                    P + TAG_LEN
                } else {
                    (len - i * P) + TAG_LEN
                };
                assert_eq!(package.len(), expect, "len {len} package {i}");
            }
            let cipher = packages.concat();
            assert_eq!(cipher.len() as u64, encrypted_len(len as u64), "len {len}");
            let span = ciphertext_span(0..len as u64, len as u64);
            let back = decrypt_with(&key(1), binding(), 0, len as u64, &span, &cipher, chunk);
            assert!(back.as_deref() == Ok(&plain[..]), "len {len} chunk {chunk}");
        }
    }
}

#[test]
fn an_unbounded_encryptor_seals_what_a_bounded_one_does() {
    for len in EDGE_LENGTHS {
        let plain = test_data(len, 11);
        let bounded = encrypt_with(&key(1), binding(), 3, &plain, 7 * 1024).concat();
        for chunk in [1, 7, P, 100 * 1024] {
            let mut enc = Encryptor::unbounded(&key(1), binding(), 3);
            let mut packages = Vec::new();
            let mut pushed = 0;
            for piece in plain.chunks(chunk) {
                enc.push(piece, &mut packages).expect("push");
                pushed += piece.len();
                // Memory stays bounded: at most one package is held back.
                assert!(packages.len() * P + P >= pushed, "{pushed} bytes pushed");
            }
            packages.extend(enc.finish().expect("finish"));
            assert_eq!(
                packages.concat(),
                bounded,
                "length {len}, chunks of {chunk}"
            );
        }
    }
}

#[test]
fn encrypted_len_adds_one_tag_per_package() {
    let t = TAG_LEN as u64;
    for (plain, packages, cipher) in [
        (0, 0, 0),
        (1, 1, 1 + t),
        (P64 - 1, 1, P64 - 1 + t),
        (P64, 1, P64 + t),
        (P64 + 1, 2, P64 + 1 + 2 * t),
        (3 * P64 + 5, 4, 3 * P64 + 5 + 4 * t),
        (5 << 40, (5 << 40) / P64, (5 << 40) + (5 << 40) / P64 * t),
    ] {
        assert_eq!(package_count(plain), packages, "{plain}");
        assert_eq!(encrypted_len(plain), cipher, "{plain}");
    }
}

#[test]
fn ciphertext_spans_cover_whole_packages() {
    let len = 3 * P64 + 5;
    let c = P64 + TAG_LEN as u64;
    for (range, cipher, first_package, skip, take) in [
        (0..1, 0..c, 0, 0, 1),
        (len - 1..len, 3 * c..encrypted_len(len), 3, 4, 1),
        (P64 - 1..2 * P64 + 1, 0..3 * c, 0, P - 1, P64 + 2),
        (P64 + 10..P64 + 20, c..2 * c, 1, 10, 10),
        (0..len, 0..encrypted_len(len), 0, 0, len),
        // Clipped to the object.
        (2 * P64..len + 100, 2 * c..encrypted_len(len), 2, 0, P64 + 5),
    ] {
        let span = ciphertext_span(range.clone(), len);
        let expect = CipherSpan {
            cipher,
            first_package,
            skip,
            take,
        };
        assert_eq!(span, expect, "{range:?}");
    }
    // Empty, reversed (built from values: a literal reversed range is a lint error) and past
    // the end.
    let (seven, three) = (7, 3);
    for empty in [5..5, seven..three, len..len + 10] {
        assert_eq!(ciphertext_span(empty, len), CipherSpan::default());
    }
}

#[test]
fn ranged_reads_decrypt_only_their_span() {
    let len = 3 * P + 5;
    let plain = test_data(len, 42);
    let cipher = encrypt(&plain);
    let len64 = len as u64;
    for range in [
        0..1,
        len64 - 1..len64,
        P64 - 1..2 * P64 + 1,
        P64 + 10..P64 + 20,
        0..len64,
        3 * P64..len64,
        5..5,
    ] {
        let span = ciphertext_span(range.clone(), len64);
        let part = &cipher[span.cipher.start as usize..span.cipher.end as usize];
        for chunk in [7, 100 * 1024] {
            let got = decrypt_with(&key(1), binding(), 0, len64, &span, part, chunk);
            let want = &plain[range.start as usize..range.end as usize];
            assert!(got.as_deref() == Ok(want), "{range:?} chunk {chunk}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn any_range_of_any_length_reads_back(len in 0..3 * P + 10, a in 0..3 * P + 20, b in 0..3 * P + 20) {
        let plain = test_data(len, len as u64 ^ 7);
        let cipher = encrypt(&plain);
        let range = a.min(b) as u64..a.max(b) as u64;
        let span = ciphertext_span(range.clone(), len as u64);
        let part = &cipher[span.cipher.start as usize..span.cipher.end as usize];
        let got = decrypt_with(&key(1), binding(), 0, len as u64, &span, part, 4099);
        let want = plain.get(range.start as usize..(range.end as usize).min(len)).unwrap_or(&[]);
        prop_assert!(got.as_deref() == Ok(want));
    }
}

#[test]
fn a_flipped_bit_fails_its_package_and_yields_nothing_of_it() {
    let plain = test_data(3 * P + 5, 3);
    let cipher = encrypt(&plain);
    let c = P + TAG_LEN;
    // In package 1's body, and in the last package's tag.
    for (offset, package) in [(c + 100, 1), (cipher.len() - 1, 3)] {
        let mut bad = cipher.clone();
        bad[offset] ^= 0x10;
        let span = ciphertext_span(0..plain.len() as u64, plain.len() as u64);
        let (err, out) = decrypt_with(&key(1), binding(), 0, plain.len() as u64, &span, &bad, 7)
            .expect_err("tampered");
        assert!(
            matches!(err, CryptoError::Authentication { package: p } if p == package),
            "{err}"
        );
        assert_eq!(out, plain[..package as usize * P]);
    }
}

#[test]
fn a_failed_decryptor_stays_failed() {
    let plain = test_data(2 * P, 4);
    let mut cipher = encrypt(&plain);
    cipher[3] ^= 1;
    let span = ciphertext_span(0..2 * P64, 2 * P64);
    let mut dec = Decryptor::new(&key(1), binding(), 0, 2 * P64, &span);
    let mut out = Vec::new();
    let c = P + TAG_LEN;
    assert!(matches!(
        dec.push(&cipher[..c], &mut out),
        Err(CryptoError::Authentication { package: 0 })
    ));
    // Skipping past the bad package must not resume decryption at the next one.
    assert!(matches!(
        dec.push(&cipher[c..], &mut out),
        Err(CryptoError::Authentication { package: 0 })
    ));
    assert!(matches!(
        dec.finish(),
        Err(CryptoError::Authentication { package: 0 })
    ));
    assert!(out.is_empty());
}

#[test]
fn swapped_packages_fail() {
    let plain = test_data(3 * P, 5);
    let cipher = encrypt(&plain);
    let c = P + TAG_LEN;
    let mut swapped = cipher[c..2 * c].to_vec();
    swapped.extend_from_slice(&cipher[..c]);
    swapped.extend_from_slice(&cipher[2 * c..]);
    let err = decrypt_whole(binding(), 0, 3 * P64, &swapped).expect_err("swapped");
    assert!(
        matches!(err, CryptoError::Authentication { package: 0 }),
        "{err}"
    );
}

#[test]
fn a_stream_cut_at_a_package_boundary_fails() {
    let plain = test_data(3 * P, 6);
    let cipher = encrypt(&plain);
    let cut = &cipher[..2 * (P + TAG_LEN)];
    let err = decrypt_whole(binding(), 0, 3 * P64, cut).expect_err("short input");
    assert!(matches!(err, CryptoError::Truncated), "{err}");
    // Even with the length shortened to match, package 1 was not sealed as the last one.
    let err = decrypt_whole(binding(), 0, 2 * P64, cut).expect_err("shortened length");
    assert!(
        matches!(err, CryptoError::Authentication { package: 1 }),
        "{err}"
    );
}

#[test]
fn ciphertext_ending_mid_package_or_running_past_the_span_fails() {
    let plain = test_data(P + 9, 8);
    let cipher = encrypt(&plain);
    let err =
        decrypt_whole(binding(), 0, P64 + 9, &cipher[..cipher.len() - 1]).expect_err("mid-package");
    assert!(matches!(err, CryptoError::Truncated), "{err}");
    let span = ciphertext_span(0..1, P64 + 9);
    let (err, _) =
        decrypt_with(&key(1), binding(), 0, P64 + 9, &span, &cipher, 1024).expect_err("too much");
    assert!(matches!(err, CryptoError::TrailingCiphertext), "{err}");
    let (err, _) = decrypt_with(
        &key(1),
        binding(),
        0,
        P64 + 9,
        &CipherSpan::default(),
        &cipher,
        1024,
    )
    .expect_err("empty span");
    assert!(matches!(err, CryptoError::TrailingCiphertext), "{err}");
}

#[test]
fn packages_open_only_under_their_binding_stream_and_key() {
    let plain = test_data(P + 3, 9);
    let len = plain.len() as u64;
    let cipher = encrypt(&plain);
    for (what, other, stream) in [
        (
            "bucket",
            Binding::new("photoz", "2024/cat.jpg", b"v-0001", 0),
            0,
        ),
        (
            "key",
            Binding::new("photos", "2024/dog.jpg", b"v-0001", 0),
            0,
        ),
        (
            "version",
            Binding::new("photos", "2024/cat.jpg", b"v-0002", 0),
            0,
        ),
        (
            "stream id in binding",
            Binding::new("photos", "2024/cat.jpg", b"v-0001", 1),
            0,
        ),
        ("stream id in nonce", binding(), 1),
    ] {
        let err = decrypt_whole(other, stream, len, &cipher).expect_err(what);
        assert!(
            matches!(err, CryptoError::Authentication { package: 0 }),
            "{what}: {err}"
        );
    }
    let span = ciphertext_span(0..len, len);
    let (err, _) =
        decrypt_with(&key(2), binding(), 0, len, &span, &cipher, 4096).expect_err("other key");
    assert!(
        matches!(err, CryptoError::Authentication { package: 0 }),
        "{err}"
    );
}

#[test]
fn binding_fields_cannot_run_into_each_other() {
    assert_ne!(
        Binding::new("ab", "c", b"", 0),
        Binding::new("a", "bc", b"", 0)
    );
    assert_ne!(
        Binding::new("a", "b", b"c", 0),
        Binding::new("a", "bc", b"", 0)
    );
    assert_ne!(
        Binding::new("a", "b", b"", 0),
        Binding::new("a", "b", b"", 1)
    );
}

#[test]
fn the_same_plaintext_differs_under_other_keys_and_streams() {
    let plain = test_data(1000, 10);
    let one = encrypt_with(&key(1), binding(), 0, &plain, 1000).concat();
    let two = encrypt_with(&key(2), binding(), 0, &plain, 1000).concat();
    let part = encrypt_with(&key(1), binding(), 1, &plain, 1000).concat();
    assert_ne!(one[..1000], two[..1000]);
    assert_ne!(one[..1000], part[..1000]);
    assert_ne!(one[..1000], plain[..]);
}

#[test]
fn the_encryptor_holds_the_plaintext_to_its_declared_length() {
    let mut enc = Encryptor::new(&key(1), binding(), 0, 10);
    let mut out = Vec::new();
    enc.push(&[0; 8], &mut out).expect("within length");
    let err = enc.push(&[0; 3], &mut out).expect_err("past length");
    assert!(
        matches!(
            err,
            CryptoError::LengthMismatch {
                expected: 10,
                got: 11
            }
        ),
        "{err}"
    );
    let err = enc.finish().expect_err("short");
    assert!(
        matches!(
            err,
            CryptoError::LengthMismatch {
                expected: 10,
                got: 8
            }
        ),
        "{err}"
    );
    assert!(out.is_empty());
}

#[test]
fn data_keys_are_random_and_never_printed() {
    let key = DataKey::generate();
    assert_ne!(key.as_bytes(), DataKey::generate().as_bytes());
    assert_eq!(format!("{key:?}"), "DataKey(..)");
    assert_eq!(DataKey::from_bytes([9; 32]).as_bytes(), &[9; 32]);
}

#[derive(Debug)]
enum BodyError {
    Crypto(CryptoError),
    Input,
}

impl From<CryptoError> for BodyError {
    fn from(err: CryptoError) -> BodyError {
        BodyError::Crypto(err)
    }
}

fn body(
    data: &[u8],
    chunk: usize,
) -> impl Stream<Item = Result<Bytes, BodyError>> + Send + Unpin + 'static {
    let chunks: Vec<_> = data
        .chunks(chunk)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    stream::iter(chunks)
}

fn collect<S: Stream<Item = Result<Bytes, BodyError>>>(stream: S) -> Vec<Result<Bytes, BodyError>> {
    stream
        .collect::<Vec<_>>()
        .now_or_never()
        .expect("test streams never wait")
}

#[test]
fn the_stream_adapters_round_trip_a_body() {
    let plain = test_data(2 * P + 77, 11);
    let len = plain.len() as u64;
    let enc = Encryptor::new(&key(1), binding(), 3, len);
    let encrypted: Pin<Box<dyn Stream<Item = Result<Bytes, BodyError>> + Send>> =
        Box::pin(encrypt_stream(body(&plain, 5000), enc));
    let cipher: Vec<u8> = collect(encrypted)
        .into_iter()
        .map(|r| r.expect("encrypt").to_vec())
        .collect::<Vec<_>>()
        .concat();
    assert_eq!(
        cipher,
        encrypt_with(&key(1), binding(), 3, &plain, 5000).concat()
    );

    let span = ciphertext_span(P64 - 2..P64 + 2, len);
    let part = &cipher[span.cipher.start as usize..span.cipher.end as usize];
    let dec = Decryptor::new(&key(1), binding(), 3, len, &span);
    let got: Vec<u8> = collect(decrypt_stream(body(part, 999), dec))
        .into_iter()
        .map(|r| r.expect("decrypt").to_vec())
        .collect::<Vec<_>>()
        .concat();
    assert_eq!(got, plain[P - 2..P + 2]);
}

#[test]
fn the_decrypt_stream_ends_with_the_error_and_nothing_after_it() {
    let plain = test_data(3 * P, 12);
    let mut cipher = encrypt(&plain);
    cipher[P + TAG_LEN + 1] ^= 1;
    let span = ciphertext_span(0..3 * P64, 3 * P64);
    let dec = Decryptor::new(&key(1), binding(), 0, 3 * P64, &span);
    let items = collect(decrypt_stream(body(&cipher, P + TAG_LEN), dec));
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].as_ref().expect("package 0")[..], plain[..P]);
    assert!(matches!(
        items[1],
        Err(BodyError::Crypto(CryptoError::Authentication {
            package: 1
        }))
    ));
}

#[test]
fn the_encrypt_stream_passes_input_errors_and_short_bodies_on() {
    let enc = Encryptor::new(&key(1), binding(), 0, 100);
    let input = stream::iter(vec![
        Ok(Bytes::from_static(&[1; 10])),
        Err(BodyError::Input),
    ]);
    let items = collect(encrypt_stream(input, enc));
    assert!(matches!(items[..], [Err(BodyError::Input)]));

    let enc = Encryptor::new(&key(1), binding(), 0, 100);
    let items = collect(encrypt_stream(body(&[1; 99], 10), enc));
    assert!(matches!(
        items[..],
        [Err(BodyError::Crypto(CryptoError::LengthMismatch {
            expected: 100,
            got: 99
        }))]
    ));
}
