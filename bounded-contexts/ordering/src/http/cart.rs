//! `/api/v1/cart`: the caller's cart. Lines are priced by [`priced_lines`] (what `POST /orders`
//! prices with) when they are added or changed, and that price is what the cart records; the
//! checkout ([`super::cart_checkout`]) charges exactly it, or answers 409 with the lines whose
//! price moved. `GET /cart` reads the carts read model and shows each line's current price
//! beside the recorded one.

use shared_kernel::RejectionKind;
use std::collections::HashMap;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use event_schemas::cart::CartLine;
use http_kernel::{ApiError, Caller, CommandIds, Json, Path};
use serde::Deserialize;
use shared_kernel::{Aggregate, Money, StreamId};
use utoipa::ToSchema;

use super::cart_openapi::{CartLineView, CartState, CartView};
use super::openapi::{IdempotencyKeyHeader, MinPositionHeader, PendingCommand, Problem};
use super::orders::{OrderingApi, pricing_problem};
use crate::application::cart::{CartMessage, cart_line};
use crate::application::{LineRequest, PricedLineInput, priced_lines};
use crate::domain::{Cart, total_of};
use crate::projections::{CARTS, ORDERING_PRODUCTS, find_cart};

/// The cart routes (the ordering router's state).
pub(super) fn routes() -> Router<OrderingApi> {
    Router::new()
        .route("/api/v1/cart", get(get_cart))
        .route("/api/v1/cart/lines", post(add_line))
        .route(
            "/api/v1/cart/lines/{sku}",
            patch(change_line).delete(remove_line),
        )
        .route(
            "/api/v1/cart/checkout",
            post(super::cart_checkout::check_out),
        )
}

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

fn rejected(kind: RejectionKind, code: &str, message: impl Into<String>) -> ApiError {
    ApiError::refused(kind, code, message)
}

/// The line as `POST /orders` asks for it: a product and, for a product with several
/// variants, the variant's sku.
fn line_request(product_id: String, sku: Option<&str>, quantity: i64) -> LineRequest {
    LineRequest {
        product_id,
        quantity,
        sku: sku.map(str::to_owned),
    }
}

/// The caller's cart as the store has it now (what a write decides on, not a read model).
pub(super) async fn load_cart(api: &OrderingApi, caller: &Caller) -> Result<Cart, ApiError> {
    let stream = StreamId::of(Cart::KIND, caller.user_id);
    shared_kernel::application::load::<Cart>(api.extra.as_ref(), &stream)
        .await
        .map(|loaded| loaded.state)
        .map_err(ApiError::internal)
}

/// `lines` priced now, each matched to its line by sku.
///
/// # Errors
/// As `POST /orders` prices lines; 422 `product_unavailable` when a product no longer has
/// the line's sku.
pub(super) async fn price_now(
    api: &OrderingApi,
    wait: Duration,
    lines: &[CartLine],
) -> Result<Vec<CartLine>, ApiError> {
    let requests = lines
        .iter()
        .map(|l| line_request(l.product_id.to_string(), Some(&l.sku), l.quantity))
        .collect();
    let priced = priced_lines(&api.read, wait, requests)
        .await
        .map_err(pricing_problem)?;
    let by_sku: HashMap<String, PricedLineInput> =
        priced.into_iter().map(|p| (p.sku.clone(), p)).collect();
    lines
        .iter()
        .map(|line| {
            by_sku
                .get(&line.sku)
                .map(|p| {
                    cart_line(PricedLineInput {
                        quantity: line.quantity,
                        ..p.clone()
                    })
                })
                .ok_or_else(|| {
                    rejected(
                        RejectionKind::Invalid,
                        "product_unavailable",
                        format!("product {} no longer sells {}", line.product_id, line.sku),
                    )
                })
        })
        .collect()
}

