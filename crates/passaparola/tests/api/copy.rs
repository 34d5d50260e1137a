//! `passaparola copy`: an instance moves from SQLite to PostgreSQL with nothing lost, and its
//! log goes on under the same key, consistent with every checkpoint seen before. PostgreSQL
//! only (`tests/postgres/run.sh`).

use std::path::Path;

use reqwest::header::COOKIE;
use serde_json::{Value, json};

use crate::cli::{Server, create_business, create_user, monitor, run, stderr, stdout};
use crate::helpers::{read, review_body};
use crate::people::log_in;
use crate::sql::{Cell, Param, Sql};

/// Makes every command and server on `dir` use the SQLite file in it, even in a PostgreSQL
/// run (the harness reads the directory's `test-database-url`).
fn on_sqlite(dir: &Path) -> String {
    let url = format!("sqlite://{}", dir.join("passaparola.db").display());
    std::fs::write(dir.join("test-database-url"), &url).unwrap();
    url
}

/// What a client sees of the instance: the business, its reviews, figures, one history, one
/// receipt, the log's checkpoint.
async fn seen(address: &str, slug: &str, review: &str) -> Vec<(String, Vec<u8>)> {
    let client = reqwest::Client::new();
    let mut all = Vec::new();
    for path in [
        format!("/api/v1/businesses/{slug}"),
        format!("/api/v1/businesses/{slug}/reviews?limit=100"),
        format!("/api/v1/businesses/{slug}/reviews?limit=100&sort=lowest"),
        format!("/api/v1/businesses/{slug}/summary"),
        format!("/api/v1/businesses/{slug}/stats"),
        format!("/api/v1/reviews/{review}/history"),
        format!("/api/v1/reviews/{review}/receipt"),
        "/log/checkpoint".to_owned(),
    ] {
        let resp = client.get(format!("{address}{path}")).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        all.push((path, resp.bytes().await.unwrap().to_vec()));
    }
    all
}

/// An answer without the moment it was computed at (`as_of`, in the score and the figures):
/// JSON without those fields, anything else as it is.
fn timeless(body: &[u8]) -> String {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(map) => {
                map.remove("as_of");
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(mut json) => {
            strip(&mut json);
            json.to_string()
        }
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    }
}

/// Mails two of the business's invitations, as the outbox would have (the tests' servers
/// send no mail): the answered `ORD-0` from a shop, its e-mail sent and its reminder
/// cancelled; the unused `ORD-UNUSED` from a CSV file, its e-mail failed and its reminder
/// pending, leased by a worker. And an address unsubscribed, and the business's own mail
/// settings. On the SQLite file of a stopped server; times from 2026-05-28.
async fn mail(sql: &Sql, slug: &str) {
    let business = sql
        .value("SELECT id FROM businesses WHERE slug = ?1", &[slug.into()])
        .await
        .text();
    let business: Param<'_> = business.as_str().into();
    let changed = sql
        .execute(
            "UPDATE invitations SET source = 'shopify', send_at = 1780003600000,
                 mail_status = 'sent', email_hash = ?2
             WHERE business_id = ?1 AND reference = 'ORD-0'",
            &[business, [1; 32].as_slice().into()],
        )
        .await;
    assert_eq!(changed, 1);
    let changed = sql
        .execute(
            "UPDATE invitations SET source = 'csv', send_at = 1780003600000,
                 mail_status = 'failed', mail_error = '451 greylisted', email_hash = ?2
             WHERE business_id = ?1 AND reference = 'ORD-UNUSED'",
            &[business, [2; 32].as_slice().into()],
        )
        .await;
    assert_eq!(changed, 1);
    let jobs = sql
        .execute(
            "INSERT INTO outbox (id, kind, business_id, invitation_id, state, due_at, attempts,
                                 leased_until, last_error, created_at, done_at)
             SELECT j.id, j.kind, i.business_id, i.id, j.state, j.due_at, j.attempts,
                    j.leased_until, j.last_error, 1780000000000, j.done_at
             FROM (SELECT '00000000-0000-0000-0000-000000000001' AS id, 'ORD-0' AS reference,
                          'invitation' AS kind, 'sent' AS state, 1780003600000 AS due_at,
                          1 AS attempts, NULL AS leased_until, NULL AS last_error,
                          1780003600000 AS done_at
                   UNION ALL SELECT '00000000-0000-0000-0000-000000000002', 'ORD-0',
                          'reminder', 'cancelled', 1780604800000, 0, NULL, 'answered',
                          1780007200000
                   UNION ALL SELECT '00000000-0000-0000-0000-000000000003', 'ORD-UNUSED',
                          'invitation', 'failed', 1780003600000, 5, NULL, '451 greylisted',
                          1780032400000
                   UNION ALL SELECT '00000000-0000-0000-0000-000000000004', 'ORD-UNUSED',
                          'reminder', 'pending', 1780604800000, 1, 1780605100000, NULL,
                          NULL) j
             JOIN invitations i ON i.reference = j.reference
             WHERE i.business_id = ?1",
            &[business],
        )
        .await;
    assert_eq!(jobs, 4);
    sql.execute(
        "INSERT INTO mail_suppressions (business_id, email_hash, created_at)
         VALUES (?1, ?2, 1780003600000)",
        &[business, [3; 32].as_slice().into()],
    )
    .await;
    sql.execute(
        "INSERT INTO mail_settings (business_id, shop_delay_hours, reminder_days)
         VALUES (?1, 48, 14)",
        &[business],
    )
    .await;
    // Its shop, one delivery of it, and its link secret's generation.
    sql.execute(
        "INSERT INTO shop_connections (business_id, kind, secret, created_at)
         VALUES (?1, 'shopify', 'shpss_0123456789abcdef', 1780000000000)",
        &[business],
    )
    .await;
    sql.execute(
        "INSERT INTO shop_deliveries (business_id, kind, delivery_id, received_at)
         VALUES (?1, 'shopify', 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043', 1780003600000)",
        &[business],
    )
    .await;
    sql.execute(
        "INSERT INTO link_secrets (business_id, generation, created_at)
         VALUES (?1, 3, 1780000000000)",
        &[business],
    )
    .await;
}

