//! The `podcasts` bounded context: shows and their episodes (drafts, publishing now or at a
//! time, unpublishing), listeners' subscriptions (with OPML export and import), the RSS feed
//! podcast apps read, and downloads counted as the IAB guidelines count them.
//!
//! - [`domain`]: the `Show`, `Episode`, `Subscription` and `Download` aggregates (pure).
//! - [`application`]: the command handler, and the `ScheduledPublishing` process manager.
//! - [`http`]: the `/api/v1/shows`, `/episodes` and `/me/subscriptions` routes, and the feed.
//! - [`projections`]: shows, episodes (with search), subscriptions and download counts.
//!
//! It depends on `shared-kernel`, `event-schemas`, `http-kernel`, `projections` and
//! `context-kit`, never on another context.

pub mod application;
pub mod domain;
pub mod http;
pub mod projections;
pub mod registration;

/// The context's name: its stream prefix owner, queue suffix and topic segment.
pub const CONTEXT: &str = "podcasts";
