//! The public log over HTTP: receipts, history walks, tiles and bundles.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use domain::lifecycle::EventKind;
use domain::log_entry::{LogEntry, commitment};
use ledger::memory::MemoryLog;
use ledger::note::open_checkpoint;
use ledger::receipt::Receipt;
use ledger::tiles::{decode_bundle, tile_hashes};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, each};

async fn bytes(app: &TestApp, path: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let resp = app
        .client
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, headers, resp.bytes().await.unwrap().to_vec())
}

/// Checks that a log reference opens its entry's commitment.
fn assert_opens(log: &Value, entry: &LogEntry) {
    let salt: [u8; 32] = STANDARD
        .decode(log["salt"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let content = log["content"].as_str().unwrap().as_bytes();
    assert_eq!(
        commitment(&salt, content),
        entry.commitment,
        "the opening opens the commitment"
    );
}

#[tokio::test]
async fn a_submission_comes_with_a_receipt_that_verifies_offline() {
    let app = TestApp::spawn().await;
    let created = app.review("ORD-1", 4).await;
    let (status, _, key) = bytes(&app, "/log/key").await;
    assert_eq!(status, 200);
    assert_eq!(String::from_utf8(key).unwrap().trim(), app.log_key);

    let text = created["receipt"]
        .as_str()
        .expect("the submission carries its receipt");
    assert!(text.starts_with("c2sp.org/tlog-proof@v1\n"));
    let receipt = Receipt::parse(text.as_bytes()).unwrap();
    let checkpoint = receipt.verify(&app.log_key).unwrap();
    assert!(checkpoint.size() > receipt.index);

    let entry = LogEntry::decode(receipt.extra.as_ref().unwrap()).unwrap();
    assert_eq!(entry.kind, EventKind::ReviewPublished);
    assert_eq!(entry.review.to_string(), created["id"].as_str().unwrap());
    assert_eq!(entry.previous, None);
    assert_eq!(created["log"]["index"], receipt.index);
    assert_opens(&created["log"], &entry);
    // What was committed is what is shown: the rating is inside the commitment.
    let content: Value = serde_json::from_str(created["log"]["content"].as_str().unwrap()).unwrap();
    assert_eq!(content["rating"], 4);
    assert_eq!(content["title"], created["title"]);
    assert_eq!(content["body"], created["body"]);

    // The receipt endpoint serves the same proof, as a download.
    let id = created["id"].as_str().unwrap();
    let (status, headers, served) = bytes(&app, &format!("/api/v1/reviews/{id}/receipt")).await;
    assert_eq!(status, 200);
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains(".tlog-proof")
    );
    Receipt::parse(&served)
        .unwrap()
        .verify(&app.log_key)
        .unwrap();

    // A receipt under another key, or with the entry changed, does not verify.
    let mut forged = receipt.clone();
    let mut tampered = forged.extra.take().unwrap();
    tampered[1] = EventKind::ReviewWithdrawn.code();
    forged.extra = Some(tampered);
    assert!(forged.verify(&app.log_key).is_err());
}

#[tokio::test]
async fn a_reviews_whole_history_can_be_walked_from_the_log() {
    let app = TestApp::spawn().await;
    let other = app.review("ORD-0", 5).await; // interleaved entries of another review
    let created = app.review("ORD-1", 2).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let edit = created["edit_token"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/reviews/{id}");
    app.request(
        Method::PATCH,
        &path,
        Some(&edit),
        Some(&json!({"rating": 3})),
    )
    .await
    .expect(200);
    app.request(
        Method::PUT,
        &format!("{path}/reply"),
        Some(&app.api_key),
        Some(&json!({"body": "Ci dispiace.", "responder_name": "Gino"})),
    )
    .await
    .expect(201);
    app.request(
        Method::PATCH,
        &format!("/api/v1/reviews/{}", other["id"].as_str().unwrap()),
        Some(other["edit_token"].as_str().unwrap()),
        Some(&json!({"title": "Ancora meglio"})),
    )
    .await
    .expect(200);
    app.request(
        Method::POST,
        &format!("{path}/follow-up"),
        Some(&edit),
        Some(&json!({"body": "Grazie."})),
    )
    .await
    .expect(201);
    let history = app.get(&format!("{path}/history")).await.expect(200).body;

    // An auditor's view: the checkpoint, and every entry from the bundles.
    let (_, _, signed) = bytes(&app, "/log/checkpoint").await;
    let checkpoint = open_checkpoint(&signed, &app.log_key).unwrap();
    let size = checkpoint.size();
    assert_eq!(size, 6);
    let (status, headers, bundle) = bytes(&app, &format!("/log/tile/entries/000.p/{size}")).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/octet-stream");
    let entries = decode_bundle(&bundle).unwrap();
    assert_eq!(entries.len() as u64, size);
    let mut log = MemoryLog::new();
    for e in &entries {
        log.append(e).unwrap();
    }
    assert_eq!(
        log.root(size).unwrap().0,
        checkpoint.hash().0,
        "the entries are the signed tree"
    );
    let (_, _, tile) = bytes(&app, &format!("/log/tile/0/000.p/{size}")).await;
    let leaves = tile_hashes(&tile).unwrap();
    for (leaf, entry) in leaves.iter().zip(&entries) {
        assert_eq!(leaf.0, ledger::record_hash(entry).0);
    }

    // Walk the review's chain backwards from its latest entry.
    let events = history["events"].as_array().unwrap();
    let mut index = events.last().unwrap()["log"]["index"].as_u64();
    let mut walked = Vec::new();
    while let Some(i) = index {
        let entry = LogEntry::decode(&entries[i as usize]).unwrap();
        assert_eq!(entry.review.to_string(), id);
        walked.push((i, entry));
        index = entry.previous;
    }
    walked.reverse();
    assert_eq!(
        walked.len(),
        events.len(),
        "no event is missing from the chain"
    );
    for ((i, entry), event) in walked.iter().zip(events) {
        assert_eq!(event["log"]["index"], *i);
        assert_eq!(entry.kind.as_str(), event["kind"]);
        assert_opens(&event["log"], entry);
        // Every event of the history has its own receipt, by its log index.
        let (status, headers, served) =
            bytes(&app, &format!("/api/v1/log/entries/{i}/receipt")).await;
        assert_eq!(status, 200);
        assert!(
            headers["content-disposition"]
                .to_str()
                .unwrap()
                .contains(&format!("entry-{i}.tlog-proof"))
        );
        let receipt = Receipt::parse(&served).unwrap();
        assert_eq!(receipt.index, *i);
        assert_eq!(receipt.extra.as_deref(), Some(&entries[*i as usize][..]));
        receipt.verify(&app.log_key).unwrap();
    }
    // Beyond the log, or not a canonical index: no receipt.
    for bad in [format!("{size}"), "01".into(), "-1".into(), "x".into()] {
        app.get(&format!("/api/v1/log/entries/{bad}/receipt"))
            .await
            .expect(404);
    }
    let kinds: Vec<_> = walked.iter().map(|(_, e)| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EventKind::ReviewPublished,
            EventKind::ReviewEdited,
            EventKind::ReplyPublished,
            EventKind::FollowUpPublished
        ]
    );

    // Withdrawn: the chain grows; the texts' openings are no longer shown, the withdrawal's
    // own (it commits to `{}`) is, so that anyone can check the tombstone.
    app.request(Method::DELETE, &path, Some(&edit), None)
        .await
        .expect(200);
    let tombstone = app.get(&path).await.expect(200).body;
    let index = tombstone["log"]["index"].as_u64().unwrap();
    assert!(index >= size);
    assert_eq!(tombstone["log"]["content"], "{}");
    let (_, _, bundle) = bytes(&app, &format!("/log/tile/entries/000.p/{}", index + 1)).await;
    let withdrawal = LogEntry::decode(&decode_bundle(&bundle).unwrap()[index as usize]).unwrap();
    assert_eq!(withdrawal.kind, EventKind::ReviewWithdrawn);
    assert_opens(&tombstone["log"], &withdrawal);
    let history = app.get(&format!("{path}/history")).await.expect(200).body;
    let (last, texts) = history["events"].as_array().unwrap().split_last().unwrap();
    assert_eq!(last["kind"], "review_withdrawn");
    assert_eq!(last["log"]["content"], "{}");
    assert!(
        texts
            .iter()
            .all(|e| e["data"].is_null() && e["log"]["salt"].is_null()),
        "{texts:?}"
    );
}

#[tokio::test]
async fn tiles_are_served_as_c2sp_tlog_tiles_says() {
    // Without write limits: one edit token makes 259 edits.
    let app = TestApp::spawn_unlimited().await;
    // One review edited until the log holds 260 entries: a full level-0 tile and a partial.
    let created = app.review("ORD-1", 3).await;
    let id = created["id"].as_str().unwrap();
    let edit = created["edit_token"].as_str().unwrap();
    for i in 0..259 {
        app.request(
            Method::PATCH,
            &format!("/api/v1/reviews/{id}"),
            Some(edit),
            Some(&json!({"rating": 1 + i % 5})),
        )
        .await
        .expect(200);
    }
    let (_, _, signed) = bytes(&app, "/log/checkpoint").await;
    let checkpoint = open_checkpoint(&signed, &app.log_key).unwrap();
    assert_eq!(checkpoint.size(), 260);

    let (status, headers, full) = bytes(&app, "/log/tile/0/000").await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&full));
    assert_eq!(full.len(), 8192);
    assert_eq!(
        headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let (_, _, partial) = bytes(&app, "/log/tile/0/001.p/4").await;
    assert_eq!(partial.len(), 4 * 32);
    let (_, _, level1) = bytes(&app, "/log/tile/1/000.p/1").await;
    let (_, _, bundle) = bytes(&app, "/log/tile/entries/000").await;
    let entries = decode_bundle(&bundle).unwrap();
    assert_eq!(entries.len(), 256);
    // The level-1 hash is the root of the full level-0 tile's entries.
    let mut first = MemoryLog::new();
    for e in &entries {
        first.append(e).unwrap();
    }
    assert_eq!(level1, first.root(256).unwrap().0.to_vec());

    for missing in [
        "/log/tile/0/001",     // not full yet
        "/log/tile/0/000.p/5", // the full tile exists: no partial
        "/log/tile/0/001.p/5", // wider than the tree
        "/log/tile/2/000.p/1", // no such level yet
        "/log/tile/entries/002.p/1",
        "/log/tile/0/1", // malformed
        "/log/tile/x/000",
    ] {
        let reply = app.get(missing).await;
        assert_eq!(reply.status, 404, "{missing}");
        assert_eq!(reply.content_type(), "application/problem+json");
    }
}

