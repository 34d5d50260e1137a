//! The log's sequencer: of all the servers sharing the database, one at a time appends the
//! recorded events to the log and signs its checkpoints.
//!
//! Election: a session-level advisory lock ([`LOCK`]), held by a connection of its own
//! (outside the pool). Whoever takes it bumps the term in `log_sequencer`, re-reads the
//! tree's head from the database and checks it against the latest signed checkpoint.
//! Fencing: every batch runs in a transaction on the connection that holds the lock, and
//! first locks `log_sequencer` and checks the term is still its own. A server whose
//! connection dies has lost the lock with it, and its transaction cannot commit; a server
//! whose term moved on stops. So two checkpoints are never signed over different trees: each
//! batch extends the tree the previous batch committed, read from the database.
//!
//! A batch: the events not yet logged, in the order they were written (up to [`BATCH`]),
//! get consecutive indexes; their entries, the tree's new stored hashes, the events' log
//! indexes and a checkpoint at the new size commit together, and `NOTIFY` wakes the
//! writes waiting for their receipts, on every server.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use deadpool_postgres::{ClientWrapper, Object, Pool};
use domain::ids::{BusinessId, ReviewId};
use domain::lifecycle::EventKind;
use domain::log_entry::LogEntry;
use ledger::note::{LogSigner, open_checkpoint};
use ledger::{record_hash, stored_hash_index, stored_hashes_for_record_hash, tree_hash};
use store::StoreError;
use tokio::sync::Notify;

use crate::connect::Target;
use crate::db::{Db, Result, bytes32, corrupt};
use crate::listen::{Feed, LOGGED};
use crate::log::{Hashes, latest_checkpoint, ledger_error};

/// The advisory lock the sequencer holds ("pp-log" in ASCII).
pub(crate) const LOCK: i64 = 0x7070_2d6c_6f67;

/// How often a server that does not sequence tries to take over.
const TRY_EVERY: Duration = Duration::from_secs(1);

/// How often the sequencer looks for events even without being woken (a write by a process
/// that does not listen, such as the command line).
const LOOK_EVERY: Duration = Duration::from_millis(250);

/// How often a failing attempt to sequence is logged as a warning.
const WARN_EVERY: Duration = Duration::from_secs(60);

/// The most events one batch logs.
const BATCH: i64 = 4096;

/// How many stored hashes the sequencer keeps in memory between batches before it forgets
/// them (it fetches again what the next appends need).
const KEEP_HASHES: usize = 262_144;

/// The running sequencer, as the store sees it.
#[derive(Debug)]
pub(crate) struct Handle {
    wake: Notify,
    /// Whether this server sequences now.
    leading: AtomicBool,
    /// Its term, while it leads.
    term: AtomicI64,
    /// Cleared when the sequencer's task ends.
    running: AtomicBool,
}

/// Clears [`Handle::running`] when the task ends, however it ends.
struct Running(Arc<Handle>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.running.store(false, Ordering::Relaxed);
        self.0.leading.store(false, Ordering::Relaxed);
    }
}

impl Handle {
    /// Hurries the sequencer: a write was recorded here.
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    /// Whether the sequencer's task still runs (it ends only if it panicked, or with the
    /// runtime): a server whose task died can never sequence again.
    pub(crate) fn is_running(&self) -> bool {
        self.running.load(Ordering::Relaxed)
    }

    /// Whether this server sequences the log now.
    pub(crate) fn is_leading(&self) -> bool {
        self.leading.load(Ordering::Relaxed)
    }
}

