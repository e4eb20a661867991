//! The command bus of the embedded default: one channel and a few workers per context.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use shared_kernel::{BusError, CommandBus, CommandEnvelope, CommandHandler, CommandReply};
use tokio::sync::{mpsc, oneshot};

type Job = (
    CommandEnvelope,
    oneshot::Sender<Result<CommandReply, BusError>>,
);

/// Transient handler failures are retried this many times, with growing pauses.
const MAX_ATTEMPTS: u32 = 5;
const QUEUE_DEPTH: usize = 1024;

#[derive(Debug)]
pub struct InProcessCommandBus {
    routes: RwLock<HashMap<String, mpsc::Sender<Job>>>,
    reply_timeout: Duration,
}

impl InProcessCommandBus {
    #[must_use]
    pub fn new(reply_timeout: Duration) -> Self {
        Self {
            routes: RwLock::new(HashMap::new()),
            reply_timeout,
        }
    }

    /// Routes `context`'s commands to `handler`, served by `workers` tasks.
    pub fn register(&self, context: &str, handler: Arc<dyn CommandHandler>, workers: usize) {
        let (tx, rx) = mpsc::channel::<Job>(QUEUE_DEPTH);
        let rx = Arc::new(tokio::sync::Mutex::new(rx));
        for _ in 0..workers.max(1) {
            let rx = Arc::clone(&rx);
            let handler = Arc::clone(&handler);
            tokio::spawn(async move {
                loop {
                    let job = rx.lock().await.recv().await;
                    let Some((command, reply)) = job else { break };
                    let _ = reply.send(handle_with_retries(handler.as_ref(), command).await);
                }
            });
        }
        self.routes
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(context.to_owned(), tx);
    }
}

async fn handle_with_retries(
    handler: &dyn CommandHandler,
    command: CommandEnvelope,
) -> Result<CommandReply, BusError> {
    let mut pause = Duration::from_millis(20);
    let mut attempt = 1;
    loop {
        match handler.handle(command.clone()).await {
            Ok(reply) => return Ok(reply),
            Err(e) if attempt < MAX_ATTEMPTS => {
                tracing::warn!(error = %e, command = %command.name, attempt, "command failed; retrying");
                tokio::time::sleep(pause).await;
                pause *= 2;
                attempt += 1;
            }
            Err(e) => return Err(BusError::Unavailable(Box::new(e))),
        }
    }
}

#[async_trait]
impl CommandBus for InProcessCommandBus {
    async fn send(&self, command: CommandEnvelope) -> Result<CommandReply, BusError> {
        let route = self
            .routes
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&command.context)
            .cloned()
            .ok_or_else(|| BusError::NoRoute(command.context.clone()))?;
        let (tx, rx) = oneshot::channel();
        route
            .send((command, tx))
            .await
            .map_err(|_| BusError::Unavailable("command workers stopped".into()))?;
        match tokio::time::timeout(self.reply_timeout, rx).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(BusError::Unavailable(
                "command worker dropped the reply".into(),
            )),
            Err(_) => Err(BusError::Timeout(self.reply_timeout)),
        }
    }
}
