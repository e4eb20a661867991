//! `/api/v1/orders`: commands go to the bus, reads come from the orders read model, and
//! `?as_of=` folds the order's own events up to that instant.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use event_schemas::ordering::{PaymentInstruction, ShippingAddress};
use http_kernel::{ApiError, Caller, CommandIds, Json, PageCursor, Path, Query, min_position};
use projections::{Progress, WaitError};
use serde::Deserialize;
use shared_kernel::ids::{OrderId, PaymentId, ProductId, UserId};
use shared_kernel::{Aggregate, CommandBus, EventStore, Money, StreamId};
use sqlx::AnyPool;

use crate::application::{OrderingCommand, PricedLineInput};
use crate::domain::Order;
use crate::projections::{
    ORDERING_PRODUCTS, ORDERS, ORDERS_CURSOR, OrderView, OrderableProduct, find_order,
    find_products, list_orders,
};

/// How often a new order looks again for products ordering has not seen yet.
const PRODUCT_POLL: Duration = Duration::from_millis(25);
const DEFAULT_PAGE: u32 = 20;
const MAX_PAGE: u32 = 100;
const MAX_LINES: usize = 100;

/// What the routes need.
#[derive(Debug, Clone)]
pub struct OrderingApi {
    pub bus: Arc<dyn CommandBus>,
    pub read: AnyPool,
    /// The event store, for `?as_of=` reads of an order's own stream.
    pub store: Arc<dyn EventStore>,
    pub progress: Progress,
    /// How long a read with `Agora-Min-Position` (or an order naming a product ordering has not
    /// seen yet) may wait for the read model.
    pub read_wait: Duration,
}

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
struct LineRequest {
    product_id: String,
    quantity: i64,
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

/// Sends `command` for `caller`; a reply that does not come in time is not an error.
async fn send(
    api: &OrderingApi,
    caller: &Caller,
    ids: CommandIds,
    command: &OrderingCommand,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let envelope = command
        .envelope(ids.command_id(), caller.user_id)
        .map_err(ApiError::internal)?;
    http_kernel::send_command(
        api.bus.as_ref(),
        envelope,
        "ordering",
        status,
        Some(command.order_id().to_string()),
    )
    .await
}

fn parse_order_id(id: &str) -> Result<OrderId, ApiError> {
    id.parse().map_err(|_| ApiError::NotFound("order".into()))
}

/// Waits until `projection` has reached `position`, answering 503 when it does not in time.
async fn wait_for(api: &OrderingApi, projection: &str, position: u64) -> Result<(), ApiError> {
    match api
        .progress
        .wait_for(projection, position, api.read_wait)
        .await
    {
        Ok(()) => Ok(()),
        Err(WaitError::TimedOut(_) | WaitError::UnknownProjection(_)) => {
            Err(ApiError::Unavailable {
                detail: format!("{projection} has not reached position {position} yet"),
                retry_after_secs: 1,
            })
        }
        Err(WaitError::Store(e)) => Err(ApiError::internal(e)),
    }
}

/// The requested lines, one per product (repeated products add up), in request order.
fn merge_lines(lines: Vec<LineRequest>) -> Result<Vec<(ProductId, i64)>, ApiError> {
    if lines.is_empty() {
        return Err(ApiError::Validation(
            "an order needs at least one line".into(),
        ));
    }
    if lines.len() > MAX_LINES {
        return Err(ApiError::Validation(format!("at most {MAX_LINES} lines")));
    }
    let mut merged: Vec<(ProductId, i64)> = Vec::with_capacity(lines.len());
    for line in lines {
        if line.quantity < 1 {
            return Err(ApiError::Validation(format!(
                "quantity must be at least 1, got {}",
                line.quantity
            )));
        }
        let product_id: ProductId = line.product_id.parse().map_err(|_| {
            rejected(
                422,
                "unknown_product",
                format!("no product {:?}", line.product_id),
            )
        })?;
        match merged.iter_mut().find(|(p, _)| *p == product_id) {
            Some((_, quantity)) => {
                *quantity = quantity
                    .checked_add(line.quantity)
                    .ok_or_else(|| ApiError::Validation("quantity too large".into()))?;
            }
            None => merged.push((product_id, line.quantity)),
        }
    }
    Ok(merged)
}

/// The products of `ids` from ordering's view of the catalog, waiting (bounded) for ones it
/// has not seen yet: a product created a moment ago may still be on its way.
async fn products_of(
    api: &OrderingApi,
    ids: &[ProductId],
) -> Result<HashMap<String, OrderableProduct>, ApiError> {
    let wanted: Vec<String> = ids.iter().map(ToString::to_string).collect();
    let deadline = tokio::time::Instant::now() + api.read_wait;
    loop {
        let found: HashMap<String, OrderableProduct> = find_products(&api.read, &wanted)
            .await
            .map_err(ApiError::internal)?
            .into_iter()
            .map(|p| (p.product_id.clone(), p))
            .collect();
        let missing = wanted.iter().find(|id| !found.contains_key(*id));
        match missing {
            None => return Ok(found),
            Some(id) if tokio::time::Instant::now() >= deadline => {
                return Err(rejected(422, "unknown_product", format!("no product {id}")));
            }
            Some(_) => tokio::time::sleep(PRODUCT_POLL).await,
        }
    }
}

fn priced(
    product: &OrderableProduct,
    product_id: ProductId,
    quantity: i64,
) -> Result<PricedLineInput, ApiError> {
    if product.status != "active" {
        return Err(rejected(
            422,
            "product_unavailable",
            format!("product {product_id} cannot be ordered"),
        ));
    }
    let seller_id: UserId = product
        .seller_id
        .parse()
        .map_err(|_| ApiError::Internal("corrupt seller id in ordering_products".into()))?;
    let currency = product
        .currency
        .parse()
        .map_err(|_| ApiError::Internal("corrupt currency in ordering_products".into()))?;
    Ok(PricedLineInput {
        product_id,
        sku: product.sku.clone(),
        seller_id,
        title: product.title.clone(),
        quantity,
        unit_price: Money::new(product.price_minor, currency),
    })
}

async fn place_order(
    State(api): State<OrderingApi>,
    caller: Caller,
    ids: CommandIds,
    headers: HeaderMap,
    Json(req): Json<PlaceOrder>,
) -> Result<Response, ApiError> {
    if let Some(position) = min_position(&headers)? {
        wait_for(&api, ORDERING_PRODUCTS, position).await?;
    }
    let wanted = merge_lines(req.lines)?;
    let product_ids: Vec<ProductId> = wanted.iter().map(|(p, _)| *p).collect();
    let products = products_of(&api, &product_ids).await?;
    let mut lines = Vec::with_capacity(wanted.len());
    for (product_id, quantity) in wanted {
        let product = products
            .get(&product_id.to_string())
            .ok_or_else(|| rejected(422, "unknown_product", format!("no product {product_id}")))?;
        lines.push(priced(product, product_id, quantity)?);
    }
    let order_id = OrderId::derived(ids.command_id(), "order");
    let command = OrderingCommand::PlaceOrder {
        order_id,
        lines,
        shipping_address: req.shipping_address,
        payment: req.payment,
        payment_id: PaymentId::derived(ids.command_id(), "payment"),
    };
    let mut response = send(&api, &caller, ids, &command, StatusCode::ACCEPTED).await?;
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
    send(&api, &caller, ids, &command, StatusCode::OK).await
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
    send(&api, &caller, ids, &command, StatusCode::OK).await
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
    send(&api, &caller, ids, &command, StatusCode::OK).await
}

/// The order as it was at `as_of`: its own events recorded up to that instant, folded.
async fn order_as_of(
    api: &OrderingApi,
    order_id: OrderId,
    as_of: DateTime<Utc>,
) -> Result<Option<OrderView>, ApiError> {
    let stream = StreamId::of(Order::KIND, order_id);
    let events = api
        .store
        .read_stream(&stream, 1)
        .await
        .map_err(ApiError::internal)?;
    let until: Vec<_> = events
        .into_iter()
        .take_while(|e| e.recorded_at <= as_of)
        .collect();
    OrderView::from_events(&until).map_err(ApiError::internal)
}

async fn get_order(
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
    let order = match as_of {
        Some(as_of) => order_as_of(&api, order_id, as_of).await?,
        None => {
            if let Some(position) = position {
                wait_for(&api, ORDERS, position).await?;
            }
            find_order(&api.read, &order_id.to_string())
                .await
                .map_err(ApiError::internal)?
        }
    };
    match order {
        Some(order) if order.visible_to(&caller.user_id.to_string()) => {
            Ok(Json(order.to_json()).into_response())
        }
        _ => Err(ApiError::NotFound("order".into())),
    }
}

fn summary_json(o: &OrderView) -> serde_json::Value {
    serde_json::json!({
        "id": o.id,
        "status": o.status,
        "lines": o.lines,
        "total": o.total,
        "payment_id": o.payment_id,
        "created_at": o.created_at,
        "updated_at": o.updated_at,
    })
}

async fn my_orders(
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
    if let Some(position) = min_position(&headers)? {
        wait_for(&api, ORDERS, position).await?;
    }
    let page = list_orders(
        &api.read,
        &caller.user_id.to_string(),
        cursor.as_ref(),
        limit,
    )
    .await
    .map_err(ApiError::internal)?;
    Ok(Json(serde_json::json!({
        "items": page.items.iter().map(summary_json).collect::<Vec<_>>(),
        "next_cursor": page.next.map(|c| c.encode()),
    }))
    .into_response())
}
