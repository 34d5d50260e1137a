//! The reviewer's form. `GET /r/{token}` (the invitation link) checks the link, keeps its
//! token in a cookie sent to the form's path alone, and sends the browser on to `/review`,
//! which shows the form; `POST /review` publishes through the same write path as the API.
//! The token thus leaves the address bar, the language switch's links and whatever a
//! reviewer copies or shares, and `/review` itself holds nothing personal: without the
//! cookie it says how reviews are written here (and search engines may read it). The form
//! carries its invitation's token in a hidden field, so a form posts for its own invitation
//! even when another invitation was opened in another tab since.
//! A refused field comes back with its message beside it and everything typed kept; an
//! unknown, used or expired link gets a page that says so.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use domain::ValidationErrors;
use domain::review::{ProductRatingInput, ReviewDraft, ReviewInput};
use domain::secret::TokenHash;
use serde::Deserialize;
use store::Invitation;

use super::i18n::Tr;
use super::parts::Choice;
use super::{Meta, PageError, PageForm, cookie, private_page, see_other};
use crate::AppState;
use crate::extract::ApiPath;
use app::reviews::Submitted;
use domain::lifecycle::LifecycleError;
use store::StoreError;

/// Where the form lives.
pub const FORM_PATH: &str = "/review";
/// The invitation's token, between the link and the form (a session cookie, `/review` only).
pub const INVITATION_COOKIE: &str = "pp_invitation";

/// The cookie that carries `token` to the form, or (`None`) that clears it.
fn invitation_cookie(state: &AppState, token: Option<&str>) -> HeaderValue {
    let secure = if state.base_url.scheme() == "https" {
        "; Secure"
    } else {
        ""
    };
    let (value, age) = match token {
        Some(t) => (t, ""),
        None => ("", "; Max-Age=0"),
    };
    HeaderValue::try_from(format!(
        "{INVITATION_COOKIE}={value}; Path={FORM_PATH}; HttpOnly; SameSite=Lax{age}{secure}"
    ))
    .unwrap_or(HeaderValue::from_static(
        "pp_invitation=; Path=/review; Max-Age=0",
    ))
}

/// `response`, clearing the invitation's cookie: the link is spent, or never was.
fn forgetting(state: &AppState, mut response: Response) -> Response {
    response
        .headers_mut()
        .append(header::SET_COOKIE, invitation_cookie(state, None));
    response
}

/// What the reviewer typed, kept as typed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReviewForm {
    /// The invitation's token, in a hidden field of the form: each form posts for its own
    /// invitation, whatever another tab did to the cookie since.
    invitation: String,
    rating: String,
    title: String,
    body: String,
    nps: String,
    experience_date: String,
    author_name: String,
    /// `p{i}_rating` and `p{i}_body` for the invitation's i-th product.
    #[serde(flatten)]
    products: HashMap<String, String>,
}

impl ReviewForm {
    fn product(&self, i: usize, what: &str) -> &str {
        self.products
            .get(&format!("p{i}_{what}"))
            .map_or("", String::as_str)
    }
}

/// One of the invitation's products on the form: an optional rating and words.
#[derive(Debug)]
pub struct ProductField {
    /// The field names' prefix, `p{i}`.
    pub prefix: String,
    pub name: String,
    pub options: Vec<Choice>,
    pub body: String,
    pub error: Option<String>,
}

#[derive(Debug)]
pub struct Field {
    pub name: &'static str,
    pub label: String,
    pub hint: Option<String>,
    /// `text`, `date`, `textarea` or `select`.
    pub kind: &'static str,
    pub value: String,
    pub max: usize,
    pub required: bool,
    pub options: Vec<Choice>,
    pub error: Option<String>,
}

#[derive(Debug)]
pub struct RatingField {
    pub options: Vec<Choice>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "review_form.html")]
struct FormPage {
    tr: Tr,
    meta: Meta,
    heading: String,
    intro: String,
    invited_as: String,
    /// The invitation's token, for the form's hidden field.
    token: String,
    has_errors: bool,
    rating: RatingField,
    fields: Vec<Field>,
    products: Vec<ProductField>,
    today: String,
}

#[derive(Template)]
#[template(path = "review_landing.html")]
struct LandingPage {
    tr: Tr,
    meta: Meta,
}

