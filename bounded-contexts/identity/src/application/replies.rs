//! What the identity commands answer (the bus carries it as JSON; the routes read it back
//! typed, and the API document describes this very type).

use serde::{Deserialize, Serialize};
use shared_kernel::ids::UserId;
use utoipa::ToSchema;

/// The user a command changed (every identity command answers it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({ "id": "0190f0a4-5b7c-7d2e-8f00-0123456789ab" }))]
pub struct UserRef {
    #[schema(format = Uuid)]
    pub id: String,
}

impl UserRef {
    #[must_use]
    pub fn of(user_id: UserId) -> Self {
        Self {
            id: user_id.to_string(),
        }
    }
}
