//! `/api/v1/products` and `/api/v1/products/{id}`: a seller creates a product (a draft),
//! changes its details, publishes and archives it; anyone reads an active or archived one.

use std::collections::BTreeMap;

use axum::extract::State;
use http_kernel::{ApiError, Caller, CommandIds, Json, Path, Written};
use serde::{Deserialize, Serialize};
use shared_kernel::ids::ProductId;
use shared_kernel::{Currency, Money};
use utoipa::ToSchema;

use super::as_of::product_at;
use super::prices::lowest_price_30d;
use super::variants::NewVariantBody;
use super::{MerchandiseApi, PRODUCT_ID, product_id, visible_product};
use crate::application::{ProductRequest, ProductState};
use crate::projections::{CatalogProduct, CatalogVariant, price_history, variants_of};
use event_schemas::merchandise::ProductOption;
use http_kernel::AsOf;

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
    options: Vec<ProductOptionBody>,
    /// With `options`: 1 to 100 variants, each naming one value of every option.
    #[serde(default)]
    variants: Vec<NewVariantBody>,
}

/// An option variants choose from.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "name": "size", "values": ["S", "M", "L"] }))]
pub(super) struct ProductOptionBody {
    /// 1 to 64 characters, unique in the product.
    name: String,
    /// 1 to 50 distinct values, in the order buyers see them.
    values: Vec<String>,
}

/// The details to change; absent fields keep their value. (The price has a route of its own:
/// a `price` here is refused.)
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "title": "Walnut chess board, large" }))]
pub(super) struct ChangeDetails {
    title: Option<String>,
    description: Option<String>,
    category: Option<String>,
}

/// A product in the catalog.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Product {
    #[schema(format = Uuid)]
    id: String,
    #[schema(format = Uuid)]
    seller_id: String,
    /// `draft` (seen by its seller only), `active` or `archived` (no longer listed nor sold).
    status: String,
    title: String,
    description: String,
    category: String,
    /// The default variant's sku.
    sku: String,
    price: Money,
    attributes: BTreeMap<String, String>,
    /// Stock available for the sku (the default variant's); 0 until stock is received.
    available: i64,
    /// The options the variants choose from (empty for a single-sku product).
    options: Vec<ProductOptionBody>,
    /// Every variant, the default one (the product's `sku`) first.
    variants: Vec<ProductVariant>,
    /// The lowest and highest price of the variants.
    price_range: PriceRange,
    /// Whether some variant has stock available.
    in_stock: bool,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
    /// The product stream's version.
    version: i64,
}

/// A variant of a product.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ProductVariant {
    sku: String,
    /// Option name -> value (`{}` for a single-sku product's default variant).
    option_values: BTreeMap<String, String>,
    /// What it sells at: its override, else the product's price.
    price: Money,
    /// Its own price, or null when it sells at the product's price.
    price_override: Option<Money>,
    /// Stock available for the sku; 0 until stock is received.
    available: i64,
}

/// The lowest and highest price of a product's variants.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct PriceRange {
    min: Money,
    max: Money,
}

/// A product with the lowest price of the last 30 days.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ProductDetail {
    #[serde(flatten)]
    product: Product,
    /// The lowest price of the last 30 days (null when the product has no price history).
    lowest_price_30d: Option<Money>,
}

