//! `GET /products`: catalog search, filters, sorts and keyset pages.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use http_kernel::{ApiError, Json, PageCursor, Query, min_position};

use super::super::openapi::{ListingParams, MinPositionHeader, Problem, ProductPage};
use super::{MerchandiseApi, product_json};
use crate::projections::listing::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::projections::{
    CATALOG, Facets, ListingError, ListingQuery, PRICE_BANDS, Sort, facets, list_products,
    variants_of,
};

fn flag(name: &str, value: &str) -> Result<bool, ApiError> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ApiError::Validation(format!(
            "{name} must be true or false"
        ))),
    }
}

fn facets_json(f: &Facets) -> serde_json::Value {
    let bands: Vec<serde_json::Value> = f
        .price_bands
        .iter()
        .map(|(bound, count)| {
            // The next band's bound, less one minor unit; the last band has no upper bound.
            let max = PRICE_BANDS.iter().find(|b| *b > bound).map(|next| next - 1);
            serde_json::json!({ "min_minor": bound, "max_minor": max, "count": count })
        })
        .collect();
    serde_json::json!({
        "categories": f.categories.iter()
            .map(|(category, count)| serde_json::json!({ "category": category, "count": count }))
            .collect::<Vec<_>>(),
        "price_bands": bands,
    })
}

/// Reads `GET /products`'s query string (and whether to count facets); unknown parameters
/// are ignored.
fn listing_query(params: Vec<(String, String)>) -> Result<(ListingQuery, bool), ApiError> {
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
    let mut with_facets = true;
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
            "in_stock" => query.in_stock = flag("in_stock", text)?,
            "facets" => with_facets = flag("facets", text)?,
            _ => {}
        }
    }
    // Checked against the sort it will continue, which the other parameters decide.
    if let Some(text) = cursor {
        let spec = query.effective_sort().cursor_spec();
        query.after = Some(PageCursor::decode(&text, spec)?);
    }
    Ok((query, with_facets))
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
        (status = 200, description = "A page of active products, each with its variants, price range and availability, and the facets of the whole match", body = ProductPage),
        (status = 400, description = "`invalid_cursor`; `invalid_min_position`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: a bad `sort`, `limit`, `currency`, `min_price`, `max_price`, `in_stock` or `facets`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the catalog has not reached `Agora-Min-Position` in time", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn list(
    State(api): State<MerchandiseApi>,
    Query(params): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (query, with_facets) = listing_query(params)?;
    min_position(&headers)?;
    api.wait_for(&headers, &[CATALOG]).await?;
    let page = list_products(&api.read, &query)
        .await
        .map_err(listing_error)?;
    let ids: Vec<String> = page.items.iter().map(|p| p.id.clone()).collect();
    let variants = variants_of(&api.read, &ids)
        .await
        .map_err(ApiError::internal)?;
    let facets = if with_facets {
        let counted = facets(&api.read, &query).await.map_err(listing_error)?;
        facets_json(&counted)
    } else {
        serde_json::Value::Null
    };
    let items: Vec<serde_json::Value> = page
        .items
        .iter()
        .map(|p| product_json(p, variants.get(&p.id).map_or(&[][..], Vec::as_slice)))
        .collect();
    Ok(Json(serde_json::json!({
        "items": items,
        "next_cursor": page.next.map(|c| c.encode()),
        "facets": facets,
    }))
    .into_response())
}
