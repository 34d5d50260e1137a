//! The invitations' public figures: sources, where their e-mails stand, answers.

use chrono::{DateTime, Duration, Utc};
use domain::ids::{BusinessId, InvitationId};
use domain::invitation::{InvitationInput, InvitationSource, NewInvitation};
use domain::secret::TokenHash;
use uuid::Uuid;

use super::{Open, business, submit};
use crate::{InvitationFigures, JobKind, JobOutcome, NewMail, Store};

/// An invitation of `business` for `reference` from `source`, mailed (with a reminder a
/// week later) when `mailed`; its token's hash.
async fn invite_from(
    store: &dyn Store,
    business: BusinessId,
    reference: &str,
    source: InvitationSource,
    mailed: bool,
    at: DateTime<Utc>,
) -> TokenHash {
    let token = TokenHash::of(&format!("{business}-{reference}"));
    let mut new = NewInvitation::parse(
        InvitationInput {
            reference,
            customer_name: Some("Maria Rossi"),
            customer_email: Some("maria@example.it"),
            ..Default::default()
        },
        at,
    )
    .unwrap();
    new.source = source;
    let mail = mailed.then(|| NewMail {
        // One address per invitation, so that unsubscribing one touches no other.
        recipient: *TokenHash::of(&format!("to-{reference}")).as_bytes(),
        job: Uuid::now_v7(),
        send_at: at,
        reminder: Some((Uuid::now_v7(), at + Duration::days(7))),
    });
    store
        .create_invitation(business, InvitationId::generate(), new, token, mail, at)
        .await
        .unwrap();
    token
}

/// The business's pending jobs about one invitation.
async fn pending_of(
    store: &dyn Store,
    business: BusinessId,
    invitation: Option<InvitationId>,
) -> Vec<crate::Job> {
    store
        .jobs(Some(crate::JobState::Pending), Some(business), 10)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.invitation_id == invitation)
        .collect()
}

pub async fn invitation_figures_count_sources_mail_and_answers(open: Open) {
    let fresh = open(None).await;
    let store = fresh.store.as_ref();
    let b = business(store, "bottega").await;
    let other = business(store, "osteria").await;
    let now = Utc::now();
    assert_eq!(
        store.invitation_figures(b).await.unwrap(),
        InvitationFigures::default(),
        "nothing yet"
    );

    let answered = invite_from(store, b, "ORD-1", InvitationSource::Shopify, true, now).await;
    invite_from(store, b, "ORD-2", InvitationSource::Api, true, now).await;
    invite_from(store, b, "ORD-3", InvitationSource::Csv, true, now).await;
    invite_from(store, b, "ORD-4", InvitationSource::Woocommerce, true, now).await;
    invite_from(store, b, "ORD-5", InvitationSource::Page, false, now).await;
    invite_from(store, other, "ORD-1", InvitationSource::Link, true, now).await;

    // The invitation e-mails: ORD-3's address is refused for good, the others go out.
    let lease = Duration::minutes(5);
    let first = store
        .claim_jobs(now + Duration::minutes(1), lease, 100)
        .await
        .unwrap();
    assert_eq!(first.len(), 5, "{first:?}");
    let reference = |id: Option<InvitationId>| async move {
        store
            .invitation_by_id(id.unwrap())
            .await
            .unwrap()
            .unwrap()
            .reference
    };
    for job in first {
        assert_eq!(job.kind, JobKind::Invitation);
        let outcome = match reference(job.invitation_id).await.as_str() {
            "ORD-3" => JobOutcome::Failed {
                error: "550 no such user".into(),
                undeliverable: true,
            },
            _ => JobOutcome::Sent,
        };
        assert!(
            store
                .finish_job(job.id, job.attempts, outcome, now)
                .await
                .unwrap()
        );
    }
    // ORD-1 is answered, ORD-4's address unsubscribes.
    store
        .write_review(submit(answered, 4, None, &[], now))
        .await
        .unwrap();
    store
        .suppress(b, *TokenHash::of("to-ORD-4").as_bytes(), now)
        .await
        .unwrap();
    // The reminders: only ORD-2's goes out.
    let later = now + Duration::days(8);
    for job in store.claim_jobs(later, lease, 100).await.unwrap() {
        assert_eq!(job.kind, JobKind::Reminder);
        let outcome = if reference(job.invitation_id).await == "ORD-2" && job.business_id == b {
            JobOutcome::Sent
        } else {
            JobOutcome::Cancelled {
                reason: "not needed".into(),
            }
        };
        assert!(
            store
                .finish_job(job.id, job.attempts, outcome, later)
                .await
                .unwrap()
        );
    }

    assert_eq!(
        store.invitation_figures(b).await.unwrap(),
        InvitationFigures {
            by_shop: 2,
            by_hand: 3,
            // ORD-4's e-mail went out before its address unsubscribed: still sent.
            sent: 3,
            reminded: 1,
            unsubscribed: 1,
            undeliverable: 1,
            answered: 1,
        }
    );
    assert_eq!(
        store.invitation_figures(other).await.unwrap(),
        InvitationFigures {
            by_hand: 1,
            sent: 1,
            ..InvitationFigures::default()
        },
        "each business counts its own"
    );
}

