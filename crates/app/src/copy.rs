//! `passaparola copy --from sqlite://… --to postgres://…`: moves an instance from its embedded
//! SQLite file to a PostgreSQL database, without losing anything: businesses, their keys and
//! users, invitations, reviews with their whole history, the figures, and the log with the
//! same entries, stored hashes and signed checkpoints (so it verifies with the same key, and
//! every checkpoint an auditor saw stays consistent with the new ones).
//!
//! The source is read in one snapshot (a server may go on writing; what it writes after the
//! copy starts is not copied: stop the servers first to move everything). The target must
//! be empty, and is written in one transaction: a copy that fails or is interrupted leaves
//! it empty, and simply runs again. (SQL stays in the backends: `store_sqlite`'s export and
//! `store_postgres`'s import meet in `store::dump`'s neutral rows.)

use store::StoreError;
use store::dump::{Table, Value};

use crate::backend::Backend;

/// Rows per chunk between the export and the import.
const CHUNK: usize = 2_000;

/// What a copy moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    /// Rows copied, all tables together.
    pub rows: u64,
    /// The log's entries copied (its latest checkpoint, the same on both sides, covers them).
    pub log_entries: u64,
}

fn config(why: impl Into<String>) -> StoreError {
    StoreError::Config(why.into())
}

/// Copies the instance at `from` (SQLite) into the empty PostgreSQL database `to`. `start`
/// hears how many rows there are in all, `progress` each chunk as it lands.
pub async fn copy(
    from: &str,
    to: &str,
    start: impl FnOnce(u64),
    progress: &(dyn Fn(Table, u64) + Send + Sync),
) -> Result<Copied, StoreError> {
    if !Backend::is_sqlite(from) {
        return Err(config(
            "copy moves an instance from SQLite to PostgreSQL: --from names the SQLite file \
             (sqlite://PATH)",
        ));
    }
    let file = store_sqlite::path_from_url(from)?;
    if !file.exists() {
        return Err(config(format!(
            "there is no database at {}",
            file.display()
        )));
    }
    let Backend::Sqlite(source) = Backend::open(from, None).await? else {
        return Err(config("--from must name a SQLite database"));
    };
    let target = match Backend::open(to, None).await {
        Ok(Backend::Postgres(target)) => target,
        Ok(_) => {
            return Err(config(
                "copy moves an instance to PostgreSQL: --to names its database \
                 (postgres://…)",
            ));
        }
        Err(e) => return Err(e),
    };
    let counts = source.row_counts().await?;
    start(counts.iter().map(|(_, n)| n).sum());
    let (rows, mut exported_rows) = tokio::sync::mpsc::channel(4);
    let (forward, received) = tokio::sync::mpsc::channel(4);
    let forward_clone = forward.clone();
    let exporting = {
        let source = source.clone();
        tokio::spawn(async move { source.export(CHUNK, rows).await })
    };
    // Between the two, the latest checkpoint of the snapshot, to check the copy against.
    let watching = tokio::spawn(async move {
        let mut latest: Option<(i64, Vec<u8>)> = None;
        let mut entries = 0u64;
        while let Some(chunk) = exported_rows.recv().await {
            if chunk.table == Table::LogEntries {
                entries += chunk.rows.len() as u64;
            }
            if chunk.table == Table::LogCheckpoints {
                for row in &chunk.rows {
                    if let [Value::Int(size), Value::Bytes(signed), ..] = row.as_slice()
                        && latest.as_ref().is_none_or(|(s, _)| s < size)
                    {
                        latest = Some((*size, signed.clone()));
                    }
                }
            }
            if forward.send(chunk).await.is_err() {
                break;
            }
        }
        (latest.map(|(_, signed)| signed), entries)
    });
    // The import commits when its channel closes: it closes only once the export is done
    // (this clone keeps it open until then). An export that fails drops the import, whose
    // transaction rolls back: the target stays empty.
    let keep_open = forward_clone;
    let failed = |e: tokio::task::JoinError| StoreError::Backend(Box::new(e));
    let exported = async move {
        exporting.await.map_err(failed)??;
        let seen = watching.await.map_err(failed)?;
        drop(keep_open);
        Ok::<_, StoreError>(seen)
    };
    let importing = target.import(received, progress);
    tokio::pin!(exported, importing);
    let mut seen = None;
    let rows = loop {
        tokio::select! {
            imported = &mut importing => break imported?,
            done = &mut exported, if seen.is_none() => seen = Some(done?),
        }
    };
    let Some((expected, log_entries)) = seen else {
        return Err(StoreError::Backend(
            "the import ended before the export".into(),
        ));
    };
    // The same log on both sides: the snapshot's latest signed checkpoint is the copy's.
    let after = store::Log::log_checkpoint(target.as_ref()).await?;
    if expected != after {
        return Err(StoreError::Backend(
            "the copy's latest checkpoint differs from the source's".into(),
        ));
    }
    Ok(Copied { rows, log_entries })
}
