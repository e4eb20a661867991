//! `ordering.products` applied a page at a time (multi-row statements) ends exactly as applied
//! event by event, on SQLite and on PostgreSQL: for any sequence of product events over a few
//! products sharing a few skus (so pages hold several writes of one row, variants claimed by
//! two products, stale replays of earlier events), cut into pages of any size.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use event_schemas::merchandise::{
    ProductArchived, ProductCreated, ProductDetailsChanged, ProductEvent, ProductOptionsSet,
    ProductPriceChanged, ProductPublished, VariantAdded, VariantPriceChanged,
};
use ordering::projections::ProductsProjection;
use projections::Projection;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use shared_kernel::ids::{ProductId, UserId};
use shared_kernel::{Currency, Cursor, DomainEvent, EventMetadata, Money, Recorded, StreamId};
use sqlx::AnyPool;

const SKUS: [&str; 3] = ["SKU-A", "SKU-B", "SKU-C"];
const PRODUCTS: usize = 3;

/// One step of a generated history: what happens to product `p` (an index into the ids).
#[derive(Debug, Clone)]
enum Step {
    Create {
        p: usize,
        sku: usize,
        price: i64,
    },
    Publish {
        p: usize,
    },
    Details {
        p: usize,
        title: u8,
    },
    Price {
        p: usize,
        price: i64,
        usd: bool,
    },
    Archive {
        p: usize,
    },
    Options {
        p: usize,
    },
    AddVariant {
        p: usize,
        sku: usize,
        price: Option<i64>,
    },
    VariantPrice {
        p: usize,
        sku: usize,
        price: Option<i64>,
    },
    /// A copy of the `n`-th event so far (modulo their number), applied again later.
    Replay {
        n: usize,
    },
}

fn step() -> impl Strategy<Value = Step> {
    let p = 0..PRODUCTS;
    let sku = 0..SKUS.len();
    prop_oneof![
        3 => (p.clone(), sku.clone(), 1..9_i64).prop_map(|(p, sku, price)| Step::Create { p, sku, price }),
        2 => p.clone().prop_map(|p| Step::Publish { p }),
        2 => (p.clone(), 0..4_u8).prop_map(|(p, title)| Step::Details { p, title }),
        2 => (p.clone(), 1..9_i64, any::<bool>()).prop_map(|(p, price, usd)| Step::Price { p, price, usd }),
        1 => p.clone().prop_map(|p| Step::Archive { p }),
        1 => p.clone().prop_map(|p| Step::Options { p }),
        2 => (p.clone(), sku.clone(), proptest::option::of(1..9_i64))
            .prop_map(|(p, sku, price)| Step::AddVariant { p, sku, price }),
        2 => (p, sku, proptest::option::of(1..9_i64))
            .prop_map(|(p, sku, price)| Step::VariantPrice { p, sku, price }),
        1 => (0..64_usize).prop_map(|n| Step::Replay { n }),
    ]
}

/// The ids of the generated products and their seller.
struct Ids {
    products: Vec<ProductId>,
    seller: UserId,
}

/// Turns `steps` into recorded events: each product's stream versions count up from 1, a
/// replay repeats an earlier event's stream and version at a new position.
fn history(ids: &Ids, steps: &[Step]) -> Vec<Recorded> {
    let mut versions = [0_u64; PRODUCTS];
    let mut events: Vec<Recorded> = Vec::new();
    for step in steps {
        let (p, event) = match step {
            Step::Replay { n } => {
                if events.is_empty() {
                    continue;
                }
                let mut copy = events[n % events.len()].clone();
                copy.position = events.len() as u64 + 1;
                copy.cursor = Cursor::new(0, copy.position);
                events.push(copy);
                continue;
            }
            Step::Create { p, sku, price } => {
                (*p, ProductEvent::Created(created(ids, *p, *sku, *price)))
            }
            Step::Publish { p } => (
                *p,
                ProductEvent::Published(ProductPublished {
                    product_id: ids.products[*p],
                }),
            ),
            Step::Details { p, title } => (
                *p,
                ProductEvent::DetailsChanged(ProductDetailsChanged {
                    product_id: ids.products[*p],
                    title: format!("title {title}"),
                    description: String::new(),
                    category: "c".into(),
                }),
            ),
            Step::Price { p, price, usd } => (
                *p,
                ProductEvent::PriceChanged(ProductPriceChanged {
                    product_id: ids.products[*p],
                    price: Money::new(*price, if *usd { Currency::USD } else { Currency::EUR }),
                }),
            ),
            Step::Archive { p } => (
                *p,
                ProductEvent::Archived(ProductArchived {
                    product_id: ids.products[*p],
                }),
            ),
            Step::Options { p } => (
                *p,
                ProductEvent::OptionsSet(ProductOptionsSet {
                    product_id: ids.products[*p],
                    options: Vec::new(),
                }),
            ),
            Step::AddVariant { p, sku, price } => (
                *p,
                ProductEvent::VariantAdded(VariantAdded {
                    product_id: ids.products[*p],
                    seller_id: ids.seller,
                    sku: SKUS[*sku].into(),
                    option_values: BTreeMap::new(),
                    price: price.map(|m| Money::new(m, Currency::EUR)),
                }),
            ),
            Step::VariantPrice { p, sku, price } => (
                *p,
                ProductEvent::VariantPriceChanged(VariantPriceChanged {
                    product_id: ids.products[*p],
                    sku: SKUS[*sku].into(),
                    price: price.map(|m| Money::new(m, Currency::EUR)),
                }),
            ),
        };
        versions[p] += 1;
        let position = events.len() as u64 + 1;
        events.push(recorded(
            &StreamId::of("product", ids.products[p]),
            versions[p],
            position,
            &event,
        ));
    }
    events
}

