//! Permission paths: every credential used where it does not belong is refused, with the
//! problem type as well as the status.

use reqwest::Method;
use reqwest::header::{ACCEPT_LANGUAGE, COOKIE};
use serde_json::{Value, json};

use domain::ids::ReviewId;
use domain::secret::TokenHash;

use crate::helpers::{Reply, TestApp, each, review_body};
use crate::web::{logged_in, page, post_with};

/// Asserts the status and the problem's type (`/problems/{kind}`); returns the problem.
#[track_caller]
fn problem(reply: Reply, status: u16, kind: &str) -> Value {
    let body = reply.expect(status).body;
    assert_eq!(body["type"], format!("/problems/{kind}"), "{body}");
    body
}

/// A review as anyone reads it, with its whole history: what a refused write must not touch.
async fn public_state(app: &TestApp, id: &str) -> (Value, Value) {
    let review = app
        .get(&format!("/api/v1/reviews/{id}"))
        .await
        .expect(200)
        .body;
    let history = app
        .get(&format!("/api/v1/reviews/{id}/history"))
        .await
        .expect(200)
        .body;
    (review, history)
}

/// The number of entries in the public log.
async fn log_size(app: &TestApp) -> i64 {
    app.sql()
        .await
        .count("SELECT COUNT(*) FROM log_entries", &[])
        .await
}

