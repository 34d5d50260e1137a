//! `GET` and `PUT /api/v1/mail-settings`: when the business's invitations are mailed.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use store::MailSettings;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, BusinessAuth, whole};

/// When the business's invitations are mailed (if this instance sends e-mail).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailSettingsBody {
    /// Hours between a shop reporting an order fulfilled (or completed) and its invitation
    /// e-mail, 0 to 720; 72 by default.
    #[serde(deserialize_with = "whole::number")]
    #[schema(minimum = 0, maximum = 720, example = 72)]
    pub shop_delay_hours: i64,
    /// Days between the invitation e-mail and its one reminder, 1 to 60, sent only if the
    /// invitation is still unanswered, unexpired and not unsubscribed; `null`: no reminder.
    /// 7 by default.
    /// Required: a missing field is refused rather than read as "no reminder".
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u32>, required = true, minimum = 1, maximum = 60, example = 7)]
    pub reminder_days: Option<Option<i64>>,
}

/// A field that was present (`null` or a whole number, `16.0` too), told apart from a
/// missing one (`None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    whole::optional(d).map(Some)
}

impl From<MailSettings> for MailSettingsBody {
    fn from(s: MailSettings) -> Self {
        Self {
            shop_delay_hours: i64::from(s.shop_delay_hours),
            reminder_days: Some(s.reminder_days.map(i64::from)),
        }
    }
}

fn answer(settings: MailSettings) -> Response {
    (
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(MailSettingsBody::from(settings)),
    )
        .into_response()
}

/// The business's mail settings.
#[utoipa::path(
    get,
    path = "/api/v1/mail-settings",
    operation_id = "show_mail_settings",
    tag = "invitations",
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The settings in force", body = MailSettingsBody),
        (status = 401, description = "`/problems/unauthorized`: no API key, or not a valid one", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    BusinessAuth(business): BusinessAuth,
) -> Result<Response, ApiError> {
    Ok(answer(state.store.mail_settings(business.id).await?))
}

/// Replaces the business's mail settings (for invitations created from now on).
#[utoipa::path(
    put,
    path = "/api/v1/mail-settings",
    operation_id = "update_mail_settings",
    tag = "invitations",
    security(("api_key" = [])),
    request_body = MailSettingsBody,
    responses(
        (status = 200, description = "The settings now in force", body = MailSettingsBody),
        (status = 401, description = "`/problems/unauthorized`: no API key, or not a valid one", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`/problems/validation-error`: a field missing, unknown or out of range", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    BusinessAuth(business): BusinessAuth,
    ApiJson(input): ApiJson<MailSettingsBody>,
) -> Result<Response, ApiError> {
    let Some(reminder_days) = input.reminder_days else {
        return Err(domain::ValidationErrors::single(
            "reminder_days",
            "required",
            "is required (null for no reminder)",
        )
        .into());
    };
    // Out of u32's range is out of the settings' range: the check below names the limits.
    let clamp = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
    let settings =
        app::invitations::mail_settings(clamp(input.shop_delay_hours), reminder_days.map(clamp))?;
    state.store.set_mail_settings(business.id, settings).await?;
    Ok(answer(settings))
}
