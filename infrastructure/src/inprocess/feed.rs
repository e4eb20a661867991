//! The event feed that reads the store itself (the embedded default, and `--event-feed store`):
//! one reader of the global log per process, however many projectors and sagas it feeds.
//!
//! The model is Marten's async daemon: a single loop follows the log's high-water mark and
//! keeps the newest events in a window in memory; every consumer pulls pages from that window
//! at its own pace, so a page is read from the database once per process, not once per
//! consumer. A consumer whose cursor is older than the window (a rebuild, a restart, one that
//! fell behind) reads the store directly, page by page, until its cursor enters the window:
//! it rejoins without a gap or a double, because the window always holds a contiguous run of
//! the log (every event after `start`, up to `end`), and a slow consumer never holds the
//! others back (the window drops its oldest events, it never waits for anyone).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use shared_kernel::{Cursor, EventFeed, EventStore, FeedError, Page, Recorded};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Events kept in memory by default: about a minute of a busy shop; consumers further behind
/// read the store.
pub const DEFAULT_WINDOW: usize = 10_000;
/// Events taken from the store's tail into the window at once.
const CHUNK: usize = 500;
/// How long a consumer waits for news before looking again anyway (a safety net only).
const IDLE_RECHECK: Duration = Duration::from_secs(5);
const RETRY_PAUSE: Duration = Duration::from_millis(500);

/// A contiguous run of the global log: every event after `start` up to `end`, in order.
#[derive(Debug)]
struct Window {
    /// `None` until the reader has found the log's head.
    start: Option<Cursor>,
    end: Cursor,
    events: VecDeque<Arc<Recorded>>,
    capacity: usize,
}

impl Window {
    /// What the window can say about the events after `after`.
    fn after(&self, after: Cursor, max: usize) -> Lookup {
        let Some(start) = self.start else {
            return Lookup::Store;
        };
        if after < start {
            return Lookup::Store;
        }
        if after >= self.end {
            return Lookup::Wait;
        }
        let from = self.events.partition_point(|e| e.cursor <= after);
        Lookup::Events(self.events.range(from..).take(max).cloned().collect())
    }

    fn push(&mut self, events: impl IntoIterator<Item = Arc<Recorded>>) {
        for event in events {
            self.end = event.cursor;
            self.events.push_back(event);
        }
        while self.events.len() > self.capacity {
            if let Some(old) = self.events.pop_front() {
                self.start = Some(old.cursor);
            }
        }
    }
}

#[derive(Debug)]
enum Lookup {
    Events(Page),
    /// Older than the window: read the store.
    Store,
    /// Caught up: wait for the next events.
    Wait,
}

#[derive(Debug)]
struct Shared {
    store: Arc<dyn EventStore>,
    window: Mutex<Window>,
    /// The window's end, announced whenever events arrive.
    newest: watch::Sender<Cursor>,
}

/// Aborts the reader when the last handle to the feed is gone.
#[derive(Debug)]
struct Reader(JoinHandle<()>);

impl Drop for Reader {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The process's reader of the store's global log. Cheap to clone; the reader stops when the
/// last clone is dropped.
#[derive(Debug, Clone)]
pub struct StoreFeed {
    shared: Arc<Shared>,
    _reader: Arc<Reader>,
}

impl StoreFeed {
    /// Starts the reader at the store's current head, keeping [`DEFAULT_WINDOW`] events.
    #[must_use]
    pub fn new(store: Arc<dyn EventStore>) -> Self {
        Self::with_window(store, DEFAULT_WINDOW)
    }

    /// Starts the reader, keeping the newest `capacity` events in memory (at least one).
    #[must_use]
    pub fn with_window(store: Arc<dyn EventStore>, capacity: usize) -> Self {
        let shared = Arc::new(Shared {
            store,
            window: Mutex::new(Window {
                start: None,
                end: Cursor::START,
                events: VecDeque::new(),
                capacity: capacity.max(1),
            }),
            newest: watch::channel(Cursor::START).0,
        });
        let reader = tokio::spawn(read_log(Arc::clone(&shared)));
        Self {
            shared,
            _reader: Arc::new(Reader(reader)),
        }
    }

