//! `passaparola backup` while the server writes, and `passaparola restore`, which refuses a
//! copy whose log does not verify.

use std::collections::HashSet;
use std::path::Path;

use crate::cli::{Server, create_business, reviewed, run, stderr, stdout};
use crate::helpers::sqlite_only;

/// Why the backups are tested on SQLite only.
const BACKUP_IS_SQLITES: &str =
    "`passaparola backup` and `restore` copy the SQLite file; PostgreSQL has its own tools";

/// The ids of the reviews in the database file of `data_dir`.
fn review_ids(data_dir: &Path) -> HashSet<String> {
    let db = rusqlite::Connection::open(data_dir.join("passaparola.db")).unwrap();
    let mut stmt = db.prepare("SELECT id FROM reviews").unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_load_restores_and_verifies() {
    if !sqlite_only(BACKUP_IS_SQLITES) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("server.log");
    let server = Server::start_with(&data, &log, &["--no-rate-limits"]);
    let key = create_business(&data, "bottega-prova");
    let client = reqwest::Client::new();
    let address = server.address.clone();
    let submit = move |i: usize| {
        let (client, address, key) = (client.clone(), address.clone(), key.clone());
        async move {
            let review = reviewed(&client, &address, &key, &format!("ORD-{i}"), 5).await;
            review.body["id"].as_str().unwrap().to_owned()
        }
    };
    let mut before = HashSet::new();
    for i in 0..50 {
        before.insert(submit(i).await);
    }
    // Writers keep going while the backup is taken.
    let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let load = tokio::spawn({
        let (submit, done) = (submit.clone(), done.clone());
        async move {
            for i in 50..400 {
                submit(i).await;
                done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        }
    });
    while done.load(std::sync::atomic::Ordering::SeqCst) < 20 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let file = dir.path().join("copia.ppbackup");
    let backed = tokio::task::spawn_blocking({
        let (data, file) = (data.clone(), file.clone());
        move || run(&data, &["backup", file.to_str().unwrap()])
    })
    .await
    .unwrap();
    let when_backed = done.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        when_backed < 350,
        "the load was still writing when the backup ended"
    );
    assert!(backed.status.success(), "{}", stderr(&backed));
    load.await.unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the backup holds the keys");
    }
    // A backup never overwrites.
    let again = run(&data, &["backup", file.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("exists already"),
        "{}",
        stderr(&again)
    );
    let vkey = stdout(&run(&data, &["log", "key"])).trim().to_owned();
    drop(server);

    // Restored into a fresh data directory: every review written before the backup, the
    // same keys, a log that verifies from the outside with the old verifier key.
    let restored_dir = dir.path().join("restored");
    let restored = run(&restored_dir, &["restore", file.to_str().unwrap()]);
    assert!(restored.status.success(), "{}", stderr(&restored));
    assert!(stdout(&restored).contains("verified against the signed checkpoint"));
    assert!(before.is_subset(&review_ids(&restored_dir)));
    assert_eq!(
        std::fs::read(data.join("instance.key")).unwrap(),
        std::fs::read(restored_dir.join("instance.key")).unwrap()
    );
    let log2 = dir.path().join("restored.log");
    let server = Server::start(&restored_dir, &log2);
    let verified = run(
        &restored_dir,
        &["verify", "log", &server.address, "--key", &vkey],
    );
    assert!(verified.status.success(), "{}", stderr(&verified));
    assert!(stdout(&verified).contains("every chain complete"));
    drop(server);
    // Never over an existing instance.
    let over = run(&restored_dir, &["restore", file.to_str().unwrap()]);
    assert!(!over.status.success());
    assert!(stderr(&over).contains("exists"), "{}", stderr(&over));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_whose_log_does_not_verify_is_refused() {
    if !sqlite_only(BACKUP_IS_SQLITES) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("server.log");
    let server = Server::start(&data, &log);
    let key = create_business(&data, "bottega-prova");
    let client = reqwest::Client::new();
    for i in 0..3 {
        reviewed(&client, &server.address, &key, &format!("ORD-{i}"), 4).await;
    }
    let file = dir.path().join("copia.ppbackup");
    assert!(
        run(&data, &["backup", file.to_str().unwrap()])
            .status
            .success()
    );
    drop(server);

    // One byte of one entry changed in the copy: the rebuilt tree no longer matches.
    let tampered = dir.path().join("manomessa.ppbackup");
    std::fs::copy(&file, &tampered).unwrap();
    let db = rusqlite::Connection::open(&tampered).unwrap();
    let entry: Vec<u8> = db
        .query_row("SELECT entry FROM log_entries WHERE idx = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    let mut changed = entry.clone();
    let last = changed.len() - 1;
    changed[last] ^= 1;
    db.execute("UPDATE log_entries SET entry = ?1 WHERE idx = 1", [changed])
        .unwrap();
    drop(db);
    let target = dir.path().join("target");
    let refused = run(&target, &["restore", tampered.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("the copy's log does not verify"),
        "{}",
        stderr(&refused)
    );
    assert!(
        !target.join("passaparola.db").exists(),
        "nothing left behind"
    );
    assert!(!target.join("log.key").exists());
    assert!(!target.join("passaparola.db.restoring").exists());

    // A file that is no backup at all is refused too, clearly.
    let plain = dir.path().join("plain.db");
    rusqlite::Connection::open(&plain)
        .unwrap()
        .execute_batch("CREATE TABLE t (x INTEGER)")
        .unwrap();
    let refused = run(&target, &["restore", plain.to_str().unwrap()]);
    assert!(
        stderr(&refused).contains("not a Passaparola backup"),
        "{}",
        stderr(&refused)
    );

    // A copy with code planted in it (a trigger that would run on every write after the
    // restore) is refused, though its log verifies.
    let planted = dir.path().join("piantata.ppbackup");
    std::fs::copy(&file, &planted).unwrap();
    rusqlite::Connection::open(&planted)
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER steal AFTER INSERT ON sessions BEGIN
                 UPDATE users SET password_hash = 'x';
             END",
        )
        .unwrap();
    let refused = run(&target, &["restore", planted.to_str().unwrap()]);
    assert!(
        stderr(&refused).contains("trigger steal"),
        "{}",
        stderr(&refused)
    );
    assert!(!target.join("passaparola.db").exists());

    // Pinned to another log's key, even the untouched copy is refused.
    let other = ledger::note::LogSigner::from_seed("altro.example/log", [5; 32]).unwrap();
    let refused = run(
        &target,
        &[
            "restore",
            file.to_str().unwrap(),
            "--key",
            other.verifier_key(),
        ],
    );
    assert!(stderr(&refused).contains("not the"), "{}", stderr(&refused));
    assert!(!target.join("passaparola.db").exists());

    // The untouched copy restores, pinned to its own log's key.
    let vkey = crate::cli::stdout(&run(&data, &["log", "key"]))
        .trim()
        .to_owned();
    let restored = run(
        &target,
        &["restore", file.to_str().unwrap(), "--key", &vkey],
    );
    assert!(restored.status.success(), "{}", stderr(&restored));
}

/// A log key without its database (moved away, lost, or a new `--database-url`): the
/// server refuses to start a second log under the same key.
#[tokio::test]
async fn a_log_key_without_its_database_refuses_to_start() {
    if !sqlite_only("the check is of the SQLite file that a log key needs beside it") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    drop(Server::start(dir.path(), &log));
    std::fs::rename(
        dir.path().join("passaparola.db"),
        dir.path().join("moved-away.db"),
    )
    .unwrap();
    let _ = std::fs::remove_file(dir.path().join("passaparola.db-wal"));
    let _ = std::fs::remove_file(dir.path().join("passaparola.db-shm"));
    let out = run(dir.path(), &["serve", "--listen", "127.0.0.1:0"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("a second log under the same key"),
        "{}",
        stderr(&out)
    );
    assert!(
        !dir.path().join("passaparola.db").exists(),
        "no new database"
    );
}
