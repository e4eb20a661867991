//! The platform as the benchmarks start it: the composition root's side of the
//! `agora_bench::Platform` port (the benchmarks themselves live in the `agora-bench` crate).

use std::net::SocketAddr;
use std::sync::Arc;

use agora_bench::{Platform, ProjectionGroup, Started};
use async_trait::async_trait;

use crate::config::{ServeArgs, StorageArgs};

/// Starts this platform for `agora bench*`.
#[derive(Debug, Clone, Copy)]
pub struct Launcher;

#[async_trait]
impl Platform for Launcher {
    async fn start(
        &self,
        serve_flags: &[String],
        extra: Vec<ProjectionGroup>,
    ) -> anyhow::Result<Started> {
        let config = ServeArgs::from_flags(serve_flags)?;
        let running =
            crate::app::start_with(&config, SocketAddr::from(([127, 0, 0, 1], 0)), extra).await?;
        Ok(Started {
            addr: running.addr,
            store: Arc::clone(&running.store),
            shutdown: running.shutdown.clone(),
        })
    }

    async fn migrate(&self, serve_flags: &[String]) -> anyhow::Result<()> {
        crate::app::migrate(&ServeArgs::from_flags(serve_flags)?).await
    }

    async fn rebuild(&self, database_url: &str, projection: &str) -> anyhow::Result<u64> {
        let storage = StorageArgs {
            database_url: Some(database_url.to_owned()),
            data_dir: std::env::temp_dir(),
            db_pool_size: 4,
            ..ServeArgs::defaults()?.storage
        };
        crate::projections_cli::rebuild(&storage, projection).await
    }
}
