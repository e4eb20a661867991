//! Every price a product had, and the lowest of the last 30 days (the EU Omnibus directive's
//! reference price shown next to a price reduction).

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sqlx::AnyPool;

/// The window of the Omnibus reference price.
pub const LOWEST_PRICE_WINDOW: Duration = Duration::days(30);

/// A price from the moment it took effect until the next one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct PricePoint {
    /// The version of the product's stream that set it (unique per product, increasing).
    pub version: i64,
    pub price_minor: i64,
    pub currency: String,
    /// RFC 3339, UTC.
    pub at: String,
}

/// A product's prices, oldest first.
///
/// # Errors
/// The read-model database failed.
pub async fn price_history(
    pool: &AnyPool,
    product_id: &str,
) -> Result<Vec<PricePoint>, sqlx::Error> {
    sqlx::query_as::<_, PricePoint>(
        "SELECT version, price_minor, currency, at FROM merchandise_price_history \
         WHERE product_id = $1 ORDER BY version",
    )
    .bind(product_id)
    .fetch_all(pool)
    .await
}

/// The lowest price in effect at any moment of the `window` before `now`: the one in effect
/// when the window opened and every one set since (the current price included).
/// `None` for an empty history.
#[must_use]
pub fn lowest_price_since(
    history: &[PricePoint],
    now: DateTime<Utc>,
    window: Duration,
) -> Option<&PricePoint> {
    let opened = now - window;
    let took_effect =
        |p: &PricePoint| DateTime::parse_from_rfc3339(&p.at).map_or(now, |t| t.with_timezone(&Utc));
    // The last price set at or before the window opened was still in effect then.
    let first_in_window = history
        .iter()
        .rposition(|p| took_effect(p) <= opened)
        .unwrap_or(0);
    history
        .get(first_in_window..)
        .unwrap_or_default()
        .iter()
        .min_by_key(|p| p.price_minor)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn point(price_minor: i64, at: &str) -> PricePoint {
        PricePoint {
            version: 1,
            price_minor,
            currency: "EUR".into(),
            at: at.into(),
        }
    }

    #[test]
    fn the_price_in_effect_when_the_window_opened_counts_older_ones_do_not() {
        let now = DateTime::parse_from_rfc3339("2026-11-26T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let history = [
            point(500, "2026-09-01T00:00:00Z"),  // replaced before the window
            point(900, "2026-10-01T00:00:00Z"),  // in effect when the window opened
            point(1200, "2026-11-20T00:00:00Z"), // current
        ];
        let lowest = lowest_price_since(&history, now, LOWEST_PRICE_WINDOW).unwrap();
        assert_eq!(lowest.price_minor, 900);
        assert_eq!(
            lowest_price_since(&history[2..], now, LOWEST_PRICE_WINDOW)
                .unwrap()
                .price_minor,
            1200
        );
        assert!(lowest_price_since(&[], now, LOWEST_PRICE_WINDOW).is_none());
    }
}