#[tokio::test]
async fn erasure_leaves_the_log_whole_and_the_content_gone() {
    let app = TestApp::spawn().await;
    let created = app.review("ORD-1", 5).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let edit = created["edit_token"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/reviews/{id}");
    app.request(
        Method::PUT,
        &format!("{path}/reply"),
        Some(&app.api_key),
        Some(&json!({"body": "Grazie Maria", "responder_name": "Gino"})),
    )
    .await
    .expect(201);
    let (_, _, before) = bytes(&app, "/log/checkpoint").await;
    let size_before = open_checkpoint(&before, &app.log_key).unwrap().size();

    let tombstone = app
        .request(Method::POST, &format!("{path}/erase"), Some(&edit), None)
        .await
        .expect(200)
        .body;
    assert_eq!(tombstone["status"], "erased");
    assert!(tombstone["erased_at"].as_str().is_some());
    for field in [
        "rating",
        "title",
        "body",
        "author_name",
        "reply",
        "follow_up",
    ] {
        assert!(tombstone[field].is_null(), "{field}");
    }
    // Retrying is harmless; further changes are refused as gone.
    app.request(Method::POST, &format!("{path}/erase"), Some(&edit), None)
        .await
        .expect(200);
    app.request(
        Method::PATCH,
        &path,
        Some(&edit),
        Some(&json!({"rating": 1})),
    )
    .await
    .expect(410);

    // The figures forget it; nothing of the text is left in the database.
    let summary = app
        .get(&format!("/api/v1/businesses/{}/summary", app.slug))
        .await
        .expect(200)
        .body;
    assert_eq!(summary["review_count"], 0);
    let db = app.sql().await;
    // PostgreSQL's events have no `data` column: their `content` is all there is.
    let leftovers = db
        .count(
            each(
                "SELECT (SELECT COUNT(*) FROM reviews WHERE title != '' OR body != '' OR author_name != '')
                      + (SELECT COUNT(*) FROM review_events WHERE review_id = ?1 AND kind != 'content_erased'
                            AND (salt IS NOT NULL OR content IS NOT NULL OR data != 'null'))
                      + (SELECT COUNT(*) FROM invitations WHERE customer_email IS NOT NULL)",
                "SELECT (SELECT COUNT(*) FROM reviews WHERE title != '' OR body != '' OR author_name != '')
                      + (SELECT COUNT(*) FROM review_events WHERE review_id = $1 AND kind != 'content_erased'
                            AND (salt IS NOT NULL OR content IS NOT NULL))
                      + (SELECT COUNT(*) FROM invitations WHERE customer_email IS NOT NULL)",
            ),
            &[(&id).into()],
        )
        .await;
    assert_eq!(leftovers, 0, "no personal content left");
    let dump = db
        .value(
            each(
                "SELECT group_concat(CAST(data AS TEXT) || COALESCE(CAST(content AS TEXT), ''), '') FROM review_events",
                "SELECT string_agg(COALESCE(convert_from(content, 'UTF8'), ''), '') FROM review_events",
            ),
            &[],
        )
        .await
        .text();
    assert!(!dump.contains("Maria") && !dump.contains("Servizio cortese"));

    // The log: every entry still there, plus the erasure, under a consistent checkpoint.
    let (_, _, after) = bytes(&app, "/log/checkpoint").await;
    let checkpoint = open_checkpoint(&after, &app.log_key).unwrap();
    assert_eq!(checkpoint.size(), size_before + 1);
    let (_, _, bundle) = bytes(
        &app,
        &format!("/log/tile/entries/000.p/{}", checkpoint.size()),
    )
    .await;
    let entries = decode_bundle(&bundle).unwrap();
    let mut log = MemoryLog::new();
    for e in &entries {
        log.append(e).unwrap();
    }
    let old = open_checkpoint(&before, &app.log_key).unwrap();
    assert_eq!(
        log.root(size_before).unwrap().0,
        old.hash().0,
        "consistent with before"
    );
    assert_eq!(log.root(checkpoint.size()).unwrap().0, checkpoint.hash().0);
    let last = LogEntry::decode(entries.last().unwrap()).unwrap();
    assert_eq!(last.kind, EventKind::ContentErased);
    assert_eq!(last.review.to_string(), id);
    assert!(
        last.previous.is_some(),
        "the erasure continues the review's chain"
    );

    let history = app.get(&format!("{path}/history")).await.expect(200).body;
    let events = history["events"].as_array().unwrap();
    let (erasure, earlier) = events.split_last().unwrap();
    assert_eq!(erasure["kind"], "content_erased");
    assert!(
        earlier
            .iter()
            .all(|e| e["data"].is_null() && e["log"]["salt"].is_null())
    );
    // The erasure's own opening says who asked for it, and nothing else.
    assert_eq!(erasure["log"]["content"], r#"{"erased_by":"reviewer"}"#);
    assert_opens(&erasure["log"], &last);
    assert!(
        events.iter().all(|e| e["log"]["index"].is_u64()),
        "indexes stay"
    );
}

/// Tiles above the tree's top level, or past its size, do not exist: 404, never a tile of
/// another level (a shift by 64 bits or more wrapped around) and never a panic.
#[tokio::test]
async fn tiles_past_the_tree_are_not_found() {
    let app = TestApp::spawn().await;
    for i in 0..3 {
        app.review(&format!("ORD-{i}"), 4).await;
    }
    let (status, _, body) = bytes(&app, "/log/tile/0/000.p/3").await;
    assert_eq!((status, body.len()), (200, 3 * 32), "the tree's own tile");
    for path in [
        "/log/tile/0/000.p/4",
        "/log/tile/1/000.p/1",
        "/log/tile/7/000.p/1",
        "/log/tile/8/000.p/1",
        "/log/tile/9/000.p/1",
        "/log/tile/31/000.p/1",
        "/log/tile/32/000.p/1",
        "/log/tile/63/000.p/1",
        "/log/tile/9/x999/x999/x999/x999/x999/999",
        "/log/tile/entries/x999/x999/x999/x999/x999/999",
    ] {
        let (status, _, _) = bytes(&app, path).await;
        assert_eq!(status, 404, "{path}");
    }
}