/// One line priced now, checked to be the sku asked for.
async fn price_one(
    api: &OrderingApi,
    product_id: String,
    sku: Option<&str>,
    quantity: i64,
) -> Result<PricedLineInput, ApiError> {
    let mut priced = priced_lines(
        &api.read,
        api.read_wait,
        vec![line_request(product_id, sku, quantity)],
    )
    .await
    .map_err(pricing_problem)?;
    let line = priced
        .pop()
        .ok_or_else(|| ApiError::Internal("pricing answered no line".into()))?;
    match sku {
        Some(sku) if sku != line.sku => Err(rejected(
            RejectionKind::Invalid,
            "unknown_variant",
            format!("product {} has no sku {sku:?}", line.product_id),
        )),
        _ => Ok(line),
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/cart/lines",
    tag = "ordering",
    summary = "Add a line to the caller's cart (the same sku again adds up)",
    params(IdempotencyKeyHeader, MinPositionHeader),
    request_body = AddCartLine,
    responses(
        (status = 200, description = "The cart after the addition, at the prices recorded (the catalog's now)", body = CartState,
            headers(("Agora-Position" = u64, description = "Global position of the write's last event: send it as Agora-Min-Position to read your write"))),
        (status = 202, description = "The reply is late: the command may still complete", body = PendingCommand),
        (status = 400, description = "`malformed_json`; `invalid_min_position`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`concurrency_conflict`; `idempotency_key_in_flight`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed` (quantity, at most 100 lines); `unknown_product`; `unknown_variant`, `variant_required`; `product_unavailable`; `own_product`; `mixed_currencies`; `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
async fn add_line(
    State(api): State<OrderingApi>,
    caller: Caller,
    ids: CommandIds,
    headers: HeaderMap,
    Json(req): Json<AddCartLine>,
) -> Result<Response, ApiError> {
    api.wait_for(&headers, &[ORDERING_PRODUCTS]).await?;
    let line = price_one(&api, req.product_id, req.sku.as_deref(), req.quantity).await?;
    let command = CartMessage::AddCartLine { line };
    api.send(&caller, ids, &command, StatusCode::OK).await
}

#[utoipa::path(
    patch,
    path = "/api/v1/cart/lines/{sku}",
    tag = "ordering",
    summary = "Set the quantity of a cart line (at the catalog's price now)",
    params(("sku" = String, Path, description = "The line's sku"), IdempotencyKeyHeader, MinPositionHeader),
    request_body = ChangeCartLine,
    responses(
        (status = 200, description = "The cart after the change", body = CartState,
            headers(("Agora-Position" = u64, description = "Global position of the write's last event"))),
        (status = 202, description = "The reply is late: the command may still complete", body = PendingCommand),
        (status = 400, description = "`malformed_json`; `invalid_min_position`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`cart_line_not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`concurrency_conflict`; `idempotency_key_in_flight`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed` (quantity); `product_unavailable`; `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
async fn change_line(
    State(api): State<OrderingApi>,
    caller: Caller,
    ids: CommandIds,
    headers: HeaderMap,
    Path(sku): Path<String>,
    Json(req): Json<ChangeCartLine>,
) -> Result<Response, ApiError> {
    api.wait_for(&headers, &[ORDERING_PRODUCTS]).await?;
    let cart = load_cart(&api, &caller).await?;
    let Some(line) = cart.line(&sku) else {
        return Err(rejected(
            RejectionKind::NotFound,
            "cart_line_not_found",
            "no line of this sku in the cart",
        ));
    };
    let line = price_one(&api, line.product_id.to_string(), Some(&sku), req.quantity).await?;
    let command = CartMessage::ChangeCartLine { line };
    api.send(&caller, ids, &command, StatusCode::OK).await
}

#[utoipa::path(
    delete,
    path = "/api/v1/cart/lines/{sku}",
    tag = "ordering",
    summary = "Remove a line from the caller's cart",
    params(("sku" = String, Path, description = "The line's sku"), IdempotencyKeyHeader),
    responses(
        (status = 200, description = "The cart after the removal", body = CartState,
            headers(("Agora-Position" = u64, description = "Global position of the write's last event"))),
        (status = 202, description = "The reply is late: the command may still complete", body = PendingCommand),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`cart_line_not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`concurrency_conflict`; `idempotency_key_in_flight`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
async fn remove_line(
    State(api): State<OrderingApi>,
    caller: Caller,
    ids: CommandIds,
    Path(sku): Path<String>,
) -> Result<Response, ApiError> {
    let command = CartMessage::RemoveCartLine { sku };
    api.send(&caller, ids, &command, StatusCode::OK).await
}

#[utoipa::path(
    get,
    path = "/api/v1/cart",
    tag = "ordering",
    summary = "The caller's cart: each line at its recorded price beside the catalog's now",
    params(MinPositionHeader),
    responses(
        (status = 200, description = "The cart (empty when there is none)", body = CartView),
        (status = 400, description = "`invalid_min_position`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the carts read model has not reached `Agora-Min-Position` in time", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
async fn get_cart(
    State(api): State<OrderingApi>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    api.wait_for(&headers, &[CARTS]).await?;
    let cart = find_cart(&api.read, &caller.user_id.to_string())
        .await
        .map_err(ApiError::internal)?;
    let (lines, updated_at, version) = cart.map_or((Vec::new(), None, 0), |c| {
        (c.lines, Some(c.updated_at), c.version)
    });
    // All lines in one lookup; when one of them cannot be priced, each on its own.
    let all = if lines.is_empty() {
        Ok(Vec::new())
    } else {
        price_now(&api, Duration::ZERO, &lines).await
    };
    let now: Vec<Option<Money>> = match all {
        Ok(priced) => priced.into_iter().map(|p| Some(p.unit_price)).collect(),
        Err(_) => {
            let mut each = Vec::with_capacity(lines.len());
            for line in &lines {
                let priced = price_now(&api, Duration::ZERO, std::slice::from_ref(line)).await;
                each.push(priced.ok().and_then(|p| p.first().map(|l| l.unit_price)));
            }
            each
        }
    };
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
    let body = CartView {
        prices_changed: views.iter().any(|l| l.price_changed),
        line_count: views.len(),
        lines: views,
        total,
        current_total,
        updated_at,
        version,
    };
    Ok(Json(body).into_response())
}
