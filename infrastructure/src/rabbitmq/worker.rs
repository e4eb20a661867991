//! The receiving side: consume a context's queue, handle, reply, and only then acknowledge.

use std::sync::Arc;

use futures::StreamExt;
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicPublishOptions, BasicQosOptions,
    BasicRejectOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};
use shared_kernel::{CommandEnvelope, CommandHandler};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::{RabbitConfig, backoff, topology};

/// How often a consuming worker checks that its connection and channel are still up.
const LINK_CHECK: std::time::Duration = std::time::Duration::from_millis(500);

/// Consumes one context's commands. Reconnects with backoff when the broker goes away.
#[derive(Debug)]
pub struct RabbitCommandWorker {
    config: RabbitConfig,
    context: String,
    handler: Arc<dyn CommandHandler>,
}

/// A running worker.
#[derive(Debug)]
pub struct WorkerHandle {
    pub task: JoinHandle<()>,
    connection: Arc<Mutex<Option<Connection>>>,
    shutdown: CancellationToken,
}

impl WorkerHandle {
    /// Stops consuming; unacknowledged commands go back to the queue.
    pub async fn stop(self) {
        self.shutdown.cancel();
        let _ = self.task.await;
    }

    /// Simulates a crash: drops the connection without acknowledging anything in flight, as a
    /// killed process would. For fault tests.
    pub async fn crash(self) {
        self.task.abort();
        if let Some(connection) = self.connection.lock().await.take() {
            let _ = connection.close(320, "worker crashed".into()).await;
        }
    }
}

impl RabbitCommandWorker {
    #[must_use]
    pub fn new(config: RabbitConfig, context: &str, handler: Arc<dyn CommandHandler>) -> Self {
        Self {
            config,
            context: context.to_owned(),
            handler,
        }
    }

    /// Starts consuming in the background.
    #[must_use]
    pub fn spawn(self, shutdown: CancellationToken) -> WorkerHandle {
        let connection = Arc::new(Mutex::new(None));
        let slot = Arc::clone(&connection);
        let stop = shutdown.clone();
        let task = tokio::spawn(async move {
            let mut attempt = 0;
            while !stop.is_cancelled() {
                match self.run(&slot, &stop).await {
                    Ok(()) => return,
                    Err(e) => {
                        attempt += 1;
                        tracing::warn!(context = %self.context, error = %e, attempt, "command worker lost the broker; reconnecting");
                        tokio::select! {
                            () = tokio::time::sleep(backoff(attempt)) => {}
                            () = stop.cancelled() => return,
                        }
                    }
                }
            }
        });
        WorkerHandle {
            task,
            connection,
            shutdown,
        }
    }

    async fn run(
        &self,
        slot: &Mutex<Option<Connection>>,
        stop: &CancellationToken,
    ) -> lapin::Result<()> {
        let connection =
            Connection::connect(&self.config.url, ConnectionProperties::default()).await?;
        let channel = connection.create_channel().await?;
        let connection_status = connection.status().clone();
        let channel_status = channel.status().clone();
        *slot.lock().await = Some(connection);
        topology::declare(&channel, &self.config, &self.context).await?;
        channel
            .basic_qos(self.config.prefetch, BasicQosOptions::default())
            .await?;
        let consumer = channel
            .basic_consume(
                self.config.queue(&self.context).as_str().into(),
                "".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        tracing::info!(context = %self.context, "command worker consuming");
        let concurrency = usize::from(self.config.prefetch.max(1));
        // A consumer does not always end when the broker goes away (a restart racing the
        // consumer's set-up): watch the link too, and reconnect when it is down.
        let link_down = async move {
            while connection_status.connected() && channel_status.connected() {
                tokio::time::sleep(LINK_CHECK).await;
            }
        };
        let deliveries = consumer.take_until(async {
            tokio::select! {
                () = stop.cancelled() => {}
                () = link_down => {}
            }
        });
        deliveries
            .for_each_concurrent(concurrency, |delivery| {
                let channel = channel.clone();
                async move {
                    match delivery {
                        Ok(delivery) => self.process(&channel, delivery).await,
                        Err(e) => tracing::warn!(error = %e, "delivery failed"),
                    }
                }
            })
            .await;
        if stop.is_cancelled() {
            return Ok(());
        }
        // The consumer ended without a shutdown: the channel or connection is gone.
        Err(lapin::Error::from(
            lapin::ErrorKind::InvalidConnectionState(lapin::ConnectionState::Closed),
        ))
    }

    async fn process(&self, channel: &Channel, delivery: Delivery) {
        let Ok(command) = serde_json::from_slice::<CommandEnvelope>(&delivery.data) else {
            // Unreadable: no retry can help. Straight to the dead-letter queue.
            tracing::error!(context = %self.context, "unreadable command; dead-lettering");
            let _ = delivery.reject(BasicRejectOptions { requeue: false }).await;
            return;
        };
        match self.handler.handle(command.clone()).await {
            Ok(reply) => {
                if let Some(reply_to) = delivery.properties.reply_to().as_ref() {
                    let body = serde_json::to_vec(&reply).unwrap_or_default();
                    let properties = BasicProperties::default()
                        .with_correlation_id(command.command_id.to_string().into())
                        .with_content_type("application/json".into());
                    // The reply is best effort: the effect is committed and a client that missed
                    // the reply gets the same result by sending the command again.
                    if let Err(e) = channel
                        .basic_publish(
                            "".into(),
                            reply_to.as_str().into(),
                            BasicPublishOptions::default(),
                            &body,
                            properties,
                        )
                        .await
                    {
                        tracing::warn!(error = %e, command_id = %command.command_id, "cannot send reply");
                    }
                }
                if let Err(e) = delivery.ack(BasicAckOptions::default()).await {
                    tracing::warn!(error = %e, command_id = %command.command_id, "ack failed; the command will be redelivered and answered from its stored result");
                }
            }
            Err(e) => {
                let deliveries = delivery_count(&delivery);
                tracing::warn!(error = %e, command_id = %command.command_id, deliveries, "command failed; will retry");
                tokio::time::sleep(backoff(deliveries)).await;
                // Requeued; the quorum queue dead-letters it once the delivery limit is reached.
                let _ = delivery
                    .nack(BasicNackOptions {
                        requeue: true,
                        ..BasicNackOptions::default()
                    })
                    .await;
            }
        }
    }
}

/// How often the quorum queue has delivered this message before (`x-delivery-count`).
fn delivery_count(delivery: &Delivery) -> u32 {
    delivery
        .properties
        .headers()
        .as_ref()
        .and_then(|h| h.inner().get("x-delivery-count").cloned())
        .and_then(|v| match v {
            AMQPValue::LongLongInt(n) => u32::try_from(n).ok(),
            AMQPValue::LongInt(n) => u32::try_from(n).ok(),
            AMQPValue::LongUInt(n) => Some(n),
            _ => None,
        })
        .unwrap_or(0)
}
