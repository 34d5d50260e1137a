//! `/invitations/template`: the subject and opening of the business's invitation e-mail, per
//! locale. A change is a new revision, logged and shown with its history on the public page
//! `/b/{slug}/invitations` (the same rules as `PUT /api/v1/invitation-templates/{locale}`).

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use domain::invitation::Locale;
use domain::template::InvitationTemplate;
use serde::Deserialize;

use super::form::{first_codes, message};
use super::i18n::Tr;
use super::session::{CsrfField, Posted, Session};
use super::{Meta, PageError, private_page};
use crate::AppState;

/// One locale's form, as typed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TemplateForm {
    csrf: String,
    locale: String,
    subject: String,
    intro: String,
}

impl CsrfField for TemplateForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// One locale's form on the page.
#[derive(Debug)]
pub struct LocaleForm {
    pub lang: &'static str,
    pub heading: String,
    /// Whose words are in force: the business's revision, or the default.
    pub state: String,
    pub subject: String,
    pub intro: String,
    pub subject_error: Option<String>,
    pub intro_error: Option<String>,
}

#[derive(Template)]
#[template(path = "invitation_template.html")]
struct TemplatePage {
    tr: Tr,
    meta: Meta,
    csrf: String,
    notice: Option<String>,
    public_page: String,
    forms: Vec<LocaleForm>,
}

/// A refused form: its locale, what was typed, the errors by field.
type Refused = (Locale, TemplateForm, HashMap<String, String>);

async fn page(
    state: &AppState,
    tr: Tr,
    s: &Session,
    notice: Option<String>,
    refused: Option<Refused>,
) -> Result<Response, PageError> {
    let business = &s.user.business;
    let status = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut forms = Vec::new();
    for locale in [Locale::It, Locale::En] {
        let current = state.store.template(business.id, locale).await?;
        let state_words = match &current {
            Some(r) => tr.args(
                "template-state-revision",
                &[
                    ("revision", u64::from(r.revision).into()),
                    ("date", tr.date(r.created_at.date_naive()).into()),
                ],
            ),
            None => tr.t("template-state-default"),
        };
        let mut form = LocaleForm {
            lang: locale.as_str(),
            heading: tr.t(&format!("invitations-page-in-{}", locale.as_str())),
            state: state_words,
            subject: current
                .as_ref()
                .map(|r| r.subject.clone())
                .unwrap_or_default(),
            intro: current.map(|r| r.intro).unwrap_or_default(),
            subject_error: None,
            intro_error: None,
        };
        if let Some((l, typed, errors)) = &refused
            && *l == locale
        {
            form.subject.clone_from(&typed.subject);
            form.intro.clone_from(&typed.intro);
            form.subject_error = errors.get("subject").map(|c| message(&tr, c));
            form.intro_error = errors.get("intro").map(|c| message(&tr, c));
        }
        forms.push(form);
    }
    let view = TemplatePage {
        meta: Meta::private(
            tr.t("template-title"),
            tr.t("template-intro"),
            "/invitations/template".into(),
        ),
        csrf: s.csrf(),
        notice,
        public_page: format!("/b/{}/invitations", business.slug),
        forms,
        tr,
    };
    private_page(status, &view)
}

/// `GET /invitations/template`
pub async fn show(
    State(state): State<AppState>,
    tr: Tr,
    s: Session,
) -> Result<Response, PageError> {
    page(&state, tr, &s, None, None).await
}

/// `POST /invitations/template`: one locale's new words.
pub async fn save(
    State(state): State<AppState>,
    tr: Tr,
    Posted { session: s, form }: Posted<TemplateForm>,
) -> Result<Response, PageError> {
    let Ok(locale) = form.locale.parse::<Locale>() else {
        return Err(PageError::NotFound);
    };
    let template = match InvitationTemplate::parse(locale, &form.subject, &form.intro) {
        Ok(t) => t,
        Err(errors) => {
            let errors = first_codes(errors);
            return page(&state, tr, &s, None, Some((locale, form, errors))).await;
        }
    };
    let business = &s.user.business;
    let (_, changed) = app::templates::set(
        &state.app,
        business.id,
        &business.slug,
        template,
        Utc::now(),
    )
    .await?;
    let notice = if changed {
        tracing::info!(user = %s.user.id, locale = locale.as_str(), "changed the invitation template");
        tr.t("template-saved")
    } else {
        tr.t("template-unchanged")
    };
    page(&state, tr, &s, Some(notice), None).await
}
