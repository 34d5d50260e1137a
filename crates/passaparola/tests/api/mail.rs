//! Invitations by e-mail, through a real SMTP server (`smtp.rs`): one message in the
//! invitation's language with a working link, one reminder, none after an unsubscribe; a
//! permanent refusal marks the invitation undeliverable; a transient one is tried again.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::cli::{stderr, stdout};
use crate::helpers::{TestApp, on_postgres};
use crate::smtp::{Smtp, link_after};

const WAIT: Duration = Duration::from_secs(10);

async fn mailing() -> (Smtp, TestApp) {
    let smtp = Smtp::start();
    let app = TestApp::spawn_with_mail(&smtp.url(), Duration::from_secs(300)).await;
    (smtp, app)
}

async fn invite(app: &TestApp, body: Value) -> Value {
    app.request(
        Method::POST,
        "/api/v1/invitations",
        Some(&app.api_key),
        Some(&body),
    )
    .await
    .expect(201)
    .body
}

/// The invitation's e-mail status and error, as the store holds them.
async fn mail_status(app: &TestApp, id: &str) -> (String, Option<String>) {
    let sql = app.sql().await;
    let row = sql
        .rows(
            "SELECT mail_status, mail_error FROM invitations WHERE id = $1",
            &[id.into()],
        )
        .await;
    (row[0][0].text(), row[0][1].opt_text())
}

