//! The one write path: every lifecycle step, refused writes in a batch, erasure, listings.

use chrono::{Duration, Utc};
use domain::ids::ReviewId;
use domain::invitation::Relationship;
use domain::lifecycle::{EventKind, LifecycleError};
use domain::review::{FollowUpBody, Rating, ReplyDraft, ReviewPatch, ReviewStatus};
use domain::secret::TokenHash;

use super::{Open, business, invite, reviewed, submit};
use crate::{Eraser, HistoryPage, ReviewCommand, ReviewQuery, Sort, StoreError};

pub async fn a_refused_write_in_a_batch_does_not_undo_the_others(open: Open) {
    let fresh = open(Some(super::signer())).await;
    let store = fresh.store.clone();
    let b = business(store.as_ref(), "bottega").await;
    let now = Utc::now();
    let mut tokens = Vec::new();
    for i in 0..50 {
        tokens.push(invite(store.as_ref(), b, &format!("R{i}"), "customer", &[], now).await);
    }
    // Every token twice, all at once: a backend that commits in groups batches them, and
    // exactly one use of each token may win.
    let handles: Vec<_> = tokens
        .iter()
        .chain(tokens.iter())
        .map(|t| {
            let store = store.clone();
            let command = submit(*t, 4, None, &[], now);
            tokio::spawn(async move { store.write_review(command).await })
        })
        .collect();
    let (mut ok, mut used) = (Vec::new(), 0);
    for h in handles {
        match h.await.unwrap() {
            Ok(w) => ok.push(w.review.id),
            Err(StoreError::Rule(LifecycleError::InvitationUsed)) => used += 1,
            Err(e) => panic!("unexpected error {e}"),
        }
    }
    assert_eq!((ok.len(), used), (50, 50));
    let summary = store.summary(b, Relationship::Customer).await.unwrap();
    assert_eq!(summary.review_count, 50);
    let listed = store
        .list_reviews(b, query(Sort::Newest, 100))
        .await
        .unwrap();
    assert_eq!(listed.len(), 50, "no refused write left a review");
    // No refused write left a log entry: the 50 events are entries 0..50.
    let mut indexes = Vec::new();
    for id in &ok {
        let history = store
            .review_history(*id, HistoryPage::first(1000))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(history.len(), 1);
        indexes.push(history[0].log_index.unwrap());
    }
    indexes.sort_unstable();
    assert_eq!(indexes, (0..50).collect::<Vec<u64>>());
}

pub(super) fn query(sort: Sort, limit: u32) -> ReviewQuery {
    ReviewQuery {
        relationship: Relationship::Customer,
        rating: None,
        sort,
        after: None,
        limit,
    }
}

