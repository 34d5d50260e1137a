//! Orders from shops (their documented webhook payloads, signed as the platforms sign them)
//! and links a shop signs itself (made by the documented Python recipe), each ending in one
//! e-mail through a real SMTP server, or at the review form.

use std::time::Duration;

use chrono::Utc;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::smtp::{Smtp, link_after};

const WAIT: Duration = Duration::from_secs(10);
const SHOPIFY_ORDER: &[u8] =
    include_bytes!("../../../domain/src/shop/fixtures/shopify_orders_fulfilled.json");
const WOOCOMMERCE_ORDER: &[u8] =
    include_bytes!("../../../domain/src/shop/fixtures/woocommerce_order.json");
const SECRET: &str = "shop-secret-0123456789abcdef";

/// A server that mails at once after a shop's order (no delay), with both shops connected.
async fn shop() -> (Smtp, TestApp) {
    let smtp = Smtp::start();
    let app = TestApp::spawn_with_mail(&smtp.url(), Duration::from_secs(300)).await;
    app.request(
        Method::PUT,
        "/api/v1/mail-settings",
        Some(&app.api_key),
        Some(&json!({"shop_delay_hours": 0, "reminder_days": 7})),
    )
    .await
    .expect(200);
    let business = app
        .store
        .business_by_slug(&app.slug)
        .await
        .unwrap()
        .unwrap();
    for kind in [
        domain::shop::ShopKind::Shopify,
        domain::shop::ShopKind::WooCommerce,
    ] {
        app.store
            .connect_shop(business.id, kind, SECRET.to_owned(), Utc::now())
            .await
            .unwrap();
    }
    (smtp, app)
}

