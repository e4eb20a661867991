//! Keyset cursors: the codec every list shares ([`http_kernel::PageCursor`]); each list here
//! declares the key its sort's cursors carry, so a forged cursor of the wrong kind or range is
//! refused (400 `invalid_cursor`, by `http_kernel::Page::after`) instead of paging from a
//! meaningless place.

use sqlx::any::AnyArguments;
use sqlx::query::QueryAs;

pub use http_kernel::{CursorSpec, IdKind, InvalidCursor, KeyKind, PageCursor, SortKey};

/// A list's cursor spec: `sort` tag, `key` kind, and a UUID tiebreaker (every list here is
/// keyed by ids).
#[must_use]
pub const fn spec(sort: &str, key: KeyKind) -> CursorSpec<'_> {
    CursorSpec {
        sort,
        key,
        id: IdKind::Uuid,
    }
}

/// `query` with `after`'s key and id bound as its next two parameters (the `(key, id) < (.., ..)`
/// of a keyset page). The list's spec checked the key's kind when the cursor was decoded.
pub(super) fn bind_after<'q, O>(
    query: QueryAs<'q, sqlx::Any, O, AnyArguments<'q>>,
    after: PageCursor,
) -> QueryAs<'q, sqlx::Any, O, AnyArguments<'q>> {
    match after.key {
        SortKey::Int(v) => query.bind(v),
        SortKey::Float(v) => query.bind(v),
        SortKey::Text(v) => query.bind(v),
    }
    .bind(after.id)
}
