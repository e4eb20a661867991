//! No statement on the event store's hot path reads more than it returns (DESIGN.md, hard
//! problem 9): with a log of 20,000 events and fresh statistics, PostgreSQL plans every one of
//! them without a sequential scan of `events` and without sorting more than a page. A plan
//! that regresses (a cast that hides an index, a condition no index serves) fails here.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use infrastructure::postgres::plans::{filtered_read_plans, hot_path_plans};
use infrastructure::postgres::{PgEventStore, migrate};
use infrastructure::testing::fresh_postgres_url;
use shared_kernel::{EventMetadata, EventStore, ExpectedVersion, NewEvent, StreamId};
use sqlx::postgres::PgPoolOptions;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hot_path_statements_read_through_indexes() {
    let url = fresh_postgres_url().await;
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .connect(&url)
        .await
        .unwrap();
    migrate(&pool).await.unwrap();
    let store = PgEventStore::new(pool.clone());
    // 400 streams of 50 events, every event with a command id, as handlers record them.
    for s in 0..400 {
        let stream = StreamId::of("plan", Uuid::now_v7());
        let events = (0..50)
            .map(|i| NewEvent {
                event_id: Uuid::now_v7(),
                event_type: "agora.plan.checked".into(),
                schema_version: 1,
                data: serde_json::json!({ "s": s, "i": i }),
                metadata: EventMetadata {
                    command_id: Some(Uuid::now_v7()),
                    ..EventMetadata::default()
                },
            })
            .collect();
        store
            .append(&stream, ExpectedVersion::NoStream, events)
            .await
            .unwrap();
    }
    sqlx::query("ANALYZE").execute(&pool).await.unwrap();

    let plans = hot_path_plans(&pool).await.unwrap();
    assert!(plans.len() >= 9, "every hot-path statement is planned");
    let problems: Vec<String> = plans.iter().flat_map(|p| p.problems()).collect();
    assert!(
        problems.is_empty(),
        "{problems:#?}\n{:#}",
        serde_json::Value::Array(plans.iter().map(|p| p.plan.clone()).collect())
    );
}

/// Every filter of the analysts' reads (`read_filtered`) is served by an index: at 100,000
/// events of 30 types in 5 contexts, no plan scans `events` whole or sorts more than a page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filtered_reads_are_served_by_indexes_at_100k_events() {
    let url = fresh_postgres_url().await;
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .connect(&url)
        .await
        .unwrap();
    migrate(&pool).await.unwrap();
    // Set-based, in 100 transactions of 1,000: 2,000 streams of 50 events, types spread over
    // the log.
    for chunk in 0..100_i64 {
        sqlx::query(
            "INSERT INTO events (event_id, stream_id, stream_version, event_type, schema_version, \
         data, metadata) \
         SELECT gen_random_uuid(), 'plan-' || (n / 50), n % 50 + 1, \
                'agora.ctx' || (n % 5) || '.thing_' || (n % 6), 1, \
                jsonb_build_object('n', n), '{}'::jsonb \
         FROM generate_series($1 * 1000, $1 * 1000 + 999) AS n",
        )
        .bind(chunk)
        .execute(&pool)
        .await
        .unwrap();
    }
    sqlx::query("ANALYZE").execute(&pool).await.unwrap();
    let plans = filtered_read_plans(
        &pool,
        ["agora.ctx1.thing_1", "agora.ctx2.thing_2"],
        "agora.ctx3.",
    )
    .await
    .unwrap();
    assert!(plans.len() >= 9, "every filtered statement is planned");
    if std::env::var_os("AGORA_SHOW_PLANS").is_some() {
        for p in &plans {
            println!("{}: {}", p.statement, p.plan);
        }
    }
    let problems: Vec<String> = plans.iter().flat_map(|p| p.problems()).collect();
    assert!(
        problems.is_empty(),
        "{problems:#?}\n{:#}",
        serde_json::Value::Array(plans.iter().map(|p| p.plan.clone()).collect())
    );
}

#[test]
fn a_sequential_scan_of_events_is_a_problem() {
    let plan = infrastructure::postgres::plans::Plan {
        statement: "head",
        plan: serde_json::json!([{ "Plan": {
            "Node Type": "Limit",
            "Plans": [{ "Node Type": "Sort", "Plan Rows": 20000.0,
                "Plans": [{ "Node Type": "Seq Scan", "Relation Name": "events", "Plan Rows": 20000.0 }] }]
        }}]),
    };
    assert_eq!(plan.problems().len(), 2);
}
