//! Sessions of the business pages: a random cookie token stored as its SHA-256 (`HttpOnly`,
//! `SameSite=Lax`, `Secure` over https), and the extractors that hand a page its logged-in
//! user. A page without a live session sends the visitor to `/login` and then back; a form
//! post must also come from this site with its session's CSRF token.

use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use domain::secret::TokenHash;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use store::User;

use super::form::same_site;
use super::{PageError, PageForm, cookie, see_other};
use crate::AppState;

pub const SESSION_COOKIE: &str = "pp_session";

/// A logged-in user and their session's secret.
#[derive(Debug)]
pub struct Session {
    pub user: User,
    token: String,
}

impl Session {
    /// The live session of the request's cookie, if any.
    async fn find(state: &AppState, headers: &HeaderMap) -> Result<Option<Self>, PageError> {
        let Some(token) = cookie(headers, SESSION_COOKIE) else {
            return Ok(None);
        };
        let user = state
            .store
            .session_user(TokenHash::of(token), Utc::now())
            .await?;
        Ok(user.map(|user| Session {
            user,
            token: token.to_owned(),
        }))
    }

    /// The form token of this session: derived from the session's secret, so a page of
    /// another site, which cannot read our cookie, cannot know it.
    pub fn csrf(&self) -> String {
        let digest = Sha256::digest(format!("passaparola/csrf\0{}", self.token).as_bytes());
        digest[..16].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The session's token as the store keeps it.
    pub fn hash(&self) -> TokenHash {
        TokenHash::of(&self.token)
    }

    /// Whether a form was posted from this site with this session's form token.
    pub fn posted_here(&self, state: &AppState, headers: &HeaderMap, csrf: &str) -> bool {
        same_site(headers, &state.base_url) && csrf == self.csrf()
    }
}

/// The session cookie of `value` for `max_age` seconds (`0` clears it).
pub(super) fn session_cookie(state: &AppState, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.base_url.scheme() == "https" {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::try_from(format!(
        "{SESSION_COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
    ))
    .unwrap_or(HeaderValue::from_static("pp_session=; Path=/; Max-Age=0"))
}

/// To the log-in page, and then back to `back`.
pub(super) fn log_in(back: &str) -> Response {
    see_other(&format!("/login?next={back}"), None)
}

/// Where the log-in page sends the visitor back to: the page asked for, or for a form's
/// post the page of that form (`/inbox` for `/inbox/{id}/reply`, `/keys` for a revocation).
fn back(parts: &Parts) -> String {
    let path = parts.uri.path();
    if parts.method == Method::GET || parts.method == Method::HEAD {
        return path.to_owned();
    }
    let page = path.trim_start_matches('/').split('/').next().unwrap_or("");
    format!("/{page}")
}

/// A business page's session: logged in, else to the log-in page and back.
impl FromRequestParts<AppState> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match Session::find(state, &parts.headers).await {
            Ok(Some(session)) => Ok(session),
            Ok(None) => Err(log_in(&back(parts))),
            Err(e) => Err(e.into_response()),
        }
    }
}

/// The session, if the request has a live one (log-out, the event stream).
impl OptionalFromRequestParts<AppState> for Session {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, PageError> {
        Session::find(state, &parts.headers).await
    }
}

/// A form of the business pages, which carries its session's CSRF token.
pub trait CsrfField {
    fn csrf(&self) -> &str;
}

/// A form posted on a business page: well-formed (else 400), by a logged-in user (else to
/// the log-in page), from this site with the session's CSRF token (else 403), in that order.
#[derive(Debug)]
pub struct Posted<T> {
    pub session: Session,
    pub form: T,
}

impl<T> FromRequest<AppState> for Posted<T>
where
    T: DeserializeOwned + CsrfField,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let session =
            <Session as FromRequestParts<AppState>>::from_request_parts(&mut parts, state).await;
        let from_here = same_site(&parts.headers, &state.base_url);
        let PageForm(form) = PageForm::<T>::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        let session = session?;
        if !from_here || form.csrf() != session.csrf() {
            return Err(PageError::Forbidden.into_response());
        }
        Ok(Posted { session, form })
    }
}

/// A form whose only field is its CSRF token (log-out, API keys).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct CsrfForm {
    csrf: String,
}

impl CsrfField for CsrfForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}
