//! The JSON Schema of every published event type and version, generated from the Rust types
//! (`schemars`): the contract analysts read events by. The committed copies live in
//! `event-schemas/schemas/<type>/v<version>.json`; `tests/schemas.rs` fails when they and the
//! code disagree, and when a change to a published version is not backward compatible
//! ([`crate::compat`]). `GET /api/v1/schemas` serves them.
//!
//! Each event enum is adjacently tagged (`{"type", "data"}`), so its schema is a `oneOf` of its
//! variants; each variant's `data` is one event type's payload. Older versions are described by
//! the legacy types below (the shape an upcaster lifts from).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde_json::{Map, Value, json};

use crate::upcast::Catalogue;
use crate::{cart, communities, identity, inventory, merchandise, ordering, payments, podcasts};

/// The JSON Schema dialect of every schema.
pub const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// One event type at one version.
#[derive(Debug, Clone, PartialEq)]
pub struct EventSchema {
    /// `agora.<context>.<name>`.
    pub event_type: String,
    pub version: u32,
    /// The one-line description of the payload type (its doc comment's first line).
    pub description: String,
    /// The schema of the event's `data`, standalone (its own `$defs`).
    pub schema: Value,
}

impl EventSchema {
    /// The owning context (the type's second segment).
    #[must_use]
    pub fn context(&self) -> &str {
        self.event_type.split('.').nth(1).unwrap_or("unknown")
    }

    /// Where the committed copy lives under `event-schemas/`, and the path of the schema route
    /// after `/api/v1/schemas/`: `<type>/v<version>.json` and `<type>/<version>`.
    #[must_use]
    pub fn file(&self) -> String {
        format!("schemas/{}/v{}.json", self.event_type, self.version)
    }
}

