//! aws-chunked decoding (`Content-Encoding: aws-chunked`) with chunk signatures and trailers.
//!
//! Wire format, per chunk: `<hex size>[;chunk-signature=<64 hex>]\r\n<data>\r\n`, ended by a
//! zero-size chunk, then optional trailer lines (`x-amz-checksum-crc32:<b64>`, and with a signed
//! trailer `x-amz-trailer-signature:<64 hex>`), then an empty line.
//!
//! [`ChunkedDecoder`] is a sans-I/O state machine: it is fed the raw body piece by piece and hands
//! back decoded data as zero-copy slices of the input. It never holds more than one framing line
//! (≤ [`MAX_LINE`] bytes) or the trailer section (≤ [`MAX_TRAILER`] bytes), never a chunk's data:
//! data is released as it arrives and its chunk signature is checked when the chunk ends. That is
//! safe because every failure (signature, framing, length, checksum) surfaces as an error before
//! the end of the body, and consumers commit only after a clean end.
//!
//! Compatibility decisions, each matching what S3 accepts from real clients:
//! - Non-final data chunks must be ≥ 8 KiB (`InvalidChunkSizeError`, S3 enforces this for signed
//!   and unsigned streaming alike). Signed chunks are capped at [`MAX_SIGNED_CHUNK`].
//! - After the zero-size chunk, lines are read up to the end of the body: empty lines are ignored
//!   and the final CRLF may be missing (clients differ: some send `0\r\n<trailer>\r\n\r\n`, some an
//!   extra CRLF before the trailer, some stop after the last trailer line). Trailer lines may end
//!   in CRLF or LF. Nothing is lost by this tolerance: each trailer value is verified on its own.
//! - The trailer signature covers the trailer lines as `name:value\n`, in the order received.

use bytes::{Bytes, BytesMut};
use sha2::{Digest, Sha256};

use super::error::AuthError;
use super::signing_key::SigningKey;
use super::sigv4::{EMPTY_SHA256, signature, signatures_match};
use crate::checksum::{Checksum, ChecksumAlgorithm, ChecksumHasher};

/// Longest chunk-header line accepted (a signed header line is ~90 bytes).
pub const MAX_LINE: usize = 4096;
/// Largest trailer section accepted.
pub const MAX_TRAILER: usize = 16 * 1024;
/// Largest signed chunk accepted: bounds the data a chunk signature vouches for after the fact.
pub const MAX_SIGNED_CHUNK: u64 = 16 * 1024 * 1024;
/// S3's minimum size of every data chunk but the last.
pub const MIN_CHUNK: u64 = 8 * 1024;

/// What a signed stream's chunk and trailer signatures are chained from.
#[derive(Clone, Debug)]
pub struct ChunkSigning {
    pub(crate) key: SigningKey,
    /// The request's timestamp as it appears in its string to sign (`yyyyMMdd'T'HHmmss'Z'`).
    pub(crate) amz_date: String,
    /// `<date>/<region>/<service>/aws4_request`.
    pub(crate) scope: String,
    /// The request signature: the "previous signature" of the first chunk.
    pub(crate) seed: String,
    pub(crate) access_key: String,
}

/// Everything needed to decode one aws-chunked body; built by `verify_request`.
#[derive(Clone, Debug)]
pub struct ChunkedPayload {
    pub(crate) signing: Option<ChunkSigning>,
    /// Whether the payload mode was one of the `-TRAILER` ones.
    pub(crate) trailer_mode: bool,
    /// The checksum named by `x-amz-trailer`.
    pub(crate) trailer: Option<ChecksumAlgorithm>,
    pub(crate) decoded_len: u64,
}

impl ChunkedPayload {
    /// An unsigned aws-chunked payload (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`).
    pub fn unsigned(decoded_len: u64, trailer: Option<ChecksumAlgorithm>) -> Self {
        ChunkedPayload {
            signing: None,
            trailer_mode: true,
            trailer,
            decoded_len,
        }
    }

    /// The payload size (`x-amz-decoded-content-length`).
    pub fn decoded_len(&self) -> u64 {
        self.decoded_len
    }