pub async fn every_lifecycle_step_and_its_history(open: Open) {
    // As a server opens it: a backend may leave logging to the server that holds the log's
    // key (PostgreSQL's sequencer), and this case checks each step's log index.
    let fresh = open(Some(super::signer())).await;
    let store = fresh.store.as_ref();
    let b = business(store, "bottega").await;
    let other = business(store, "osteria").await;
    let t0 = Utc::now() - Duration::hours(5);
    let token = invite(store, b, "ORD-1", "customer", &[], t0).await;
    let first = store
        .write_review(submit(token, 2, Some(6), &[], t0))
        .await
        .unwrap();
    assert!(first.created);
    let id = first.review.id;
    assert_eq!(
        Some(&first.review),
        store.review(id).await.unwrap().as_ref(),
        "a write answers the review as any read then shows it"
    );
    let edit = super::edit_token(token);
    let content = first.review.content.as_ref().unwrap();
    assert_eq!((content.rating, content.nps), (2, Some(6)));
    assert!(first.review.verified);
    assert_eq!(first.review.status, ReviewStatus::Published);
    assert!(first.review.opening.is_some() && first.review.log_index.is_some());
    let used = store.invitation_by_token(token).await.unwrap().unwrap();
    assert_eq!(
        used.used_at,
        Some(first.review.created_at),
        "the invitation is used from the moment of its review"
    );
    let again = store.write_review(submit(token, 5, None, &[], t0)).await;
    assert!(
        matches!(again, Err(StoreError::Rule(LifecycleError::InvitationUsed))),
        "{again:?}"
    );
    let unknown = store
        .write_review(submit(TokenHash::of("nope"), 5, None, &[], t0))
        .await;
    assert!(
        matches!(unknown, Err(StoreError::NotFound(_))),
        "{unknown:?}"
    );

    let patch = |rating| ReviewPatch::parse(Some(rating), None, None).unwrap();
    let at = t0 + Duration::hours(1);
    let bad = store
        .write_review(ReviewCommand::Edit {
            review: id,
            edit_token: TokenHash::of("someone else"),
            patch: patch(5),
            at,
        })
        .await;
    assert!(matches!(bad, Err(StoreError::BadEditToken)), "{bad:?}");
    let same = store
        .write_review(ReviewCommand::Edit {
            review: id,
            edit_token: edit,
            patch: patch(2),
            at,
        })
        .await
        .unwrap();
    assert!(!same.created);
    assert_eq!(
        same.review.edit_count, 0,
        "an edit that changes nothing is none"
    );
    let edited = store
        .write_review(ReviewCommand::Edit {
            review: id,
            edit_token: edit,
            patch: patch(3),
            at,
        })
        .await
        .unwrap();
    assert_eq!(edited.review.edit_count, 1);
    assert_eq!(edited.review.content.as_ref().unwrap().rating, 3);
    assert_eq!(
        edited.review.updated_at.map(|t| t.timestamp_millis()),
        Some(at.timestamp_millis()),
        "times are kept to the millisecond"
    );

    // A follow-up needs a reply first; the reply is the review's business's only.
    let follow = |body: &str, at| ReviewCommand::FollowUp {
        review: id,
        edit_token: edit,
        body: FollowUpBody::parse(body).unwrap(),
        at,
    };
    let early = store.write_review(follow("Grazie", at)).await;
    assert!(
        matches!(early, Err(StoreError::Rule(LifecycleError::ReplyRequired))),
        "{early:?}"
    );
    let reply = |body: &str, business, at| ReviewCommand::Reply {
        review: id,
        business,
        reply: ReplyDraft::parse(body, "Giulia", Some("Titolare")).unwrap(),
        at,
    };
    let theirs = store.write_review(reply("No", other, at)).await;
    assert!(
        matches!(theirs, Err(StoreError::Rule(LifecycleError::NotOwnReview))),
        "{theirs:?}"
    );
    let replied_at = t0 + Duration::hours(2);
    let replied = store
        .write_review(reply("Ci dispiace", b, replied_at))
        .await
        .unwrap();
    assert!(replied.created);
    let r = replied.review.reply.as_ref().unwrap();
    assert_eq!((r.body.as_str(), r.edit_count), ("Ci dispiace", 0));
    let unchanged = store
        .write_review(reply("Ci dispiace", b, replied_at + Duration::minutes(1)))
        .await
        .unwrap();
    assert!(!unchanged.created);
    assert_eq!(unchanged.review.reply.as_ref().unwrap().edit_count, 0);
    let reworded = store
        .write_review(reply(
            "Ci dispiace molto",
            b,
            replied_at + Duration::minutes(2),
        ))
        .await
        .unwrap();
    assert!(!reworded.created, "an edited reply is not a new one");
    assert_eq!(reworded.review.reply.as_ref().unwrap().edit_count, 1);
    let answered = store
        .write_review(follow("Grazie", replied_at))
        .await
        .unwrap();
    assert!(answered.created);
    assert_eq!(answered.review.follow_up.as_ref().unwrap().body, "Grazie");
    let twice = store.write_review(follow("Ancora", replied_at)).await;
    assert!(
        matches!(twice, Err(StoreError::Rule(LifecycleError::FollowUpExists))),
        "{twice:?}"
    );

    let withdraw = |at| ReviewCommand::Withdraw {
        review: id,
        edit_token: edit,
        at,
    };
    let gone = store
        .write_review(withdraw(replied_at + Duration::hours(1)))
        .await
        .unwrap();
    assert!(gone.created);
    assert_eq!(gone.review.status, ReviewStatus::Withdrawn);
    assert!(gone.review.content.is_none() && gone.review.reply.is_none());
    let twice = store
        .write_review(withdraw(replied_at + Duration::hours(2)))
        .await
        .unwrap();
    assert!(!twice.created, "withdrawing twice changes nothing");
    let late = store
        .write_review(ReviewCommand::Edit {
            review: id,
            edit_token: edit,
            patch: patch(5),
            at,
        })
        .await;
    assert!(
        matches!(late, Err(StoreError::Rule(LifecycleError::ReviewWithdrawn))),
        "{late:?}"
    );

    let history = store
        .review_history(id, HistoryPage::first(1000))
        .await
        .unwrap()
        .unwrap();
    let kinds: Vec<_> = history.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EventKind::ReviewPublished,
            EventKind::ReviewEdited,
            EventKind::ReplyPublished,
            EventKind::ReplyEdited,
            EventKind::FollowUpPublished,
            EventKind::ReviewWithdrawn,
        ]
    );
    assert!(history.windows(2).all(|w| w[0].seq < w[1].seq));
    // Paged two at a time, after the last seen, the same events in the same order.
    let mut paged = Vec::new();
    let mut after = None;
    loop {
        let page = HistoryPage { after, limit: 2 };
        let events = store.review_history(id, page).await.unwrap().unwrap();
        assert!(events.len() <= 2);
        let Some(last) = events.last() else { break };
        after = Some(last.seq);
        paged.extend(events.iter().map(|e| (e.seq, e.kind)));
    }
    let whole: Vec<_> = history.iter().map(|e| (e.seq, e.kind)).collect();
    assert_eq!(paged, whole);
    assert!(
        history
            .iter()
            .all(|e| e.data.is_none() == e.kind.carries_text()),
        "a withdrawn review's history hides its words, never its steps"
    );
    assert!(
        store
            .review_history(ReviewId::generate(), HistoryPage::first(10))
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.review(ReviewId::generate()).await.unwrap().is_none());
    let missing = store
        .write_review(ReviewCommand::Withdraw {
            review: ReviewId::generate(),
            edit_token: edit,
            at,
        })
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound(_))),
        "{missing:?}"
    );
}

