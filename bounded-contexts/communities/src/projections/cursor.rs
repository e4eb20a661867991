//! Opaque keyset cursors: base64url of a small JSON `{s, k, id}`, the sort it belongs to, the
//! sort key of the last row served and that row's id (the tiebreaker). A page then starts with
//! `(key, id) < (k, id)`, an index range scan whatever the page's depth.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// The sort key of a row, as a cursor carries it.
#[derive(Debug, Clone, PartialEq)]
pub enum SortKey {
    Int(i64),
    /// Carried as its bits, so the key compares exactly equal to the stored value.
    Float(f64),
    Text(String),
}

/// Where the next page starts.
#[derive(Debug, Clone, PartialEq)]
pub struct PageCursor {
    /// The sort (and anything else the key depends on) this cursor was made for.
    pub sort: String,
    pub key: SortKey,
    pub id: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Raw {
    s: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    i: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    f: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    t: Option<String>,
    id: String,
}

/// A cursor that is not one of ours, or one made for another sort.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid cursor")]
pub struct InvalidCursor;

impl PageCursor {
    #[must_use]
    pub fn encode(&self) -> String {
        let (mut i, mut f, mut t) = (None, None, None);
        match &self.key {
            SortKey::Int(v) => i = Some(*v),
            SortKey::Float(v) => f = Some(v.to_bits()),
            SortKey::Text(v) => t = Some(v.clone()),
        }
        let raw = Raw {
            s: self.sort.clone(),
            i,
            f,
            t,
            id: self.id.clone(),
        };
        // Serialising a struct of strings and integers cannot fail.
        let json = serde_json::to_vec(&raw).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    /// Decodes a cursor made for `sort`.
    ///
    /// # Errors
    /// Not base64url JSON of a cursor, or made for another sort.
    pub fn decode(text: &str, sort: &str) -> Result<Self, InvalidCursor> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim_end_matches('='))
            .map_err(|_| InvalidCursor)?;
        let raw: Raw = serde_json::from_slice(&bytes).map_err(|_| InvalidCursor)?;
        if raw.s != sort {
            return Err(InvalidCursor);
        }
        let key = match (raw.i, raw.f, raw.t) {
            (Some(i), None, None) => SortKey::Int(i),
            (None, Some(f), None) => SortKey::Float(f64::from_bits(f)),
            (None, None, Some(t)) => SortKey::Text(t),
            _ => return Err(InvalidCursor),
        };
        Ok(Self {
            sort: raw.s,
            key,
            id: raw.id,
        })
    }
}

/// `?limit=`: 20 by default, at most 100, at least 1.
#[must_use]
pub fn page_size(limit: Option<u32>) -> i64 {
    i64::from(limit.unwrap_or(20).clamp(1, 100))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn round_trips_every_key_kind_exactly() {
        for key in [
            SortKey::Int(-42),
            SortKey::Float(0.1 + 0.2),
            SortKey::Float(1.0 / 3.0),
            SortKey::Text("2026-01-01T00:00:00.000001Z".into()),
        ] {
            let c = PageCursor {
                sort: "hot".into(),
                key,
                id: "0190-abc".into(),
            };
            let text = c.encode();
            assert!(
                text.chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
            );
            assert_eq!(PageCursor::decode(&text, "hot").unwrap(), c);
        }
    }

    #[test]
    fn refuses_garbage_and_other_sorts() {
        let c = PageCursor {
            sort: "hot".into(),
            key: SortKey::Int(1),
            id: "x".into(),
        };
        assert_eq!(PageCursor::decode(&c.encode(), "new"), Err(InvalidCursor));
        assert_eq!(
            PageCursor::decode("not a cursor!", "hot"),
            Err(InvalidCursor)
        );
        assert_eq!(PageCursor::decode("e30", "hot"), Err(InvalidCursor));
    }

    #[test]
    fn page_size_defaults_and_clamps() {
        assert_eq!(page_size(None), 20);
        assert_eq!(page_size(Some(0)), 1);
        assert_eq!(page_size(Some(1000)), 100);
    }
}
