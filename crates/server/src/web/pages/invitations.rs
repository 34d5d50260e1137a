//! `GET /b/{slug}/invitations`: no gating, provably. Every invitation e-mail's footer links
//! here. The page shows the invitation exactly as every customer receives it, in both
//! languages, rendered by the mailer's own code with each template's fingerprint; the
//! business's invitation figures (all time, numbers only); and the only choices the business
//! has about its invitations, which are about when they go, never to whom.

use app::mail::render::{InvitationMail, Rendered, template_hash};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Duration, Utc};
use domain::invitation::{DEFAULT_EXPIRY_DAYS, Locale};
use store::{InvitationFigures, ProductRecord};

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
    let messages = locales
        .into_iter()
        .map(|locale| message(&tr, locale, &business.name, &page_link))
        .collect();
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
fn message(tr: &Tr, locale: Locale, business: &str, page_link: &str) -> MessageView {
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
