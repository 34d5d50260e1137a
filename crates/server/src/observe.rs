//! Prometheus metrics of requests (`passaparola serve --metrics-listen`): counted by method,
//! route and status, timed by route. The route is the pattern (`/b/{slug}`), never the path:
//! paths carry tokens, and one series per URL would grow without end. Without a recorder
//! installed, the calls cost a check and nothing more.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

/// Counts and times one request by its route.
pub(crate) async fn requests(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let method = method_label(request.method()).to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let seconds = started.elapsed().as_secs_f64();
    record(method, route, response.status().as_u16(), Some(seconds));
    response
}

/// The method as a label: the standard ones by name, any other as `other` (a client may send
/// any token as a method, and each would be a new series for ever).
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Records one answered request, timed unless it was a ready response (answered before
/// routing, in no measurable time).
pub(crate) fn record(method: String, route: String, status: u16, seconds: Option<f64>) {
    if let Some(seconds) = seconds {
        metrics::histogram!("passaparola_http_request_seconds", "route" => route.clone())
            .record(seconds);
    }
    metrics::counter!(
        "passaparola_http_requests_total",
        "method" => method,
        "route" => route,
        "status" => status.to_string()
    )
    .increment(1);
}
