//! `/api/v1/orders`: a buyer places an order, lists theirs, cancels one (or lines not yet
//! shipped); the buyer and the sellers of its lines read it, now or as it was (`?as_of=`,
//! folded from the order's own events). The buyer reads all of it; a seller their part only
//! (the order as if it held only their lines, without the payment).

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use event_schemas::ordering::{PaymentInstruction, ShippingAddress};
use http_kernel::{
    ApiError, AsOf, Caller, CommandIds, Json, OptionalJson, Page, PageCursor, Paged, Path, Query,
    Written,
};
use serde::Deserialize;
use shared_kernel::ids::{OrderId, PaymentId};
use shared_kernel::{Aggregate, StreamId};
use utoipa::ToSchema;

use super::pricing::priced;
use super::{ORDER_ID, OrderingApi, order_id, order_location};
use crate::application::{LineRequest, OrderRequest, OrderState, OrderingCommand};
use crate::domain::{Order, buyer_cancelled_reason};
use crate::projections::{
    ORDERS, ORDERS_CURSOR, OrderDetail, OrderSummary, find_order, list_orders, orders_cursor,
};

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

/// Which lines to cancel; absent (or an empty body): the whole order.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "lines": ["CLOCK-1"] }))]
pub(super) struct CancelLines {
    /// The skus of the lines to cancel (not yet shipped).
    #[serde(default)]
    lines: Option<Vec<String>>,
}

#[utoipa::path(
    post,
    path = "/api/v1/orders",
    summary = "Place an order",
    request_body = PlaceOrder,
    responses(
        (status = 202, description = "Placed: the order goes on (payment, then stock) without the caller; `Location` names the order. When the reply is late, the body is the pending command's instead (its `location` the command's status, its `id` the order's)", body = OrderState,
            headers(("Location" = String, description = "The order: `/api/v1/orders/{id}` (the command's status when the reply is late)"))),
        (status = 409, description = "`order_exists`"),
        (status = 422, description = "`validation_failed` (lines, quantities, address: `shipping_address.country` an ISO 3166-1 alpha-2 code, payment); `unknown_product`; `product_unavailable` (not active); `variant_required`: the product has several variants and the line names no `sku`; `unknown_variant`: the `sku` is no variant of the product; `own_product` (the caller sells it); `mixed_currencies`"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn place_order(
    State(api): State<OrderingApi>,
    caller: Caller,
    ids: CommandIds,
    Json(req): Json<PlaceOrder>,
) -> Result<Written<OrderState>, ApiError> {
    let lines = priced(&api, req.lines).await?;
    let order_id = OrderId::derived(ids.command_id(), "order");
    let command = OrderRequest::PlaceOrder {
        order_id,
        lines,
        shipping_address: req.shipping_address,
        payment: req.payment,
        payment_id: PaymentId::derived(ids.command_id(), "payment"),
    };
    let written = on_order(&api, &caller, ids, command).await?;
    Ok(placed(written, order_id))
}

/// A placed order's answer: 202 with `Location` naming the order (a late reply keeps its own).
pub(super) fn placed(written: Written<OrderState>, order_id: OrderId) -> Written<OrderState> {
    written
        .created(|_| order_location(order_id))
        .with_status(StatusCode::ACCEPTED)
}

#[utoipa::path(
    get,
    path = "/api/v1/orders",
    summary = "The caller's orders, newest first",
    params(Page),
    responses((status = 200, description = "A page of orders", body = Paged<OrderSummary>)),
    security(("bearer" = [])),
)]
pub(super) async fn my_orders(
    State(api): State<OrderingApi>,
    caller: Caller,
    page: Page,
) -> Result<Json<Paged<OrderSummary>>, ApiError> {
    let after: Option<PageCursor> = page.after(ORDERS_CURSOR)?;
    let rows = list_orders(
        &api.read,
        &caller.user_id.to_string(),
        after.as_ref(),
        page.fetch(),
    )
    .await
    .map_err(ApiError::internal)?;
    Ok(Json(Paged::of(rows, &page, orders_cursor)))
}

