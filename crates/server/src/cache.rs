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

/// A response extension: this response is the cached `entry` of the business `slug`, under
/// `key`, as of `generation`, and depends on nothing but its URI. [`PublicCache::keep`]
/// looks for it.
#[derive(Debug, Clone)]
pub struct Shareable {
    pub slug: Arc<str>,
    pub key: Arc<str>,
    pub generation: u64,
    pub entry: Arc<Cached>,
}

/// A finished response, ready to be sent again to the same URI while its entry is the
/// business's current one.
#[derive(Debug)]
struct Ready {
    slug: Arc<str>,
    key: Arc<str>,
    entry: Arc<Cached>,
    headers: HeaderMap,
}

/// The most URIs answered from one entry. A query parameter the handlers ignore makes another
/// URI for the same entry; past this, such URIs are routed rather than kept.
const MAX_READY_PER_ENTRY: usize = 4;

#[derive(Debug, Default)]
struct Business {
    generation: u64,
    entries: HashMap<String, Arc<Cached>>,
    /// The URIs answered from each entry (by its key), to drop with it.
    ready: HashMap<Arc<str>, Vec<Box<str>>>,
}

#[derive(Debug, Default)]
struct Inner {
    businesses: HashMap<String, Business>,
    /// Finished responses by URI (path and query). Each shares its entry's body and goes
    /// with it, so the bounds on entries bound these too.
    ready: HashMap<Box<str>, Ready>,
    entries: usize,
    /// The entries' bodies.
    bytes: usize,
}

impl Inner {
    /// Makes room for one more entry of `bytes`: past [`MAX_ENTRIES`] or [`MAX_BYTES`]
    /// everything is dropped but the generations, which alone guard against stale inserts.
    fn make_room(&mut self, bytes: usize) {
        if self.entries >= MAX_ENTRIES || self.bytes + bytes > MAX_BYTES {
            for b in self.businesses.values_mut() {
                b.entries.clear();
                b.ready.clear();
            }
            self.ready.clear();
            self.entries = 0;
            self.bytes = 0;
        }
    }

    /// Drops the ready responses of `slug`'s entries (of one `key`, or all of them).
    fn drop_ready(&mut self, slug: &str, key: Option<&str>) {
        let Some(business) = self.businesses.get_mut(slug) else {
            return;
        };
        let uris: Vec<Box<str>> = match key {
            Some(key) => business.ready.remove(key).unwrap_or_default(),
            None => business.ready.drain().flat_map(|(_, uris)| uris).collect(),
        };
        for uri in uris {
            self.ready.remove(&uri);
        }
    }
}

/// How one computation of an entry ended, for those who waited for it: the entry and the
/// generation it was computed at, or `None` if it failed (or was given up).
type Outcome = Option<(Arc<Cached>, u64)>;

/// One entry's computation, shared by the readers that missed it together: the first
/// computes, the others wait for its outcome (`None` until there is one).
#[derive(Debug)]
struct Flight {
    outcome: tokio::sync::watch::Sender<Option<Outcome>>,
}

/// The computations under way, by business, key and the generation they started at.
type Flights = HashMap<(String, String, u64), Weak<Flight>>;

/// A reader's hold on a [`Flight`]. If the reader computing it goes away (its request was
/// cancelled) before there is an outcome, the others are told it failed; and the last reader
/// to let go removes the flight.
struct Boarding<'a> {
    flight: Arc<Flight>,
    computes: bool,
    id: (String, String, u64),
    flights: &'a Mutex<Flights>,
}

impl Boarding<'_> {
    fn land(&self, outcome: Outcome) {
        self.flight.outcome.send_replace(Some(outcome));
    }
}

impl Drop for Boarding<'_> {
    fn drop(&mut self) {
        if self.computes && self.flight.outcome.borrow().is_none() {
            self.land(None);
        }
        let mut flights = self.flights.lock().unwrap_or_else(|e| e.into_inner());
        // New readers board under this lock: if nobody else holds it now, nobody will.
        if Arc::strong_count(&self.flight) == 1 {
            flights.remove(&self.id);
        }
    }
}

