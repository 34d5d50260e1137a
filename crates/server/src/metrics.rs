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
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "the metrics listener stopped");
        }
    });
    tracing::info!(%local, "metrics at /metrics");
    Ok(())
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
