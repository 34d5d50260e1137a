//! The inbox: the business's reviews waiting for a reply, most urgent first, each with its
//! reply's field; the reviews already answered; the business's own figures. A reply is
//! published signed by the logged-in person. One review's page (`item`) and the live news
//! (`events`) are beside it.

mod events;
mod item;

pub use events::events;
pub use item::{ReplyVersion, item};

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use chrono::Utc;
use domain::ids::ReviewId;
use domain::review::ReplyDraft;
use serde::Deserialize;
use store::{ReviewCommand, User};

use crate::AppState;
use crate::extract::ApiPath;
use crate::web::figures::{self, ChartView, FiguresQuery, points};
use crate::web::form::message;
use crate::web::i18n::Tr;
use crate::web::parts::{Card, Select, card};
use crate::web::session::{CsrfField, Posted, Session};
use crate::web::{CSP_WITH_SCRIPT, Meta, PageError, assets, private_page, see_other};

const INBOX_SIZE: u32 = 50;
const ANSWERED_SHOWN: u32 = 20;

#[derive(Debug)]
pub struct InboxItem {
    pub card: Card,
    pub typed: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    tr: Tr,
    meta: Meta,
    signed_in: String,
    csrf: String,
    notice: Option<String>,
    count: String,
    signature: String,
    items: Vec<InboxItem>,
    script: &'static str,
    /// Reviews already answered, the latest reply first: (card, link to edit the reply).
    answered: Vec<Card>,
    /// The business's own figures and trends, for the period it chose.
    figures: Vec<(String, String)>,
    figure_selects: Vec<Select>,
    figures_action: String,
    relationship: Option<&'static str>,
    charts: Vec<ChartView>,
}

/// The inbox's query: a notice to show, and the figures' choice.
#[derive(Debug, Deserialize)]
pub struct InboxQuery {
    done: Option<String>,
    period: Option<String>,
    verified: Option<String>,
    grain: Option<String>,
}

/// "It will be signed: Name, Role".
fn signature(tr: &Tr, user: &User) -> String {
    let signature = match &user.role {
        Some(role) => format!("{}, {role}", user.name),
        None => user.name.clone(),
    };
    tr.with("reply-signed", "signature", &signature)
}

/// The inbox, with what was typed and refused for one review, if any.
async fn inbox_page(
    state: &AppState,
    tr: Tr,
    s: &Session,
    notice: Option<String>,
    refused: Option<(ReviewId, String, String)>,
    figures: &FiguresQuery,
) -> Result<Response, PageError> {
    let business = s.user.business.id;
    let chosen = figures.choice();
    let filter = chosen.filter(domain::invitation::Relationship::Customer, None);
    let now = Utc::now();
    let points = points(chosen.grain);
    let (reviews, answered, stats, trend) = tokio::try_join!(
        state.store.inbox(business, INBOX_SIZE),
        state.store.answered(business, ANSWERED_SHOWN),
        state.store.stats(business, filter.clone(), now),
        state
            .store
            .trend(business, filter, chosen.grain, points, now)
    )?;
    let status = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = InboxPage {
        meta: Meta::private(tr.t("inbox-title"), tr.t("inbox-intro"), "/inbox".into()),
        signed_in: tr.args(
            "signed-in-as",
            &[
                ("name", s.user.name.clone().into()),
                ("business", s.user.business.name.clone().into()),
            ],
        ),
        csrf: s.csrf(),
        notice,
        count: tr.count("inbox-count", reviews.len()),
        signature: signature(&tr, &s.user),
        answered: answered.iter().map(|r| card(&tr, r, true)).collect(),
        figures: figures::rows(&tr, &stats),
        figure_selects: chosen.selects(&tr),
        figures_action: "/inbox#figures-h".into(),
        relationship: None,
        charts: figures::charts(&tr, "inbox", &trend, chosen.grain),
        script: assets::INBOX_JS_PATH.as_str(),
        items: reviews
            .iter()
            .map(|r| {
                let (typed, error) = match &refused {
                    Some((id, typed, code)) if *id == r.id => {
                        (typed.clone(), Some(message(&tr, code)))
                    }
                    _ => (String::new(), None),
                };
                InboxItem {
                    card: card(&tr, r, true),
                    typed,
                    error,
                }
            })
            .collect(),
        tr,
    };
    let mut response = private_page(status, &page)?;
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP_WITH_SCRIPT),
    );
    Ok(response)
}

/// `GET /inbox`: the business's reviews waiting for a reply, most urgent first.
pub async fn inbox(
    State(state): State<AppState>,
    tr: Tr,
    Query(q): Query<InboxQuery>,
    s: Session,
) -> Result<Response, PageError> {
    let notice = q
        .done
        .filter(|d| d == "reply")
        .map(|_| tr.t("notice-reply"));
    let figures = FiguresQuery {
        period: q.period,
        verified: q.verified,
        grain: q.grain,
    };
    inbox_page(&state, tr, &s, notice, None, &figures).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReplyForm {
    csrf: String,
    body: String,
    /// `item`: the reply was sent from the review's own page (`/inbox/{id}`).
    back: String,
    /// `new`: sent from the inbox as a first reply; if a colleague answered meanwhile, the
    /// reply is not published over theirs, and the item's page shows both.
    expect: String,
}

impl CsrfField for ReplyForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /inbox/{id}/reply`: publishes the reply, signed by the logged-in person.
pub async fn reply(
    State(state): State<AppState>,
    tr: Tr,
    ApiPath(id): ApiPath<String>,
    Posted { session: s, form }: Posted<ReplyForm>,
) -> Result<Response, PageError> {
    let review = id.parse::<ReviewId>().map_err(|_| PageError::NotFound)?;
    let from_item = form.back == "item";
    let draft = match ReplyDraft::parse(&form.body, &s.user.name, s.user.role.as_deref()) {
        Ok(draft) => draft,
        Err(errors) => {
            let code = errors.0.first().map_or("required", |e| e.code).to_owned();
            let refused = Some((form.body, code));
            return if from_item {
                item::item_page(&state, tr, &s, review, None, refused).await
            } else {
                let refused = refused.map(|(typed, code)| (review, typed, code));
                inbox_page(&state, tr, &s, None, refused, &Default::default()).await
            };
        }
    };
    if form.expect == "new"
        && let Some(r) = state.store.review(review).await?
        && r.reply.is_some()
        && r.business.id == s.user.business.id
    {
        let refused = Some((form.body, "already_answered".to_owned()));
        return item::item_page(&state, tr, &s, review, None, refused).await;
    }
    let command = ReviewCommand::Reply {
        review,
        business: s.user.business.id,
        reply: draft,
        at: Utc::now(),
    };
    app::reviews::write(&state.app, command).await?;
    Ok(if from_item {
        see_other(&format!("/inbox/{review}?done=reply"), None)
    } else {
        see_other("/inbox?done=reply", None)
    })
}
