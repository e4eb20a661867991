//! The filters of `/events` and `/events/live`: repeatable `context` and `type`, `stream`,
//! `from` and `to`, and where to start (`after`, or the page's `cursor`).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use http_kernel::ApiError;
use shared_kernel::{Cursor, EventFilter, StreamId, TypeMatch};
use utoipa::IntoParams;

/// Which events, and after which one.
#[derive(Debug, Clone, Default, PartialEq, Eq, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// Start after this event: a `next_cursor`, an item's `cursor`, a live event's `id`
    /// (400 `invalid_cursor` for anything else). `cursor` is the same.
    #[param(max_length = 1024)]
    pub after: Option<String>,
    /// Events of this context (`ordering`, `identity`...); repeat for several.
    #[param(style = Form, explode)]
    pub context: Option<Vec<String>>,
    /// Events of this type: exact (`agora.ordering.order_paid`), or a prefix ending in `*` or
    /// `.` (`agora.ordering.order_*`); repeat for several (any of them).
    #[param(style = Form, explode)]
    pub r#type: Option<Vec<String>>,
    /// Events of this stream only (`order-<id>`).
    pub stream: Option<String>,
    /// Recorded at or after this instant (RFC 3339).
    pub from: Option<String>,
    /// Recorded before this instant (RFC 3339).
    pub to: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for EventQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::parse(parts.uri.query().unwrap_or_default()))
    }
}

impl EventQuery {
    /// The parameters of a query string (unknown ones are ignored, as every list does).
    #[must_use]
    pub fn parse(query: &str) -> Self {
        let mut q = Self::default();
        for (name, value) in form_urlencoded_pairs(query) {
            let value = value.trim().to_owned();
            if value.is_empty() {
                continue;
            }
            match name.as_str() {
                "after" => q.after = Some(value),
                "cursor" => {
                    q.after.get_or_insert(value);
                }
                "context" => q.context.get_or_insert_with(Vec::new).push(value),
                "type" => q.r#type.get_or_insert_with(Vec::new).push(value),
                "stream" => q.stream = Some(value),
                "from" => q.from = Some(value),
                "to" => q.to = Some(value),
                _ => {}
            }
        }
        q
    }

    /// The filter these parameters name.
    ///
    /// # Errors
    /// 422 `validation_failed`: a context or type that is no name, a stream that is no stream
    /// id, a time that is not RFC 3339.
    pub fn filter(&self) -> Result<EventFilter, ApiError> {
        let contexts = self.context.clone().unwrap_or_default();
        for c in &contexts {
            if !c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') || c.len() > 64 {
                return Err(ApiError::Validation(format!(
                    "context must be a context's name (lower-case letters and _), got {c:?}"
                )));
            }
        }
        let mut types = Vec::new();
        for t in self.r#type.iter().flatten() {
            if t.len() > 200 || !t.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(ApiError::Validation(format!(
                    "type must be an event type or a prefix of one, got {t:?}"
                )));
            }
            types.push(TypeMatch::parse(t));
        }
        let stream = self
            .stream
            .as_deref()
            .map(|s| {
                StreamId::parse(s).map_err(|_| {
                    ApiError::Validation(format!(
                        "stream must be a stream id such as order-<id>, got {s:?}"
                    ))
                })
            })
            .transpose()?;
        Ok(EventFilter {
            contexts,
            types,
            stream,
            from: self.from.as_deref().map(|t| time("from", t)).transpose()?,
            to: self.to.as_deref().map(|t| time("to", t)).transpose()?,
        })
    }

    /// Where to start: after the given cursor, or `None`.
    ///
    /// # Errors
    /// 400 `invalid_cursor`.
    pub fn start(&self) -> Result<Option<Cursor>, ApiError> {
        self.after
            .as_deref()
            .map(|t| crate::cursor::decode(t).map_err(ApiError::from))
            .transpose()
    }
}

/// An RFC 3339 instant.
///
/// # Errors
/// 422 `validation_failed` naming the parameter.
pub fn time(name: &str, text: &str) -> Result<DateTime<Utc>, ApiError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            ApiError::Validation(format!(
                "{name} must be an RFC 3339 time such as 2026-01-31T12:00:00Z, got {text:?}"
            ))
        })
}

fn form_urlencoded_pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn repeated_filters_and_cursor_aliases() {
        let q = EventQuery::parse(
            "context=ordering&context=payments&type=agora.ordering.order_%2A&after=x&cursor=y&limit=5",
        );
        assert_eq!(q.context.as_deref().unwrap(), ["ordering", "payments"]);
        assert_eq!(q.r#type.as_deref().unwrap(), ["agora.ordering.order_*"]);
        assert_eq!(q.after.as_deref(), Some("x"));
        let f = q.filter().unwrap();
        assert_eq!(f.types, [TypeMatch::Prefix("agora.ordering.order_".into())]);
        assert!(EventQuery::parse("from=yesterday").filter().is_err());
        assert!(EventQuery::parse("stream=Nope").filter().is_err());
        assert!(EventQuery::parse("context=A-B").filter().is_err());
    }
}