pub async fn erasure_hides_content_and_keeps_the_log(open: Open) {
    let fresh = open(Some(super::signer())).await;
    let store = fresh.store.as_ref();
    let b = business(store, "bottega").await;
    let now = Utc::now();
    let (id, edit) = reviewed(store, b, "ORD-1", 1, now).await;
    let (kept, _) = reviewed(store, b, "ORD-2", 5, now).await;
    let wrong = store
        .write_review(ReviewCommand::Erase {
            review: id,
            by: Eraser::Reviewer(TokenHash::of("nope")),
            at: now,
        })
        .await;
    assert!(matches!(wrong, Err(StoreError::BadEditToken)), "{wrong:?}");
    let erased = store
        .write_review(ReviewCommand::Erase {
            review: id,
            by: Eraser::Reviewer(edit),
            at: now,
        })
        .await
        .unwrap();
    assert!(erased.created);
    assert_eq!(erased.review.status, ReviewStatus::Erased);
    assert!(erased.review.content.is_none());
    let again = store
        .write_review(ReviewCommand::Erase {
            review: id,
            by: Eraser::Operator,
            at: now,
        })
        .await
        .unwrap();
    assert!(!again.created, "erasing twice changes nothing");
    let history = store
        .review_history(id, HistoryPage::first(1000))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        history.len(),
        2,
        "the log keeps the entry and records the erasure"
    );
    assert_eq!(history[1].kind, EventKind::ContentErased);
    assert!(
        history[0].opening.is_none() && history[0].data.is_none(),
        "no salt and no words of the erased review remain readable"
    );
    let summary = store.summary(b, Relationship::Customer).await.unwrap();
    assert_eq!(summary.review_count, 1, "an erased review no longer counts");
    let listed = store
        .list_reviews(b, query(Sort::Newest, 10))
        .await
        .unwrap();
    assert_eq!(listed.iter().map(|r| r.id).collect::<Vec<_>>(), [kept]);
    let for_author = store.review_for_author(kept, edit).await.unwrap();
    assert!(
        for_author.is_none(),
        "another review's edit token opens nothing"
    );
}

