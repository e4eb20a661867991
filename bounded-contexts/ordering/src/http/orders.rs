//! `/api/v1/orders`: commands go to the bus, reads ([`super::reads`]) come from the orders read
//! model, and `?as_of=` folds the order's own events up to that instant. Fulfilment (ship,
//! deliver, cancel) is in [`super::fulfilments`].

use shared_kernel::RejectionKind;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use event_schemas::ordering::{PaymentInstruction, ShippingAddress};
use http_kernel::{ApiError, Caller, CommandIds, Json};
use serde::Deserialize;
use shared_kernel::EventStore;
use shared_kernel::ids::{OrderId, PaymentId};
use utoipa::ToSchema;

use super::fulfilments::{cancel_order, deliver_order, my_fulfilments, ship_order};
use super::openapi::{IdempotencyKeyHeader, MinPositionHeader, OrderAccepted, Problem};
use super::reads::{get_order, my_orders};
use super::returns::{receive_return, request_return};
use crate::application::{LineRequest, OrderingCommand, PricingError, priced_lines};
use crate::projections::ORDERING_PRODUCTS;

/// What the routes need; `extra` is the event store, for `?as_of=` reads of an order's own
/// stream. The read wait also bounds how long a new order waits for a product ordering has
/// not seen yet.
pub type OrderingApi = http_kernel::ContextApi<Arc<dyn EventStore>>;

pub fn router(api: OrderingApi) -> Router {
    Router::new()
        .route("/api/v1/orders", post(place_order).get(my_orders))
        .route("/api/v1/orders/{id}", get(get_order))
        .route("/api/v1/orders/{id}/cancel", post(cancel_order))
        .route("/api/v1/orders/{id}/ship", post(ship_order))
        .route("/api/v1/orders/{id}/deliver", post(deliver_order))
        .merge(super::cart::routes())
        .route("/api/v1/sellers/me/fulfilments", get(my_fulfilments))
        .route("/api/v1/orders/{id}/returns", post(request_return))
        .route(
            "/api/v1/orders/{id}/returns/{return_id}/receive",
            post(receive_return),
        )
        .with_state(api)
}

/// A new order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "lines": [{ "product_id": "0190f0a4-5b7c-7d2e-8f00-0123456789ab", "quantity": 2 }],
    "shipping_address": {
        "name": "Ada Lovelace", "line1": "12 St James's Square", "city": "London",
        "postal_code": "SW1Y 4JH", "country": "GB"
    },
    "payment": { "method": "card", "token": "tok_ok" }
}))]
pub(super) struct PlaceOrder {
    lines: Vec<LineRequest>,
    shipping_address: ShippingAddress,
    payment: PaymentInstruction,
}

fn rejected(kind: RejectionKind, code: &str, message: impl Into<String>) -> ApiError {
    ApiError::refused(kind, code, message)
}

pub(super) fn parse_order_id(id: &str) -> Result<OrderId, ApiError> {
    id.parse().map_err(|_| ApiError::NotFound("order".into()))
}

/// The pricing failure as the problem the route answers with.
pub(super) fn pricing_problem(error: PricingError) -> ApiError {
    match error {
        PricingError::Rule(e) => ApiError::Validation(e.to_string()),
        e @ PricingError::UnknownProduct(_) => {
            rejected(RejectionKind::Invalid, "unknown_product", e.to_string())
        }
        e @ PricingError::Unavailable(_) => {
            rejected(RejectionKind::Invalid, "product_unavailable", e.to_string())
        }
        e @ PricingError::VariantRequired(_) => {
            rejected(RejectionKind::Invalid, "variant_required", e.to_string())
        }
        e @ PricingError::UnknownVariant(..) => {
            rejected(RejectionKind::Invalid, "unknown_variant", e.to_string())
        }
        e @ PricingError::Corrupt(_) => ApiError::Internal(e.to_string().into()),
        PricingError::Read(e) => ApiError::internal(e),
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/orders",
    tag = "ordering",
    summary = "Place an order",
    params(IdempotencyKeyHeader, MinPositionHeader),
    request_body = PlaceOrder,
    responses(
        (status = 202, description = "Placed: the order goes on (stock, then payment) without the caller; `Location` names the order. When the reply is late, the body is the pending command's instead (its `location` the command's status, its `id` the order's)", body = OrderAccepted,
            headers(("Location" = String, description = "The order: `/api/v1/orders/{id}`"), ("Agora-Position" = u64, description = "Global position of the write's last event: send it as Agora-Min-Position to read your write"))),
        (status = 400, description = "`malformed_json`; `invalid_min_position`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`order_exists`; `concurrency_conflict`; `idempotency_key_in_flight`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed` (lines, quantities, address, payment); `unknown_product`; `product_unavailable` (not active); `variant_required`: the product has several variants and the line names no `sku`; `unknown_variant`: the `sku` is no variant of the product; `own_product` (the caller sells it); `mixed_currencies`; `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the ordering service is not reachable, or its products read model has not reached `Agora-Min-Position` in time", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
async fn place_order(
    State(api): State<OrderingApi>,
    caller: Caller,
    ids: CommandIds,
    headers: HeaderMap,
    Json(req): Json<PlaceOrder>,
) -> Result<Response, ApiError> {
    api.wait_for(&headers, &[ORDERING_PRODUCTS]).await?;
    let lines = priced_lines(&api.read, api.read_wait, req.lines)
        .await
        .map_err(pricing_problem)?;
    let order_id = OrderId::derived(ids.command_id(), "order");
    let command = OrderingCommand::PlaceOrder {
        order_id,
        lines,
        shipping_address: req.shipping_address,
        payment: req.payment,
        payment_id: PaymentId::derived(ids.command_id(), "payment"),
    };
    let mut response = api
        .send_creating(
            &caller,
            ids,
            &command,
            StatusCode::ACCEPTED,
            Some(order_id.to_string()),
        )
        .await?;
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/orders/{order_id}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Sends `command` about an existing order: 200, or 202 naming the order when the reply is late.
pub(super) async fn send(
    api: &OrderingApi,
    caller: &Caller,
    ids: CommandIds,
    command: &OrderingCommand,
) -> Result<Response, ApiError> {
    let order_id = Some(command.order_id().to_string());
    api.send_creating(caller, ids, command, StatusCode::OK, order_id)
        .await
}
