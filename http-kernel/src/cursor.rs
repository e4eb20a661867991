//! The one keyset-cursor codec every list uses (`?cursor=`, `next_cursor`).
//!
//! A cursor is base64url (no padding) of a small JSON object: the sort it was made for (`s`),
//! the sort key of the last row served (`i` an integer, `f` a float as its IEEE 754 bits so it
//! compares exactly equal to the stored value, or `t` text) and that row's id (`id`, the
//! tiebreaker). A page then starts strictly after `(key, id)`, an index range scan whatever
//! its depth.
//!
//! Cursors are not signed: a client can forge one, so decoding checks everything a list relies
//! on against the [`CursorSpec`] the list declares for its sort: the sort tag, the key's kind
//! and range (an integer where the sort is by score, a finite float where it is by rank, an
//! RFC 3339 time where it is by date) and the id's form. A forged cursor that passes is only
//! another place in the same list, which the client could have paged to anyway. Anything else
//! is [`InvalidCursor`], answered 400 `invalid_cursor`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::ApiError;

/// The longest cursor accepted, in characters (a real one is about 150).
pub const MAX_CURSOR_CHARS: usize = 1_024;

/// The sort key of the last row served.
#[derive(Debug, Clone, PartialEq)]
pub enum SortKey {
    Int(i64),
    /// Finite: NaN and infinities are refused, they would compare with nothing.
    Float(f64),
    /// Text, or an RFC 3339 time stored as text (see [`KeyKind::Time`]).
    Text(String),
}

/// The kind (and range) of key a sort's cursors carry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KeyKind {
    /// An integer within `min..=max`.
    Int { min: i64, max: i64 },
    /// A finite float within `min..=max`.
    Float { min: f64, max: f64 },
    /// An RFC 3339 date-time (the list compares the stored text).
    Time,
    /// Text of at most this many characters, without control characters.
    Text { max_chars: usize },
}

impl KeyKind {
    /// Any integer.
    pub const INT: Self = Self::Int {
        min: i64::MIN,
        max: i64::MAX,
    };
    /// An integer of at least zero (positions, versions).
    pub const NON_NEGATIVE_INT: Self = Self::Int {
        min: 0,
        max: i64::MAX,
    };
    /// Any finite float.
    pub const FINITE: Self = Self::Float {
        min: f64::MIN,
        max: f64::MAX,
    };
}

/// The tiebreaker's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    /// A UUID, as the list stores it (lower-case, hyphenated).
    Uuid,
    /// No tiebreaker: the key is unique within the list.
    None,
}

/// What a list accepts as its cursor: one per sort.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CursorSpec<'a> {
    /// The sort tag (and whatever else the key depends on, e.g. `top:week`).
    pub sort: &'a str,
    pub key: KeyKind,
    pub id: IdKind,
}

/// Where the next page starts.
#[derive(Debug, Clone, PartialEq)]
pub struct PageCursor {
    pub sort: String,
    pub key: SortKey,
    /// Empty when the spec's id is [`IdKind::None`].
    pub id: String,
}

/// A cursor that is not one of ours, was made for another sort, or carries a key of the wrong
/// kind or range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid cursor: {0}")]
pub struct InvalidCursor(pub &'static str);

impl From<InvalidCursor> for ApiError {
    fn from(e: InvalidCursor) -> Self {
        Self::Edge {
            status: axum::http::StatusCode::BAD_REQUEST,
            code: "invalid_cursor",
            message: format!(
                "the cursor is not one this list gave out for this sort ({})",
                e.0
            ),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    s: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    i: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    f: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    t: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    id: String,
}

impl PageCursor {
    #[must_use]
    pub fn new(sort: impl Into<String>, key: SortKey, id: impl Into<String>) -> Self {
        Self {
            sort: sort.into(),
            key,
            id: id.into(),
        }
    }

    /// The opaque text handed to clients.
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
        // A struct of strings and integers always serialises.
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&raw).unwrap_or_default())
    }

    /// Decodes a cursor and checks it against `spec`.
    ///
    /// # Errors
    /// Not base64url JSON of a cursor, made for another sort, or a key or id of the wrong kind
    /// or range.
    pub fn decode(text: &str, spec: CursorSpec<'_>) -> Result<Self, InvalidCursor> {
        if text.chars().count() > MAX_CURSOR_CHARS {
            return Err(InvalidCursor("too long"));
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim_end_matches('='))
            .map_err(|_| InvalidCursor("not base64url"))?;
        let raw: Raw = serde_json::from_slice(&bytes).map_err(|_| InvalidCursor("not a cursor"))?;
        if raw.s != spec.sort {
            return Err(InvalidCursor("made for another sort"));
        }
        let key = match (raw.i, raw.f, raw.t) {
            (Some(i), None, None) => SortKey::Int(i),
            (None, Some(f), None) => SortKey::Float(f64::from_bits(f)),
            (None, None, Some(t)) => SortKey::Text(t),
            _ => return Err(InvalidCursor("not exactly one key")),
        };
        check_key(&key, spec.key)?;
        let id = match spec.id {
            IdKind::None if raw.id.is_empty() => String::new(),
            IdKind::None => return Err(InvalidCursor("an id where the list has none")),
            IdKind::Uuid => uuid::Uuid::parse_str(&raw.id)
                .map(|u| u.to_string())
                .map_err(|_| InvalidCursor("the id is not a UUID"))?,
        };
        Ok(Self {
            sort: raw.s,
            key,
            id,
        })
    }
}