#[derive(Debug, Default, Clone)]
pub struct PublicCache {
    inner: Arc<RwLock<Inner>>,
    /// The entries being computed: concurrent misses of one entry share one computation
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
    /// together: the first computes it, and the others take its result rather than each
    /// reading the database for the same bytes. Readers share a computation only with those
    /// that saw the same generation, so a reader never gets bytes from before a write it has
    /// seen; under steady writes that is one computation per entry per batch of writes. If a
    /// computation fails, those who waited compute their own, side by side. (A disabled
    /// cache computes every time.)
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
        let generation = match self.get(slug, key) {
            Ok(hit) => {
                metrics::counter!("passaparola_public_cache_total", "outcome" => "hit")
                    .increment(1);
                return Ok(hit);
            }
            Err(generation) => generation,
        };
        metrics::counter!("passaparola_public_cache_total", "outcome" => "miss").increment(1);
        if self.disabled {
            return Ok((compute().await?, generation));
        }
        let boarding = self.board(slug, key, generation);
        if !boarding.computes {
            let mut outcome = boarding.flight.outcome.subscribe();
            let landed = outcome
                .wait_for(Option::is_some)
                .await
                .ok()
                .and_then(|o| o.clone().flatten());
            // After a failure, each computes its own, without waiting for anyone.
            if let Some((entry, at)) = landed.filter(|(_, at)| *at == generation) {
                return Ok((entry, at));
            }
        }
        match compute().await {
            Ok(entry) => {
                self.insert(slug, key, generation, entry.clone());
                if boarding.computes {
                    boarding.land(Some((entry.clone(), generation)));
                }
                Ok((entry, generation))
            }
            Err(e) => {
                if boarding.computes {
                    boarding.land(None);
                }
                Err(e)
            }
        }
    }

    /// Joins the flight of one entry at `generation`, or starts it (and then computes it).
    fn board(&self, slug: &str, key: &str, generation: u64) -> Boarding<'_> {
        let mut flights = self.flights.lock().unwrap_or_else(|e| e.into_inner());
        let id = (slug.to_owned(), key.to_owned(), generation);
        let (flight, computes) = match flights.get(&id).and_then(Weak::upgrade) {
            Some(flight) => (flight, false),
            None => {
                let flight = Arc::new(Flight {
                    outcome: tokio::sync::watch::channel(None).0,
                });
                flights.insert(id.clone(), Arc::downgrade(&flight));
                (flight, true)
            }
        };
        Boarding {
            flight,
            computes,
            id,
            flights: &self.flights,
        }
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
        // An expired entry is replaced in place, so it does not count twice; the responses
        // made from it go with it.
        match business.entries.insert(key.to_owned(), value) {
            Some(old) => {
                inner.bytes = inner.bytes - old.body.len() + size;
                inner.drop_ready(slug, Some(key));
            }
            None => {
                inner.entries += 1;
                inner.bytes += size;
            }
        }
    }

    /// Forgets everything cached about the business.
    pub fn invalidate(&self, slug: &str) {
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        inner.drop_ready(slug, None);
        let business = inner.businesses.entry(slug.to_owned()).or_default();
        business.generation += 1;
        let dropped = std::mem::take(&mut business.entries);
        inner.entries -= dropped.len();
        inner.bytes -= dropped.values().map(|e| e.body.len()).sum::<usize>();
    }

    /// The ready response to `request`, if a handler marked the same URI's response
    /// [`Shareable`] and its entry is still the business's current one. Only plain `GET`s
    /// qualify: a revalidation (`If-None-Match`) and `HEAD` go through the router.
    pub fn ready<B>(&self, request: &Request<B>) -> Option<Response> {
        if request.method() != Method::GET || request.headers().contains_key(header::IF_NONE_MATCH)
        {
            return None;
        }
        let uri = request.uri().path_and_query()?.as_str();
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        let ready = inner.ready.get(uri)?;
        let current = inner
            .businesses
            .get(&*ready.slug)?
            .entries
            .get(&*ready.key)?;
        if !Arc::ptr_eq(current, &ready.entry) || current.created.elapsed() >= TTL {
            return None;
        }
        let mut response = Response::new(Body::from(ready.entry.body.clone()));
        *response.headers_mut() = ready.headers.clone();
        metrics::counter!("passaparola_public_cache_total", "outcome" => "ready").increment(1);
        Some(response)
    }

    /// Keeps `response`, the router's answer to a `GET` of `uri`, for [`Self::ready`] if its
    /// handler marked it [`Shareable`] and its entry is still the current one.
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
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if inner.ready.contains_key(uri) {
            return; // kept by a concurrent reader
        }
        let Some(business) = inner.businesses.get_mut(&*shareable.slug) else {
            return;
        };
        let current = business.entries.get(&*shareable.key);
        if business.generation != shareable.generation
            || !current.is_some_and(|c| Arc::ptr_eq(c, &shareable.entry))
        {
            return;
        }
        let uris = business.ready.entry(shareable.key.clone()).or_default();
        if uris.len() >= MAX_READY_PER_ENTRY {
            return;
        }
        uris.push(uri.into());
        inner.ready.insert(
            uri.into(),
            Ready {
                slug: shareable.slug.clone(),
                key: shareable.key.clone(),
                entry: shareable.entry.clone(),
                headers: headers.clone(),
            },
        );
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
            key: "k".into(),
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
        let generation = cache.get("gino", "k").unwrap_err();
        let e = entry("<svg/>");
        cache.insert("gino", "k", generation, e.clone());
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
        assert!(
            cache.inner.read().unwrap().ready.is_empty(),
            "dropped with it"
        );
        // A response computed before the write comes back too late: not kept.
        cache.keep(&uri, &shareable(&e, generation));
        assert!(cache.ready(&get("/badge/gino.svg?lang=it")).is_none());

        // An entry replaced (its TTL ran out) takes its responses with it.
        let generation = cache.get("gino", "k").unwrap_err();
        cache.insert("gino", "k", generation, e.clone());
        cache.keep(&uri, &shareable(&e, generation));
        assert!(cache.ready(&get("/badge/gino.svg?lang=it")).is_some());
        cache.insert("gino", "k", generation, entry("<svg>new</svg>"));
        assert!(cache.ready(&get("/badge/gino.svg?lang=it")).is_none());
        assert!(cache.inner.read().unwrap().ready.is_empty());
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
        disabled.insert("gino", "k", 0, e.clone());
        disabled.keep(&uri, &shareable(&e, 0));
        assert!(
            disabled
                .ready(&get("/api/v1/businesses/gino/summary"))
                .is_none()
        );

        // Not the current entry (there is none yet): not kept.
        cache.keep(&uri, &shareable(&e, 0));
        assert!(cache.inner.read().unwrap().ready.is_empty());
        cache.insert("gino", "k", 0, e.clone());
        cache.keep(&uri, &shareable(&e, 0));
        assert!(
            cache
                .ready(&get("/api/v1/businesses/gino/summary"))
                .is_some()
        );
    }

    #[test]
    fn made_up_uris_of_one_entry_neither_pile_up_nor_push_out_others() {
        let cache = PublicCache::default();
        let e = entry("{}");
        cache.insert("gino", "k", 0, e.clone());
        cache.insert("gino", "other", 0, entry("[]"));
        for i in 0..=MAX_ENTRIES {
            let uri: Uri = format!("/api/v1/businesses/gino/summary?junk={i}")
                .parse()
                .unwrap();
            cache.keep(&uri, &shareable(&e, 0));
        }
        assert_eq!(cache.inner.read().unwrap().ready.len(), MAX_READY_PER_ENTRY);
        assert!(
            cache.get("gino", "other").is_ok(),
            "nothing else was dropped"
        );
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

    /// Eight readers miss at once; each computation takes 50 ms and then fails. Returns how
    /// many computations ran, and the most that ran at the same time.
    async fn eight_failing_misses(cache: PublicCache) -> (usize, usize) {
        use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
        let (ran, running, most) = (
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicUsize::new(0)),
        );
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let cache = cache.clone();
                let (ran, running, most) = (ran.clone(), running.clone(), most.clone());
                tokio::spawn(async move {
                    cache
                        .get_or_compute("gino", "summary", || async {
                            ran.fetch_add(1, SeqCst);
                            most.fetch_max(running.fetch_add(1, SeqCst) + 1, SeqCst);
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            running.fetch_sub(1, SeqCst);
                            Err::<Arc<Cached>, ()>(())
                        })
                        .await
                })
            })
            .collect();
        for t in tasks {
            assert!(t.await.unwrap().is_err());
        }
        (ran.load(SeqCst), most.load(SeqCst))
    }

    #[tokio::test]
    async fn a_failed_computation_does_not_make_the_others_queue() {
        // The first fails; the seven who waited for it then compute side by side.
        let (ran, most) = eight_failing_misses(PublicCache::default()).await;
        assert_eq!(ran, 8);
        assert!(most >= 2, "{most} at a time");
    }

    #[tokio::test]
    async fn a_computation_given_up_does_not_leave_the_others_waiting() {
        let cache = PublicCache::default();
        let first = {
            let cache = cache.clone();
            tokio::spawn(async move {
                cache
                    .get_or_compute("gino", "summary", || async {
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                        Ok::<_, ()>(entry("never"))
                    })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        let second = {
            let cache = cache.clone();
            tokio::spawn(async move {
                cache
                    .get_or_compute("gino", "summary", || async { Ok::<_, ()>(entry("b")) })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        first.abort(); // its client went away
        let got = tokio::time::timeout(Duration::from_secs(10), second)
            .await
            .expect("the second reader is not left waiting")
            .unwrap()
            .unwrap();
        assert_eq!(got.0.body, "b");
        assert!(
            cache.flights.lock().unwrap().is_empty(),
            "no flight left behind"
        );
    }

    #[tokio::test]
    async fn a_reader_after_a_write_does_not_get_bytes_from_before_it() {
        let cache = PublicCache::default();
        let before = {
            let cache = cache.clone();
            tokio::spawn(async move {
                cache
                    .get_or_compute("gino", "summary", || async {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        Ok::<_, ()>(entry("before the write"))
                    })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        cache.invalidate("gino"); // a write is acknowledged while that read computes
        let after = cache
            .get_or_compute("gino", "summary", || async {
                Ok::<_, ()>(entry("after the write"))
            })
            .await
            .unwrap();
        assert_eq!(after.0.body, "after the write");
        assert_eq!(before.await.unwrap().unwrap().0.body, "before the write");
        assert_eq!(
            cache.get("gino", "summary").unwrap().0.body,
            "after the write",
            "the older computation was not kept"
        );
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
