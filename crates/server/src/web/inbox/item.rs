//! `GET /inbox/{id}`: one review of the business with its reply's editor and every version
//! of the reply.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::ids::ReviewId;
use domain::lifecycle::EventKind;
use serde::Deserialize;

use super::signature;
use crate::AppState;
use crate::extract::ApiPath;
use crate::web::form::message;
use crate::web::i18n::Tr;
use crate::web::parts::{Card, card};
use crate::web::session::{self, Session};
use crate::web::{Meta, PageError, private_page};

#[derive(Debug)]
pub struct ReplyVersion {
    pub what: String,
    pub datetime: String,
    pub date: String,
    pub signature: String,
    pub body: String,
}

#[derive(Template)]
#[template(path = "inbox_item.html")]
struct ItemPage {
    tr: Tr,
    meta: Meta,
    heading: String,
    csrf: String,
    notice: Option<String>,
    card: Card,
    signature: String,
    typed: String,
    error: Option<String>,
    versions: Vec<ReplyVersion>,
}

/// One review of the business with its reply's editor and every version of the reply, with
/// what was typed and refused, if anything.
pub(super) async fn item_page(
    state: &AppState,
    tr: Tr,
    s: &Session,
    id: ReviewId,
    notice: Option<String>,
    refused: Option<(String, String)>,
) -> Result<Response, PageError> {
    // The reply's versions among the review's first thousand events: a bound on the page,
    // well past any history written by hand (the API pages through all of it).
    let history = store::HistoryPage::first(1000);
    let (review, events) = match tokio::try_join!(
        state.store.review(id),
        state.store.review_history(id, history)
    )? {
        // Another business's review is not found, as if it did not exist.
        (Some(r), Some(events)) if r.business.id == s.user.business.id => (r, events),
        _ => return Err(PageError::NotFound),
    };
    let Some(content) = &review.content else {
        // Withdrawn or erased: nothing to answer.
        return Err(PageError::Conflict);
    };
    let text = |v: &serde_json::Value, key: &str| v.get(key)?.as_str().map(str::to_owned);
    let versions = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::ReplyPublished | EventKind::ReplyEdited))
        .filter_map(|e| {
            let data = e.data.as_ref()?;
            let name = text(data, "responder_name")?;
            Some(ReplyVersion {
                what: tr.event(e.kind),
                datetime: e.at.to_rfc3339(),
                date: tr.date(e.at.date_naive()),
                signature: match text(data, "responder_role") {
                    Some(role) => format!("{name}, {role}"),
                    None => name,
                },
                body: text(data, "body")?,
            })
        })
        .collect();
    let (typed, error, status) = match refused {
        Some((typed, code)) => (
            typed,
            Some(message(&tr, &code)),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        None => (
            review
                .reply
                .as_ref()
                .map(|r| r.body.clone())
                .unwrap_or_default(),
            None,
            StatusCode::OK,
        ),
    };
    let heading = tr.with("reply-page-title", "author", &content.author_name);
    let page = ItemPage {
        meta: Meta::private(
            heading.clone(),
            tr.t("reply-page-intro"),
            format!("/inbox/{id}"),
        ),
        heading,
        csrf: s.csrf(),
        notice,
        card: card(&tr, &review, true),
        signature: signature(&tr, &s.user),
        typed,
        error,
        versions,
        tr,
    };
    private_page(status, &page)
}

#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// `GET /inbox/{id}`: one review, its reply's editor and the reply's versions.
pub async fn item(
    State(state): State<AppState>,
    tr: Tr,
    ApiPath(id): ApiPath<String>,
    Query(q): Query<Done>,
    session: Option<Session>,
) -> Result<Response, PageError> {
    let review = id.parse::<ReviewId>().map_err(|_| PageError::NotFound)?;
    let Some(s) = session else {
        return Ok(session::log_in(&format!("/inbox/{review}")));
    };
    let notice = q
        .done
        .filter(|d| d == "reply")
        .map(|_| tr.t("notice-reply-edited"));
    item_page(&state, tr, &s, review, notice, None).await
}
