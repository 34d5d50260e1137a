//! The public read cache. Public reads (a business's profile, summary, first page of
//! reviews, figures and trends, `ratings.csv`, and what other sites embed) are served from
//! memory, as ready bytes with their ETag, and dropped the moment a
//! write changes the business. This is what lets a summary be served about as fast as a
//! static file: no database, no serialisation, on the hot path.
//!
//! In front of the router sits a second, smaller layer: the finished responses of those reads,
//! headers and all, by URI ([`PublicCache::ready`]). A repeated read is answered from it before
//! any routing, middleware or handler runs, which is what brings a widget or a badge near a
//! static file server's speed (BENCHMARKS.md). A handler opts in by marking its response
//! [`Shareable`]: it promises that the response depends on the URI and the business's data
//! alone, never on the request's other headers.
//!
//! Consistency: each business has a generation number, bumped by every invalidation. A
//! reader notes the generation before it reads the database and stores its result only if
//! the generation is unchanged, so a read that raced a write can never put stale bytes back.
//! Writes made by another process (the command line's operator erasure, another app server)
//! are not seen here: every entry also expires after [`TTL`], which bounds how long such a
//! write can go unseen.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, Uri, header};
use axum::response::Response;
use bytes::Bytes;
use sha2::{Digest, Sha256};

/// The most entries kept across all businesses; past it the cache starts afresh. Crude, but
/// it bounds memory, and the entries are cheap to rebuild.
const MAX_ENTRIES: usize = 10_000;

/// The most bytes of bodies kept across all businesses; past it the cache starts afresh too.
const MAX_BYTES: usize = 256 << 20;

/// The longest URI kept as a ready response; longer ones are always routed.
const MAX_READY_URI: usize = 512;

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

/// A response extension: this response is the cached `entry` of the business `slug` as of
/// `generation`, and depends on nothing but its URI. [`PublicCache::keep`] looks for it.
#[derive(Debug, Clone)]
pub struct Shareable {
    pub slug: Arc<str>,
    pub generation: u64,
    pub entry: Arc<Cached>,
}

/// A finished response, ready to be sent again to the same URI.
#[derive(Debug)]
struct Ready {
    slug: Arc<str>,
    generation: u64,
    /// When its entry was computed: a ready response expires with it.
    created: Instant,
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Debug, Default)]
struct Business {
    generation: u64,
    entries: HashMap<String, Arc<Cached>>,
}

#[derive(Debug, Default)]
struct Inner {
    businesses: HashMap<String, Business>,
    /// Finished responses by URI (path and query).
    ready: HashMap<Box<str>, Arc<Ready>>,
    /// Entries and ready responses together.
    entries: usize,
    /// The entries' bodies (ready responses share them).
    bytes: usize,
}

impl Inner {
    fn generation(&self, slug: &str) -> u64 {
        self.businesses.get(slug).map_or(0, |b| b.generation)
    }

    /// Makes room for one more entry of `bytes`: past [`MAX_ENTRIES`] or [`MAX_BYTES`]
    /// everything is dropped but the generations, which alone guard against stale inserts.
    fn make_room(&mut self, bytes: usize) {
        if self.entries >= MAX_ENTRIES || self.bytes + bytes > MAX_BYTES {
            for b in self.businesses.values_mut() {
                b.entries.clear();
            }
            self.ready.clear();
            self.entries = 0;
            self.bytes = 0;
        }
    }
}

/// The lock of each entry being computed, by business and key.
type Flights = HashMap<(String, String), Weak<tokio::sync::Mutex<()>>>;

#[derive(Debug, Default, Clone)]
pub struct PublicCache {
    inner: Arc<RwLock<Inner>>,
    /// The entries being computed: concurrent misses of one entry wait for one computation
    /// ([`PublicCache::get_or_compute`]).
    flights: Arc<Mutex<Flights>>,
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

