//! The web: server-rendered pages in Italian and English (askama templates, which escape
//! every value; Project Fluent catalogues in `locales/`). No client framework: every page
//! works with JavaScript off. The one script, the inbox's live updates, is an addition, and
//! only the inbox's policy lets it run.

pub mod assets;
pub mod charts;
pub mod edit;
mod error;
pub(crate) mod figures;
pub mod form;
pub mod i18n;
pub mod inbox;
pub mod invitation_settings;
pub mod invitations;
mod jsonld;
pub mod keys;
pub mod login;
pub mod pages;
mod parts;
pub mod redirect;
pub mod session;
mod signed_links;
pub mod template;
mod unsubscribe;
pub mod users;

use askama::Template;
use axum::Router;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::AppState;
pub use error::PageError;
use error::localised_errors;
pub(crate) use error::not_found_page;

/// What every page's layout needs.
#[derive(Debug)]
pub struct Meta {
    pub title: String,
    pub description: String,
    /// This page's path and query, for the language switch to come back to.
    pub here: String,
    pub style: &'static str,
    /// Pages that are someone's own (forms, edit links, the inbox) stay out of search engines.
    pub noindex: bool,
}

impl Meta {
    pub fn new(title: String, description: String, here: String) -> Self {
        Self {
            title,
            description,
            here,
            style: assets::STYLE_PATH.as_str(),
            noindex: false,
        }
    }

    /// The same, kept out of search engines.
    pub fn private(title: String, description: String, here: String) -> Self {
        Self {
            noindex: true,
            ..Self::new(title, description, here)
        }
    }
}

/// Every public read revalidates cheaply: a successful `GET` without an ETag of its own that
/// is neither private (`no-store`) nor setting a cookie gets a weak ETag of its bytes (weak,
/// because compression may change the bytes on the wire), `304 Not Modified` when the
/// client has it, and — unless it says otherwise — `Cache-Control: no-cache`, since what it
/// shows changes with every review. Pages depend on the visitor's language, hence `Vary`.
/// Applied to the pages (inside their compression) and to the whole app, for the reads that
/// are not cached bytes already (the log's checkpoint, receipts, the OpenAPI document).
pub(crate) async fn etag_reads(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let is_get = matches!(
        *request.method(),
        axum::http::Method::GET | axum::http::Method::HEAD
    );
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    let response = next.run(request).await;
    let private = response
        .headers()
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("no-store"));
    if !is_get
        || response.status() != StatusCode::OK
        || private
        || response.headers().contains_key(header::SET_COOKIE)
        || response.headers().contains_key(header::ETAG)
    {
        return response;
    }
    // Only whole bodies of known, page-like size: a stream (the inbox's events) or anything
    // large is passed on untouched.
    const LIMIT: u64 = 8 << 20;
    let size = axum::body::HttpBody::size_hint(response.body());
    if size.exact().is_none_or(|n| n > LIMIT) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, LIMIT as usize).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let entry = crate::cache::Cached::new(bytes);
    let strong = entry.etag.to_str().unwrap_or("\"0\"");
    let etag = HeaderValue::try_from(format!("W/{strong}"))
        .unwrap_or_else(|_| HeaderValue::from_static("W/\"0\""));
    let h = &mut parts.headers;
    h.insert(header::ETAG, etag.clone());
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    let html = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html {
        h.insert(
            header::VARY,
            HeaderValue::from_static("accept-language, cookie"),
        );
    }
    let fresh = if_none_match
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            // Weak comparison (RFC 9110, 13.1.2): the opaque tags alone are compared.
            v.split(',')
                .map(str::trim)
                .any(|tag| tag == "*" || tag.trim_start_matches("W/") == strong)
        });
    if fresh {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, axum::body::Body::empty());
    }
    Response::from_parts(parts, axum::body::Body::from(entry.body))
}

/// A posted form (`application/x-www-form-urlencoded`); anything else is a page that says
/// the request was invalid, never axum's plain-text rejection.
#[derive(Debug)]
pub struct PageForm<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for PageForm<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = PageError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, PageError> {
        axum::extract::Form::<T>::from_request(req, state)
            .await
            .map(|axum::extract::Form(v)| PageForm(v))
            .map_err(|_| PageError::BadRequest("form".into()))
    }
}

