//! `agora events export`: a range of the log (after a cursor, by context, type, stream and
//! time, as `/api/v1/events` filters) written as CloudEvents, to JSON Lines or to Parquet, to a
//! file or to stdout; and reading such a file back (`agora events replay --input`).
//!
//! The log is read through the event-store port ([`EventStore::read_filtered`], its gap-free
//! order) a page at a time by a reader task, while the writer encodes the previous page. The
//! export is resumable: it reports the cursor of its last event, and `--after` that cursor
//! continues exactly after it.

mod jsonl;
mod parquet_file;
mod read;
mod typed;

use std::io::Write;
use std::sync::Arc;

use shared_kernel::{Cursor, EventFilter, EventStore, Recorded, StoreError};
use tokio::sync::mpsc;

pub use jsonl::JsonLines;
pub use parquet_file::{ParquetEvents, envelope_schema};
pub use read::{ReadError, read_file, recorded_of};
pub use typed::TypedParquet;

use crate::cloudevents::Withheld;

/// The formats of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One CloudEvent (JSON) per line.
    JsonLines,
    /// One row per event, one column per CloudEvents attribute (`data` as JSON text).
    Parquet,
}

/// What to export.
#[derive(Debug, Clone)]
pub struct ExportRange {
    pub filter: EventFilter,
    /// Start after this event (`Cursor::START`: from the first).
    pub after: Cursor,
    /// Stop after this event (the head when the export started, when `None`).
    pub until: Option<Cursor>,
}

/// How an export went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exported {
    pub events: u64,
    /// The cursor of the last event written: `--after` it continues the export.
    pub last: Cursor,
}

/// Where exported events go: a format writing to a file or stdout.
pub trait EventSink {
    /// Writes a page of events.
    ///
    /// # Errors
    /// Encoding or I/O.
    fn write_page(&mut self, events: &[Recorded]) -> anyhow::Result<()>;

    /// Flushes and closes the output (a Parquet file's footer).
    ///
    /// # Errors
    /// I/O.
    fn finish(self: Box<Self>) -> anyhow::Result<()>;
}

/// The sink of `format` over `out`; `schema_base` prefixes each `dataschema`.
///
/// # Errors
/// The Parquet writer cannot start.
pub fn sink(
    format: Format,
    out: Box<dyn Write + Send>,
    schema_base: &str,
    withheld: Withheld,
) -> anyhow::Result<Box<dyn EventSink + Send>> {
    Ok(match format {
        Format::JsonLines => Box::new(JsonLines::new(out, schema_base, withheld)),
        Format::Parquet => Box::new(ParquetEvents::new(out, schema_base, withheld)?),
    })
}

/// Events read per query.
pub const PAGE: usize = 5_000;

/// Exports `range` from `store` into `sinks` (each gets every page), calling `progress` with
/// the count so far and the last event after each page.
///
/// # Errors
/// The store cannot be read, or a sink fails.
pub async fn export(
    store: Arc<dyn EventStore>,
    range: ExportRange,
    sinks: Vec<Box<dyn EventSink + Send>>,
    progress: impl FnMut(u64, &Recorded),
) -> anyhow::Result<Exported> {
    let never = std::sync::atomic::AtomicBool::new(false);
    export_until_stopped(store, range, sinks, progress, &never).await
}

/// [`export`], which stops after the page being written once `stop` is set (Ctrl-C): the
/// outputs are closed whole (a Parquet file gets its footer, a JSON Lines file ends with a
/// complete line), and the returned [`Exported::last`] is where to continue.
///
/// # Errors
/// The store cannot be read, or a sink fails.
pub async fn export_until_stopped(
    store: Arc<dyn EventStore>,
    range: ExportRange,
    mut sinks: Vec<Box<dyn EventSink + Send>>,
    mut progress: impl FnMut(u64, &Recorded),
    stop: &std::sync::atomic::AtomicBool,
) -> anyhow::Result<Exported> {
    let until = match range.until {
        Some(u) => u,
        None => store.head().await?,
    };
    let (pages, mut receiver) = mpsc::channel::<Result<Vec<Recorded>, StoreError>>(2);
    let reader = tokio::spawn(read_pages(store, range.filter, range.after, until, pages));
    let mut done = Exported {
        events: 0,
        last: range.after,
    };
    while let Some(page) = receiver.recv().await {
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            break;
        }
        let page = page?;
        for sink in &mut sinks {
            sink.write_page(&page)?;
        }
        if let Some(last) = page.last() {
            done.events += page.len() as u64;
            done.last = last.cursor;
            progress(done.events, last);
        }
    }
    drop(receiver); // a reader still ahead stops at its next page
    reader.await?;
    for sink in sinks {
        sink.finish()?;
    }
    Ok(done)
}

/// Reads pages after `after` up to `until`, ahead of the writer.
async fn read_pages(
    store: Arc<dyn EventStore>,
    filter: EventFilter,
    mut after: Cursor,
    until: Cursor,
    pages: mpsc::Sender<Result<Vec<Recorded>, StoreError>>,
) {
    loop {
        let page = match store.read_filtered(&filter, after, PAGE).await {
            Ok(p) => p,
            Err(e) => {
                let _ = pages.send(Err(e)).await;
                return;
            }
        };
        let full = page.len() == PAGE;
        let mut page: Vec<Recorded> = page;
        page.retain(|e| e.cursor <= until);
        let reached_end = !full || page.last().is_none_or(|e| e.cursor >= until);
        if let Some(last) = page.last() {
            after = last.cursor;
        }
        if !page.is_empty() && pages.send(Ok(page)).await.is_err() {
            return;
        }
        if reached_end {
            return;
        }
    }
}
