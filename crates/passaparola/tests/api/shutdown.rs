//! Graceful shutdown: on SIGTERM the server stops accepting, finishes the requests in flight
//! and the writer's batch, signs a last checkpoint over every entry, and exits 0 in time.

use std::collections::HashSet;
use std::time::Duration;

use crate::cli::{Server, create_business, invited};
use crate::helpers::{Sql, review_body};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_finishes_what_it_answered_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let server = Server::start_with(dir.path(), &log, &["--no-rate-limits"]);
    let key = create_business(dir.path(), "bottega-prova");
    let client = reqwest::Client::new();
    let mut tokens = Vec::new();
    for i in 0..1200 {
        tokens.push(invited(&client, &server.address, &key, &format!("ORD-{i}")).await);
    }
    // Eight clients submit as fast as they can; SIGTERM comes in the middle.
    let address = server.address.clone();
    let answered = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let submitters: Vec<_> = tokens
        .chunks(150)
        .map(|chunk| {
            let (chunk, address, client) = (chunk.to_vec(), address.clone(), client.clone());
            let answered = answered.clone();
            tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                for token in chunk {
                    let sent = client
                        .post(format!("{address}/api/v1/reviews"))
                        .json(&review_body(&token, 4))
                        .send()
                        .await;
                    // After the stop, new connections are refused: not an answer.
                    let Ok(resp) = sent else { break };
                    if resp.status() != 201 {
                        break;
                    }
                    let Ok(body) = resp.json::<serde_json::Value>().await else {
                        break;
                    };
                    acknowledged.push(body["id"].as_str().unwrap().to_owned());
                    answered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
                acknowledged
            })
        })
        .collect();
    // SIGTERM once the load is well under way, whatever the machine's speed.
    while answered.load(std::sync::atomic::Ordering::SeqCst) < 40 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let status = tokio::task::spawn_blocking(move || server.terminate(Duration::from_secs(20)))
        .await
        .unwrap()
        .expect("the server exits within 20 seconds of SIGTERM");
    assert!(status.success(), "exit status {status}");
    let mut acknowledged = HashSet::new();
    for s in submitters {
        acknowledged.extend(s.await.unwrap());
    }
    assert!(!acknowledged.is_empty(), "the load reached the server");
    assert!(acknowledged.len() < tokens.len(), "SIGTERM came mid-load");

    // Straight from the database, before anything restarts: every acknowledged review is there,
    // and the last signed checkpoint covers every entry of the log.
    let db = Sql::of_data_dir(dir.path()).await;
    let stored: HashSet<String> = db
        .rows("SELECT id FROM reviews", &[])
        .await
        .iter()
        .map(|r| r[0].text())
        .collect();
    assert!(
        acknowledged.is_subset(&stored),
        "an acknowledged review was lost"
    );
    let entries = db.count("SELECT count(*) FROM log_entries", &[]).await;
    let signed = db
        .value("SELECT max(size) FROM log_checkpoints", &[])
        .await
        .int();
    assert_eq!(entries, signed, "the last checkpoint covers every entry");
    assert!(entries >= acknowledged.len() as i64);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("stopping: no new connections"), "{text}");
    assert!(
        text.contains("the log's last checkpoint is signed"),
        "{text}"
    );
}