fn check_key(key: &SortKey, kind: KeyKind) -> Result<(), InvalidCursor> {
    match (key, kind) {
        (SortKey::Int(v), KeyKind::Int { min, max }) if (min..=max).contains(v) => Ok(()),
        (SortKey::Int(_), KeyKind::Int { .. }) => Err(InvalidCursor("key out of range")),
        (SortKey::Float(v), KeyKind::Float { min, max }) => {
            if v.is_finite() && (min..=max).contains(v) {
                Ok(())
            } else {
                Err(InvalidCursor("key not a finite number in range"))
            }
        }
        (SortKey::Text(t), KeyKind::Time) => chrono::DateTime::parse_from_rfc3339(t)
            .map(|_| ())
            .map_err(|_| InvalidCursor("key not an RFC 3339 time")),
        (SortKey::Text(t), KeyKind::Text { max_chars }) => {
            if t.chars().any(char::is_control) || t.chars().count() > max_chars {
                Err(InvalidCursor("key not acceptable text"))
            } else {
                Ok(())
            }
        }
        _ => Err(InvalidCursor("key of the wrong kind for this sort")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const ID: &str = "0190f0a4-5b7c-7d2e-8f00-0123456789ab";

    fn spec(sort: &str, key: KeyKind) -> CursorSpec<'_> {
        CursorSpec {
            sort,
            key,
            id: IdKind::Uuid,
        }
    }

    fn forged(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    #[test]
    fn round_trips_every_key_kind_exactly() {
        for (key, kind) in [
            (SortKey::Int(-42), KeyKind::INT),
            (SortKey::Float(0.1 + 0.2), KeyKind::FINITE),
            (SortKey::Float(1.0 / 3.0), KeyKind::FINITE),
            (
                SortKey::Text("2026-01-01T00:00:00.000001Z".into()),
                KeyKind::Time,
            ),
            (
                SortKey::Text("SKU-1".into()),
                KeyKind::Text { max_chars: 64 },
            ),
        ] {
            let c = PageCursor::new("hot", key, ID);
            let text = c.encode();
            assert!(
                text.chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
            );
            assert_eq!(PageCursor::decode(&text, spec("hot", kind)).unwrap(), c);
        }
        let no_id = PageCursor::new("ledger", SortKey::Int(7), "");
        let s = CursorSpec {
            sort: "ledger",
            key: KeyKind::NON_NEGATIVE_INT,
            id: IdKind::None,
        };
        assert_eq!(PageCursor::decode(&no_id.encode(), s).unwrap(), no_id);
    }

    #[test]
    fn refuses_keys_of_the_wrong_kind_or_range() {
        let top = spec("top", KeyKind::INT);
        let hot = spec("hot", KeyKind::FINITE);
        let newest = spec("newest", KeyKind::Time);
        let id = format!(r#","id":"{ID}"}}"#);
        for (text, s) in [
            (format!(r#"{{"s":"top","t":"zzz"{id}"#), top),
            (
                format!(r#"{{"s":"hot","f":{}{id}"#, f64::NAN.to_bits()),
                hot,
            ),
            (
                format!(r#"{{"s":"hot","f":{}{id}"#, f64::INFINITY.to_bits()),
                hot,
            ),
            (format!(r#"{{"s":"hot","i":3{id}"#), hot),
            (format!(r#"{{"s":"newest","t":"yesterday"{id}"#), newest),
            (format!(r#"{{"s":"newest","i":1{id}"#), newest),
            (format!(r#"{{"s":"top","i":1,"t":"x"{id}"#), top),
            (r#"{"s":"top","i":1,"id":"not-a-uuid"}"#.to_owned(), top),
            (format!(r#"{{"s":"top","i":1,"x":0{id}"#), top),
            (format!(r#"{{"s":"new","i":1{id}"#), top),
        ] {
            assert!(
                PageCursor::decode(&forged(&text), s).is_err(),
                "{text} accepted"
            );
        }
        let ledger = CursorSpec {
            sort: "ledger",
            key: KeyKind::NON_NEGATIVE_INT,
            id: IdKind::None,
        };
        assert!(PageCursor::decode(&forged(r#"{"s":"ledger","i":-1}"#), ledger).is_err());
        assert!(
            PageCursor::decode(&forged(&format!(r#"{{"s":"ledger","i":1{id}"#)), ledger).is_err()
        );
        assert!(PageCursor::decode("not a cursor!", top).is_err());
        assert!(PageCursor::decode("e30", top).is_err());
        assert!(PageCursor::decode(&"A".repeat(MAX_CURSOR_CHARS + 1), top).is_err());
    }
}
