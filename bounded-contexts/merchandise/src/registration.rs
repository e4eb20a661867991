//! How the merchandise context plugs into the platform: its handler, catalog and routes.

use std::sync::Arc;

use context_kit::{Context, Services};

use crate::application::MerchandiseHandler;
use crate::projections::CatalogProjection;

/// The merchandise context, wired to the platform's services.
#[must_use]
pub fn context(services: &Services) -> Context {
    let s = services;
    Context::new(crate::CONTEXT)
        .with_handler(Arc::new(MerchandiseHandler::new(
            Arc::clone(&s.store),
            Arc::clone(&s.clock),
        )))
        .with_projections([Arc::new(CatalogProjection) as Arc<dyn projections::Projection>])
        .with_routes(crate::http::routes(
            s.api(crate::CONTEXT).with(std::sync::Arc::clone(&s.store)),
        ))
}
