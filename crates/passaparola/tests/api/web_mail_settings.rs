//! The business's settings on `/invitations`, as a logged-in user sets them: when its
//! invitations are mailed (the API then reads the same), the shops that send it their orders
//! (a secret made here, shown once, signs deliveries the hook accepts) and the secret of the
//! links it signs itself (shown once). Every post needs the session's form token.

use reqwest::Method;
use reqwest::header::{ACCEPT_LANGUAGE, COOKIE};
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::web::{logged_in, page, post_with};

const WOOCOMMERCE_ORDER: &[u8] =
    include_bytes!("../../../domain/src/shop/fixtures/woocommerce_order.json");
const SHOPIFY_ORDER: &[u8] =
    include_bytes!("../../../domain/src/shop/fixtures/shopify_orders_fulfilled.json");

/// The text of the first `<code>` after `after` in `html`.
fn code_after<'a>(html: &'a str, after: &str) -> &'a str {
    let (_, rest) = html
        .split_once(after)
        .unwrap_or_else(|| panic!("no {after:?} in {html}"));
    let (_, code) = rest.split_once("<code>").unwrap();
    code.split_once("</code>").unwrap().0
}

/// The invitations page in English, for the session of `cookie`.
async fn settings_page(app: &TestApp, cookie: &str) -> crate::web::Page {
    let page = page(
        app,
        "/invitations",
        &[(ACCEPT_LANGUAGE.as_str(), "en"), (COOKIE.as_str(), cookie)],
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert_eq!(page.headers["cache-control"], "no-store");
    page
}

/// The mail settings, as the API reads them.
async fn api_settings(app: &TestApp) -> Value {
    app.request(
        Method::GET,
        "/api/v1/mail-settings",
        Some(&app.api_key),
        None,
    )
    .await
    .expect(200)
    .body
}

/// A post answered with a page: its status and its HTML, which is never stored by a cache.
async fn post_page(
    app: &TestApp,
    path: &str,
    cookie: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let resp = post_with(app, path, cookie, fields).await;
    let status = resp.status().as_u16();
    if status != 303 && status != 403 {
        assert_eq!(resp.headers()["cache-control"], "no-store", "{path}");
    }
    (status, resp.text().await.unwrap())
}

async fn business_id(app: &TestApp) -> domain::ids::BusinessId {
    app.store
        .business_by_slug(&app.slug)
        .await
        .unwrap()
        .unwrap()
        .id
}

#[tokio::test]
async fn a_business_chooses_when_its_invitations_are_mailed() {
    let app = TestApp::spawn().await;
    let (cookie, csrf) = logged_in(&app, "giulia@example.it").await;
    // The defaults, in force and in the form.
    let shown = settings_page(&app, &cookie).await.html;
    assert!(shown.contains("E-mail settings"), "{shown}");
    assert!(shown.contains("The invitation goes 72 hours after the order is fulfilled"));
    assert!(shown.contains("Just one, 7 days after the invitation"));
    assert!(shown.contains(r#"name="shop_delay_hours" type="number""#));
    assert!(shown.contains(r#"value="72""#));
    assert!(shown.contains(r#"<option value="7" selected>"#));
    assert!(shown.contains(&format!(r#"href="/b/{}/invitations""#, app.slug)));
    assert_eq!(
        api_settings(&app).await,
        json!({"shop_delay_hours": 72, "reminder_days": 7})
    );

    // New ones: saved, shown, and what the API reads.
    let path = "/invitations/mail-settings";
    let (status, saved) = post_page(
        &app,
        path,
        &cookie,
        &[
            ("csrf", &csrf),
            ("shop_delay_hours", "24"),
            ("reminder_days", "3"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    assert!(saved.contains("The e-mail settings are saved"));
    assert!(saved.contains("The invitation goes 24 hours after the order is fulfilled"));
    assert!(saved.contains(r#"<option value="3" selected>"#));
    assert_eq!(
        api_settings(&app).await,
        json!({"shop_delay_hours": 24, "reminder_days": 3})
    );
    let (status, _) = post_page(
        &app,
        path,
        &cookie,
        &[
            ("csrf", &csrf),
            ("shop_delay_hours", "0"),
            ("reminder_days", ""),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        api_settings(&app).await,
        json!({"shop_delay_hours": 0, "reminder_days": null})
    );
    let shown = settings_page(&app, &cookie).await.html;
    assert!(shown.contains("The invitation goes as soon as the order is fulfilled"));
    assert!(shown.contains(r#"<option value="" selected>No reminder</option>"#));

    // Out of range: the error beside its field, what was typed kept, nothing changed.
    for (delay, reminder, field) in [
        ("721", "7", "shop_delay_hours"),
        ("-1", "7", "shop_delay_hours"),
        ("", "7", "shop_delay_hours"),
        ("12", "61", "reminder_days"),
        ("12", "0", "reminder_days"),
    ] {
        let (status, refused) = post_page(
            &app,
            path,
            &cookie,
            &[
                ("csrf", &csrf),
                ("shop_delay_hours", delay),
                ("reminder_days", reminder),
            ],
        )
        .await;
        assert_eq!(status, 422, "{delay} {reminder}: {refused}");
        assert!(
            refused.contains(&format!(r#"<p class="field-error" id="{field}-error">"#)),
            "{delay} {reminder}: {refused}"
        );
        assert!(refused.contains(&format!(r#"{field}-error" aria-invalid="true""#)));
        assert!(!refused.contains("The e-mail settings are saved"));
        assert_eq!(
            api_settings(&app).await,
            json!({"shop_delay_hours": 0, "reminder_days": null}),
            "{delay} {reminder}"
        );
    }
    let (_, refused) = post_page(
        &app,
        path,
        &cookie,
        &[
            ("csrf", &csrf),
            ("shop_delay_hours", "721"),
            ("reminder_days", "5"),
        ],
    )
    .await;
    assert!(refused.contains("Out of the allowed range."));
    assert!(refused.contains(r#"value="721""#));
    assert!(refused.contains(r#"<option value="5" selected>"#));
    // ...while what is in force is still said as it is.
    assert!(refused.contains("The invitation goes as soon as the order is fulfilled"));

    // Without the form token, or with another: refused, nothing changed.
    for token in [None, Some("0123456789abcdef0123456789abcdef")] {
        let mut fields = vec![("shop_delay_hours", "48"), ("reminder_days", "7")];
        if let Some(t) = token {
            fields.push(("csrf", t));
        }
        let (status, _) = post_page(&app, path, &cookie, &fields).await;
        assert_eq!(status, 403);
    }
    assert_eq!(
        api_settings(&app).await,
        json!({"shop_delay_hours": 0, "reminder_days": null})
    );

    // A visitor not logged in goes to the log-in page, for the page and for its forms.
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let anonymous = browser
        .get(format!("{}/invitations", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 303);
    assert_eq!(anonymous.headers()["location"], "/login?next=/invitations");
    for path in [path, "/invitations/shops", "/invitations/link-secret"] {
        let resp = post_with(
            &app,
            path,
            "",
            &[
                ("csrf", &csrf),
                ("shop_delay_hours", "48"),
                ("kind", "shopify"),
            ],
        )
        .await;
        assert_eq!(resp.status(), 303, "{path}");
        assert_eq!(resp.headers()["location"], "/login?next=/invitations");
    }
    assert_eq!(
        api_settings(&app).await,
        json!({"shop_delay_hours": 0, "reminder_days": null})
    );
    let business = business_id(&app).await;
    assert!(app.store.shops(business).await.unwrap().is_empty());
    assert_eq!(app.store.link_generation(business).await.unwrap(), None);
}

/// A WooCommerce delivery of `body`, signed with `secret`.
async fn woocommerce(app: &TestApp, secret: &str, delivery: &str, body: &[u8]) -> u16 {
    app.client
        .post(format!("{}/hooks/woocommerce/{}", app.address, app.slug))
        .header("content-type", "application/json")
        .header("x-wc-webhook-topic", "order.updated")
        .header(
            "x-wc-webhook-signature",
            app::shops::sign(secret.as_bytes(), body),
        )
        .header("x-wc-webhook-delivery-id", delivery)
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_business_connects_its_shop_and_sees_the_secret_once() {
    let app = TestApp::spawn().await;
    let (cookie, csrf) = logged_in(&app, "giulia@example.it").await;
    let business = business_id(&app).await;
    let woo_address = format!("{}/hooks/woocommerce/{}", app.address, app.slug);
    let shown = settings_page(&app, &cookie).await.html;
    assert!(shown.contains("No shop connected."));
    // How to set up each platform, with the address to give it.
    assert!(shown.contains("orders/fulfilled"));
    assert!(shown.contains("Order updated"));
    assert!(shown.contains(&woo_address));

    // WooCommerce without a secret: one is made, and shown this once with the address.
    let (status, connected) = post_page(
        &app,
        "/invitations/shops",
        &cookie,
        &[("csrf", &csrf), ("kind", "woocommerce"), ("secret", "")],
    )
    .await;
    assert_eq!(status, 200, "{connected}");
    assert!(connected.contains("WooCommerce is connected."));
    assert_eq!(
        code_after(&connected, "WooCommerce is connected."),
        woo_address
    );
    let secret = code_after(&connected, "shown only now").to_owned();
    assert_eq!(secret.len(), 43, "{secret}");
    assert_eq!(
        app.store
            .shop_secret(business, domain::shop::ShopKind::WooCommerce)
            .await
            .unwrap()
            .as_deref(),
        Some(secret.as_str())
    );

    // The shop's ping, then a completed order signed with that secret: accepted.
    let ping = app
        .client
        .post(&woo_address)
        .header("content-type", "application/x-www-form-urlencoded")
        .header(
            "x-wc-webhook-signature",
            app::shops::sign(secret.as_bytes(), b"webhook_id=7"),
        )
        .body("webhook_id=7")
        .send()
        .await
        .unwrap();
    assert_eq!(ping.status(), 200);
    let mut order: Value = serde_json::from_slice(WOOCOMMERCE_ORDER).unwrap();
    order["status"] = json!("completed");
    let completed = serde_json::to_vec(&order).unwrap();
    assert_eq!(woocommerce(&app, &secret, "w-1", &completed).await, 201);
    // Signed with anything else: refused.
    assert_eq!(
        woocommerce(&app, "another-secret-0123456789", "w-2", &completed).await,
        401
    );

    // Reloaded: the shop and its address are listed, the secret is not shown again.
    let reloaded = settings_page(&app, &cookie).await.html;
    assert!(!reloaded.contains(&secret));
    assert!(!reloaded.contains("shown only now"));
    assert!(!reloaded.contains("No shop connected."));
    assert!(reloaded.contains("WooCommerce<br><span class=\"muted\">Connected since"));
    assert!(reloaded.contains(&format!("<td><code>{woo_address}</code></td>")));

    // Shopify with a key too short: refused beside the field, the key not written back.
    let (status, refused) = post_page(
        &app,
        "/invitations/shops",
        &cookie,
        &[
            ("csrf", &csrf),
            ("kind", "shopify"),
            ("secret", "corta-123"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert!(refused.contains(r#"<p class="field-error" id="secret-error">Too short.</p>"#));
    assert!(!refused.contains("corta-123"));
    assert!(refused.contains(r#"<option value="shopify" selected>"#));
    let (status, refused) = post_page(
        &app,
        "/invitations/shops",
        &cookie,
        &[("csrf", &csrf), ("kind", "amazon"), ("secret", "")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(refused.contains(r#"id="kind-error""#));
    assert_eq!(app.store.shops(business).await.unwrap().len(), 1);

    // Shopify with the key Shopify shows: connected, the key never shown, and it signs.
    let key = "shpss_0123456789abcdef0123456789abcdef";
    let (status, connected) = post_page(
        &app,
        "/invitations/shops",
        &cookie,
        &[("csrf", &csrf), ("kind", "shopify"), ("secret", key)],
    )
    .await;
    assert_eq!(status, 200, "{connected}");
    assert!(connected.contains("Shopify is connected, with the secret you gave."));
    assert!(!connected.contains(key));
    assert!(!connected.contains("shown only now"));
    let delivered = app
        .client
        .post(format!("{}/hooks/shopify/{}", app.address, app.slug))
        .header("content-type", "application/json")
        .header("x-shopify-topic", "orders/fulfilled")
        .header(
            "x-shopify-hmac-sha256",
            app::shops::sign(key.as_bytes(), SHOPIFY_ORDER),
        )
        .header("x-shopify-webhook-id", "s-1")
        .body(SHOPIFY_ORDER.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(delivered.status(), 201);

    // Without the form token: refused, the secret unchanged.
    let (status, _) = post_page(
        &app,
        "/invitations/shops",
        &cookie,
        &[("kind", "woocommerce"), ("secret", "")],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(woocommerce(&app, &secret, "w-3", &completed).await, 200);
}

#[tokio::test]
async fn a_new_link_secret_is_shown_once_and_replaces_the_last() {
    let app = TestApp::spawn().await;
    let (cookie, csrf) = logged_in(&app, "giulia@example.it").await;
    let business = business_id(&app).await;
    let key = app::tokens::InstanceKey::load_or_create(
        &app.db_path.parent().unwrap().join("instance.key"),
    )
    .unwrap();
    let shown = settings_page(&app, &cookie).await.html;
    assert!(shown.contains("There is no link secret yet"));
    assert!(shown.contains("docs/invitation-links.md"));
    assert!(shown.contains("Make the link secret"));

    let (status, made) = post_page(
        &app,
        "/invitations/link-secret",
        &cookie,
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, 200, "{made}");
    let first = code_after(&made, "Your new link secret").to_owned();
    assert!(first.starts_with("pls_"), "{first}");
    assert!(made.contains("Links signed with the previous one no longer work."));
    // The instance's own secret for this business, of the first generation.
    assert_eq!(first, key.link_secret(business, 1));

    // Reloaded: a secret exists, and is not shown.
    let reloaded = settings_page(&app, &cookie).await.html;
    assert!(!reloaded.contains(&first));
    assert!(reloaded.contains("A link secret is in force."));
    assert!(reloaded.contains("Make a new link secret"));
    assert!(reloaded.contains("the links signed with the current one stop working"));

    // Another: a different secret, the first one's generation gone.
    let (status, again) = post_page(
        &app,
        "/invitations/link-secret",
        &cookie,
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, 200);
    let second = code_after(&again, "Your new link secret").to_owned();
    assert!(second.starts_with("pls_"));
    assert_ne!(first, second);
    assert!(!again.contains(&first));
    assert_eq!(app.store.link_generation(business).await.unwrap(), Some(2));

    // Without the form token: refused, nothing rotated.
    let (status, _) = post_page(&app, "/invitations/link-secret", &cookie, &[]).await;
    assert_eq!(status, 403);
    let (status, _) = post_page(
        &app,
        "/invitations/link-secret",
        &cookie,
        &[("csrf", "not-the-token")],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(app.store.link_generation(business).await.unwrap(), Some(2));
}
