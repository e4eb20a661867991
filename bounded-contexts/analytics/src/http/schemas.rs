//! `GET /api/v1/schemas` and `/api/v1/schemas/{type}/{version}`: every published event type and
//! version with its JSON Schema (generated from the Rust types, the same as the committed
//! `event-schemas/schemas/`). Public: the contract of the events, not their content.

use std::sync::LazyLock;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use event_schemas::schemas::{self, EventSchema};
use http_kernel::{
    ApiError, CursorSpec, IdKind, Json, KeyKind, Page, PageCursor, Paged, Path, SortKey,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::cloudevents::schema_path;

/// Every schema, generated once per process.
static ALL: LazyLock<Vec<EventSchema>> = LazyLock::new(schemas::all);

/// A schemas page continues after `<type>/<version>`.
const SCHEMAS_CURSOR: CursorSpec<'static> = CursorSpec {
    sort: "schemas",
    key: KeyKind::Text { max_chars: 220 },
    id: IdKind::None,
};

/// One published event type at one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "type": "agora.ordering.order_paid", "version": 1, "context": "ordering", "current": true,
    "cloudevents_type": "agora.ordering.order_paid.v1",
    "description": "", "schema": "/api/v1/schemas/agora.ordering.order_paid/1"
}))]
pub struct SchemaEntry {
    /// `agora.<context>.<name>`.
    #[serde(rename = "type")]
    pub event_type: String,
    pub version: u32,
    pub context: String,
    /// Whether this is the version written now (older ones are upcast when read).
    pub current: bool,
    /// The CloudEvents `type` of events of this version.
    pub cloudevents_type: String,
    /// The payload's one-line description.
    pub description: String,
    /// The path of its JSON Schema.
    pub schema: String,
}

fn entry(s: &EventSchema) -> SchemaEntry {
    let current = schemas::catalogue()
        .iter()
        .any(|(t, v)| *t == s.event_type && *v == s.version);
    SchemaEntry {
        event_type: s.event_type.clone(),
        version: s.version,
        context: s.context().to_owned(),
        current,
        cloudevents_type: format!("{}.v{}", s.event_type, s.version),
        description: s.description.clone(),
        schema: schema_path(&s.event_type, s.version),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/schemas",
    summary = "Every published event type and version",
    description = "Sorted by type, then version. Each names the path of its JSON Schema \
                   (draft 2020-12). The human catalogue is docs/events.md.",
    params(Page),
    responses((status = 200, description = "A page of event types", body = Paged<SchemaEntry>)),
)]
pub(super) async fn list_schemas(page: Page) -> Result<Json<Paged<SchemaEntry>>, ApiError> {
    let after = match page.after(SCHEMAS_CURSOR)? {
        None => None,
        Some(PageCursor {
            key: SortKey::Text(t),
            ..
        }) => Some(t),
        Some(_) => return Err(http_kernel::InvalidCursor("not a schema").into()),
    };
    let key = |s: &EventSchema| format!("{}/{:010}", s.event_type, s.version);
    let rows: Vec<SchemaEntry> = ALL
        .iter()
        .filter(|s| after.as_ref().is_none_or(|a| key(s) > *a))
        .take(usize::try_from(page.fetch()).unwrap_or(101))
        .map(entry)
        .collect();
    Ok(Json(Paged::of(rows, &page, |last| {
        PageCursor::new(
            SCHEMAS_CURSOR.sort,
            SortKey::Text(format!("{}/{:010}", last.event_type, last.version)),
            "",
        )
    })))
}

#[utoipa::path(
    get,
    path = "/api/v1/schemas/{type}/{version}",
    summary = "The JSON Schema of an event type's version",
    description = "The schema of the event's `data` (`application/schema+json`, draft \
                   2020-12), as committed under event-schemas/schemas/.",
    params(
        ("type" = String, Path, description = "The event type, `agora.<context>.<name>`"),
        ("version" = u32, Path, description = "The schema version (1, 2, ...)"),
    ),
    responses(
        (status = 200, description = "The JSON Schema", content_type = "application/schema+json", body = Object),
        (status = 404, description = "`not_found`: no such type, or no such version of it"),
    ),
)]
pub(super) async fn one(
    Path((event_type, version)): Path<(String, u32)>,
) -> Result<Response, ApiError> {
    let found = ALL
        .iter()
        .find(|s| s.event_type == event_type && s.version == version)
        .ok_or_else(|| ApiError::NotFound("schema".into()))?;
    let mut response = Json(found.schema.clone()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/schema+json"),
    );
    Ok(response)
}
