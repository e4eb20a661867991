//! `/api/v1/cart`: the caller's cart. Lines are priced (as `POST /orders` prices them) when
//! they are added or changed, and that price is what the cart records; the checkout
//! ([`super::checkout`]) charges exactly it, or answers 409 with the lines whose price moved.
//! `GET /cart` reads the carts read model and shows each line's current price beside the
//! recorded one.

use axum::extract::State;
use event_schemas::cart::CartLine;
use http_kernel::{ApiError, Caller, CommandIds, Json, Path, Written};
use serde::{Deserialize, Serialize};
use shared_kernel::{Aggregate, Money, RejectionKind, StreamId};
use utoipa::ToSchema;

use super::OrderingApi;
use super::pricing::{price_now, price_one};
use crate::application::cart::CartRequest;
use crate::application::{CartState, OrderingCommand};
use crate::domain::{Cart, total_of};
use crate::projections::find_cart;

/// A line to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "product_id": "0190f0a4-5b7c-7d2e-8f00-0123456789ab", "quantity": 1 }))]
pub(super) struct AddCartLine {
    /// Any text: one that is not a product id names no product.
    product_id: String,
    /// The variant; the product's own sku when absent. The line's key in the cart.
    #[serde(default)]
    sku: Option<String>,
    /// 1 to 10,000 (adding a sku already in the cart adds up).
    quantity: i64,
}

/// A line's new quantity.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "quantity": 3 }))]
pub(super) struct ChangeCartLine {
    /// 1 to 10,000.
    quantity: i64,
}

/// A line of `GET /cart`.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct CartLineView {
    #[schema(format = Uuid)]
    product_id: String,
    /// The line's key (`/cart/lines/{sku}`).
    sku: String,
    #[schema(format = Uuid)]
    seller_id: String,
    title: String,
    quantity: i64,
    /// The unit price recorded when the line was added or last changed: what a checkout
    /// charges.
    unit_price: Money,
    /// `unit_price` times `quantity`; null on overflow.
    line_total: Option<Money>,
    /// The catalog's unit price now; null when the product cannot be ordered now.
    current_unit_price: Option<Money>,
    /// The catalog's price differs from the recorded one: a checkout answers 409 and records it.
    price_changed: bool,
    /// The product can be ordered now.
    available: bool,
}

impl CartLineView {
    fn new(line: CartLine, now: Option<Money>) -> Self {
        Self {
            product_id: line.product_id.to_string(),
            seller_id: line.seller_id.to_string(),
            line_total: line.unit_price.checked_mul(line.quantity).ok(),
            price_changed: now.is_some_and(|n| n != line.unit_price),
            available: now.is_some(),
            current_unit_price: now,
            sku: line.sku,
            title: line.title,
            quantity: line.quantity,
            unit_price: line.unit_price,
        }
    }
}

/// `GET /cart`.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct CartView {
    lines: Vec<CartLineView>,
    line_count: usize,
    /// The sum at the recorded prices (what a checkout charges); null for an empty cart.
    total: Option<Money>,
    /// The sum at the catalog's prices now; null when empty or a product cannot be ordered.
    current_total: Option<Money>,
    /// Some line's price changed since it was recorded.
    prices_changed: bool,
    /// RFC 3339: the last change; null when the caller never had a cart.
    #[schema(format = DateTime)]
    updated_at: Option<String>,
    /// The cart stream's version as the read model has it (0: none).
    version: i64,
}

/// The caller's cart as the store has it now (what a write decides on, not a read model).
pub(super) async fn load_cart(api: &OrderingApi, caller: &Caller) -> Result<Cart, ApiError> {
    let stream = StreamId::of(Cart::KIND, caller.user_id);
    shared_kernel::application::load::<Cart>(api.extra.as_ref(), &stream)
        .await
        .map(|loaded| loaded.state)
        .map_err(ApiError::internal)
}

/// Sends a cart command for the caller.
pub(super) async fn on_cart<T: serde::de::DeserializeOwned>(
    api: &OrderingApi,
    caller: &Caller,
    ids: CommandIds,
    command: CartRequest,
) -> Result<Written<T>, ApiError> {
    api.command(caller, ids, &OrderingCommand::from(command))
        .await
}

