//! How commands travel: in-process channels, or RabbitMQ with a worker per context when a URL
//! is configured. The bus exists before any context is wired (routes and sagas send on it);
//! each context's handler is then served on it.

use std::sync::Arc;

use infrastructure::inprocess::InProcessCommandBus;
use infrastructure::rabbitmq::{RabbitCommandBus, RabbitCommandWorker, RabbitConfig};
use shared_kernel::{CommandBus, CommandHandler};
use tokio_util::sync::CancellationToken;

use crate::config::ServeArgs;

/// Command-handler tasks per context in the embedded default.
const WORKERS_PER_CONTEXT: usize = 4;

/// The process's command bus, and where its contexts' handlers are served.
#[derive(Debug)]
pub(crate) enum Transport {
    InProcess(Arc<InProcessCommandBus>),
    Rabbit {
        config: RabbitConfig,
        bus: Arc<RabbitCommandBus>,
    },
}

impl Transport {
    /// The bus `config` chooses; nothing is served on it yet.
    pub(crate) fn new(config: &ServeArgs) -> Self {
        let timeout = config.http.command_timeout();
        match &config.messaging.amqp_url {
            Some(url) => {
                let config = RabbitConfig {
                    reply_timeout: timeout,
                    prefix: config.messaging.amqp_prefix.clone(),
                    ..RabbitConfig::new(url.clone())
                };
                let bus = Arc::new(RabbitCommandBus::new(config.clone()));
                Self::Rabbit { config, bus }
            }
            None => Self::InProcess(Arc::new(InProcessCommandBus::new(timeout))),
        }
    }

    /// Where commands are sent.
    pub(crate) fn bus(&self) -> Arc<dyn CommandBus> {
        match self {
            Self::InProcess(bus) => bus.clone(),
            Self::Rabbit { bus, .. } => bus.clone(),
        }
    }

    /// The RabbitMQ bus, when commands travel over RabbitMQ.
    pub(crate) fn rabbit(&self) -> Option<Arc<RabbitCommandBus>> {
        match self {
            Self::InProcess(_) => None,
            Self::Rabbit { bus, .. } => Some(Arc::clone(bus)),
        }
    }

    /// Serves `context`'s commands with `handler` until `shutdown`.
    pub(crate) fn serve(
        &self,
        context: &str,
        handler: Arc<dyn CommandHandler>,
        shutdown: &CancellationToken,
    ) {
        match self {
            Self::InProcess(bus) => bus.register(context, handler, WORKERS_PER_CONTEXT),
            Self::Rabbit { config, .. } => {
                // Workers run until shutdown; unacknowledged commands return to the queue.
                let _worker = RabbitCommandWorker::new(config.clone(), context, handler)
                    .spawn(shutdown.child_token());
            }
        }
    }
}
