//! `/u/{token}`: the unsubscribe link of every invitation e-mail. `GET` shows a page with
//! one button; `POST` (the button, or a mail client's RFC 8058 one-click request with the
//! body `List-Unsubscribe=One-Click`) stops all further mail from the business to the
//! address. No session and no CSRF token: the link itself is the credential, and the
//! action is idempotent and harmless to repeat.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;

use super::i18n::Tr;
use super::{Meta, PageError, private_page};
use crate::AppState;

#[derive(Template)]
#[template(path = "unsubscribe.html")]
struct UnsubscribePage {
    tr: Tr,
    meta: Meta,
    business: String,
    done: bool,
}

fn page(tr: Tr, token: &str, business: String, done: bool) -> Result<Response, PageError> {
    let title = tr.t(if done {
        "unsubscribe-done-title"
    } else {
        "unsubscribe-title"
    });
    private_page(
        StatusCode::OK,
        &UnsubscribePage {
            meta: Meta::private(title.clone(), title, format!("/u/{token}")),
            tr,
            business,
            done,
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    tr: Tr,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    match app::mail::unsubscribe::look_up(&state.app, &token).await? {
        Some(u) => page(tr, &token, u.business_name, false),
        None => Err(PageError::NotFound),
    }
}

pub async fn confirm(
    State(state): State<AppState>,
    tr: Tr,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    match app::mail::unsubscribe::confirm(&state.app, &token, Utc::now()).await? {
        Some(u) => page(tr, &token, u.business_name, true),
        None => Err(PageError::NotFound),
    }
}
