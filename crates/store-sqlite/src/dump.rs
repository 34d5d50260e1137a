//! The SQLite side of `passaparola copy`: every row of the instance as `store::dump`'s
//! neutral rows, read in one read transaction (one consistent snapshot, while a server may
//! go on writing).
//!
//! Most tables travel as they are, their columns selected in the order of
//! [`Table::columns`] (which leaves the legacy `invitations.used_at` and `review_events.data`
//! behind). `review_events` is the exception: SQLite keeps neither its business (taken from
//! its review) nor its commitment (taken from its log entry, which carries it).

use domain::log_entry::LogEntry;
use rusqlite::Connection;
use rusqlite::types::ValueRef;
use store::StoreError;
use store::dump::{Rows, TABLES, Table, Value};
use tokio::sync::mpsc::Sender;

use crate::{Result, corrupt};

/// How many rows each table holds, in the order of [`TABLES`] (one snapshot).
pub(crate) fn row_counts(c: &Connection) -> Result<Vec<(Table, u64)>> {
    let tx = c.unchecked_transaction()?;
    let mut counts = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        let n: i64 = tx.query_row(&format!("SELECT COUNT(*) FROM {}", table.name()), [], |r| {
            r.get(0)
        })?;
        counts.push((table, u64::try_from(n).unwrap_or_default()));
    }
    tx.finish()?;
    Ok(counts)
}

/// Sends every row of every table to `to`, in the order of [`TABLES`], in chunks of at most
/// `chunk` rows (and at least one: an empty table sends nothing), all read in one read
/// transaction. Stops early, without an error, once `to`'s receiver is gone.
///
/// Blocks: it runs on a blocking thread, and waits for the receiver to take each chunk.
pub(crate) fn export(c: &Connection, chunk: usize, to: &Sender<Rows>) -> Result<()> {
    let chunk = chunk.max(1);
    // Deferred: the snapshot is taken by the first read below, and every read after it
    // sees the same one.
    let tx = c.unchecked_transaction()?;
    // Refused before a single row leaves, rather than half-way through.
    let unlogged: i64 = tx.query_row(
        "SELECT COUNT(*) FROM review_events WHERE log_index IS NULL",
        [],
        |r| r.get(0),
    )?;
    if unlogged > 0 {
        return Err(not_logged(unlogged));
    }
    for table in TABLES {
        if !send_table(&tx, table, chunk, to)? {
            break;
        }
    }
    tx.finish()?;
    Ok(())
}

/// Sends one table's rows; `false` when the receiver is gone.
fn send_table(c: &Connection, table: Table, chunk: usize, to: &Sender<Rows>) -> Result<bool> {
    let width = table.columns().len();
    let mut statement = c.prepare(&select(table))?;
    let mut rows = statement.query([])?;
    let mut batch: Vec<Vec<Value>> = Vec::with_capacity(chunk.min(4096));
    while let Some(row) = rows.next()? {
        let mut values = Vec::with_capacity(width);
        for i in 0..width {
            values.push(value(table, row.get_ref(i)?)?);
        }
        if table == Table::ReviewEvents {
            with_commitment(&mut values)?;
        }
        if table == Table::InvitationTemplates {
            template_commitment(&mut values)?;
        }
        batch.push(values);
        if batch.len() >= chunk {
            let rows = std::mem::take(&mut batch);
            if to.blocking_send(Rows { table, rows }).is_err() {
                return Ok(false);
            }
        }
    }
    if !batch.is_empty() && to.blocking_send(Rows { table, rows: batch }).is_err() {
        return Ok(false);
    }
    Ok(true)
}

