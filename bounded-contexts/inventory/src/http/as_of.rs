//! A sku's stock as it was at an instant (`GET /api/v1/inventory/{sku}?as_of=`): its stream
//! folded up to that instant, from the stored snapshot when the snapshot's last event was
//! recorded by then (a popular sku's stream is long), else from its first event.

use chrono::{DateTime, Utc};
use event_schemas::inventory::StockEvent;
use http_kernel::ApiError;
use shared_kernel::{Aggregate, DomainEvent, EventStore, StreamId};

use crate::domain::StockItem;

/// The stock of `sku` at `at`; `None` before its stream had any event.
///
/// # Errors
/// The store failed, or holds an event this code cannot read.
pub(super) async fn stock_at(
    store: &dyn EventStore,
    sku: &str,
    at: DateTime<Utc>,
) -> Result<Option<StockItem>, ApiError> {
    let stream = StreamId::of(StockItem::KIND, sku);
    let policy = StockItem::SNAPSHOTS.map(|p| p.schema);
    let snapshot = store
        .read_snapshot(&stream)
        .await
        .map_err(ApiError::internal)?
        .filter(|s| Some(s.schema) == policy);
    // The snapshot's own event comes first: it tells when the snapshot's state was reached.
    if let Some(snapshot) = snapshot {
        let events = store
            .read_stream(&stream, snapshot.version)
            .await
            .map_err(ApiError::internal)?;
        let reached_by_then = events
            .first()
            .is_some_and(|e| e.stream_version == snapshot.version && e.recorded_at <= at);
        if let (true, Some(state)) = (reached_by_then, StockItem::from_snapshot(snapshot.state)) {
            return fold(state, events.iter().skip(1), at).map(Some);
        }
    }
    let events = store
        .read_stream(&stream, 1)
        .await
        .map_err(ApiError::internal)?;
    if events.first().is_none_or(|e| e.recorded_at > at) {
        return Ok(None);
    }
    fold(StockItem::default(), events.iter(), at).map(Some)
}

fn fold<'a>(
    mut state: StockItem,
    events: impl Iterator<Item = &'a shared_kernel::Recorded>,
    at: DateTime<Utc>,
) -> Result<StockItem, ApiError> {
    for e in events.take_while(|e| e.recorded_at <= at) {
        let event = StockEvent::decode(&e.event_type, e.schema_version, e.data.clone())
            .map_err(ApiError::internal)?;
        state = state.evolve(&event);
    }
    Ok(state)
}
