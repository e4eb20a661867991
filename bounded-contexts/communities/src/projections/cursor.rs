//! Keyset cursors: the codec every list shares ([`http_kernel::PageCursor`]); each list here
//! declares the key its sort's cursors carry, so a forged cursor of the wrong kind or range is
//! refused (400 `invalid_cursor`) instead of paging from a meaningless place.

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

/// `?limit=`: 20 by default, at most 100, at least 1.
#[must_use]
pub fn page_size(limit: Option<u32>) -> i64 {
    i64::from(limit.unwrap_or(20).clamp(1, 100))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_defaults_and_clamps() {
        assert_eq!(page_size(None), 20);
        assert_eq!(page_size(Some(0)), 1);
        assert_eq!(page_size(Some(1000)), 100);
    }
}
