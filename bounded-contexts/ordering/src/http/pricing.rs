//! Lines priced from ordering's view of the catalog, for the order and cart routes: one
//! function ([`priced_lines`]) prices both, so a cart shows the price an order charges.
//!
//! A product (or variant) the view does not know may be one created a moment ago: it is looked
//! for again once the view has caught up with the store (at once when the view is idle, so an
//! unknown id is refused in milliseconds, not after the read wait).

use std::collections::HashMap;

use event_schemas::cart::CartLine;
use http_kernel::ApiError;
use shared_kernel::RejectionKind;

use super::OrderingApi;
use crate::application::cart::cart_line;
use crate::application::{LineRequest, PricedLineInput, PricingError, priced_lines};
use crate::projections::ORDERING_PRODUCTS;

/// `lines` priced now, looking again once the view has caught up when it misses a product.
///
/// # Errors
/// The pricing failure as its problem ([`problem`]).
pub(super) async fn priced(
    api: &OrderingApi,
    lines: Vec<LineRequest>,
) -> Result<Vec<PricedLineInput>, ApiError> {
    match priced_lines(&api.read, lines.clone()).await {
        Err(e) if e.may_be_on_its_way() => {
            api.caught_up(ORDERING_PRODUCTS).await?;
            priced_lines(&api.read, lines).await
        }
        other => other,
    }
    .map_err(problem)
}

/// The pricing failure as the problem the route answers with.
fn problem(error: PricingError) -> ApiError {
    let refused = |code: &str, e: PricingError| {
        ApiError::refused(RejectionKind::Invalid, code, e.to_string())
    };
    match error {
        PricingError::Rule(e) => ApiError::rejection(&e),
        e @ (PricingError::UnknownProduct(_) | PricingError::NotAProductId(_)) => {
            refused("unknown_product", e)
        }
        e @ PricingError::Unavailable(_) => refused("product_unavailable", e),
        e @ PricingError::VariantRequired(_) => refused("variant_required", e),
        e @ PricingError::UnknownVariant(..) => refused("unknown_variant", e),
        e @ PricingError::Corrupt(_) => ApiError::Internal(e.to_string().into()),
        PricingError::Read(e) => ApiError::internal(e),
    }
}

/// The line as `POST /orders` asks for it: a product and, for a product with several
/// variants, the variant's sku.
fn line_request(product_id: String, sku: Option<&str>, quantity: i64) -> LineRequest {
    LineRequest {
        product_id,
        quantity,
        sku: sku.map(str::to_owned),
    }
}

/// A cart's `lines` priced now, each matched to its line by sku; `catch_up`: look again once
/// the view has caught up when it misses a product (a write does; a read shows what is known).
///
/// # Errors
/// As `POST /orders` prices lines; 422 `product_unavailable` when a product no longer has
/// the line's sku.
pub(super) async fn price_now(
    api: &OrderingApi,
    lines: &[CartLine],
    catch_up: bool,
) -> Result<Vec<CartLine>, ApiError> {
    let requests: Vec<LineRequest> = lines
        .iter()
        .map(|l| line_request(l.product_id.to_string(), Some(&l.sku), l.quantity))
        .collect();
    let priced = if catch_up {
        priced(api, requests).await?
    } else {
        priced_lines(&api.read, requests).await.map_err(problem)?
    };
    let by_sku: HashMap<String, PricedLineInput> =
        priced.into_iter().map(|p| (p.sku.clone(), p)).collect();
    lines
        .iter()
        .map(|line| {
            by_sku
                .get(&line.sku)
                .map(|p| {
                    cart_line(PricedLineInput {
                        quantity: line.quantity,
                        ..p.clone()
                    })
                })
                .ok_or_else(|| {
                    ApiError::refused(
                        RejectionKind::Invalid,
                        "product_unavailable",
                        format!("product {} no longer sells {}", line.product_id, line.sku),
                    )
                })
        })
        .collect()
}

/// One line priced now, checked to be the sku asked for.
///
/// # Errors
/// As [`priced`]; 422 `unknown_variant` when the product's sku is not the one asked for.
pub(super) async fn price_one(
    api: &OrderingApi,
    product_id: String,
    sku: Option<&str>,
    quantity: i64,
) -> Result<PricedLineInput, ApiError> {
    let mut priced = priced(api, vec![line_request(product_id, sku, quantity)]).await?;
    let line = priced
        .pop()
        .ok_or_else(|| ApiError::Internal("pricing answered no line".into()))?;
    match sku {
        Some(sku) if sku != line.sku => Err(ApiError::refused(
            RejectionKind::Invalid,
            "unknown_variant",
            format!("product {} has no sku {sku:?}", line.product_id),
        )),
        _ => Ok(line),
    }
}