async fn post(app: &TestApp, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, Value) {
    let mut request = app
        .client
        .post(format!("{}{path}", app.address))
        .body(body.to_vec());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

fn sign(body: &[u8]) -> String {
    app::shops::sign(SECRET.as_bytes(), body)
}

async fn invitations(app: &TestApp) -> i64 {
    app.sql()
        .await
        .count("SELECT count(*) FROM invitations", &[])
        .await
}

/// Follows an invitation link as a browser does (its cookie) to the review form: the
/// form's status and page, or the link's own answer when it does not lead there.
pub(crate) async fn form_page(app: &TestApp, link: &str) -> (u16, String) {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let opened = browser.get(link).send().await.unwrap();
    if opened.status() != 303 {
        let status = opened.status().as_u16();
        return (status, opened.text().await.unwrap());
    }
    let cookie = opened.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let location = opened.headers()["location"].to_str().unwrap().to_owned();
    let form = browser
        .get(format!("{}{location}", app.address))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    (form.status().as_u16(), form.text().await.unwrap())
}

#[tokio::test]
async fn a_fulfilled_shopify_order_is_one_invitation_and_one_email() {
    let (smtp, app) = shop().await;
    let path = format!("/hooks/shopify/{}", app.slug);
    let signature = sign(SHOPIFY_ORDER);
    let headers = |id: &'static str| {
        vec![
            ("content-type", "application/json"),
            ("x-shopify-topic", "orders/fulfilled"),
            ("x-shopify-hmac-sha256", signature.as_str()),
            ("x-shopify-webhook-id", id),
        ]
    };
    // A bad signature creates nothing.
    let forged = sign(b"another body");
    let (status, problem) = post(
        &app,
        &path,
        &[
            ("x-shopify-topic", "orders/fulfilled"),
            ("x-shopify-hmac-sha256", forged.as_str()),
        ],
        SHOPIFY_ORDER,
    )
    .await;
    assert_eq!(status, 401, "{problem}");
    assert_eq!(invitations(&app).await, 0);
    let (status, _) = post(
        &app,
        &path,
        &[("x-shopify-topic", "orders/fulfilled")],
        SHOPIFY_ORDER,
    )
    .await;
    assert_eq!(status, 401);
    // The order, signed: one invitation, in the buyer's language.
    let (status, body) = post(&app, &path, &headers("d-1"), SHOPIFY_ORDER).await;
    assert_eq!(status, 201, "{body}");
    let id = body["invitation"].as_str().unwrap().to_owned();
    // The same delivery again, and another delivery of the same order: nothing new.
    let (status, body) = post(&app, &path, &headers("d-1"), SHOPIFY_ORDER).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("duplicate")));
    let (status, body) = post(&app, &path, &headers("d-2"), SHOPIFY_ORDER).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("already_invited"))
    );
    assert_eq!(body["invitation"], id.as_str());
    // Another topic is acknowledged and dropped.
    let created_sig = sign(SHOPIFY_ORDER);
    let (status, _) = post(
        &app,
        &path,
        &[
            ("x-shopify-topic", "orders/create"),
            ("x-shopify-hmac-sha256", created_sig.as_str()),
        ],
        SHOPIFY_ORDER,
    )
    .await;
    assert_eq!(status, 202);
    assert_eq!(invitations(&app).await, 1);
    let sql = app.sql().await;
    let row = sql
        .rows(
            "SELECT reference, source, locale FROM invitations WHERE id = $1",
            &[id.as_str().into()],
        )
        .await;
    assert_eq!(
        (row[0][0].text(), row[0][1].text(), row[0][2].text()),
        ("#9999".to_owned(), "shopify".to_owned(), "en".to_owned())
    );
    // Exactly one e-mail, in English, whose link opens the form with the order's products.
    let messages = smtp.wait_for(1, WAIT).await;
    let m = &messages[0];
    assert_eq!(m["rcpt_tos"], json!(["jon@example.com"]));
    assert_eq!(m["content_language"], "en");
    let link = link_after(m["text"].as_str().unwrap(), &format!("{}/r/", app.address));
    let (status, page) = form_page(&app, &link).await;
    assert_eq!(status, 200);
    let order: Value = serde_json::from_slice(SHOPIFY_ORDER).unwrap();
    let first_title = order["line_items"][0]["title"].as_str().unwrap();
    assert!(page.contains(first_title), "{first_title} not on the form");
    // Nothing from a shop creates a review.
    assert_eq!(sql.count("SELECT count(*) FROM reviews", &[]).await, 0);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(smtp.messages().len(), 1);
}

#[tokio::test]
async fn a_completed_woocommerce_order_is_one_invitation_and_one_email() {
    let (smtp, app) = shop().await;
    let path = format!("/hooks/woocommerce/{}", app.slug);
    // The ping WooCommerce sends when the webhook is created.
    let (status, _) = post(
        &app,
        &path,
        &[("content-type", "application/x-www-form-urlencoded")],
        b"webhook_id=42",
    )
    .await;
    assert_eq!(status, 200);
    // The documented order is `processing`: acknowledged, nothing created.
    let sig = sign(WOOCOMMERCE_ORDER);
    let (status, body) = woo(&app, &sig, "w-1", WOOCOMMERCE_ORDER).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(invitations(&app).await, 0);
    // Completed: one invitation and one e-mail.
    let mut order: Value = serde_json::from_slice(WOOCOMMERCE_ORDER).unwrap();
    order["status"] = json!("completed");
    let completed = serde_json::to_vec(&order).unwrap();
    let sig = sign(&completed);
    let (status, body) = woo(&app, &sig, "w-2", &completed).await;
    assert_eq!(status, 201, "{body}");
    let (status, _) = woo(&app, &sig, "w-3", &completed).await;
    assert_eq!(status, 200);
    // A bad signature: 401, nothing more.
    let (status, _) = woo(&app, "AAAA", "w-4", &completed).await;
    assert_eq!(status, 401);
    assert_eq!(invitations(&app).await, 1);
    let messages = smtp.wait_for(1, WAIT).await;
    let m = &messages[0];
    assert_eq!(
        m["rcpt_tos"],
        json!([order["billing"]["email"].as_str().unwrap()])
    );
    let link = link_after(m["text"].as_str().unwrap(), &format!("{}/r/", app.address));
    assert_eq!(form_page(&app, &link).await.0, 200);
    // A shop not connected, or no such business: 404.
    let (status, _) = post(&app, "/hooks/woocommerce/nessuno", &[], &completed).await;
    assert_eq!(status, 404);
    let (other, _) = app.create_business("altra", "Altra").await;
    let (status, _) = woo(&app, &sig, "w-5", &completed).await;
    assert_eq!(status, 200);
    let (status, _) = post(
        &app,
        &format!("/hooks/woocommerce/{other}"),
        &[],
        &completed,
    )
    .await;
    assert_eq!(status, 404);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(smtp.messages().len(), 1);
}

