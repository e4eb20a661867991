//! The `analytics` bounded context: read-only, it owns no aggregate and sends no command. It
//! serves the event log to analysts and keeps live figures from other contexts' published
//! events (through `event-schemas` only, never another context's crate).
//!
//! - [`cloudevents`]: a stored event as a CloudEvents 1.0 JSON event (confidential data
//!   withheld as the Kafka relay withholds it).
//! - [`cursor`]: the opaque cursor of the log (`?after=`, `next_cursor`, SSE `id:`).
//! - [`http`]: `/api/v1/events`, `/api/v1/streams/{id}/events`, `/api/v1/events/live`,
//!   `/api/v1/schemas...`, `/api/v1/analytics/...` and the `/analytics` page.
//! - [`projections`]: the live figures' read models.
//! - [`export`]: `agora events export|replay` (JSON Lines, Parquet; Kafka, a projection).

pub mod cloudevents;
pub mod cursor;
pub mod export;
pub mod http;
pub mod projections;
pub mod registration;

/// The context's name: the tag of its routes and the prefix of its read models.
pub const CONTEXT: &str = "analytics";
