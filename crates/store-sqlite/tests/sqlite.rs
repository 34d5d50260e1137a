//! What only the SQLite backend can be asked: how it opens its file, that it refuses a
//! tampered log, and its WAL checkpoints. The contract itself is checked by `contract.rs`.

#![allow(clippy::unwrap_used, reason = "a panic in a test is a failing test")]

use chrono::Utc;
use store::contract;
use store_sqlite::{SqliteStore, path_from_url};

#[tokio::test]
async fn opening_rules() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dir/t.db");
    let store = SqliteStore::open(&path, None).unwrap();
    assert_eq!(store.schema_version().await.unwrap(), 18);
    // Customers' names and addresses: readable by the owner only, whatever the umask.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&path.with_extension("db-wal")), 0o600);
    }
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    // A database from a newer build is refused, not damaged.
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let err = SqliteStore::open(&path, None).unwrap_err();
    assert!(err.to_string().contains("newer"), "{err}");

    assert_eq!(
        path_from_url("sqlite://data/p.db").unwrap().to_str(),
        Some("data/p.db")
    );
    assert_eq!(
        path_from_url("sqlite:///abs/p.db").unwrap().to_str(),
        Some("/abs/p.db")
    );
    assert_eq!(
        path_from_url("sqlite:p.db?mode=rwc").unwrap().to_str(),
        Some("p.db")
    );
    assert_eq!(path_from_url("./p.db").unwrap().to_str(), Some("./p.db"));
    assert!(path_from_url("sqlite::memory:").is_err());
    assert!(path_from_url("postgres://x/y").is_err());
}

#[tokio::test]
async fn a_log_that_does_not_match_its_checkpoint_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let signer = || ledger::note::LogSigner::from_seed("test.example/log", [5; 32]).unwrap();
    {
        let store = SqliteStore::open(&path, Some(signer())).unwrap();
        let business = contract::business(&store, "bottega").await;
        for i in 0..5 {
            contract::reviewed(&store, business, &format!("R{i}"), 5, Utc::now()).await;
        }
    }
    // Reopening an intact log works, with the key it was signed with only.
    SqliteStore::open(&path, Some(signer())).unwrap();
    let other = ledger::note::LogSigner::from_seed("test.example/log", [6; 32]).unwrap();
    let err = SqliteStore::open(&path, Some(other)).unwrap_err();
    assert!(err.to_string().contains("does not verify"), "{err}");

    // One entry changed behind our back (a back-dated review, say).
    let copy = dir.path().join("copy.db");
    std::fs::copy(&path, &copy).unwrap();
    let conn = rusqlite::Connection::open(&copy).unwrap();
    let mut entry: Vec<u8> = conn
        .query_row("SELECT entry FROM log_entries WHERE idx = 2", [], |r| {
            r.get(0)
        })
        .unwrap();
    entry[9] ^= 0x01; // the time, a millisecond earlier or later
    conn.execute("UPDATE log_entries SET entry = ?1 WHERE idx = 2", [entry])
        .unwrap();
    drop(conn);
    let err = SqliteStore::open(&copy, Some(signer())).unwrap_err();
    assert!(err.to_string().contains("does not match"), "{err}");

    // One stored hash changed behind our back, deep in the tree.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE log_hashes SET hash = zeroblob(32) WHERE idx = 0",
        [],
    )
    .unwrap();
    drop(conn);
    let err = SqliteStore::open(&path, Some(signer())).unwrap_err();
    assert!(err.to_string().contains("does not match"), "{err}");
}

/// The writer never checkpoints the WAL (a checkpoint inside its COMMIT would stall every
/// waiting write); a thread of its own copies the WAL back into the database file. (SQLite's
/// own automatic checkpoint would wait for 1000 pages of WAL; these writes are far fewer.)
#[tokio::test]
async fn the_wal_is_checkpointed_beside_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let store = SqliteStore::open(&path, None).unwrap();
    let business = contract::business(&store, "bottega").await;
    let size = || std::fs::metadata(&path).unwrap().len();
    let before = size();
    let now = Utc::now();
    for i in 0..200 {
        contract::invite(&store, business, &format!("ORD-{i}"), "customer", &[], now).await;
    }
    let mut copied = false;
    for _ in 0..40 {
        if size() > before {
            copied = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        copied,
        "the database file never grew: the WAL was not copied back"
    );
}

/// Receipts built from the log's state in memory (the writer publishes each committed batch)
/// are byte for byte the ones built from the database by a store that has not seen the
/// writes.
#[tokio::test]
async fn receipts_from_memory_equal_receipts_from_the_database() {
    use store::Log;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let signer = || ledger::note::LogSigner::from_seed("test.example/log", [9; 32]).unwrap();
    let store = std::sync::Arc::new(SqliteStore::open(&path, Some(signer())).unwrap());
    let business = contract::business(store.as_ref(), "bottega").await;
    // Writes at once, so that batches hold several; rounds, so that proofs cross batches.
    for round in 0..5 {
        let writes: Vec<_> = (0..20)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    let reference = format!("R{round}-{i}");
                    contract::reviewed(store.as_ref(), business, &reference, 4, Utc::now()).await
                })
            })
            .collect();
        for w in writes {
            w.await.unwrap();
        }
    }
    let size = 100;
    let mut from_memory = Vec::new();
    for i in 0..size {
        from_memory.push(store.log_receipt(i).await.unwrap().unwrap());
    }
    drop(store);
    let fresh = SqliteStore::open(&path, Some(signer())).unwrap();
    for (i, expected) in from_memory.iter().enumerate() {
        let read = fresh.log_receipt(i as u64).await.unwrap().unwrap();
        assert_eq!(&read, expected, "receipt {i}");
    }
    assert!(fresh.log_receipt(size).await.unwrap().is_none());
}
