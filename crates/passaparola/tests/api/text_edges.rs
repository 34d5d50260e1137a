//! Text at its edges (issue 13.6): every text field refuses the characters XML 1.0 forbids
//! (controls other than tab and line breaks) and Unicode noncharacters, over every input
//! path; and what it accepts (markup characters, emoji, line and paragraph separators,
//! bidirectional controls, combining marks) leaves every feed, badge, chart and widget well
//! formed, and escaped.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, review_body};

/// Characters refused in every text field, each named.
const FORBIDDEN: [(&str, &str); 9] = [
    ("NUL", "\u{0}"),
    ("U+0001", "\u{1}"),
    ("backspace", "\u{8}"),
    ("vertical tab", "\u{B}"),
    ("form feed", "\u{C}"),
    ("U+001F", "\u{1F}"),
    ("U+FFFE", "\u{FFFE}"),
    ("U+FFFF", "\u{FFFF}"),
    ("U+1FFFF", "\u{1FFFF}"),
];

/// Accepted, and hard on a careless serialiser.
const EDGY: &str =
    "<b>Tom & \"Jerry\"</b> 'ok' 🍝 caffè e\u{301} \u{2028}sep\u{2029} \u{202E}rtl\u{202C} 漢字";

#[tokio::test]
async fn every_text_field_refuses_what_xml_forbids() {
    let app = TestApp::spawn_unlimited().await;
    let review = app.review("ORD-1", 2).await;
    let id = review["id"].as_str().unwrap();
    let edit = review["edit_token"].as_str().unwrap();
    app.request(
        Method::PUT,
        &format!("/api/v1/reviews/{id}/reply"),
        Some(&app.api_key),
        Some(&json!({"body": "Grazie", "responder_name": "Giulia"})),
    )
    .await
    .expect(201);
    for (name, c) in FORBIDDEN {
        let text = format!("Testo {c} qui");
        let token = app.invite(&format!("REF-{name}")).await["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut submissions = Vec::new();
        for field in ["title", "body", "author_name"] {
            let mut body = review_body(&token, 4);
            body[field] = json!(text);
            submissions.push((field.to_owned(), body));
        }
        let cases: Vec<(String, Method, String, Option<&str>, Value)> = submissions
            .into_iter()
            .map(|(field, body)| (field, Method::POST, "/api/v1/reviews".into(), None, body))
            .chain([
                (
                    "title".into(),
                    Method::PATCH,
                    format!("/api/v1/reviews/{id}"),
                    Some(edit),
                    json!({"title": text}),
                ),
                (
                    "body".into(),
                    Method::PATCH,
                    format!("/api/v1/reviews/{id}"),
                    Some(edit),
                    json!({"body": text}),
                ),
                (
                    "body".into(),
                    Method::PUT,
                    format!("/api/v1/reviews/{id}/reply"),
                    Some(app.api_key.as_str()),
                    json!({"body": text, "responder_name": "Giulia"}),
                ),
                (
                    "responder_name".into(),
                    Method::PUT,
                    format!("/api/v1/reviews/{id}/reply"),
                    Some(app.api_key.as_str()),
                    json!({"body": "Grazie", "responder_name": text}),
                ),
                (
                    "responder_role".into(),
                    Method::PUT,
                    format!("/api/v1/reviews/{id}/reply"),
                    Some(app.api_key.as_str()),
                    json!({"body": "Grazie", "responder_name": "Giulia", "responder_role": text}),
                ),
                (
                    "body".into(),
                    Method::POST,
                    format!("/api/v1/reviews/{id}/follow-up"),
                    Some(edit),
                    json!({"body": text}),
                ),
                (
                    "reference".into(),
                    Method::POST,
                    "/api/v1/invitations".into(),
                    Some(app.api_key.as_str()),
                    json!({"reference": text}),
                ),
                (
                    "customer_name".into(),
                    Method::POST,
                    "/api/v1/invitations".into(),
                    Some(app.api_key.as_str()),
                    json!({"reference": "R", "customer_name": text}),
                ),
                (
                    "products[0].name".into(),
                    Method::POST,
                    "/api/v1/invitations".into(),
                    Some(app.api_key.as_str()),
                    json!({"reference": "R", "products": [{"sku": "S-1", "name": text}]}),
                ),
            ])
            .collect();
        for (field, method, path, auth, body) in cases {
            let reply = app.request(method.clone(), &path, auth, Some(&body)).await;
            let reply = reply.expect(422);
            let named = reply.body["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == field.as_str());
            assert!(named, "{name} in {field} ({method} {path}): {}", reply.body);
        }
    }
    // Nothing was written by the refusals: the review is as it was.
    let shown = app
        .get(&format!("/api/v1/reviews/{id}"))
        .await
        .expect(200)
        .body;
    assert_eq!(shown["edit_count"], 0);
    assert_eq!(shown["reply"]["body"], "Grazie");
}

/// The widget frame and the business page: HTML in which `EDGY`'s markup shows as text.
fn assert_escaped(html: &str) {
    assert!(!html.contains("<b>Tom"), "unescaped markup");
    assert!(
        html.contains("&#60;b&#62;Tom") || html.contains("&lt;b&gt;Tom"),
        "{html}"
    );
}

/// Every `<svg …>…</svg>` in `html` is well-formed XML.
fn svgs_parse(html: &str) -> usize {
    let mut found = 0;
    for part in html.split("<svg").skip(1) {
        let end = part.find("</svg>").expect("a closed svg") + "</svg>".len();
        let svg = format!("<svg{}", &part[..end]);
        roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{e}: {svg}"));
        found += 1;
    }
    found
}

#[tokio::test]
async fn what_is_accepted_leaves_feeds_badges_charts_and_widgets_well_formed() {
    let app = TestApp::spawn_unlimited().await;
    let token = app.invite("EDGE-1").await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut body = review_body(&token, 5);
    body["title"] = json!(EDGY);
    body["body"] = json!(format!("{EDGY}\n\tseconda riga"));
    body["author_name"] = json!("Zoë <i>&amp;</i>");
    let review = app
        .request(Method::POST, "/api/v1/reviews", None, Some(&body))
        .await
        .expect(201)
        .body;
    // Kept as typed, in NFC: the combining accent joins its letter.
    assert_eq!(review["title"], EDGY.replace("e\u{301}", "\u{e9}"));
    let id = review["id"].as_str().unwrap();
    app.request(
        Method::PUT,
        &format!("/api/v1/reviews/{id}/reply"),
        Some(&app.api_key),
        Some(&json!({"body": EDGY, "responder_name": "Giulia <b>", "responder_role": "\"Titolare\""})),
    )
    .await
    .expect(201);
    app.request(
        Method::POST,
        &format!("/api/v1/reviews/{id}/follow-up"),
        Some(review["edit_token"].as_str().unwrap()),
        Some(&json!({"body": EDGY})),
    )
    .await
    .expect(201);

    for lang in ["it", "en"] {
        // The Atom feed parses, and carries the text exactly.
        let feed = app
            .client
            .get(format!(
                "{}/b/{}/feed.atom?lang={lang}",
                app.address, app.slug
            ))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let parsed = atom_syndication::Feed::read_from(feed.as_bytes())
            .unwrap_or_else(|e| panic!("{e}: {feed}"));
        assert!(
            parsed
                .entries()
                .iter()
                .any(|e| e.title().as_str().contains("Tom & \"Jerry\""))
        );
        // The badge is well-formed SVG.
        let badge = app
            .client
            .get(format!(
                "{}/badge/{}.svg?lang={lang}",
                app.address, app.slug
            ))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        roxmltree::Document::parse(&badge).unwrap_or_else(|e| panic!("{e}: {badge}"));
        // The widget's JSON holds the text as typed; its frame and the pages escape it.
        let widget: Value = app
            .client
            .get(format!(
                "{}/api/v1/businesses/{}/widget?lang={lang}",
                app.address, app.slug
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(
            widget.to_string().contains("Tom & \\\"Jerry\\\""),
            "{widget}"
        );
        let frame = app
            .client
            .get(format!("{}/widget/{}?lang={lang}", app.address, app.slug))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_escaped(&frame);
        // The business page, with its charts: every chart well-formed SVG.
        let page = app
            .client
            .get(format!("{}/b/{}", app.address, app.slug))
            .header("accept-language", lang)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_escaped(&page);
        assert!(svgs_parse(&page) >= 1, "the page draws its charts");
        let permalink = app
            .client
            .get(format!("{}/b/{}/r/{id}", app.address, app.slug))
            .header("accept-language", lang)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_escaped(&permalink);
    }
}
