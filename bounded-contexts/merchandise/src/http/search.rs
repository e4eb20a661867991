//! `GET /api/v1/products`: the catalog's active products, searched, filtered, sorted, a page at
//! a time, with the facets of the whole match.

use axum::extract::State;
use http_kernel::{ApiError, Json, Page, Paged, Query};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::MerchandiseApi;
use super::products::Product;
use crate::projections::{
    Facets as Counted, ListingError, ListingQuery, PRICE_BANDS, Sort, facets, list_products,
    variants_of,
};

/// The filters of `GET /products` (unknown parameters are ignored; an empty text filter is
/// none).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct SearchParams {
    /// Full-text search in title, description and category (web-search syntax: `"a phrase"`,
    /// `or`, `-excluded`).
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
    sort: Option<Sort>,
}

/// A page of active products, with the facets of everything the filters match.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ProductPage {
    #[serde(flatten)]
    page: Paged<Product>,
    /// Counts of everything the filters match (not just this page); null with `facets=false`.
    facets: Option<Facets>,
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

impl From<Counted> for Facets {
    fn from(counted: Counted) -> Self {
        let band = |(min_minor, count)| PriceBandCount {
            min_minor,
            // The next band's bound, less one minor unit; the last band has no upper bound.
            max_minor: PRICE_BANDS
                .iter()
                .find(|b| **b > min_minor)
                .map(|next| next - 1),
            count,
        };
        Self {
            categories: counted
                .categories
                .into_iter()
                .map(|(category, count)| CategoryCount { category, count })
                .collect(),
            price_bands: counted.price_bands.into_iter().map(band).collect(),
        }
    }
}

impl SearchParams {
    /// The listing these filters ask for (its limit and cursor are the page's), and whether
    /// to count facets.
    fn into_listing(self) -> Result<(ListingQuery, bool), ApiError> {
        let text =
            |value: Option<String>| value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let price = |name: &str, value: Option<i64>| match value {
            Some(p) if p < 0 => Err(ApiError::Validation(format!(
                "{name} must be a price in minor units (0 or more)"
            ))),
            _ => Ok(value),
        };
        let currency = text(self.currency)
            .map(|code| {
                code.parse::<shared_kernel::Currency>()
                    .map(|c| c.to_string())
                    .map_err(|_| {
                        ApiError::Validation("currency must be an ISO 4217 code like EUR".into())
                    })
            })
            .transpose()?;
        let query = ListingQuery {
            text: text(self.q),
            category: text(self.category),
            currency,
            min_price: price("min_price", self.min_price)?,
            max_price: price("max_price", self.max_price)?,
            in_stock: self.in_stock.unwrap_or(false),
            sort: self.sort,
            ..ListingQuery::default()
        };
        Ok((query, self.facets.unwrap_or(true)))
    }
}

fn listing_error(e: ListingError) -> ApiError {
    match e {
        ListingError::Invalid(detail) => ApiError::Validation(detail),
        ListingError::Database(e) => ApiError::internal(e),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/products",
    summary = "Search and list active products",
    params(SearchParams, Page),
    responses(
        (status = 200, description = "A page of active products, each with its variants, price range and availability, and the facets of the whole match", body = ProductPage),
        (status = 400, description = "`invalid_cursor`: not a cursor of this list for this sort"),
        (status = 422, description = "`validation_failed`: a bad `sort`, `limit`, `currency`, `min_price`, `max_price`, `in_stock` or `facets`"),
    ),
)]
pub(super) async fn search(
    State(api): State<MerchandiseApi>,
    page: Page,
    Query(params): Query<SearchParams>,
) -> Result<Json<ProductPage>, ApiError> {
    let (mut query, with_facets) = params.into_listing()?;
    query.limit = page.limit;
    // Checked against the sort it continues, which the filters decide.
    query.after = page.after(query.effective_sort().cursor_spec())?;
    let found = list_products(&api.read, &query)
        .await
        .map_err(listing_error)?;
    let ids: Vec<String> = found.items.iter().map(|p| p.id.clone()).collect();
    let mut variants = variants_of(&api.read, &ids)
        .await
        .map_err(ApiError::internal)?;
    let facets = if with_facets {
        let counted = facets(&api.read, &query).await.map_err(listing_error)?;
        Some(Facets::from(counted))
    } else {
        None
    };
    let items = found
        .items
        .into_iter()
        .map(|p| {
            let of_product = variants.remove(&p.id).unwrap_or_default();
            Product::of(p, &of_product)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(ProductPage {
        page: Paged {
            items,
            next_cursor: found.next.map(|c| c.encode()),
        },
        facets,
    }))
}
