//! Public reads of a business: its profile, its reviews (keyset-paginated) and its summary.
//! These are the hot paths; they are served from the public cache when they can be.

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use domain::invitation::Relationship;
use domain::review::Rating;
use domain::{FieldError, ValidationErrors};
use serde::{Deserialize, Serialize};
use store::{Position, ReviewQuery, Sort};
use utoipa::IntoParams;

use crate::cache::{Cached, Shareable};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiPath, ApiQuery};
use crate::views::{BusinessView, ReviewPage, ReviewView, SummaryView};
use crate::{AppState, public_json, public_read};

/// The most reviews one page may hold.
pub const MAX_LIMIT: u32 = 100;
pub const DEFAULT_LIMIT: u32 = 20;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Reviews per page, 1 to 100 (default 20).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only reviews with this many stars (1–5).
    pub rating: Option<i64>,
    /// `customer` (default), `supplier`, `employee`, `partner`, `investor` or `other`.
    pub relationship: Option<String>,
    /// `newest` (default), `oldest`, `highest` or `lowest`.
    pub sort: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    /// `customer` (default), `supplier`, `employee`, `partner`, `investor` or `other`.
    pub relationship: Option<String>,
}

fn invalid(field: &str, code: &'static str, message: &str) -> FieldError {
    FieldError {
        field: field.into(),
        code,
        message: message.into(),
    }
}

fn relationship(raw: Option<&str>, errors: &mut ValidationErrors) -> Option<Relationship> {
    match raw {
        None => Some(Relationship::Customer),
        Some(r) => errors.check("relationship", r.parse()),
    }
}

/// The name of a sort in queries and cursors.
pub fn sort_name(sort: Sort) -> &'static str {
    match sort {
        Sort::Newest => "newest",
        Sort::Oldest => "oldest",
        Sort::Highest => "highest",
        Sort::Lowest => "lowest",
    }
}

/// The opaque pagination cursor: where the previous page ended, in which order.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct Cursor {
    s: String,
    r: u8,
    t: i64,
    q: i64,
}

fn encode_cursor(sort: Sort, p: Position) -> String {
    let json =
        serde_json::json!({"s": sort_name(sort), "r": p.rating, "t": p.created_at_ms, "q": p.seq});
    URL_SAFE_NO_PAD.encode(json.to_string())
}

fn decode_cursor(raw: &str, sort: Sort) -> Result<Position, ApiError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(raw)
        .map_err(|_| ApiError::InvalidCursor)?;
    let c: Cursor = serde_json::from_slice(&bytes).map_err(|_| ApiError::InvalidCursor)?;
    if c.s != sort_name(sort) || !(1..=5).contains(&c.r) {
        return Err(ApiError::InvalidCursor);
    }
    Ok(Position {
        rating: c.r,
        created_at_ms: c.t,
        seq: c.q,
    })
}

/// Parses a list query (the API's and the business page's): every invalid parameter is named.
pub fn review_query(query: &ListQuery) -> Result<ReviewQuery, ApiError> {
    let mut errors = ValidationErrors::new();
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        errors.0.push(invalid(
            "limit",
            "out_of_range",
            "must be between 1 and 100",
        ));
    }
    let rating = query
        .rating
        .and_then(|r| errors.check("rating", Rating::new(r)));
    let rel = relationship(query.relationship.as_deref(), &mut errors);
    let sort = match query.sort.as_deref() {
        None | Some("newest") => Some(Sort::Newest),
        Some("oldest") => Some(Sort::Oldest),
        Some("highest") => Some(Sort::Highest),
        Some("lowest") => Some(Sort::Lowest),
        Some(_) => {
            errors.0.push(invalid(
                "sort",
                "invalid_choice",
                "must be one of newest, oldest, highest, lowest",
            ));
            None
        }
    };
    let (Some(relationship), Some(sort), true) = (rel, sort, errors.is_empty()) else {
        return Err(ApiError::InvalidQuery(errors));
    };
    let after = query
        .cursor
        .as_deref()
        .map(|c| decode_cursor(c, sort))
        .transpose()?;
    Ok(ReviewQuery {
        relationship,
        rating,
        sort,
        after,
        limit,
    })
}

/// Cuts the store's `limit + 1` rows to one page; returns the cursor of the next page, if any.
pub fn one_page(rows: &mut Vec<store::Review>, limit: u32, sort: Sort) -> Option<String> {
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    more.then(|| rows.last().map(|r| encode_cursor(sort, r.position)))
        .flatten()
}

/// Serves a public JSON read from the cache, or computes, caches and serves it.
pub(crate) async fn cached<F, Fut>(
    state: &AppState,
    headers: &HeaderMap,
    slug: &str,
    key: &str,
    compute: F,
) -> Result<Response, ApiError>
where
    F: FnOnce(store::Business) -> Fut,
    Fut: Future<Output = Result<Vec<u8>, ApiError>>,
{
    cached_as(state, headers, slug, key, "application/json", compute).await
}

/// [`cached`] for any content type.
pub(crate) async fn cached_as<F, Fut>(
    state: &AppState,
    headers: &HeaderMap,
    slug: &str,
    key: &str,
    content_type: &'static str,
    compute: F,
) -> Result<Response, ApiError>
where
    F: FnOnce(store::Business) -> Fut,
    Fut: Future<Output = Result<Vec<u8>, ApiError>>,
{
    let (entry, generation) = state
        .cache
        .get_or_compute(slug, key, || async {
            let business = state
                .store
                .business_by_slug(slug)
                .await?
                .ok_or(ApiError::NotFound("business"))?;
            Ok::<_, ApiError>(Arc::new(Cached::new(Bytes::from(compute(business).await?))))
        })
        .await?;
    let mut response = public_read(headers, &entry, content_type);
    // The bytes depend on the slug and `key` alone, which the URI determines: the server's
    // front may answer the same URI with them until the business changes.
    response.extensions_mut().insert(Shareable {
        slug: slug.into(),
        key: key.into(),
        generation,
        entry,
    });
    Ok(response)
}

