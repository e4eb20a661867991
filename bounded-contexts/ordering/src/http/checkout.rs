//! `POST /api/v1/cart/checkout`: the caller's cart becomes an order, at the prices the cart
//! recorded. The route prices the cart now (as `POST /orders` prices lines); when a price
//! moved it has the cart record the new prices and answers 409 `prices_changed` with those
//! lines (seen and now), so the next checkout charges what was just shown. Otherwise it sends
//! `check_out_cart` ([`crate::application::cart`]), which empties the cart with
//! `CartCheckedOut` and places the order through the order's own command.

use axum::extract::State;
use event_schemas::cart::RepricedLine;
use event_schemas::ordering::{PaymentInstruction, ShippingAddress};
use http_kernel::{ApiError, Caller, CommandIds, Json, Written};
use serde::{Deserialize, Serialize};
use shared_kernel::ids::{OrderId, PaymentId};
use shared_kernel::{Money, RejectionKind};
use utoipa::ToSchema;

use super::OrderingApi;
use super::cart::{load_cart, on_cart};
use super::orders::placed;
use super::pricing::price_now;
use crate::application::cart::{CartRequest, priced_line};
use crate::application::{CartState, OrderState};
use crate::domain::{Cart, CartError};

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

/// A line of a 409 `prices_changed` problem (its `changed_lines` member).
#[derive(Debug, Serialize)]
struct ChangedLine {
    sku: String,
    product_id: String,
    title: String,
    quantity: i64,
    /// The unit price the buyer had been shown.
    seen: Money,
    /// The unit price now, recorded in the cart: the next checkout charges it.
    now: Money,
}

/// 409 `prices_changed`: the moved prices in the message (as money) and, as the problem's
/// `changed_lines`, each line with its prices in minor units.
fn prices_changed(cart: &Cart, changed: Vec<RepricedLine>) -> ApiError {
    let count = changed.len();
    let lines: Vec<ChangedLine> = changed
        .iter()
        .filter_map(|c| {
            let line = cart.line(&c.sku)?;
            Some(ChangedLine {
                sku: c.sku.clone(),
                product_id: line.product_id.to_string(),
                title: line.title.clone(),
                quantity: line.quantity,
                seen: c.was,
                now: c.now,
            })
        })
        .collect();
    ApiError::Refused {
        kind: RejectionKind::Conflict,
        code: "prices_changed".to_owned(),
        message: format!(
            "{count} line(s) changed price since they were shown ({}); the cart now shows the \
             new prices, and checking out again charges them",
            crate::domain::describe_repriced(&changed)
        ),
        details: Some(serde_json::json!({ "changed_lines": lines })),
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/cart/checkout",
    summary = "Check the caller's cart out: place its order at the prices it shows",
    request_body = CartCheckout,
    responses(
        (status = 202, description = "Placed: the cart is empty and the order goes on as `POST /orders`' does; `Location` names the order. A retry with the same `Idempotency-Key` names the same order and places no other. When the reply is late, the body is the pending command's instead (its `id` the order's)", body = OrderState,
            headers(("Location" = String, description = "The order: `/api/v1/orders/{id}` (the command's status when the reply is late)"))),
        (status = 409, description = "`prices_changed`: some line's price is no longer the one shown (the message names them, as money); the problem's `changed_lines` lists them (`sku`, `product_id`, `title`, `quantity`, `seen`, `now`, amounts in minor units), and the cart now records the new prices, so checking out again charges them. `cart_changed`: the cart changed during the checkout"),
        (status = 422, description = "`cart_empty`; `validation_failed` (address: `shipping_address.country` an ISO 3166-1 alpha-2 code, payment); `product_unavailable`; `unknown_product`; `own_product`; `mixed_currencies`"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn check_out(
    State(api): State<OrderingApi>,
    caller: Caller,
    ids: CommandIds,
    Json(req): Json<CartCheckout>,
) -> Result<Written<OrderState>, ApiError> {
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
            return Err(ApiError::refused(
                RejectionKind::Invalid,
                "cart_empty",
                "the cart is empty: add lines first",
            ));
        }
        let now = price_now(&api, &cart.lines, true).await?;
        match cart.changed_prices(&now) {
            Ok(changed) if changed.is_empty() => {}
            Ok(changed) => {
                let reprice = CartRequest::RepriceCart {
                    lines: now.into_iter().map(priced_line).collect(),
                };
                let reprice_ids = CommandIds::of(ids.derive("reprice"));
                let _: Written<CartState> = on_cart(&api, &caller, reprice_ids, reprice).await?;
                return Err(prices_changed(&cart, changed));
            }
            Err(e @ CartError::Changed) => return Err(ApiError::rejection(&e)),
            Err(e) => return Err(ApiError::Internal(e.to_string().into())),
        }
        now.into_iter().map(priced_line).collect()
    };
    let command = CartRequest::CheckOutCart {
        order_id,
        payment_id: PaymentId::derived(ids.command_id(), "payment"),
        lines,
        shipping_address: req.shipping_address,
        payment: req.payment,
    };
    let written = api
        .command_creating(
            &caller,
            ids,
            &crate::application::OrderingCommand::from(command),
            Some(order_id.to_string()),
        )
        .await?;
    Ok(placed(written, order_id))
}
