//! What other sites embed: the widget's JSON and script, its iframe, the badge and the Atom
//! feed; and the caching every public read promises (ETag, 304, changed by a new review).

use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, review_body};

async fn get(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = app.client.get(format!("{}{path}", app.address));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn the_widget_badge_and_feed_are_public_cacheable_and_escaped() {
    let app = TestApp::spawn().await;
    let token = app.invite("E-1").await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut body = review_body(&token, 4);
    body["title"] = json!("<script>alert(1)</script>");
    body["body"] = json!(format!("{} & più </content>", "parola ".repeat(60)));
    app.request(Method::POST, "/api/v1/reviews", None, Some(&body))
        .await
        .expect(201);

    // The widget's JSON: any origin may read it, words in the asked language.
    let path = format!("/api/v1/businesses/{}/widget?lang=en", app.slug);
    let resp = get(&app, &path, &[("origin", "https://shop.example")]).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    assert!(
        resp.headers()["cache-control"]
            .to_str()
            .unwrap()
            .starts_with("public")
    );
    let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
    let widget: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(widget["lang"], "en");
    assert_eq!(widget["labels"]["count"], "One review");
    assert_eq!(
        widget["labels"]["score"],
        format!("{:.1} / 5", widget["score"]["value"].as_f64().unwrap())
    );
    let review = &widget["reviews"][0];
    assert_eq!(
        review["title"], "<script>alert(1)</script>",
        "JSON carries text, the script escapes"
    );
    let excerpt = review["body"].as_str().unwrap();
    assert!(
        excerpt.chars().count() <= 241 && excerpt.ends_with('…'),
        "{excerpt}"
    );
    assert!(review["url"].as_str().unwrap().starts_with(&app.address));
    // 304 until a review changes it, then new bytes at once.
    let same = get(&app, &path, &[("if-none-match", &etag)]).await;
    assert_eq!(same.status(), 304);
    assert_eq!(same.headers()["access-control-allow-origin"], "*");
    app.review("E-2", 5).await;
    let changed = get(&app, &path, &[("if-none-match", &etag)]).await;
    assert_eq!(changed.status(), 200);
    let widget: serde_json::Value = changed.json().await.unwrap();
    assert_eq!(widget["labels"]["count"], "2 reviews");
    let it = get(
        &app,
        &format!("/api/v1/businesses/{}/widget", app.slug),
        &[],
    )
    .await;
    let it: serde_json::Value = it.json().await.unwrap();
    assert_eq!(it["labels"]["count"], "2 recensioni");
    let bad = get(
        &app,
        &format!("/api/v1/businesses/{}/widget?lang=fr", app.slug),
        &[],
    )
    .await;
    assert_eq!(bad.status(), 400);
    let missing = get(&app, "/api/v1/businesses/nessuno/widget", &[]).await;
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.headers()["access-control-allow-origin"],
        "*",
        "a widget can tell a 404"
    );
    // A cross-origin revalidation asks first, and may.
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, format!("{}{path}", app.address))
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "if-none-match")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204);
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    assert_eq!(
        preflight.headers()["access-control-allow-headers"],
        "if-none-match"
    );
    // Private answers never allow other origins.
    let private = get(&app, "/inbox", &[]).await;
    assert!(
        private
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );

    // The script: JavaScript, small, cacheable, readable from anywhere.
    let js = get(&app, "/widget.js", &[]).await;
    assert_eq!(js.status(), 200);
    assert_eq!(
        js.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert_eq!(js.headers()["access-control-allow-origin"], "*");
    let js_etag = js.headers()["etag"].to_str().unwrap().to_owned();
    assert!(js.text().await.unwrap().contains("attachShadow"));
    assert_eq!(
        get(&app, "/widget.js", &[("if-none-match", &js_etag)])
            .await
            .status(),
        304
    );

    // The iframe: any site may frame it, nothing may run in it, links leave the frame.
    let frame = get(
        &app,
        &format!("/widget/{}?lang=en&theme=dark", app.slug),
        &[],
    )
    .await;
    assert_eq!(frame.status(), 200);
    let csp = frame.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("frame-ancestors *") && !csp.contains("script-src"),
        "{csp}"
    );
    assert!(frame.headers().get("x-frame-options").is_none());
    let html = frame.text().await.unwrap();
    assert!(html.contains("<base target=\"_blank\">"));
    assert!(html.contains("theme-dark"));
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
    assert!(!html.contains("<script"));

    // The badge: an SVG image with the score and count.
    let badge = get(&app, &format!("/badge/{}.svg?lang=en", app.slug), &[]).await;
    assert_eq!(badge.status(), 200);
    assert_eq!(badge.headers()["content-type"], "image/svg+xml");
    let badge_etag = badge.headers()["etag"].to_str().unwrap().to_owned();
    let svg = badge.text().await.unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("2 reviews"),
        "{svg}"
    );
    assert_eq!(
        get(
            &app,
            &format!("/badge/{}.svg?lang=en", app.slug),
            &[("if-none-match", &badge_etag)]
        )
        .await
        .status(),
        304
    );
    assert_eq!(
        get(&app, &format!("/badge/{}.png", app.slug), &[])
            .await
            .status(),
        404
    );
    assert_eq!(get(&app, "/badge/nessuno.svg", &[]).await.status(), 404);

    // The feed: valid Atom, one entry per review, every text escaped by the XML itself.
    let feed = get(&app, &format!("/b/{}/feed.atom", app.slug), &[]).await;
    assert_eq!(feed.status(), 200);
    assert!(
        feed.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/atom+xml")
    );
    let xml = feed.text().await.unwrap();
    assert!(!xml.contains("<script>") && !xml.contains("più </content>"));
    let parsed = atom_syndication::Feed::read_from(xml.as_bytes()).expect("valid Atom");
    assert!(
        parsed.title().value.starts_with("Recensioni di"),
        "Italian by default"
    );
    let english = get(
        &app,
        &format!("/b/{}/feed.atom?lang=en", app.slug),
        &[("accept-language", "it")],
    )
    .await;
    let english =
        atom_syndication::Feed::read_from(english.text().await.unwrap().as_bytes()).unwrap();
    assert!(
        english.title().value.starts_with("Reviews of"),
        "the query decides, not the headers"
    );
    assert_eq!(parsed.entries().len(), 2);
    let evil = parsed
        .entries()
        .iter()
        .find(|e| e.title().value.contains("alert"))
        .unwrap();
    assert!(evil.title().value.ends_with("<script>alert(1)</script>"));
    assert!(
        evil.content()
            .unwrap()
            .value()
            .unwrap()
            .contains("& più </content>")
    );
}

