//! The public listing of active products: full-text search, filters, four sort orders and
//! keyset pagination with opaque cursors.
//!
//! Relevance is `ts_rank` on PostgreSQL and `-bm25` on SQLite (higher is better on both); the
//! search text is read like a web search on both (`"a phrase"`, `or`, `-excluded`). Prices are
//! a product's lowest variant price, compared in minor units within its own currency; `currency` narrows the listing
//! to one currency, which is what makes price filters and price sorts meaningful when the
//! catalog mixes currencies.
//!
//! A cursor ([`http_kernel::PageCursor`], the codec every list shares) holds the last row's
//! sort key and id, so the next page starts strictly after it: rows added or changed meanwhile
//! neither shift nor repeat a page. (SQLite's bm25 depends on the whole index's statistics, so
//! a relevance page there can shift when products are indexed between two pages; PostgreSQL's
//! `ts_rank` does not.) Each sort declares the key its cursors carry ([`Sort::cursor_spec`]).

use http_kernel::{CursorSpec, IdKind, KeyKind, PageCursor, SortKey};
use projections::Backend;
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{AnyPool, FromRow, Row};

use super::catalog::{CatalogProduct, PG_SEARCH_CONFIG, PRODUCT_COLUMNS};

/// The order of a listing (`?sort=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    Relevance,
    PriceAsc,
    PriceDesc,
    Newest,
}

impl Sort {
    /// # Errors
    /// The name is none of `relevance`, `price_asc`, `price_desc`, `newest`.
    pub fn parse(name: &str) -> Result<Self, ListingError> {
        match name {
            "relevance" => Ok(Self::Relevance),
            "price_asc" => Ok(Self::PriceAsc),
            "price_desc" => Ok(Self::PriceDesc),
            "newest" => Ok(Self::Newest),
            other => Err(ListingError::Invalid(format!(
                "unknown sort {other:?}; use relevance, price_asc, price_desc or newest"
            ))),
        }
    }

    /// What a cursor of this sort carries: a finite relevance score, a price in minor units
    /// (0 or more), or the creation time; and the product's id.
    #[must_use]
    pub const fn cursor_spec(self) -> CursorSpec<'static> {
        let (sort, key) = match self {
            Self::Relevance => ("relevance", KeyKind::FINITE),
            Self::PriceAsc => ("price_asc", KeyKind::NON_NEGATIVE_INT),
            Self::PriceDesc => ("price_desc", KeyKind::NON_NEGATIVE_INT),
            Self::Newest => ("newest", KeyKind::Time),
        };
        CursorSpec {
            sort,
            key,
            id: IdKind::Uuid,
        }
    }
}

/// What a listing asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListingQuery {
    /// Search text; `None` lists everything.
    pub text: Option<String>,
    pub category: Option<String>,
    /// ISO 4217 code: only products priced in it.
    pub currency: Option<String>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    /// Only products with some variant in stock.
    pub in_stock: bool,
    /// `None`: relevance when searching, newest otherwise.
    pub sort: Option<Sort>,
    /// The page's size: 1 to [`http_kernel::MAX_LIMIT`] (the route's `Page` refuses others).
    pub limit: u32,
    /// Decoded with the effective sort's [`Sort::cursor_spec`].
    pub after: Option<PageCursor>,
}

