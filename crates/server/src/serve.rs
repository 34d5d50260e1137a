//! The connection loop: accepting, timeouts on reading and writing, a cap on connections,
//! and draining at shutdown.
//!
//! Hand-written around hyper rather than `axum::serve` because that sets no timeouts and no
//! cap: here every connection has [`HEADER_READ_TIMEOUT`] (and the app a
//! [`BODY_READ_TIMEOUT`]) and [`WRITE_TIMEOUT`]; past the cap, connections are still taken,
//! but each answers one request under short timeouts, so that a crowd of idle sockets cannot
//! keep a health check out. It is also where the public cache's ready responses are served,
//! before any routing ([`crate::cache::PublicCache::ready`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use tokio_io_timeout::TimeoutStream;

use crate::{AppState, router};

/// How long a client may take to send a request's headers (the first request's, and each
/// next one's on a kept-alive connection). A connection that sends nothing, or a byte at a
/// time, is closed then rather than held open for ever (slowloris).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a client may take to send a request's body.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a write to the client may wait for it to read: a client that sends requests
/// and never reads the answers is cut off then.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// Past the cap, how long a connection may take to send its one request's headers.
pub const CROWDED_HEADER_TIMEOUT: Duration = Duration::from_secs(2);
/// Past the cap, how long its answer may wait for the client to read.
const CROWDED_WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// Past the cap, how long a connection may last in all (its one request included).
pub const CROWDED_DEADLINE: Duration = Duration::from_secs(10);
/// How long shutdown waits for open requests to finish.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// Descriptors kept for everything but client connections (the database, the log, the
/// listener, a margin).
const RESERVED_DESCRIPTORS: u64 = 128;
/// The default cap on connections served normally.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

/// How many connections are served normally, and how many at all (the descriptors allow).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionCap {
    pub normal: usize,
    pub total: usize,
}

impl ConnectionCap {
    /// The cap for `wanted` normal connections under a descriptor limit of `descriptors`:
    /// both stay below the limit, and half of what the limit leaves past the normal ones
    /// (at most as many again) is for crowded connections.
    pub fn new(wanted: usize, descriptors: u64) -> Self {
        let usable = descriptors.saturating_sub(RESERVED_DESCRIPTORS).max(16) as usize;
        let normal = wanted.clamp(1, usable * 3 / 4);
        let total = (normal + normal.max(64)).min(usable);
        Self { normal, total }
    }
}

/// Raises this process's descriptor limit to its hard limit; returns the limit in force.
fn raise_descriptor_limit() -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(e) => {
            tracing::warn!(error = %e, "could not read or raise the descriptor limit");
            1024
        }
    }
}

/// Serves the application of `state` on `listener` until `shutdown` completes, then drains
/// open requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let descriptors = raise_descriptor_limit();
    let cap = ConnectionCap::new(
        state.max_connections.unwrap_or(DEFAULT_MAX_CONNECTIONS),
        descriptors,
    );
    tracing::info!(
        descriptors,
        connections = cap.normal,
        crowded = cap.total - cap.normal,
        "connection limits"
    );
    let front = state.cache.clone();
    let app = router(state).layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
        BODY_READ_TIMEOUT,
    ));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let open = Arc::new(AtomicUsize::new(0));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        if open.load(Ordering::Acquire) >= cap.total {
            // Every descriptor we may use is in use: let the kernel's backlog hold the next
            // ones until a connection ends (the crowded ones end within seconds).
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(10)) => continue,
                () = &mut shutdown => break,
            }
        }
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    tracing::warn!(error = %e, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let crowded = open.fetch_add(1, Ordering::AcqRel) >= cap.normal;
        metrics::gauge!("passaparola_connections_open").increment(1.0);
        if crowded {
            metrics::counter!("passaparola_connections_crowded_total").increment(1);
        }
        let held = Held(open.clone());
        let (header_timeout, write_timeout) = if crowded {
            (CROWDED_HEADER_TIMEOUT, CROWDED_WRITE_TIMEOUT)
        } else {
            (HEADER_READ_TIMEOUT, WRITE_TIMEOUT)
        };
        let mut stream = TimeoutStream::new(stream);
        stream.set_write_timeout(Some(write_timeout));
        let (app, front) = (app.clone(), front.clone());
        let service = hyper::service::service_fn(
            move |mut request: axum::http::Request<hyper::body::Incoming>| {
                let (app, front) = (app.clone(), front.clone());
                async move {
                    if let Some(ready) = front.ready(&request) {
                        crate::observe::record("GET".into(), "(ready)".into(), 200, None);
                        return Ok::<_, std::convert::Infallible>(ready);
                    }
                    let get = (request.method() == axum::http::Method::GET)
                        .then(|| request.uri().clone());
                    // The peer's address, for the limits (`extract::ClientIp`).
                    request
                        .extensions_mut()
                        .insert(axum::extract::ConnectInfo(peer));
                    let response =
                        tower::ServiceExt::oneshot(app, request.map(axum::body::Body::new)).await?;
                    if let Some(uri) = get {
                        front.keep(&uri, &response);
                    }
                    Ok(response)
                }
            },
        );
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout)
            .keep_alive(!crowded)
            .serve_connection(TokioIo::new(Box::pin(stream)), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _held = held;
            // Past the cap, a connection has a few seconds in all, whatever it does: slow
            // headers, a slow body or a slow reader alike.
            let served = if crowded {
                match tokio::time::timeout(CROWDED_DEADLINE, connection).await {
                    Ok(served) => served,
                    Err(_) => return,
                }
            } else {
                connection.await
            };
            // A client that goes away mid-request is not our error.
            if let Err(e) = served {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("some connections were still open after the drain timeout");
    }
    Ok(())
}

/// One open connection, counted until it ends.
struct Held(Arc<AtomicUsize>);

impl Drop for Held {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
        metrics::gauge!("passaparola_connections_open").decrement(1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_stays_below_the_descriptor_limit() {
        // A generous limit: the wanted cap, and as many again when crowded.
        let cap = ConnectionCap::new(10_000, 1_048_576);
        assert_eq!((cap.normal, cap.total), (10_000, 20_000));
        // Debian's default soft limit of 1,024, if it could not be raised.
        let cap = ConnectionCap::new(10_000, 1024);
        assert_eq!(cap.normal, 672);
        assert_eq!(cap.total, 896);
        assert!(cap.total as u64 + RESERVED_DESCRIPTORS <= 1024);
        // A small cap still leaves room for a crowd.
        let cap = ConnectionCap::new(10, 20_000);
        assert_eq!((cap.normal, cap.total), (10, 74));
        // Absurd limits give a usable answer, never a panic.
        let cap = ConnectionCap::new(0, 0);
        assert!(cap.normal >= 1 && cap.total >= cap.normal);
    }
}
