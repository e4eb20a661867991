//! Wiring: adapters chosen by configuration, plugged into the contexts, behind one router.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use http_kernel::ApiError;
use infrastructure::checkpoints::SqlCheckpointStore;
use infrastructure::database::{Database, PoolSizes};
use infrastructure::inprocess::{InProcessCommandBus, StoreFeed};
use infrastructure::kafka::{KafkaConfig, KafkaRelay};
use infrastructure::rabbitmq::{RabbitCommandBus, RabbitCommandWorker, RabbitConfig};
use projections::saga::{ProcessManager, SagaRunner};
use projections::{
    CheckpointBoard, KafkaProjector, Progress, Projection, Projector, ProjectorGroup,
    ProjectorHandle,
};
use shared_kernel::{Clock, CommandBus, CommandHandler, EventFeed, SystemClock};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::trace::TraceLayer;

use crate::cli::{EventFeedKind, ServeArgs};
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
/// How much longer than the command timeout an attempt of an idempotent write holds its key.
const IDEMPOTENCY_LEASE_MARGIN: Duration = Duration::from_secs(1);

/// Everything `serve` needs, resolved from flags and environment.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub pool_sizes: PoolSizes,
    pub contexts: Vec<String>,
    pub max_body_bytes: usize,
    pub command_timeout: Duration,
    pub read_wait: Duration,
    /// After SIGTERM/SIGINT, how long open requests may take to finish before `serve` stops
    /// anyway.
    pub shutdown_drain: Duration,
    /// Tokens, signing key and abuse limits of the identity context.
    pub identity: identity::application::IdentityConfig,
    /// RabbitMQ URL: when set, commands travel over RabbitMQ instead of in-process channels.
    pub amqp_url: Option<String>,
    /// Kafka bootstrap servers: when set, this process relays the store's events to Kafka.
    pub kafka_brokers: Option<String>,
    /// Partitions of each topic the relay creates.
    pub kafka_partitions: i32,
    /// Where projectors read events from.
    pub event_feed: EventFeedKind,
    /// First segment of every Kafka topic and consumer group name.
    pub kafka_topic_prefix: String,
    /// How long a Kafka fetch may wait at the broker.
    pub kafka_fetch_wait: Duration,
    /// Events the store feed keeps in memory.
    pub feed_window: usize,
    /// Read models beyond the contexts' own, per group (benchmarks register idle ones).
    pub extra_projections: Vec<(&'static str, Vec<Arc<dyn Projection>>)>,
    /// Payment deadline and reservation lifetime of the order saga.
    pub ordering: ordering::OrderingConfig,
    /// The simulated payment provider (how slow `tok_slow` is).
    pub payments: infrastructure::payments::SimulatedProviderConfig,
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
            shutdown_drain: Duration::from_millis(args.shutdown_drain_ms),
            identity: args.identity.config(&args.storage.data_dir),
            amqp_url: args.amqp_url.clone(),
            kafka_brokers: args.kafka_brokers.clone(),
            kafka_partitions: args.kafka_partitions,
            event_feed: args.event_feed,
            kafka_topic_prefix: args.kafka_topic_prefix.clone(),
            kafka_fetch_wait: Duration::from_millis(args.kafka_fetch_wait_ms),
            feed_window: args.feed_window_events,
            extra_projections: Vec::new(),
            ordering: args.ordering.config(),
            payments: args.payments.config(),
        })
    }

    /// Settings for one-shot commands that only need storage (migrate, projections).
    ///
    /// # Errors
    /// The data directory cannot be created.
    pub fn for_storage(storage: crate::cli::StorageArgs) -> anyhow::Result<Self> {
        Self::from_args(&ServeArgs {
            listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            storage,
            contexts: Vec::new(),
            amqp_url: None,
            kafka_brokers: None,
            kafka_partitions: 1,
            event_feed: EventFeedKind::Store,
            kafka_topic_prefix: "agora".into(),
            kafka_fetch_wait_ms: 10,
            feed_window_events: 1,
            max_body_bytes: 0,
            command_timeout_ms: 0,
            read_wait_ms: 0,
            shutdown_drain_ms: 0,
            identity: crate::cli::IdentityArgs::default(),
            ordering: crate::cli::OrderingArgs::default(),
            payments: crate::cli::PaymentsArgs::default(),
        })
    }

    fn runs(&self, context: &str) -> bool {
        self.contexts.is_empty() || self.contexts.iter().any(|c| c == context)
    }

    /// The contexts this process runs, as a stable name: `all`, or the sorted names joined
    /// with `+`. Processes running the same set share a Kafka consumer group (and split its
    /// partitions); any other set reads every partition itself.
    fn contexts_key(&self) -> String {
        let mut runs: Vec<&str> = CONTEXTS.iter().copied().filter(|c| self.runs(c)).collect();
        if runs.len() == CONTEXTS.len() {
            return "all".to_owned();
        }
        runs.sort_unstable();
        runs.join("+")
    }
}

