//! The request as operations see it: already routed, authenticated and authorized, with
//! helpers to read typed values out of headers and the query string.

use std::pin::Pin;

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use http::{HeaderMap, Method};

use super::error::{S3Error, S3Result};
use super::route::Operation;
use crate::checksum::ChecksumAlgorithm;
use crate::iam::Principal;

pub type RequestBody = Pin<Box<dyn Stream<Item = Result<Bytes, S3Error>> + Send>>;

pub struct S3Request {
    pub operation: Operation,
    pub method: Method,
    pub bucket: Option<String>,
    pub key: Option<String>,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub principal: Principal,
    /// The TCP peer (`aws:SourceIp`).
    pub client_ip: Option<std::net::IpAddr>,
    /// Whether it came over TLS (`aws:SecureTransport`).
    pub secure: bool,
    pub received: std::time::SystemTime,
    /// The request's condition keys for policies, built on first use ([`S3Request::conditions`]).
    pub policy_keys: std::sync::OnceLock<crate::policy::ConditionContext>,
    /// The addressed bucket's record, read once ([`S3Request::bucket_record`]).
    pub bucket_record: std::sync::OnceLock<Option<crate::meta::model::BucketRecord>>,
    pub request_id: String,
    /// The algorithm of an aws-chunked trailing checksum (`x-amz-trailer`), already verified
    /// against the body by `auth` as it streams.
    pub trailer_algorithm: Option<ChecksumAlgorithm>,
}

impl S3Request {
    /// The record of the addressed bucket, read on first use and kept for the request:
    /// authorization and the response headers both need it. None when it does not exist (or
    /// could not be read — callers that must report why read it again through the store).
    pub fn bucket_record(
        &self,
        store: &crate::store::Store,
    ) -> Option<&crate::meta::model::BucketRecord> {
        self.bucket_record
            .get_or_init(|| self.bucket.as_deref().and_then(|b| store.bucket(b).ok()))
            .as_ref()
    }

    /// The condition keys bucket policies evaluate (`s3::policy_context`).
    pub fn conditions(&self) -> &crate::policy::ConditionContext {
        self.policy_keys.get_or_init(|| {
            super::policy_context::condition_context(&super::policy_context::RequestFacts {
                client_ip: self.client_ip,
                secure: self.secure,
                headers: &self.headers,
                query: &self.query,
                operation: self.operation,
                now: self.received,
            })
        })
    }

    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn bucket(&self) -> S3Result<&str> {
        self.bucket
            .as_deref()
            .ok_or_else(|| S3Error::invalid_request("A bucket name is required"))
    }

    pub fn key(&self) -> S3Result<&str> {
        self.key
            .as_deref()
            .ok_or_else(|| S3Error::invalid_request("An object key is required"))
    }

    /// The bucket's owner for responses (canonical id); the requester's account for now.
    pub fn owner_id(&self) -> &str {
        self.principal.account_id().unwrap_or("")
    }

    /// An integer query parameter within bounds, or InvalidArgument naming it.
    pub fn query_u32(&self, name: &str) -> S3Result<Option<u32>> {
        match self.query(name) {
            None => Ok(None),
            Some(v) => v.parse::<u32>().map(Some).map_err(|_| {
                S3Error::invalid_argument(format!(
                    "Provided {name} not an integer or within integer range"
                ))
                .with("ArgumentName", name)
                .with("ArgumentValue", v)
            }),
        }
    }
}

/// Read a small request body (XML documents) completely, refusing anything over `limit`.
pub async fn read_small_body(body: &mut RequestBody, limit: usize) -> S3Result<Bytes> {
    let mut out = BytesMut::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        if out.len() + chunk.len() > limit {
            return Err(S3Error::new(
                "EntityTooLarge",
                "Your proposed upload exceeds the maximum allowed object size.",
            ));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out.freeze())
}
