//! The public pages, over HTTP: both languages, escaping of everything a stranger wrote,
//! filters and pages, permalinks with their log entries, headers and assets. (askama
//! escapes with numeric references: `<` is `&#60;`, `&` is `&#38;`, `"` is `&#34;`.)

use reqwest::Method;
use reqwest::header::{ACCEPT, ACCEPT_LANGUAGE, COOKIE, HeaderMap};
use serde_json::json;

use domain::secret::TokenHash;

use crate::helpers::{TestApp, each, review_body};

pub(crate) struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub html: String,
}

pub(crate) async fn page(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Page {
    let mut req = app
        .client
        .get(format!("{}{path}", app.address))
        .header(ACCEPT, "text/html");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    Page {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        html: resp.text().await.unwrap(),
    }
}

/// The page without its JSON-LD element, checked to hold no raw `<`, `>` or `&`.
pub(crate) fn without_json_ld(html: &str) -> String {
    const OPEN: &str = "<script type=\"application/ld+json\">";
    let Some(start) = html.find(OPEN) else {
        return html.to_owned();
    };
    let end = start + html[start..].find("</script>").expect("closed") + "</script>".len();
    let json = &html[start + OPEN.len()..end - "</script>".len()];
    assert!(
        !json.contains(['<', '>', '&']),
        "JSON-LD holds raw markup: {json}"
    );
    serde_json::from_str::<serde_json::Value>(json).expect("JSON-LD is JSON");
    format!("{}{}", &html[..start], &html[end..])
}

/// Counts the review cards on a page.
fn cards(html: &str) -> usize {
    html.matches("<article class=\"card review\"").count()
}

#[tokio::test]
async fn pages_speak_italian_and_english_and_remember_the_choice() {
    let app = TestApp::spawn().await;
    app.review("ORD-1", 4).await;
    let path = format!("/b/{}", app.slug);
    let it = page(&app, &path, &[(ACCEPT_LANGUAGE.as_str(), "it-IT,it;q=0.9")]).await;
    assert_eq!(it.status, 200);
    assert!(it.html.contains("<html lang=\"it\">"));
    assert!(it.html.contains("Valutazione media") && it.html.contains("Una recensione"));
    assert!(it.html.contains("4,0"), "Italian decimals");
    let en = page(&app, &path, &[(ACCEPT_LANGUAGE.as_str(), "en-GB,en;q=0.8")]).await;
    assert!(en.html.contains("<html lang=\"en\">"));
    assert!(en.html.contains("Average rating") && en.html.contains("One review"));
    assert!(en.html.contains("4.0"), "English decimals");
    // Neither language asked for: Italian, the house's first.
    let de = page(&app, &path, &[(ACCEPT_LANGUAGE.as_str(), "de")]).await;
    assert!(de.html.contains("<html lang=\"it\">"));
    // The visitor's choice wins over the browser's.
    let chosen = page(
        &app,
        &path,
        &[
            (ACCEPT_LANGUAGE.as_str(), "it"),
            (COOKIE.as_str(), "pp_lang=en"),
        ],
    )
    .await;
    assert!(chosen.html.contains("<html lang=\"en\">"));
    // Every page links the switch back to itself, its query encoded.
    assert!(
        it.html
            .contains(&format!("/lang/en?next=/b/{}\"", app.slug))
    );
    let filtered = page(&app, &format!("{path}?rating=4&sort=oldest"), &[]).await;
    assert!(
        filtered.html.contains(&format!(
            "/lang/en?next=/b/{}%3Frating%3D4%26sort%3Doldest\"",
            app.slug
        )),
        "{}",
        filtered.html
    );

    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let switch = |to: &str| {
        let url = format!("{}{to}", app.address);
        let client = no_redirects.clone();
        async move { client.get(url).send().await.unwrap() }
    };
    let resp = switch(&format!("/lang/en?next=/b/{}", app.slug)).await;
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(
        resp.headers()["location"],
        format!("/b/{}", app.slug).as_str()
    );
    let cookie = resp.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cookie.starts_with("pp_lang=en;") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    // Never a redirect off the site.
    for next in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "",
    ] {
        let resp = switch(&format!("/lang/it?next={next}")).await;
        assert_eq!(resp.headers()["location"], "/", "{next}");
    }
    assert_eq!(switch("/lang/de").await.status().as_u16(), 404);
}

