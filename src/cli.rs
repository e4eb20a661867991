//! The command line. Every setting has a flag and an environment variable (README.md lists
//! them); flags win over the environment, the environment over the defaults.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "agora",
    version,
    about = "Agora: an event-sourced marketplace and community"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Log format: `json`, `pretty`, or `auto` (pretty on a terminal, JSON otherwise).
    /// The filter comes from `RUST_LOG` (default `info`).
    #[arg(long, env = "AGORA_LOG_FORMAT", default_value = "auto", global = true)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum EventFeedKind {
    #[default]
    Store,
    Kafka,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Auto,
    Json,
    Pretty,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the platform: HTTP API, command handlers and projectors.
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(StorageArgs),
    /// Manage user accounts (bootstrap the first admin).
    #[command(subcommand)]
    Users(UsersCommand),
    /// Inspect and rebuild read models.
    #[command(subcommand)]
    Projections(ProjectionsCommand),
    /// Measure event-store append rates against raw INSERTs (PostgreSQL).
    Bench(crate::bench::BenchArgs),
    /// Measure command round trips (RabbitMQ, in-process), relay and projection lag.
    BenchMessaging(crate::bench_messaging::BenchMessagingArgs),
    /// Measure community feed pages (hot, new) over HTTP at 1k and at 100k posts (PostgreSQL).
    BenchFeed(crate::bench::feed::BenchFeedArgs),
    /// Measure orders end to end over HTTP (placed until paid) against raw appends.
    BenchOrders(crate::bench_orders::BenchOrdersArgs),
    /// Measure `projections rebuild` over a long log against a raw ordered read of it.
    BenchRebuild(crate::bench::rebuild::BenchRebuildArgs),
}

#[derive(Debug, Subcommand)]
pub enum ProjectionsCommand {
    /// Each projection's checkpoint, how far behind the store's head it is, and when it moved.
    Status(StorageArgs),
    /// Empty a read model and replay the whole store into it. Safe while `serve` runs: the live
    /// projector and the rebuild take turns per batch, so no event is missed or applied twice.
    Rebuild {
        /// The projection's name, as `agora projections status` lists it.
        name: String,
        #[command(flatten)]
        storage: StorageArgs,
    },
}

/// Where events and read models live.
#[derive(Debug, Clone, Args)]
pub struct StorageArgs {
    /// Database URL: `postgres://...` selects PostgreSQL; unset means SQLite in the data dir.
    #[arg(long, env = "AGORA_DATABASE_URL")]
    pub database_url: Option<String>,

    /// Directory of the embedded database (`agora.db`) and generated keys.
    #[arg(long, env = "AGORA_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Event-store connection pool size (PostgreSQL).
    #[arg(long, env = "AGORA_DB_POOL_SIZE", default_value_t = 16)]
    pub db_pool_size: u32,
}

