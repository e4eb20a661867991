//! How the payments context plugs into the platform: its handler (with the payment provider
//! the composition root chose), read models and routes.

use std::sync::Arc;

use context_kit::{Context, Services};
use projections::Projection;
use shared_kernel::payments::PaymentProvider;

use crate::application::PaymentsHandler;
use crate::http::router;
use crate::projections::{PaymentsProjection, WalletsProjection};

/// The payments context, wired to the platform's services and to `provider`.
#[must_use]
pub fn context(services: &Services, provider: Arc<dyn PaymentProvider>) -> Context {
    let s = services;
    let read_models: [Arc<dyn Projection>; 2] =
        [Arc::new(PaymentsProjection), Arc::new(WalletsProjection)];
    Context::new(crate::CONTEXT)
        .with_handler(Arc::new(PaymentsHandler::new(
            Arc::clone(&s.store),
            Arc::clone(&s.clock),
            provider,
        )))
        .with_projections(read_models)
        .with_router(router(s.api(crate::CONTEXT)))
        .with_openapi(crate::http::openapi::openapi())
}
