//! Product reviews: the reviewer rates the invitation's products (API and form), each
//! product has its page with its own figures and structured data, erasure takes the words.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, each, review_body};
use crate::web::{page, post_form, without_json_ld};

async fn invite_with_products(app: &TestApp, reference: &str) -> String {
    app.request(
        Method::POST,
        "/api/v1/invitations",
        Some(&app.api_key),
        Some(&json!({
            "reference": reference,
            "products": [
                {"sku": "TAGL-1", "name": "Tagliatelle al ragù"},
                {"sku": "TIRA 2", "name": "Tiramisù <della casa>"},
            ],
        })),
    )
    .await
    .expect(201)
    .body["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn json_ld(html: &str) -> Value {
    let open = "<script type=\"application/ld+json\">";
    let start = html.find(open).expect("JSON-LD") + open.len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).unwrap()
}

#[tokio::test]
async fn reviewers_rate_the_invited_products_and_nothing_else() {
    let app = TestApp::spawn().await;
    let token = invite_with_products(&app, "P-1").await;
    for (products, field, code) in [
        (
            json!([{"sku": "NOPE", "rating": 4}]),
            "products[0].sku",
            "not_invited",
        ),
        (
            json!([{"sku": "TAGL-1", "rating": 6}]),
            "products[0].rating",
            "out_of_range",
        ),
        (
            json!([{"sku": "TAGL-1", "rating": 4}, {"sku": "TAGL-1", "rating": 5}]),
            "products[1].sku",
            "duplicate",
        ),
    ] {
        let mut body = review_body(&token, 5);
        body["products"] = products;
        let refused = app
            .request(Method::POST, "/api/v1/reviews", None, Some(&body))
            .await
            .expect(422)
            .body;
        assert_eq!(refused["errors"][0]["field"], field, "{refused}");
        assert_eq!(refused["errors"][0]["code"], code, "{refused}");
    }
    // Nothing was written by the refusals: the invitation still takes a review.
    let mut body = review_body(&token, 5);
    body["products"] = json!([
        {"sku": "TAGL-1", "rating": 4, "body": "Ragù <b>perfetto</b>."},
        {"sku": "TIRA 2", "rating": 2},
    ]);
    let created = app
        .request(Method::POST, "/api/v1/reviews", None, Some(&body))
        .await
        .expect(201)
        .body;
    assert_eq!(
        created["products"],
        json!([
            {"sku": "TAGL-1", "name": "Tagliatelle al ragù", "rating": 4, "body": "Ragù <b>perfetto</b>."},
            {"sku": "TIRA 2", "name": "Tiramisù <della casa>", "rating": 2, "body": null},
        ])
    );
    // The log commits to them with the rest of the review.
    let content: Value = serde_json::from_str(created["log"]["content"].as_str().unwrap()).unwrap();
    assert_eq!(content["products"][0]["sku"], "TAGL-1");
    assert_eq!(content["products"][1]["rating"], 2);

    // Each product's figures are its own ratings.
    let stats = |sku: &str| format!("/api/v1/businesses/{}/stats?product={sku}", app.slug);
    let tagl = app.get(&stats("TAGL-1")).await.expect(200).body;
    assert_eq!(tagl["review_count"], 1);
    assert_eq!(tagl["rating_average"], 4.0);
    assert_eq!(tagl["invitations_sent"], 1);
    let tira = app.get(&stats("TIRA%202")).await.expect(200).body;
    assert_eq!(tira["rating_average"], 2.0);
    assert_eq!(tira["low_count"], 1);
    let business = app.get(&stats("")).await.expect(400);
    assert_eq!(business.body["errors"][0]["field"], "product");
    // A product nobody was invited about is unknown, not a page of zeros.
    app.get(&stats("MADE-UP")).await.expect(404);
    app.get(&format!(
        "/api/v1/businesses/{}/trends?product=MADE-UP",
        app.slug
    ))
    .await
    .expect(404);

    // The product page: its name, figures, the words as text, structured data that
    // matches what the page shows.
    let path = format!("/b/{}/p/TIRA%202", app.slug);
    let product = page(&app, &path, &[("accept-language", "en")]).await;
    assert_eq!(product.status, 200);
    assert!(
        product
            .html
            .contains("<h1>Tiramisù &#60;della casa&#62;</h1>")
    );
    let tagl_page = page(&app, &format!("/b/{}/p/TAGL-1", app.slug), &[]).await;
    assert!(
        tagl_page
            .html
            .contains("Ragù &#60;b&#62;perfetto&#60;/b&#62;.")
    );
    without_json_ld(&tagl_page.html);
    let ld = json_ld(&tagl_page.html);
    assert_eq!(ld["@type"], "Product");
    assert_eq!(ld["sku"], "TAGL-1");
    assert_eq!(ld["aggregateRating"]["ratingValue"], 4.0);
    assert_eq!(ld["aggregateRating"]["reviewCount"], 1);
    assert_eq!(ld["review"][0]["reviewRating"]["ratingValue"], 4);
    assert_eq!(ld["review"][0]["author"]["name"], "Maria");
    assert_eq!(ld["review"][0]["reviewBody"], "Ragù <b>perfetto</b>.");
    assert_eq!(ld["review"][0]["itemReviewed"]["@id"], ld["@id"]);
    assert!(ld["@id"].as_str().unwrap().ends_with("/p/TAGL-1#product"));
    assert_eq!(
        page(&app, &format!("/b/{}/p/NOPE", app.slug), &[])
            .await
            .status,
        404
    );
    // The business page links its products.
    let business_page = page(&app, &format!("/b/{}", app.slug), &[]).await;
    assert!(
        business_page
            .html
            .contains(&format!("href=\"/b/{}/p/TIRA%202\"", app.slug))
    );

    // Erasure takes the words and the figures.
    let id = created["id"].as_str().unwrap();
    app.request(
        Method::POST,
        &format!("/api/v1/reviews/{id}/erase"),
        Some(created["edit_token"].as_str().unwrap()),
        None,
    )
    .await
    .expect(200);
    let words = app
        .sql()
        .await
        .value(
            each(
                "SELECT body FROM product_reviews WHERE review_id = ?1 AND sku = 'TAGL-1'",
                "SELECT body FROM product_reviews WHERE review_id = $1 AND sku = 'TAGL-1'",
            ),
            &[id.into()],
        )
        .await
        .opt_text();
    assert_eq!(words, None);
    // With no rating left, the product has no figures, as it has no page; the invitation
    // was answered all the same, and the business's figures say so.
    app.get(&stats("TAGL-1")).await.expect(404);
    let whole = app
        .get(&format!("/api/v1/businesses/{}/stats", app.slug))
        .await
        .expect(200)
        .body;
    assert_eq!(whole["invitations_answered"], 1);
    // With no rating left, the product has no public page and is not listed.
    let gone = page(&app, &format!("/b/{}/p/TAGL-1", app.slug), &[]).await;
    assert_eq!(gone.status, 404);
    assert!(!gone.html.contains("perfetto"));
    let listed = page(&app, &format!("/b/{}", app.slug), &[]).await;
    assert!(!listed.html.contains("/p/TAGL-1"));
    assert!(
        !listed.html.contains("/p/TIRA%202"),
        "its only rating was erased too"
    );
}

