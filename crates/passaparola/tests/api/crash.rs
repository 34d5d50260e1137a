//! The crash loop: the real server under concurrent submissions, edits and replies,
//! `kill -9`ed at random moments, twenty times over. After each restart: the start-up check
//! passed (the server refuses to start on a log that does not match its signed checkpoint),
//! every acknowledged write is there, and the log's new checkpoint is consistent with the
//! checkpoints it served before the crash (checked by `passaparola verify log`).
//!
//! `.ci/run` runs it once more against the release build (`PP_SERVER_BIN`); `PP_SEED`
//! replays a run's random moments.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::cli::{Server, create_business, run, stderr};
use crate::helpers::{review_body, seed};

const CRASHES: usize = 20;
/// Submissions offered per round: more than the load gets through before the kill.
const INVITED: usize = 160;

/// What the load got acknowledged: reviews (id, edit token), and the unique marks that
/// acknowledged edits (titles) and replies (bodies) left in a review's history.
#[derive(Debug, Default)]
struct Acknowledged {
    reviews: Vec<(String, String)>,
    marks: Vec<(String, String)>,
}

type Shared = Arc<Mutex<Acknowledged>>;

/// Invitations for this round's submissions, asked for four at a time.
async fn invitations(
    client: &reqwest::Client,
    address: &str,
    key: &str,
    round: usize,
) -> Vec<String> {
    let ask = |i: usize| {
        let (client, address, key) = (client.clone(), address.to_owned(), key.to_owned());
        tokio::spawn(async move {
            crate::cli::invited(&client, &address, &key, &format!("R{round}-{i}")).await
        })
    };
    let mut tokens = Vec::new();
    for chunk in (0..INVITED).collect::<Vec<_>>().chunks(4) {
        let asked: Vec<_> = chunk.iter().map(|&i| ask(i)).collect();
        for a in asked {
            tokens.push(a.await.unwrap());
        }
    }
    tokens
}

/// Submits reviews until the server dies or the tokens run out.
async fn submitter(client: reqwest::Client, address: String, tokens: Vec<String>, ack: Shared) {
    for token in tokens {
        let Ok(resp) = client
            .post(format!("{address}/api/v1/reviews"))
            .json(&review_body(&token, 3))
            .send()
            .await
        else {
            return;
        };
        if resp.status() != 201 {
            return;
        }
        let Ok(body) = resp.json::<Value>().await else {
            return;
        };
        let id = body["id"].as_str().unwrap().to_owned();
        let edit = body["edit_token"].as_str().unwrap().to_owned();
        ack.lock().unwrap().reviews.push((id, edit));
    }
}

/// Edits (as the author) and replies (as the business) to acknowledged reviews, each with a
/// unique mark, until the server dies.
async fn changer(client: reqwest::Client, address: String, key: String, ack: Shared, who: usize) {
    for n in 0.. {
        let pick = {
            let ack = ack.lock().unwrap();
            (!ack.reviews.is_empty())
                .then(|| ack.reviews[(n * 7 + who) % ack.reviews.len()].clone())
        };
        let Some((id, edit)) = pick else {
            tokio::time::sleep(Duration::from_millis(5)).await;
            continue;
        };
        let mark = format!("Segno {who}-{n}");
        let request = if n % 2 == 0 {
            client
                .patch(format!("{address}/api/v1/reviews/{id}"))
                .bearer_auth(&edit)
                .json(&json!({ "title": mark }))
        } else {
            client
                .put(format!("{address}/api/v1/reviews/{id}/reply"))
                .bearer_auth(&key)
                .json(&json!({ "body": mark, "responder_name": "Giulia" }))
        };
        match request.send().await {
            Ok(resp) if resp.status().is_success() => {
                if resp.bytes().await.is_err() {
                    return;
                }
                ack.lock().unwrap().marks.push((id, mark));
            }
            _ => return,
        }
    }
}

