//! `/api/v1/products/{id}/price` and `/price-history`: a seller changes a product's price;
//! anyone who may see the product reads every price it had, and the lowest of the last 30 days
//! (the reference price shown beside a reduction).

use axum::extract::State;
use http_kernel::{
    ApiError, Caller, CommandIds, CursorSpec, IdKind, Json, KeyKind, Page, PageCursor, Paged, Path,
    SortKey, Written,
};
use serde::{Deserialize, Serialize};
use shared_kernel::{Currency, Money};
use utoipa::ToSchema;

use super::products::currency_of;
use super::{MerchandiseApi, PRODUCT_ID, product_id, visible_product};
use crate::application::{ProductRequest, ProductState};
use crate::projections::{LOWEST_PRICE_WINDOW, lowest_price_since, price_history as all_prices};

/// A price-history page continues after a price's stream version (unique per product).
const HISTORY_CURSOR: CursorSpec<'static> = CursorSpec {
    sort: "price_history",
    key: KeyKind::NON_NEGATIVE_INT,
    id: IdKind::None,
};

/// The new price.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "price": { "amount_minor": 9900, "currency": "EUR" } }))]
pub(super) struct ChangePrice {
    /// 1 to 100,000,000,000 minor units, in the product's currency.
    price: Money,
}

/// A price the product had from `at` on.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct PricePoint {
    price: Money,
    #[schema(format = DateTime)]
    at: String,
}

/// A page of a product's prices, oldest first, with the lowest of the last 30 days.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct PriceHistory {
    #[serde(flatten)]
    page: Paged<PricePoint>,
    /// The lowest price of the last 30 days (of the whole history, not just this page).
    lowest_price_30d: Option<Money>,
}

/// The lowest price of the last 30 days, from a product's whole price `history`.
pub(super) fn lowest_price_30d(
    history: &[crate::projections::PricePoint],
    currency: Currency,
) -> Option<Money> {
    lowest_price_since(history, chrono::Utc::now(), LOWEST_PRICE_WINDOW)
        .map(|p| Money::new(p.price_minor, currency))
}

#[utoipa::path(
    post,
    path = "/api/v1/products/{id}/price",
    summary = "Change a product's price",
    params(("id" = String, Path, description = PRODUCT_ID)),
    request_body = ChangePrice,
    responses(
        (status = 200, description = "Changed (the same price again changes nothing)", body = ProductState),
        (status = 404, description = "`not_found`: no such product, or not the caller's"),
        (status = 409, description = "`invalid_product_state`: archived"),
        (status = 422, description = "`validation_failed`: a price out of range or in another currency"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn change_price(
    State(api): State<MerchandiseApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<ChangePrice>,
) -> Result<Written<ProductState>, ApiError> {
    let command = ProductRequest::ChangeProductPrice {
        product_id: product_id(&id)?,
        price: req.price,
    };
    api.command(&caller, ids, &command.into_command()).await
}

#[utoipa::path(
    get,
    path = "/api/v1/products/{id}/price-history",
    summary = "A product's prices, oldest first",
    params(("id" = String, Path, description = PRODUCT_ID), Page),
    responses(
        (status = 200, description = "A page of the product's prices, and the lowest of the last 30 days", body = PriceHistory),
        (status = 404, description = "`not_found`: no such product, or a draft of another seller"),
    ),
    security((), ("bearer" = [])),
)]
pub(super) async fn price_history(
    State(api): State<MerchandiseApi>,
    caller: Option<Caller>,
    page: Page,
    Path(id): Path<String>,
) -> Result<Json<PriceHistory>, ApiError> {
    let after = match page.after(HISTORY_CURSOR)? {
        None => 0,
        Some(PageCursor {
            key: SortKey::Int(version),
            ..
        }) => version,
        Some(_) => return Err(http_kernel::InvalidCursor("not a version").into()),
    };
    let product = visible_product(&api, caller.as_ref(), &id).await?;
    let currency = currency_of(&product)?;
    // Read whole (a product has few prices): the 30-day price needs more than the page.
    let history = all_prices(&api.read, &product.id)
        .await
        .map_err(ApiError::internal)?;
    let lowest_price_30d = lowest_price_30d(&history, currency);
    let fetch = usize::try_from(page.fetch()).unwrap_or(usize::MAX);
    let rows = history
        .into_iter()
        .filter(|p| p.version > after)
        .take(fetch);
    let page = Paged::of(rows.collect(), &page, |p| {
        PageCursor::new(HISTORY_CURSOR.sort, SortKey::Int(p.version), "")
    });
    Ok(Json(PriceHistory {
        page: page.map(|p| PricePoint {
            price: Money::new(p.price_minor, currency),
            at: p.at,
        }),
        lowest_price_30d,
    }))
}
