//! How the recommendations context plugs into the platform: read models and routes only.

use std::sync::Arc;

use context_kit::{Context, Services};
use projections::Projection;

use crate::projections::{CoPurchasesProjection, CoSubscriptionsProjection};

/// The recommendations context, wired to the platform's services.
#[must_use]
pub fn context(services: &Services) -> Context {
    let read_models: [Arc<dyn Projection>; 2] = [
        Arc::new(CoSubscriptionsProjection),
        Arc::new(CoPurchasesProjection),
    ];
    Context::new(crate::CONTEXT)
        .with_projections(read_models)
        .with_routes(crate::http::routes(services.api(crate::CONTEXT)))
}