/// The invitations with their mail, the outbox, the unsubscribed addresses, the mail
/// settings, the shops, their deliveries, the link secrets' generations, and the products
/// (as the invitations listed them, and the business's) with their pages, pictures and
/// GTINs, each table's rows sorted, as both backends read them.
async fn mail_rows(sql: &Sql) -> Vec<Vec<Vec<Cell>>> {
    let mut tables = Vec::new();
    for query in [
        "SELECT id, business_id, reference, token_hash, relationship, customer_name,
                customer_email, locale, created_at, expires_at, source, send_at, mail_status,
                mail_error, email_hash
         FROM invitations",
        "SELECT id, kind, business_id, invitation_id, state, due_at, attempts, leased_until,
                last_error, created_at, done_at
         FROM outbox",
        "SELECT business_id, email_hash, created_at FROM mail_suppressions",
        "SELECT business_id, shop_delay_hours, reminder_days FROM mail_settings",
        "SELECT business_id, kind, secret, created_at FROM shop_connections",
        "SELECT business_id, kind, delivery_id, received_at FROM shop_deliveries",
        "SELECT business_id, generation, created_at FROM link_secrets",
        "SELECT invitation_id, position, sku, name, url, image, gtin FROM invitation_products",
        "SELECT business_id, sku, name, url, image, gtin FROM products",
    ] {
        let mut rows = sql.rows(query, &[]).await;
        rows.sort_by_key(|row| format!("{row:?}"));
        tables.push(rows);
    }
    tables
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_moves_to_postgresql_with_nothing_lost_and_its_log_goes_on() {
    let Ok(admin) = std::env::var(store_postgres::testing::ENV) else {
        eprintln!("skipped: copying to PostgreSQL needs PostgreSQL (tests/postgres/run.sh)");
        return;
    };
    // An instance on SQLite: a business with a key and a user, reviews (one answered, one
    // erased, one rating a product), an invitation not yet used, mail (see `mail`).
    let old = tempfile::tempdir().unwrap();
    let sqlite = on_sqlite(old.path());
    let server = Server::start_with(
        old.path(),
        &old.path().join("server.log"),
        &["--no-rate-limits"],
    );
    let key = create_business(old.path(), "bottega-migrata");
    let password = create_user(
        old.path(),
        "bottega-migrata",
        "giulia@example.it",
        "Giulia Bianchi",
    );
    let client = reqwest::Client::new();
    let invite = |reference: String, products: Value| {
        let (client, address, key) = (&client, &server.address, &key);
        async move {
            read(
                client
                    .post(format!("{address}/api/v1/invitations"))
                    .bearer_auth(key)
                    .json(
                        &json!({"reference": reference, "customer_email": "c@example.it",
                                  "products": products}),
                    )
                    .send()
                    .await
                    .unwrap(),
            )
            .await
            .expect(201)
            .body["token"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let mut ids = Vec::new();
    for n in 0..30 {
        let products = if n == 0 {
            json!([
                {"sku": "TAGL-1", "name": "Tagliatelle",
                 "url": "https://bottega.example.it/tagliatelle",
                 "image": "https://bottega.example.it/tagliatelle.jpg",
                 "gtin": "4006381333931"},
                {"sku": "TIRA-1", "name": "Tiramisù"},
            ])
        } else {
            json!([])
        };
        let token = invite(format!("ORD-{n}"), products).await;
        let mut body = review_body(&token, 1 + n % 5);
        if n == 0 {
            body["products"] = json!([{"sku": "TAGL-1", "rating": 5}]);
        }
        let review = read(
            client
                .post(format!("{}/api/v1/reviews", server.address))
                .json(&body)
                .send()
                .await
                .unwrap(),
        )
        .await
        .expect(201);
        ids.push((
            review.body["id"].as_str().unwrap().to_owned(),
            review.body["edit_token"].as_str().unwrap().to_owned(),
        ));
    }
    read(
        client
            .put(format!(
                "{}/api/v1/reviews/{}/reply",
                server.address, ids[1].0
            ))
            .bearer_auth(&key)
            .json(&json!({"body": "Grazie!", "responder_name": "Giulia Bianchi"}))
            .send()
            .await
            .unwrap(),
    )
    .await
    .expect(201);
    // The invitation template's first revision, logged on SQLite.
    let template = |address: &str, subject: &'static str| {
        let (client, key, address) = (&client, &key, address.to_owned());
        async move {
            read(
                client
                    .put(format!("{address}/api/v1/invitation-templates/it"))
                    .bearer_auth(key)
                    .json(&json!({"subject": subject, "intro": "Grazie da {business}."}))
                    .send()
                    .await
                    .unwrap(),
            )
            .await
            .expect(200)
            .body
        }
    };
    template(&server.address, "Ordine {reference}").await;
    let erased = run(old.path(), &["review", "erase", "--id", &ids[2].0]);
    assert!(erased.status.success(), "{}", stderr(&erased));
    let unused = invite("ORD-UNUSED".to_owned(), json!([])).await;
    // The server seals the command line's erasure within a couple of seconds.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let before = seen(&server.address, "bottega-migrata", &ids[1].0).await;
    let vkey = stdout(&run(old.path(), &["log", "key"])).trim().to_owned();
    let state = old.path().join("seen.checkpoint");
    let monitored = monitor(old.path(), &server.address, &vkey, Some(&state));
    assert!(monitored.status.success(), "{}", stderr(&monitored));
    assert!(
        server
            .terminate(std::time::Duration::from_secs(15))
            .is_some()
    );
    let source = Sql::sqlite(&old.path().join("passaparola.db"));
    mail(&source, "bottega-migrata").await;
    let mail_before = mail_rows(&source).await;
    let sizes: Vec<usize> = mail_before.iter().map(Vec::len).collect();
    assert_eq!(sizes, [31, 4, 1, 1, 1, 1, 1, 2, 2]);

    // The copy, into a new database.
    let target = store_postgres::testing::scratch_database(&admin)
        .await
        .unwrap();
    let copy = |to: &str| run(old.path(), &["copy", "--from", &sqlite, "--to", to]);
    let done = copy(&target);
    assert!(done.status.success(), "{}", stderr(&done));
    assert!(stdout(&done).contains("copied "), "{}", stdout(&done));
    // The invitations' mail, the outbox, the unsubscribed address and the settings, as they
    // were (before a server on the copy can move them on).
    assert_eq!(mail_rows(&Sql::postgres(&target).await).await, mail_before);

    // The same instance, served from PostgreSQL with the same keys.
    let new = tempfile::tempdir().unwrap();
    for file in ["log.key", "instance.key"] {
        std::fs::copy(old.path().join(file), new.path().join(file)).unwrap();
    }
    std::fs::write(new.path().join("test-database-url"), &target).unwrap();
    let moved = Server::start(new.path(), &new.path().join("server.log"));
    let after = seen(&moved.address, "bottega-migrata", &ids[1].0).await;
    for ((path, a), (_, b)) in before.iter().zip(&after) {
        assert_eq!(timeless(a), timeless(b), "{path} changed in the move");
    }
    // The product page still describes the product as its invitation did.
    let product = client
        .get(format!("{}/b/bottega-migrata/p/TAGL-1", moved.address))
        .send()
        .await
        .unwrap();
    assert_eq!(product.status(), 200);
    let html = product.text().await.unwrap();
    for described in [
        "\"gtin13\":\"4006381333931\"",
        "\"image\":\"https://bottega.example.it/tagliatelle.jpg\"",
    ] {
        assert!(html.contains(described), "{described} not in {html}");
    }
    // The log verifies with the old key, consistent with the checkpoint seen before.
    let monitored = monitor(new.path(), &moved.address, &vkey, Some(&state));
    assert!(monitored.status.success(), "{}", stderr(&monitored));

    // Secrets still open what they opened: the API key, the unused invitation, the edit
    // token, the user's password. And the log goes on from where it was.
    read(
        client
            .get(format!("{}/api/v1/invitations/{unused}", moved.address))
            .send()
            .await
            .unwrap(),
    )
    .await
    .expect(200);
    let review = read(
        client
            .post(format!("{}/api/v1/reviews", moved.address))
            .json(&review_body(&unused, 4))
            .send()
            .await
            .unwrap(),
    )
    .await
    .expect(201);
    assert!(review.body["receipt"].is_string(), "{}", review.body);
    read(
        client
            .patch(format!("{}/api/v1/reviews/{}", moved.address, ids[3].0))
            .bearer_auth(&ids[3].1)
            .json(&json!({"rating": 2}))
            .send()
            .await
            .unwrap(),
    )
    .await
    .expect(200);
    let cookie = log_in(&moved.address, "giulia@example.it", &password)
        .await
        .unwrap();
    let inbox = client
        .get(format!("{}/inbox", moved.address))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(inbox.status(), 200);
    // The template's next revision, logged on PostgreSQL, chained to the copied one.
    let second = template(&moved.address, "Com'è andato l'ordine {reference}?").await;
    assert_eq!(second["revision"], 2, "{second}");
    let start = std::time::Instant::now();
    loop {
        let listed = read(
            client
                .get(format!("{}/api/v1/invitation-templates", moved.address))
                .bearer_auth(&key)
                .send()
                .await
                .unwrap(),
        )
        .await
        .expect(200);
        if !listed.body["templates"][0]["log"].is_null() {
            break;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "never logged"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let monitored = monitor(new.path(), &moved.address, &vkey, Some(&state));
    assert!(monitored.status.success(), "{}", stderr(&monitored));

    // A second copy into the same database is refused, and changes nothing.
    let again = copy(&target);
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("is not empty"),
        "{}",
        stderr(&again)
    );
    let still = read(
        client
            .get(format!(
                "{}/api/v1/reviews/{}",
                moved.address,
                review.body["id"].as_str().unwrap()
            ))
            .send()
            .await
            .unwrap(),
    )
    .await
    .expect(200);
    assert_eq!(still.body["rating"], 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_appended_after_the_last_checkpoint_are_sealed_after_the_move() {
    let Ok(admin) = std::env::var(store_postgres::testing::ENV) else {
        eprintln!("skipped: copying to PostgreSQL needs PostgreSQL (tests/postgres/run.sh)");
        return;
    };
    let old = tempfile::tempdir().unwrap();
    let sqlite = on_sqlite(old.path());
    let server = Server::start(old.path(), &old.path().join("server.log"));
    let key = create_business(old.path(), "bottega-migrata");
    let client = reqwest::Client::new();
    let reviewed = crate::cli::reviewed(&client, &server.address, &key, "ORD-1", 3).await;
    let id = reviewed.body["id"].as_str().unwrap().to_owned();
    assert!(
        server
            .terminate(std::time::Duration::from_secs(15))
            .is_some()
    );
    // With no server running, the command line appends an entry no checkpoint covers.
    let erased = run(old.path(), &["review", "erase", "--id", &id]);
    assert!(erased.status.success(), "{}", stderr(&erased));

    let target = store_postgres::testing::scratch_database(&admin)
        .await
        .unwrap();
    let done = run(old.path(), &["copy", "--from", &sqlite, "--to", &target]);
    assert!(done.status.success(), "{}", stderr(&done));
    let new = tempfile::tempdir().unwrap();
    for file in ["log.key", "instance.key"] {
        std::fs::copy(old.path().join(file), new.path().join(file)).unwrap();
    }
    std::fs::write(new.path().join("test-database-url"), &target).unwrap();
    let moved = Server::start(new.path(), &new.path().join("server.log"));
    // The new sequencer seals the copied entries, and the log goes on at once.
    let started = std::time::Instant::now();
    let next = crate::cli::reviewed(&client, &moved.address, &key, "ORD-2", 5).await;
    assert!(next.body["receipt"].is_string(), "{}", next.body);
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    let vkey = stdout(&run(old.path(), &["log", "key"])).trim().to_owned();
    let monitored = monitor(new.path(), &moved.address, &vkey, None);
    assert!(monitored.status.success(), "{}", stderr(&monitored));
    let checkpoint = reqwest::get(format!("{}/log/checkpoint", moved.address))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // A publication and an erasure on SQLite, a publication here.
    assert_eq!(checkpoint.lines().nth(1), Some("3"), "{checkpoint}");
}
