//! The command line: the commands, and the flags of those that are not configuration
//! (`crate::config` holds the settings, as flattened sections).

use clap::{Args, Parser, Subcommand};

use crate::config::{ServeArgs, StorageArgs};

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
    Serve(Box<ServeArgs>),
    /// Apply the platform's migrations, create the selected contexts' tables, and exit.
    Migrate(MigrateArgs),
    /// Manage user accounts (bootstrap the first admin).
    #[command(subcommand)]
    Users(UsersCommand),
    /// Inspect and rebuild read models.
    #[command(subcommand)]
    Projections(ProjectionsCommand),
    /// Export the event log (a range of it) to JSON Lines or Parquet, or replay it into Kafka
    /// or a read model.
    #[command(subcommand)]
    Events(crate::events_cli::EventsCommand),
    /// Print the OpenAPI 3.1 description of the HTTP API (what `GET /api/v1/openapi.json`
    /// serves): `agora openapi > openapi.json` regenerates the committed copy.
    Openapi,
    /// Print the nginx configuration of a gateway in front of one process (or more) per
    /// context: each context's routes (as the registry declares them) to its instances.
    GatewayConfig(crate::gateway::GatewayArgs),
    /// Write the deployment files of one process per context, generated from the context
    /// registry: `docker-compose.yml`, `deploy/nginx.conf` and the manifests in `deploy/k8s/`.
    DeployFiles(crate::deploy::DeployArgs),
    // The benchmarks (`bench`, `bench-messaging`, `bench-feed`, `bench-orders`,
    // `bench-rebuild`): the `agora-bench` crate's commands, run against this platform.
    #[command(flatten)]
    Bench(agora_bench::BenchCommand),
}

/// `agora migrate`: the database, and whose tables to create.
#[derive(Debug, Clone, Args)]
pub struct MigrateArgs {
    /// Create only these contexts' tables (comma-separated), as `serve --contexts` does; all
    /// when unset. The platform's own tables (event store, checkpoints, offsets, timers,
    /// idempotency keys) are always migrated.
    #[arg(long, env = "AGORA_CONTEXTS", value_delimiter = ',')]
    pub contexts: Vec<String>,
    #[command(flatten)]
    pub storage: StorageArgs,
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

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Grant a role to the account with this e-mail address (works with no admin yet).
    Grant(RoleArgs),
    /// Revoke a role from the account with this e-mail address.
    Revoke(RoleArgs),
}

#[derive(Debug, Clone, Args)]
pub struct RoleArgs {
    /// The e-mail address of the account (as registered with `POST /api/v1/users`).
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
