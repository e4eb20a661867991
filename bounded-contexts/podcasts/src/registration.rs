//! How the podcasts context plugs into the platform: its handler, read models, the
//! scheduled-publishing process manager and its routes.

use std::sync::Arc;

use context_kit::{Context, Services};
use projections::Projection;

use crate::application::{PodcastsConfig, PodcastsHandler, ScheduledPublishing};
use crate::projections::{
    DownloadsProjection, EpisodesProjection, ShowsProjection, SubscriptionsProjection,
};

/// The podcasts context, wired to the platform's services with its `config`.
#[must_use]
pub fn context(services: &Services, config: PodcastsConfig) -> Context {
    let s = services;
    let read_models: [Arc<dyn Projection>; 4] = [
        Arc::new(ShowsProjection),
        Arc::new(EpisodesProjection),
        Arc::new(SubscriptionsProjection),
        Arc::new(DownloadsProjection),
    ];
    Context::new(crate::CONTEXT)
        .with_handler(Arc::new(PodcastsHandler::new(
            Arc::clone(&s.store),
            Arc::clone(&s.clock),
            config.clone(),
        )))
        .with_projections(read_models)
        .with_process_manager(Arc::new(ScheduledPublishing))
        .with_routes(crate::http::routes(s.api(crate::CONTEXT), config))
}
