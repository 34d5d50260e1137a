#![allow(clippy::unwrap_used, reason = "a panic in a test is a failing test")]

use std::sync::Mutex;

use chrono::Utc;
use domain::ids::{BusinessId, InvitationId, ReviewId};
use domain::invitation::{InvitationSource, Relationship};
use domain::secret::TokenHash;
use store::contract::{invite, submit};
use store::{
    Businesses, Figures, Invitations, Job, JobKind, JobState, Log, MailSettings, MailStatus,
    Outbox, Reviews,
};
use uuid::Uuid;

use super::*;
use crate::PostgresStore;

/// 2026-05-28, in milliseconds.
const MS: i64 = 1_780_000_000_000;
/// An hour, in milliseconds.
const HOUR: i64 = 3_600_000;

/// A fresh, migrated database in the test cluster, if there is one, opened with the
/// URL's `options` (say, `?pool_size=1`).
async fn fresh(options: &str) -> Option<PostgresStore> {
    if !crate::testing::configured() {
        eprintln!("{} not set: skipped", crate::testing::ENV);
        return None;
    }
    let admin = std::env::var(crate::testing::ENV).unwrap();
    let url = crate::testing::scratch_database(&admin).await.unwrap();
    // The cluster's URL may carry parameters of its own (`?sslmode=disable`).
    let url = match options.strip_prefix('?') {
        Some(more) if url.contains('?') => format!("{url}&{more}"),
        _ => format!("{url}{options}"),
    };
    Some(PostgresStore::open(&url, None).await.unwrap())
}

/// Imports `chunks`, sent one at a time by a task of their own as an exporter would;
/// the result, and what the progress callback heard.
async fn import(
    store: &PostgresStore,
    chunks: Vec<Rows>,
) -> (store::Result<u64>, Vec<(Table, u64)>) {
    let (send, receive) = tokio::sync::mpsc::channel(1);
    let sender = tokio::spawn(async move {
        for chunk in chunks {
            if send.send(chunk).await.is_err() {
                break;
            }
        }
    });
    let heard = Mutex::new(Vec::new());
    let result = store
        .import(receive, &|table, rows| {
            heard.lock().unwrap().push((table, rows));
        })
        .await;
    sender.await.unwrap();
    (result, heard.into_inner().unwrap())
}

