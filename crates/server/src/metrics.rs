//! `serve --metrics-listen ADDR`: Prometheus metrics on a listener of their own, so that the
//! public one never shows them. The recorder is installed only then; the metrics the crates
//! record are listed in `docs/operations.md`. The exporter comes without its default features
//! (its push gateway would bring a TLS stack of its own): this route serves what it renders.

use std::net::SocketAddr;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Seconds: from half a millisecond to ten seconds.
const SECONDS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];
/// Writes committed together.
const BATCH: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

/// Installs the recorder and serves `GET /metrics` on `address` in the background.
pub async fn serve(address: SocketAddr) -> std::io::Result<()> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS)
        .and_then(|b| {
            b.set_buckets_for_metric(Matcher::Full("passaparola_writer_batch_size".into()), BATCH)
        })
        .and_then(|b| b.install_recorder())
        .map_err(|e| std::io::Error::other(format!("installing the metrics recorder: {e}")))?;
    let listener = tokio::net::TcpListener::bind(address).await.map_err(|e| {
        std::io::Error::new(e.kind(), format!("listening for metrics on {address}: {e}"))
    })?;
    let local = listener.local_addr()?;
    let app = axum::Router::new()
        .route("/metrics", axum::routing::get(render))
        .with_state(handle);
    tokio::spawn(accept(listener, app));
    tracing::info!(%local, "metrics at /metrics");
    Ok(())
}

/// Connections the metrics listener serves at once; past it, new ones wait in the backlog.
const MAX_SCRAPERS: usize = 16;
/// How long a scraper may take to send its request, and how long one connection may last.
const SCRAPE_WITHIN: std::time::Duration = std::time::Duration::from_secs(10);

/// The metrics listener's loop: a few connections at once, each with a deadline, so that
/// whoever reaches it cannot hold descriptors for ever (the public listener's limits are in
/// [`crate::serve`]).
async fn accept(listener: tokio::net::TcpListener, app: axum::Router) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_SCRAPERS));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                tracing::warn!(error = %e, "could not accept a metrics connection");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(SCRAPE_WITHIN)
            .serve_connection(TokioIo::new(stream), service);
        tokio::spawn(async move {
            let _slot = slot;
            let _ = tokio::time::timeout(SCRAPE_WITHIN, connection).await;
        });
    }
}

async fn render(
    axum::extract::State(handle): axum::extract::State<PrometheusHandle>,
) -> impl axum::response::IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
}
