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
use crate::cache::Cached;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery, BusinessAuth, EditToken};
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
    pub rating: i64,
    /// 1–120 characters.
    pub title: String,
    /// 1–5000 characters.
    pub body: String,
    /// How likely the reviewer is to recommend the business, 0 to 10.
    pub nps: Option<i64>,
    /// `YYYY-MM-DD`, not in the future.
    pub experience_date: Option<String>,
    /// The name to show, 1–60 characters.
    pub author_name: String,
    /// A language tag (`it`, `en`, `de-CH`); the invitation's locale by default.
    pub language: Option<String>,
    /// Ratings of the products the invitation lists (any of them, each at most once).
    #[serde(default)]
    pub products: Vec<SubmitProductRating>,
}

/// A reviewer's rating of one of the invitation's products.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitProductRating {
    /// The product's SKU, as the invitation lists it.
    pub sku: String,
    /// 1 to 5 stars.
    pub rating: i64,
    /// 1–2000 characters, optional.
    pub body: Option<String>,
}

/// The author's change: any of rating, title and body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditReview {
    pub rating: Option<i64>,
    pub title: Option<String>,
    pub body: Option<String>,
}

/// The business's public reply, signed by a person.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutReply {
    /// 1–5000 characters.
    pub body: String,
    /// Who answers, 1–60 characters.
    #[schema(example = "Giulia Bianchi")]
    pub responder_name: String,
    /// Their role, 1–60 characters.
    #[schema(example = "Titolare")]
    pub responder_role: Option<String>,
}

/// The reviewer's one answer to the reply.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostFollowUp {
    pub body: String,
}

fn review_id(raw: &str) -> Result<ReviewId, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound("review"))
}

/// Runs a review command through the one write path, then drops what the public cache held
/// about the business and tells the open inboxes. In a task of its own: if the client goes
/// away while the write is queued, the write still commits, and so must what follows it, or
/// the cache would serve the old bytes until its TTL.
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
        (status = 201, description = "Published; the edit token is shown this once", body = SubmittedReview),
        (status = 404, description = "Unknown invitation", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Invitation already used", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "Invitation expired", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
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
    params(("id" = String, Path, description = "The review's id")),
    responses(
        (status = 200, body = ReviewView),
        (status = 304, description = "Not modified (`If-None-Match`)"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
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
    params(("id" = String, Path, description = "The review's id")),
    request_body = EditReview,
    responses(
        (status = 200, body = ReviewView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Withdrawn", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
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
    params(("id" = String, Path, description = "The review's id")),
    responses(
        (status = 200, description = "The tombstone", body = ReviewView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
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
    params(("id" = String, Path, description = "The review's id")),
    responses(
        (status = 200, description = "The tombstone", body = ReviewView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
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
    params(("id" = String, Path, description = "The review's id"), HistoryQuery),
    responses(
        (status = 200, body = HistoryView),
        (status = 304, description = "Not modified (`If-None-Match`)"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
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
    params(("id" = String, Path, description = "The review's id")),
    request_body = PutReply,
    responses(
        (status = 201, description = "First reply", body = ReviewView),
        (status = 200, description = "Reply edited", body = ReviewView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Another business's review", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Withdrawn", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
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
    params(("id" = String, Path, description = "The review's id")),
    request_body = PostFollowUp,
    responses(
        (status = 201, body = ReviewView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No reply yet, already answered, or withdrawn", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
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
