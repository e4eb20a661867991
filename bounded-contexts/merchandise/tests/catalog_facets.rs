//! The catalog's variants, price ranges, availability and kept facet counts, applied event by
//! event on SQLite and on PostgreSQL: counts move with publication, variant prices, stock and
//! archiving, and a replayed event moves nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use event_schemas::inventory::{StockAdjusted, StockEvent, StockLevels, StockReceived};
use event_schemas::merchandise::{
    ProductArchived, ProductCreated, ProductEvent, ProductOption, ProductOptionsSet,
    ProductPublished, VariantAdded, VariantPriceChanged,
};
use merchandise::projections::{
    CatalogProjection, ListingQuery, facets, find_product, variants_of,
};
use projections::Projection;
use shared_kernel::ids::{ProductId, UserId};
use shared_kernel::{Currency, Cursor, DomainEvent, EventMetadata, Money, Recorded, StreamId};
use sqlx::AnyPool;

async fn pool(postgres: bool) -> AnyPool {
    sqlx::any::install_default_drivers();
    let url = if postgres {
        infrastructure::testing::fresh_postgres_url().await
    } else {
        infrastructure::testing::fresh_sqlite_url() + "?mode=rwc"
    };
    let pool = AnyPool::connect(&url).await.unwrap();
    projections::create_schema(&CatalogProjection, &pool)
        .await
        .unwrap();
    pool
}

struct Feed {
    pool: AnyPool,
    position: u64,
}

impl Feed {
    async fn apply(&mut self, stream: &StreamId, version: u64, event: &impl DomainEvent) {
        self.position += 1;
        let recorded = Recorded {
            event_id: uuid::Uuid::now_v7(),
            stream_id: stream.clone(),
            stream_version: version,
            position: self.position,
            cursor: Cursor::new(0, self.position),
            event_type: event.event_type().to_owned(),
            schema_version: event.schema_version(),
            data: event.to_data().unwrap(),
            metadata: EventMetadata::default(),
            recorded_at: Utc.timestamp_opt(1_790_000_000, 0).unwrap(),
        };
        let mut conn = self.pool.acquire().await.unwrap();
        CatalogProjection.apply(&mut conn, &recorded).await.unwrap();
    }
}

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

/// (band lower bound, count) of the non-empty bands, and (category, count), of everything.
async fn counts(pool: &AnyPool) -> (Vec<(i64, i64)>, Vec<(String, i64)>) {
    let f = facets(pool, &ListingQuery::default()).await.unwrap();
    let bands = f.price_bands.into_iter().filter(|(_, n)| *n > 0).collect();
    (bands, f.categories)
}

async fn facet_counts_follow_the_product_and_its_stock(postgres: bool) {
    let pool = pool(postgres).await;
    let mut feed = Feed {
        pool: pool.clone(),
        position: 0,
    };
    let (product_id, seller_id) = (ProductId::new(), UserId::new());
    let id = product_id.to_string();
    let product = StreamId::of("product", product_id);
    let created = ProductEvent::Created(ProductCreated {
        product_id,
        seller_id,
        title: "Tee".into(),
        description: String::new(),
        category: "clothing".into(),
        sku: "TEE-S".into(),
        price: eur(2000),
        attributes: BTreeMap::new(),
    });
    let options = ProductEvent::OptionsSet(ProductOptionsSet {
        product_id,
        options: vec![ProductOption {
            name: "size".into(),
            values: vec!["S".into(), "M".into()],
        }],
    });
    let variant = |sku: &str, size: &str, price: Option<i64>| {
        ProductEvent::VariantAdded(VariantAdded {
            product_id,
            seller_id,
            sku: sku.into(),
            option_values: BTreeMap::from([("size".to_owned(), size.to_owned())]),
            price: price.map(eur),
        })
    };
    feed.apply(&product, 1, &created).await;
    feed.apply(&product, 2, &options).await;
    feed.apply(&product, 3, &variant("TEE-S", "S", None)).await;
    feed.apply(&product, 4, &variant("TEE-M", "M", Some(3000)))
        .await;
    // A draft counts nowhere.
    assert_eq!(counts(&pool).await, (vec![], vec![]));
    let published = ProductEvent::Published(ProductPublished { product_id });
    feed.apply(&product, 5, &published).await;
    let row = find_product(&pool, &id).await.unwrap().unwrap();
    assert_eq!(
        (row.min_price_minor, row.max_price_minor, row.in_stock),
        (2000, 3000, 0)
    );
    assert_eq!(
        counts(&pool).await,
        (vec![(1_000, 1)], vec![("clothing".to_owned(), 1)])
    );
    let variants = variants_of(&pool, std::slice::from_ref(&id)).await.unwrap();
    let skus: Vec<&str> = variants[&id].iter().map(|v| v.sku.as_str()).collect();
    assert_eq!(skus, ["TEE-S", "TEE-M"], "the default variant first");
    assert_eq!(variants[&id][0].option_values, r#"{"size":"S"}"#);

    // Stock of the M variant makes the product available; the counts move to in_stock.
    let stock = StreamId::of("stock", "TEE-M");
    let received = StockEvent::Received(StockReceived {
        sku: "TEE-M".into(),
        quantity: 2,
        levels: StockLevels {
            on_hand: 2,
            reserved: 0,
            available: 2,
        },
    });
    feed.apply(&stock, 1, &received).await;
    feed.apply(&stock, 1, &received).await; // replayed: nothing moves twice
    assert_eq!(find_product(&pool, &id).await.unwrap().unwrap().in_stock, 1);
    let in_stock = ListingQuery {
        in_stock: true,
        ..ListingQuery::default()
    };
    assert_eq!(
        facets(&pool, &in_stock).await.unwrap().categories,
        [("clothing".to_owned(), 1)]
    );

    // The default variant at 9.00 moves the product to the lowest band, once.
    let cheaper = ProductEvent::VariantPriceChanged(VariantPriceChanged {
        product_id,
        sku: "TEE-S".into(),
        price: Some(eur(900)),
    });
    feed.apply(&product, 6, &cheaper).await;
    feed.apply(&product, 6, &cheaper).await;
    assert_eq!(counts(&pool).await.0, [(0, 1)]);

    // Sold out: no longer in stock; archived: counted nowhere.
    let gone = StockEvent::Adjusted(StockAdjusted {
        sku: "TEE-M".into(),
        delta: -2,
        reason: "damaged".into(),
        levels: StockLevels {
            on_hand: 0,
            reserved: 0,
            available: 0,
        },
    });
    feed.apply(&stock, 2, &gone).await;
    assert!(
        facets(&pool, &in_stock)
            .await
            .unwrap()
            .categories
            .is_empty()
    );
    assert_eq!(counts(&pool).await.0, [(0, 1)]);
    feed.apply(
        &product,
        7,
        &ProductEvent::Archived(ProductArchived { product_id }),
    )
    .await;
    assert_eq!(counts(&pool).await, (vec![], vec![]));
}

#[tokio::test]
async fn sqlite_facet_counts_follow_the_product_and_its_stock() {
    facet_counts_follow_the_product_and_its_stock(false).await;
}

#[tokio::test]
async fn postgres_facet_counts_follow_the_product_and_its_stock() {
    facet_counts_follow_the_product_and_its_stock(true).await;
}
