//! The business pages without a live session: every one sends the visitor to log in and
//! back to the page (a form's post, to the form's page), checking a post's shape first; the
//! event stream refuses; logging out still clears the cookie.

use reqwest::header::{CONTENT_TYPE, COOKIE};

use crate::helpers::TestApp;

/// A request and what a visitor without a live session gets: (status, `Location`).
struct Case {
    method: &'static str,
    path: String,
    /// A form body (`application/x-www-form-urlencoded`), else a JSON one the pages refuse.
    form: Option<&'static [(&'static str, &'static str)]>,
    status: u16,
    location: Option<String>,
}

fn get(path: &str, status: u16, location: Option<&str>) -> Case {
    Case {
        method: "GET",
        path: path.to_owned(),
        form: None,
        status,
        location: location.map(str::to_owned),
    }
}

fn post(path: &str, status: u16, location: Option<&str>) -> Case {
    Case {
        method: "POST",
        path: path.to_owned(),
        form: Some(&[("csrf", "x"), ("body", "Grazie"), ("reference", "R-1")]),
        status,
        location: location.map(str::to_owned),
    }
}

#[tokio::test]
async fn without_a_session_business_pages_go_to_log_in_and_back() {
    let app = TestApp::spawn().await;
    let id = uuid::Uuid::now_v7().to_string();
    let upper = id.to_uppercase();
    let cases = [
        get("/inbox", 303, Some("/login?next=/inbox")),
        get(
            "/inbox?done=reply&period=30d",
            303,
            Some("/login?next=/inbox"),
        ),
        get(
            &format!("/inbox/{id}"),
            303,
            Some(&format!("/login?next=/inbox/{id}")),
        ),
        // Back to the review's address as the site writes it.
        get(
            &format!("/inbox/{upper}"),
            303,
            Some(&format!("/login?next=/inbox/{id}")),
        ),
        get("/inbox/not-a-review", 404, None),
        get("/invitations", 303, Some("/login?next=/invitations")),
        get("/keys", 303, Some("/login?next=/keys")),
        get("/inbox/events", 403, None),
        post(
            &format!("/inbox/{id}/reply"),
            303,
            Some("/login?next=/inbox"),
        ),
        post("/inbox/not-a-review/reply", 303, Some("/login?next=/inbox")),
        post("/invitations", 303, Some("/login?next=/invitations")),
        post("/keys", 303, Some("/login?next=/keys")),
        post(
            "/keys/0123456789abcdef/revoke",
            303,
            Some("/login?next=/keys"),
        ),
        post("/logout", 303, Some("/")),
        // A post that is not a form is refused as such, session or not.
        Case {
            form: None,
            ..post("/keys", 400, None)
        },
        Case {
            form: None,
            ..post(&format!("/inbox/{id}/reply"), 400, None)
        },
    ];
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut failed = Vec::new();
    // No cookie, and a cookie of no live session: the same.
    for cookie in ["", "pp_session=no-such-session"] {
        for case in &cases {
            let url = format!("{}{}", app.address, case.path);
            let mut req = match case.method {
                "GET" => client.get(url),
                _ => client.post(url).header("origin", app.address.as_str()),
            }
            .header("accept", "text/html");
            req = match (case.method, case.form) {
                ("POST", Some(form)) => req.form(form),
                ("POST", None) => req.header(CONTENT_TYPE, "application/json").body("{}"),
                _ => req,
            };
            if !cookie.is_empty() {
                req = req.header(COOKIE, cookie);
            }
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            let location = resp
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned());
            let cache_control = resp
                .headers()
                .get("cache-control")
                .map(|l| l.to_str().unwrap().to_owned());
            let clears = resp
                .headers()
                .get_all("set-cookie")
                .iter()
                .any(|c| c.to_str().unwrap().starts_with("pp_session=;"));
            let redirect_ok = status != 303 || cache_control.as_deref() == Some("no-store");
            let logout_ok = case.path != "/logout" || clears;
            if status != case.status || location != case.location || !redirect_ok || !logout_ok {
                failed.push(format!(
                    "{} {} (cookie {cookie:?}): {status} {location:?} {cache_control:?}, \
                     clears the session: {clears}; expected {} {:?}",
                    case.method, case.path, case.status, case.location
                ));
            }
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