#[tokio::test]
async fn unrated_and_unreachable_products_have_no_page() {
    let app = TestApp::spawn().await;
    invite_with_products(&app, "P-3").await;
    // Invited about, never rated: neither listed nor shown, and no figures (they would
    // tell what the business asked its customers about).
    let business = page(&app, &format!("/b/{}", app.slug), &[]).await;
    assert!(!business.html.contains("/p/TAGL-1"));
    for path in ["stats", "trends"] {
        let figures = format!("/api/v1/businesses/{}/{path}?product=TAGL-1", app.slug);
        app.get(&figures).await.expect(404);
    }
    assert_eq!(
        page(&app, &format!("/b/{}/p/TAGL-1", app.slug), &[])
            .await
            .status,
        404
    );
    // A SKU a URL would resolve away cannot be listed at all.
    let refused = app
        .request(
            Method::POST,
            "/api/v1/invitations",
            Some(&app.api_key),
            Some(&json!({"reference": "P-4", "products": [{"sku": "..", "name": "Su"}]})),
        )
        .await
        .expect(422)
        .body;
    assert_eq!(refused["errors"][0]["field"], "products[0].sku");
}

#[tokio::test]
async fn the_form_asks_about_each_product_and_keeps_what_was_typed() {
    let app = TestApp::spawn().await;
    let token = invite_with_products(&app, "P-2").await;
    let cookie = format!("pp_invitation={token}");
    let form = page(
        &app,
        "/review",
        &[("accept-language", "it"), ("cookie", &cookie)],
    )
    .await;
    assert_eq!(form.status, 200);
    assert!(
        form.html
            .contains("<legend>I prodotti del tuo ordine</legend>")
    );
    assert!(form.html.contains("name=\"p0_rating\""));
    assert!(form.html.contains("name=\"p1_body\""));
    assert!(form.html.contains("Tiramisù &#60;della casa&#62;"));
    let origin = app.address.clone();
    let mut fields = vec![
        ("invitation", token.as_str()),
        ("rating", "4"),
        ("title", "Buona cena"),
        ("body", "Tutto bene."),
        ("author_name", "Ugo"),
        ("p0_rating", "5"),
        ("p0_body", "Eccellenti."),
        ("p1_body", "Senza voto"),
    ];
    // Words without a rating are refused, and everything typed stays.
    let refused = post_form(&app, "/review", Some(&origin), &fields).await;
    assert_eq!(refused.status, 422);
    assert!(refused.html.contains("id=\"p1-error\""));
    assert!(refused.html.contains(">Senza voto</textarea>"));
    assert!(refused.html.contains("<option value=\"5\" selected>"));
    fields.retain(|(k, _)| *k != "p1_body");
    let done = post_form(&app, "/review", Some(&origin), &fields).await;
    assert_eq!(done.status, 200, "{}", done.html);
    let tagl = app
        .get(&format!(
            "/api/v1/businesses/{}/stats?product=TAGL-1",
            app.slug
        ))
        .await
        .expect(200)
        .body;
    assert_eq!(tagl["review_count"], 1);
    assert_eq!(tagl["rating_average"], 5.0);
    let tira = app
        .get(&format!(
            "/api/v1/businesses/{}/stats?product=TIRA%202",
            app.slug
        ))
        .await
        .expect(404);
    assert_eq!(
        tira.body["type"], "/problems/not-found",
        "left unrated: no figures"
    );
}

