//! A stored event as a CloudEvents 1.0 event in the JSON format (`application/cloudevents+json`),
//! as `/api/v1/events` lists it and `agora events export` writes it: the same attributes and
//! extensions as the Kafka relay's headers (`ce_*`), so an event reads the same wherever it is
//! taken from.

use std::collections::HashSet;

use chrono::SecondsFormat;
use serde::{Deserialize, Serialize};
use shared_kernel::Recorded;
use utoipa::ToSchema;

/// The media type of one event.
pub const EVENT_MEDIA_TYPE: &str = "application/cloudevents+json";
/// The media type of a page of events as a JSON array (CloudEvents JSON batch format).
pub const BATCH_MEDIA_TYPE: &str = "application/cloudevents-batch+json";

/// One event. Attributes: `id` (the event id, unique), `source` (`agora/<context>`), `type`
/// (`agora.<context>.<name>.v<version>`), `subject` (the stream), `time` (when it was
/// recorded), `datacontenttype`, `dataschema` (its JSON Schema); extensions: `position` (global),
/// `streamversion`, `cursor` (resume after this event), `correlationid`, `causationid`,
/// `actor`, and `withheld: true` on confidential events, whose `data` is `null`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "specversion": "1.0",
    "id": "01936b2e-6f1c-7cc3-9b5e-2f2a1d6c8e10",
    "source": "agora/ordering",
    "type": "agora.ordering.order_paid.v1",
    "subject": "order-01936b2e-6f1c-7cc3-9b5e-2f2a1d6c8e00",
    "time": "2026-12-07T10:00:00.000000Z",
    "datacontenttype": "application/json",
    "dataschema": "http://127.0.0.1:8080/api/v1/schemas/agora.ordering.order_paid/1",
    "data": {"order_id": "01936b2e-6f1c-7cc3-9b5e-2f2a1d6c8e00", "payment_id": "01936b2e-6f1c-7cc3-9b5e-2f2a1d6c8e01",
             "amount": {"amount_minor": 12900, "currency": "EUR"}},
    "position": 42,
    "streamversion": 4,
    "cursor": "eyJzIjoibG9nIiwidCI6IjAuNDIifQ"
}))]
pub struct CloudEvent {
    /// Always `1.0`.
    pub specversion: String,
    pub id: String,
    pub source: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub subject: String,
    /// RFC 3339, microseconds, UTC.
    pub time: String,
    pub datacontenttype: String,
    pub dataschema: String,
    /// The event's payload (its schema at `dataschema`); `null` when withheld.
    pub data: serde_json::Value,
    /// The event's place in the global log (unique; later events have larger ones, mostly).
    pub position: u64,
    /// The event's version in its stream (1, 2, ...).
    pub streamversion: u64,
    /// Resume after this event (`?after=`, `Last-Event-ID`).
    pub cursor: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlationid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub causationid: Option<String>,
    /// The user (or `system:<component>`) on whose behalf it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// `true` when the data is confidential (a password hash): `data` is `null`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub withheld: bool,
}

/// Which event types' data never leaves the store: the Kafka relay's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withheld(HashSet<String>);

impl Default for Withheld {
    /// The confidential types of `event_schemas` (what `src/app/events.rs` gives the relay).
    fn default() -> Self {
        Self(
            event_schemas::identity::CONFIDENTIAL
                .iter()
                .map(|t| (*t).to_owned())
                .collect(),
        )
    }
}

impl Withheld {
    /// Whether events of `event_type` are shown without their data.
    #[must_use]
    pub fn contains(&self, event_type: &str) -> bool {
        self.0.contains(event_type)
    }
}

/// The path of an event type's schema route: `/api/v1/schemas/<type>/<version>`.
#[must_use]
pub fn schema_path(event_type: &str, version: u32) -> String {
    format!("/api/v1/schemas/{event_type}/{version}")
}

impl CloudEvent {
    /// `event` as a CloudEvent, its `dataschema` under `schema_base` (e.g.
    /// `http://127.0.0.1:8080`), its data withheld when `withheld` says so.
    #[must_use]
    pub fn of(event: &Recorded, schema_base: &str, withheld: &Withheld) -> Self {
        let hide = withheld.contains(&event.event_type);
        Self {
            specversion: "1.0".into(),
            id: event.event_id.to_string(),
            source: event.cloudevents_source(),
            event_type: event.cloudevents_type(),
            subject: event.stream_id.to_string(),
            time: event
                .recorded_at
                .to_rfc3339_opts(SecondsFormat::Micros, true),
            datacontenttype: "application/json".into(),
            dataschema: format!(
                "{schema_base}{}",
                schema_path(&event.event_type, event.schema_version)
            ),
            data: if hide {
                serde_json::Value::Null
            } else {
                event.data.clone()
            },
            position: event.position,
            streamversion: event.stream_version,
            cursor: crate::cursor::encode(event.cursor),
            correlationid: event.metadata.correlation_id.map(|id| id.to_string()),
            causationid: event.metadata.causation_id.map(|id| id.to_string()),
            actor: event.metadata.actor.clone(),
            withheld: hide,
        }
    }
}
