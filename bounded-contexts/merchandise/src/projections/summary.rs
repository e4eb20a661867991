//! What search reads of a product without looking at its variants: its price range, whether
//! any variant is in stock, and the facet counts of active products.
//!
//! Each catalog row carries `min_price_minor`/`max_price_minor` (over its variants' prices,
//! an override or else the product's price) and `in_stock` (1 when some variant's sku has
//! stock available, else 0), recomputed after every event that can change them. The facet
//! table `merchandise_facets` counts active products per (category, currency, price band,
//! in_stock), kept up to date by comparing a product's facet key before and after each event,
//! so facets of a listing without search text or price range read a few dozen rows whatever
//! the size of the catalog.

use event_schemas::inventory::StockEvent;
use sqlx::AnyConnection;

/// The price bands of the facets: each band's lower bound in minor units (a product falls in
/// the last band whose bound is at most its lowest price). Fixed, so counts can be kept: 0 to
/// 9.99, 10 to 24.99, 25 to 49.99, 50 to 99.99, 100 to 249.99, 250 to 499.99, 500 and more
/// (in the currency's major units, for two-decimal currencies).
pub const PRICE_BANDS: &[i64] = &[0, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000];

/// The band (its lower bound, minor units) of a product whose lowest price is `price_minor`.
#[must_use]
pub fn price_band(price_minor: i64) -> i64 {
    PRICE_BANDS
        .iter()
        .rev()
        .find(|bound| **bound <= price_minor)
        .copied()
        .unwrap_or(0)
}

/// The SQL expression (both dialects) of [`price_band`] over `column`, a BIGINT.
#[must_use]
pub fn price_band_sql(column: &str) -> String {
    let mut sql = String::from("CAST(CASE");
    for bound in PRICE_BANDS.iter().rev() {
        sql.push_str(&format!(" WHEN {column} >= {bound} THEN {bound}"));
    }
    sql.push_str(" ELSE 0 END AS BIGINT)");
    sql
}

/// Where an active product counts in the facets.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct FacetKey {
    category: String,
    currency: String,
    min_price_minor: i64,
    in_stock: i64,
}

/// The facet key of product `id`; `None` when it is not active (or not there).
pub(crate) async fn facet_key(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<FacetKey>, sqlx::Error> {
    sqlx::query_as::<_, FacetKey>(
        "SELECT category, currency, min_price_minor, in_stock FROM merchandise_catalog \
         WHERE id = $1 AND status = 'active'",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Moves product `id` in the facet counts from `before` to its key now.
pub(crate) async fn recount(
    conn: &mut AnyConnection,
    id: &str,
    before: Option<FacetKey>,
) -> Result<(), sqlx::Error> {
    let after = facet_key(conn, id).await?;
    if before == after {
        return Ok(());
    }
    if let Some(key) = before {
        count(conn, &key, -1).await?;
    }
    if let Some(key) = after {
        count(conn, &key, 1).await?;
    }
    Ok(())
}

async fn count(conn: &mut AnyConnection, key: &FacetKey, delta: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO merchandise_facets (category, currency, band, in_stock, products) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (category, currency, band, in_stock) \
         DO UPDATE SET products = merchandise_facets.products + excluded.products",
    )
    .bind(key.category.clone())
    .bind(key.currency.clone())
    .bind(price_band(key.min_price_minor))
    .bind(key.in_stock)
    .bind(delta)
    .execute(conn)
    .await?;
    Ok(())
}

/// Recomputes product `id`'s price range and availability from its variants and their stock.
pub(crate) async fn refresh(conn: &mut AnyConnection, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE merchandise_catalog SET \
         min_price_minor = COALESCE((SELECT MIN(COALESCE(v.price_minor, merchandise_catalog.price_minor)) \
             FROM merchandise_variants v WHERE v.product_id = merchandise_catalog.id), price_minor), \
         max_price_minor = COALESCE((SELECT MAX(COALESCE(v.price_minor, merchandise_catalog.price_minor)) \
             FROM merchandise_variants v WHERE v.product_id = merchandise_catalog.id), price_minor), \
         in_stock = CASE WHEN EXISTS (SELECT 1 FROM merchandise_variants v \
             JOIN merchandise_stock s ON s.sku = v.sku \
             WHERE v.product_id = merchandise_catalog.id AND s.available > 0) THEN 1 ELSE 0 END \
         WHERE id = $1",
    )
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

pub(crate) fn stock_sku(e: &StockEvent) -> &str {
    match e {
        StockEvent::Opened(o) => &o.sku,
        StockEvent::Received(r) => &r.sku,
        StockEvent::Adjusted(a) => &a.sku,
        StockEvent::Reserved(r) => &r.sku,
        StockEvent::Released(r) => &r.sku,
        StockEvent::Committed(c) => &c.sku,
        StockEvent::Returned(r) => &r.sku,
        StockEvent::LowStockDetected(l) => &l.sku,
        StockEvent::ThresholdSet(t) => &t.sku,
    }
}

/// Keeps the sku's latest `available`: every stock movement carries the resulting levels.
pub(crate) async fn apply_stock(
    conn: &mut AnyConnection,
    version: i64,
    e: &StockEvent,
) -> Result<(), sqlx::Error> {
    let available = match e {
        // A new stock item has nothing on hand yet.
        StockEvent::Opened(_) => 0,
        StockEvent::Received(r) => r.levels.available,
        StockEvent::Adjusted(a) => a.levels.available,
        StockEvent::Reserved(r) => r.levels.available,
        StockEvent::Released(r) => r.levels.available,
        StockEvent::Committed(c) => c.levels.available,
        StockEvent::Returned(r) => r.levels.available,
        StockEvent::LowStockDetected(l) => l.available,
        StockEvent::ThresholdSet(_) => return Ok(()),
    };
    // Guarded by the stream version: a replayed older event does not overwrite a newer level.
    sqlx::query(
        "INSERT INTO merchandise_stock (sku, available, version) VALUES ($1, $2, $3) \
         ON CONFLICT (sku) DO UPDATE SET available = excluded.available, \
         version = excluded.version WHERE merchandise_stock.version < excluded.version",
    )
    .bind(stock_sku(e).to_owned())
    .bind(available)
    .bind(version)
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_price_falls_in_the_last_band_at_or_below_it() {
        assert_eq!(price_band(0), 0);
        assert_eq!(price_band(999), 0);
        assert_eq!(price_band(1_000), 1_000);
        assert_eq!(price_band(4_999), 2_500);
        assert_eq!(price_band(10_000_000), 50_000);
        assert!(price_band_sql("p").starts_with("CAST(CASE WHEN p >= 50000 THEN 50000"));
    }
}
