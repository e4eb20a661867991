//! Placing an order, before the command: the buyer's lines merged per product and priced from
//! ordering's view of the catalog, waiting (bounded) for products that view has not seen yet.
//! The rules on the lines themselves are the domain's ([`check_lines`]), applied here before
//! any lookup so an order that breaks them costs none.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

use serde::Deserialize;
use shared_kernel::Money;
use shared_kernel::ids::{ProductId, UserId};
use sqlx::AnyPool;

use super::PricedLineInput;
use crate::domain::{OrderError, check_lines};
use crate::projections::{OrderableProduct, find_products};

/// How often a new order looks again for products ordering has not seen yet.
const PRODUCT_POLL: Duration = Duration::from_millis(25);

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
}

/// Why lines cannot be priced.
#[derive(Debug, thiserror::Error)]
pub enum PricingError {
    /// The lines break a rule of the order (422 `validation_failed`).
    #[error(transparent)]
    Rule(#[from] OrderError),
    /// No such product, or not one ordering has seen within the wait (422 `unknown_product`).
    #[error("no product {0}")]
    UnknownProduct(String),
    /// The product exists but cannot be ordered now (422 `product_unavailable`).
    #[error("product {0} cannot be ordered")]
    Unavailable(ProductId),
    /// Ordering's view of the catalog holds something this code cannot read.
    #[error("corrupt {0} in ordering_products")]
    Corrupt(&'static str),
    #[error(transparent)]
    Read(#[from] sqlx::Error),
}

/// The lines of a new order, one per product (repeated products add up, in request order),
/// priced from ordering's view of the catalog; products it has not seen yet are looked for
/// again until `wait` has passed (one created a moment ago may still be on its way).
///
/// # Errors
/// See [`PricingError`].
pub async fn priced_lines(
    read: &AnyPool,
    wait: Duration,
    lines: Vec<LineRequest>,
) -> Result<Vec<PricedLineInput>, PricingError> {
    let wanted = merged(lines)?;
    check_lines(wanted.iter().map(|(_, quantity)| *quantity))?;
    let ids: Vec<String> = wanted.iter().map(|(p, _)| p.to_string()).collect();
    let products = products_of(read, wait, &ids).await?;
    wanted
        .into_iter()
        .map(|(product_id, quantity)| {
            let product = products
                .get(&product_id.to_string())
                .ok_or_else(|| PricingError::UnknownProduct(product_id.to_string()))?;
            priced(product, product_id, quantity)
        })
        .collect()
}

/// One line per product, in request order; quantities of a repeated product add up (an
/// overflow saturates, and the domain's quantity rule refuses it).
fn merged(lines: Vec<LineRequest>) -> Result<Vec<(ProductId, i64)>, PricingError> {
    let mut merged: Vec<(ProductId, i64)> = Vec::with_capacity(lines.len());
    for line in lines {
        let product_id: ProductId = line
            .product_id
            .parse()
            .map_err(|_| PricingError::UnknownProduct(format!("{:?}", line.product_id)))?;
        match merged.iter_mut().find(|(p, _)| *p == product_id) {
            Some((_, quantity)) => *quantity = quantity.saturating_add(line.quantity),
            None => merged.push((product_id, line.quantity)),
        }
    }
    Ok(merged)
}

/// The products of `ids`, waiting (bounded) for ones ordering has not seen yet.
async fn products_of(
    read: &AnyPool,
    wait: Duration,
    ids: &[String],
) -> Result<HashMap<String, OrderableProduct>, PricingError> {
    let deadline = Instant::now() + wait;
    loop {
        let found: HashMap<String, OrderableProduct> = find_products(read, ids)
            .await?
            .into_iter()
            .map(|p| (p.product_id.clone(), p))
            .collect();
        match ids.iter().find(|id| !found.contains_key(*id)) {
            None => return Ok(found),
            Some(id) if Instant::now() >= deadline => {
                return Err(PricingError::UnknownProduct(id.clone()));
            }
            Some(_) => tokio::time::sleep(PRODUCT_POLL).await,
        }
    }
}

fn priced(
    product: &OrderableProduct,
    product_id: ProductId,
    quantity: i64,
) -> Result<PricedLineInput, PricingError> {
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
    Ok(PricedLineInput {
        product_id,
        sku: product.sku.clone(),
        seller_id,
        title: product.title.clone(),
        quantity,
        unit_price: Money::new(product.price_minor, currency),
    })
}
