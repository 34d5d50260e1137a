//! The baseline for durable submissions in `BENCHMARKS.md`: raw SQLite committing one small
//! row per transaction, one transaction at a time, with the server's durability settings
//! (WAL, `synchronous = FULL`, so each commit `fsync`s the WAL). SQLite's own automatic
//! checkpoint is left on, as a plain SQLite program would have it.
//!
//! cargo run --release --example raw_commits -- DIR SECONDS
//!
//! Creates `DIR/raw-commits.db` (deleting any earlier one and its WAL), commits for SECONDS
//! and prints one line: `COMMITS SECONDS COMMITS_PER_SECOND`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark fixture"
)]

use std::time::{Duration, Instant};

use rusqlite::{Connection, params};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, dir, seconds] = args.as_slice() else {
        eprintln!("usage: raw_commits DIR SECONDS");
        std::process::exit(2);
    };
    let seconds: f64 = seconds
        .trim_end_matches('s')
        .parse()
        .expect("SECONDS is a number");
    let path = std::path::Path::new(dir).join("raw-commits.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let conn = Connection::open(&path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.execute_batch(
        "CREATE TABLE rows (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, body TEXT NOT NULL)",
    )
    .unwrap();
    let body = "Consegna puntuale e prodotto come descritto.";
    let until = Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let mut commits: u64 = 0;
    let mut insert = conn
        .prepare("INSERT INTO rows (at, body) VALUES (?1, ?2)")
        .unwrap();
    while started.elapsed() < until {
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        insert.execute(params![commits as i64, body]).unwrap();
        conn.execute_batch("COMMIT").unwrap();
        commits += 1;
    }
    let elapsed = started.elapsed().as_secs_f64();
    drop(insert);
    let stored: i64 = conn
        .query_row("SELECT count(*) FROM rows", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored as u64, commits);
    drop(conn);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    println!("{commits} {elapsed:.3} {:.1}", commits as f64 / elapsed);
}
