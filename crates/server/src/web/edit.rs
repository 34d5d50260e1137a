//! The author's page, reached by the edit link shown once after writing: edit the review,
//! answer the business's reply once, or withdraw. Every action goes through the one write
//! path with the edit token, and answers with a redirect back (post, redirect, get).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use domain::ids::ReviewId;
use domain::review::{FollowUpBody, ReviewPatch, ReviewStatus};
use domain::secret::TokenHash;
use serde::Deserialize;
use store::{Review, ReviewCommand};

use super::form::{first_codes, message, same_site};
use super::i18n::Tr;
use super::parts::{Card, Choice, card};
use super::{Meta, PageError, PageForm, private_page};
use crate::AppState;
use crate::extract::ApiPath;

#[derive(Debug)]
pub struct EditFields {
    pub rating: Vec<Choice>,
    pub title: String,
    pub title_error: Option<String>,
    pub body: String,
    pub body_error: Option<String>,
}

#[derive(Template)]
#[template(path = "edit.html")]
struct EditPage {
    tr: Tr,
    meta: Meta,
    heading: String,
    notice: Option<String>,
    card: Card,
    action: String,
    edit: Option<EditFields>,
    can_follow_up: bool,
    follow_up_typed: String,
    follow_up_error: Option<String>,
    can_withdraw: bool,
}

/// What the author typed in one of the page's forms.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AuthorForm {
    action: String,
    rating: String,
    title: String,
    body: String,
    confirm: String,
}

#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// The review behind an edit link, or the page that says there is none.
async fn authored(
    state: &AppState,
    tr: Tr,
    id: &str,
    token: &str,
) -> Result<(ReviewId, Review), PageError> {
    let unknown = || PageError::Message {
        status: StatusCode::NOT_FOUND,
        heading: tr.t("edit-unknown-title"),
        body: tr.t("edit-unknown-body"),
    };
    let id: ReviewId = id.parse().map_err(|_| unknown())?;
    state
        .store
        .review_for_author(id, TokenHash::of(token))
        .await?
        .map(|review| (id, review))
        .ok_or_else(unknown)
}

fn edit_page(
    tr: Tr,
    review: &Review,
    path: String,
    typed: Option<&AuthorForm>,
    errors: &HashMap<String, String>,
    notice: Option<String>,
) -> EditPage {
    let published = review.status == ReviewStatus::Published;
    let error = |field: &str| errors.get(field).map(|code| message(&tr, code));
    let edit = review.content.as_ref().filter(|_| published).map(|c| {
        let (rating, title, body) = match typed.filter(|t| t.action == "edit") {
            Some(t) => (t.rating.clone(), t.title.clone(), t.body.clone()),
            None => (c.rating.to_string(), c.title.clone(), c.body.clone()),
        };
        EditFields {
            rating: (1..=5u8)
                .map(|s| Choice {
                    value: s.to_string(),
                    label: tr.count("stars", s),
                    selected: rating == s.to_string(),
                })
                .collect(),
            title,
            title_error: error("title"),
            body,
            body_error: error("body"),
        }
    });
    let heading = tr.with("edit-title", "name", &review.business.name);
    EditPage {
        meta: Meta::private(heading.clone(), tr.t("edit-intro"), path.clone()),
        heading,
        notice,
        card: card(&tr, review, true),
        action: path,
        edit,
        can_follow_up: published && review.reply.is_some() && review.follow_up.is_none(),
        follow_up_typed: typed
            .filter(|t| t.action == "follow_up")
            .map(|t| t.body.clone())
            .unwrap_or_default(),
        follow_up_error: error("follow_up"),
        can_withdraw: published,
        tr,
    }
}

/// A redirect that no cache keeps: the page's address is a credential.
fn private(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `GET /e/{id}/{token}`
pub async fn show(
    State(state): State<AppState>,
    tr: Tr,
    ApiPath((id, token)): ApiPath<(String, String)>,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let (_, review) = authored(&state, tr, &id, &token).await?;
    let notice = done
        .done
        .filter(|d| matches!(d.as_str(), "edit" | "unchanged" | "follow_up" | "withdraw"))
        .map(|d| tr.t(&format!("notice-{d}")));
    let page = edit_page(
        tr,
        &review,
        format!("/e/{id}/{token}"),
        None,
        &HashMap::new(),
        notice,
    );
    private_page(StatusCode::OK, &page)
}

/// `POST /e/{id}/{token}`: one action, then back to the page.
pub async fn act(
    State(state): State<AppState>,
    tr: Tr,
    headers: HeaderMap,
    ApiPath((id, token)): ApiPath<(String, String)>,
    PageForm(typed): PageForm<AuthorForm>,
) -> Result<Response, PageError> {
    if !same_site(&headers, &state.base_url) {
        return Err(PageError::Forbidden);
    }
    let (review_id, review) = authored(&state, tr, &id, &token).await?;
    let path = format!("/e/{id}/{token}");
    let edit_token = TokenHash::of(&token);
    let at = Utc::now();
    let refused = |errors: HashMap<String, String>| {
        let page = edit_page(tr, &review, path.clone(), Some(&typed), &errors, None);
        private_page(StatusCode::UNPROCESSABLE_ENTITY, &page)
    };
    let command = match typed.action.as_str() {
        "edit" => {
            let rating = typed.rating.parse::<i64>().ok();
            match ReviewPatch::parse(rating.or(Some(0)), Some(&typed.title), Some(&typed.body)) {
                Ok(patch) => ReviewCommand::Edit {
                    review: review_id,
                    edit_token,
                    patch,
                    at,
                },
                Err(errors) => return refused(first_codes(errors)),
            }
        }
        "follow_up" => match FollowUpBody::parse(&typed.body) {
            Ok(body) => ReviewCommand::FollowUp {
                review: review_id,
                edit_token,
                body,
                at,
            },
            Err(e) => return refused(HashMap::from([("follow_up".into(), e.code.to_owned())])),
        },
        "withdraw" if typed.confirm == "yes" => ReviewCommand::Withdraw {
            review: review_id,
            edit_token,
            at,
        },
        _ => return Err(PageError::BadRequest("action".into())),
    };
    let written = app::reviews::write(&state.app, command).await?;
    // An edit that changed nothing leaves no mark (no edit count): say so.
    let done = if typed.action == "edit" && written.review.edit_count == review.edit_count {
        "unchanged"
    } else {
        typed.action.as_str()
    };
    Ok(private(
        (
            StatusCode::SEE_OTHER,
            [(
                header::LOCATION,
                HeaderValue::try_from(format!("{path}?done={done}"))
                    .unwrap_or(HeaderValue::from_static("/")),
            )],
        )
            .into_response(),
    ))
}