/// The id `/keys` shows for a key: the first 8 bytes of its SHA-256, in lower-case hex.
fn key_id(key: &str) -> String {
    TokenHash::of(key).as_bytes()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn reply_body() -> Value {
    json!({"body": "Grazie della visita.", "responder_name": "Gino", "responder_role": "Titolare"})
}

/// A second business and an invitation of its, with a reference and a customer the first
/// business never sees: (slug, API key, the invitation as created).
async fn second_business(app: &TestApp, reference: &str) -> (String, String, Value) {
    let (slug, key) = app.create_business("altra-ditta", "Altra Ditta").await;
    let invitation = app
        .request(
            Method::POST,
            "/api/v1/invitations",
            Some(&key),
            Some(&json!({
                "reference": reference,
                "customer_name": "Bruno Riservato",
                "customer_email": "bruno.riservato@altra.example",
            })),
        )
        .await
        .expect(201)
        .body;
    (slug, key, invitation)
}

// ── a) One review's edit token on another review ──────────────────────────────────────────

/// Review A's real edit token opens nothing of review B (of the same business, the case a
/// reviewer with two reviews could try, nor of another business's): every write that takes an
/// edit token answers `401 unauthorized` (the store's `BadEditToken`), and B is unchanged.
#[tokio::test]
async fn an_edit_token_opens_its_own_review_only() {
    let app = TestApp::spawn().await;
    let a = app.review("ORD-A", 4).await;
    let a_token = a["edit_token"].as_str().unwrap();
    let a_id = a["id"].as_str().unwrap();
    let b = app.review("ORD-B", 2).await;
    let b_id = b["id"].as_str().unwrap();
    let b_path = format!("/api/v1/reviews/{b_id}");
    // B has a reply, so that a follow-up with the right token would be accepted: only the
    // token can be why it is refused.
    app.request(
        Method::PUT,
        &format!("{b_path}/reply"),
        Some(&app.api_key),
        Some(&reply_body()),
    )
    .await
    .expect(201);
    let (b_before, b_history) = public_state(&app, b_id).await;
    let a_before = public_state(&app, a_id).await;
    let entries = log_size(&app).await;

    let attempts: [(Method, String, Option<Value>); 4] = [
        (Method::PATCH, b_path.clone(), Some(json!({"rating": 5}))),
        (Method::DELETE, b_path.clone(), None),
        (
            Method::POST,
            format!("{b_path}/follow-up"),
            Some(json!({"body": "Non sono io."})),
        ),
        (Method::POST, format!("{b_path}/erase"), None),
    ];
    for (method, path, body) in &attempts {
        let refused = app
            .request(method.clone(), path, Some(a_token), body.as_ref())
            .await;
        assert_eq!(
            refused.header("www-authenticate"),
            Some("Bearer"),
            "{method} {path}"
        );
        problem(refused, 401, "unauthorized");
    }

    // Another business's review: the same.
    let (_, _, invitation) = second_business(&app, "ALT-1").await;
    let c = app
        .request(
            Method::POST,
            "/api/v1/reviews",
            None,
            Some(&review_body(invitation["token"].as_str().unwrap(), 3)),
        )
        .await
        .expect(201)
        .body;
    let c_id = c["id"].as_str().unwrap();
    let c_before = public_state(&app, c_id).await;
    let c_path = format!("/api/v1/reviews/{c_id}");
    problem(
        app.request(
            Method::PATCH,
            &c_path,
            Some(a_token),
            Some(&json!({"rating": 1})),
        )
        .await,
        401,
        "unauthorized",
    );
    problem(
        app.request(
            Method::POST,
            &format!("{c_path}/erase"),
            Some(a_token),
            None,
        )
        .await,
        401,
        "unauthorized",
    );

    // Nothing changed: not B, not C, not A, and not the log.
    assert_eq!(public_state(&app, b_id).await, (b_before, b_history));
    assert_eq!(public_state(&app, c_id).await, c_before);
    assert_eq!(public_state(&app, a_id).await, a_before);
    assert_eq!(
        log_size(&app).await,
        entries + 1,
        "only C's submission was logged"
    );

    // B's own token does what A's could not: the refusals were about the token.
    let answered = app
        .request(
            Method::POST,
            &format!("{b_path}/follow-up"),
            Some(b["edit_token"].as_str().unwrap()),
            Some(&json!({"body": "Grazie a voi."})),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(answered["follow_up"]["body"], "Grazie a voi.");
}

// ── b) Erasure's refusals ─────────────────────────────────────────────────────────────────

#[tokio::test]
async fn erasure_needs_the_reviews_own_edit_token() {
    let app = TestApp::spawn().await;
    let review = app.review("ORD-E", 5).await;
    let id = review["id"].as_str().unwrap();
    let token = review["edit_token"].as_str().unwrap();
    let path = format!("/api/v1/reviews/{id}/erase");
    let before = public_state(&app, id).await;
    let (_, other_key) = app.create_business("altra-ditta", "Altra Ditta").await;

    // No credential at all.
    let anonymous = app.request(Method::POST, &path, None, None).await;
    assert_eq!(anonymous.header("www-authenticate"), Some("Bearer"));
    problem(anonymous, 401, "unauthorized");
    // A made-up token, of the right shape and not.
    let made_up = app::tokens::new_edit_token();
    for bogus in [made_up.expose(), "ppe_made-up", "x"] {
        problem(
            app.request(Method::POST, &path, Some(bogus), None).await,
            401,
            "unauthorized",
        );
    }
    // A business's API key is no edit token: neither another business's nor the review's
    // own business's.
    for key in [other_key.as_str(), app.api_key.as_str()] {
        problem(
            app.request(Method::POST, &path, Some(key), None).await,
            401,
            "unauthorized",
        );
    }
    // A review that does not exist, with a well-formed id or not, even with a real token.
    let unknown = format!("/api/v1/reviews/{}/erase", ReviewId::generate());
    problem(
        app.request(Method::POST, &unknown, Some(token), None).await,
        404,
        "not-found",
    );
    for malformed in ["not-an-id", "1", "00000000-0000-0000-0000-00000000000g"] {
        problem(
            app.request(
                Method::POST,
                &format!("/api/v1/reviews/{malformed}/erase"),
                Some(token),
                None,
            )
            .await,
            404,
            "not-found",
        );
    }
    assert_eq!(public_state(&app, id).await, before, "no refusal erased it");

    // The author erases; a second erasure is harmless: the same tombstone, no new event.
    let first = app
        .request(Method::POST, &path, Some(token), None)
        .await
        .expect(200)
        .body;
    assert_eq!(first["status"], "erased");
    assert!(first["erased_at"].as_str().is_some());
    assert!(first["title"].is_null() && first["body"].is_null());
    let entries = log_size(&app).await;
    let (_, history) = public_state(&app, id).await;
    let again = app
        .request(Method::POST, &path, Some(token), None)
        .await
        .expect(200)
        .body;
    assert_eq!(again, first, "the same tombstone");
    assert_eq!(log_size(&app).await, entries, "no second log entry");
    assert_eq!(public_state(&app, id).await, (first, history));
    // And after the erasure a wrong token is still refused as such, not as gone.
    problem(
        app.request(Method::POST, &path, Some("ppe_made-up"), None)
            .await,
        401,
        "unauthorized",
    );
}

// ── c) Another business's API key on `/keys` ──────────────────────────────────────────────

/// A user of one business cannot revoke another business's key, even knowing its id: the
/// page answers 404 (as for a key that does not exist) and the key keeps working.
#[tokio::test]
async fn a_user_cannot_revoke_another_businesss_key() {
    let app = TestApp::spawn().await;
    let (cookie, csrf) = logged_in(&app, "giulia@example.it").await;
    let (_, theirs) = app.create_business("altra-ditta", "Altra Ditta").await;
    let id = key_id(&theirs);

    // The id as `/keys` would show it, and in capitals (the store compares without case).
    for id in [id.clone(), id.to_ascii_uppercase()] {
        let refused = post_with(
            &app,
            &format!("/keys/{id}/revoke"),
            &cookie,
            &[("csrf", csrf.as_str())],
        )
        .await;
        assert_eq!(refused.status(), 404, "/keys/{id}/revoke");
        assert!(refused.text().await.unwrap().contains("Page not found"));
    }
    let revoked = app
        .sql()
        .await
        .value(
            each(
                "SELECT revoked_at FROM api_keys WHERE substr(hex(hash), 1, 16) = upper(?1)",
                "SELECT revoked_at FROM api_keys WHERE substr(encode(hash, 'hex'), 1, 16) = lower($1)",
            ),
            &[(&id).into()],
        )
        .await
        .opt_int();
    assert_eq!(revoked, None, "their key is not revoked");
    // Their key still works on the API.
    app.request(
        Method::POST,
        "/api/v1/invitations",
        Some(&theirs),
        Some(&json!({"reference": "STILL-1"})),
    )
    .await
    .expect(201);

    // The same form with our own key's id does revoke it: the refusal above was about whose
    // key it is.
    let ours = key_id(&app.api_key);
    let done = post_with(
        &app,
        &format!("/keys/{ours}/revoke"),
        &cookie,
        &[("csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(done.status(), 200);
    problem(
        app.request(
            Method::POST,
            "/api/v1/invitations",
            Some(&app.api_key),
            Some(&json!({"reference": "GONE-1"})),
        )
        .await,
        401,
        "unauthorized",
    );
    app.request(
        Method::POST,
        "/api/v1/invitations",
        Some(&theirs),
        Some(&json!({"reference": "STILL-2"})),
    )
    .await
    .expect(201);
}

// ── d) The business pages show one business's data ────────────────────────────────────────

#[tokio::test]
async fn the_business_pages_show_only_their_own_businesss_invitations_and_keys() {
    let app = TestApp::spawn().await;
    let (cookie, _) = logged_in(&app, "giulia@example.it").await;
    let ours = app.invite("OUR-REF-1").await;
    let (_, their_key, theirs) = second_business(&app, "THEIR-REF-9").await;
    // The same reference at both businesses: two invitations, each its own business's.
    let shared_ours = app.invite("SHARED-1").await;
    let shared_theirs = app
        .request(
            Method::POST,
            "/api/v1/invitations",
            Some(&their_key),
            Some(&json!({"reference": "SHARED-1", "customer_email": "altro@altra.example"})),
        )
        .await
        .expect(201)
        .body;
    assert_ne!(shared_ours["token"], shared_theirs["token"]);

    let headers = [(ACCEPT_LANGUAGE.as_str(), "en"), (COOKIE.as_str(), &cookie)];
    let invitations = page(&app, "/invitations", &headers).await;
    assert_eq!(invitations.status, 200);
    let html = &invitations.html;
    // Ours are there (the page lists invitations at all)…
    for mine in [&ours, &shared_ours] {
        assert!(
            html.contains(mine["url"].as_str().unwrap()),
            "our own link is listed"
        );
    }
    assert!(html.contains("OUR-REF-1"));
    assert_eq!(html.matches("<tr><td>SHARED-1").count(), 1);
    // …theirs are not: no reference, customer, address or link of theirs.
    for secret in [
        "THEIR-REF-9",
        "Bruno Riservato",
        "bruno.riservato@altra.example",
        "altro@altra.example",
        theirs["token"].as_str().unwrap(),
        shared_theirs["token"].as_str().unwrap(),
    ] {
        assert!(!html.contains(secret), "/invitations shows {secret}");
    }

    let keys = page(&app, "/keys", &headers).await;
    assert_eq!(keys.status, 200);
    assert!(
        keys.html
            .contains(&format!("/keys/{}/revoke", key_id(&app.api_key)))
    );
    let their_id = key_id(&their_key);
    assert!(!keys.html.contains(&their_id), "/keys shows their key id");
    assert!(!keys.html.contains(&their_id.to_ascii_uppercase()));
    assert_eq!(keys.html.matches("/revoke\"").count(), 1, "one key: ours");
}

// ── e) Lifecycle refusals, with their problem types ───────────────────────────────────────

#[tokio::test]
async fn a_withdrawn_review_refuses_every_change() {
    let app = TestApp::spawn().await;
    let review = app.review("ORD-W", 3).await;
    let id = review["id"].as_str().unwrap();
    let token = review["edit_token"].as_str().unwrap();
    let path = format!("/api/v1/reviews/{id}");
    app.request(
        Method::PUT,
        &format!("{path}/reply"),
        Some(&app.api_key),
        Some(&reply_body()),
    )
    .await
    .expect(201);
    let tombstone = app
        .request(Method::DELETE, &path, Some(token), None)
        .await
        .expect(200)
        .body;
    assert_eq!(tombstone["status"], "withdrawn");
    let before = public_state(&app, id).await;

    problem(
        app.request(
            Method::PATCH,
            &path,
            Some(token),
            Some(&json!({"rating": 5})),
        )
        .await,
        409,
        "review-withdrawn",
    );
    problem(
        app.request(
            Method::POST,
            &format!("{path}/follow-up"),
            Some(token),
            Some(&json!({"body": "Ci ripenso."})),
        )
        .await,
        409,
        "review-withdrawn",
    );
    problem(
        app.request(
            Method::PUT,
            &format!("{path}/reply"),
            Some(&app.api_key),
            Some(&json!({"body": "Un'altra risposta.", "responder_name": "Gino"})),
        )
        .await,
        409,
        "review-withdrawn",
    );
    // Another business learns nothing of its state: forbidden, as for a published one.
    let (_, other_key) = app.create_business("altra-ditta", "Altra Ditta").await;
    problem(
        app.request(
            Method::PUT,
            &format!("{path}/reply"),
            Some(&other_key),
            Some(&reply_body()),
        )
        .await,
        403,
        "forbidden",
    );
    // Withdrawing again is harmless.
    let again = app
        .request(Method::DELETE, &path, Some(token), None)
        .await
        .expect(200)
        .body;
    assert_eq!(again, tombstone);
    assert_eq!(public_state(&app, id).await, before);
}

#[tokio::test]
async fn a_follow_up_needs_a_reply_and_comes_once() {
    let app = TestApp::spawn().await;
    let review = app.review("ORD-F", 2).await;
    let id = review["id"].as_str().unwrap();
    let token = review["edit_token"].as_str().unwrap();
    let path = format!("/api/v1/reviews/{id}");
    let follow_up = format!("{path}/follow-up");

    problem(
        app.request(
            Method::POST,
            &follow_up,
            Some(token),
            Some(&json!({"body": "Nessuno risponde?"})),
        )
        .await,
        409,
        "reply-required",
    );
    assert!(public_state(&app, id).await.0["follow_up"].is_null());

    app.request(
        Method::PUT,
        &format!("{path}/reply"),
        Some(&app.api_key),
        Some(&reply_body()),
    )
    .await
    .expect(201);
    app.request(
        Method::POST,
        &follow_up,
        Some(token),
        Some(&json!({"body": "Grazie della risposta."})),
    )
    .await
    .expect(201);
    let before = public_state(&app, id).await;
    problem(
        app.request(
            Method::POST,
            &follow_up,
            Some(token),
            Some(&json!({"body": "E un'altra cosa."})),
        )
        .await,
        409,
        "follow-up-exists",
    );
    assert_eq!(public_state(&app, id).await, before);
    assert_eq!(before.0["follow_up"]["body"], "Grazie della risposta.");
}

#[tokio::test]
async fn an_erased_review_is_gone_for_every_change() {
    let app = TestApp::spawn().await;
    let review = app.review("ORD-X", 1).await;
    let id = review["id"].as_str().unwrap();
    let token = review["edit_token"].as_str().unwrap();
    let path = format!("/api/v1/reviews/{id}");
    app.request(
        Method::PUT,
        &format!("{path}/reply"),
        Some(&app.api_key),
        Some(&reply_body()),
    )
    .await
    .expect(201);
    let tombstone = app
        .request(Method::POST, &format!("{path}/erase"), Some(token), None)
        .await
        .expect(200)
        .body;
    assert_eq!(tombstone["status"], "erased");
    let before = public_state(&app, id).await;

    problem(
        app.request(
            Method::PATCH,
            &path,
            Some(token),
            Some(&json!({"title": "Di nuovo"})),
        )
        .await,
        410,
        "review-erased",
    );
    problem(
        app.request(
            Method::POST,
            &format!("{path}/follow-up"),
            Some(token),
            Some(&json!({"body": "Ancora io."})),
        )
        .await,
        410,
        "review-erased",
    );
    problem(
        app.request(
            Method::PUT,
            &format!("{path}/reply"),
            Some(&app.api_key),
            Some(&json!({"body": "Risposta nuova.", "responder_name": "Gino"})),
        )
        .await,
        410,
        "review-erased",
    );
    // A withdrawal of an erased review is answered as already done: it stays erased.
    let withdrawn = app
        .request(Method::DELETE, &path, Some(token), None)
        .await
        .expect(200)
        .body;
    assert_eq!(withdrawn["status"], "erased");
    assert_eq!(public_state(&app, id).await, before);

    // A withdrawn review can still be erased, once.
    let other = app.review("ORD-Y", 4).await;
    let other_path = format!("/api/v1/reviews/{}", other["id"].as_str().unwrap());
    let other_token = other["edit_token"].as_str().unwrap();
    let withdrawn = app
        .request(Method::DELETE, &other_path, Some(other_token), None)
        .await
        .expect(200)
        .body;
    let erased = app
        .request(
            Method::POST,
            &format!("{other_path}/erase"),
            Some(other_token),
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(erased["status"], "erased");
    assert_eq!(
        erased["withdrawn_at"], withdrawn["withdrawn_at"],
        "the withdrawal's date is kept"
    );
}

#[tokio::test]
async fn a_used_invitation_is_refused_as_used() {
    let app = TestApp::spawn().await;
    let token = app.invite("ORD-U").await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let first = app
        .request(
            Method::POST,
            "/api/v1/reviews",
            None,
            Some(&review_body(&token, 5)),
        )
        .await
        .expect(201)
        .body;
    let id = first["id"].as_str().unwrap();
    let before = public_state(&app, id).await;
    problem(
        app.request(
            Method::POST,
            "/api/v1/reviews",
            None,
            Some(&review_body(&token, 1)),
        )
        .await,
        409,
        "invitation-used",
    );
    problem(
        app.get(&format!("/api/v1/invitations/{token}")).await,
        409,
        "invitation-used",
    );
    assert_eq!(public_state(&app, id).await, before);
    let reviews = app
        .sql()
        .await
        .count("SELECT COUNT(*) FROM reviews", &[])
        .await;
    assert_eq!(reviews, 1);
}

/// The `(field, code)` pairs of a validation problem, in order.
#[track_caller]
fn invalid_fields(reply: Reply) -> Vec<(String, String)> {
    let body = problem(reply, 422, "validation-error");
    body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert!(!e["message"].as_str().unwrap().is_empty(), "{e}");
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(f, c)| ((*f).to_owned(), (*c).to_owned()))
        .collect()
}

#[tokio::test]
async fn invalid_fields_of_changes_are_named_with_their_codes() {
    let app = TestApp::spawn().await;
    let review = app.review("ORD-V", 3).await;
    let id = review["id"].as_str().unwrap();
    let token = review["edit_token"].as_str().unwrap();
    let path = format!("/api/v1/reviews/{id}");
    let long = |n: usize| "a".repeat(n);

    // PATCH: out of range, too long, empty, of the wrong type; every bad field named.
    let patches: [(Value, &[(&str, &str)]); 6] = [
        (json!({"rating": 6}), &[("rating", "out_of_range")]),
        (json!({"rating": 0}), &[("rating", "out_of_range")]),
        (json!({"title": long(121)}), &[("title", "too_long")]),
        (json!({"body": long(5001)}), &[("body", "too_long")]),
        (json!({"rating": "five"}), &[("rating", "invalid_type")]),
        (
            json!({"rating": -1, "title": "", "body": long(5001)}),
            &[
                ("rating", "out_of_range"),
                ("title", "required"),
                ("body", "too_long"),
            ],
        ),
    ];
    for (patch, expected) in &patches {
        let got = invalid_fields(
            app.request(Method::PATCH, &path, Some(token), Some(patch))
                .await,
        );
        assert_eq!(got, pairs(expected), "PATCH {patch}");
    }

    // PUT …/reply.
    let reply = format!("{path}/reply");
    let replies: [(Value, &[(&str, &str)]); 4] = [
        (
            json!({"body": long(5001), "responder_name": "Gino"}),
            &[("body", "too_long")],
        ),
        (
            json!({"body": "Grazie", "responder_name": long(61)}),
            &[("responder_name", "too_long")],
        ),
        (
            json!({"body": "Grazie", "responder_name": "Gino", "responder_role": long(61)}),
            &[("responder_role", "too_long")],
        ),
        (
            json!({"body": "", "responder_name": "", "responder_role": long(61)}),
            &[
                ("body", "required"),
                ("responder_name", "required"),
                ("responder_role", "too_long"),
            ],
        ),
    ];
    for (body, expected) in &replies {
        let got = invalid_fields(
            app.request(Method::PUT, &reply, Some(&app.api_key), Some(body))
                .await,
        );
        assert_eq!(got, pairs(expected), "PUT reply {body}");
    }

    // POST …/follow-up, on a second review (each edit token has 10 changes at once), after
    // a reply, so that only the field can be refused.
    let second = app.review("ORD-V2", 4).await;
    let second_id = second["id"].as_str().unwrap();
    let second_token = second["edit_token"].as_str().unwrap();
    let second_path = format!("/api/v1/reviews/{second_id}");
    app.request(
        Method::PUT,
        &format!("{second_path}/reply"),
        Some(&app.api_key),
        Some(&reply_body()),
    )
    .await
    .expect(201);
    let follow_up = format!("{second_path}/follow-up");
    let follow_ups: [(Value, &[(&str, &str)]); 3] = [
        (json!({"body": long(5001)}), &[("body", "too_long")]),
        (json!({"body": ""}), &[("body", "required")]),
        (json!({"body": 7}), &[("body", "invalid_type")]),
    ];
    for (body, expected) in &follow_ups {
        let got = invalid_fields(
            app.request(Method::POST, &follow_up, Some(second_token), Some(body))
                .await,
        );
        assert_eq!(got, pairs(expected), "POST follow-up {body}");
    }

    // Nothing refused changed either review: the first rating, no edit, no reply on the
    // first, no follow-up on the second.
    let (first, _) = public_state(&app, id).await;
    assert_eq!(first["rating"], 3);
    assert_eq!(first["edit_count"], 0);
    assert!(first["reply"].is_null());
    let (second, _) = public_state(&app, second_id).await;
    assert!(second["follow_up"].is_null());

    // The bounds themselves are accepted: the codes above are about the one character more.
    let edited = app
        .request(
            Method::PATCH,
            &path,
            Some(token),
            Some(&json!({"rating": 5, "title": long(120), "body": long(5000)})),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(edited["rating"], 5);
    app.request(
        Method::PUT,
        &reply,
        Some(&app.api_key),
        Some(&json!({"body": long(5000), "responder_name": long(60), "responder_role": long(60)})),
    )
    .await
    .expect(201);
    app.request(
        Method::POST,
        &follow_up,
        Some(second_token),
        Some(&json!({"body": long(5000)})),
    )
    .await
    .expect(201);
}
