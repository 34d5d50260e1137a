//! A page that fails inside is a localised error page, and its cause is logged once, in the
//! request's span, without personal data. The real binary's log (its stderr) is read, so
//! that what is checked is what an operator sees.

use std::path::Path;

use reqwest::header::{ACCEPT, ACCEPT_LANGUAGE, COOKIE};

use crate::cli::{Server, create_business, run, stderr, stdout};
use crate::helpers::{Sql, on_postgres};

/// The log without its colours (`tracing`'s ANSI escapes), one line per event.
fn log_lines(log: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(log).unwrap();
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters, ended by a letter.
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain.lines().map(str::to_owned).collect()
}

/// The business's owner, created with the command line and logged in: the session cookie.
async fn owner_session(dir: &Path, server: &Server, email: &str) -> String {
    let created = run(
        dir,
        &[
            "user",
            "create",
            "--business",
            "bottega-prova",
            "--email",
            email,
            "--name",
            "Giulia",
        ],
    );
    assert!(created.status.success(), "{}", stderr(&created));
    let password = stdout(&created)
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .unwrap()
        .trim()
        .to_owned();
    let login = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/login", server.address))
        .header("origin", server.address.as_str())
        .form(&[("email", email), ("password", password.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 303);
    let set = login.headers()["set-cookie"].to_str().unwrap();
    set.split(';').next().unwrap().to_owned()
}

/// A page whose store fails: the table it reads goes missing for one request.
struct Case {
    path: &'static str,
    route: &'static str,
    table: &'static str,
    accept_language: Option<&'static str>,
    /// The language chosen on the site (`pp_lang`), which wins over `Accept-Language`.
    lang_cookie: Option<&'static str>,
    /// The error page's title in the visitor's language.
    title: &'static str,
}

#[tokio::test]
async fn a_store_failure_is_a_localised_error_page_logged_once_with_its_cause() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let server = Server::start(dir.path(), &log);
    create_business(dir.path(), "bottega-prova");
    let email = "giulia.riservata@example.it";
    let session = owner_session(dir.path(), &server, email).await;
    let db = Sql::of_data_dir(dir.path()).await;
    let client = reqwest::Client::new();

    let cases = [
        Case {
            path: "/inbox",
            route: "/inbox",
            table: "reviews",
            accept_language: Some("en"),
            lang_cookie: None,
            title: "Something went wrong",
        },
        Case {
            path: "/invitations",
            route: "/invitations",
            table: "invitations",
            accept_language: None,
            lang_cookie: None,
            title: "Qualcosa è andato storto",
        },
        Case {
            path: "/keys",
            route: "/keys",
            table: "api_keys",
            accept_language: Some("en"),
            lang_cookie: None,
            title: "Something went wrong",
        },
        Case {
            path: "/b/bottega-prova",
            route: "/b/{slug}",
            table: "reviews",
            accept_language: Some("it"),
            lang_cookie: Some("en"),
            title: "Something went wrong",
        },
    ];
    let mut failed = Vec::new();
    for Case {
        path,
        route,
        table,
        accept_language,
        lang_cookie,
        title,
    } in cases
    {
        db.batch(format!("ALTER TABLE {table} RENAME TO {table}_away").as_str())
            .await;
        let mut req = client
            .get(format!("{}{path}", server.address))
            .header(ACCEPT, "text/html");
        if let Some(language) = accept_language {
            req = req.header(ACCEPT_LANGUAGE, language);
        }
        let cookies = match lang_cookie {
            Some(lang) => format!("{session}; pp_lang={lang}"),
            None => session.clone(),
        };
        let resp = req.header(COOKIE, cookies).send().await.unwrap();
        let status = resp.status().as_u16();
        let content_type = resp.headers()["content-type"].to_str().unwrap().to_owned();
        let html = resp.text().await.unwrap();
        db.batch(format!("ALTER TABLE {table}_away RENAME TO {table}").as_str())
            .await;
        // The cause, as each backend words it.
        let cause = if on_postgres() {
            format!("relation \"{table}\" does not exist")
        } else {
            format!("no such table: {table}")
        };
        if status != 500
            || !content_type.starts_with("text/html")
            || !html.contains(title)
            || html.contains("no such table")
            || html.contains(&cause)
        {
            failed.push(format!(
                "{path}: expected a 500 page titled {title:?} without the cause, got \
                 {status} {content_type}: {html}"
            ));
        }
        let span = format!("request{{method=GET route=\"{route}\"}}");
        let logged: Vec<String> = log_lines(&log)
            .into_iter()
            .filter(|l| l.contains(&cause) && l.contains(&span))
            .collect();
        let secret = session.split_once('=').unwrap().1;
        match logged.as_slice() {
            [line] if line.contains("ERROR") && !line.contains(secret) && !line.contains(email) => {
            }
            lines => failed.push(format!(
                "{path}: the cause is not logged once, as an error in the request's span \
                 without personal data: {lines:?}"
            )),
        }
    }
    assert!(
        failed.is_empty(),
        "{}\nthe log:\n{}",
        failed.join("\n"),
        log_lines(&log).join("\n")
    );
    // Every page works again once the store does.
    for path in ["/inbox", "/invitations", "/keys", "/b/bottega-prova"] {
        let resp = client
            .get(format!("{}{path}", server.address))
            .header(COOKIE, session.as_str())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{path}");
    }
}
