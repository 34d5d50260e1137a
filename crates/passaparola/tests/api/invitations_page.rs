//! `/b/{slug}/invitations`, no gating, provably: the invitation as every customer receives
//! it, in both languages with each template's fingerprint, the invitations' figures and the
//! mail settings in force; and nothing about any one invitee.

use chrono::{Duration, Utc};
use domain::invitation::Locale;
use reqwest::Method;
use reqwest::header::{ACCEPT_LANGUAGE, COOKIE};
use serde_json::json;

use app::mail::render::{InvitationMail, render, template_hash};

use crate::helpers::TestApp;
use crate::web::page;

/// The text of an HTML page, its character references decoded (askama writes `'` as
/// `&#39;`, `&` as `&#38;`, …).
fn unescape(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let decoded = rest.find(';').and_then(|end| {
            let name = &rest[1..end];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => match name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => name.strip_prefix('#').and_then(|d| d.parse().ok()),
                }
                .and_then(char::from_u32),
            };
            c.map(|c| (c, end + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The invitation in `locale` as the page renders it (placeholders in that locale, expiry
/// 90 days from `now`): its subject and text.
fn expected(app: &TestApp, locale: Locale, now: chrono::DateTime<Utc>) -> (String, String) {
    let (reference, product, review, unsubscribe) = match locale {
        Locale::It => (
            "[riferimento ordine]",
            "[prodotto]",
            "[link personale per la recensione]",
            "[link per annullare l'iscrizione]",
        ),
        Locale::En => (
            "[order reference]",
            "[product]",
            "[personal review link]",
            "[unsubscribe link]",
        ),
    };
    let page_link = format!("{}/b/{}/invitations", app.address, app.slug);
    let rendered = render(&InvitationMail {
        locale,
        business_name: "Trattoria Test",
        customer_name: None,
        reference,
        products: &[store::ProductRecord::named("sku", product)],
        review_link: review,
        unsubscribe_link: unsubscribe,
        invitations_page: &page_link,
        expires_at: now + Duration::days(90),
        reminder: false,
        template: None,
    });
    (rendered.subject, rendered.text)
}

/// Whether `text` holds the invitation in `locale` exactly (its expiry date is today's or,
/// across midnight, yesterday's).
fn shows_message(app: &TestApp, text: &str, locale: Locale) -> bool {
    let now = Utc::now();
    [now, now - Duration::minutes(1)].into_iter().any(|at| {
        let (subject, body) = expected(app, locale, at);
        text.contains(&subject) && text.contains(&format!(">{body}</pre>"))
    })
}

#[tokio::test]
async fn the_invitations_page_shows_the_one_message_its_figures_and_settings() {
    let app = TestApp::spawn().await;
    for reference in ["ORD-1", "ORD-2", "ORD-3"] {
        app.invite(reference).await;
    }
    app.review("ORD-4", 2).await;
    app.request(
        Method::POST,
        "/api/v1/invitations",
        Some(&app.api_key),
        Some(&json!({
            "reference": "ORD-5",
            "customer_name": "Giovanna Verdiani",
            "customer_email": "giovanna.verdiani@example.it",
        })),
    )
    .await
    .expect(201);
    // Sources and mail statuses as shops and the mailer leave them (this server mails none).
    let sql = app.sql().await;
    for (reference, source, status) in [
        ("ORD-1", "shopify", "sent"),
        ("ORD-2", "woocommerce", "reminded"),
        ("ORD-3", "csv", "undeliverable"),
        ("ORD-5", "page", "unsubscribed"),
    ] {
        let changed = sql
            .execute(
                "UPDATE invitations SET source = $1, mail_status = $2 WHERE reference = $3",
                &[source.into(), status.into(), reference.into()],
            )
            .await;
        assert_eq!(changed, 1, "{reference}");
    }
    // ORD-5's address unsubscribed: the figure counts addresses, as the store keeps them.
    let unsubscribed = sql
        .execute(
            "INSERT INTO mail_suppressions (business_id, email_hash, created_at)
             SELECT business_id, $1, 0 FROM invitations WHERE reference = 'ORD-5'",
            &[[5u8; 32].as_slice().into()],
        )
        .await;
    assert_eq!(unsubscribed, 1);

    let path = format!("/b/{}/invitations", app.slug);
    let it = page(&app, &path, &[(ACCEPT_LANGUAGE.as_str(), "it-IT,it;q=0.9")]).await;
    assert_eq!(it.status, 200, "{}", it.html);
    assert!(
        it.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(it.html.contains("<html lang=\"it\">"));
    assert!(!it.html.contains("noindex"), "public and indexable");
    for (term, n) in [
        ("Creati da un negozio collegato", 2),
        ("Creati a mano", 3),
        ("E-mail inviate", 2),
        ("Promemoria inviati", 1),
        ("Indirizzi che non vogliono altre e-mail", 1),
        ("Indirizzi che rifiutano la posta", 1),
        ("Inviti con una recensione", 1),
    ] {
        assert!(
            it.html.contains(&format!("<dt>{term}</dt><dd>{n}</dd>")),
            "{term}: {n}\n{}",
            it.html
        );
    }
    // The defaults: three days after a shop's order, one reminder a week later.
    assert!(
        it.html.contains("<dd>L&#39;invito parte 72 ore dopo"),
        "{}",
        it.html
    );
    assert!(it.html.contains("<dd>Uno solo, 7 giorni dopo l&#39;invito"));

    // Both messages, whatever the visitor's language, each with its fingerprint.
    let text = unescape(&it.html);
    for locale in [Locale::It, Locale::En] {
        assert!(shows_message(&app, &text, locale), "{locale:?}\n{text}");
        let hash = template_hash(locale);
        assert_eq!(hash.len(), 64);
        assert!(
            it.html.contains(&format!("<code>{hash}</code>")),
            "{locale:?}"
        );
    }
    assert!(text.contains("Buongiorno,\n") && text.contains("Hello,\n"));
    assert!(text.contains("Nessuna impostazione, da nessuna parte, dipende"));

    // Nothing about any one invitee: no name, no address, no reference.
    for private in [
        "Giovanna",
        "Verdiani",
        "giovanna.verdiani@example.it",
        "cliente@example.it",
        "ORD-",
    ] {
        assert!(!text.contains(private), "{private} is on the page");
    }

    // In English, by the browser's choice or the visitor's.
    for headers in [
        vec![(ACCEPT_LANGUAGE.as_str(), "en-GB,en;q=0.8")],
        vec![
            (ACCEPT_LANGUAGE.as_str(), "it"),
            (COOKIE.as_str(), "pp_lang=en"),
        ],
    ] {
        let en = page(&app, &path, &headers).await;
        assert_eq!(en.status, 200);
        assert!(en.html.contains("<html lang=\"en\">"));
        assert!(
            en.html
                .contains("<dt>Created by a connected shop</dt><dd>2</dd>")
        );
        assert!(
            en.html
                .contains("<dt>Invitations answered with a review</dt><dd>1</dd>")
        );
        assert!(en.html.contains("Template fingerprint"));
        let text = unescape(&en.html);
        assert!(text.contains("No setting anywhere depends on what a customer is expected"));
        for locale in [Locale::It, Locale::En] {
            assert!(shows_message(&app, &text, locale), "{locale:?}");
            assert!(en.html.contains(&template_hash(locale)));
        }
    }

    // The settings in force, as the business changes them.
    app.request(
        Method::PUT,
        "/api/v1/mail-settings",
        Some(&app.api_key),
        Some(&json!({"shop_delay_hours": 48, "reminder_days": null})),
    )
    .await
    .expect(200);
    let changed = page(&app, &path, &[(ACCEPT_LANGUAGE.as_str(), "en")]).await;
    assert!(
        changed
            .html
            .contains("<dd>The invitation goes 48 hours after")
    );
    assert!(changed.html.contains("<dt>Reminder</dt><dd>None</dd>"));

    // The business page links here; an unknown business has no such page.
    let business = page(&app, &format!("/b/{}", app.slug), &[]).await;
    assert!(business.html.contains(&format!("href=\"{path}\"")));
    let missing = page(&app, "/b/nessuna-bottega/invitations", &[]).await;
    assert_eq!(missing.status, 404);
    assert!(missing.html.contains("Pagina non trovata"));
}
