//! The cursor of the global log as clients see it: opaque (the keyset-cursor codec of every
//! list, `http_kernel::cursor`, around the store's `transaction.position`). The same text is a
//! page's `next_cursor`, an item's `cursor` extension and a live event's `id:`.

use http_kernel::{CursorSpec, IdKind, InvalidCursor, KeyKind, PageCursor, SortKey};
use shared_kernel::Cursor;

/// The cursors of the log: a store cursor as text, `<transaction>.<position>`.
pub const LOG_CURSOR: CursorSpec<'static> = CursorSpec {
    sort: "log",
    key: KeyKind::Text { max_chars: 41 },
    id: IdKind::None,
};

/// The opaque text of `cursor`: what `PageCursor::encode` makes of it, written directly
/// (an export encodes one per event).
#[must_use]
pub fn encode(cursor: Cursor) -> String {
    use base64::Engine as _;
    let json = format!(
        r#"{{"s":"{}","t":"{}.{}"}}"#,
        LOG_CURSOR.sort, cursor.transaction_id, cursor.position
    );
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

/// The store cursor an opaque text names.
///
/// # Errors
/// Not a cursor of the log.
pub fn decode(text: &str) -> Result<Cursor, InvalidCursor> {
    let page = PageCursor::decode(text.trim(), LOG_CURSOR)?;
    match page.key {
        SortKey::Text(t) => t.parse().map_err(|_| InvalidCursor("not a log position")),
        _ => Err(InvalidCursor("not a log position")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_others() {
        let c = Cursor::new(812, 4_096);
        assert_eq!(decode(&encode(c)).unwrap(), c);
        assert_eq!(
            encode(c),
            PageCursor::new(LOG_CURSOR.sort, SortKey::Text(c.to_string()), "").encode(),
            "the list codec's text"
        );
        assert!(decode("7.42").is_err());
        let other = PageCursor::new("ledger", SortKey::Int(3), "").encode();
        assert!(decode(&other).is_err());
    }
}
