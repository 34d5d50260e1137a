//! `GET /`: find a business by name.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::urlencoding;
use crate::AppState;
use crate::web::i18n::Tr;
use crate::web::{Meta, PageError, render};

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    tr: Tr,
    meta: Meta,
    query: String,
    results_heading: String,
    no_results: Option<String>,
    /// (slug, name)
    businesses: Vec<(String, String)>,
}

#[derive(Debug, Deserialize)]
pub struct HomeQuery {
    q: Option<String>,
}

/// `GET /`: find a business by name.
pub async fn home(
    State(state): State<AppState>,
    tr: Tr,
    Query(q): Query<HomeQuery>,
) -> Result<Response, PageError> {
    let query: String = q.q.unwrap_or_default().trim().chars().take(100).collect();
    let found = state.store.search_businesses(&query, 50).await?;
    let here = if query.is_empty() {
        "/".to_owned()
    } else {
        format!("/?q={}", urlencoding(&query))
    };
    let page = HomePage {
        meta: Meta::new(tr.t("home-title"), tr.t("home-description"), here),
        results_heading: if query.is_empty() {
            tr.t("businesses-heading")
        } else {
            tr.count("search-results", found.len())
        },
        no_results: found
            .is_empty()
            .then(|| tr.with("search-none", "query", &query)),
        businesses: found.into_iter().map(|b| (b.slug, b.name)).collect(),
        query,
        tr,
    };
    render(StatusCode::OK, &page)
}