/// The current version of every event type of every context.
#[must_use]
pub fn catalogue() -> Vec<(&'static str, u32)> {
    let all: [Catalogue; 8] = [
        identity::CATALOGUE,
        merchandise::CATALOGUE,
        inventory::CATALOGUE,
        ordering::CATALOGUE,
        cart::CATALOGUE,
        payments::CATALOGUE,
        communities::CATALOGUE,
        podcasts::CATALOGUE,
    ];
    let mut out: Vec<(&'static str, u32)> = all.iter().flat_map(|c| c.iter().copied()).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Every event type's schema at every version, sorted by type then version.
#[must_use]
pub fn all() -> Vec<EventSchema> {
    let enums = [
        split(schemars::schema_for!(identity::UserEvent)),
        split(schemars::schema_for!(identity::EmailClaimEvent)),
        split(schemars::schema_for!(merchandise::ProductEvent)),
        split(schemars::schema_for!(merchandise::SkuClaimEvent)),
        split(schemars::schema_for!(inventory::StockEvent)),
        split(schemars::schema_for!(inventory::ReservationEvent)),
        split(schemars::schema_for!(ordering::OrderEvent)),
        split(schemars::schema_for!(cart::CartEvent)),
        split(schemars::schema_for!(payments::PaymentEvent)),
        split(schemars::schema_for!(payments::WalletEvent)),
        split(schemars::schema_for!(payments::SellerLedgerEvent)),
        split(schemars::schema_for!(communities::CommunityEvent)),
        split(schemars::schema_for!(communities::MembershipEvent)),
        split(schemars::schema_for!(communities::PostEvent)),
        split(schemars::schema_for!(communities::CommentEvent)),
        split(schemars::schema_for!(communities::VoteEvent)),
        split(schemars::schema_for!(communities::ReportEvent)),
        split(schemars::schema_for!(podcasts::ShowEvent)),
        split(schemars::schema_for!(podcasts::EpisodeEvent)),
        split(schemars::schema_for!(podcasts::SubscriptionEvent)),
        split(schemars::schema_for!(podcasts::DownloadEvent)),
    ];
    let current: BTreeMap<&str, u32> = catalogue().into_iter().collect();
    let mut out: Vec<EventSchema> = enums
        .into_iter()
        .flatten()
        .map(|(event_type, description, mut schema)| {
            let version = current.get(event_type.as_str()).copied().unwrap_or(1);
            finish(&mut schema, &event_type, version);
            EventSchema {
                event_type,
                version,
                description,
                schema,
            }
        })
        .collect();
    out.extend(legacy());
    out.sort_by(|a, b| (&a.event_type, a.version).cmp(&(&b.event_type, b.version)));
    out.dedup_by(|a, b| a.event_type == b.event_type && a.version == b.version);
    out
}

/// The schema of `event_type` at `version`, if it is published.
#[must_use]
pub fn find(event_type: &str, version: u32) -> Option<EventSchema> {
    all()
        .into_iter()
        .find(|s| s.event_type == event_type && s.version == version)
}

/// Versions older than the current one, from the legacy types that describe them.
fn legacy() -> Vec<EventSchema> {
    vec![standalone::<merchandise::ProductCreatedV1>(
        merchandise::PRODUCT_CREATED,
        1,
    )]
}

/// The schema of payload type `T` as event `event_type` v`version`.
fn standalone<T: JsonSchema>(event_type: &str, version: u32) -> EventSchema {
    let root = schemars::schema_for!(T).to_value();
    let description = first_line(root.get("description"));
    let mut schema = root;
    finish(&mut schema, event_type, version);
    EventSchema {
        event_type: event_type.to_owned(),
        version,
        description,
        schema,
    }
}

/// The variants of an adjacently tagged event enum's schema: `(type, description, schema)`.
fn split(enum_schema: schemars::Schema) -> Vec<(String, String, Value)> {
    let root = enum_schema.to_value();
    let defs = root
        .get("$defs")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let variants = root
        .get("oneOf")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    variants
        .into_iter()
        .filter_map(|variant| {
            let properties = variant.get("properties")?;
            let event_type = properties
                .get("type")
                .and_then(|t| t.get("const").or_else(|| t.get("enum")?.get(0)))
                .and_then(Value::as_str)?
                .to_owned();
            let data = properties.get("data")?.clone();
            let mut schema = resolve(&data, &defs);
            let description = first_line(schema.get("description"))
                .or_nonempty(|| first_line(variant.get("description")));
            let used = referenced(&schema, &defs);
            if let (false, Some(obj)) = (used.is_empty(), schema.as_object_mut()) {
                obj.insert("$defs".into(), Value::Object(used));
            }
            Some((event_type, description, schema))
        })
        .collect()
}

/// `schema` itself, or the definition it refers to.
fn resolve(schema: &Value, defs: &Map<String, Value>) -> Value {
    schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/$defs/"))
        .and_then(|name| defs.get(name))
        .cloned()
        .unwrap_or_else(|| schema.clone())
}

/// The definitions `schema` refers to, transitively.
fn referenced(schema: &Value, defs: &Map<String, Value>) -> Map<String, Value> {
    let mut found = Map::new();
    let mut todo = vec![schema.clone()];
    while let Some(next) = todo.pop() {
        refs_in(&next, &mut |name| {
            if let (false, Some(def)) = (found.contains_key(name), defs.get(name)) {
                found.insert(name.to_owned(), def.clone());
                todo.push(def.clone());
            }
        });
    }
    found
}

fn refs_in(value: &Value, f: &mut impl FnMut(&str)) {
    match value {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/$defs/"))
            {
                f(name);
            }
            map.values().for_each(|v| refs_in(v, f));
        }
        Value::Array(items) => items.iter().for_each(|v| refs_in(v, f)),
        _ => {}
    }
}

/// The dialect, the event's type and its version on the root.
fn finish(schema: &mut Value, event_type: &str, version: u32) {
    if let Some(obj) = schema.as_object_mut() {
        obj.insert("$schema".into(), json!(DIALECT));
        obj.insert("title".into(), json!(event_type));
        obj.insert("x-schema-version".into(), json!(version));
    }
}

fn first_line(description: Option<&Value>) -> String {
    description
        .and_then(Value::as_str)
        .and_then(|d| d.lines().map(str::trim).find(|l| !l.is_empty()))
        .unwrap_or_default()
        .to_owned()
}

trait OrNonEmpty {
    fn or_nonempty(self, f: impl FnOnce() -> String) -> String;
}

impl OrNonEmpty for String {
    fn or_nonempty(self, f: impl FnOnce() -> String) -> String {
        if self.is_empty() { f() } else { self }
    }
}

/// The human event catalogue, `docs/events.md`: every type and version with its one-line
/// description and a link to its committed schema, by context.
#[must_use]
pub fn catalogue_markdown() -> String {
    let schemas = all();
    let current: BTreeMap<&str, u32> = catalogue().into_iter().collect();
    let mut out = String::from(
        "# Event catalogue\n\n\
         Every event type Agora publishes, at every version, with the JSON Schema of its `data`\n\
         (generated from the Rust types by `schemars`; `GET /api/v1/schemas/{type}/{version}`\n\
         serves the same). Generated: `AGORA_WRITE_SCHEMAS=1 cargo test -p event-schemas --test\n\
         schemas` rewrites this file and `event-schemas/schemas/`; the same test fails when\n\
         they and the code disagree. As CloudEvents an event's `type` is\n\
         `<type>.v<version>` and its `source` `agora/<context>`.\n",
    );
    let mut context = "";
    for s in &schemas {
        if s.context() != context {
            context = s.context();
            out.push_str(&format!(
                "\n## {context}\n\n| type | version | description | schema |\n|---|---|---|---|\n"
            ));
        }
        let note = if current.get(s.event_type.as_str()) == Some(&s.version) {
            ""
        } else {
            " (older version, upcast on read)"
        };
        let description = if s.description.is_empty() {
            "-".to_owned()
        } else {
            s.description.replace('|', "\\|")
        };
        out.push_str(&format!(
            "| `{}` | {}{note} | {description} | [v{}.json](../event-schemas/{}) |\n",
            s.event_type,
            s.version,
            s.version,
            s.file()
        ));
    }
    out
}
