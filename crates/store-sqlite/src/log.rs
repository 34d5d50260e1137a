//! The log inside the SQLite store: appending an event's entry in the review's transaction,
//! sealing each batch with a signed checkpoint, reading tiles, bundles and proofs, and the
//! start-up check.
//!
//! What survives a crash: an entry is appended in the same transaction as its review change,
//! and the batch's checkpoint is signed and stored in that transaction too, before COMMIT.
//! So after any crash the database holds whole batches: entries, stored hashes and the
//! checkpoint that covers them, or none of them. Entries appended by another process (the
//! command line, which holds no signing key) are covered by the server's next checkpoint.

use chrono::{DateTime, Utc};
use domain::ids::{BusinessId, ReviewId};
use domain::lifecycle::EventKind;
use domain::log_entry::{LogEntry, canonical_content, commitment};
use ledger::note::{LogSigner, open_checkpoint};
use ledger::rebuild::Rebuild;
use ledger::receipt::Receipt;
use ledger::tiles::{self, TileKind, TilePath};
use ledger::{Hash, HashReader, prove_record, record_hash, stored_hash_index, tree_hash};
use rusqlite::{Connection, OptionalExtension, params};

use crate::Result;
use crate::log_cache::{Appended, CachedReader, LogCache, OnlyCached};
use crate::{corrupt, to_ms};
use store::StoreError;

/// Reads stored hashes from the connection (inside whatever transaction it is in).
pub(super) struct Reader<'a>(pub &'a Connection);

impl HashReader for Reader<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> std::result::Result<Vec<Hash>, ledger::TlogError> {
        let mut stmt = self
            .0
            .prepare_cached("SELECT hash FROM log_hashes WHERE idx = ?1")
            .map_err(|_| ledger::TlogError::IndexesNotInTree)?;
        indexes
            .iter()
            .map(|&i| {
                let bytes: Vec<u8> = stmt
                    .query_row([i as i64], |r| r.get(0))
                    .map_err(|_| ledger::TlogError::IndexesNotInTree)?;
                bytes
                    .try_into()
                    .map(Hash)
                    .map_err(|_| ledger::TlogError::MalformedHash)
            })
            .collect()
    }
}

fn ledger_error(e: impl std::error::Error + Send + Sync + 'static) -> crate::Error {
    StoreError::Backend(Box::new(e)).into()
}

/// Entries in the log.
pub(super) fn size(c: &Connection) -> Result<u64> {
    let n: i64 = c
        .prepare_cached("SELECT COALESCE(MAX(idx) + 1, 0) FROM log_entries")?
        .query_row([], |r| r.get(0))?;
    Ok(n as u64)
}

/// Appends an entry; returns its index.
pub(super) fn append(c: &Connection, appended: Option<&mut Appended>, entry: &[u8]) -> Result<u64> {
    let n = size(c)?;
    let hashes = ledger::stored_hashes_for_record_hash(n, record_hash(entry), &Reader(c))
        .map_err(ledger_error)?;
    c.prepare_cached("INSERT INTO log_entries (idx, entry) VALUES (?1, ?2)")?
        .execute(params![n as i64, entry])?;
    let first = stored_hash_index(0, n);
    let mut insert = c.prepare_cached("INSERT INTO log_hashes (idx, hash) VALUES (?1, ?2)")?;
    for (i, h) in hashes.iter().enumerate() {
        insert.execute(params![(first + i as u64) as i64, &h.0[..]])?;
    }
    if let Some(appended) = appended {
        appended.entries.push((n, entry.to_vec()));
        appended
            .hashes
            .extend((first..).zip(hashes.iter().copied()));
    }
    Ok(n)
}

/// Records an event of a review: its history row and its log entry, with a fresh salt.
pub(super) fn record_event(
    c: &Connection,
    appended: &mut Appended,
    review: ReviewId,
    business: BusinessId,
    event: &domain::plan::Event,
) -> Result<(u64, [u8; 32])> {
    let (kind, at, snapshot, content) = (event.kind, event.at, &event.snapshot, &event.content);
    // A publication (or an import) is a review's first event: nothing to look up.
    let previous: Option<i64> = if kind.is_first() {
        None
    } else {
        c.prepare_cached("SELECT MAX(log_index) FROM review_events WHERE review_id = ?1")?
            .query_row([review.to_string()], |r| r.get(0))?
    };
    let salt: [u8; 32] = rand::random();
    let entry = LogEntry {
        kind,
        at_ms: to_ms(at),
        business,
        review,
        previous: previous.map(|p| p as u64),
        commitment: commitment(&salt, content),
    };
    let index = append(c, Some(appended), &entry.encode())?;
    c.prepare_cached(
        "INSERT INTO review_events (review_id, kind, at, data, log_index, salt, content)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        review.to_string(),
        kind.as_str(),
        to_ms(at),
        // The history's data is the canonical content itself (compact JSON, sorted keys),
        // serialised once.
        std::str::from_utf8(content).map_or_else(|_| snapshot.to_string(), str::to_owned),
        index as i64,
        &salt[..],
        content,
    ])?;
    Ok((index, salt))
}

