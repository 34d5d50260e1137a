//! One error type for the API, turned into `application/problem+json` (RFC 9457) in one
//! place. Each variant documents its status. Internal failures are logged once, here, and the
//! client sees only that something failed.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::lifecycle::LifecycleError;
use domain::{FieldError, ValidationErrors};
use serde::Serialize;
use store::{Entity, StoreError};
use utoipa::ToSchema;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 422: the body parsed, but fields are invalid.
    #[error("invalid fields")]
    Validation(ValidationErrors),
    /// 400: a query parameter is invalid.
    #[error("invalid query")]
    InvalidQuery(ValidationErrors),
    /// 400: the body is not JSON, or not UTF-8.
    #[error("malformed body: {0}")]
    MalformedBody(String),
    /// 400: the pagination cursor was not one we issued for this query.
    #[error("invalid cursor")]
    InvalidCursor,
    /// 415: the body is not declared as JSON.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// 413: the body is larger than the limit.
    #[error("payload too large")]
    PayloadTooLarge,
    /// 401: the credential is missing or wrong.
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    /// 403: the credential is valid, but not for this resource.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// 404
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 405
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 409: the resource is not in a state that allows this.
    #[error("conflict: {detail}")]
    Conflict {
        kind: &'static str,
        detail: &'static str,
    },
    /// 410: the resource existed and is no longer usable.
    #[error("gone: {detail}")]
    Gone {
        kind: &'static str,
        detail: &'static str,
    },
    /// 429: too many writes of this kind, by this credential or client; retry after so many
    /// seconds (`Retry-After`).
    #[error("rate limited")]
    RateLimited { retry_after: u64 },
    /// 500: our fault; the cause is logged, not shown.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// The problem details object of RFC 9457, with the failing fields of a validation error.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem; relative to this server.
    #[schema(value_type = ProblemType)]
    pub r#type: String,
    pub title: &'static str,
    /// The response's status code.
    #[schema(minimum = 400, maximum = 599)]
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
}

/// The kinds of problem (`docs/api.md`, "Errors"), as the `type` of a [`Problem`].
#[derive(Debug)]
pub struct ProblemType;

impl ProblemType {
    /// Every kind [`ApiError`] answers.
    pub const KINDS: [&'static str; 20] = [
        "validation-error",
        "invalid-query",
        "malformed-body",
        "invalid-cursor",
        "unsupported-media-type",
        "payload-too-large",
        "unauthorized",
        "forbidden",
        "not-found",
        "method-not-allowed",
        "invitation-used",
        "review-withdrawn",
        "reply-required",
        "follow-up-exists",
        "slug-taken",
        "email-taken",
        "invitation-expired",
        "review-erased",
        "rate-limited",
        "internal-error",
    ];
}

impl utoipa::PartialSchema for ProblemType {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .enum_values(Some(
                Self::KINDS.iter().map(|kind| format!("/problems/{kind}")),
            ))
            .description(Some(
                "A URI naming the kind of problem, relative to this server (`docs/api.md`).",
            ))
            .into()
    }
}

impl ToSchema for ProblemType {}

/// One invalid field.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemField {
    /// The field as sent (`title`, `products[0].sku`).
    pub field: String,
    /// A stable code such as `too_long`, `out_of_range`, `required`, `invalid_type`.
    pub code: String,
    pub message: String,
}

impl From<FieldError> for ProblemField {
    fn from(e: FieldError) -> Self {
        Self {
            field: e.field,
            code: e.code.to_owned(),
            message: e.message,
        }
    }
}

