//! Several servers on one PostgreSQL database: the log sequenced by one at a time, handed
//! over when it dies with no acknowledged write lost, and each write reaching the other
//! servers' caches and open inboxes. PostgreSQL only (`tests/postgres/run.sh`): SQLite is
//! one file on one machine.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::header::COOKIE;
use serde_json::json;

use crate::auditors::independent_verifier;
use crate::cli::{Server, create_business, create_user, monitor, run, stderr, stdout};
use crate::helpers::{read, review_body};
use crate::people::log_in;
use crate::web::next_event;

/// Whether this run has PostgreSQL; says so when it has not.
fn postgres() -> bool {
    let configured = store_postgres::testing::configured();
    if !configured {
        eprintln!("skipped: several servers need PostgreSQL (tests/postgres/run.sh)");
    }
    configured
}

/// A second data directory for the instance in `first`: the same database, the same keys
/// (every server of an instance holds the same `log.key` and `instance.key`).
fn share(first: &Path, second: &Path) {
    for file in ["log.key", "instance.key", "test-database-url"] {
        std::fs::copy(first.join(file), second.join(file)).unwrap();
    }
}

/// Two servers of one instance on one database (A started first, so A sequences), a
/// business's API key, the log's verifier key and a connection to the database.
struct Pair {
    a_dir: tempfile::TempDir,
    _b_dir: tempfile::TempDir,
    a: Server,
    b: Server,
    key: String,
    vkey: String,
    db: tokio_postgres::Client,
}

