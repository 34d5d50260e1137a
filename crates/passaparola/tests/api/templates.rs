//! The business's invitation template: set through the API and the page, refused with a
//! clear error when a placeholder is unknown, mailed to every customer (through a real SMTP
//! server) in place of the default subject and opening, and public with its whole history
//! and each change's log entry on `/b/{slug}/invitations`.

use std::time::Duration;

use reqwest::Method;
use reqwest::header::{ACCEPT_LANGUAGE, COOKIE};
use serde_json::json;

use crate::helpers::TestApp;
use crate::smtp::Smtp;
use crate::web::{logged_in, page, post_with};

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn a_business_writes_its_invitation_and_every_customer_gets_it_publicly() {
    let smtp = Smtp::start();
    let app = TestApp::spawn_with_mail(&smtp.url(), Duration::from_secs(300)).await;
    let path = "/api/v1/invitation-templates";
    let none = app
        .request(Method::GET, path, Some(&app.api_key), None)
        .await
        .expect(200)
        .body;
    assert_eq!(none["templates"][0]["locale"], "it");
    assert!(none["templates"][0]["revision"].is_null());
    assert!(none["templates"][1]["revision"].is_null());

    // Refused: an unknown placeholder, a locale this instance does not speak, no key.
    let words = json!({
        "subject": "Com'è andato l'ordine {reference}?",
        "intro": "Grazie per aver scelto {business}.\nCi racconti com'è andata?",
    });
    let typo = app
        .request(
            Method::PUT,
            &format!("{path}/it"),
            Some(&app.api_key),
            Some(&json!({"subject": "Ordine {referenza}", "intro": "Ciao"})),
        )
        .await
        .expect(422);
    assert_eq!(typo.body["errors"][0]["field"], "subject", "{}", typo.body);
    assert_eq!(typo.body["errors"][0]["code"], "unknown_placeholder");
    app.request(
        Method::PUT,
        &format!("{path}/fr"),
        Some(&app.api_key),
        Some(&words),
    )
    .await
    .expect(404);
    app.request(Method::PUT, &format!("{path}/it"), None, Some(&words))
        .await
        .expect(401);

    let set = app
        .request(
            Method::PUT,
            &format!("{path}/it"),
            Some(&app.api_key),
            Some(&words),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(set["changed"], true);
    assert_eq!(set["revision"], 1);
    let again = app
        .request(
            Method::PUT,
            &format!("{path}/it"),
            Some(&app.api_key),
            Some(&words),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(again["changed"], false, "the same words change nothing");
    assert_eq!(again["revision"], 1);

    // The page sets the English one; a typo there is named on the form.
    let (cookie, csrf) = logged_in(&app, "giulia@example.it").await;
    let typo = post_with(
        &app,
        "/invitations/template",
        &cookie,
        &[
            ("csrf", &csrf),
            ("locale", "en"),
            ("subject", "Your order {ref}"),
            ("intro", "Thanks!"),
        ],
    )
    .await;
    assert_eq!(typo.status(), 422);
    let html = typo.text().await.unwrap();
    assert!(html.contains("aria-invalid=\"true\""), "{html}");
    assert!(
        html.contains("Your order {ref}"),
        "what was typed stays: {html}"
    );
    let saved = post_with(
        &app,
        "/invitations/template",
        &cookie,
        &[
            ("csrf", &csrf),
            ("locale", "en"),
            ("subject", "Your order {reference} from {business}"),
            ("intro", "Thank you for choosing {business} & <us>!"),
        ],
    )
    .await;
    assert_eq!(saved.status(), 200);
    let html = saved.text().await.unwrap();
    assert!(html.contains("&#60;us&#62;"), "escaped: {html}");
    assert!(!html.contains("<us>"));
    let form = page(
        &app,
        "/invitations/template",
        &[(ACCEPT_LANGUAGE.as_str(), "en"), (COOKIE.as_str(), &cookie)],
    )
    .await;
    assert!(form.html.contains("Your revision 1 of"), "{}", form.html);

    // Every Italian customer now gets these words, and the rest of the message unchanged.
    app.request(
        Method::POST,
        "/api/v1/invitations",
        Some(&app.api_key),
        Some(&json!({"reference": "ORD-77", "customer_email": "maria@example.it", "locale": "it"})),
    )
    .await
    .expect(201);
    let m = &smtp.wait_for(1, WAIT).await[0];
    assert_eq!(m["subject"], "Com'è andato l'ordine ORD-77?");
    let text = m["text"].as_str().unwrap().replace("\r\n", "\n");
    assert!(
        text.contains("Grazie per aver scelto Trattoria Test.\nCi racconti com'è andata?"),
        "{text}"
    );
    assert!(
        text.contains("qualunque cosa dica"),
        "the fixed words stay: {text}"
    );
    let which = m["template"].as_str().unwrap();
    assert!(which.starts_with("revision 1"), "{which}");

    // The public page shows the words in force, the history, and each change's log entry
    // with what opens it.
    let public = page(
        &app,
        &format!("/b/{}/invitations", app.slug),
        &[(ACCEPT_LANGUAGE.as_str(), "en")],
    )
    .await;
    assert_eq!(public.status, 200);
    let html = &public.html;
    assert!(html.contains("s own words, revision 1 of"), "{html}");
    assert!(html.contains("Every change to the invitation"));
    assert_eq!(
        html.matches("<article class=\"revision\">").count(),
        2,
        "{html}"
    );
    assert!(html.contains("Your order {reference} from {business}"));
    assert!(html.contains("In Italian: revision 1 of"));
    assert!(
        html.contains("/api/v1/log/entries/"),
        "each change names its entry: {html}"
    );
}
