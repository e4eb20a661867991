//! What the merchandise commands answer (the bus carries them as JSON; the routes read them
//! back typed, and the API document describes these very types).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::Product;

/// A product's id and status after a write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({ "id": "0190f0a4-5b7c-7d2e-8f00-0123456789ab", "status": "draft" }))]
pub struct ProductState {
    #[schema(format = Uuid)]
    pub id: String,
    /// `draft`, `active` or `archived`.
    pub status: String,
}

impl From<&Product> for ProductState {
    fn from(p: &Product) -> Self {
        Self {
            id: p.id.to_string(),
            status: p.status.as_str().to_owned(),
        }
    }
}
