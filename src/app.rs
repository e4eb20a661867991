//! Wiring: adapters chosen by configuration, plugged into the contexts, behind one router.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use http_kernel::ApiError;
use infrastructure::database::{Database, PoolSizes};
use infrastructure::inprocess::{InProcessCommandBus, StoreFeed};
use projections::{Progress, Projection, Projector};
use shared_kernel::{Clock, CommandBus, EventFeed, SystemClock};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::trace::TraceLayer;

use crate::cli::ServeArgs;
use crate::ops::{self, Ops};

/// Every context this binary knows; `--contexts` picks a subset.
pub const CONTEXTS: &[&str] = &[
    "identity",
    "merchandise",
    "inventory",
    "ordering",
    "payments",
    "communities",
    "podcasts",
];

/// Command-handler tasks per context in the embedded default.
const WORKERS_PER_CONTEXT: usize = 4;

/// Everything `serve` needs, resolved from flags and environment.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub pool_sizes: PoolSizes,
    pub contexts: Vec<String>,
    pub max_body_bytes: usize,
    pub command_timeout: Duration,
    pub read_wait: Duration,
}

impl Settings {
    /// # Errors
    /// An unknown context name, or a data directory that cannot be created.
    pub fn from_args(args: &ServeArgs) -> anyhow::Result<Self> {
        for c in &args.contexts {
            anyhow::ensure!(
                CONTEXTS.contains(&c.as_str()),
                "unknown context {c:?}; known: {}",
                CONTEXTS.join(", ")
            );
        }
        if args.storage.database_url.is_none() {
            std::fs::create_dir_all(&args.storage.data_dir).with_context(|| {
                format!(
                    "cannot create data directory {}",
                    args.storage.data_dir.display()
                )
            })?;
        }
        Ok(Self {
            database_url: args.storage.url(),
            pool_sizes: PoolSizes {
                store: args.storage.db_pool_size,
                ..PoolSizes::default()
            },
            contexts: args.contexts.clone(),
            max_body_bytes: args.max_body_bytes,
            command_timeout: Duration::from_millis(args.command_timeout_ms),
            read_wait: Duration::from_millis(args.read_wait_ms),
        })
    }

    fn runs(&self, context: &str) -> bool {
        self.contexts.is_empty() || self.contexts.iter().any(|c| c == context)
    }
}

/// The projections of every context this process runs.
fn projections_for(settings: &Settings) -> Vec<Arc<dyn Projection>> {
    let mut all: Vec<Arc<dyn Projection>> = Vec::new();
    if settings.runs(merchandise::CONTEXT) {
        all.push(Arc::new(merchandise::projections::CatalogProjection));
    }
    all
}

/// A built platform: the router plus its background work.
#[derive(Debug)]
pub struct Platform {
    pub router: Router,
    pub database: Database,
    pub shutdown: CancellationToken,
}

/// Opens storage, starts command handlers and projectors, and assembles the router.
///
/// # Errors
/// Storage cannot be opened or migrated, or a projector cannot start.
pub async fn build(settings: &Settings) -> anyhow::Result<Platform> {
    // Before anything records a metric: what is recorded without a recorder is lost.
    ops::metrics_handle();
    let database = Database::open(&settings.database_url, settings.pool_sizes)
        .await
        .context("cannot open the database")?;
    let store = Arc::clone(&database.store);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let shutdown = CancellationToken::new();

    let bus = Arc::new(InProcessCommandBus::new(settings.command_timeout));
    let feed: Arc<dyn EventFeed> = Arc::new(StoreFeed::new(Arc::clone(&store)));
    let progress = Progress::new(Arc::clone(&store));

    let mut projectors = Vec::new();
    for projection in projections_for(settings) {
        let projector = Projector::new(projection, database.read.clone());
        projectors.push(
            projector
                .spawn(Arc::clone(&feed), &progress, shutdown.clone())
                .await?,
        );
    }

    let mut router = Router::new();
    if settings.runs(merchandise::CONTEXT) {
        bus.register(
            merchandise::CONTEXT,
            Arc::new(merchandise::application::MerchandiseHandler::new(
                Arc::clone(&store),
                Arc::clone(&clock),
            )),
            WORKERS_PER_CONTEXT,
        );
        router = router.merge(merchandise::http::router(
            merchandise::http::MerchandiseApi {
                bus: Arc::clone(&bus) as Arc<dyn CommandBus>,
                read: database.read.clone(),
                progress: progress.clone(),
                read_wait: settings.read_wait,
            },
        ));
    }

    let ops = Ops {
        store,
        read: database.read.clone(),
        progress,
        projectors: Arc::new(projectors),
    };
    let router = router
        .merge(ops::router(ops))
        .fallback(|| async { ApiError::NotFound("route".into()) })
        .layer(axum::middleware::from_fn(ops::track))
        .layer(DefaultBodyLimit::max(settings.max_body_bytes))
        .layer(TraceLayer::new_for_http());
    Ok(Platform {
        router,
        database,
        shutdown,
    })
}

/// Applies every migration and creates every read model's tables, then returns.
///
/// # Errors
/// The database cannot be reached or a statement fails.
pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let database = Database::open(&settings.database_url, PoolSizes { store: 2, read: 2 })
        .await
        .context("cannot open the database")?;
    for projection in projections_for(settings) {
        Projector::new(projection, database.read.clone())
            .prepare()
            .await?;
    }
    Ok(())
}

/// A server running in the background (tests, and `serve` itself).
#[derive(Debug)]
pub struct Running {
    pub addr: SocketAddr,
    pub shutdown: CancellationToken,
    pub server: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Binds `listen` and serves until `shutdown` is cancelled.
///
/// # Errors
/// The platform cannot be built or the address bound.
pub async fn start(settings: &Settings, listen: SocketAddr) -> anyhow::Result<Running> {
    let platform = build(settings).await?;
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    let shutdown = platform.shutdown.clone();
    let stop = shutdown.clone();
    let server = tokio::spawn(async move {
        axum::serve(listener, platform.router)
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await
    });
    Ok(Running {
        addr,
        shutdown,
        server,
    })
}

/// `agora serve`: runs until SIGINT or SIGTERM, then drains requests and stops.
///
/// # Errors
/// Start-up failed, or the server stopped with an error.
pub async fn serve(args: &ServeArgs) -> anyhow::Result<()> {
    let settings = Settings::from_args(args)?;
    let running = start(&settings, args.listen).await?;
    tracing::info!(
        addr = %running.addr,
        database = %infrastructure::database::redact(&settings.database_url),
        "agora listening"
    );
    shutdown_signal().await;
    tracing::info!("shutting down");
    running.shutdown.cancel();
    running
        .server
        .await
        .context("server task failed")?
        .context("server failed")?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
