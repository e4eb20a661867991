//! The facets beside a listing: how many active products match its filters per category and
//! per price band ([`super::PRICE_BANDS`], on each product's lowest variant price).
//!
//! Without search text, and with no price range or one made of whole bands (`min_price` a
//! band's lower bound, `max_price` one less than a band's: what a buyer clicking a price facet
//! sends), the counts come from `merchandise_facets`, which the projection keeps per
//! (category, currency, band, in_stock): a few rows per category, whatever the size of the
//! catalog. Otherwise the matching rows themselves are counted (as many as match).

use std::collections::BTreeMap;

use projections::Backend;
use sqlx::AnyPool;

use super::listing::{Arg, Args, ListingError, ListingQuery, filtered};
use super::summary::{PRICE_BANDS, price_band_sql};

/// Counts of the products a listing's filters select.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facets {
    /// (category, products), most products first, then by name.
    pub categories: Vec<(String, i64)>,
    /// (band's lower bound in minor units, products), one per [`PRICE_BANDS`] entry in order.
    pub price_bands: Vec<(i64, i64)>,
}

/// The facets of `query`'s filters (its sort, limit and cursor play no part).
///
/// # Errors
/// The read-model database failed.
pub async fn facets(pool: &AnyPool, query: &ListingQuery) -> Result<Facets, ListingError> {
    let mut conn = pool.acquire().await?;
    let whole_bands = query.min_price.is_none_or(|min| PRICE_BANDS.contains(&min))
        && query
            .max_price
            .is_none_or(|max| PRICE_BANDS.contains(&max.saturating_add(1)));
    let (sql, args) = if query.text.is_none() && whole_bands {
        let mut sql = String::from(
            "SELECT category, band, CAST(SUM(products) AS BIGINT) AS n \
             FROM merchandise_facets WHERE products > 0",
        );
        let mut args = Args::default();
        if let Some(category) = &query.category {
            sql.push_str(" AND category = ");
            args.push(&mut sql, Arg::Text(category.clone()));
        }
        if let Some(currency) = &query.currency {
            sql.push_str(" AND currency = ");
            args.push(&mut sql, Arg::Text(currency.clone()));
        }
        if query.in_stock {
            sql.push_str(" AND in_stock = 1");
        }
        if let Some(min) = query.min_price {
            sql.push_str(" AND band >= ");
            args.push(&mut sql, Arg::Int(min));
        }
        if let Some(max) = query.max_price {
            sql.push_str(" AND band <= ");
            args.push(&mut sql, Arg::Int(max));
        }
        sql.push_str(" GROUP BY category, band");
        (sql, args)
    } else {
        let (inner, args) = filtered(Backend::of(&conn), query);
        let band = price_band_sql("min_price_minor");
        (
            format!(
                "SELECT category, {band} AS band, COUNT(*) AS n FROM ({inner}) f \
                 GROUP BY category, {band}"
            ),
            args,
        )
    };
    let mut statement = sqlx::query_as::<_, (String, i64, i64)>(&sql);
    for arg in args.values {
        statement = match arg {
            Arg::Text(t) => statement.bind(t),
            Arg::Int(i) => statement.bind(i),
            Arg::Float(f) => statement.bind(f),
        };
    }
    let rows = statement.fetch_all(&mut *conn).await?;
    let mut categories: BTreeMap<String, i64> = BTreeMap::new();
    let mut bands: BTreeMap<i64, i64> = PRICE_BANDS.iter().map(|b| (*b, 0)).collect();
    for (category, band, n) in rows {
        *categories.entry(category).or_default() += n;
        *bands.entry(band).or_default() += n;
    }
    let mut categories: Vec<(String, i64)> = categories.into_iter().collect();
    categories.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(Facets {
        categories,
        price_bands: bands.into_iter().collect(),
    })
}
