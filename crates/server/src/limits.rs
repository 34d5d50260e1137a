//! The write limits ([`app::limits`]) at the door of every write route, so that no handler
//! can forget them: which limit a route counts against, whose credential it carries, and
//! the refusal, as problem+json for the API and as a page in the visitor's language.

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use app::limits::{Action, Limited};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::ClientIp;
use crate::web::PageError;
use crate::web::i18n::Tr;

/// The limit a write route counts against; `None` for reads and for writes limited
/// elsewhere (log-in has its own limits, `app::logins`).
fn action(method: &Method, route: &str) -> Option<Action> {
    use Action::*;
    let write = matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    // A signed link's first visit creates its invitation: a write, though a GET.
    if !write && route != "/i/{slug}" {
        return None;
    }
    Some(match route {
        "/api/v1/invitations"
        | "/invitations"
        | "/hooks/shopify/{slug}"
        | "/hooks/woocommerce/{slug}"
        | "/i/{slug}" => Invitation,
        "/api/v1/mail-settings" | "/api/v1/invitation-templates/{locale}" => Account,
        "/api/v1/reviews" | "/r/{token}" | crate::web::form::FORM_PATH => Submission,
        "/api/v1/reviews/{id}"
        | "/api/v1/reviews/{id}/erase"
        | "/api/v1/reviews/{id}/follow-up"
        | "/e/{id}/{token}" => ReviewChange,
        "/api/v1/reviews/{id}/reply" | "/inbox/{id}/reply" => Reply,
        "/keys"
        | "/keys/{id}/revoke"
        | "/users/{id}/{action}"
        | "/invitations/mail-settings"
        | "/invitations/shops"
        | "/invitations/link-secret"
        | "/invitations/template" => Account,
        "/u/{token}" => Unsubscribe,
        _ => return None,
    })
}

/// The credential a route writes with, read as its handler reads it, so that no other
/// spelling of the same secret gets a bucket of its own: on the API the bearer token (any
/// case of `Bearer`, trimmed); on an edit or invitation link the path's token,
/// percent-decoded; on every other page the session cookie. Nothing else counts: a header a
/// route ignores cannot buy a fresh bucket.
fn credential(headers: &HeaderMap, route: &str, path: &str) -> Option<String> {
    if route.starts_with("/api/") {
        let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        let token = token.trim();
        return (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty())
            .then(|| token.to_owned());
    }
    if route.ends_with("/{token}") {
        let raw = path.rsplit('/').next()?;
        return percent_encoding::percent_decode_str(raw)
            .decode_utf8()
            .ok()
            .map(|t| t.into_owned());
    }
    crate::web::cookie(headers, crate::web::session::SESSION_COOKIE).map(str::to_owned)
}

/// Counts the request against its limits; `Err` with the refusal's wait if it is over one.
fn admit(state: &AppState, request: &Request, client: ClientIp) -> Result<(), Limited> {
    let Some(route) = request.extensions().get::<MatchedPath>() else {
        return Ok(());
    };
    let Some(action) = action(request.method(), route.as_str()) else {
        return Ok(());
    };
    let path = request.uri().path();
    let credential = credential(request.headers(), route.as_str(), path);
    state.limits.admit(action, credential.as_deref(), client.0)
}

/// Whole seconds to wait, at least one.
fn seconds(limited: Limited) -> u64 {
    limited.retry_after.as_secs_f64().ceil().max(1.0) as u64
}

/// The API's write routes: a refusal is a `429` problem with `Retry-After`.
pub(crate) async fn api_writes(
    State(state): State<AppState>,
    client: ClientIp,
    request: Request,
    next: Next,
) -> Response {
    match admit(&state, &request, client) {
        Ok(()) => next.run(request).await,
        Err(limited) => ApiError::RateLimited {
            retry_after: seconds(limited),
        }
        .into_response(),
    }
}

/// The pages' write routes: a refusal is a `429` page in the visitor's language, with
/// `Retry-After`.
pub(crate) async fn page_writes(
    State(state): State<AppState>,
    client: ClientIp,
    tr: Tr,
    request: Request,
    next: Next,
) -> Response {
    match admit(&state, &request, client) {
        Ok(()) => next.run(request).await,
        Err(limited) => {
            let wait = seconds(limited);
            let mut response = PageError::Message {
                status: StatusCode::TOO_MANY_REQUESTS,
                heading: tr.t("rate-limited-title"),
                body: tr.with("rate-limited-body", "seconds", &wait.to_string()),
            }
            .into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(wait));
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_write_route_has_a_limit_and_reads_have_none() {
        let post = Method::POST;
        assert_eq!(
            action(&post, "/api/v1/invitations"),
            Some(Action::Invitation)
        );
        assert_eq!(
            action(&Method::PATCH, "/api/v1/reviews/{id}"),
            Some(Action::ReviewChange)
        );
        assert_eq!(
            action(&Method::DELETE, "/api/v1/reviews/{id}"),
            Some(Action::ReviewChange)
        );
        assert_eq!(
            action(&Method::PUT, "/api/v1/reviews/{id}/reply"),
            Some(Action::Reply)
        );
        assert_eq!(action(&post, "/e/{id}/{token}"), Some(Action::ReviewChange));
        assert_eq!(action(&post, "/keys/{id}/revoke"), Some(Action::Account));
        assert_eq!(action(&post, "/users/{id}/{action}"), Some(Action::Account));
        for settings in [
            "/invitations/mail-settings",
            "/invitations/shops",
            "/invitations/link-secret",
            "/invitations/template",
            "/api/v1/invitation-templates/{locale}",
        ] {
            assert_eq!(action(&post, settings), Some(Action::Account), "{settings}");
        }
        assert_eq!(action(&post, "/u/{token}"), Some(Action::Unsubscribe));
        assert_eq!(action(&Method::GET, "/api/v1/reviews/{id}"), None);
        assert_eq!(action(&post, "/login"), None);
    }

    #[test]
    fn the_credential_is_read_as_the_route_reads_it() {
        let mut headers = HeaderMap::new();
        let cred = |h: &HeaderMap, route, path| credential(h, route, path);
        // A link's token, decoded: another spelling is the same credential.
        assert_eq!(
            cred(&headers, "/e/{id}/{token}", "/e/1/ppe_x").as_deref(),
            Some("ppe_x")
        );
        assert_eq!(
            cred(&headers, "/e/{id}/{token}", "/e/1/%70pe_x").as_deref(),
            Some("ppe_x")
        );
        assert_eq!(cred(&headers, "/api/v1/reviews", "/api/v1/reviews"), None);
        headers.insert(header::COOKIE, HeaderValue::from_static("pp_session=s1"));
        assert_eq!(cred(&headers, "/keys", "/keys").as_deref(), Some("s1"));
        // A bearer header on a page is ignored (the page reads the session), and a cookie
        // or bearer on a link is ignored (the link's token is what it reads).
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer k1"));
        assert_eq!(cred(&headers, "/keys", "/keys").as_deref(), Some("s1"));
        assert_eq!(
            cred(&headers, "/e/{id}/{token}", "/e/1/ppe_x").as_deref(),
            Some("ppe_x")
        );
        // On the API, the bearer token in any case of the scheme, trimmed.
        for value in ["Bearer k1", "bearer k1", "BEARER   k1  "] {
            headers.insert(header::AUTHORIZATION, HeaderValue::from_static(value));
            let found = cred(&headers, "/api/v1/reviews/{id}", "/api/v1/reviews/1");
            assert_eq!(found.as_deref(), Some("k1"), "{value}");
        }
    }
}
