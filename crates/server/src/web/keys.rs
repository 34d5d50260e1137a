//! `/keys`: the business's API keys (ids and dates, never the keys); a new key is shown
//! once; a key can be revoked.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::i18n::Tr;
use super::session::{CsrfForm, Posted, Session};
use super::{Meta, PageError, private_page};
use crate::AppState;
use crate::extract::ApiPath;

#[derive(Debug)]
pub struct KeyRow {
    pub id: String,
    pub state: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "keys.html")]
struct KeysPage {
    tr: Tr,
    meta: Meta,
    csrf: String,
    notice: Option<String>,
    /// A key just created: shown this once.
    new_key: Option<String>,
    keys: Vec<KeyRow>,
}

async fn keys_page(
    state: &AppState,
    tr: Tr,
    s: &Session,
    notice: Option<String>,
    new_key: Option<String>,
) -> Result<Response, PageError> {
    let keys = state.store.api_keys(s.user.business.id).await?;
    let page = KeysPage {
        meta: Meta::private(tr.t("keys-title"), tr.t("keys-intro"), "/keys".into()),
        csrf: s.csrf(),
        notice,
        new_key,
        keys: keys
            .into_iter()
            .map(|k| KeyRow {
                state: match k.revoked_at {
                    Some(at) => tr.with("key-revoked", "date", &tr.date(at.date_naive())),
                    None => tr.with("key-active", "date", &tr.date(k.created_at.date_naive())),
                },
                active: k.revoked_at.is_none(),
                id: k.id,
            })
            .collect(),
        tr,
    };
    private_page(StatusCode::OK, &page)
}

/// `GET /keys`: the business's API keys (ids and dates, never the keys).
pub async fn keys(
    State(state): State<AppState>,
    tr: Tr,
    s: Session,
) -> Result<Response, PageError> {
    keys_page(&state, tr, &s, None, None).await
}

/// `POST /keys`: a new key, shown once.
pub async fn create_key(
    State(state): State<AppState>,
    tr: Tr,
    Posted { session: s, .. }: Posted<CsrfForm>,
) -> Result<Response, PageError> {
    let key = app::accounts::create_key(&state.app, s.user.business.id).await?;
    tracing::info!(user = %s.user.id, "created an API key");
    keys_page(
        &state,
        tr,
        &s,
        Some(tr.t("key-created")),
        Some(key.expose().to_owned()),
    )
    .await
}

/// `POST /keys/{id}/revoke`
pub async fn revoke_key(
    State(state): State<AppState>,
    tr: Tr,
    ApiPath(id): ApiPath<String>,
    Posted { session: s, .. }: Posted<CsrfForm>,
) -> Result<Response, PageError> {
    if !app::accounts::revoke_key(&state.app, s.user.business.id, &id).await? {
        return Err(PageError::NotFound);
    }
    tracing::info!(user = %s.user.id, "revoked an API key");
    keys_page(&state, tr, &s, Some(tr.t("key-revoked-notice")), None).await
}
