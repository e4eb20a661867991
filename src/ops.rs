//! Operations endpoints (root, not /api/v1): liveness, readiness, Prometheus metrics, and the
//! HTTP metrics middleware.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_kernel::Problem;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use projections::Progress;
use shared_kernel::EventStore;
use sqlx::AnyPool;

/// The process-wide metrics recorder. Installed once; later calls (several servers in one test
/// process) share it.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .install_recorder()
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "metrics recorder already installed elsewhere");
                    PrometheusBuilder::new().build_recorder().handle()
                })
        })
        .clone()
}

#[derive(Debug, Clone)]
pub struct Ops {
    pub store: Arc<dyn EventStore>,
    pub read: AnyPool,
    pub progress: Progress,
    pub projectors: Arc<Vec<projections::ProjectorHandle>>,
    /// The brokers this process uses, checked by `/readyz` beside the databases.
    pub brokers: Arc<Vec<Broker>>,
    /// Whether this process relays the store to Kafka.
    pub relay: crate::app::RelayStatus,
}

/// A message broker the process depends on.
#[derive(Debug, Clone)]
pub enum Broker {
    /// Commands travel over RabbitMQ.
    RabbitMq(Arc<infrastructure::rabbitmq::RabbitCommandBus>),
    /// Events are relayed to (and perhaps read from) Kafka at these bootstrap servers.
    Kafka(String),
}

/// How long `/readyz` waits for a broker to answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

impl Broker {
    /// The member of `/readyz` that reports it.
    const fn member(&self) -> &'static str {
        match self {
            Self::RabbitMq(_) => "rabbitmq",
            Self::Kafka(_) => "kafka",
        }
    }

    /// Whether it answers within [`PROBE_TIMEOUT`].
    async fn reachable(&self) -> bool {
        match self {
            Self::RabbitMq(bus) => tokio::time::timeout(PROBE_TIMEOUT, bus.probe())
                .await
                .is_ok_and(|r| r.is_ok()),
            Self::Kafka(brokers) => infrastructure::kafka::probe(brokers, PROBE_TIMEOUT)
                .await
                .is_ok(),
        }
    }
}

/// The operations routes, each declared once (tag `ops`).
fn declared() -> http_kernel::Routes<Ops> {
    http_kernel::Routes::with_openapi(<OpsApi as utoipa::OpenApi>::openapi())
        .routes(http_kernel::routes!(healthz))
        .routes(http_kernel::routes!(readyz))
        .routes(http_kernel::routes!(metrics))
        .routes(http_kernel::routes!(command_status))
}

/// The operations routes, served.
pub fn routes(ops: Ops) -> axum::Router {
    declared().with_state(ops).into()
}

/// The description of the operations routes (the same declarations as [`routes`]).
#[must_use]
pub fn routes_document() -> utoipa::openapi::OpenApi {
    declared().into_openapi()
}

#[derive(utoipa::OpenApi)]
#[openapi(tags((name = "ops", description = "Operations: liveness, readiness, Prometheus \
    metrics, the status of a command that answered 202, and this description")))]
struct OpsApi;

/// The checks of `GET /readyz`: the body of a ready answer, and the extension members of the
/// problem of a not-ready one.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct Readiness {
    /// `ready`, or absent in a problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "ready")]
    status: Option<&'static str>,
    /// `ok` or `unreachable`.
    event_store: &'static str,
    /// `ok` or `unreachable`.
    read_models: &'static str,
    /// `ok`, `unreachable`, or `not_configured` (commands travel in-process).
    rabbitmq: &'static str,
    /// `ok`, `unreachable`, or `not_configured` (no relay, projections read the store).
    kafka: &'static str,
    /// What this process's Kafka relay does: `relaying` (it holds the platform's relay lease),
    /// `standby` (another process relays; this one takes over when that one dies) or `off`.
    #[schema(example = "relaying")]
    relay: &'static str,
    /// The dependencies that do not answer (`event_store`, `read_models`, `rabbitmq`,
    /// `kafka`); empty when ready.
    unavailable: Vec<&'static str>,
    /// Each projection's checkpoint (`<position>` or `<position>@<event id>`).
    projections: std::collections::BTreeMap<&'static str, String>,
    /// The projections whose projector stopped (empty when ready).
    stopped_projections: Vec<&'static str>,
}

/// The body of `GET /api/v1/commands/{id}`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct CommandStatus {
    command_id: uuid::Uuid,
    /// `completed`.
    #[schema(example = "completed")]
    status: &'static str,
    /// The stream the command appended to, e.g. `order-<uuid>`.
    stream_id: String,
    /// The stream's version after the command.
    stream_version: u64,
    /// The global position of the command's last event.
    position: u64,
}

