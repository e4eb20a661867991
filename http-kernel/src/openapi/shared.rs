//! The responses, parameters and tag every operation of a context shares, added by one walk
//! over the context's document ([`ContextOperations`]), so a route declares only what is its
//! own: its success body and the refusals of its own rules.
//!
//! What is added, and why each can happen (the layers of `agora`'s router and the extractors
//! of this crate):
//! - every operation: the context's tag; `Agora-Min-Position` (the read-your-writes layer waits
//!   for the context's read models: `400 invalid_min_position`, `503 unavailable`);
//! - path parameters: `404 not_found` (a parameter that does not parse names nothing);
//! - query parameters: `422 validation_failed` (a value of the wrong type or range);
//! - `bearer` security: `401 unauthenticated`, with its `WWW-Authenticate` challenge;
//! - a request body: `400 malformed_json`, `413 payload_too_large`, `415
//!   unsupported_media_type`, `422 validation_failed`;
//! - a write (POST, PUT, PATCH, DELETE): `Idempotency-Key`, `409 idempotency_key_in_flight`,
//!   `422 idempotency_key_reused`, and with `bearer`, `429 rate_limited`; unless the route
//!   answers directly ([`ANSWERS_DIRECTLY`]), `202` with [`PendingCommand`](crate::PendingCommand)
//!   and `Location` (the command's reply was late), `503 unavailable` (the context cannot be
//!   reached) and `Agora-Position` on its 2xx answers;
//! - an error response a route declares without a body gets the `Problem` body.
//!
//! A route's own description of a status is kept, and the shared codes it does not mention are
//! appended to it.

use utoipa::Modify;
use utoipa::openapi::path::{Operation, Parameter, ParameterIn};
use utoipa::openapi::{ContentBuilder, HeaderBuilder, OpenApi, Ref, RefOr, Response};
use utoipa::{IntoParams as _, PartialSchema as _, ToSchema as _};

use super::{
    AGORA_POSITION_DESCRIPTION, BEARER, IdempotencyKeyHeader, MinPositionHeader, problem_response,
};

/// The operation extension a write sets when it answers without a command on the bus (a login
/// issues tokens itself): it never answers 202 and carries no `Agora-Position`. Removed from
/// the document once read. In a route (utoipa takes a literal there, not this constant):
/// `extensions(("x-agora-answers-directly" = json!(true)))`.
pub const ANSWERS_DIRECTLY: &str = "x-agora-answers-directly";

/// Adds what every operation of the context `tag` shares (see the module's documentation).
#[derive(Debug, Clone, Copy)]
pub struct ContextOperations {
    /// The context's name: every operation's tag.
    pub tag: &'static str,
}

/// A shared answer: its status, its code and why it happens.
type Shared = (&'static str, &'static str, &'static str);

const EVERY: &[Shared] = &[
    (
        "400",
        "invalid_min_position",
        "`Agora-Min-Position` is not a position",
    ),
    (
        "503",
        "unavailable",
        "the read models have not reached `Agora-Min-Position` in time (see `Retry-After`)",
    ),
];
const WITH_PATH: &[Shared] = &[(
    "404",
    "not_found",
    "a path parameter names nothing (or not in its form)",
)];
const WITH_QUERY: &[Shared] = &[(
    "422",
    "validation_failed",
    "a query parameter is not of its type or range",
)];
const WITH_BEARER: &[Shared] = &[(
    "401",
    "unauthenticated",
    "no valid access token (see `WWW-Authenticate`)",
)];
const WITH_BODY: &[Shared] = &[
    ("400", "malformed_json", "the body is not JSON"),
    ("413", "payload_too_large", "the body is too large"),
    (
        "415",
        "unsupported_media_type",
        "the body is not sent as `application/json`",
    ),
    (
        "422",
        "validation_failed",
        "the body is not a JSON object of this shape, or a field breaks its rule",
    ),
];
const WRITE: &[Shared] = &[
    (
        "409",
        "idempotency_key_in_flight",
        "a request with this `Idempotency-Key` is still running",
    ),
    (
        "422",
        "idempotency_key_reused",
        "this `Idempotency-Key` came with another request",
    ),
];
const WRITE_WITH_BEARER: &[Shared] =
    &[("429", "rate_limited", "too many writes (see `Retry-After`)")];
const COMMAND: &[Shared] = &[
    (
        "409",
        "concurrency_conflict",
        "the resource kept changing concurrently; try again",
    ),
    (
        "503",
        "unavailable",
        "the context is not reachable (see `Retry-After`)",
    ),
];

impl Modify for ContextOperations {
    fn modify(&self, openapi: &mut OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let item_params = item.parameters.clone().unwrap_or_default();
            let operations = [
                (false, &mut item.get),
                (true, &mut item.put),
                (true, &mut item.post),
                (true, &mut item.delete),
                (true, &mut item.patch),
            ];
            for (write, operation) in operations {
                if let Some(operation) = operation.as_mut() {
                    self.complete(operation, write, &item_params);
                }
            }
            if let Some(head) = item.head.as_mut() {
                self.complete(head, false, &item_params);
                without_bodies(head);
            }
        }
    }
}