#[tokio::test]
async fn what_strangers_write_is_shown_as_text_and_never_runs() {
    let app = TestApp::spawn().await;
    let (evil_slug, _) = app
        .create_business(
            "bottega-evil",
            "<i>Bottega</i> \"&' <script>alert(0)</script>",
        )
        .await;
    let token = app.invite("ORD-X").await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut body = review_body(&token, 1);
    body["title"] = json!("<script>alert(1)</script>");
    body["body"] = json!("<img src=x onerror=alert(2)> & \"quoted\"\nsecond line");
    body["author_name"] = json!("\"><b onmouseover=alert(3)>Maria</b>");
    let created = app
        .request(Method::POST, "/api/v1/reviews", None, Some(&body))
        .await
        .expect(201)
        .body;
    let id = created["id"].as_str().unwrap();
    app.request(
        Method::PUT,
        &format!("/api/v1/reviews/{id}/reply"),
        Some(&app.api_key),
        Some(&json!({"body": "</p><script>alert(4)</script>", "responder_name": "<u>Gino</u>"})),
    )
    .await
    .expect(201);
    let pages = [
        page(&app, &format!("/b/{}", app.slug), &[]).await,
        page(&app, &format!("/b/{}/r/{id}", app.slug), &[]).await,
        page(&app, "/?q=Bottega", &[]).await,
        page(&app, &format!("/b/{evil_slug}"), &[]).await,
        page(&app, "/?q=%3Cscript%3E", &[]).await,
    ];
    for p in &pages {
        assert_eq!(p.status, 200);
        // The one script element allowed is structured data, which never runs and whose
        // text cannot end the element: every `<` in it is escaped as `\u003c`.
        let html = without_json_ld(&p.html);
        assert!(!html.contains("<script"), "{html}");
        assert!(!p.html.contains("<img"), "{}", p.html);
        assert!(!p.html.contains("<b "), "{}", p.html);
        assert!(
            !p.html.contains("<u>") && !p.html.contains("<i>"),
            "{}",
            p.html
        );
    }
    let [business, permalink, search, evil, query] = &pages;
    for html in [&business.html, &permalink.html] {
        assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
        assert!(html.contains("&#60;img src=x onerror=alert(2)&#62; &#38; &#34;quoted&#34;"));
        assert!(html.contains("&#60;/p&#62;&#60;script&#62;alert(4)&#60;/script&#62;"));
        assert!(html.contains("&#60;u&#62;Gino&#60;/u&#62;"));
    }
    assert!(search.html.contains("&#60;i&#62;Bottega&#60;/i&#62;"));
    assert!(evil.html.contains("<h1>&#60;i&#62;Bottega&#60;/i&#62;"));
    // The title and description hold the name as text too.
    assert!(evil.html.contains("<title>&#60;i&#62;Bottega"));
    assert!(query.html.contains("value=\"&#60;script&#62;\""));
    // No script may run on any page at all.
    let csp = business.headers["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
}

#[tokio::test]
async fn the_business_page_filters_sorts_and_pages_like_the_api() {
    let app = TestApp::spawn().await;
    for i in 0..25 {
        app.review(&format!("ORD-{i}"), i % 5 + 1).await;
    }
    let path = format!("/b/{}", app.slug);
    let first = page(&app, &path, &[]).await;
    assert_eq!(cards(&first.html), 20);
    assert!(first.html.contains("25 recensioni"));
    assert!(
        first
            .html
            .contains("<meter min=\"0\" max=\"25\" value=\"5\">")
    );
    let next = first
        .html
        .split("rel=\"next\"")
        .next()
        .and_then(|h| h.rsplit("href=\"").next())
        .map(|h| h.trim_end_matches("\" ").replace("&amp;", "&"))
        .unwrap();
    assert!(next.contains("cursor="), "{next}");
    let second = page(
        &app,
        next.trim_end_matches("#reviews").trim_end_matches('"'),
        &[],
    )
    .await;
    assert_eq!(second.status, 200);
    assert_eq!(cards(&second.html), 5);
    assert!(!second.html.contains("rel=\"next\""));
    // The two pages together hold every review once.
    let ids = |html: &str| -> Vec<String> {
        html.split("id=\"r-")
            .skip(1)
            .map(|s| s.split('"').next().unwrap().to_owned())
            .collect()
    };
    let mut all = ids(&first.html);
    all.extend(ids(&second.html));
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 25);

    let ones = page(&app, &format!("{path}?rating=1&sort=oldest"), &[]).await;
    assert_eq!(cards(&ones.html), 5);
    assert_eq!(
        ones.html
            .matches("aria-label=\"Valutazione: 1 stella su 5\"")
            .count(),
        5
    );
    assert!(ones.html.contains("<option value=\"1\" selected>"));
    assert!(ones.html.contains("<option value=\"oldest\" selected>"));
    // An empty choice from the form means any.
    let any = page(&app, &format!("{path}?rating=&relationship=&sort="), &[]).await;
    assert_eq!(cards(&any.html), 20);
    let suppliers = page(&app, &format!("{path}?relationship=supplier"), &[]).await;
    assert_eq!(cards(&suppliers.html), 0);
    assert!(suppliers.html.contains("Nessuna recensione corrisponde."));

    for bad in [
        "?rating=9",
        "?rating=x",
        "?sort=best",
        "?relationship=friend",
        "?cursor=abc",
    ] {
        let p = page(&app, &format!("{path}{bad}"), &[]).await;
        assert_eq!(p.status, 400, "{bad}");
        assert!(p.html.contains("Richiesta non valida"), "{bad}");
    }
    let missing = page(&app, "/b/nessuna-bottega", &[]).await;
    assert_eq!(missing.status, 404);
    assert!(missing.html.contains("Pagina non trovata"));
}

#[tokio::test]
async fn a_permalink_shows_the_history_and_the_log() {
    let app = TestApp::spawn().await;
    let created = app.review("ORD-1", 2).await;
    let id = created["id"].as_str().unwrap();
    let edit = created["edit_token"].as_str().unwrap();
    app.request(
        Method::PATCH,
        &format!("/api/v1/reviews/{id}"),
        Some(edit),
        Some(&json!({"rating": 3})),
    )
    .await
    .expect(200);
    let path = format!("/b/{}/r/{id}", app.slug);
    let p = page(&app, &path, &[(ACCEPT_LANGUAGE.as_str(), "en")]).await;
    assert_eq!(p.status, 200);
    assert!(p.html.contains("Review by Maria of Trattoria Test"));
    assert!(p.html.contains("edited once"));
    assert!(p.html.contains("<li>Published") && p.html.contains("<li>Edited"));
    assert!(p.html.contains("href=\"/api/v1/log/entries/0/receipt\""));
    assert!(p.html.contains("href=\"/api/v1/log/entries/1/receipt\""));
    assert!(
        p.html
            .contains(&format!("href=\"/api/v1/reviews/{id}/receipt\" download"))
    );
    // Under another business's address, or with a bad id: not found.
    let (other, _) = app.create_business("altra-bottega", "Altra").await;
    for bad in [
        format!("/b/{other}/r/{id}"),
        format!("/b/{}/r/nope", app.slug),
    ] {
        assert_eq!(page(&app, &bad, &[]).await.status, 404, "{bad}");
    }
    // Withdrawn: a tombstone, the history stays.
    app.request(
        Method::DELETE,
        &format!("/api/v1/reviews/{id}"),
        Some(edit),
        None,
    )
    .await
    .expect(200);
    let p = page(&app, &path, &[(ACCEPT_LANGUAGE.as_str(), "en")]).await;
    assert!(p.html.contains("Review withdrawn by its author on"));
    assert!(!p.html.contains("Servizio cortese"));
    assert!(p.html.contains("<li>Withdrawn"));
}