pub(crate) fn to_json(value: &impl Serialize) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(value).map_err(|e| ApiError::Internal(Box::new(e)))
}

/// A business's public profile with the summary of its customers' reviews.
#[utoipa::path(
    get,
    path = "/api/v1/businesses/{slug}",
    operation_id = "show_business",
    tag = "businesses",
    params(("slug" = String, Path, description = "The business's slug")),
    responses(
        (status = 200, body = BusinessView),
        (status = 304, description = "Not modified (`If-None-Match`)"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
) -> Result<Response, ApiError> {
    cached(&state, &headers, &slug, "profile", |business| async {
        let summary = state
            .store
            .summary(business.id, Relationship::Customer)
            .await?;
        to_json(&BusinessView::new(business, summary))
    })
    .await
}

/// A business's summary for one relationship.
#[utoipa::path(
    get,
    path = "/api/v1/businesses/{slug}/summary",
    tag = "businesses",
    params(("slug" = String, Path, description = "The business's slug"), SummaryQuery),
    responses(
        (status = 200, body = SummaryView),
        (status = 304, description = "Not modified (`If-None-Match`)"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn summary(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(query): ApiQuery<SummaryQuery>,
) -> Result<Response, ApiError> {
    let mut errors = ValidationErrors::new();
    let rel = relationship(query.relationship.as_deref(), &mut errors);
    let rel = rel.ok_or(ApiError::InvalidQuery(errors))?;
    let key = format!("summary:{rel}");
    let store = state.store.clone();
    cached(&state, &headers, &slug, &key, |business| async move {
        let summary = store.summary(business.id, rel).await?;
        to_json(&SummaryView::from(summary))
    })
    .await
}

/// The score's inputs: one row per published review, oldest first, as CSV
/// (`published_at,rating,relationship,verified`), so that anyone can recompute the score
/// with `docs/scoring.md`.
#[utoipa::path(
    get,
    path = "/api/v1/businesses/{slug}/ratings.csv",
    operation_id = "business_ratings_csv",
    tag = "businesses",
    params(("slug" = String, Path, description = "The business's slug")),
    responses(
        (status = 200, content_type = "text/csv", body = String,
         description = "`published_at` (RFC 3339, UTC, milliseconds), `rating` (1–5), `relationship`, `verified` (`true`/`false`)"),
        (status = 304, description = "Not modified (`If-None-Match`)"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn ratings_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
) -> Result<Response, ApiError> {
    // Cached like every public read (a million reviews make some 45 MB of CSV): computed
    // once per change of the business, however often it is downloaded.
    let store = state.store.clone();
    cached_as(
        &state,
        &headers,
        &slug,
        "ratings.csv",
        "text/csv; charset=utf-8; header=present",
        |business| async move {
            let rows = store.ratings(business.id).await?;
            // Every field is a date, a number, a fixed word or a boolean: nothing to quote,
            // so no CSV library is needed to write it.
            let mut csv = String::with_capacity(48 * (rows.len() + 1));
            csv.push_str("published_at,rating,relationship,verified\r\n");
            for r in &rows {
                use std::fmt::Write;
                let at = r
                    .created_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
                let _ = write!(
                    csv,
                    "{at},{},{},{}\r\n",
                    r.rating,
                    r.relationship.as_str(),
                    r.verified
                );
            }
            Ok(csv.into_bytes())
        },
    )
    .await
}

/// A business's published reviews, one page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/businesses/{slug}/reviews",
    tag = "businesses",
    params(("slug" = String, Path, description = "The business's slug"), ListQuery),
    responses(
        (status = 200, body = ReviewPage),
        (status = 304, description = "Not modified (`If-None-Match`)"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn reviews(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    let ReviewQuery {
        relationship: rel,
        rating,
        sort,
        after,
        limit,
    } = review_query(&query)?;
    let page = |business: store::Business| {
        let state = state.clone();
        async move {
            let mut rows = state
                .store
                .list_reviews(
                    business.id,
                    ReviewQuery {
                        relationship: rel,
                        rating,
                        sort,
                        after,
                        limit,
                    },
                )
                .await?;
            let next_cursor = one_page(&mut rows, limit, sort);
            to_json(&ReviewPage {
                items: rows.into_iter().map(ReviewView::from).collect(),
                next_cursor,
            })
        }
    };
    if after.is_none() {
        // First pages are what visitors and widgets ask for: cache them.
        let key = format!(
            "reviews:{rel}:{}:{}:{limit}",
            rating.map_or(0, Rating::get),
            sort_name(sort)
        );
        return cached(&state, &headers, &slug, &key, page).await;
    }
    let business = state
        .store
        .business_by_slug(&slug)
        .await?
        .ok_or(ApiError::NotFound("business"))?;
    Ok(public_json(
        &headers,
        &Cached::new(Bytes::from(page(business).await?)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_is_bound_to_its_sort() {
        let p = Position {
            rating: 4,
            created_at_ms: 1_700_000_000_123,
            seq: 42,
        };
        let c = encode_cursor(Sort::Highest, p);
        assert_eq!(decode_cursor(&c, Sort::Highest).unwrap(), p);
        assert!(decode_cursor(&c, Sort::Newest).is_err());
        for bad in [
            "",
            "!!!",
            "bm9wZQ",
            &URL_SAFE_NO_PAD.encode(r#"{"s":"highest","r":9,"t":1,"q":1}"#),
        ] {
            assert!(decode_cursor(bad, Sort::Highest).is_err(), "{bad}");
        }
    }
}
