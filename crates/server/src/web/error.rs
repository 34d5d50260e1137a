//! The page error: what a page handler returns when it cannot show its page, and the one
//! place where it becomes the error page in the visitor's language, a server error's cause
//! logged once, inside the request's span.

use std::sync::Arc;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::i18n::Tr;
use super::{Meta, render};
use crate::error::ApiError;

/// A page that could not be shown, as a page.
#[derive(Debug)]
pub enum PageError {
    NotFound,
    /// A query parameter is invalid; names it.
    BadRequest(String),
    /// The thing changed meanwhile (withdrawn, already answered): reload and see.
    Conflict,
    /// A form posted from another site, or without its CSRF token.
    Forbidden,
    /// Any other page that explains why it cannot help.
    Message {
        status: StatusCode,
        heading: String,
        body: String,
    },
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

/// As the API answers it, then as a page: a lifecycle refusal is a conflict, a missing
/// record a 404, a storage failure a 500 with its cause kept for the log.
impl From<store::StoreError> for PageError {
    fn from(e: store::StoreError) -> Self {
        PageError::from(ApiError::from(e))
    }
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::NotFound(_) => PageError::NotFound,
            ApiError::InvalidQuery(v) => PageError::BadRequest(
                v.0.iter()
                    .map(|f| f.field.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            ApiError::InvalidCursor => PageError::BadRequest("cursor".into()),
            // Another business's review: as if it did not exist.
            ApiError::Forbidden(_) => PageError::NotFound,
            ApiError::Conflict { .. } | ApiError::Gone { .. } => PageError::Conflict,
            ApiError::Internal(e) => PageError::Internal(e),
            other => PageError::Internal(Box::new(other)),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    tr: Tr,
    meta: Meta,
    heading: String,
    body: String,
}

impl PageError {
    /// The error as a page in the visitor's language. Only [`localised_errors`] (and the
    /// app's fallback, for a path nothing matched) renders one: a handler returns its
    /// `PageError`, so that every failure is logged in one place.
    fn page(&self, tr: Tr) -> Response {
        let (status, heading, body) = match self {
            PageError::NotFound => (
                StatusCode::NOT_FOUND,
                tr.t("not-found-title"),
                tr.t("not-found-body"),
            ),
            PageError::BadRequest(what) => (
                StatusCode::BAD_REQUEST,
                tr.t("bad-request-title"),
                tr.with("bad-request-body", "detail", what),
            ),
            PageError::Conflict => (
                StatusCode::CONFLICT,
                tr.t("conflict-title"),
                tr.t("conflict-body"),
            ),
            PageError::Forbidden => (
                StatusCode::FORBIDDEN,
                tr.t("forbidden-title"),
                tr.t("forbidden-body"),
            ),
            PageError::Message {
                status,
                heading,
                body,
            } => (*status, heading.clone(), body.clone()),
            PageError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                tr.t("error-title"),
                tr.t("error-body"),
            ),
        };
        let page = ErrorPage {
            meta: Meta::private(heading.clone(), body.clone(), "/".into()),
            heading,
            body,
            tr,
        };
        render(status, &page).unwrap_or_else(|e| {
            e.log();
            status.into_response()
        })
    }

    /// Logs a server error with its cause, never what the visitor sent.
    fn log(&self) {
        match self {
            PageError::Internal(cause) => {
                tracing::error!(error = %Causes(cause.as_ref()), "a page failed");
            }
            PageError::Message { status, .. } if status.is_server_error() => {
                tracing::error!(status = status.as_u16(), "a page failed");
            }
            _ => {}
        }
    }
}

/// An error and those it comes from, on one line ("storage failure: no such table: …"),
/// each said once.
struct Causes<'a>(&'a (dyn std::error::Error + 'static));

impl std::fmt::Display for Causes<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut said = self.0.to_string();
        let mut source = self.0.source();
        while let Some(cause) = source {
            let text = cause.to_string();
            if !said.contains(&text) {
                said.push_str(": ");
                said.push_str(&text);
            }
            source = cause.source();
        }
        f.write_str(&said)
    }
}

/// A handler's error, carried in its response for [`localised_errors`], which alone knows
/// the request's language (`IntoResponse` cannot).
#[derive(Debug, Clone)]
struct Failed(Arc<PageError>);

impl IntoResponse for PageError {
    /// A bare response carrying the error: no side effect here, the page and the log line
    /// are [`localised_errors`]'s. Headers added to it (a cookie to clear) are kept.
    fn into_response(self) -> Response {
        let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
        response.extensions_mut().insert(Failed(Arc::new(self)));
        response
    }
}

/// The one way a handler's [`PageError`] becomes a page: in the language of the request,
/// with what the handler added to the error's response (a `Set-Cookie`), and a server
/// error's cause logged, once, inside the request's span.
pub(super) async fn localised_errors(
    tr: Tr,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut response = next.run(request).await;
    let Some(Failed(error)) = response.extensions_mut().remove::<Failed>() else {
        return response;
    };
    error.log();
    let mut page = error.page(tr);
    let added = response.headers();
    for name in added.keys() {
        page.headers_mut().remove(name);
    }
    for (name, value) in added {
        page.headers_mut().append(name, value.clone());
    }
    page
}

/// The page of a path that nothing matched, for the app's fallback (outside the pages'
/// router, hence outside [`localised_errors`]).
pub(crate) fn not_found_page(tr: Tr) -> Response {
    PageError::NotFound.page(tr)
}
