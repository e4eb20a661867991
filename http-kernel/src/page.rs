//! The one paging rule of every list: `?limit=` and `?cursor=` ([`Page`]), answered as
//! `{items, next_cursor}` ([`Paged`]).
//!
//! The rule: `limit` is an integer from 1 to [`MAX_LIMIT`], [`DEFAULT_LIMIT`] when absent; any
//! other value is refused with `422 validation_failed` (never silently capped: a client asking
//! for 500 learns it gets at most 100). `cursor` is the previous page's `next_cursor`; an empty
//! one is no cursor; one the list did not give out is `400 invalid_cursor`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::Serialize;
use utoipa::IntoParams;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::{ObjectBuilder, Required, Type};

use crate::{ApiError, CursorSpec, PageCursor};

/// The default page size.
pub const DEFAULT_LIMIT: u32 = 20;
/// The largest page size.
pub const MAX_LIMIT: u32 = 100;

/// A list's `?limit=` and `?cursor=`. Other query parameters are left to the route's own
/// `Query`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// 1 to [`MAX_LIMIT`].
    pub limit: u32,
    /// The previous page's `next_cursor`, not yet decoded (see [`Page::after`]).
    pub cursor: Option<String>,
}

impl Default for Page {
    fn default() -> Self {
        Self {
            limit: DEFAULT_LIMIT,
            cursor: None,
        }
    }
}

impl Page {
    /// The page of a query string (without the `?`).
    ///
    /// # Errors
    /// 422 `validation_failed`: `limit` is not an integer from 1 to [`MAX_LIMIT`].
    pub fn from_query(query: Option<&str>) -> Result<Self, ApiError> {
        let mut page = Self::default();
        for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            match name.as_ref() {
                "limit" => {
                    page.limit = value
                        .trim()
                        .parse::<u32>()
                        .ok()
                        .filter(|l| (1..=MAX_LIMIT).contains(l))
                        .ok_or_else(|| {
                            ApiError::Validation(format!(
                                "limit must be an integer from 1 to {MAX_LIMIT}, got {value:?}"
                            ))
                        })?;
                }
                "cursor" if !value.trim().is_empty() => page.cursor = Some(value.into_owned()),
                _ => {}
            }
        }
        Ok(page)
    }

    /// The limit as SQL binds it.
    #[must_use]
    pub fn limit(&self) -> i64 {
        i64::from(self.limit)
    }

    /// How many rows to fetch to know whether a next page exists: one more than the limit.
    #[must_use]
    pub fn fetch(&self) -> i64 {
        self.limit() + 1
    }

    /// Where the page starts: the decoded cursor, checked against the list's `spec`.
    ///
    /// # Errors
    /// 400 `invalid_cursor`: not a cursor this list gave out for this sort.
    pub fn after(&self, spec: CursorSpec<'_>) -> Result<Option<PageCursor>, ApiError> {
        self.cursor
            .as_deref()
            .map(|text| PageCursor::decode(text, spec).map_err(ApiError::from))
            .transpose()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Page {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Self::from_query(parts.uri.query())
    }
}

impl IntoParams for Page {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let limit = ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Int32,
            )))
            .minimum(Some(1))
            .maximum(Some(MAX_LIMIT))
            .default(Some(DEFAULT_LIMIT.into()));
        let cursor = ObjectBuilder::new()
            .schema_type(Type::String)
            .max_length(Some(crate::cursor::MAX_CURSOR_CHARS));
        vec![
            ParameterBuilder::new()
                .name("limit")
                .parameter_in(ParameterIn::Query)
                .required(Required::False)
                .description(Some(format!(
                    "The page's size: 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}); any other \
                     value is refused (422)"
                )))
                .schema(Some(limit))
                .build(),
            ParameterBuilder::new()
                .name("cursor")
                .parameter_in(ParameterIn::Query)
                .required(Required::False)
                .description(Some(
                    "The previous page's `next_cursor` (opaque; 400 `invalid_cursor` for one \
                     this list did not give out)",
                ))
                .schema(Some(cursor))
                .build(),
        ]
    }
}

/// A page of a list: `{items, next_cursor}`; `next_cursor` is `null` on the last page.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Paged<T> {
    pub items: Vec<T>,
    /// Send it as `?cursor=` for the next page; `null` when this page is the last.
    pub next_cursor: Option<String>,
}

impl<T> Paged<T> {
    /// The page of `rows` fetched with [`Page::fetch`]: at most `page.limit` items, and the
    /// cursor of the last one when a further row showed that more follow.
    pub fn of(mut rows: Vec<T>, page: &Page, cursor_of: impl FnOnce(&T) -> PageCursor) -> Self {
        let more = rows.len() > page.limit as usize;
        rows.truncate(page.limit as usize);
        let next_cursor = if more {
            rows.last().map(|last| cursor_of(last).encode())
        } else {
            None
        };
        Self {
            items: rows,
            next_cursor,
        }
    }

    /// The same page with each item turned into `U`.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Paged<U> {
        Paged {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::{IdKind, KeyKind, SortKey};

    #[test]
    fn one_rule_for_the_limit() {
        assert_eq!(Page::from_query(None).unwrap().limit, 20);
        assert_eq!(Page::from_query(Some("limit=1")).unwrap().limit, 1);
        assert_eq!(Page::from_query(Some("limit=100&x=y")).unwrap().limit, 100);
        for bad in [
            "limit=0",
            "limit=101",
            "limit=200",
            "limit=-1",
            "limit=abc",
            "limit=",
        ] {
            let Err(ApiError::Validation(m)) = Page::from_query(Some(bad)) else {
                panic!("{bad} accepted");
            };
            assert!(
                m.starts_with("limit must be an integer from 1 to 100"),
                "{m}"
            );
        }
        assert_eq!(Page::from_query(Some("cursor=")).unwrap().cursor, None);
    }

    #[test]
    fn a_page_has_a_next_cursor_only_when_more_follow() {
        let spec = CursorSpec {
            sort: "n",
            key: KeyKind::INT,
            id: IdKind::None,
        };
        let page = Page {
            limit: 2,
            cursor: None,
        };
        let cursor = |n: &i64| PageCursor::new("n", SortKey::Int(*n), "");
        let full = Paged::of(vec![1, 2, 3], &page, cursor);
        assert_eq!(full.items, [1, 2]);
        let next = Page {
            limit: 2,
            cursor: full.next_cursor,
        };
        assert_eq!(next.after(spec).unwrap().unwrap().key, SortKey::Int(2));
        assert_eq!(Paged::of(vec![1, 2], &page, cursor).next_cursor, None);
    }
}