impl Product {
    /// The catalog row `p` with its `variants` (its rows of the variants read model). A sku
    /// the inventory has reported nothing for has none available.
    pub(super) fn of(p: CatalogProduct, variants: &[CatalogVariant]) -> Result<Self, ApiError> {
        let currency = currency_of(&p)?;
        let money = |amount_minor| Money::new(amount_minor, currency);
        let variants = variants
            .iter()
            .map(|v| ProductVariant {
                sku: v.sku.clone(),
                option_values: serde_json::from_str(&v.option_values).unwrap_or_default(),
                price: money(v.price_minor.unwrap_or(p.price_minor)),
                price_override: v.price_minor.map(money),
                available: v.available.unwrap_or(0),
            })
            .collect();
        Ok(Self {
            price: money(p.price_minor),
            attributes: serde_json::from_str(&p.attributes).unwrap_or_default(),
            available: p.available.unwrap_or(0),
            options: serde_json::from_str(&p.options).unwrap_or_default(),
            variants,
            price_range: PriceRange {
                min: money(p.min_price_minor),
                max: money(p.max_price_minor),
            },
            in_stock: p.in_stock > 0,
            id: p.id,
            seller_id: p.seller_id,
            status: p.status,
            title: p.title,
            description: p.description,
            category: p.category,
            sku: p.sku,
            created_at: p.created_at,
            updated_at: p.updated_at,
            version: p.version,
        })
    }
}

/// The currency of a catalog row (written from a checked `Money`, so always a code).
pub(super) fn currency_of(p: &CatalogProduct) -> Result<Currency, ApiError> {
    p.currency.parse().map_err(ApiError::internal)
}

#[utoipa::path(
    post,
    path = "/api/v1/products",
    summary = "Create a product (a draft)",
    request_body = CreateProduct,
    responses(
        (status = 201, description = "Created, as a draft", body = ProductState,
            headers(("Location" = String, description = "The product: `/api/v1/products/{id}`"))),
        (status = 409, description = "`sku_taken`: another product has this sku (or a variant's); `product_exists`"),
        (status = 422, description = "`validation_failed` (title, category, price, sku, attributes, options); `variant_options_mismatch`: a variant's option values are not one value of each option; `duplicate_variant`: two variants with the same option values; `product_has_no_options`: variants without options"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn create(
    State(api): State<MerchandiseApi>,
    caller: Caller,
    ids: CommandIds,
    Json(req): Json<CreateProduct>,
) -> Result<Written<ProductState>, ApiError> {
    let product_id = ProductId::derived(ids.command_id(), "product");
    let command = ProductRequest::CreateProduct {
        product_id,
        title: req.title,
        description: req.description,
        category: req.category,
        sku: req.sku,
        price: req.price,
        attributes: req.attributes,
        options: req
            .options
            .into_iter()
            .map(|o| ProductOption {
                name: o.name,
                values: o.values,
            })
            .collect(),
        variants: req
            .variants
            .into_iter()
            .map(NewVariantBody::into_new)
            .collect(),
    };
    let id = Some(product_id.to_string());
    let written = api
        .command_creating(&caller, ids, &command.into_command(), id)
        .await?;
    Ok(written.created(|p: &ProductState| format!("/api/v1/products/{}", p.id)))
}

#[utoipa::path(
    get,
    path = "/api/v1/products/{id}",
    summary = "A product, with its available stock; now or as it was",
    description = "`?as_of=` answers the product as it was at that instant (its title, \
                   description, prices, status, options and variants), folded from its events \
                   recorded by then, with the lowest price of the 30 days before it; stock is not \
                   folded (`available` 0, `in_stock` false: see `GET /inventory/{sku}?as_of=`).",
    params(("id" = String, Path, description = PRODUCT_ID), AsOf),
    responses(
        (status = 200, description = "The product (a draft only to its seller)", body = ProductDetail),
        (status = 404, description = "`not_found`: no such product (at `as_of`), or a draft of another seller"),
        (status = 422, description = "`validation_failed`: `as_of` is not an RFC 3339 time, or is later than now"),
    ),
    security((), ("bearer" = [])),
)]
pub(super) async fn read(
    State(api): State<MerchandiseApi>,
    caller: Option<Caller>,
    Path(id): Path<String>,
    http_kernel::Query(as_of): http_kernel::Query<AsOf>,
) -> Result<Json<ProductDetail>, ApiError> {
    if let Some(at) = as_of.instant()? {
        return as_it_was(&api, caller.as_ref(), &id, at).await.map(Json);
    }
    let product = visible_product(&api, caller.as_ref(), &id).await?;
    let history = price_history(&api.read, &product.id)
        .await
        .map_err(ApiError::internal)?;
    let mut variants = variants_of(&api.read, std::slice::from_ref(&product.id))
        .await
        .map_err(ApiError::internal)?;
    let variants = variants.remove(&product.id).unwrap_or_default();
    let lowest_price_30d = lowest_price_30d(&history, currency_of(&product)?);
    Ok(Json(ProductDetail {
        product: Product::of(product, &variants)?,
        lowest_price_30d,
    }))
}

