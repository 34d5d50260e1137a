//! `POST /hooks/shopify/{slug}` and `POST /hooks/woocommerce/{slug}`: orders from the shops
//! a business connected (`passaparola shop connect`, docs/shops.md). The signature over the
//! raw body is checked in constant time before anything is parsed; a bad one is `401` and
//! changes nothing. A fulfilled (Shopify) or completed (WooCommerce) order becomes one
//! invitation, mailed after the business's shop delay; anything else is acknowledged
//! (`202`) and dropped. Nothing from a shop ever creates a review.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::Utc;
use domain::shop::{self, ShopKind};
use serde_json::json;

use crate::AppState;
use crate::error::ApiError;

/// The receivers, with the write limits at their door.
pub fn router(state: &AppState) -> axum::Router<AppState> {
    axum::Router::new()
        .route("/hooks/shopify/{slug}", post(shopify))
        .route("/hooks/woocommerce/{slug}", post(woocommerce))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::limits::api_writes,
        ))
        // An order of many lines is larger than anything the API takes.
        .layer(axum::extract::DefaultBodyLimit::max(HOOK_BODY_LIMIT))
}

/// The largest webhook body accepted: Shopify's orders run to a few kilobytes a line item.
pub const HOOK_BODY_LIMIT: usize = 1024 * 1024;

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn shopify(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let signature = header(&headers, "x-shopify-hmac-sha256");
    let business = verified(&state, &slug, ShopKind::Shopify, signature, &body).await?;
    let topic = header(&headers, "x-shopify-topic").unwrap_or_default();
    let delivery =
        shop::shopify::parse(topic, &body).map_err(|e| ApiError::MalformedBody(e.to_string()))?;
    let id = header(&headers, "x-shopify-webhook-id");
    handle(&state, business, ShopKind::Shopify, id, delivery).await
}

async fn woocommerce(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let signature = header(&headers, "x-wc-webhook-signature");
    let topic = header(&headers, "x-wc-webhook-topic");
    let content_type = header(&headers, "content-type");
    // WooCommerce's ping when a webhook is created (`webhook_id=N`, form-encoded) is sent
    // before the shop owner may have pasted the secret everywhere; it carries no order and
    // changes nothing, so it is answered whatever its signature.
    if topic.is_none()
        && matches!(
            shop::woocommerce::parse(None, content_type, &body),
            Ok(shop::Delivery::Ping)
        )
    {
        return Ok((StatusCode::OK, Json(json!({"status": "ping"}))).into_response());
    }
    let business = verified(&state, &slug, ShopKind::WooCommerce, signature, &body).await?;
    let delivery = shop::woocommerce::parse(topic, content_type, &body)
        .map_err(|e| ApiError::MalformedBody(e.to_string()))?;
    let id = header(&headers, "x-wc-webhook-delivery-id");
    handle(&state, business, ShopKind::WooCommerce, id, delivery).await
}

/// The business whose connected shop of `kind` signed `body`: `404` if there is none,
/// `401` if the signature is missing or wrong.
async fn verified(
    state: &AppState,
    slug: &str,
    kind: ShopKind,
    signature: Option<&str>,
    body: &[u8],
) -> Result<domain::ids::BusinessId, ApiError> {
    let business = state
        .store
        .business_by_slug(slug)
        .await?
        .ok_or(ApiError::NotFound("shop connection"))?;
    let secret = state
        .store
        .shop_secret(business.id, kind)
        .await?
        .ok_or(ApiError::NotFound("shop connection"))?;
    match signature {
        Some(s) if app::shops::signature_valid(secret.as_bytes(), body, s) => Ok(business.id),
        _ => Err(ApiError::Unauthorized(
            "the webhook's signature does not match",
        )),
    }
}

async fn handle(
    state: &AppState,
    business: domain::ids::BusinessId,
    kind: ShopKind,
    delivery_id: Option<&str>,
    delivery: shop::Delivery,
) -> Result<Response, ApiError> {
    use app::shops::Received;
    let received = app::shops::receive(
        &state.app,
        business,
        kind,
        delivery_id,
        delivery,
        Utc::now(),
    )
    .await?;
    let (status, body) = match received {
        Received::Invited(invited) if invited.write.created => (
            StatusCode::CREATED,
            json!({"status": "invited", "invitation": invited.write.invitation.id.to_string()}),
        ),
        Received::Invited(invited) => (
            StatusCode::OK,
            json!({"status": "already_invited", "invitation": invited.write.invitation.id.to_string()}),
        ),
        Received::Duplicate => (StatusCode::OK, json!({"status": "duplicate"})),
        Received::Ping => (StatusCode::OK, json!({"status": "ping"})),
        Received::Ignored(why) => (
            StatusCode::ACCEPTED,
            json!({"status": "ignored", "reason": why}),
        ),
    };
    Ok((status, Json(body)).into_response())
}
