//! The HTTP edge shared by every context: errors as `application/problem+json` with a stable
//! `code`, a JSON extractor whose rejections use the same body, command replies turned into
//! responses (with `Agora-Position`), the caller's verified identity, and rate limits.

pub mod caller;
pub mod idempotency;
mod json;
pub mod limits;
mod problem;
mod reply;

pub use caller::{
    AccessClaims, Authentication, Caller, SESSION_COOKIE, TokenError, TokenVerifier, authenticate,
};
pub use idempotency::{Idempotency, idempotency};
pub use json::Json;
pub use limits::{KeyedLimiter, limit_writes_per_user};
pub use problem::{ApiError, Problem};
pub use reply::{
    AGORA_MIN_POSITION, AGORA_POSITION, min_position, pending_command, reply_response, send_command,
};
