//! Tailing the global log, shared by every store: read pages after a cursor; when caught up,
//! sleep until the store signals a commit. No busy polling: the only timed retries are while
//! committed events are known to wait behind a still-open older transaction.

use std::collections::VecDeque;
use std::time::Duration;

use async_trait::async_trait;
use futures::stream::{self, BoxStream, StreamExt};
use shared_kernel::{Cursor, Recorded, StoreError};
use tokio::sync::watch;

/// Events read per round trip while catching up.
pub(crate) const PAGE: usize = 500;
/// A safety net: re-check even without a signal (a notification lost while reconnecting).
const IDLE_RECHECK: Duration = Duration::from_secs(5);
const PENDING_BACKOFF_MIN: Duration = Duration::from_millis(2);
const PENDING_BACKOFF_MAX: Duration = Duration::from_millis(100);

/// What a store offers the tail loop.
#[async_trait]
pub(crate) trait TailSource: Clone + Send + Sync + 'static {
    /// Up to `limit` readable events after `after`, and whether committed events exist that
    /// are not readable yet (they wait behind an older transaction still running), in one
    /// round trip.
    async fn read_page(
        &self,
        after: Cursor,
        limit: usize,
    ) -> Result<(Vec<Recorded>, bool), StoreError>;
    /// Changes whenever events may have been committed.
    fn wake(&self) -> watch::Receiver<u64>;
}

/// What the loop does once its buffer is empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    /// The last page was full: more is readable now.
    Read,
    /// Caught up, and committed events wait behind an open transaction: look again soon.
    Backoff,
    /// Caught up with everything committed: sleep until a commit is signalled.
    Wait,
}

struct State<S> {
    source: S,
    cursor: Cursor,
    buffer: VecDeque<Recorded>,
    wake: watch::Receiver<u64>,
    backoff: Duration,
    next: Next,
    failed: bool,
}

pub(crate) fn tail<S: TailSource>(
    source: S,
    after: Cursor,
) -> BoxStream<'static, Result<Recorded, StoreError>> {
    let wake = source.wake();
    let state = State {
        source,
        cursor: after,
        buffer: VecDeque::new(),
        wake,
        backoff: PENDING_BACKOFF_MIN,
        next: Next::Read,
        failed: false,
    };
    stream::unfold(state, |mut s| async move {
        loop {
            if let Some(event) = s.buffer.pop_front() {
                s.cursor = event.cursor;
                return Some((Ok(event), s));
            }
            if s.failed {
                // After reporting an error, wait a moment before the consumer's next poll hits
                // the database again.
                tokio::time::sleep(PENDING_BACKOFF_MAX).await;
                s.failed = false;
            }
            match s.next {
                Next::Read => {}
                Next::Backoff => {
                    tokio::time::sleep(s.backoff).await;
                    s.backoff = (s.backoff * 2).min(PENDING_BACKOFF_MAX);
                }
                Next::Wait => {
                    s.backoff = PENDING_BACKOFF_MIN;
                    // A closed channel (store dropped) or the idle timeout both mean: look again.
                    let _ = tokio::time::timeout(IDLE_RECHECK, s.wake.changed()).await;
                }
            }
            // Mark the signal as seen *before* reading, so a commit that lands after the read
            // still wakes us.
            s.wake.borrow_and_update();
            let (page, pending) = match s.source.read_page(s.cursor, PAGE).await {
                Ok(read) => read,
                Err(e) => {
                    s.failed = true;
                    s.next = Next::Read;
                    return Some((Err(e), s));
                }
            };
            // A short page means everything readable was read: no second, empty read to learn
            // that (one statement per commit while caught up).
            s.next = if page.len() >= PAGE {
                Next::Read
            } else if pending {
                Next::Backoff
            } else {
                Next::Wait
            };
            if !page.is_empty() && s.next != Next::Backoff {
                s.backoff = PENDING_BACKOFF_MIN;
            }
            s.buffer.extend(page);
        }
    })
    .boxed()
}
