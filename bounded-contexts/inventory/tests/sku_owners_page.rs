//! `inventory.sku_owners` applied a page at a time (one multi-row insert per round) ends as
//! applied event by event, on SQLite and on PostgreSQL: a sku named by several events, in one
//! page or across pages, keeps its first owner.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use event_schemas::merchandise::{ProductCreated, ProductEvent, ProductPublished, VariantAdded};
use inventory::projections::{SkuOwner, SkuOwnersProjection};
use projections::Projection;
use shared_kernel::ids::{ProductId, UserId};
use shared_kernel::{Currency, Cursor, DomainEvent, EventMetadata, Money, Recorded, StreamId};
use sqlx::AnyPool;

async fn pool(postgres: bool) -> AnyPool {
    let pool = infrastructure::testing::fresh_any_pool(postgres).await;
    projections::create_schema(&SkuOwnersProjection, &pool)
        .await
        .unwrap();
    pool
}

fn recorded(product: ProductId, position: u64, event: &ProductEvent) -> Recorded {
    Recorded {
        event_id: uuid::Uuid::now_v7(),
        stream_id: StreamId::of("product", product),
        stream_version: position,
        position,
        cursor: Cursor::new(0, position),
        event_type: event.event_type().to_owned(),
        schema_version: event.schema_version(),
        data: event.to_data().unwrap(),
        metadata: EventMetadata::default(),
        recorded_at: Utc.timestamp_opt(1_790_000_000, 0).unwrap(),
    }
}

/// Products 0..3 of one seller naming skus: (product, sku, by a variant rather than creation).
fn history(products: &[ProductId], seller: UserId, names: &[(usize, &str, bool)]) -> Vec<Recorded> {
    names
        .iter()
        .enumerate()
        .flat_map(|(i, (p, sku, variant))| {
            let product_id = products[*p];
            let event = if *variant {
                ProductEvent::VariantAdded(VariantAdded {
                    product_id,
                    seller_id: seller,
                    sku: (*sku).into(),
                    option_values: BTreeMap::new(),
                    price: None,
                })
            } else {
                ProductEvent::Created(ProductCreated {
                    product_id,
                    seller_id: seller,
                    title: "t".into(),
                    description: String::new(),
                    category: "c".into(),
                    sku: (*sku).into(),
                    price: Money::new(100, Currency::EUR),
                    attributes: BTreeMap::new(),
                })
            };
            let published = ProductEvent::Published(ProductPublished { product_id });
            let at = 2 * i as u64;
            [
                recorded(product_id, at + 1, &event),
                recorded(product_id, at + 2, &published),
            ]
        })
        .collect()
}

async fn owners(pool: &AnyPool) -> Vec<SkuOwner> {
    sqlx::query_as("SELECT sku, product_id, seller_id FROM inventory_sku_owners ORDER BY sku")
        .fetch_all(pool)
        .await
        .unwrap()
}

async fn pages_keep_each_skus_first_owner(postgres: bool) {
    let products = [ProductId::new(), ProductId::new(), ProductId::new()];
    let seller = UserId::new();
    let events = history(
        &products,
        seller,
        &[
            (0, "A", false),
            (1, "B", false),
            (2, "A", true), // taken: the first keeps it
            (0, "C", true),
            (1, "A", true),
            (2, "C", false),
            (2, "D", false),
        ],
    );
    let reference = pool(postgres).await;
    let mut conn = reference.acquire().await.unwrap();
    for event in &events {
        SkuOwnersProjection.apply(&mut conn, event).await.unwrap();
    }
    let want = owners(&reference).await;
    assert_eq!(
        want.iter()
            .map(|o| (o.sku.as_str(), o.product_id.clone()))
            .collect::<Vec<_>>(),
        vec![
            ("A", products[0].to_string()),
            ("B", products[1].to_string()),
            ("C", products[0].to_string()),
            ("D", products[2].to_string()),
        ]
    );
    for size in [1, 3, 5, events.len()] {
        let paged = pool(postgres).await;
        for page in events.chunks(size) {
            let page: Vec<&Recorded> = page.iter().collect();
            let mut tx = paged.begin().await.unwrap();
            SkuOwnersProjection
                .apply_page(&mut tx, &page)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        assert_eq!(owners(&paged).await, want, "pages of {size}");
    }
}

#[tokio::test]
async fn pages_keep_each_skus_first_owner_on_sqlite() {
    pages_keep_each_skus_first_owner(false).await;
}

#[tokio::test]
async fn pages_keep_each_skus_first_owner_on_postgres() {
    pages_keep_each_skus_first_owner(true).await;
}
