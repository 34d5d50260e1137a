//! Product reviews: the reviewer rates the invitation's products (API and form), each
//! product has its page with its own figures and structured data, erasure takes the words.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, each, review_body};
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