/// The projections of every context this process runs, and the token revocations every
/// process runs (see [`build`]).
pub fn projections_for(settings: &Settings) -> Vec<Arc<dyn Projection>> {
    let mut all = projections_with(settings, &communities::projections::LiveComments::new());
    all.push(Arc::new(
        identity::projections::TokenRevocationsProjection::new(Arc::new(
            identity::projections::TokenRevocations::new(),
        )),
    ));
    all
}

/// [`projections_for`], with the comments projection telling `live` of each new comment.
pub fn projections_with(
    settings: &Settings,
    live: &communities::projections::LiveComments,
) -> Vec<Arc<dyn Projection>> {
    projection_groups(settings, live)
        .into_iter()
        .flat_map(|(_, group)| group)
        .collect()
}

/// The projections of every context this process runs, per context: a context's read models
/// are applied together, one transaction per page (DESIGN.md, hard problem 9).
pub fn projection_groups(
    settings: &Settings,
    live: &communities::projections::LiveComments,
) -> Vec<(&'static str, Vec<Arc<dyn Projection>>)> {
    let mut groups: Vec<(&'static str, Vec<Arc<dyn Projection>>)> = Vec::new();
    if settings.runs(merchandise::CONTEXT) {
        groups.push((
            merchandise::CONTEXT,
            vec![Arc::new(merchandise::projections::CatalogProjection)],
        ));
    }
    if settings.runs(communities::CONTEXT) {
        groups.push((communities::CONTEXT, communities::projections::all(live)));
    }
    if settings.runs(inventory::CONTEXT) {
        groups.push((
            inventory::CONTEXT,
            vec![
                Arc::new(inventory::projections::SkuOwnersProjection),
                Arc::new(inventory::projections::StockLevelsProjection),
                Arc::new(inventory::projections::RestockAlertsProjection),
            ],
        ));
    }
    if settings.runs(ordering::CONTEXT) {
        groups.push((
            ordering::CONTEXT,
            vec![
                Arc::new(ordering::projections::ProductsProjection),
                Arc::new(ordering::projections::OrdersProjection),
            ],
        ));
    }
    if settings.runs(payments::CONTEXT) {
        groups.push((
            payments::CONTEXT,
            vec![
                Arc::new(payments::projections::PaymentsProjection),
                Arc::new(payments::projections::WalletsProjection),
            ],
        ));
    }
    groups
}

/// The process managers (sagas) of every context this process runs.
pub fn sagas_for(settings: &Settings) -> Vec<Arc<dyn ProcessManager>> {
    let mut all: Vec<Arc<dyn ProcessManager>> = Vec::new();
    if settings.runs(inventory::CONTEXT) {
        all.push(Arc::new(inventory::application::ReservationExpiry));
    }
    if settings.runs(ordering::CONTEXT) {
        all.push(Arc::new(ordering::application::OrderSaga::new(
            settings.ordering,
        )));
    }
    all
}

/// A built platform: the router plus its background work.
#[derive(Debug)]
pub struct Platform {
    pub router: Router,
    pub database: Database,
    pub shutdown: CancellationToken,
    /// The command bus the routes and sagas send on (tests send saga commands on it).
    pub bus: Arc<dyn CommandBus>,
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

    // Skip-only checkpoints of every consumer of this process, written in one transaction.
    let board = CheckpointBoard::new();
    tokio::spawn(board.clone().run(database.read.clone(), shutdown.clone()));
    let feed: Arc<dyn EventFeed> = Arc::new(StoreFeed::with_window(
        Arc::clone(&store),
        settings.feed_window,
    ));
    let progress = Progress::new(Arc::clone(&store));
    let auth = Auth::open(settings, &database).await?;

    let mut projectors = Vec::new();
    let live_comments = communities::projections::LiveComments::new();
    let mut groups = projection_groups(settings, &live_comments);
    groups.extend(settings.extra_projections.iter().cloned());
    // Tables first, so reads before the first batch find an empty read model.
    for projection in groups.iter().flat_map(|(_, g)| g) {
        projections::create_schema(&**projection, &database.read).await?;
    }
    let kafka = match (settings.event_feed, &settings.kafka_brokers) {
        (EventFeedKind::Store, _) => {
            for (context, group) in groups {
                projectors.push(
                    ProjectorGroup::new(context, group, database.read.clone())
                        .with_board(board.clone())
                        .spawn(Arc::clone(&feed), &progress, shutdown.clone())
                        .await?,
                );
            }
            None
        }
        (EventFeedKind::Kafka, Some(_)) => {
            let names: Vec<&'static str> = groups
                .iter()
                .flat_map(|(_, g)| g.iter().map(|p| p.name()))
                .collect();
            let reader =
                groups
                    .into_iter()
                    .fold(KafkaProjector::new(), |reader, (context, group)| {
                        reader.with_projections(
                            context,
                            group,
                            database.read.clone(),
                            Some(&progress),
                        )
                    });
            Some((names, reader))
        }
        (EventFeedKind::Kafka, None) => {
            anyhow::bail!("--event-feed kafka needs --kafka-brokers")
        }
    };

    {
        // Live comment streams never end by themselves; shutdown ends them, or a graceful stop
        // would wait for their clients forever.
        let (live, stop) = (live_comments.clone(), shutdown.clone());
        tokio::spawn(async move {
            stop.cancelled().await;
            live.close();
        });
    }

    // Every process verifies tokens, so every process keeps the revoked ones in memory,
    // whatever contexts it runs and whatever feed its projectors read: on the store's feed,
    // where each process sees every event (a Kafka consumer group would split them).
    let revocations = ProjectorGroup::new(
        identity::CONTEXT,
        vec![Arc::new(
            identity::projections::TokenRevocationsProjection::new(Arc::clone(&auth.revocations)),
        )],
        database.read.clone(),
    )
    .with_board(board.clone())
    .spawn(Arc::clone(&feed), &progress, shutdown.clone())
    .await?;
    // After the projector read its checkpoint: the tables hold at least what it skips.
    auth.revocations
        .load(&database.read)
        .await
        .context("cannot load the revoked tokens")?;
    projectors.push(revocations);

    if settings.runs(communities::CONTEXT) {
        // Hot ranks decay with time: refreshed in the background, not per request.
        let (pool, stop) = (database.read.clone(), shutdown.clone());
        tokio::spawn(async move {
            tokio::select! {
                () = communities::projections::run_hot_rank_refresh(
                    pool,
                    communities::projections::REFRESH_EVERY,
                ) => {}
                () = stop.cancelled() => {}
            }
        });
    }

    let mut handlers: Vec<(&str, Arc<dyn CommandHandler>)> = Vec::new();
    if settings.runs(merchandise::CONTEXT) {
        handlers.push((
            merchandise::CONTEXT,
            Arc::new(merchandise::application::MerchandiseHandler::new(
                Arc::clone(&store),
                Arc::clone(&clock),
            )),
        ));
    }
    if settings.runs(communities::CONTEXT) {
        handlers.push((
            communities::CONTEXT,
            Arc::new(communities::application::CommunitiesHandler::new(
                Arc::clone(&store),
                Arc::clone(&clock),
            )),
        ));
    }
    if settings.runs(identity::CONTEXT) {
        handlers.push(Auth::handler(&store, &clock));
    }
    if settings.runs(inventory::CONTEXT) {
        handlers.push((
            inventory::CONTEXT,
            Arc::new(inventory::application::InventoryHandler::new(
                Arc::clone(&store),
                Arc::clone(&clock),
            )),
        ));
    }
    if settings.runs(ordering::CONTEXT) {
        handlers.push((
            ordering::CONTEXT,
            Arc::new(ordering::application::OrderingHandler::new(
                Arc::clone(&store),
                Arc::clone(&clock),
            )),
        ));
    }
    if settings.runs(payments::CONTEXT) {
        let provider = Arc::new(infrastructure::payments::SimulatedPaymentProvider::new(
            settings.payments,
        ));
        handlers.push((
            payments::CONTEXT,
            Arc::new(payments::application::PaymentsHandler::new(
                Arc::clone(&store),
                Arc::clone(&clock),
                provider,
            )),
        ));
    }
    let bus = command_bus(settings, handlers, &shutdown);
    let sagas = sagas_for(settings).into_iter().map(|saga| {
        SagaRunner::new(
            saga,
            database.read.clone(),
            database.kind,
            Arc::clone(&bus),
            Arc::clone(&clock),
        )
        .with_board(board.clone())
    });
    match (kafka, &settings.kafka_brokers) {
        (Some((names, reader)), Some(brokers)) => {
            // One Kafka consumer for the whole process, feeding its read models and sagas.
            let config = kafka_config(settings, brokers);
            let reader = sagas.fold(reader, KafkaProjector::with_saga);
            let group = format!("process.{}", settings.contexts_key());
            let task =
                tokio::spawn(reader.run(group, move |g| config.consumer(g), shutdown.clone()));
            projectors.push(ProjectorHandle { names, task });
        }
        _ => {
            for runner in sagas {
                tokio::spawn(runner.run(Arc::clone(&feed), shutdown.clone()));
            }
        }
    }
    if let Some(brokers) = &settings.kafka_brokers {
        spawn_relay(&feed, &database, kafka_config(settings, brokers), &shutdown)?;
    }

    let mut router = Router::new();
    if settings.runs(identity::CONTEXT) {
        router = router.merge(auth.router(settings, Arc::clone(&bus), &store, &clock)?);
    }
    // The state every context's routes share; each context names itself.
    let api = |context| {
        http_kernel::ContextApi::new(
            context,
            Arc::clone(&bus),
            database.read.clone(),
            progress.clone(),
            settings.read_wait,
        )
    };
    if settings.runs(merchandise::CONTEXT) {
        router = router.merge(merchandise::http::router(api(merchandise::CONTEXT)));
    }
    if settings.runs(inventory::CONTEXT) {
        router = router.merge(inventory::http::router(api(inventory::CONTEXT)));
    }
    if settings.runs(ordering::CONTEXT) {
        router = router.merge(ordering::http::router(
            api(ordering::CONTEXT).with(Arc::clone(&store)),
        ));
    }
    if settings.runs(payments::CONTEXT) {
        router = router.merge(payments::http::router(api(payments::CONTEXT)));
    }
    if settings.runs(communities::CONTEXT) {
        router = router.merge(communities::http::router(
            api(communities::CONTEXT).with(live_comments),
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
        // Inner to outer: the write limit needs the caller that `authenticate` found.
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&auth.writes),
            http_kernel::limit_writes_per_user,
        ))
        // A write retried with the same Idempotency-Key replays its first response, or runs
        // again under the same command id; keys belong to the caller, so this runs inside
        // `authenticate`. An attempt holds its key for as long as a write may wait for its
        // command: a lease older than that was left by a process that died.
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(
                http_kernel::Idempotency::new(database.read.clone(), settings.max_body_bytes)
                    .with_lease(settings.command_timeout + IDEMPOTENCY_LEASE_MARGIN),
            ),
            http_kernel::idempotency,
        ))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&auth.verifier),
            http_kernel::authenticate,
        ))
        .layer(axum::middleware::from_fn(ops::track))
        .layer(DefaultBodyLimit::max(settings.max_body_bytes))
        // Before any route or middleware reads the path or query: no control characters.
        .layer(axum::middleware::from_fn(
            http_kernel::refuse_control_characters,
        ))
        // Outermost but tracing: whatever answered an error without problem+json (axum's
        // 405, a body-limit 413...), the client gets problem+json with a code.
        .layer(axum::middleware::from_fn(http_kernel::problem_errors))
        .layer(TraceLayer::new_for_http());
    Ok(Platform {
        router,
        database,
        shutdown,
        bus,
    })
}

