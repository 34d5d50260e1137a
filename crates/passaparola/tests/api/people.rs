//! People leave: the business's own users on `/users`, and the operator's `passaparola user`
//! commands. A disabled user's sessions end at once.

use reqwest::header::COOKIE;

use crate::cli::{Server, create_business, run, stderr, stdout};
use crate::helpers::TestApp;
use crate::web::{logged_in, page, post_with};

/// Logs in `email` with `password`; the session cookie, or the status if refused.
pub(crate) async fn log_in(address: &str, email: &str, password: &str) -> Result<String, u16> {
    let resp = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{address}/login"))
        .header("origin", address)
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap();
    if resp.status() != 303 {
        return Err(resp.status().as_u16());
    }
    let set = resp.headers()["set-cookie"].to_str().unwrap();
    Ok(set.split(';').next().unwrap().to_owned())
}

/// Whether the session of `cookie` still opens the inbox (without one, it redirects to the
/// log-in page).
async fn signed_in(app: &TestApp, cookie: &str) -> bool {
    let status = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/inbox", app.address))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    assert!([200, 303].contains(&status), "{status}");
    status == 200
}

/// The id in the first `/users/{id}/{action}` form of `html` whose row names `who`.
fn user_id(html: &str, who: &str, action: &str) -> String {
    let row = html
        .split("<tr>")
        .find(|row| row.contains(who))
        .unwrap_or_else(|| panic!("{who} is not listed: {html}"));
    row.split("action=\"/users/")
        .skip(1)
        .find(|s| {
            s.split('"')
                .next()
                .unwrap()
                .ends_with(&format!("/{action}"))
        })
        .map(|s| s.split('/').next().unwrap().to_owned())
        .unwrap_or_else(|| panic!("no {action} for {who}: {row}"))
}

#[tokio::test]
async fn a_colleague_disables_a_user_and_their_sessions_end_at_once() {
    let app = TestApp::spawn().await;
    let (cookie, csrf) = logged_in(&app, "giulia@example.it").await;
    app.create_user("marco@example.it", "password-di-marco")
        .await;
    let marco = log_in(&app.address, "marco@example.it", "password-di-marco")
        .await
        .unwrap();
    assert!(signed_in(&app, &marco).await);
    // Another business's user is neither listed nor reachable.
    let (other, _) = app.create_business("altra", "Altra").await;
    app.store
        .create_user(
            store::NewUser {
                business_slug: other,
                email: domain::invitation::Email::parse("anna@example.it").unwrap(),
                name: domain::review::ResponderName::parse("Anna Altra").unwrap(),
                role: None,
            },
            app::passwords::hash("password-di-anna").unwrap(),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let anna = app
        .store
        .find_user("anna@example.it")
        .await
        .unwrap()
        .unwrap();

    let en = [
        ("accept-language", "en"),
        (COOKIE.as_str(), cookie.as_str()),
    ];
    let listed = page(&app, "/users", &en).await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.headers["cache-control"], "no-store");
    assert!(listed.html.contains("marco@example.it"));
    assert!(!listed.html.contains("anna@example.it"));
    let marco_id = user_id(&listed.html, "marco@example.it", "disable");

    let form = [("csrf", csrf.as_str())];
    let foreign = post_with(
        &app,
        &format!("/users/{}/disable", anna.user.id),
        &cookie,
        &form,
    )
    .await;
    assert_eq!(foreign.status(), 404);
    assert!(
        log_in(&app.address, "anna@example.it", "password-di-anna")
            .await
            .is_ok()
    );
    // Without the form token, nothing happens.
    let forged = post_with(&app, &format!("/users/{marco_id}/disable"), &cookie, &[]).await;
    assert_eq!(forged.status(), 403);
    assert!(signed_in(&app, &marco).await);

    let disabled = post_with(&app, &format!("/users/{marco_id}/disable"), &cookie, &form).await;
    assert_eq!(disabled.status(), 200);
    assert!(
        disabled
            .text()
            .await
            .unwrap()
            .contains("Disabled: they can no longer log in")
    );
    assert!(!signed_in(&app, &marco).await, "the session ended at once");
    assert_eq!(
        log_in(&app.address, "marco@example.it", "password-di-marco").await,
        Err(401)
    );

    let enabled = post_with(&app, &format!("/users/{marco_id}/enable"), &cookie, &form).await;
    assert_eq!(enabled.status(), 200);
    let marco = log_in(&app.address, "marco@example.it", "password-di-marco")
        .await
        .unwrap();

    // A new password: shown once; the old one and the old session stop working.
    let reset = post_with(
        &app,
        &format!("/users/{marco_id}/reset-password"),
        &cookie,
        &form,
    )
    .await;
    assert_eq!(reset.status(), 200);
    let html = reset.text().await.unwrap();
    let password = html
        .split("<code>")
        .nth(1)
        .and_then(|s| s.split("</code>").next())
        .unwrap()
        .to_owned();
    assert_eq!(password.len(), 20);
    assert!(!signed_in(&app, &marco).await);
    assert_eq!(
        log_in(&app.address, "marco@example.it", "password-di-marco").await,
        Err(401)
    );
    let marco = log_in(&app.address, "marco@example.it", &password)
        .await
        .unwrap();

    // Signed out everywhere: the session ends, the password stays.
    let out = post_with(&app, &format!("/users/{marco_id}/sign-out"), &cookie, &form).await;
    assert_eq!(out.status(), 200);
    assert!(!signed_in(&app, &marco).await);
    assert!(
        log_in(&app.address, "marco@example.it", &password)
            .await
            .is_ok()
    );

    // Not on oneself: disabling or resetting one's own password is refused.
    let me = user_id(&listed.html, "giulia@example.it", "sign-out");
    let refused = post_with(&app, &format!("/users/{me}/disable"), &cookie, &form).await;
    assert_eq!(refused.status(), 409);
    assert!(signed_in(&app, &cookie).await);
    // Signing oneself out everywhere ends one's own session too.
    let own = post_with(&app, &format!("/users/{me}/sign-out"), &cookie, &form).await;
    assert_eq!(own.status(), 303);
    assert_eq!(own.headers()["location"], "/login");
    assert!(!signed_in(&app, &cookie).await);
}

