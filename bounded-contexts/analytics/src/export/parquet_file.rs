//! Parquet: one row per event, one column per CloudEvents attribute and extension, `data` as
//! JSON text; snappy-compressed row groups of 64k events. DuckDB, pandas (pyarrow) and Spark
//! read it as it is.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use chrono::SecondsFormat;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use shared_kernel::Recorded;

use super::EventSink;
use crate::cloudevents::{Withheld, schema_path};

/// Events per row group.
const ROW_GROUP: usize = 64 * 1024;

/// The columns of an events file, in order: the CloudEvents attributes (`id`, `source`,
/// `type`, `specversion`, `subject`, `time` as a UTC timestamp in microseconds,
/// `datacontenttype`, `dataschema`, `data` as JSON text) and extensions (`position`,
/// `streamversion`, `cursor`, `correlationid`, `causationid`, `actor`, `withheld`).
#[must_use]
pub fn envelope_schema() -> SchemaRef {
    let text = |name: &str, nullable: bool| Field::new(name, DataType::Utf8, nullable);
    Arc::new(Schema::new(vec![
        text("id", false),
        text("source", false),
        text("type", false),
        text("specversion", false),
        text("subject", false),
        Field::new(
            "time",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            false,
        ),
        text("datacontenttype", false),
        text("dataschema", false),
        text("data", true),
        Field::new("position", DataType::Int64, false),
        Field::new("streamversion", DataType::Int64, false),
        text("cursor", false),
        text("correlationid", true),
        text("causationid", true),
        text("actor", true),
        Field::new("withheld", DataType::Boolean, false),
    ]))
}

/// Writer properties of every file: snappy, 64k-row groups.
pub(super) fn properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_size(ROW_GROUP)
        .set_created_by("agora events export".into())
        .build()
}

/// The events file's properties: besides [`properties`], no dictionary for the columns whose
/// values are (nearly) all distinct, where building one only costs time.
fn events_properties() -> WriterProperties {
    let distinct = [
        "id",
        "subject",
        "time",
        "data",
        "position",
        "cursor",
        "correlationid",
    ];
    distinct
        .iter()
        .fold(
            WriterProperties::builder()
                .set_compression(Compression::SNAPPY)
                .set_max_row_group_size(ROW_GROUP)
                .set_created_by("agora events export".into()),
            |b, column| b.set_column_dictionary_enabled((*column).into(), false),
        )
        .build()
}

/// A Parquet events writer.
pub struct ParquetEvents {
    writer: ArrowWriter<Box<dyn Write + Send>>,
    schema: SchemaRef,
    schema_base: String,
    withheld: Withheld,
}

impl std::fmt::Debug for ParquetEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetEvents").finish_non_exhaustive()
    }
}

impl ParquetEvents {
    /// # Errors
    /// The writer cannot start.
    pub fn new(
        out: Box<dyn Write + Send>,
        schema_base: &str,
        withheld: Withheld,
    ) -> anyhow::Result<Self> {
        let schema = envelope_schema();
        let writer = ArrowWriter::try_new(out, Arc::clone(&schema), Some(events_properties()))?;
        Ok(Self {
            writer,
            schema,
            schema_base: schema_base.to_owned(),
            withheld,
        })
    }

    /// The events as one record batch.
    ///
    /// # Errors
    /// A column does not fit the schema (a bug).
    pub fn batch(&self, events: &[Recorded]) -> anyhow::Result<RecordBatch> {
        let n = events.len();
        let text = || StringBuilder::with_capacity(n, n * 36);
        let (mut id, mut source, mut ty, mut spec, mut subject) =
            (text(), text(), text(), text(), text());
        let mut time = TimestampMicrosecondBuilder::with_capacity(n).with_timezone("UTC");
        let (mut content, mut dataschema) = (text(), text());
        let mut data = StringBuilder::with_capacity(n, n * 256);
        let (mut position, mut version) = (
            Int64Builder::with_capacity(n),
            Int64Builder::with_capacity(n),
        );
        let (mut cursor, mut correlation, mut causation, mut actor) =
            (text(), text(), text(), text());
        let mut withheld = BooleanBuilder::with_capacity(n);
        // The attributes a type and version share, made once per page.
        let mut per_type: HashMap<(&str, u32), (String, String, String)> = HashMap::new();
        let mut text_buf = Vec::with_capacity(512);
        let mut uuid_buf = uuid::Uuid::encode_buffer();
        for e in events {
            let hide = self.withheld.contains(&e.event_type);
            id.append_value(e.event_id.hyphenated().encode_lower(&mut uuid_buf));
            let (s, t, d) = per_type
                .entry((e.event_type.as_str(), e.schema_version))
                .or_insert_with(|| {
                    (
                        e.cloudevents_source(),
                        e.cloudevents_type(),
                        format!(
                            "{}{}",
                            self.schema_base,
                            schema_path(&e.event_type, e.schema_version)
                        ),
                    )
                });
            source.append_value(&*s);
            ty.append_value(&*t);
            spec.append_value("1.0");
            subject.append_value(e.stream_id.as_str());
            time.append_value(e.recorded_at.timestamp_micros());
            content.append_value("application/json");
            dataschema.append_value(&*d);
            if hide {
                data.append_null();
            } else {
                text_buf.clear();
                serde_json::to_writer(&mut text_buf, &e.data)?;
                data.append_value(std::str::from_utf8(&text_buf)?);
            }
            position.append_value(i64::try_from(e.position).unwrap_or(i64::MAX));
            version.append_value(i64::try_from(e.stream_version).unwrap_or(i64::MAX));
            cursor.append_value(crate::cursor::encode(e.cursor));
            correlation.append_option(e.metadata.correlation_id.map(|u| u.to_string()));
            causation.append_option(e.metadata.causation_id.map(|u| u.to_string()));
            actor.append_option(e.metadata.actor.as_deref());
            withheld.append_value(hide);
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(id.finish()),
            Arc::new(source.finish()),
            Arc::new(ty.finish()),
            Arc::new(spec.finish()),
            Arc::new(subject.finish()),
            Arc::new(time.finish()),
            Arc::new(content.finish()),
            Arc::new(dataschema.finish()),
            Arc::new(data.finish()),
            Arc::new(position.finish()),
            Arc::new(version.finish()),
            Arc::new(cursor.finish()),
            Arc::new(correlation.finish()),
            Arc::new(causation.finish()),
            Arc::new(actor.finish()),
            Arc::new(withheld.finish()),
        ];
        Ok(RecordBatch::try_new(Arc::clone(&self.schema), columns)?)
    }
}

impl EventSink for ParquetEvents {
    fn write_page(&mut self, events: &[Recorded]) -> anyhow::Result<()> {
        let batch = self.batch(events)?;
        self.writer.write(&batch)?;
        Ok(())
    }

    fn finish(self: Box<Self>) -> anyhow::Result<()> {
        let mut out = self.writer.into_inner()?;
        out.flush()?;
        Ok(())
    }
}

/// The RFC 3339 text of a Parquet `time` value (microseconds since the epoch, UTC).
#[must_use]
pub fn time_text(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Micros, true)
}
