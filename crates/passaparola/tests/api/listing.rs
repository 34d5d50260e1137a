//! Keyset pagination and filters of a business's reviews.

use std::collections::HashSet;

use serde_json::Value;

use crate::helpers::TestApp;

/// Walks every page of `query`, returning (rating, created_at, id) in the order served.
async fn walk(app: &TestApp, query: &str) -> Vec<(i64, String, String)> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/businesses/{}/reviews?limit=4&{query}", app.slug);
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = app.get(&path).await.expect(200).body;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 4);
        for r in items {
            out.push((
                r["rating"].as_i64().unwrap(),
                r["created_at"].as_str().unwrap().to_owned(),
                r["id"].as_str().unwrap().to_owned(),
            ));
        }
        match &page["next_cursor"] {
            Value::String(c) => cursor = Some(c.clone()),
            _ => break,
        }
        assert!(out.len() <= 100, "pagination does not end");
    }
    out
}

#[tokio::test]
async fn every_sort_pages_through_all_reviews_once_in_order() {
    let app = TestApp::spawn().await;
    // 13 reviews: ratings in a scrambled order, so that each sort differs from the others.
    let ratings = [3, 5, 1, 4, 4, 2, 5, 1, 3, 3, 5, 2, 4];
    for (i, rating) in ratings.iter().enumerate() {
        app.review(&format!("ORD-{i}"), *rating).await;
    }
    let newest = walk(&app, "sort=newest").await;
    assert_eq!(newest.len(), ratings.len());
    let ids: HashSet<_> = newest.iter().map(|r| r.2.clone()).collect();
    assert_eq!(ids.len(), ratings.len(), "no review twice");
    // Submitted in order: newest first is the reverse of the ratings list.
    let served: Vec<_> = newest.iter().map(|r| r.0).collect();
    let mut expected = ratings.to_vec();
    expected.reverse();
    assert_eq!(served, expected);

    let oldest = walk(&app, "sort=oldest").await;
    let mut reversed = newest.clone();
    reversed.reverse();
    assert_eq!(oldest, reversed);

    // Highest: by stars descending, the newest first within a star value.
    let highest = walk(&app, "sort=highest").await;
    let mut expected = newest.clone();
    expected.sort_by_key(|r| std::cmp::Reverse(r.0)); // stable: newest first within a rating
    assert_eq!(highest, expected);

    // Lowest: by stars ascending, the newest first within a star value.
    let lowest = walk(&app, "sort=lowest").await;
    let mut expected = newest.clone();
    expected.sort_by_key(|r| r.0);
    assert_eq!(lowest, expected);

    // Filtering by stars.
    for stars in 1..=5 {
        let only = walk(&app, &format!("rating={stars}&sort=highest")).await;
        assert_eq!(
            only.len(),
            ratings.iter().filter(|r| **r == stars).count(),
            "rating={stars}"
        );
        assert!(only.iter().all(|r| r.0 == stars));
    }
}

#[tokio::test]
async fn a_cached_first_page_shows_a_new_review_at_once() {
    let app = TestApp::spawn().await;
    let path = format!("/api/v1/businesses/{}/reviews", app.slug);
    assert_eq!(
        app.get(&path).await.expect(200).body["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let created = app.review("ORD-1", 4).await;
    let page = app.get(&path).await.expect(200).body;
    assert_eq!(page["items"][0]["id"], created["id"]);
    assert_eq!(page["next_cursor"], Value::Null);
}

/// A review's history pages by keyset like the lists: `limit` events, then `next_cursor`
/// until it is `null`; the pages together are the whole history, in order.
#[tokio::test]
async fn a_reviews_history_pages_with_cursors() {
    let app = TestApp::spawn().await;
    let review = app.review("ORD-1", 3).await;
    let id = review["id"].as_str().unwrap();
    let token = review["edit_token"].as_str().unwrap();
    for rating in [4, 5, 2] {
        app.request(
            reqwest::Method::PATCH,
            &format!("/api/v1/reviews/{id}"),
            Some(token),
            Some(&serde_json::json!({ "rating": rating })),
        )
        .await
        .expect(200);
    }
    let path = format!("/api/v1/reviews/{id}/history");
    let whole = app.get(&path).await.expect(200).body;
    assert_eq!(whole["next_cursor"], Value::Null);
    let whole = whole["events"].as_array().unwrap().clone();
    assert_eq!(whole.len(), 4);

    let mut paged = Vec::new();
    let mut next = format!("{path}?limit=3");
    loop {
        let page = app.get(&next).await.expect(200).body;
        let events = page["events"].as_array().unwrap();
        assert!(!events.is_empty() && events.len() <= 3);
        paged.extend(events.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => next = format!("{path}?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(paged, whole);

    for bad in ["limit=0", "limit=101", "limit=x"] {
        let reply = app.get(&format!("{path}?{bad}")).await.expect(400);
        assert_eq!(reply.body["type"], "/problems/invalid-query", "{bad}");
    }
    // A list's cursor is not a history's.
    let list = app
        .get(&format!("/api/v1/businesses/{}/reviews?limit=1", app.slug))
        .await
        .expect(200)
        .body;
    assert!(list["next_cursor"].is_null(), "one review: no next page");
    for cursor in [
        "bm9wZQ",
        "!!!",
        "eyJzIjoibmV3ZXN0IiwiciI6MywidCI6MSwicSI6MX0",
    ] {
        let reply = app
            .get(&format!("{path}?cursor={cursor}"))
            .await
            .expect(400);
        assert_eq!(reply.body["type"], "/problems/invalid-cursor", "{cursor}");
    }
}