/// The query reading `table`'s rows, its columns in the order of [`Table::columns`], in
/// the order of its primary key.
fn select(table: Table) -> String {
    if table == Table::ReviewEvents {
        // The entry stands where the commitment goes: `with_commitment` swaps it.
        return "SELECT e.seq, e.review_id, r.business_id, e.kind, e.at, e.salt, e.content,
                       l.entry, e.log_index
                FROM review_events e
                LEFT JOIN reviews r ON r.id = e.review_id
                LEFT JOIN log_entries l ON l.idx = e.log_index
                ORDER BY e.seq"
            .to_owned();
    }
    if table == Table::InvitationTemplates {
        // The log entry stands where the commitment goes: `template_commitment` checks it.
        return "SELECT t.template_id, t.business_id, t.locale, t.revision, t.subject, t.intro,
                       t.created_at, t.salt, t.content, l.entry, t.log_index
                FROM invitation_templates t
                LEFT JOIN log_entries l ON l.idx = t.log_index
                ORDER BY t.business_id, t.locale, t.revision"
            .to_owned();
    }
    let columns: Vec<String> = table.columns().iter().map(|c| format!("\"{c}\"")).collect();
    format!(
        "SELECT {} FROM {} ORDER BY {}",
        columns.join(", "),
        table.name(),
        order(table)
    )
}

/// Each table's primary key (or, for a table with a rowid and a text or blob key, its
/// rowid: the order the rows were written in).
fn order(table: Table) -> &'static str {
    match table {
        Table::Businesses
        | Table::Invitations
        | Table::Outbox
        | Table::MailSettings
        | Table::LinkSecrets
        | Table::Users
        | Table::DisabledUsers
        | Table::Sessions => "rowid",
        Table::ApiKeys => "hash",
        Table::InvitationProducts => "invitation_id, position",
        Table::MailSuppressions => "business_id, email_hash",
        Table::ShopConnections => "business_id, kind",
        Table::ShopDeliveries => "business_id, kind, delivery_id",
        Table::InvitationTemplates => "business_id, locale, revision",
        Table::Products => "business_id, sku",
        Table::Reviews | Table::ReviewEvents => "seq",
        Table::Replies | Table::FollowUps | Table::ReplyDelays => "review_id",
        Table::ProductReviews => "review_id, sku",
        Table::StatCells => "business_id, product, relationship, span, start, verified",
        Table::StatDelays => {
            "business_id, product, relationship, span, start, verified, low, bucket"
        }
        Table::LogEntries | Table::LogHashes => "idx",
        Table::LogCheckpoints => "size",
    }
}

/// A stored value, by its SQLite type.
fn value(table: Table, v: ValueRef<'_>) -> Result<Value> {
    Ok(match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Text(t) => Value::Text(
            std::str::from_utf8(t)
                .map_err(|_| corrupt("text (not UTF-8) in", table.name()))?
                .to_owned(),
        ),
        ValueRef::Blob(b) => Value::Bytes(b.to_vec()),
    })
}

/// Replaces a review event's log entry (selected in the commitment's place) by the
/// commitment it carries, checking that the entry is the event's.
fn with_commitment(row: &mut [Value]) -> Result<()> {
    let [seq, Value::Text(review), business, _, _, _, _, entry, index] = row else {
        return Err(corrupt("review event", format!("{row:?}")));
    };
    if *business == Value::Null {
        return Err(corrupt(
            "review event (its review is missing)",
            format!("{seq:?}"),
        ));
    }
    let commitment = match (&*index, &*entry) {
        (Value::Null, _) => return Err(not_logged(1)),
        (_, Value::Bytes(bytes)) => {
            let decoded = LogEntry::decode(bytes)
                .map_err(|e| corrupt("log entry", format!("{index:?}: {e}")))?;
            if decoded.review.0.to_string() != *review {
                return Err(corrupt(
                    "log entry",
                    format!("{index:?} is not about the review of event {seq:?}"),
                ));
            }
            decoded.commitment.to_vec()
        }
        _ => {
            return Err(corrupt(
                "log index",
                format!("{index:?} of event {seq:?} (no such entry)"),
            ));
        }
    };
    *entry = Value::Bytes(commitment);
    Ok(())
}

