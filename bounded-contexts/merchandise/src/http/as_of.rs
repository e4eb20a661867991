//! A product as it was at an instant (`GET /api/v1/products/{id}?as_of=`): its stream folded up
//! to that instant into the rows the catalog would have held then (products take no
//! snapshots: their streams are short). Stock is inventory's and is not folded here: as of an
//! instant, `available` is 0 and `in_stock` false (a sku's stock then:
//! `GET /api/v1/inventory/{sku}?as_of=`).

use chrono::{DateTime, SecondsFormat, Utc};
use event_schemas::merchandise::ProductEvent;
use http_kernel::ApiError;
use shared_kernel::{DomainEvent, Recorded};

use crate::projections::{CatalogProduct, CatalogVariant, PricePoint};

/// What the catalog held for a product at an instant.
pub(super) struct Then {
    pub product: CatalogProduct,
    pub variants: Vec<CatalogVariant>,
    pub prices: Vec<PricePoint>,
}

fn time(e: &Recorded) -> String {
    e.recorded_at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The product of `events` (its stream, in order) as it was at `at`; `None` before it was
/// created.
///
/// # Errors
/// An event this code cannot read.
pub(super) fn product_at(events: &[Recorded], at: DateTime<Utc>) -> Result<Option<Then>, ApiError> {
    let mut then: Option<Then> = None;
    for e in events.iter().take_while(|e| e.recorded_at <= at) {
        let event = ProductEvent::decode(&e.event_type, e.schema_version, e.data.clone())
            .map_err(ApiError::internal)?;
        let version = i64::try_from(e.stream_version).unwrap_or(i64::MAX);
        if let ProductEvent::Created(c) = &event {
            let price = c.price.amount_minor;
            then = Some(Then {
                product: CatalogProduct {
                    id: c.product_id.to_string(),
                    seller_id: c.seller_id.to_string(),
                    status: "draft".into(),
                    title: c.title.clone(),
                    description: c.description.clone(),
                    category: c.category.clone(),
                    sku: c.sku.clone(),
                    price_minor: price,
                    currency: c.price.currency.to_string(),
                    attributes: serde_json::to_string(&c.attributes).unwrap_or_default(),
                    created_at: time(e),
                    updated_at: time(e),
                    version,
                    options: "[]".into(),
                    min_price_minor: price,
                    max_price_minor: price,
                    in_stock: 0,
                    available: None,
                },
                variants: vec![CatalogVariant {
                    product_id: c.product_id.to_string(),
                    sku: c.sku.clone(),
                    option_values: "{}".into(),
                    price_minor: None,
                    available: None,
                }],
                prices: vec![PricePoint {
                    version,
                    price_minor: price,
                    currency: c.price.currency.to_string(),
                    at: time(e),
                }],
            });
            continue;
        }
        let Some(t) = then.as_mut() else { continue };
        let p = &mut t.product;
        match event {
            ProductEvent::Published(_) => p.status = "active".into(),
            ProductEvent::Archived(_) => p.status = "archived".into(),
            ProductEvent::DetailsChanged(d) => {
                p.title = d.title;
                p.description = d.description;
                p.category = d.category;
            }
            ProductEvent::PriceChanged(c) => {
                p.price_minor = c.price.amount_minor;
                t.prices.push(PricePoint {
                    version,
                    price_minor: c.price.amount_minor,
                    currency: c.price.currency.to_string(),
                    at: time(e),
                });
            }
            ProductEvent::OptionsSet(o) => {
                p.options = serde_json::to_string(&o.options).unwrap_or_default();
            }
            ProductEvent::VariantAdded(v) => {
                let values = serde_json::to_string(&v.option_values).unwrap_or_default();
                let price = v.price.map(|m| m.amount_minor);
                match t.variants.iter_mut().find(|x| x.sku == v.sku) {
                    Some(x) => {
                        x.option_values = values;
                        x.price_minor = price;
                    }
                    None => t.variants.push(CatalogVariant {
                        product_id: p.id.clone(),
                        sku: v.sku,
                        option_values: values,
                        price_minor: price,
                        available: None,
                    }),
                }
            }
            ProductEvent::VariantPriceChanged(v) => {
                if let Some(x) = t.variants.iter_mut().find(|x| x.sku == v.sku) {
                    x.price_minor = v.price.map(|m| m.amount_minor);
                }
            }
            ProductEvent::Created(_) => {}
        }
        p.updated_at = time(e);
        p.version = version;
        let prices = t
            .variants
            .iter()
            .map(|v| v.price_minor.unwrap_or(p.price_minor));
        p.min_price_minor = prices.clone().min().unwrap_or(p.price_minor);
        p.max_price_minor = prices.max().unwrap_or(p.price_minor);
    }
    Ok(then)
}