/// A template as an HTML response.
pub fn render(status: StatusCode, page: &impl Template) -> Result<Response, PageError> {
    let html = page
        .render()
        .map_err(|e| PageError::Internal(Box::new(e)))?;
    Ok((
        status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            // Pages follow the visitor's language and change with every review.
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                header::VARY,
                HeaderValue::from_static("accept-language, cookie"),
            ),
        ],
        html,
    )
        .into_response())
}

/// A page that is someone's own (a form they typed in, an edit link, the inbox): rendered,
/// and never stored by a cache.
pub fn private_page(status: StatusCode, page: &impl Template) -> Result<Response, PageError> {
    let mut response = render(status, page)?;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Content-Security-Policy for pages: our own stylesheet and images, no script at all, no
/// framing, forms only to ourselves. (`connect-src 'self'` lets audit tools such as
/// Lighthouse read our own `robots.txt` from the page; with no script, nothing else connects.)
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
                   base-uri 'none'";

/// The same, with our own script files (never an inline script): for the inbox alone, whose
/// live updates are the site's only script.
pub const CSP_WITH_SCRIPT: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                                   img-src 'self' data:; connect-src 'self'; \
                                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The pages, the language switch and the static assets. Their writes count against the
/// write limits (`crate::limits`), refused as pages.
pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/b/{slug}", get(pages::business))
        .route("/b/{slug}/r/{id}", get(pages::review))
        .route("/b/{slug}/p/{sku}", get(pages::product))
        .route("/b/{slug}/invitations", get(pages::invitations))
        .route("/lang/{code}", get(pages::set_language))
        .route("/r/{token}", get(form::open).post(form::submit_to_link))
        .route(form::FORM_PATH, get(form::show).post(form::submit))
        .route("/e/{id}/{token}", get(edit::show).post(edit::act))
        .route("/login", get(login::login_form).post(login::login))
        .route("/logout", axum::routing::post(login::logout))
        .route("/inbox", get(inbox::inbox))
        .route("/inbox/events", get(inbox::events))
        .route("/inbox/{id}", get(inbox::item))
        .route("/inbox/{id}/reply", axum::routing::post(inbox::reply))
        .route(
            "/invitations",
            get(invitations::invitations).post(invitations::invite),
        )
        .route(
            "/invitations/mail-settings",
            axum::routing::post(invitation_settings::save_mail_settings),
        )
        .route(
            "/invitations/shops",
            axum::routing::post(invitation_settings::connect_shop),
        )
        .route(
            "/invitations/link-secret",
            axum::routing::post(invitation_settings::new_link_secret),
        )
        .route(
            "/invitations/template",
            get(template::show).post(template::save),
        )
        .route("/keys", get(keys::keys).post(keys::create_key))
        .route("/keys/{id}/revoke", axum::routing::post(keys::revoke_key))
        .route("/users", get(users::users))
        .route("/users/{id}/{action}", axum::routing::post(users::act))
        .route(
            "/u/{token}",
            get(unsubscribe::show).post(unsubscribe::confirm),
        )
        .route("/i/{slug}", get(signed_links::open))
        .route(assets::STYLE_PATH.as_str(), get(assets::style))
        .route(assets::INBOX_JS_PATH.as_str(), get(assets::inbox_js))
        .route("/favicon.svg", get(assets::favicon))
        .route("/robots.txt", get(assets::robots))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::limits::page_writes,
        ))
        .layer(axum::middleware::from_fn(localised_errors))
        .layer(axum::middleware::from_fn(etag_reads))
        // Pages only: the API's hot reads are measured (BENCHMARKS.md) as they are; a CDN or
        // proxy in front compresses them.
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static("DENY"),
        ))
        // Not `no-referrer` (the API's): with it, browsers send `Origin: null` on our own
        // forms. `same-origin` still sends nothing to other sites (edit links hold a token).
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("referrer-policy"),
            HeaderValue::from_static("same-origin"),
        ))
}

/// The value of the request's cookie `name`.
pub(crate) fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(name)?.strip_prefix('='))
}

/// A redirect after a form (or to one), never cached, perhaps setting a cookie.
pub(crate) fn see_other(to: &str, cookie: Option<HeaderValue>) -> Response {
    let mut response = (
        StatusCode::SEE_OTHER,
        [
            (
                header::LOCATION,
                HeaderValue::try_from(to).unwrap_or(HeaderValue::from_static("/")),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response();
    if let Some(c) = cookie {
        response.headers_mut().insert(header::SET_COOKIE, c);
    }
    response
}

/// Whether a request wants a page rather than JSON (a browser's navigation).
pub fn wants_html(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"))
}
