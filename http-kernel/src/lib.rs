//! The HTTP edge shared by every context: errors as `application/problem+json` with a stable
//! `code`, a JSON extractor whose rejections use the same body, command replies turned into
//! responses (with `Agora-Position`), and the caller's identity.

mod caller;
mod json;
mod problem;
mod reply;

pub use caller::Caller;
pub use json::Json;
pub use problem::{ApiError, Problem};
pub use reply::{AGORA_MIN_POSITION, AGORA_POSITION, min_position, reply_response};
