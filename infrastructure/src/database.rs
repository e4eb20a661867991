//! Choosing the storage from configuration: a `postgres://` URL selects PostgreSQL, anything
//! else (by default `sqlite://./data/agora.db`) the embedded SQLite file.

use std::sync::Arc;

use shared_kernel::{EventStore, StoreError};
use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use sqlx::postgres::PgPoolOptions;

use crate::postgres::PgEventStore;
use crate::sqlite::SqliteEventStore;

#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("cannot connect to {url}: {source}")]
    Connect {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    Postgres,
    Sqlite,
}

impl DatabaseKind {
    #[must_use]
    pub fn of(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::Postgres
        } else {
            Self::Sqlite
        }
    }
}

/// The storage of one running platform: the event store and the read-model pool.
#[derive(Debug, Clone)]
pub struct Database {
    pub kind: DatabaseKind,
    pub store: Arc<dyn EventStore>,
    /// Read models and checkpoints, in the SQL subset both dialects share.
    pub read: AnyPool,
}

/// Connection pool sizes.
#[derive(Debug, Clone, Copy)]
pub struct PoolSizes {
    pub store: u32,
    pub read: u32,
}

impl Default for PoolSizes {
    fn default() -> Self {
        Self { store: 16, read: 8 }
    }
}

fn connect_error(url: &str, source: sqlx::Error) -> DatabaseError {
    DatabaseError::Connect {
        url: redact(url),
        source,
    }
}

/// The URL without its password, for messages and logs.
#[must_use]
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl Database {
    /// Opens the store and the read pool, applying the store's migrations.
    ///
    /// # Errors
    /// The database cannot be reached or migrated.
    pub async fn open(url: &str, sizes: PoolSizes) -> Result<Self, DatabaseError> {
        sqlx::any::install_default_drivers();
        let kind = DatabaseKind::of(url);
        let store: Arc<dyn EventStore> = match kind {
            DatabaseKind::Postgres => {
                let pool = PgPoolOptions::new()
                    .max_connections(sizes.store)
                    .acquire_timeout(std::time::Duration::from_secs(10))
                    .connect(url)
                    .await
                    .map_err(|e| connect_error(url, e))?;
                crate::postgres::migrate(&pool).await?;
                Arc::new(PgEventStore::new(pool))
            }
            DatabaseKind::Sqlite => Arc::new(SqliteEventStore::open(url).await?),
        };
        let read = AnyPoolOptions::new()
            .max_connections(sizes.read)
            .acquire_timeout(std::time::Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(|e| connect_error(url, e))?;
        Ok(Self { kind, store, read })
    }

    /// Applies migrations and returns, without starting anything.
    ///
    /// # Errors
    /// The database cannot be reached or migrated.
    pub async fn migrate(url: &str) -> Result<(), DatabaseError> {
        Self::open(url, PoolSizes { store: 2, read: 1 })
            .await
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_select_the_dialect() {
        assert_eq!(
            DatabaseKind::of("postgres://x@h/db"),
            DatabaseKind::Postgres
        );
        assert_eq!(
            DatabaseKind::of("postgresql://h/db"),
            DatabaseKind::Postgres
        );
        assert_eq!(
            DatabaseKind::of("sqlite://./data/agora.db"),
            DatabaseKind::Sqlite
        );
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            redact("sqlite://./data/agora.db"),
            "sqlite://./data/agora.db"
        );
    }
}