impl StorageArgs {
    /// The URL to open: the configured one, or the SQLite file in the data directory.
    #[must_use]
    pub fn url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("agora.db").display()))
    }
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "AGORA_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    #[command(flatten)]
    pub storage: StorageArgs,

    /// Run only these contexts (comma-separated); all when unset.
    #[arg(long, env = "AGORA_CONTEXTS", value_delimiter = ',')]
    pub contexts: Vec<String>,

    /// RabbitMQ URL (`amqp://user:pass@host:5672/%2f`): commands travel over RabbitMQ, with a
    /// worker per context in this process. Unset: in-process channels.
    #[arg(long, env = "AGORA_AMQP_URL")]
    pub amqp_url: Option<String>,

    /// Kafka bootstrap servers (`host:9092`): relay every stored event to the topic
    /// `agora.<context>.events`. Unset: no relay.
    #[arg(long, env = "AGORA_KAFKA_BROKERS")]
    pub kafka_brokers: Option<String>,

    /// Partitions of each topic the relay creates.
    #[arg(long, env = "AGORA_KAFKA_PARTITIONS", default_value_t = 6)]
    pub kafka_partitions: i32,

    /// First segment of every Kafka topic (`<prefix>.<context>.events`) and consumer group, so
    /// several deployments can share one cluster.
    #[arg(long, env = "AGORA_KAFKA_TOPIC_PREFIX", default_value = "agora")]
    pub kafka_topic_prefix: String,

    /// Where projectors and sagas read events from: `store` (one reader of the event store
    /// per process) or `kafka` (one consumer per process; needs --kafka-brokers).
    #[arg(long, env = "AGORA_EVENT_FEED", value_enum, default_value = "store")]
    pub event_feed: EventFeedKind,

    /// How long a Kafka fetch may wait at the broker for data, in milliseconds
    /// (`fetch.wait.max.ms`): the latency of each hop through a broker that answers only when
    /// the wait runs out (tansu), and about one request per wait while idle.
    #[arg(long, env = "AGORA_KAFKA_FETCH_WAIT_MS", default_value_t = 10)]
    pub kafka_fetch_wait_ms: u64,

    /// Newest events the store feed keeps in memory for this process's projectors and sagas;
    /// one further behind reads the store until it catches up.
    #[arg(long, env = "AGORA_FEED_WINDOW_EVENTS", default_value_t = infrastructure::inprocess::DEFAULT_WINDOW)]
    pub feed_window_events: usize,

    /// Largest accepted request body, in bytes (413 above it).
    #[arg(long, env = "AGORA_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,

    /// How long a command may take before the HTTP request gives up waiting, in milliseconds.
    #[arg(long, env = "AGORA_COMMAND_TIMEOUT_MS", default_value_t = 10_000)]
    pub command_timeout_ms: u64,

    #[command(flatten)]
    pub identity: IdentityArgs,

    /// How long a read with `Agora-Min-Position` waits for its read model, in milliseconds.
    #[arg(long, env = "AGORA_READ_WAIT_MS", default_value_t = 3_000)]
    pub read_wait_ms: u64,

    /// After SIGTERM or SIGINT, how long open requests may take to finish before the process
    /// stops anyway, in milliseconds (live streams end at once).
    #[arg(long, env = "AGORA_SHUTDOWN_DRAIN_MS", default_value_t = 10_000)]
    pub shutdown_drain_ms: u64,

    #[command(flatten)]
    pub ordering: OrderingArgs,

    #[command(flatten)]
    pub payments: PaymentsArgs,
}

/// The simulated payment provider.
#[derive(Debug, Clone, Args)]
pub struct PaymentsArgs {
    /// How long the simulated provider takes to answer for the test token `tok_slow`, in
    /// milliseconds.
    #[arg(long, env = "AGORA_PAYMENT_SLOW_DELAY_MS", default_value_t = 5_000)]
    pub payment_slow_delay_ms: u64,
}

impl PaymentsArgs {
    /// The simulated provider's settings.
    #[must_use]
    pub fn config(&self) -> infrastructure::payments::SimulatedProviderConfig {
        infrastructure::payments::SimulatedProviderConfig {
            slow_delay: std::time::Duration::from_millis(self.payment_slow_delay_ms),
        }
    }
}

impl Default for PaymentsArgs {
    /// The documented default (what clap gives with no flag and no environment).
    fn default() -> Self {
        Self {
            payment_slow_delay_ms: 5_000,
        }
    }
}

/// Deadlines of the order saga.
#[derive(Debug, Clone, Args)]
pub struct OrderingArgs {
    /// How long an order with reserved stock waits for its payment before it is cancelled and
    /// its stock released, in milliseconds.
    #[arg(long, env = "AGORA_ORDER_PAYMENT_TIMEOUT_MS", default_value_t = 30_000)]
    pub order_payment_timeout_ms: u64,

    /// How long inventory holds an order's stock reservation, in seconds.
    #[arg(long, env = "AGORA_ORDER_RESERVATION_TTL_SECS", default_value_t = 15 * 60)]
    pub order_reservation_ttl_secs: u64,
}

impl OrderingArgs {
    /// The ordering context's settings.
    #[must_use]
    pub fn config(&self) -> ordering::OrderingConfig {
        use std::time::Duration;
        ordering::OrderingConfig {
            payment_timeout: Duration::from_millis(self.order_payment_timeout_ms.max(1)),
            reservation_ttl: Duration::from_secs(self.order_reservation_ttl_secs.max(1)),
        }
    }
}

impl Default for OrderingArgs {
    /// The documented defaults (what clap gives with no flags and no environment).
    fn default() -> Self {
        Self {
            order_payment_timeout_ms: 30_000,
            order_reservation_ttl_secs: 15 * 60,
        }
    }
}

