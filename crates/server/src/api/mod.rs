//! The REST API under `/api/v1`, and its OpenAPI 3.1 document generated from the handlers'
//! annotations.

pub mod businesses;
pub mod health;
pub mod invitations;
pub mod log;
pub mod reviews;
pub mod stats;

use std::sync::OnceLock;

use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::Problem;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Passaparola API",
        description = "Certified customer reviews: invitations, reviews, replies and \
                       satisfaction figures. Errors are `application/problem+json` (RFC 9457).",
    ),
    // The tile route is served with a wildcard (see `app`); described here.
    paths(log::tile),
    components(schemas(Problem)),
    modifiers(&Security),
    tags(
        (name = "invitations", description = "A business invites someone it dealt with."),
        (name = "reviews", description = "Reviews, replies and follow-ups."),
        (name = "businesses", description = "Public profiles, reviews and summaries."),
        (name = "log", description = "The public signed log (C2SP tlog-tiles)."),
    )
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = |description: &str| {
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(description))
                    .build(),
            )
        };
        components.add_security_scheme(
            "api_key",
            bearer("A business API key (`ppk_…`), from `passaparola business create`."),
        );
        components.add_security_scheme(
            "edit_token",
            bearer("The reviewer's edit token (`ppe_…`), returned once with the review."),
        );
    }
}

/// Every API route with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::health))
        .routes(routes!(health::ready))
        .routes(routes!(invitations::create))
        .routes(routes!(invitations::show))
        .routes(routes!(reviews::submit))
        .routes(routes!(reviews::show, reviews::edit, reviews::withdraw))
        .routes(routes!(reviews::history))
        .routes(routes!(reviews::reply))
        .routes(routes!(reviews::follow_up))
        .routes(routes!(reviews::erase))
        .routes(routes!(businesses::show))
        .routes(routes!(businesses::reviews))
        .routes(routes!(businesses::summary))
        .routes(routes!(businesses::ratings_csv))
        .routes(routes!(stats::stats))
        .routes(routes!(stats::trends))
        .routes(routes!(crate::embed::widget_json))
        .routes(routes!(log::receipt))
        .routes(routes!(log::entry_receipt))
        .routes(routes!(log::checkpoint))
        .routes(routes!(log::key))
}

/// `GET /api/openapi.json`
pub async fn openapi_json() -> impl IntoResponse {
    static DOC: OnceLock<String> = OnceLock::new();
    let doc = DOC.get_or_init(|| {
        let (_, mut api) = router().split_for_parts();
        describe_body_errors(&mut api);
        api.to_json().unwrap_or_else(|_| "{}".into())
    });
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        doc.as_str(),
    )
}

/// Every operation that takes a JSON body can answer 400, 413 and 415 (from `ApiJson`), and
/// every write 429 (the write limits): described once here rather than on every handler.
fn describe_body_errors(api: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let problem = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build()
    };
    for item in api.paths.paths.values_mut() {
        for op in [&mut item.post, &mut item.put, &mut item.patch]
            .into_iter()
            .flatten()
            .filter(|op| op.request_body.is_some())
        {
            for (status, description) in [
                (
                    "400",
                    "The body is not JSON, not UTF-8, or has trailing data",
                ),
                ("413", "The body is over 64 KiB"),
                ("415", "The body is not declared `application/json`"),
            ] {
                op.responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| problem(description).into());
            }
        }
        // Every write counts against the write limits (`crate::limits`).
        for op in [
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            op.responses
                .responses
                .entry("429".to_owned())
                .or_insert_with(|| {
                    problem("Too many writes of this kind; see `Retry-After`").into()
                });
        }
    }
}
