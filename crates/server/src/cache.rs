//! The public read cache. Public reads (a business's profile, summary and first page of
//! reviews) are served from memory, as ready bytes with their ETag, and dropped the moment a
//! write changes the business. This is what lets a summary be served about as fast as a
//! static file: no database, no serialisation, on the hot path.
//!
//! Consistency: each business has a generation number, bumped by every invalidation. A
//! reader notes the generation before it reads the database and stores its result only if
//! the generation is unchanged, so a read that raced a write can never put stale bytes back.
//! Writes made by another process (the command line's operator erasure, another app server)
//! are not seen here: every entry also expires after [`TTL`], which bounds how long such a
//! write can go unseen.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::http::HeaderValue;
use bytes::Bytes;
use sha2::{Digest, Sha256};

/// The most entries kept across all businesses; past it the cache starts afresh. Crude, but
/// it bounds memory, and the entries are cheap to rebuild.
const MAX_ENTRIES: usize = 10_000;

/// How long an entry may be served without a write of this process invalidating it.
pub const TTL: Duration = Duration::from_secs(10);

/// A ready response body with its strong ETag.
#[derive(Debug)]
pub struct Cached {
    pub body: Bytes,
    pub etag: HeaderValue,
    created: Instant,
}

impl Cached {
    pub fn new(body: Bytes) -> Self {
        let digest = Sha256::digest(&body);
        let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
        let etag = HeaderValue::try_from(format!("\"{hex}\""))
            .unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
        Self {
            body,
            etag,
            created: Instant::now(),
        }
    }
}

#[derive(Debug, Default)]
struct Business {
    generation: u64,
    entries: HashMap<String, Arc<Cached>>,
}

#[derive(Debug, Default)]
struct Inner {
    businesses: HashMap<String, Business>,
    entries: usize,
}

#[derive(Debug, Default, Clone)]
pub struct PublicCache {
    inner: Arc<RwLock<Inner>>,
    /// Never keeps anything: every read goes to the database.
    disabled: bool,
}

impl PublicCache {
    /// A cache that keeps nothing (`serve --no-public-cache`).
    pub fn disabled() -> Self {
        Self {
            disabled: true,
            ..Self::default()
        }
    }

    /// The cached entry and, on a miss, the generation to hand back to [`Self::insert`].
    pub fn get(&self, slug: &str, key: &str) -> Result<Arc<Cached>, u64> {
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        match inner.businesses.get(slug) {
            Some(b) => b
                .entries
                .get(key)
                .filter(|e| e.created.elapsed() < TTL)
                .cloned()
                .ok_or(b.generation),
            None => Err(0),
        }
    }

    /// Stores `value` unless the business changed since `generation` was read.
    pub fn insert(&self, slug: &str, key: &str, generation: u64, value: Arc<Cached>) {
        if self.disabled {
            return;
        }
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if inner.entries >= MAX_ENTRIES {
            // Keep the generations: only they guard against stale inserts.
            for b in inner.businesses.values_mut() {
                b.entries.clear();
            }
            inner.entries = 0;
        }
        let business = inner.businesses.entry(slug.to_owned()).or_default();
        // An expired entry is replaced in place, so it does not count twice.
        if business.generation == generation
            && business.entries.insert(key.to_owned(), value).is_none()
        {
            inner.entries += 1;
        }
    }

    /// Forgets everything cached about the business.
    pub fn invalidate(&self, slug: &str) {
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        let business = inner.businesses.entry(slug.to_owned()).or_default();
        business.generation += 1;
        let dropped = std::mem::take(&mut business.entries).len();
        inner.entries -= dropped;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(s: &'static str) -> Arc<Cached> {
        Arc::new(Cached::new(Bytes::from_static(s.as_bytes())))
    }

    #[test]
    fn hit_after_insert_miss_after_invalidate() {
        let cache = PublicCache::default();
        let generation = cache.get("gino", "summary").unwrap_err();
        cache.insert("gino", "summary", generation, entry("a"));
        assert_eq!(cache.get("gino", "summary").unwrap().body, "a");
        cache.invalidate("gino");
        assert!(cache.get("gino", "summary").is_err());
    }

    #[test]
    fn a_read_that_raced_a_write_is_not_stored() {
        let cache = PublicCache::default();
        let before = cache.get("gino", "summary").unwrap_err();
        cache.invalidate("gino"); // a write lands while the read is in flight
        cache.insert("gino", "summary", before, entry("stale"));
        assert!(cache.get("gino", "summary").is_err());
    }

    #[test]
    fn a_disabled_cache_keeps_nothing() {
        let cache = PublicCache::disabled();
        let generation = cache.get("gino", "summary").unwrap_err();
        cache.insert("gino", "summary", generation, entry("a"));
        assert!(cache.get("gino", "summary").is_err());
    }

    #[test]
    fn etag_follows_content() {
        assert_eq!(entry("a").etag, entry("a").etag);
        assert_ne!(entry("a").etag, entry("b").etag);
    }
}