/// Liveness: the process answers.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "ops",
    responses((status = 200, description = "The process is alive", body = String, content_type = "text/plain", example = "ok"))
)]
async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the event store, the read-model database and the brokers the process uses
/// answer, and every projector runs. Only this process's own dependencies count: another
/// context's process being down does not make this one unready (commands to it wait in its
/// queue).
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "ops",
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "`not_ready`: a dependency is unreachable or a projection \
            stopped (the checks are extension members of the problem; `unavailable` names the \
            dependencies that do not answer)", body = Problem,
            content_type = "application/problem+json"),
    )
)]
async fn readyz(State(ops): State<Ops>) -> Response {
    let (store, read, brokers) = tokio::join!(
        ops.store.head(),
        sqlx::query("SELECT 1").execute(&ops.read),
        futures::future::join_all(
            ops.brokers
                .iter()
                .map(|b| async move { (b.member(), b.reachable().await) })
        ),
    );
    let stopped: Vec<&'static str> = ops
        .projectors
        .iter()
        .filter(|p| p.task.is_finished())
        .flat_map(|p| p.names.iter().copied())
        .collect();
    let mut checks = vec![
        ("event_store", store.is_ok()),
        ("read_models", read.is_ok()),
    ];
    checks.extend(brokers);
    let unavailable: Vec<&'static str> = checks
        .iter()
        .filter(|(_, ok)| !ok)
        .map(|(name, _)| *name)
        .collect();
    let ready = unavailable.is_empty() && stopped.is_empty();
    let state = |name: &str| match checks.iter().find(|(n, _)| *n == name) {
        Some((_, true)) => "ok",
        Some((_, false)) => "unreachable",
        None => "not_configured",
    };
    let relay = match ops.relay.role() {
        crate::app::RelayRole::Relaying => "relaying",
        crate::app::RelayRole::Standby => "standby",
        crate::app::RelayRole::Off => "off",
    };
    let mut why: Vec<String> = unavailable
        .iter()
        .map(|name| format!("{name} unreachable"))
        .collect();
    if !stopped.is_empty() {
        why.push(format!("projections stopped: {}", stopped.join(", ")));
    }
    let checks = Readiness {
        status: ready.then_some("ready"),
        event_store: state("event_store"),
        read_models: state("read_models"),
        rabbitmq: state("rabbitmq"),
        kafka: state("kafka"),
        relay,
        unavailable,
        projections: ops
            .progress
            .snapshot()
            .into_iter()
            .map(|(name, cursor)| (name, cursor.to_string()))
            .collect(),
        stopped_projections: stopped,
    };
    if ready {
        return http_kernel::Json(checks).into_response();
    }
    // Not ready is an error like any other: problem+json (code `not_ready`), with the checks
    // as extension members (RFC 9457).
    let mut problem = Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "not_ready",
        format!("not ready: {}", why.join("; ")),
    );
    if let Ok(serde_json::Value::Object(members)) = serde_json::to_value(&checks) {
        problem.extensions = members;
    }
    problem.into_response()
}

/// Where a write that answered 202 can be followed up: the command's result once its events
/// are stored. (A rejected command leaves no events; its sender gets the rejection on retry.)
#[utoipa::path(
    get,
    path = "/api/v1/commands/{id}",
    tag = "ops",
    params(("id" = String, Path, description = "The command id (`command_id` of a 202 answer)")),
    responses(
        (status = 200, description = "The command completed: its events are stored", body = CommandStatus,
            headers(("Agora-Position" = u64, description = "Global position of the write's last event: send it as Agora-Min-Position to read your write"))),
        (status = 404, description = "`not_found`: no completed command with this id (yet, or not a UUID)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn command_status(
    State(ops): State<Ops>,
    http_kernel::Path(id): http_kernel::Path<String>,
) -> Result<Response, http_kernel::ApiError> {
    let not_yet = || http_kernel::ApiError::NotFound("completed command".into());
    let id: uuid::Uuid = id.parse().map_err(|_| not_yet())?;
    let (stream, appended) = ops
        .store
        .command_result(id)
        .await
        .map_err(http_kernel::ApiError::internal)?
        .ok_or_else(not_yet)?;
    let mut response = http_kernel::Json(CommandStatus {
        command_id: id,
        status: "completed",
        stream_id: stream.to_string(),
        stream_version: appended.stream_version,
        position: appended.position,
    })
    .into_response();
    response
        .headers_mut()
        .insert(http_kernel::AGORA_POSITION, appended.position.into());
    Ok(response)
}

/// Prometheus metrics (text exposition format 0.0.4).
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "ops",
    responses((status = 200, description = "The metrics", body = String, content_type = "text/plain"))
)]
async fn metrics(State(ops): State<Ops>) -> Response {
    // Events between each projection and the store's head (positions, so an approximation on
    // PostgreSQL, where rolled-back transactions leave holes in the sequence).
    if let Ok(head) = ops.store.head().await {
        metrics::gauge!("agora_store_head_position").set(head.position as f64);
        for (name, cursor) in ops.progress.snapshot() {
            metrics::gauge!("agora_projection_lag_events", "projection" => name)
                .set(head.position.saturating_sub(cursor.position) as f64);
        }
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        metrics_handle().render(),
    )
        .into_response()
}

/// Counts requests and records their latency by route template (not raw path: bounded labels).
pub async fn track(request: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().to_string();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("agora_http_requests_total", &labels).increment(1);
    metrics::histogram!("agora_http_request_duration_seconds", &labels)
        .record(start.elapsed().as_secs_f64());
    response
}