#[utoipa::path(
    post,
    path = "/api/v1/cart/lines",
    summary = "Add a line to the caller's cart (the same sku again adds up)",
    request_body = AddCartLine,
    responses(
        (status = 200, description = "The cart after the addition, at the prices recorded (the catalog's now)", body = CartState),
        (status = 422, description = "`validation_failed` (quantity, at most 100 lines); `unknown_product`; `unknown_variant`, `variant_required`; `product_unavailable`; `own_product`; `mixed_currencies`"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn add_line(
    State(api): State<OrderingApi>,
    caller: Caller,
    ids: CommandIds,
    Json(req): Json<AddCartLine>,
) -> Result<Written<CartState>, ApiError> {
    let line = price_one(&api, req.product_id, req.sku.as_deref(), req.quantity).await?;
    on_cart(&api, &caller, ids, CartRequest::AddCartLine { line }).await
}

#[utoipa::path(
    patch,
    path = "/api/v1/cart/lines/{sku}",
    summary = "Set the quantity of a cart line (at the catalog's price now)",
    params(("sku" = String, Path, description = "The line's sku")),
    request_body = ChangeCartLine,
    responses(
        (status = 200, description = "The cart after the change", body = CartState),
        (status = 404, description = "`cart_line_not_found`"),
        (status = 422, description = "`validation_failed` (quantity); `product_unavailable`"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn change_line(
    State(api): State<OrderingApi>,
    caller: Caller,
    ids: CommandIds,
    Path(sku): Path<String>,
    Json(req): Json<ChangeCartLine>,
) -> Result<Written<CartState>, ApiError> {
    let cart = load_cart(&api, &caller).await?;
    let Some(line) = cart.line(&sku) else {
        return Err(ApiError::refused(
            RejectionKind::NotFound,
            "cart_line_not_found",
            "no line of this sku in the cart",
        ));
    };
    let line = price_one(&api, line.product_id.to_string(), Some(&sku), req.quantity).await?;
    on_cart(&api, &caller, ids, CartRequest::ChangeCartLine { line }).await
}

#[utoipa::path(
    delete,
    path = "/api/v1/cart/lines/{sku}",
    summary = "Remove a line from the caller's cart",
    params(("sku" = String, Path, description = "The line's sku")),
    responses(
        (status = 200, description = "The cart after the removal", body = CartState),
        (status = 404, description = "`cart_line_not_found`"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn remove_line(
    State(api): State<OrderingApi>,
    caller: Caller,
    ids: CommandIds,
    Path(sku): Path<String>,
) -> Result<Written<CartState>, ApiError> {
    on_cart(&api, &caller, ids, CartRequest::RemoveCartLine { sku }).await
}

#[utoipa::path(
    get,
    path = "/api/v1/cart",
    summary = "The caller's cart: each line at its recorded price beside the catalog's now",
    responses((status = 200, description = "The cart (empty when there is none)", body = CartView)),
    security(("bearer" = [])),
)]
pub(super) async fn get_cart(
    State(api): State<OrderingApi>,
    caller: Caller,
) -> Result<Json<CartView>, ApiError> {
    let cart = find_cart(&api.read, &caller.user_id.to_string())
        .await
        .map_err(ApiError::internal)?;
    let (lines, updated_at, version) = cart.map_or((Vec::new(), None, 0), |c| {
        (c.lines, Some(c.updated_at), c.version)
    });
    let now = prices_now(&api, &lines).await;
    let total = total_of(&lines).ok().flatten();
    let current: Option<Vec<CartLine>> = lines
        .iter()
        .zip(&now)
        .map(|(l, now)| {
            now.map(|unit_price| CartLine {
                unit_price,
                ..l.clone()
            })
        })
        .collect();
    let current_total = current.and_then(|c| total_of(&c).ok().flatten());
    let views: Vec<CartLineView> = lines
        .into_iter()
        .zip(now)
        .map(|(line, now)| CartLineView::new(line, now))
        .collect();
    Ok(Json(CartView {
        prices_changed: views.iter().any(|l| l.price_changed),
        line_count: views.len(),
        lines: views,
        total,
        current_total,
        updated_at,
        version,
    }))
}

/// Each line's unit price now (`None`: it cannot be ordered now). All lines in one lookup;
/// when one of them cannot be priced, each on its own.
async fn prices_now(api: &OrderingApi, lines: &[CartLine]) -> Vec<Option<Money>> {
    if lines.is_empty() {
        return Vec::new();
    }
    if let Ok(priced) = price_now(api, lines, false).await {
        return priced.into_iter().map(|p| Some(p.unit_price)).collect();
    }
    let mut each = Vec::with_capacity(lines.len());
    for line in lines {
        let priced = price_now(api, std::slice::from_ref(line), false).await;
        each.push(priced.ok().and_then(|p| p.first().map(|l| l.unit_price)));
    }
    each
}