fn created(ids: &Ids, p: usize, sku: usize, price: i64) -> ProductCreated {
    ProductCreated {
        product_id: ids.products[p],
        seller_id: ids.seller,
        title: format!("product {p}"),
        description: String::new(),
        category: "c".into(),
        sku: SKUS[sku].into(),
        price: Money::new(price, Currency::EUR),
        attributes: BTreeMap::new(),
    }
}

fn recorded(stream: &StreamId, version: u64, position: u64, event: &ProductEvent) -> Recorded {
    Recorded {
        event_id: uuid::Uuid::now_v7(),
        stream_id: stream.clone(),
        stream_version: version,
        position,
        cursor: Cursor::new(0, position),
        event_type: event.event_type().to_owned(),
        schema_version: event.schema_version(),
        data: event.to_data().unwrap(),
        metadata: EventMetadata::default(),
        recorded_at: Utc.timestamp_opt(1_790_000_000, 0).unwrap(),
    }
}

async fn pool(postgres: bool) -> AnyPool {
    let pool = infrastructure::testing::fresh_any_pool(postgres).await;
    projections::create_schema(&ProductsProjection, &pool)
        .await
        .unwrap();
    pool
}

type ProductRow = (String, String, String, String, String, i64, String, i64);
type VariantRow = (String, String, Option<i64>);

/// Both tables, in key order.
async fn tables(pool: &AnyPool) -> (Vec<ProductRow>, Vec<VariantRow>) {
    let products = sqlx::query_as(
        "SELECT product_id, seller_id, sku, title, status, price_minor, currency, version \
         FROM ordering_products ORDER BY product_id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let variants =
        sqlx::query_as("SELECT sku, product_id, price_minor FROM ordering_variants ORDER BY sku")
            .fetch_all(pool)
            .await
            .unwrap();
    (products, variants)
}

async fn clear(pool: &AnyPool) {
    for table in ProductsProjection.tables() {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(pool)
            .await
            .unwrap();
    }
}

async fn one_by_one(pool: &AnyPool, events: &[Recorded]) {
    let mut conn = pool.acquire().await.unwrap();
    for event in events {
        ProductsProjection.apply(&mut conn, event).await.unwrap();
    }
}

/// Applies `events` cut into pages of `sizes` (cycled), each in a transaction of its own.
async fn by_pages(pool: &AnyPool, events: &[Recorded], sizes: &[usize]) {
    let mut rest = events;
    for size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (page, after) = rest.split_at((*size).clamp(1, rest.len()));
        let page: Vec<&Recorded> = page.iter().collect();
        let mut tx = pool.begin().await.unwrap();
        ProductsProjection.apply_page(&mut tx, &page).await.unwrap();
        tx.commit().await.unwrap();
        rest = after;
    }
}

fn page_apply_equals_event_by_event(postgres: bool) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (reference, paged) =
        runtime.block_on(async { (pool(postgres).await, pool(postgres).await) });
    let ids = Ids {
        products: (0..PRODUCTS).map(|_| ProductId::new()).collect(),
        seller: UserId::new(),
    };
    let config = Config {
        cases: if postgres { 48 } else { 96 },
        failure_persistence: None,
        ..Config::default()
    };
    let strategy = (
        proptest::collection::vec(step(), 1..48),
        proptest::collection::vec(1..12_usize, 1..4),
    );
    TestRunner::new(config)
        .run(&strategy, |(steps, sizes)| {
            let events = history(&ids, &steps);
            let (want, got) = runtime.block_on(async {
                clear(&reference).await;
                clear(&paged).await;
                one_by_one(&reference, &events).await;
                by_pages(&paged, &events, &sizes).await;
                (tables(&reference).await, tables(&paged).await)
            });
            if want == got {
                Ok(())
            } else {
                Err(TestCaseError::fail(format!(
                    "event by event {want:?}\npaged {got:?}"
                )))
            }
        })
        .unwrap();
}

