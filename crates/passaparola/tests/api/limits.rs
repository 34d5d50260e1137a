//! The write limits: per credential and per client, answered `429` with `Retry-After`, as
//! problem+json from the API and as a page from the pages.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{Reply, TestApp, review_body};
use crate::web::{logged_in, post_with};
use app::limits::Action;

/// A refusal: 429, the problem `rate-limited`, and a `Retry-After` in whole seconds.
#[track_caller]
fn limited(reply: Reply) {
    let reply = reply.expect(429);
    assert_eq!(reply.body["type"], "/problems/rate-limited");
    let wait: u64 = reply.header("retry-after").unwrap().parse().unwrap();
    assert!(wait >= 1, "{wait}");
}

/// One edit token made 1,500 edits in a second, each a permanent log entry. Now it has a
/// burst, then waits; another review's token does not.
#[tokio::test]
async fn an_edit_token_past_its_burst_is_told_to_wait() {
    let app = TestApp::spawn().await;
    let one = app.review("ORD-1", 3).await;
    let two = app.review("ORD-2", 3).await;
    let edit = |review: &serde_json::Value, rating: i64| {
        let path = format!("/api/v1/reviews/{}", review["id"].as_str().unwrap());
        let token = review["edit_token"].as_str().unwrap().to_owned();
        let app = &app;
        async move {
            app.request(
                Method::PATCH,
                &path,
                Some(&token),
                Some(&json!({"rating": rating})),
            )
            .await
        }
    };
    let (burst, _) = Action::ReviewChange.rates();
    for i in 0..burst.burst {
        edit(&one, 1 + i64::from(i % 5)).await.expect(200);
    }
    limited(edit(&one, 5).await);
    // Another spelling of the same token is the same credential, not a fresh limit.
    for scheme in ["bearer", "BEARER", "Bearer "] {
        let resp = reqwest::Client::new()
            .patch(format!(
                "{}/api/v1/reviews/{}",
                app.address,
                one["id"].as_str().unwrap()
            ))
            .header(
                "authorization",
                format!("{scheme} {}", one["edit_token"].as_str().unwrap()),
            )
            .json(&json!({"rating": 2}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 429, "{scheme:?}");
    }
    // A follow-up by the same token counts against the same limit.
    let follow_up = app
        .request(
            Method::POST,
            &format!("/api/v1/reviews/{}/follow-up", one["id"].as_str().unwrap()),
            Some(one["edit_token"].as_str().unwrap()),
            Some(&json!({"body": "Aggiornamento"})),
        )
        .await;
    limited(follow_up);
    edit(&two, 4).await.expect(200);
    // The refused edit left no trace in the history: the publication and the edits made.
    let history = app
        .get(&format!(
            "/api/v1/reviews/{}/history",
            one["id"].as_str().unwrap()
        ))
        .await
        .expect(200);
    let events = history.body["events"].as_array().unwrap();
    assert_eq!(events.len(), 1 + burst.burst as usize);
}

#[tokio::test]
async fn replies_per_key_are_limited() {
    let app = TestApp::spawn().await;
    let review = app.review("ORD-1", 2).await;
    let path = format!("/api/v1/reviews/{}/reply", review["id"].as_str().unwrap());
    let (burst, _) = Action::Reply.rates();
    for i in 0..burst.burst {
        app.request(
            Method::PUT,
            &path,
            Some(&app.api_key),
            Some(&json!({"body": format!("Grazie, versione {i}"), "responder_name": "Giulia"})),
        )
        .await
        .expect(if i == 0 { 201 } else { 200 });
    }
    let refused = app
        .request(
            Method::PUT,
            &path,
            Some(&app.api_key),
            Some(&json!({"body": "Ancora", "responder_name": "Giulia"})),
        )
        .await;
    limited(refused);
}

/// Submissions carry no credential but a single-use invitation: one client has a burst.
#[tokio::test]
async fn submissions_per_client_are_limited() {
    let app = TestApp::spawn().await;
    let (_, per_client) = Action::Submission.rates();
    for i in 0..per_client.burst {
        app.review(&format!("ORD-{i}"), 5).await;
    }
    let token = app.invite("ORD-LAST").await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let refused = app
        .request(
            Method::POST,
            "/api/v1/reviews",
            None,
            Some(&review_body(&token, 5)),
        )
        .await;
    limited(refused);
}

/// The pages refuse with a page, in the visitor's language, with `Retry-After`.
#[tokio::test]
async fn key_creation_on_the_page_is_limited() {
    let app = TestApp::spawn().await;
    let (cookie, csrf) = logged_in(&app, "giulia@example.it").await;
    let (burst, _) = Action::Account.rates();
    for _ in 0..burst.burst {
        let created = post_with(&app, "/keys", &cookie, &[("csrf", csrf.as_str())]).await;
        assert_eq!(created.status(), 200, "{:?}", created.headers());
    }
    let refused = post_with(&app, "/keys", &cookie, &[("csrf", csrf.as_str())]).await;
    assert_eq!(refused.status(), 429);
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait >= 1);
    let html = refused.text().await.unwrap();
    assert!(html.contains("Too many at once"), "{html}");
    assert!(html.contains(&format!("{wait} seconds")), "{html}");
}
