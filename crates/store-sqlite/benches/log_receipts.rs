//! Inclusion proofs from storage: how long a receipt (entry, inclusion proof and signed
//! checkpoint) takes to produce from a SQLite log of 1M and 10M entries, through the store's
//! public contract (a pooled read-only connection on Tokio's blocking threads, as the server
//! calls it). `checkpoint` reads one row the same way: the difference is the proof's cost.
//!
//! cargo bench -p store-sqlite --bench log_receipts
//!
//! The logs are seeded once into `target/bench-data/` (about 1.8 GB at 10M entries, under a
//! minute), with their signing keys beside them, and reused (`bench/run.sh` serves a copy of
//! the 10M one to measure the review API on a large log); each run reopens them with the log key, which rebuilds and checks every
//! stored hash against the signed root, and prints how long that start-up check took.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark fixture: a failure should stop it loudly"
)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use divan::Bencher;
use ledger::note::LogSigner;
use ledger::rebuild::Rebuild;
use rand::Rng;
use store::Log;
use store_sqlite::SqliteStore;

const ORIGIN: &str = "bench.example/log";

fn main() {
    divan::main();
}

fn signer() -> LogSigner {
    LogSigner::from_seed(ORIGIN, [7; 32]).unwrap()
}

fn bench_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("bench-data")
}

/// An 84-byte entry, as a version-1 log entry is long; the log itself does not read them.
fn entry(i: u64) -> [u8; 84] {
    let mut e = [0u8; 84];
    e[0] = 1;
    e[1] = 1;
    e[2..10].copy_from_slice(&i.to_be_bytes());
    e[42..50].copy_from_slice(&u64::MAX.to_be_bytes());
    e[50..52].copy_from_slice(&32u16.to_be_bytes());
    e
}

/// Writes `n` entries, their stored hashes and a signed checkpoint straight into the log's
/// tables (the review write path would take hours for 10M), in transactions of 1M entries.
fn seed(path: &Path, n: u64) {
    drop(SqliteStore::open(path, None).unwrap()); // the schema
    let mut conn = rusqlite::Connection::open(path).unwrap();
    conn.pragma_update(None, "synchronous", "OFF").unwrap();
    let mut rebuild = Rebuild::new();
    let mut stored = 0i64;
    let started = Instant::now();
    for chunk in (0..n).collect::<Vec<_>>().chunks(1_000_000) {
        let tx = conn.transaction().unwrap();
        {
            let mut entries = tx
                .prepare("INSERT INTO log_entries (idx, entry) VALUES (?1, ?2)")
                .unwrap();
            let mut hashes = tx
                .prepare("INSERT INTO log_hashes (idx, hash) VALUES (?1, ?2)")
                .unwrap();
            for &i in chunk {
                let e = entry(i);
                entries.execute((i as i64, &e[..])).unwrap();
                for h in rebuild.push(&e).unwrap() {
                    hashes.execute((stored, &h.0[..])).unwrap();
                    stored += 1;
                }
            }
        }
        tx.commit().unwrap();
    }
    let signed = signer()
        .sign_checkpoint(n, rebuild.root().unwrap())
        .unwrap();
    conn.execute(
        "INSERT INTO log_checkpoints (size, signed, created_at) VALUES (?1, ?2, 0)",
        (n as i64, signed),
    )
    .unwrap();
    eprintln!(
        "seeded a log of {n} entries in {:.0} s",
        started.elapsed().as_secs_f64()
    );
}

/// The store over a log of `n` entries, opened as the server opens it (with the start-up
/// check), and a runtime to call it from.
fn store(n: u64) -> (tokio::runtime::Runtime, SqliteStore) {
    let dir = bench_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("log-{n}.db"));
    if !path.exists() {
        // Seeded under another name and renamed when whole, so that an interrupted seeding
        // is never mistaken for a log.
        let partial = dir.join(format!("log-{n}.seeding.db"));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", partial.display()));
        }
        seed(&partial, n);
        std::fs::rename(&partial, &path).unwrap();
    }
    // The key beside it, for bench/run.sh, which serves a copy of this log.
    std::fs::write(dir.join(format!("log-{n}.key")), signer().skey()).unwrap();
    let opened = Instant::now();
    let store = SqliteStore::open(&path, Some(signer())).unwrap();
    eprintln!(
        "opened a log of {n} entries, every stored hash checked, in {:.1} s",
        opened.elapsed().as_secs_f64()
    );
    (runtime(), store)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap()
}

const SIZES: [u64; 2] = [1_000_000, 10_000_000];

/// A receipt for a random entry: entry, inclusion proof, checkpoint.
#[divan::bench(args = SIZES, sample_count = 2000)]
fn receipt(bencher: Bencher, n: u64) {
    let (rt, store) = store(n);
    let mut rng = rand::rng();
    bencher.bench_local(|| {
        let index = rng.random_range(0..n);
        let receipt = rt.block_on(store.log_receipt(index)).unwrap();
        assert!(receipt.is_some());
        receipt
    });
}

/// The same round trip reading one row: what a receipt costs beyond it is the proof.
#[divan::bench(args = SIZES, sample_count = 2000)]
fn checkpoint(bencher: Bencher, n: u64) {
    let (rt, store) = store(n);
    bencher.bench_local(|| rt.block_on(store.log_checkpoint()).unwrap());
}
