//! What one-shot commands (`migrate`, `projections status|rebuild`) need of the contexts: their
//! read models, built exactly as `serve` builds them but with nothing started.

use std::sync::Arc;

use anyhow::Context as _;
use context_kit::Services;
use infrastructure::database::{Database, PoolSizes};
use infrastructure::inprocess::InProcessCommandBus;
use projections::{Progress, Projection, Projector};
use shared_kernel::SystemClock;
use tokio_util::sync::CancellationToken;

use super::auth::Auth;
use crate::config::ServeArgs;
use crate::contexts::{self, Inputs};

/// The read models of every context `config` selects, and the token revocations every
/// process keeps. Builds the contexts against `database` with a bus that serves nothing and a
/// signing key no file holds: nothing runs, nothing is written.
///
/// # Errors
/// A context cannot be built.
pub fn projections_for(
    config: &ServeArgs,
    database: &Database,
) -> anyhow::Result<Vec<Arc<dyn Projection>>> {
    let (contexts, auth) = idle_contexts(config, database)?;
    let mut all: Vec<Arc<dyn Projection>> =
        contexts.into_iter().flat_map(|c| c.projections).collect();
    all.push(auth.revocations_projection());
    Ok(all)
}

/// The OpenAPI document `serve` would serve with `config` (`agora openapi`): the contexts are
/// built against a throwaway SQLite database, nothing runs.
///
/// # Errors
/// The scratch database cannot be created, or a context cannot be built.
pub async fn openapi_document(config: &ServeArgs) -> anyhow::Result<utoipa::openapi::OpenApi> {
    let documents = context_documents(config).await?;
    Ok(crate::openapi::document(
        documents.iter().map(|(_, doc)| doc),
    ))
}

/// Each context's own OpenAPI document (its routes only), by name: which context serves which
/// path, as the gateway's routing test checks it. Built as [`openapi_document`] builds them.
///
/// # Errors
/// The scratch database cannot be created, or a context cannot be built.
pub async fn context_documents(
    config: &ServeArgs,
) -> anyhow::Result<Vec<(&'static str, utoipa::openapi::OpenApi)>> {
    let dir = std::env::temp_dir().join(format!("agora-openapi-{}", uuid::Uuid::now_v7().simple()));
    let url = format!("sqlite://{}", dir.join("scratch.db").display());
    let mut config = config.clone();
    config.storage.database_url = Some(url.clone());
    config.storage.data_dir.clone_from(&dir);
    config.validate()?;
    std::fs::create_dir_all(&dir).context("cannot create a scratch directory")?;
    let config = &config;
    let built = async {
        let database = Database::open(&url, PoolSizes { store: 1, read: 1 })
            .await
            .context("cannot open a scratch database")?;
        let (contexts, _) = idle_contexts(config, &database)?;
        let documents = contexts.into_iter().map(|c| (c.name, c.openapi)).collect();
        database.read.close().await;
        anyhow::Ok(documents)
    }
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    built
}

/// The contexts `config` selects, built against `database` with a bus that serves nothing and
/// a signing key no file holds.
fn idle_contexts(
    config: &ServeArgs,
    database: &Database,
) -> anyhow::Result<(Vec<context_kit::Context>, Auth)> {
    let services = Services {
        store: Arc::clone(&database.store),
        clock: Arc::new(SystemClock),
        read: database.read.clone(),
        bus: Arc::new(InProcessCommandBus::new(config.http.command_timeout())),
        progress: Progress::new(Arc::clone(&database.store)),
        read_wait: config.http.read_wait(),
        shutdown: CancellationToken::new(),
    };
    let auth = Auth::ephemeral(config, &database.read)?;
    let contexts = contexts::build(Inputs {
        services: &services,
        config,
        auth: &auth,
    })?;
    Ok((contexts, auth))
}

/// Applies the platform's migrations (event store, checkpoints, Kafka offsets, saga timers,
/// idempotency keys, snapshots) and creates the tables of the contexts `config` selects (with
/// `--contexts`: only theirs, plus the token revocations every process keeps), then returns.
///
/// # Errors
/// The database cannot be reached or a statement fails.
pub async fn migrate(config: &ServeArgs) -> anyhow::Result<()> {
    config.validate()?;
    let database = Database::open(&config.storage.url(), PoolSizes { store: 2, read: 2 })
        .await
        .context("cannot open the database")?;
    for projection in projections_for(config, &database)? {
        Projector::new(projection, database.read.clone())
            .prepare()
            .await?;
    }
    if config.runs(identity::CONTEXT) {
        let identity = config.identity_config();
        identity::application::RefreshTokens::new(database.read.clone(), identity.refresh_ttl)
            .prepare()
            .await
            .context("cannot create the refresh-token tables")?;
    }
    Ok(())
}
