//! The id of the command a write request sends, and the ids of what that command creates.
//!
//! Every write route takes a [`CommandIds`] and uses it, never `Uuid::now_v7()` or
//! `XxxId::new()`: for its envelope's command id, and, through [`CommandIds::derive`], for the
//! ids of the resources it creates (order, payment, post, comment, product, user...). Without
//! an `Idempotency-Key` the command id is fresh. With one, the [`idempotency`](crate::idempotency)
//! middleware hands every attempt of the request the same command id (kept with the key), so a
//! retry after a crash, a lost response or a takeover sends the same command with the same
//! resource ids, and the store's command-id deduplication (`shared_kernel::application::execute`)
//! answers it with the first run's result instead of creating a second order or post.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use shared_kernel::ids::derive_id;
use uuid::Uuid;

/// The command id of the current request (a request extension set by the idempotency
/// middleware, or fresh) and the ids derived from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandIds {
    command_id: Uuid,
}

impl CommandIds {
    /// The ids of a request without an `Idempotency-Key`: a fresh UUIDv7 command id.
    #[must_use]
    pub fn fresh() -> Self {
        Self {
            command_id: Uuid::now_v7(),
        }
    }

    /// The ids of a request whose command id is already known (kept with its key).
    #[must_use]
    pub const fn of(command_id: Uuid) -> Self {
        Self { command_id }
    }

    /// The id the request's command carries on the bus.
    #[must_use]
    pub const fn command_id(&self) -> Uuid {
        self.command_id
    }

    /// The id called `name` (e.g. `"order"`, `"payment"`) of something the command creates: a
    /// UUIDv7 with the command id's timestamp, the same on every retry of the request.
    #[must_use]
    pub fn derive(&self, name: &str) -> Uuid {
        derive_id(self.command_id, name)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CommandIds {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Self>()
            .copied()
            .unwrap_or_else(Self::fresh))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_kept_command_id_wins_over_a_fresh_one() {
        let kept = CommandIds::of(Uuid::now_v7());
        let (mut parts, ()) = axum::http::Request::new(()).into_parts();
        let fresh = CommandIds::from_request_parts(&mut parts, &())
            .await
            .unwrap();
        assert_ne!(fresh, kept);
        parts.extensions.insert(kept);
        let again = CommandIds::from_request_parts(&mut parts, &())
            .await
            .unwrap();
        assert_eq!(again, kept);
        assert_eq!(again.derive("order"), kept.derive("order"));
        assert_ne!(again.derive("order"), again.derive("payment"));
    }
}
