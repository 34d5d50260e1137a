//! `passaparola invitations import`: the real binary on a real database. A large file is
//! imported once, and again without a change; a file with bad rows writes nothing; with the
//! e-mail options the invitations' e-mail waits in the outbox for a server to send it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;

use crate::cli::{Server, create_business, run, stderr, stdout};
use crate::helpers::{Sql, on_postgres};
use crate::smtp::{Smtp, link_after};

const HEADER: &str = "reference,email,name,relationship,locale,products,send_at\n";

/// Writes `csv` into `dir` as `name`; its path.
fn write_csv(dir: &Path, name: &str, csv: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, csv).unwrap();
    path
}

/// A data directory holding a business `bottega-csv`. On PostgreSQL also the instance key,
/// as the server's first start makes it (the command makes one only beside the SQLite file).
fn instance() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    create_business(dir.path(), "bottega-csv");
    if on_postgres() {
        app::config::instance_key(dir.path()).unwrap();
    }
    dir
}

/// `passaparola invitations import --business SLUG FILE [OPTIONS…]`.
fn import(dir: &Path, slug: &str, file: &Path, options: &[&str]) -> std::process::Output {
    let mut args = vec![
        "invitations",
        "import",
        "--business",
        slug,
        file.to_str().unwrap(),
    ];
    args.extend(options);
    run(dir, &args)
}

async fn count(dir: &Path, query: &str) -> i64 {
    Sql::of_data_dir(dir).await.count(query, &[]).await
}

