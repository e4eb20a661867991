//! The OpenAPI description of the merchandise routes ([`openapi`]), and the schemas of the
//! bodies the routes build as JSON (documentation only: nothing constructs them).
#![allow(dead_code)]

use std::collections::BTreeMap;

use serde::Serialize;
use shared_kernel::Money;
use utoipa::{IntoParams, OpenApi, ToSchema};

pub(super) use http_kernel::Problem;
pub(super) use http_kernel::openapi::{IdempotencyKeyHeader, MinPositionHeader};

use super::products;

/// The merchandise context's part of the API document.
#[must_use]
pub fn openapi() -> utoipa::openapi::OpenApi {
    MerchandiseDoc::openapi()
}

#[derive(OpenApi)]
#[openapi(
    paths(
        products::create_product,
        products::search::list,
        products::get_product,
        products::change_details,
        products::publish_product,
        products::change_price,
        products::get_price_history,
        products::variants::add_variant,
        products::variants::change_variant,
    ),
    components(schemas(
        products::CreateProduct,
        products::ChangeDetails,
        products::ChangePrice,
        products::variants::ProductOptionBody,
        products::variants::NewVariantBody,
        products::variants::ChangeVariant,
        ProductState,
        ProductVariant,
        PriceRange,
        Facets,
        CategoryCount,
        PriceBandCount,
        Product,
        ProductDetail,
        ProductPage,
        PricePoint,
        PriceHistory,
        PendingCommand,
        Problem,
    )),
    tags((
        name = "merchandise",
        description = "The catalog: sellers create products (drafts), publish them and change \
                       their details and prices; anyone searches the active ones."
    ))
)]
struct MerchandiseDoc;

/// A product's id and status after a write.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({ "id": "0190f0a4-5b7c-7d2e-8f00-0123456789ab", "status": "draft" }))]
pub(super) struct ProductState {
    #[schema(format = Uuid)]
    id: String,
    /// `draft`, `active` or `archived`.
    status: String,
}

pub use http_kernel::PendingCommand;

/// A product in the catalog.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Product {
    #[schema(format = Uuid)]
    id: String,
    #[schema(format = Uuid)]
    seller_id: String,
    /// `draft` (seen by its seller only) or `active`.
    status: String,
    title: String,
    description: String,
    category: String,
    sku: String,
    price: Money,
    attributes: BTreeMap<String, String>,
    /// Stock available for the sku (the default variant's); null until the inventory
    /// reported any.
    available: Option<i64>,
    /// The options the variants choose from (empty for a single-sku product).
    options: Vec<products::variants::ProductOptionBody>,
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
    /// Stock available for the sku; null until the inventory reported any.
    available: Option<i64>,
}

/// The lowest and highest price of a product's variants.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct PriceRange {
    min: Money,
    max: Money,
}

/// How many active products match the listing's filters, per category and per price band.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Facets {
    /// Most products first.
    categories: Vec<CategoryCount>,
    /// Every band, in order, on each product's lowest price: 0-999, 1000-2499, 2500-4999,
    /// 5000-9999, 10000-24999, 25000-49999, 50000 and more (minor units).
    price_bands: Vec<PriceBandCount>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct CategoryCount {
    category: String,
    count: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct PriceBandCount {
    /// Lower bound, minor units (inclusive).
    min_minor: i64,
    /// Upper bound, minor units (inclusive); null for the last band.
    max_minor: Option<i64>,
    count: i64,
}

/// A product with the lowest price of the last 30 days.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ProductDetail {
    #[serde(flatten)]
    product: Product,
    /// The lowest price of the last 30 days (null when the product has no price history).
    lowest_price_30d: Option<Money>,
}

/// A page of products.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ProductPage {
    items: Vec<Product>,
    /// The `cursor` of the next page; null on the last one.
    next_cursor: Option<String>,
    /// Counts of everything the filters match (not just this page); null with `facets=false`.
    facets: Option<Facets>,
}

/// A price the product had from `at` on.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct PricePoint {
    price: Money,
    #[schema(format = DateTime)]
    at: String,
}

/// Every price of a product, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct PriceHistory {
    items: Vec<PricePoint>,
    /// Always null: the history comes whole.
    next_cursor: Option<String>,
    lowest_price_30d: Option<Money>,
}

/// The order of `GET /products`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(super) enum ListingSort {
    Relevance,
    PriceAsc,
    PriceDesc,
    Newest,
}

/// The query of `GET /products` (unknown parameters are ignored).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ListingParams {
    /// Full-text search in title, description and category.
    q: Option<String>,
    /// Only this category.
    category: Option<String>,
    /// Only products priced in this ISO 4217 currency.
    #[param(example = "EUR")]
    currency: Option<String>,
    /// Lowest "from" price (a product's lowest variant price), in minor units.
    #[param(minimum = 0)]
    min_price: Option<i64>,
    /// Highest "from" price (a product's lowest variant price), in minor units.
    #[param(minimum = 0)]
    max_price: Option<i64>,
    /// `true`: only products with some variant in stock.
    in_stock: Option<bool>,
    /// `false`: leave out `facets` (spares counting).
    facets: Option<bool>,
    /// Default: `relevance` with `q`, `newest` without.
    #[param(inline)]
    sort: Option<ListingSort>,
    /// Page size (default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page (made for the same sort).
    cursor: Option<String>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeSet;

    /// Every route of `router`, as `METHOD path`.
    const ROUTES: &[&str] = &[
        "POST /api/v1/products",
        "GET /api/v1/products",
        "GET /api/v1/products/{id}",
        "PATCH /api/v1/products/{id}",
        "POST /api/v1/products/{id}/publish",
        "POST /api/v1/products/{id}/price",
        "GET /api/v1/products/{id}/price-history",
        "POST /api/v1/products/{id}/variants",
        "PATCH /api/v1/products/{id}/variants/{sku}",
    ];

    #[test]
    fn every_route_is_described_with_its_errors_as_problems() {
        let doc = serde_json::to_value(super::openapi()).unwrap();
        let mut described = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let route = format!("{} {path}", method.to_uppercase());
                assert_eq!(op["tags"], serde_json::json!(["merchandise"]), "{route}");
                for (status, response) in op["responses"].as_object().unwrap() {
                    if status.starts_with('4') || status.starts_with('5') {
                        let schema = &response["content"]["application/problem+json"]["schema"];
                        assert_eq!(
                            schema["$ref"], "#/components/schemas/Problem",
                            "{route} {status}"
                        );
                    }
                }
                described.insert(route);
            }
        }
        let routes: BTreeSet<String> = ROUTES.iter().map(|r| (*r).to_owned()).collect();
        assert_eq!(described, routes);
    }
}
