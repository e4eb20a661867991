//! `GET /api/v1/analytics/...`: the live figures, a page of days at a time. Analysts and admins
//! read every figure; any other caller reads the sales of their own products only (as a
//! seller), and is refused the platform's funnel, users and communities (403).

use axum::extract::State;
use chrono::NaiveDate;
use http_kernel::{
    ApiError, Caller, CursorSpec, IdKind, Json, KeyKind, Page, PageCursor, Paged, Query, SortKey,
};
use serde::Deserialize;
use utoipa::IntoParams;

use super::AnalyticsApi;
use super::access::{analyst, is_analyst};
use crate::projections::{
    CommunityDay, FunnelDay, Range, SalesDay, SalesKey, ShowDownloadsDay, TopProduct, UsersDay,
    community_days, download_days, funnel_days, sales_days, top_products, users_days,
};

/// Which days.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct Days {
    /// The first day (UTC, `YYYY-MM-DD`, included); every day before `to` when absent.
    from: Option<String>,
    /// The last day (included).
    to: Option<String>,
}

impl Days {
    fn range(&self) -> Result<Range, ApiError> {
        let mut range = Range::default();
        if let Some(f) = &self.from {
            range.from = day("from", f)?;
        }
        if let Some(t) = &self.to {
            range.to = day("to", t)?;
        }
        Ok(range)
    }
}

fn day(name: &str, text: &str) -> Result<String, ApiError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(|d| d.format("%Y-%m-%d").to_string())
        .map_err(|_| {
            ApiError::Validation(format!(
                "{name} must be a day such as 2026-01-31, got {text:?}"
            ))
        })
}

fn text_cursor(sort: &'static str) -> CursorSpec<'static> {
    CursorSpec {
        sort,
        key: KeyKind::Text { max_chars: 200 },
        id: IdKind::None,
    }
}

/// The parts of a composite text cursor (`a|b|c`).
fn parts(page: &Page, sort: &'static str, n: usize) -> Result<Option<Vec<String>>, ApiError> {
    match page.after(text_cursor(sort))? {
        None => Ok(None),
        Some(PageCursor {
            key: SortKey::Text(t),
            ..
        }) => {
            let parts: Vec<String> = t.split('|').map(str::to_owned).collect();
            if parts.len() == n {
                Ok(Some(parts))
            } else {
                Err(http_kernel::InvalidCursor("not a key of this list").into())
            }
        }
        Some(_) => Err(http_kernel::InvalidCursor("not a key of this list").into()),
    }
}

fn cursor(sort: &'static str, parts: &[&str]) -> PageCursor {
    PageCursor::new(sort, SortKey::Text(parts.join("|")), "")
}

/// Which sales.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct SalesQuery {
    /// `product` (default): a row per day, product and currency; `seller`: per day, seller and
    /// currency.
    #[param(inline)]
    by: Option<SalesKey>,
    /// One seller's sales (analysts); a seller always reads their own.
    seller_id: Option<uuid::Uuid>,
}

