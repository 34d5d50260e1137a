//! The REST API under `/api/v1`, and its OpenAPI 3.1 document generated from the handlers'
//! annotations.

pub mod businesses;
pub mod health;
pub mod invitations;
pub mod log;
pub mod mail_settings;
pub mod reviews;
pub mod schema;
pub mod stats;
pub mod templates;

use std::sync::OnceLock;

use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{Problem, ProblemType};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Passaparola API",
        description = "Certified customer reviews: invitations, reviews, replies and \
                       satisfaction figures. Errors are `application/problem+json` (RFC 9457).",
    ),
    // The tile route is served with a wildcard (see `app`); described here.
    paths(log::tile),
    components(schemas(
        Problem,
        // Referenced through `schema::invited_products` and `schema::rated_products`.
        invitations::ProductInput,
        reviews::SubmitProductRating,
        ProblemType,
        schema::Relationship,
        schema::Locale,
        schema::Period,
        schema::Sort,
        schema::Grain,
        schema::ReviewStatus,
        schema::EventKind,
    )),
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
        .routes(routes!(mail_settings::show, mail_settings::update))
        .routes(routes!(templates::list))
        .routes(routes!(templates::update))
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

/// The OpenAPI document: the handlers' annotations, and what is said once for many of them.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut api) = router().split_for_parts();
    describe_body_errors(&mut api);
    describe_embed_params(&mut api);
    describe_problem_headers(&mut api);
    api
}

