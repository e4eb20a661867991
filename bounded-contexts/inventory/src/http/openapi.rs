//! The OpenAPI description of the inventory routes ([`openapi`]), and the schemas of the
//! bodies the routes build as JSON (documentation only: nothing constructs them).
#![allow(dead_code)]

use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

pub(super) use http_kernel::Problem;
pub(super) use http_kernel::openapi::{IdempotencyKeyHeader, MinPositionHeader};

use super::routes;
use crate::projections::{LedgerEntry, RestockAlert};

/// The inventory context's part of the API document.
#[must_use]
pub fn openapi() -> utoipa::openapi::OpenApi {
    InventoryDoc::openapi()
}

#[derive(OpenApi)]
#[openapi(
    paths(
        routes::reads::list_alerts,
        routes::reads::get_levels,
        routes::receive,
        routes::adjust,
        routes::set_threshold,
        routes::reads::get_ledger,
    ),
    components(schemas(
        routes::Receipt,
        routes::Adjustment,
        routes::Threshold,
        StockLevels,
        StockAfterWrite,
        LedgerEntry,
        LedgerPage,
        RestockAlert,
        AlertPage,
        PendingCommand,
        Problem,
    )),
    tags((
        name = "inventory",
        description = "Sellers' stock per sku: receipts, adjustments, low-stock thresholds and \
                       alerts, and the ledger of every movement. Only the seller of a sku's \
                       product sees it: to anybody else it does not exist (404)."
    ))
)]
struct InventoryDoc;

/// A sku's stock.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "sku": "CHESS-WALNUT-45", "product_id": "0190f0a4-5b7c-7d2e-8f00-0123456789ab",
    "on_hand": 25, "reserved": 3, "available": 22, "low_stock_threshold": 5
}))]
pub(super) struct StockLevels {
    sku: String,
    #[schema(format = Uuid)]
    product_id: String,
    on_hand: i64,
    /// Held for orders not yet shipped.
    reserved: i64,
    /// `on_hand - reserved`.
    available: i64,
    low_stock_threshold: i64,
}

/// A sku's stock after a write.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct StockAfterWrite {
    sku: String,
    on_hand: i64,
    reserved: i64,
    available: i64,
    low_stock_threshold: i64,
}

/// A page of stock movements.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct LedgerPage {
    items: Vec<LedgerEntry>,
    /// The `cursor` of the next page; null on the last one.
    next_cursor: Option<String>,
}

/// A page of restock alerts.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct AlertPage {
    items: Vec<RestockAlert>,
    /// The `cursor` of the next page; null on the last one.
    next_cursor: Option<String>,
}

pub use http_kernel::openapi::PendingCommand;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeSet;

    /// Every route of `router`, as `METHOD path`.
    const ROUTES: &[&str] = &[
        "GET /api/v1/inventory/alerts",
        "GET /api/v1/inventory/{sku}",
        "POST /api/v1/inventory/{sku}/receipts",
        "POST /api/v1/inventory/{sku}/adjustments",
        "PUT /api/v1/inventory/{sku}/threshold",
        "GET /api/v1/inventory/{sku}/ledger",
    ];

    #[test]
    fn every_route_is_described_with_its_errors_as_problems() {
        let doc = serde_json::to_value(super::openapi()).unwrap();
        let mut described = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let route = format!("{} {path}", method.to_uppercase());
                assert_eq!(op["tags"], serde_json::json!(["inventory"]), "{route}");
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