#[derive(Template)]
#[template(path = "thanks.html")]
struct ThanksPage {
    tr: Tr,
    meta: Meta,
    body: String,
    permalink: String,
    /// The author's page, with the edit token in it: shown this once.
    edit_link: String,
    edit_link_full: String,
    receipt: Option<String>,
}

/// A link that cannot take a review, as the page that says why.
pub(super) fn link_error(tr: Tr, status: StatusCode, which: &str) -> PageError {
    PageError::Message {
        status,
        heading: tr.t(&format!("link-{which}-title")),
        body: tr.t(&format!("link-{which}-body")),
    }
}

/// The invitation behind a link, or the page that explains why there is none.
async fn invitation(state: &AppState, tr: Tr, token: &str) -> Result<Invitation, PageError> {
    match state
        .store
        .invitation_by_token(TokenHash::of(token))
        .await?
    {
        None => Err(link_error(tr, StatusCode::NOT_FOUND, "unknown")),
        Some(i) if i.used_at.is_some() => Err(link_error(tr, StatusCode::GONE, "used")),
        Some(i) if Utc::now() >= i.expires_at => Err(link_error(tr, StatusCode::GONE, "expired")),
        Some(i) => Ok(i),
    }
}

/// Each refused field's first code: the first refusal says most ("required" before
/// "out of range").
pub(super) fn first_codes(errors: ValidationErrors) -> HashMap<String, String> {
    let mut by_field = HashMap::new();
    for e in errors.0 {
        by_field.entry(e.field).or_insert_with(|| e.code.to_owned());
    }
    by_field
}

/// The localised message for a refused field.
pub(super) fn message(tr: &Tr, code: &str) -> String {
    match code {
        "required"
        | "too_long"
        | "too_short"
        | "out_of_range"
        | "in_future"
        | "invalid_date"
        | "invalid_character"
        | "already_answered"
        | "unknown_placeholder" => tr.t(&format!("error-{code}")),
        _ => tr.t("error-other"),
    }
}

fn form_page(
    tr: Tr,
    token: &str,
    inv: &Invitation,
    typed: &ReviewForm,
    errors: &HashMap<String, String>,
) -> FormPage {
    let name = &inv.business_name;
    let error = |field: &str| errors.get(field).map(|code| message(&tr, code));
    let choice = |value: String, label: String, selected: bool| Choice {
        value,
        label,
        selected,
    };
    let mut nps = vec![choice(
        String::new(),
        tr.t("field-nps-none"),
        typed.nps.is_empty(),
    )];
    nps.extend(
        (0..=10).map(|n: u8| choice(n.to_string(), n.to_string(), typed.nps == n.to_string())),
    );
    let text = |name: &'static str, label: String, value: &str, max: usize| Field {
        name,
        label,
        hint: None,
        kind: "text",
        value: value.to_owned(),
        max,
        required: true,
        options: Vec::new(),
        error: error(name),
    };
    let fields = vec![
        text("title", tr.t("field-title"), &typed.title, 120),
        Field {
            kind: "textarea",
            ..text("body", tr.t("field-body"), &typed.body, 5000)
        },
        Field {
            kind: "select",
            required: false,
            options: nps,
            ..text("nps", tr.with("field-nps", "name", name), "", 0)
        },
        Field {
            kind: "date",
            required: false,
            ..text(
                "experience_date",
                tr.t("field-experience-date"),
                &typed.experience_date,
                10,
            )
        },
        Field {
            hint: Some(tr.t("field-author-hint")),
            ..text("author_name", tr.t("field-author"), &typed.author_name, 60)
        },
    ];
    let rating = RatingField {
        options: (1..=5u8)
            .map(|s| {
                choice(
                    s.to_string(),
                    tr.count("stars", s),
                    typed.rating == s.to_string(),
                )
            })
            .collect(),
        error: error("rating"),
    };
    let products = inv
        .products
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let typed_rating = typed.product(i, "rating");
            let mut options = vec![choice(
                String::new(),
                tr.t("field-product-none"),
                typed_rating.is_empty(),
            )];
            options.extend((1..=5u8).map(|s| {
                choice(
                    s.to_string(),
                    tr.count("stars", s),
                    typed_rating == s.to_string(),
                )
            }));
            let prefix = format!("p{i}");
            ProductField {
                error: error(&format!("{prefix}_rating"))
                    .or_else(|| error(&format!("{prefix}_body"))),
                prefix,
                name: p.name.clone(),
                options,
                body: typed.product(i, "body").to_owned(),
            }
        })
        .collect();
    let heading = tr.with("form-title", "name", name);
    FormPage {
        // Not `noindex`: what a search engine can see here, without the cookie, is the
        // landing page, which holds nothing personal.
        meta: Meta::new(
            heading.clone(),
            tr.with("form-intro", "name", name),
            FORM_PATH.into(),
        ),
        intro: tr.with("form-intro", "name", name),
        invited_as: tr.with(
            "form-as",
            "relationship",
            &tr.relationship(inv.relationship),
        ),
        heading,
        token: token.to_owned(),
        has_errors: !errors.is_empty(),
        rating,
        fields,
        products,
        today: Utc::now().date_naive().to_string(),
        tr,
    }
}

