//! Prometheus metrics on their own listener (`serve --metrics-listen`), off by default.

use serde_json::json;

use crate::cli::{Server, create_business, invited};
use crate::helpers::{review_body, sqlite_only};

/// A free port on the loopback interface (bound, then let go).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The value of the series `line_start` (name and labels as rendered), if present.
fn value(text: &str, line_start: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(line_start))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_writes_the_cache_and_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let port = free_port();
    let metrics_address = format!("127.0.0.1:{port}");
    let server = Server::start_with(dir.path(), &log, &["--metrics-listen", &metrics_address]);
    let key = create_business(dir.path(), "bottega-metrica");
    let client = reqwest::Client::new();
    let address = &server.address;

    // Writes (an invitation, a review), reads twice (a miss, then a hit or a ready answer),
    // a path no route knows, and a refusal by a limit (an edit token past its burst).
    let token = invited(&client, address, &key, "M-1").await;
    let review: serde_json::Value = client
        .post(format!("{address}/api/v1/reviews"))
        .json(&review_body(&token, 4))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for _ in 0..3 {
        let resp = client
            .get(format!(
                "{address}/api/v1/businesses/bottega-metrica/summary"
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
    }
    let missing = client
        .get(format!("{address}/nowhere"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let path = format!(
        "{address}/api/v1/reviews/{}",
        review["id"].as_str().unwrap()
    );
    let mut limited = false;
    for i in 0..20 {
        let resp = client
            .patch(&path)
            .bearer_auth(review["edit_token"].as_str().unwrap())
            .json(&json!({ "rating": 1 + i % 5 }))
            .send()
            .await
            .unwrap();
        limited |= resp.status() == 429;
    }
    assert!(limited);

    let resp = client
        .get(format!("http://{metrics_address}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    let series = |s: &str| value(&text, s).unwrap_or_else(|| panic!("no {s} in:\n{text}"));
    assert_eq!(
        series(
            r#"passaparola_http_requests_total{method="POST",route="/api/v1/reviews",status="201"}"#
        ),
        1.0
    );
    assert!(
        series(r#"passaparola_http_requests_total{method="GET",route="unmatched",status="404"}"#)
            >= 1.0
    );
    assert!(
        series(r#"passaparola_http_request_seconds_bucket{route="/api/v1/reviews",le="10"}"#)
            >= 1.0
    );
    assert!(series(r#"passaparola_public_cache_total{outcome="miss"}"#) >= 1.0);
    let hits = value(&text, r#"passaparola_public_cache_total{outcome="hit"}"#).unwrap_or(0.0)
        + value(&text, r#"passaparola_public_cache_total{outcome="ready"}"#).unwrap_or(0.0);
    assert!(hits >= 1.0, "{text}");
    if sqlite_only("the writer's batches are the SQLite backend's") {
        assert!(series("passaparola_writer_batch_size_count") >= 2.0);
        assert!(series(r#"passaparola_writer_batch_seconds_bucket{le="10"}"#) >= 2.0);
    }
    assert!(series("passaparola_log_size") >= 1.0);
    assert!(series(r#"passaparola_rate_limited_total{limit="review-change"}"#) >= 1.0);
    assert!(
        series("passaparola_connections_open") >= 1.0,
        "this client's kept-alive one"
    );
    // Paths carry tokens: no series names one.
    assert!(!text.contains(review["edit_token"].as_str().unwrap()));
    assert!(!text.contains(&token));
    // Never on the public listener.
    let public = client
        .get(format!("{address}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), 404);
}
