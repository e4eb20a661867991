//! New comments as they are projected, for `GET /posts/{id}/comments/live` (Server-Sent Events).

use std::sync::Arc;

use tokio::sync::{broadcast, watch};

use super::Comment;

/// Comments buffered per subscriber; a subscriber further behind reads what it missed from
/// the read model (by the comments' numbers, see [`LiveComment::seq`]).
const CAPACITY: usize = 1024;

/// A comment just created, as subscribers receive it: told while the read model applies it,
/// so it may reach them a moment before a query of the read model shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveComment {
    /// Its number in its post's sequence (1, 2, ... in the order the read model created them).
    pub seq: i64,
    /// The comment as `GET /posts/{id}/comments` shows it (without replies).
    pub comment: Comment,
}

/// One broadcaster per process: the comments projection publishes, every SSE connection
/// subscribes and keeps its post's comments, until [`LiveComments::close`] (shutdown) ends
/// every stream.
#[derive(Debug, Clone)]
pub struct LiveComments {
    sender: broadcast::Sender<Arc<LiveComment>>,
    /// `true` once the process stops serving: open streams end, new ones end at once.
    closed: watch::Sender<bool>,
}

impl Default for LiveComments {
    fn default() -> Self {
        Self::new()
    }
}

impl LiveComments {
    #[must_use]
    pub fn new() -> Self {
        Self {
            sender: broadcast::channel(CAPACITY).0,
            closed: watch::channel(false).0,
        }
    }

    /// Tells every subscriber; nobody listening is fine.
    pub fn publish(&self, comment: LiveComment) {
        let _ = self.sender.send(Arc::new(comment));
    }

    #[must_use]
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LiveComment>> {
        self.sender.subscribe()
    }

    /// Ends every live stream (shutdown: a graceful stop waits for open responses, and a
    /// stream would otherwise never end).
    pub fn close(&self) {
        self.closed.send_replace(true);
    }

    /// Becomes `true` when [`LiveComments::close`] is called.
    #[must_use]
    pub fn closed(&self) -> watch::Receiver<bool> {
        self.closed.subscribe()
    }

    /// How many connections listen now.
    #[must_use]
    pub fn subscribers(&self) -> usize {
        self.sender.receiver_count()
    }
}
