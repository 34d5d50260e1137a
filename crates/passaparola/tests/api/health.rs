//! `/healthz` and `/readyz`: what a load balancer asks.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{TestApp, each};

#[tokio::test]
async fn a_healthy_server_is_live_and_ready() {
    let app = TestApp::spawn().await;
    let live = app.get("/healthz").await.expect(200);
    assert_eq!(live.body, json!({"status": "ok"}));
    let ready = app.get("/readyz").await.expect(200);
    assert_eq!(ready.body, json!({"status": "ok"}));
}

/// While another process holds the database's write lock (on PostgreSQL, which has none, a
/// lock on the table `/readyz` writes), nothing can be written: `/readyz` says so within its
/// bound, `/healthz` still answers (the process and its writer are fine), and once the lock
/// is gone the server is ready again.
#[tokio::test]
async fn readyz_says_no_while_the_store_cannot_write() {
    let app = TestApp::spawn().await;
    app.get("/readyz").await.expect(200);
    let lock = app.sql().await;
    lock.batch(each(
        "BEGIN IMMEDIATE",
        "BEGIN; LOCK TABLE health_probe IN EXCLUSIVE MODE",
    ))
    .await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let started = std::time::Instant::now();
    let blocked = app.get("/readyz").await;
    assert_eq!(blocked.status, 503);
    assert_eq!(blocked.body, json!({"status": "cannot-write"}));
    assert!(started.elapsed() < Duration::from_secs(5));
    app.get("/healthz").await.expect(200);
    lock.batch("ROLLBACK").await;
    // The probe queued behind the lock goes through, and a fresh one a second later too.
    let mut ready = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if app.get("/readyz").await.status == 200 {
            ready = true;
            break;
        }
    }
    assert!(ready, "ready again once the lock is gone");
}
