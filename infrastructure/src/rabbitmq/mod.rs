//! The command bus on RabbitMQ (lapin).
//!
//! Topology, per context: the durable direct exchange `<prefix>.commands` routes by context to
//! the quorum queue `<prefix>.<context>.commands` (prefix `agora` by default). A message that
//! keeps failing is dead-lettered after `delivery_limit` deliveries (quorum queues count them,
//! crashes included) to the exchange `<prefix>.commands.dlx` and the queue
//! `<prefix>.<context>.commands.dead`. Replies travel on
//! RabbitMQ's direct reply-to, matched by correlation id.

mod bus;
mod topology;
mod worker;

use std::time::Duration;

pub use bus::RabbitCommandBus;
pub use topology::{DLX, EXCHANGE, dead_letter_queue, declare, queue};
pub use worker::{RabbitCommandWorker, WorkerHandle};

/// Settings shared by the client and the workers.
#[derive(Debug, Clone)]
pub struct RabbitConfig {
    /// `amqp://user:pass@host:port/vhost`
    pub url: String,
    /// Unacknowledged deliveries per worker: also how many commands a worker runs at once.
    pub prefetch: u16,
    /// Deliveries before a failing command is dead-lettered.
    pub delivery_limit: u32,
    /// How long `send` waits for a reply before answering `BusError::Timeout`.
    pub reply_timeout: Duration,
    /// First segment of every exchange and queue name, so deployments can share a vhost.
    pub prefix: String,
}

impl RabbitConfig {
    #[must_use]
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            prefetch: 16,
            delivery_limit: 5,
            reply_timeout: Duration::from_secs(10),
            prefix: "agora".into(),
        }
    }

    /// The command exchange: `<prefix>.commands`.
    #[must_use]
    pub fn exchange(&self) -> String {
        format!("{}.commands", self.prefix)
    }

    /// The dead-letter exchange: `<prefix>.commands.dlx`.
    #[must_use]
    pub fn dead_letter_exchange(&self) -> String {
        format!("{}.commands.dlx", self.prefix)
    }

    /// A context's command queue: `<prefix>.<context>.commands`.
    #[must_use]
    pub fn queue(&self, context: &str) -> String {
        format!("{}.{context}.commands", self.prefix)
    }

    /// A context's dead-letter queue: `<prefix>.<context>.commands.dead`.
    #[must_use]
    pub fn dead_letter_queue(&self, context: &str) -> String {
        format!("{}.{context}.commands.dead", self.prefix)
    }
}

pub(crate) fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(100 * 2_u64.saturating_pow(attempt.min(6))).min(Duration::from_secs(5))
}