#[utoipa::path(
    get,
    path = "/api/v1/orders/{id}",
    summary = "An order: all of it for its buyer, their part for a seller of its lines; now or as it was",
    description = "The buyer sees the whole order (`part`: `whole`). A seller of some of its lines sees their part (`part`: `seller`): the order as if it held only their lines (those lines and their total, their fulfilment with its returns, the shipping address, the history of their part and a status to match), without the payment and without anything of the other sellers' lines. `?as_of=` answers the order as it was then, shown the same way.",
    params(("id" = String, Path, description = ORDER_ID), AsOf),
    responses(
        (status = 200, description = "The order, or the caller's part of it", body = OrderDetail),
        (status = 404, description = "`not_found`: no such order (at `as_of`), or the caller neither bought it nor sells any of its lines"),
        (status = 422, description = "`validation_failed`: `as_of` is not an RFC 3339 time, or is later than now"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn get_order(
    State(api): State<OrderingApi>,
    caller: Caller,
    Path(id): Path<String>,
    Query(query): Query<AsOf>,
) -> Result<Json<OrderDetail>, ApiError> {
    // A malformed time is the request's fault whatever the id: checked first.
    let as_of = query.instant()?;
    let order_id = order_id(&id)?;
    let order = match as_of {
        Some(as_of) => from_events(&api, &caller, order_id, Some(as_of)).await?,
        None => now(&api, &caller, order_id).await?,
    };
    order
        .map(Json)
        .ok_or_else(|| ApiError::NotFound("order".into()))
}

/// The order now, as the caller may see it: the buyer's from the read model (looked up again
/// once it has caught up, when it has no such order yet), a seller's part from the order's
/// events, which say whose each step was.
async fn now(
    api: &OrderingApi,
    caller: &Caller,
    order_id: OrderId,
) -> Result<Option<OrderDetail>, ApiError> {
    let id = order_id.to_string();
    let find = || async { find_order(&api.read, &id).await.map_err(ApiError::internal) };
    let order = match find().await? {
        Some(order) => Some(order),
        None => {
            api.caught_up(ORDERS).await?;
            find().await?
        }
    };
    let me = caller.user_id.to_string();
    match order {
        Some(order) if order.is_buyer(&me) => Ok(Some(order)),
        Some(order) if order.sells(&me) => from_events(api, caller, order_id, None).await,
        _ => Ok(None),
    }
}

/// The order as the caller may see it, folded from its own events recorded up to `until`
/// (all of them when `None`).
async fn from_events(
    api: &OrderingApi,
    caller: &Caller,
    order_id: OrderId,
    until: Option<DateTime<Utc>>,
) -> Result<Option<OrderDetail>, ApiError> {
    let stream = StreamId::of(Order::KIND, order_id);
    let mut events = api
        .extra
        .read_stream(&stream, 1)
        .await
        .map_err(ApiError::internal)?;
    if let Some(until) = until {
        events.retain(|e| e.recorded_at <= until);
    }
    OrderDetail::seen_by(&events, caller.user_id).map_err(ApiError::internal)
}

#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/cancel",
    summary = "Cancel an order, or some of its lines not yet shipped (the buyer)",
    description = "Without a body (or without `lines`): the whole order, until any of it is shipped; its stock is given back and its payment voided or refunded. With `lines` (skus): those lines of a paid order, as long as they are not shipped; their stock is given back and their totals refunded. Cancelling every line left is cancelling the order.",
    params(("id" = String, Path, description = ORDER_ID)),
    request_body(content = Option<CancelLines>, description = "Optional: an empty body cancels the whole order", content_type = "application/json"),
    responses(
        (status = 200, description = "Done: the order's id and status", body = OrderState),
        (status = 403, description = "`forbidden`: a seller of the order tried to cancel it"),
        (status = 404, description = "`not_found`: no such order, or the caller neither bought nor sells it"),
        (status = 409, description = "`order_shipped`: (those lines) already shipped; `invalid_order_state` (rejected, or some lines of an unpaid order)"),
        (status = 422, description = "`unknown_line`: the order has no line with that sku"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn cancel_order(
    State(api): State<OrderingApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    OptionalJson(req): OptionalJson<CancelLines>,
) -> Result<Written<OrderState>, ApiError> {
    let order_id = order_id(&id)?;
    let command = match req.lines {
        Some(skus) => OrderRequest::CancelOrderLines { order_id, skus },
        None => OrderRequest::CancelOrder {
            order_id,
            reason: buyer_cancelled_reason().to_owned(),
            by: Some(caller.user_id),
        },
    };
    on_order(&api, &caller, ids, command).await
}

/// Sends `command` about an existing order: its typed answer, or 202 naming the order when the
/// reply is late.
pub(super) async fn on_order<T: serde::de::DeserializeOwned>(
    api: &OrderingApi,
    caller: &Caller,
    ids: CommandIds,
    command: OrderRequest,
) -> Result<Written<T>, ApiError> {
    let order_id = Some(command.order_id().to_string());
    let command = OrderingCommand::from(command);
    api.command_creating(caller, ids, &command, order_id).await
}
