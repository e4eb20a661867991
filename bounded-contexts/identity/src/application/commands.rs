//! The identity commands as they travel on the command bus. Passwords travel only as argon2id
//! hashes: the clear text never leaves the HTTP edge that received it.

use serde::{Deserialize, Serialize};
use shared_kernel::ids::UserId;

use super::PasswordHash;
use crate::CONTEXT;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", content = "payload", rename_all = "snake_case")]
pub enum IdentityCommand {
    RegisterUser {
        user_id: UserId,
        email: String,
        display_name: String,
        password_hash: PasswordHash,
    },
    UpdateProfile {
        user_id: UserId,
        display_name: String,
    },
    ChangePassword {
        user_id: UserId,
        password_hash: PasswordHash,
    },
    GrantRole {
        user_id: UserId,
        role: String,
        #[serde(default)]
        scope: Option<String>,
    },
    RevokeRole {
        user_id: UserId,
        role: String,
        #[serde(default)]
        scope: Option<String>,
    },
    /// Logout: the access token `token_id` (its `jti`) of `user_id`, valid until `expires_at`
    /// (Unix seconds), is refused from now on.
    SignOut {
        user_id: UserId,
        token_id: String,
        expires_at: i64,
    },
}

impl IdentityCommand {
    #[must_use]
    pub const fn user_id(&self) -> UserId {
        match self {
            Self::RegisterUser { user_id, .. }
            | Self::UpdateProfile { user_id, .. }
            | Self::ChangePassword { user_id, .. }
            | Self::GrantRole { user_id, .. }
            | Self::RevokeRole { user_id, .. }
            | Self::SignOut { user_id, .. } => *user_id,
        }
    }
}

impl shared_kernel::ContextCommand for IdentityCommand {
    const CONTEXT: &'static str = CONTEXT;
}