/// `GET /r/{token}`: the invitation link. A link that can take a review goes on to the form,
/// its token in the cookie; any other gets the page that says why.
pub async fn open(
    State(state): State<AppState>,
    tr: Tr,
    ApiPath(token): ApiPath<String>,
) -> Result<Response, PageError> {
    continue_to_form(&state, tr, &token).await
}

/// On to the form of the invitation `token`, as its link does (or the page that says why
/// not: used, expired).
pub(super) async fn continue_to_form(
    state: &AppState,
    tr: Tr,
    token: &str,
) -> Result<Response, PageError> {
    invitation(state, tr, token).await?;
    Ok(see_other(
        FORM_PATH,
        Some(invitation_cookie(state, Some(token))),
    ))
}

/// How reviews are written here, for a visitor without an invitation (or whose browser kept
/// no cookie).
fn landing(tr: Tr, status: StatusCode) -> Result<Response, PageError> {
    let page = LandingPage {
        meta: Meta::new(
            tr.t("review-landing-title"),
            tr.t("review-landing-body"),
            FORM_PATH.into(),
        ),
        tr,
    };
    private_page(status, &page)
}

/// `GET /review`: the form of the invitation in the cookie.
pub async fn show(State(state): State<AppState>, tr: Tr, headers: HeaderMap) -> Response {
    let Some(token) = cookie(&headers, INVITATION_COOKIE).filter(|t| !t.is_empty()) else {
        return landing(tr, StatusCode::OK).into_response();
    };
    let inv = match invitation(&state, tr, token).await {
        Ok(inv) => inv,
        Err(e) => return forgetting(&state, e.into_response()),
    };
    let page = form_page(tr, token, &inv, &ReviewForm::default(), &HashMap::new());
    private_page(StatusCode::OK, &page).into_response()
}

/// A form post from another site is refused. Browsers say where a request comes from:
/// `Sec-Fetch-Site` (which a page cannot forge) decides when present; otherwise `Origin`, when
/// present, must be this site. (Neither is sent by non-browser clients, which carry no
/// cookies of a visitor to abuse.)
pub fn same_site(headers: &HeaderMap, base: &url::Url) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return site == "same-origin" || site == "none";
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        None => true,
        Some(origin) => url::Url::parse(origin).is_ok_and(|o| o.origin() == base.origin()),
    }
}

/// `POST /review`: publishes for the invitation of the form's hidden field (else of the
/// cookie), or shows the form again with what to fix.
pub async fn submit(
    State(state): State<AppState>,
    tr: Tr,
    headers: HeaderMap,
    PageForm(typed): PageForm<ReviewForm>,
) -> Response {
    let token = match typed.invitation.as_str() {
        "" => cookie(&headers, INVITATION_COOKIE).unwrap_or_default(),
        field => field,
    }
    .to_owned();
    publish(state, tr, headers, token, typed).await
}

/// `POST /r/{token}`: where forms rendered before `/review` existed still post.
pub async fn submit_to_link(
    State(state): State<AppState>,
    tr: Tr,
    headers: HeaderMap,
    ApiPath(token): ApiPath<String>,
    PageForm(typed): PageForm<ReviewForm>,
) -> Response {
    publish(state, tr, headers, token, typed).await
}

