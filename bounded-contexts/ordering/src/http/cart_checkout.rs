//! `POST /api/v1/cart/checkout`: the caller's cart becomes an order, at the prices the cart
//! recorded. The route prices the cart now (as `POST /orders` prices lines); when a price
//! moved it has the cart record the new prices and answers 409 `prices_changed` with those
//! lines (seen and now), so the next checkout charges what was just shown. Otherwise it sends
//! `check_out_cart` ([`crate::application::cart`]), which empties the cart with
//! `CartCheckedOut` and places the order through the order's own command.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use event_schemas::ordering::{PaymentInstruction, ShippingAddress};
use http_kernel::{ApiError, Caller, CommandIds, Json, Problem};
use serde::{Deserialize, Serialize};
use shared_kernel::RejectionKind;
use shared_kernel::ids::{OrderId, PaymentId};
use utoipa::ToSchema;

use super::cart::{load_cart, price_now};
use super::cart_openapi::ChangedLine;
use super::openapi::{IdempotencyKeyHeader, MinPositionHeader, OrderAccepted};
use super::orders::OrderingApi;
use crate::application::cart::{CartMessage, priced_line};
use crate::domain::{Cart, CartError};
use crate::projections::ORDERING_PRODUCTS;

/// Where the order goes and how it is paid (the lines are the cart's).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "shipping_address": {
        "name": "Ada Lovelace", "line1": "12 St James's Square", "city": "London",
        "postal_code": "SW1Y 4JH", "country": "GB"
    },
    "payment": { "method": "card", "token": "tok_ok" }
}))]
pub(super) struct CartCheckout {
    shipping_address: ShippingAddress,
    payment: PaymentInstruction,
}

/// 409 `prices_changed`: the problem, and the lines whose price moved.
#[derive(Debug, Serialize)]
struct PricesChanged {
    #[serde(flatten)]
    problem: Problem,
    changed_lines: Vec<ChangedLine>,
}

fn prices_changed(cart: &Cart, changed: Vec<event_schemas::cart::RepricedLine>) -> Response {
    let changed_lines: Vec<ChangedLine> = changed
        .into_iter()
        .filter_map(|c| {
            let line = cart.line(&c.sku)?;
            Some(ChangedLine {
                product_id: line.product_id.to_string(),
                title: line.title.clone(),
                quantity: line.quantity,
                seen: c.was,
                now: c.now,
                sku: c.sku,
            })
        })
        .collect();
    let body = PricesChanged {
        problem: Problem::new(
            StatusCode::CONFLICT,
            "prices_changed",
            format!(
                "{} line(s) changed price since they were shown; the cart now shows the new \
                 prices, and checking out again charges them",
                changed_lines.len()
            ),
        ),
        changed_lines,
    };
    let mut response = (StatusCode::CONFLICT, Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

fn rejected(kind: RejectionKind, code: &str, message: &str) -> ApiError {
    ApiError::refused(kind, code, message)
}

#[utoipa::path(
    post,
    path = "/api/v1/cart/checkout",
    tag = "ordering",
    summary = "Check the caller's cart out: place its order at the prices it shows",
    params(IdempotencyKeyHeader, MinPositionHeader),
    request_body = CartCheckout,
    responses(
        (status = 202, description = "Placed: the cart is empty and the order goes on as `POST /orders`' does; `Location` names the order. A retry with the same `Idempotency-Key` names the same order and places no other", body = OrderAccepted,
            headers(("Location" = String, description = "The order: `/api/v1/orders/{id}`"), ("Agora-Position" = u64, description = "Global position of the write's last event"))),
        (status = 400, description = "`malformed_json`; `invalid_min_position`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`prices_changed`: some line's price is no longer the one shown; the body's `changed_lines` lists them (`sku`, `product_id`, `title`, `quantity`, `seen`, `now`), and the cart now records the new prices, so checking out again charges them. `cart_changed`: the cart changed during the checkout; `concurrency_conflict`; `idempotency_key_in_flight`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`cart_empty`; `validation_failed` (address, payment); `product_unavailable`; `unknown_product`; `own_product`; `mixed_currencies`; `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn check_out(
    State(api): State<OrderingApi>,
    caller: Caller,
    ids: CommandIds,
    headers: HeaderMap,
    Json(req): Json<CartCheckout>,
) -> Result<Response, ApiError> {
    api.wait_for(&headers, &[ORDERING_PRODUCTS]).await?;
    let order_id = OrderId::derived(ids.command_id(), "order");
    let cart = load_cart(&api, &caller).await?;
    // A retry of a checkout the cart recorded (the response was lost): the handler finds its
    // first result, and places the order if that had not happened yet.
    let retried = cart
        .last_checkout
        .as_ref()
        .is_some_and(|c| c.order_id == order_id);
    let lines = if retried {
        Vec::new()
    } else {
        if cart.lines.is_empty() {
            return Err(rejected(
                RejectionKind::Invalid,
                "cart_empty",
                "the cart is empty: add lines first",
            ));
        }
        let now = price_now(&api, api.read_wait, &cart.lines).await?;
        match cart.changed_prices(&now) {
            Ok(changed) if changed.is_empty() => {}
            Ok(changed) => {
                let reprice = CartMessage::RepriceCart {
                    lines: now.into_iter().map(priced_line).collect(),
                };
                let reprice_ids = CommandIds::of(ids.derive("reprice"));
                api.send(&caller, reprice_ids, &reprice, StatusCode::OK)
                    .await?;
                return Ok(prices_changed(&cart, changed));
            }
            Err(e @ CartError::Changed) => {
                return Err(rejected(
                    RejectionKind::Conflict,
                    "cart_changed",
                    &e.to_string(),
                ));
            }
            Err(e) => return Err(ApiError::Internal(e.to_string().into())),
        }
        now.into_iter().map(priced_line).collect()
    };
    let command = CartMessage::CheckOutCart {
        order_id,
        payment_id: PaymentId::derived(ids.command_id(), "payment"),
        lines,
        shipping_address: req.shipping_address,
        payment: req.payment,
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
    if response.status() == StatusCode::ACCEPTED
        && let Ok(location) = HeaderValue::from_str(&format!("/api/v1/orders/{order_id}"))
        && !response.headers().contains_key(header::LOCATION)
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}