/// Logs the events recorded before the log existed (schema 1), oldest first.
pub(super) fn backfill(c: &Connection) -> Result<u64> {
    let pending: Vec<(i64, String, String, String, i64, String)> = c
        .prepare(
            "SELECT e.seq, e.review_id, r.business_id, e.kind, e.at, e.data
             FROM review_events e JOIN reviews r ON r.id = e.review_id
             WHERE e.log_index IS NULL ORDER BY e.seq",
        )?
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    for (seq, review, business, kind, at, data) in &pending {
        let review = ReviewId(super::parse_uuid(review)?);
        let business = BusinessId(super::parse_uuid(business)?);
        let kind = EventKind::parse(kind).ok_or_else(|| corrupt("event kind", kind))?;
        let snapshot: serde_json::Value =
            serde_json::from_str(data).map_err(|_| corrupt("event data", seq))?;
        let previous: Option<i64> = c.query_row(
            "SELECT MAX(log_index) FROM review_events WHERE review_id = ?1",
            [review.to_string()],
            |r| r.get(0),
        )?;
        let salt: [u8; 32] = rand::random();
        let content = canonical_content(&snapshot);
        let entry = LogEntry {
            kind,
            at_ms: *at,
            business,
            review,
            previous: previous.map(|p| p as u64),
            commitment: commitment(&salt, &content),
        };
        let index = append(c, None, &entry.encode())?;
        c.execute(
            "UPDATE review_events SET log_index = ?2, salt = ?3, content = ?4 WHERE seq = ?1",
            params![seq, index as i64, &salt[..], content],
        )?;
    }
    Ok(pending.len() as u64)
}

/// The latest signed checkpoint: its size and bytes.
pub(super) fn latest_checkpoint(c: &Connection) -> Result<Option<(u64, Vec<u8>)>> {
    Ok(
        c.prepare_cached("SELECT size, signed FROM log_checkpoints ORDER BY size DESC LIMIT 1")?
            .query_row([], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)))
            .optional()?,
    )
}

/// Signs a checkpoint for the current tree if it grew (or if there is none yet), and returns
/// it (size and signed note). Runs in the writer's transaction, just before COMMIT.
pub(super) fn seal(
    c: &Connection,
    cache: &LogCache,
    signer: &LogSigner,
    at: DateTime<Utc>,
) -> Result<Option<(u64, Vec<u8>)>> {
    let size = size(c)?;
    if let Some((last, _)) = latest_checkpoint(c)?
        && last >= size
    {
        return Ok(None);
    }
    // The committed hashes from memory, this batch's from the connection (without learning
    // them: they are not committed yet).
    let reader = CachedReader {
        cache,
        fallback: Reader(c),
        learn: false,
    };
    let root = tree_hash(size, &reader).map_err(ledger_error)?;
    let signed = signer.sign_checkpoint(size, root).map_err(ledger_error)?;
    c.prepare_cached("INSERT INTO log_checkpoints (size, signed, created_at) VALUES (?1, ?2, ?3)")?
        .execute(params![size as i64, &signed, to_ms(at)])?;
    Ok(Some((size, signed)))
}

/// Refuses a database whose log does not match its latest checkpoint. Every stored hash is
/// rebuilt from the entries in one pass (O(n) time, O(log n) memory) and compared, and the
/// root at the checkpoint's size must be the signed one, under our key.
pub(super) fn check(c: &Connection, signer: &LogSigner) -> Result<()> {
    let Some((signed_size, signed)) = latest_checkpoint(c)? else {
        return Ok(());
    };
    let refuse =
        |why: String| crate::Error::from(StoreError::Config(format!("{why}; refusing to start")));
    let checkpoint = open_checkpoint(&signed, signer.verifier_key()).map_err(|e| {
        refuse(format!(
            "the log's latest checkpoint does not verify with this instance's log key ({e})"
        ))
    })?;
    let started = std::time::Instant::now();
    let mut rebuild = Rebuild::new();
    let mut root_at_checkpoint = (signed_size == 0).then_some(ledger::EMPTY_HASH);
    let mut entries = c.prepare("SELECT idx, entry FROM log_entries ORDER BY idx")?;
    let mut hashes = c.prepare("SELECT idx, hash FROM log_hashes ORDER BY idx")?;
    let mut entry_rows = entries.query([])?;
    let mut hash_rows = hashes.query([])?;
    let mut stored_index: i64 = 0;
    while let Some(row) = entry_rows.next()? {
        let idx: i64 = row.get(0)?;
        if idx as u64 != rebuild.len() {
            return Err(refuse(format!(
                "the log is missing entry {}",
                rebuild.len()
            )));
        }
        let entry: Vec<u8> = row.get(1)?;
        for expected in rebuild.push(&entry).map_err(ledger_error)? {
            let Some(row) = hash_rows.next()? else {
                return Err(refuse(format!(
                    "the log's stored hash {stored_index} is missing"
                )));
            };
            let (i, hash): (i64, Vec<u8>) = (row.get(0)?, row.get(1)?);
            if i != stored_index || hash != expected.0 {
                return Err(refuse(format!(
                    "the log's stored hash {stored_index} does not match its entries"
                )));
            }
            stored_index += 1;
        }
        if rebuild.len() == signed_size {
            root_at_checkpoint = Some(rebuild.root().map_err(ledger_error)?);
        }
    }
    if hash_rows.next()?.is_some() {
        return Err(refuse(
            "the log holds stored hashes beyond its entries".into(),
        ));
    }
    let Some(root) = root_at_checkpoint else {
        return Err(refuse(
            "the log holds fewer entries than its signed checkpoint".into(),
        ));
    };
    if checkpoint.size() != signed_size || checkpoint.hash().0 != root.0 {
        return Err(refuse(format!(
            "the log's root recomputed from its entries does not match its signed checkpoint \
             at size {signed_size}"
        )));
    }
    tracing::info!(
        entries = rebuild.len(),
        ms = started.elapsed().as_millis() as u64,
        "verified the log against its signed checkpoint"
    );
    Ok(())
}