/// `GET /api/openapi.json`
pub async fn openapi_json() -> impl IntoResponse {
    static DOC: OnceLock<String> = OnceLock::new();
    let doc = DOC.get_or_init(|| document().to_json().unwrap_or_else(|_| "{}".into()));
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

/// `crate::embed` declares the widget's parameters as plain strings; the slug and the words
/// they take are the API's own, so the document says so here.
fn describe_embed_params(api: &mut utoipa::openapi::OpenApi) {
    use utoipa::IntoParams;
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::{Ref, RefOr};
    let slug = schema::SlugPath::into_params(|| None);
    for (path, item) in api.paths.paths.iter_mut() {
        let Some(op) = item.get.as_mut() else {
            continue;
        };
        if path.ends_with("/widget") {
            for (status, description) in [
                ("200", "The widget's data, every word in the asked language"),
                (
                    "400",
                    "`/problems/invalid-query`: `lang` is not a language of the widget",
                ),
                ("404", "`/problems/not-found`: no such business"),
            ] {
                if let Some(RefOr::T(response)) = op.responses.responses.get_mut(status)
                    && response.description.is_empty()
                {
                    response.description = description.to_owned();
                }
            }
        }
        for param in op.parameters.iter_mut().flatten() {
            match (&param.parameter_in, param.name.as_str()) {
                (ParameterIn::Path, "slug") => {
                    if let Some(own) = slug.first() {
                        *param = own.clone();
                    }
                }
                (ParameterIn::Query, "lang") if path.ends_with("/widget") => {
                    param.schema = Some(Ref::from_schema_name("Locale").into());
                }
                _ => {}
            }
        }
    }
}

/// The headers that come with some problems, wherever they are answered: `401` names the
/// scheme to use (`WWW-Authenticate: Bearer`), `429` says how long to wait (`Retry-After`,
/// whole seconds, at least one).
fn describe_problem_headers(api: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    use utoipa::openapi::{HeaderBuilder, RefOr};
    for item in api.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            for (status, response) in op.responses.responses.iter_mut() {
                let RefOr::T(response) = response else {
                    continue;
                };
                let (name, schema, description) = match status.as_str() {
                    "401" => (
                        "WWW-Authenticate",
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .enum_values(Some(["Bearer"])),
                        "The credential to send: `Authorization: Bearer <token>`",
                    ),
                    "429" => (
                        "Retry-After",
                        ObjectBuilder::new()
                            .schema_type(Type::Integer)
                            .minimum(Some(1)),
                        "Seconds to wait before writing again",
                    ),
                    _ => continue,
                };
                response.headers.insert(
                    name.to_owned(),
                    HeaderBuilder::new()
                        .schema(schema)
                        .description(Some(description))
                        .build(),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    fn document() -> Value {
        serde_json::to_value(super::document()).unwrap()
    }

    fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
        let mut out = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                out.push((method.to_uppercase(), path.clone(), op));
            }
        }
        out
    }

    #[test]
    fn every_answer_an_operation_can_give_is_documented() {
        let doc = document();
        for (method, path, op) in operations(&doc) {
            let name = format!("{method} {path}");
            let responses = op["responses"].as_object().unwrap();
            let has = |status: &str| responses.contains_key(status);
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            if params.iter().any(|p| p["in"] == "query") {
                assert!(has("400"), "{name}: an invalid query parameter is 400");
            }
            if params.iter().any(|p| p["in"] == "path") {
                assert!(has("404"), "{name}: a path naming nothing is 404");
            }
            if op.get("requestBody").is_some() {
                for status in ["400", "413", "415", "422"] {
                    assert!(has(status), "{name}: a JSON body can be answered {status}");
                }
            }
            if op.get("security").is_some() {
                assert!(has("401"), "{name}: a missing credential is 401");
            }
            if method != "GET" {
                let retry = &responses["429"]["headers"]["Retry-After"];
                assert!(retry.is_object(), "{name}: 429 with Retry-After");
            }
            // The health checks answer `{"status": …}`, not problems (`health.rs`).
            let health = path == "/healthz" || path == "/readyz";
            for (status, response) in responses {
                if !health && (status.starts_with('4') || status.starts_with('5')) {
                    let problem = &response["content"]["application/problem+json"]["schema"];
                    assert_eq!(
                        problem["$ref"], "#/components/schemas/Problem",
                        "{name} {status}: a problem"
                    );
                    assert!(
                        !response["description"].as_str().unwrap_or("").is_empty(),
                        "{name} {status}: says when"
                    );
                }
                if status == "401" {
                    let www = &response["headers"]["WWW-Authenticate"];
                    assert!(www.is_object(), "{name}: 401 with WWW-Authenticate");
                }
            }
        }
    }

    #[test]
    fn erased_reviews_are_gone_for_every_change_but_withdrawal_and_erasure() {
        let doc = document();
        for (method, path) in [
            ("patch", "/api/v1/reviews/{id}"),
            ("put", "/api/v1/reviews/{id}/reply"),
            ("post", "/api/v1/reviews/{id}/follow-up"),
        ] {
            assert!(
                doc["paths"][path][method]["responses"]["410"].is_object(),
                "{method} {path}"
            );
        }
    }

    #[test]
    fn closed_sets_and_bounds_are_stated() {
        let doc = document();
        for (method, path, op) in operations(&doc) {
            for p in op["parameters"].as_array().into_iter().flatten() {
                let schema = &p["schema"];
                let name = format!("{method} {path} {}", p["name"]);
                match p["name"].as_str().unwrap() {
                    "relationship" => assert_eq!(
                        schema["$ref"], "#/components/schemas/Relationship",
                        "{name}"
                    ),
                    "limit" => {
                        use crate::listing::{MAX_HISTORY_LIMIT, MAX_LIMIT};
                        let max = if path.ends_with("/history") {
                            MAX_HISTORY_LIMIT
                        } else {
                            MAX_LIMIT
                        };
                        assert_eq!(schema["minimum"], 1, "{name}");
                        assert_eq!(schema["maximum"], max, "{name}");
                    }
                    "slug" => {
                        use domain::business::Slug;
                        assert_eq!(schema["minLength"], Slug::MIN_LEN, "{name}");
                        assert_eq!(schema["maxLength"], Slug::MAX_LEN, "{name}");
                        assert!(schema["pattern"].is_string(), "{name}");
                    }
                    "lang" => {
                        assert_eq!(schema["$ref"], "#/components/schemas/Locale", "{name}")
                    }
                    _ => assert!(
                        schema.get("type").is_some() || schema.get("$ref").is_some(),
                        "{name}"
                    ),
                }
            }
        }
        let schemas = &doc["components"]["schemas"];
        assert_eq!(
            schemas["Relationship"]["enum"],
            serde_json::json!([
                "customer", "supplier", "employee", "partner", "investor", "other"
            ])
        );
        let title = &schemas["SubmitReview"]["properties"]["title"];
        assert_eq!(title["maxLength"], domain::review::Title::MAX_CHARS);
        assert!(
            title["pattern"]
                .as_str()
                .unwrap()
                .starts_with("^[^\\u0000-")
        );
        let problem_type = &schemas["Problem"]["properties"]["type"];
        assert_eq!(problem_type["$ref"], "#/components/schemas/ProblemType");
    }
}
