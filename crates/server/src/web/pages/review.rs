//! `GET /b/{slug}/r/{id}`: a review's permalink, with its history and its place in the log.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use domain::ids::ReviewId;

use crate::AppState;
use crate::extract::ApiPath;
use crate::web::i18n::Tr;
use crate::web::parts::{Card, card};
use crate::web::{Meta, PageError, render};

#[derive(Debug)]
pub struct HistoryLine {
    pub what: String,
    pub datetime: String,
    pub date: String,
    /// (receipt link, "entry no. N")
    pub log: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewPage {
    tr: Tr,
    meta: Meta,
    slug: String,
    back: String,
    heading: String,
    card: Card,
    history: Vec<HistoryLine>,
    /// Where the rest of the history continues (the API's next page), past the events shown.
    more_history: Option<String>,
    /// ("entry no. N", receipt link)
    log: Option<(String, String)>,
}

/// `GET /b/{slug}/r/{id}`: one review with its history and its place in the log.
pub async fn review(
    State(state): State<AppState>,
    tr: Tr,
    ApiPath((slug, id)): ApiPath<(String, String)>,
) -> Result<Response, PageError> {
    let id: ReviewId = id.parse().map_err(|_| PageError::NotFound)?;
    let review = state
        .store
        .review(id)
        .await?
        .filter(|r| r.business.slug == slug)
        .ok_or(PageError::NotFound)?;
    // The first events here; a longer history continues in the API, a page at a time.
    let shown = crate::listing::MAX_HISTORY_LIMIT;
    let mut events = state
        .store
        .review_history(id, store::HistoryPage::first(shown + 1))
        .await?
        .unwrap_or_default();
    let more_history = crate::listing::one_history_page(&mut events, shown)
        .map(|cursor| format!("/api/v1/reviews/{id}/history?cursor={cursor}"));
    let entry = |i: u64| tr.with("log-index", "index", &i.to_string());
    let history = events
        .iter()
        .map(|e| HistoryLine {
            what: tr.event(e.kind),
            datetime: e.at.to_rfc3339(),
            date: tr.date(e.at.date_naive()),
            log: e
                .log_index
                .map(|i| (format!("/api/v1/log/entries/{i}/receipt"), entry(i))),
        })
        .collect();
    let name = &review.business.name;
    let (heading, description) = match &review.content {
        Some(c) => (
            tr.args(
                "review-title",
                &[
                    ("author", c.author_name.clone().into()),
                    ("name", name.clone().into()),
                ],
            ),
            tr.args(
                "review-description",
                &[
                    ("title", c.title.clone().into()),
                    ("name", name.clone().into()),
                ],
            ),
        ),
        None => {
            let gone = tr.with("review-title-gone", "name", name);
            (gone.clone(), gone)
        }
    };
    let page = ReviewPage {
        meta: Meta::new(heading.clone(), description, format!("/b/{slug}/r/{id}")),
        back: tr.with("back-to", "name", name),
        heading,
        card: card(&tr, &review, false),
        history,
        more_history,
        log: review
            .log_index
            .map(|i| (entry(i), format!("/api/v1/reviews/{id}/receipt"))),
        slug,
        tr,
    };
    render(StatusCode::OK, &page)
}
