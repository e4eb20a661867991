//! How events reach the process's read models and sagas: one group of projectors per context
//! on the store's feed (or one Kafka consumer for all of them), the sagas on the same feed, the
//! token revocations every process keeps, and the relay of stored events to Kafka.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use infrastructure::DatabaseKind;
use infrastructure::checkpoints::SqlCheckpointStore;
use infrastructure::database::Database;
use infrastructure::kafka::{KafkaConfig, KafkaRelay};
use infrastructure::postgres::{Lease, RELAY_LEASE_KEY};
use projections::saga::{ProcessManager, SagaRunner};
use projections::{
    CheckpointBoard, KafkaProjector, Progress, Projection, ProjectorGroup, ProjectorHandle,
};
use shared_kernel::{Clock, CommandBus, EventFeed};
use tokio_util::sync::CancellationToken;

use super::auth::Auth;
use crate::config::{EventFeedKind, ServeArgs};

/// The read models of one context (or of a benchmark's idle group), applied together.
pub type ProjectionGroup = (&'static str, Vec<Arc<dyn Projection>>);

/// What the event runtime of one process is built on.
#[derive(Debug)]
pub(crate) struct EventRuntime<'a> {
    pub config: &'a ServeArgs,
    pub database: &'a Database,
    /// The process's one reader of the store.
    pub feed: Arc<dyn EventFeed>,
    pub progress: &'a Progress,
    /// Skip-only checkpoints of every consumer of this process, written in one transaction.
    pub board: CheckpointBoard,
    pub shutdown: &'a CancellationToken,
}

/// Read models that wait for the sagas before they start: on Kafka, read models and sagas
/// share one consumer.
#[derive(Debug)]
pub(crate) struct PendingKafka {
    names: Vec<&'static str>,
    reader: KafkaProjector,
}

impl EventRuntime<'_> {
    /// Creates every read model's tables (so reads before the first batch find an empty read
    /// model), then starts one projector group per context on the store's feed, or prepares
    /// the process's Kafka consumer. Returns the started projectors.
    ///
    /// # Errors
    /// A table cannot be created, a projector cannot start, or Kafka is chosen without brokers.
    pub(crate) async fn start_read_models(
        &self,
        groups: Vec<ProjectionGroup>,
    ) -> anyhow::Result<(Vec<ProjectorHandle>, Option<PendingKafka>)> {
        let read = &self.database.read;
        for projection in groups.iter().flat_map(|(_, g)| g) {
            projections::create_schema(&**projection, read).await?;
        }
        match (
            self.config.feed.event_feed,
            &self.config.messaging.kafka_brokers,
        ) {
            (EventFeedKind::Store, _) => {
                let mut started = Vec::new();
                for (context, group) in groups {
                    started.push(
                        ProjectorGroup::new(context, group, read.clone())
                            .with_board(self.board.clone())
                            .spawn(Arc::clone(&self.feed), self.progress, self.shutdown.clone())
                            .await?,
                    );
                }
                Ok((started, None))
            }
            (EventFeedKind::Kafka, Some(_)) => {
                let names = groups
                    .iter()
                    .flat_map(|(_, g)| g.iter().map(|p| p.name()))
                    .collect();
                let reader = groups.into_iter().fold(KafkaProjector::new(), |r, (c, g)| {
                    r.with_projections(c, g, read.clone(), Some(self.progress))
                });
                Ok((Vec::new(), Some(PendingKafka { names, reader })))
            }
            (EventFeedKind::Kafka, None) => {
                anyhow::bail!("--event-feed kafka needs --kafka-brokers")
            }
        }
    }

    /// Every process verifies tokens, so every process keeps the revoked ones in memory,
    /// whatever contexts it runs and whatever feed its projectors read: on the store's feed,
    /// where each process sees every event (a Kafka consumer group would split them).
    ///
    /// # Errors
    /// The projector cannot start or the revoked tokens cannot be loaded.
    pub(crate) async fn start_revocations(&self, auth: &Auth) -> anyhow::Result<ProjectorHandle> {
        let read = &self.database.read;
        let handle = ProjectorGroup::new(
            identity::CONTEXT,
            vec![auth.revocations_projection()],
            read.clone(),
        )
        .with_board(self.board.clone())
        .spawn(Arc::clone(&self.feed), self.progress, self.shutdown.clone())
        .await?;
        // After the projector read its checkpoint: the tables hold at least what it skips.
        auth.revocations
            .load(read)
            .await
            .context("cannot load the revoked tokens")?;
        Ok(handle)
    }

    /// Starts the sagas: on the store's feed, or in the process's one Kafka consumer with the
    /// read models it waited for (whose handle is then added to `projectors`).
    pub(crate) fn start_sagas(
        &self,
        sagas: Vec<Arc<dyn ProcessManager>>,
        bus: &Arc<dyn CommandBus>,
        clock: &Arc<dyn Clock>,
        kafka: Option<PendingKafka>,
        projectors: &mut Vec<ProjectorHandle>,
    ) {
        let runners = sagas.into_iter().map(|saga| {
            SagaRunner::new(
                saga,
                self.database.read.clone(),
                self.database.kind,
                Arc::clone(bus),
                Arc::clone(clock),
            )
            .with_board(self.board.clone())
        });
        match (kafka, &self.config.messaging.kafka_brokers) {
            (Some(PendingKafka { names, reader }), Some(brokers)) => {
                // One Kafka consumer for the whole process, feeding its read models and sagas.
                let config = kafka_config(self.config, brokers);
                let reader = runners.fold(reader, KafkaProjector::with_saga);
                let group = format!("process.{}", self.config.contexts_key());
                let stop = self.shutdown.clone();
                let task = tokio::spawn(reader.run(group, move |g| config.consumer(g), stop));
                projectors.push(ProjectorHandle { names, task });
            }
            _ => {
                for runner in runners {
                    tokio::spawn(runner.run(Arc::clone(&self.feed), self.shutdown.clone()));
                }
            }
        }
    }

    /// Publishes the store's events to Kafka until shutdown, when brokers are configured. A
    /// relay that fails is restarted from its checkpoint after a pause (at-least-once:
    /// consumers deduplicate by event id).
    ///
    /// One relay per platform, not per process (DESIGN.md, hard problem 10): on PostgreSQL,
    /// where several processes share the store, only the holder of the relay lease (an
    /// advisory lock, see `infrastructure::postgres::Lease`) relays; the others stand by and
    /// take over within about [`LEASE_RETRY`] when the holder dies, from the checkpoint it
    /// stored (at most a second behind: that much is produced again, and consumers drop the
    /// copies). A lease rather than each context relaying its own streams, because twins
    /// (two processes running the same context) would still relay everything twice. On SQLite
    /// the store is one process's own: it relays without a lease.
    ///
    /// # Errors
    /// The relay's configuration is unusable (checked at start-up, not later in the
    /// background).
    pub(crate) fn start_relay(&self, status: &RelayStatus) -> anyhow::Result<()> {
        let Some(brokers) = &self.config.messaging.kafka_brokers else {
            return Ok(());
        };
        let config = kafka_config(self.config, brokers);
        let feed = Arc::clone(&self.feed);
        let checkpoints = Arc::new(SqlCheckpointStore::new(self.database.read.clone()));
        KafkaRelay::new(Arc::clone(&feed), checkpoints.clone(), config.clone())?;
        let lease_url =
            (self.database.kind == DatabaseKind::Postgres).then(|| self.config.storage.url());
        let shutdown = self.shutdown.clone();
        let status = status.clone();
        status.set(RelayRole::Standby);
        tokio::spawn(async move {
            while !shutdown.is_cancelled() {
                let mut lease = None;
                if let Some(url) = &lease_url {
                    match Lease::acquire(url, RELAY_LEASE_KEY, LEASE_RETRY, &shutdown).await {
                        Some(taken) => lease = Some(taken),
                        None => break,
                    }
                    tracing::info!("relay lease taken: this process relays the store to Kafka");
                }
                status.set(RelayRole::Relaying);
                let stop = shutdown.child_token();
                let relay = run_relay(&feed, &checkpoints, &config, &stop);
                tokio::pin!(relay);
                match lease.as_mut() {
                    Some(held) => {
                        tokio::select! {
                            () = &mut relay => {}
                            () = held.lost(LEASE_PROBE) => {
                                tracing::warn!("relay lease may be lost; relaying stops until it is taken again");
                                // Stopped, not dropped: what it delivered is checkpointed.
                                stop.cancel();
                                relay.await;
                            }
                        }
                    }
                    None => relay.await,
                }
                status.set(RelayRole::Standby);
                if let Some(held) = lease {
                    held.release().await;
                }
            }
            status.set(RelayRole::Off);
        });
        Ok(())
    }
}

