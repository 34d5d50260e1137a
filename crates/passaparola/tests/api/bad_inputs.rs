//! A table of bad requests, each answered with its 4xx problem: never a 500, never a panic.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, read, review_body};

enum Body {
    None,
    Json(serde_json::Value),
    Raw(&'static str, Vec<u8>),
}

enum Auth {
    None,
    ApiKey,
    Other(&'static str),
    EditToken,
}

struct Case {
    name: &'static str,
    method: Method,
    path: &'static str,
    auth: Auth,
    body: Body,
    status: u16,
    problem: &'static str,
    /// The field named in `errors`, when the problem is about one field.
    field: Option<&'static str>,
}

#[allow(clippy::too_many_arguments, reason = "one row of the table")]
fn case(
    name: &'static str,
    method: Method,
    path: &'static str,
    auth: Auth,
    body: Body,
    status: u16,
    problem: &'static str,
    field: Option<&'static str>,
) -> Case {
    Case {
        name,
        method,
        path,
        auth,
        body,
        status,
        problem,
        field,
    }
}

#[tokio::test]
async fn bad_requests_get_clear_problems() {
    let app = TestApp::spawn().await;
    let fresh = app.invite("ORD-FRESH").await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let review = app.review("ORD-R", 4).await;
    let review_id = review["id"].as_str().unwrap().to_owned();
    let edit_token = review["edit_token"].as_str().unwrap().to_owned();

    let with = |patch: serde_json::Value| {
        let mut body = review_body(&fresh, 4);
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        Body::Json(body)
    };
    use Method as M;
    let inv = "/api/v1/invitations";
    let rev = "/api/v1/reviews";
    let cases = vec![
        case(
            "no API key",
            M::POST,
            inv,
            Auth::None,
            Body::Json(json!({"reference": "A"})),
            401,
            "unauthorized",
            None,
        ),
        case(
            "unknown API key",
            M::POST,
            inv,
            Auth::Other("ppk_nope"),
            Body::Json(json!({"reference": "A"})),
            401,
            "unauthorized",
            None,
        ),
        case(
            "edit token as API key",
            M::POST,
            inv,
            Auth::EditToken,
            Body::Json(json!({"reference": "A"})),
            401,
            "unauthorized",
            None,
        ),
        case(
            "not JSON",
            M::POST,
            inv,
            Auth::ApiKey,
            Body::Raw("application/json", b"{reference:".to_vec()),
            400,
            "malformed-body",
            None,
        ),
        case(
            "trailing garbage",
            M::POST,
            inv,
            Auth::ApiKey,
            Body::Raw("application/json", b"{\"reference\":\"A\"} x".to_vec()),
            400,
            "malformed-body",
            None,
        ),
        case(
            "bad UTF-8",
            M::POST,
            inv,
            Auth::ApiKey,
            Body::Raw("application/json", b"{\"reference\":\"\xff\xfe\"}".to_vec()),
            400,
            "malformed-body",
            None,
        ),
        case(
            "not declared JSON",
            M::POST,
            inv,
            Auth::ApiKey,
            Body::Raw("text/plain", b"{\"reference\":\"A\"}".to_vec()),
            415,
            "unsupported-media-type",
            None,
        ),
        case(
            "oversize body",
            M::POST,
            inv,
            Auth::ApiKey,
            Body::Raw(
                "application/json",
                format!("{{\"reference\":\"{}\"}}", "x".repeat(100_000)).into_bytes(),
            ),
            413,
            "payload-too-large",
            None,
        ),
        case(
            "unknown field",
            M::POST,
            inv,
            Auth::ApiKey,
            Body::Json(json!({"reference": "A", "stars": 5})),
            422,
            "validation-error",
            Some("stars"),
        ),
        case(
            "wrong type",
            M::POST,
            inv,
            Auth::ApiKey,
            Body::Json(json!({"reference": 42})),
            422,
            "validation-error",
            Some("reference"),
        ),
        case(
            "missing field",
            M::POST,
            inv,
            Auth::ApiKey,
            Body::Json(json!({})),
            422,
            "validation-error",
            Some("reference"),
        ),
        case(
            "array body",
            M::POST,
            inv,
            Auth::ApiKey,
            Body::Json(json!(["A"])),
            422,
            "validation-error",
            None,
        ),
        case(
            "blank reference",
            M::POST,
            inv,
            Auth::ApiKey,
            Body::Json(json!({"reference": "   "})),
            422,
            "validation-error",
            Some("reference"),
        ),
        case(
            "bad relationship",
            M::POST,
            inv,
            Auth::ApiKey,
            Body::Json(json!({"reference": "A", "relationship": "friend"})),
            422,
            "validation-error",
            Some("relationship"),
        ),
        case(
            "bad e-mail",
            M::POST,
            inv,
            Auth::ApiKey,
            Body::Json(json!({"reference": "A", "customer_email": "nope"})),
            422,
            "validation-error",
            Some("customer_email"),
        ),
        case(
            "bad locale",
            M::POST,
            inv,
            Auth::ApiKey,
            Body::Json(json!({"reference": "A", "locale": "fr"})),
            422,
            "validation-error",
            Some("locale"),
        ),
        case(
            "expiry out of range",
            M::POST,
            inv,
            Auth::ApiKey,
            Body::Json(json!({"reference": "A", "expires_in_days": 0})),
            422,
            "validation-error",
            Some("expires_in_days"),
        ),
        case(
            "product without sku",
            M::POST,
            inv,
            Auth::ApiKey,
            Body::Json(json!({"reference": "A", "products": [{"name": "X"}]})),
            422,
            "validation-error",
            Some("products[0].sku"),
        ),
        case(
            "unknown invitation",
            M::GET,
            "/api/v1/invitations/nope",
            Auth::None,
            Body::None,
            404,
            "not-found",
            None,
        ),
        case(
            "rating 6",
            M::POST,
            rev,
            Auth::None,
            with(json!({"rating": 6})),
            422,
            "validation-error",
            Some("rating"),
        ),
        case(
            "rating 0",
            M::POST,
            rev,
            Auth::None,
            with(json!({"rating": 0})),
            422,
            "validation-error",
            Some("rating"),
        ),
        case(
            "fractional rating",
            M::POST,
            rev,
            Auth::None,
            with(json!({"rating": 4.5})),
            422,
            "validation-error",
            Some("rating"),
        ),
        case(
            "rating as text",
            M::POST,
            rev,
            Auth::None,
            with(json!({"rating": "5"})),
            422,
            "validation-error",
            Some("rating"),
        ),
        case(
            "empty title",
            M::POST,
            rev,
            Auth::None,
            with(json!({"title": ""})),
            422,
            "validation-error",
            Some("title"),
        ),
        case(
            "long title",
            M::POST,
            rev,
            Auth::None,
            with(json!({"title": "x".repeat(121)})),
            422,
            "validation-error",
            Some("title"),
        ),
        case(
            "long body",
            M::POST,
            rev,
            Auth::None,
            with(json!({"body": "è".repeat(5001)})),
            422,
            "validation-error",
            Some("body"),
        ),
        case(
            "null body",
            M::POST,
            rev,
            Auth::None,
            with(json!({"body": null})),
            422,
            "validation-error",
            Some("body"),
        ),
        case(
            "NUL in body",
            M::POST,
            rev,
            Auth::None,
            with(json!({"body": "a\u{0}b"})),
            422,
            "validation-error",
            Some("body"),
        ),
        case(
            "U+FFFF in title (XML forbids it: it broke the Atom feed)",
            M::POST,
            rev,
            Auth::None,
            with(json!({"title": "Ottimo \u{FFFF}"})),
            422,
            "validation-error",
            Some("title"),
        ),
        case(
            "noncharacter in body",
            M::POST,
            rev,
            Auth::None,
            with(json!({"body": "Buono \u{FDD0} davvero"})),
            422,
            "validation-error",
            Some("body"),
        ),
        case(
            "nps 11",
            M::POST,
            rev,
            Auth::None,
            with(json!({"nps": 11})),
            422,
            "validation-error",
            Some("nps"),
        ),
        case(
            "future experience",
            M::POST,
            rev,
            Auth::None,
            with(json!({"experience_date": "2999-01-01"})),
            422,
            "validation-error",
            Some("experience_date"),
        ),
        case(
            "bad date",
            M::POST,
            rev,
            Auth::None,
            with(json!({"experience_date": "15/01/2026"})),
            422,
            "validation-error",
            Some("experience_date"),
        ),
        case(
            "long author name",
            M::POST,
            rev,
            Auth::None,
            with(json!({"author_name": "x".repeat(61)})),
            422,
            "validation-error",
            Some("author_name"),
        ),
        case(
            "bad language",
            M::POST,
            rev,
            Auth::None,
            with(json!({"language": "italiano"})),
            422,
            "validation-error",
            Some("language"),
        ),
        case(
            "unknown token",
            M::POST,
            rev,
            Auth::None,
            with(json!({"token": "nope"})),
            404,
            "not-found",
            None,
        ),
        case(
            "review id not a UUID",
            M::GET,
            "/api/v1/reviews/not-a-uuid",
            Auth::None,
            Body::None,
            404,
            "not-found",
            None,
        ),
        case(
            "review id not UTF-8",
            M::GET,
            "/api/v1/reviews/%FF",
            Auth::None,
            Body::None,
            404,
            "not-found",
            None,
        ),
        case(
            "business slug not UTF-8",
            M::GET,
            "/api/v1/businesses/%FF%FE/summary",
            Auth::None,
            Body::None,
            404,
            "not-found",
            None,
        ),
        case(
            "invitation token not UTF-8",
            M::GET,
            "/api/v1/invitations/%C3%28",
            Auth::None,
            Body::None,
            404,
            "not-found",
            None,
        ),
        case(
            "unknown review",
            M::GET,
            "/api/v1/reviews/01890a5d-ac96-774b-bcce-b302099a8057",
            Auth::None,
            Body::None,
            404,
            "not-found",
            None,
        ),
        case(
            "unknown review history",
            M::GET,
            "/api/v1/reviews/01890a5d-ac96-774b-bcce-b302099a8057/history",
            Auth::None,
            Body::None,
            404,
            "not-found",
            None,
        ),
        case(
            "edit without token",
            M::PATCH,
            "REVIEW",
            Auth::None,
            Body::Json(json!({"rating": 5})),
            401,
            "unauthorized",
            None,
        ),
        case(
            "edit with API key",
            M::PATCH,
            "REVIEW",
            Auth::ApiKey,
            Body::Json(json!({"rating": 5})),
            401,
            "unauthorized",
            None,
        ),
        case(
            "edit with wrong token",
            M::PATCH,
            "REVIEW",
            Auth::Other("ppe_wrong"),
            Body::Json(json!({"rating": 5})),
            401,
            "unauthorized",
            None,
        ),
        case(
            "empty edit",
            M::PATCH,
            "REVIEW",
            Auth::EditToken,
            Body::Json(json!({})),
            422,
            "validation-error",
            Some("rating"),
        ),
        case(
            "edit unknown field",
            M::PATCH,
            "REVIEW",
            Auth::EditToken,
            Body::Json(json!({"verified": false})),
            422,
            "validation-error",
            Some("verified"),
        ),
        case(
            "withdraw with wrong token",
            M::DELETE,
            "REVIEW",
            Auth::Other("ppe_wrong"),
            Body::None,
            401,
            "unauthorized",
            None,
        ),
        case(
            "reply without key",
            M::PUT,
            "REVIEW/reply",
            Auth::None,
            Body::Json(json!({"body": "x", "responder_name": "G"})),
            401,
            "unauthorized",
            None,
        ),
        case(
            "reply with edit token",
            M::PUT,
            "REVIEW/reply",
            Auth::EditToken,
            Body::Json(json!({"body": "x", "responder_name": "G"})),
            401,
            "unauthorized",
            None,
        ),
        case(
            "reply without responder",
            M::PUT,
            "REVIEW/reply",
            Auth::ApiKey,
            Body::Json(json!({"body": "x"})),
            422,
            "validation-error",
            Some("responder_name"),
        ),
        case(
            "reply blank",
            M::PUT,
            "REVIEW/reply",
            Auth::ApiKey,
            Body::Json(json!({"body": " ", "responder_name": "G"})),
            422,
            "validation-error",
            Some("body"),
        ),
        case(
            "follow-up with API key",
            M::POST,
            "REVIEW/follow-up",
            Auth::ApiKey,
            Body::Json(json!({"body": "x"})),
            401,
            "unauthorized",
            None,
        ),
        case(
            "unknown business",
            M::GET,
            "/api/v1/businesses/nessuno",
            Auth::None,
            Body::None,
            404,
            "not-found",
            None,
        ),
        case(
            "unknown business summary",
            M::GET,
            "/api/v1/businesses/nessuno/summary",
            Auth::None,
            Body::None,
            404,
            "not-found",
            None,
        ),
        case(
            "limit 0",
            M::GET,
            "/api/v1/businesses/trattoria-test/reviews?limit=0",
            Auth::None,
            Body::None,
            400,
            "invalid-query",
            Some("limit"),
        ),
        case(
            "limit 101",
            M::GET,
            "/api/v1/businesses/trattoria-test/reviews?limit=101",
            Auth::None,
            Body::None,
            400,
            "invalid-query",
            Some("limit"),
        ),
        case(
            "limit not a number",
            M::GET,
            "/api/v1/businesses/trattoria-test/reviews?limit=abc",
            Auth::None,
            Body::None,
            400,
            "invalid-query",
            Some("limit"),
        ),
        case(
            "negative limit",
            M::GET,
            "/api/v1/businesses/trattoria-test/reviews?limit=-1",
            Auth::None,
            Body::None,
            400,
            "invalid-query",
            Some("limit"),
        ),
        case(
            "bad sort",
            M::GET,
            "/api/v1/businesses/trattoria-test/reviews?sort=random",
            Auth::None,
            Body::None,
            400,
            "invalid-query",
            Some("sort"),
        ),
        case(
            "bad rating filter",
            M::GET,
            "/api/v1/businesses/trattoria-test/reviews?rating=9",
            Auth::None,
            Body::None,
            400,
            "invalid-query",
            Some("rating"),
        ),
        case(
            "bad relationship filter",
            M::GET,
            "/api/v1/businesses/trattoria-test/reviews?relationship=friend",
            Auth::None,
            Body::None,
            400,
            "invalid-query",
            Some("relationship"),
        ),
        case(
            "bad summary relationship",
            M::GET,
            "/api/v1/businesses/trattoria-test/summary?relationship=x",
            Auth::None,
            Body::None,
            400,
            "invalid-query",
            Some("relationship"),
        ),
        case(
            "garbage cursor",
            M::GET,
            "/api/v1/businesses/trattoria-test/reviews?cursor=%%%",
            Auth::None,
            Body::None,
            400,
            "invalid-cursor",
            None,
        ),
        case(
            "forged cursor",
            M::GET,
            "/api/v1/businesses/trattoria-test/reviews?cursor=eyJzIjoibmV3ZXN0In0",
            Auth::None,
            Body::None,
            400,
            "invalid-cursor",
            None,
        ),
        case(
            "cursor of another sort",
            M::GET,
            "/api/v1/businesses/trattoria-test/reviews?sort=oldest&cursor=eyJzIjoibmV3ZXN0IiwiciI6MywidCI6MSwicSI6MX0",
            Auth::None,
            Body::None,
            400,
            "invalid-cursor",
            None,
        ),
        case(
            "unknown route",
            M::GET,
            "/api/v1/nothing-here",
            Auth::None,
            Body::None,
            404,
            "not-found",
            None,
        ),
        case(
            "wrong method",
            M::PUT,
            inv,
            Auth::ApiKey,
            Body::Json(json!({})),
            405,
            "method-not-allowed",
            None,
        ),
    ];

    let mut failures = Vec::new();
    for c in cases {
        let path = c
            .path
            .replace("REVIEW", &format!("/api/v1/reviews/{review_id}"));
        let mut req = app
            .client
            .request(c.method.clone(), format!("{}{path}", app.address));
        req = match c.auth {
            Auth::None => req,
            Auth::ApiKey => req.bearer_auth(&app.api_key),
            Auth::Other(t) => req.bearer_auth(t),
            Auth::EditToken => req.bearer_auth(&edit_token),
        };
        req = match &c.body {
            Body::None => req,
            Body::Json(v) => req.json(v),
            Body::Raw(mime, bytes) => req.header("content-type", *mime).body(bytes.clone()),
        };
        let reply = read(req.send().await.unwrap()).await;
        let problem = reply.body["type"].as_str().unwrap_or_default();
        let fields: Vec<_> = reply.body["errors"]
            .as_array()
            .map(|e| e.iter().filter_map(|f| f["field"].as_str()).collect())
            .unwrap_or_default();
        let ok = reply.status.as_u16() == c.status
            && reply.content_type() == "application/problem+json"
            && reply.body["status"] == c.status
            && problem == format!("/problems/{}", c.problem)
            && c.field.is_none_or(|f| fields.contains(&f));
        if !ok {
            failures.push(format!(
                "{}: expected {} {} {:?}, got {} {}",
                c.name, c.status, c.problem, c.field, reply.status, reply.body
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));

    // Nothing above changed the review or used the fresh invitation.
    let after = app
        .get(&format!("/api/v1/reviews/{review_id}"))
        .await
        .expect(200)
        .body;
    assert_eq!(after["rating"], 4);
    assert_eq!(after["edit_count"], 0);
    app.get(&format!("/api/v1/invitations/{fresh}"))
        .await
        .expect(200);
}

#[tokio::test]
async fn unauthorized_answers_say_how_to_authenticate() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .post(format!("{}/api/v1/invitations", app.address))
        .json(&json!({"reference": "A"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["www-authenticate"], "Bearer");
}

#[tokio::test]
async fn a_revoked_key_stops_working() {
    let app = TestApp::spawn().await;
    let new_key = app::tokens::new_api_key();
    let slug = domain::business::Slug::parse(&app.slug).unwrap();
    app.store
        .replace_api_keys(&slug, new_key.hash(), chrono::Utc::now())
        .await
        .unwrap();
    app.request(
        Method::POST,
        "/api/v1/invitations",
        Some(&app.api_key),
        Some(&json!({"reference": "A"})),
    )
    .await
    .expect(401);
    app.request(
        Method::POST,
        "/api/v1/invitations",
        Some(new_key.expose()),
        Some(&json!({"reference": "A"})),
    )
    .await
    .expect(201);
}
