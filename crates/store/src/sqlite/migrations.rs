//! Embedded migrations, tracked in SQLite's own `user_version`. Hand-written because it is a
//! dozen lines: each migration runs once, in order, in its own immediate transaction (so two
//! processes starting on a new file do not both apply it). A migration that has shipped is
//! never edited; a change is a new file.

use rusqlite::{Connection, TransactionBehavior};

use crate::{Result, StoreError};

const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_init",
        include_str!("../../migrations/sqlite/0001_init.sql"),
    ),
    (
        "0002_log",
        include_str!("../../migrations/sqlite/0002_log.sql"),
    ),
    (
        "0003_erasure",
        include_str!("../../migrations/sqlite/0003_erasure.sql"),
    ),
    (
        "0004_users",
        include_str!("../../migrations/sqlite/0004_users.sql"),
    ),
];

/// The schema version this build writes.
pub(crate) const LATEST: i64 = MIGRATIONS.len() as i64;

pub(crate) fn apply(conn: &mut Connection) -> Result<()> {
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if current > LATEST {
            return Err(StoreError::Config(format!(
                "the database is at schema version {current}, newer than this build's \
                 {LATEST}: upgrade Passaparola"
            )));
        }
        let Some((name, sql)) = usize::try_from(current)
            .ok()
            .and_then(|i| MIGRATIONS.get(i))
        else {
            return Ok(());
        };
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", current + 1)?;
        tx.commit()?;
        tracing::info!(migration = name, version = current + 1, "applied migration");
    }
}
