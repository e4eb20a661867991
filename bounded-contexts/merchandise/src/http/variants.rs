//! `/api/v1/products/{id}/variants`: a seller adds variants to a product with options and
//! sets or clears a variant's price override.

use std::collections::BTreeMap;

use axum::extract::State;
use http_kernel::{ApiError, Caller, CommandIds, Json, Path, Written};
use serde::Deserialize;
use shared_kernel::Money;
use utoipa::ToSchema;

use super::{MerchandiseApi, PRODUCT_ID, product_id};
use crate::application::{ProductRequest, ProductState};
use crate::domain::NewVariant;

/// A new variant.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "sku": "TEE-M-BLUE", "option_values": { "size": "M", "colour": "blue" },
    "price": { "amount_minor": 2500, "currency": "EUR" }
}))]
pub(super) struct NewVariantBody {
    /// Unique across the marketplace (`sku_taken` otherwise): letters, digits, `-`, `_`.
    sku: String,
    /// One value of every option of the product, nothing else.
    #[serde(default)]
    option_values: BTreeMap<String, String>,
    /// Overrides the product's price (same currency, above 0); absent: the product's price.
    #[serde(default)]
    price: Option<Money>,
}

impl NewVariantBody {
    /// The variant as the domain takes it.
    pub(super) fn into_new(self) -> NewVariant {
        NewVariant {
            sku: self.sku,
            option_values: self.option_values,
            price: self.price,
        }
    }
}

/// A variant's price override: a price, or null to sell at the product's price again. The
/// field is required: a body without it is refused (422), not taken as null.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "price": { "amount_minor": 2700, "currency": "EUR" } }))]
pub(super) struct ChangeVariant {
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
    summary = "Add a variant to a product with options",
    params(("id" = String, Path, description = PRODUCT_ID)),
    request_body = NewVariantBody,
    responses(
        (status = 201, description = "Added (adding the same variant again changes nothing)", body = ProductState,
            headers(("Location" = String, description = "The product: `/api/v1/products/{id}`"))),
        (status = 404, description = "`not_found`: no such product, or not the caller's"),
        (status = 409, description = "`sku_taken`: another product has this sku; `variant_exists`: the product has a different variant with this sku; `invalid_product_state`: archived"),
        (status = 422, description = "`validation_failed` (sku, price, at most 100 variants); `variant_options_mismatch`; `duplicate_variant`: another variant has these option values; `product_has_no_options`"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn add_variant(
    State(api): State<MerchandiseApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<NewVariantBody>,
) -> Result<Written<ProductState>, ApiError> {
    let command = ProductRequest::AddVariant {
        product_id: product_id(&id)?,
        variant: req.into_new(),
    };
    let written = api.command(&caller, ids, &command.into_command()).await?;
    Ok(written.created(|p: &ProductState| format!("/api/v1/products/{}", p.id)))
}

#[utoipa::path(
    patch,
    path = "/api/v1/products/{id}/variants/{sku}",
    summary = "Set or clear a variant's price override",
    params(
        ("id" = String, Path, description = PRODUCT_ID),
        ("sku" = String, Path, description = "The variant's sku"),
    ),
    request_body = ChangeVariant,
    responses(
        (status = 200, description = "Changed", body = ProductState),
        (status = 404, description = "`not_found`: no such product, or not the caller's; `variant_not_found`: the product has no such variant"),
        (status = 409, description = "`invalid_product_state`: archived"),
        (status = 422, description = "`validation_failed`: a price out of range or in another currency"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn change_variant(
    State(api): State<MerchandiseApi>,
    caller: Caller,
    ids: CommandIds,
    Path((id, sku)): Path<(String, String)>,
    Json(req): Json<ChangeVariant>,
) -> Result<Written<ProductState>, ApiError> {
    let command = ProductRequest::ChangeVariantPrice {
        product_id: product_id(&id)?,
        sku,
        price: req.price,
    };
    api.command(&caller, ids, &command.into_command()).await
}
