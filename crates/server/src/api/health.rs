//! `/healthz` (the process serves, and its writer runs) and `/readyz` (the store takes a
//! durable write now), for load balancers and orchestrators.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use tokio::sync::watch;

use crate::AppState;
use crate::views::Health;

/// How long `/readyz` waits for its write before it says no.
const PROBE_PATIENCE: Duration = Duration::from_secs(2);
/// A probe's answer is reused this long: `/readyz` is public, and each probe is an `fsync`.
const PROBE_REUSED: Duration = Duration::from_secs(1);

/// The readiness probe: the last answer (when, and whether the store wrote), and the probe
/// in flight, if any. One probe runs at a time, in a task of its own, and every caller in
/// the meantime waits for its answer: a caller that goes away neither cancels it nor starts
/// another.
#[derive(Debug, Clone, Default)]
pub struct Probe(Arc<Mutex<ProbeState>>);

#[derive(Debug, Default)]
struct ProbeState {
    last: Option<(Instant, bool)>,
    running: Option<watch::Receiver<Option<bool>>>,
}

impl Probe {
    /// The answer of a probe no older than [`PROBE_REUSED`], of the one in flight, or of a
    /// new one.
    async fn ask(&self, store: Arc<dyn store::Store>) -> bool {
        let mut waiting = {
            let mut state = self.0.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((at, ok)) = state.last
                && at.elapsed() < PROBE_REUSED
            {
                return ok;
            }
            match &state.running {
                Some(rx) => rx.clone(),
                None => {
                    let (tx, rx) = watch::channel(None);
                    state.running = Some(rx.clone());
                    tokio::spawn(probe(self.0.clone(), store, tx));
                    rx
                }
            }
        };
        match waiting.wait_for(Option::is_some).await {
            Ok(answer) => answer.unwrap_or(false),
            Err(_) => false,
        }
    }
}

/// One probe: a durable write within [`PROBE_PATIENCE`], its answer kept and told.
async fn probe(
    state: Arc<Mutex<ProbeState>>,
    store: Arc<dyn store::Store>,
    tx: watch::Sender<Option<bool>>,
) {
    let ok = match tokio::time::timeout(PROBE_PATIENCE, store.probe_write(Utc::now())).await {
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
    {
        let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
        state.last = Some((Instant::now(), ok));
        state.running = None;
    }
    let _ = tx.send(Some(ok));
}

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
/// database locked by another process, a lost connection all say no). One probe at a time
/// and one a second at most; callers in between get its answer.
#[utoipa::path(get, path = "/readyz", responses(
    (status = 200, body = Health, description = "The store takes writes"),
    (status = 503, body = Health, description = "The store cannot write now"),
))]
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let ok = state.ready.ask(state.store.clone()).await;
    answer(ok, "cannot-write")
}