/// The bytes of a tile or entry bundle, if it exists at the latest checkpoint.
pub(super) fn tile(c: &Connection, path: TilePath) -> Result<Option<Vec<u8>>> {
    let Some((size, _)) = latest_checkpoint(c)? else {
        return Ok(None);
    };
    if !path.exists_in(size) {
        return Ok(None);
    }
    match path.kind {
        TileKind::Hashes(level) => tiles::read_hash_tile(&Reader(c), level, path.index, path.width)
            .map(Some)
            .map_err(ledger_error),
        TileKind::Entries => {
            let range = path.entry_range();
            let entries: Vec<Vec<u8>> = c
                .prepare_cached(
                    "SELECT entry FROM log_entries WHERE idx >= ?1 AND idx < ?2 ORDER BY idx",
                )?
                .query_map(params![range.start as i64, range.end as i64], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            if entries.len() as u64 != range.end - range.start {
                return Err(corrupt("log entries", format!("{range:?}")));
            }
            tiles::encode_bundle(entries.iter().map(Vec::as_slice))
                .map(Some)
                .map_err(ledger_error)
        }
    }
}

/// A receipt for the latest event of a review, against the latest checkpoint.
pub(super) fn receipt(
    c: &Connection,
    cache: &LogCache,
    review: ReviewId,
) -> Result<Option<Vec<u8>>> {
    let tx = c.unchecked_transaction()?;
    let index: Option<i64> = tx
        .prepare_cached("SELECT MAX(log_index) FROM review_events WHERE review_id = ?1")?
        .query_row([review.to_string()], |r| r.get(0))?;
    let receipt = match index {
        Some(index) => entry_receipt(&tx, cache, index as u64)?,
        None => None,
    };
    tx.finish()?;
    Ok(receipt)
}

/// A receipt for the entry at `index` from memory alone ([`LogCache`]), against the latest
/// checkpoint this process knows; `None` if anything it needs is not there.
pub(super) fn cached_receipt(cache: &LogCache, index: u64) -> Option<Vec<u8>> {
    let (size, checkpoint) = cache.checkpoint()?;
    if index >= size {
        return None;
    }
    let entry = cache.entry(index)?;
    let proof = prove_record(size, index, &OnlyCached(cache)).ok()?;
    Some(
        Receipt {
            extra: Some(entry.to_vec()),
            index,
            proof,
            checkpoint: checkpoint.to_vec(),
        }
        .to_text(),
    )
}

/// A receipt for the entry at `index`, against the latest checkpoint; `None` if the entry is
/// not (yet) covered by a checkpoint. Callers that read other rows first wrap both in one
/// read transaction, so that the checkpoint and the stored hashes are of one snapshot.
pub(super) fn entry_receipt(
    c: &Connection,
    cache: &LogCache,
    index: u64,
) -> Result<Option<Vec<u8>>> {
    let Some((size, checkpoint)) = latest_checkpoint(c)? else {
        return Ok(None);
    };
    cache.saw_checkpoint(size, &checkpoint);
    if index >= size {
        // Appended by another process, not yet covered by a checkpoint.
        return Ok(None);
    }
    let entry: Vec<u8> = match cache.entry(index) {
        Some(entry) => entry.to_vec(),
        None => {
            let entry: Vec<u8> = c
                .prepare_cached("SELECT entry FROM log_entries WHERE idx = ?1")?
                .query_row([index as i64], |r| r.get(0))?;
            cache.saw_entry(index, &entry);
            entry
        }
    };
    let reader = CachedReader {
        cache,
        fallback: Reader(c),
        learn: true,
    };
    let proof = prove_record(size, index, &reader).map_err(ledger_error)?;
    Ok(Some(
        Receipt {
            extra: Some(entry),
            index,
            proof,
            checkpoint,
        }
        .to_text(),
    ))
}