/// Every event of a review, through the history's pages.
async fn history(client: &reqwest::Client, address: &str, id: &str) -> Vec<Value> {
    let mut events = Vec::new();
    let mut url = format!("{address}/api/v1/reviews/{id}/history");
    loop {
        let resp = client.get(&url).send().await.unwrap();
        assert_eq!(resp.status(), 200, "review {id} is there");
        let page: Value = resp.json().await.unwrap();
        events.extend(page["events"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("{address}/api/v1/reviews/{id}/history?cursor={c}"),
            None => return events,
        }
    }
}

/// `passaparola verify log` against `checkpoint` as the last one seen: the log verifies and
/// its checkpoint now is consistent with that one.
fn consistent_with(data: &Path, address: &str, vkey: &str, checkpoint: &[u8], what: &str) {
    let state = data.with_file_name(format!("seen-{what}.checkpoint"));
    std::fs::write(&state, checkpoint).unwrap();
    let out = run(
        data,
        &[
            "verify",
            "log",
            address,
            "--key",
            vkey,
            "--state",
            state.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{what}: {}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_twenty_kill_9s_and_the_log_stays_consistent() {
    let mut rng = StdRng::seed_from_u64(seed());
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("server.log");
    let client = reqwest::Client::new();
    let mut server = Server::start_with(&data, &log, &["--no-rate-limits"]);
    let key = create_business(&data, "bottega-crash");
    let vkey = crate::cli::stdout(&run(&data, &["log", "key"]))
        .trim()
        .to_owned();
    let mut all = Acknowledged::default();
    for round in 0..CRASHES {
        let address = server.address.clone();
        let tokens = invitations(&client, &address, &key, round).await;
        let ack: Shared = Arc::default();
        let (first, second) = tokens.split_at(tokens.len() / 2);
        let mut load = vec![
            tokio::spawn(submitter(
                client.clone(),
                address.clone(),
                first.to_vec(),
                ack.clone(),
            )),
            tokio::spawn(submitter(
                client.clone(),
                address.clone(),
                second.to_vec(),
                ack.clone(),
            )),
        ];
        for who in 0..2 {
            let (c, a, k, s) = (client.clone(), address.clone(), key.clone(), ack.clone());
            load.push(tokio::spawn(changer(c, a, k, s, who)));
        }
        // The checkpoints served while the load runs, until the kill.
        let mut served = Vec::new();
        let kill_at =
            tokio::time::Instant::now() + Duration::from_millis(rng.random_range(50..700));
        while tokio::time::Instant::now() < kill_at {
            if let Ok(resp) = client.get(format!("{address}/log/checkpoint")).send().await
                && resp.status() == 200
            {
                served.push(resp.bytes().await.unwrap().to_vec());
            }
            tokio::time::sleep(Duration::from_millis(rng.random_range(20..120))).await;
        }
        server.kill_9();
        for task in load {
            task.await.unwrap();
        }

        // Restarted: it starts only if its log matches its signed checkpoint.
        server = Server::start_with(&data, &log, &["--no-rate-limits"]);
        let address = server.address.clone();
        let round_ack = std::mem::take(&mut *ack.lock().unwrap());
        for (id, _) in &round_ack.reviews {
            let resp = client
                .get(format!("{address}/api/v1/reviews/{id}"))
                .send()
                .await
                .unwrap();
            assert_eq!(
                resp.status(),
                200,
                "round {round}: acknowledged review {id} was lost"
            );
        }
        let mut by_review: std::collections::HashMap<&str, Vec<&str>> = Default::default();
        for (id, mark) in &round_ack.marks {
            by_review.entry(id).or_default().push(mark);
        }
        for (id, marks) in by_review {
            let events = history(&client, &address, id).await;
            for mark in marks {
                let found = events.iter().any(|e| {
                    e["data"]["title"] == mark
                        || e["data"]["reply"]["body"] == mark
                        || e["data"]["body"] == mark
                });
                assert!(
                    found,
                    "round {round}: acknowledged change {mark:?} of {id} was lost"
                );
            }
        }
        if let (Some(first), Some(last)) = (served.first(), served.last()) {
            consistent_with(&data, &address, &vkey, first, "first");
            consistent_with(&data, &address, &vkey, last, "last");
        }
        all.reviews.extend(round_ack.reviews);
        all.marks.extend(round_ack.marks);
    }
    assert!(
        all.reviews.len() >= CRASHES,
        "the load wrote: {}",
        all.reviews.len()
    );
    assert!(!all.marks.is_empty(), "the load edited and replied");
    eprintln!(
        "crash loop: {CRASHES} kills, {} reviews and {} changes acknowledged, none lost",
        all.reviews.len(),
        all.marks.len()
    );
}
