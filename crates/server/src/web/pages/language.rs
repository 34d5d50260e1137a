//! `GET /lang/{code}`: the language switch.

use axum::extract::Query;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::invitation::Locale;
use serde::Deserialize;

use crate::extract::ApiPath;
use crate::web::PageError;
use crate::web::i18n;
use crate::web::redirect::safe_local_path;

#[derive(Debug, Deserialize)]
pub struct LangQuery {
    next: Option<String>,
}

/// `GET /lang/{code}?next=/path`: remembers the choice for a year and goes back.
pub async fn set_language(
    ApiPath(code): ApiPath<String>,
    Query(q): Query<LangQuery>,
) -> Result<Response, PageError> {
    let locale: Locale = code.parse().map_err(|_| PageError::NotFound)?;
    // Only a path on this site: never an open redirect.
    let next = q
        .next
        .as_deref()
        .and_then(safe_local_path)
        .unwrap_or_else(|| "/".into());
    let cookie = format!(
        "{}={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly",
        i18n::COOKIE,
        locale.as_str()
    );
    Ok((
        StatusCode::SEE_OTHER,
        [
            (
                header::LOCATION,
                HeaderValue::try_from(next).map_err(|_| PageError::BadRequest("next".into()))?,
            ),
            (
                header::SET_COOKIE,
                HeaderValue::try_from(cookie).map_err(|_| PageError::NotFound)?,
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response())
}
