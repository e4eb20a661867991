//! SQLite adapters: the embedded default.

mod filtered;
mod store;

pub use store::{SqliteEventStore, connect_options};

/// Applies the event-store migrations.
///
/// # Errors
/// The file cannot be opened or a migration fails.
pub async fn migrate(pool: &sqlx::SqlitePool) -> Result<(), sqlx::migrate::MigrateError> {
    sqlx::migrate!("migrations/sqlite").run(pool).await
}
