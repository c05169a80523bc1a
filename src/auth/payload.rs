//! [`VerifiedBody`]: the request body as a stream of payload bytes that is checked while it
//! flows — against the signed SHA-256, or through the aws-chunked decoder (chunk signatures,
//! framing, decoded length, trailing checksum).
//!
//! Contract with consumers: bytes are yielded as soon as they arrive (nothing is buffered beyond
//! one framing line), so they are *unverified until the stream ends*. Any failure is yielded as the
//! last item, right before the end; a consumer that commits only after a clean end therefore never
//! commits bad data. After a clean end, [`TrailerHandle::get`] returns the verified trailing
//! checksum.
//!
//! The body is only polled when the consumer polls this stream, never before: hyper sends
//! `100 Continue` on the first poll, and that must wait until the request is authorized.

use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::{Stream, StreamExt as _, TryStreamExt as _};
use sha2::{Digest, Sha256};

use super::PayloadCheck;
use super::chunked::ChunkedDecoder;
use super::error::AuthError;
use crate::checksum::Checksum;

type RawBody = Pin<Box<dyn Stream<Item = Result<Bytes, String>> + Send>>;

/// Shared view of the trailing checksum, filled in when the body ended cleanly.
#[derive(Clone, Debug, Default)]
pub struct TrailerHandle(Arc<OnceLock<Checksum>>);

impl TrailerHandle {
    /// The verified trailing checksum; `None` before a clean end or when there was none.
    pub fn get(&self) -> Option<Checksum> {
        self.0.get().cloned()
    }
}

enum Mode {
    Unsigned,
    Sha256 {
        expected: [u8; 32],
        hasher: Sha256,
    },
    Chunked {
        decoder: Box<ChunkedDecoder>,
        pending: Bytes,
    },
}

/// The verifying body stream returned by [`verify_body`](super::verify_body).
pub struct VerifiedBody {
    /// `None` once the stream has ended (cleanly or not): the raw body is dropped early.
    inner: Option<RawBody>,
    mode: Mode,
    trailer: TrailerHandle,
}

impl VerifiedBody {
    pub(crate) fn new<S, E>(body: S, check: PayloadCheck) -> Self
    where
        S: Stream<Item = Result<Bytes, E>> + Send + Unpin + 'static,
        E: std::fmt::Display,
    {
        let mode = match check {
            PayloadCheck::Unsigned => Mode::Unsigned,
            PayloadCheck::Sha256(expected) => Mode::Sha256 {
                expected,
                hasher: Sha256::new(),
            },
            PayloadCheck::Chunked(payload) => Mode::Chunked {
                decoder: Box::new(ChunkedDecoder::new(payload)),
                pending: Bytes::new(),
            },
        };
        VerifiedBody {
            inner: Some(Box::pin(body.map_err(|e| e.to_string()))),
            mode,
            trailer: TrailerHandle::default(),
        }
    }

    /// A handle to read the verified trailing checksum once the stream has ended.
    pub fn trailer(&self) -> TrailerHandle {
        self.trailer.clone()
    }

    /// Called when the raw body ended: the final checks.
    fn finish(&mut self) -> Result<(), AuthError> {
        match &mut self.mode {
            Mode::Unsigned => Ok(()),
            Mode::Sha256 { expected, hasher } => {
                let computed: [u8; 32] = std::mem::take(hasher).finalize().into();
                if computed == *expected {
                    Ok(())
                } else {
                    Err(AuthError::XAmzContentSHA256Mismatch {
                        client_computed: hex::encode(expected),
                        s3_computed: hex::encode(computed),
                    })
                }
            }
            Mode::Chunked { decoder, .. } => {
                if let Some(checksum) = decoder.finish()? {
                    // Set once: finish runs once because `inner` is gone afterwards.
                    let _ = self.trailer.0.set(checksum);
                }
                Ok(())
            }
        }
    }
}

