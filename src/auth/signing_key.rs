//! Derived SigV4 signing keys and a small bounded cache of them.
//!
//! A signing key is `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`:
//! four HMACs that only change once a day per access key. The cache keeps the most recently used
//! [`CAPACITY`] keys so a busy client pays for them once per day, not once per request.
//!
//! Invariants: an entry is only returned for the exact (access key, date, region, service) it was
//! derived for *and* the secret it was derived from (compared in constant time), so rotating a
//! secret takes effect on the next request. The map never holds more than [`CAPACITY`] entries.
//!
//! The cache is process-wide (a `static`), a deliberate exception to "shared state travels in
//! AppState": it is a pure memo of a deterministic function, invisible except in timing, and
//! `verify_request`'s signature takes no state to carry it.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use subtle::ConstantTimeEq as _;

/// Entries kept. 64 covers the distinct access keys of a busy node over a day several times
/// over; a linear scan of 64 entries costs well under the ~1 µs of one key derivation.
pub const CAPACITY: usize = 64;

/// A derived signing key (32 bytes). Cheap to clone.
#[derive(Clone)]
pub struct SigningKey(Arc<[u8]>);

impl AsRef<[u8]> for SigningKey {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

impl SigningKey {
    /// Derives the key; `time` supplies the scope date (its UTC day).
    pub fn derive(secret: &str, time: SystemTime, region: &str, service: &str) -> SigningKey {
        let key = aws_sigv4::sign::v4::generate_signing_key(secret, time, region, service);
        SigningKey(Arc::from(key.as_ref()))
    }
}

struct Entry {
    access_key: String,
    date: String,
    region: String,
    service: String,
    secret: String,
    key: SigningKey,
    last_used: u64,
}

/// Bounded least-recently-used memo of [`SigningKey::derive`].
pub(crate) struct SigningKeyCache {
    inner: Mutex<Inner>,
}

struct Inner {
    entries: Vec<Entry>,
    clock: u64,
}

/// The cache `verify_request` uses.
pub(crate) static SIGNING_KEYS: SigningKeyCache = SigningKeyCache::new();

impl SigningKeyCache {
    pub const fn new() -> Self {
        SigningKeyCache {
            inner: Mutex::new(Inner {
                entries: Vec::new(),
                clock: 0,
            }),
        }
    }

    /// The key for this scope, derived at most once while it stays in the cache. `date` is the
    /// scope's `yyyymmdd`, which must be `time`'s UTC day (the caller checked it).
    pub fn get(
        &self,
        access_key: &str,
        secret: &str,
        time: SystemTime,
        date: &str,
        region: &str,
        service: &str,
    ) -> SigningKey {
        let same_scope = |e: &Entry| {
            e.access_key == access_key
                && e.date == date
                && e.region == region
                && e.service == service
        };
        {
            // A poisoned lock only means another thread panicked mid-update of a memo; the
            // entries are still individually valid, so keep using them.
            let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            inner.clock += 1;
            let now = inner.clock;
            if let Some(e) = inner.entries.iter_mut().find(|e| same_scope(e))
                && bool::from(e.secret.as_bytes().ct_eq(secret.as_bytes()))
            {
                e.last_used = now;
                return e.key.clone();
            }
        }
        // Derive outside the lock: it is the expensive part.
        let key = SigningKey::derive(secret, time, region, service);
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let now = inner.clock;
        let entry = Entry {
            access_key: access_key.to_owned(),
            date: date.to_owned(),
            region: region.to_owned(),
            service: service.to_owned(),
            secret: secret.to_owned(),
            key: key.clone(),
            last_used: now,
        };
        if let Some(slot) = inner.entries.iter_mut().find(|e| same_scope(e)) {
            *slot = entry;
        } else if inner.entries.len() < CAPACITY {
            inner.entries.push(entry);
        } else if let Some(oldest) = inner.entries.iter_mut().min_by_key(|e| e.last_used) {
            *oldest = entry;
        }
        key
    }

    /// Number of cached keys.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entries
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::sigv4::parse_amz_date;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    #[test]
    fn derives_the_documented_signing_key() {
        // AWS General Reference, "Examples of how to derive a signing key for Signature Version 4"
        // uses this secret for 20120215/us-east-1/iam.
        let t = parse_amz_date("20120215T000000Z").unwrap();
        let key = SigningKey::derive(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            t,
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex::encode(key.as_ref()),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    #[test]
    fn cache_returns_same_key_and_follows_secret_rotation() {
        let cache = SigningKeyCache::new();
        let t = parse_amz_date("20130524T000000Z").unwrap();
        let a = cache.get("AK", SECRET, t, "20130524", "us-east-1", "s3");
        let b = cache.get("AK", SECRET, t, "20130524", "us-east-1", "s3");
        assert_eq!(a.as_ref(), b.as_ref());
        assert_eq!(cache.len(), 1);
        let rotated = cache.get("AK", "other-secret", t, "20130524", "us-east-1", "s3");
        assert_ne!(a.as_ref(), rotated.as_ref());
        assert_eq!(
            rotated.as_ref(),
            SigningKey::derive("other-secret", t, "us-east-1", "s3").as_ref()
        );
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn cache_is_bounded_and_evicts_least_recently_used() {
        let cache = SigningKeyCache::new();
        let t = parse_amz_date("20130524T000000Z").unwrap();
        let hot = cache.get("hot", SECRET, t, "20130524", "us-east-1", "s3");
        for i in 0..(CAPACITY * 2) {
            cache.get(&format!("AK{i}"), SECRET, t, "20130524", "us-east-1", "s3");
            // Keep "hot" recently used.
            cache.get("hot", SECRET, t, "20130524", "us-east-1", "s3");
        }
        assert_eq!(cache.len(), CAPACITY);
        let inner = cache.inner.lock().unwrap();
        let still = inner
            .entries
            .iter()
            .find(|e| e.access_key == "hot")
            .unwrap();
        assert_eq!(still.key.as_ref(), hot.as_ref());
    }
}
