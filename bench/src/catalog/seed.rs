//! Seeds the catalog read model directly with set-based SQL (a generated series of product
//! numbers, 100k per statement), not through events: a million products through the event
//! store and the projection would take far longer than the measurement, and measure writes.
//!
//! Product `n` (1-based): category `cat{n % 20}`; price 500 + (n * 7919) % 60000 minor units
//! (spread over every price band); title words `w{n % 97}` and `k{n % 89}`, plus `zephyr` for
//! exactly 100 active products whatever the size (a selective search); every 50th a draft; every
//! third without stock; every fourth with a second variant 5.00 dearer. Then `VACUUM ANALYZE`
//! (PostgreSQL) or `ANALYZE` (SQLite).

use anyhow::{Context, Result};
use merchandise::projections::summary::price_band_sql;
use projections::Backend;
use sqlx::AnyPool;

const CHUNK: u64 = 100_000;

/// The product numbers `$1..=$2` as a row source `s(n)`.
fn series(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "generate_series(CAST($1 AS BIGINT), CAST($2 AS BIGINT)) AS s(n)",
        Backend::Sqlite => "s",
    }
}

fn prefix(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "",
        Backend::Sqlite => {
            "WITH RECURSIVE s(n) AS (SELECT $1 UNION ALL SELECT n + 1 FROM s WHERE n < $2) "
        }
    }
}

/// A UUID-shaped id and an RFC 3339 time (n seconds after 2026-01-01) of product `n`.
fn id_and_time(backend: Backend) -> (&'static str, &'static str) {
    match backend {
        Backend::Postgres => (
            "lpad(to_hex(n), 8, '0') || '-0000-7000-8000-' || lpad(to_hex(n), 12, '0')",
            "to_char(TIMESTAMP '2026-01-01' + n * INTERVAL '1 second', 'YYYY-MM-DD\"T\"HH24:MI:SS') || '.000000Z'",
        ),
        Backend::Sqlite => (
            "printf('%08x-0000-7000-8000-%012x', n, n)",
            "strftime('%Y-%m-%dT%H:%M:%S', 1767225600 + n, 'unixepoch') || '.000000Z'",
        ),
    }
}

/// Seeds `products` products into an empty catalog (schema created).
///
/// # Errors
/// A statement failed.
pub(super) async fn seed(pool: &AnyPool, products: u64) -> Result<()> {
    let mut conn = pool.acquire().await?;
    let backend = Backend::of(&conn);
    let (id, time) = id_and_time(backend);
    let price = "(500 + (n * 7919) % 60000)";
    let extra = "(CASE WHEN n % 4 = 0 THEN 500 ELSE 0 END)";
    let catalog = format!(
        "{prefix}INSERT INTO merchandise_catalog (id, seller_id, status, title, description, \
         category, sku, price_minor, currency, attributes, created_at, updated_at, version, \
         options, min_price_minor, max_price_minor, in_stock) \
         SELECT {id}, '00000000-0000-7000-8000-000000000001', \
         CASE WHEN n % 50 = 0 THEN 'draft' ELSE 'active' END, \
         'Item w' || (n % 97) || ' k' || (n % 89) || \
            CASE WHEN n % CAST($3 AS BIGINT) = 1 % CAST($3 AS BIGINT) THEN ' zephyr' ELSE '' END, \
         'Bench product number ' || n, 'cat' || (n % 20), 'B' || n, {price}, 'EUR', '{{}}', \
         {time}, {time}, 1, '[]', {price}, {price} + {extra}, \
         CASE WHEN n % 3 = 0 THEN 0 ELSE 1 END FROM {series}",
        prefix = prefix(backend),
        series = series(backend),
    );
    let variants = format!(
        "{prefix}INSERT INTO merchandise_variants (sku, product_id, option_values, price_minor, \
         position) SELECT 'B' || n, {id}, '{{}}', NULL, 1 FROM {series}",
        prefix = prefix(backend),
        series = series(backend),
    );
    let second = format!(
        "{prefix}INSERT INTO merchandise_variants (sku, product_id, option_values, price_minor, \
         position) SELECT 'B' || n || 'L', {id}, '{{\"size\":\"L\"}}', {price} + 500, 2 \
         FROM {series} WHERE n % 4 = 0",
        prefix = prefix(backend),
        series = series(backend),
    );
    let stock = format!(
        "{prefix}INSERT INTO merchandise_stock (sku, available, version) \
         SELECT 'B' || n, CASE WHEN n % 3 = 0 THEN 0 ELSE 5 END, 1 FROM {series}",
        prefix = prefix(backend),
        series = series(backend),
    );
    let rare = i64::try_from((products / 100).max(1)).unwrap_or(1);
    let mut start = 1;
    while start <= products {
        let end = (start + CHUNK - 1).min(products);
        let (a, b) = (
            i64::try_from(start).unwrap_or(i64::MAX),
            i64::try_from(end).unwrap_or(i64::MAX),
        );
        for sql in [&catalog, &variants, &second, &stock] {
            let mut q = sqlx::query(sql).bind(a).bind(b);
            if sql == &catalog {
                q = q.bind(rare);
            }
            q.execute(&mut *conn)
                .await
                .with_context(|| format!("seeding products {start} to {end}"))?;
        }
        start = end + 1;
    }
    let search = match backend {
        Backend::Postgres => {
            "INSERT INTO merchandise_search (id, document) SELECT id, \
             setweight(to_tsvector('english', title), 'A') || \
             setweight(to_tsvector('english', description), 'B') FROM merchandise_catalog"
        }
        Backend::Sqlite => {
            "INSERT INTO merchandise_search (id, title, description) \
             SELECT id, title, description FROM merchandise_catalog"
        }
    };
    sqlx::query(search).execute(&mut *conn).await?;
    let band = price_band_sql("min_price_minor");
    sqlx::query(&format!(
        "INSERT INTO merchandise_facets (category, currency, band, in_stock, products) \
         SELECT category, currency, {band}, in_stock, COUNT(*) FROM merchandise_catalog \
         WHERE status = 'active' GROUP BY category, currency, {band}, in_stock"
    ))
    .execute(&mut *conn)
    .await?;
    // As autovacuum would have by then: statistics, and on PostgreSQL the GIN index's pending
    // list merged (a plain string runs outside a transaction, as VACUUM must).
    let analyze = match backend {
        Backend::Postgres => "VACUUM ANALYZE",
        Backend::Sqlite => "ANALYZE",
    };
    sqlx::Executor::execute(&mut *conn, analyze).await?;
    Ok(())
}