    /// The checksum the trailer will carry, if the client announced one.
    pub fn trailer(&self) -> Option<ChecksumAlgorithm> {
        self.trailer
    }

    /// Whether chunks carry signatures.
    pub fn is_signed(&self) -> bool {
        self.signing.is_some()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a `<size>[;ext]\r\n` line into `line`.
    Header,
    /// Passing `remaining` data bytes through.
    Data,
    /// Expecting the `\r\n` after the data; `usize` is how many of its bytes were seen.
    DataEnd(usize),
    /// After the zero-size chunk: collecting trailer lines until the body ends.
    Trailer,
    /// Error reported; nothing more is decoded.
    Failed,
}

/// The aws-chunked state machine. Feed it with [`decode`](Self::decode), close it with
/// [`finish`](Self::finish).
pub struct ChunkedDecoder {
    payload: ChunkedPayload,
    state: State,
    line: BytesMut,
    remaining: u64,
    /// 1-based number of the current chunk.
    chunk_number: u64,
    current_size: u64,
    /// Size of the previous data chunk when it was below [`MIN_CHUNK`]: only the last may be.
    small_chunk: Option<(u64, u64)>,
    decoded: u64,
    /// Signature announced for the current chunk, and the running hash of its data.
    chunk_signature: String,
    chunk_hash: Sha256,
    /// Signature of the previous chunk (starts as the seed).
    previous_signature: String,
    checksum: Option<ChecksumHasher>,
}

fn framing_error() -> AuthError {
    AuthError::body_truncated()
}

impl ChunkedDecoder {
    pub fn new(payload: ChunkedPayload) -> Self {
        let previous_signature = payload
            .signing
            .as_ref()
            .map(|s| s.seed.clone())
            .unwrap_or_default();
        let checksum = payload.trailer.map(|a| a.hasher());
        ChunkedDecoder {
            payload,
            state: State::Header,
            line: BytesMut::new(),
            remaining: 0,
            chunk_number: 0,
            current_size: 0,
            small_chunk: None,
            decoded: 0,
            chunk_signature: String::new(),
            chunk_hash: Sha256::new(),
            previous_signature,
            checksum,
        }
    }

    /// Consumes framing from `input` and returns the next slice of decoded data, or `None` once
    /// `input` is used up. Call again while `input` is non-empty. After an error the decoder stays
    /// failed: later calls decode nothing, so the error is reported once.
    pub fn decode(&mut self, input: &mut Bytes) -> Result<Option<Bytes>, AuthError> {
        let result = self.decode_inner(input);
        if result.is_err() {
            self.state = State::Failed;
            input.clear();
        }
        result
    }

    fn decode_inner(&mut self, input: &mut Bytes) -> Result<Option<Bytes>, AuthError> {
        while !input.is_empty() {
            match self.state {
                State::Header => {
                    if self.read_line(input, MAX_LINE)? {
                        let line = self.line.split().freeze();
                        self.start_chunk(&line)?;
                    }
                }
                State::Data => {
                    let take = usize::try_from(self.remaining)
                        .unwrap_or(usize::MAX)
                        .min(input.len());
                    let data = input.split_to(take);
                    self.remaining -= take as u64;
                    self.decoded += take as u64;
                    if self.decoded > self.payload.decoded_len {
                        return Err(AuthError::length_mismatch(
                            self.payload.decoded_len,
                            self.decoded,
                        ));
                    }
                    if self.payload.signing.is_some() {
                        self.chunk_hash.update(&data);
                    }
                    if let Some(c) = &mut self.checksum {
                        c.update(&data);
                    }
                    if self.remaining == 0 {
                        self.state = State::DataEnd(0);
                    }
                    return Ok(Some(data));
                }
                State::DataEnd(seen) => {
                    if seen == 0 {
                        // The chunk's data is complete: its signature can be checked now.
                        self.verify_chunk_signature()?;
                    }
                    let expected = b"\r\n"[seen];
                    if input[0] != expected {
                        return Err(framing_error());
                    }
                    let _ = input.split_to(1);
                    self.state = if seen == 1 {
                        State::Header
                    } else {
                        State::DataEnd(1)
                    };
                }
                State::Trailer => {
                    if self.line.len() + input.len() > MAX_TRAILER {
                        return Err(AuthError::MalformedTrailerError);
                    }
                    self.line.extend_from_slice(input);
                    input.clear();
                }
                State::Failed => {
                    input.clear();
                }
            }
        }
        Ok(None)
    }

