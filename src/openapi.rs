//! The API's description: one OpenAPI 3.1 document assembled from every selected context's
//! own (`Context::openapi`) and the operations routes, served at `GET /api/v1/openapi.json`,
//! browsable with Swagger UI at `/docs` (assets compiled into the binary), printed by
//! `agora openapi` (the committed `openapi.json` is that output).

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::Modify as _;
use utoipa::openapi::OpenApi;
use utoipa_swagger_ui::{Config, SwaggerUi};

/// Where the document is served.
pub const DOCUMENT_PATH: &str = "/api/v1/openapi.json";
/// Where Swagger UI is served.
pub const DOCS_PATH: &str = "/docs";

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Agora",
        description = "An event-sourced marketplace and community: identity, catalog, inventory, \
            orders, payments and communities behind one REST API. Errors are \
            `application/problem+json` with a stable `code`; writes accept `Idempotency-Key` and \
            answer `Agora-Position`, which a read sends back as `Agora-Min-Position` to read its \
            own writes.",
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0"),
    ),
    servers((url = "/", description = "The server that serves this document")),
)]
struct Root;

/// The document of the routes of `contexts` (each context's own) and of the operations
/// routes: the info, the servers, the security schemes.
#[must_use]
pub fn document<'a>(contexts: impl IntoIterator<Item = &'a OpenApi>) -> OpenApi {
    let mut doc = <Root as utoipa::OpenApi>::openapi();
    doc.merge(document_routes().into_openapi());
    doc.merge(crate::ops::routes_document());
    for context in contexts {
        doc.merge(context.clone());
    }
    // After the merge: the session cookie is added beside every context's `bearer`, and the
    // edge layers' answers to every operation with path or query parameters.
    http_kernel::openapi::SecuritySchemes.modify(&mut doc);
    http_kernel::openapi::EdgeResponses.modify(&mut doc);
    doc
}

/// The document as served and committed: pretty JSON with a final newline.
///
/// # Errors
/// Never in practice (the document is plain data).
pub fn to_json(doc: &OpenApi) -> serde_json::Result<String> {
    let mut text = doc.to_pretty_json()?;
    text.push('\n');
    Ok(text)
}

/// This description (the document served at this path).
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "ops",
    responses((status = 200, description = "The OpenAPI 3.1 description of this API", content_type = "application/json", body = Object))
)]
async fn document_json(State(text): State<Arc<str>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        text.to_string(),
    )
        .into_response()
}

/// The document's own route, declared once.
fn document_routes() -> http_kernel::Routes<Arc<str>> {
    http_kernel::Routes::new().routes(http_kernel::routes!(document_json))
}

/// `GET /api/v1/openapi.json` (the document) and Swagger UI at `/docs`.
///
/// # Errors
/// The document cannot be serialized (never in practice).
pub fn router(doc: &OpenApi) -> serde_json::Result<Router> {
    let text: Arc<str> = to_json(doc)?.into();
    let ui = SwaggerUi::new(DOCS_PATH).config(
        Config::new([DOCUMENT_PATH])
            .try_it_out_enabled(true)
            .persist_authorization(true),
    );
    Ok(Router::from(document_routes().with_state(text)).merge(ui))
}