/// A claim leases its jobs; a worker whose claim is stale (the lease ran out and another
/// claimed the job) records nothing, and a job being sent cannot be cancelled under it; an
/// operator's cancel of an invitation's e-mail takes its reminder with it.
pub async fn outbox_claims_are_leased_and_stale_outcomes_change_nothing(open: Open) {
    let fresh = open(None).await;
    let store = fresh.store.as_ref();
    let now = Utc::now();
    let b = business(store, "bottega-lease").await;
    invite_from(store, b, "L-1", InvitationSource::Api, true, now).await;
    let lease = Duration::minutes(5);
    let first = store.claim_jobs(now, lease, 10).await.unwrap();
    assert_eq!(
        first.len(),
        1,
        "the invitation e-mail, not its reminder yet"
    );
    let job = first[0].clone();
    assert_eq!((job.kind, job.attempts), (JobKind::Invitation, 1));
    // Leased: no second claim, and no cancel, until the lease runs out.
    assert!(store.claim_jobs(now, lease, 10).await.unwrap().is_empty());
    assert!(!store.cancel_job(job.id, now).await.unwrap());
    // The lease runs out; another worker claims it (attempt 2) and sends it.
    let later = now + lease + Duration::seconds(1);
    let second = store.claim_jobs(later, lease, 10).await.unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].attempts, 2);
    // The first worker comes back late with a failure: nothing changes.
    let late = JobOutcome::Failed {
        error: "timeout".into(),
        undeliverable: true,
    };
    assert!(!store.finish_job(job.id, 1, late, later).await.unwrap());
    assert!(
        store
            .finish_job(job.id, 2, JobOutcome::Sent, later)
            .await
            .unwrap()
    );
    let invitation = store.latest_invitations(b, 1).await.unwrap().pop().unwrap();
    assert_eq!(invitation.mail, crate::MailStatus::Sent);

    // An operator cancels another invitation's e-mail before it goes: its reminder goes too.
    invite_from(store, b, "L-2", InvitationSource::Api, true, later).await;
    let pending = store
        .jobs(Some(crate::JobState::Pending), Some(b), 10)
        .await
        .unwrap();
    let mail = pending
        .iter()
        .find(|j| j.kind == JobKind::Invitation)
        .unwrap();
    assert!(store.cancel_job(mail.id, later).await.unwrap());
    let left = pending_of(store, b, mail.invitation_id).await;
    assert!(
        left.is_empty(),
        "the reminder is cancelled with it: {left:?}"
    );
    let invitation = store.latest_invitations(b, 1).await.unwrap().pop().unwrap();
    assert_eq!(invitation.mail, crate::MailStatus::Failed);
    assert_eq!(
        invitation.mail_error.as_deref(),
        Some("cancelled by the operator")
    );

    // The operator changes their mind: the e-mail is retried, and its reminder, cancelled
    // with it, comes back, due a week (the default delay) after the new attempt.
    let retried_at = later + Duration::hours(1);
    assert!(store.retry_job(mail.id, retried_at).await.unwrap());
    let pending = pending_of(store, b, mail.invitation_id).await;
    assert_eq!(pending.len(), 2, "{pending:?}");
    let reminder = pending
        .iter()
        .find(|j| j.kind == JobKind::Reminder)
        .unwrap();
    assert!(reminder.due_at >= retried_at + Duration::days(7) - Duration::milliseconds(1));
    let invitation = store.latest_invitations(b, 1).await.unwrap().pop().unwrap();
    assert_eq!(invitation.mail, crate::MailStatus::Scheduled);
    // An unsubscribed address's reminder is not brought back by retrying its e-mail.
    invite_from(store, b, "L-3", InvitationSource::Api, true, later).await;
    let third: Vec<_> = store
        .jobs(Some(crate::JobState::Pending), Some(b), 10)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.invitation_id != mail.invitation_id && j.invitation_id != job.invitation_id)
        .collect();
    let third_mail = third
        .iter()
        .find(|j| j.kind == JobKind::Invitation)
        .unwrap();
    store
        .suppress(b, *TokenHash::of("to-L-3").as_bytes(), later)
        .await
        .unwrap();
    assert!(store.retry_job(third_mail.id, later).await.unwrap());
    let third_pending = pending_of(store, b, third_mail.invitation_id).await;
    assert_eq!(
        third_pending.iter().map(|j| j.kind).collect::<Vec<_>>(),
        [JobKind::Invitation],
        "only the e-mail the operator retried (the worker cancels it, as unsubscribed)"
    );
}
