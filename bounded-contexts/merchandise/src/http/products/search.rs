//! `GET /products`: catalog search, filters, sorts and keyset pages.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use http_kernel::{ApiError, Json, PageCursor, Query, min_position};

use super::super::openapi::{ListingParams, MinPositionHeader, Problem, ProductPage};
use super::{MerchandiseApi, product_json};
use crate::projections::listing::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::projections::{CATALOG, ListingError, ListingQuery, Sort, list_products};

/// Reads `GET /products`'s query string; unknown parameters are ignored.
fn listing_query(params: Vec<(String, String)>) -> Result<ListingQuery, ApiError> {
    fn price(name: &str, value: &str) -> Result<i64, ApiError> {
        value
            .parse::<i64>()
            .ok()
            .filter(|p| *p >= 0)
            .ok_or_else(|| {
                ApiError::Validation(format!("{name} must be a price in minor units (0 or more)"))
            })
    }
    let mut query = ListingQuery {
        limit: DEFAULT_LIMIT,
        ..ListingQuery::default()
    };
    let mut cursor = None;
    for (name, value) in params {
        let text = value.trim();
        match name.as_str() {
            "q" if !text.is_empty() => query.text = Some(text.to_owned()),
            "category" if !text.is_empty() => query.category = Some(text.to_owned()),
            "currency" if !text.is_empty() => {
                let currency: shared_kernel::Currency = text.parse().map_err(|_| {
                    ApiError::Validation("currency must be an ISO 4217 code like EUR".into())
                })?;
                query.currency = Some(currency.to_string());
            }
            "min_price" => query.min_price = Some(price("min_price", text)?),
            "max_price" => query.max_price = Some(price("max_price", text)?),
            "sort" => query.sort = Some(Sort::parse(text).map_err(listing_error)?),
            "limit" => {
                query.limit = text
                    .parse::<u32>()
                    .ok()
                    .filter(|l| (1..=MAX_LIMIT).contains(l))
                    .ok_or_else(|| {
                        ApiError::Validation(format!("limit must be between 1 and {MAX_LIMIT}"))
                    })?;
            }
            "cursor" if !text.is_empty() => cursor = Some(text.to_owned()),
            _ => {}
        }
    }
    // Checked against the sort it will continue, which the other parameters decide.
    if let Some(text) = cursor {
        let spec = query.effective_sort().cursor_spec();
        query.after = Some(PageCursor::decode(&text, spec)?);
    }
    Ok(query)
}

fn listing_error(e: ListingError) -> ApiError {
    match e {
        ListingError::Invalid(detail) => ApiError::Validation(detail),
        ListingError::Database(e) => ApiError::internal(e),
    }
}

/// `GET /products`: active products, searched, filtered, sorted, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/products",
    tag = "merchandise",
    summary = "Search and list active products",
    params(ListingParams, MinPositionHeader),
    responses(
        (status = 200, description = "A page of active products", body = ProductPage),
        (status = 400, description = "`invalid_cursor`; `invalid_min_position`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: a bad `sort`, `limit`, `currency`, `min_price` or `max_price`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the catalog has not reached `Agora-Min-Position` in time", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn list(
    State(api): State<MerchandiseApi>,
    Query(params): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let query = listing_query(params)?;
    min_position(&headers)?;
    api.wait_for(&headers, &[CATALOG]).await?;
    let page = list_products(&api.read, &query)
        .await
        .map_err(listing_error)?;
    Ok(Json(serde_json::json!({
        "items": page.items.iter().map(product_json).collect::<Vec<_>>(),
        "next_cursor": page.next.map(|c| c.encode()),
    }))
    .into_response())
}
