use std::process::ExitCode;

use agora::cli::{Cli, Command};
use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    agora::telemetry::init(cli.log_format);
    let result = match cli.command {
        Command::Serve(args) => agora::app::serve(&args).await,
        Command::Migrate(storage) => migrate(storage).await,
        Command::Bench(args) => agora::bench::run(args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "agora failed");
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn migrate(storage: agora::cli::StorageArgs) -> anyhow::Result<()> {
    let args = agora::cli::ServeArgs {
        listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        storage,
        contexts: Vec::new(),
        max_body_bytes: 0,
        command_timeout_ms: 0,
        read_wait_ms: 0,
    };
    let settings = agora::app::Settings::from_args(&args)?;
    agora::app::migrate(&settings).await?;
    tracing::info!(database = %infrastructure::database::redact(&settings.database_url), "migrations applied");
    Ok(())
}