/// Replaces a template revision's log entry (selected in the commitment's place) by the
/// commitment it carries, checking that the entry is the revision's and that the revision's
/// words open it: what is copied is what the log holds.
fn template_commitment(row: &mut [Value]) -> Result<()> {
    let [
        Value::Text(template),
        _,
        _,
        revision,
        _,
        _,
        _,
        salt,
        content,
        entry,
        index,
    ] = row
    else {
        return Err(corrupt("template revision", format!("{row:?}")));
    };
    let (Value::Bytes(bytes), Value::Bytes(salt), Value::Bytes(content)) =
        (&*entry, &*salt, &*content)
    else {
        return Err(corrupt(
            "template revision",
            format!("{revision:?} of {template}: no log entry {index:?}"),
        ));
    };
    let decoded =
        LogEntry::decode(bytes).map_err(|e| corrupt("log entry", format!("{index:?}: {e}")))?;
    let salt: [u8; 32] = salt
        .as_slice()
        .try_into()
        .map_err(|_| corrupt("template salt", "length"))?;
    if decoded.kind != domain::lifecycle::EventKind::InvitationTemplateChanged
        || decoded.review.0.to_string() != *template
        || decoded.commitment != domain::log_entry::commitment(&salt, content)
    {
        return Err(corrupt(
            "log entry",
            format!("{index:?} is not the entry of revision {revision:?} of template {template}"),
        ));
    }
    *entry = Value::Bytes(decoded.commitment.to_vec());
    Ok(())
}

