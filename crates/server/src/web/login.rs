//! Logging in and out: argon2id passwords, limits on failures and on hashing
//! ([`app::logins`]), and the session cookie ([`super::session`]).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;

use super::form::same_site;
use super::i18n::Tr;
use super::session::{CsrfField, CsrfForm, Session, session_cookie};
use super::{Meta, PageError, PageForm, private_page, see_other};
use crate::AppState;
use crate::extract::ClientIp;
use crate::web::redirect::safe_local_path;
use app::accounts::{self, LogIn};
use app::logins;

/// Only a path on this site: never an open redirect.
fn local(next: &str) -> String {
    safe_local_path(next).unwrap_or_else(|| "/inbox".into())
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    tr: Tr,
    meta: Meta,
    error: Option<String>,
    email: String,
    next: String,
}

#[derive(Debug, Deserialize)]
pub struct Next {
    next: Option<String>,
}

fn login_page(
    tr: Tr,
    status: StatusCode,
    error: Option<String>,
    email: String,
    next: &str,
) -> Result<Response, PageError> {
    let page = LoginPage {
        meta: Meta::private(tr.t("login-title"), tr.t("login-intro"), "/login".into()),
        error,
        email,
        next: local(next),
        tr,
    };
    private_page(status, &page)
}

/// `GET /login`
pub async fn login_form(tr: Tr, Query(q): Query<Next>) -> Result<Response, PageError> {
    login_page(
        tr,
        StatusCode::OK,
        None,
        String::new(),
        q.next.as_deref().unwrap_or("/inbox"),
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    email: String,
    password: String,
    next: String,
}

/// `POST /login`
pub async fn login(
    State(state): State<AppState>,
    tr: Tr,
    headers: HeaderMap,
    ClientIp(client): ClientIp,
    PageForm(form): PageForm<LoginForm>,
) -> Result<Response, PageError> {
    if !same_site(&headers, &state.base_url) {
        return Err(PageError::Forbidden);
    }
    let email = form.email.trim().to_lowercase();
    match accounts::log_in(&state.app, &email, form.password, client).await? {
        LogIn::Limited(_) => {
            let error = Some(tr.t("login-limited"));
            let page = login_page(tr, StatusCode::TOO_MANY_REQUESTS, error, email, &form.next);
            retry_after(page, logins::WINDOW.as_secs())
        }
        LogIn::Busy => {
            let error = Some(tr.t("login-busy"));
            let page = login_page(
                tr,
                StatusCode::SERVICE_UNAVAILABLE,
                error,
                email,
                &form.next,
            );
            retry_after(page, 1)
        }
        LogIn::Refused => {
            let error = Some(tr.t("login-failed"));
            login_page(tr, StatusCode::UNAUTHORIZED, error, email, &form.next)
        }
        LogIn::Session { token, .. } => {
            let max_age = accounts::SESSION_DAYS * 86_400;
            let cookie = session_cookie(&state, token.expose(), max_age);
            Ok(see_other(&local(&form.next), Some(cookie)))
        }
    }
}

/// `page` with `Retry-After: seconds`.
fn retry_after(page: Result<Response, PageError>, seconds: u64) -> Result<Response, PageError> {
    page.map(|mut r| {
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        r
    })
}

/// `POST /logout`
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: Option<Session>,
    PageForm(form): PageForm<CsrfForm>,
) -> Result<Response, PageError> {
    if let Some(s) = session {
        if !s.posted_here(&state, &headers, form.csrf()) {
            return Err(PageError::Forbidden);
        }
        accounts::log_out(&state.app, s.hash()).await?;
    }
    Ok(see_other("/", Some(session_cookie(&state, "", 0))))
}