/// What every route shares from the identity context: the key that signs access tokens, the
/// verifier the authentication layer uses (with the revoked tokens it refuses), refresh-token
/// storage and the per-user write limit.
#[derive(Debug)]
struct Auth {
    issuer: Arc<identity::application::TokenIssuer>,
    verifier: Arc<http_kernel::TokenVerifier>,
    revocations: Arc<identity::projections::TokenRevocations>,
    refresh: identity::application::RefreshTokens,
    writes: Arc<http_kernel::KeyedLimiter<shared_kernel::ids::UserId>>,
}

impl Auth {
    async fn open(settings: &Settings, database: &Database) -> anyhow::Result<Self> {
        use identity::application::{RefreshTokens, SigningKey, TokenIssuer};
        let config = &settings.identity;
        let key = match &config.key_file {
            Some(path) => SigningKey::load_or_generate(path)?,
            None => SigningKey::generate()?,
        };
        let refresh = RefreshTokens::new(database.read.clone(), config.refresh_ttl);
        refresh
            .prepare()
            .await
            .context("cannot create the refresh-token tables")?;
        // Tokens taken back (revoked roles, logouts) are refused by every route's verifier.
        let revocations = Arc::new(identity::projections::TokenRevocations::new());
        let refused: Arc<dyn http_kernel::Revocations> = revocations.clone();
        Ok(Self {
            verifier: Arc::new(key.verifier().with_revocations(refused)),
            revocations,
            issuer: Arc::new(TokenIssuer::new(key, config.access_ttl)),
            refresh,
            writes: Arc::new(http_kernel::KeyedLimiter::new(
                config.writes_per_user_per_minute,
                Duration::from_secs(60),
                "writes by this user",
            )),
        })
    }

