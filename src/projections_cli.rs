//! `agora projections status|rebuild`.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use infrastructure::checkpoints;
use infrastructure::database::{Database, PoolSizes};
use projections::{Projection, Projector};

use crate::app::projections_for;
use crate::cli::ProjectionsCommand;
use crate::config::{ServeArgs, StorageArgs};

/// # Errors
/// Storage cannot be opened, the projection is unknown, or the rebuild failed.
pub async fn run(command: ProjectionsCommand) -> anyhow::Result<()> {
    match command {
        ProjectionsCommand::Status(storage) => status(&storage).await,
        ProjectionsCommand::Rebuild { name, storage } => rebuild(&storage, &name).await.map(|_| ()),
    }
}

/// Opens the database, and lists the read models of every context (with the defaults of every
/// other setting: `--contexts` is `serve`'s).
async fn open(storage: &StorageArgs) -> anyhow::Result<(Database, Vec<Arc<dyn Projection>>)> {
    let config = ServeArgs::with_storage(storage.clone())?;
    config.validate()?;
    let database = Database::open(&storage.existing_url()?, PoolSizes { store: 4, read: 4 })
        .await
        .context("cannot open the database")?;
    let projections = projections_for(&config, &database)?;
    Ok((database, projections))
}

/// Prints every projection's checkpoint beside the store's head.
///
/// # Errors
/// Storage cannot be read.
pub async fn status(storage: &StorageArgs) -> anyhow::Result<()> {
    let (database, projections) = open(storage).await?;
    let head = database.store.head().await?;
    let stored = checkpoints::all(&database.read).await?;
    println!("store head: {head} (transaction.position)");
    println!(
        "{:<28} {:>22} {:>14}  updated",
        "projection", "checkpoint", "behind (pos.)"
    );
    for projection in projections {
        let name = projection.name();
        match stored.iter().find(|(n, _, _)| n == name) {
            Some((_, cursor, at)) => println!(
                "{name:<28} {:>22} {:>14}  {at}",
                cursor.to_string(),
                head.position.saturating_sub(cursor.position)
            ),
            None => println!("{name:<28} {:>22} {:>14}  never ran", "-", head.position),
        }
    }
    Ok(())
}

/// Rebuilds one projection, showing progress; returns the number of events replayed.
///
/// # Errors
/// Unknown projection, or a storage failure.
pub async fn rebuild(storage: &StorageArgs, name: &str) -> anyhow::Result<u64> {
    let (database, projections) = open(storage).await?;
    let known: Vec<_> = projections.iter().map(|p| p.name()).collect();
    let projection = projections
        .iter()
        .find(|p| p.name() == name)
        .cloned()
        .with_context(|| format!("unknown projection {name:?}; known: {}", known.join(", ")))?;
    let head = database.store.head().await?;
    let bar = ProgressBar::new(head.position);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:40}] position {pos}/{len} ({per_sec})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(format!("rebuilding {name}"));
    let started = Instant::now();
    let projector = Projector::new(projection, database.read.clone());
    let replayed = projector
        .rebuild(database.store.as_ref(), |_, cursor| {
            bar.set_length(bar.length().unwrap_or(0).max(cursor.position));
            bar.set_position(cursor.position);
        })
        .await?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "rebuilt {name}: {replayed} events in {secs:.1}s ({:.0} events/s)",
        replayed as f64 / secs.max(1e-9)
    );
    Ok(replayed)
}
