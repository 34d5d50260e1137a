//! The figures: the summary's tallies against a recomputation from the commands a test
//! issued, and product ratings against their invitation.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use domain::ids::{InvitationId, ReviewId};
use domain::invitation::{InvitationInput, NewInvitation, ProductInput, Relationship};
use domain::review::{FollowUpBody, ReplyDraft, ReviewPatch};
use domain::secret::TokenHash;
use domain::stats::Period;

use super::{Open, business, edit_token, invite, submit};
use crate::{ProductRecord, ReviewCommand, StatsFilter, StoreError, TrendGrain};

/// A tiny deterministic generator, so that a failure can be replayed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// What the test knows of a review from the commands it issued.
#[derive(Debug, Clone)]
struct Known {
    relationship: Relationship,
    rating: i64,
    nps: Option<i64>,
    created_at: DateTime<Utc>,
    replied_at: Option<DateTime<Utc>>,
    edit: TokenHash,
}

pub async fn tallies_equal_a_recomputation_from_the_commands(open: Open) {
    let fresh = open(None).await;
    let store = fresh.store.as_ref();
    let b = business(store, "bottega").await;
    let mut rng = Lcg(7);
    let start = Utc::now() - Duration::days(30);
    let rels = [Relationship::Customer, Relationship::Supplier];
    let mut live: HashMap<ReviewId, Known> = HashMap::new();
    let mut ids: Vec<ReviewId> = Vec::new();
    let (mut edits, mut replies, mut withdrawals) = (0, 0, 0);
    for step in 0..300 {
        let at = start + Duration::minutes(step * 7);
        match rng.next(6) {
            0..=2 => {
                let relationship = rels[rng.next(2) as usize];
                let token = invite(
                    store,
                    b,
                    &format!("S{step}"),
                    relationship.as_str(),
                    &[],
                    at,
                )
                .await;
                let nps = (rng.next(3) > 0).then(|| rng.next(11) as i64);
                let rating = rng.next(5) as i64 + 1;
                let w = store
                    .write_review(submit(token, rating, nps, &[], at))
                    .await
                    .unwrap();
                ids.push(w.review.id);
                live.insert(
                    w.review.id,
                    Known {
                        relationship,
                        rating,
                        nps,
                        created_at: at,
                        replied_at: None,
                        edit: edit_token(token),
                    },
                );
            }
            _ if ids.is_empty() => {}
            3 => {
                let id = ids[rng.next(ids.len() as u64) as usize];
                let rating = rng.next(5) as i64 + 1;
                let known = live.get_mut(&id).unwrap();
                let patch = ReviewPatch::parse(Some(rating), None, None).unwrap();
                store
                    .write_review(ReviewCommand::Edit {
                        review: id,
                        edit_token: known.edit,
                        patch,
                        at,
                    })
                    .await
                    .unwrap();
                known.rating = rating;
                edits += 1;
            }
            4 => {
                let id = ids[rng.next(ids.len() as u64) as usize];
                let known = live.get_mut(&id).unwrap();
                let at = at + Duration::seconds(rng.next(100_000) as i64);
                store
                    .write_review(ReviewCommand::Reply {
                        review: id,
                        business: b,
                        reply: ReplyDraft::parse("Grazie", "Titolare", None).unwrap(),
                        at,
                    })
                    .await
                    .unwrap();
                known.replied_at.get_or_insert(at);
                replies += 1;
                // Allowed once per review: the second time it is refused, and changes nothing.
                let _ = store
                    .write_review(ReviewCommand::FollowUp {
                        review: id,
                        edit_token: known.edit,
                        body: FollowUpBody::parse("Ok").unwrap(),
                        at,
                    })
                    .await;
            }
            _ => {
                let id = ids.swap_remove(rng.next(ids.len() as u64) as usize);
                let known = live.remove(&id).unwrap();
                store
                    .write_review(ReviewCommand::Withdraw {
                        review: id,
                        edit_token: known.edit,
                        at,
                    })
                    .await
                    .unwrap();
                withdrawals += 1;
            }
        }
    }
    assert!(
        edits > 5 && replies > 5 && withdrawals > 5,
        "the walk covers every step"
    );
    for rel in rels {
        let rows: Vec<&Known> = live.values().filter(|k| k.relationship == rel).collect();
        let s = store.summary(b, rel).await.unwrap();
        assert_eq!(s.review_count, rows.len() as u64, "{rel}");
        for stars in 1..=5 {
            let n = rows.iter().filter(|k| k.rating == stars).count() as u64;
            assert_eq!(
                s.distribution.0[stars as usize - 1],
                n,
                "{rel} {stars} stars"
            );
        }
        let nps: Vec<i64> = rows.iter().filter_map(|k| k.nps).collect();
        assert_eq!(s.nps_responses, nps.len() as u64);
        if !nps.is_empty() {
            let p = nps.iter().filter(|n| **n >= 9).count() as f64;
            let d = nps.iter().filter(|n| **n <= 6).count() as f64;
            let expected = ((p - d) / nps.len() as f64 * 1000.0).round() / 10.0;
            assert_eq!(s.nps, Some(expected), "{rel} NPS");
        }
        let mut delays: Vec<i64> = rows
            .iter()
            .filter_map(|k| k.replied_at.map(|r| (r - k.created_at).num_seconds()))
            .collect();
        delays.sort_unstable();
        let median = match delays.len() {
            0 => None,
            n if n % 2 == 1 => Some(delays[n / 2]),
            n => {
                let (a, b) = (delays[n / 2 - 1], delays[n / 2]);
                Some(a + (b - a + 1) / 2)
            }
        };
        assert_eq!(s.median_reply_seconds, median, "{rel} median");
        if !rows.is_empty() {
            let rate = (delays.len() as f64 / rows.len() as f64 * 10_000.0).round() / 10_000.0;
            assert_eq!(s.reply_rate, Some(rate), "{rel} reply rate");
        }
        // The all-time figures are the summary's own sums.
        let filter = StatsFilter {
            period: Period::All,
            relationship: rel,
            product: None,
            verified_only: false,
        };
        let figures = store.stats(b, filter.clone(), Utc::now()).await.unwrap();
        assert_eq!(figures.summary.review_count, s.review_count, "{rel}");
        assert_eq!(figures.summary.distribution, s.distribution, "{rel}");
        let invited = rows.len() as u64;
        assert!(figures.invitations_sent >= invited, "{rel}");
        // Trend points count the reviews published in each week, withdrawn ones not.
        let trend = store
            .trend(b, filter, TrendGrain::Week, 26, Utc::now())
            .await
            .unwrap();
        assert_eq!(trend.len(), 26);
        assert_eq!(
            trend.iter().map(|p| p.reviews).sum::<u64>(),
            invited,
            "{rel}"
        );
    }
}

