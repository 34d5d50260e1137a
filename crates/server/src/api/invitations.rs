//! `POST /api/v1/invitations`, `GET /api/v1/invitations/{token}`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use domain::invitation::{InvitationInput, NewInvitation};
use domain::lifecycle::{self, InvitationState};
use domain::secret::TokenHash;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::api::schema;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiPath, BusinessAuth, whole};
use crate::views::{self, BusinessRefView, InvitationCreated, InvitationPublic};

/// An invitation request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInvitation {
    #[schema(schema_with = schema::reference)]
    pub reference: String,
    /// `customer` by default.
    #[schema(value_type = Option<schema::Relationship>)]
    pub relationship: Option<String>,
    #[schema(schema_with = schema::customer_name)]
    pub customer_name: Option<String>,
    #[schema(schema_with = schema::customer_email)]
    pub customer_email: Option<String>,
    #[serde(default)]
    #[schema(schema_with = schema::invited_products)]
    pub products: Vec<ProductInput>,
    /// `it` by default.
    #[schema(value_type = Option<schema::Locale>)]
    pub locale: Option<String>,
    /// Days until the invitation expires, 1 to 365; 90 by default.
    #[serde(default, deserialize_with = "whole::optional")]
    #[schema(minimum = 1, maximum = 365)]
    pub expires_in_days: Option<i64>,
    /// When to e-mail the invitation (to `customer_email`, if this instance sends e-mail),
    /// from today until it expires; at once by default.
    pub send_at: Option<chrono::DateTime<Utc>>,
}

/// A product the invitee may rate. Its page, picture and GTIN are optional; given, they
/// describe it to search engines on its public page (`/b/{slug}/p/{sku}`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductInput {
    #[schema(schema_with = schema::invited_sku)]
    pub sku: String,
    #[schema(schema_with = schema::product_name)]
    pub name: String,
    /// The product's own page: an absolute `http` or `https` URL, with no user name or
    /// password and no control characters, at most 2000 characters once normalised
    /// (non-ASCII characters percent-encoded; a URL that this lengthens past 2000 is
    /// refused).
    #[schema(
        format = "uri",
        max_length = 2000,
        pattern = "^[Hh][Tt][Tt][Pp][Ss]?://(?![^/?#]*@)[^\\u0000-\\u001F\\u007F-\\u009F]+$",
        examples("https://www.example.it/prodotti/tagliatelle")
    )]
    pub url: Option<String>,
    /// A picture of the product, as `url`.
    #[schema(
        format = "uri",
        max_length = 2000,
        pattern = "^[Hh][Tt][Tt][Pp][Ss]?://(?![^/?#]*@)[^\\u0000-\\u001F\\u007F-\\u009F]+$",
        examples("https://www.example.it/img/tagliatelle.jpg")
    )]
    pub image: Option<String>,
    /// The product's GTIN (EAN, UPC, JAN, ISBN-13, ITF-14): 8, 12, 13 or 14 digits, the
    /// last GS1's check digit (a wrong one is refused with `422`, code
    /// `invalid_check_digit`), and not all zeros.
    #[schema(pattern = "^([0-9]{8}|[0-9]{12,14})$", examples("4006381333931"))]
    pub gtin: Option<String>,
}

/// Invites someone the business really dealt with to write a review.
#[utoipa::path(
    post,
    path = "/api/v1/invitations",
    tag = "invitations",
    security(("api_key" = [])),
    request_body = CreateInvitation,
    responses(
        (status = 201, description = "Created", body = InvitationCreated),
        (status = 200, description = "This reference was already invited: the same invitation", body = InvitationCreated),
        (status = 401, description = "`/problems/unauthorized`: no API key, or not a valid one", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`/problems/validation-error`: fields missing, of the wrong type, unknown or invalid, including what no schema can say: a SKU listed twice (`duplicate`), a GTIN whose check digit is wrong (`invalid_check_digit`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    BusinessAuth(business): BusinessAuth,
    ApiJson(input): ApiJson<CreateInvitation>,
) -> Result<Response, ApiError> {
    let now = Utc::now();
    let invitation = NewInvitation::parse(
        InvitationInput {
            reference: &input.reference,
            relationship: input.relationship.as_deref(),
            customer_name: input.customer_name.as_deref(),
            customer_email: input.customer_email.as_deref(),
            products: input
                .products
                .iter()
                .map(|p| domain::invitation::ProductInput {
                    sku: &p.sku,
                    name: &p.name,
                    url: p.url.as_deref(),
                    image: p.image.as_deref(),
                    gtin: p.gtin.as_deref(),
                })
                .collect(),
            locale: input.locale.as_deref(),
            expires_in_days: input.expires_in_days,
            send_at: input.send_at,
        },
        now,
    )?;
    let app::invitations::Invited { write, token } =
        app::invitations::invite(&state.app, business.id, invitation, now).await?;
    let inv = write.invitation;
    let body = InvitationCreated {
        id: inv.id.to_string(),
        url: state.link(&format!("/r/{}", token.expose())),
        token: token.expose().to_owned(),
        expires_at: inv.expires_at,
        reference: inv.reference,
        relationship: inv.relationship,
        locale: inv.locale,
        products: views::products(inv.products),
        created_at: inv.created_at,
        used_at: inv.used_at,
        source: inv.source.as_str(),
        send_at: inv.send_at,
        mail: inv.mail.as_str(),
    };
    let status = if write.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(body),
    )
        .into_response())
}

/// What a review form needs to know about an invitation.
#[utoipa::path(
    get,
    path = "/api/v1/invitations/{token}",
    operation_id = "show_invitation",
    tag = "invitations",
    params(("token" = String, Path, description = "The invitation's token (any other text names no invitation: `404`)")),
    responses(
        (status = 200, description = "What the review form needs", body = InvitationPublic),
        (status = 404, description = "`/problems/not-found`: no invitation has this token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`/problems/invitation-used`: already used", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "`/problems/invitation-expired`: expired", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
) -> Result<Response, ApiError> {
    let inv = state
        .store
        .invitation_by_token(TokenHash::of(&token))
        .await?
        .ok_or(ApiError::NotFound("invitation"))?;
    lifecycle::redeem_invitation(
        InvitationState {
            used: inv.used_at.is_some(),
            expires_at: inv.expires_at,
        },
        Utc::now(),
    )?;
    let body = InvitationPublic {
        business: BusinessRefView {
            slug: inv.business_slug,
            name: inv.business_name,
        },
        relationship: inv.relationship,
        locale: inv.locale,
        products: views::products(inv.products),
        expires_at: inv.expires_at,
    };
    Ok((
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(body),
    )
        .into_response())
}
