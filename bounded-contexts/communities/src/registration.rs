//! How the communities context plugs into the platform: its handler, read models (one of which
//! feeds the live comment streams), routes, and the background refresh of hot ranks.

use std::sync::Arc;

use context_kit::{Context, Services};

use crate::application::CommunitiesHandler;
use crate::projections::{LiveComments, REFRESH_EVERY, all, run_hot_rank_refresh};

/// The communities context, wired to the platform's services.
#[must_use]
pub fn context(services: &Services) -> Context {
    let s = services;
    let live = LiveComments::new();
    // Live comment streams never end by themselves; shutdown ends them, or a graceful stop
    // would wait for their clients forever.
    let close_streams = {
        let (live, stop) = (live.clone(), s.shutdown.clone());
        async move {
            stop.cancelled().await;
            live.close();
        }
    };
    // Hot ranks decay with time: refreshed in the background, not per request.
    let refresh_hot_ranks = {
        let (pool, stop) = (s.read.clone(), s.shutdown.clone());
        async move {
            tokio::select! {
                () = run_hot_rank_refresh(pool, REFRESH_EVERY) => {}
                () = stop.cancelled() => {}
            }
        }
    };
    Context::new(crate::CONTEXT)
        .with_handler(Arc::new(CommunitiesHandler::new(
            Arc::clone(&s.store),
            Arc::clone(&s.clock),
        )))
        .with_projections(all(&live))
        .with_routes(crate::http::routes(s.api(crate::CONTEXT).with(
            crate::http::Communities {
                live,
                store: Arc::clone(&s.store),
            },
        )))
        .with_background(Box::pin(close_streams))
        .with_background(Box::pin(refresh_hot_ranks))
}