    /// The cached entry with the generation it belongs to, or on a miss the generation to hand
    /// back to [`Self::insert`].
    pub fn get(&self, slug: &str, key: &str) -> Result<(Arc<Cached>, u64), u64> {
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        match inner.businesses.get(slug) {
            Some(b) => b
                .entries
                .get(key)
                .filter(|e| e.created.elapsed() < TTL)
                .map(|e| (e.clone(), b.generation))
                .ok_or(b.generation),
            None => Err(0),
        }
    }

    /// The cached entry, or else the one `compute` makes (and the cache keeps), with the
    /// generation it belongs to. After a write, the many readers of a popular entry miss it
    /// together: the first computes it, and the others wait for it rather than each reading
    /// the database for the same bytes. (A disabled cache computes every time.)
    pub async fn get_or_compute<F, Fut, E>(
        &self,
        slug: &str,
        key: &str,
        compute: F,
    ) -> Result<(Arc<Cached>, u64), E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Arc<Cached>, E>>,
    {
        if let Ok(hit) = self.get(slug, key) {
            return Ok(hit);
        }
        let _flight = if self.disabled {
            None
        } else {
            Some(self.flight(slug, key).lock_owned().await)
        };
        // Whoever held the flight before may have computed it.
        let generation = match self.get(slug, key) {
            Ok(hit) => return Ok(hit),
            Err(generation) => generation,
        };
        let entry = compute().await?;
        self.insert(slug, key, generation, entry.clone());
        Ok((entry, generation))
    }

    /// The lock of one entry's computation.
    fn flight(&self, slug: &str, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut flights = self.flights.lock().unwrap_or_else(|e| e.into_inner());
        let id = (slug.to_owned(), key.to_owned());
        if let Some(lock) = flights.get(&id).and_then(Weak::upgrade) {
            return lock;
        }
        if flights.len() >= MAX_ENTRIES {
            flights.retain(|_, lock| lock.strong_count() > 0);
        }
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        flights.insert(id, Arc::downgrade(&lock));
        lock
    }

    /// Stores `value` unless the business changed since `generation` was read. A body over
    /// a quarter of [`MAX_BYTES`] is not kept: it would push out everything else.
    pub fn insert(&self, slug: &str, key: &str, generation: u64, value: Arc<Cached>) {
        if self.disabled {
            return;
        }
        let size = value.body.len();
        if size > MAX_BYTES / 4 {
            return;
        }
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        inner.make_room(size);
        let business = inner.businesses.entry(slug.to_owned()).or_default();
        if business.generation != generation {
            return;
        }
        // An expired entry is replaced in place, so it does not count twice.
        match business.entries.insert(key.to_owned(), value) {
            Some(old) => inner.bytes = inner.bytes - old.body.len() + size,
            None => {
                inner.entries += 1;
                inner.bytes += size;
            }
        }
    }

    /// Forgets everything cached about the business.
    pub fn invalidate(&self, slug: &str) {
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        let business = inner.businesses.entry(slug.to_owned()).or_default();
        business.generation += 1;
        let dropped = std::mem::take(&mut business.entries);
        inner.entries -= dropped.len();
        inner.bytes -= dropped.values().map(|e| e.body.len()).sum::<usize>();
        // Its ready responses are left to fail their generation check, or to be replaced.
    }

    /// The ready response to `request`, if a handler marked the same URI's response
    /// [`Shareable`] and the business has not changed since. Only plain `GET`s qualify: a
    /// revalidation (`If-None-Match`) and `HEAD` go through the router.
    pub fn ready<B>(&self, request: &Request<B>) -> Option<Response> {
        if request.method() != Method::GET || request.headers().contains_key(header::IF_NONE_MATCH)
        {
            return None;
        }
        let uri = request.uri().path_and_query()?.as_str();
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        let ready = inner.ready.get(uri)?;
        if ready.created.elapsed() >= TTL || inner.generation(&ready.slug) != ready.generation {
            return None;
        }
        let mut response = Response::new(Body::from(ready.body.clone()));
        *response.headers_mut() = ready.headers.clone();
        Some(response)
    }