/// The refusal of a database with events not yet in its log.
fn not_logged(events: i64) -> crate::Error {
    StoreError::Config(format!(
        "{events} review event(s) of this database are not in its log (it was written before \
         the log existed): open it once with `passaparola serve` so that its events are \
         logged, then copy again"
    ))
    .into()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a panic in a test is a failing test")]
mod tests {
    use std::collections::HashMap;

    use chrono::{Duration, Utc};
    use domain::ids::InvitationId;
    use domain::invitation::{Email, InvitationInput, InvitationSource, NewInvitation};
    use domain::review::{FollowUpBody, ReplyDraft, ResponderName};
    use domain::secret::TokenHash;
    use domain::shop::ShopKind;
    use store::contract::{business, edit_token, invite, signer, submit};
    use store::{Eraser, JobOutcome, MailSettings, NewMail, NewUser, ReviewCommand, Store};
    use uuid::Uuid;

    use super::*;
    use crate::SqliteStore;

    /// A small instance with a row in every table: a business with two keys, a review with
    /// a product, a reply and a follow-up, an erased review, an unanswered invitation, a
    /// mailed one with its outbox jobs, an unsubscribed address and mail settings, a user
    /// with a session and a disabled one, and a signed log.
    async fn instance(dir: &tempfile::TempDir) -> SqliteStore {
        let sqlite = SqliteStore::open(&dir.path().join("p.db"), Some(signer())).unwrap();
        let store: &dyn Store = &sqlite;
        let t0 = Utc::now() - Duration::days(3);
        let b = business(store, "bottega").await;
        store
            .add_api_key(b, TokenHash::of("second"), t0)
            .await
            .unwrap();

        let token = invite(store, b, "ORD-1", "customer", &[("SKU-1", "Tazza")], t0).await;
        let review = store
            .write_review(submit(token, 2, Some(9), &[("SKU-1", 4)], t0))
            .await
            .unwrap()
            .review
            .id;
        store
            .write_review(ReviewCommand::Reply {
                review,
                business: b,
                reply: ReplyDraft::parse("Ci dispiace", "Giulia", Some("Titolare")).unwrap(),
                at: t0 + Duration::hours(2),
            })
            .await
            .unwrap();
        store
            .write_review(ReviewCommand::FollowUp {
                review,
                edit_token: edit_token(token),
                body: FollowUpBody::parse("Grazie").unwrap(),
                at: t0 + Duration::hours(3),
            })
            .await
            .unwrap();

        let token = invite(store, b, "ORD-2", "customer", &[], t0).await;
        let erased = store
            .write_review(submit(token, 5, None, &[], t0))
            .await
            .unwrap()
            .review
            .id;
        store
            .write_review(ReviewCommand::Erase {
                review: erased,
                by: Eraser::Reviewer(edit_token(token)),
                at: t0 + Duration::hours(1),
            })
            .await
            .unwrap();
        invite(store, b, "ORD-3", "supplier", &[], t0).await;

        // An invitation from a shop, mailed: its e-mail sent, its reminder pending; an
        // address that unsubscribed, and the business's own mail settings.
        let mut mailed = NewInvitation::parse(
            InvitationInput {
                reference: "ORD-4",
                customer_email: Some("anna@example.it"),
                send_at: Some(t0 + Duration::hours(1)),
                ..Default::default()
            },
            t0,
        )
        .unwrap();
        mailed.source = InvitationSource::Shopify;
        let job = Uuid::now_v7();
        store
            .create_invitation(
                b,
                InvitationId::generate(),
                mailed,
                TokenHash::of("ORD-4"),
                Some(NewMail {
                    recipient: [7; 32],
                    job,
                    send_at: t0 + Duration::hours(1),
                    reminder: Some((Uuid::now_v7(), t0 + Duration::days(7))),
                }),
                t0,
            )
            .await
            .unwrap();
        let claimed = store
            .claim_jobs(t0 + Duration::hours(2), Duration::minutes(5), 10)
            .await
            .unwrap();
        assert_eq!(claimed.iter().map(|j| j.id).collect::<Vec<_>>(), [job]);
        store
            .finish_job(job, 1, JobOutcome::Sent, t0 + Duration::hours(2))
            .await
            .unwrap();
        store.suppress(b, [8; 32], t0).await.unwrap();
        store
            .set_mail_settings(
                b,
                MailSettings {
                    shop_delay_hours: 24,
                    reminder_days: None,
                },
            )
            .await
            .unwrap();
        store
            .connect_shop(b, ShopKind::Shopify, "shpss_secret".into(), t0)
            .await
            .unwrap();
        store
            .record_delivery(b, ShopKind::Shopify, "delivery-1", t0)
            .await
            .unwrap();
        assert_eq!(store.rotate_link_secret(b, t0).await.unwrap(), 1);
        let template = domain::template::InvitationTemplate::parse(
            domain::invitation::Locale::It,
            "Ordine {reference}",
            "Grazie da {business}.",
        )
        .unwrap();
        store.set_template(b, template, t0).await.unwrap();

        let user = |email: &str| NewUser {
            business_slug: "bottega".into(),
            email: Email::parse(email).unwrap(),
            name: ResponderName::parse("Giulia Zanetti").unwrap(),
            role: None,
        };
        let giulia = store
            .create_user(user("giulia@example.it"), "$argon2id$hash".into(), t0)
            .await
            .unwrap();
        store
            .create_session(
                TokenHash::of("cookie"),
                giulia.id,
                t0,
                Utc::now() + Duration::days(1),
            )
            .await
            .unwrap();
        let luca = store
            .create_user(user("luca@example.it"), "$argon2id$hash".into(), t0)
            .await
            .unwrap();
        assert!(store.set_user_disabled(luca.id, true, t0).await.unwrap());
        store.seal_log().await.unwrap();
        sqlite
    }

    /// Every chunk the export sends, and its outcome.
    async fn exported(store: &SqliteStore, chunk: usize) -> (Vec<Rows>, store::Result<()>) {
        let (to, mut from) = tokio::sync::mpsc::channel(2);
        let exporting = {
            let store = store.clone();
            tokio::spawn(async move { store.export(chunk, to).await })
        };
        let mut chunks = Vec::new();
        while let Some(rows) = from.recv().await {
            chunks.push(rows);
        }
        (chunks, exporting.await.unwrap())
    }

    fn bytes(v: &Value) -> &[u8] {
        match v {
            Value::Bytes(b) => b,
            other => panic!("not bytes: {other:?}"),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn exports_every_table_in_one_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let store = instance(&dir).await;
        let (chunks, outcome) = exported(&store, 2).await;
        outcome.unwrap();

        // Every table, in order, each in chunks of one or two rows of its width.
        let mut seen: Vec<Table> = chunks.iter().map(|c| c.table).collect();
        seen.dedup();
        assert_eq!(
            seen, TABLES,
            "every table has rows here, and comes once, in order"
        );
        let mut rows: HashMap<Table, Vec<Vec<Value>>> = HashMap::new();
        for chunk in chunks {
            assert!((1..=2).contains(&chunk.rows.len()), "{chunk:?}");
            for row in &chunk.rows {
                assert_eq!(row.len(), chunk.table.columns().len(), "{chunk:?}");
            }
            rows.entry(chunk.table).or_default().extend(chunk.rows);
        }
        let counts = store.row_counts().await.unwrap();
        let sent: Vec<(Table, u64)> = TABLES.iter().map(|t| (*t, rows[t].len() as u64)).collect();
        assert_eq!(counts, sent);

        // Rows in their primary key's order.
        let seqs: Vec<_> = rows[&Table::ReviewEvents].iter().map(|r| &r[0]).collect();
        assert!(seqs.is_sorted_by_key(|v| match v {
            Value::Int(i) => *i,
            other => panic!("{other:?}"),
        }));

        // Each event's commitment is its log entry's, and opens with its salt and content
        // unless its review was erased.
        let entries: HashMap<i64, LogEntry> = rows[&Table::LogEntries]
            .iter()
            .map(|r| match r.as_slice() {
                [Value::Int(idx), Value::Bytes(entry)] => (*idx, LogEntry::decode(entry).unwrap()),
                other => panic!("{other:?}"),
            })
            .collect();
        let reviews: HashMap<&str, &Vec<Value>> = rows[&Table::Reviews]
            .iter()
            .map(|r| match &r[1] {
                Value::Text(id) => (id.as_str(), r),
                other => panic!("{other:?}"),
            })
            .collect();
        let mut erased_events = 0;
        for event in &rows[&Table::ReviewEvents] {
            let [
                _,
                Value::Text(review),
                business,
                Value::Text(kind),
                _,
                salt,
                content,
                commitment,
                index,
            ] = event.as_slice()
            else {
                panic!("{event:?}");
            };
            let Value::Int(index) = index else {
                panic!("{event:?}")
            };
            let entry = &entries[index];
            assert_eq!(bytes(commitment), entry.commitment);
            assert_eq!(
                business,
                &reviews[review.as_str()][2],
                "the review's business"
            );
            assert_eq!(business, &Value::Text(entry.business.to_string()));
            let erased_at = &reviews[review.as_str()][19];
            if *erased_at != Value::Null && kind != "content_erased" {
                assert_eq!((salt, content), (&Value::Null, &Value::Null), "{event:?}");
                erased_events += 1;
            } else {
                let salt: [u8; 32] = bytes(salt).try_into().unwrap();
                assert_eq!(
                    domain::log_entry::commitment(&salt, bytes(content)),
                    entry.commitment
                );
            }
        }
        assert!(
            erased_events > 0,
            "the erased review's events lost their opening"
        );

        // The mail's columns and tables: the shop's invitation, its two jobs, the
        // unsubscribed address, the settings; the other invitations were not mailed.
        let text = |s: &str| Value::Text(s.to_owned());
        let business = &rows[&Table::Businesses][0][0];
        let (mailed, others): (Vec<_>, Vec<_>) = rows[&Table::Invitations]
            .iter()
            .partition(|r| r[2] == text("ORD-4"));
        let [mailed] = mailed.as_slice() else {
            panic!("{mailed:?}")
        };
        assert_eq!(mailed[10], text("shopify"));
        assert!(matches!(mailed[11], Value::Int(ms) if ms > 1_600_000_000_000));
        assert_eq!(
            mailed[12..],
            [text("sent"), Value::Null, Value::Bytes(vec![7; 32])]
        );
        for other in others {
            assert_eq!(
                other[10..],
                [
                    text("api"),
                    Value::Null,
                    text("none"),
                    Value::Null,
                    Value::Null
                ]
            );
        }
        let jobs: Vec<_> = rows[&Table::Outbox]
            .iter()
            .map(|j| (&j[1], &j[2], &j[3], &j[4], &j[6], j[10] == Value::Null))
            .collect();
        assert_eq!(
            jobs,
            [
                (
                    &text("invitation"),
                    business,
                    &mailed[0],
                    &text("sent"),
                    &Value::Int(1),
                    false
                ),
                (
                    &text("reminder"),
                    business,
                    &mailed[0],
                    &text("pending"),
                    &Value::Int(0),
                    true
                ),
            ]
        );
        let [suppressed] = rows[&Table::MailSuppressions].as_slice() else {
            panic!("{:?}", rows[&Table::MailSuppressions])
        };
        assert_eq!(
            suppressed[..2],
            [business.clone(), Value::Bytes(vec![8; 32])]
        );
        assert!(matches!(suppressed[2], Value::Int(ms) if ms > 1_600_000_000_000));
        assert_eq!(
            rows[&Table::MailSettings],
            [vec![business.clone(), Value::Int(24), Value::Null]]
        );
        // Times are the fixture's (three days ago): the same in each table.
        let t0_ms = rows[&Table::LinkSecrets][0][2].clone();
        assert!(matches!(t0_ms, Value::Int(_)));
        assert_eq!(
            rows[&Table::ShopConnections],
            [vec![
                business.clone(),
                Value::Text("shopify".into()),
                Value::Text("shpss_secret".into()),
                t0_ms.clone()
            ]]
        );
        assert_eq!(
            rows[&Table::ShopDeliveries],
            [vec![
                business.clone(),
                Value::Text("shopify".into()),
                Value::Text("delivery-1".into()),
                t0_ms.clone()
            ]]
        );
        assert_eq!(
            rows[&Table::LinkSecrets],
            [vec![business.clone(), Value::Int(1), t0_ms]]
        );

        // Booleans are 0 or 1; times are milliseconds.
        assert!(
            rows[&Table::StatDelays]
                .iter()
                .all(|r| matches!(r[6], Value::Int(0 | 1)) && matches!(r[5], Value::Int(0 | 1)))
        );
        assert!(
            rows[&Table::StatCells]
                .iter()
                .all(|r| matches!(r[5], Value::Int(0 | 1)) && matches!(r[19], Value::Real(_)))
        );
        assert!(matches!(rows[&Table::Businesses][0][4], Value::Int(ms) if ms > 1_600_000_000_000));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stops_when_the_receiver_leaves() {
        let dir = tempfile::tempdir().unwrap();
        let store = instance(&dir).await;
        let (to, mut from) = tokio::sync::mpsc::channel(1);
        let exporting = {
            let store = store.clone();
            tokio::spawn(async move { store.export(1, to).await })
        };
        let first = from.recv().await.unwrap();
        assert_eq!((first.table, first.rows.len()), (Table::Businesses, 1));
        drop(from);
        exporting.await.unwrap().unwrap();
    }

    /// A connection of its own to the instance's file, behind the store's back.
    fn raw(dir: &tempfile::TempDir) -> Connection {
        let raw = Connection::open(dir.path().join("p.db")).unwrap();
        raw.busy_timeout(std::time::Duration::from_secs(10))
            .unwrap();
        raw
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn refuses_events_not_in_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let store = instance(&dir).await;
        // As if written before the log existed, and never opened by a server since.
        let raw = raw(&dir);
        raw.execute(
            "UPDATE review_events SET log_index = NULL, salt = NULL, content = NULL
             WHERE seq = (SELECT MIN(seq) FROM review_events)",
            [],
        )
        .unwrap();
        let (chunks, outcome) = exported(&store, 100).await;
        assert!(chunks.is_empty(), "nothing leaves: {chunks:?}");
        let Err(StoreError::Config(why)) = outcome else {
            panic!("{outcome:?}")
        };
        assert!(why.contains("passaparola serve"), "{why}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn refuses_a_template_revision_its_log_entry_does_not_open() {
        let dir = tempfile::tempdir().unwrap();
        let store = instance(&dir).await;
        // Words changed behind the log's back: the copy would carry what the log never held.
        let raw = raw(&dir);
        raw.execute(
            "UPDATE invitation_templates SET content = CAST('{}' AS BLOB)",
            [],
        )
        .unwrap();
        let (_, outcome) = exported(&store, 100).await;
        let Err(e) = outcome else {
            panic!("exported a revision its entry does not open")
        };
        assert!(
            e.to_string().contains("is not the entry of revision"),
            "{e}"
        );
    }
}
