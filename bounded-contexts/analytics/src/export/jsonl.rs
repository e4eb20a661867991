//! JSON Lines: one CloudEvent per line, as `/api/v1/events` lists them (the same fields, in
//! the same order, as [`CloudEvent`](crate::cloudevents::CloudEvent)), written from borrowed
//! parts: an export writes millions, and copying each event's data first would double its cost.

use std::collections::HashMap;
use std::io::{BufWriter, Write};

use chrono::SecondsFormat;
use serde::Serialize;
use shared_kernel::Recorded;

use super::EventSink;
use crate::cloudevents::{Withheld, schema_path};

/// A JSON Lines writer.
pub struct JsonLines {
    out: BufWriter<Box<dyn Write + Send>>,
    schema_base: String,
    withheld: Withheld,
}

impl std::fmt::Debug for JsonLines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonLines").finish_non_exhaustive()
    }
}

impl JsonLines {
    #[must_use]
    pub fn new(out: Box<dyn Write + Send>, schema_base: &str, withheld: Withheld) -> Self {
        Self {
            out: BufWriter::with_capacity(1 << 20, out),
            schema_base: schema_base.to_owned(),
            withheld,
        }
    }
}

/// One line: a CloudEvent of borrowed parts.
#[derive(Serialize)]
struct Line<'a> {
    specversion: &'static str,
    id: uuid::fmt::Hyphenated,
    source: &'a str,
    #[serde(rename = "type")]
    event_type: &'a str,
    subject: &'a str,
    time: String,
    datacontenttype: &'static str,
    dataschema: &'a str,
    data: Option<&'a serde_json::Value>,
    position: u64,
    streamversion: u64,
    cursor: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    correlationid: Option<uuid::fmt::Hyphenated>,
    #[serde(skip_serializing_if = "Option::is_none")]
    causationid: Option<uuid::fmt::Hyphenated>,
    #[serde(skip_serializing_if = "Option::is_none")]
    actor: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    withheld: bool,
}

impl EventSink for JsonLines {
    fn write_page(&mut self, events: &[Recorded]) -> anyhow::Result<()> {
        let mut per_type: HashMap<(&str, u32), (String, String, String)> = HashMap::new();
        for e in events {
            let hide = self.withheld.contains(&e.event_type);
            let (source, event_type, dataschema) = per_type
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
            let line = Line {
                specversion: "1.0",
                id: e.event_id.hyphenated(),
                source,
                event_type,
                subject: e.stream_id.as_str(),
                time: e.recorded_at.to_rfc3339_opts(SecondsFormat::Micros, true),
                datacontenttype: "application/json",
                dataschema,
                data: if hide { None } else { Some(&e.data) },
                position: e.position,
                streamversion: e.stream_version,
                cursor: crate::cursor::encode(e.cursor),
                correlationid: e.metadata.correlation_id.map(|u| u.hyphenated()),
                causationid: e.metadata.causation_id.map(|u| u.hyphenated()),
                actor: e.metadata.actor.as_deref(),
                withheld: hide,
            };
            serde_json::to_writer(&mut self.out, &line)?;
            self.out.write_all(b"\n")?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> anyhow::Result<()> {
        self.out.flush()?;
        Ok(())
    }
}