    /// The newest event the reader has seen (`Cursor::START` before the first).
    #[must_use]
    pub fn newest(&self) -> Cursor {
        *self.shared.newest.borrow()
    }
}

/// The one loop that reads the log: finds the head, then tails the store into the window.
async fn read_log(shared: Arc<Shared>) {
    let head = loop {
        match shared.store.head().await {
            Ok(head) => break head,
            Err(e) => {
                tracing::warn!(error = %e, "event feed cannot find the log's head; retrying");
                tokio::time::sleep(RETRY_PAUSE).await;
            }
        }
    };
    {
        let mut window = shared.window.lock().unwrap_or_else(PoisonError::into_inner);
        window.start = Some(head);
        window.end = head;
    }
    shared.newest.send_replace(head);
    // The tail resumes from its own cursor after a failed read, so the events it yields stay
    // contiguous across errors.
    let mut tail = shared.store.tail(head).ready_chunks(CHUNK);
    while let Some(chunk) = tail.next().await {
        let mut events = Vec::with_capacity(chunk.len());
        for item in chunk {
            match item {
                Ok(event) => events.push(Arc::new(event)),
                Err(e) => {
                    metrics::counter!("agora_feed_read_failures_total").increment(1);
                    tracing::warn!(error = %e, "event feed cannot read the log; retrying");
                }
            }
        }
        if events.is_empty() {
            continue;
        }
        metrics::counter!("agora_feed_events_read_total").increment(events.len() as u64);
        let end = {
            let mut window = shared.window.lock().unwrap_or_else(PoisonError::into_inner);
            window.push(events);
            window.end
        };
        shared.newest.send_replace(end);
    }
}

#[async_trait]
impl EventFeed for StoreFeed {
    async fn next_page(&self, after: Cursor, max: usize) -> Result<Page, FeedError> {
        let mut newest = self.shared.newest.subscribe();
        loop {
            // Seen before looking, so events that arrive after the look still wake us.
            newest.borrow_and_update();
            let lookup = self
                .shared
                .window
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .after(after, max.max(1));
            match lookup {
                Lookup::Events(page) if !page.is_empty() => return Ok(page),
                Lookup::Events(_) | Lookup::Wait => {}
                Lookup::Store => {
                    let page = self.shared.store.read_all(after, max.max(1)).await?;
                    if !page.is_empty() {
                        metrics::counter!("agora_feed_catch_up_events_total")
                            .increment(page.len() as u64);
                        return Ok(page.into_iter().map(Arc::new).collect());
                    }
                }
            }
            let _ = tokio::time::timeout(IDLE_RECHECK, newest.changed()).await;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use shared_kernel::{EventMetadata, StreamId};

    fn event(position: u64) -> Arc<Recorded> {
        Arc::new(Recorded {
            event_id: uuid::Uuid::now_v7(),
            stream_id: StreamId::parse("test-1").unwrap(),
            stream_version: position,
            position,
            cursor: Cursor::new(0, position),
            event_type: "agora.test.happened".into(),
            schema_version: 1,
            data: serde_json::Value::Null,
            metadata: EventMetadata::default(),
            recorded_at: chrono::Utc::now(),
        })
    }

    fn positions(lookup: Lookup) -> Vec<u64> {
        match lookup {
            Lookup::Events(page) => page.iter().map(|e| e.position).collect(),
            other => panic!("expected events, got {other:?}"),
        }
    }

    #[test]
    fn the_window_holds_a_contiguous_run_and_sends_older_readers_to_the_store() {
        let mut w = Window {
            start: Some(Cursor::new(0, 10)),
            end: Cursor::new(0, 10),
            events: VecDeque::new(),
            capacity: 3,
        };
        assert!(matches!(w.after(Cursor::new(0, 10), 5), Lookup::Wait));
        assert!(matches!(w.after(Cursor::new(0, 9), 5), Lookup::Store));
        w.push((11..=14).map(event));
        // Capacity 3: event 11 fell out, so the window now starts after it.
        assert_eq!(w.start, Some(Cursor::new(0, 11)));
        assert!(matches!(w.after(Cursor::new(0, 10), 5), Lookup::Store));
        assert_eq!(positions(w.after(Cursor::new(0, 11), 5)), vec![12, 13, 14]);
        assert_eq!(positions(w.after(Cursor::new(0, 12), 1)), vec![13]);
        assert!(matches!(w.after(Cursor::new(0, 14), 5), Lookup::Wait));
    }

    #[test]
    fn a_window_without_a_head_sends_everyone_to_the_store() {
        let w = Window {
            start: None,
            end: Cursor::START,
            events: VecDeque::new(),
            capacity: 3,
        };
        assert!(matches!(w.after(Cursor::START, 5), Lookup::Store));
    }
}
