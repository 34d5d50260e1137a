//! Invitation templates: revisions numbered per business and locale, the same words changing
//! nothing, each revision a logged `invitation_template_changed` entry chained to the last.

use std::time::Duration;

use chrono::Utc;
use domain::invitation::Locale;
use domain::lifecycle::EventKind;
use domain::log_entry::{LogEntry, commitment};
use domain::template::InvitationTemplate;

use super::{Open, business};
use crate::{Store, TemplateRevision};

fn words(locale: Locale, subject: &str) -> InvitationTemplate {
    InvitationTemplate::parse(locale, subject, "Grazie per aver scelto {business}.").unwrap()
}

/// The revision as the store reads it once the log holds it (at once on SQLite; on
/// PostgreSQL once the sequencer has logged it).
async fn logged(store: &dyn Store, r: &TemplateRevision) -> TemplateRevision {
    let start = std::time::Instant::now();
    loop {
        let history = store.template_history(r.business, 0, 100).await.unwrap();
        let now = history
            .into_iter()
            .find(|h| h.locale == r.locale && h.revision == r.revision)
            .unwrap();
        if now.log_index.is_some() {
            return now;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "never logged");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The log's entry at `index`, from its receipt (which carries it).
async fn entry(store: &dyn Store, index: u64) -> LogEntry {
    let receipt = store.log_receipt(index).await.unwrap().unwrap();
    let receipt = ledger::receipt::Receipt::parse(&receipt).unwrap();
    LogEntry::decode(&receipt.extra.unwrap()).unwrap()
}

pub async fn invitation_templates_are_revised_and_logged(open: Open) {
    let fresh = open(Some(super::signer())).await;
    let store = fresh.store.as_ref();
    let b = business(store, "bottega-parole").await;
    let now = Utc::now();
    assert!(store.template(b, Locale::It).await.unwrap().is_none());

    let (first, changed) = store
        .set_template(b, words(Locale::It, "Com'è andata, {reference}?"), now)
        .await
        .unwrap();
    assert!(changed);
    assert_eq!(first.revision, 1);
    let first = logged(store, &first).await;
    // The same words again: nothing changes, nothing is logged.
    let (same, changed) = store
        .set_template(b, words(Locale::It, "Com'è andata, {reference}?"), now)
        .await
        .unwrap();
    assert!(!changed);
    assert_eq!(same.revision, 1);
    let (second, changed) = store
        .set_template(
            b,
            words(Locale::It, "Ci racconti l'ordine {reference}?"),
            now,
        )
        .await
        .unwrap();
    assert!(changed);
    assert_eq!(second.revision, 2);
    assert_eq!(
        second.template_id, first.template_id,
        "one template per locale"
    );
    let second = logged(store, &second).await;
    let (english, _) = store
        .set_template(b, words(Locale::En, "How did {reference} go?"), now)
        .await
        .unwrap();
    let english = logged(store, &english).await;
    assert_ne!(english.template_id, first.template_id);
    assert_eq!(english.revision, 1);

    let current = store.template(b, Locale::It).await.unwrap().unwrap();
    assert_eq!(current.subject, "Ci racconti l'ordine {reference}?");
    let history = store.template_history(b, 0, 10).await.unwrap();
    assert_eq!(history.len(), 3);
    let older = store.template_history(b, 1, 10).await.unwrap();
    assert_eq!(older, history[1..]);

    // Each revision is an entry about its template, chained to the one before, committing
    // to the words its opening shows.
    let e1 = entry(store, first.log_index.unwrap()).await;
    let e2 = entry(store, second.log_index.unwrap()).await;
    assert_eq!(e2.kind, EventKind::InvitationTemplateChanged);
    assert_eq!((e1.business, e2.business), (b, b));
    assert_eq!(e2.review.0, second.template_id);
    assert_eq!(e1.previous, None);
    assert_eq!(e2.previous, first.log_index);
    assert_eq!(
        e2.commitment,
        commitment(&second.opening.salt, &second.opening.content)
    );
    let content: serde_json::Value = serde_json::from_slice(&second.opening.content).unwrap();
    assert_eq!(content["locale"], "it");
    assert_eq!(content["subject"], "Ci racconti l'ordine {reference}?");

    // Two changes in a row, logged in one go (on PostgreSQL, likely one sequencer batch):
    // still one chain.
    let (third, _) = store
        .set_template(b, words(Locale::It, "Terza {reference}"), now)
        .await
        .unwrap();
    let (fourth, _) = store
        .set_template(b, words(Locale::It, "Quarta {reference}"), now)
        .await
        .unwrap();
    let (third, fourth) = (logged(store, &third).await, logged(store, &fourth).await);
    assert_eq!(fourth.revision, 4);
    let e3 = entry(store, third.log_index.unwrap()).await;
    let e4 = entry(store, fourth.log_index.unwrap()).await;
    assert_eq!(e3.previous, second.log_index);
    assert_eq!(e4.previous, third.log_index);

    // Another business's template is its own.
    let other = business(store, "altra-bottega").await;
    assert!(store.template(other, Locale::It).await.unwrap().is_none());
    assert!(
        store
            .template_history(other, 0, 10)
            .await
            .unwrap()
            .is_empty()
    );
}
