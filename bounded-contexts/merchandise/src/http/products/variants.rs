//! `/api/v1/products/{id}/variants`: a seller adds variants to a product with options and
//! sets or clears a variant's price override.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use http_kernel::{ApiError, Caller, CommandIds, Json, Path};
use serde::{Deserialize, Serialize};
use shared_kernel::Money;
use utoipa::ToSchema;

use super::super::openapi::{IdempotencyKeyHeader, PendingCommand, Problem, ProductState};
use super::{MerchandiseApi, parse_id};
use crate::application::MerchandiseCommand;
use crate::domain::NewVariant;

/// An option variants choose from (documentation of `ProductOption`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({ "name": "size", "values": ["S", "M", "L"] }))]
pub(crate) struct ProductOptionBody {
    /// 1 to 64 characters, unique in the product.
    name: String,
    /// 1 to 50 distinct values, in the order buyers see them.
    values: Vec<String>,
}

/// A new variant.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "sku": "TEE-M-BLUE", "option_values": { "size": "M", "colour": "blue" },
    "price": { "amount_minor": 2500, "currency": "EUR" }
}))]
pub(crate) struct NewVariantBody {
    /// Unique across the marketplace (`sku_taken` otherwise): letters, digits, `-`, `_`.
    sku: String,
    /// One value of every option of the product, nothing else.
    #[serde(default)]
    option_values: BTreeMap<String, String>,
    /// Overrides the product's price (same currency, above 0); absent: the product's price.
    #[serde(default)]
    price: Option<Money>,
}

/// A variant's price override: a price, or null to sell at the product's price again. The
/// field is required: a body without it is refused (422), not taken as null.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "price": { "amount_minor": 2700, "currency": "EUR" } }))]
pub(crate) struct ChangeVariant {
    #[serde(deserialize_with = "price_or_null")]
    #[schema(required = true)]
    price: Option<Money>,
}

/// A `price` that must be present, as a price or as null (serde takes a missing `Option`
/// field as null unless the field has its own deserializer).
fn price_or_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Money>, D::Error> {
    Option::<Money>::deserialize(d)
}

#[utoipa::path(
    post,
    path = "/api/v1/products/{id}/variants",
    tag = "merchandise",
    summary = "Add a variant to a product with options",
    params(("id" = String, Path, description = "The product id (UUID)"), IdempotencyKeyHeader),
    request_body = NewVariantBody,
    responses(
        (status = 201, description = "Added (adding the same variant again changes nothing)", body = ProductState,
            headers(
                ("Location" = String, description = "The product: `/api/v1/products/{id}`"),
                ("Agora-Position" = u64, description = "Global position of the write's last event: send it as Agora-Min-Position to read your write"),
            )),
        (status = 202, description = "The reply is late: the command may still complete; `Location` (and the body) name where its outcome will be", body = PendingCommand,
            headers(("Location" = String, description = "The command's status"))),
        (status = 400, description = "`malformed_json`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such product, or the caller is not its seller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`sku_taken`: another product has this sku; `variant_exists`: the product has a different variant with this sku; `invalid_product_state`: archived; `concurrency_conflict`; `idempotency_key_in_flight`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed` (sku, price, at most 100 variants); `variant_options_mismatch`; `duplicate_variant`: another variant has these option values; `product_has_no_options`; `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the merchandise service is not reachable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn add_variant(
    State(api): State<MerchandiseApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<NewVariantBody>,
) -> Result<Response, ApiError> {
    let product_id = parse_id(&id)?;
    let command = MerchandiseCommand::AddVariant {
        product_id,
        variant: NewVariant {
            sku: req.sku,
            option_values: req.option_values,
            price: req.price,
        },
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
    patch,
    path = "/api/v1/products/{id}/variants/{sku}",
    tag = "merchandise",
    summary = "Set or clear a variant's price override",
    params(
        ("id" = String, Path, description = "The product id (UUID)"),
        ("sku" = String, Path, description = "The variant's sku"),
        IdempotencyKeyHeader,
    ),
    request_body = ChangeVariant,
    responses(
        (status = 200, description = "Changed", body = ProductState,
            headers(("Agora-Position" = u64, description = "Global position of the write's last event: send it as Agora-Min-Position to read your write"))),
        (status = 202, description = "The reply is late: the command may still complete; `Location` (and the body) name where its outcome will be", body = PendingCommand,
            headers(("Location" = String, description = "The command's status"))),
        (status = 400, description = "`malformed_json`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such product, or the caller is not its seller; `variant_not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_product_state`: archived; `concurrency_conflict`; `idempotency_key_in_flight`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: a price not above 0 or in another currency; `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the merchandise service is not reachable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn change_variant(
    State(api): State<MerchandiseApi>,
    caller: Caller,
    ids: CommandIds,
    Path((id, sku)): Path<(String, String)>,
    Json(req): Json<ChangeVariant>,
) -> Result<Response, ApiError> {
    let command = MerchandiseCommand::ChangeVariantPrice {
        product_id: parse_id(&id)?,
        sku,
        price: req.price,
    };
    api.send(&caller, ids, &command, StatusCode::OK).await
}
