//! The variants of the catalog's products (`merchandise_variants`, one row per sku), with the
//! stock available for each.

use std::collections::HashMap;

use event_schemas::merchandise::ProductEvent;
use sqlx::{AnyConnection, AnyPool};

/// A variant as the catalog shows it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CatalogVariant {
    pub product_id: String,
    pub sku: String,
    /// JSON object: option name -> value (`{}` for a single-sku product's default variant).
    pub option_values: String,
    /// The override in minor units (the product's currency); `None`: the product's price.
    pub price_minor: Option<i64>,
    /// Stock available for the sku; `None` before the inventory reported any.
    pub available: Option<i64>,
}

/// The variants of the products `ids`, in the order they were added, per product id.
///
/// # Errors
/// The read-model database failed.
pub async fn variants_of(
    pool: &AnyPool,
    ids: &[String],
) -> Result<HashMap<String, Vec<CatalogVariant>>, sqlx::Error> {
    let mut out: HashMap<String, Vec<CatalogVariant>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let placeholders: Vec<String> = (1..=ids.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "SELECT v.product_id, v.sku, v.option_values, v.price_minor, s.available \
         FROM merchandise_variants v LEFT JOIN merchandise_stock s ON s.sku = v.sku \
         WHERE v.product_id IN ({}) ORDER BY v.product_id, v.position, v.sku",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_as::<_, CatalogVariant>(&sql);
    for id in ids {
        query = query.bind(id.clone());
    }
    for variant in query.fetch_all(pool).await? {
        out.entry(variant.product_id.clone())
            .or_default()
            .push(variant);
    }
    Ok(out)
}

/// The products whose variant is `sku` (one, as skus are claimed once).
pub(crate) async fn products_of_sku(
    conn: &mut AnyConnection,
    sku: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar::<_, String>("SELECT product_id FROM merchandise_variants WHERE sku = $1")
        .bind(sku)
        .fetch_all(conn)
        .await
}

/// Records an added variant; replays change nothing.
async fn upsert_variant(
    conn: &mut AnyConnection,
    product_id: &str,
    sku: &str,
    option_values: &str,
    price_minor: Option<i64>,
    position: i64,
) -> Result<(), sqlx::Error> {
    // The default variant (created at position 1) gets its option values from the first
    // `variant_added` of a product with options, which keeps position 1.
    sqlx::query(
        "INSERT INTO merchandise_variants (sku, product_id, option_values, price_minor, position) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sku) DO UPDATE SET \
         option_values = excluded.option_values, price_minor = excluded.price_minor \
         WHERE merchandise_variants.product_id = excluded.product_id",
    )
    .bind(sku)
    .bind(product_id)
    .bind(option_values)
    .bind(price_minor)
    .bind(position)
    .execute(conn)
    .await?;
    Ok(())
}

/// Applies the variant events of a product; other events are none of this module's.
pub(crate) async fn apply_variant_event(
    conn: &mut AnyConnection,
    event: &ProductEvent,
    version: i64,
) -> Result<(), sqlx::Error> {
    match event {
        ProductEvent::OptionsSet(o) => {
            let options = serde_json::to_string(&o.options).unwrap_or_else(|_| "[]".into());
            sqlx::query("UPDATE merchandise_catalog SET options = $2 WHERE id = $1")
                .bind(o.product_id.to_string())
                .bind(options)
                .execute(conn)
                .await?;
        }
        ProductEvent::VariantAdded(v) => {
            let values = serde_json::to_string(&v.option_values).unwrap_or_else(|_| "{}".into());
            upsert_variant(
                conn,
                &v.product_id.to_string(),
                &v.sku,
                &values,
                v.price.map(|p| p.amount_minor),
                version,
            )
            .await?;
        }
        ProductEvent::VariantPriceChanged(v) => {
            sqlx::query(
                "UPDATE merchandise_variants SET price_minor = $3 \
                 WHERE sku = $1 AND product_id = $2",
            )
            .bind(v.sku.clone())
            .bind(v.product_id.to_string())
            .bind(v.price.map(|p| p.amount_minor))
            .execute(conn)
            .await?;
        }
        _ => {}
    }
    Ok(())
}
