//! `/api/v1/products`: commands go to the bus, reads come from the catalog read model.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use http_kernel::{ApiError, Caller, CommandIds, Json, Path, min_position};
use serde::Deserialize;
use shared_kernel::Money;
use shared_kernel::ids::ProductId;
use utoipa::ToSchema;

use super::openapi::{
    IdempotencyKeyHeader, MinPositionHeader, PendingCommand, PriceHistory, Problem, ProductDetail,
    ProductState,
};
use crate::application::MerchandiseCommand;
use crate::domain::NewVariant;
use crate::projections::{CATALOG, CatalogProduct, find_product, price_history, variants_of};
use event_schemas::merchandise::ProductOption;
use render::{lowest_price_30d, price_point_json, product_json};

mod render;
pub(crate) mod search;
pub(crate) mod variants;

pub type MerchandiseApi = http_kernel::ContextApi;

pub fn router(api: MerchandiseApi) -> Router {
    Router::new()
        .route("/api/v1/products", post(create_product).get(search::list))
        .route(
            "/api/v1/products/{id}",
            get(get_product).patch(change_details),
        )
        .route("/api/v1/products/{id}/publish", post(publish_product))
        .route("/api/v1/products/{id}/price", post(change_price))
        .route(
            "/api/v1/products/{id}/variants",
            post(variants::add_variant),
        )
        .route(
            "/api/v1/products/{id}/variants/{sku}",
            patch(variants::change_variant),
        )
        .route(
            "/api/v1/products/{id}/price-history",
            get(get_price_history),
        )
        .with_state(api)
}

/// A new product (a draft until published).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "Walnut chess board", "description": "Hand-made, 45 cm.", "category": "games",
    "price": { "amount_minor": 12900, "currency": "EUR" }, "sku": "CHESS-WALNUT-45",
    "attributes": { "material": "walnut" }
}))]
pub(super) struct CreateProduct {
    title: String,
    #[serde(default)]
    description: String,
    category: String,
    price: Money,
    /// Unique across the marketplace (`sku_taken` otherwise). Required without `variants`;
    /// with them, left out (or the first variant's): the first variant is the default.
    #[serde(default)]
    sku: String,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
    /// The options variants choose from (at most 3, each with 1 to 50 values); set only here.
    #[serde(default)]
    #[schema(value_type = Vec<variants::ProductOptionBody>)]
    options: Vec<ProductOption>,
    /// With `options`: 1 to 100 variants, each naming one value of every option.
    #[serde(default)]
    #[schema(value_type = Vec<variants::NewVariantBody>)]
    variants: Vec<NewVariant>,
}

/// The details to change; absent fields keep their value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ChangeDetails {
    title: Option<String>,
    description: Option<String>,
    category: Option<String>,
}

/// The new price.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ChangePrice {
    price: Money,
}

fn parse_id(id: &str) -> Result<ProductId, ApiError> {
    id.parse().map_err(|_| ApiError::NotFound("product".into()))
}

