//! `/api/v1/orders`: commands go to the bus, reads ([`super::reads`]) come from the orders read
//! model, and `?as_of=` folds the order's own events up to that instant.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use event_schemas::ordering::{PaymentInstruction, ShippingAddress};
use http_kernel::{ApiError, Caller, CommandIds, Json, Path};
use serde::Deserialize;
use shared_kernel::EventStore;
use shared_kernel::ids::{OrderId, PaymentId};

use super::reads::{get_order, my_orders};
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
        .with_state(api)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlaceOrder {
    lines: Vec<LineRequest>,
    shipping_address: ShippingAddress,
    payment: PaymentInstruction,
}

fn rejected(status: u16, code: &str, message: impl Into<String>) -> ApiError {
    ApiError::Rejected {
        status,
        code: code.to_owned(),
        message: message.into(),
    }
}

pub(super) fn parse_order_id(id: &str) -> Result<OrderId, ApiError> {
    id.parse().map_err(|_| ApiError::NotFound("order".into()))
}

/// The pricing failure as the problem the route answers with.
fn pricing_problem(error: PricingError) -> ApiError {
    match error {
        PricingError::Rule(e) => ApiError::Validation(e.to_string()),
        e @ PricingError::UnknownProduct(_) => rejected(422, "unknown_product", e.to_string()),
        e @ PricingError::Unavailable(_) => rejected(422, "product_unavailable", e.to_string()),
        e @ PricingError::Corrupt(_) => ApiError::Internal(e.to_string().into()),
        PricingError::Read(e) => ApiError::internal(e),
    }
}

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

async fn cancel_order(
    State(api): State<OrderingApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let order_id = parse_order_id(&id)?;
    let command = OrderingCommand::CancelOrder {
        order_id,
        reason: crate::domain::buyer_cancelled_reason().to_owned(),
        by: Some(caller.user_id),
    };
    send(&api, &caller, ids, &command).await
}

async fn ship_order(
    State(api): State<OrderingApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let command = OrderingCommand::ShipOrder {
        order_id: parse_order_id(&id)?,
    };
    send(&api, &caller, ids, &command).await
}

async fn deliver_order(
    State(api): State<OrderingApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let command = OrderingCommand::DeliverOrder {
        order_id: parse_order_id(&id)?,
    };
    send(&api, &caller, ids, &command).await
}

/// Sends `command` about an existing order: 200, or 202 naming the order when the reply is late.
async fn send(
    api: &OrderingApi,
    caller: &Caller,
    ids: CommandIds,
    command: &OrderingCommand,
) -> Result<Response, ApiError> {
    let order_id = Some(command.order_id().to_string());
    api.send_creating(caller, ids, command, StatusCode::OK, order_id)
        .await
}