async fn publish(
    state: AppState,
    tr: Tr,
    headers: HeaderMap,
    token: String,
    typed: ReviewForm,
) -> Response {
    if !same_site(&headers, &state.base_url) {
        return PageError::Forbidden.into_response();
    }
    if token.is_empty() {
        return landing(tr, StatusCode::BAD_REQUEST).into_response();
    }
    let token = token.as_str();
    let inv = match invitation(&state, tr, token).await {
        Ok(inv) => inv,
        Err(e) => return forgetting(&state, e.into_response()),
    };
    let now = Utc::now();
    let mut errors = ValidationErrors::new();
    let rating = if typed.rating.is_empty() {
        errors.0.push(domain::FieldError {
            field: "rating".into(),
            code: "required",
            message: "required".into(),
        });
        0
    } else {
        typed.rating.parse().unwrap_or(0)
    };
    let nps = (!typed.nps.is_empty()).then(|| typed.nps.parse().unwrap_or(-1));
    // The products given a rating; a text without a rating is refused, not dropped.
    let rated: Vec<usize> = (0..inv.products.len())
        .filter(|&i| !typed.product(i, "rating").is_empty())
        .collect();
    for i in 0..inv.products.len() {
        if typed.product(i, "rating").is_empty() && !typed.product(i, "body").trim().is_empty() {
            errors.0.push(domain::FieldError {
                field: format!("p{i}_rating"),
                code: "required",
                message: "required".into(),
            });
        }
    }
    let parsed = ReviewDraft::parse(
        ReviewInput {
            rating,
            title: &typed.title,
            body: &typed.body,
            nps,
            experience_date: (!typed.experience_date.is_empty())
                .then_some(typed.experience_date.as_str()),
            author_name: &typed.author_name,
            language: Some(tr.lang()),
            products: rated
                .iter()
                .map(|&i| ProductRatingInput {
                    sku: &inv.products[i].sku,
                    rating: typed.product(i, "rating").parse().unwrap_or(0),
                    body: Some(typed.product(i, "body")),
                })
                .collect(),
        },
        now,
    );
    // The domain names products by their place among the rated ones; the form, by their
    // place in the invitation.
    let renamed = |mut errors: ValidationErrors| {
        for e in &mut errors.0 {
            if let Some(rest) = e.field.strip_prefix("products[")
                && let Some((k, what)) = rest.split_once("].")
                && let Some(&i) = k.parse::<usize>().ok().and_then(|k| rated.get(k))
            {
                e.field = format!("p{i}_{what}");
            }
        }
        errors
    };
    let parsed = parsed.map_err(renamed);
    let draft = match parsed {
        Ok(draft) if errors.is_empty() => draft,
        Ok(_) => return refused(tr, token, &inv, &typed, errors).into_response(),
        Err(mut more) => {
            errors.0.append(&mut more.0);
            return refused(tr, token, &inv, &typed, errors).into_response();
        }
    };
    let response = match app::reviews::submit(&state.app, token, draft, now).await {
        Ok(Submitted {
            write,
            edit_token,
            receipt,
        }) => {
            let r = &write.review;
            let edit_link = format!("/e/{}/{}", r.id, edit_token.expose());
            let page = ThanksPage {
                meta: Meta::private(tr.t("thanks-title"), tr.t("thanks-title"), "/".into()),
                body: tr.with("thanks-body", "name", &r.business.name),
                permalink: format!("/b/{}/r/{}", r.business.slug, r.id),
                edit_link_full: state.link(&edit_link),
                edit_link,
                receipt: receipt.map(|_| format!("/api/v1/reviews/{}/receipt", r.id)),
                tr,
            };
            private_page(StatusCode::OK, &page)
        }
        // Used or expired between showing the form and sending it.
        Err(StoreError::Rule(LifecycleError::InvitationUsed)) => {
            Err(link_error(tr, StatusCode::GONE, "used"))
        }
        Err(StoreError::Rule(LifecycleError::InvitationExpired)) => {
            Err(link_error(tr, StatusCode::GONE, "expired"))
        }
        Err(StoreError::NotFound(_)) => Err(link_error(tr, StatusCode::NOT_FOUND, "unknown")),
        Err(e) => return PageError::from(e).into_response(),
    };
    // Published, or never to be: the cookie has done its work.
    forgetting(&state, response.into_response())
}

/// The form again, with a message beside each refused field and everything typed kept.
fn refused(
    tr: Tr,
    token: &str,
    inv: &Invitation,
    typed: &ReviewForm,
    errors: ValidationErrors,
) -> Result<Response, PageError> {
    let by_field = first_codes(errors);
    let page = form_page(tr, token, inv, typed, &by_field);
    private_page(StatusCode::UNPROCESSABLE_ENTITY, &page)
}
