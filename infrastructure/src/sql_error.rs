//! Mapping sqlx errors onto the store's error type.

use shared_kernel::{Appended, NewEvent, StoreError, StreamId};
use uuid::Uuid;

pub(crate) fn unavailable(e: sqlx::Error) -> StoreError {
    StoreError::Unavailable(Box::new(e))
}

/// Which unique constraint of the events table an insert violated, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UniqueViolation {
    EventId,
    StreamVersion,
}

pub(crate) fn unique_violation(e: &sqlx::Error) -> Option<UniqueViolation> {
    let db = e.as_database_error()?;
    if db.kind() != sqlx::error::ErrorKind::UniqueViolation {
        return None;
    }
    // PostgreSQL names the constraint; SQLite names the columns in its message.
    let name = db
        .constraint()
        .map_or_else(|| db.message().to_owned(), str::to_owned);
    if name.contains("event_id") {
        Some(UniqueViolation::EventId)
    } else {
        Some(UniqueViolation::StreamVersion)
    }
}

pub(crate) fn to_u64(v: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt(format!("negative {what}: {v}")))
}

pub(crate) fn to_i64(v: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::Corrupt(format!("{what} out of range: {v}")))
}

/// Decides whether `rows` (stored events with the batch's ids) are exactly this batch.
pub(crate) fn idempotent_result(
    stream: &StreamId,
    events: &[NewEvent],
    rows: &[(String, i64, i64)],
) -> Result<Option<Appended>, StoreError> {
    if rows.is_empty() {
        return Ok(None);
    }
    let same_stream = rows.iter().all(|(s, _, _)| s == stream.as_str());
    let contiguous = rows.windows(2).all(|w| w[1].1 == w[0].1 + 1);
    match rows.last() {
        Some((_, version, _)) if rows.len() == events.len() && same_stream && contiguous => {
            let position = rows.iter().map(|r| r.2).max().unwrap_or(0);
            Ok(Some(Appended {
                stream_version: to_u64(*version, "stream version")?,
                position: to_u64(position, "position")?,
                replayed: true,
            }))
        }
        _ => {
            let id = events.first().map_or_else(Uuid::nil, |e| e.event_id);
            Err(StoreError::DuplicateEvent(id))
        }
    }
}

/// A `(stream_id, stream_version, position)` row as a command's result.
pub(crate) fn command_row(
    row: Option<(String, i64, i64)>,
) -> Result<Option<(StreamId, Appended)>, StoreError> {
    row.map(|(stream, version, position)| {
        Ok((
            StreamId::parse(&stream).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            Appended {
                stream_version: to_u64(version, "stream version")?,
                position: to_u64(position, "position")?,
                replayed: true,
            },
        ))
    })
    .transpose()
}