impl ApiError {
    fn parts(
        self,
    ) -> (
        StatusCode,
        &'static str,
        &'static str,
        String,
        Vec<ProblemField>,
    ) {
        use ApiError::*;
        let fields = |v: ValidationErrors| v.0.into_iter().map(ProblemField::from).collect();
        match self {
            Validation(v) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation-error",
                "Invalid fields",
                "One or more fields are invalid; see `errors`.".into(),
                fields(v),
            ),
            InvalidQuery(v) => (
                StatusCode::BAD_REQUEST,
                "invalid-query",
                "Invalid query parameters",
                "One or more query parameters are invalid; see `errors`.".into(),
                fields(v),
            ),
            MalformedBody(detail) => (
                StatusCode::BAD_REQUEST,
                "malformed-body",
                "Malformed request body",
                detail,
                vec![],
            ),
            InvalidCursor => (
                StatusCode::BAD_REQUEST,
                "invalid-cursor",
                "Invalid cursor",
                "The cursor is not one this server issued for this query; start again \
                 without a cursor."
                    .into(),
                vec![],
            ),
            UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                "Send the body as JSON with `Content-Type: application/json`.".into(),
                vec![],
            ),
            PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
                format!("The body must be at most {} bytes.", crate::BODY_LIMIT),
                vec![],
            ),
            Unauthorized(detail) => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Unauthorized",
                detail.into(),
                vec![],
            ),
            Forbidden(detail) => (
                StatusCode::FORBIDDEN,
                "forbidden",
                "Forbidden",
                detail.into(),
                vec![],
            ),
            NotFound(what) => (
                StatusCode::NOT_FOUND,
                "not-found",
                "Not found",
                format!("No such {what}."),
                vec![],
            ),
            MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
                "This resource does not support this method.".into(),
                vec![],
            ),
            Conflict { kind, detail } => (
                StatusCode::CONFLICT,
                kind,
                "Conflict",
                detail.into(),
                vec![],
            ),
            Gone { kind, detail } => (StatusCode::GONE, kind, "Gone", detail.into(), vec![]),
            RateLimited { retry_after } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "Too many requests",
                format!(
                    "Too many writes of this kind from this credential or client; retry in \
                     {retry_after} seconds (`Retry-After`)."
                ),
                vec![],
            ),
            Internal(e) => {
                tracing::error!(error = %e, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal-error",
                    "Internal error",
                    "Something went wrong on our side; the request was not completed.".into(),
                    vec![],
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let unauthorized = matches!(self, ApiError::Unauthorized(_));
        let retry_after = match self {
            ApiError::RateLimited { retry_after } => Some(retry_after),
            _ => None,
        };
        let (status, kind, title, detail, errors) = self.parts();
        let problem = Problem {
            r#type: format!("/problems/{kind}"),
            title,
            status: status.as_u16(),
            detail,
            errors,
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if unauthorized {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(entity) => ApiError::NotFound(match entity {
                Entity::Business => "business",
                Entity::Invitation => "invitation",
                Entity::Review => "review",
                Entity::User => "user",
            }),
            StoreError::Rule(rule) => rule.into(),
            StoreError::BadEditToken => {
                ApiError::Unauthorized("The edit token is not valid for this review.")
            }
            StoreError::SlugTaken => ApiError::Conflict {
                kind: "slug-taken",
                detail: "Another business already uses this slug.",
            },
            StoreError::EmailTaken => ApiError::Conflict {
                kind: "email-taken",
                detail: "Another user already has this e-mail address.",
            },
            StoreError::Invalid(v) => ApiError::Validation(v),
            StoreError::Config(msg) => ApiError::Internal(msg.into()),
            StoreError::Backend(e) => ApiError::Internal(e),
        }
    }
}

impl From<LifecycleError> for ApiError {
    fn from(e: LifecycleError) -> Self {
        use LifecycleError::*;
        match e {
            InvitationUsed => ApiError::Conflict {
                kind: "invitation-used",
                detail: "This invitation has already been used for a review.",
            },
            InvitationExpired => ApiError::Gone {
                kind: "invitation-expired",
                detail: "This invitation has expired.",
            },
            ReviewWithdrawn => ApiError::Conflict {
                kind: "review-withdrawn",
                detail: "The review has been withdrawn.",
            },
            ReviewErased => ApiError::Gone {
                kind: "review-erased",
                detail: "The review's content has been erased.",
            },
            ReplyRequired => ApiError::Conflict {
                kind: "reply-required",
                detail: "A follow-up is possible only after the business has replied.",
            },
            FollowUpExists => ApiError::Conflict {
                kind: "follow-up-exists",
                detail: "The reviewer has already answered the reply.",
            },
            NotOwnReview => ApiError::Forbidden("The review belongs to another business."),
        }
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(e: ValidationErrors) -> Self {
        ApiError::Validation(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every problem the server answers has its `type` in the document's enumeration.
    #[test]
    fn every_problem_type_is_documented() {
        use LifecycleError::*;
        let mut errors = vec![
            ApiError::Validation(ValidationErrors::new()),
            ApiError::InvalidQuery(ValidationErrors::new()),
            ApiError::MalformedBody(String::new()),
            ApiError::InvalidCursor,
            ApiError::UnsupportedMediaType,
            ApiError::PayloadTooLarge,
            ApiError::Unauthorized(""),
            ApiError::Forbidden(""),
            ApiError::NotFound(""),
            ApiError::MethodNotAllowed,
            ApiError::RateLimited { retry_after: 1 },
            ApiError::Internal("test".into()),
            StoreError::SlugTaken.into(),
            StoreError::EmailTaken.into(),
            StoreError::BadEditToken.into(),
        ];
        errors.extend(
            [
                InvitationUsed,
                InvitationExpired,
                ReviewWithdrawn,
                ReviewErased,
                ReplyRequired,
                FollowUpExists,
                NotOwnReview,
            ]
            .map(ApiError::from),
        );
        for error in errors {
            let (status, kind, ..) = error.parts();
            assert!(ProblemType::KINDS.contains(&kind), "{kind}");
            assert!((400..=599).contains(&status.as_u16()), "{kind}");
        }
    }
}
