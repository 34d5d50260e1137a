//! Public reads of a business: its profile, its reviews (keyset-paginated) and its summary.
//! These are the hot paths; they are served from the public cache when they can be.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use bytes::Bytes;
use domain::ValidationErrors;
use domain::invitation::Relationship;
use domain::review::Rating;
use serde::Deserialize;
use store::ReviewQuery;
use utoipa::IntoParams;

use crate::AppState;
use crate::api::schema;
use crate::cache::Cached;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiPath, ApiQuery};
use crate::listing::{ListQuery, one_page, relationship, review_query, sort_name};
use crate::public::{cached, cached_as, public_json, to_json};
use crate::views::{BusinessView, ReviewPage, ReviewView, SummaryView};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    /// `customer` by default.
    #[param(value_type = Option<schema::Relationship>)]
    pub relationship: Option<String>,
}

/// A business's public profile with the summary of its customers' reviews.
#[utoipa::path(
    get,
    path = "/api/v1/businesses/{slug}",
    operation_id = "show_business",
    tag = "businesses",
    params(schema::SlugPath),
    responses(
        (status = 200, description = "The profile, with the customers' summary", body = BusinessView),
        (status = 304, description = "Not modified (`If-None-Match`)"),
        (status = 404, description = "`/problems/not-found`: no such business", body = Problem, content_type = "application/problem+json"),
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
    params(schema::SlugPath, SummaryQuery),
    responses(
        (status = 200, description = "The summary for the relationship", body = SummaryView),
        (status = 304, description = "Not modified (`If-None-Match`)"),
        (status = 400, description = "`/problems/invalid-query`: a parameter is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`/problems/not-found`: no such business", body = Problem, content_type = "application/problem+json"),
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
    params(schema::SlugPath),
    responses(
        (status = 200, content_type = "text/csv", body = String,
         description = "`published_at` (RFC 3339, UTC, milliseconds), `rating` (1–5), `relationship`, `verified` (`true`/`false`)"),
        (status = 304, description = "Not modified (`If-None-Match`)"),
        (status = 404, description = "`/problems/not-found`: no such business", body = Problem, content_type = "application/problem+json"),
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
    params(schema::SlugPath, ListQuery),
    responses(
        (status = 200, description = "A page of published reviews", body = ReviewPage),
        (status = 304, description = "Not modified (`If-None-Match`)"),
        (status = 400, description = "`/problems/invalid-query`: a parameter is invalid; `/problems/invalid-cursor`: the cursor is not one this server issued for this sort", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`/problems/not-found`: no such business", body = Problem, content_type = "application/problem+json"),
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