/// Checks the log's key, takes the sequencer's turn if it is free (so that a fresh database
/// has its first checkpoint when this returns), and keeps trying in the background.
pub(crate) async fn spawn(
    target: Target,
    pool: Pool,
    signer: LogSigner,
    feed: Arc<Feed>,
) -> store::Result<Arc<Handle>> {
    {
        let client = pool.get().await.map_err(crate::db::Error::from)?;
        if let Some((_, signed)) = latest_checkpoint(&client).await? {
            open_checkpoint(&signed, signer.verifier_key()).map_err(|e| {
                StoreError::Config(format!(
                    "the log's latest checkpoint does not verify with this server's log key \
                     ({e}): every server of an instance must hold the same log.key; refusing \
                     to start"
                ))
            })?;
        }
    }
    // Named, so that an operator sees in `pg_stat_activity` which connection holds the lock.
    let mut config = target.config.clone();
    config.application_name("passaparola-sequencer");
    let own = crate::connect::pool(&Target {
        config,
        pool_size: 1,
        ..target
    })?;
    let handle = Arc::new(Handle {
        wake: Notify::new(),
        leading: AtomicBool::new(false),
        term: AtomicI64::new(0),
        running: AtomicBool::new(true),
    });
    let first = match try_lead(&own, &signer, &handle).await {
        Ok(leader) => leader,
        Err(e) => {
            tracing::warn!(error = %e, "could not take the log's sequencer turn; retrying");
            None
        }
    };
    tokio::spawn(run(own, signer, feed, handle.clone(), first));
    Ok(handle)
}

/// A connection holding the lock, in its term.
struct Leader {
    conn: ClientWrapper,
    term: i64,
    hashes: Hashes,
}

async fn run(
    pool: Pool,
    signer: LogSigner,
    feed: Arc<Feed>,
    handle: Arc<Handle>,
    first: Option<Leader>,
) {
    let _running = Running(handle.clone());
    let mut leader = first;
    let mut last_warned = None;
    loop {
        if let Some(l) = leader.take() {
            if let Err(e) = lead(l, &signer, &feed, &handle).await {
                tracing::warn!(error = %e, "this server stopped sequencing the log");
            }
            handle.leading.store(false, Ordering::Relaxed);
            metrics::gauge!("passaparola_sequencer_leading").set(0.0);
        }
        tokio::time::sleep(TRY_EVERY).await;
        leader = match try_lead(&pool, &signer, &handle).await {
            Ok(l) => l,
            Err(e) => {
                // Loud, since no log entry is appended while it lasts; once a minute at most.
                if last_warned.is_none_or(|t: std::time::Instant| t.elapsed() >= WARN_EVERY) {
                    tracing::warn!(error = %e, "could not take the log's sequencer turn; retrying");
                    last_warned = Some(std::time::Instant::now());
                }
                None
            }
        };
    }
}

/// Takes the lock if it is free: bumps the term, checks the head and signs a checkpoint if
/// the log has none at its size.
async fn try_lead(pool: &Pool, signer: &LogSigner, handle: &Handle) -> Result<Option<Leader>> {
    // Taken out of the pool: dropping it closes the session, and the lock with it.
    let conn = Object::take(pool.get().await?);
    let got: bool = conn
        .query_one("SELECT pg_try_advisory_lock($1)", &[&LOCK])
        .await?
        .try_get(0)?;
    if !got {
        return Ok(None);
    }
    let holder = format!("{} pid {}", hostname(), std::process::id());
    let term: i64 = conn
        .query_one(
            "INSERT INTO log_sequencer (id, term, holder, since)
             VALUES (1, 1, $1, (extract(epoch FROM now()) * 1000)::bigint)
             ON CONFLICT (id) DO UPDATE
                 SET term = log_sequencer.term + 1, holder = excluded.holder,
                     since = excluded.since
             RETURNING term",
            &[&holder],
        )
        .await?
        .try_get(0)?;
    let mut leader = Leader {
        conn,
        term,
        hashes: Hashes::default(),
    };
    let size = check_head(&mut leader, signer).await?;
    handle.term.store(term, Ordering::Relaxed);
    handle.leading.store(true, Ordering::Relaxed);
    metrics::gauge!("passaparola_sequencer_leading").set(1.0);
    metrics::gauge!("passaparola_log_size").set(size as f64);
    tracing::info!(term, entries = size, "this server now sequences the log");
    Ok(Some(leader))
}

