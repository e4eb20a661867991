//! Helpers for applying a page of events with set-based statements
//! ([`Projection::apply_page`](crate::Projection::apply_page)).
//!
//! A projection turns each event into row writes (an upsert, a guarded update, a delete of one
//! row, named by its key). Writes to different rows commute: a row's end state depends only on
//! the writes to it, in order. So a page's writes are split into [`rounds`]: round `k` holds
//! the `k`-th write of every row the page touches, in page order, and no row twice. Within a
//! round, writes of one kind go out as one multi-row statement (no statement then meets a row
//! twice, which PostgreSQL's `ON CONFLICT DO UPDATE` refuses anyway); the rounds run in order,
//! so a row written by several events of the page ends as event-by-event application leaves
//! it: the last write wins, in order. A page where every row is written once is one round.
//!
//! Statements stay within the bind-parameter limit of each backend ([`rows_per_statement`]).

use std::collections::HashMap;
use std::hash::Hash;

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AnyConnection};

use crate::Backend;

/// A statement over many rows: `head`, then `row` (a tuple whose parameters are written `?`)
/// once per row, comma-separated, then `tail`. E.g. head `INSERT INTO t (k, v) VALUES `, row
/// `(?, ?)`, tail ` ON CONFLICT (k) DO UPDATE SET v = excluded.v`; or head `UPDATE t SET v =
/// v.column2 FROM (VALUES `, row `(?, ?)`, tail `) AS v WHERE t.k = v.column1` (the columns
/// of a `VALUES` list are `column1`, `column2`, ... on both backends).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MultiRow {
    pub head: &'static str,
    pub row: &'static str,
    pub tail: &'static str,
}

impl MultiRow {
    /// The parameters one row binds.
    #[must_use]
    pub fn binds_per_row(&self) -> usize {
        self.row.matches('?').count()
    }

    /// The statement's text for `rows` rows.
    #[must_use]
    pub fn sql(&self, rows: usize) -> String {
        format!("{}{}{}", self.head, values(self.row, rows), self.tail)
    }
}

/// Runs `statement` over `rows` (each row's parameters bound by `bind`, in the order of
/// `statement.row`), in as few statements as the backend's bind limit allows; nothing when
/// `rows` is empty. The rows must write distinct rows of the table (one round of
/// [`rounds`]): a statement meets each row once.
///
/// # Errors
/// The database refused a statement.
pub async fn execute<W: Sync>(
    conn: &mut AnyConnection,
    statement: MultiRow,
    rows: &[W],
    bind: impl for<'q> Fn(Query<'q, Any, AnyArguments<'q>>, &'q W) -> Query<'q, Any, AnyArguments<'q>>
    + Send
    + Sync,
) -> Result<(), sqlx::Error> {
    let per_statement = rows_per_statement(Backend::of(conn), statement.binds_per_row());
    for chunk in rows.chunks(per_statement) {
        let sql = statement.sql(chunk.len());
        let query = chunk.iter().fold(sqlx::query(&sql), &bind);
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Splits `writes` (in page order, each with the key of the row it writes) into rounds: the
/// `k`-th write to a row goes to round `k`, so each round writes a row at most once and keeps
/// the page order of each row's writes across rounds. Empty when `writes` is.
#[must_use]
pub fn rounds<K: Eq + Hash, W>(writes: impl IntoIterator<Item = (K, W)>) -> Vec<Vec<W>> {
    let mut seen: HashMap<K, usize> = HashMap::new();
    let mut rounds: Vec<Vec<W>> = Vec::new();
    for (key, write) in writes {
        let count = seen.entry(key).or_insert(0);
        let round = *count;
        *count += 1;
        if round == rounds.len() {
            rounds.push(Vec::new());
        }
        if let Some(r) = rounds.get_mut(round) {
            r.push(write);
        }
    }
    rounds
}

/// The most bind parameters one statement may carry: SQLite's default
/// `SQLITE_MAX_VARIABLE_NUMBER` (32,766 since 3.32) and PostgreSQL's protocol limit (65,535).
#[must_use]
pub const fn max_binds(backend: Backend) -> usize {
    match backend {
        Backend::Sqlite => 32_766,
        Backend::Postgres => 65_535,
    }
}

/// How many rows of `binds_per_row` parameters one statement may carry on `backend` (at least
/// one).
#[must_use]
pub const fn rows_per_statement(backend: Backend, binds_per_row: usize) -> usize {
    if binds_per_row == 0 {
        return usize::MAX;
    }
    let rows = max_binds(backend) / binds_per_row;
    if rows == 0 { 1 } else { rows }
}

/// The tuples of a multi-row `VALUES` list: `row` (a tuple whose parameters are written `?`,
/// e.g. `"(?, ?, NULL)"`) repeated `rows` times, separated by commas, with the `?` numbered
/// `$1`, `$2`, ... in order (the `$n` form both backends read through the `Any` driver).
#[must_use]
pub fn values(row: &str, rows: usize) -> String {
    let mut sql = String::with_capacity((row.len() + 8) * rows);
    let mut n = 0_usize;
    for i in 0..rows {
        if i > 0 {
            sql.push_str(", ");
        }
        for c in row.chars() {
            if c == '?' {
                n += 1;
                sql.push('$');
                sql.push_str(&n.to_string());
            } else {
                sql.push(c);
            }
        }
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_round_writes_a_row_once_and_keeps_each_rows_order() {
        let writes = [("a", 1), ("b", 2), ("a", 3), ("c", 4), ("a", 5), ("b", 6)];
        assert_eq!(
            rounds(writes),
            vec![vec![1, 2, 4], vec![3, 6], vec![5]],
            "round k holds the k-th write of each row"
        );
        assert!(rounds(Vec::<(u8, u8)>::new()).is_empty());
    }

    #[test]
    fn values_numbers_the_parameters_across_rows() {
        assert_eq!(values("(?, ?, NULL)", 2), "($1, $2, NULL), ($3, $4, NULL)");
        assert_eq!(values("(?)", 1), "($1)");
        assert_eq!(values("(?)", 0), "");
    }

    #[test]
    fn statements_stay_within_each_backends_bind_limit() {
        assert_eq!(rows_per_statement(Backend::Sqlite, 7), 4_680);
        assert_eq!(rows_per_statement(Backend::Postgres, 7), 9_362);
        assert_eq!(rows_per_statement(Backend::Sqlite, 40_000), 1);
    }
}
