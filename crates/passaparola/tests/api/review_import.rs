//! `passaparola reviews import`: the real binary beside a running server. Imported reviews
//! are published labelled with their source and original date on the API, the pages and
//! the feed; never verified, counted in no figure, absent from JSON-LD and the widget; their
//! `review_imported` entries keep the log valid for both verifiers; a second run adds
//! nothing, and a file with a bad row writes nothing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use crate::auditors::independent_verifier;
use crate::cli::{Server, create_business, reviewed, run, stderr, stdout};
use crate::helpers::read;

const HEADER: &str = "source,external_id,original_date,rating,title,body,author_name,language\n";

fn write_csv(dir: &Path, name: &str, csv: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, csv).unwrap();
    path
}

fn import(dir: &Path, file: &Path) -> std::process::Output {
    run(
        dir,
        &[
            "reviews",
            "import",
            "--business",
            "trattoria",
            file.to_str().unwrap(),
        ],
    )
}

async fn get(client: &reqwest::Client, url: String) -> reqwest::Response {
    client.get(url).send().await.unwrap()
}

async fn json_of(client: &reqwest::Client, url: String) -> Value {
    read(get(client, url).await).await.expect(200).body
}

/// The reviews in the page's JSON-LD (none without JSON-LD).
fn jsonld_reviews(html: &str) -> usize {
    let Some(start) = html.find("<script type=\"application/ld+json\">") else {
        return 0;
    };
    let rest = &html[start..];
    let body = &rest[rest.find('>').unwrap() + 1..rest.find("</script>").unwrap()];
    let v: Value = serde_json::from_str(body).unwrap();
    v["review"].as_array().map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_reviews_are_labelled_everywhere_and_counted_nowhere() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let server = Server::start(dir.path(), &log);
    let key = create_business(dir.path(), "trattoria");
    let client = reqwest::Client::new();
    let address = &server.address;
    reviewed(&client, address, &key, "ORD-1", 5).await;
    let summary_url = format!("{address}/api/v1/businesses/trattoria/summary");
    let before = json_of(&client, summary_url.clone()).await;
    assert_eq!(before["review_count"], 1);

    // A bad row (a rating of 6, a date to come): nothing is written.
    let bad = write_csv(
        dir.path(),
        "bad.csv",
        &format!(
            "{HEADER}Google,g-1,2024-05-01,4,Buono,Ottimo,Anna,it\n\
             Google,g-2,2999-05-01,6,Buono,Ottimo,Bea,it\n"
        ),
    );
    let out = import(dir.path(), &bad);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("line 3, original_date"), "{err}");
    assert!(err.contains("line 3, rating"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    assert!(!err.contains("Bea"), "no cell's value is repeated: {err}");

    let file = write_csv(
        dir.path(),
        "google.csv",
        &format!(
            "{HEADER}Google,g-1,2024-05-01,2,Lento,\"Pizza buona, servizio lento.\",Anna,it\n\
             Google,g-2,2023-11-20,5,Ottimo,Cena perfetta.,Bea,it\n\
             Schede cartacee,,2022-06-02,4,Bene,Tutto bene <script>alert(1)</script>,Carlo,it\n"
        ),
    );
    let out = import(dir.path(), &file);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("imported 3 reviews (0 already there)"),
        "{}",
        stdout(&out)
    );
    let again = import(dir.path(), &file);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stdout(&again).contains("imported 0 reviews (3 already there)"),
        "{}",
        stdout(&again)
    );

    // The API: four reviews, three of them imported with their origin, none verified.
    let list = json_of(
        &client,
        format!("{address}/api/v1/businesses/trattoria/reviews?limit=10"),
    )
    .await;
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 4, "{list}");
    let imported: Vec<&Value> = items.iter().filter(|r| !r["imported"].is_null()).collect();
    assert_eq!(imported.len(), 3);
    for r in &imported {
        assert_eq!(r["verified"], false);
    }
    let anna = imported
        .iter()
        .find(|r| r["author_name"] == "Anna")
        .unwrap();
    assert_eq!(anna["imported"]["source"], "Google");
    assert_eq!(anna["imported"]["original_date"], "2024-05-01");
    let anna_id = anna["id"].as_str().unwrap().to_owned();

    // Its history starts with its own event.
    let history = json_of(
        &client,
        format!("{address}/api/v1/reviews/{anna_id}/history"),
    )
    .await;
    assert_eq!(history["events"][0]["kind"], "review_imported", "{history}");

    // The business answers it; the figures do not move.
    read(
        client
            .put(format!("{address}/api/v1/reviews/{anna_id}/reply"))
            .bearer_auth(&key)
            .json(&json!({"body": "Grazie, Anna.", "responder_name": "Gino"}))
            .send()
            .await
            .unwrap(),
    )
    .await
    .expect(201);
    let after = json_of(&client, summary_url).await;
    for figure in [
        "review_count",
        "rating_average",
        "distribution",
        "reply_rate",
        "median_reply_seconds",
    ] {
        assert_eq!(after[figure], before[figure], "{figure}");
    }

    // The business page labels each one, escapes its words, and keeps it out of JSON-LD.
    let page = get(&client, format!("{address}/b/trattoria"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        page.matches("Importata, non verificata").count(),
        3,
        "{page}"
    );
    assert!(page.contains("In origine su Google"), "{page}");
    assert!(page.contains("Schede cartacee"));
    assert!(!page.contains("<script>alert(1)"));
    assert_eq!(jsonld_reviews(&page), 1, "only the verified review");
    let permalink = client
        .get(format!("{address}/b/trattoria/r/{anna_id}"))
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(permalink.contains("Imported, not verified"), "{permalink}");
    assert!(permalink.contains("Originally on Google"), "{permalink}");
    assert!(
        permalink.contains("Imported from elsewhere"),
        "its history names the event"
    );
    assert!(!permalink.contains("Unknown localization"), "{permalink}");
    assert_eq!(jsonld_reviews(&permalink), 0);

    // The widget speaks of verified reviews: it shows none of them, even after an import
    // larger than the pages it reads. The feed labels them.
    let mut many = HEADER.to_owned();
    for i in 0..60 {
        many.push_str(&format!(
            "Google,m-{i},2024-02-01,3,Così così,Niente di speciale.,Ospite {i},it\n"
        ));
    }
    let out = import(dir.path(), &write_csv(dir.path(), "many.csv", &many));
    assert!(out.status.success(), "{}", stderr(&out));
    let widget = json_of(
        &client,
        format!("{address}/api/v1/businesses/trattoria/widget"),
    )
    .await;
    let shown = widget["reviews"].as_array().unwrap();
    assert_eq!(shown.len(), 1, "{widget}");
    assert_eq!(shown[0]["author_name"], "Maria", "{widget}");
    let feed = get(&client, format!("{address}/b/trattoria/feed.atom?lang=en"))
        .await
        .text()
        .await
        .unwrap();
    let labelled = feed
        .matches("Imported, not verified: Originally on")
        .count();
    assert_eq!(
        labelled, 50,
        "each of the feed's 50 newest is imported, and says so"
    );

    // Both verifiers accept the log once the server's checkpoint covers the imports.
    let vkey = stdout(&run(dir.path(), &["log", "key"])).trim().to_owned();
    let size = 1 + 3 + 1 + 60; // the review, three imports, the reply, sixty imports
    let start = std::time::Instant::now();
    loop {
        let checkpoint = get(&client, format!("{address}/log/checkpoint"))
            .await
            .text()
            .await
            .unwrap();
        let covered: u64 = checkpoint.lines().nth(1).unwrap().parse().unwrap();
        if covered >= size {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "{checkpoint}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ours = run(dir.path(), &["verify", "log", address, "--key", &vkey]);
    assert!(ours.status.success(), "{}", stderr(&ours));
    let theirs = independent_verifier(&["log", &format!("{address}/log"), "--key", &vkey]);
    assert!(
        theirs.status.success(),
        "{}{}",
        String::from_utf8_lossy(&theirs.stdout),
        String::from_utf8_lossy(&theirs.stderr)
    );
}
