//! Passaparola's HTTP surface: the REST API under `/api/v1` and its OpenAPI document, the
//! pages, what other sites embed, the log's routes, and the public read cache. Handlers parse
//! requests into domain types, run a use case of `app` (a write) or one store call (a read),
//! and shape the response; they hold no SQL and no business rules, and no surface imports
//! another's handlers (what they share is `listing`, `public`, `error` and `extract`).

pub mod api;
pub mod cache;
pub mod embed;
pub mod error;
pub mod extract;
pub mod hooks;
mod limits;
pub mod listing;
pub mod metrics;
mod observe;
pub mod public;
mod serve;
pub mod views;
pub mod web;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use serve::{
    BODY_READ_TIMEOUT, CROWDED_DEADLINE, ConnectionCap, HEADER_READ_TIMEOUT, WRITE_TIMEOUT, serve,
};

use crate::cache::PublicCache;
use crate::error::ApiError;

/// The largest request body accepted, in bytes. A review's body is at most 5,000 characters
/// (20 kB of UTF-8 at worst); 64 KiB leaves room for the rest and nothing for abuse.
pub const BODY_LIMIT: usize = 64 * 1024;

/// What every handler can reach: the use cases' [`app::App`] (whose fields read through
/// `Deref`: `state.store`, `state.live`, …) and what only HTTP needs. Cloned for every
/// request (axum's `State`), so it is one `Arc`; set-up code sets fields through `DerefMut`
/// (`Arc::make_mut`) before the state is shared.
#[derive(Debug, Clone)]
pub struct AppState(Arc<AppStateInner>);

impl std::ops::Deref for AppState {
    type Target = AppStateInner;

    fn deref(&self) -> &AppStateInner {
        &self.0
    }
}

impl std::ops::DerefMut for AppState {
    fn deref_mut(&mut self) -> &mut AppStateInner {
        Arc::make_mut(&mut self.0)
    }
}

/// The fields of [`AppState`].
#[derive(Debug, Clone)]
pub struct AppStateInner {
    pub app: app::App,
    /// The public read cache (the same one the use cases drop on writes).
    pub cache: PublicCache,
    /// Served behind a reverse proxy: the client's address is the last one in
    /// `X-Forwarded-For` (see [`extract::ClientIp`]).
    pub behind_proxy: bool,
    /// The last `/readyz` probe.
    pub ready: api::health::Probe,
    /// Connections served normally at once (`--max-connections`; [`serve`] keeps it below
    /// the descriptor limit); `None` for the default.
    pub max_connections: Option<usize>,
}

impl std::ops::Deref for AppStateInner {
    type Target = app::App;

    fn deref(&self) -> &app::App {
        &self.app
    }
}

impl AppState {
    /// The state of `app`, whose writes drop `cache` (the one [`app::build`] was given).
    pub fn new(app: app::App, cache: PublicCache) -> Self {
        Self(Arc::new(AppStateInner {
            app,
            cache,
            behind_proxy: false,
            ready: Default::default(),
            max_connections: None,
        }))
    }
}

impl app::Invalidate for PublicCache {
    fn invalidate(&self, slug: &str) {
        PublicCache::invalidate(self, slug);
    }
}

impl FromRef<AppState> for () {
    fn from_ref(_: &AppState) {}
}

/// The whole application, ready to serve.
pub fn router(state: AppState) -> Router {
    let (api, _) = api::router().split_for_parts();
    let api = api.route_layer(axum::middleware::from_fn_with_state(
        state.clone(),
        limits::api_writes,
    ));
    api.merge(web::router(&state))
        .merge(hooks::router(&state))
        .route("/api/openapi.json", axum::routing::get(api::openapi_json))
        // The tile route takes the rest of the path, which utoipa's paths cannot express.
        .route("/log/tile/{*path}", axum::routing::get(api::log::tile))
        // Embedded in other sites: outside the pages' router, whose headers forbid framing.
        .route("/widget.js", axum::routing::get(embed::widget_js))
        .route("/widget/{slug}", axum::routing::get(embed::widget_frame))
        .route("/badge/{file}", axum::routing::get(embed::badge))
        .route("/b/{slug}/feed.atom", axum::routing::get(embed::feed))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
        .layer(axum::middleware::from_fn(web::etag_reads))
        .layer(axum::middleware::from_fn(public_cors))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("referrer-policy"),
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(axum::middleware::from_fn(observe::requests))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::Internal("a handler panicked".into()).into_response()
        }))
        .layer(
            // Spans name the route, never the raw URI: paths carry invitation tokens.
            TraceLayer::new_for_http().make_span_with(|req: &Request| {
                let route = req
                    .extensions()
                    .get::<MatchedPath>()
                    .map_or("unmatched", MatchedPath::as_str);
                tracing::info_span!("request", method = %req.method(), route)
            }),
        )
}

/// Whether a path is a public read that any site may fetch from a browser: the businesses'
/// JSON, reviews, the log, and what other sites embed.
fn is_public_read(path: &str) -> bool {
    [
        "/api/v1/businesses/",
        "/api/v1/reviews/",
        "/api/v1/log/",
        "/log/",
        "/badge/",
        "/widget",
    ]
    .iter()
    .any(|p| path.starts_with(p))
        || path.ends_with("/feed.atom")
}

/// `Access-Control-Allow-Origin: *` on public reads (their errors included, so a widget on
/// another site can tell a 404 from a network failure). No credentials are ever allowed:
/// a browser sends no cookie, and nothing private is readable this way.
async fn public_cors(request: Request, next: axum::middleware::Next) -> Response {
    // A cross-origin fetch that revalidates (`If-None-Match`) asks first: say yes, for reads.
    if request.method() == axum::http::Method::OPTIONS
        && is_public_read(request.uri().path())
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
    {
        return (
            axum::http::StatusCode::NO_CONTENT,
            [
                (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
                (header::ACCESS_CONTROL_ALLOW_METHODS, "GET, HEAD"),
                (header::ACCESS_CONTROL_ALLOW_HEADERS, "if-none-match"),
                (header::ACCESS_CONTROL_MAX_AGE, "86400"),
            ],
        )
            .into_response();
    }
    let public = matches!(
        *request.method(),
        axum::http::Method::GET | axum::http::Method::HEAD
    ) && is_public_read(request.uri().path());
    let mut response = next.run(request).await;
    if public {
        let h = response.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("etag"),
        );
    }
    response
}

/// Unknown paths: a page for a browser, a problem for everyone else.
async fn not_found(
    tr: web::i18n::Tr,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
) -> Response {
    let api = uri.path().starts_with("/api/") || uri.path().starts_with("/log/");
    if web::wants_html(&headers) && !api {
        web::not_found_page(tr)
    } else {
        ApiError::NotFound("resource").into_response()
    }
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