/// Checks the log's head against its latest checkpoint (signed with our key, over the root
/// its stored hashes give at the checkpoint's size), and signs a checkpoint at the log's
/// size if none covers it yet: on an empty log, or after entries appended without one (the
/// command line's, on SQLite, before the instance was copied here). The log's size.
async fn check_head(leader: &mut Leader, signer: &LogSigner) -> Result<u64> {
    let tx = leader.conn.transaction().await?;
    fence(&tx, leader.term).await?;
    let size = size(&tx).await?;
    let signed_size = match latest_checkpoint(&tx).await? {
        Some((signed_size, signed)) => {
            let checkpoint = open_checkpoint(&signed, signer.verifier_key()).map_err(|e| {
                StoreError::Config(format!(
                    "the log's latest checkpoint does not verify with this server's log key \
                     ({e})"
                ))
            })?;
            if signed_size > size || checkpoint.size() != signed_size {
                return Err(corrupt(
                    "log",
                    format!("{size} entries under a checkpoint of {signed_size}"),
                ));
            }
            let root = leader
                .hashes
                .with(&tx, |h| tree_hash(signed_size, h))
                .await?;
            if root.0 != checkpoint.hash().0 {
                return Err(corrupt(
                    "log",
                    "its root differs from its signed checkpoint",
                ));
            }
            Some(signed_size)
        }
        None => None,
    };
    if signed_size != Some(size) {
        // The checkpoint's tree is a prefix of this one (its root was just checked), so the
        // new checkpoint is consistent with it.
        let root = leader.hashes.with(&tx, |h| tree_hash(size, h)).await?;
        sign(&tx, signer, size, root).await?;
        if let Some(before) = signed_size {
            tracing::info!(
                before,
                size,
                "signed a checkpoint over entries appended after the last one"
            );
        }
    }
    tx.commit().await?;
    Ok(size)
}

/// Sequences for as long as the term holds.
async fn lead(mut leader: Leader, signer: &LogSigner, feed: &Feed, handle: &Handle) -> Result<()> {
    loop {
        let logged = batch(&mut leader, signer).await?;
        if logged > 0 {
            feed.log_grew();
            if logged as i64 == BATCH {
                continue;
            }
        }
        if leader.hashes.len() > KEEP_HASHES {
            leader.hashes.clear();
        }
        tokio::select! {
            _ = handle.wake.notified() => {}
            _ = feed.written.notified() => {}
            _ = tokio::time::sleep(LOOK_EVERY) => {}
        }
    }
}

/// The term is still ours (and stays so until this transaction ends).
async fn fence(db: &dyn Db, term: i64) -> Result<()> {
    let now: Option<i64> = db
        .query_opt(
            "SELECT term FROM log_sequencer WHERE id = 1 FOR UPDATE",
            &[],
        )
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
    if now != Some(term) {
        return Err(StoreError::Backend(
            format!("the sequencer's term {term} has ended (now {now:?})").into(),
        )
        .into());
    }
    Ok(())
}

async fn size(db: &dyn Db) -> Result<u64> {
    let n: i64 = db
        .query_one("SELECT COALESCE(MAX(idx) + 1, 0) FROM log_entries", &[])
        .await?
        .try_get(0)?;
    Ok(n as u64)
}

async fn sign(db: &dyn Db, signer: &LogSigner, size: u64, root: ledger::Hash) -> Result<()> {
    let signed = signer.sign_checkpoint(size, root).map_err(ledger_error)?;
    db.execute(
        "INSERT INTO log_checkpoints (size, signed, created_at)
         VALUES ($1, $2, (extract(epoch FROM now()) * 1000)::bigint)",
        &[&(size as i64), &signed],
    )
    .await?;
    Ok(())
}

