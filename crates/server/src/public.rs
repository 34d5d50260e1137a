//! Public reads: served from the public cache with a strong ETag (`304` when the client has
//! it), computed once per change of the business, and marked shareable for the server's
//! front ([`crate::cache::PublicCache::ready`]). Every surface's public reads (the API's,
//! what other sites embed) go through here.

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Serialize;

use crate::AppState;
use crate::cache::{Cached, Shareable};
use crate::error::ApiError;

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

/// A response to a public read: JSON with a strong ETag, `304` when the client has it.
pub fn public_json(request_headers: &axum::http::HeaderMap, cached: &Cached) -> Response {
    public_read(request_headers, cached, "application/json")
}

/// A public read of any type: a strong ETag, `304` when the client has it.
pub fn public_read(
    request_headers: &axum::http::HeaderMap,
    cached: &Cached,
    content_type: &'static str,
) -> Response {
    let fresh = request_headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == cached.etag);
    // Short, because a new review must show soon; revalidating with `If-None-Match` is cheap.
    let cache_control = HeaderValue::from_static("public, max-age=15");
    if fresh {
        return (
            axum::http::StatusCode::NOT_MODIFIED,
            [
                (header::ETAG, cached.etag.clone()),
                (header::CACHE_CONTROL, cache_control),
            ],
        )
            .into_response();
    }
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::ETAG, cached.etag.clone()),
            (header::CACHE_CONTROL, cache_control),
        ],
        cached.body.clone(),
    )
        .into_response()
}
