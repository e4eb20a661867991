//! How the inventory context plugs into the platform: its handler, stock read models, the
//! reservation-expiry process manager and its routes.

use std::sync::Arc;

use context_kit::{Context, Services};
use projections::Projection;

use crate::application::{InventoryHandler, ReservationExpiry};
use crate::projections::{RestockAlertsProjection, SkuOwnersProjection, StockLevelsProjection};

/// The inventory context, wired to the platform's services.
#[must_use]
pub fn context(services: &Services) -> Context {
    let s = services;
    let read_models: [Arc<dyn Projection>; 3] = [
        Arc::new(SkuOwnersProjection),
        Arc::new(StockLevelsProjection),
        Arc::new(RestockAlertsProjection),
    ];
    Context::new(crate::CONTEXT)
        .with_handler(Arc::new(InventoryHandler::new(
            Arc::clone(&s.store),
            Arc::clone(&s.clock),
        )))
        .with_projections(read_models)
        .with_process_manager(Arc::new(ReservationExpiry))
        .with_routes(crate::http::routes(
            s.api(crate::CONTEXT).with(Arc::clone(&s.store)),
        ))
}
