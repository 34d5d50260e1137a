//! Reviews: submission, reads, the author's edits and withdrawal, the business's reply and
//! the author's follow-up. Every change goes through `Store::write_review`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::Utc;
use domain::ValidationErrors;
use domain::ids::ReviewId;
use domain::review::{
    FollowUpBody, ProductRatingInput, ReplyDraft, ReviewDraft, ReviewInput, ReviewPatch,
};
use serde::Deserialize;
use store::ReviewCommand;
use utoipa::ToSchema;

use crate::AppState;
use crate::api::schema;
use crate::cache::Cached;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery, BusinessAuth, EditToken, whole};
use crate::listing::{HistoryQuery, history_page, one_history_page};
use crate::public::public_json;
use crate::views::{EventView, HistoryView, ReviewView, SubmittedReview};

/// A review written from an invitation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitReview {
    /// The invitation's token.
    pub token: String,
    /// 1 to 5 stars.
    #[serde(deserialize_with = "whole::number")]
    #[schema(minimum = 1, maximum = 5)]
    pub rating: i64,
    #[schema(schema_with = schema::title)]
    pub title: String,
    #[schema(schema_with = schema::review_body)]
    pub body: String,
    /// How likely the reviewer is to recommend the business, 0 to 10.
    #[serde(default, deserialize_with = "whole::optional")]
    #[schema(minimum = 0, maximum = 10)]
    pub nps: Option<i64>,
    #[schema(schema_with = schema::experience_date)]
    pub experience_date: Option<String>,
    #[schema(schema_with = schema::author_name)]
    pub author_name: String,
    #[schema(schema_with = schema::language)]
    pub language: Option<String>,
    #[serde(default)]
    #[schema(schema_with = schema::rated_products)]
    pub products: Vec<SubmitProductRating>,
}

/// A reviewer's rating of one of the invitation's products.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitProductRating {
    #[schema(schema_with = schema::rated_sku)]
    pub sku: String,
    /// 1 to 5 stars.
    #[serde(deserialize_with = "whole::number")]
    #[schema(minimum = 1, maximum = 5)]
    pub rating: i64,
    #[schema(schema_with = schema::product_body)]
    pub body: Option<String>,
}

/// The author's change: any of rating, title and body, at least one.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditReview {
    #[serde(default, deserialize_with = "whole::optional")]
    pub rating: Option<i64>,
    pub title: Option<String>,
    pub body: Option<String>,
}

impl utoipa::PartialSchema for EditReview {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        schema::edit_review()
    }
}

impl ToSchema for EditReview {}

/// The business's public reply, signed by a person.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutReply {
    #[schema(schema_with = schema::reply_body)]
    pub body: String,
    #[schema(schema_with = schema::responder_name)]
    pub responder_name: String,
    #[schema(schema_with = schema::responder_role)]
    pub responder_role: Option<String>,
}

/// The reviewer's one answer to the reply.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostFollowUp {
    #[schema(schema_with = schema::follow_up_body)]
    pub body: String,
}

fn review_id(raw: &str) -> Result<ReviewId, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound("review"))
}

/// `Cache-Control: no-store`, for answers to writes.
fn no_store() -> [(header::HeaderName, HeaderValue); 1] {
    [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))]
}