async fn pair(options: &[&str]) -> Pair {
    let (a_dir, b_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = Server::start_with(a_dir.path(), &a_dir.path().join("server.log"), options);
    share(a_dir.path(), b_dir.path());
    let b = Server::start_with(b_dir.path(), &b_dir.path().join("server.log"), options);
    let key = create_business(a_dir.path(), "bottega-condivisa");
    let vkey = stdout(&run(a_dir.path(), &["log", "key"]))
        .trim()
        .to_owned();
    let db = database(a_dir.path()).await;
    Pair {
        a_dir,
        _b_dir: b_dir,
        a,
        b,
        key,
        vkey,
        db,
    }
}

/// The instance's database, to read `log_sequencer` (who sequences, in which term).
async fn database(dir: &Path) -> tokio_postgres::Client {
    let url = std::fs::read_to_string(dir.join("test-database-url")).unwrap();
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

/// The sequencer's term and holder (`host pid N`).
async fn sequencer(db: &tokio_postgres::Client) -> (i64, String) {
    let row = db
        .query_one("SELECT term, holder FROM log_sequencer WHERE id = 1", &[])
        .await
        .unwrap();
    (row.get(0), row.get(1))
}

/// Invites and reviews on `address`; the review's id if both were acknowledged (201).
async fn try_review(
    client: &reqwest::Client,
    address: &str,
    key: &str,
    n: usize,
) -> Option<String> {
    let invited = client
        .post(format!("{address}/api/v1/invitations"))
        .bearer_auth(key)
        .json(&json!({"reference": format!("ORD-{n}")}))
        .send()
        .await
        .ok()?;
    if invited.status() != 201 {
        return None;
    }
    let token = invited.json::<serde_json::Value>().await.ok()?["token"]
        .as_str()?
        .to_owned();
    let reviewed = client
        .post(format!("{address}/api/v1/reviews"))
        .json(&review_body(&token, 1 + (n % 5) as i64))
        .send()
        .await
        .ok()?;
    if reviewed.status() != 201 {
        return None;
    }
    let body = reviewed.json::<serde_json::Value>().await.ok()?;
    Some(body["id"].as_str()?.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_sequencer_hands_the_log_over_and_no_acknowledged_write_is_lost() {
    if !postgres() {
        return;
    }
    let Pair {
        a_dir: _a_dir,
        _b_dir,
        a,
        b,
        key,
        vkey,
        db,
    } = pair(&["--no-rate-limits"]).await;
    let (first_term, holder) = sequencer(&db).await;
    assert!(
        holder.ends_with(&format!("pid {}", a.pid())),
        "the first server started sequences: {holder}"
    );

    // Writes on both servers, by four clients, until told to stop.
    let (a_address, b_address) = (a.address.clone(), b.address.clone());
    let a_alive = Arc::new(AtomicBool::new(true));
    let stop = Arc::new(AtomicBool::new(false));
    let acknowledged = Arc::new(Mutex::new(Vec::<(String, Instant)>::new()));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (a_address, b_address) = (a_address.clone(), b_address.clone());
        let (a_alive, stop, acknowledged, key) = (
            a_alive.clone(),
            stop.clone(),
            acknowledged.clone(),
            key.clone(),
        );
        writers.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut n = w;
            while !stop.load(Ordering::Relaxed) {
                let on_a = n % 2 == 0 && a_alive.load(Ordering::Relaxed);
                let address = if on_a { &a_address } else { &b_address };
                if let Some(id) = try_review(&client, address, &key, n).await {
                    acknowledged.lock().unwrap().push((id, Instant::now()));
                }
                n += 4;
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;

    // What an auditor saw before the hand-over.
    let work = tempfile::tempdir().unwrap();
    let before = work.path().join("checkpoint-before");
    let checkpoint = reqwest::get(format!("{a_address}/log/checkpoint"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    std::fs::write(&before, &checkpoint).unwrap();

    // The sequencer dies; the other server takes over within seconds.
    a_alive.store(false, Ordering::Relaxed);
    let killed = Instant::now();
    a.kill_9();
    let took_over = loop {
        let (term, holder) = sequencer(&db).await;
        if term > first_term {
            assert!(
                holder.ends_with(&format!("pid {}", b.pid())),
                "the surviving server sequences: {holder}"
            );
            break killed.elapsed();
        }
        assert!(
            killed.elapsed() < Duration::from_secs(15),
            "nobody took the log over"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        took_over < Duration::from_secs(5),
        "took over after {took_over:?}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }

    // Every acknowledged review is there, logged, with a receipt, on the survivor.
    let acknowledged = acknowledged.lock().unwrap().clone();
    let after_kill = acknowledged.iter().filter(|(_, at)| *at > killed).count();
    assert!(
        acknowledged.len() >= 20 && after_kill >= 5,
        "{} writes acknowledged, {after_kill} after the kill",
        acknowledged.len()
    );
    let client = reqwest::Client::new();
    for (id, _) in &acknowledged {
        read(
            client
                .get(format!("{b_address}/api/v1/reviews/{id}"))
                .send()
                .await
                .unwrap(),
        )
        .await
        .expect(200);
        let receipt = client
            .get(format!("{b_address}/api/v1/reviews/{id}/receipt"))
            .send()
            .await
            .unwrap();
        assert_eq!(receipt.status(), 200, "review {id} has no receipt");
    }

    // The log verifies from the outside across the hand-over: every entry and tile, and
    // consistency with the checkpoint seen before it. Ours, then the independent verifier.
    let state = work.path().join("state");
    std::fs::copy(&before, &state).unwrap();
    let ours = monitor(work.path(), &b_address, &vkey, Some(&state));
    assert!(ours.status.success(), "{}", stderr(&ours));
    let prefix = format!("{b_address}/log");
    let theirs = independent_verifier(&[
        "log",
        &prefix,
        "--key",
        &vkey,
        "--old-checkpoint",
        before.to_str().unwrap(),
    ]);
    assert!(
        theirs.status.success(),
        "{}{}",
        stdout(&theirs),
        stderr(&theirs)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_on_one_server_reaches_the_others_cache_and_inboxes_within_a_second() {
    if !postgres() {
        return;
    }
    let (a_dir, b_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = Server::start(a_dir.path(), &a_dir.path().join("server.log"));
    share(a_dir.path(), b_dir.path());
    let b = Server::start(b_dir.path(), &b_dir.path().join("server.log"));
    let key = create_business(a_dir.path(), "bottega-condivisa");
    let password = create_user(
        a_dir.path(),
        "bottega-condivisa",
        "giulia@example.it",
        "Giulia Bianchi",
    );

    // B's public list, cached (asked twice), and B's inbox open on its live stream.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let list = format!("{}/api/v1/businesses/bottega-condivisa/reviews", b.address);
    for _ in 0..2 {
        let empty = read(client.get(&list).send().await.unwrap())
            .await
            .expect(200);
        assert_eq!(empty.body["items"].as_array().unwrap().len(), 0);
    }
    let cookie = log_in(&b.address, "giulia@example.it", &password)
        .await
        .unwrap();
    let mut stream = client
        .get(format!("{}/inbox/events", b.address))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let mut buffer = String::new();

    // A review written on A: B's cache and B's inbox know within a second.
    let written = Instant::now();
    let id = try_review(&reqwest::Client::new(), &a.address, &key, 1)
        .await
        .expect("the review is acknowledged");
    let news = next_event(&mut stream, &mut buffer).await;
    assert_eq!(news, ("review".to_owned(), id.clone()));
    let heard = written.elapsed();
    let seen = loop {
        let listed = read(client.get(&list).send().await.unwrap())
            .await
            .expect(200);
        if listed.body["items"].as_array().unwrap().len() == 1 {
            break written.elapsed();
        }
        assert!(written.elapsed() < Duration::from_secs(5), "B never saw it");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        heard < Duration::from_secs(1) && seen < Duration::from_secs(1),
        "the inbox heard after {heard:?}, the list showed it after {seen:?}"
    );

    // And the other way: A's cached list, warm, learns of a review written on B.
    let on_a = format!("{}/api/v1/businesses/bottega-condivisa/reviews", a.address);
    for _ in 0..2 {
        let one = read(client.get(&on_a).send().await.unwrap())
            .await
            .expect(200);
        assert_eq!(one.body["items"].as_array().unwrap().len(), 1);
    }
    let written = Instant::now();
    try_review(&reqwest::Client::new(), &b.address, &key, 2)
        .await
        .expect("the review is acknowledged");
    let news = next_event(&mut stream, &mut buffer).await;
    assert_eq!(news.0, "review", "B's own inbox hears its own write");
    loop {
        let listed = read(client.get(&on_a).send().await.unwrap())
            .await
            .expect(200);
        if listed.body["items"].as_array().unwrap().len() == 2 {
            break;
        }
        assert!(
            written.elapsed() < Duration::from_secs(1),
            "A's cache still held the old list after {:?}",
            written.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop((a, b));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sequencer_that_loses_its_connection_stops_and_the_log_stays_one() {
    if !postgres() {
        return;
    }
    let Pair {
        a_dir: _a_dir,
        _b_dir,
        a,
        b,
        key,
        vkey,
        db,
    } = pair(&["--no-rate-limits"]).await;
    let client = reqwest::Client::new();
    let work = tempfile::tempdir().unwrap();
    let state = work.path().join("state");
    let mut n = 0;
    // Three times: writes on both servers, then the sequencer's connection is cut (its
    // process lives on); someone takes over in a new term, and the log verifies, consistent
    // with what was seen before.
    for round in 0..3 {
        for _ in 0..10 {
            for address in [&a.address, &b.address] {
                try_review(&client, address, &key, n)
                    .await
                    .expect("acknowledged");
                n += 1;
            }
        }
        let monitored = monitor(work.path(), &b.address, &vkey, Some(&state));
        assert!(
            monitored.status.success(),
            "round {round}: {}",
            stderr(&monitored)
        );
        let (term, _) = sequencer(&db).await;
        let cut = db
            .execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE application_name = 'passaparola-sequencer'
                   AND datname = current_database()
                   AND pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory'
                               AND granted)",
                &[],
            )
            .await
            .unwrap();
        assert_eq!(cut, 1, "one connection holds the sequencer's lock");
        let started = Instant::now();
        while sequencer(&db).await.0 == term {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "nobody took over"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    // Every review of every round is logged, and the log is one.
    let monitored = monitor(work.path(), &a.address, &vkey, Some(&state));
    assert!(monitored.status.success(), "{}", stderr(&monitored));
    let logged: i64 = db
        .query_one(
            "SELECT COUNT(*) FROM review_events WHERE log_index IS NOT NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(logged, n as i64, "every review's event is logged");
}

#[tokio::test]
async fn a_log_key_that_signed_before_never_starts_a_second_log_in_an_empty_database() {
    let Ok(admin) = std::env::var(store_postgres::testing::ENV) else {
        eprintln!("skipped: PostgreSQL only (tests/postgres/run.sh)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let first = Server::start(dir.path(), &dir.path().join("server.log"));
    drop(first);
    // The same data directory (its log key), pointed at a new, empty database.
    let empty = store_postgres::testing::scratch_database(&admin)
        .await
        .unwrap();
    std::fs::write(dir.path().join("test-database-url"), &empty).unwrap();
    let refused = run(dir.path(), &["serve", "--listen", "127.0.0.1:0"]);
    assert!(!refused.status.success());
    let message = stderr(&refused);
    assert!(
        message.contains("holds no log") && message.contains("log.key"),
        "{message}"
    );
    // And nothing was started there: still no log.
    assert!(
        !store_postgres::PostgresStore::holds_a_log(&empty)
            .await
            .unwrap()
    );
}
