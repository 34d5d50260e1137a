//! Backups of a live database: an online, consistent copy (`VACUUM INTO`, which reads one
//! snapshot while the server goes on writing), the instance's key files kept inside the
//! copy, and the check a copy must pass before it is restored: its log verifies against its
//! own signed checkpoint.

use std::path::Path;

use ledger::note::LogSigner;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use store::{Result as StoreResult, StoreError};

use crate::{Result, log, migrations};

/// The table, in a copy only, that holds the data directory's key files.
const FILES: &str = "backup_files";

fn config(e: impl std::fmt::Display) -> StoreError {
    StoreError::Config(e.to_string())
}

/// Copies the database at `source` into the new file `dest` (readable by its owner only) as
/// one consistent snapshot, while writers go on, and keeps `files` (name, bytes) inside it.
pub fn backup(source: &Path, dest: &Path, files: &[(&str, Vec<u8>)]) -> StoreResult<()> {
    backup_inner(source, dest, files).map_err(Into::into)
}

fn backup_inner(source: &Path, dest: &Path, files: &[(&str, Vec<u8>)]) -> Result<()> {
    if !source.exists() {
        return Err(config(format!("no database at {}", source.display())).into());
    }
    // A new, empty file of the owner's only (never an existing file, nor through a link):
    // VACUUM INTO fills it. Whatever fails after, the partial copy goes.
    new_private_file(dest)?;
    let copied = copy_into(source, dest, files);
    if copied.is_err() {
        let _ = std::fs::remove_file(dest);
    }
    copied
}

/// Creates `path`, which must not exist, readable by its owner only.
fn new_private_file(path: &Path) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .map_err(|e| config(format!("creating {}: {e}", path.display())))?;
    Ok(())
}

fn copy_into(source: &Path, dest: &Path, files: &[(&str, Vec<u8>)]) -> Result<()> {
    let read = Connection::open_with_flags(source, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    read.busy_timeout(crate::BUSY_TIMEOUT)?;
    let dest_text = dest
        .to_str()
        .ok_or_else(|| config(format!("{} is not UTF-8", dest.display())))?;
    read.execute("VACUUM INTO ?1", [dest_text])?;
    let mut copy = Connection::open(dest)?;
    copy.pragma_update(None, "synchronous", "FULL")?;
    let tx = copy.transaction()?;
    tx.execute_batch(&format!(
        "CREATE TABLE {FILES} (name TEXT PRIMARY KEY, content BLOB NOT NULL) STRICT"
    ))?;
    for (name, content) in files {
        tx.execute(
            &format!("INSERT INTO {FILES} (name, content) VALUES (?1, ?2)"),
            params![name, content],
        )?;
    }
    tx.commit()?;
    drop(copy);
    std::fs::File::open(dest)
        .and_then(|f| f.sync_all())
        .map_err(config)?;
    Ok(())
}

/// The key files kept in the copy at `copy` (name, bytes).
pub fn backup_files(copy: &Path) -> StoreResult<Vec<(String, Vec<u8>)>> {
    let run = || -> Result<Vec<(String, Vec<u8>)>> {
        let c = Connection::open_with_flags(copy, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let has: Option<String> = c
            .query_row(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [FILES],
                |r| r.get(0),
            )
            .optional()?;
        if has.is_none() {
            return Err(
                config("this file is not a Passaparola backup (no key files in it)").into(),
            );
        }
        let mut stmt = c.prepare(&format!("SELECT name, content FROM {FILES} ORDER BY name"))?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    };
    run().map_err(Into::into)
}

/// Checks a copy before it is restored, and takes the key files out of it: its schema is one
/// this build knows, and its log's stored hashes match its entries and the latest checkpoint,
/// which `signer`'s key signed. A log with entries must have a signed checkpoint.
pub fn verify_copy(copy: &Path, signer: &LogSigner) -> StoreResult<u64> {
    let c = Connection::open(copy).map_err(crate::Error::from)?;
    let version: i64 = c
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(crate::Error::from)?;
    if version > migrations::LATEST {
        return Err(config(format!(
            "the copy is at schema version {version}, newer than this build's {}",
            migrations::LATEST
        )));
    }
    let run = || -> Result<u64> {
        // The file is whole, and holds no code of anyone's: our schema has no triggers or
        // views, and one planted in a copy would run on every write after the restore.
        let integrity: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if integrity != "ok" {
            return Err(config(format!("the copy is damaged: {integrity}")).into());
        }
        let planted: Option<String> = c
            .query_row(
                "SELECT type || ' ' || name FROM sqlite_master WHERE type IN ('trigger', 'view')",
                [],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(what) = planted {
            return Err(config(format!("the copy holds a {what} this schema never has")).into());
        }
        let entries: i64 = c.query_row("SELECT count(*) FROM log_entries", [], |r| r.get(0))?;
        if entries > 0 && log::latest_checkpoint(&c)?.is_none() {
            return Err(config("the copy's log has entries but no signed checkpoint").into());
        }
        log::check(&c, signer)?;
        c.execute_batch(&format!("DROP TABLE IF EXISTS {FILES}"))?;
        Ok(entries as u64)
    };
    run().map_err(|e| match StoreError::from(e) {
        StoreError::Config(why) => StoreError::Config(format!(
            "the copy's log does not verify: {}",
            why.trim_end_matches("; refusing to start")
        )),
        other => other,
    })
}