/// Waits until the invitation's e-mail status is `want`.
async fn wait_status(app: &TestApp, id: &str, want: &str) {
    let start = std::time::Instant::now();
    loop {
        let (status, _) = mail_status(app, id).await;
        if status == want {
            return;
        }
        assert!(
            start.elapsed() < WAIT,
            "mail status {status}, waiting for {want}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Brings every pending reminder's time to now (the default is a week later).
async fn reminders_due(app: &TestApp) {
    app.sql()
        .await
        .execute(
            "UPDATE outbox SET due_at = 0 WHERE kind = 'reminder' AND state = 'pending'",
            &[],
        )
        .await;
}

#[tokio::test]
async fn an_invitation_is_mailed_once_in_its_language_then_reminded_once() {
    let (smtp, app) = mailing().await;
    let created = invite(
        &app,
        json!({
            "reference": "ORD-1001",
            "customer_email": "mario.rossi@example.it",
            "customer_name": "Mario Rossi",
            "locale": "it",
            "products": [{"sku": "CAF-1", "name": "Caffè in grani"}],
        }),
    )
    .await;
    assert_eq!(created["mail"], "scheduled");
    let id = created["id"].as_str().unwrap().to_owned();
    let messages = smtp.wait_for(1, WAIT).await;
    let m = &messages[0];
    assert_eq!(m["rcpt_tos"], json!(["mario.rossi@example.it"]));
    assert!(m["to"].as_str().unwrap().contains("Mario Rossi"));
    assert_eq!(m["content_language"], "it");
    assert_eq!(m["content_type"], "multipart/alternative");
    let subject = m["subject"].as_str().unwrap();
    assert!(
        subject.contains("Trattoria Test") && subject.contains("ORD-1001"),
        "{subject}"
    );
    let text = m["text"].as_str().unwrap();
    assert!(text.contains("Caffè in grani"), "{text}");
    assert!(!text.contains('<'), "the text part holds no HTML");
    let html = m["html"].as_str().unwrap();
    assert!(html.contains("lang=\"it\""));
    // The link in the message is the invitation's, and it opens the review form.
    let link = link_after(text, &format!("{}/r/", app.address));
    assert_eq!(link, created["url"].as_str().unwrap());
    let (status, page) = crate::shops::form_page(&app, &link).await;
    assert_eq!(status, 200);
    assert!(page.contains("Caffè in grani"), "{page}");
    // RFC 8058: an HTTPS (here HTTP) link, and the one-click marker.
    let unsubscribe = m["list_unsubscribe"].as_str().unwrap();
    assert!(
        unsubscribe.starts_with(&format!("<{}/u/", app.address)),
        "{unsubscribe}"
    );
    assert_eq!(m["list_unsubscribe_post"], "List-Unsubscribe=One-Click");
    let message_id = m["message_id"].as_str().unwrap().to_owned();
    assert!(message_id.ends_with("@passaparola.test>"), "{message_id}");
    wait_status(&app, &id, "sent").await;

    // Inviting the same reference again sends nothing more.
    let again = app
        .request(
            Method::POST,
            "/api/v1/invitations",
            Some(&app.api_key),
            Some(&json!({"reference": "ORD-1001", "customer_email": "mario.rossi@example.it"})),
        )
        .await
        .expect(200);
    assert_eq!(again.body["id"], id.as_str());

    // The one reminder, when its day comes: another message, another Message-ID.
    reminders_due(&app).await;
    let messages = smtp.wait_for(2, WAIT).await;
    let r = &messages[1];
    assert_ne!(r["message_id"], message_id.as_str());
    assert_ne!(r["subject"], m["subject"]);
    assert_eq!(
        link_after(r["text"].as_str().unwrap(), &format!("{}/r/", app.address)),
        link
    );
    wait_status(&app, &id, "reminded").await;
    // And never a second one.
    reminders_due(&app).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(smtp.messages().len(), 2);
}

#[tokio::test]
async fn english_invitations_are_mailed_in_english() {
    let (smtp, app) = mailing().await;
    invite(
        &app,
        json!({"reference": "EN-1", "customer_email": "jane@example.com", "locale": "en"}),
    )
    .await;
    let m = &smtp.wait_for(1, WAIT).await[0];
    assert_eq!(m["content_language"], "en");
    assert!(m["html"].as_str().unwrap().contains("lang=\"en\""));
    let subject = m["subject"].as_str().unwrap();
    assert!(subject.contains("EN-1"), "{subject}");
}

#[tokio::test]
async fn after_one_click_no_more_mail_reaches_the_address_from_that_business() {
    let (smtp, app) = mailing().await;
    let first = invite(
        &app,
        json!({"reference": "U-1", "customer_email": "anna@example.it"}),
    )
    .await;
    let m = &smtp.wait_for(1, WAIT).await[0];
    let header = m["list_unsubscribe"].as_str().unwrap();
    let url = header.trim_start_matches('<').trim_end_matches('>');
    // The page shows a button, and changes nothing by itself.
    let page = app.client.get(url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<form method=\"post\""));
    // The one-click POST, as a mail provider sends it (RFC 8058).
    let done = app
        .client
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    // The message it came with did go out: that invitation stays "sent"; the address is
    // recorded (as a keyed hash), once however often it clicks.
    wait_status(&app, first["id"].as_str().unwrap(), "sent").await;
    let again = app.client.post(url).send().await.unwrap();
    assert_eq!(again.status(), 200);
    let suppressions = app
        .sql()
        .await
        .count("SELECT count(*) FROM mail_suppressions", &[])
        .await;
    assert_eq!(suppressions, 1);
    // The reminder is cancelled, and a later invitation to the same address (in another
    // case) is created but sends nothing.
    reminders_due(&app).await;
    let later = invite(
        &app,
        json!({"reference": "U-2", "customer_email": "Anna@Example.it"}),
    )
    .await;
    assert_eq!(later["mail"], "unsubscribed");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(smtp.messages().len(), 1);
    let sql = app.sql().await;
    assert_eq!(
        sql.count(
            "SELECT count(*) FROM outbox WHERE state = 'cancelled' AND kind = 'reminder'",
            &[]
        )
        .await,
        1
    );
    // Another business may still write to the address.
    let (_, key) = app.create_business("altra-bottega", "Altra Bottega").await;
    app.request(
        Method::POST,
        "/api/v1/invitations",
        Some(&key),
        Some(&json!({"reference": "X-1", "customer_email": "anna@example.it"})),
    )
    .await
    .expect(201);
    let messages = smtp.wait_for(2, WAIT).await;
    assert!(
        messages[1]["subject"]
            .as_str()
            .unwrap()
            .contains("Altra Bottega")
    );
    // A token that is not genuine names nothing.
    let forged = format!("{}/u/AAAA", app.address);
    assert_eq!(app.client.get(&forged).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn a_refused_address_is_undeliverable_and_a_busy_one_is_tried_again() {
    let (smtp, app) = mailing().await;
    let refused = invite(
        &app,
        json!({"reference": "R-1", "customer_email": "refuse@example.it"}),
    )
    .await;
    let busy = invite(
        &app,
        json!({"reference": "B-1", "customer_email": "busy@example.it"}),
    )
    .await;
    let refused_id = refused["id"].as_str().unwrap();
    wait_status(&app, refused_id, "undeliverable").await;
    let (_, error) = mail_status(&app, refused_id).await;
    assert_eq!(error.as_deref(), Some("the SMTP server answered 550"));
    let sql = app.sql().await;
    // Its reminder goes nowhere either.
    assert_eq!(
        sql.count(
            "SELECT count(*) FROM outbox WHERE invitation_id = $1 AND state = 'pending'",
            &[refused_id.into()]
        )
        .await,
        0
    );
    // The busy address: still scheduled, its failure recorded, its next attempt later.
    let busy_id = busy["id"].as_str().unwrap();
    let start = std::time::Instant::now();
    loop {
        let rows = sql
            .rows(
                "SELECT attempts, last_error, state FROM outbox
                 WHERE invitation_id = $1 AND kind = 'invitation'",
                &[busy_id.into()],
            )
            .await;
        if rows[0][0].int() >= 1 && rows[0][1].opt_text().is_some() {
            assert_eq!(rows[0][1].text(), "the SMTP server answered 451");
            assert_eq!(rows[0][2].text(), "pending");
            break;
        }
        assert!(start.elapsed() < WAIT, "the busy address was never tried");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(mail_status(&app, busy_id).await.0, "scheduled");
    assert!(smtp.messages().is_empty());

    // The operator sees the failure and can send it again, or cancel what waits.
    let listed = jobs(&app, &["jobs", "list", "--state", "failed"]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    let out = stdout(&listed);
    assert!(out.contains("the SMTP server answered 550"), "{out}");
    let failed_id = out.split_whitespace().next().unwrap().to_owned();
    let retried = jobs(&app, &["jobs", "retry", &failed_id]);
    assert!(retried.status.success(), "{}", stderr(&retried));
    assert_eq!(mail_status(&app, refused_id).await.0, "scheduled");
    let again = jobs(&app, &["jobs", "retry", &failed_id]);
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("no failed or cancelled job"),
        "{}",
        stderr(&again)
    );
    let pending = stdout(&jobs(&app, &["jobs", "list", "--state", "pending"]));
    let busy_job = pending
        .lines()
        .find(|l| l.contains("451"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_owned();
    let cancelled = jobs(&app, &["jobs", "cancel", &busy_job]);
    assert!(cancelled.status.success(), "{}", stderr(&cancelled));
    // The business sees why, and the reminder went with it.
    assert_eq!(
        mail_status(&app, busy_id).await,
        (
            "failed".to_owned(),
            Some("cancelled by the operator".to_owned())
        )
    );
    let sql = app.sql().await;
    assert_eq!(
        sql.count(
            "SELECT count(*) FROM outbox WHERE invitation_id = $1 AND state = 'pending'",
            &[busy_id.into()]
        )
        .await,
        0
    );
    let bad = jobs(&app, &["jobs", "list", "--state", "lost"]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("one of pending, sent, failed, cancelled"));
    let bad = jobs(&app, &["jobs", "cancel", "not-a-uuid"]);
    assert!(stderr(&bad).contains("is not a job id"), "{}", stderr(&bad));
}

/// `passaparola jobs …` on the test server's database.
fn jobs(app: &TestApp, args: &[&str]) -> std::process::Output {
    let dir = app.db_path.parent().unwrap();
    let url = format!("sqlite://{}", app.db_path.display());
    let mut all: Vec<&str> = Vec::new();
    if !on_postgres() {
        all.extend(["--database-url", url.as_str()]);
    }
    all.extend(args);
    crate::cli::run(dir, &all)
}

#[tokio::test]
async fn without_smtp_invitations_are_created_and_nothing_is_scheduled() {
    let app = TestApp::spawn().await;
    let created = invite(
        &app,
        json!({"reference": "N-1", "customer_email": "nessuno@example.it"}),
    )
    .await;
    assert_eq!(created["mail"], "none");
    assert!(created.get("send_at").is_none_or(Value::is_null));
    let sql = app.sql().await;
    assert_eq!(sql.count("SELECT count(*) FROM outbox", &[]).await, 0);
}

#[tokio::test]
async fn a_business_chooses_its_reminder_and_its_shop_delay() {
    let (smtp, app) = mailing().await;
    let shown = app
        .request(
            Method::GET,
            "/api/v1/mail-settings",
            Some(&app.api_key),
            None,
        )
        .await
        .expect(200);
    assert_eq!(
        shown.body,
        json!({"shop_delay_hours": 72, "reminder_days": 7})
    );
    for bad in [
        json!({"shop_delay_hours": 721, "reminder_days": 7}),
        json!({"shop_delay_hours": 0, "reminder_days": 0}),
        json!({"shop_delay_hours": 0}),
        json!({"shop_delay_hours": -1, "reminder_days": 7}),
        json!({"shop_delay_hours": 1.5, "reminder_days": 7}),
    ] {
        app.request(
            Method::PUT,
            "/api/v1/mail-settings",
            Some(&app.api_key),
            Some(&bad),
        )
        .await
        .expect(422);
    }
    app.request(Method::PUT, "/api/v1/mail-settings", None, Some(&json!({})))
        .await
        .expect(401);
    // A whole number written as JSON's 16.0 is a whole number.
    let set = app
        .request(
            Method::PUT,
            "/api/v1/mail-settings",
            Some(&app.api_key),
            Some(&json!({"shop_delay_hours": 12, "reminder_days": 16.0})),
        )
        .await
        .expect(200);
    assert_eq!(
        set.body,
        json!({"shop_delay_hours": 12, "reminder_days": 16})
    );
    let none = json!({"shop_delay_hours": 0, "reminder_days": null});
    let set = app
        .request(
            Method::PUT,
            "/api/v1/mail-settings",
            Some(&app.api_key),
            Some(&none),
        )
        .await
        .expect(200);
    assert_eq!(set.body, none);
    // Without a reminder, an invitation schedules one message only.
    let created = invite(
        &app,
        json!({"reference": "S-1", "customer_email": "sara@example.it"}),
    )
    .await;
    smtp.wait_for(1, WAIT).await;
    let sql = app.sql().await;
    assert_eq!(
        sql.count(
            "SELECT count(*) FROM outbox WHERE invitation_id = $1",
            &[created["id"].as_str().unwrap().into()]
        )
        .await,
        1
    );
    // An invitation sent later waits for its time.
    let later = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    let scheduled = invite(
        &app,
        json!({"reference": "S-2", "customer_email": "sara@example.it", "send_at": later}),
    )
    .await;
    assert_eq!(scheduled["mail"], "scheduled");
    assert!(scheduled["send_at"].is_string());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(smtp.messages().len(), 1);
    // A time past the invitation's expiry is refused.
    let too_late = (chrono::Utc::now() + chrono::Duration::days(400)).to_rfc3339();
    app.request(
        Method::POST,
        "/api/v1/invitations",
        Some(&app.api_key),
        Some(&json!({"reference": "S-3", "send_at": too_late})),
    )
    .await
    .expect(422);
}