/// Writes a verified review from an invitation.
#[utoipa::path(
    post,
    path = "/api/v1/reviews",
    tag = "reviews",
    request_body = SubmitReview,
    responses(
        (status = 201, description = "Published; the edit token is shown this once", body = SubmittedReview,
         headers(("Location" = String, description = "The review's address, `/api/v1/reviews/{id}`"))),
        (status = 404, description = "`/problems/not-found`: no invitation has this token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`/problems/invitation-used`: the invitation was already used", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "`/problems/invitation-expired`: the invitation expired", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`/problems/validation-error`: fields missing, of the wrong type, unknown or invalid, including what no schema can say: an experience date in the future, a SKU the invitation does not list (`not_invited`), a product rated twice (`duplicate`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn submit(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<SubmitReview>,
) -> Result<Response, ApiError> {
    let now = Utc::now();
    let draft = ReviewDraft::parse(
        ReviewInput {
            rating: input.rating,
            title: &input.title,
            body: &input.body,
            nps: input.nps,
            experience_date: input.experience_date.as_deref(),
            author_name: &input.author_name,
            language: input.language.as_deref(),
            products: input
                .products
                .iter()
                .map(|p| ProductRatingInput {
                    sku: &p.sku,
                    rating: p.rating,
                    body: p.body.as_deref(),
                })
                .collect(),
        },
        now,
    )?;
    let app::reviews::Submitted {
        write,
        edit_token,
        receipt,
    } = app::reviews::submit(&state.app, &input.token, draft, now).await?;
    let id = write.review.id;
    let location = HeaderValue::try_from(format!("/api/v1/reviews/{id}"))
        .map_err(|e| ApiError::Internal(Box::new(e)))?;
    let body = SubmittedReview {
        review: write.review.into(),
        edit_token: edit_token.expose().to_owned(),
        receipt,
    };
    Ok((
        StatusCode::CREATED,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        Json(body),
    )
        .into_response())
}

/// A review (a tombstone if withdrawn).
#[utoipa::path(
    get,
    path = "/api/v1/reviews/{id}",
    operation_id = "show_review",
    tag = "reviews",
    params(schema::ReviewIdPath),
    responses(
        (status = 200, description = "The review, or its tombstone", body = ReviewView),
        (status = 304, description = "Not modified (`If-None-Match`)"),
        (status = 404, description = "`/problems/not-found`: no such review", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let review = state
        .store
        .review(review_id(&id)?)
        .await?
        .ok_or(ApiError::NotFound("review"))?;
    let body = serde_json::to_vec(&ReviewView::from(review))
        .map_err(|e| ApiError::Internal(Box::new(e)))?;
    Ok(public_json(&headers, &Cached::new(Bytes::from(body))))
}

/// The author edits the rating, title or body; the history keeps every version.
#[utoipa::path(
    patch,
    path = "/api/v1/reviews/{id}",
    tag = "reviews",
    security(("edit_token" = [])),
    params(schema::ReviewIdPath),
    request_body = EditReview,
    responses(
        (status = 200, description = "The review as edited (unchanged if nothing changed)", body = ReviewView),
        (status = 401, description = "`/problems/unauthorized`: no edit token, or not this review's", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`/problems/not-found`: no such review", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`/problems/review-withdrawn`: the review was withdrawn", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "`/problems/review-erased`: the review's content was erased", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`/problems/validation-error`: fields missing, of the wrong type, unknown or invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn edit(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    EditToken(token): EditToken,
    ApiJson(input): ApiJson<EditReview>,
) -> Result<Response, ApiError> {
    let review = review_id(&id)?;
    let patch = ReviewPatch::parse(input.rating, input.title.as_deref(), input.body.as_deref())?;
    let write = app::reviews::write(
        &state.app,
        ReviewCommand::Edit {
            review,
            edit_token: token,
            patch,
            at: Utc::now(),
        },
    )
    .await?;
    Ok((no_store(), Json(ReviewView::from(write.review))).into_response())
}

/// The author withdraws the review. A tombstone stays; repeating the request is harmless.
#[utoipa::path(
    delete,
    path = "/api/v1/reviews/{id}",
    tag = "reviews",
    security(("edit_token" = [])),
    params(schema::ReviewIdPath),
    responses(
        (status = 200, description = "The tombstone (again, if already withdrawn or erased)", body = ReviewView),
        (status = 401, description = "`/problems/unauthorized`: no edit token, or not this review's", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`/problems/not-found`: no such review", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn withdraw(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    EditToken(token): EditToken,
) -> Result<Response, ApiError> {
    let write = app::reviews::write(
        &state.app,
        ReviewCommand::Withdraw {
            review: review_id(&id)?,
            edit_token: token,
            at: Utc::now(),
        },
    )
    .await?;
    Ok((no_store(), Json(ReviewView::from(write.review))).into_response())
}

/// The author erases the review's personal content: its texts, the content of its events
/// and their salts. The log keeps its entries and records the erasure; the page shows that,
/// and when, the content was erased. Repeating the request is harmless.
#[utoipa::path(
    post,
    path = "/api/v1/reviews/{id}/erase",
    tag = "reviews",
    security(("edit_token" = [])),
    params(schema::ReviewIdPath),
    responses(
        (status = 200, description = "The tombstone (again, if already erased)", body = ReviewView),
        (status = 401, description = "`/problems/unauthorized`: no edit token, or not this review's", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`/problems/not-found`: no such review", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn erase(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    EditToken(token): EditToken,
) -> Result<Response, ApiError> {
    let write = app::reviews::write(
        &state.app,
        ReviewCommand::Erase {
            review: review_id(&id)?,
            by: store::Eraser::Reviewer(token),
            at: Utc::now(),
        },
    )
    .await?;
    Ok((no_store(), Json(ReviewView::from(write.review))).into_response())
}

/// The review's events, oldest first, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/reviews/{id}/history",
    tag = "reviews",
    params(schema::ReviewIdPath, HistoryQuery),
    responses(
        (status = 200, description = "A page of the review's events", body = HistoryView),
        (status = 304, description = "Not modified (`If-None-Match`)"),
        (status = 400, description = "`/problems/invalid-query`: a parameter is invalid; `/problems/invalid-cursor`: the cursor is not one this server issued for a history", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`/problems/not-found`: no such review", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn history(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<HistoryQuery>,
) -> Result<Response, ApiError> {
    let id = review_id(&id)?;
    let page = history_page(&query)?;
    let asked = store::HistoryPage {
        limit: page.limit + 1,
        ..page
    };
    let mut events = state
        .store
        .review_history(id, asked)
        .await?
        .ok_or(ApiError::NotFound("review"))?;
    let next_cursor = one_history_page(&mut events, page.limit);
    let view = HistoryView {
        review_id: id.to_string(),
        events: events
            .into_iter()
            .map(|e| EventView {
                kind: e.kind,
                at: e.at,
                data: e.data,
                log: crate::views::LogRefView::new(e.log_index, e.opening),
            })
            .collect(),
        next_cursor,
    };
    let body = serde_json::to_vec(&view).map_err(|e| ApiError::Internal(Box::new(e)))?;
    Ok(public_json(&headers, &Cached::new(Bytes::from(body))))
}

/// The business publishes its reply (`201`) or edits it (`200`; the history keeps the
/// earlier text).
#[utoipa::path(
    put,
    path = "/api/v1/reviews/{id}/reply",
    tag = "reviews",
    security(("api_key" = [])),
    params(schema::ReviewIdPath),
    request_body = PutReply,
    responses(
        (status = 201, description = "First reply", body = ReviewView),
        (status = 200, description = "Reply edited", body = ReviewView),
        (status = 401, description = "`/problems/unauthorized`: no API key, or not a valid one", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`/problems/forbidden`: another business's review", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`/problems/not-found`: no such review", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`/problems/review-withdrawn`: the review was withdrawn", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "`/problems/review-erased`: the review's content was erased", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`/problems/validation-error`: fields missing, of the wrong type, unknown or invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn reply(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    BusinessAuth(business): BusinessAuth,
    ApiJson(input): ApiJson<PutReply>,
) -> Result<Response, ApiError> {
    let review = review_id(&id)?;
    let reply = ReplyDraft::parse(
        &input.body,
        &input.responder_name,
        input.responder_role.as_deref(),
    )?;
    let write = app::reviews::write(
        &state.app,
        ReviewCommand::Reply {
            review,
            business: business.id,
            reply,
            at: Utc::now(),
        },
    )
    .await?;
    let status = if write.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, no_store(), Json(ReviewView::from(write.review))).into_response())
}

/// The reviewer answers the business's reply, once.
#[utoipa::path(
    post,
    path = "/api/v1/reviews/{id}/follow-up",
    tag = "reviews",
    security(("edit_token" = [])),
    params(schema::ReviewIdPath),
    request_body = PostFollowUp,
    responses(
        (status = 201, description = "The review with its follow-up", body = ReviewView),
        (status = 401, description = "`/problems/unauthorized`: no edit token, or not this review's", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`/problems/not-found`: no such review", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`/problems/reply-required`: no reply yet; `/problems/follow-up-exists`: already answered; `/problems/review-withdrawn`: the review was withdrawn", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "`/problems/review-erased`: the review's content was erased", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`/problems/validation-error`: fields missing, of the wrong type, unknown or invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn follow_up(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    EditToken(token): EditToken,
    ApiJson(input): ApiJson<PostFollowUp>,
) -> Result<Response, ApiError> {
    let review = review_id(&id)?;
    let mut errors = ValidationErrors::new();
    let body = errors.check("body", FollowUpBody::parse(&input.body));
    let body = body.ok_or(ApiError::Validation(errors))?;
    let write = app::reviews::write(
        &state.app,
        ReviewCommand::FollowUp {
            review,
            edit_token: token,
            body,
            at: Utc::now(),
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        no_store(),
        Json(ReviewView::from(write.review)),
    )
        .into_response())
}
