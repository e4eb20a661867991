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
        Command::Users(command) => users(command).await,
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

/// `agora users grant|revoke`: changes a role directly through the identity command handler,
/// as the trusted `system:cli` actor (how the first admin is made).
async fn users(command: agora::cli::UsersCommand) -> anyhow::Result<()> {
    use std::sync::Arc;

    use agora::cli::UsersCommand;
    use anyhow::Context as _;
    use identity::application::{Accounts, IdentityCommand, IdentityHandler, SYSTEM_CLI};
    use shared_kernel::{CommandHandler as _, CommandOutcome, SystemClock};

    let (grant, args) = match command {
        UsersCommand::Grant(args) => (true, args),
        UsersCommand::Revoke(args) => (false, args),
    };
    let url = args.storage.url();
    let database = infrastructure::database::Database::open(
        &url,
        infrastructure::database::PoolSizes { store: 2, read: 1 },
    )
    .await
    .context("cannot open the database")?;
    let user = Accounts::new(Arc::clone(&database.store))
        .find_by_email(&args.email)
        .await
        .context("cannot look the account up")?
        .with_context(|| format!("no account with e-mail address {}", args.email))?;
    let command = if grant {
        IdentityCommand::GrantRole {
            user_id: user.id,
            role: args.role.clone(),
            scope: args.scope.clone(),
        }
    } else {
        IdentityCommand::RevokeRole {
            user_id: user.id,
            role: args.role.clone(),
            scope: args.scope.clone(),
        }
    };
    let envelope = command.envelope(uuid::Uuid::now_v7(), SYSTEM_CLI.to_owned())?;
    let handler = IdentityHandler::new(database.store, Arc::new(SystemClock));
    let reply = handler
        .handle(envelope)
        .await
        .context("cannot record the change")?;
    match reply.outcome {
        CommandOutcome::Accepted { .. } => {
            let verb = if grant { "granted" } else { "revoked" };
            tracing::info!(user_id = %user.id, role = %args.role, "role {verb}");
            println!(
                "{verb} {} {} {}",
                args.role,
                if grant { "to" } else { "from" },
                args.email
            );
            Ok(())
        }
        CommandOutcome::Rejected { message, .. } => anyhow::bail!("refused: {message}"),
    }
}