#[tokio::test]
async fn pages_carry_strict_headers_and_assets_are_cached_for_good() {
    let app = TestApp::spawn().await;
    let home = page(&app, "/", &[]).await;
    assert_eq!(home.status, 200);
    assert_eq!(home.headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(home.headers["x-content-type-options"], "nosniff");
    assert_eq!(home.headers["x-frame-options"], "DENY");
    // Our forms need the browser's `Origin`; other sites get no referrer.
    assert_eq!(home.headers["referrer-policy"], "same-origin");
    assert!(home.headers.contains_key("content-security-policy"));
    assert!(home.html.contains("<title>") && home.html.contains("<meta name=\"description\""));
    let style = home
        .html
        .split("rel=\"stylesheet\" href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    assert!(
        style.starts_with("/static/style.") && style.ends_with(".css"),
        "{style}"
    );
    let css = app
        .client
        .get(format!("{}{style}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), 200);
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    assert!(
        css.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert!(
        !home.html.contains("noindex"),
        "public pages are for everyone"
    );
    let robots = app
        .client
        .get(format!("{}/robots.txt", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(robots.status(), 200);
    assert!(robots.text().await.unwrap().contains("Disallow: /e/"));
    let icon = app
        .client
        .get(format!("{}/favicon.svg", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(icon.headers()["content-type"], "image/svg+xml");
    // Compressed for clients that ask.
    let gz = app
        .client
        .get(format!("{}/", app.address))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    // An unknown address: a page for a browser, a problem for a program.
    assert_eq!(page(&app, "/nowhere", &[]).await.status, 404);
    let json = app.get("/nowhere").await.expect(404);
    assert_eq!(json.content_type(), "application/problem+json");
    let api = page(&app, "/api/v1/nowhere", &[]).await;
    assert_eq!(api.headers["content-type"], "application/problem+json");
}

pub(crate) async fn post_form(
    app: &TestApp,
    path: &str,
    origin: Option<&str>,
    fields: &[(&str, &str)],
) -> Page {
    post_form_with(app, path, origin, "", fields).await
}

/// [`post_form`] with a `Cookie` header (unless empty).
async fn post_form_with(
    app: &TestApp,
    path: &str,
    origin: Option<&str>,
    cookie: &str,
    fields: &[(&str, &str)],
) -> Page {
    let mut req = app
        .client
        .post(format!("{}{path}", app.address))
        .header(ACCEPT_LANGUAGE, "it")
        .form(fields);
    if !cookie.is_empty() {
        req = req.header(COOKIE, cookie);
    }
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    let resp = req.send().await.unwrap();
    Page {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        html: resp.text().await.unwrap(),
    }
}

#[tokio::test]
async fn a_customer_reviews_through_the_invitation_form() {
    let app = TestApp::spawn().await;
    let token = app.invite("ORD-WEB").await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    // The link keeps its token in a cookie for the form's path alone, and goes on to the
    // form, whose address holds nothing personal.
    let link = format!("/r/{token}");
    let opened = no_redirect_get(&app, &link, "").await;
    assert_eq!(opened.status(), 303);
    assert_eq!(opened.headers()["location"], "/review");
    assert_eq!(opened.headers()["cache-control"], "no-store");
    let set = opened.headers()["set-cookie"].to_str().unwrap();
    assert_eq!(
        set,
        format!("pp_invitation={token}; Path=/review; HttpOnly; SameSite=Lax")
    );
    let cookie = format!("pp_invitation={token}");
    let path = "/review";
    let form = page(
        &app,
        path,
        &[(ACCEPT_LANGUAGE.as_str(), "it"), (COOKIE.as_str(), &cookie)],
    )
    .await;
    assert_eq!(form.status, 200);
    assert_eq!(form.headers["cache-control"], "no-store");
    assert!(!form.html.contains("noindex"));
    // The token is in the page once: the form's hidden field, which posts for this
    // invitation whatever another tab does to the cookie.
    assert_eq!(form.html.matches(token.as_str()).count(), 1);
    assert!(
        form.html
            .contains(&format!("name=\"invitation\" value=\"{token}\""))
    );
    assert!(form.html.contains("action=\"/review\""));
    assert!(form.html.contains("Recensisci Trattoria Test"));
    // Without the cookie, the same address says how reviews are written here.
    let landing = page(&app, path, &[(ACCEPT_LANGUAGE.as_str(), "en")]).await;
    assert_eq!(landing.status, 200);
    assert!(landing.html.contains("<h1>Write a review</h1>"));
    assert!(!landing.html.contains("noindex"));
    let lost = post_form(&app, path, Some(app.address.as_str()), &[("rating", "5")]).await;
    assert_eq!(lost.status, 400);
    assert!(lost.html.contains("Scrivi una recensione"));
    assert_eq!(
        form.html.matches("type=\"radio\" name=\"rating\"").count(),
        5
    );
    assert!(form.html.contains("<legend>La tua valutazione</legend>"));
    for id in [
        "f-title",
        "f-body",
        "f-nps",
        "f-experience_date",
        "f-author_name",
    ] {
        assert!(
            form.html.contains(&format!("<label for=\"{id}\"")),
            "{id} has a label"
        );
    }

    // Refused: the messages sit beside their fields, and nothing typed is lost.
    let long_title = "T".repeat(121);
    let typed = [
        ("title", long_title.as_str()),
        ("body", "Cena <b>ottima</b>,\nservizio lento."),
        ("nps", "7"),
        ("experience_date", "2999-01-01"),
        ("author_name", "Ada L."),
    ];
    let own = app.address.as_str();
    let refused = post_form_with(&app, path, Some(own), &cookie, &typed).await;
    assert_eq!(refused.status, 422);
    assert!(refused.html.contains("role=\"alert\""));
    assert!(
        refused
            .html
            .contains("<p class=\"field-error\" id=\"rating-error\">Campo obbligatorio.</p>")
    );
    assert!(
        refused
            .html
            .contains("<p class=\"field-error\" id=\"title-error\">Troppo lungo.</p>")
    );
    assert!(
        refused
            .html
            .contains("id=\"experience_date-error\">La data non può essere nel futuro.")
    );
    assert!(refused.html.contains(&format!("value=\"{long_title}\"")));
    assert!(
        refused
            .html
            .contains(">Cena &#60;b&#62;ottima&#60;/b&#62;,\nservizio lento.</textarea>")
    );
    assert!(refused.html.contains("<option value=\"7\" selected>"));
    assert!(refused.html.contains("value=\"Ada L.\""));
    assert!(
        refused
            .html
            .contains("aria-invalid=\"true\" aria-describedby=\"title-error\"")
    );

    // A post from another site is refused, and writes nothing.
    let good = [
        ("rating", "4"),
        ("title", "Cena ottima"),
        ("body", "Tutto buono, servizio un po' lento."),
        ("nps", "8"),
        ("experience_date", ""),
        ("author_name", "Ada L."),
    ];
    let forged = post_form_with(&app, path, Some("https://evil.example"), &cookie, &good).await;
    assert_eq!(forged.status, 403);
    // A browser's own word (Fetch Metadata) decides, whatever `Origin` says.
    let cross = app
        .client
        .post(format!("{}{path}", app.address))
        .header("sec-fetch-site", "cross-site")
        .header("origin", own)
        .header(COOKIE, &cookie)
        .form(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status().as_u16(), 403);
    // Not a form at all: a page that says so, not a plain-text rejection.
    let json = app
        .client
        .post(format!("{}{path}", app.address))
        .header(COOKIE, &cookie)
        .json(&json!({"rating": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(json.status().as_u16(), 400);
    assert_eq!(json.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(
        page(&app, path, &[(COOKIE.as_str(), &cookie)]).await.status,
        200,
        "the invitation is still unused"
    );

    // Another invitation opened in another tab since: its cookie replaced this one's, and
    // this form still posts for its own invitation (its hidden field).
    let other = app.invite("ORD-OTHER-TAB").await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let other_cookie = format!("pp_invitation={other}");
    let mut with_field = good.to_vec();
    with_field.push(("invitation", token.as_str()));
    let thanks = post_form_with(&app, path, Some(own), &other_cookie, &with_field).await;
    assert_eq!(thanks.status, 200, "{}", thanks.html);
    assert_eq!(
        no_redirect_get(&app, &format!("/r/{other}"), "")
            .await
            .status(),
        303,
        "the other invitation is still unused"
    );
    assert!(
        thanks.headers["set-cookie"]
            .to_str()
            .unwrap()
            .starts_with("pp_invitation=; Path=/review; HttpOnly; SameSite=Lax; Max-Age=0"),
        "the cookie has done its work"
    );
    assert!(thanks.html.contains("Grazie!"));
    // The edit link, shown this once, holds the edit token.
    let edit_link = thanks
        .html
        .split("<a href=\"/e/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .map(|s| format!("/e/{s}"))
        .unwrap();
    let code = edit_link.rsplit('/').next().unwrap().to_owned();
    assert!(code.starts_with("ppe_"));
    assert!(
        thanks
            .html
            .contains(&format!("{}{edit_link}</code>", app.address))
    );
    let permalink = thanks
        .html
        .split("<a href=\"/b/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .map(|s| format!("/b/{s}"))
        .unwrap();
    let id = permalink.rsplit('/').next().unwrap().to_owned();
    assert!(
        thanks
            .html
            .contains(&format!("/api/v1/reviews/{id}/receipt"))
    );
    // Verified, on the business page, and the edit code works.
    let review = app
        .get(&format!("/api/v1/reviews/{id}"))
        .await
        .expect(200)
        .body;
    assert_eq!(review["verified"], true);
    assert_eq!(review["rating"], 4);
    assert_eq!(review["nps"], 8);
    assert_eq!(review["language"], "it");
    let business = page(&app, &format!("/b/{}", app.slug), &[]).await;
    assert!(business.html.contains("Cena ottima"));
    app.request(
        Method::PATCH,
        &format!("/api/v1/reviews/{id}"),
        Some(&code),
        Some(&json!({"rating": 5})),
    )
    .await
    .expect(200);

    // The link is used now: it says so, in a page, for the link, the form and a post alike.
    let used = page(&app, &link, &[(ACCEPT_LANGUAGE.as_str(), "it")]).await;
    assert_eq!(used.status, 410);
    assert!(used.html.contains("Recensione già scritta"));
    let used = page(
        &app,
        path,
        &[(ACCEPT_LANGUAGE.as_str(), "it"), (COOKIE.as_str(), &cookie)],
    )
    .await;
    assert_eq!(used.status, 410);
    assert!(used.html.contains("Recensione già scritta"));
    assert!(
        used.headers["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let again = post_form_with(&app, path, Some(own), &cookie, &good).await;
    assert_eq!(again.status, 410);
    let unknown = page(
        &app,
        "/r/nessun-invito",
        &[(ACCEPT_LANGUAGE.as_str(), "en")],
    )
    .await;
    assert_eq!(unknown.status, 404);
    assert!(unknown.html.contains("Invalid link"));
    let expired = app.invite("ORD-OLD").await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    app.sql()
        .await
        .execute(
            "UPDATE invitations SET expires_at = 0 WHERE reference = 'ORD-OLD'",
            &[],
        )
        .await;
    let p = page(
        &app,
        &format!("/r/{expired}"),
        &[(ACCEPT_LANGUAGE.as_str(), "en")],
    )
    .await;
    assert_eq!(p.status, 410);
    assert!(p.html.contains("Invitation expired"));
}

#[tokio::test]
async fn the_author_edits_answers_and_withdraws_from_the_edit_link() {
    let app = TestApp::spawn().await;
    let created = app.review("ORD-1", 2).await;
    let id = created["id"].as_str().unwrap();
    let token = created["edit_token"].as_str().unwrap();
    let path = format!("/e/{id}/{token}");
    let own = app.address.as_str();
    let en = [(ACCEPT_LANGUAGE.as_str(), "en")];

    let p = page(&app, &path, &en).await;
    assert_eq!(p.status, 200);
    assert_eq!(p.headers["cache-control"], "no-store");
    assert!(p.html.contains("Your review of Trattoria Test"));
    assert!(
        p.html.contains("value=\"Servizio cortese\""),
        "the form holds the review"
    );
    assert!(
        p.html
            .contains("<input type=\"radio\" name=\"rating\" value=\"2\" checked")
    );
    assert!(
        !p.html.contains("value=\"follow_up\""),
        "no answer before the business replies"
    );
    // Another token, another review's id, a forged post: refused.
    let wrong = format!("/e/{id}/ppe_not-the-token");
    assert_eq!(page(&app, &wrong, &en).await.status, 404);
    let forged = post_form(
        &app,
        &path,
        Some("https://evil.example"),
        &[("action", "withdraw"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(forged.status, 403);

    // Edit: a refused field keeps what was typed.
    let bad = post_form(
        &app,
        &path,
        Some(own),
        &[
            ("action", "edit"),
            ("rating", "4"),
            ("title", ""),
            ("body", "Meglio del previsto."),
        ],
    )
    .await;
    assert_eq!(bad.status, 422);
    assert!(bad.html.contains("id=\"title-error\">Campo obbligatorio."));
    assert!(bad.html.contains(">Meglio del previsto.</textarea>"));
    let edit = [
        ("action", "edit"),
        ("rating", "4"),
        ("title", "Meglio del previsto"),
        ("body", "Cucina buona."),
    ];
    let done = no_redirect_post(&app, &path, &edit).await;
    assert_eq!(done.0, 303);
    assert_eq!(done.1, format!("{path}?done=edit"));
    let p = page(&app, &done.1, &en).await;
    assert!(
        p.html
            .contains("role=\"status\"><p>Your review is updated.")
    );
    assert!(p.html.contains("edited once"));
    // The same again changes nothing, and says so.
    assert_eq!(
        no_redirect_post(&app, &path, &edit).await.1,
        format!("{path}?done=unchanged")
    );

    // The business replies; the author answers once.
    app.request(
        Method::PUT,
        &format!("/api/v1/reviews/{id}/reply"),
        Some(&app.api_key),
        Some(&json!({"body": "Grazie!", "responder_name": "Gino"})),
    )
    .await
    .expect(201);
    assert!(
        page(&app, &path, &en)
            .await
            .html
            .contains("value=\"follow_up\"")
    );
    let answered = no_redirect_post(
        &app,
        &path,
        &[("action", "follow_up"), ("body", "Grazie a voi.")],
    )
    .await;
    assert_eq!(answered.1, format!("{path}?done=follow_up"));
    let p = page(&app, &path, &en).await;
    assert!(p.html.contains("Grazie a voi.") && !p.html.contains("value=\"follow_up\""));

    // Withdrawal asks for a confirmation, then leaves a tombstone and no forms.
    assert_eq!(
        post_form(&app, &path, Some(own), &[("action", "withdraw")])
            .await
            .status,
        400
    );
    let gone = no_redirect_post(&app, &path, &[("action", "withdraw"), ("confirm", "yes")]).await;
    assert_eq!(gone.1, format!("{path}?done=withdraw"));
    let p = page(&app, &path, &en).await;
    assert!(p.html.contains("Review withdrawn by its author on"));
    assert!(!p.html.contains("<form class=\"review-form\""));
    assert_eq!(
        app.get(&format!("/api/v1/reviews/{id}"))
            .await
            .expect(200)
            .body["status"],
        "withdrawn"
    );
}

/// A GET that does not follow redirects, with a `Cookie` header unless empty.
async fn no_redirect_get(app: &TestApp, path: &str, cookie: &str) -> reqwest::Response {
    let mut req = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}{path}", app.address));
    if !cookie.is_empty() {
        req = req.header(COOKIE, cookie);
    }
    req.send().await.unwrap()
}

/// Posts a form as the page would and returns the status and the redirect's target.
async fn no_redirect_post(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = client
        .post(format!("{}{path}", app.address))
        .header("origin", app.address.as_str())
        .form(fields)
        .send()
        .await
        .unwrap();
    let location = resp
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (resp.status().as_u16(), location)
}

/// Sends a form with a cookie, without following redirects.
pub(crate) async fn post_with(
    app: &TestApp,
    path: &str,
    cookie: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}{path}", app.address))
        .header("origin", app.address.as_str())
        .header(ACCEPT_LANGUAGE, "en")
        .header(COOKIE, cookie)
        .form(fields)
        .send()
        .await
        .unwrap()
}

/// A second business, "altra", and a one-star review of it: (its slug, the review).
async fn another_business_review(app: &TestApp) -> (String, serde_json::Value) {
    let (slug, key) = app.create_business("altra", "Altra").await;
    let token = app
        .request(
            Method::POST,
            "/api/v1/invitations",
            Some(&key),
            Some(&json!({"reference": "A-1"})),
        )
        .await
        .expect(201)
        .body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let review = app
        .request(
            Method::POST,
            "/api/v1/reviews",
            None,
            Some(&review_body(&token, 1)),
        )
        .await
        .expect(201)
        .body;
    (slug, review)
}

fn hidden<'a>(html: &'a str, name: &str) -> &'a str {
    html.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
}

#[tokio::test]
async fn a_business_logs_in_and_answers_from_its_inbox() {
    let app = TestApp::spawn().await;
    let hash = app::passwords::hash("segreta-lunga-1").unwrap();
    let new_user = |email: &str, slug: &str| store::NewUser {
        business_slug: slug.into(),
        email: domain::invitation::Email::parse(email).unwrap(),
        name: domain::review::ResponderName::parse("Giulia Bianchi").unwrap(),
        role: Some(domain::review::ResponderRole::parse("Titolare").unwrap()),
    };
    app.store
        .create_user(
            new_user("giulia@example.it", &app.slug),
            hash.clone(),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let five = app.review("ORD-5", 5).await;
    let one = app.review("ORD-1", 1).await;
    let three = app.review("ORD-3", 3).await;

    // Not logged in: to the log-in page.
    let anonymous = post_with(&app, "/inbox/x/reply", "", &[("body", "x")]).await;
    assert_eq!(anonymous.status(), 303);
    assert_eq!(anonymous.headers()["location"], "/login?next=/inbox");
    let login = page(
        &app,
        "/login?next=/inbox",
        &[(ACCEPT_LANGUAGE.as_str(), "en")],
    )
    .await;
    assert!(login.html.contains("autocomplete=\"current-password\""));

    // Wrong passwords are refused, and an address is locked after five.
    let wrong = post_with(
        &app,
        "/login",
        "",
        &[("email", "giulia@example.it"), ("password", "nope")],
    )
    .await;
    assert_eq!(wrong.status(), 401);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("Wrong e-mail or password.")
    );
    let unknown = post_with(
        &app,
        "/login",
        "",
        &[("email", "nobody@example.it"), ("password", "x")],
    )
    .await;
    assert_eq!(unknown.status(), 401, "an unknown address answers the same");
    for _ in 0..4 {
        post_with(
            &app,
            "/login",
            "",
            &[("email", "nobody@example.it"), ("password", "x")],
        )
        .await;
    }
    let limited = post_with(
        &app,
        "/login",
        "",
        &[("email", "NOBODY@example.it"), ("password", "x")],
    )
    .await;
    assert_eq!(limited.status(), 429);

    let ok = post_with(
        &app,
        "/login",
        "",
        &[
            ("email", "Giulia@Example.it"),
            ("password", "segreta-lunga-1"),
            ("next", "/inbox"),
        ],
    )
    .await;
    assert_eq!(ok.status(), 303);
    assert_eq!(ok.headers()["location"], "/inbox");
    let set = ok.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    assert!(!set.contains("Secure"), "plain http here");
    let cookie = set.split(';').next().unwrap().to_owned();
    // The session's token is stored only as a hash.
    let token = cookie.split('=').nth(1).unwrap();
    let stored = app
        .sql()
        .await
        .count(
            each(
                "SELECT COUNT(*) FROM sessions WHERE token_hash = ?1",
                "SELECT COUNT(*) FROM sessions WHERE token_hash = $1",
            ),
            &[TokenHash::of(token).as_bytes().as_slice().into()],
        )
        .await;
    assert_eq!(stored, 1);

    let inbox = page(
        &app,
        "/inbox",
        &[(ACCEPT_LANGUAGE.as_str(), "en"), (COOKIE.as_str(), &cookie)],
    )
    .await;
    assert_eq!(inbox.status, 200);
    assert_eq!(inbox.headers["cache-control"], "no-store");
    assert!(inbox.html.contains("3 reviews are waiting for a reply."));
    let order: Vec<usize> = [&one, &three, &five]
        .iter()
        .map(|r| {
            inbox
                .html
                .find(&format!("id=\"r-{}\"", r["id"].as_str().unwrap()))
                .unwrap()
        })
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "lowest rating first");
    assert!(
        inbox
            .html
            .contains("It will be signed: Giulia Bianchi, Titolare")
    );
    let csrf = hidden(&inbox.html, "csrf").to_owned();

    let id = one["id"].as_str().unwrap();
    let path = format!("/inbox/{id}/reply");
    let forged = post_with(
        &app,
        &path,
        &cookie,
        &[("csrf", "0000"), ("body", "Ci dispiace.")],
    )
    .await;
    assert_eq!(forged.status(), 403);
    let empty = post_with(&app, &path, &cookie, &[("csrf", &csrf), ("body", "  ")]).await;
    assert_eq!(empty.status(), 422);
    assert!(empty.text().await.unwrap().contains("Required."));
    let done = post_with(
        &app,
        &path,
        &cookie,
        &[
            ("csrf", &csrf),
            ("body", "Ci dispiace, la richiamiamo oggi."),
        ],
    )
    .await;
    assert_eq!(done.status(), 303);
    assert_eq!(done.headers()["location"], "/inbox?done=reply");
    let review = app
        .get(&format!("/api/v1/reviews/{id}"))
        .await
        .expect(200)
        .body;
    assert_eq!(review["reply"]["responder_name"], "Giulia Bianchi");
    assert_eq!(review["reply"]["responder_role"], "Titolare");
    let inbox = page(
        &app,
        "/inbox?done=reply",
        &[(ACCEPT_LANGUAGE.as_str(), "en"), (COOKIE.as_str(), &cookie)],
    )
    .await;
    assert!(inbox.html.contains("The reply is published."));
    assert!(inbox.html.contains("2 reviews are waiting for a reply."));
    assert!(
        page(&app, &format!("/b/{}", app.slug), &[])
            .await
            .html
            .contains("la richiamiamo oggi")
    );

    // Another business's review cannot be answered from here.
    let (other_slug, theirs) = another_business_review(&app).await;
    let steal = post_with(
        &app,
        &format!("/inbox/{}/reply", theirs["id"].as_str().unwrap()),
        &cookie,
        &[("csrf", &csrf), ("body", "Nostra!")],
    )
    .await;
    assert_eq!(steal.status(), 404);
    assert!(
        !page(&app, &format!("/b/{other_slug}"), &[])
            .await
            .html
            .contains("Nostra!")
    );

    // Log out: the session is gone, on the server too.
    let out = post_with(&app, "/logout", &cookie, &[("csrf", &csrf)]).await;
    assert_eq!(out.status(), 303);
    assert!(
        out.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let again = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/inbox", app.address))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 303);
}

#[tokio::test]
async fn a_business_invites_from_its_pages() {
    let app = TestApp::spawn().await;
    let hash = app::passwords::hash("segreta-lunga-2").unwrap();
    app.store
        .create_user(
            store::NewUser {
                business_slug: app.slug.clone(),
                email: domain::invitation::Email::parse("ada@example.it").unwrap(),
                name: domain::review::ResponderName::parse("Ada").unwrap(),
                role: None,
            },
            hash,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let login = post_with(
        &app,
        "/login",
        "",
        &[("email", "ada@example.it"), ("password", "segreta-lunga-2")],
    )
    .await;
    let cookie = login.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let en = (ACCEPT_LANGUAGE.as_str(), "en");
    let p = page(&app, "/invitations", &[en, (COOKIE.as_str(), &cookie)]).await;
    assert_eq!(p.status, 200);
    assert!(p.html.contains("No invitation yet."));
    let csrf = hidden(&p.html, "csrf").to_owned();

    let form = [
        ("csrf", csrf.as_str()),
        ("reference", "ORD-77"),
        ("relationship", "supplier"),
        ("customer_email", "fornitore@example.it"),
        ("locale", "en"),
    ];
    let created = post_with(&app, "/invitations", &cookie, &form).await;
    assert_eq!(created.status(), 200);
    let html = created.text().await.unwrap();
    assert!(html.contains("The invitation is ready: send this link to ORD-77."));
    let link = html
        .split("role=\"status\">")
        .nth(1)
        .unwrap()
        .split("<code>")
        .nth(1)
        .unwrap()
        .split("</code>")
        .next()
        .unwrap()
        .to_owned();
    let path = link.strip_prefix(app.address.as_str()).unwrap().to_owned();
    let token = path.strip_prefix("/r/").unwrap();
    let invitation = format!("pp_invitation={token}");
    let invited = page(&app, "/review", &[en, (COOKIE.as_str(), &invitation)]).await;
    assert_eq!(invited.status, 200);
    assert!(invited.html.contains("You were invited as: Supplier"));
    // The same reference again: the same invitation, never two.
    let again = post_with(&app, "/invitations", &cookie, &form)
        .await
        .text()
        .await
        .unwrap();
    assert!(again.contains("This reference was already invited") && again.contains(&link));
    assert_eq!(again.matches("<tr><td>ORD-77").count(), 1);
    // The e-mail address is the business's private data: never on a public page.
    assert!(!invited.html.contains("fornitore@example.it"));

    let bad = post_with(
        &app,
        "/invitations",
        &cookie,
        &[
            ("csrf", csrf.as_str()),
            ("reference", ""),
            ("customer_email", "nope"),
        ],
    )
    .await;
    assert_eq!(bad.status(), 422);
    let bad = bad.text().await.unwrap();
    assert!(
        bad.contains("id=\"reference-error\">Required.")
            && bad.contains("id=\"customer_email-error\">")
    );
    let forged = post_with(
        &app,
        "/invitations",
        &cookie,
        &[("csrf", "x"), ("reference", "ORD-78")],
    )
    .await;
    assert_eq!(forged.status(), 403);
    let anonymous = post_with(&app, "/invitations", "", &[("reference", "ORD-79")]).await;
    assert_eq!(anonymous.status(), 303);

    // API keys: created on the page and shown once, listed by a short id only, revoked.
    let keys = page(&app, "/keys", &[en, (COOKIE.as_str(), &cookie)]).await;
    assert_eq!(keys.status, 200);
    assert_eq!(
        keys.html.matches("Active since").count(),
        1,
        "the business's first key"
    );
    assert!(
        !keys.html.contains(&app.api_key),
        "a key is never shown again"
    );
    let created = post_with(&app, "/keys", &cookie, &[("csrf", csrf.as_str())]).await;
    let html = created.text().await.unwrap();
    let key = html
        .split("<code>")
        .nth(1)
        .unwrap()
        .split("</code>")
        .next()
        .unwrap()
        .to_owned();
    assert!(key.starts_with("ppk_"));
    let invite = |key: String| {
        let app = &app;
        async move {
            app.request(
                Method::POST,
                "/api/v1/invitations",
                Some(&key),
                Some(&json!({"reference": "KEY-1"})),
            )
            .await
            .status
            .as_u16()
        }
    };
    assert_eq!(invite(key.clone()).await, 201);
    let id: String = TokenHash::of(&key).as_bytes()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(html.contains(&format!("/keys/{id}/revoke")));
    let revoked = post_with(
        &app,
        &format!("/keys/{id}/revoke"),
        &cookie,
        &[("csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(revoked.status(), 200);
    assert!(revoked.text().await.unwrap().contains("Revoked on"));
    assert_eq!(invite(key).await, 401, "a revoked key no longer works");
    assert_eq!(
        invite(app.api_key.clone()).await,
        200,
        "the others still do"
    );
    let again = post_with(
        &app,
        &format!("/keys/{id}/revoke"),
        &cookie,
        &[("csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(again.status(), 404);
    let forged = post_with(&app, "/keys", &cookie, &[("csrf", "nope")]).await;
    assert_eq!(forged.status(), 403);
}

/// A user of the test's business, logged in: (session cookie, CSRF token of its forms).
pub(crate) async fn logged_in(app: &TestApp, email: &str) -> (String, String) {
    let password = "segreta-lunga-1";
    app.create_user(email, password).await;
    let ok = post_with(
        app,
        "/login",
        "",
        &[("email", email), ("password", password)],
    )
    .await;
    assert_eq!(ok.status(), 303);
    let set = ok.headers()["set-cookie"].to_str().unwrap();
    let cookie = set.split(';').next().unwrap().to_owned();
    let inbox = page(app, "/inbox", &[(COOKIE.as_str(), &cookie)]).await;
    let csrf = hidden(&inbox.html, "csrf").to_owned();
    (cookie, csrf)
}

#[tokio::test]
async fn a_business_edits_its_reply_and_sees_every_version() {
    let app = TestApp::spawn().await;
    let (cookie, csrf) = logged_in(&app, "giulia@example.it").await;
    let two = app.review("ORD-2", 2).await;
    let id = two["id"].as_str().unwrap();
    let en = [(ACCEPT_LANGUAGE.as_str(), "en"), (COOKIE.as_str(), &cookie)];

    // Not answered yet: the item page answers too, with an empty editor.
    let item = page(&app, &format!("/inbox/{id}"), &en).await;
    assert_eq!(item.status, 200);
    assert_eq!(item.headers["cache-control"], "no-store");
    assert!(item.html.contains("Publish the reply"));
    assert!(!item.html.contains("Versions of the reply"));

    let path = format!("/inbox/{id}/reply");
    let first = post_with(
        &app,
        &path,
        &cookie,
        &[("csrf", &csrf), ("body", "First answer"), ("back", "item")],
    )
    .await;
    assert_eq!(first.status(), 303);
    assert_eq!(
        first.headers()["location"],
        format!("/inbox/{id}?done=reply")
    );

    // The inbox lists it among the answered, with a link to edit.
    let inbox = page(&app, "/inbox", &en).await;
    // The inbox alone may run a script, and only a file of ours.
    let csp = inbox.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(!csp.contains("unsafe"), "{csp}");
    let script = inbox.html.split("<script src=\"").nth(1).unwrap();
    let script = &script[..script.find('"').unwrap()];
    let js = page(&app, script, &[]).await;
    assert_eq!(js.status, 200);
    assert!(
        js.headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert!(
        js.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(js.html.contains("new EventSource(\"/inbox/events\")"));
    assert!(inbox.html.contains("Answered recently"));
    assert!(inbox.html.contains(&format!("href=\"/inbox/{id}\"")));
    assert!(inbox.html.contains("No review is waiting for a reply."));

    // A first reply sent from an inbox that had not heard of this one is not published over
    // it: the item's page shows both.
    let late = post_with(
        &app,
        &path,
        &cookie,
        &[("csrf", &csrf), ("body", "Late answer"), ("expect", "new")],
    )
    .await;
    assert_eq!(late.status(), 422);
    let html = late.text().await.unwrap();
    assert!(html.contains("A colleague answered this review meanwhile"));
    assert!(html.contains(">Late answer</textarea>"));
    let public = app.get(&format!("/api/v1/reviews/{id}")).await.expect(200);
    assert_eq!(public.body["reply"]["body"], "First answer");

    // A refused edit keeps what was typed, on the item page.
    let refused = post_with(
        &app,
        &path,
        &cookie,
        &[("csrf", &csrf), ("body", " \u{200b} "), ("back", "item")],
    )
    .await;
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("Versions of the reply"),
        "still the item page"
    );

    let edited = post_with(
        &app,
        &path,
        &cookie,
        &[("csrf", &csrf), ("body", "Second answer"), ("back", "item")],
    )
    .await;
    assert_eq!(edited.status(), 303);
    let item = page(&app, &format!("/inbox/{id}?done=reply"), &en).await;
    assert!(item.html.contains("The reply is published."));
    assert!(item.html.contains("Publish the edited reply"));
    let versions = &item.html[item.html.find("Versions of the reply").unwrap()..];
    let (a, b) = (
        versions.find("First answer").unwrap(),
        versions.find("Second answer").unwrap(),
    );
    assert!(a < b, "oldest version first");
    assert!(versions.contains("The business replied") && versions.contains("Reply edited"));
    // The editor holds the current reply.
    assert!(item.html.contains(">Second answer</textarea>"));
    let public = app.get(&format!("/api/v1/reviews/{id}")).await.expect(200);
    assert_eq!(public.body["reply"]["body"], "Second answer");
    assert_eq!(public.body["reply"]["edit_count"], 1);

    // Another business's review is not there for this user; nor is a malformed id.
    let (_, theirs) = another_business_review(&app).await;
    let theirs_path = format!("/inbox/{}", theirs["id"].as_str().unwrap());
    assert_eq!(page(&app, &theirs_path, &en).await.status, 404);
    assert_eq!(page(&app, "/inbox/not-an-id", &en).await.status, 404);
    // Not logged in: to the log-in page, and back here afterwards.
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/inbox/{id}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 303);
    assert_eq!(
        anonymous.headers()["location"],
        format!("/login?next=/inbox/{id}")
    );
}

/// The next server-sent event from `resp`, as (name, data); comments (keep-alives) skipped.
pub(crate) async fn next_event(
    resp: &mut reqwest::Response,
    buffer: &mut String,
) -> (String, String) {
    let wait = std::time::Duration::from_secs(10);
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            let field = |key: &str| {
                event
                    .lines()
                    .find_map(|l| l.strip_prefix(key))
                    .map(|v| v.trim().to_owned())
            };
            if let Some(name) = field("event:") {
                return (name, field("data:").unwrap_or_default());
            }
        }
        let chunk = tokio::time::timeout(wait, resp.chunk())
            .await
            .expect("an event in time")
            .unwrap()
            .expect("the stream stays open");
        buffer.push_str(std::str::from_utf8(&chunk).unwrap());
    }
}

#[tokio::test]
async fn the_inbox_hears_its_own_news_live() {
    let app = TestApp::spawn().await;
    let (cookie, csrf) = logged_in(&app, "giulia@example.it").await;

    // Without a session there is no stream.
    let anonymous = app
        .client
        .get(format!("{}/inbox/events", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 403);

    let mut stream = app
        .client
        .get(format!("{}/inbox/events", app.address))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    assert_eq!(stream.headers()["cache-control"], "no-store");
    let mut buffer = String::new();

    // Another business's review is not news here; ours is.
    another_business_review(&app).await;
    let ours = app.review("ORD-1", 1).await;
    let id = ours["id"].as_str().unwrap().to_owned();
    let news = next_event(&mut stream, &mut buffer).await;
    assert_eq!(news, ("review".to_owned(), id.clone()));

    // Answered (here by the page's form): it leaves every open inbox.
    let reply = |body: &'static str| {
        let (app, cookie, csrf, id) = (&app, &cookie, &csrf, &id);
        async move {
            let path = format!("/inbox/{id}/reply");
            let done = post_with(app, &path, cookie, &[("csrf", csrf), ("body", body)]).await;
            assert_eq!(done.status(), 303);
        }
    };
    reply("Grazie, la richiamiamo.").await;
    let news = next_event(&mut stream, &mut buffer).await;
    assert_eq!(news, ("replied".to_owned(), id.clone()));
    // An edit of the reply is not news: the next event is the next review's.
    reply("Grazie, la richiamiamo oggi.").await;
    let next = app.review("ORD-2", 4).await;
    let news = next_event(&mut stream, &mut buffer).await;
    assert_eq!(
        news,
        ("review".to_owned(), next["id"].as_str().unwrap().to_owned())
    );
    // A withdrawal takes it out.
    let edit_token = next["edit_token"].as_str().unwrap();
    app.request(
        Method::DELETE,
        &format!("/api/v1/reviews/{}", next["id"].as_str().unwrap()),
        Some(edit_token),
        None,
    )
    .await
    .expect(200);
    let news = next_event(&mut stream, &mut buffer).await;
    assert_eq!(news.0, "gone");

    // Logged out, the stream hears nothing more: the next news ends it.
    let out = post_with(&app, "/logout", &cookie, &[("csrf", &csrf)]).await;
    assert_eq!(out.status(), 303);
    app.review("ORD-3", 2).await;
    let end = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        let mut rest = String::new();
        while let Some(chunk) = stream.chunk().await.unwrap() {
            rest.push_str(std::str::from_utf8(&chunk).unwrap());
        }
        rest
    })
    .await
    .expect("the stream ends");
    assert!(!end.contains("event:"), "{end}");
}