    /// Moves bytes up to and including `\n` into `self.line`; true when a line is complete
    /// (its terminator stripped; the chunk-header grammar requires CRLF).
    fn read_line(&mut self, input: &mut Bytes, max: usize) -> Result<bool, AuthError> {
        match input.iter().position(|b| *b == b'\n') {
            Some(i) => {
                let part = input.split_to(i + 1);
                if self.line.len() + part.len() > max {
                    return Err(framing_error());
                }
                self.line.extend_from_slice(&part);
                if !self.line.ends_with(b"\r\n") {
                    return Err(framing_error());
                }
                self.line.truncate(self.line.len() - 2);
                Ok(true)
            }
            None => {
                if self.line.len() + input.len() > max {
                    return Err(framing_error());
                }
                self.line.extend_from_slice(input);
                input.clear();
                Ok(false)
            }
        }
    }

    /// Handles a complete chunk-header line.
    fn start_chunk(&mut self, line: &[u8]) -> Result<(), AuthError> {
        let line = std::str::from_utf8(line).map_err(|_| framing_error())?;
        let (size, extensions) = line.split_once(';').unwrap_or((line, ""));
        let size = size.trim_end_matches([' ', '\t']);
        if size.is_empty() || size.len() > 16 || !size.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(framing_error());
        }
        let size = u64::from_str_radix(size, 16).map_err(|_| framing_error())?;
        self.chunk_number += 1;

        if size > 0 {
            if let Some((number, small)) = self.small_chunk {
                return Err(AuthError::InvalidChunkSizeError {
                    message: "Only the last chunk is allowed to have a size less than 8192 bytes",
                    chunk: number,
                    size: small,
                });
            }
            if size < MIN_CHUNK {
                self.small_chunk = Some((self.chunk_number, size));
            }
        }

        if let Some(signing) = &self.payload.signing {
            if size > MAX_SIGNED_CHUNK {
                return Err(AuthError::InvalidChunkSizeError {
                    message: "Chunk size exceeds the maximum of 16777216 bytes for a signed chunk",
                    chunk: self.chunk_number,
                    size,
                });
            }
            let announced = extensions
                .split(';')
                .filter_map(|e| e.split_once('='))
                .find(|(k, _)| k.trim() == "chunk-signature")
                .map(|(_, v)| v.trim());
            // A chunk without its signature in a signed stream cannot be verified: it is a
            // signing error on the client's side, so report it as one.
            let Some(announced) = announced else {
                return Err(AuthError::signature_mismatch(
                    &signing.access_key,
                    String::new(),
                    String::new(),
                    "",
                ));
            };
            self.chunk_signature = announced.to_owned();
            self.chunk_hash = Sha256::new();
        }

        self.current_size = size;
        if size == 0 {
            // The final chunk is signed too (over empty data).
            self.verify_chunk_signature()?;
            self.state = State::Trailer;
        } else {
            self.remaining = size;
            self.state = State::Data;
        }
        Ok(())
    }

