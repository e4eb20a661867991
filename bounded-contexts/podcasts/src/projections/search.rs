//! Full-text search of shows and episodes, as the catalog does it: on PostgreSQL a weighted
//! `tsvector` (title `A`, the rest `B`) with a GIN index, read with `websearch_to_tsquery`; on
//! SQLite an FTS5 table (porter stemmer) read with `bm25`. Each search table has the same name
//! on both backends, so the shared code can empty it, and documents hold plain text (HTML
//! descriptions lose their tags first).

use projections::Backend;
use sqlx::AnyConnection;

/// The PostgreSQL text-search configuration.
pub(crate) const PG_SEARCH_CONFIG: &str = "english";

/// Writes the document of `id` (its title, then other text) into `table`.
pub(crate) async fn index(
    conn: &mut AnyConnection,
    table: &str,
    id: &str,
    title: &str,
    body: &str,
) -> Result<(), sqlx::Error> {
    let body = plain_text(body);
    match Backend::of(conn) {
        Backend::Postgres => {
            sqlx::query(&format!(
                "INSERT INTO {table} (id, document) VALUES ($1, \
                 setweight(to_tsvector('{PG_SEARCH_CONFIG}', $2::text), 'A') || \
                 setweight(to_tsvector('{PG_SEARCH_CONFIG}', $3::text), 'B')) \
                 ON CONFLICT (id) DO UPDATE SET document = excluded.document"
            ))
            .bind(id)
            .bind(title)
            .bind(body)
            .execute(&mut *conn)
            .await?;
        }
        Backend::Sqlite => {
            // FTS5 tables have no unique constraint to upsert on.
            remove(conn, table, id).await?;
            sqlx::query(&format!(
                "INSERT INTO {table} (id, title, body) VALUES ($1, $2, $3)"
            ))
            .bind(id)
            .bind(title)
            .bind(body)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// Removes `id`'s document from `table`.
pub(crate) async fn remove(
    conn: &mut AnyConnection,
    table: &str,
    id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!("DELETE FROM {table} WHERE id = $1"))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The search's part of a query over `table` joined to rows aliased `r` on `r.id`: a `FROM`
/// clause, the `WHERE` condition that matches `$1` (the search text as the backend reads it)
/// and the relevance score (higher is better on both backends).
pub(crate) fn matching(backend: Backend, table: &str) -> (String, String, String) {
    match backend {
        Backend::Postgres => (
            format!(
                "{table} m CROSS JOIN websearch_to_tsquery('{PG_SEARCH_CONFIG}', $1::text) AS q(query)"
            ),
            "m.document @@ q.query".to_owned(),
            "CAST(ts_rank(m.document, q.query) AS DOUBLE PRECISION)".to_owned(),
        ),
        // Title hits weigh ten times the rest; bm25 is lower for better matches.
        Backend::Sqlite => (
            table.to_owned(),
            format!("{table} MATCH $1"),
            format!("-bm25({table}, 0.0, 10.0, 1.0)"),
        ),
    }
}

/// The search text as `backend` reads it: PostgreSQL's `websearch_to_tsquery` takes it as it
/// is; SQLite gets a safe FTS5 query ([`fts5_query`]).
pub(crate) fn query_text(backend: Backend, text: &str) -> String {
    match backend {
        Backend::Postgres => text.to_owned(),
        Backend::Sqlite => fts5_query(text),
    }
}

/// HTML as the words a reader sees (tags dropped, entities decoded by the sanitiser).
#[must_use]
pub fn plain_text(html: &str) -> String {
    let text = ammonia::Builder::empty().clean(html).to_string();
    text.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
}

/// Turns web-search text into an FTS5 query that cannot be a syntax error (the rule of the
/// catalog's search): every word and `"quoted phrase"` becomes a quoted FTS5 string (all must
/// match), `or` between two terms becomes `OR`, and `-word` excludes the word.
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
        return "\"\"".into();
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_is_safe_and_plain() {
        assert_eq!(
            fts5_query("chess or go -poker"),
            r#""chess" OR "go" NOT "poker""#
        );
        assert_eq!(fts5_query("( *"), r#""""#);
        assert_eq!(plain_text("<p>Rock &amp; <b>roll</b></p>"), "Rock & roll");
    }
}
