//! Auditors from the outside. The independent verifier (`tools/verifier`, Python's standard
//! library only, sharing no code with us) and `passaparola verify` both check a live log with
//! every kind of event, accept it, and refuse it after any single flipped byte.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use axum::http::{StatusCode, Uri};
use reqwest::Method;
use serde_json::json;

use crate::cli::{run, stderr, stdout};
use crate::helpers::TestApp;

pub(crate) fn independent_verifier(args: &[&str]) -> Output {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/verifier/passaparola_verify.py");
    Command::new("python3")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 runs the independent verifier (tools/verifier)")
}

/// A log past one full tile (so a full and a partial level-0 tile and bundle, and a level-1
/// tile exist) holding every kind of event. Returns the checkpoint seen after the first
/// entries, and receipts: a submission's, the latest review's, and a withdrawal's.
async fn busy_log(app: &TestApp, dir: &Path) -> (PathBuf, Vec<PathBuf>) {
    let first = app.review("ORD-0", 1).await;
    let id = first["id"].as_str().unwrap();
    let edit = first["edit_token"].as_str().unwrap();
    let path = format!("/api/v1/reviews/{id}");
    let mut receipts = vec![(first["receipt"].as_str().unwrap().to_owned(), "first")];
    app.request(
        Method::PATCH,
        &path,
        Some(edit),
        Some(&json!({"rating": 2})),
    )
    .await
    .expect(200);
    let reply = json!({"body": "Ci dispiace, rimedieremo.", "responder_name": "Gino"});
    for status in [201, 200] {
        app.request(
            Method::PUT,
            &format!("{path}/reply"),
            Some(&app.api_key),
            Some(&reply),
        )
        .await
        .expect(status);
    }
    app.request(
        Method::POST,
        &format!("{path}/follow-up"),
        Some(edit),
        Some(&json!({"body": "Grazie della risposta."})),
    )
    .await
    .expect(201);
    let old = dir.join("old-checkpoint");
    let (_, signed) = get_bytes(app, "/log/checkpoint").await;
    std::fs::write(&old, signed).unwrap();
    let second = app.review("ORD-1", 5).await;
    let second_path = format!("/api/v1/reviews/{}", second["id"].as_str().unwrap());
    let second_edit = second["edit_token"].as_str().unwrap();
    app.request(Method::DELETE, &second_path, Some(second_edit), None)
        .await
        .expect(200);
    app.request(Method::POST, &format!("{path}/erase"), Some(edit), None)
        .await
        .expect(200);
    // A review imported from elsewhere (its own first event), answered by the business.
    let imported = import_one(app).await;
    app.request(
        Method::PUT,
        &format!("/api/v1/reviews/{imported}/reply"),
        Some(&app.api_key),
        Some(&reply),
    )
    .await
    .expect(201);
    // The business's invitation template, changed twice in Italian and once in English:
    // two template chains beside the reviews'.
    for (locale, subject) in [
        ("it", "Ordine {reference}"),
        ("en", "Order {reference}"),
        ("it", "Com'è andato {reference}?"),
    ] {
        app.request(
            Method::PUT,
            &format!("/api/v1/invitation-templates/{locale}"),
            Some(&app.api_key),
            Some(&json!({"subject": subject, "intro": "Grazie da {business}."})),
        )
        .await
        .expect(200);
    }
    let mut last = second;
    for i in 2..270 {
        last = app.review(&format!("ORD-{i}"), i % 5 + 1).await;
    }
    receipts.push((last["receipt"].as_str().unwrap().to_owned(), "last"));
    let (status, withdrawn) = get_bytes(app, &format!("{second_path}/receipt")).await;
    assert_eq!(status, 200);
    receipts.push((String::from_utf8(withdrawn).unwrap(), "withdrawn"));
    let files = receipts
        .into_iter()
        .map(|(text, name)| {
            let file = dir.join(format!("{name}.tlog-proof"));
            std::fs::write(&file, text).unwrap();
            file
        })
        .collect();
    (old, files)
}

/// Imports one review into the app's business, as `passaparola reviews import` does; its id.
async fn import_one(app: &TestApp) -> String {
    use domain::imported::{ImportedReview, ImportedReviewInput};
    let business = app
        .store
        .business_by_slug(&app.slug)
        .await
        .unwrap()
        .unwrap();
    let review = ImportedReview::parse(
        ImportedReviewInput {
            source: "Google",
            external_id: Some("g-1"),
            original_date: "2024-05-01",
            rating: 2,
            title: "Lento",
            body: "Servizio lento.",
            author_name: "Marco",
            language: "it",
            ..Default::default()
        },
        chrono::Utc::now(),
    )
    .unwrap();
    let write = app
        .store
        .write_review(store::ReviewCommand::Import {
            business: business.id,
            id: domain::ids::ReviewId::generate(),
            review,
            at: chrono::Utc::now(),
        })
        .await
        .unwrap();
    write.review.id.to_string()
}

async fn get_bytes(app: &TestApp, path: &str) -> (u16, Vec<u8>) {
    let resp = app
        .client
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.bytes().await.unwrap().to_vec())
}