/// Waits until `query` counts `want` (the server records a send just after it).
async fn wait_count(dir: &Path, query: &str, want: i64) {
    let start = std::time::Instant::now();
    loop {
        let n = count(dir, query).await;
        if n == want {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "{n}, not {want}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A date in ten days, as the file's `send_at` gives it (the invitations last 90).
fn in_ten_days() -> String {
    (Utc::now() + chrono::Duration::days(10))
        .format("%Y-%m-%d")
        .to_string()
}

#[tokio::test]
async fn ten_thousand_rows_are_imported_once() {
    let dir = instance();
    let later = in_ten_days();
    let relationships = ["customer", "Supplier", "employee", "partner"];
    let mut csv = HEADER.to_owned();
    for i in 0..10_000 {
        // Every column, each sometimes empty.
        let email = if i % 5 == 0 {
            String::new()
        } else {
            format!("cliente{i}@example.it")
        };
        let name = if i % 7 == 0 {
            String::new()
        } else {
            format!("Cliente {i}")
        };
        let locale = ["it", "EN", ""][i % 3];
        let products = match i % 4 {
            0 => String::new(),
            1 => format!("SKU-{i}=Pasta di Gragnano"),
            // Quoted, for the comma.
            _ => format!("\"SKU-{i}=Pasta; OLIO-{}=Olio, extravergine\"", i % 9),
        };
        let send_at = if i % 2 == 0 { later.as_str() } else { "" };
        writeln!(
            csv,
            "ORD-{i:05},{email},{name},{},{locale},{products},{send_at}",
            relationships[i % 4]
        )
        .unwrap();
    }
    let file = write_csv(dir.path(), "ordini.csv", &csv);

    let first = import(dir.path(), "bottega-csv", &file, &[]);
    assert!(first.status.success(), "{}", stderr(&first));
    let said = stdout(&first);
    assert!(
        said.contains("imported 10000 invitations (0 already there)"),
        "{said}"
    );
    // No --smtp-url: the invitations are not mailed, and the command says so.
    assert!(said.contains("no e-mail scheduled"), "{said}");
    assert!(said.contains("--smtp-url"), "{said}");
    let csv_rows = "SELECT count(*) FROM invitations WHERE source = 'csv'";
    assert_eq!(count(dir.path(), csv_rows).await, 10_000);
    assert_eq!(
        count(dir.path(), "SELECT count(*) FROM invitations").await,
        10_000
    );
    // Products: none for a quarter, one for a quarter, two for half.
    let products = "SELECT count(*) FROM invitation_products";
    assert_eq!(count(dir.path(), products).await, 2_500 + 2 * 5_000);
    assert_eq!(count(dir.path(), "SELECT count(*) FROM outbox").await, 0);
    let sql = Sql::of_data_dir(dir.path()).await;
    let row = sql
        .rows(
            "SELECT customer_email, customer_name, relationship, locale FROM invitations \
             WHERE reference = 'ORD-00001'",
            &[],
        )
        .await;
    assert_eq!(row[0][0].text(), "cliente1@example.it");
    assert_eq!(row[0][1].text(), "Cliente 1");
    assert_eq!(row[0][2].text(), "supplier");
    assert_eq!(row[0][3].text(), "en");

    // The same file again: every reference is found, nothing is written.
    let again = import(dir.path(), "bottega-csv", &file, &[]);
    assert!(again.status.success(), "{}", stderr(&again));
    let said = stdout(&again);
    assert!(
        said.contains("imported 0 invitations (10000 already there)"),
        "{said}"
    );
    assert_eq!(count(dir.path(), csv_rows).await, 10_000);
    assert_eq!(count(dir.path(), products).await, 12_500);
}

#[tokio::test]
async fn a_file_with_bad_rows_imports_nothing_and_names_every_bad_line() {
    let dir = instance();
    let file = write_csv(
        dir.path(),
        "ordini.csv",
        &format!(
            "{HEADER}\
             A-1,anna@example.it,Anna,customer,it,,\n\
             A-2,not-an-address,Bruno,customer,it,,\n\
             A-3,carla@example.it,Carla,customer,it,,\n\
             A-4,,,,,,\n\
             A-5,elena@example.it,Elena,customer,en,,\n\
             A-6,franco@example.it,Franco,customer,fr,,\n\
             A-7,giulia@example.it,Giulia,customer,it,,\n"
        ),
    );
    let out = import(dir.path(), "bottega-csv", &file, &[]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("line 3, email"), "{err}");
    assert!(err.contains("line 7, locale"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    assert!(err.contains("ordini.csv"), "{err}");
    // The cells' values are personal data: the message names lines, not contents.
    assert!(!err.contains("not-an-address"), "{err}");
    assert!(!stdout(&out).contains("imported"), "{}", stdout(&out));
    assert_eq!(
        count(dir.path(), "SELECT count(*) FROM invitations").await,
        0
    );

    // A header that is not one.
    let headless = write_csv(dir.path(), "dati.csv", "A-1,anna@example.it\n");
    let out = import(dir.path(), "bottega-csv", &headless, &[]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("dati.csv") && err.contains("header"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(
        count(dir.path(), "SELECT count(*) FROM invitations").await,
        0
    );
}

#[tokio::test]
async fn an_unknown_business_or_a_missing_file_is_named() {
    let dir = instance();
    let file = write_csv(
        dir.path(),
        "ordini.csv",
        &format!("{HEADER}A-1,anna@example.it,Anna,customer,it,,\n"),
    );

    let out = import(dir.path(), "nessuna-bottega", &file, &[]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("no business has the slug \"nessuna-bottega\""),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");

    let missing = dir.path().join("non-ce.csv");
    let out = import(dir.path(), "bottega-csv", &missing, &[]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains(missing.to_str().unwrap()), "{err}");
    assert!(!err.contains("panicked"), "{err}");

    // Another data directory than the instance's: its key is not there, and a new one would
    // give the invitations links that the server could not open.
    let other = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("passaparola.db").display());
    let mut options = vec!["--data-dir", other.path().to_str().unwrap()];
    if !on_postgres() {
        options.extend(["--database-url", database.as_str()]);
    }
    let out = import(dir.path(), "bottega-csv", &file, &options);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("no instance key"), "{err}");
    assert!(!other.path().join("instance.key").exists());

    // The mail options are checked as `serve` checks them.
    let out = import(
        dir.path(),
        "bottega-csv",
        &file,
        &["--smtp-url", "smtp://x"],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--mail-from"), "{}", stderr(&out));
    assert_eq!(
        count(dir.path(), "SELECT count(*) FROM invitations").await,
        0
    );
}

#[tokio::test]
async fn with_the_mail_options_the_email_waits_in_the_outbox_for_a_server() {
    let smtp = Smtp::start();
    let dir = instance();
    let later = in_ten_days();
    let file = write_csv(
        dir.path(),
        "ordini.csv",
        &format!(
            "{HEADER}\
             M-1,anna@example.it,Anna Rossi,customer,it,CAF-1=Caffè in grani,\n\
             M-2,bruno@example.it,Bruno,customer,en,,\n\
             M-3,,Carla,customer,it,,\n\
             M-4,dario@example.it,Dario,customer,it,,{later}\n"
        ),
    );
    let url = smtp.url();
    let mail = [
        "--smtp-url",
        url.as_str(),
        "--mail-from",
        "Bottega Prova <inviti@passaparola.test>",
    ];
    let out = import(dir.path(), "bottega-csv", &file, &mail);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stdout(&out);
    assert!(
        said.contains("imported 4 invitations (0 already there)"),
        "{said}"
    );
    assert!(said.contains("e-mail scheduled for 3"), "{said}");
    let invitation_jobs = "SELECT count(*) FROM outbox WHERE kind = 'invitation'";
    let pending = "SELECT count(*) FROM outbox WHERE kind = 'invitation' AND state = 'pending'";
    assert_eq!(count(dir.path(), invitation_jobs).await, 3);
    assert_eq!(count(dir.path(), pending).await, 3);
    // The command schedules; it sends nothing itself.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(smtp.messages().is_empty(), "{:?}", smtp.messages());

    // Again: nothing new, and no second e-mail.
    let again = import(dir.path(), "bottega-csv", &file, &mail);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stdout(&again).contains("imported 0 invitations (4 already there)"),
        "{}",
        stdout(&again)
    );
    assert_eq!(count(dir.path(), invitation_jobs).await, 3);

    // A server with the same options sends what is due: two now, one in ten days.
    let log = dir.path().join("server.log");
    let server = Server::start_with(dir.path(), &log, &mail);
    let messages = smtp.wait_for(2, Duration::from_secs(15)).await;
    let mut to: Vec<String> = messages
        .iter()
        .map(|m| m["rcpt_tos"][0].as_str().unwrap().to_owned())
        .collect();
    to.sort();
    assert_eq!(to, ["anna@example.it", "bruno@example.it"]);
    wait_count(dir.path(), pending, 1).await;
    // Its link works: the command derived the invitation's token from the instance's key.
    let anna = messages
        .iter()
        .find(|m| m["rcpt_tos"][0] == "anna@example.it")
        .unwrap();
    let text = anna["text"].as_str().unwrap();
    assert!(text.contains("Caffè in grani"), "{text}");
    let link = link_after(text, &format!("{}/r/", server.address));
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let opened = browser.get(&link).send().await.unwrap();
    assert_eq!(opened.status(), 303, "{link}");
}
