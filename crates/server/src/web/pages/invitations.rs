//! `GET /b/{slug}/invitations`: no gating, provably. Every invitation e-mail's footer links
//! here. The page shows the invitation exactly as every customer receives it, in both
//! languages, rendered by the mailer's own code with each template's fingerprint; the
//! business's invitation figures (all time, numbers only); and the only choices the business
//! has about its invitations, which are about when they go, never to whom.

use app::mail::render::{InvitationMail, Rendered, template_hash};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Duration, Utc};
use domain::invitation::{DEFAULT_EXPIRY_DAYS, Locale};
use serde::Deserialize;
use store::{InvitationFigures, ProductRecord, TemplateRevision};

use crate::AppState;
use crate::extract::ApiPath;
use crate::web::i18n::Tr;
use crate::web::{Meta, PageError, render};

/// The invitation in one locale, as the mailer renders it.
#[derive(Debug)]
pub struct MessageView {
    /// The message's language, for its `lang` attribute.
    pub lang: &'static str,
    /// "In Italian" / "In English", in the visitor's language.
    pub heading: String,
    pub subject: String,
    pub text: String,
    pub reminder_subject: String,
    pub reminder_text: String,
    /// `template_hash` of the locale: SHA-256, hex.
    pub fingerprint: String,
    /// Whose words the subject and opening are: the business's revision, or the default.
    pub source: String,
}

/// One revision of the business's template, with what opens its log entry.
#[derive(Debug)]
pub struct RevisionView {
    pub lang: &'static str,
    pub heading: String,
    pub subject: String,
    pub intro: String,
    pub log_index: Option<u64>,
    /// Base64.
    pub salt: String,
    /// The canonical content, as committed.
    pub content: String,
}

#[derive(Template)]
#[template(path = "business_invitations.html")]
struct InvitationsPage {
    tr: Tr,
    meta: Meta,
    slug: String,
    heading: String,
    /// "All reviews of …", back to the business's page.
    back: String,
    /// No setting depends on what a customer is expected to say.
    neutral: String,
    messages: Vec<MessageView>,
    /// Every change of the template, newest first, a page at a time.
    history: Vec<RevisionView>,
    /// The next page of older changes, if any.
    older: Option<String>,
    /// Whether this is a later page of the history (`?older=`).
    paged: bool,
    /// (term, value).
    figures: Vec<(String, String)>,
    /// (term, value).
    settings: Vec<(String, String)>,
}

/// `GET /b/{slug}/invitations`: the invitation every customer receives, the invitations'
/// figures and the mail settings in force.
pub async fn invitations(
    State(state): State<AppState>,
    tr: Tr,
    ApiPath(slug): ApiPath<String>,
    Query(q): Query<HistoryQuery>,
) -> Result<Response, PageError> {
    let business = state
        .store
        .business_by_slug(&slug)
        .await?
        .ok_or(PageError::NotFound)?;
    let figures = state.store.invitation_figures(business.id).await?;
    let settings = state.store.mail_settings(business.id).await?;
    let here = format!("/b/{}/invitations", business.slug);
    let page_link = state.link(&here);
    // The visitor's language first, then the other.
    let locales = match tr.locale {
        Locale::It => [Locale::It, Locale::En],
        Locale::En => [Locale::En, Locale::It],
    };
    let mut messages = Vec::with_capacity(locales.len());
    for locale in locales {
        let template = state.store.template(business.id, locale).await?;
        messages.push(message(
            &tr,
            locale,
            &business.name,
            &page_link,
            template.as_ref(),
        ));
    }
    // Every revision is listed, a page at a time: none can be pushed out of sight.
    let skip = q.older.unwrap_or(0);
    let mut revisions = state
        .store
        .template_history(business.id, skip, HISTORY + 1)
        .await?;
    let older = (revisions.len() > HISTORY as usize)
        .then(|| format!("{here}?older={}", skip.saturating_add(HISTORY)));
    revisions.truncate(HISTORY as usize);
    let history = revisions.iter().map(|r| revision_view(&tr, r)).collect();
    let page = InvitationsPage {
        meta: Meta::new(
            tr.with("invitations-page-title", "name", &business.name),
            tr.with("invitations-page-description", "name", &business.name),
            here,
        ),
        heading: tr.with("invitations-page-heading", "name", &business.name),
        back: tr.with("back-to", "name", &business.name),
        neutral: tr.with("invitations-page-neutral", "name", &business.name),
        messages,
        history,
        older,
        paged: skip > 0,
        figures: figure_rows(&tr, &figures),
        settings: crate::web::parts::mail_settings_rows(&tr, &settings),
        slug: business.slug,
        tr,
    };
    render(StatusCode::OK, &page)
}

