//! PostgreSQL adapters.

mod filtered;
mod lease;
mod notify;
pub mod plans;
mod settle;
mod sql;
mod store;

pub use lease::{Lease, RELAY_LEASE_KEY};
pub use settle::SETTLE_WAIT;
pub use store::{PgEventStore, append_in};

/// Applies the event-store migrations.
///
/// # Errors
/// The database is unreachable or a migration fails.
pub async fn migrate(pool: &sqlx::PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    sqlx::migrate!("migrations/postgres").run(pool).await
}
