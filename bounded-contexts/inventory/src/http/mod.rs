//! The inventory routes, `/api/v1/inventory/...`: a seller's stock. Writes go to the bus;
//! reads come from the read models. Every route is for the seller of the sku's product only:
//! to anybody else a sku looks like one without stock (404), so the routes do not reveal whose
//! skus exist. One file per resource: [`stock`] (a sku's levels, movements and ledger),
//! [`alerts`].

mod alerts;
mod as_of;
mod stock;

use http_kernel::{ContextApi, Routes, routes};
use utoipa::OpenApi;

/// The state of the inventory routes: the read models, and the store (a sku's stock as it was
/// is folded from its events).
pub type InventoryApi = ContextApi<std::sync::Arc<dyn shared_kernel::EventStore>>;

#[derive(OpenApi)]
#[openapi(tags((
    name = "inventory",
    description = "Sellers' stock per sku: receipts, adjustments, low-stock thresholds and \
                   alerts, and the ledger of every movement. Only the seller of a sku's product \
                   sees it: to anybody else it does not exist (404)."
)))]
struct Doc;

/// Every inventory route, served and described.
pub fn routes(api: InventoryApi) -> Routes {
    Routes::with_openapi(Doc::openapi())
        .routes(routes!(alerts::list_alerts))
        .routes(routes!(stock::levels))
        .routes(routes!(stock::receive))
        .routes(routes!(stock::adjust))
        .routes(routes!(stock::set_threshold))
        .routes(routes!(stock::ledger))
        .with_state(api)
}
