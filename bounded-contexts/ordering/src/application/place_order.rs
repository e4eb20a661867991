//! Placing an order, before the command: the buyer's lines merged per variant and priced from
//! ordering's view of the catalog. A line names a product and, for a product with several
//! variants, the variant's `sku`; the unit price is the variant's override, else the
//! product's price. The rules on the lines themselves are the domain's ([`check_lines`]),
//! applied here before any lookup so an order that breaks them costs none.
//!
//! A product or variant the view does not know may be one created a moment ago, still on its
//! way: [`PricingError::may_be_on_its_way`] tells the caller to look again once the view has
//! caught up with the store (at once when it is idle), instead of polling until a deadline.

use std::collections::HashMap;

use serde::Deserialize;
use shared_kernel::Money;
use shared_kernel::ids::{ProductId, UserId};
use sqlx::AnyPool;

use super::PricedLineInput;
use crate::domain::{OrderError, check_lines};
use crate::projections::{OrderableProduct, OrderableVariant, find_products, find_variants};

/// A line as the buyer asks for it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineRequest {
    /// Any text: one that is not a product id names no product.
    #[schema(example = "0190f0a4-5b7c-7d2e-8f00-0123456789ab")]
    pub product_id: String,
    /// 1 or more.
    #[schema(example = 2)]
    pub quantity: i64,
    /// The variant: required when the product has several (`variant_required`), optional
    /// when it has one (its sku, or left out).
    #[serde(default)]
    #[schema(example = "TEE-M-BLUE")]
    pub sku: Option<String>,
}

/// Why lines cannot be priced.
#[derive(Debug, thiserror::Error)]
pub enum PricingError {
    /// The lines break a rule of the order (422 `validation_failed`).
    #[error(transparent)]
    Rule(#[from] OrderError),
    /// The line's `product_id` is not a product id (422 `unknown_product`).
    #[error("no product {0:?}")]
    NotAProductId(String),
    /// No such product in ordering's view of the catalog (422 `unknown_product`).
    #[error("no product {0}")]
    UnknownProduct(ProductId),
    /// The product exists but cannot be ordered now (422 `product_unavailable`).
    #[error("product {0} cannot be ordered")]
    Unavailable(ProductId),
    /// The product has several variants and the line names none (422 `variant_required`).
    #[error("product {0} has several variants: name one with sku")]
    VariantRequired(ProductId),
    /// The line's sku is no variant of its product (422 `unknown_variant`).
    #[error("product {0} has no variant {1}")]
    UnknownVariant(ProductId, String),
    /// Ordering's view of the catalog holds something this code cannot read.
    #[error("corrupt {0} in ordering_products")]
    Corrupt(&'static str),
    #[error(transparent)]
    Read(#[from] sqlx::Error),
}

impl PricingError {
    /// Whether ordering's view of the catalog may just not have seen the product or variant
    /// yet: worth one more look once it has caught up with the store.
    #[must_use]
    pub const fn may_be_on_its_way(&self) -> bool {
        matches!(self, Self::UnknownProduct(_) | Self::UnknownVariant(..))
    }
}

/// The lines of a new order, one per product (repeated products add up, in request order),
/// priced from ordering's view of the catalog as it is now.
///
/// # Errors
/// See [`PricingError`].
pub async fn priced_lines(
    read: &AnyPool,
    lines: Vec<LineRequest>,
) -> Result<Vec<PricedLineInput>, PricingError> {
    let wanted = merged(lines)?;
    check_lines(wanted.iter().map(|w| w.quantity))?;
    let catalog = products_of(read, &wanted).await?;
    wanted
        .into_iter()
        .map(|w| {
            let product_id = w.product_id.to_string();
            let product = catalog
                .products
                .get(&product_id)
                .ok_or(PricingError::UnknownProduct(w.product_id))?;
            let variants = catalog
                .variants
                .get(&product_id)
                .map_or(&[][..], Vec::as_slice);
            priced(product, variants, &w)
        })
        .collect()
}

/// A line as merged: one per product and named variant.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Wanted {
    product_id: ProductId,
    sku: Option<String>,
    quantity: i64,
}

/// One line per product and variant, in request order; quantities of a repeated line add up
/// (an overflow saturates, and the domain's quantity rule refuses it).
fn merged(lines: Vec<LineRequest>) -> Result<Vec<Wanted>, PricingError> {
    let mut merged: Vec<Wanted> = Vec::with_capacity(lines.len());
    for line in lines {
        let product_id: ProductId = line
            .product_id
            .parse()
            .map_err(|_| PricingError::NotAProductId(line.product_id.clone()))?;
        let sku = line.sku.filter(|s| !s.trim().is_empty());
        match merged
            .iter_mut()
            .find(|w| w.product_id == product_id && w.sku == sku)
        {
            Some(w) => w.quantity = w.quantity.saturating_add(line.quantity),
            None => merged.push(Wanted {
                product_id,
                sku,
                quantity: line.quantity,
            }),
        }
    }
    Ok(merged)
}

/// What ordering knows of the wanted products: each product and its variants, by id.
struct Catalog {
    products: HashMap<String, OrderableProduct>,
    variants: HashMap<String, Vec<OrderableVariant>>,
}

/// The wanted products and their variants, as ordering's view of the catalog has them now.
async fn products_of(read: &AnyPool, wanted: &[Wanted]) -> Result<Catalog, PricingError> {
    let mut ids: Vec<String> = wanted.iter().map(|w| w.product_id.to_string()).collect();
    ids.sort_unstable();
    ids.dedup();
    let products = find_products(read, &ids)
        .await?
        .into_iter()
        .map(|p| (p.product_id.clone(), p))
        .collect();
    let mut variants: HashMap<String, Vec<OrderableVariant>> = HashMap::new();
    for v in find_variants(read, &ids).await? {
        variants.entry(v.product_id.clone()).or_default().push(v);
    }
    Ok(Catalog { products, variants })
}

fn priced(
    product: &OrderableProduct,
    variants: &[OrderableVariant],
    wanted: &Wanted,
) -> Result<PricedLineInput, PricingError> {
    let product_id = wanted.product_id;
    if product.status != "active" {
        return Err(PricingError::Unavailable(product_id));
    }
    let seller_id: UserId = product
        .seller_id
        .parse()
        .map_err(|_| PricingError::Corrupt("seller id"))?;
    let currency = product
        .currency
        .parse()
        .map_err(|_| PricingError::Corrupt("currency"))?;
    // No variant rows: a product ordering saw before variants, with its one sku.
    let (sku, price_override) = match (&wanted.sku, variants) {
        (None, []) => (product.sku.clone(), None),
        (None, [only]) => (only.sku.clone(), only.price_minor),
        (None, _) => return Err(PricingError::VariantRequired(product_id)),
        (Some(sku), []) if *sku == product.sku => (sku.clone(), None),
        (Some(sku), _) => {
            let variant = variants
                .iter()
                .find(|v| v.sku == *sku)
                .ok_or_else(|| PricingError::UnknownVariant(product_id, sku.clone()))?;
            (variant.sku.clone(), variant.price_minor)
        }
    };
    Ok(PricedLineInput {
        product_id,
        sku,
        seller_id,
        title: product.title.clone(),
        quantity: wanted.quantity,
        unit_price: Money::new(price_override.unwrap_or(product.price_minor), currency),
    })
}
