//! The OpenAPI description of the ordering routes ([`openapi`]), and the schemas of the bodies
//! the routes build as JSON (documentation only: nothing constructs them).
#![allow(dead_code)]

use event_schemas::ordering::{OrderLine, PaymentInstruction, ShippingAddress};
use event_schemas::payments::PaymentMethod;
use serde::Serialize;
use utoipa::{IntoParams, OpenApi, ToSchema};

pub(super) use http_kernel::Problem;
pub(super) use http_kernel::openapi::{IdempotencyKeyHeader, MinPositionHeader};

use super::{fulfilments, orders, reads, returns};
use crate::application::LineRequest;
use crate::projections::{
    FulfilmentLine, FulfilmentReturn, FulfilmentView, HistoryEntry, OrderDetail, OrderSummary,
};

/// The ordering context's part of the API document.
#[must_use]
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = OrderingDoc::openapi();
    doc.merge(super::cart_openapi::openapi());
    doc
}

#[derive(OpenApi)]
#[openapi(
    paths(
        orders::place_order,
        reads::my_orders,
        reads::get_order,
        fulfilments::cancel_order,
        fulfilments::ship_order,
        fulfilments::deliver_order,
        fulfilments::my_fulfilments,
        returns::request_return,
        returns::receive_return,
    ),
    components(schemas(
        orders::PlaceOrder,
        LineRequest,
        ShippingAddress,
        PaymentInstruction,
        PaymentMethod,
        OrderLine,
        OrderState,
        OrderAccepted,
        OrderDetail,
        OrderSummary,
        HistoryEntry,
        fulfilments::Shipment,
        fulfilments::CancelLines,
        FulfilmentView,
        FulfilmentLine,
        FulfilmentPageDoc,
        FulfilmentReturn,
        returns::RequestReturn,
        returns::ReturnState,
        PendingCommand,
        Problem,
    )),
    tags((
        name = "ordering",
        description = "Orders: a buyer places one (the payment is authorized, then stock \
                       reserved, then the payment captured, by a saga), follows it, cancels \
                       it or lines not yet shipped, returns delivered lines; each seller ships \
                       and delivers their own fulfilment and receives returns. Status: `pending` -> `payment_authorized` -> \
                       `stock_reserved` -> `paid` -> `partially_shipped` -> `shipped` -> \
                       `delivered`, or `cancelled` / `rejected`."
    ))
)]
struct OrderingDoc;

/// An order's id and status after a write.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({ "id": "0190f0a4-5b7c-7d2e-8f00-0123456789ab", "status": "pending" }))]
pub(super) struct OrderState {
    #[schema(format = Uuid)]
    id: String,
    /// `pending`, `payment_authorized`, `stock_reserved`, `paid`, `partially_shipped`,
    /// `shipped`, `delivered`, `cancelled` or `rejected`.
    status: String,
}

pub use http_kernel::PendingCommand;

/// The answer to a placed order: its state, or the pending command when the reply was late.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub(super) enum OrderAccepted {
    Placed(OrderState),
    Pending(PendingCommand),
}

/// The query of `GET /orders/{id}` (other parameters are ignored).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct AsOfParams {
    /// The order as it was at this instant (folded from its own events), instead of now.
    #[param(value_type = Option<String>, format = DateTime, example = "2026-01-31T12:00:00Z")]
    as_of: Option<String>,
}

/// The query of `GET /orders` (any other parameter is refused).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct OrdersParams {
    /// Page size (default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// A page of a seller's fulfilments.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct FulfilmentPageDoc {
    items: Vec<FulfilmentView>,
    /// The `cursor` of the next page; null on the last one.
    next_cursor: Option<String>,
}

/// The query of `GET /sellers/me/fulfilments` (any other parameter is refused).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct FulfilmentsParams {
    /// Page size (default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Only these: `to_ship`, `shipped`, `delivered` or `cancelled`.
    status: Option<String>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeSet;

    /// Every route of `router`, as `METHOD path`.
    const ROUTES: &[&str] = &[
        "POST /api/v1/orders",
        "GET /api/v1/orders",
        "GET /api/v1/orders/{id}",
        "POST /api/v1/orders/{id}/cancel",
        "POST /api/v1/orders/{id}/ship",
        "POST /api/v1/orders/{id}/deliver",
        "GET /api/v1/cart",
        "POST /api/v1/cart/lines",
        "PATCH /api/v1/cart/lines/{sku}",
        "DELETE /api/v1/cart/lines/{sku}",
        "POST /api/v1/cart/checkout",
        "GET /api/v1/sellers/me/fulfilments",
        "POST /api/v1/orders/{id}/returns",
        "POST /api/v1/orders/{id}/returns/{return_id}/receive",
    ];

    #[test]
    fn every_route_is_described_with_its_errors_as_problems() {
        let doc = serde_json::to_value(super::openapi()).unwrap();
        let mut described = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let route = format!("{} {path}", method.to_uppercase());
                assert_eq!(op["tags"], serde_json::json!(["ordering"]), "{route}");
                for (status, response) in op["responses"].as_object().unwrap() {
                    if status.starts_with('4') || status.starts_with('5') {
                        let schema = &response["content"]["application/problem+json"]["schema"];
                        assert_eq!(
                            schema["$ref"], "#/components/schemas/Problem",
                            "{route} {status}"
                        );
                    }
                }
                described.insert(route);
            }
        }
        let routes: BTreeSet<String> = ROUTES.iter().map(|r| (*r).to_owned()).collect();
        assert_eq!(described, routes);
    }
}
