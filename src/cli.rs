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
    /// Measure event-store append rates against raw INSERTs (PostgreSQL).
    Bench(crate::bench::BenchArgs),
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

    /// Largest accepted request body, in bytes (413 above it).
    #[arg(long, env = "AGORA_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,

    /// How long a command may take before the HTTP request gives up waiting, in milliseconds.
    #[arg(long, env = "AGORA_COMMAND_TIMEOUT_MS", default_value_t = 10_000)]
    pub command_timeout_ms: u64,

    /// How long a read with `Agora-Min-Position` waits for its read model, in milliseconds.
    #[arg(long, env = "AGORA_READ_WAIT_MS", default_value_t = 3_000)]
    pub read_wait_ms: u64,
}
