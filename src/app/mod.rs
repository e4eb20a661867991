//! Wiring: adapters chosen by configuration, the selected contexts plugged into them, behind
//! one router. What each context brings is its own crate's business (`crate::contexts`); this
//! module only loops over them.

mod auth;
mod bus;
mod events;
mod layers;
mod offline;
mod serve;

use std::sync::Arc;

use anyhow::Context as _;
use axum::Router;
use context_kit::{Context, Services};
use infrastructure::database::Database;
use infrastructure::inprocess::StoreFeed;
use projections::{CheckpointBoard, Progress};
use shared_kernel::{Clock, CommandBus, EventFeed, SystemClock};
use tokio_util::sync::CancellationToken;

pub use self::auth::Auth;
use self::bus::Transport;
use self::events::EventRuntime;
pub use self::events::{ProjectionGroup, RelayRole, RelayStatus};
pub use self::offline::{context_documents, migrate, openapi_document, projections_for};
pub use self::serve::{Running, serve, start, start_with, stop_signal};
use crate::config::ServeArgs;
use crate::contexts::{self, Inputs};
use crate::ops::{self, Ops};

/// The name of the projector group of a process's contexts (logs and metrics).
const PROCESS_GROUP: &str = "process";

/// A built platform: the router plus its background work.
#[derive(Debug)]
pub struct Platform {
    pub router: Router,
    pub database: Database,
    pub shutdown: CancellationToken,
    /// The command bus the routes and sagas send on (tests send saga commands on it).
    pub bus: Arc<dyn CommandBus>,
}

/// Opens storage, builds the selected contexts, starts their command handlers, read models,
/// sagas and background work, and assembles the router. `extra` read models run beside the
/// contexts' own (benchmarks register idle ones).
///
/// # Errors
/// The configuration is invalid, storage cannot be opened or migrated, a context cannot be
/// built, or a projector cannot start.
pub async fn build(config: &ServeArgs, extra: Vec<ProjectionGroup>) -> anyhow::Result<Platform> {
    config.validate()?;
    // Before anything records a metric: what is recorded without a recorder is lost.
    ops::metrics_handle();
    let database = Database::open(&config.storage.url(), config.storage.pool_sizes())
        .await
        .context("cannot open the database")?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let shutdown = CancellationToken::new();
    let board = CheckpointBoard::new();
    tokio::spawn(board.clone().run(database.read.clone(), shutdown.clone()));
    let feed: Arc<dyn EventFeed> = Arc::new(StoreFeed::with_window(
        Arc::clone(&database.store),
        config.feed.feed_window_events,
    ));
    let progress = Progress::new(Arc::clone(&database.store));
    let auth = Auth::open(config, &database.read).await?;
    let transport = Transport::new(config);
    let services = Services {
        store: Arc::clone(&database.store),
        clock: Arc::clone(&clock),
        read: database.read.clone(),
        bus: transport.bus(),
        progress: progress.clone(),
        read_wait: config.http.read_wait(),
        shutdown: shutdown.clone(),
    };
    let contexts = contexts::build(Inputs {
        services: &services,
        config,
        auth: &auth,
    })?;
    let parts = Parts::of(contexts, &services);

    let runtime = EventRuntime {
        config,
        database: &database,
        feed,
        progress: &progress,
        board,
        shutdown: &shutdown,
    };
    // The read models of all the process's contexts share its database, so a page's work for
    // all of them is one transaction (each context still owns its tables, and runs alone when
    // deployed apart). Benchmarks' extra groups stay apart: they measure groups.
    let mut groups: Vec<ProjectionGroup> = match parts.groups.len() {
        0 | 1 => parts.groups,
        _ => vec![(
            PROCESS_GROUP,
            parts.groups.into_iter().flat_map(|(_, g)| g).collect(),
        )],
    };
    groups.extend(extra);
    let (mut projectors, kafka) = runtime.start_read_models(groups).await?;
    projectors.push(runtime.start_revocations(&auth).await?);
    for (context, handler) in parts.handlers {
        transport.serve(context, handler, &shutdown);
    }
    let bus = transport.bus();
    runtime.start_sagas(parts.sagas, &bus, &clock, kafka, &mut projectors);
    let relay = RelayStatus::default();
    runtime.start_relay(&relay)?;
    for work in parts.background {
        tokio::spawn(work);
    }

    let brokers = transport
        .rabbit()
        .map(ops::Broker::RabbitMq)
        .into_iter()
        .chain(
            config
                .messaging
                .kafka_brokers
                .clone()
                .map(ops::Broker::Kafka),
        )
        .collect();
    let ops = Ops {
        store: Arc::clone(&database.store),
        read: database.read.clone(),
        progress,
        projectors: Arc::new(projectors),
        brokers: Arc::new(brokers),
        relay,
    };
    let document = crate::openapi::document(&parts.openapi);
    let routes = parts
        .router
        .merge(ops::routes(ops))
        .merge(crate::openapi::router(&document)?);
    let router = layers::wrap(routes, config, &auth, &database.read);
    Ok(Platform {
        router,
        database,
        shutdown,
        bus,
    })
}

/// The selected contexts taken apart by kind, as the runtime starts them.
struct Parts {
    handlers: Vec<(&'static str, Arc<dyn shared_kernel::CommandHandler>)>,
    groups: Vec<ProjectionGroup>,
    sagas: Vec<Arc<dyn projections::saga::ProcessManager>>,
    router: Router,
    background: Vec<context_kit::Background>,
    /// Each context's OpenAPI description, in registration order.
    openapi: Vec<utoipa::openapi::OpenApi>,
}

impl Parts {
    fn of(contexts: Vec<Context>, services: &Services) -> Self {
        let mut parts = Self {
            handlers: Vec::new(),
            groups: Vec::new(),
            sagas: Vec::new(),
            router: Router::new(),
            background: Vec::new(),
            openapi: Vec::new(),
        };
        for c in contexts {
            if let Some(handler) = c.handler {
                parts.handlers.push((c.name, handler));
            }
            let read_model_names: Arc<[&'static str]> =
                c.projections.iter().map(|p| p.name()).collect();
            // A context's read models are applied together, one transaction per page
            // (DESIGN.md, hard problem 9).
            if !c.projections.is_empty() {
                parts.groups.push((c.name, c.projections));
            }
            parts.sagas.extend(c.process_managers);
            // Every route of the context reads its caller's writes when asked to
            // (`Agora-Min-Position`): it waits for the context's own read models.
            if c.router.has_routes() {
                let read_models = http_kernel::ReadModels {
                    progress: services.progress.clone(),
                    names: read_model_names,
                    wait: services.read_wait,
                };
                let router = c.router.route_layer(axum::middleware::from_fn_with_state(
                    read_models,
                    http_kernel::read_your_writes,
                ));
                parts.router = parts.router.merge(router);
            }
            parts.background.extend(c.background);
            parts.openapi.push(c.openapi);
        }
        parts
    }
}