/// How often a standby tries to take the relay lease.
const LEASE_RETRY: Duration = Duration::from_secs(1);
/// How often the lease holder checks that its lease connection is alive.
const LEASE_PROBE: Duration = Duration::from_secs(1);

/// Relays until `stop`, restarting a failed relay from its checkpoint after a pause.
async fn run_relay(
    feed: &Arc<dyn EventFeed>,
    checkpoints: &Arc<SqlCheckpointStore>,
    config: &KafkaConfig,
    stop: &CancellationToken,
) {
    while !stop.is_cancelled() {
        let outcome = match KafkaRelay::new(Arc::clone(feed), checkpoints.clone(), config.clone()) {
            Ok(relay) => relay.run(stop.clone()).await,
            Err(e) => Err(e),
        };
        if let Err(e) = outcome {
            tracing::error!(error = %e, "kafka relay stopped; restarting from its checkpoint");
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
                () = stop.cancelled() => {}
            }
        }
    }
}

/// What this process's relay does, for `/readyz`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayRole {
    /// No brokers configured, or stopped.
    Off,
    /// Waiting for the relay lease another process holds.
    Standby,
    /// Holding the lease (or alone, on SQLite): relaying.
    Relaying,
}

/// This process's [`RelayRole`], shared with the ops routes.
#[derive(Debug, Clone)]
pub struct RelayStatus(Arc<AtomicU8>);

impl Default for RelayStatus {
    fn default() -> Self {
        Self(Arc::new(AtomicU8::new(RelayRole::Off as u8)))
    }
}

impl RelayStatus {
    fn set(&self, role: RelayRole) {
        self.0.store(role as u8, Ordering::Relaxed);
    }

    /// The current role.
    #[must_use]
    pub fn role(&self) -> RelayRole {
        match self.0.load(Ordering::Relaxed) {
            x if x == RelayRole::Relaying as u8 => RelayRole::Relaying,
            x if x == RelayRole::Standby as u8 => RelayRole::Standby,
            _ => RelayRole::Off,
        }
    }
}

fn kafka_config(config: &ServeArgs, brokers: &str) -> KafkaConfig {
    KafkaConfig {
        fetch_wait: Duration::from_millis(config.feed.kafka_fetch_wait_ms),
        session_timeout: Duration::from_millis(config.feed.kafka_session_timeout_ms),
        partitions: config.messaging.kafka_partitions,
        topic_prefix: config.messaging.kafka_topic_prefix.clone(),
        withheld: event_schemas::identity::CONFIDENTIAL
            .iter()
            .map(|t| (*t).to_owned())
            .collect(),
        ..KafkaConfig::new(brokers)
    }
}
