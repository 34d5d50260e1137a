//! `passaparola backup FILE` and `passaparola restore FILE`, for the SQLite backend: one file
//! holds the database, copied online as one consistent snapshot while the server writes,
//! and the data directory's two keys (`instance.key` derives the invitation links, `log.key`
//! signs the log), so that it alone brings an instance back. A restore goes into a data
//! directory that holds neither a database nor keys, and only once the copy's log verifies
//! against its own signed checkpoint with the copy's log key.
//! (PostgreSQL has its own tools: `pg_dump`, WAL archiving.)

use std::path::{Path, PathBuf};

use store::StoreError;

use crate::backend::Backend;

/// The data directory's files a backup carries.
const KEYS: [&str; 2] = ["instance.key", "log.key"];

fn config(why: impl Into<String>) -> StoreError {
    StoreError::Config(why.into())
}

/// The SQLite file `database_url` names; other backends back up with their own tools.
fn sqlite_file(database_url: &str) -> Result<PathBuf, StoreError> {
    if Backend::is_sqlite(database_url) {
        store_sqlite::path_from_url(database_url)
    } else {
        Err(config(
            "backup and restore are for the SQLite backend; back up PostgreSQL with its own \
             tools (pg_dump, WAL archiving)",
        ))
    }
}

/// Copies the instance (database and keys) into the new file `file`, readable by its owner
/// only, while the server may go on writing.
pub fn backup(data_dir: &Path, database_url: &str, file: &Path) -> Result<(), StoreError> {
    let database = sqlite_file(database_url)?;
    if file.exists() {
        return Err(config(format!(
            "{} exists already: name a new file",
            file.display()
        )));
    }
    let mut keys = Vec::new();
    for name in KEYS {
        let path = data_dir.join(name);
        let bytes = std::fs::read(&path).map_err(|e| {
            config(format!(
                "reading {}: {e} (a backup carries the instance's keys; has the server run \
                 on this data directory?)",
                path.display()
            ))
        })?;
        keys.push((name, bytes));
    }
    store_sqlite::backup::backup(&database, file, &keys)?;
    tracing::info!("backup written");
    Ok(())
}

/// What a restore brought back.
#[derive(Debug)]
pub struct Restored {
    /// The log's entries, verified against its latest signed checkpoint.
    pub entries: u64,
    pub database: PathBuf,
}

/// Restores the backup `file` into `data_dir`, which must hold neither a database nor keys.
/// Nothing is left behind if the copy does not verify.
/// With `pinned` (the verifier key auditors know), a backup signed by any other log key is
/// refused: a copy can only vouch for itself.
pub fn restore(
    data_dir: &Path,
    database_url: &str,
    file: &Path,
    pinned: Option<&str>,
) -> Result<Restored, StoreError> {
    let database = sqlite_file(database_url)?;
    if database.exists() {
        return Err(config(format!(
            "{} exists: restore into a new data directory (or move the database away first)",
            database.display()
        )));
    }
    for name in KEYS {
        if data_dir.join(name).exists() {
            return Err(config(format!(
                "{} exists: restore into a data directory without keys",
                data_dir.join(name).display()
            )));
        }
    }
    let files = store_sqlite::backup::backup_files(file)?;
    let key = |name: &str| {
        files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, bytes)| bytes.clone())
            .ok_or_else(|| config(format!("the backup carries no {name}")))
    };
    let (instance_key, log_key) = (key("instance.key")?, key("log.key")?);
    let signer = std::str::from_utf8(&log_key)
        .ok()
        .and_then(|text| ledger::note::LogSigner::from_skey(text).ok())
        .ok_or_else(|| config("the backup's log.key is not a log key"))?;

    // The copy is checked, and its key files taken out, beside the database's final place;
    // only then does it take that place, after the keys.
    let mut staging = database.clone().into_os_string();
    staging.push(".restoring");
    let staging = PathBuf::from(staging);
    let _ = std::fs::remove_file(&staging);
    if !crate::tokens::create_private(&staging, &[]).map_err(|e| config(e.to_string()))? {
        return Err(config(format!("{} appeared meanwhile", staging.display())));
    }
    let staged = std::fs::copy(file, &staging)
        .map_err(|e| config(format!("copying the backup: {e}")))
        .and_then(|_| {
            // `copy` gave it the backup's permission bits: the owner's alone again.
            #[cfg(unix)]
            std::fs::set_permissions(
                &staging,
                std::os::unix::fs::PermissionsExt::from_mode(0o600),
            )
            .map_err(|e| config(e.to_string()))?;
            Ok(())
        });
    if let Err(e) = staged {
        let _ = std::fs::remove_file(&staging);
        return Err(e);
    }
    let verified =
        store_sqlite::backup::verify_copy(&staging, &signer).and_then(|entries| match pinned {
            Some(vkey) if vkey != signer.verifier_key() => Err(config(format!(
                "the backup's log key is {}, not the {vkey} you named",
                signer.verifier_key()
            ))),
            _ => Ok(entries),
        });
    let entries = match verified {
        Ok(entries) => entries,
        Err(e) => {
            let _ = std::fs::remove_file(&staging);
            return Err(e);
        }
    };
    // The database takes its place first, then the keys. Should the keys fail, the server
    // refuses to start on a log its (new) key did not sign, rather than start a second log
    // under the old key beside an empty database.
    if let Err(e) = std::fs::rename(&staging, &database) {
        let _ = std::fs::remove_file(&staging);
        return Err(config(format!("placing the database: {e}")));
    }
    if let Some(dir) = database.parent() {
        // The rename is durable once the directory is.
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    for (name, bytes) in [("log.key", log_key), ("instance.key", instance_key)] {
        let path = data_dir.join(name);
        if !crate::tokens::create_private(&path, &bytes).map_err(|e| config(e.to_string()))? {
            return Err(config(format!(
                "{} appeared meanwhile; the database is restored, the keys are not",
                path.display()
            )));
        }
    }
    tracing::info!(entries, "restored");
    Ok(Restored { entries, database })
}
