//! The platform's configuration sections that are not a context's: database, HTTP, messaging,
//! event feed. Each is a clap struct flattened into `serve` (and the database one into every
//! command that opens storage): the flags and environment variables README.md lists.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use infrastructure::database::PoolSizes;

/// Where events and read models live.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Database")]
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

    /// Read-model connection pool size. Smaller for a process that runs one context (and in
    /// tests), so many processes fit in one PostgreSQL's `max_connections`.
    #[arg(long = "db-read-pool-size", env = "AGORA_DB_READ_POOL_SIZE", default_value_t = PoolSizes::default().read)]
    pub read_pool_size: u32,
}

impl StorageArgs {
    /// The URL to open: the configured one, or the SQLite file in the data directory.
    #[must_use]
    pub fn url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("agora.db").display()))
    }

    /// The URL of a database that must exist already (commands that read or change what
    /// `serve` stored, such as `users grant` or `projections status`): the embedded one is not
    /// created by them, and a missing file says where it was looked for and how to point at it.
    ///
    /// # Errors
    /// No database URL is set and the data directory holds no `agora.db`.
    pub fn existing_url(&self) -> anyhow::Result<String> {
        if self.database_url.is_none() {
            let file = self.data_dir.join("agora.db");
            if !file.is_file() {
                anyhow::bail!(
                    "no database at {}: run this where `agora serve` keeps its data, or name it \
                     with --data-dir (AGORA_DATA_DIR), or --database-url (AGORA_DATABASE_URL) for \
                     PostgreSQL",
                    file.display()
                );
            }
        }
        Ok(self.url())
    }

    /// The pools' sizes.
    #[must_use]
    pub fn pool_sizes(&self) -> PoolSizes {
        PoolSizes {
            store: self.db_pool_size,
            read: self.read_pool_size,
        }
    }
}

/// The HTTP edge: address, limits and how long a request waits.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "HTTP")]
pub struct HttpArgs {
    /// Address to listen on: `host:port`, the host an address or a name (`localhost:8080`).
    #[arg(long, env = "AGORA_LISTEN", default_value = "127.0.0.1:8080",
          value_parser = http_kernel::server::resolve_listen)]
    pub listen: SocketAddr,

    /// Largest accepted request body, in bytes (413 above it).
    #[arg(long, env = "AGORA_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,

    /// How long a command may take before the HTTP request gives up waiting, in milliseconds.
    #[arg(long, env = "AGORA_COMMAND_TIMEOUT_MS", default_value_t = 10_000)]
    pub command_timeout_ms: u64,

    /// How long a read with `Agora-Min-Position` waits for its read model, in milliseconds.
    #[arg(long, env = "AGORA_READ_WAIT_MS", default_value_t = 3_000)]
    pub read_wait_ms: u64,

    /// After SIGTERM or SIGINT, how long open requests may take to finish before the process
    /// stops anyway, in milliseconds (live streams end at once).
    #[arg(long, env = "AGORA_SHUTDOWN_DRAIN_MS", default_value_t = 10_000)]
    pub shutdown_drain_ms: u64,

    /// How long a client may take to send a request's headers, in milliseconds; then it is
    /// answered 408 and the connection closes (a client trickling headers cannot hold it).
    #[arg(long, env = "AGORA_HEADER_READ_TIMEOUT_MS", default_value_t = 10_000)]
    pub header_read_timeout_ms: u64,

    /// Proxies (addresses or CIDR networks, comma-separated) whose `X-Forwarded-For` names
    /// the client: behind the gateway, the per-address limits key on the client's address.
    /// From anyone else the header is ignored. None by default.
    #[arg(long, env = "AGORA_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<http_kernel::server::TrustedProxy>,
}

impl HttpArgs {
    /// How long a write waits for its command's reply.
    #[must_use]
    pub fn command_timeout(&self) -> Duration {
        Duration::from_millis(self.command_timeout_ms)
    }

    /// The bound on an `Agora-Min-Position` wait.
    #[must_use]
    pub fn read_wait(&self) -> Duration {
        Duration::from_millis(self.read_wait_ms)
    }

    /// The server's connection settings.
    #[must_use]
    pub fn server(&self) -> http_kernel::server::ServerSettings {
        http_kernel::server::ServerSettings {
            header_read_timeout: Duration::from_millis(self.header_read_timeout_ms),
            trusted_proxies: self.trusted_proxies.clone(),
        }
    }

    /// How long open requests may take to finish after a stop signal.
    #[must_use]
    pub fn shutdown_drain(&self) -> Duration {
        Duration::from_millis(self.shutdown_drain_ms)
    }
}

/// Commands over RabbitMQ and events relayed to Kafka.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Messaging")]
pub struct MessagingArgs {
    /// RabbitMQ URL (`amqp://user:pass@host:5672/%2f`): commands travel over RabbitMQ, with a
    /// worker per context in this process. Unset: in-process channels.
    #[arg(long, env = "AGORA_AMQP_URL")]
    pub amqp_url: Option<String>,

    /// First segment of every RabbitMQ exchange and queue (`<prefix>.commands`,
    /// `<prefix>.<context>.commands`), so several deployments can share one vhost.
    #[arg(long, env = "AGORA_AMQP_PREFIX", default_value = "agora")]
    pub amqp_prefix: String,

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
}

/// Where projectors and sagas read events from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum EventFeedKind {
    /// One reader of the event store per process.
    #[default]
    Store,
    /// One Kafka consumer per process.
    Kafka,
}

/// How this process's projectors and sagas get their events.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Event feed")]
pub struct FeedArgs {
    /// Where projectors and sagas read events from: `store` (one reader of the event store
    /// per process) or `kafka` (one consumer per process; needs --kafka-brokers).
    #[arg(long, env = "AGORA_EVENT_FEED", value_enum, default_value = "store")]
    pub event_feed: EventFeedKind,

    /// How long a Kafka fetch may wait at the broker for data, in milliseconds
    /// (`fetch.wait.max.ms`): the latency of each hop through a broker that answers only when
    /// the wait runs out (tansu), and about one request per wait while idle.
    #[arg(long, env = "AGORA_KAFKA_FETCH_WAIT_MS", default_value_t = 10)]
    pub kafka_fetch_wait_ms: u64,

    /// How long the Kafka consumer group waits for a member that stopped answering (a killed
    /// process) before handing its partitions to another member or to its restart, in
    /// milliseconds (`session.timeout.ms`; heartbeats every third of it). Nobody reads those
    /// partitions meanwhile.
    #[arg(long, env = "AGORA_KAFKA_SESSION_TIMEOUT_MS", default_value_t = 6_000)]
    pub kafka_session_timeout_ms: u64,

    /// Newest events the store feed keeps in memory for this process's projectors and sagas;
    /// one further behind reads the store until it catches up.
    #[arg(long, env = "AGORA_FEED_WINDOW_EVENTS", default_value_t = infrastructure::inprocess::DEFAULT_WINDOW)]
    pub feed_window_events: usize,
}
