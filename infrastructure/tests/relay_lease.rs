//! The relay lease (a PostgreSQL session advisory lock): one holder at a time; a standby gets it
//! as soon as the holder's session ends, and a holder learns when its session is gone.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use infrastructure::postgres::Lease;
use infrastructure::testing::fresh_postgres_url;
use sqlx::Connection;
use tokio_util::sync::CancellationToken;

const KEY: i64 = 42;
const RETRY: Duration = Duration::from_millis(100);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_holder_and_a_standby_that_takes_over() {
    let url = fresh_postgres_url().await;
    let shutdown = CancellationToken::new();
    let holder = Lease::acquire(&url, KEY, RETRY, &shutdown).await.unwrap();

    let standby = {
        let (url, shutdown) = (url.clone(), shutdown.clone());
        tokio::spawn(async move { Lease::acquire(&url, KEY, RETRY, &shutdown).await })
    };
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(!standby.is_finished(), "two holders at once");

    // The holder's session ends (as a killed process's does): the standby holds it next.
    drop(holder);
    let mut taken = tokio::time::timeout(Duration::from_secs(10), standby)
        .await
        .expect("the standby takes over within seconds")
        .unwrap()
        .unwrap();

    // Its session killed under it: the holder learns the lease may be gone.
    let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_locks \
         WHERE locktype = 'advisory' AND granted AND objid = $1 AND pid <> pg_backend_pid() \
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
    .bind(KEY)
    .execute(&mut admin)
    .await
    .unwrap();
    tokio::time::timeout(
        Duration::from_secs(10),
        taken.lost(Duration::from_millis(200)),
    )
    .await
    .expect("a holder whose session ended notices");

    // A lease given back is free at once; a shutdown ends a wait.
    let again = Lease::acquire(&url, KEY, RETRY, &shutdown).await.unwrap();
    again.release().await;
    let last = Lease::acquire(&url, KEY, RETRY, &shutdown).await.unwrap();
    let stop = CancellationToken::new();
    let waiting = {
        let (url, stop) = (url.clone(), stop.clone());
        tokio::spawn(async move { Lease::acquire(&url, KEY, RETRY, &stop).await })
    };
    stop.cancel();
    assert!(waiting.await.unwrap().is_none());
    last.release().await;
}