/// A WooCommerce delivery of `body` to the test business, `order.updated`.
async fn woo(app: &TestApp, sig: &str, id: &str, body: &[u8]) -> (u16, Value) {
    let path = format!("/hooks/woocommerce/{}", app.slug);
    let headers = [
        ("content-type", "application/json"),
        ("x-wc-webhook-topic", "order.updated"),
        ("x-wc-webhook-signature", sig),
        ("x-wc-webhook-delivery-id", id),
    ];
    post(app, &path, &headers, body).await
}

/// A link made by the documented Python recipe (`docs/examples/invitation_link.py`).
fn python_link(base: &str, slug: &str, secret: &str, reference: &str, exp: i64) -> String {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/examples/invitation_link.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .args([base, slug, secret, reference, &exp.to_string(), ""])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[tokio::test]
async fn a_link_the_shop_signed_opens_the_form_once() {
    let app = TestApp::spawn().await;
    let business = app
        .store
        .business_by_slug(&app.slug)
        .await
        .unwrap()
        .unwrap();
    let key = app::tokens::InstanceKey::load_or_create(
        &app.db_path.parent().unwrap().join("instance.key"),
    )
    .unwrap();
    // No secret yet: no link can be genuine.
    let exp = Utc::now().timestamp() + 3600;
    let unsigned = python_link(&app.address, &app.slug, "pls_none", "L-1", exp);
    assert_eq!(form_page(&app, &unsigned).await.0, 403);
    let generation = app
        .store
        .rotate_link_secret(business.id, Utc::now())
        .await
        .unwrap();
    let secret = key.link_secret(business.id, generation);
    let link = python_link(&app.address, &app.slug, &secret, "L-1", exp);
    let (status, page) = form_page(&app, &link).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<form"));
    // Idempotent on the reference: the same link again is the same invitation.
    assert_eq!(form_page(&app, &link).await.0, 200);
    assert_eq!(invitations(&app).await, 1);
    // Tampered with: 403; expired: 410.
    let tampered = link.replace("ref=L-1", "ref=L-2");
    assert_eq!(form_page(&app, &tampered).await.0, 403);
    let expired = python_link(
        &app.address,
        &app.slug,
        &secret,
        "L-3",
        Utc::now().timestamp() - 1,
    );
    assert_eq!(form_page(&app, &expired).await.0, 410);
    let incomplete = format!("{}/i/{}?ref=L-4", app.address, app.slug);
    assert_eq!(form_page(&app, &incomplete).await.0, 400);
    // Used: the same page as a used invitation.
    let token = app
        .sql()
        .await
        .value("SELECT id FROM invitations WHERE reference = 'L-1'", &[])
        .await
        .text();
    let token = key
        .invitation_token(domain::ids::InvitationId(token.parse().unwrap()))
        .expose()
        .to_owned();
    app.request(
        Method::POST,
        "/api/v1/reviews",
        None,
        Some(&crate::helpers::review_body(&token, 5)),
    )
    .await
    .expect(201);
    let (status, used) = form_page(&app, &link).await;
    assert_eq!(status, 410);
    let (_, used_by_token) = form_page(&app, &format!("{}/r/{token}", app.address)).await;
    assert_eq!(used, used_by_token);
    // A new secret: the old links stop working.
    app.store
        .rotate_link_secret(business.id, Utc::now())
        .await
        .unwrap();
    let old = python_link(&app.address, &app.slug, &secret, "L-5", exp);
    assert_eq!(form_page(&app, &old).await.0, 403);
}

/// `passaparola …` on the test server's database and data directory.
fn cli(app: &TestApp, args: &[&str]) -> std::process::Output {
    let dir = app.db_path.parent().unwrap();
    let url = format!("sqlite://{}", app.db_path.display());
    let mut all: Vec<&str> = Vec::new();
    if !crate::helpers::on_postgres() {
        all.extend(["--database-url", url.as_str()]);
    }
    all.extend(args);
    crate::cli::run(dir, &all)
}

/// The value printed after `label` on its line.
fn printed(out: &std::process::Output, label: &str) -> String {
    let text = crate::cli::stdout(out);
    text.lines()
        .find_map(|l| l.strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label:?} in {text}"))
        .trim()
        .to_owned()
}

#[tokio::test]
async fn the_operator_connects_a_shop_and_makes_link_secrets_from_the_command_line() {
    let app = TestApp::spawn().await;
    let base = format!("--base-url={}", app.address);
    let connected = cli(
        &app,
        &[
            "shop",
            "connect",
            "--business",
            &app.slug,
            "--kind",
            "woocommerce",
            &base,
        ],
    );
    assert!(
        connected.status.success(),
        "{}",
        crate::cli::stderr(&connected)
    );
    assert_eq!(
        printed(&connected, "webhook address: "),
        format!("{}/hooks/woocommerce/{}", app.address, app.slug)
    );
    let secret = printed(&connected, "secret (shown once): ");
    let mut order: Value = serde_json::from_slice(WOOCOMMERCE_ORDER).unwrap();
    order["status"] = json!("completed");
    let body = serde_json::to_vec(&order).unwrap();
    let signature = app::shops::sign(secret.as_bytes(), &body);
    assert_eq!(woo(&app, &signature, "c-1", &body).await.0, 201);
    for (args, says) in [
        (
            vec![
                "shop",
                "connect",
                "--business",
                "nessuno",
                "--kind",
                "shopify",
            ],
            "no business has the slug",
        ),
        (
            vec![
                "shop",
                "connect",
                "--business",
                app.slug.as_str(),
                "--kind",
                "ebay",
            ],
            "one of shopify, woocommerce",
        ),
        (
            vec![
                "shop",
                "connect",
                "--business",
                app.slug.as_str(),
                "--kind",
                "shopify",
                "--secret",
                "short",
            ],
            "too short",
        ),
    ] {
        let refused = cli(&app, &args);
        assert!(!refused.status.success());
        assert!(
            crate::cli::stderr(&refused).contains(says),
            "{}",
            crate::cli::stderr(&refused)
        );
    }
    // A link secret, shown once; a new one retires it.
    let made = cli(&app, &["business", "link-secret", "--slug", &app.slug]);
    assert!(made.status.success(), "{}", crate::cli::stderr(&made));
    let first = crate::cli::stdout(&made)
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_owned();
    assert!(first.starts_with("pls_"), "{first}");
    let exp = Utc::now().timestamp() + 3600;
    let link = python_link(&app.address, &app.slug, &first, "CLI-1", exp);
    assert_eq!(form_page(&app, &link).await.0, 200);
    let again = cli(&app, &["business", "link-secret", "--slug", &app.slug]);
    let second = crate::cli::stdout(&again)
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_owned();
    assert_ne!(first, second);
    let old = python_link(&app.address, &app.slug, &first, "CLI-2", exp);
    assert_eq!(form_page(&app, &old).await.0, 403);
    let new = python_link(&app.address, &app.slug, &second, "CLI-2", exp);
    assert_eq!(form_page(&app, &new).await.0, 200);
}