#[test]
fn page_apply_equals_event_by_event_on_sqlite() {
    page_apply_equals_event_by_event(false);
}

#[test]
fn page_apply_equals_event_by_event_on_postgres() {
    page_apply_equals_event_by_event(true);
}

/// One page holding every write of one product and its variants, several of each row: the
/// last wins, in order, and a stale replay changes nothing.
async fn one_page_with_repeats_of_a_row(postgres: bool) {
    let pool = pool(postgres).await;
    let ids = Ids {
        products: vec![ProductId::new(), ProductId::new(), ProductId::new()],
        seller: UserId::new(),
    };
    let steps = [
        Step::Create {
            p: 0,
            sku: 0,
            price: 5,
        },
        Step::Price {
            p: 0,
            price: 7,
            usd: false,
        },
        Step::Publish { p: 0 },
        Step::Details { p: 0, title: 1 },
        Step::Price {
            p: 0,
            price: 8,
            usd: true,
        },
        Step::Replay { n: 1 }, // the first price change again: stale, nothing moves
        Step::AddVariant {
            p: 0,
            sku: 1,
            price: Some(3),
        },
        Step::VariantPrice {
            p: 0,
            sku: 1,
            price: None,
        },
        Step::VariantPrice {
            p: 0,
            sku: 1,
            price: Some(4),
        },
        Step::VariantPrice {
            p: 1,
            sku: 1,
            price: Some(6),
        }, // not its sku: nothing moves
        Step::Archive { p: 0 },
    ];
    let events = history(&ids, &steps);
    let page: Vec<&Recorded> = events.iter().collect();
    let mut tx = pool.begin().await.unwrap();
    ProductsProjection.apply_page(&mut tx, &page).await.unwrap();
    tx.commit().await.unwrap();
    let id = ids.products[0].to_string();
    let (products, variants) = tables(&pool).await;
    assert_eq!(
        products,
        vec![(
            id.clone(),
            ids.seller.to_string(),
            "SKU-A".to_owned(),
            "title 1".to_owned(),
            "archived".to_owned(),
            8,
            "USD".to_owned(),
            9, // the variant events count in the product's stream too
        )]
    );
    assert_eq!(
        variants,
        vec![
            ("SKU-A".to_owned(), id.clone(), None),
            ("SKU-B".to_owned(), id, Some(4))
        ]
    );
}

#[tokio::test]
async fn one_page_with_repeats_of_a_row_on_sqlite() {
    one_page_with_repeats_of_a_row(false).await;
}

#[tokio::test]
async fn one_page_with_repeats_of_a_row_on_postgres() {
    one_page_with_repeats_of_a_row(true).await;
}

/// A page of more creations than one statement may carry parameters for (4,680 rows on
/// SQLite, 9,362 on PostgreSQL) is split across statements, and every product lands.
async fn a_page_beyond_the_bind_limit(postgres: bool) {
    let pool = pool(postgres).await;
    let seller = UserId::new();
    let events: Vec<Recorded> = (0..10_000_u64)
        .map(|i| {
            let product_id = ProductId::new();
            let created = ProductCreated {
                product_id,
                seller_id: seller,
                title: format!("product {i}"),
                description: String::new(),
                category: "c".into(),
                sku: format!("SKU-{i}"),
                price: Money::new(100, Currency::EUR),
                attributes: BTreeMap::new(),
            };
            recorded(
                &StreamId::of("product", product_id),
                1,
                i + 1,
                &ProductEvent::Created(created),
            )
        })
        .collect();
    let page: Vec<&Recorded> = events.iter().collect();
    let mut tx = pool.begin().await.unwrap();
    ProductsProjection.apply_page(&mut tx, &page).await.unwrap();
    tx.commit().await.unwrap();
    let (products, variants) = tables(&pool).await;
    assert_eq!((products.len(), variants.len()), (10_000, 10_000));
}

#[tokio::test]
async fn a_page_beyond_the_bind_limit_on_sqlite() {
    a_page_beyond_the_bind_limit(false).await;
}

#[tokio::test]
async fn a_page_beyond_the_bind_limit_on_postgres() {
    a_page_beyond_the_bind_limit(true).await;
}
