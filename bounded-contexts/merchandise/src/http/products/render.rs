//! The JSON bodies of product reads.

use crate::projections::{
    CatalogProduct, CatalogVariant, LOWEST_PRICE_WINDOW, PricePoint, lowest_price_since,
};

pub(super) fn money_json(amount_minor: i64, currency: &str) -> serde_json::Value {
    serde_json::json!({ "amount_minor": amount_minor, "currency": currency })
}

fn variant_json(p: &CatalogProduct, v: &CatalogVariant) -> serde_json::Value {
    let option_values: serde_json::Value =
        serde_json::from_str(&v.option_values).unwrap_or_else(|_| serde_json::json!({}));
    serde_json::json!({
        "sku": v.sku,
        "option_values": option_values,
        // What the variant sells at: its override, else the product's price.
        "price": money_json(v.price_minor.unwrap_or(p.price_minor), &p.currency),
        "price_override": v.price_minor.map(|m| money_json(m, &p.currency)),
        "available": v.available,
    })
}

/// A product with its variants (`variants`: the product's rows of `merchandise_variants`).
pub(super) fn product_json(p: &CatalogProduct, variants: &[CatalogVariant]) -> serde_json::Value {
    let attributes: serde_json::Value =
        serde_json::from_str(&p.attributes).unwrap_or_else(|_| serde_json::json!({}));
    let options: serde_json::Value =
        serde_json::from_str(&p.options).unwrap_or_else(|_| serde_json::json!([]));
    serde_json::json!({
        "id": p.id,
        "seller_id": p.seller_id,
        "status": p.status,
        "title": p.title,
        "description": p.description,
        "category": p.category,
        "sku": p.sku,
        "price": money_json(p.price_minor, &p.currency),
        "attributes": attributes,
        // Null until the inventory reports stock for the sku.
        "available": p.available,
        "options": options,
        "variants": variants.iter().map(|v| variant_json(p, v)).collect::<Vec<_>>(),
        "price_range": {
            "min": money_json(p.min_price_minor, &p.currency),
            "max": money_json(p.max_price_minor, &p.currency),
        },
        "in_stock": p.in_stock > 0,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
        "version": p.version,
    })
}

pub(super) fn price_point_json(p: &PricePoint) -> serde_json::Value {
    serde_json::json!({ "price": money_json(p.price_minor, &p.currency), "at": p.at })
}

/// The lowest price of the last 30 days, from the product's price history.
pub(super) fn lowest_price_30d(history: &[PricePoint]) -> serde_json::Value {
    lowest_price_since(history, chrono::Utc::now(), LOWEST_PRICE_WINDOW)
        .map_or(serde_json::Value::Null, |p| {
            money_json(p.price_minor, &p.currency)
        })
}