/// The seller whose figures `caller` may read: any (or the one asked for) for an analyst,
/// themselves otherwise.
fn seller_scope(caller: &Caller, asked: Option<uuid::Uuid>) -> Option<String> {
    if is_analyst(caller) {
        asked.map(|id| id.to_string())
    } else {
        Some(caller.user_id.to_string())
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/analytics/sales",
    summary = "Sales per day, per product or per seller",
    description = "What paid orders sold each day (UTC, by the time the order was paid): paid \
                   orders, units and revenue in minor units, per currency, per product \
                   (`by=product`) or per seller (`by=seller`), oldest day first. Analysts and \
                   admins see every seller's (or one's, `seller_id`); anybody else sees their \
                   own products' sales only.",
    params(Days, SalesQuery, Page),
    responses(
        (status = 200, description = "A page of days", body = Paged<SalesDay>),
        (status = 422, description = "`validation_failed`: `from`/`to` is not a day, `by` is not `product` or `seller`, `seller_id` is not a user id"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn sales(
    State(api): State<AnalyticsApi>,
    caller: Caller,
    page: Page,
    Query(days): Query<Days>,
    Query(q): Query<SalesQuery>,
) -> Result<Json<Paged<SalesDay>>, ApiError> {
    let range = days.range()?;
    let key = q.by.unwrap_or(SalesKey::Product);
    let sort = match key {
        SalesKey::Product => "sales-product",
        SalesKey::Seller => "sales-seller",
    };
    let after = parts(&page, sort, 3)?.map(|p| (p[0].clone(), p[1].clone(), p[2].clone()));
    let seller = seller_scope(&caller, q.seller_id);
    let rows = sales_days(
        &api.read,
        key,
        seller.as_deref(),
        &range,
        after,
        page.fetch(),
    )
    .await
    .map_err(ApiError::internal)?;
    Ok(Json(Paged::of(rows, &page, |r| {
        cursor(sort, &[&r.day, &r.key, &r.currency])
    })))
}

/// Which products.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct TopQuery {
    /// The currency revenue is ranked in (ISO 4217, default `EUR`).
    currency: Option<String>,
    /// One seller's products (analysts); a seller always reads their own.
    seller_id: Option<uuid::Uuid>,
}

#[utoipa::path(
    get,
    path = "/api/v1/analytics/top-products",
    summary = "Products by revenue",
    description = "Products ranked by the revenue of their paid orders over the days asked \
                   (all days by default), in one currency, most first. Analysts and admins see \
                   every product; anybody else their own.",
    params(Days, TopQuery, Page),
    responses(
        (status = 200, description = "A page of products", body = Paged<TopProduct>),
        (status = 422, description = "`validation_failed`: `from`/`to` is not a day, or `currency` is not a code"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn top(
    State(api): State<AnalyticsApi>,
    caller: Caller,
    page: Page,
    Query(days): Query<Days>,
    Query(q): Query<TopQuery>,
) -> Result<Json<Paged<TopProduct>>, ApiError> {
    let range = days.range()?;
    let currency = q.currency.unwrap_or_else(|| "EUR".into());
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(ApiError::Validation(format!(
            "currency must be an ISO 4217 code such as EUR, got {currency:?}"
        )));
    }
    let after = parts(&page, "top", 2)?
        .map(|p| -> Result<(i64, String), ApiError> {
            let revenue = p[0]
                .parse()
                .map_err(|_| http_kernel::InvalidCursor("not a revenue"))?;
            Ok((revenue, p[1].clone()))
        })
        .transpose()?;
    let seller = seller_scope(&caller, q.seller_id);
    let rows = top_products(
        &api.read,
        &currency,
        seller.as_deref(),
        &range,
        after,
        page.fetch(),
    )
    .await
    .map_err(ApiError::internal)?;
    Ok(Json(Paged::of(rows, &page, |r| {
        cursor("top", &[&r.revenue_minor.to_string(), &r.product_id])
    })))
}

#[utoipa::path(
    get,
    path = "/api/v1/analytics/funnel",
    summary = "The order funnel per day",
    description = "Orders placed, paid, rejected and cancelled each day (UTC, by the time of \
                   each step), oldest day first. For analysts and admins.",
    params(Days, Page),
    responses(
        (status = 200, description = "A page of days", body = Paged<FunnelDay>),
        (status = 403, description = "`forbidden`: the caller is neither an analyst nor an admin"),
        (status = 422, description = "`validation_failed`: `from`/`to` is not a day"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn funnel(
    State(api): State<AnalyticsApi>,
    caller: Caller,
    page: Page,
    Query(days): Query<Days>,
) -> Result<Json<Paged<FunnelDay>>, ApiError> {
    analyst(&caller)?;
    let range = days.range()?;
    let after = parts(&page, "funnel", 1)?
        .map(|p| p[0].clone())
        .unwrap_or_default();
    let rows = funnel_days(&api.read, &range, &after, page.fetch())
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(Paged::of(rows, &page, |r| {
        cursor("funnel", &[&r.day])
    })))
}

#[utoipa::path(
    get,
    path = "/api/v1/analytics/users",
    summary = "New and active users per day",
    description = "Accounts registered each day, and users on whose behalf anything was \
                   recorded that day (a write, a vote, an order...), oldest day first. For \
                   analysts and admins.",
    params(Days, Page),
    responses(
        (status = 200, description = "A page of days", body = Paged<UsersDay>),
        (status = 403, description = "`forbidden`: the caller is neither an analyst nor an admin"),
        (status = 422, description = "`validation_failed`: `from`/`to` is not a day"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn users(
    State(api): State<AnalyticsApi>,
    caller: Caller,
    page: Page,
    Query(days): Query<Days>,
) -> Result<Json<Paged<UsersDay>>, ApiError> {
    analyst(&caller)?;
    let range = days.range()?;
    let after = parts(&page, "users", 1)?
        .map(|p| p[0].clone())
        .unwrap_or_default();
    let rows = users_days(&api.read, &range, &after, page.fetch())
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(Paged::of(rows, &page, |r| cursor("users", &[&r.day]))))
}

#[utoipa::path(
    get,
    path = "/api/v1/analytics/communities",
    summary = "Posts and comments per community per day",
    description = "Posts and comments created in each community each day, oldest day first. \
                   For analysts and admins.",
    params(Days, Page),
    responses(
        (status = 200, description = "A page of (day, community) rows", body = Paged<CommunityDay>),
        (status = 403, description = "`forbidden`: the caller is neither an analyst nor an admin"),
        (status = 422, description = "`validation_failed`: `from`/`to` is not a day"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn communities(
    State(api): State<AnalyticsApi>,
    caller: Caller,
    page: Page,
    Query(days): Query<Days>,
) -> Result<Json<Paged<CommunityDay>>, ApiError> {
    analyst(&caller)?;
    let range = days.range()?;
    let after = parts(&page, "communities", 2)?.map(|p| (p[0].clone(), p[1].clone()));
    let rows = community_days(&api.read, &range, after, page.fetch())
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(Paged::of(rows, &page, |r| {
        cursor("communities", &[&r.day, &r.community_id])
    })))
}

#[utoipa::path(
    get,
    path = "/api/v1/analytics/downloads",
    summary = "Podcast downloads per show per day",
    description = "Downloads of each show's episodes each day (UTC), oldest day first, counted \
                   as the podcasts context counts them (one per listener, episode and day; bots \
                   and probes left out). For analysts and admins; a show's owner reads their \
                   own show's figures at `/shows/{id}/downloads`.",
    params(Days, Page),
    responses(
        (status = 200, description = "A page of (day, show) rows", body = Paged<ShowDownloadsDay>),
        (status = 403, description = "`forbidden`: the caller is neither an analyst nor an admin"),
        (status = 422, description = "`validation_failed`: `from`/`to` is not a day"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn downloads(
    State(api): State<AnalyticsApi>,
    caller: Caller,
    page: Page,
    Query(days): Query<Days>,
) -> Result<Json<Paged<ShowDownloadsDay>>, ApiError> {
    analyst(&caller)?;
    let range = days.range()?;
    let after = parts(&page, "downloads", 2)?.map(|p| (p[0].clone(), p[1].clone()));
    let rows = download_days(&api.read, &range, after, page.fetch())
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(Paged::of(rows, &page, |r| {
        cursor("downloads", &[&r.day, &r.show_id])
    })))
}