    /// Keeps `response`, the router's answer to a `GET` of `uri`, for [`Self::ready`] if its
    /// handler marked it [`Shareable`] and it is still current.
    pub fn keep(&self, uri: &Uri, response: &Response) {
        let Some(shareable) = response.extensions().get::<Shareable>() else {
            return;
        };
        let Some(uri) = uri.path_and_query().map(|p| p.as_str()) else {
            return;
        };
        let headers = response.headers();
        // Only the entry's own bytes, as the handler made them: no layer may have re-encoded
        // them, and nothing may vary with the request.
        let untouched = axum::body::HttpBody::size_hint(response.body()).exact()
            == Some(shareable.entry.body.len() as u64)
            && !headers.contains_key(header::CONTENT_ENCODING)
            && !headers.contains_key(header::VARY)
            && !headers.contains_key(header::SET_COOKIE);
        if self.disabled
            || response.status() != StatusCode::OK
            || !untouched
            || uri.len() > MAX_READY_URI
        {
            return;
        }
        let ready = Arc::new(Ready {
            slug: shareable.slug.clone(),
            generation: shareable.generation,
            created: shareable.entry.created,
            headers: headers.clone(),
            body: shareable.entry.body.clone(),
        });
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if inner.generation(&ready.slug) != ready.generation {
            return;
        }
        inner.make_room(0);
        if inner.ready.insert(uri.into(), ready).is_none() {
            inner.entries += 1;
        }
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
        assert_eq!(cache.get("gino", "summary").unwrap().0.body, "a");
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

    /// A response as `cached_as` makes it for `entry`, `generation` of business "gino".
    fn shareable(entry: &Arc<Cached>, generation: u64) -> Response {
        let mut response = Response::new(Body::from(entry.body.clone()));
        response
            .headers_mut()
            .insert(header::ETAG, entry.etag.clone());
        response.extensions_mut().insert(Shareable {
            slug: "gino".into(),
            generation,
            entry: entry.clone(),
        });
        response
    }

    fn get(uri: &str) -> Request<()> {
        Request::get(uri).body(()).unwrap()
    }

    #[test]
    fn a_kept_response_is_ready_until_its_business_changes() {
        let cache = PublicCache::default();
        let uri: Uri = "/badge/gino.svg?lang=it".parse().unwrap();
        let generation = cache.get("gino", "badge:it").unwrap_err();
        let e = entry("<svg/>");
        cache.insert("gino", "badge:it", generation, e.clone());
        cache.keep(&uri, &shareable(&e, generation));

        let ready = cache.ready(&get("/badge/gino.svg?lang=it")).unwrap();
        assert_eq!(ready.status(), StatusCode::OK);
        assert_eq!(ready.headers()[header::ETAG], e.etag);
        assert!(
            cache.ready(&get("/badge/gino.svg?lang=en")).is_none(),
            "the query is part of the key"
        );
        assert!(
            cache
                .ready(&Request::head(&uri).body(()).unwrap())
                .is_none(),
            "HEAD is routed"
        );
        let revalidation = Request::get(&uri)
            .header(header::IF_NONE_MATCH, e.etag.clone())
            .body(())
            .unwrap();
        assert!(cache.ready(&revalidation).is_none(), "so is If-None-Match");

        cache.invalidate("gino");
        assert!(cache.ready(&get("/badge/gino.svg?lang=it")).is_none());
        // A response computed before the write comes back too late: not kept.
        cache.keep(&uri, &shareable(&e, generation));
        assert!(cache.ready(&get("/badge/gino.svg?lang=it")).is_none());
    }

    #[test]
    fn only_untouched_shareable_responses_are_kept() {
        let cache = PublicCache::default();
        let uri: Uri = "/api/v1/businesses/gino/summary".parse().unwrap();
        let e = entry("{}");
        let mut plain = shareable(&e, 0);
        plain.extensions_mut().remove::<Shareable>();
        cache.keep(&uri, &plain);
        let mut varying = shareable(&e, 0);
        varying
            .headers_mut()
            .insert(header::VARY, HeaderValue::from_static("accept-language"));
        cache.keep(&uri, &varying);
        let mut reencoded = shareable(&e, 0);
        *reencoded.body_mut() = Body::from("{ }");
        cache.keep(&uri, &reencoded);
        let mut not_ok = shareable(&e, 0);
        *not_ok.status_mut() = StatusCode::NOT_MODIFIED;
        cache.keep(&uri, &not_ok);
        assert!(
            cache
                .ready(&get("/api/v1/businesses/gino/summary"))
                .is_none()
        );

        let disabled = PublicCache::disabled();
        disabled.keep(&uri, &shareable(&e, 0));
        assert!(
            disabled
                .ready(&get("/api/v1/businesses/gino/summary"))
                .is_none()
        );

        cache.keep(&uri, &shareable(&e, 0));
        assert!(
            cache
                .ready(&get("/api/v1/businesses/gino/summary"))
                .is_some()
        );
    }

    #[test]
    fn ready_responses_count_against_the_bound() {
        let cache = PublicCache::default();
        let e = entry("{}");
        for i in 0..=MAX_ENTRIES {
            let uri: Uri = format!("/api/v1/businesses/gino/summary?junk={i}")
                .parse()
                .unwrap();
            cache.keep(&uri, &shareable(&e, 0));
        }
        let inner = cache.inner.read().unwrap();
        assert!(inner.ready.len() <= MAX_ENTRIES, "{}", inner.ready.len());
        assert_eq!(inner.entries, inner.ready.len());
    }

    #[test]
    fn the_bodies_kept_are_bounded_in_bytes() {
        let cache = PublicCache::default();
        let big = Arc::new(Cached::new(Bytes::from(vec![b'x'; MAX_BYTES / 5])));
        for i in 0..6 {
            cache.insert("gino", &format!("k{i}"), 0, big.clone());
            let inner = cache.inner.read().unwrap();
            assert!(inner.bytes <= MAX_BYTES, "{}", inner.bytes);
        }
        assert!(cache.get("gino", "k5").is_ok(), "the latest stays");
        cache.invalidate("gino");
        assert_eq!(cache.inner.read().unwrap().bytes, 0);
        let huge = Arc::new(Cached::new(Bytes::from(vec![b'x'; MAX_BYTES / 3])));
        let generation = cache.get("gino", "huge").unwrap_err();
        cache.insert("gino", "huge", generation, huge);
        assert!(cache.get("gino", "huge").is_err(), "too big to keep");
    }

    #[tokio::test]
    async fn concurrent_misses_compute_once() {
        let computed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let run = |cache: PublicCache| {
            let computed = computed.clone();
            async move {
                let tasks: Vec<_> = (0..8)
                    .map(|_| {
                        let (cache, computed) = (cache.clone(), computed.clone());
                        tokio::spawn(async move {
                            cache
                                .get_or_compute("gino", "summary", || async {
                                    computed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                                    tokio::time::sleep(Duration::from_millis(50)).await;
                                    Ok::<_, ()>(entry("a"))
                                })
                                .await
                        })
                    })
                    .collect();
                for t in tasks {
                    assert_eq!(t.await.unwrap().unwrap().0.body, "a");
                }
                computed.swap(0, std::sync::atomic::Ordering::SeqCst)
            }
        };
        assert_eq!(run(PublicCache::default()).await, 1);
        assert_eq!(
            run(PublicCache::disabled()).await,
            8,
            "nothing kept, nothing awaited"
        );
    }

    #[test]
    fn etag_follows_content() {
        assert_eq!(entry("a").etag, entry("a").etag);
        assert_ne!(entry("a").etag, entry("b").etag);
    }
}
