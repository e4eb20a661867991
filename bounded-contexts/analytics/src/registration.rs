//! How the analytics context plugs into the platform: its read models (the live figures) and
//! its routes. No command handler: it only reads.

use std::sync::Arc;

use context_kit::{Context, Services};

use crate::cloudevents::Withheld;
use crate::http::{Analytics, LiveSettings};

/// Events buffered per live connection before a client too slow to keep up is closed.
pub const LIVE_BUFFER: usize = 1_024;

/// The analytics context, wired to the platform's services.
#[must_use]
pub fn context(services: &Services) -> Context {
    context_with(services, LIVE_BUFFER)
}

/// The same, with `live_buffer` events buffered per live connection.
#[must_use]
pub fn context_with(services: &Services, live_buffer: usize) -> Context {
    let s = services;
    let extra = Analytics {
        store: Arc::clone(&s.store),
        withheld: Arc::new(Withheld::default()),
        live: LiveSettings {
            buffer: live_buffer,
            shutdown: s.shutdown.clone(),
        },
    };
    Context::new(crate::CONTEXT)
        .with_projections(crate::projections::all())
        .with_routes(crate::http::routes(s.api(crate::CONTEXT).with(extra)))
}
