//! A business's figures for a period and filter (`/stats`) and its weekly and monthly trends
//! (`/trends`), read from the time cells (`domain::stats`), never from a scan of the reviews.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::Utc;
use domain::ValidationErrors;
use domain::invitation::{Relationship, Sku};
use domain::stats::Period;
use serde::Deserialize;
use store::{StatsFilter, TrendGrain};
use utoipa::IntoParams;

use crate::AppState;
use crate::api::schema;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiPath, ApiQuery};
use crate::public::{cached, to_json};
use crate::views::{StatsView, TrendView};

/// Weeks in a weekly trend, months in a monthly one.
pub const WEEKS: usize = 26;
pub const MONTHS: usize = 24;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// Days ending today (UTC), or `all` (the default).
    #[param(value_type = Option<schema::Period>)]
    pub period: Option<String>,
    /// `customer` by default.
    #[param(value_type = Option<schema::Relationship>)]
    pub relationship: Option<String>,
    /// A product's SKU: that product's ratings instead of the whole business's; a product no
    /// published review of the relationship has rated is `404`.
    #[param(schema_with = schema::sku_query)]
    pub product: Option<String>,
    /// `true`: verified reviews only; `false` (default): every review.
    #[param(value_type = Option<bool>)]
    pub verified: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrendQuery {
    /// `week` (the last 26 ISO weeks, default) or `month` (the last 24 months).
    #[param(value_type = Option<schema::Grain>)]
    pub grain: Option<String>,
    /// `customer` by default.
    #[param(value_type = Option<schema::Relationship>)]
    pub relationship: Option<String>,
    /// A product's SKU; a product no published review of the relationship has rated is
    /// `404`.
    #[param(schema_with = schema::sku_query)]
    pub product: Option<String>,
    /// `true`: verified reviews only; `false` (default): every review.
    #[param(value_type = Option<bool>)]
    pub verified: Option<String>,
}

/// Parses the filter every figure shares; every invalid parameter is named.
pub fn filter(
    period: Option<&str>,
    relationship: Option<&str>,
    product: Option<&str>,
    verified: Option<&str>,
    errors: &mut ValidationErrors,
) -> Option<StatsFilter> {
    let period = errors.check("period", period.unwrap_or("all").parse::<Period>());
    let relationship = match relationship {
        None => Some(Relationship::Customer),
        Some(r) => errors.check("relationship", r.parse()),
    };
    let product = match product {
        None => Some(None),
        Some(p) => errors.check("product", Sku::parse(p)).map(Some),
    };
    let verified_only = match verified {
        None | Some("false") => Some(false),
        Some("true") => Some(true),
        Some(_) => {
            errors.check::<()>(
                "verified",
                Err(domain::error::Invalid::new(
                    "invalid_choice",
                    "must be true or false",
                )),
            );
            None
        }
    };
    Some(StatsFilter {
        period: period?,
        relationship: relationship?,
        product: product?.map(|p| p.as_str().to_owned()),
        verified_only: verified_only?,
    })
}

/// A product has figures where it has a page: once a published review of the filter's
/// relationship has rated it. Before that (invited about, never rated; or its ratings
/// withdrawn or erased) it is unknown (404), like a SKU nobody ever listed: its invitation
/// counts would tell what the business asked its customers about, which nothing public
/// says yet.
async fn known_product(
    store: &dyn store::Store,
    business: &store::Business,
    filter: &StatsFilter,
) -> Result<(), ApiError> {
    let Some(sku) = &filter.product else {
        return Ok(());
    };
    let rated = store
        .products(business.id, filter.relationship)
        .await?
        .iter()
        .any(|p| &p.sku == sku);
    if rated {
        Ok(())
    } else {
        Err(ApiError::NotFound("product"))
    }
}

/// A business's figures for one period, relationship, product and verified-or-not.
#[utoipa::path(
    get,
    path = "/api/v1/businesses/{slug}/stats",
    tag = "businesses",
    params(schema::SlugPath, StatsQuery),
    responses(
        (status = 200, description = "The figures for the period and filter", body = StatsView),
        (status = 304, description = "Not modified (`If-None-Match`)"),
        (status = 400, description = "`/problems/invalid-query`: a parameter is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`/problems/not-found`: no such business, or no published review of the relationship rated the product", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn stats(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(query): ApiQuery<StatsQuery>,
) -> Result<Response, ApiError> {
    let mut errors = ValidationErrors::new();
    let filter = filter(
        query.period.as_deref(),
        query.relationship.as_deref(),
        query.product.as_deref(),
        query.verified.as_deref(),
        &mut errors,
    )
    .ok_or(ApiError::InvalidQuery(errors))?;
    let key = format!("stats:{filter:?}");
    let store = state.store.clone();
    cached(&state, &headers, &slug, &key, |business| async move {
        known_product(&*store, &business, &filter).await?;
        let now = Utc::now();
        let figures = store.stats(business.id, filter.clone(), now).await?;
        to_json(&StatsView::new(&filter, now, figures))
    })
    .await
}

/// A business's weekly or monthly series: reviews, mean rating and median reply time.
#[utoipa::path(
    get,
    path = "/api/v1/businesses/{slug}/trends",
    tag = "businesses",
    params(schema::SlugPath, TrendQuery),
    responses(
        (status = 200, description = "The series, oldest first", body = TrendView),
        (status = 304, description = "Not modified (`If-None-Match`)"),
        (status = 400, description = "`/problems/invalid-query`: a parameter is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`/problems/not-found`: no such business, or no published review of the relationship rated the product", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn trends(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(query): ApiQuery<TrendQuery>,
) -> Result<Response, ApiError> {
    let mut errors = ValidationErrors::new();
    let grain = match query.grain.as_deref() {
        None | Some("week") => Some(TrendGrain::Week),
        Some("month") => Some(TrendGrain::Month),
        Some(_) => errors.check(
            "grain",
            Err(domain::error::Invalid::new(
                "invalid_choice",
                "must be week or month",
            )),
        ),
    };
    let filter = filter(
        None,
        query.relationship.as_deref(),
        query.product.as_deref(),
        query.verified.as_deref(),
        &mut errors,
    );
    let (Some(grain), Some(filter)) = (grain, filter) else {
        return Err(ApiError::InvalidQuery(errors));
    };
    let key = format!("trends:{grain:?}:{filter:?}");
    let store = state.store.clone();
    cached(&state, &headers, &slug, &key, |business| async move {
        known_product(&*store, &business, &filter).await?;
        let points = match grain {
            TrendGrain::Week => WEEKS,
            TrendGrain::Month => MONTHS,
        };
        let series = store
            .trend(business.id, filter.clone(), grain, points, Utc::now())
            .await?;
        to_json(&TrendView::new(grain, &filter, series))
    })
    .await
}
