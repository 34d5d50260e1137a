//! Static assets, compiled in. The stylesheet's path carries a hash of its content, so it can
//! be cached for a year and still change the moment it changes.

use std::sync::LazyLock;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

const STYLE: &str = include_str!("../../static/style.css");
const FAVICON: &str = include_str!("../../static/favicon.svg");
/// The inbox's live updates: the only script of the site, and the pages work without it.
const INBOX_JS: &str = include_str!("../../static/inbox.js");

/// `/static/{name}.<first 16 hex digits of the content's SHA-256>.{ext}`
fn hashed(name: &str, ext: &str, content: &str) -> String {
    let digest = Sha256::digest(content.as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("/static/{name}.{hex}.{ext}")
}

pub static STYLE_PATH: LazyLock<String> = LazyLock::new(|| hashed("style", "css", STYLE));
pub static INBOX_JS_PATH: LazyLock<String> = LazyLock::new(|| hashed("inbox", "js", INBOX_JS));

fn asset(body: &'static str, content_type: &'static str, cache: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        body,
    )
        .into_response()
}

pub async fn style() -> Response {
    asset(
        STYLE,
        "text/css; charset=utf-8",
        "public, max-age=31536000, immutable",
    )
}

pub async fn inbox_js() -> Response {
    asset(
        INBOX_JS,
        "text/javascript; charset=utf-8",
        "public, max-age=31536000, immutable",
    )
}

pub async fn favicon() -> Response {
    // A fixed path that browsers ask for on their own: cached for a day, not for ever.
    asset(FAVICON, "image/svg+xml", "public, max-age=86400")
}

/// Search engines may read the public pages, not anyone's own (forms, edit links, inbox).
pub async fn robots() -> Response {
    asset(
        "User-agent: *\nAllow: /\nDisallow: /r/\nDisallow: /e/\nDisallow: /inbox\nDisallow: /invitations\nDisallow: /keys\nDisallow: /login\n",
        "text/plain; charset=utf-8",
        "public, max-age=86400",
    )
}