/// The invitation and its reminder in `locale`, with placeholders (in that locale) where
/// one invitation differs from the next: no name (the greeting without one), the order
/// reference, one product, the personal links; and the default expiry from today.
fn message(
    tr: &Tr,
    locale: Locale,
    business: &str,
    page_link: &str,
    template: Option<&TemplateRevision>,
) -> MessageView {
    let custom = template.and_then(TemplateRevision::template);
    let words = Tr::new(locale);
    let reference = words.t("invitations-page-placeholder-reference");
    let products = [ProductRecord::named(
        "sku",
        words.t("invitations-page-placeholder-product"),
    )];
    let review_link = words.t("invitations-page-placeholder-review-link");
    let unsubscribe_link = words.t("invitations-page-placeholder-unsubscribe-link");
    let expires_at = Utc::now() + Duration::days(DEFAULT_EXPIRY_DAYS);
    let mail = |reminder: bool| -> Rendered {
        app::mail::render::render(&InvitationMail {
            locale,
            business_name: business,
            customer_name: None,
            reference: &reference,
            products: &products,
            review_link: &review_link,
            unsubscribe_link: &unsubscribe_link,
            invitations_page: page_link,
            expires_at,
            reminder,
            template: custom.as_ref(),
        })
    };
    let (first, reminder) = (mail(false), mail(true));
    MessageView {
        lang: locale.as_str(),
        heading: tr.t(&format!("invitations-page-in-{}", locale.as_str())),
        subject: first.subject,
        text: first.text,
        reminder_subject: reminder.subject,
        reminder_text: reminder.text,
        fingerprint: template_hash(locale),
        source: match template {
            Some(t) => tr.args(
                "invitations-page-template-revision",
                &[
                    ("name", business.to_owned().into()),
                    ("revision", u64::from(t.revision).into()),
                    ("date", tr.date(t.created_at.date_naive()).into()),
                ],
            ),
            None => tr.with("invitations-page-template-default", "name", business),
        },
    }
}

/// The revisions one page lists.
const HISTORY: u32 = 50;

/// `?older=N`: the history from its `N`th newest revision on.
#[derive(Debug, Deserialize)]
pub struct HistoryQuery {
    older: Option<u32>,
}

fn revision_view(tr: &Tr, r: &TemplateRevision) -> RevisionView {
    use base64::Engine;
    RevisionView {
        lang: r.locale.as_str(),
        heading: tr.args(
            "invitations-page-history-row",
            &[
                (
                    "language",
                    tr.t(&format!("invitations-page-in-{}", r.locale.as_str()))
                        .into(),
                ),
                ("revision", u64::from(r.revision).into()),
                ("date", tr.date(r.created_at.date_naive()).into()),
            ],
        ),
        subject: r.subject.clone(),
        intro: r.intro.clone(),
        log_index: r.log_index,
        salt: base64::engine::general_purpose::STANDARD.encode(r.opening.salt),
        content: String::from_utf8_lossy(&r.opening.content).into_owned(),
    }
}

/// The figures, each with its term.
fn figure_rows(tr: &Tr, f: &InvitationFigures) -> Vec<(String, String)> {
    [
        ("invitations-page-by-shop", f.by_shop),
        ("invitations-page-by-hand", f.by_hand),
        ("invitations-page-sent", f.sent),
        ("invitations-page-reminded", f.reminded),
        ("invitations-page-unsubscribed", f.unsubscribed),
        ("invitations-page-undeliverable", f.undeliverable),
        ("invitations-page-answered", f.answered),
    ]
    .into_iter()
    .map(|(id, n)| (tr.t(id), n.to_string()))
    .collect()
}
