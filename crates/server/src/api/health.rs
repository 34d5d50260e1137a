//! `/healthz` (the process serves, and its writer runs) and `/readyz` (the store takes a
//! durable write now), for load balancers and orchestrators.

use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;

use crate::AppState;
use crate::views::Health;

/// How long `/readyz` waits for its write before it says no.
const PROBE_PATIENCE: Duration = Duration::from_secs(2);
/// A probe's answer is reused this long: `/readyz` is public, and each probe is an `fsync`.
const PROBE_REUSED: Duration = Duration::from_secs(1);

/// The last readiness probe: when it ran and whether it wrote.
#[derive(Debug, Clone, Default)]
pub struct Probe(std::sync::Arc<tokio::sync::Mutex<Option<(Instant, bool)>>>);

fn answer(ok: bool, failing: &'static str) -> (StatusCode, Json<Health>) {
    if ok {
        (StatusCode::OK, Json(Health { status: "ok" }))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health { status: failing }),
        )
    }
}

/// Liveness: the process serves requests and its writer runs (a writer that died would
/// fail every write while reads went on answering).
#[utoipa::path(get, path = "/healthz", responses(
    (status = 200, body = Health, description = "Serving, and the writer runs"),
    (status = 503, body = Health, description = "The writer has stopped: restart the process"),
))]
pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    answer(state.store.writer_running(), "writer-stopped")
}

/// Readiness: the store commits a small durable write within two seconds (a full disk, a
/// database locked by another process, a lost connection all say no). One probe a second
/// at most; callers in between get its answer.
#[utoipa::path(get, path = "/readyz", responses(
    (status = 200, body = Health, description = "The store takes writes"),
    (status = 503, body = Health, description = "The store cannot write now"),
))]
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let mut last = state.ready.0.lock().await;
    let ok = match *last {
        Some((at, ok)) if at.elapsed() < PROBE_REUSED => ok,
        _ => {
            let probe = tokio::time::timeout(PROBE_PATIENCE, state.store.probe_write(Utc::now()));
            let ok = match probe.await {
                Ok(Ok(())) => true,
                Ok(Err(e)) => {
                    tracing::error!(error = %e, "readiness probe: the store cannot write");
                    false
                }
                Err(_) => {
                    tracing::error!("readiness probe: no write within two seconds");
                    false
                }
            };
            *last = Some((Instant::now(), ok));
            ok
        }
    };
    answer(ok, "cannot-write")
}