pub async fn lists_page_through_every_sort(open: Open) {
    let fresh = open(None).await;
    let store = fresh.store.as_ref();
    let b = business(store, "bottega").await;
    let t0 = Utc::now() - Duration::days(3);
    let ratings = [3, 5, 1, 4, 5, 2, 3, 1];
    let mut written = Vec::new();
    for (i, rating) in ratings.iter().enumerate() {
        let at = t0 + Duration::minutes(i as i64 * 10);
        written.push((
            reviewed(store, b, &format!("L{i}"), *rating, at).await.0,
            *rating,
            at,
        ));
    }
    // Another relationship and a withdrawn review are in no customer listing.
    let token = invite(store, b, "S1", "supplier", &[], t0).await;
    store
        .write_review(submit(token, 5, None, &[], t0))
        .await
        .unwrap();
    let (withdrawn, edit) = reviewed(store, b, "W1", 4, t0).await;
    store
        .write_review(ReviewCommand::Withdraw {
            review: withdrawn,
            edit_token: edit,
            at: t0,
        })
        .await
        .unwrap();

    for sort in [Sort::Newest, Sort::Oldest, Sort::Highest, Sort::Lowest] {
        let mut expected = written.clone();
        match sort {
            Sort::Newest => expected.sort_by_key(|w| std::cmp::Reverse(w.2)),
            Sort::Oldest => expected.sort_by_key(|w| w.2),
            Sort::Highest => expected.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2))),
            Sort::Lowest => expected.sort_by(|a, b| a.1.cmp(&b.1).then(b.2.cmp(&a.2))),
        }
        let mut seen = Vec::new();
        let mut q = query(sort, 3);
        loop {
            let page = store.list_reviews(b, q.clone()).await.unwrap();
            assert!(page.len() <= 4, "at most limit + 1 rows");
            let more = page.len() > 3;
            seen.extend(page.iter().take(3).map(|r| r.id));
            if !more {
                break;
            }
            q.after = Some(page[2].position);
        }
        let expected: Vec<_> = expected.iter().map(|w| w.0).collect();
        assert_eq!(seen, expected, "{sort:?}");
    }
    let fives = store
        .list_reviews(
            b,
            ReviewQuery {
                rating: Some(Rating::new(5).unwrap()),
                ..query(Sort::Newest, 10)
            },
        )
        .await
        .unwrap();
    assert_eq!(fives.len(), 2);
    let ratings_rows = store.ratings(b).await.unwrap();
    assert_eq!(
        ratings_rows.len(),
        9,
        "every published review, every relationship"
    );
    assert!(
        ratings_rows
            .windows(2)
            .all(|w| w[0].created_at <= w[1].created_at)
    );
}

pub async fn inbox_and_answered(open: Open) {
    let fresh = open(None).await;
    let store = fresh.store.as_ref();
    let b = business(store, "bottega").await;
    let other = business(store, "osteria").await;
    let t0 = Utc::now() - Duration::days(1);
    let (old_two, _) = reviewed(store, b, "A", 2, t0).await;
    let (five, _) = reviewed(store, b, "B", 5, t0 + Duration::minutes(1)).await;
    let (new_two, _) = reviewed(store, b, "C", 2, t0 + Duration::minutes(2)).await;
    let (one, _) = reviewed(store, b, "D", 1, t0 + Duration::minutes(3)).await;
    reviewed(store, other, "E", 1, t0).await;
    let inbox: Vec<_> = store
        .inbox(b, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(
        inbox,
        [one, old_two, new_two, five],
        "lowest first, then oldest"
    );
    for (id, minutes) in [(five, 10), (old_two, 20)] {
        store
            .write_review(ReviewCommand::Reply {
                review: id,
                business: b,
                reply: ReplyDraft::parse("Grazie", "Giulia", None).unwrap(),
                at: t0 + Duration::minutes(minutes),
            })
            .await
            .unwrap();
    }
    let inbox: Vec<_> = store
        .inbox(b, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(inbox, [one, new_two]);
    let answered: Vec<_> = store
        .answered(b, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(answered, [old_two, five], "the latest reply first");
}
