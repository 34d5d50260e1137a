//! The whole review lifecycle over HTTP.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, review_body};

#[tokio::test]
async fn the_whole_lifecycle() {
    let app = TestApp::spawn().await;

    // A business invites a customer.
    let invitation = app
        .request(
            Method::POST,
            "/api/v1/invitations",
            Some(&app.api_key),
            Some(&json!({
                "reference": "ORD-1",
                "customer_name": "Maria Verdi",
                "customer_email": "maria@example.it",
                "products": [{"sku": "TGL-500", "name": "Tortellini 500 g"}],
                "locale": "it",
            })),
        )
        .await
        .expect(201)
        .body;
    let token = invitation["token"].as_str().unwrap().to_owned();
    assert!(token.len() >= 22, "at least 128 bits");
    assert_eq!(
        invitation["url"],
        format!("{}/r/{token}", app.address),
        "the link points at this instance"
    );
    assert!(invitation["expires_at"].as_str().is_some());

    // Asking again for the same reference is idempotent.
    let again = app
        .request(
            Method::POST,
            "/api/v1/invitations",
            Some(&app.api_key),
            Some(&json!({"reference": "ORD-1"})),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(again["id"], invitation["id"]);
    assert_eq!(again["token"], invitation["token"]);
    let count = app
        .sql()
        .await
        .count("SELECT COUNT(*) FROM invitations", &[])
        .await;
    assert_eq!(count, 1, "never two invitations for one reference");

    // The review form learns what it needs, and nothing private.
    let public = app
        .get(&format!("/api/v1/invitations/{token}"))
        .await
        .expect(200);
    assert_eq!(public.body["business"]["slug"], app.slug);
    assert_eq!(public.body["business"]["name"], "Trattoria Test");
    assert_eq!(public.body["relationship"], "customer");
    assert_eq!(public.body["products"][0]["sku"], "TGL-500");
    let text = public.body.to_string();
    assert!(!text.contains("maria@example.it") && !text.contains("Maria Verdi"));
    assert!(!text.contains("ORD-1"));

    // The customer writes a verified review.
    let submitted = app
        .request(
            Method::POST,
            "/api/v1/reviews",
            None,
            Some(&review_body(&token, 2)),
        )
        .await
        .expect(201);
    let id = submitted.body["id"].as_str().unwrap().to_owned();
    let edit_token = submitted.body["edit_token"].as_str().unwrap().to_owned();
    assert_eq!(
        submitted.header("location"),
        Some(format!("/api/v1/reviews/{id}").as_str())
    );
    assert_eq!(submitted.body["verified"], true);
    assert_eq!(submitted.body["status"], "published");
    assert_eq!(submitted.body["rating"], 2);
    assert_eq!(
        submitted.body["language"], "it",
        "defaults to the invitation's locale"
    );
    assert_eq!(submitted.body["relationship"], "customer");
    assert!(submitted.body["created_at"].as_str().is_some());

    // The token is single-use.
    app.request(
        Method::POST,
        "/api/v1/reviews",
        None,
        Some(&review_body(&token, 5)),
    )
    .await
    .expect(409);
    let used = app
        .get(&format!("/api/v1/invitations/{token}"))
        .await
        .expect(409);
    assert_eq!(used.body["type"], "/problems/invitation-used");

    // Anyone can read it; the edit token is never shown again.
    let review_path = format!("/api/v1/reviews/{id}");
    let read = app.get(&review_path).await.expect(200);
    assert_eq!(read.body["title"], "Servizio cortese");
    assert!(read.body.get("edit_token").is_none());
    let etag = read.header("etag").unwrap().to_owned();
    let not_modified = app
        .client
        .get(format!("{}{review_path}", app.address))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(not_modified.status(), 304);

    let summary_path = format!("/api/v1/businesses/{}/summary", app.slug);
    let summary = app.get(&summary_path).await.expect(200).body;
    assert_eq!(summary["review_count"], 1);
    assert_eq!(summary["distribution"]["2"], 1);
    assert_eq!(summary["nps"], 100.0);
    assert_eq!(summary["reply_rate"], 0.0);
    assert_eq!(summary["median_reply_seconds"], serde_json::Value::Null);

    // The author edits; the history keeps both versions, the summary follows.
    let edited = app
        .request(
            Method::PATCH,
            &review_path,
            Some(&edit_token),
            Some(&json!({"rating": 4, "body": "Risolto tutto dopo una telefonata."})),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(edited["rating"], 4);
    assert_eq!(edited["title"], "Servizio cortese");
    assert_eq!(edited["edit_count"], 1);
    assert!(edited["updated_at"].as_str().is_some());
    let summary = app.get(&summary_path).await.expect(200).body;
    assert_eq!(summary["distribution"]["2"], 0);
    assert_eq!(summary["distribution"]["4"], 1);
    assert_eq!(summary["rating_average"], 4.0);

    // A follow-up needs a reply first.
    let follow_up_path = format!("{review_path}/follow-up");
    let early = app
        .request(
            Method::POST,
            &follow_up_path,
            Some(&edit_token),
            Some(&json!({"body": "Grazie!"})),
        )
        .await
        .expect(409);
    assert_eq!(early.body["type"], "/problems/reply-required");

    // The business replies, then edits its reply.
    let reply_path = format!("{review_path}/reply");
    let reply = json!({"body": "Ci scusi per il ritardo.", "responder_name": "Gino", "responder_role": "Titolare"});
    let first = app
        .request(Method::PUT, &reply_path, Some(&app.api_key), Some(&reply))
        .await
        .expect(201)
        .body;
    assert_eq!(first["reply"]["responder_name"], "Gino");
    assert_eq!(first["reply"]["responder_role"], "Titolare");
    let second = app
        .request(
            Method::PUT,
            &reply_path,
            Some(&app.api_key),
            Some(&json!({"body": "Ci scusi ancora per il ritardo.", "responder_name": "Gino"})),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(second["reply"]["body"], "Ci scusi ancora per il ritardo.");
    assert_eq!(second["reply"]["edit_count"], 1);

    // Another business can neither reply nor edit the reply.
    let (_, other_key) = app.create_business("altra-ditta", "Altra Ditta").await;
    let forbidden = app
        .request(Method::PUT, &reply_path, Some(&other_key), Some(&reply))
        .await
        .expect(403);
    assert_eq!(forbidden.body["type"], "/problems/forbidden");

    // The reviewer answers once.
    let answered = app
        .request(
            Method::POST,
            &follow_up_path,
            Some(&edit_token),
            Some(&json!({"body": "Grazie, gentilissimi."})),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(answered["follow_up"]["body"], "Grazie, gentilissimi.");
    app.request(
        Method::POST,
        &follow_up_path,
        Some(&edit_token),
        Some(&json!({"body": "Ancora!"})),
    )
    .await
    .expect(409);

    let summary = app.get(&summary_path).await.expect(200).body;
    assert_eq!(summary["reply_rate"], 1.0);
    assert!(summary["median_reply_seconds"].as_i64().unwrap() >= 0);

    // The history, oldest first.
    let history = app
        .get(&format!("{review_path}/history"))
        .await
        .expect(200)
        .body;
    let kinds: Vec<_> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "review_published",
            "review_edited",
            "reply_published",
            "reply_edited",
            "follow_up_published"
        ]
    );
    assert_eq!(history["events"][0]["data"]["rating"], 2);
    assert_eq!(history["events"][1]["data"]["rating"], 4);
    assert_eq!(
        history["events"][2]["data"]["body"],
        "Ci scusi per il ritardo."
    );

    // The author withdraws: a tombstone stays, the figures forget it, retrying is harmless.
    let tombstone = app
        .request(Method::DELETE, &review_path, Some(&edit_token), None)
        .await
        .expect(200)
        .body;
    assert_eq!(tombstone["status"], "withdrawn");
    assert!(tombstone["withdrawn_at"].as_str().is_some());
    for field in [
        "rating",
        "title",
        "body",
        "author_name",
        "reply",
        "follow_up",
    ] {
        assert!(tombstone[field].is_null(), "{field} must be hidden");
    }
    app.request(Method::DELETE, &review_path, Some(&edit_token), None)
        .await
        .expect(200);
    let read = app.get(&review_path).await.expect(200).body;
    assert_eq!(read["status"], "withdrawn");
    assert!(read["body"].is_null());
    let history = app
        .get(&format!("{review_path}/history"))
        .await
        .expect(200)
        .body;
    let events = history["events"].as_array().unwrap();
    assert_eq!(events.len(), 6);
    assert_eq!(events[5]["kind"], "review_withdrawn");
    assert!(
        events[..5].iter().all(|e| e["data"].is_null()),
        "no content after withdrawal"
    );
    // The withdrawal itself holds no text: shown, so that the tombstone can be checked.
    assert_eq!(events[5]["data"], json!({}));

    let summary = app.get(&summary_path).await.expect(200).body;
    assert_eq!(summary["review_count"], 0);
    assert_eq!(summary["rating_average"], serde_json::Value::Null);
    assert_eq!(summary["median_reply_seconds"], serde_json::Value::Null);
    let page = app
        .get(&format!("/api/v1/businesses/{}/reviews", app.slug))
        .await
        .expect(200)
        .body;
    assert_eq!(page["items"].as_array().unwrap().len(), 0);

    // A withdrawn review can no longer change.
    app.request(
        Method::PATCH,
        &review_path,
        Some(&edit_token),
        Some(&json!({"rating": 5})),
    )
    .await
    .expect(409);
    app.request(Method::PUT, &reply_path, Some(&app.api_key), Some(&reply))
        .await
        .expect(409);
}

/// A change that changes nothing leaves no mark: no history event, no log entry, no edit count.
#[tokio::test]
async fn repeating_an_edit_or_a_reply_changes_nothing() {
    let app = TestApp::spawn().await;
    let created = app.review("ORD-1", 3).await;
    let path = format!("/api/v1/reviews/{}", created["id"].as_str().unwrap());
    let edit = created["edit_token"].as_str().unwrap();
    let reply = json!({"body": "Grazie!", "responder_name": "Gino", "responder_role": "Titolare"});
    app.request(
        Method::PUT,
        &format!("{path}/reply"),
        Some(&app.api_key),
        Some(&reply),
    )
    .await
    .expect(201);
    let db = app.sql().await;
    let log_size = async || db.count("SELECT COUNT(*) FROM log_entries", &[]).await;
    let events_before = app.get(&format!("{path}/history")).await.expect(200).body["events"]
        .as_array()
        .unwrap()
        .len();
    let entries_before = log_size().await;
    let same = [
        json!({"rating": 3}),
        json!({"title": created["title"]}),
        json!({"rating": 3, "title": created["title"], "body": created["body"]}),
        // Normalised text equal to what is stored is the same text.
        json!({"body": format!("  {}  ", created["body"].as_str().unwrap())}),
    ];
    for patch in &same {
        let read = app
            .request(Method::PATCH, &path, Some(edit), Some(patch))
            .await
            .expect(200);
        assert_eq!(read.body["edit_count"], 0, "{patch}");
    }
    app.request(
        Method::PUT,
        &format!("{path}/reply"),
        Some(&app.api_key),
        Some(&reply),
    )
    .await
    .expect(200);
    let history = app.get(&format!("{path}/history")).await.expect(200).body;
    assert_eq!(history["events"].as_array().unwrap().len(), events_before);
    assert_eq!(
        log_size().await,
        entries_before,
        "no log entry for a non-change"
    );
    // A real change still counts.
    let read = app
        .request(
            Method::PATCH,
            &path,
            Some(edit),
            Some(&json!({"rating": 4})),
        )
        .await
        .expect(200);
    assert_eq!(read.body["edit_count"], 1);
    assert_eq!(log_size().await, entries_before + 1);
}

#[tokio::test]
async fn expired_invitations_are_gone() {
    let app = TestApp::spawn().await;
    let token = app.invite("ORD-OLD").await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    app.sql()
        .await
        .execute("UPDATE invitations SET expires_at = 0", &[])
        .await;
    let gone = app
        .get(&format!("/api/v1/invitations/{token}"))
        .await
        .expect(410);
    assert_eq!(gone.body["type"], "/problems/invitation-expired");
    app.request(
        Method::POST,
        "/api/v1/reviews",
        None,
        Some(&review_body(&token, 5)),
    )
    .await
    .expect(410);
}

#[tokio::test]
async fn profile_and_summary_change_as_soon_as_a_review_arrives() {
    let app = TestApp::spawn().await;
    let profile_path = format!("/api/v1/businesses/{}", app.slug);
    let empty = app.get(&profile_path).await.expect(200);
    assert_eq!(empty.body["summary"]["review_count"], 0);
    assert_eq!(empty.header("cache-control"), Some("public, max-age=15"));
    let etag = empty.header("etag").unwrap().to_owned();

    app.review("ORD-1", 5).await;
    let after = app.get(&profile_path).await.expect(200);
    assert_eq!(after.body["summary"]["review_count"], 1);
    assert_ne!(
        after.header("etag").unwrap(),
        etag,
        "a new review changes the ETag"
    );

    let summaries: Vec<_> = ["customer", "supplier"]
        .iter()
        .map(|rel| format!("/api/v1/businesses/{}/summary?relationship={rel}", app.slug))
        .collect();
    assert_eq!(
        app.get(&summaries[0]).await.expect(200).body["review_count"],
        1
    );
    assert_eq!(
        app.get(&summaries[1]).await.expect(200).body["review_count"],
        0,
        "a customer's review never counts for suppliers"
    );
}

#[tokio::test]
async fn relationships_keep_their_own_voice() {
    let app = TestApp::spawn().await;
    let invitation = app
        .request(
            Method::POST,
            "/api/v1/invitations",
            Some(&app.api_key),
            Some(&json!({"reference": "SUP-1", "relationship": "supplier", "locale": "en"})),
        )
        .await
        .expect(201)
        .body;
    let review = app
        .request(
            Method::POST,
            "/api/v1/reviews",
            None,
            Some(&review_body(invitation["token"].as_str().unwrap(), 3)),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(review["relationship"], "supplier");
    assert_eq!(review["language"], "en");
    let base = format!("/api/v1/businesses/{}/reviews", app.slug);
    let customers = app.get(&base).await.expect(200).body;
    assert_eq!(customers["items"].as_array().unwrap().len(), 0);
    let suppliers = app
        .get(&format!("{base}?relationship=supplier"))
        .await
        .expect(200)
        .body;
    assert_eq!(suppliers["items"][0]["id"], review["id"]);
}

#[tokio::test]
async fn invitations_are_per_business_and_private() {
    let app = TestApp::spawn().await;
    let (_, other_key) = app.create_business("altra-ditta", "Altra Ditta").await;
    let ours = app.invite("ORD-1").await;
    let theirs = app
        .request(
            Method::POST,
            "/api/v1/invitations",
            Some(&other_key),
            Some(&json!({"reference": "ORD-1"})),
        )
        .await
        .expect(201)
        .body;
    assert_ne!(
        ours["id"], theirs["id"],
        "the same reference at two businesses"
    );
    let public = app
        .get(&format!(
            "/api/v1/invitations/{}",
            theirs["token"].as_str().unwrap()
        ))
        .await
        .expect(200)
        .body;
    assert_eq!(public["business"]["slug"], "altra-ditta");
}

#[tokio::test]
async fn text_is_kept_as_written_and_never_interpreted() {
    let app = TestApp::spawn().await;
    let token = app.invite("ORD-X").await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let title = "<script>alert('x')</script> & \"quotes\"";
    let body = "Caffe\u{301} ottimo 👍\n<img src=x onerror=alert(1)>";
    let created = app
        .request(
            Method::POST,
            "/api/v1/reviews",
            None,
            Some(&json!({
                "token": token,
                "rating": 5,
                "title": format!("  {title}  "),
                "body": body,
                "author_name": "Zoë <b>",
            })),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(created["title"], title, "trimmed, otherwise exact");
    assert_eq!(
        created["body"], "Caff\u{e9} ottimo 👍\n<img src=x onerror=alert(1)>",
        "normalised to NFC"
    );
    assert_eq!(created["author_name"], "Zoë <b>");
    assert_eq!(created["nps"], serde_json::Value::Null);
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let app = TestApp::spawn().await;
    let doc = app.get("/api/openapi.json").await.expect(200).body;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    for (path, methods) in [
        ("/healthz", &["get"][..]),
        ("/readyz", &["get"]),
        ("/api/v1/invitations", &["post"]),
        ("/api/v1/invitations/{token}", &["get"]),
        ("/api/v1/reviews", &["post"]),
        ("/api/v1/reviews/{id}", &["get", "patch", "delete"]),
        ("/api/v1/reviews/{id}/history", &["get"]),
        ("/api/v1/reviews/{id}/reply", &["put"]),
        ("/api/v1/reviews/{id}/follow-up", &["post"]),
        ("/api/v1/businesses/{slug}", &["get"]),
        ("/api/v1/businesses/{slug}/reviews", &["get"]),
        ("/api/v1/businesses/{slug}/summary", &["get"]),
        ("/api/v1/reviews/{id}/receipt", &["get"]),
        ("/api/v1/log/entries/{index}/receipt", &["get"]),
        ("/log/checkpoint", &["get"]),
        ("/log/key", &["get"]),
    ] {
        for method in methods {
            assert!(
                paths.get(path).and_then(|p| p.get(*method)).is_some(),
                "{method} {path} is not described"
            );
        }
    }
    // Operation ids name operations uniquely (OpenAPI requires it; client generators rely
    // on it), and every operation with a JSON body describes the body's errors.
    let mut ids = std::collections::HashSet::new();
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap_or_default();
            assert!(
                ids.insert(id.to_owned()),
                "{method} {path}: operationId {id:?} repeats"
            );
            if op.get("requestBody").is_some() {
                for status in ["400", "413", "415", "422"] {
                    assert!(
                        op["responses"].get(status).is_some(),
                        "{method} {path} does not describe {status}"
                    );
                }
            }
        }
    }
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["api_key"]["scheme"], "bearer");
    assert_eq!(schemes["edit_token"]["scheme"], "bearer");
}