/// The answer to an invitation of `reference` listing `products`.
async fn invite_described(app: &TestApp, reference: &str, products: Value) -> Reply {
    app.request(
        Method::POST,
        "/api/v1/invitations",
        Some(&app.api_key),
        Some(&json!({"reference": reference, "products": products})),
    )
    .await
}

/// The structured data of a product's page, checked to hold no raw markup.
async fn product_ld(app: &TestApp, sku: &str) -> Value {
    let path = format!("/b/{}/p/{sku}", app.slug);
    let product = page(app, &path, &[]).await;
    assert_eq!(product.status, 200, "{path}");
    without_json_ld(&product.html);
    json_ld(&product.html)
}

#[tokio::test]
async fn a_product_s_page_picture_and_gtin_describe_it_to_search_engines() {
    let app = TestApp::spawn().await;
    // A `javascript:` page, credentials in a picture's address, a wrong check digit: each
    // refused by its field, and nothing is written.
    let refused = invite_described(
        &app,
        "D-1",
        json!([
            {"sku": "TAZZA", "name": "Tazza", "gtin": "96385074"},
            {"sku": "MOKA", "name": "Moka", "url": "javascript:alert(document.cookie)",
             "image": "https://user:secret@cdn.example.it/moka.jpg", "gtin": "4006381333932"},
        ]),
    )
    .await
    .expect(422)
    .body;
    let errors: Vec<(&str, &str)> = refused["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        errors,
        [
            ("products[1].url", "invalid_url"),
            ("products[1].image", "invalid_url"),
            ("products[1].gtin", "invalid_check_digit"),
        ],
        "{refused}"
    );
    for (gtin, code) in [
        ("400638133393", "invalid_check_digit"),
        ("4006 381", "invalid_gtin"),
    ] {
        let refused = invite_described(
            &app,
            "D-1",
            json!([{"sku": "MOKA", "name": "Moka", "gtin": gtin}]),
        )
        .await
        .expect(422)
        .body;
        assert_eq!(refused["errors"][0]["field"], "products[0].gtin");
        assert_eq!(refused["errors"][0]["code"], code);
    }

    let image = "https://cdn.example.it/moka.jpg?w=800&h=800";
    let created = invite_described(
        &app,
        "D-1",
        json!([
            {"sku": "MOKA", "name": "Moka 3 tazze", "url": "https://bottega.example.it/moka",
             "image": image, "gtin": "4006381333931"},
            {"sku": "TAZZA", "name": "Tazza"},
        ]),
    )
    .await
    .expect(201)
    .body;
    // Given, they are listed; not given, they are not there at all (not `null`).
    let listed = json!([
        {"sku": "MOKA", "name": "Moka 3 tazze", "url": "https://bottega.example.it/moka",
         "image": image, "gtin": "4006381333931"},
        {"sku": "TAZZA", "name": "Tazza"},
    ]);
    assert_eq!(created["products"], listed);
    let token = created["token"].as_str().unwrap();
    let public = app
        .get(&format!("/api/v1/invitations/{token}"))
        .await
        .expect(200)
        .body;
    assert_eq!(public["products"], listed);

    let mut body = review_body(token, 5);
    body["products"] = json!([
        {"sku": "MOKA", "rating": 5, "body": "Caffè ottimo."},
        {"sku": "TAZZA", "rating": 4},
    ]);
    app.request(Method::POST, "/api/v1/reviews", None, Some(&body))
        .await
        .expect(201);
    let moka = product_ld(&app, "MOKA").await;
    assert_eq!(moka["@type"], "Product");
    assert_eq!(moka["name"], "Moka 3 tazze");
    assert!(moka["url"].as_str().unwrap().ends_with("/p/MOKA"));
    assert_eq!(moka["sameAs"], "https://bottega.example.it/moka");
    assert_eq!(moka["image"], image);
    assert_eq!(moka["gtin13"], "4006381333931");
    assert_eq!(moka["aggregateRating"]["ratingValue"], 5.0);
    assert_eq!(moka["review"][0]["reviewRating"]["ratingValue"], 5);
    // What was not given is not said.
    let tazza = product_ld(&app, "TAZZA").await;
    let keys: Vec<&str> = tazza
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert!(
        keys.iter()
            .all(|k| !["sameAs", "image"].contains(k) && !k.starts_with("gtin")),
        "{keys:?}"
    );

    // A later invitation renames the product and gives another picture, but no page or
    // GTIN: the product keeps those it had.
    let image_2 = "https://cdn.example.it/moka-express.jpg";
    invite_described(
        &app,
        "D-2",
        json!([{"sku": "MOKA", "name": "Moka Express 3 tazze", "image": image_2}]),
    )
    .await
    .expect(201);
    let moka = product_ld(&app, "MOKA").await;
    assert_eq!(moka["name"], "Moka Express 3 tazze");
    assert_eq!(moka["image"], image_2);
    assert_eq!(moka["sameAs"], "https://bottega.example.it/moka");
    assert_eq!(moka["gtin13"], "4006381333931");

    // The API's document says what it takes.
    let doc = app.get("/api/openapi.json").await.expect(200).body;
    let properties = &doc["components"]["schemas"]["ProductInput"]["properties"];
    assert_eq!(properties["url"]["format"], "uri");
    assert_eq!(properties["image"]["format"], "uri");
    assert_eq!(properties["url"]["maxLength"], 2000);
    assert_eq!(properties["gtin"]["pattern"], "^([0-9]{8}|[0-9]{12,14})$");
}
