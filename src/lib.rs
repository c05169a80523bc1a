//! strata: an S3-compatible object store.
//!
//! A request's way through the crate: `server` (listeners, TLS) → `http` (addressing, request
//! ids, dispatch) → `auth` (SigV4, body verification) → `policy` (authorize) → `s3::ops` (one
//! module per operation family) → `store` (object layer) → `meta` (sled) and `chunk`
//! (erasure-coded shards across AZs). See docs/architecture.md.

pub mod admin;
pub mod auth;
pub mod checksum;
pub mod chunk;
pub mod classes;
pub mod config;
pub mod crypto;
pub mod http;
pub mod iam;
pub mod kms;
pub mod lifecycle;
pub mod meta;
pub mod policy;
pub mod s3;
pub mod server;
pub mod store;
pub mod website;