/// Logs one batch of waiting events; how many.
async fn batch(leader: &mut Leader, signer: &LogSigner) -> Result<usize> {
    let tx = leader.conn.transaction().await?;
    fence(&tx, leader.term).await?;
    // Reviews' events and invitation templates' revisions, in the one order of their
    // shared sequence; the last column says which table the row is from.
    let pending = tx
        .query(
            "(SELECT seq, review_id, business_id, kind, at, commitment, false
              FROM review_events WHERE log_index IS NULL ORDER BY seq LIMIT $1)
             UNION ALL
             (SELECT seq, template_id, business_id, 'invitation_template_changed', created_at,
                     commitment, true
              FROM invitation_templates WHERE log_index IS NULL ORDER BY seq LIMIT $1)
             ORDER BY 1 LIMIT $1",
            &[&BATCH],
        )
        .await?;
    if pending.is_empty() {
        return Ok(0);
    }
    let start = size(&tx).await?;
    // Each entry names the log index of the previous entry about its subject (a review, or
    // a template).
    let reviews: Vec<uuid::Uuid> = pending
        .iter()
        .map(|r| r.try_get(1))
        .collect::<std::result::Result<_, _>>()?;
    let mut previous: std::collections::HashMap<uuid::Uuid, u64> = tx
        .query(
            "SELECT review_id, MAX(log_index) FROM review_events
             WHERE review_id = ANY($1) AND log_index IS NOT NULL GROUP BY review_id
             UNION ALL
             SELECT template_id, MAX(log_index) FROM invitation_templates
             WHERE template_id = ANY($1) AND log_index IS NOT NULL GROUP BY template_id",
            &[&reviews],
        )
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get::<_, i64>(1)? as u64)))
        .collect::<Result<_>>()?;
    let (mut seqs, mut indexes, mut entries) = (Vec::new(), Vec::new(), Vec::new());
    let (mut template_seqs, mut template_indexes) = (Vec::new(), Vec::new());
    let (mut hash_indexes, mut hash_values) = (Vec::new(), Vec::new());
    for (i, row) in pending.iter().enumerate() {
        let index = start + i as u64;
        let review: uuid::Uuid = row.try_get(1)?;
        let kind: String = row.try_get(3)?;
        let entry = LogEntry {
            kind: EventKind::parse(&kind).ok_or_else(|| corrupt("event kind", &kind))?,
            at_ms: row.try_get(4)?,
            business: BusinessId(row.try_get(2)?),
            review: ReviewId(review),
            previous: previous.insert(review, index),
            commitment: bytes32("commitment", row.try_get(5)?)?,
        }
        .encode();
        let leaf = record_hash(&entry);
        let new = leader
            .hashes
            .with(&tx, |h| stored_hashes_for_record_hash(index, leaf, h))
            .await?;
        let first = stored_hash_index(0, index);
        for (j, h) in new.into_iter().enumerate() {
            leader.hashes.learn(first + j as u64, h);
            hash_indexes.push((first + j as u64) as i64);
            hash_values.push(h.0.to_vec());
        }
        if row.try_get::<_, bool>(6)? {
            template_seqs.push(row.try_get::<_, i64>(0)?);
            template_indexes.push(index as i64);
        } else {
            seqs.push(row.try_get::<_, i64>(0)?);
            indexes.push(index as i64);
        }
        entries.push(entry);
    }
    let end = start + pending.len() as u64;
    let all: Vec<i64> = (start..end).map(|i| i as i64).collect();
    tx.execute(
        "INSERT INTO log_entries (idx, entry) SELECT * FROM unnest($1::bigint[], $2::bytea[])",
        &[&all, &entries],
    )
    .await?;
    tx.execute(
        "INSERT INTO log_hashes (idx, hash) SELECT * FROM unnest($1::bigint[], $2::bytea[])",
        &[&hash_indexes, &hash_values],
    )
    .await?;
    tx.execute(
        "UPDATE review_events e SET log_index = v.idx
         FROM unnest($1::bigint[], $2::bigint[]) AS v (seq, idx)
         WHERE e.seq = v.seq AND e.log_index IS NULL",
        &[&seqs, &indexes],
    )
    .await?;
    if !template_seqs.is_empty() {
        tx.execute(
            "UPDATE invitation_templates t SET log_index = v.idx
             FROM unnest($1::bigint[], $2::bigint[]) AS v (seq, idx)
             WHERE t.seq = v.seq AND t.log_index IS NULL",
            &[&template_seqs, &template_indexes],
        )
        .await?;
    }
    let root = leader.hashes.with(&tx, |h| tree_hash(end, h)).await?;
    sign(&tx, signer, end, root).await?;
    tx.execute("SELECT pg_notify($1, $2)", &[&LOGGED, &end.to_string()])
        .await?;
    tx.commit().await?;
    metrics::histogram!("passaparola_sequencer_batch_size").record(pending.len() as f64);
    metrics::gauge!("passaparola_log_size").set(end as f64);
    Ok(pending.len())
}

/// This machine's name, for `log_sequencer.holder` (what an operator reads to know which
/// server sequences).
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown host".to_owned())
}
