//! How the ordering context plugs into the platform: its handler, read models, the order saga
//! and its routes.

use std::sync::Arc;

use context_kit::{Context, Services};
use projections::Projection;

use crate::application::cart::CartExpiry;
use crate::application::{OrderSaga, OrderingConfig, OrderingHandler};
use crate::projections::{
    CartsProjection, FulfilmentsProjection, OrdersProjection, ProductsProjection,
};

/// The ordering context, wired to the platform's services, with the saga's deadlines.
#[must_use]
pub fn context(services: &Services, config: OrderingConfig) -> Context {
    let s = services;
    let read_models: [Arc<dyn Projection>; 4] = [
        Arc::new(ProductsProjection),
        Arc::new(OrdersProjection),
        Arc::new(CartsProjection),
        Arc::new(FulfilmentsProjection),
    ];
    Context::new(crate::CONTEXT)
        .with_handler(Arc::new(
            OrderingHandler::new(Arc::clone(&s.store), Arc::clone(&s.clock)).with_config(config),
        ))
        .with_projections(read_models)
        .with_process_manager(Arc::new(OrderSaga::new(config)))
        .with_process_manager(Arc::new(CartExpiry::new(config.cart_ttl)))
        .with_routes(crate::http::routes(
            s.api(crate::CONTEXT).with(Arc::clone(&s.store)),
        ))
}
