use std::process::ExitCode;

use agora::cli::{Cli, Command};
use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let json_logs = agora::telemetry::init(cli.log_format);
    let result = match cli.command {
        Command::Serve(config) => agora::app::serve(&config).await,
        Command::Migrate(args) => migrate(args).await,
        Command::Bench(command) => agora_bench::run(command, &agora::launcher::Launcher).await,
        Command::Users(command) => agora::users_cli::run(command).await,
        Command::Projections(command) => agora::projections_cli::run(command).await,
        Command::Events(command) => agora::events_cli::run(command).await,
        Command::Openapi => print_openapi().await,
        Command::GatewayConfig(args) => print_gateway_config(&args),
        Command::DeployFiles(args) => agora::deploy::write(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Once: as a log line where logs are JSON (a collector reads them), else as text.
            let report = agora::telemetry::error_report(&e);
            if json_logs {
                tracing::error!(error = report, "agora failed");
            } else {
                eprintln!("error: {report}");
            }
            ExitCode::FAILURE
        }
    }
}

async fn print_openapi() -> anyhow::Result<()> {
    use std::io::Write as _;
    let config = agora::config::ServeArgs::defaults()?;
    let doc = agora::app::openapi_document(&config).await?;
    let text = agora::openapi::to_json(&doc)?;
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(())
}

fn print_gateway_config(args: &agora::gateway::GatewayArgs) -> anyhow::Result<()> {
    use std::io::Write as _;
    let text = agora::gateway::config(args)?;
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(())
}

async fn migrate(args: agora::cli::MigrateArgs) -> anyhow::Result<()> {
    let url = args.storage.url();
    let config = agora::config::ServeArgs {
        contexts: args.contexts,
        ..agora::config::ServeArgs::with_storage(args.storage)?
    };
    agora::app::migrate(&config).await?;
    tracing::info!(database = %infrastructure::database::redact(&url), "migrations applied");
    Ok(())
}
