//! The HTTP edge shared by every context: errors as `application/problem+json` with a stable
//! `code`, JSON/path/query extractors whose rejections use the same body, the outermost layers
//! that keep every answer in that contract ([`edge`]), the keyset-cursor codec, command replies
//! turned into responses (with `Agora-Position`), the caller's verified identity, the command
//! ids of writes (kept with their `Idempotency-Key`), rate limits, and the state every
//! context's routes share ([`ContextApi`]: sending commands, read-your-writes waits).

mod api;
mod as_of;
pub mod caller;
mod command_ids;
pub mod cursor;
pub mod edge;
pub mod idempotency;
pub mod json;
pub mod limits;
pub mod openapi;
mod outage;
mod page;
mod params;
mod problem;
mod reply;
pub mod router;
pub mod server;

pub use api::ContextApi;
pub use as_of::AsOf;
pub use caller::{
    AccessClaims, Authentication, Caller, Revocations, SESSION_COOKIE, TokenError, TokenVerifier,
    authenticate,
};
pub use command_ids::CommandIds;
pub use cursor::{CursorSpec, IdKind, InvalidCursor, KeyKind, PageCursor, SortKey};
pub use edge::{problem_errors, refuse_control_characters};
pub use idempotency::{Idempotency, idempotency};
pub use json::{Json, OptionalJson};
pub use limits::{KeyedLimiter, limit_writes_per_user};
pub use page::{DEFAULT_LIMIT, MAX_LIMIT, Page, Paged};
pub use params::{Path, Query};
pub use problem::{ApiError, Problem, status_of};
pub use reply::{
    AGORA_MIN_POSITION, AGORA_POSITION, PendingCommand, Written, min_position, refused,
    send_command,
};
pub use router::{ReadModels, Routes, read_your_writes};
pub use utoipa_axum::routes;