impl Stream for VerifiedBody {
    type Item = Result<Bytes, AuthError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            // Decode what is already here before asking for more.
            if let Mode::Chunked { decoder, pending } = &mut this.mode
                && !pending.is_empty()
            {
                match decoder.decode(pending) {
                    Ok(Some(data)) => return Poll::Ready(Some(Ok(data))),
                    Ok(None) => {}
                    Err(e) => {
                        this.inner = None;
                        return Poll::Ready(Some(Err(e)));
                    }
                }
            }
            let Some(inner) = this.inner.as_mut() else {
                return Poll::Ready(None);
            };
            match inner.poll_next_unpin(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(bytes))) => match &mut this.mode {
                    Mode::Unsigned => {
                        if !bytes.is_empty() {
                            return Poll::Ready(Some(Ok(bytes)));
                        }
                    }
                    Mode::Sha256 { hasher, .. } => {
                        if !bytes.is_empty() {
                            hasher.update(&bytes);
                            return Poll::Ready(Some(Ok(bytes)));
                        }
                    }
                    Mode::Chunked { pending, .. } => *pending = bytes,
                },
                Poll::Ready(Some(Err(message))) => {
                    tracing::debug!(error = %message, "request body read failed");
                    this.inner = None;
                    return Poll::Ready(Some(Err(AuthError::body_truncated())));
                }
                Poll::Ready(None) => {
                    this.inner = None;
                    return Poll::Ready(this.finish().err().map(Err));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::chunked::ChunkedPayload;
    use crate::checksum::ChecksumAlgorithm;
    use futures_util::stream;

    fn body_of(
        pieces: Vec<&'static [u8]>,
    ) -> impl Stream<Item = Result<Bytes, String>> + Send + Unpin + 'static {
        stream::iter(pieces.into_iter().map(|p| Ok(Bytes::from_static(p))))
    }

    async fn collect(mut body: VerifiedBody) -> (Vec<u8>, Vec<AuthError>, usize) {
        let (mut data, mut errors, mut items_after_error) = (Vec::new(), Vec::new(), 0);
        while let Some(item) = body.next().await {
            if !errors.is_empty() {
                items_after_error += 1;
            }
            match item {
                Ok(b) => data.extend_from_slice(&b),
                Err(e) => errors.push(e),
            }
        }
        (data, errors, items_after_error)
    }

    fn sha(data: &[u8]) -> [u8; 32] {
        Sha256::digest(data).into()
    }

    #[tokio::test]
    async fn sha256_payload_passes_when_it_matches() {
        let body = VerifiedBody::new(
            body_of(vec![b"Welcome to ", b"", b"Amazon S3."]),
            PayloadCheck::Sha256(sha(b"Welcome to Amazon S3.")),
        );
        let (data, errors, _) = collect(body).await;
        assert_eq!(data, b"Welcome to Amazon S3.");
        assert!(errors.is_empty());
    }

    #[tokio::test]
    async fn wrong_payload_hash_is_the_last_item() {
        let body = VerifiedBody::new(
            body_of(vec![b"hello", b" world"]),
            PayloadCheck::Sha256(sha(b"hello")),
        );
        let (data, errors, after) = collect(body).await;
        assert_eq!(data, b"hello world");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].code(), "XAmzContentSHA256Mismatch");
        assert_eq!(errors[0].details()[0].1, hex::encode(sha(b"hello")));
        assert_eq!(after, 0);
    }

    #[tokio::test]
    async fn read_errors_become_incomplete_body_and_end_the_stream() {
        let raw = stream::iter(vec![
            Ok(Bytes::from_static(b"abc")),
            Err("connection reset".to_owned()),
            Ok(Bytes::from_static(b"late")),
        ]);
        let (data, errors, after) = collect(VerifiedBody::new(raw, PayloadCheck::Unsigned)).await;
        assert_eq!(data, b"abc");
        assert_eq!(errors[0].code(), "IncompleteBody");
        assert_eq!(after, 0);
    }

    #[tokio::test]
    async fn chunked_body_is_decoded_and_trailer_published_after_clean_end() {
        let body = body_of(vec![
            b"5\r\nhel",
            b"lo\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n",
            b"\r\n",
        ]);
        let verified = VerifiedBody::new(
            body,
            PayloadCheck::Chunked(ChunkedPayload::unsigned(5, Some(ChecksumAlgorithm::Crc32))),
        );
        let trailer = verified.trailer();
        assert_eq!(trailer.get(), None);
        let (data, errors, _) = collect(verified).await;
        assert_eq!(data, b"hello");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(trailer.get().map(|c| c.value), Some("NhCmhg==".to_owned()));
    }

    #[tokio::test]
    async fn chunked_error_is_last_and_trailer_stays_unset() {
        let body = body_of(vec![
            b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n",
        ]);
        let verified = VerifiedBody::new(
            body,
            PayloadCheck::Chunked(ChunkedPayload::unsigned(5, Some(ChecksumAlgorithm::Crc32))),
        );
        let trailer = verified.trailer();
        let (data, errors, after) = collect(verified).await;
        assert_eq!(data, b"hello");
        assert_eq!(errors[0].code(), "BadDigest");
        assert_eq!(after, 0);
        assert_eq!(trailer.get(), None);
    }

    #[test]
    fn verified_body_is_send_and_unpin() {
        fn check<T: Send + Unpin + 'static>() {}
        check::<VerifiedBody>();
        check::<TrailerHandle>();
    }
}
