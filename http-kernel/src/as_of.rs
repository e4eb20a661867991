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
    /// The instant asked for, if any: one already past, so the answer about it never changes
    /// later (the store settles the log before it, see `EventStore::read_filtered`).
    ///
    /// # Errors
    /// [`ApiError::Validation`] (422 `validation_failed`): not an RFC 3339 time, or one later
    /// than now.
    pub fn instant(&self) -> Result<Option<DateTime<Utc>>, ApiError> {
        let Some(text) = self.as_of.as_deref() else {
            return Ok(None);
        };
        let at = DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                ApiError::Validation(format!(
                    "as_of must be an RFC 3339 timestamp such as 2026-01-31T12:00:00Z, got \
                     {text:?}"
                ))
            })?;
        if at > Utc::now() {
            return Err(ApiError::Validation(format!(
                "as_of must not be later than now: {text:?} has not happened yet"
            )));
        }
        Ok(Some(at))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::AsOf;

    fn at(text: &str) -> AsOf {
        AsOf {
            as_of: Some(text.to_owned()),
        }
    }

    #[test]
    fn only_past_instants_are_answered() {
        assert!(AsOf::default().instant().unwrap().is_none());
        assert!(at("2026-01-31T12:00:00Z").instant().unwrap().is_some());
        assert!(at("2026-01-31").instant().is_err());
        let later = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
        assert!(at(&later).instant().is_err(), "an hour from now");
        assert!(at("9999-12-31T23:59:59Z").instant().is_err());
    }
}