// Multi-threaded: the verifiers run as blocking child processes while the servers answer them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_independent_verifier_and_ours_accept_the_log_and_refuse_any_flipped_byte() {
    // Without write limits: one client submits 270 reviews.
    let app = TestApp::spawn_unlimited().await;
    let dir = tempfile::tempdir().unwrap();
    let (old, receipts) = busy_log(&app, dir.path()).await;
    let mirror = dir.path().join("mirror");
    let (old_s, mirror_s) = (old.to_str().unwrap(), mirror.to_str().unwrap());

    // The independent verifier reads the live log over HTTP, and keeps what it read.
    let prefix = format!("{}/log", app.address);
    let out = independent_verifier(&[
        "log",
        &prefix,
        "--key",
        &app.log_key,
        "--old-checkpoint",
        old_s,
        "--mirror",
        mirror_s,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));

    // On that copy: everything verifies, then every byte of every file is flipped in turn.
    let mut args = vec![
        "selftest",
        mirror_s,
        "--key",
        &app.log_key,
        "--old-checkpoint",
        old_s,
    ];
    for r in &receipts {
        args.extend(["--receipt", r.to_str().unwrap()]);
    }
    let out = independent_verifier(&args);
    let report = stdout(&out);
    assert!(out.status.success(), "{report}{}", stderr(&out));
    let summary = report
        .lines()
        .find(|l| l.starts_with("selftest: "))
        .unwrap_or_else(|| panic!("no summary in {report}"));
    let counts: Vec<u64> = summary
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    assert_eq!(counts.len(), 3, "{summary}");
    assert_eq!(
        counts[0],
        1 + receipts.len() as u64,
        "the log and each receipt: {summary}"
    );
    // Every byte of ~270 84-byte entries alone is over 22,000 flips.
    assert!(counts[1] > 30_000, "{summary}");
    assert_eq!(counts[2], 0, "{summary}");

    // Our own monitor, served the same copy with one byte flipped, refuses it too.
    our_monitor_refuses_flipped_bytes(&mirror, &app.log_key, &old).await;
}

/// Serves `files` (paths under `/log/`) as a static log would.
async fn serve(files: Arc<Mutex<HashMap<String, Vec<u8>>>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().fallback(move |uri: Uri| {
        let files = files.clone();
        async move {
            let path = uri.path().trim_start_matches("/log/").to_owned();
            match files.lock().unwrap().get(&path) {
                Some(bytes) => (StatusCode::OK, bytes.clone()),
                None => (StatusCode::NOT_FOUND, Vec::new()),
            }
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    address
}

async fn our_monitor_refuses_flipped_bytes(mirror: &Path, key: &str, old: &Path) {
    let mut files = HashMap::new();
    for entry in walk(mirror) {
        let name = entry
            .strip_prefix(mirror)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        files.insert(name, std::fs::read(&entry).unwrap());
    }
    assert!(files.len() >= 6, "{:?}", files.keys());
    let files = Arc::new(Mutex::new(files));
    let address = serve(files.clone()).await;
    let work = tempfile::tempdir().unwrap();
    let state = work.path().join("state");
    let monitor = |state: Option<&Path>| {
        let mut args = vec!["verify", "log", &address, "--key", key];
        if let Some(s) = state {
            args.extend(["--state", s.to_str().unwrap()]);
        }
        run(work.path(), &args)
    };
    std::fs::copy(old, &state).unwrap();
    let ok = monitor(Some(&state));
    assert!(ok.status.success(), "the copy verifies: {}", stderr(&ok));

    let names: Vec<String> = files.lock().unwrap().keys().cloned().collect();
    for name in names {
        let original = files.lock().unwrap()[&name].clone();
        for at in [0, original.len() / 2, original.len() - 1] {
            let mut bad = original.clone();
            bad[at] ^= 0x01;
            files.lock().unwrap().insert(name.clone(), bad);
            let out = monitor(None);
            assert!(
                !out.status.success(),
                "{name} with byte {at} flipped went unnoticed: {}",
                stdout(&out)
            );
        }
        files.lock().unwrap().insert(name, original);
    }
    // The checkpoint seen before, flipped: refused too.
    let seen = std::fs::read(old).unwrap();
    for at in [0, seen.len() / 2, seen.len() - 1] {
        let mut bad = seen.clone();
        bad[at] ^= 0x01;
        std::fs::write(&state, bad).unwrap();
        assert!(!monitor(Some(&state)).status.success(), "state byte {at}");
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The independent verifier's own unit tests (RFC 8032 and RFC 6962 vectors, captured data).
#[test]
fn the_independent_verifiers_own_tests_pass() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/verifier");
    let out = Command::new("python3")
        .args(["-m", "unittest", "discover", "-s"])
        .arg(&dir)
        .output()
        .expect("python3 runs the verifier's tests");
    let report = stderr(&out);
    assert!(out.status.success(), "{report}");
    assert!(report.contains("\nOK"), "{report}");
    assert!(!report.contains("Ran 0 tests"), "{report}");
}
