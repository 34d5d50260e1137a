//! `GET /i/{slug}?ref=…&rel=…&exp=…&email=…&sig=…`: a link the business's shop signed
//! itself (`docs/invitation-links.md`). The first visit creates the invitation (idempotent
//! on the reference) and continues to the review form exactly as `/r/{token}` does; a bad
//! signature is a `403` page, an expired link a `410` page, a used one the used page.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;

use super::PageError;
use super::form::{continue_to_form, link_error};
use super::i18n::Tr;
use crate::AppState;
use app::links::{LinkQuery, Refused};

pub async fn open(
    State(state): State<AppState>,
    tr: Tr,
    Path(slug): Path<String>,
    Query(query): Query<LinkQuery>,
) -> Result<Response, PageError> {
    let business = state
        .store
        .business_by_slug(&slug)
        .await?
        .ok_or(PageError::NotFound)?;
    match app::links::open(&state.app, business.id, &slug, &query, Utc::now()).await {
        Ok(invited) => continue_to_form(&state, tr, invited.token.expose()).await,
        Err(Refused::Forbidden) => Err(link_error(tr, StatusCode::FORBIDDEN, "forged")),
        Err(Refused::Expired) => Err(link_error(tr, StatusCode::GONE, "expired")),
        Err(Refused::Missing(_) | Refused::Invalid(_)) => {
            Err(link_error(tr, StatusCode::BAD_REQUEST, "incomplete"))
        }
        Err(Refused::Store(e)) => Err(e.into()),
    }
}
