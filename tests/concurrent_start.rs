//! Processes of one platform starting at once on one PostgreSQL database create their tables
//! one after another. Found by the gateway work (issue 23): two instances of one context
//! started together crashed on `duplicate key value violates unique constraint
//! "pg_type_typname_nsp_index"`, the race of two concurrent `CREATE TABLE IF NOT EXISTS`.

mod common;

use common::{Store, database_url};
use projections::{Interest, Projection, ProjectionError};
use shared_kernel::Recorded;
use sqlx::AnyConnection;

/// A projection with many tables, so concurrent creations overlap.
#[derive(Debug)]
struct ManyTables;

const TABLES: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS race_a (id TEXT PRIMARY KEY, n BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS race_b (id TEXT PRIMARY KEY, n BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS race_c (id TEXT PRIMARY KEY, n BIGINT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS race_a_n ON race_a (n)",
    "CREATE TABLE IF NOT EXISTS race_d (id TEXT PRIMARY KEY, n BIGINT NOT NULL)",
];

#[async_trait::async_trait]
impl Projection for ManyTables {
    fn name(&self) -> &'static str {
        "test.many_tables"
    }
    fn schema(&self) -> &'static [&'static str] {
        TABLES
    }
    fn handles(&self) -> Interest {
        Interest::Everything
    }
    fn tables(&self) -> &'static [&'static str] {
        &["race_a", "race_b", "race_c", "race_d"]
    }
    async fn apply(&self, _: &mut AnyConnection, _: &Recorded) -> Result<(), ProjectionError> {
        Ok(())
    }
}

#[tokio::test]
async fn processes_starting_at_once_create_their_tables_without_a_race() {
    sqlx::any::install_default_drivers();
    // Each round on a fresh database: the race needs tables that do not exist yet.
    for _ in 0..5 {
        let url = database_url(Store::Postgres).await;
        let mut starts = Vec::new();
        for _ in 0..8 {
            let url = url.clone();
            starts.push(tokio::spawn(async move {
                // A pool of its own per "process".
                let pool = sqlx::AnyPool::connect(&url).await.unwrap();
                projections::create_schema(&ManyTables, &pool).await
            }));
        }
        for start in starts {
            start
                .await
                .unwrap()
                .expect("every process creates its tables");
        }
    }
}
