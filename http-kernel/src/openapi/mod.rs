//! What every context's OpenAPI description shares: the error body ([`Problem`](crate::Problem),
//! schema `Problem`), the security schemes, the headers of the read-your-writes and idempotency
//! contracts.
//!
//! A context describes each route with `#[utoipa::path(...)]` beside its handler and declares
//! it once with `routes!` (see [`crate::router`]); `Context::with_routes` completes the
//! context's document with what every operation shares ([`ContextOperations`]), and the
//! composition root merges every context's document into one, adding what is declared here
//! ([`SecuritySchemes`], [`EdgeResponses`]).
//!
//! In a `#[utoipa::path]`, a route declares only what is its own: method, path, summary, its
//! parameters (`params(Page)` for a list), `request_body`, its success response with the
//! type it returns, the refusals of its own rules (`(status = 409, description = "`sku_taken`:
//! ...")`: the problem body is added), and `security(("bearer" = []))` when it needs a caller
//! ([`BEARER`]; the root adds the session cookie, [`SESSION`], as the alternative). Everything
//! else is added by [`ContextOperations`].

mod shared;

pub use shared::{ANSWERS_DIRECTLY, ContextOperations, schemas as shared_schemas};

use utoipa::openapi::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify};

use crate::caller::SESSION_COOKIE;

/// The security scheme of an access token in `Authorization: Bearer <token>`.
pub const BEARER: &str = "bearer";
/// The security scheme of the `agora_session` cookie login can set (the same access token).
pub const SESSION: &str = "session";
/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";
/// The description of the `Agora-Position` response header of every write.
pub const AGORA_POSITION_DESCRIPTION: &str = "Global position of the write's last event: send \
     it as Agora-Min-Position to read your write";

/// Adds the security schemes [`BEARER`] and [`SESSION`] to a document's components, and the
/// session cookie as the alternative of every `bearer` requirement.
#[derive(Debug, Clone, Copy, Default)]
pub struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "The access token of `POST /api/v1/sessions` (EdDSA JWT, 15 minutes), \
                         in `Authorization: Bearer <token>`",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            SESSION,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                SESSION_COOKIE,
                "The same access token in the HTTP-only cookie `POST /api/v1/sessions?cookie=true` \
                 sets; the `Authorization` header wins when both are sent",
            ))),
        );
        for item in openapi.paths.paths.values_mut() {
            for operation in [
                &mut item.get,
                &mut item.head,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                add_session_alternative(operation);
            }
        }
    }
}

/// The answers of the edge layers ([`crate::edge`]) every route sits behind, added to each
/// operation with path or query parameters that does not describe them itself: `400
/// malformed_uri` (not UTF-8), `414 uri_too_long`, `422 validation_failed` (a control
/// character in the path or query).
#[derive(Debug, Clone, Copy, Default)]
pub struct EdgeResponses;

impl Modify for EdgeResponses {
    fn modify(&self, openapi: &mut OpenApi) {
        use utoipa::openapi::path::ParameterIn;
        let edge = [
            (
                "400",
                "`malformed_uri`: the path or query does not decode to UTF-8",
            ),
            (
                "414",
                "`uri_too_long`: the path or the query string is too long",
            ),
            (
                "422",
                "`validation_failed`: the path or query holds a control character",
            ),
        ];
        for item in openapi.paths.paths.values_mut() {
            let item_has_params = item.parameters.as_ref().is_some_and(|p| !p.is_empty());
            for operation in [
                &mut item.get,
                &mut item.head,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                let has_params = item_has_params
                    || operation.parameters.as_ref().is_some_and(|ps| {
                        ps.iter().any(|p| {
                            matches!(p.parameter_in, ParameterIn::Path | ParameterIn::Query)
                        })
                    });
                if !has_params {
                    continue;
                }
                for (status, description) in edge {
                    if !operation.responses.responses.contains_key(status) {
                        operation
                            .responses
                            .responses
                            .insert(status.to_owned(), problem_response(description).into());
                    }
                }
            }
            if let Some(head) = item.head.as_mut() {
                shared::without_bodies(head);
            }
        }
    }
}