/// The operator's commands, on the real binary beside a running server; failed log-ins are
/// logged without the address.
#[tokio::test]
async fn the_operator_manages_users_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let server = Server::start(dir.path(), &log);
    create_business(dir.path(), "bottega-prova");
    let created = run(
        dir.path(),
        &[
            "user",
            "create",
            "--business",
            "bottega-prova",
            "--email",
            "Marco.Rossi@example.it",
            "--name",
            "Marco Rossi",
        ],
    );
    assert!(created.status.success(), "{}", stderr(&created));
    let first = stdout(&created)
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .unwrap()
        .to_owned();
    let email = "marco.rossi@example.it";
    let session = log_in(&server.address, email, &first).await.unwrap();
    let inbox = |cookie: String| {
        let address = server.address.clone();
        async move {
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap()
                .get(format!("{address}/inbox"))
                .header(COOKIE, cookie)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(inbox(session.clone()).await, 200);

    let listed = run(dir.path(), &["user", "list", "--business", "bottega-prova"]);
    assert!(
        stdout(&listed).contains(&format!("{email}\tMarco Rossi\t-\tactive")),
        "{}",
        stdout(&listed)
    );

    let disabled = run(
        dir.path(),
        &["user", "disable", "--email", "MARCO.ROSSI@example.it"],
    );
    assert!(disabled.status.success(), "{}", stderr(&disabled));
    assert_eq!(inbox(session).await, 303, "the session ended at once");
    assert_eq!(log_in(&server.address, email, &first).await, Err(401));
    let listed = run(dir.path(), &["user", "list", "--business", "bottega-prova"]);
    assert!(
        stdout(&listed).contains("\tdisabled "),
        "{}",
        stdout(&listed)
    );

    assert!(
        run(dir.path(), &["user", "enable", "--email", email])
            .status
            .success()
    );
    let session = log_in(&server.address, email, &first).await.unwrap();
    let reset = run(dir.path(), &["user", "reset-password", "--email", email]);
    assert!(reset.status.success(), "{}", stderr(&reset));
    let second = stdout(&reset)
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .unwrap()
        .to_owned();
    assert_ne!(first, second);
    assert_eq!(inbox(session).await, 303);
    assert_eq!(log_in(&server.address, email, &first).await, Err(401));
    let session = log_in(&server.address, email, &second).await.unwrap();
    let out = run(
        dir.path(),
        &["user", "sign-out-everywhere", "--email", email],
    );
    assert!(
        stdout(&out).contains("1 session(s) ended"),
        "{}",
        stdout(&out)
    );
    assert_eq!(inbox(session).await, 303);

    for command in ["disable", "enable", "reset-password", "sign-out-everywhere"] {
        let unknown = run(
            dir.path(),
            &["user", command, "--email", "nessuno@example.it"],
        );
        assert!(!unknown.status.success());
        assert!(
            stderr(&unknown).contains("no user with the e-mail address"),
            "{}",
            stderr(&unknown)
        );
    }
    let unknown = run(dir.path(), &["user", "list", "--business", "nessuna"]);
    assert!(stderr(&unknown).contains("no business"));

    drop(server);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("log-in failed: wrong password"), "{text}");
    assert!(
        !text.to_lowercase().contains(email),
        "an address reached the log"
    );
    for password in [&first, &second] {
        assert!(!text.contains(password.as_str()));
    }
}
