#![allow(clippy::unwrap_used, reason = "a panic in a test is a failing test")]

use std::collections::HashMap;

use chrono::{Duration, TimeZone, Utc};
use proptest::prelude::*;

use super::*;
use crate::review::{ProductRatingInput, ReviewInput, ReviewStatus};
use crate::stats::Span;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap()
}

fn invitation(skus: &[&str]) -> InvitationFacts {
    InvitationFacts {
        id: InvitationId(uuid::Uuid::from_u128(1)),
        business: BusinessId(uuid::Uuid::from_u128(2)),
        relationship: Relationship::Customer,
        locale: "it".parse().unwrap(),
        state: InvitationState {
            used: false,
            expires_at: t0() + Duration::days(30),
        },
        invited_at: t0() - Duration::days(2),
        skus: skus.iter().map(|s| (*s).to_owned()).collect(),
    }
}

fn draft(rating: i64, nps: Option<i64>, products: &[(&'static str, i64)]) -> ReviewDraft {
    ReviewDraft::parse(
        ReviewInput {
            rating,
            title: "Ottimo",
            body: "Consegna puntuale.",
            nps,
            author_name: "Maria",
            products: products
                .iter()
                .map(|(sku, rating)| ProductRatingInput {
                    sku,
                    rating: *rating,
                    body: None,
                })
                .collect(),
            ..Default::default()
        },
        t0(),
    )
    .unwrap()
}

/// The facts a backend would load after applying `plan` of a submission.
fn facts_after_submit(plan: &Plan, at: DateTime<Utc>) -> ReviewFacts {
    let Some(Step {
        change: Change::Publish {
            draft, edit_token, ..
        },
        ..
    }) = &plan.step
    else {
        panic!("not a publication")
    };
    ReviewFacts {
        id: plan.review,
        state: ReviewState {
            business: plan.business,
            status: ReviewStatus::Published,
            has_reply: false,
            has_follow_up: false,
        },
        relationship: Relationship::Customer,
        verified: true,
        rating: draft.rating,
        nps: draft.nps,
        title: draft.title.as_str().to_owned(),
        body: draft.body.as_str().to_owned(),
        created_at: at,
        edit_token: *edit_token,
        reply: None,
        reply_delay: None,
        imported: false,
        products: draft
            .products
            .iter()
            .map(|p| (p.sku.as_str().to_owned(), p.rating))
            .collect(),
    }
}

fn submitted(rating: i64, products: &[(&'static str, i64)]) -> (Plan, ReviewFacts) {
    let plan = submit(
        &invitation(&["A", "B"]),
        ReviewId(uuid::Uuid::from_u128(3)),
        &draft(rating, Some(9), products),
        TokenHash::of("edit"),
        t0(),
    )
    .unwrap();
    let facts = facts_after_submit(&plan, t0());
    (plan, facts)
}

#[test]
fn the_committed_content_of_a_submission_is_its_canonical_snapshot() {
    let (plan, _) = submitted(4, &[]);
    let event = plan.step.unwrap().event;
    assert_eq!(event.kind, EventKind::ReviewPublished);
    // The exact bytes the log commits to: sorted keys, no products key without products.
    assert_eq!(
        String::from_utf8(event.content).unwrap(),
        r#"{"author_name":"Maria","body":"Consegna puntuale.","experience_date":null,"language":"it","nps":9,"rating":4,"title":"Ottimo"}"#
    );
    let (plan, _) = submitted(4, &[("B", 2)]);
    let content = String::from_utf8(plan.step.unwrap().event.content).unwrap();
    assert!(
        content.contains(r#""products":[{"body":null,"rating":2,"sku":"B"}]"#),
        "{content}"
    );
}

#[test]
fn a_submission_moves_the_business_and_every_listed_product() {
    let (plan, _) = submitted(5, &[("B", 2)]);
    let cells = plan.step.unwrap().cells;
    let day = day_of(t0());
    let invited = day_of(t0() - Duration::days(2));
    let summary: Vec<_> = cells
        .iter()
        .map(|m| (m.scope.product.as_str(), m.day, m.delta.tally.reviews))
        .collect();
    assert_eq!(
        summary,
        [
            ("", day, 1),
            ("", invited, 0),
            ("A", invited, 0),
            ("B", day, 1),
            ("B", invited, 0),
        ],
        "the review on its day, the answer on the invitation's, for each listed product"
    );
    assert!(cells.iter().all(|m| m.scope.verified));
}

#[test]
fn refusals_write_nothing() {
    let mut inv = invitation(&["A"]);
    let draft_with = |sku| draft(3, None, &[("A", 3), (sku, 1)]);
    let id = ReviewId(uuid::Uuid::from_u128(3));
    let err = submit(&inv, id, &draft_with("Z"), TokenHash::of("e"), t0()).unwrap_err();
    let Refusal::Invalid(errors) = err else {
        panic!("{err:?}")
    };
    assert_eq!(errors.0[0].field, "products[1].sku");
    assert_eq!(errors.0[0].code, "not_invited");
    inv.state.used = true;
    let err = submit(&inv, id, &draft(3, None, &[]), TokenHash::of("e"), t0()).unwrap_err();
    assert_eq!(err, Refusal::Rule(LifecycleError::InvitationUsed));
    inv.state.used = false;
    let late = inv.state.expires_at;
    let err = submit(&inv, id, &draft(3, None, &[]), TokenHash::of("e"), late).unwrap_err();
    assert_eq!(err, Refusal::Rule(LifecycleError::InvitationExpired));

    let (_, facts) = submitted(3, &[]);
    let patch = ReviewPatch::parse(Some(5), None, None).unwrap();
    let err = edit(&facts, TokenHash::of("not the author"), &patch, t0()).unwrap_err();
    assert_eq!(err, Refusal::BadEditToken);
    let err = erase(&facts, Eraser::Reviewer(TokenHash::of("x")), t0()).unwrap_err();
    assert_eq!(err, Refusal::BadEditToken);
    let other = BusinessId(uuid::Uuid::from_u128(99));
    let r = ReplyDraft::parse("Grazie", "Giulia", None).unwrap();
    let err = reply(&facts, other, &r, t0()).unwrap_err();
    assert_eq!(err, Refusal::Rule(LifecycleError::NotOwnReview));
}

#[test]
fn repeats_change_nothing() {
    let (_, mut facts) = submitted(3, &[]);
    let edit_token = TokenHash::of("edit");
    let same = ReviewPatch::parse(Some(3), Some("Ottimo"), None).unwrap();
    let plan = edit(&facts, edit_token, &same, t0()).unwrap();
    assert!(plan.step.is_none() && !plan.created);
    facts.reply = Some(ReplyFacts {
        body: "Grazie".into(),
        responder_name: "Giulia".into(),
        responder_role: None,
    });
    facts.state.has_reply = true;
    let r = ReplyDraft::parse("Grazie", "Giulia", None).unwrap();
    let plan = reply(&facts, facts.state.business, &r, t0()).unwrap();
    assert!(plan.step.is_none(), "the same reply is no edit");
    let r = ReplyDraft::parse("Grazie", "Giulia", Some("Titolare")).unwrap();
    let plan = reply(&facts, facts.state.business, &r, t0()).unwrap();
    let step = plan.step.unwrap();
    assert_eq!(step.event.kind, EventKind::ReplyEdited);
    assert!(step.cells.is_empty(), "an edited reply moves no figure");
    facts.state.status = ReviewStatus::Withdrawn;
    let plan = withdraw(&facts, edit_token, t0()).unwrap();
    assert!(plan.step.is_none() && !plan.created, "withdrawing twice");
    let plan = erase(&facts, Eraser::Operator, t0()).unwrap();
    let step = plan.step.unwrap();
    assert!(matches!(step.change, Change::Erase { counted: false }));
    assert!(
        step.cells.is_empty(),
        "a withdrawn review already left the figures"
    );
    facts.state.status = ReviewStatus::Erased;
    assert!(
        erase(&facts, Eraser::Operator, t0())
            .unwrap()
            .step
            .is_none()
    );
}

/// A model backend: applies plans to facts and sums the all-time cells per scope, the way
/// a backend folds a batch.
#[derive(Default)]
struct Model {
    cells: HashMap<CellScope, CellDelta>,
}

impl Model {
    fn apply(&mut self, plan: &Plan, facts: &mut ReviewFacts, at: DateTime<Utc>) {
        let Some(step) = &plan.step else { return };
        for m in &step.cells {
            // Every move is of one day's four cells; all time is the sum that matters here.
            assert!(
                crate::stats::cells_of(m.day)
                    .iter()
                    .any(|(s, _)| *s == Span::All)
            );
            self.cells.entry(m.scope.clone()).or_default().add(&m.delta);
        }
        match &step.change {
            Change::Publish { .. } | Change::Import { .. } => {}
            Change::Edit { rating, .. } => facts.rating = *rating,
            Change::Withdraw => {
                facts.state.status = ReviewStatus::Withdrawn;
                facts.reply_delay = None;
            }
            Change::Reply {
                first_delay, reply, ..
            } => {
                facts.state.has_reply = true;
                facts.reply = Some(ReplyFacts {
                    body: reply.body.as_str().to_owned(),
                    responder_name: reply.responder_name.as_str().to_owned(),
                    responder_role: reply.responder_role.as_ref().map(|r| r.as_str().into()),
                });
                if first_delay.is_some() {
                    facts.reply_delay = *first_delay;
                }
            }
            Change::FollowUp { .. } => facts.state.has_follow_up = true,
            Change::Erase { .. } => {
                facts.state.status = ReviewStatus::Erased;
                facts.reply_delay = None;
            }
        }
        let _ = at;
    }
}

proptest! {
    /// Whatever the steps, the cells a review's plans moved sum to what the review's final
    /// state contributes: one review of its rating and reply, or nothing once it is gone.
    #[test]
    fn plans_move_the_figures_to_the_final_state(
        rating in 1i64..=5,
        product in 1i64..=5,
        steps in proptest::collection::vec((0u8..6, 1i64..=5, 0i64..200_000), 0..12),
    ) {
        let (plan, mut facts) = submitted(rating, &[("A", product)]);
        let mut model = Model::default();
        model.apply(&plan, &mut facts, t0());
        let token = TokenHash::of("edit");
        for (i, (kind, value, seconds)) in steps.into_iter().enumerate() {
            let at = t0() + Duration::seconds(seconds + i as i64);
            let plan = match kind {
                0 => edit(&facts, token, &ReviewPatch::parse(Some(value), None, None).unwrap(), at),
                1 | 2 => reply(
                    &facts,
                    facts.state.business,
                    &ReplyDraft::parse(&format!("Grazie {value}"), "Giulia", None).unwrap(),
                    at,
                ),
                3 => follow_up(&facts, token, &FollowUpBody::parse("Ok").unwrap(), at),
                4 => withdraw(&facts, token, at),
                _ => erase(&facts, Eraser::Operator, at),
            };
            if let Ok(plan) = plan {
                model.apply(&plan, &mut facts, at);
            }
        }
        let business = model.cells.get(&facts.scope("")).cloned().unwrap_or_default();
        let product_cell = model.cells.get(&facts.scope("A")).cloned().unwrap_or_default();
        let counted = facts.state.status == ReviewStatus::Published;
        prop_assert_eq!(business.tally.reviews, i64::from(counted));
        prop_assert_eq!(product_cell.tally.reviews, i64::from(counted));
        let replied = counted && facts.reply_delay.is_some();
        prop_assert_eq!(business.tally.replied, i64::from(replied));
        prop_assert_eq!(product_cell.tally.replied, i64::from(replied));
        let low = crate::stats::is_low(facts.rating);
        prop_assert_eq!(business.replied_low, i64::from(replied && low));
        let stars: i64 = business.tally.stars.iter().sum();
        prop_assert_eq!(stars, i64::from(counted));
        if counted {
            prop_assert_eq!(business.tally.stars[usize::from(facts.rating.get()) - 1], 1);
        }
        let delays: i64 = business.delays.iter().map(|d| d.by).sum();
        prop_assert_eq!(delays, i64::from(replied));
        // The invitation's answer stays counted whatever happens to the review.
        prop_assert_eq!(business.invitations_answered, 1);
    }
}

/// The facts of a review just imported.
fn imported() -> (Plan, ReviewFacts) {
    let review = crate::imported::ImportedReview::parse(
        crate::imported::ImportedReviewInput {
            source: "Google",
            original_date: "2024-05-01",
            rating: 2,
            title: "Lento",
            body: "Servizio lento.",
            author_name: "Marco",
            language: "it",
            ..Default::default()
        },
        t0(),
    )
    .unwrap();
    let business = BusinessId(uuid::Uuid::from_u128(9));
    let id = ReviewId(uuid::Uuid::from_u128(10));
    let plan = import(business, None, id, &review, t0());
    let facts = ReviewFacts {
        id,
        state: ReviewState {
            business,
            status: ReviewStatus::Published,
            has_reply: false,
            has_follow_up: false,
        },
        relationship: Relationship::Customer,
        verified: false,
        rating: review.rating,
        nps: None,
        title: review.title.as_str().to_owned(),
        body: review.body.as_str().to_owned(),
        created_at: t0(),
        edit_token: TokenHash::NONE,
        reply: None,
        reply_delay: None,
        imported: true,
        products: Vec::new(),
    };
    (plan, facts)
}

#[test]
fn an_import_is_its_own_event_and_found_again_by_its_source_and_id() {
    let (plan, _) = imported();
    let step = plan.step.expect("a new review");
    assert!(plan.created);
    assert_eq!(step.event.kind, EventKind::ReviewImported);
    assert!(step.cells.is_empty());
    assert_eq!(
        String::from_utf8(step.event.content).unwrap(),
        r#"{"author_name":"Marco","body":"Servizio lento.","language":"it","original_date":"2024-05-01","rating":2,"source":"Google","title":"Lento"}"#
    );
    let Change::Import { review, .. } = step.change else {
        panic!("not an import")
    };
    let again = import(
        plan.business,
        Some(plan.review),
        ReviewId(uuid::Uuid::from_u128(11)),
        &review,
        t0(),
    );
    assert_eq!(again.review, plan.review);
    assert!(!again.created && again.step.is_none());
}

proptest! {
    /// An imported review moves no figure, whatever happens to it: a reply, an edit of the
    /// reply, an erasure (its author, who is not here, can neither edit nor withdraw it).
    #[test]
    fn an_imported_review_never_moves_a_figure(
        steps in proptest::collection::vec((0u8..5, 1i64..=5, 0i64..200_000), 0..10),
    ) {
        let (plan, mut facts) = imported();
        let mut model = Model::default();
        model.apply(&plan, &mut facts, t0());
        // The facts' own token, which no one holds in life: so edits and a withdrawal are
        // planned too, and must move nothing either.
        let token = facts.edit_token;
        for (i, (kind, value, seconds)) in steps.into_iter().enumerate() {
            let at = t0() + Duration::seconds(seconds + i as i64);
            let plan = match kind {
                0 => edit(&facts, token, &ReviewPatch::parse(Some(value), None, None).unwrap(), at),
                1 | 2 => reply(
                    &facts,
                    facts.state.business,
                    &ReplyDraft::parse(&format!("Grazie {value}"), "Giulia", None).unwrap(),
                    at,
                ),
                3 => withdraw(&facts, token, at),
                _ => erase(&facts, Eraser::Operator, at),
            };
            if let Ok(plan) = plan {
                prop_assert!(plan.step.as_ref().is_none_or(|s| s.cells.is_empty()));
                if let Some(Step { change: Change::Reply { counted, .. }, .. }) = &plan.step {
                    prop_assert!(!counted);
                }
                model.apply(&plan, &mut facts, at);
            }
        }
        prop_assert!(model.cells.is_empty(), "{:?}", model.cells);
    }
}
