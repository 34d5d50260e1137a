//! `/users`: the business's own users, as a colleague manages them: disable or enable one,
//! reset a password (shown once), sign one out everywhere. Only users of the same business
//! are seen or touched; nobody disables themselves or resets their own password here.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::i18n::Tr;
use super::session::{CsrfForm, Posted, Session, session_cookie};
use super::{Meta, PageError, private_page, see_other};
use crate::AppState;
use crate::extract::ApiPath;
use app::people::{Change, Changed};

#[derive(Debug)]
pub struct UserRow {
    pub id: String,
    pub name: String,
    pub role: Option<String>,
    pub email: String,
    pub state: String,
    pub active: bool,
    pub me: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    tr: Tr,
    meta: Meta,
    csrf: String,
    notice: Option<String>,
    /// A password just reset: shown this once.
    new_password: Option<String>,
    users: Vec<UserRow>,
}

async fn users_page(
    state: &AppState,
    tr: Tr,
    s: &Session,
    notice: Option<String>,
    new_password: Option<String>,
) -> Result<Response, PageError> {
    let users = state.store.users(s.user.business.id).await?;
    let page = UsersPage {
        meta: Meta::private(tr.t("users-title"), tr.t("users-intro"), "/users".into()),
        csrf: s.csrf(),
        notice,
        new_password,
        users: users
            .into_iter()
            .map(|e| UserRow {
                state: match e.disabled_at {
                    Some(at) => tr.with("user-disabled", "date", &tr.date(at.date_naive())),
                    None => tr.with("user-active", "date", &tr.date(e.created_at.date_naive())),
                },
                active: e.disabled_at.is_none(),
                me: e.user.id == s.user.id,
                id: e.user.id.to_string(),
                name: e.user.name,
                role: e.user.role,
                email: e.user.email,
            })
            .collect(),
        tr,
    };
    private_page(StatusCode::OK, &page)
}

/// `GET /users`
pub async fn users(
    State(state): State<AppState>,
    tr: Tr,
    s: Session,
) -> Result<Response, PageError> {
    users_page(&state, tr, &s, None, None).await
}

/// `POST /users/{id}/{action}`: `disable`, `enable`, `sign-out` or `reset-password`.
pub async fn act(
    State(state): State<AppState>,
    tr: Tr,
    ApiPath((id, action)): ApiPath<(String, String)>,
    Posted { session: s, .. }: Posted<CsrfForm>,
) -> Result<Response, PageError> {
    // Another business's user, or no user at all: not found, alike.
    let target: uuid::Uuid = id.parse().map_err(|_| PageError::NotFound)?;
    let colleagues = state.store.users(s.user.business.id).await?;
    if !colleagues.iter().any(|e| e.user.id == target) {
        return Err(PageError::NotFound);
    }
    let me = target == s.user.id;
    let store = state.store.as_ref();
    if me && matches!(action.as_str(), "disable" | "reset-password") {
        return Err(PageError::Message {
            status: StatusCode::CONFLICT,
            heading: tr.t("user-self-title"),
            body: tr.t("user-self-body"),
        });
    }
    let mut password = None;
    let notice = match action.as_str() {
        "disable" => {
            changed(store, target, Change::Disable).await?;
            "user-disabled-notice"
        }
        "enable" => {
            changed(store, target, Change::Enable).await?;
            "user-enabled-notice"
        }
        "sign-out" => {
            changed(store, target, Change::SignOutEverywhere).await?;
            if me {
                // Their own session ended too: to the log-in page, the cookie cleared.
                return Ok(see_other("/login", Some(session_cookie(&state, "", 0))));
            }
            "user-signed-out-notice"
        }
        "reset-password" => {
            password = app::people::reset_password(store, target).await?;
            if password.is_none() {
                return Err(PageError::NotFound);
            }
            "user-password-notice"
        }
        _ => return Err(PageError::NotFound),
    };
    tracing::info!(user = %s.user.id, %target, action = action.as_str(), "changed a colleague");
    users_page(&state, tr, &s, Some(tr.t(notice)), password).await
}

async fn changed(
    store: &dyn store::Store,
    target: uuid::Uuid,
    change: Change,
) -> Result<(), PageError> {
    match app::people::change(store, target, change).await? {
        Changed::NoUser => Err(PageError::NotFound),
        Changed::Done | Changed::SignedOut(_) => Ok(()),
    }
}
