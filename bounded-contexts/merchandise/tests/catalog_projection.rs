//! The catalog projection applied event by event, on SQLite and on PostgreSQL: stock levels
//! from the inventory's stock events, the search index following title changes, price
//! history, and replays that change nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use event_schemas::inventory::{
    LowStockThresholdSet, StockEvent, StockItemOpened, StockLevels, StockReceived, StockReserved,
};
use event_schemas::merchandise::{
    ProductCreated, ProductDetailsChanged, ProductEvent, ProductPriceChanged, ProductPublished,
};
use merchandise::projections::{
    CatalogProjection, ListingQuery, find_product, list_products, price_history,
};
use projections::Projection;
use shared_kernel::ids::{OrderId, ProductId, UserId};
use shared_kernel::{Cursor, DomainEvent, EventMetadata, Money, Recorded, StreamId};
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

/// Feeds events to the projection as the projector would, numbering positions.
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
            recorded_at: Utc
                .timestamp_opt(1_790_000_000 + self.position as i64, 0)
                .unwrap(),
        };
        let mut conn = self.pool.acquire().await.unwrap();
        CatalogProjection.apply(&mut conn, &recorded).await.unwrap();
    }
}

fn levels(on_hand: i64, reserved: i64) -> StockLevels {
    StockLevels {
        on_hand,
        reserved,
        available: on_hand - reserved,
    }
}

async fn stock_search_and_prices_follow_the_events(postgres: bool) {
    let pool = pool(postgres).await;
    let mut feed = Feed {
        pool: pool.clone(),
        position: 0,
    };
    let (product_id, seller_id) = (ProductId::new(), UserId::new());
    let id = product_id.to_string();
    let product = StreamId::of("product", product_id);
    let stock = StreamId::of("stock", "LAMP-7");
    let created = ProductEvent::Created(ProductCreated {
        product_id,
        seller_id,
        title: "Brass lamp".into(),
        description: "A desk lamp".into(),
        category: "lighting".into(),
        sku: "LAMP-7".into(),
        price: Money::new(4900, shared_kernel::Currency::EUR),
        attributes: BTreeMap::new(),
    });
    feed.apply(&product, 1, &created).await;
    feed.apply(
        &product,
        2,
        &ProductEvent::Published(ProductPublished { product_id }),
    )
    .await;
    assert_eq!(
        find_product(&pool, &id).await.unwrap().unwrap().available,
        None,
        "no stock reported yet"
    );

    let opened = StockEvent::Opened(StockItemOpened {
        sku: "LAMP-7".into(),
        product_id,
        seller_id,
        low_stock_threshold: 1,
    });
    feed.apply(&stock, 1, &opened).await;
    assert_eq!(
        find_product(&pool, &id).await.unwrap().unwrap().available,
        Some(0)
    );
    let received = StockEvent::Received(StockReceived {
        sku: "LAMP-7".into(),
        quantity: 5,
        levels: levels(5, 0),
    });
    feed.apply(&stock, 2, &received).await;
    feed.apply(
        &stock,
        3,
        &StockEvent::Reserved(StockReserved {
            sku: "LAMP-7".into(),
            order_id: OrderId::new(),
            quantity: 2,
            levels: levels(5, 2),
        }),
    )
    .await;
    feed.apply(
        &stock,
        4,
        &StockEvent::ThresholdSet(LowStockThresholdSet {
            sku: "LAMP-7".into(),
            threshold: 2,
        }),
    )
    .await;
    // An older event delivered again does not bring back an older level.
    feed.apply(&stock, 2, &received).await;
    feed.apply(&product, 1, &created).await;
    let row = find_product(&pool, &id).await.unwrap().unwrap();
    assert_eq!(row.available, Some(3));
    assert_eq!(row.status, "active");
    assert_eq!(row.version, 2);

    // The search index follows the title; the old title no longer finds it.
    let search = |text: &str| ListingQuery {
        text: Some(text.into()),
        limit: 20,
        ..ListingQuery::default()
    };
    let found = list_products(&pool, &search("brass")).await.unwrap();
    assert_eq!(found.items.len(), 1);
    assert_eq!(found.items[0].available, Some(3));
    feed.apply(
        &product,
        3,
        &ProductEvent::DetailsChanged(ProductDetailsChanged {
            product_id,
            title: "Copper lamp".into(),
            description: "A desk lamp".into(),
            category: "lighting".into(),
        }),
    )
    .await;
    assert!(
        list_products(&pool, &search("brass"))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert_eq!(
        list_products(&pool, &search("copper"))
            .await
            .unwrap()
            .items
            .len(),
        1
    );

    // Each price once, replays included.
    let cheaper = ProductEvent::PriceChanged(ProductPriceChanged {
        product_id,
        price: Money::new(3900, shared_kernel::Currency::EUR),
    });
    feed.apply(&product, 4, &cheaper).await;
    feed.apply(&product, 4, &cheaper).await;
    let prices: Vec<i64> = price_history(&pool, &id)
        .await
        .unwrap()
        .iter()
        .map(|p| p.price_minor)
        .collect();
    assert_eq!(prices, [4900, 3900]);

    // A rebuild empties every table, the search index included, on either backend.
    for table in CatalogProjection.tables() {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&pool)
            .await
            .unwrap();
    }
    assert!(find_product(&pool, &id).await.unwrap().is_none());
    assert!(
        list_products(&pool, &search("copper"))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    // And the schema can be created again over existing tables.
    projections::create_schema(&CatalogProjection, &pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn sqlite_stock_search_and_prices_follow_the_events() {
    stock_search_and_prices_follow_the_events(false).await;
}

#[tokio::test]
async fn postgres_stock_search_and_prices_follow_the_events() {
    stock_search_and_prices_follow_the_events(true).await;
}
