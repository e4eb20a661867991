//! `ordering.products` a page at a time: each event becomes the row writes its
//! [`apply`](super::ProductsProjection) statements make (the same guards: inserts that keep an
//! existing row, updates guarded by the stream version, variant prices guarded by the owning
//! product), and the page's writes go out as multi-row statements, one per kind of write and
//! round ([`projections::bulk`]): a page of product creations is two statements, whatever its
//! size, instead of two per event.

use event_schemas::merchandise::ProductEvent;
use projections::ProjectionError;
use projections::bulk::{self, MultiRow};
use shared_kernel::{DecodeError, DomainEvent, Recorded};
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AnyConnection};

/// One row write, as one of the single-event statements makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Write {
    /// A product's default variant: its creation sku at the product's price, unless the sku
    /// has a row already.
    DefaultVariant {
        sku: String,
        product_id: String,
    },
    /// A new product, as a draft, unless it has a row already.
    Create {
        product_id: String,
        seller_id: String,
        sku: String,
        title: String,
        price_minor: i64,
        currency: String,
        version: i64,
    },
    Publish {
        product_id: String,
        version: i64,
    },
    Details {
        product_id: String,
        title: String,
        version: i64,
    },
    Price {
        product_id: String,
        price_minor: i64,
        currency: String,
        version: i64,
    },
    Archive {
        product_id: String,
        version: i64,
    },
    /// A variant inserted, or its price set when the product owns the sku already.
    AddVariant {
        sku: String,
        product_id: String,
        price_minor: Option<i64>,
    },
    /// A variant's price override, when the product owns the sku.
    VariantPrice {
        sku: String,
        product_id: String,
        price_minor: Option<i64>,
    },
}

/// The row a write touches: its table and key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Row<'a> {
    Product(&'a str),
    Variant(&'a str),
}

/// The kinds of write, one multi-row statement each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    DefaultVariant,
    Create,
    Publish,
    Details,
    Price,
    Archive,
    AddVariant,
    VariantPrice,
}

impl Kind {
    /// The statement of this kind: the single-event statement with its parameters taken
    /// from a `VALUES` list (its columns are `column1`, `column2`, ... on both backends).
    const fn statement(self) -> MultiRow {
        let (head, row, tail) = match self {
            Self::DefaultVariant => (
                "INSERT INTO ordering_variants (sku, product_id, price_minor) VALUES ",
                "(?, ?, NULL)",
                " ON CONFLICT (sku) DO NOTHING",
            ),
            Self::Create => (
                "INSERT INTO ordering_products (product_id, seller_id, sku, title, status, \
                 price_minor, currency, version) VALUES ",
                "(?, ?, ?, ?, 'draft', ?, ?, ?)",
                " ON CONFLICT (product_id) DO NOTHING",
            ),
            Self::Publish => (
                "UPDATE ordering_products SET status = 'active', version = v.column2 \
                 FROM (VALUES ",
                "(?, ?)",
                ") AS v WHERE ordering_products.product_id = v.column1 \
                 AND ordering_products.version < v.column2",
            ),
            Self::Details => (
                "UPDATE ordering_products SET title = v.column2, version = v.column3 \
                 FROM (VALUES ",
                "(?, ?, ?)",
                ") AS v WHERE ordering_products.product_id = v.column1 \
                 AND ordering_products.version < v.column3",
            ),
            Self::Price => (
                "UPDATE ordering_products SET price_minor = v.column2, currency = v.column3, \
                 version = v.column4 FROM (VALUES ",
                "(?, ?, ?, ?)",
                ") AS v WHERE ordering_products.product_id = v.column1 \
                 AND ordering_products.version < v.column4",
            ),
            Self::Archive => (
                "UPDATE ordering_products SET status = 'archived', version = v.column2 \
                 FROM (VALUES ",
                "(?, ?)",
                ") AS v WHERE ordering_products.product_id = v.column1 \
                 AND ordering_products.version < v.column2",
            ),
            Self::AddVariant => (
                "INSERT INTO ordering_variants (sku, product_id, price_minor) VALUES ",
                "(?, ?, ?)",
                " ON CONFLICT (sku) DO UPDATE SET price_minor = excluded.price_minor \
                 WHERE ordering_variants.product_id = excluded.product_id",
            ),
            // The cast types a column that may be NULL in every row (PostgreSQL would
            // otherwise take an untyped VALUES column for text).
            Self::VariantPrice => (
                "UPDATE ordering_variants SET price_minor = v.column3 FROM (VALUES ",
                "(?, ?, CAST(? AS BIGINT))",
                ") AS v WHERE ordering_variants.sku = v.column1 \
                 AND ordering_variants.product_id = v.column2",
            ),
        };
        MultiRow { head, row, tail }
    }
}

impl Write {
    const fn kind(&self) -> Kind {
        match self {
            Self::DefaultVariant { .. } => Kind::DefaultVariant,
            Self::Create { .. } => Kind::Create,
            Self::Publish { .. } => Kind::Publish,
            Self::Details { .. } => Kind::Details,
            Self::Price { .. } => Kind::Price,
            Self::Archive { .. } => Kind::Archive,
            Self::AddVariant { .. } => Kind::AddVariant,
            Self::VariantPrice { .. } => Kind::VariantPrice,
        }
    }

