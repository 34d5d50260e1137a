//! The real binary: its commands, crash durability and log hygiene.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use serde_json::json;

use crate::helpers::{Sql, block_on, on_postgres, read, review_body};

/// The binary under test: this build's, or the one `PP_SERVER_BIN` names (`.ci/run` runs the
/// crash loop against the release build that way).
fn binary() -> std::ffi::OsString {
    std::env::var_os("PP_SERVER_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_passaparola").into())
}

fn passaparola(data_dir: &Path) -> Command {
    let mut cmd = Command::new(binary());
    cmd.env_clear()
        .env("PASSAPAROLA_DATA_DIR", data_dir)
        .env("PASSAPAROLA_LOG", "debug");
    // On PostgreSQL (`tests/postgres/run.sh`), each data directory has a database of its own.
    if let Some(url) = store_postgres::testing::database_for(data_dir) {
        cmd.env("PASSAPAROLA_DATABASE_URL", url);
    }
    cmd
}

pub(crate) fn run(data_dir: &Path, args: &[&str]) -> Output {
    passaparola(data_dir).args(args).output().unwrap()
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Creates a business with the CLI; returns its API key.
pub(crate) fn create_business(data_dir: &Path, slug: &str) -> String {
    let out = run(
        data_dir,
        &[
            "business",
            "create",
            "--name",
            "Bottega Prova",
            "--slug",
            slug,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("business id: "), "{text}");
    text.lines()
        .find_map(|l| l.strip_prefix("API key:"))
        .unwrap()
        .trim()
        .to_owned()
}

/// `passaparola verify log ADDRESS --key VKEY [--state FILE]`, run in `dir`: a monitor of the
/// log, consistent with the checkpoint the state file holds (and updating it).
pub(crate) fn monitor(dir: &Path, address: &str, vkey: &str, state: Option<&Path>) -> Output {
    let mut args = vec!["verify", "log", address, "--key", vkey];
    if let Some(state) = state {
        args.extend(["--state", state.to_str().unwrap()]);
    }
    run(dir, &args)
}

/// Creates a user of the business `slug` with the CLI; returns their first password.
pub(crate) fn create_user(data_dir: &Path, slug: &str, email: &str, name: &str) -> String {
    let out = run(
        data_dir,
        &[
            "user",
            "create",
            "--business",
            slug,
            "--email",
            email,
            "--name",
            name,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .unwrap()
        .to_owned()
}

/// Invites `reference` with the business's `key` over HTTP; the invitation's token.
pub(crate) async fn invited(
    client: &reqwest::Client,
    address: &str,
    key: &str,
    reference: &str,
) -> String {
    let inv = read(
        client
            .post(format!("{address}/api/v1/invitations"))
            .bearer_auth(key)
            .json(&json!({"reference": reference}))
            .send()
            .await
            .unwrap(),
    )
    .await
    .expect(201);
    inv.body["token"].as_str().unwrap().to_owned()
}

/// Invites `reference` with the business's `key` and submits its review over HTTP.
pub(crate) async fn reviewed(
    client: &reqwest::Client,
    address: &str,
    key: &str,
    reference: &str,
    rating: i64,
) -> crate::helpers::Reply {
    let token = invited(client, address, key, reference).await;
    read(
        client
            .post(format!("{address}/api/v1/reviews"))
            .json(&review_body(&token, rating))
            .send()
            .await
            .unwrap(),
    )
    .await
    .expect(201)
}

/// A server process on port 0; its log goes to `log`.
pub(crate) struct Server {
    child: Child,
    pub(crate) address: String,
}

impl Server {
    pub(crate) fn start(data_dir: &Path, log: &Path) -> Self {
        Self::start_with(data_dir, log, &[])
    }

    /// The server with more options for `serve`.
    pub(crate) fn start_with(data_dir: &Path, log: &Path, options: &[&str]) -> Self {
        Self::spawn(&mut passaparola(data_dir), log, options)
    }

    /// The server run by `wrapper` (a command and its arguments, such as `prlimit`).
    pub(crate) fn start_under(data_dir: &Path, log: &Path, wrapper: &[&str]) -> Self {
        let inner = passaparola(data_dir);
        let mut cmd = Command::new(wrapper[0]);
        cmd.env_clear()
            .envs(std::env::var_os("PATH").map(|p| ("PATH", p)))
            .envs(inner.get_envs().filter_map(|(k, v)| Some((k, v?))))
            .args(&wrapper[1..])
            .arg(inner.get_program());
        Self::spawn(&mut cmd, log, &[])
    }

    fn spawn(cmd: &mut Command, log: &Path, options: &[&str]) -> Self {
        let mut child = cmd
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(options)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let address = line
            .trim()
            .strip_prefix("Passaparola is listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_owned();
        Self { child, address }
    }

    /// The server's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM, then waits for the process to exit, at most `within`; its exit status, or
    /// `None` if it was still running.
    pub(crate) fn terminate(
        mut self,
        within: std::time::Duration,
    ) -> Option<std::process::ExitStatus> {
        // Sent by a system call, not the `kill` program, which a minimal machine may lack.
        let pid = rustix::process::Pid::from_child(&self.child);
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
        let started = std::time::Instant::now();
        while started.elapsed() < within {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        None
    }

    /// SIGKILL: no shutdown, no flushing, nothing.
    pub(crate) fn kill_9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn business_commands_answer_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let migrate = run(dir.path(), &["migrate"]);
    assert!(migrate.status.success(), "{}", stderr(&migrate));
    let version = if on_postgres() { 6 } else { 18 };
    assert!(
        stdout(&migrate).contains(&format!("schema version {version}")),
        "{}",
        stdout(&migrate)
    );

    let key = create_business(dir.path(), "bottega-prova");
    assert!(key.starts_with("ppk_"));

    let duplicate = run(
        dir.path(),
        &[
            "business",
            "create",
            "--name",
            "Altra",
            "--slug",
            "bottega-prova",
        ],
    );
    assert!(!duplicate.status.success());
    assert!(
        stderr(&duplicate).contains("already taken"),
        "{}",
        stderr(&duplicate)
    );

    let invalid = run(
        dir.path(),
        &[
            "business",
            "create",
            "--name",
            "",
            "--slug",
            "Bad Slug",
            "--website",
            "nope",
        ],
    );
    assert!(!invalid.status.success());
    let err = stderr(&invalid);
    for flag in ["--slug", "--name", "--website"] {
        assert!(err.contains(flag), "{flag} not named in: {err}");
    }
    assert!(!err.contains("panicked"));

    let rotate = run(
        dir.path(),
        &["business", "rotate-key", "--slug", "bottega-prova"],
    );
    assert!(rotate.status.success(), "{}", stderr(&rotate));
    assert!(!stdout(&rotate).contains(&key), "a new key");

    let unknown = run(dir.path(), &["business", "rotate-key", "--slug", "nessuno"]);
    assert!(!unknown.status.success());
    assert!(stderr(&unknown).contains("no business"));

    // A web user, with a first password shown once and stored only as its argon2id hash.
    let user = |email: &str, business: &str| {
        run(
            dir.path(),
            &[
                "user",
                "create",
                "--business",
                business,
                "--email",
                email,
                "--name",
                "Giulia",
                "--role",
                "Titolare",
            ],
        )
    };
    let created = user("giulia@example.it", "bottega-prova");
    assert!(created.status.success(), "{}", stderr(&created));
    let password = stdout(&created)
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .unwrap()
        .trim()
        .to_owned();
    assert!(password.len() >= 20);
    let stored = block_on(async {
        Sql::of_data_dir(dir.path())
            .await
            .value("SELECT password_hash FROM users", &[])
            .await
            .text()
    });
    assert!(stored.starts_with("$argon2id$") && !stored.contains(&password));
    assert!(app::passwords::verify(&password, Some(&stored)));
    for (email, business, says) in [
        (
            "GIULIA@example.it",
            "bottega-prova",
            "already has this e-mail",
        ),
        ("altra@example.it", "nessuno", "no business"),
        ("not-an-address", "bottega-prova", "--email"),
    ] {
        let out = user(email, business);
        assert!(!out.status.success(), "{email}");
        assert!(stderr(&out).contains(says), "{email}: {}", stderr(&out));
    }

    let bad_url = passaparola(dir.path())
        .args(["migrate", "--database-url", "mysql://x"])
        .output()
        .unwrap();
    assert!(!bad_url.status.success());
    assert!(stderr(&bad_url).contains("unsupported database URL"));
}

#[tokio::test]
async fn acknowledged_reviews_survive_kill_9_and_the_cli_works_beside_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    // A load test: 40 submissions at once from one client, past its write limit.
    let server = Server::start_with(dir.path(), &log, &["--no-rate-limits"]);
    // The command line writes to the same store while the server runs.
    let key = create_business(dir.path(), "bottega-prova");
    let client = reqwest::Client::new();

    let mut tokens = Vec::new();
    for i in 0..40 {
        let inv = read(
            client
                .post(format!("{}/api/v1/invitations", server.address))
                .bearer_auth(&key)
                .json(&json!({"reference": format!("ORD-{i}")}))
                .send()
                .await
                .unwrap(),
        )
        .await
        .expect(201);
        tokens.push(inv.body["token"].as_str().unwrap().to_owned());
    }
    // Submit concurrently, so that the writer batches them; keep what was acknowledged.
    let submissions = tokens.iter().map(|token| {
        let client = client.clone();
        let url = format!("{}/api/v1/reviews", server.address);
        let body = review_body(token, 3);
        async move { read(client.post(url).json(&body).send().await.unwrap()).await }
    });
    let acknowledged: Vec<String> = futures_join_all(submissions)
        .await
        .into_iter()
        .map(|r| r.expect(201).body["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(acknowledged.len(), 40);
    server.kill_9();

    let server = Server::start(dir.path(), &log);
    for id in &acknowledged {
        let review = read(
            client
                .get(format!("{}/api/v1/reviews/{id}", server.address))
                .send()
                .await
                .unwrap(),
        )
        .await
        .expect(200);
        assert_eq!(review.body["rating"], 3);
    }
    let summary = read(
        client
            .get(format!(
                "{}/api/v1/businesses/bottega-prova/summary",
                server.address
            ))
            .send()
            .await
            .unwrap(),
    )
    .await
    .expect(200);
    assert_eq!(summary.body["review_count"], 40);
}

#[tokio::test]
async fn logs_never_hold_keys_tokens_or_e_mail_addresses() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let server = Server::start(dir.path(), &log);
    let key = create_business(dir.path(), "bottega-prova");
    let client = reqwest::Client::new();
    let email = "riservato.cliente@example.it";
    let inv = read(
        client
            .post(format!("{}/api/v1/invitations", server.address))
            .bearer_auth(&key)
            .json(&json!({"reference": "ORD-1", "customer_email": email}))
            .send()
            .await
            .unwrap(),
    )
    .await
    .expect(201);
    let token = inv.body["token"].as_str().unwrap().to_owned();
    read(
        client
            .get(format!("{}/api/v1/invitations/{token}", server.address))
            .send()
            .await
            .unwrap(),
    )
    .await
    .expect(200);
    let review = read(
        client
            .post(format!("{}/api/v1/reviews", server.address))
            .json(&review_body(&token, 5))
            .send()
            .await
            .unwrap(),
    )
    .await
    .expect(201);
    let edit_token = review.body["edit_token"].as_str().unwrap().to_owned();
    read(
        client
            .patch(format!(
                "{}/api/v1/reviews/{}",
                server.address,
                review.body["id"].as_str().unwrap()
            ))
            .bearer_auth(&edit_token)
            .json(&json!({"rating": 4}))
            .send()
            .await
            .unwrap(),
    )
    .await
    .expect(200);
    drop(server);

    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("request"),
        "the log is written at all: {text}"
    );
    for secret in [key.as_str(), token.as_str(), edit_token.as_str(), email] {
        assert!(!text.contains(secret), "a secret reached the log");
    }
}

/// Runs futures concurrently on the current task (a tiny `join_all`, to avoid a dependency
/// for one test).
async fn futures_join_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test]
async fn the_operator_erases_beside_the_server_and_the_log_records_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let server = Server::start(dir.path(), &log);
    let key = create_business(dir.path(), "bottega-prova");
    let client = reqwest::Client::new();
    let review = reviewed(&client, &server.address, &key, "ORD-1", 2).await;
    let id = review.body["id"].as_str().unwrap().to_owned();

    let out = run(dir.path(), &["review", "erase", "--id", &id]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("erased"));
    let again = run(dir.path(), &["review", "erase", "--id", &id]);
    assert!(stdout(&again).contains("already erased"));
    let unknown = run(dir.path(), &["review", "erase", "--id", "nope"]);
    assert!(!unknown.status.success());

    let url = format!("{}/api/v1/reviews/{id}", server.address);
    let erased = read(client.get(&url).send().await.unwrap())
        .await
        .expect(200);
    assert_eq!(erased.body["status"], "erased");
    // The server seals the command line's entry within a few seconds.
    let log_index = erased.body["log"]["index"].as_u64().unwrap();
    let mut covered = false;
    for _ in 0..50 {
        let cp = client
            .get(format!("{}/log/checkpoint", server.address))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let size: u64 = cp.lines().nth(1).unwrap().parse().unwrap();
        if size > log_index {
            covered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(covered, "the erasure entry was never checkpointed");
}

/// A write by another process (the operator's erasure from the command line) reaches the
/// server's cached public reads within a second, ready responses included.
#[tokio::test]
async fn an_erasure_from_the_command_line_leaves_the_public_reads_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let server = Server::start(dir.path(), &log);
    let key = create_business(dir.path(), "bottega-prova");
    let client = reqwest::Client::new();
    let mut ids = Vec::new();
    for (reference, rating) in [("ORD-1", 2), ("ORD-2", 5)] {
        let review = reviewed(&client, &server.address, &key, reference, rating).await;
        ids.push(review.body["id"].as_str().unwrap().to_owned());
    }
    let base = format!("{}/api/v1/businesses/bottega-prova", server.address);
    let reads = |client: &reqwest::Client| {
        let (summary, list) = (format!("{base}/summary"), format!("{base}/reviews"));
        let client = client.clone();
        async move {
            let s = read(client.get(&summary).send().await.unwrap())
                .await
                .expect(200);
            let l = read(client.get(&list).send().await.unwrap())
                .await
                .expect(200);
            let listed: Vec<String> = l.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_owned())
                .collect();
            (s.body["review_count"].as_u64().unwrap(), listed)
        }
    };
    // Read twice: the second answer comes from the cache's ready responses.
    reads(&client).await;
    let (count, listed) = reads(&client).await;
    assert_eq!(count, 2);
    assert!(listed.contains(&ids[0]));

    let out = run(dir.path(), &["review", "erase", "--id", &ids[0]]);
    assert!(out.status.success(), "{}", stderr(&out));
    let erased = std::time::Instant::now();
    loop {
        let (count, listed) = reads(&client).await;
        if count == 1 && !listed.contains(&ids[0]) {
            break;
        }
        assert!(
            erased.elapsed() < std::time::Duration::from_secs(1),
            "still shown a second after the erasure: {count} reviews, {listed:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn an_auditor_verifies_receipts_and_monitors_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    // 300 submissions from one client, past its write limit.
    let server = Server::start_with(dir.path(), &log, &["--no-rate-limits"]);
    let key = create_business(dir.path(), "bottega-prova");
    let vkey_out = run(dir.path(), &["log", "key"]);
    assert!(vkey_out.status.success(), "{}", stderr(&vkey_out));
    let vkey = stdout(&vkey_out).trim().to_owned();
    let client = reqwest::Client::new();
    let submit = |reference: String| {
        let client = client.clone();
        let (address, key) = (server.address.clone(), key.clone());
        async move { reviewed(&client, &address, &key, &reference, 4).await }
    };
    let first = submit("ORD-0".into()).await;
    let receipt = dir.path().join("review.tlog-proof");
    std::fs::write(&receipt, first.body["receipt"].as_str().unwrap()).unwrap();
    let ok = run(
        dir.path(),
        &[
            "verify",
            "receipt",
            receipt.to_str().unwrap(),
            "--key",
            &vkey,
        ],
    );
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(stdout(&ok).contains("review_published"));

    // One flipped byte anywhere in the receipt is refused.
    let text = std::fs::read(&receipt).unwrap();
    for i in (0..text.len()).step_by(7) {
        let mut bad = text.clone();
        bad[i] ^= 0x01;
        let path = dir.path().join("bad.tlog-proof");
        std::fs::write(&path, &bad).unwrap();
        let out = run(
            dir.path(),
            &["verify", "receipt", path.to_str().unwrap(), "--key", &vkey],
        );
        assert!(!out.status.success(), "byte {i} flipped went unnoticed");
    }

    let state = dir.path().join("monitor.state");
    let monitor = |state: &Path| {
        run(
            dir.path(),
            &[
                "verify",
                "log",
                &server.address,
                "--key",
                &vkey,
                "--state",
                state.to_str().unwrap(),
            ],
        )
    };
    let out = monitor(&state);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("every chain complete"));
    // The log grows past a full tile; the monitor checks consistency with what it saw.
    for i in 1..300 {
        submit(format!("ORD-{i}")).await;
    }
    let out = monitor(&state);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("consistent with the checkpoint of 1 entries"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("1 upper tiles"), "{}", stdout(&out));
    // The log's own prefix URL, as C2SP tools take it, works as well as the base URL.
    let prefix = format!("{}/log/", server.address);
    let out = run(dir.path(), &["verify", "log", &prefix, "--key", &vkey]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("every chain complete"),
        "{}",
        stdout(&out)
    );
    let nowhere = format!("{}/nothing", server.address);
    let out = run(dir.path(), &["verify", "log", &nowhere, "--key", &vkey]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no log at"), "{}", stderr(&out));
    // A checkpoint from another log (another key) is refused.
    let other = ledger::note::LogSigner::from_seed("127.0.0.1/log", [1; 32]).unwrap();
    let wrong = run(
        dir.path(),
        &[
            "verify",
            "log",
            &server.address,
            "--key",
            other.verifier_key(),
        ],
    );
    assert!(!wrong.status.success());
}
