//! Imported reviews: unverified, counted nowhere, found again by their source and identifier,
//! logged as their own first event.

use chrono::{Duration, Utc};
use domain::ids::ReviewId;
use domain::imported::{ImportedReview, ImportedReviewInput};
use domain::invitation::Relationship;
use domain::lifecycle::EventKind;
use domain::review::{ReplyDraft, ReviewStatus};

use super::reviews::query;
use super::{Open, business, reviewed};
use crate::{Eraser, HistoryPage, ReviewCommand, Sort};

fn imported(external_id: Option<&str>, rating: i64) -> ImportedReview {
    ImportedReview::parse(
        ImportedReviewInput {
            source: "Google",
            external_id,
            original_date: "2024-05-01",
            rating,
            title: "Lento",
            body: "Servizio lento, pizza ottima.",
            author_name: "Marco",
            language: "it",
            ..Default::default()
        },
        Utc::now(),
    )
    .unwrap()
}

pub async fn imported_reviews_are_unverified_and_count_nowhere(open: Open) {
    let fresh = open(Some(super::signer())).await;
    let store = fresh.store.as_ref();
    let b = business(store, "bottega").await;
    let now = Utc::now();
    let (verified, _) = reviewed(store, b, "ORD-1", 5, now).await;
    let before = store.summary(b, Relationship::Customer).await.unwrap();

    let import = |id, review| ReviewCommand::Import {
        business: b,
        id,
        review,
        at: now + Duration::seconds(1),
    };
    let first = store
        .write_review(import(ReviewId::generate(), imported(Some("g-1"), 1)))
        .await
        .unwrap();
    assert!(first.created);
    let r = &first.review;
    assert!(!r.verified, "an imported review is never verified");
    assert_eq!(r.status, ReviewStatus::Published);
    let origin = r.imported.as_ref().expect("its origin");
    assert_eq!(origin.source, "Google");
    assert_eq!(origin.original_date.to_string(), "2024-05-01");
    assert_eq!(r.content.as_ref().unwrap().author_name, "Marco");

    // The same source and identifier again: the same review, nothing new.
    let again = store
        .write_review(import(ReviewId::generate(), imported(Some("g-1"), 1)))
        .await
        .unwrap();
    assert!(!again.created);
    assert_eq!(again.review.id, r.id);
    // No identifier: the words identify it.
    let words = store
        .write_review(import(ReviewId::generate(), imported(None, 2)))
        .await
        .unwrap();
    let words_again = store
        .write_review(import(ReviewId::generate(), imported(None, 2)))
        .await
        .unwrap();
    assert!(words.created && !words_again.created);
    assert_eq!(words.review.id, words_again.review.id);

    // Its history begins with its own event, which the log holds with no previous entry.
    let history = store
        .review_history(r.id, HistoryPage::first(10))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].kind, EventKind::ReviewImported);
    let opening = history[0].opening.as_ref().expect("an opening");
    let content: serde_json::Value = serde_json::from_slice(&opening.content).unwrap();
    assert_eq!(content["source"], "Google");
    assert_eq!(content["original_date"], "2024-05-01");
    assert_eq!(content["rating"], 1);

    // The business answers it: its reply is published and logged, no figure moves.
    let replied = store
        .write_review(ReviewCommand::Reply {
            review: r.id,
            business: b,
            reply: ReplyDraft::parse("Ci scusi, Marco.", "Giulia", None).unwrap(),
            at: now + Duration::seconds(2),
        })
        .await
        .unwrap();
    assert!(replied.review.reply.is_some());
    let after = store.summary(b, Relationship::Customer).await.unwrap();
    assert_eq!(after.review_count, before.review_count);
    assert_eq!(after.rating_average, before.rating_average);
    assert_eq!(after.distribution, before.distribution);
    assert_eq!(after.reply_rate, before.reply_rate);
    assert_eq!(after.median_reply_seconds, before.median_reply_seconds);

    // It is listed with the verified one, and says where it came from.
    let listed = store
        .list_reviews(b, query(Sort::Newest, 10))
        .await
        .unwrap();
    assert_eq!(listed.len(), 3);
    assert!(
        listed
            .iter()
            .any(|l| l.id == verified && l.imported.is_none())
    );
    assert!(listed.iter().any(|l| l.id == r.id && l.imported.is_some()));

    // The operator erases it: the words go, the origin (which names no one) stays, and
    // importing the same row again does not bring the words back.
    let erased = store
        .write_review(ReviewCommand::Erase {
            review: r.id,
            by: Eraser::Operator,
            at: now + Duration::seconds(3),
        })
        .await
        .unwrap();
    assert_eq!(erased.review.status, ReviewStatus::Erased);
    assert!(erased.review.content.is_none());
    assert!(erased.review.imported.is_some());
    let resurrected = store
        .write_review(import(ReviewId::generate(), imported(Some("g-1"), 1)))
        .await
        .unwrap();
    assert!(!resurrected.created);
    assert_eq!(resurrected.review.status, ReviewStatus::Erased);
    let last = store.summary(b, Relationship::Customer).await.unwrap();
    assert_eq!(last.review_count, before.review_count);
}