pub async fn products_are_checked_against_the_invitation(open: Open) {
    let fresh = open(None).await;
    let store = fresh.store.as_ref();
    let b = business(store, "bottega").await;
    let now = Utc::now();
    let products = [("TAGL", "Tagliatelle al ragù"), ("TIRA", "Tiramisù")];
    let token = invite(store, b, "ORD-1", "customer", &products, now).await;
    let refused = store
        .write_review(submit(token, 4, None, &[("TAGL", 5), ("NOPE", 1)], now))
        .await;
    match refused {
        Err(StoreError::Invalid(errors)) => {
            assert_eq!(errors.0.len(), 1);
            assert_eq!(errors.0[0].field, "products[1].sku");
            assert_eq!(errors.0[0].code, "not_invited");
        }
        other => panic!("expected not_invited, got {other:?}"),
    }
    // The refused submission left nothing: the invitation can still be used.
    let written = store
        .write_review(submit(token, 4, None, &[("TAGL", 5)], now))
        .await
        .unwrap();
    assert_eq!(
        Some(&written.review),
        store.review(written.review.id).await.unwrap().as_ref()
    );
    let content = written.review.content.unwrap();
    assert_eq!(content.products.len(), 1);
    assert_eq!(content.products[0].name, "Tagliatelle al ragù");
    let second = invite(store, b, "ORD-2", "customer", &products, now).await;
    store
        .write_review(submit(second, 2, None, &[("TAGL", 2), ("TIRA", 4)], now))
        .await
        .unwrap();

    let mut rated = store.products(b, Relationship::Customer).await.unwrap();
    rated.sort_by(|a, b| a.sku.cmp(&b.sku));
    let summary: Vec<_> = rated
        .iter()
        .map(|p| (p.sku.as_str(), p.reviews, p.rating_average))
        .collect();
    assert_eq!(
        summary,
        [("TAGL", 2, Some(3.5)), ("TIRA", 1, Some(4.0))],
        "each product's count and mean"
    );
    assert_eq!(
        store.product(b, "TIRA".into()).await.unwrap(),
        Some(ProductRecord::named("TIRA", "Tiramisù"))
    );
    assert!(store.product(b, "NOPE".into()).await.unwrap().is_none());
    let of_tagl = store
        .product_reviews(b, "TAGL".into(), Relationship::Customer, 10)
        .await
        .unwrap();
    assert_eq!(of_tagl.len(), 2);
    let figures = store
        .stats(
            b,
            StatsFilter {
                period: Period::All,
                relationship: Relationship::Customer,
                product: Some("TIRA".into()),
                verified_only: true,
            },
            Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(figures.summary.review_count, 1);
    assert_eq!(figures.summary.distribution.0, [0, 0, 0, 1, 0]);
    assert_eq!(figures.invitations_sent, 2, "both invitations listed it");
}

/// An invitation's products carry their page, picture and GTIN as given; the business's
/// product is named by its latest invitation and keeps each detail that a later one leaves
/// out.
pub async fn products_keep_their_latest_details(open: Open) {
    let fresh = open(None).await;
    let store = fresh.store.as_ref();
    let b = business(store, "bottega").await;
    let other = business(store, "osteria").await;
    let now = Utc::now();
    let create = |business, reference: &'static str, products: Vec<ProductInput<'static>>| {
        let new = NewInvitation::parse(
            InvitationInput {
                reference,
                products,
                ..Default::default()
            },
            now,
        )
        .unwrap();
        store.create_invitation(
            business,
            InvitationId::generate(),
            new,
            TokenHash::of(&format!("{business}-{reference}")),
            None,
            now,
        )
    };
    let moka = ProductInput {
        url: Some("https://shop.example.it/moka"),
        image: Some("https://cdn.example.it/moka.jpg"),
        gtin: Some("4006381333931"),
        ..ProductInput::new("MOKA", "Moka 3 tazze")
    };
    let described = ProductRecord {
        sku: "MOKA".into(),
        name: "Moka 3 tazze".into(),
        url: Some("https://shop.example.it/moka".into()),
        image: Some("https://cdn.example.it/moka.jpg".into()),
        gtin: Some("4006381333931".into()),
    };
    let first = create(b, "ORD-1", vec![moka, ProductInput::new("TAZZA", "Tazza")])
        .await
        .unwrap();
    let listed = [described.clone(), ProductRecord::named("TAZZA", "Tazza")];
    assert_eq!(first.invitation.products, listed);
    let read = store
        .invitation_by_token(TokenHash::of(&format!("{b}-ORD-1")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.products, listed, "read back as written");
    assert_eq!(
        store.latest_invitations(b, 1).await.unwrap()[0].products,
        listed
    );
    assert_eq!(
        store.product(b, "MOKA".into()).await.unwrap(),
        Some(described.clone())
    );
    assert_eq!(
        store.product(b, "TAZZA".into()).await.unwrap(),
        Some(ProductRecord::named("TAZZA", "Tazza"))
    );

    // A later invitation renames it and gives another picture, but no page or GTIN: the
    // product keeps the page and GTIN it had; that invitation lists only what it gave.
    let later = ProductInput {
        image: Some("https://cdn.example.it/moka-2.jpg"),
        ..ProductInput::new("MOKA", "Moka Express 3 tazze")
    };
    let second = create(b, "ORD-2", vec![later]).await.unwrap();
    let given = ProductRecord {
        image: Some("https://cdn.example.it/moka-2.jpg".into()),
        ..ProductRecord::named("MOKA", "Moka Express 3 tazze")
    };
    assert_eq!(second.invitation.products, [given]);
    assert_eq!(
        store.product(b, "MOKA".into()).await.unwrap(),
        Some(ProductRecord {
            name: "Moka Express 3 tazze".into(),
            image: Some("https://cdn.example.it/moka-2.jpg".into()),
            ..described.clone()
        })
    );
    // The first invitation still lists what it gave.
    assert_eq!(
        store
            .invitation_by_token(TokenHash::of(&format!("{b}-ORD-1")))
            .await
            .unwrap()
            .unwrap()
            .products[0],
        described
    );
    // Another business's product of the same SKU is its own.
    create(other, "ORD-1", vec![ProductInput::new("MOKA", "Moka")])
        .await
        .unwrap();
    assert_eq!(
        store.product(other, "MOKA".into()).await.unwrap(),
        Some(ProductRecord::named("MOKA", "Moka"))
    );
    assert_eq!(
        store
            .product(b, "MOKA".into())
            .await
            .unwrap()
            .unwrap()
            .gtin
            .as_deref(),
        Some("4006381333931")
    );
}
