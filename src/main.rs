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
        Command::BenchMessaging(args) => agora::bench_messaging::run(args).await,
        Command::BenchFeed(args) => agora::bench::feed::run(args).await,
        Command::BenchOrders(args) => agora::bench_orders::run(args).await,
        Command::BenchRebuild(args) => agora::bench::rebuild::run(args).await,
        Command::Users(command) => agora::users_cli::run(command).await,
        Command::Projections(command) => agora::projections_cli::run(command).await,
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
    let settings = agora::app::Settings::for_storage(storage)?;
    agora::app::migrate(&settings).await?;
    tracing::info!(database = %infrastructure::database::redact(&settings.database_url), "migrations applied");
    Ok(())
}
