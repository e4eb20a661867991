//! The event feed of the embedded default: tails the store directly.

use std::sync::Arc;

use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::{self, BoxStream};
use shared_kernel::{Cursor, EventFeed, EventStore, FeedError, Recorded};
use tokio::sync::mpsc;

const BUFFER: usize = 1024;

#[derive(Debug, Clone)]
pub struct StoreFeed {
    store: Arc<dyn EventStore>,
}

impl StoreFeed {
    #[must_use]
    pub const fn new(store: Arc<dyn EventStore>) -> Self {
        Self { store }
    }
}

#[async_trait]
impl EventFeed for StoreFeed {
    async fn subscribe(
        &self,
        _subscriber: &str,
        from: Cursor,
    ) -> Result<BoxStream<'static, Result<Recorded, FeedError>>, FeedError> {
        // The tail borrows the store, so a task owns both and forwards; it stops when the
        // subscriber drops its end.
        let (tx, rx) = mpsc::channel(BUFFER);
        let store = Arc::clone(&self.store);
        tokio::spawn(async move {
            let mut tail = store.tail(from);
            while let Some(item) = tail.next().await {
                if tx.send(item.map_err(FeedError::from)).await.is_err() {
                    break;
                }
            }
        });
        Ok(stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|x| (x, rx)) }).boxed())
    }
}