    /// The identity context's command handler.
    fn handler(
        store: &Arc<dyn shared_kernel::EventStore>,
        clock: &Arc<dyn Clock>,
    ) -> (&'static str, Arc<dyn CommandHandler>) {
        (
            identity::CONTEXT,
            Arc::new(identity::application::IdentityHandler::new(
                Arc::clone(store),
                Arc::clone(clock),
            )),
        )
    }

    /// The identity routes: sign-up, sessions, `/me`, roles and the JWK set.
    fn router(
        &self,
        settings: &Settings,
        bus: Arc<dyn CommandBus>,
        store: &Arc<dyn shared_kernel::EventStore>,
        clock: &Arc<dyn Clock>,
    ) -> anyhow::Result<Router> {
        let api = identity::http::IdentityApi::new(
            bus,
            identity::application::Accounts::new(Arc::clone(store)),
            Arc::clone(&self.issuer),
            self.refresh.clone(),
            Arc::clone(clock),
            &settings.identity,
        )?;
        Ok(identity::http::router(api))
    }
}

/// Publishes the store's events to Kafka until shutdown. A relay that fails is restarted from
/// its checkpoint after a pause (at-least-once: consumers deduplicate by event id).
fn spawn_relay(
    feed: &Arc<dyn EventFeed>,
    database: &Database,
    config: KafkaConfig,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    let feed = Arc::clone(feed);
    let checkpoints = Arc::new(SqlCheckpointStore::new(database.read.clone()));
    // Fail at start-up on a bad configuration, not later in the background.
    KafkaRelay::new(Arc::clone(&feed), checkpoints.clone(), config.clone())?;
    let shutdown = shutdown.clone();
    tokio::spawn(async move {
        while !shutdown.is_cancelled() {
            let outcome =
                match KafkaRelay::new(Arc::clone(&feed), checkpoints.clone(), config.clone()) {
                    Ok(relay) => relay.run(shutdown.clone()).await,
                    Err(e) => Err(e),
                };
            if let Err(e) = outcome {
                tracing::error!(error = %e, "kafka relay stopped; restarting from its checkpoint");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    });
    Ok(())
}

fn kafka_config(settings: &Settings, brokers: &str) -> KafkaConfig {
    KafkaConfig {
        fetch_wait: settings.kafka_fetch_wait,
        partitions: settings.kafka_partitions,
        topic_prefix: settings.kafka_topic_prefix.clone(),
        withheld: event_schemas::identity::CONFIDENTIAL
            .iter()
            .map(|t| (*t).to_owned())
            .collect(),
        ..KafkaConfig::new(brokers)
    }
}

/// The in-process bus, or RabbitMQ with one worker per context when a URL is configured.
fn command_bus(
    settings: &Settings,
    handlers: Vec<(&str, Arc<dyn CommandHandler>)>,
    shutdown: &CancellationToken,
) -> Arc<dyn CommandBus> {
    match &settings.amqp_url {
        Some(url) => {
            let config = RabbitConfig {
                reply_timeout: settings.command_timeout,
                ..RabbitConfig::new(url.clone())
            };
            for (context, handler) in handlers {
                // Workers run until shutdown; unacknowledged commands return to the queue.
                let _worker = RabbitCommandWorker::new(config.clone(), context, handler)
                    .spawn(shutdown.child_token());
            }
            Arc::new(RabbitCommandBus::new(config))
        }
        None => {
            let bus = InProcessCommandBus::new(settings.command_timeout);
            for (context, handler) in handlers {
                bus.register(context, handler, WORKERS_PER_CONTEXT);
            }
            Arc::new(bus)
        }
    }
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
    identity::application::RefreshTokens::new(database.read.clone(), settings.identity.refresh_ttl)
        .prepare()
        .await
        .context("cannot create the refresh-token tables")?;
    Ok(())
}

/// A server running in the background (tests, and `serve` itself).
#[derive(Debug)]
pub struct Running {
    pub addr: SocketAddr,
    pub shutdown: CancellationToken,
    pub server: tokio::task::JoinHandle<std::io::Result<()>>,
    /// The platform's command bus and event store, for tests that act as a saga or read streams.
    pub bus: Arc<dyn CommandBus>,
    pub store: Arc<dyn shared_kernel::EventStore>,
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
    let bus = Arc::clone(&platform.bus);
    let store = Arc::clone(&platform.database.store);
    let server = tokio::spawn(async move {
        // The peer address feeds the per-address sign-up and login limits.
        let service = platform
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, service)
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await
    });
    Ok(Running {
        addr,
        shutdown,
        server,
        bus,
        store,
    })
}

/// `agora serve`: runs until SIGINT or SIGTERM, then drains requests (live streams end at
/// once, other requests get [`Settings::shutdown_drain`] to finish) and stops.
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
    tracing::info!(
        drain = ?settings.shutdown_drain,
        "shutting down"
    );
    running.shutdown.cancel();
    match tokio::time::timeout(settings.shutdown_drain, running.server).await {
        Ok(joined) => joined
            .context("server task failed")?
            .context("server failed")?,
        // Requests still open: they are cut, as a load balancer would after its own timeout.
        Err(_) => tracing::warn!(
            drain = ?settings.shutdown_drain,
            "requests still open after the drain time; stopping anyway"
        ),
    }
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