impl ContextOperations {
    fn complete(&self, op: &mut Operation, write: bool, item_params: &[Parameter]) {
        op.tags = Some(vec![self.tag.to_owned()]);
        let direct = op
            .extensions
            .as_mut()
            .and_then(|e| e.remove(ANSWERS_DIRECTLY))
            .is_some();
        if op.extensions.as_ref().is_some_and(|e| e.is_empty()) {
            op.extensions = None;
        }
        let params: Vec<&Parameter> = item_params
            .iter()
            .chain(op.parameters.iter().flatten())
            .collect();
        let has = |place: ParameterIn| params.iter().any(|p| p.parameter_in == place);
        let (path, query) = (has(ParameterIn::Path), has(ParameterIn::Query));
        let bearer = requires_bearer(op);
        let body = op.request_body.is_some();

        add_parameters(
            op,
            MinPositionHeader::into_params(|| Some(ParameterIn::Header)),
        );
        if write {
            add_parameters(
                op,
                IdempotencyKeyHeader::into_params(|| Some(ParameterIn::Header)),
            );
        }
        let mut shared: Vec<Shared> = EVERY.to_vec();
        for (applies, set) in [
            (path, WITH_PATH),
            (query, WITH_QUERY),
            (bearer, WITH_BEARER),
            (body, WITH_BODY),
            (write, WRITE),
            (write && bearer, WRITE_WITH_BEARER),
            (write && !direct, COMMAND),
        ] {
            if applies {
                shared.extend_from_slice(set);
            }
        }
        for (status, code, why) in shared {
            add_shared(op, status, code, why);
        }
        if write && !direct {
            add_pending(op);
            add_position_headers(op);
        }
        if bearer && let Some(RefOr::T(r)) = op.responses.responses.get_mut("401") {
            r.headers
                .entry("WWW-Authenticate".to_owned())
                .or_insert_with(|| {
                    HeaderBuilder::new()
                        .description(Some(
                            "`Bearer realm=\"agora\"`, with `error=\"invalid_token\"` and a \
                         description when a token was sent and refused (RFC 6750)",
                        ))
                        .build()
                });
        }
        give_problem_bodies(op);
    }
}

/// Whether the operation takes a token (required or optional): a token sent and refused is a
/// 401 either way (`Option<Caller>` refuses a bad token rather than ignore it).
fn requires_bearer(op: &Operation) -> bool {
    op.security.as_ref().is_some_and(|requirements| {
        requirements.iter().any(|r| {
            serde_json::to_value(r)
                .ok()
                .and_then(|v| v.as_object().map(|o| o.contains_key(BEARER)))
                .unwrap_or(false)
        })
    })
}

/// Adds `extra` to the operation's parameters, unless one of the same name and place is there.
fn add_parameters(op: &mut Operation, extra: Vec<Parameter>) {
    let params = op.parameters.get_or_insert_with(Vec::new);
    for p in extra {
        if !params
            .iter()
            .any(|q| q.name == p.name && q.parameter_in == p.parameter_in)
        {
            params.push(p);
        }
    }
}

/// Adds the shared answer `code` to `status`: a new problem response, or the code appended to
/// the route's own description of that status when it does not mention it.
fn add_shared(op: &mut Operation, status: &str, code: &str, why: &str) {
    let mention = format!("`{code}`");
    match op.responses.responses.get_mut(status) {
        Some(RefOr::T(response)) => {
            if !response.description.contains(&mention) {
                response.description = format!("{}; {mention}: {why}", response.description);
            }
        }
        Some(RefOr::Ref(_)) => {}
        None => {
            op.responses.responses.insert(
                status.to_owned(),
                RefOr::T(problem_response(&format!("{mention}: {why}"))),
            );
        }
    }
}

/// `202`: the command's reply was late.
fn add_pending(op: &mut Operation) {
    if op.responses.responses.contains_key("202") {
        return;
    }
    let response = utoipa::openapi::ResponseBuilder::new()
        .description(
            "The reply is late: the command may still complete; `Location` names where its \
             outcome will be",
        )
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(crate::PendingCommand::name())))
                .build(),
        )
        .header(
            "Location",
            HeaderBuilder::new()
                .schema(String::schema())
                .description(Some(
                    "The command's status: `/api/v1/commands/{command_id}`",
                ))
                .build(),
        )
        .build();
    op.responses
        .responses
        .insert("202".to_owned(), RefOr::T(response));
}

/// `Agora-Position` on every 2xx answer but the 202.
fn add_position_headers(op: &mut Operation) {
    for (status, response) in &mut op.responses.responses {
        if status.starts_with('2')
            && status != "202"
            && let RefOr::T(response) = response
        {
            response
                .headers
                .entry("Agora-Position".to_owned())
                .or_insert_with(|| {
                    HeaderBuilder::new()
                        .schema(u64::schema())
                        .description(Some(AGORA_POSITION_DESCRIPTION))
                        .build()
                });
        }
    }
}

/// A `HEAD` answer has the headers of its `GET` and never a body (RFC 9110, 9.3.2), errors
/// included.
pub(super) fn without_bodies(op: &mut Operation) {
    for response in op.responses.responses.values_mut() {
        if let RefOr::T(r) = response {
            r.content.clear();
        }
    }
}

/// Error responses declared without a body get the problem body.
fn give_problem_bodies(op: &mut Operation) {
    for (status, response) in &mut op.responses.responses {
        if (status.starts_with('4') || status.starts_with('5'))
            && let RefOr::T(response) = response
            && response.content.is_empty()
        {
            let Response { description, .. } = response;
            *response = problem_response(description);
        }
    }
}

/// The schemas the shared answers refer to, to register with a document's components.
#[must_use]
pub fn schemas() -> Vec<(String, RefOr<utoipa::openapi::schema::Schema>)> {
    let mut schemas = Vec::new();
    crate::Problem::schemas(&mut schemas);
    crate::PendingCommand::schemas(&mut schemas);
    schemas.push((
        crate::Problem::name().into_owned(),
        crate::Problem::schema(),
    ));
    schemas.push((
        crate::PendingCommand::name().into_owned(),
        crate::PendingCommand::schema(),
    ));
    schemas
}
