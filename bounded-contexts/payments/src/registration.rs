//! How the payments context plugs into the platform: its handler (with the payment provider
//! and the commission rate the composition root chose), read models and routes.

use std::sync::Arc;

use context_kit::{Context, Services};
use projections::Projection;
use shared_kernel::payments::PaymentProvider;

use crate::application::{PaymentsHandler, PayoutCompletion};
use crate::domain::CommissionRate;
use crate::projections::{PaymentsProjection, SellerLedgersProjection, WalletsProjection};

/// The payments context, wired to the platform's services and to `provider`, keeping
/// `commission` of what sellers are credited.
#[must_use]
pub fn context(
    services: &Services,
    provider: Arc<dyn PaymentProvider>,
    commission: CommissionRate,
) -> Context {
    let s = services;
    let read_models: [Arc<dyn Projection>; 3] = [
        Arc::new(PaymentsProjection),
        Arc::new(WalletsProjection),
        Arc::new(SellerLedgersProjection),
    ];
    Context::new(crate::CONTEXT)
        .with_handler(Arc::new(
            PaymentsHandler::new(Arc::clone(&s.store), Arc::clone(&s.clock), provider)
                .with_commission(commission),
        ))
        .with_projections(read_models)
        .with_process_manager(Arc::new(PayoutCompletion))
        .with_routes(crate::http::routes(s.api(crate::CONTEXT)))
}