    fn row(&self) -> Row<'_> {
        match self {
            Self::Create { product_id, .. }
            | Self::Publish { product_id, .. }
            | Self::Details { product_id, .. }
            | Self::Price { product_id, .. }
            | Self::Archive { product_id, .. } => Row::Product(product_id),
            Self::DefaultVariant { sku, .. }
            | Self::AddVariant { sku, .. }
            | Self::VariantPrice { sku, .. } => Row::Variant(sku),
        }
    }

    /// Binds this write's parameters, in the order of its kind's `row`.
    fn bind<'q>(
        &'q self,
        query: Query<'q, Any, AnyArguments<'q>>,
    ) -> Query<'q, Any, AnyArguments<'q>> {
        match self {
            Self::DefaultVariant { sku, product_id } => query.bind(sku).bind(product_id),
            Self::Create {
                product_id,
                seller_id,
                sku,
                title,
                price_minor,
                currency,
                version,
            } => query
                .bind(product_id)
                .bind(seller_id)
                .bind(sku)
                .bind(title)
                .bind(*price_minor)
                .bind(currency)
                .bind(*version),
            Self::Publish {
                product_id,
                version,
            }
            | Self::Archive {
                product_id,
                version,
            } => query.bind(product_id).bind(*version),
            Self::Details {
                product_id,
                title,
                version,
            } => query.bind(product_id).bind(title).bind(*version),
            Self::Price {
                product_id,
                price_minor,
                currency,
                version,
            } => query
                .bind(product_id)
                .bind(*price_minor)
                .bind(currency)
                .bind(*version),
            Self::AddVariant {
                sku,
                product_id,
                price_minor,
            }
            | Self::VariantPrice {
                sku,
                product_id,
                price_minor,
            } => query.bind(sku).bind(product_id).bind(*price_minor),
        }
    }
}

/// The row writes of one event, in the order [`apply`](super::ProductsProjection) makes them:
/// none for events of other streams than `product-` ones and for options.
///
/// # Errors
/// The event cannot be decoded.
fn writes_of(event: &Recorded) -> Result<Vec<Write>, DecodeError> {
    if event.stream_id.kind() != "product" {
        return Ok(Vec::new());
    }
    let e = ProductEvent::decode(&event.event_type, event.schema_version, event.data.clone())?;
    let version = i64::try_from(event.stream_version).unwrap_or(i64::MAX);
    Ok(match e {
        ProductEvent::Created(c) => {
            let product_id = c.product_id.to_string();
            vec![
                Write::DefaultVariant {
                    sku: c.sku.clone(),
                    product_id: product_id.clone(),
                },
                Write::Create {
                    product_id,
                    seller_id: c.seller_id.to_string(),
                    sku: c.sku,
                    title: c.title,
                    price_minor: c.price.amount_minor,
                    currency: c.price.currency.to_string(),
                    version,
                },
            ]
        }
        ProductEvent::Published(p) => vec![Write::Publish {
            product_id: p.product_id.to_string(),
            version,
        }],
        ProductEvent::DetailsChanged(d) => vec![Write::Details {
            product_id: d.product_id.to_string(),
            title: d.title,
            version,
        }],
        ProductEvent::PriceChanged(p) => vec![Write::Price {
            product_id: p.product_id.to_string(),
            price_minor: p.price.amount_minor,
            currency: p.price.currency.to_string(),
            version,
        }],
        ProductEvent::Archived(a) => vec![Write::Archive {
            product_id: a.product_id.to_string(),
            version,
        }],
        ProductEvent::VariantAdded(v) => vec![Write::AddVariant {
            sku: v.sku,
            product_id: v.product_id.to_string(),
            price_minor: v.price.map(|p| p.amount_minor),
        }],
        ProductEvent::VariantPriceChanged(v) => vec![Write::VariantPrice {
            sku: v.sku,
            product_id: v.product_id.to_string(),
            price_minor: v.price.map(|p| p.amount_minor),
        }],
        ProductEvent::OptionsSet(_) => Vec::new(),
    })
}

/// Applies `events` in order with multi-row statements: the tables end as applying each
/// event alone leaves them. Writes to different rows commute, so the page's writes are split
/// into rounds in which each row is written once ([`bulk::rounds`]); a round's writes of one
/// kind go out together ([`bulk::execute`]: as few statements as the bind limit allows).
///
/// # Errors
/// An event cannot be decoded, or the read-model database refused a statement.
pub(super) async fn apply_page(
    conn: &mut AnyConnection,
    events: &[&Recorded],
) -> Result<(), ProjectionError> {
    let mut writes = Vec::new();
    for event in events {
        writes.extend(writes_of(event)?);
    }
    for mut round in bulk::rounds(writes.iter().map(|w| (w.row(), w))) {
        // Stable: a kind's writes keep their page order (they touch different rows anyway).
        round.sort_by_key(|w| w.kind());
        for run in round.chunk_by(|a, b| a.kind() == b.kind()) {
            if let Some(kind) = run.first().map(|w| w.kind()) {
                bulk::execute(conn, kind.statement(), run, |query, write| {
                    write.bind(query)
                })
                .await?;
            }
        }
    }
    Ok(())
}
