//! `agora users grant|revoke`: role changes from the command line, straight through the
//! identity command handler against the store (no server needed). A running server sees a
//! revoke through its token-revocation view: tokens issued before it are refused from then on.

/// `agora users grant|revoke`: changes a role directly through the identity command handler,
/// as the trusted `system:cli` actor (how the first admin is made).
///
/// # Errors
/// The database cannot be opened, the account does not exist, or the change is refused.
pub async fn run(command: crate::cli::UsersCommand) -> anyhow::Result<()> {
    use std::sync::Arc;

    use crate::cli::UsersCommand;
    use anyhow::Context as _;
    use identity::application::{Accounts, IdentityCommand, IdentityHandler, SYSTEM_CLI};
    use shared_kernel::{CommandHandler as _, CommandOutcome, SystemClock};

    let (grant, args) = match command {
        UsersCommand::Grant(args) => (true, args),
        UsersCommand::Revoke(args) => (false, args),
    };
    let url = args.storage.existing_url()?;
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
        .with_context(|| format!("no account with e-mail address {}", args.email))?
        .user;
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
use shared_kernel::ContextCommand as _;