/// The product as it was at `at`, as the caller may see it (a draft only to its seller).
async fn as_it_was(
    api: &MerchandiseApi,
    caller: Option<&Caller>,
    id: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<ProductDetail, ApiError> {
    let product_id = product_id(id)?;
    let stream = shared_kernel::StreamId::of("product", product_id);
    let events = api
        .extra
        .read_stream(&stream, 1)
        .await
        .map_err(ApiError::internal)?;
    let then = product_at(&events, at)?.ok_or_else(|| ApiError::NotFound("product".into()))?;
    let is_seller = caller.is_some_and(|c| c.user_id.to_string() == then.product.seller_id);
    if then.product.status == "draft" && !is_seller {
        return Err(ApiError::NotFound("product".into()));
    }
    let currency = currency_of(&then.product)?;
    let lowest = crate::projections::lowest_price_since(
        &then.prices,
        at,
        crate::projections::LOWEST_PRICE_WINDOW,
    )
    .map(|p| Money::new(p.price_minor, currency));
    Ok(ProductDetail {
        product: Product::of(then.product, &then.variants)?,
        lowest_price_30d: lowest,
    })
}

#[utoipa::path(
    patch,
    path = "/api/v1/products/{id}",
    summary = "Change a product's title, description or category",
    params(("id" = String, Path, description = PRODUCT_ID)),
    request_body = ChangeDetails,
    responses(
        (status = 200, description = "Changed (the same values again change nothing)", body = ProductState),
        (status = 404, description = "`not_found`: no such product, or not the caller's"),
        (status = 409, description = "`invalid_product_state`: archived"),
        (status = 422, description = "`validation_failed`: a title, description or category out of its rule, or a `price` (changed with `POST /api/v1/products/{id}/price`)"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn change_details(
    State(api): State<MerchandiseApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<ChangeDetails>,
) -> Result<Written<ProductState>, ApiError> {
    let command = ProductRequest::ChangeProductDetails {
        product_id: product_id(&id)?,
        title: req.title,
        description: req.description,
        category: req.category,
    };
    api.command(&caller, ids, &command.into_command()).await
}

#[utoipa::path(
    post,
    path = "/api/v1/products/{id}/publish",
    summary = "Publish a draft (draft -> active)",
    params(("id" = String, Path, description = PRODUCT_ID)),
    responses(
        (status = 200, description = "Published (publishing again changes nothing)", body = ProductState),
        (status = 404, description = "`not_found`: no such product, or not the caller's"),
        (status = 409, description = "`invalid_product_state`: archived"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn publish(
    State(api): State<MerchandiseApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
) -> Result<Written<ProductState>, ApiError> {
    let command = ProductRequest::PublishProduct {
        product_id: product_id(&id)?,
    };
    api.command(&caller, ids, &command.into_command()).await
}

#[utoipa::path(
    post,
    path = "/api/v1/products/{id}/archive",
    summary = "Archive a product: it leaves the search and can no longer be ordered",
    params(("id" = String, Path, description = PRODUCT_ID)),
    responses(
        (status = 200, description = "Archived (archiving again changes nothing); final: an archived product cannot be changed nor published", body = ProductState),
        (status = 404, description = "`not_found`: no such product, or not the caller's"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn archive(
    State(api): State<MerchandiseApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
) -> Result<Written<ProductState>, ApiError> {
    let command = ProductRequest::ArchiveProduct {
        product_id: product_id(&id)?,
    };
    api.command(&caller, ids, &command.into_command()).await
}
