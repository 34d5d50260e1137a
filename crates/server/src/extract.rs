//! Extractors that turn a request into typed input or a problem: JSON bodies, query strings
//! and bearer credentials. Every rejection is an [`ApiError`], never axum's plain-text one.

use axum::extract::{FromRef, FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use bytes::Bytes;
use domain::secret::TokenHash;
use domain::{FieldError, ValidationErrors};
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::ApiError;

/// A path parameter. A path that does not decode (`%FF` is not UTF-8) names nothing here:
/// 404, as a problem, rather than axum's plain-text 400.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| ApiPath(value))
            .map_err(|_| ApiError::NotFound("resource"))
    }
}

/// A JSON body. Declared as JSON, within the size limit, well-formed UTF-8 JSON, of the
/// expected shape (unknown fields are refused by the target types).
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json" || mime.ends_with("+json")
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::MalformedBody("The body could not be read.".into())
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses JSON, telling a malformed document (400) from a well-formed one of the wrong shape
/// (422, naming the field).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = match serde_path_to_error::deserialize(&mut de) {
        Ok(value) => value,
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            return Err(match inner.classify() {
                serde_json::error::Category::Data => {
                    let message = inner.to_string();
                    let message = message
                        .split(" at line ")
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    // serde names a missing field in its message, not in the path.
                    let field = message
                        .strip_prefix("missing field `")
                        .and_then(|rest| rest.split('`').next())
                        .map(|name| {
                            if path == "." {
                                name.to_owned()
                            } else {
                                format!("{path}.{name}")
                            }
                        })
                        .unwrap_or(path);
                    let code = if message.starts_with("missing field") {
                        "required"
                    } else if message.starts_with("unknown field") {
                        "unknown_field"
                    } else {
                        "invalid_type"
                    };
                    ApiError::Validation(ValidationErrors(vec![FieldError {
                        field,
                        code,
                        message,
                    }]))
                }
                _ => ApiError::MalformedBody(format!("The body is not valid JSON: {inner}.")),
            });
        }
    };
    de.end()
        .map_err(|e| ApiError::MalformedBody(format!("The body is not valid JSON: {e}.")))?;
    Ok(value)
}

/// Query parameters, with a problem naming the bad parameter instead of a plain-text 400.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Query::<T>::try_from_uri(&parts.uri)
            .map(|Query(q)| ApiQuery(q))
            .map_err(|rejection| {
                let text = rejection.body_text();
                let message = text
                    .strip_prefix("Failed to deserialize query string: ")
                    .unwrap_or(&text)
                    .to_owned();
                let field = message
                    .split(':')
                    .next()
                    .unwrap_or("query")
                    .trim()
                    .to_owned();
                ApiError::InvalidQuery(ValidationErrors(vec![FieldError {
                    field,
                    code: "invalid_type",
                    message,
                }]))
            })
    }
}

/// The bearer credential of a request, hashed: the clear value is never kept.
fn bearer(parts: &Parts, missing: &'static str) -> Result<TokenHash, ApiError> {
    let value = parts
        .headers
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::Unauthorized(missing))?;
    let value = value
        .to_str()
        .map_err(|_| ApiError::Unauthorized("The Authorization header is malformed."))?;
    let (scheme, token) = value.split_once(' ').ok_or(ApiError::Unauthorized(
        "Use `Authorization: Bearer <token>`.",
    ))?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(ApiError::Unauthorized(
            "Use `Authorization: Bearer <token>`.",
        ));
    }
    Ok(TokenHash::of(token))
}

/// The business whose live API key authenticated the request.
#[derive(Debug)]
pub struct BusinessAuth(pub store::Business);

impl<S> FromRequestParts<S> for BusinessAuth
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let key = bearer(
            parts,
            "This endpoint needs a business API key as a Bearer token.",
        )?;
        let state = AppState::from_ref(state);
        state
            .store
            .business_by_api_key(key)
            .await?
            .map(BusinessAuth)
            .ok_or(ApiError::Unauthorized("The API key is not valid."))
    }
}

/// The client's address, for the log-in limits: the connection's peer (set by
/// [`crate::serve`]), or, behind a reverse proxy (`AppState::behind_proxy`), the last address
/// in `X-Forwarded-For`: the one the proxy itself appended, which a client cannot forge; a
/// request that reaches it without one (or with an unreadable one) is its peer's, never
/// nobody's. A loopback peer without `--behind-proxy` counts as one client, like any other
/// peer: a proxy on the same host must be declared, or its clients share one limit (left
/// uncounted, every guess through it went unlimited). `None` only when unknown.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<std::net::IpAddr>);

impl<S> FromRequestParts<S> for ClientIp
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Self, std::convert::Infallible> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        if !AppState::from_ref(state).behind_proxy {
            return Ok(ClientIp(peer));
        }
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .next_back()
            .and_then(|entry| forwarded_ip(entry.trim()));
        Ok(ClientIp(forwarded.or(peer)))
    }
}

