//! The log's reads: checkpoints, tiles and entry bundles, receipts; and the stored hashes
//! that proofs and appends read, fetched from the database in as few round trips as the
//! proof's shape allows.
//!
//! Only the sequencer writes the log (`sequencer.rs`): entries, their stored hashes and the
//! checkpoint that covers them commit in one transaction, so every snapshot holds whole
//! batches and a checkpoint at the log's size.

use std::collections::HashMap;
use std::sync::Mutex;

use domain::ids::ReviewId;
use ledger::receipt::Receipt;
use ledger::tiles::{self, TileKind, TilePath};
use ledger::{Hash, HashReader, TlogError, prove_record};
use store::StoreError;

use crate::db::{Db, Result, corrupt};

pub(crate) fn ledger_error(e: impl std::error::Error + Send + Sync + 'static) -> crate::db::Error {
    StoreError::Backend(Box::new(e)).into()
}

/// Stored hashes known so far, and those a computation asked for and did not find.
#[derive(Debug, Default)]
pub(crate) struct Hashes {
    known: HashMap<u64, Hash>,
    missing: Mutex<Vec<u64>>,
}

impl HashReader for Hashes {
    fn read_hashes(&self, indexes: &[u64]) -> std::result::Result<Vec<Hash>, TlogError> {
        let found: Option<Vec<Hash>> = indexes.iter().map(|i| self.known.get(i).copied()).collect();
        found.ok_or_else(|| {
            let mut missing = self.missing.lock().unwrap_or_else(|e| e.into_inner());
            missing.extend(indexes.iter().filter(|i| !self.known.contains_key(i)));
            TlogError::IndexesNotInTree
        })
    }
}

impl Hashes {
    pub(crate) fn learn(&mut self, index: u64, hash: Hash) {
        self.known.insert(index, hash);
    }

    pub(crate) fn len(&self) -> usize {
        self.known.len()
    }

    pub(crate) fn clear(&mut self) {
        self.known.clear();
    }

    /// Fetches the given stored hashes from the database.
    pub(crate) async fn fetch(&mut self, db: &dyn Db, indexes: &[u64]) -> Result<()> {
        let wanted: Vec<i64> = indexes
            .iter()
            .filter(|i| !self.known.contains_key(i))
            .map(|&i| i as i64)
            .collect();
        if wanted.is_empty() {
            return Ok(());
        }
        let rows = db
            .query(
                "SELECT idx, hash FROM log_hashes WHERE idx = ANY($1)",
                &[&wanted],
            )
            .await?;
        for row in rows {
            let (index, hash): (i64, Vec<u8>) = (row.try_get(0)?, row.try_get(1)?);
            let hash = crate::db::bytes32("stored hash", hash)?;
            self.known.insert(index as u64, Hash(hash));
        }
        Ok(())
    }

    /// Runs `f`, a computation over stored hashes, fetching what it asks for and running it
    /// again until it has everything (a proof asks in one or two rounds).
    pub(crate) async fn with<T>(
        &mut self,
        db: &dyn Db,
        f: impl Fn(&Hashes) -> std::result::Result<T, TlogError>,
    ) -> Result<T> {
        for _ in 0..64 {
            match f(self) {
                Ok(v) => return Ok(v),
                Err(TlogError::IndexesNotInTree) => {
                    let missing = std::mem::take(
                        &mut *self.missing.lock().unwrap_or_else(|e| e.into_inner()),
                    );
                    let before = self.known.len();
                    self.fetch(db, &missing).await?;
                    if missing.is_empty() || self.known.len() == before {
                        return Err(corrupt("log", "a stored hash is missing"));
                    }
                }
                Err(e) => return Err(ledger_error(e)),
            }
        }
        Err(corrupt("log", "a proof asked for too many hashes"))
    }
}

/// The latest signed checkpoint: its size and bytes.
pub(crate) async fn latest_checkpoint(db: &dyn Db) -> Result<Option<(u64, Vec<u8>)>> {
    let row = db
        .query_opt(
            "SELECT size, signed FROM log_checkpoints ORDER BY size DESC LIMIT 1",
            &[],
        )
        .await?;
    Ok(match row {
        Some(r) => Some((r.try_get::<_, i64>(0)? as u64, r.try_get(1)?)),
        None => None,
    })
}

/// The bytes of a tile or entry bundle, if it exists at the latest checkpoint.
pub(crate) async fn tile(db: &dyn Db, path: TilePath) -> Result<Option<Vec<u8>>> {
    let Some((size, _)) = latest_checkpoint(db).await? else {
        return Ok(None);
    };
    if !path.exists_in(size) {
        return Ok(None);
    }
    match path.kind {
        TileKind::Hashes(level) => {
            let mut hashes = Hashes::default();
            hashes
                .fetch(db, &tiles::hash_tile_indexes(level, path.index, path.width))
                .await?;
            let tile = tiles::read_hash_tile(&hashes, level, path.index, path.width)
                .map_err(|_| corrupt("log", "a stored hash of a tile is missing"))?;
            Ok(Some(tile))
        }
        TileKind::Entries => {
            let range = path.entry_range();
            let rows = db
                .query(
                    "SELECT entry FROM log_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx",
                    &[&(range.start as i64), &(range.end as i64)],
                )
                .await?;
            if rows.len() as u64 != range.end - range.start {
                return Err(corrupt("log entries", format!("{range:?}")));
            }
            let entries: Vec<Vec<u8>> = rows
                .iter()
                .map(|r| r.try_get(0))
                .collect::<std::result::Result<_, _>>()?;
            tiles::encode_bundle(entries.iter().map(Vec::as_slice))
                .map(Some)
                .map_err(ledger_error)
        }
    }
}

/// A receipt for the latest logged event of a review, against the latest checkpoint.
pub(crate) async fn review_receipt(
    client: &mut deadpool_postgres::Client,
    review: ReviewId,
) -> Result<Option<Vec<u8>>> {
    let tx = snapshot(client).await?;
    let row = tx
        .query_one(
            "SELECT MAX(log_index) FROM review_events WHERE review_id = $1",
            &[&review.0],
        )
        .await?;
    let receipt = match row.try_get::<_, Option<i64>>(0)? {
        Some(index) => receipt_in(&tx, index as u64).await?,
        None => None,
    };
    tx.commit().await?;
    Ok(receipt)
}

/// A receipt for the entry at `index`, against the latest checkpoint; `None` if no
/// checkpoint covers it.
pub(crate) async fn entry_receipt(
    client: &mut deadpool_postgres::Client,
    index: u64,
) -> Result<Option<Vec<u8>>> {
    let tx = snapshot(client).await?;
    let receipt = receipt_in(&tx, index).await?;
    tx.commit().await?;
    Ok(receipt)
}

/// A read-only transaction on one snapshot: the checkpoint and the hashes it proves with.
async fn snapshot(
    client: &mut deadpool_postgres::Client,
) -> Result<deadpool_postgres::Transaction<'_>> {
    Ok(client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?)
}

async fn receipt_in(db: &dyn Db, index: u64) -> Result<Option<Vec<u8>>> {
    let Some((size, checkpoint)) = latest_checkpoint(db).await? else {
        return Ok(None);
    };
    if index >= size {
        return Ok(None);
    }
    let entry: Vec<u8> = db
        .query_one(
            "SELECT entry FROM log_entries WHERE idx = $1",
            &[&(index as i64)],
        )
        .await?
        .try_get(0)?;
    let mut hashes = Hashes::default();
    let proof = hashes.with(db, |h| prove_record(size, index, h)).await?;
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
