//! The business side: log-in (argon2id passwords, per-address limit on failures), sessions
//! (a random cookie token stored as its SHA-256; `HttpOnly`, `SameSite=Lax`, `Secure` over
//! https), CSRF tokens on every form, and the inbox of reviews waiting for a reply.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use domain::ids::{InvitationId, ReviewId};
use domain::invitation::{InvitationInput, NewInvitation, Relationship};
use domain::lifecycle::EventKind;
use domain::review::ReplyDraft;
use domain::secret::TokenHash;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use store::{ReviewCommand, User};

use super::form::Field;
use super::form::{first_codes, message, same_site};
use super::i18n::Tr;
use super::pages::{Card, Choice, card};
use super::{Meta, PageError, PageForm, cookie, private_page, see_other};
use crate::api::reviews::write;
use crate::extract::{ApiPath, ClientIp};
use crate::{AppState, passwords, tokens};

pub const SESSION_COOKIE: &str = "pp_session";
const SESSION_DAYS: i64 = 14;
const INBOX_SIZE: u32 = 50;
const ANSWERED_SHOWN: u32 = 20;

/// The form token of a session: derived from the session's secret, so a page of another
/// site, which cannot read our cookie, cannot know it.
fn csrf_token(session: &str) -> String {
    let digest = Sha256::digest(format!("passaparola/csrf\0{session}").as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// A logged-in user and their session's secret.
struct Session {
    user: User,
    token: String,
}

async fn session(state: &AppState, headers: &HeaderMap) -> Result<Option<Session>, PageError> {
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

fn session_cookie(state: &AppState, value: &str, max_age: i64) -> HeaderValue {
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

/// The session behind a business page: logged in, else to the log-in page and then back to
/// `back`.
async fn viewing(state: &AppState, headers: &HeaderMap, back: &str) -> Result<Session, Response> {
    match session(state, headers).await {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(see_other(&format!("/login?next={back}"), None)),
        Err(e) => Err(e.into_response()),
    }
}

/// The session behind a form post of the business pages: as [`viewing`], and from this
/// site, with the session's CSRF token.
async fn posting(
    state: &AppState,
    headers: &HeaderMap,
    csrf: &str,
    back: &str,
) -> Result<Session, Response> {
    let s = viewing(state, headers, back).await?;
    if !same_site(headers, &state.base_url) || csrf != csrf_token(&s.token) {
        return Err(PageError::Forbidden.into_response());
    }
    Ok(s)
}

/// Only a path on this site: never an open redirect.
fn local(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next
    } else {
        "/inbox"
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    tr: Tr,
    meta: Meta,
    error: Option<String>,
    email: String,
    next: String,
}

#[derive(Debug, Deserialize)]
pub struct Next {
    next: Option<String>,
    done: Option<String>,
    period: Option<String>,
    verified: Option<String>,
    grain: Option<String>,
}

fn login_page(
    tr: Tr,
    status: StatusCode,
    error: Option<String>,
    email: String,
    next: &str,
) -> Response {
    let page = LoginPage {
        meta: Meta::private(tr.t("login-title"), tr.t("login-intro"), "/login".into()),
        error,
        email,
        next: local(next).to_owned(),
        tr,
    };
    private_page(status, &page).into_response()
}

/// `GET /login`
pub async fn login_form(tr: Tr, Query(q): Query<Next>) -> Response {
    login_page(
        tr,
        StatusCode::OK,
        None,
        String::new(),
        q.next.as_deref().unwrap_or("/inbox"),
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    email: String,
    password: String,
    next: String,
}

/// `POST /login`
pub async fn login(
    State(state): State<AppState>,
    tr: Tr,
    headers: HeaderMap,
    ClientIp(client): ClientIp,
    PageForm(form): PageForm<LoginForm>,
) -> Response {
    if !same_site(&headers, &state.base_url) {
        return PageError::Forbidden.into_response();
    }
    let email = form.email.trim().to_lowercase();
    if !state.logins.begin(&email, client) {
        let error = Some(tr.t("login-limited"));
        return login_page(tr, StatusCode::TOO_MANY_REQUESTS, error, email, &form.next);
    }
    let found = match state.store.user_by_email(&email).await {
        Ok(found) => found,
        Err(e) => return PageError::from(e).into_response(),
    };
    let password = form.password;
    let (user, stored) = match found {
        Some((user, hash)) => (Some(user), Some(hash)),
        None => (None, None),
    };
    // argon2 takes tens of milliseconds of CPU: off the async threads.
    let ok = tokio::task::spawn_blocking(move || passwords::verify(&password, stored.as_deref()))
        .await
        .unwrap_or(false);
    let Some(user) = user.filter(|_| ok) else {
        let error = Some(tr.t("login-failed"));
        return login_page(tr, StatusCode::UNAUTHORIZED, error, email, &form.next);
    };
    state.logins.succeeded(&email, client);
    let token = tokens::new_session_token();
    let now = Utc::now();
    if let Err(e) = state
        .store
        .create_session(
            token.hash(),
            user.id,
            now,
            now + Duration::days(SESSION_DAYS),
        )
        .await
    {
        return PageError::from(e).into_response();
    }
    tracing::info!(user = %user.id, "logged in");
    let cookie = session_cookie(&state, token.expose(), SESSION_DAYS * 86_400);
    see_other(local(&form.next), Some(cookie))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CsrfForm {
    csrf: String,
    body: String,
    /// `item`: the reply was sent from the review's own page (`/inbox/{id}`).
    back: String,
    /// `new`: sent from the inbox as a first reply; if a colleague answered meanwhile, the
    /// reply is not published over theirs, and the item's page shows both.
    expect: String,
}

/// `POST /logout`
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageForm(form): PageForm<CsrfForm>,
) -> Response {
    let current = match session(&state, &headers).await {
        Ok(current) => current,
        Err(e) => return e.into_response(),
    };
    if let Some(s) = current {
        if !same_site(&headers, &state.base_url) || form.csrf != csrf_token(&s.token) {
            return PageError::Forbidden.into_response();
        }
        if let Err(e) = state.store.delete_session(TokenHash::of(&s.token)).await {
            return PageError::from(e).into_response();
        }
    }
    see_other("/", Some(session_cookie(&state, "", 0)))
}

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
    figure_selects: Vec<super::pages::Select>,
    figures_action: String,
    relationship: Option<&'static str>,
    charts: Vec<super::figures::ChartView>,
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
    figures: &super::figures::FiguresQuery,
) -> Response {
    let business = s.user.business.id;
    let chosen = figures.choice();
    let filter = chosen.filter(domain::invitation::Relationship::Customer, None);
    let now = chrono::Utc::now();
    let points = super::pages::points(chosen.grain);
    let (reviews, answered, stats, trend) = match tokio::try_join!(
        state.store.inbox(business, INBOX_SIZE),
        state.store.answered(business, ANSWERED_SHOWN),
        state.store.stats(business, filter.clone(), now),
        state
            .store
            .trend(business, filter, chosen.grain, points, now)
    ) {
        Ok(both) => both,
        Err(e) => return PageError::from(e).into_response(),
    };
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
        csrf: csrf_token(&s.token),
        notice,
        count: tr.count("inbox-count", reviews.len()),
        signature: signature(&tr, &s.user),
        answered: answered.iter().map(|r| card(&tr, r, true)).collect(),
        figures: super::figures::rows(&tr, &stats),
        figure_selects: chosen.selects(&tr),
        figures_action: "/inbox#figures-h".into(),
        relationship: None,
        charts: super::figures::charts(&tr, "inbox", &trend, chosen.grain),
        script: super::assets::INBOX_JS_PATH.as_str(),
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
    let mut response = match private_page(status, &page) {
        Ok(response) => response,
        Err(e) => return e.into_response(),
    };
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(super::CSP_WITH_SCRIPT),
    );
    response
}

/// `GET /inbox`: the business's reviews waiting for a reply, most urgent first.
pub async fn inbox(
    State(state): State<AppState>,
    tr: Tr,
    headers: HeaderMap,
    Query(q): Query<Next>,
) -> Response {
    match viewing(&state, &headers, "/inbox").await {
        Ok(s) => {
            let notice = q
                .done
                .filter(|d| d == "reply")
                .map(|_| tr.t("notice-reply"));
            let figures = super::figures::FiguresQuery {
                period: q.period,
                verified: q.verified,
                grain: q.grain,
            };
            inbox_page(&state, tr, &s, notice, None, &figures).await
        }
        Err(page) => page,
    }
}

/// `POST /inbox/{id}/reply`: publishes the reply, signed by the logged-in person.
pub async fn reply(
    State(state): State<AppState>,
    tr: Tr,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
    PageForm(form): PageForm<CsrfForm>,
) -> Response {
    let s = match posting(&state, &headers, &form.csrf, "/inbox").await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let Ok(review) = id.parse::<ReviewId>() else {
        return PageError::NotFound.into_response();
    };
    let from_item = form.back == "item";
    let draft = match ReplyDraft::parse(&form.body, &s.user.name, s.user.role.as_deref()) {
        Ok(draft) => draft,
        Err(errors) => {
            let code = errors.0.first().map_or("required", |e| e.code).to_owned();
            let refused = Some((form.body, code));
            return if from_item {
                item_page(&state, tr, &s, review, None, refused).await
            } else {
                let refused = refused.map(|(typed, code)| (review, typed, code));
                inbox_page(&state, tr, &s, None, refused, &Default::default()).await
            };
        }
    };
    if form.expect == "new" {
        match state.store.review(review).await {
            Ok(Some(r)) if r.reply.is_some() && r.business.id == s.user.business.id => {
                let refused = Some((form.body, "already_answered".to_owned()));
                return item_page(&state, tr, &s, review, None, refused).await;
            }
            Ok(_) => {}
            Err(e) => return PageError::from(e).into_response(),
        }
    }
    let command = ReviewCommand::Reply {
        review,
        business: s.user.business.id,
        reply: draft,
        at: Utc::now(),
    };
    match write(&state, command).await {
        Ok(_) if from_item => see_other(&format!("/inbox/{review}?done=reply"), None),
        Ok(_) => see_other("/inbox?done=reply", None),
        Err(e) => PageError::from(e).into_response(),
    }
}

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

/// One review of the business with its reply's editor and every version of the reply.
async fn item_page(
    state: &AppState,
    tr: Tr,
    s: &Session,
    id: ReviewId,
    notice: Option<String>,
    refused: Option<(String, String)>,
) -> Response {
    let found = tokio::try_join!(state.store.review(id), state.store.review_history(id));
    let (review, events) = match found {
        // Another business's review is not found, as if it did not exist.
        Ok((Some(r), Some(events))) if r.business.id == s.user.business.id => (r, events),
        Ok(_) => return PageError::NotFound.into_response(),
        Err(e) => return PageError::from(e).into_response(),
    };
    let Some(content) = &review.content else {
        // Withdrawn or erased: nothing to answer.
        return PageError::Conflict.into_response();
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
        csrf: csrf_token(&s.token),
        notice,
        card: card(&tr, &review, true),
        signature: signature(&tr, &s.user),
        typed,
        error,
        versions,
        tr,
    };
    private_page(status, &page).into_response()
}

/// `GET /inbox/{id}`: one review, its reply's editor and the reply's versions.
pub async fn item(
    State(state): State<AppState>,
    tr: Tr,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
    Query(q): Query<Next>,
) -> Response {
    let Ok(review) = id.parse::<ReviewId>() else {
        return PageError::NotFound.into_response();
    };
    match viewing(&state, &headers, &format!("/inbox/{review}")).await {
        Ok(s) => {
            let notice = q
                .done
                .filter(|d| d == "reply")
                .map(|_| tr.t("notice-reply-edited"));
            item_page(&state, tr, &s, review, notice, None).await
        }
        Err(page) => page,
    }
}

/// How often an open event stream checks, between pieces of news, that its session holds.
const STREAM_SESSION_CHECK: std::time::Duration = std::time::Duration::from_secs(30);

/// `GET /inbox/events`: the inbox's news as server-sent events, for the page's script to
/// show a new review without a reload. Each event's data is the review's id.
pub async fn events(State(state): State<AppState>, headers: HeaderMap) -> Response {
    use crate::live::Heard;
    use axum::response::sse::{Event, KeepAlive, Sse};
    let s = match session(&state, &headers).await {
        Ok(Some(s)) => s,
        Ok(None) => return PageError::Forbidden.into_response(),
        Err(e) => return e.into_response(),
    };
    let listener = state.live.listen(s.user.business.id);
    // The stream lives no longer than its session: it is checked before each piece of news
    // is told, and every `STREAM_SESSION_CHECK` in between, so that after a log-out (or
    // the session's expiry) nothing more is heard. A failed check ends the stream too; the
    // browser reconnects, and a valid session gets a new one.
    let token = TokenHash::of(&s.token);
    let store = state.store.clone();
    let check = tokio::time::interval_at(
        tokio::time::Instant::now() + STREAM_SESSION_CHECK,
        STREAM_SESSION_CHECK,
    );
    let stream =
        futures_util::stream::unfold((listener, check), move |(mut listener, mut check)| {
            let store = store.clone();
            async move {
                let signed_in =
                    || async { matches!(store.session_user(token, Utc::now()).await, Ok(Some(_))) };
                let event = loop {
                    tokio::select! {
                        heard = listener.next() => break match heard {
                            Heard::News(news) if signed_in().await => Event::default()
                                .event(news.name())
                                .data(news.review().to_string()),
                            // The script reloads the list from the page.
                            Heard::Missed if signed_in().await => {
                                Event::default().event("reload").data("")
                            }
                            Heard::News(_) | Heard::Missed | Heard::Closed => return None,
                        },
                        _ = check.tick() => if !signed_in().await {
                            return None;
                        },
                    }
                };
                Some((Ok::<_, std::convert::Infallible>(event), (listener, check)))
            }
        });
    let mut response = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(std::time::Duration::from_secs(20)))
        .into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // nginx would otherwise hold the events back in its buffer.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

#[derive(Debug)]
pub struct InvitationRow {
    pub reference: String,
    pub relationship: String,
    pub status: String,
    pub link: String,
}

#[derive(Template)]
#[template(path = "invitations.html")]
struct InvitationsPage {
    tr: Tr,
    meta: Meta,
    csrf: String,
    /// (what happened, the link to send)
    notice: Option<(String, String)>,
    error: Option<String>,
    fields: Vec<Field>,
    rows: Vec<InvitationRow>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InvitationForm {
    csrf: String,
    reference: String,
    relationship: String,
    customer_name: String,
    customer_email: String,
    locale: String,
}

const INVITATIONS_SHOWN: u32 = 50;

async fn invitations_page(
    state: &AppState,
    tr: Tr,
    s: &Session,
    typed: &InvitationForm,
    errors: &std::collections::HashMap<String, String>,
    notice: Option<(String, String)>,
) -> Response {
    let latest = match state
        .store
        .latest_invitations(s.user.business.id, INVITATIONS_SHOWN)
        .await
    {
        Ok(latest) => latest,
        Err(e) => return PageError::from(e).into_response(),
    };
    let now = Utc::now();
    let rows = latest
        .into_iter()
        .map(|i| InvitationRow {
            link: state.link(&format!(
                "/r/{}",
                state.instance_key.invitation_token(i.id).expose()
            )),
            status: match i.used_at {
                Some(at) => tr.with("invitation-status-used", "date", &tr.date(at.date_naive())),
                None if i.expires_at <= now => tr.with(
                    "invitation-status-expired",
                    "date",
                    &tr.date(i.expires_at.date_naive()),
                ),
                None => tr.with(
                    "invitation-status-open",
                    "date",
                    &tr.date(i.expires_at.date_naive()),
                ),
            },
            relationship: tr.relationship(i.relationship),
            reference: i.reference,
        })
        .collect();
    let error = |field: &str| errors.get(field).map(|code| message(&tr, code));
    let choice = |value: &str, label: String, selected: bool| Choice {
        value: value.to_owned(),
        label,
        selected,
    };
    let field =
        |name: &'static str, label: String, kind: &'static str, value: &str, max: usize| Field {
            name,
            label,
            hint: None,
            kind,
            value: value.to_owned(),
            max,
            required: false,
            options: Vec::new(),
            error: error(name),
        };
    let fields = vec![
        Field {
            required: true,
            ..field(
                "reference",
                tr.t("invitation-reference"),
                "text",
                &typed.reference,
                100,
            )
        },
        Field {
            options: Relationship::ALL
                .iter()
                .map(|r| {
                    choice(
                        r.as_str(),
                        tr.relationship(*r),
                        typed.relationship == r.as_str(),
                    )
                })
                .collect(),
            ..field("relationship", tr.t("filter-relationship"), "select", "", 0)
        },
        field(
            "customer_name",
            tr.t("invitation-name"),
            "text",
            &typed.customer_name,
            100,
        ),
        field(
            "customer_email",
            tr.t("invitation-email"),
            "email",
            &typed.customer_email,
            254,
        ),
        Field {
            options: vec![
                choice("it", tr.t("locale-it"), typed.locale != "en"),
                choice("en", tr.t("locale-en"), typed.locale == "en"),
            ],
            ..field("locale", tr.t("invitation-locale"), "select", "", 0)
        },
    ];
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = InvitationsPage {
        meta: Meta::private(
            tr.t("invitations-title"),
            tr.t("invitations-intro"),
            "/invitations".into(),
        ),
        csrf: csrf_token(&s.token),
        notice,
        error: (!errors.is_empty()).then(|| tr.t("form-errors")),
        fields,
        rows,
        tr,
    };
    private_page(status, &page).into_response()
}

/// `GET /invitations`: the form to invite someone, and the latest invitations with their links.
pub async fn invitations(State(state): State<AppState>, tr: Tr, headers: HeaderMap) -> Response {
    match viewing(&state, &headers, "/invitations").await {
        Ok(s) => {
            invitations_page(
                &state,
                tr,
                &s,
                &InvitationForm::default(),
                &Default::default(),
                None,
            )
            .await
        }
        Err(page) => page,
    }
}

/// `POST /invitations`: invites (or finds the invitation of the same reference).
pub async fn invite(
    State(state): State<AppState>,
    tr: Tr,
    headers: HeaderMap,
    PageForm(typed): PageForm<InvitationForm>,
) -> Response {
    let s = match posting(&state, &headers, &typed.csrf, "/invitations").await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let optional = |v: &str| (!v.trim().is_empty()).then(|| v.to_owned());
    let (name, email) = (
        optional(&typed.customer_name),
        optional(&typed.customer_email),
    );
    let now = Utc::now();
    let parsed = NewInvitation::parse(
        InvitationInput {
            reference: &typed.reference,
            relationship: optional(&typed.relationship).as_deref(),
            customer_name: name.as_deref(),
            customer_email: email.as_deref(),
            locale: optional(&typed.locale).as_deref(),
            ..Default::default()
        },
        now,
    );
    let invitation = match parsed {
        Ok(invitation) => invitation,
        Err(errors) => {
            let by_field = first_codes(errors);
            return invitations_page(&state, tr, &s, &typed, &by_field, None).await;
        }
    };
    let id = InvitationId::generate();
    let token = state.instance_key.invitation_token(id);
    match crate::api::invitations::create_and_tell(
        &state,
        s.user.business.id,
        id,
        invitation,
        token.hash(),
        now,
    )
    .await
    {
        Ok(write) => {
            let inv = write.invitation;
            let link = state.link(&format!(
                "/r/{}",
                state.instance_key.invitation_token(inv.id).expose()
            ));
            let said = if write.created {
                tr.with("invitation-created", "reference", &inv.reference)
            } else {
                tr.t("invitation-existing")
            };
            invitations_page(
                &state,
                tr,
                &s,
                &InvitationForm::default(),
                &Default::default(),
                Some((said, link)),
            )
            .await
        }
        Err(e) => PageError::from(e).into_response(),
    }
}

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
) -> Response {
    let keys = match state.store.api_keys(s.user.business.id).await {
        Ok(keys) => keys,
        Err(e) => return PageError::from(e).into_response(),
    };
    let page = KeysPage {
        meta: Meta::private(tr.t("keys-title"), tr.t("keys-intro"), "/keys".into()),
        csrf: csrf_token(&s.token),
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
    private_page(StatusCode::OK, &page).into_response()
}

/// `GET /keys`: the business's API keys (ids and dates, never the keys).
pub async fn keys(State(state): State<AppState>, tr: Tr, headers: HeaderMap) -> Response {
    match viewing(&state, &headers, "/keys").await {
        Ok(s) => keys_page(&state, tr, &s, None, None).await,
        Err(page) => page,
    }
}

/// `POST /keys`: a new key, shown once.
pub async fn create_key(
    State(state): State<AppState>,
    tr: Tr,
    headers: HeaderMap,
    PageForm(form): PageForm<CsrfForm>,
) -> Response {
    let s = match posting(&state, &headers, &form.csrf, "/keys").await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let key = tokens::new_api_key();
    if let Err(e) = state
        .store
        .add_api_key(s.user.business.id, key.hash(), Utc::now())
        .await
    {
        return PageError::from(e).into_response();
    }
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
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
    PageForm(form): PageForm<CsrfForm>,
) -> Response {
    let s = match posting(&state, &headers, &form.csrf, "/keys").await {
        Ok(s) => s,
        Err(page) => return page,
    };
    match state
        .store
        .revoke_api_key(s.user.business.id, &id, Utc::now())
        .await
    {
        Ok(true) => {
            tracing::info!(user = %s.user.id, "revoked an API key");
            keys_page(&state, tr, &s, Some(tr.t("key-revoked-notice")), None).await
        }
        Ok(false) => PageError::NotFound.into_response(),
        Err(e) => PageError::from(e).into_response(),
    }
}
