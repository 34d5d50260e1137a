//! The log: checkpoints signed over what it holds, receipts that prove a review's latest
//! event, tiles and entry bundles.

use chrono::{Duration, Utc};
use domain::log_entry::{LogEntry, commitment};
use ledger::receipt::Receipt;
use ledger::tiles::TilePath;

use super::{Open, business, reviewed, signer};
use crate::{HistoryPage, ReviewCommand};

pub async fn the_log_signs_and_proves_what_it_holds(open: Open) {
    let fresh = open(Some(signer())).await;
    let store = fresh.store.as_ref();
    let vkey = signer().verifier_key().to_owned();
    let b = business(store, "bottega").await;
    let t0 = Utc::now() - Duration::hours(1);
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(reviewed(store, b, &format!("ORD-{i}"), 5 - i, t0).await);
    }
    let (id, edit) = ids[2];
    store
        .write_review(ReviewCommand::Edit {
            review: id,
            edit_token: edit,
            patch: domain::review::ReviewPatch::parse(Some(1), None, None).unwrap(),
            at: t0 + Duration::minutes(5),
        })
        .await
        .unwrap();

    let signed = store.log_checkpoint().await.unwrap().unwrap();
    let checkpoint = ledger::note::open_checkpoint(&signed, &vkey).unwrap();
    assert_eq!(
        checkpoint.size(),
        6,
        "five reviews and an edit, nothing else"
    );

    // A review's receipt proves its latest event, whose commitment its opening recomputes.
    let review = store.review(id).await.unwrap().unwrap();
    let receipt = store.review_receipt(id).await.unwrap().unwrap();
    let receipt = Receipt::parse(&receipt).unwrap();
    receipt.verify(&vkey).unwrap();
    assert_eq!(Some(receipt.index), review.log_index);
    let entry = LogEntry::decode(receipt.extra.as_deref().unwrap()).unwrap();
    let opening = review.opening.unwrap();
    assert_eq!(
        entry.commitment,
        commitment(&opening.salt, &opening.content)
    );
    assert_eq!((entry.review, entry.business), (id, b));
    let history = store
        .review_history(id, HistoryPage::first(1000))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        entry.previous, history[0].log_index,
        "the chain of the review's events"
    );

    for index in 0..6 {
        let receipt = store.log_receipt(index).await.unwrap().unwrap();
        Receipt::parse(&receipt).unwrap().verify(&vkey).unwrap();
    }
    assert!(store.log_receipt(6).await.unwrap().is_none());

    // The partial entry bundle and level-0 tile of six entries.
    let bundle = store
        .log_tile(TilePath::parse("tile/entries/000.p/6").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(!bundle.is_empty());
    let hashes = store
        .log_tile(TilePath::parse("tile/0/000.p/6").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hashes.len(), 6 * 32);
    assert!(
        store
            .log_tile(TilePath::parse("tile/0/000.p/7").unwrap())
            .await
            .unwrap()
            .is_none(),
        "nothing beyond the checkpoint"
    );
    // Sealing with nothing new changes nothing.
    store.seal_log().await.unwrap();
    let again = store.log_checkpoint().await.unwrap().unwrap();
    assert_eq!(
        ledger::note::open_checkpoint(&again, &vkey).unwrap().size(),
        6
    );
}