#[tokio::test]
async fn public_pages_revalidate_with_an_etag() {
    let app = TestApp::spawn().await;
    app.review("PE-1", 5).await;
    let path = format!("/b/{}", app.slug);
    let first = get(&app, &path, &[("accept", "text/html")]).await;
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");
    assert_eq!(first.headers()["cache-control"], "no-cache");
    assert!(
        first.headers()["vary"]
            .to_str()
            .unwrap()
            .contains("accept-language")
    );
    let again = get(
        &app,
        &path,
        &[("accept", "text/html"), ("if-none-match", &etag)],
    )
    .await;
    assert_eq!(again.status(), 304);
    assert!(again.text().await.unwrap().is_empty());
    // Another language is another page.
    let english = get(
        &app,
        &path,
        &[
            ("accept", "text/html"),
            ("accept-language", "en"),
            ("if-none-match", &etag),
        ],
    )
    .await;
    assert_eq!(english.status(), 200);
    // A new review changes the page, and its tag.
    app.review("PE-2", 3).await;
    let changed = get(
        &app,
        &path,
        &[("accept", "text/html"), ("if-none-match", &etag)],
    )
    .await;
    assert_eq!(changed.status(), 200);
    // The log's checkpoint too.
    let checkpoint = get(&app, "/log/checkpoint", &[]).await;
    let tag = checkpoint.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(
        get(&app, "/log/checkpoint", &[("if-none-match", &tag)])
            .await
            .status(),
        304
    );
    // Private pages are never tagged or stored.
    let login = get(&app, "/login", &[("accept", "text/html")]).await;
    assert!(
        login.headers().get("etag").is_none() || login.headers()["cache-control"] == "no-store"
    );
}

/// What `get` answered, without the `date` header (the only one that may differ).
async fn answer(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> (u16, Vec<String>, String) {
    let resp = get(app, path, headers).await;
    let status = resp.status().as_u16();
    let mut fields: Vec<String> = resp
        .headers()
        .iter()
        .filter(|(k, _)| *k != "date")
        .map(|(k, v)| format!("{k}: {}", v.to_str().unwrap()))
        .collect();
    fields.sort();
    (status, fields, resp.text().await.unwrap())
}

// The server answers a repeated public read from its finished response (`PublicCache::ready`),
// before routing: it must be the routed answer exactly, and a write must show at once.
#[tokio::test]
async fn repeated_reads_are_answered_alike_and_a_write_shows_at_once() {
    let app = TestApp::spawn().await;
    app.review("RR-1", 5).await;
    let paths = [
        format!("/api/v1/businesses/{}/widget?lang=it", app.slug),
        format!("/api/v1/businesses/{}/summary", app.slug),
        format!("/badge/{}.svg", app.slug),
        format!("/widget/{}?theme=dark&lang=en", app.slug),
        format!("/b/{}/feed.atom", app.slug),
        format!("/api/v1/businesses/{}/ratings.csv", app.slug),
    ];
    for path in &paths {
        let first = answer(&app, path, &[]).await;
        assert_eq!(first.0, 200, "{path}");
        for _ in 0..2 {
            assert_eq!(answer(&app, path, &[]).await, first, "{path}");
        }
        // A revalidation and a HEAD, routed, agree with it.
        let etag = first
            .1
            .iter()
            .find_map(|h| h.strip_prefix("etag: "))
            .unwrap();
        let revalidated = get(&app, path, &[("if-none-match", etag)]).await;
        assert_eq!(revalidated.status(), 304, "{path}");
        let head = app
            .client
            .head(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(head.headers()["etag"], etag, "{path}");
    }

    // Pages vary with the language asked for: never answered from a ready response.
    let page = format!("/b/{}", app.slug);
    for lang in ["en", "it", "en"] {
        let html = get(&app, &page, &[("accept-language", lang)]).await;
        let html = html.text().await.unwrap();
        assert!(html.contains(&format!("<html lang=\"{lang}\"")), "{lang}");
    }
    // An unknown business stays unknown, however often asked.
    for _ in 0..2 {
        assert_eq!(get(&app, "/badge/nessuno.svg", &[]).await.status(), 404);
    }

    // A new review shows in the very next plain read.
    let before = answer(&app, &paths[0], &[]).await;
    app.review("RR-2", 1).await;
    let widget: serde_json::Value = get(&app, &paths[0], &[]).await.json().await.unwrap();
    assert_eq!(widget["review_count"], 2);
    let after = answer(&app, &paths[0], &[]).await;
    assert_ne!(after.1, before.1, "a new ETag");
    let badge = answer(&app, &paths[2], &[]).await;
    assert!(badge.2.contains("2 recensioni"), "{}", badge.2);
    let csv = answer(&app, &paths[5], &[]).await;
    assert_eq!(csv.2.lines().count(), 3, "a header and two rows: {}", csv.2);
}