impl ListingQuery {
    /// The sort actually applied: relevance needs search text; without it, newest.
    #[must_use]
    pub fn effective_sort(&self) -> Sort {
        match (self.sort, &self.text) {
            (Some(Sort::Relevance) | None, Some(_)) => Sort::Relevance,
            (Some(Sort::Relevance) | None, None) => Sort::Newest,
            (Some(sort), _) => sort,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ListingError {
    /// The request is malformed: a bad cursor, sort or filter.
    #[error("{0}")]
    Invalid(String),
    #[error("read-model database: {0}")]
    Database(#[from] sqlx::Error),
}

/// One page of the listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub items: Vec<CatalogProduct>,
    pub next: Option<PageCursor>,
}

/// A listed row: the product and its relevance score (0 without search text).
struct Listed {
    product: CatalogProduct,
    score: f64,
}

impl<'r> FromRow<'r, AnyRow> for Listed {
    fn from_row(row: &'r AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            product: CatalogProduct::from_row(row)?,
            score: row.try_get("score")?,
        })
    }
}

/// Reads one page of active products.
///
/// # Errors
/// [`ListingError::Invalid`] for a cursor of another sort order; the database failed.
pub async fn list_products(pool: &AnyPool, query: &ListingQuery) -> Result<Page, ListingError> {
    let sort = query.effective_sort();
    if let Some(after) = &query.after
        && after.sort != sort.cursor_spec().sort
    {
        return Err(ListingError::Invalid(
            "the cursor belongs to another sort order".into(),
        ));
    }
    // The route refused any other limit; a direct caller's is kept in range all the same.
    let limit = query.limit.clamp(1, http_kernel::MAX_LIMIT);
    let mut conn = pool.acquire().await?;
    let (mut sql, mut args) = filtered(Backend::of(&conn), query);
    let (column, descending) = match sort {
        Sort::Relevance => ("score", true),
        Sort::PriceAsc => ("min_price_minor", false),
        Sort::PriceDesc => ("min_price_minor", true),
        Sort::Newest => ("created_at", true),
    };
    if let Some(after) = &query.after {
        // The cursor was checked against the sort's spec when it was decoded.
        let key = match &after.key {
            SortKey::Int(p) => Arg::Int(*p),
            SortKey::Float(s) => Arg::Float(*s),
            SortKey::Text(t) => Arg::Text(t.clone()),
        };
        // Strictly after (key, id) in the page order; ids break ties in the same direction.
        let op = if descending { "<" } else { ">" };
        sql.push_str(&format!(" AND ({column} {op} "));
        let key_at = args.push(&mut sql, key);
        sql.push_str(&format!(" OR ({column} = ${key_at} AND id {op} "));
        args.push(&mut sql, Arg::Text(after.id.clone()));
        sql.push_str("))");
    }
    let direction = if descending { "DESC" } else { "ASC" };
    // One more than asked: whether there is a next page.
    sql.push_str(&format!(
        " ORDER BY {column} {direction}, id {direction} LIMIT {}",
        limit + 1
    ));

    let mut statement = sqlx::query_as::<_, Listed>(&sql);
    for arg in args.values {
        statement = match arg {
            Arg::Text(t) => statement.bind(t),
            Arg::Int(i) => statement.bind(i),
            Arg::Float(f) => statement.bind(f),
        };
    }
    let mut rows = statement.fetch_all(&mut *conn).await?;
    let has_more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next = if has_more {
        rows.last().map(|last| {
            let key = match sort {
                Sort::Relevance => SortKey::Float(last.score),
                Sort::PriceAsc | Sort::PriceDesc => SortKey::Int(last.product.min_price_minor),
                Sort::Newest => SortKey::Text(last.product.created_at.clone()),
            };
            PageCursor::new(sort.cursor_spec().sort, key, last.product.id.clone())
        })
    } else {
        None
    };
    Ok(Page {
        items: rows.into_iter().map(|r| r.product).collect(),
        next,
    })
}

/// The active products `query`'s filters select (all pages: no keyset, order or limit), as
/// SQL and its arguments.
pub(crate) fn filtered(backend: Backend, query: &ListingQuery) -> (String, Args) {
    // The matching rows with their score, then filters on top: the score is then a plain
    // column both dialects can compare.
    let mut sql = format!(
        "SELECT * FROM ({}) listed WHERE status = 'active'",
        matching(backend, query.text.is_some())
    );
    let mut args = Args::default();
    if let Some(text) = &query.text {
        let text = match backend {
            Backend::Postgres => text.clone(),
            Backend::Sqlite => fts5_query(text),
        };
        // `$1`, already in the matching query.
        args.values.push(Arg::Text(text));
    }
    if let Some(category) = &query.category {
        sql.push_str(" AND category = ");
        args.push(&mut sql, Arg::Text(category.clone()));
    }
    if let Some(currency) = &query.currency {
        sql.push_str(" AND currency = ");
        args.push(&mut sql, Arg::Text(currency.clone()));
    }
    // Prices filter on the lowest variant price (the "from" price shown first).
    if let Some(min) = query.min_price {
        sql.push_str(" AND min_price_minor >= ");
        args.push(&mut sql, Arg::Int(min));
    }
    if let Some(max) = query.max_price {
        sql.push_str(" AND min_price_minor <= ");
        args.push(&mut sql, Arg::Int(max));
    }
    if query.in_stock {
        sql.push_str(" AND in_stock = 1");
    }
    (sql, args)
}

/// The inner query: catalog rows (columns unprefixed) plus `score`. With search text it binds
/// it as `$1`.
fn matching(backend: Backend, searching: bool) -> String {
    let columns = PRODUCT_COLUMNS;
    let stock = "LEFT JOIN merchandise_stock s ON s.sku = c.sku";
    match (backend, searching) {
        (_, false) => {
            format!(
                "SELECT {columns}, CAST(0.0 AS DOUBLE PRECISION) AS score FROM merchandise_catalog c {stock}"
            )
        }
        (Backend::Postgres, true) => format!(
            "SELECT {columns}, CAST(ts_rank(m.document, q.query) AS DOUBLE PRECISION) AS score \
             FROM merchandise_search m \
             CROSS JOIN websearch_to_tsquery('{PG_SEARCH_CONFIG}', $1::text) AS q(query) \
             JOIN merchandise_catalog c ON c.id = m.id {stock} \
             WHERE m.document @@ q.query"
        ),
        // Title hits weigh ten times description hits; bm25 is lower for better matches.
        (Backend::Sqlite, true) => format!(
            "SELECT {columns}, -bm25(merchandise_search, 0.0, 10.0, 1.0) AS score \
             FROM merchandise_search JOIN merchandise_catalog c ON c.id = merchandise_search.id \
             {stock} WHERE merchandise_search MATCH $1"
        ),
    }
}

#[derive(Debug)]
pub(crate) enum Arg {
    Text(String),
    Int(i64),
    Float(f64),
}

/// Positional arguments (`$n`) in the order they are bound.
#[derive(Debug, Default)]
pub(crate) struct Args {
    pub(crate) values: Vec<Arg>,
}

impl Args {
    /// Appends `$n` for a new argument to `sql`; returns n.
    pub(crate) fn push(&mut self, sql: &mut String, arg: Arg) -> usize {
        self.values.push(arg);
        let n = self.values.len();
        sql.push_str(&format!("${n}"));
        n
    }
}

/// Turns web-search text into an FTS5 query that cannot be a syntax error: every word and
/// `"quoted phrase"` becomes a quoted FTS5 string (all must match), `or` between two terms
/// becomes `OR`, and `-word` excludes the word (FTS5's binary `NOT`, so only after a term).
#[must_use]
pub fn fts5_query(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut positive = 0_usize;
    let mut pending_or = false;
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let negated = c == '-';
        if negated {
            chars.next();
        }
        let phrase = chars.peek() == Some(&'"');
        let mut term = String::new();
        if phrase {
            chars.next();
            for c in chars.by_ref() {
                if c == '"' {
                    break;
                }
                term.push(c);
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                term.push(c);
                chars.next();
            }
        }
        // Keep what the tokenizer indexes; punctuation alone matches nothing.
        if !term.chars().any(char::is_alphanumeric) {
            continue;
        }
        if !phrase && !negated && term.eq_ignore_ascii_case("or") {
            pending_or = positive > 0;
            continue;
        }
        let quoted = format!("\"{}\"", term.replace('"', "\"\""));
        if negated {
            if positive > 0 {
                out.push(format!("NOT {quoted}"));
            }
        } else {
            if pending_or {
                out.push("OR".into());
            }
            out.push(quoted);
            positive += 1;
        }
        pending_or = false;
    }
    if positive == 0 {
        // Nothing to look for: a query that matches no row rather than a syntax error.
        return "\"\"".into();
    }
    out.join(" ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn web_search_text_becomes_a_safe_fts5_query() {
        assert_eq!(fts5_query("walnut chess"), r#""walnut" "chess""#);
        assert_eq!(
            fts5_query(r#""hand carved" or oak -plastic"#),
            r#""hand carved" OR "oak" NOT "plastic""#
        );
        assert_eq!(fts5_query(r#"a"b: ( * NEAR"#), r#""a""b:" "NEAR""#);
        assert_eq!(fts5_query("-only or"), r#""""#);
        assert_eq!(fts5_query("  "), r#""""#);
    }

    #[test]
    fn each_sort_refuses_the_keys_of_the_others() {
        let id = "0190f0a4-5b7c-7d2e-8f00-0123456789ab";
        let score = PageCursor::new("relevance", SortKey::Float(0.060_792_710_632_085_8), id);
        let spec = Sort::Relevance.cursor_spec();
        assert_eq!(PageCursor::decode(&score.encode(), spec).unwrap(), score);
        let time = PageCursor::new(
            "newest",
            SortKey::Text("2026-11-26T01:00:00.000000Z".into()),
            id,
        );
        let newest = Sort::Newest.cursor_spec();
        assert_eq!(PageCursor::decode(&time.encode(), newest).unwrap(), time);
        let not_a_time = PageCursor::new("newest", SortKey::Text("zzz".into()), id);
        assert!(PageCursor::decode(&not_a_time.encode(), newest).is_err());
        let negative = PageCursor::new("price_asc", SortKey::Int(-1), id);
        assert!(PageCursor::decode(&negative.encode(), Sort::PriceAsc.cursor_spec()).is_err());
        assert!(PageCursor::decode(&score.encode(), newest).is_err());
    }
}
