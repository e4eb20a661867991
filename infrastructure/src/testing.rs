//! Fresh, isolated databases for tests: a new PostgreSQL database or SQLite file per test, so
//! tests run in parallel without seeing each other's events. A missing PostgreSQL is an error,
//! never a skipped test.

use sqlx::Connection;

/// The server tests use: `AGORA_TEST_DATABASE_URL`, by default the local trust-auth server.
#[must_use]
pub fn postgres_admin_url() -> String {
    std::env::var("AGORA_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// Creates an empty database named `agora_test_<uuid>` and returns its URL.
///
/// # Panics
/// PostgreSQL is unreachable: the test script must have started it.
#[allow(clippy::expect_used)]
pub async fn fresh_postgres_url() -> String {
    let admin = postgres_admin_url();
    let name = format!("agora_test_{}", uuid::Uuid::now_v7().simple());
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("PostgreSQL must be running for the tests (scripts/test starts it)");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    format!("{base}/{name}")
}

/// A new SQLite file in the system temp directory.
#[must_use]
pub fn fresh_sqlite_url() -> String {
    let path =
        std::env::temp_dir().join(format!("agora-test-{}.db", uuid::Uuid::now_v7().simple()));
    format!("sqlite://{}", path.display())
}

/// A pool (sqlx `Any`, drivers installed) on a fresh database: PostgreSQL when `postgres`,
/// otherwise a new SQLite file, created on connect.
///
/// # Panics
/// As [`fresh_postgres_url`]; the new database cannot be opened.
#[allow(clippy::expect_used)]
pub async fn fresh_any_pool(postgres: bool) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    let url = if postgres {
        fresh_postgres_url().await
    } else {
        fresh_sqlite_url() + "?mode=rwc"
    };
    sqlx::AnyPool::connect(&url)
        .await
        .expect("open the fresh test database")
}

/// Deletes the RabbitMQ exchanges and the command and dead-letter queues of `contexts` under
/// `prefix` (see [`crate::rabbitmq::RabbitConfig::prefix`]): what a test that gave itself a
/// prefix leaves on a shared broker. Best effort: what cannot be deleted stays.
pub async fn delete_rabbit_topology(url: &str, prefix: &str, contexts: &[&str]) {
    use lapin::options::{ExchangeDeleteOptions, QueueDeleteOptions};

    let config = crate::rabbitmq::RabbitConfig {
        prefix: prefix.to_owned(),
        ..crate::rabbitmq::RabbitConfig::new(url)
    };
    let Ok(connection) =
        lapin::Connection::connect(url, lapin::ConnectionProperties::default()).await
    else {
        return;
    };
    let Ok(channel) = connection.create_channel().await else {
        return;
    };
    for context in contexts {
        for queue in [config.queue(context), config.dead_letter_queue(context)] {
            let _ = channel
                .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
                .await;
        }
    }
    for exchange in [config.exchange(), config.dead_letter_exchange()] {
        let _ = channel
            .exchange_delete(exchange.as_str().into(), ExchangeDeleteOptions::default())
            .await;
    }
    let _ = connection.close(200, "done".into()).await;
}