/// A response whose body is a [`Problem`](crate::Problem) (`application/problem+json`).
#[must_use]
pub fn problem_response(description: &str) -> utoipa::openapi::Response {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

/// `bearer` required: also accept the cookie (an alternative requirement, once).
fn add_session_alternative(operation: &mut utoipa::openapi::path::Operation) {
    use utoipa::openapi::security::SecurityRequirement;
    let Some(security) = operation.security.as_mut() else {
        return;
    };
    let names = |r: &SecurityRequirement| {
        serde_json::to_value(r)
            .ok()
            .and_then(|v| v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()))
            .unwrap_or_default()
    };
    let wants_bearer = security.iter().any(|r| names(r) == [BEARER]);
    let has_session = security.iter().any(|r| names(r) == [SESSION]);
    if wants_bearer && !has_session {
        security.push(SecurityRequirement::new(SESSION, Vec::<String>::new()));
    }
}

/// The `Idempotency-Key` header of a write: `params(IdempotencyKeyHeader)`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKeyHeader {
    /// Makes the write safe to retry: a repeat with the same key and body answers the first
    /// response (`Idempotent-Replayed: true`); the same key with another body is `422
    /// idempotency_key_reused`. 1 to 255 visible ASCII characters, kept 24 hours per user.
    #[param(
        rename = "Idempotency-Key",
        min_length = 1,
        max_length = 255,
        pattern = "^[\\x21-\\x7E]+$",
        example = "order-2026-0001"
    )]
    pub idempotency_key: Option<String>,
}

/// The `Agora-Min-Position` header of a read: `params(MinPositionHeader)`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct MinPositionHeader {
    /// Read your writes: the `Agora-Position` of a write; the read waits (bounded) until its
    /// read model has applied that position, else answers `503 unavailable` (with `Retry-After`).
    #[param(
        rename = "Agora-Min-Position",
        minimum = 0,
        maximum = 9_223_372_036_854_775_807_u64,
        example = 42
    )]
    pub min_position: Option<u64>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use utoipa::OpenApi as _;

    #[utoipa::path(get, path = "/x", security(("bearer" = [])), params(MinPositionHeader, IdempotencyKeyHeader), responses((status = 200, description = "ok", headers(("Agora-Position" = u64, description = "p")), body = crate::Problem, content_type = "application/problem+json")))]
    #[allow(dead_code)]
    fn x() {}

    #[utoipa::path(head, path = "/y/{id}", params(("id" = String, Path, description = "id")), responses((status = 200, description = "ok")))]
    #[allow(dead_code)]
    fn y() {}

    #[derive(utoipa::OpenApi)]
    #[openapi(paths(x, y), modifiers(&SecuritySchemes, &EdgeResponses))]
    struct Doc;

    /// Found by schemathesis: a `HEAD` route with a path parameter answered the edge's 422
    /// undocumented. It gets the edge's answers like a `GET`, without bodies.
    #[test]
    fn a_head_route_gets_the_edge_answers_without_bodies() {
        let doc = serde_json::to_value(Doc::openapi()).unwrap();
        let responses = &doc["paths"]["/y/{id}"]["head"]["responses"];
        for status in ["400", "414", "422"] {
            assert!(
                responses[status].is_object(),
                "{status} missing: {responses}"
            );
            assert!(
                responses[status]["content"].is_null(),
                "{status} has a body"
            );
        }
    }

    #[test]
    fn the_shared_pieces_appear_in_a_document() {
        let doc = serde_json::to_value(Doc::openapi()).unwrap();
        let op = &doc["paths"]["/x"]["get"];
        let params: Vec<&str> = op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(params, ["Agora-Min-Position", "Idempotency-Key"]);
        assert_eq!(op["parameters"][0]["in"], "header");
        assert_eq!(
            op["security"],
            serde_json::json!([{ "bearer": [] }, { "session": [] }])
        );
        assert!(doc["components"]["schemas"]["Problem"].is_object());
        // The edge's answers, beside the route's own (no params here but headers: none added).
        assert!(op["responses"]["422"].is_null());
        assert_eq!(
            doc["components"]["securitySchemes"]["session"]["name"],
            "agora_session"
        );
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
    }
}
