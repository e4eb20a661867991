//! `?as_of=<RFC 3339>`: the query of every read that answers what was true at an instant
//! (an order, a product, a sku's stock, a post), folded from the events recorded by then.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::ApiError;

/// An instant in the past, or none (now).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOf {
    /// Answer as it was at this instant (RFC 3339), folded from the events recorded by then,
    /// instead of now.
    #[param(value_type = Option<String>, format = DateTime, example = "2026-01-31T12:00:00Z")]
    pub as_of: Option<String>,
}

impl AsOf {
    /// The instant asked for, if any.
    ///
    /// # Errors
    /// [`ApiError::Validation`] (422 `validation_failed`): not an RFC 3339 time.
    pub fn instant(&self) -> Result<Option<DateTime<Utc>>, ApiError> {
        self.as_of
            .as_deref()
            .map(|t| {
                DateTime::parse_from_rfc3339(t)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| {
                        ApiError::Validation(format!(
                            "as_of must be an RFC 3339 timestamp such as 2026-01-31T12:00:00Z, \
                             got {t:?}"
                        ))
                    })
            })
            .transpose()
    }
}