#[utoipa::path(
    post,
    path = "/api/v1/products",
    tag = "merchandise",
    summary = "Create a product (a draft)",
    params(IdempotencyKeyHeader),
    request_body = CreateProduct,
    responses(
        (status = 201, description = "Created, as a draft", body = ProductState,
            headers(
                ("Location" = String, description = "The product: `/api/v1/products/{id}`"),
                ("Agora-Position" = u64, description = "Global position of the write's last event: send it as Agora-Min-Position to read your write"),
            )),
        (status = 202, description = "The reply is late: the command may still complete; `Location` (and the body) name where its outcome will be", body = PendingCommand,
            headers(("Location" = String, description = "The command's status"))),
        (status = 400, description = "`malformed_json`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`sku_taken`: another product has this sku (or a variant's); `product_exists`; `concurrency_conflict`; `idempotency_key_in_flight`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed` (title, category, price, sku, attributes, options, or an `Idempotency-Key` that is not 1 to 255 visible characters); `variant_options_mismatch`: a variant's option values are not one value of each option; `duplicate_variant`: two variants with the same option values; `product_has_no_options`: variants without options; `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the merchandise service is not reachable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
async fn create_product(
    State(api): State<MerchandiseApi>,
    caller: Caller,
    ids: CommandIds,
    Json(req): Json<CreateProduct>,
) -> Result<Response, ApiError> {
    let product_id = ProductId::derived(ids.command_id(), "product");
    let command = MerchandiseCommand::CreateProduct {
        product_id,
        title: req.title,
        description: req.description,
        category: req.category,
        sku: req.sku,
        price: req.price,
        attributes: req.attributes,
        options: req.options,
        variants: req.variants,
    };
    api.send_created(
        &caller,
        ids,
        &command,
        &format!("/api/v1/products/{product_id}"),
    )
    .await
}

#[utoipa::path(
    post,
    path = "/api/v1/products/{id}/publish",
    tag = "merchandise",
    summary = "Publish a draft (draft -> active)",
    params(("id" = String, Path, description = "The product id (UUID)"), IdempotencyKeyHeader),
    responses(
        (status = 200, description = "Published", body = ProductState,
            headers(("Agora-Position" = u64, description = "Global position of the write's last event: send it as Agora-Min-Position to read your write"))),
        (status = 202, description = "The reply is late: the command may still complete; `Location` (and the body) name where its outcome will be", body = PendingCommand,
            headers(("Location" = String, description = "The command's status"))),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such product, or the caller is not its seller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_product_state`: not a draft; `concurrency_conflict`; `idempotency_key_in_flight`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`; `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the merchandise service is not reachable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
async fn publish_product(
    State(api): State<MerchandiseApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let command = MerchandiseCommand::PublishProduct {
        product_id: parse_id(&id)?,
    };
    api.send(&caller, ids, &command, StatusCode::OK).await
}

#[utoipa::path(
    patch,
    path = "/api/v1/products/{id}",
    tag = "merchandise",
    summary = "Change a product's title, description or category",
    params(("id" = String, Path, description = "The product id (UUID)"), IdempotencyKeyHeader),
    request_body = ChangeDetails,
    responses(
        (status = 200, description = "Changed", body = ProductState,
            headers(("Agora-Position" = u64, description = "Global position of the write's last event: send it as Agora-Min-Position to read your write"))),
        (status = 202, description = "The reply is late: the command may still complete; `Location` (and the body) name where its outcome will be", body = PendingCommand,
            headers(("Location" = String, description = "The command's status"))),
        (status = 400, description = "`malformed_json`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such product, or the caller is not its seller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_product_state`; `concurrency_conflict`; `idempotency_key_in_flight`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`; `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the merchandise service is not reachable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
async fn change_details(
    State(api): State<MerchandiseApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<ChangeDetails>,
) -> Result<Response, ApiError> {
    let command = MerchandiseCommand::ChangeProductDetails {
        product_id: parse_id(&id)?,
        title: req.title,
        description: req.description,
        category: req.category,
    };
    api.send(&caller, ids, &command, StatusCode::OK).await
}

#[utoipa::path(
    post,
    path = "/api/v1/products/{id}/price",
    tag = "merchandise",
    summary = "Change a product's price",
    params(("id" = String, Path, description = "The product id (UUID)"), IdempotencyKeyHeader),
    request_body = ChangePrice,
    responses(
        (status = 200, description = "Changed", body = ProductState,
            headers(("Agora-Position" = u64, description = "Global position of the write's last event: send it as Agora-Min-Position to read your write"))),
        (status = 202, description = "The reply is late: the command may still complete; `Location` (and the body) name where its outcome will be", body = PendingCommand,
            headers(("Location" = String, description = "The command's status"))),
        (status = 400, description = "`malformed_json`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such product, or the caller is not its seller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_product_state`; `concurrency_conflict`; `idempotency_key_in_flight`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`; `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the merchandise service is not reachable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
async fn change_price(
    State(api): State<MerchandiseApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<ChangePrice>,
) -> Result<Response, ApiError> {
    let command = MerchandiseCommand::ChangeProductPrice {
        product_id: parse_id(&id)?,
        price: req.price,
    };
    api.send(&caller, ids, &command, StatusCode::OK).await
}

/// The product if the caller may see it: drafts are visible to their seller only.
async fn visible_product(
    api: &MerchandiseApi,
    caller: Option<Caller>,
    id: &str,
    headers: &HeaderMap,
) -> Result<CatalogProduct, ApiError> {
    // A malformed header is the request's fault whatever the id: check it first.
    min_position(headers)?;
    let id = parse_id(id)?;
    api.wait_for(headers, &[CATALOG]).await?;
    let product = find_product(&api.read, &id.to_string())
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::NotFound("product".into()))?;
    let is_seller = caller.is_some_and(|c| c.user_id.to_string() == product.seller_id);
    if product.status == "draft" && !is_seller {
        return Err(ApiError::NotFound("product".into()));
    }
    Ok(product)
}

#[utoipa::path(
    get,
    path = "/api/v1/products/{id}",
    tag = "merchandise",
    summary = "A product, with its available stock",
    params(("id" = String, Path, description = "The product id (UUID)"), MinPositionHeader),
    responses(
        (status = 200, description = "The product (a draft only to its seller)", body = ProductDetail),
        (status = 400, description = "`invalid_min_position`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`: credentials were sent and refused", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such product, or a draft of another seller", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the catalog has not reached `Agora-Min-Position` in time", body = Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = [])),
)]
async fn get_product(
    State(api): State<MerchandiseApi>,
    caller: Option<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let product = visible_product(&api, caller, &id, &headers).await?;
    let history = price_history(&api.read, &product.id)
        .await
        .map_err(ApiError::internal)?;
    let variants = variants_of(&api.read, std::slice::from_ref(&product.id))
        .await
        .map_err(ApiError::internal)?;
    let mut body = product_json(
        &product,
        variants.get(&product.id).map_or(&[][..], Vec::as_slice),
    );
    body["lowest_price_30d"] = lowest_price_30d(&history);
    Ok(Json(body).into_response())
}

/// `GET /products/{id}/price-history`: every price, oldest first. A product has few prices,
/// so the list comes whole (`next_cursor` is always null).
#[utoipa::path(
    get,
    path = "/api/v1/products/{id}/price-history",
    tag = "merchandise",
    summary = "A product's prices, oldest first",
    params(("id" = String, Path, description = "The product id (UUID)"), MinPositionHeader),
    responses(
        (status = 200, description = "Every price of the product, whole (`next_cursor` is always null)", body = PriceHistory),
        (status = 400, description = "`invalid_min_position`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`: credentials were sent and refused", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such product, or a draft of another seller", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the catalog has not reached `Agora-Min-Position` in time", body = Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = [])),
)]
async fn get_price_history(
    State(api): State<MerchandiseApi>,
    caller: Option<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let product = visible_product(&api, caller, &id, &headers).await?;
    let history = price_history(&api.read, &product.id)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(serde_json::json!({
        "items": history.iter().map(price_point_json).collect::<Vec<_>>(),
        "next_cursor": null,
        "lowest_price_30d": lowest_price_30d(&history),
    }))
    .into_response())
}