/// An `X-Forwarded-For` entry: an address, perhaps with a port (`192.0.2.1:443`,
/// `[2001:db8::1]:443`); `None` for anything else (`unknown`, an obfuscated name).
fn forwarded_ip(entry: &str) -> Option<std::net::IpAddr> {
    entry
        .parse()
        .ok()
        .or_else(|| entry.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
}

#[cfg(test)]
mod client_ip_tests {
    #[test]
    fn forwarded_entries_with_and_without_ports() {
        let ip = |s: &str| super::forwarded_ip(s).map(|i| i.to_string());
        assert_eq!(ip("192.0.2.1").as_deref(), Some("192.0.2.1"));
        assert_eq!(ip("192.0.2.1:443").as_deref(), Some("192.0.2.1"));
        assert_eq!(ip("2001:db8::1").as_deref(), Some("2001:db8::1"));
        assert_eq!(ip("[2001:db8::1]:443").as_deref(), Some("2001:db8::1"));
        assert_eq!(ip("unknown"), None);
        assert_eq!(ip("_hidden"), None);
    }
}

/// A reviewer's edit token (checked against the review by the write path).
#[derive(Debug)]
pub struct EditToken(pub TokenHash);

impl<S: Send + Sync> FromRequestParts<S> for EditToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        bearer(
            parts,
            "This endpoint needs the review's edit token as a Bearer token.",
        )
        .map(EditToken)
    }
}

/// A whole number in a JSON body, written as an integer (`4`) or not (`4.0`, `4e0`): what
/// JSON Schema's `integer`, which the OpenAPI document states, admits, and what the errors
/// call "a whole number". A fraction (`4.5`), a string or any other value is refused, as
/// `invalid_type`. Use with `#[serde(deserialize_with = "whole::number")]`, or
/// `#[serde(default, deserialize_with = "whole::optional")]` on an `Option<i64>`.
pub mod whole {
    use serde::Deserializer;
    use serde::de::{Error, Unexpected, Visitor};
    use std::fmt;

    struct Whole;

    impl Visitor<'_> for Whole {
        type Value = i64;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a whole number")
        }

        fn visit_i64<E: Error>(self, v: i64) -> Result<i64, E> {
            Ok(v)
        }

        fn visit_u64<E: Error>(self, v: u64) -> Result<i64, E> {
            i64::try_from(v).map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &self))
        }

        fn visit_f64<E: Error>(self, v: f64) -> Result<i64, E> {
            // Every f64 in this range converts exactly; `as` would saturate beyond it.
            const LIMIT: f64 = 9_007_199_254_740_992.0; // 2^53
            if v.fract() == 0.0 && v.abs() <= LIMIT {
                Ok(v as i64)
            } else {
                Err(E::invalid_type(Unexpected::Float(v), &self))
            }
        }
    }

    pub fn number<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        d.deserialize_any(Whole)
    }

    struct OptionalWhole;

    impl<'de> Visitor<'de> for OptionalWhole {
        type Value = Option<i64>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a whole number or null")
        }

        fn visit_none<E: Error>(self) -> Result<Option<i64>, E> {
            Ok(None)
        }

        fn visit_unit<E: Error>(self) -> Result<Option<i64>, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<i64>, D::Error> {
            number(d).map(Some)
        }
    }

    pub fn optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        d.deserialize_option(OptionalWhole)
    }

    #[cfg(test)]
    mod tests {
        #[derive(Debug, serde::Deserialize)]
        struct Body {
            #[serde(deserialize_with = "super::number")]
            n: i64,
            #[serde(default, deserialize_with = "super::optional")]
            o: Option<i64>,
        }

        fn parse(json: &str) -> Result<Body, String> {
            serde_json::from_str(json).map_err(|e| e.to_string())
        }

        #[test]
        fn whole_numbers_in_any_notation_and_nothing_else() {
            for (json, n) in [
                (r#"{"n": 4}"#, 4),
                (r#"{"n": 4.0}"#, 4),
                (r#"{"n": 4e0}"#, 4),
                (r#"{"n": -106.0}"#, -106),
                (r#"{"n": 0.0}"#, 0),
                (r#"{"n": 9223372036854775807}"#, i64::MAX),
            ] {
                let body = parse(json).unwrap();
                assert_eq!((body.n, body.o), (n, None), "{json}");
            }
            assert_eq!(parse(r#"{"n": 1, "o": 2.0}"#).unwrap().o, Some(2));
            assert_eq!(parse(r#"{"n": 1, "o": null}"#).unwrap().o, None);
            for json in [
                r#"{"n": 4.5}"#,
                r#"{"n": "4"}"#,
                r#"{"n": true}"#,
                r#"{"n": null}"#,
                r#"{"n": 1e300}"#,
                r#"{"n": 9223372036854775808}"#,
                r#"{"n": 1, "o": 0.5}"#,
                r#"{"n": 1, "o": "2"}"#,
                r#"{}"#,
            ] {
                assert!(parse(json).is_err(), "{json}");
            }
        }
    }
}
