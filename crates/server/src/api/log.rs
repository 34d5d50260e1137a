//! The public log over HTTP, exactly as C2SP tlog-tiles says, under `/log`; and review
//! receipts.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ledger::tiles::TilePath;

use crate::AppState;
use crate::api::schema;
use crate::error::{ApiError, Problem};
use crate::extract::ApiPath;

fn text(body: Vec<u8>, cache: &'static str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        body,
    )
        .into_response()
}

/// The latest signed checkpoint (C2SP tlog-checkpoint in a signed note).
#[utoipa::path(
    get,
    path = "/log/checkpoint",
    tag = "log",
    responses(
        (status = 200, description = "The signed checkpoint", content_type = "text/plain"),
        (status = 404, description = "`/problems/not-found`: the log has no checkpoint yet", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn checkpoint(State(state): State<AppState>) -> Result<Response, ApiError> {
    let signed = state
        .store
        .log_checkpoint()
        .await?
        .ok_or(ApiError::NotFound("checkpoint"))?;
    // Mutable: a few seconds at most.
    Ok(text(signed, "public, max-age=2"))
}

/// The log's verifier key, `<origin>+<key id>+<base64>` (C2SP signed-note).
#[utoipa::path(
    get,
    path = "/log/key",
    tag = "log",
    responses(
        (status = 200, description = "The verifier key", content_type = "text/plain"),
        (status = 404, description = "`/problems/not-found`: this instance has no log key", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn key(State(state): State<AppState>) -> Result<Response, ApiError> {
    let key = state
        .log_verifier_key
        .as_deref()
        .ok_or(ApiError::NotFound("log key"))?;
    Ok(text(
        format!("{key}\n").into_bytes(),
        "public, max-age=3600",
    ))
}

/// A tile (`tile/<L>/<N>[.p/<W>]`) or an entry bundle (`tile/entries/<N>[.p/<W>]`).
#[utoipa::path(
    get,
    path = "/log/tile/{path}",
    tag = "log",
    params(("path" = String, Path, description = "`<L>/<N>[.p/<W>]` or `entries/<N>[.p/<W>]`, N in x-prefixed 3-digit groups")),
    responses(
        (status = 200, description = "Tile bytes", content_type = "application/octet-stream"),
        (status = 404, description = "`/problems/not-found`: no such tile (yet), or not a tile path", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn tile(
    State(state): State<AppState>,
    ApiPath(path): ApiPath<String>,
) -> Result<Response, ApiError> {
    let tile = TilePath::parse(&format!("tile/{path}")).map_err(|_| ApiError::NotFound("tile"))?;
    let bytes = state
        .store
        .log_tile(tile)
        .await?
        .ok_or(ApiError::NotFound("tile"))?;
    // A tile's bytes never change once it exists, partial ones included (a wider partial
    // tile has another path).
    Ok((
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// A C2SP tlog-proof receipt for the review's latest event: its log entry, its inclusion
/// proof and the signed checkpoint. Verify it offline with `passaparola verify receipt`.
#[utoipa::path(
    get,
    path = "/api/v1/reviews/{id}/receipt",
    tag = "reviews",
    params(schema::ReviewIdPath),
    responses(
        (status = 200, description = "The receipt (`c2sp.org/tlog-proof@v1`)", content_type = "text/plain"),
        (status = 404, description = "`/problems/not-found`: no such review, or no receipt for it", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn receipt(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let id: domain::ids::ReviewId = id.parse().map_err(|_| ApiError::NotFound("review"))?;
    let receipt = state
        .store
        .review_receipt(id)
        .await?
        .ok_or(ApiError::NotFound("receipt"))?;
    receipt_file(receipt, &format!("review-{id}.tlog-proof"))
}

/// A C2SP tlog-proof receipt for any entry of the log, by its index (each event in a review's
/// history shows its `log.index`): the entry, its inclusion proof and the signed checkpoint.
#[utoipa::path(
    get,
    path = "/api/v1/log/entries/{index}/receipt",
    tag = "log",
    params(("index" = u64, Path, description = "The entry's index in the log")),
    responses(
        (status = 200, description = "The receipt (`c2sp.org/tlog-proof@v1`)", content_type = "text/plain"),
        (status = 404, description = "`/problems/not-found`: no entry at this index (a non-canonical decimal, such as `01`, names none)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn entry_receipt(
    State(state): State<AppState>,
    ApiPath(index): ApiPath<String>,
) -> Result<Response, ApiError> {
    // Canonical decimal only, so that one entry has one URL.
    let index: u64 = Some(index.as_str())
        .filter(|i| *i == "0" || !i.starts_with('0'))
        .and_then(|i| i.parse().ok())
        .ok_or(ApiError::NotFound("log entry"))?;
    let receipt = state
        .store
        .log_receipt(index)
        .await?
        .ok_or(ApiError::NotFound("receipt"))?;
    receipt_file(receipt, &format!("entry-{index}.tlog-proof"))
}

/// A receipt as a download. It may change (a newer checkpoint), so it is not cached.
fn receipt_file(receipt: Vec<u8>, filename: &str) -> Result<Response, ApiError> {
    let disposition = HeaderValue::try_from(format!("attachment; filename=\"{filename}\""))
        .map_err(|e| ApiError::Internal(Box::new(e)))?;
    let mut response = text(receipt, "no-cache");
    response
        .headers_mut()
        .insert(header::CONTENT_DISPOSITION, disposition);
    Ok(response)
}