/// Tokens and abuse limits of the identity context.
#[derive(Debug, Clone, Args)]
pub struct IdentityArgs {
    /// Ed25519 private key (PKCS#8 PEM) that signs access tokens; generated (mode 0600) when
    /// missing. Default: `<data-dir>/keys/jwt-ed25519.pem`. Share one file between processes.
    #[arg(long, env = "AGORA_JWT_PRIVATE_KEY_FILE")]
    pub jwt_private_key_file: Option<PathBuf>,

    /// Lifetime of access tokens, in seconds.
    #[arg(long, env = "AGORA_ACCESS_TOKEN_TTL_SECS", default_value_t = 900)]
    pub access_token_ttl_secs: u64,

    /// Lifetime of refresh tokens, in seconds.
    #[arg(long, env = "AGORA_REFRESH_TOKEN_TTL_SECS", default_value_t = 30 * 24 * 3600)]
    pub refresh_token_ttl_secs: u64,

    /// Mark the `agora_session` cookie `Secure` (`false` only for plain-HTTP test set-ups).
    #[arg(long, env = "AGORA_SESSION_COOKIE_SECURE", default_value_t = true, action = clap::ArgAction::Set)]
    pub session_cookie_secure: bool,

    /// Failed logins per account within the window before the account's logins get 429.
    #[arg(long, env = "AGORA_LOGIN_FAILURES_PER_ACCOUNT", default_value_t = 5)]
    pub login_failures_per_account: u32,

    /// The failed-login window, in seconds.
    #[arg(long, env = "AGORA_LOGIN_FAILURE_WINDOW_SECS", default_value_t = 900)]
    pub login_failure_window_secs: u64,

    /// Login and refresh attempts per client address per minute.
    #[arg(long, env = "AGORA_LOGINS_PER_IP_PER_MINUTE", default_value_t = 60)]
    pub logins_per_ip_per_minute: u32,

    /// Sign-ups per client address per hour.
    #[arg(
        long,
        env = "AGORA_REGISTRATIONS_PER_IP_PER_HOUR",
        default_value_t = 100
    )]
    pub registrations_per_ip_per_hour: u32,

    /// Writes (non-GET requests) per user per minute.
    #[arg(long, env = "AGORA_WRITES_PER_USER_PER_MINUTE", default_value_t = 120)]
    pub writes_per_user_per_minute: u32,
}

impl IdentityArgs {
    /// The identity context's settings, with the key in `data_dir` unless configured.
    #[must_use]
    pub fn config(&self, data_dir: &std::path::Path) -> identity::application::IdentityConfig {
        use std::time::Duration;
        identity::application::IdentityConfig {
            key_file: Some(
                self.jwt_private_key_file
                    .clone()
                    .unwrap_or_else(|| data_dir.join("keys").join("jwt-ed25519.pem")),
            ),
            access_ttl: Duration::from_secs(self.access_token_ttl_secs.max(1)),
            refresh_ttl: Duration::from_secs(self.refresh_token_ttl_secs.max(1)),
            cookie_secure: self.session_cookie_secure,
            login_failures_per_account: self.login_failures_per_account,
            login_failure_window: Duration::from_secs(self.login_failure_window_secs),
            logins_per_ip_per_minute: self.logins_per_ip_per_minute,
            registrations_per_ip_per_hour: self.registrations_per_ip_per_hour,
            writes_per_user_per_minute: self.writes_per_user_per_minute,
        }
    }
}

impl Default for IdentityArgs {
    /// The documented defaults (what clap gives with no flags and no environment).
    fn default() -> Self {
        Self {
            jwt_private_key_file: None,
            access_token_ttl_secs: 900,
            refresh_token_ttl_secs: 30 * 24 * 3600,
            session_cookie_secure: true,
            login_failures_per_account: 5,
            login_failure_window_secs: 900,
            logins_per_ip_per_minute: 60,
            registrations_per_ip_per_hour: 100,
            writes_per_user_per_minute: 120,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Grant a role to the account with this e-mail address (works with no admin yet).
    Grant(RoleArgs),
    /// Revoke a role from the account with this e-mail address.
    Revoke(RoleArgs),
}

#[derive(Debug, Clone, Args)]
pub struct RoleArgs {
    #[arg(long)]
    pub email: String,
    /// `admin`, `analyst` or `moderator` (with `--scope <community>`).
    #[arg(long)]
    pub role: String,
    /// The community of a `moderator` role.
    #[arg(long)]
    pub scope: Option<String>,
    #[command(flatten)]
    pub storage: StorageArgs,
}
