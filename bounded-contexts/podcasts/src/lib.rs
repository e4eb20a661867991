//! The `podcasts` bounded context. An empty shell for now: its domain, handlers and routes arrive
//! with their own issue. It may depend on `shared-kernel` and `event-schemas`, never on
//! another context.

/// The context's name: its stream prefix owner, queue suffix and topic segment.
pub const CONTEXT: &str = "podcasts";