/// How many rows each table of a copy holds, in the order of TABLES.
async fn counts(store: &PostgresStore) -> Vec<i64> {
    let client = store.pool.get().await.unwrap();
    let mut counts = Vec::new();
    for table in TABLES {
        let sql = format!("SELECT count(*) FROM {}", table.name());
        counts.push(client.query_one(&sql, &[]).await.unwrap().get(0));
    }
    counts
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

fn id(id: Uuid) -> Value {
    Value::Text(id.hyphenated().to_string())
}

fn chunk(table: Table, rows: Vec<Vec<Value>>) -> Rows {
    Rows { table, rows }
}

/// A small instance: two businesses, a mailed invitation of the first with its two outbox
/// jobs, an address unsubscribed from it and its mail settings, a review of it with its
/// event, its all-time figures and the log that holds the event.
struct Instance {
    business: Uuid,
    other: Uuid,
    invitation: Uuid,
    /// The invitation's e-mail and its reminder.
    jobs: [Uuid; 2],
    review: Uuid,
    seq: i64,
    event_seq: i64,
}

impl Instance {
    fn new(seq: i64, event_seq: i64) -> Self {
        Self {
            business: Uuid::now_v7(),
            other: Uuid::now_v7(),
            invitation: Uuid::now_v7(),
            jobs: [Uuid::now_v7(), Uuid::now_v7()],
            review: Uuid::now_v7(),
            seq,
            event_seq,
        }
    }

    fn businesses(&self) -> Vec<Rows> {
        vec![
            chunk(
                Table::Businesses,
                vec![vec![
                    id(self.business),
                    text("bottega"),
                    text("Bottega"),
                    text("https://bottega.example"),
                    Value::Int(MS),
                ]],
            ),
            chunk(
                Table::Businesses,
                vec![vec![
                    id(self.other),
                    text("forno"),
                    text("Forno"),
                    Value::Null,
                    Value::Int(MS),
                ]],
            ),
        ]
    }

    fn review(&self, seq: i64, id_: Uuid, verified: Value) -> Vec<Value> {
        vec![
            Value::Int(seq),
            id(id_),
            id(self.business),
            Value::Null,
            text("customer"),
            verified,
            text("published"),
            Value::Int(4),
            text("Ottimo"),
            text("Servizio puntuale"),
            Value::Int(9),
            Value::Null,
            text("Maria"),
            text("it"),
            Value::Bytes(vec![1; 32]),
            Value::Int(MS),
            Value::Null,
            Value::Int(0),
            Value::Null,
            Value::Null,
            // Written here, not imported: no source, original date or identifier there.
            Value::Null,
            Value::Null,
            Value::Null,
        ]
    }

    fn rows(&self) -> Vec<Rows> {
        let mut stat_cell = vec![
            id(self.business),
            text(""),
            text("customer"),
            Value::Int(3),
            Value::Int(0),
            Value::Int(1),
            Value::Int(1),
        ];
        // stars_1…stars_5, promoters, passives, detractors, replied, replied_low,
        // invitations sent and answered.
        stat_cell.extend([0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 1].map(Value::Int));
        stat_cell.extend([1.0, 4.0, 16.0, 1.0].map(Value::Real));
        let mut rows = self.businesses();
        rows.extend([
            chunk(
                Table::ApiKeys,
                vec![vec![
                    Value::Bytes(TokenHash::of("bottega-key").as_bytes().to_vec()),
                    id(self.business),
                    Value::Int(MS),
                    Value::Null,
                ]],
            ),
            chunk(
                Table::Invitations,
                vec![vec![
                    id(self.invitation),
                    id(self.business),
                    text("ORD-1"),
                    Value::Bytes(TokenHash::of("ORD-1").as_bytes().to_vec()),
                    text("customer"),
                    text("Maria Rossi"),
                    text("maria@example.it"),
                    text("it"),
                    Value::Int(MS),
                    Value::Int(MS + 30 * 24 * HOUR),
                    text("shopify"),
                    Value::Int(MS + HOUR),
                    text("failed"),
                    text("451 try later"),
                    Value::Bytes(vec![7; 32]),
                ]],
            ),
            chunk(
                Table::Outbox,
                vec![
                    vec![
                        id(self.jobs[0]),
                        text("invitation"),
                        id(self.business),
                        id(self.invitation),
                        text("failed"),
                        Value::Int(MS + HOUR),
                        Value::Int(5),
                        Value::Null,
                        text("451 try later"),
                        Value::Int(MS),
                        Value::Int(MS + 3 * HOUR),
                    ],
                    vec![
                        id(self.jobs[1]),
                        text("reminder"),
                        id(self.business),
                        id(self.invitation),
                        text("pending"),
                        Value::Int(MS + 7 * 24 * HOUR),
                        Value::Int(1),
                        Value::Int(MS + 7 * 24 * HOUR + HOUR / 12),
                        Value::Null,
                        Value::Int(MS),
                        Value::Null,
                    ],
                ],
            ),
            chunk(
                Table::MailSuppressions,
                vec![vec![
                    id(self.business),
                    Value::Bytes(vec![8; 32]),
                    Value::Int(MS + 2 * HOUR),
                ]],
            ),
            chunk(
                Table::MailSettings,
                vec![vec![id(self.business), Value::Int(24), Value::Null]],
            ),
            chunk(
                Table::Reviews,
                vec![self.review(self.seq, self.review, Value::Int(1))],
            ),
            chunk(
                Table::ReviewEvents,
                vec![vec![
                    Value::Int(self.event_seq),
                    id(self.review),
                    id(self.business),
                    text("review_published"),
                    Value::Int(MS),
                    Value::Bytes(vec![2; 32]),
                    Value::Bytes(b"{}".to_vec()),
                    Value::Bytes(vec![3; 32]),
                    Value::Int(0),
                ]],
            ),
            chunk(Table::StatCells, vec![stat_cell]),
            chunk(
                Table::LogEntries,
                vec![vec![Value::Int(0), Value::Bytes(b"entry".to_vec())]],
            ),
            chunk(
                Table::LogHashes,
                vec![vec![Value::Int(0), Value::Bytes(vec![9; 32])]],
            ),
            chunk(
                Table::LogCheckpoints,
                vec![vec![
                    Value::Int(1),
                    Value::Bytes(b"signed checkpoint".to_vec()),
                    Value::Int(MS),
                ]],
            ),
        ]);
        rows
    }
}

/// The rows come back through the contract; a second copy into the same database is
/// refused and changes nothing.
#[tokio::test]
async fn an_instance_reads_back_and_a_second_copy_is_refused() {
    let Some(store) = fresh("").await else {
        return;
    };
    // A server once ran here, and signed its empty log.
    store
        .pool
        .get()
        .await
        .unwrap()
        .execute(
            "INSERT INTO log_checkpoints (size, signed, created_at) VALUES (0, 'empty', 0)",
            &[],
        )
        .await
        .unwrap();
    let instance = Instance::new(41, 7);
    let rows = instance.rows();
    let expected: Vec<(Table, u64)> = rows
        .iter()
        .map(|c| (c.table, c.rows.len() as u64))
        .collect();
    let (result, heard) = import(&store, rows).await;
    assert_eq!(result.unwrap(), 14);
    assert_eq!(heard, expected);

    let bottega = store.business_by_slug("bottega").await.unwrap().unwrap();
    assert_eq!(bottega.id, BusinessId(instance.business));
    assert_eq!(bottega.name, "Bottega");
    let forno = store.business_by_slug("forno").await.unwrap().unwrap();
    assert_eq!(forno.id, BusinessId(instance.other));
    let by_key = store
        .business_by_api_key(TokenHash::of("bottega-key"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_key.id, bottega.id);

    let review = store
        .review(ReviewId(instance.review))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(review.position.seq, 41);
    assert_eq!(review.created_at.timestamp_millis(), MS);
    assert!(review.verified);
    assert_eq!(review.log_index, Some(0));
    let content = review.content.unwrap();
    assert_eq!((content.rating, content.nps), (4, Some(9)));
    assert_eq!(content.title, "Ottimo");
    let opening = review.opening.unwrap();
    assert_eq!((opening.salt, opening.content), ([2; 32], b"{}".to_vec()));

    let summary = store
        .summary(BusinessId(instance.business), Relationship::Customer)
        .await
        .unwrap();
    assert_eq!((summary.review_count, summary.nps_responses), (1, 1));
    assert_eq!(
        store.log_checkpoint().await.unwrap(),
        Some(b"signed checkpoint".to_vec())
    );

    // The invitation's mail, its jobs, the unsubscribed address, the settings.
    let invitation = store
        .invitation_by_id(InvitationId(instance.invitation))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(invitation.business_id, bottega.id);
    assert_eq!(invitation.source, InvitationSource::Shopify);
    assert_eq!(
        invitation.send_at.map(|t| t.timestamp_millis()),
        Some(MS + HOUR)
    );
    assert_eq!(invitation.mail, MailStatus::Failed);
    assert_eq!(invitation.mail_error.as_deref(), Some("451 try later"));
    let at = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).unwrap();
    let mut jobs = store.jobs(None, Some(bottega.id), 10).await.unwrap();
    jobs.sort_by_key(|j| j.id);
    let invitation_id = Some(InvitationId(instance.invitation));
    assert_eq!(
        jobs,
        [
            Job {
                id: instance.jobs[0],
                kind: JobKind::Invitation,
                business_id: bottega.id,
                invitation_id,
                state: JobState::Failed,
                due_at: at(MS + HOUR),
                attempts: 5,
                last_error: Some("451 try later".into()),
                created_at: at(MS),
                done_at: Some(at(MS + 3 * HOUR)),
            },
            Job {
                id: instance.jobs[1],
                kind: JobKind::Reminder,
                business_id: bottega.id,
                invitation_id,
                state: JobState::Pending,
                due_at: at(MS + 7 * 24 * HOUR),
                attempts: 1,
                last_error: None,
                created_at: at(MS),
                done_at: None,
            },
        ]
    );
    let client = store.pool.get().await.unwrap();
    let email_hash: Vec<u8> = client
        .query_one(
            "SELECT email_hash FROM invitations WHERE id = $1",
            &[&instance.invitation],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(email_hash, [7; 32]);
    let leased_until: Option<i64> = client
        .query_one(
            "SELECT leased_until FROM outbox WHERE id = $1",
            &[&instance.jobs[1]],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(leased_until, Some(MS + 7 * 24 * HOUR + HOUR / 12));
    drop(client);
    assert!(store.is_suppressed(bottega.id, [8; 32]).await.unwrap());
    assert!(!store.is_suppressed(bottega.id, [7; 32]).await.unwrap());
    assert_eq!(
        store.mail_settings(bottega.id).await.unwrap(),
        MailSettings {
            shop_delay_hours: 24,
            reminder_days: None,
        }
    );
    assert_eq!(
        store.mail_settings(forno.id).await.unwrap(),
        MailSettings::default()
    );

    let before = counts(&store).await;
    let (result, heard) = import(&store, Instance::new(1, 1).rows()).await;
    let Err(StoreError::Config(message)) = result else {
        panic!("a second copy was not refused: {result:?}");
    };
    for held in [
        "2 businesses",
        "1 review event",
        "1 log entry",
        "1 log checkpoint",
    ] {
        assert!(message.contains(held), "{message}");
    }
    assert!(heard.is_empty());
    assert_eq!(counts(&store).await, before);
}

/// A value that does not fit its column is refused, naming it, and the copy leaves
/// nothing behind; so does a row the database itself refuses.
#[tokio::test]
async fn a_bad_value_is_refused_and_leaves_the_database_empty() {
    // One connection: each failed copy must leave it ready for the next.
    let Some(store) = fresh("?pool_size=1").await else {
        return;
    };
    let empty = counts(&store).await;
    assert!(empty.iter().all(|n| *n == 0));
    let instance = Instance::new(1, 1);
    let with_review = |review: Vec<Value>| {
        let mut rows = instance.businesses();
        rows.push(chunk(
            Table::Reviews,
            vec![instance.review(1, Uuid::now_v7(), Value::Int(0)), review],
        ));
        rows
    };
    let mut not_a_uuid = instance.businesses();
    not_a_uuid[1].rows[0][0] = text("not-a-uuid");
    let mut no_name = instance.businesses();
    no_name[0].rows[0][2] = Value::Null;
    let mut real_time = instance.businesses();
    real_time[0].rows[0][4] = Value::Real(1.5);
    let mut short = instance.businesses();
    short[0].rows[0].pop();
    let mut huge_rating = instance.review(2, Uuid::now_v7(), Value::Int(1));
    huge_rating[7] = Value::Int(1 << 40);
    let mut huge_delay = instance.rows();
    for c in huge_delay
        .iter_mut()
        .filter(|c| c.table == Table::MailSettings)
    {
        c.rows[0][1] = Value::Int(1 << 40);
    }
    let mut backwards = instance.rows();
    backwards.swap(1, 2);
    let cases: Vec<(Vec<Rows>, &[&str])> = vec![
        (
            not_a_uuid,
            &["row 2 of businesses", "column id", "not-a-uuid"],
        ),
        (no_name, &["row 1 of businesses", "column name", "NULL"]),
        (real_time, &["businesses", "column created_at", "1.5"]),
        (short, &["row 1 of businesses", "4 values"]),
        (
            with_review(instance.review(2, Uuid::now_v7(), Value::Int(7))),
            &["row 2 of reviews", "column verified", "7"],
        ),
        (
            with_review(huge_rating),
            &["row 2 of reviews", "column rating", "1099511627776"],
        ),
        (
            huge_delay,
            &[
                "row 1 of mail_settings",
                "column shop_delay_hours",
                "1099511627776",
            ],
        ),
        (backwards, &["businesses", "after"]),
    ];
    for (rows, named) in cases {
        let (result, _) = import(&store, rows).await;
        let Err(StoreError::Config(message)) = result else {
            panic!("not refused as {named:?}: {result:?}");
        };
        for name in named {
            assert!(message.contains(name), "{message} does not name {name}");
        }
        assert_eq!(counts(&store).await, empty, "{message}");
    }

    // A review of a business the copy does not hold: the database refuses it.
    let mut orphan = instance.rows();
    orphan.retain(|c| c.table != Table::Businesses && c.table != Table::ApiKeys);
    let (result, _) = import(&store, orphan).await;
    assert!(matches!(result, Err(StoreError::Backend(_))), "{result:?}");
    assert_eq!(counts(&store).await, empty);

    // And the copy can simply run again.
    let (result, _) = import(&store, instance.rows()).await;
    assert_eq!(result.unwrap(), 14);
}

/// A review written after the copy is numbered after the imported ones, as is its
/// event; and empty tables number from 1.
#[tokio::test]
async fn new_rows_are_numbered_after_the_imported_ones() {
    for only_businesses in [false, true] {
        let Some(store) = fresh("").await else {
            return;
        };
        let instance = Instance::new(1000, 500);
        let chunks = if only_businesses {
            instance.businesses()
        } else {
            instance.rows()
        };
        import(&store, chunks).await.0.unwrap();
        let now = Utc::now();
        let token = invite(
            &store,
            BusinessId(instance.business),
            "ordine-1",
            "customer",
            &[],
            now,
        )
        .await;
        let written = store
            .write_review(submit(token, 5, None, &[], now))
            .await
            .unwrap();
        let event_seq: i64 = store
            .pool
            .get()
            .await
            .unwrap()
            .query_one(
                "SELECT max(seq) FROM review_events WHERE review_id = $1",
                &[&written.review.id.0],
            )
            .await
            .unwrap()
            .get(0);
        if only_businesses {
            assert_eq!((written.review.position.seq, event_seq), (1, 1));
        } else {
            assert!(written.review.position.seq > instance.seq);
            assert!(event_seq > instance.event_seq);
        }
    }
}
