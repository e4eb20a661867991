//! Reading an export back: a JSON Lines or Parquet file of CloudEvents as stored events again
//! (what `agora events replay --input` replays).

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, RecordBatch};
use chrono::{DateTime, Utc};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use shared_kernel::{EventMetadata, Recorded, StreamId};

use crate::cloudevents::CloudEvent;

/// Why a file cannot be read back.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {0}: {1}")]
    Io(String, #[source] std::io::Error),
    #[error("line {0}: not a CloudEvent: {1}")]
    Json(usize, #[source] serde_json::Error),
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("arrow: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    #[error("event {0}: {1}")]
    Event(String, String),
}

/// The stored event a CloudEvent of an export describes.
///
/// # Errors
/// A `type` without its version, a `subject` that is no stream, a `time` or `cursor` that
/// does not parse.
pub fn recorded_of(e: &CloudEvent) -> Result<Recorded, ReadError> {
    let bad = |what: &str| ReadError::Event(e.id.clone(), what.to_owned());
    let (event_type, version) = e
        .event_type
        .rsplit_once(".v")
        .ok_or_else(|| bad("type has no .v<version>"))?;
    let uuid = |s: &Option<String>| s.as_deref().and_then(|t| t.parse().ok());
    Ok(Recorded {
        event_id: e.id.parse().map_err(|_| bad("id is not a UUID"))?,
        stream_id: StreamId::parse(&e.subject).map_err(|_| bad("subject is not a stream"))?,
        stream_version: e.streamversion,
        position: e.position,
        cursor: crate::cursor::decode(&e.cursor).map_err(|_| bad("cursor"))?,
        event_type: event_type.to_owned(),
        schema_version: version.parse().map_err(|_| bad("version"))?,
        data: e.data.clone(),
        metadata: EventMetadata {
            correlation_id: uuid(&e.correlationid),
            causation_id: uuid(&e.causationid),
            actor: e.actor.clone(),
            command_id: None,
        },
        recorded_at: DateTime::parse_from_rfc3339(&e.time)
            .map_err(|_| bad("time"))?
            .with_timezone(&Utc),
    })
}

/// Every event of an export file: Parquet when its name ends in `.parquet`, JSON Lines
/// otherwise. Withheld events come back with `data: null`.
///
/// # Errors
/// The file cannot be read or is not an export.
pub fn read_file(path: &Path) -> Result<Vec<(CloudEvent, Recorded)>, ReadError> {
    let events = if path.extension().is_some_and(|e| e == "parquet") {
        read_parquet(path)?
    } else {
        read_jsonl(path)?
    };
    events
        .into_iter()
        .map(|e| recorded_of(&e).map(|r| (e, r)))
        .collect()
}

fn read_jsonl(path: &Path) -> Result<Vec<CloudEvent>, ReadError> {
    let io = |e| ReadError::Io(path.display().to_string(), e);
    let file = File::open(path).map_err(io)?;
    let mut out = Vec::new();
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(io)?;
        if line.trim().is_empty() {
            continue;
        }
        out.push(serde_json::from_str(&line).map_err(|e| ReadError::Json(n + 1, e))?);
    }
    Ok(out)
}

fn read_parquet(path: &Path) -> Result<Vec<CloudEvent>, ReadError> {
    let file = File::open(path).map_err(|e| ReadError::Io(path.display().to_string(), e))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)?.build()?;
    let mut out = Vec::new();
    for batch in reader {
        out.extend(from_batch(&batch?)?);
    }
    Ok(out)
}

fn from_batch(batch: &RecordBatch) -> Result<Vec<CloudEvent>, ReadError> {
    let col = |name: &str| {
        batch
            .column_by_name(name)
            .ok_or_else(|| ReadError::Event(String::new(), format!("no column {name}")))
    };
    let text = |name: &str| -> Result<Vec<Option<String>>, ReadError> {
        let c = col(name)?;
        let a = c.as_string::<i32>();
        Ok((0..a.len())
            .map(|i| a.is_valid(i).then(|| a.value(i).to_owned()))
            .collect())
    };
    let int = |name: &str| -> Result<Vec<i64>, ReadError> {
        let c = col(name)?;
        let a = c.as_primitive::<Int64Type>();
        Ok((0..a.len()).map(|i| a.value(i)).collect())
    };
    let (id, source, ty, subject) = (
        text("id")?,
        text("source")?,
        text("type")?,
        text("subject")?,
    );
    let (content, dataschema, data) =
        (text("datacontenttype")?, text("dataschema")?, text("data")?);
    let (cursor, correlation, causation, actor) = (
        text("cursor")?,
        text("correlationid")?,
        text("causationid")?,
        text("actor")?,
    );
    let time_col = col("time")?;
    let time = time_col.as_primitive::<TimestampMicrosecondType>();
    let withheld_col = col("withheld")?;
    let withheld = withheld_col.as_boolean();
    let (position, version) = (int("position")?, int("streamversion")?);
    let mut out = Vec::with_capacity(batch.num_rows());
    for i in 0..batch.num_rows() {
        let data = match &data[i] {
            Some(t) => serde_json::from_str(t).map_err(|e| ReadError::Json(i + 1, e))?,
            None => serde_json::Value::Null,
        };
        out.push(CloudEvent {
            specversion: "1.0".into(),
            id: id[i].clone().unwrap_or_default(),
            source: source[i].clone().unwrap_or_default(),
            event_type: ty[i].clone().unwrap_or_default(),
            subject: subject[i].clone().unwrap_or_default(),
            time: super::parquet_file::time_text(time.value(i)),
            datacontenttype: content[i].clone().unwrap_or_default(),
            dataschema: dataschema[i].clone().unwrap_or_default(),
            data,
            position: u64::try_from(position[i]).unwrap_or(0),
            streamversion: u64::try_from(version[i]).unwrap_or(0),
            cursor: cursor[i].clone().unwrap_or_default(),
            correlationid: correlation[i].clone(),
            causationid: causation[i].clone(),
            actor: actor[i].clone(),
            withheld: withheld.value(i),
        });
    }
    Ok(out)
}
