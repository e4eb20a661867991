//! One typed Parquet file per event type and version (`--typed-dir`): the envelope's key
//! columns (`ce_id`, `ce_subject`, `ce_time`, `ce_position`, `ce_streamversion`) and one column
//! per top-level property of the event's data, typed from its JSON Schema (integers, numbers,
//! booleans and strings as such; objects and arrays as JSON text). Withheld events are left
//! out (their data is not exported).

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use serde_json::Value;
use shared_kernel::Recorded;

use super::EventSink;
use super::parquet_file::properties as writer_properties;
use crate::cloudevents::Withheld;

/// A column's type, from its property's JSON Schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Float,
    Bool,
    Text,
    /// Objects, arrays, unions: JSON text.
    Json,
}

impl Kind {
    fn of(property: &Value) -> Self {
        let types: Vec<&str> = match property.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let types: Vec<&str> = types.into_iter().filter(|t| *t != "null").collect();
        match types.as_slice() {
            ["integer"] => Self::Int,
            ["number"] => Self::Float,
            ["boolean"] => Self::Bool,
            ["string"] => Self::Text,
            _ => Self::Json,
        }
    }

    fn of_value(value: &Value) -> Self {
        match value {
            Value::Number(n) if n.is_i64() => Self::Int,
            Value::Number(_) => Self::Float,
            Value::Bool(_) => Self::Bool,
            Value::String(_) => Self::Text,
            _ => Self::Json,
        }
    }

    const fn data_type(self) -> DataType {
        match self {
            Self::Int => DataType::Int64,
            Self::Float => DataType::Float64,
            Self::Bool => DataType::Boolean,
            Self::Text | Self::Json => DataType::Utf8,
        }
    }
}

/// The file of one event type and version.
struct TypeFile {
    writer: ArrowWriter<File>,
    schema: SchemaRef,
    columns: Vec<(String, Kind)>,
}

/// Typed files in a directory, one per event type and version met.
pub struct TypedParquet {
    dir: PathBuf,
    withheld: Withheld,
    files: BTreeMap<(String, u32), TypeFile>,
}

impl std::fmt::Debug for TypedParquet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypedParquet")
            .field("dir", &self.dir)
            .field("files", &self.files.len())
            .finish_non_exhaustive()
    }
}

impl TypedParquet {
    /// Files go to `dir` (created when missing), as `<type>.v<version>.parquet`.
    ///
    /// # Errors
    /// The directory cannot be created.
    pub fn new(dir: &Path, withheld: Withheld) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create the directory {}: {e}", dir.display()))?;
        Ok(Self {
            dir: dir.to_owned(),
            withheld,
            files: BTreeMap::new(),
        })
    }

    /// The file of a type, its columns from the type's published schema, or (a type Agora does
    /// not publish) from the fields of its first event.
    fn open(&self, event_type: &str, version: u32, first: &Recorded) -> anyhow::Result<TypeFile> {
        let properties = event_schemas::schemas::find(event_type, version).and_then(|s| {
            s.schema
                .get("properties")
                .and_then(Value::as_object)
                .cloned()
        });
        let columns: Vec<(String, Kind)> = match properties {
            Some(properties) => properties
                .iter()
                .map(|(name, p)| (name.clone(), Kind::of(p)))
                .collect(),
            None => first
                .data
                .as_object()
                .into_iter()
                .flatten()
                .map(|(name, v)| (name.clone(), Kind::of_value(v)))
                .collect(),
        };
        let mut fields = vec![
            Field::new("ce_id", DataType::Utf8, false),
            Field::new("ce_subject", DataType::Utf8, false),
            Field::new(
                "ce_time",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                false,
            ),
            Field::new("ce_position", DataType::Int64, false),
            Field::new("ce_streamversion", DataType::Int64, false),
        ];
        fields.extend(
            columns
                .iter()
                .map(|(name, kind)| Field::new(name, kind.data_type(), true)),
        );
        let schema: SchemaRef = Arc::new(Schema::new(fields));
        let file = File::create(self.dir.join(format!("{event_type}.v{version}.parquet")))?;
        let writer = ArrowWriter::try_new(file, Arc::clone(&schema), Some(writer_properties()))?;
        Ok(TypeFile {
            writer,
            schema,
            columns,
        })
    }
}

fn batch(file: &TypeFile, events: &[&Recorded]) -> anyhow::Result<RecordBatch> {
    let n = events.len();
    let mut id = StringBuilder::with_capacity(n, n * 36);
    let mut subject = StringBuilder::with_capacity(n, n * 40);
    let mut time = TimestampMicrosecondBuilder::with_capacity(n).with_timezone("UTC");
    let mut position = Int64Builder::with_capacity(n);
    let mut version = Int64Builder::with_capacity(n);
    for e in events {
        id.append_value(e.event_id.to_string());
        subject.append_value(e.stream_id.as_str());
        time.append_value(e.recorded_at.timestamp_micros());
        position.append_value(i64::try_from(e.position).unwrap_or(i64::MAX));
        version.append_value(i64::try_from(e.stream_version).unwrap_or(i64::MAX));
    }
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(subject.finish()),
        Arc::new(time.finish()),
        Arc::new(position.finish()),
        Arc::new(version.finish()),
    ];
    for (name, kind) in &file.columns {
        let values = events
            .iter()
            .map(|e| e.data.get(name).filter(|v| !v.is_null()));
        let column: ArrayRef = match kind {
            Kind::Int => {
                let mut b = Int64Builder::with_capacity(n);
                values.for_each(|v| b.append_option(v.and_then(Value::as_i64)));
                Arc::new(b.finish())
            }
            Kind::Float => {
                let mut b = Float64Builder::with_capacity(n);
                values.for_each(|v| b.append_option(v.and_then(Value::as_f64)));
                Arc::new(b.finish())
            }
            Kind::Bool => {
                let mut b = BooleanBuilder::with_capacity(n);
                values.for_each(|v| b.append_option(v.and_then(Value::as_bool)));
                Arc::new(b.finish())
            }
            Kind::Text | Kind::Json => {
                let mut b = StringBuilder::with_capacity(n, n * 32);
                for v in values {
                    match v {
                        None => b.append_null(),
                        Some(Value::String(s)) => b.append_value(s),
                        Some(other) => b.append_value(other.to_string()),
                    }
                }
                Arc::new(b.finish())
            }
        };
        columns.push(column);
    }
    Ok(RecordBatch::try_new(Arc::clone(&file.schema), columns)?)
}

impl EventSink for TypedParquet {
    fn write_page(&mut self, events: &[Recorded]) -> anyhow::Result<()> {
        let mut by_type: BTreeMap<(String, u32), Vec<&Recorded>> = BTreeMap::new();
        for e in events {
            if self.withheld.contains(&e.event_type) {
                continue;
            }
            by_type
                .entry((e.event_type.clone(), e.schema_version))
                .or_default()
                .push(e);
        }
        for (key, group) in by_type {
            if !self.files.contains_key(&key) {
                let Some(first) = group.first() else { continue };
                let file = self.open(&key.0, key.1, first)?;
                self.files.insert(key.clone(), file);
            }
            if let Some(file) = self.files.get_mut(&key) {
                let b = batch(file, &group)?;
                file.writer.write(&b)?;
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> anyhow::Result<()> {
        for (_, file) in self.files {
            file.writer.close()?;
        }
        Ok(())
    }
}
