//! Password guessing: the limits on failed log-ins (per address and client, per client, per
//! address), and the bound on passwords hashed at once.

use reqwest::StatusCode;

use crate::cli::Server;
use crate::helpers::TestApp;
use crate::web::logged_in;

const PASSWORD: &str = "segreta-lunga-1";

/// A log-in post from the client `forwarded` (as a reverse proxy would say); its status and
/// `Retry-After`.
async fn login_as(
    address: &str,
    forwarded: &str,
    email: &str,
    password: &str,
) -> (u16, Option<String>) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    login_with(&client, address, forwarded, email, password).await
}

async fn login_with(
    client: &reqwest::Client,
    address: &str,
    forwarded: &str,
    email: &str,
    password: &str,
) -> (u16, Option<String>) {
    let resp = client
        .post(format!("{address}/login"))
        .header("origin", address)
        .header("x-forwarded-for", format!("198.51.100.1, {forwarded}"))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap();
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (resp.status().as_u16(), retry)
}

async fn login_from(app: &TestApp, forwarded: &str, email: &str, password: &str) -> u16 {
    login_as(&app.address, forwarded, email, password).await.0
}

/// Five wrong passwords for a known address used to lock its owner out for everyone, again
/// and again. Now they lock out the guesser only.
#[tokio::test]
async fn a_guesser_cannot_lock_the_owner_out() {
    let app = TestApp::spawn_behind_proxy().await;
    let (_, _) = logged_in(&app, "giulia@example.it").await;
    let guesser = "203.0.113.9";
    for _ in 0..app::logins::MAX_FAILURES {
        assert_eq!(
            login_from(&app, guesser, "giulia@example.it", "x").await,
            401
        );
    }
    let (status, retry) = login_as(&app.address, guesser, "Giulia@example.it", PASSWORD).await;
    assert_eq!(
        status, 429,
        "the guesser is refused, even the right password"
    );
    assert_eq!(retry.as_deref(), Some("900"));
    let owner = "198.51.100.77";
    let ok = login_from(&app, owner, "giulia@example.it", PASSWORD).await;
    assert_eq!(ok, 303, "the owner, from elsewhere, logs in");
}

/// Behind a proxy, a request that comes without `X-Forwarded-For` (one that reached the
/// server around the proxy, say) is limited as its peer, never unlimited.
#[tokio::test]
async fn behind_a_proxy_a_request_without_forwarded_for_is_its_peers() {
    let app = TestApp::spawn_behind_proxy().await;
    let (_, _) = logged_in(&app, "giulia@example.it").await;
    for i in 0..app::logins::MAX_CLIENT_FAILURES {
        assert_eq!(
            direct_login(&app, &format!("guess{i}@example.it"), "x").await,
            401
        );
    }
    let right = direct_login(&app, "giulia@example.it", PASSWORD).await;
    assert_eq!(right, 429, "the peer's guesses count against it");
}

/// A log-in post with no `X-Forwarded-For`.
async fn direct_login(app: &TestApp, email: &str, password: &str) -> u16 {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/login", app.address))
        .header("origin", app.address.as_str())
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn one_client_cannot_guess_across_many_accounts() {
    let app = TestApp::spawn_behind_proxy().await;
    let (_, _) = logged_in(&app, "giulia@example.it").await;
    // Each address stays under its own limit; the client passes its own.
    let guesser = "203.0.113.9:51234";
    for i in 0..app::logins::MAX_CLIENT_FAILURES {
        let email = format!("guess{i}@example.it");
        assert_eq!(login_from(&app, guesser, &email, "x").await, 401);
    }
    let right = login_from(&app, guesser, "giulia@example.it", PASSWORD).await;
    assert_eq!(right, 429, "this client is refused for a while");
    // Another client, the proxy's last word, is not.
    let other = login_from(&app, "203.0.113.10", "giulia@example.it", PASSWORD).await;
    assert_eq!(other, 303);
}

/// Without `--behind-proxy`, a loopback peer is a client like any other: its guesses count
/// (they went uncounted before, so made-up addresses from a local process were unlimited).
#[tokio::test]
async fn a_loopback_peer_is_limited_without_behind_proxy() {
    let app = TestApp::spawn().await;
    let (_, _) = logged_in(&app, "giulia@example.it").await;
    for i in 0..app::logins::MAX_CLIENT_FAILURES {
        let email = format!("guess{i}@example.it");
        assert_eq!(direct_login(&app, &email, "x").await, 401);
    }
    assert_eq!(direct_login(&app, "giulia@example.it", PASSWORD).await, 429);
}

/// Many log-ins at once from many clients: a bounded number are hashed, a bounded number
/// wait, and the rest are told to come back (503 with `Retry-After`), never queued without
/// end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_log_ins_beyond_the_gate_are_told_to_come_back() {
    let app = TestApp::spawn_behind_proxy().await;
    let answers = storm(&app.address, 150).await;
    let busy = answers.iter().filter(|(s, _)| *s == 503).count();
    assert!(busy > 0, "some were turned away: {answers:?}");
    for (status, retry) in &answers {
        match status {
            401 => assert_eq!(retry, &None),
            503 => assert_eq!(retry.as_deref(), Some("1")),
            other => panic!("unexpected status {other}"),
        }
    }
}

/// `n` log-ins at once, each from its own client and for its own (unknown) address, all
/// sent together once every task is ready (a barrier), through one HTTP client.
async fn storm(address: &str, n: u32) -> Vec<(u16, Option<String>)> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(n as usize));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (address, http, start) = (address.to_owned(), http.clone(), start.clone());
            tokio::spawn(async move {
                let client = format!("10.{}.{}.1", i / 250, i % 250);
                start.wait().await;
                let email = format!("nobody{i}@example.it");
                login_with(&http, &address, &client, &email, "x").await
            })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// The audit's finding, measured on the real binary: 300 parallel log-ins took the process
/// from 146 MiB to 5.8 GiB (19 MiB of argon2 each). Its peak resident memory now stays far
/// below that.
#[tokio::test]
async fn three_hundred_parallel_log_ins_do_not_exhaust_memory() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let server = Server::start_with(dir.path(), &log, &["--behind-proxy"]);
    let answers = storm(&server.address, 300).await;
    assert!(answers.iter().all(|(s, _)| [401, 503].contains(s)));
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid())).unwrap();
    let peak_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    assert!(
        peak_kib < 768 * 1024,
        "peak resident memory {} MiB",
        peak_kib / 1024
    );
    assert_eq!(
        reqwest::get(format!("{}/healthz", server.address))
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}