    fn verify_chunk_signature(&mut self) -> Result<(), AuthError> {
        let Some(signing) = &self.payload.signing else {
            return Ok(());
        };
        let data_hash = std::mem::take(&mut self.chunk_hash).finalize();
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{}\n{}\n{EMPTY_SHA256}\n{}",
            signing.amz_date,
            signing.scope,
            self.previous_signature,
            hex::encode(data_hash)
        );
        let computed = signature(signing.key.as_ref(), &string_to_sign);
        if !signatures_match(&computed, &self.chunk_signature) {
            return Err(AuthError::signature_mismatch(
                &signing.access_key,
                string_to_sign,
                String::new(),
                &self.chunk_signature,
            ));
        }
        self.previous_signature = computed;
        Ok(())
    }

    /// Called when the body has ended: checks that the framing is complete, the payload length,
    /// the trailer's shape and signature, and the trailing checksum. Returns the verified
    /// trailing checksum.
    pub fn finish(&mut self) -> Result<Option<Checksum>, AuthError> {
        let result = self.finish_inner();
        self.state = State::Failed;
        result
    }

    fn finish_inner(&mut self) -> Result<Option<Checksum>, AuthError> {
        if self.state != State::Trailer {
            // Ended inside a chunk or before the zero-size chunk. A short payload is reported
            // with its numbers when that explains it.
            if self.state == State::Data && self.decoded < self.payload.decoded_len {
                return Err(AuthError::length_mismatch(
                    self.payload.decoded_len,
                    self.decoded,
                ));
            }
            return Err(framing_error());
        }
        if self.decoded != self.payload.decoded_len {
            return Err(AuthError::length_mismatch(
                self.payload.decoded_len,
                self.decoded,
            ));
        }

        let section = self.line.split().freeze();
        let mut trailers: Vec<(String, String)> = Vec::new();
        let mut trailer_signature: Option<String> = None;
        for raw in section.split(|b| *b == b'\n') {
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            if raw.is_empty() {
                continue;
            }
            let text = std::str::from_utf8(raw).map_err(|_| AuthError::MalformedTrailerError)?;
            let (name, value) = text
                .split_once(':')
                .ok_or(AuthError::MalformedTrailerError)?;
            let name = name.trim().to_ascii_lowercase();
            if name.is_empty() || trailer_signature.is_some() {
                // Nothing may follow the trailer signature: it would not be covered by it.
                return Err(AuthError::MalformedTrailerError);
            }
            if name == "x-amz-trailer-signature" {
                trailer_signature = Some(value.trim().to_owned());
            } else {
                trailers.push((name, value.trim().to_owned()));
            }
        }

        if !self.payload.trailer_mode && (!trailers.is_empty() || trailer_signature.is_some()) {
            return Err(AuthError::MalformedTrailerError);
        }
        if let (true, Some(signing)) = (self.payload.trailer_mode, &self.payload.signing) {
            let provided = trailer_signature.ok_or(AuthError::MalformedTrailerError)?;
            let mut canonical = String::new();
            for (name, value) in &trailers {
                canonical.push_str(name);
                canonical.push(':');
                canonical.push_str(value);
                canonical.push('\n');
            }
            let string_to_sign = format!(
                "AWS4-HMAC-SHA256-TRAILER\n{}\n{}\n{}\n{}",
                signing.amz_date,
                signing.scope,
                self.previous_signature,
                hex::encode(Sha256::digest(canonical.as_bytes()))
            );
            let computed = signature(signing.key.as_ref(), &string_to_sign);
            if !signatures_match(&computed, &provided) {
                return Err(AuthError::signature_mismatch(
                    &signing.access_key,
                    string_to_sign,
                    String::new(),
                    &provided,
                ));
            }
        } else if trailer_signature.is_some() {
            return Err(AuthError::MalformedTrailerError);
        }

        // Exactly the announced trailer, no other.
        let Some(algorithm) = self.payload.trailer else {
            return if trailers.is_empty() {
                Ok(None)
            } else {
                Err(AuthError::MalformedTrailerError)
            };
        };
        let [(name, value)] = trailers.as_slice() else {
            return Err(AuthError::MalformedTrailerError);
        };
        if name != algorithm.header_name() {
            return Err(AuthError::MalformedTrailerError);
        }
        let declared =
            Checksum::parse(algorithm, value).map_err(|_| AuthError::InvalidRequest {
                message: format!(
                    "Value for {} trailing header is invalid.",
                    algorithm.header_name()
                ),
            })?;
        let computed = self
            .checksum
            .take()
            .map(ChecksumHasher::finish)
            .ok_or(AuthError::MalformedTrailerError)?;
        declared
            .verify(&computed)
            .map_err(|_| AuthError::BadDigest { algorithm })?;
        Ok(Some(declared))
    }
}

#[cfg(test)]
pub(crate) mod tests;
