//! Who is calling.
//!
//! STOPGAP until the identity issue lands: the caller is named by the `X-Agora-User-Id` header
//! (a UUID), trusted as given. It is replaced by verified JWTs (issue 4); nothing here checks a
//! credential, so do not expose a server built from this revision to untrusted clients.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use shared_kernel::ids::UserId;

use crate::ApiError;

pub const USER_HEADER: &str = "x-agora-user-id";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub user_id: UserId,
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let value = parts
            .headers
            .get(USER_HEADER)
            .ok_or(ApiError::Unauthenticated)?;
        let user_id = value
            .to_str()
            .ok()
            .and_then(|v| v.parse::<UserId>().ok())
            .ok_or(ApiError::Unauthenticated)?;
        Ok(Self { user_id })
    }
}

impl<S: Send + Sync> axum::extract::OptionalFromRequestParts<S> for Caller {
    type Rejection = ApiError;

    /// No identity header: an anonymous caller. A malformed one is still an error.
    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        if parts.headers.contains_key(USER_HEADER) {
            <Self as FromRequestParts<S>>::from_request_parts(parts, state)
                .await
                .map(Some)
        } else {
            Ok(None)
        }
    }
}
