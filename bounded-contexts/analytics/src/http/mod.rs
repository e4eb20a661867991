//! The analytics routes: the log (`/api/v1/events`, `/api/v1/streams/{id}/events`, live
//! `/api/v1/events/live`), the event schemas (`/api/v1/schemas...`, public), the live figures
//! (`/api/v1/analytics/...`) and the `/analytics` page. One file per resource.

pub mod access;
mod events;
mod figures;
mod live;
mod page;
pub mod query;
mod schemas;

use std::sync::Arc;

use http_kernel::{ContextApi, Routes, routes};
use shared_kernel::EventStore;
use utoipa::OpenApi;

pub use events::NEXT_CURSOR;
pub use live::{LiveSettings, Overflow, SLOW_CLIENT_GRACE};
pub use schemas::SchemaEntry;

use crate::cloudevents::Withheld;

/// What the analytics routes need besides the read models: the store (the log is read through
/// its port), the confidential types, and the live streams' settings.
#[derive(Debug, Clone)]
pub struct Analytics {
    pub store: Arc<dyn EventStore>,
    pub withheld: Arc<Withheld>,
    pub live: LiveSettings,
}

/// The state of the analytics routes.
pub type AnalyticsApi = ContextApi<Analytics>;

#[derive(OpenApi)]
#[openapi(tags((
    name = "analytics",
    description = "The event log as a product for analysts: filtered reads and a live follow \
                   as CloudEvents, the JSON Schema of every event type and version, and live \
                   figures (sales, the order funnel, users, communities). The log and the \
                   platform's figures are for the `analyst` and `admin` roles (others get 403); \
                   a seller reads their own sales; the schemas are public."
)))]
struct Doc;

/// Every analytics route, served and described.
pub fn routes(api: AnalyticsApi) -> Routes {
    Routes::with_openapi(Doc::openapi())
        .routes(routes!(events::list_events))
        .routes(routes!(events::stream))
        .routes(routes!(live::live))
        .routes(routes!(schemas::list_schemas))
        .routes(routes!(schemas::one))
        .routes(routes!(figures::sales))
        .routes(routes!(figures::top))
        .routes(routes!(figures::funnel))
        .routes(routes!(figures::users))
        .routes(routes!(figures::communities))
        .routes(routes!(figures::downloads))
        .routes(routes!(page::page))
        .with_state(api)
}
