//! Server-side encryption's building blocks: data keys and the packaged AES-256-GCM format that
//! object data is encrypted into before erasure coding. Nothing here knows about requests, key
//! management or storage; callers decide which key, binding and stream id an object gets.

pub mod master_key;
pub mod package;
