//! The outbox across a `kill -9` of the real binary (`passaparola serve --smtp-url …`), on the
//! same data directory (and database) after the restart: a job committed with its invitation
//! but not yet sent is sent by the next server; a job claimed and handed to the SMTP server,
//! whose sender died before it learned the answer, is sent again once its lease ran out,
//! with the same Message-ID, and then counts as sent (no third copy).

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::cli::{Server, create_business};
use crate::helpers::read;
use crate::smtp::Smtp;
use crate::sql::Sql;

/// Generous: a restarted server rebuilds its log and waits for leases to run out, and
/// `slow…@` is answered only after six seconds.
const WAIT: Duration = Duration::from_secs(30);
/// The domain of the sender, hence of every Message-ID.
const FROM: &str = "Bottega Prova <inviti@passaparola.test>";

/// `serve`'s e-mail options, and more.
fn mail_options<'a>(smtp_url: &'a str, more: &[&'a str]) -> Vec<&'a str> {
    let mut options = vec!["--smtp-url", smtp_url, "--mail-from", FROM];
    options.extend(more);
    options
}

/// Invites over HTTP with the business's `key`; the created invitation.
async fn invite(address: &str, key: &str, body: Value) -> Value {
    read(
        reqwest::Client::new()
            .post(format!("{address}/api/v1/invitations"))
            .bearer_auth(key)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
    .expect(201)
    .body
}

/// The invitation e-mail's job: (id, state, attempts).
async fn job(data: &Path, invitation: &str) -> (String, String, i64) {
    let sql = Sql::of_data_dir(data).await;
    let rows = sql
        .rows(
            "SELECT id, state, attempts FROM outbox
             WHERE invitation_id = $1 AND kind = 'invitation'",
            &[invitation.into()],
        )
        .await;
    assert_eq!(rows.len(), 1, "one invitation job");
    (rows[0][0].text(), rows[0][1].text(), rows[0][2].int())
}

/// Waits until the invitation e-mail's job is in `state`; the job then.
async fn wait_job(data: &Path, invitation: &str, state: &str) -> (String, String, i64) {
    let start = Instant::now();
    loop {
        let job = job(data, invitation).await;
        if job.1 == state {
            return job;
        }
        assert!(
            start.elapsed() < WAIT,
            "the job is {job:?} after {WAIT:?}, waiting for {state}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn kill_9_between_the_commit_and_the_send_still_sends_the_message() {
    let smtp = Smtp::start();
    let url = smtp.url();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("server.log");
    let server = Server::start_with(&data, &log, &mail_options(&url, &[]));
    let key = create_business(&data, "bottega-posta");

    // Committed with its job, to be sent in three seconds; the server dies before then.
    let send_at = chrono::Utc::now() + chrono::Duration::seconds(3);
    let created = invite(
        &server.address,
        &key,
        json!({
            "reference": "K-1",
            "customer_email": "mario.rossi@example.it",
            "send_at": send_at.to_rfc3339(),
        }),
    )
    .await;
    server.kill_9();
    assert!(
        chrono::Utc::now() < send_at,
        "the server was killed before the send time"
    );
    assert_eq!(created["mail"], "scheduled");
    let id = created["id"].as_str().unwrap();
    assert!(smtp.messages().is_empty());
    let (_, state, attempts) = job(&data, id).await;
    assert_eq!((state.as_str(), attempts), ("pending", 0));

    // Its time comes and goes with no server: nothing is sent.
    let until_due = (send_at - chrono::Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(until_due + Duration::from_millis(500)).await;
    assert!(smtp.messages().is_empty());

    // The next server on the same data finds it due and sends it, once.
    let server = Server::start_with(&data, &log, &mail_options(&url, &[]));
    let messages = smtp.wait_for(1, WAIT).await;
    assert_eq!(messages[0]["rcpt_tos"], json!(["mario.rossi@example.it"]));
    let (job_id, _, attempts) = wait_job(&data, id, "sent").await;
    assert_eq!(attempts, 1);
    assert_eq!(
        messages[0]["message_id"],
        format!("<{job_id}@passaparola.test>")
    );
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(smtp.messages().len(), 1, "exactly one message");
    drop(server);
}

#[tokio::test]
async fn a_resend_after_a_crash_carries_the_same_message_id() {
    let smtp = Smtp::start();
    let url = smtp.url();
    // A lease of 14 s: a send may take half of it (7 s) before the worker gives up on it,
    // longer than the slow answer (6 s), and the resend comes at most 14 s after the crash.
    let options = mail_options(&url, &["--outbox-lease", "14"]);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("server.log");
    let server = Server::start_with(&data, &log, &options);
    let key = create_business(&data, "bottega-lenta");

    // `slow…@`: the SMTP server stores the message, then answers only after six seconds.
    let created = invite(
        &server.address,
        &key,
        json!({"reference": "S-1", "customer_email": "slow@example.it"}),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    smtp.wait_for(1, WAIT).await;
    // Killed while it waits for the answer: it never learns that the message was accepted.
    server.kill_9();
    let (job_id, state, attempts) = job(&data, id).await;
    assert_eq!(
        (state.as_str(), attempts),
        ("pending", 1),
        "claimed once, its outcome never recorded"
    );

    // The next server sends it again once the lease has run out (the SMTP server again
    // answers after six seconds, within the send's deadline), then records it sent.
    let server = Server::start_with(&data, &log, &options);
    let messages = smtp.wait_for(2, WAIT).await;
    let (_, _, attempts) = wait_job(&data, id, "sent").await;
    assert_eq!(attempts, 2);
    let first = messages[0]["message_id"].as_str().unwrap();
    assert_eq!(first, format!("<{job_id}@passaparola.test>"));
    assert_eq!(
        messages[1]["message_id"], first,
        "the resend carries the same Message-ID"
    );
    for m in &messages {
        assert_eq!(m["rcpt_tos"], json!(["slow@example.it"]));
    }
    // Sent is sent: no third copy.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(smtp.messages().len(), 2, "no third copy");
    drop(server);
}
