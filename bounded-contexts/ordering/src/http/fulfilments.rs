//! Per-seller fulfilment: a seller ships and delivers their own lines of an order
//! (`POST /orders/{id}/ship`, `/deliver`) and lists what they owe
//! (`GET /sellers/me/fulfilments`).

use axum::extract::State;
use http_kernel::{ApiError, Caller, CommandIds, Json, Page, Paged, Path, Query, Written};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::orders::on_order;
use super::{ORDER_ID, OrderingApi, order_id};
use crate::application::{OrderRequest, OrderState};
use crate::projections::{
    FULFILMENTS_CURSOR, FulfilmentView, fulfilments_cursor, list_fulfilments,
};

/// How the seller's fulfilment travels.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "carrier": "DHL", "tracking_number": "JD014600006281230" }))]
pub(super) struct Shipment {
    /// The carrier's name, 1 to 100 characters.
    carrier: String,
    /// The carrier's tracking number, 1 to 100 characters.
    tracking_number: String,
}

/// Where a listed fulfilment stands.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(super) enum ListedStatus {
    ToShip,
    Shipped,
    Delivered,
    Cancelled,
}

impl ListedStatus {
    const fn as_str(self) -> &'static str {
        match self {
            Self::ToShip => "to_ship",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
        }
    }
}

/// The filter of `GET /sellers/me/fulfilments`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct FulfilmentFilter {
    /// Only the fulfilments that stand there.
    #[param(inline)]
    status: Option<ListedStatus>,
}

#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/ship",
    summary = "Ship the caller's fulfilment of a paid order (a seller of its lines)",
    description = "Ships the caller's lines not yet shipped nor cancelled, and only those: the order is `partially_shipped` until every seller has shipped. Shipping again changes nothing.",
    params(("id" = String, Path, description = ORDER_ID)),
    request_body = Shipment,
    responses(
        (status = 200, description = "Done: the order's id and status", body = OrderState),
        (status = 403, description = "`forbidden`: the buyer tried to ship it"),
        (status = 404, description = "`not_found`: no such order, or the caller neither bought nor sells it"),
        (status = 409, description = "`invalid_order_state`: not paid; `nothing_to_ship`: every line of the caller's was cancelled"),
        (status = 422, description = "`validation_failed`: carrier or tracking number missing or too long"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn ship_order(
    State(api): State<OrderingApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<Shipment>,
) -> Result<Written<OrderState>, ApiError> {
    let command = OrderRequest::ShipOrder {
        order_id: order_id(&id)?,
        carrier: req.carrier,
        tracking_number: req.tracking_number,
    };
    on_order(&api, &caller, ids, command).await
}

#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/deliver",
    summary = "Mark the caller's shipped fulfilment delivered (a seller of its lines)",
    description = "Only the caller's shipped lines: the order is `delivered` once every fulfilment is. The seller's ledger is then credited with these lines' totals (by payments).",
    params(("id" = String, Path, description = ORDER_ID)),
    responses(
        (status = 200, description = "Done: the order's id and status", body = OrderState),
        (status = 403, description = "`forbidden`: the buyer tried to mark it delivered"),
        (status = 404, description = "`not_found`: no such order, or the caller neither bought nor sells it"),
        (status = 409, description = "`invalid_order_state`: the caller's fulfilment is not shipped"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn deliver_order(
    State(api): State<OrderingApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
) -> Result<Written<OrderState>, ApiError> {
    let command = OrderRequest::DeliverOrder {
        order_id: order_id(&id)?,
    };
    on_order(&api, &caller, ids, command).await
}

#[utoipa::path(
    get,
    path = "/api/v1/sellers/me/fulfilments",
    summary = "The fulfilments the caller owes or owed as a seller, newest first",
    description = "One per paid order with lines of the caller's (orders awaiting payment are not listed): the caller's lines only, where each stands, carrier and tracking number once shipped, the buyer's returns of them.",
    params(Page, FulfilmentFilter),
    responses((status = 200, description = "A page of fulfilments", body = Paged<FulfilmentView>)),
    security(("bearer" = [])),
)]
pub(super) async fn my_fulfilments(
    State(api): State<OrderingApi>,
    caller: Caller,
    page: Page,
    Query(filter): Query<FulfilmentFilter>,
) -> Result<Json<Paged<FulfilmentView>>, ApiError> {
    let after = page.after(FULFILMENTS_CURSOR)?;
    let rows = list_fulfilments(
        &api.read,
        &caller.user_id.to_string(),
        filter.status.map(ListedStatus::as_str),
        after.as_ref(),
        page.fetch(),
    )
    .await
    .map_err(ApiError::internal)?;
    Ok(Json(Paged::of(rows, &page, fulfilments_cursor)))
}
