//! The order reads: one order (from the read model, or `?as_of=` folded from its own
//! events), and the caller's orders page by page.

use std::collections::{HashMap, HashSet};

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use http_kernel::{ApiError, Caller, Json, PageCursor, Path, Query, min_position};
use shared_kernel::ids::OrderId;
use shared_kernel::{Aggregate, StreamId};

use super::openapi::{AsOfParams, MinPositionHeader, OrdersParams, Problem};
use super::orders::{OrderingApi, parse_order_id};
use crate::domain::Order;
use crate::projections::{
    ORDERS, ORDERS_CURSOR, OrderDetail, OrderSummary, find_order, list_orders, orders_cursor,
};

const DEFAULT_PAGE: u32 = 20;
const MAX_PAGE: u32 = 100;

/// The order as `caller` may see it, folded from its own events recorded up to `until`
/// (all of them when `None`).
async fn order_from_events(
    api: &OrderingApi,
    caller: &Caller,
    order_id: OrderId,
    until: Option<DateTime<Utc>>,
) -> Result<Option<OrderDetail>, ApiError> {
    let stream = StreamId::of(Order::KIND, order_id);
    let events = api
        .extra
        .read_stream(&stream, 1)
        .await
        .map_err(ApiError::internal)?;
    let until: Vec<_> = events
        .into_iter()
        .take_while(|e| until.is_none_or(|until| e.recorded_at <= until))
        .collect();
    OrderDetail::seen_by(&until, caller.user_id).map_err(ApiError::internal)
}

#[utoipa::path(
    get,
    path = "/api/v1/orders/{id}",
    tag = "ordering",
    summary = "An order (its buyer or a seller of its lines), now or as it was",
    params(("id" = String, Path, description = "The order id (UUID)"), AsOfParams, MinPositionHeader),
    responses(
        (status = 200, description = "The order", body = OrderDetail),
        (status = 400, description = "`invalid_min_position`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such order (at `as_of`), or the caller neither bought nor sells it", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: `as_of` is not an RFC 3339 time", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the orders read model has not reached `Agora-Min-Position` in time", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn get_order(
    State(api): State<OrderingApi>,
    caller: Caller,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    // A malformed header or timestamp is the request's fault whatever the id: check them first.
    let position = min_position(&headers)?;
    let as_of = query
        .get("as_of")
        .map(|t| {
            DateTime::parse_from_rfc3339(t)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    ApiError::Validation(format!(
                        "as_of must be an RFC 3339 timestamp such as 2026-01-31T12:00:00Z, got {t:?}"
                    ))
                })
        })
        .transpose()?;
    let order_id = parse_order_id(&id)?;
    let me = caller.user_id.to_string();
    let order = match as_of {
        Some(as_of) => order_from_events(&api, &caller, order_id, Some(as_of)).await?,
        None => {
            if let Some(position) = position {
                api.wait_until(ORDERS, position).await?;
            }
            match find_order(&api.read, &order_id.to_string())
                .await
                .map_err(ApiError::internal)?
            {
                Some(order) if order.is_buyer(&me) => Some(order),
                // A seller's part: from the order's events, which say whose each step was.
                Some(order) if order.sells(&me) => {
                    order_from_events(&api, &caller, order_id, None).await?
                }
                _ => None,
            }
        }
    };
    order
        .map(|order| Json(order).into_response())
        .ok_or_else(|| ApiError::NotFound("order".into()))
}

#[utoipa::path(
    get,
    path = "/api/v1/orders",
    tag = "ordering",
    summary = "The caller's orders, newest first",
    params(OrdersParams, MinPositionHeader),
    responses(
        (status = 200, description = "A page of orders", body = http_kernel::Paged<OrderSummary>),
        (status = 400, description = "`invalid_cursor`; `invalid_min_position`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: `limit` not 1 to 100, or an unknown parameter", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the orders read model has not reached `Agora-Min-Position` in time", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn my_orders(
    State(api): State<OrderingApi>,
    caller: Caller,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let known: HashSet<&str> = ["limit", "cursor"].into();
    if let Some(unknown) = query.keys().find(|k| !known.contains(k.as_str())) {
        return Err(ApiError::Validation(format!(
            "unknown parameter {unknown:?}"
        )));
    }
    let limit = match query.get("limit") {
        None => DEFAULT_PAGE,
        Some(l) => l
            .parse::<u32>()
            .ok()
            .filter(|l| (1..=MAX_PAGE).contains(l))
            .ok_or_else(|| ApiError::Validation(format!("limit must be 1 to {MAX_PAGE}")))?,
    };
    let cursor = query
        .get("cursor")
        .map(|c| PageCursor::decode(c, ORDERS_CURSOR))
        .transpose()?;
    api.wait_for(&headers, &[ORDERS]).await?;
    let page = http_kernel::Page {
        limit,
        cursor: None,
    };
    let rows = list_orders(
        &api.read,
        &caller.user_id.to_string(),
        cursor.as_ref(),
        page.fetch(),
    )
    .await
    .map_err(ApiError::internal)?;
    Ok(Json(http_kernel::Paged::of(rows, &page, orders_cursor)).into_response())
}
