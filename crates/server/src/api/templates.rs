//! `GET /api/v1/invitation-templates` and `PUT /api/v1/invitation-templates/{locale}`: the
//! subject and opening of the business's invitation e-mail, per locale. Every change is a
//! new revision, logged (`invitation_template_changed`) and shown with its history on the
//! public page `/b/{slug}/invitations`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use domain::invitation::Locale;
use domain::template::InvitationTemplate;
use serde::{Deserialize, Serialize};
use store::TemplateRevision;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiPath, BusinessAuth};
use crate::views::LogRefView;

/// The words the business writes: `{business}` and `{reference}` are replaced by the
/// invitation's; no other braces are allowed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateBody {
    #[schema(schema_with = crate::api::schema::template_subject)]
    pub subject: String,
    #[schema(schema_with = crate::api::schema::template_intro)]
    pub intro: String,
}

/// A locale's template: the business's latest revision, or `revision: null` while it uses
/// the instance's default words (`subject` and `intro` are then `null`).
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateView {
    #[schema(value_type = String, example = "it")]
    pub locale: &'static str,
    pub revision: Option<u32>,
    pub subject: Option<String>,
    pub intro: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    /// Its `invitation_template_changed` entry and opening; `null` until logged (on
    /// PostgreSQL, a moment after the change).
    pub log: Option<LogRefView>,
}

/// A change's answer: the template now, and whether this request changed it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateChange {
    #[serde(flatten)]
    pub template: TemplateView,
    /// `false` when the words were the current revision's: nothing was logged.
    pub changed: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplatesView {
    pub templates: Vec<TemplateView>,
}

fn view(locale: Locale, r: Option<TemplateRevision>) -> TemplateView {
    match r {
        Some(r) => TemplateView {
            locale: locale.as_str(),
            revision: Some(r.revision),
            subject: Some(r.subject),
            intro: Some(r.intro),
            created_at: Some(r.created_at),
            log: LogRefView::new(r.log_index, Some(r.opening)),
        },
        None => TemplateView {
            locale: locale.as_str(),
            revision: None,
            subject: None,
            intro: None,
            created_at: None,
            log: None,
        },
    }
}

fn no_store(body: impl Serialize) -> Response {
    (
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(body),
    )
        .into_response()
}

/// The business's invitation templates, one per locale.
#[utoipa::path(
    get,
    path = "/api/v1/invitation-templates",
    operation_id = "list_invitation_templates",
    tag = "invitations",
    security(("api_key" = [])),
    responses(
        (status = 200, description = "Each locale's template", body = TemplatesView),
        (status = 401, description = "`/problems/unauthorized`: no API key, or not a valid one", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    BusinessAuth(business): BusinessAuth,
) -> Result<Response, ApiError> {
    let mut templates = Vec::new();
    for locale in [Locale::It, Locale::En] {
        let current = state.store.template(business.id, locale).await?;
        templates.push(view(locale, current));
    }
    Ok(no_store(TemplatesView { templates }))
}

/// Replaces the subject and opening of the business's invitation e-mail in one locale, for
/// every invitation mailed from now on. A change is logged and public.
#[utoipa::path(
    put,
    path = "/api/v1/invitation-templates/{locale}",
    operation_id = "update_invitation_template",
    tag = "invitations",
    security(("api_key" = [])),
    params(("locale" = String, Path, description = "`it` or `en`")),
    request_body = TemplateBody,
    responses(
        (status = 200, description = "The template now in force", body = TemplateChange),
        (status = 401, description = "`/problems/unauthorized`: no API key, or not a valid one", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`/problems/not-found`: not a locale of this instance", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`/problems/validation-error`: a field missing, too long, or with an unknown placeholder", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    BusinessAuth(business): BusinessAuth,
    ApiPath(locale): ApiPath<String>,
    ApiJson(input): ApiJson<TemplateBody>,
) -> Result<Response, ApiError> {
    let locale: Locale = locale.parse().map_err(|_| ApiError::NotFound("locale"))?;
    let template = InvitationTemplate::parse(locale, &input.subject, &input.intro)?;
    let (revision, changed) = app::templates::set(
        &state.app,
        business.id,
        &business.slug,
        template,
        Utc::now(),
    )
    .await?;
    if changed {
        tracing::info!(business = %business.slug, locale = locale.as_str(), "changed the invitation template");
    }
    Ok(no_store(TemplateChange {
        template: view(locale, Some(revision)),
        changed,
    }))
}
