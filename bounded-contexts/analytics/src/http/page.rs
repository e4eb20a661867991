//! `GET /analytics`: the live figures as charts, one static page. Chart.js (MIT, see
//! `assets/chart.js.LICENSE.md`) is compiled into the binary and inlined: nothing is fetched from
//! a CDN. The page reads `/api/v1/analytics/...` as its visitor (the `agora_session` cookie, or an
//! access token in its fragment `#token=...`).

use std::sync::LazyLock;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

const TEMPLATE: &str = include_str!("../../assets/analytics.html");
const CHART_JS: &str = include_str!("../../assets/chart.umd.min.js");

/// The page, with the chart library inlined (built once).
static PAGE: LazyLock<String> = LazyLock::new(|| TEMPLATE.replacen("/*CHART_JS*/", CHART_JS, 1));

#[utoipa::path(
    get,
    path = "/analytics",
    summary = "The live figures as charts (HTML)",
    description = "A static page drawing revenue per day, top products, the order funnel, new \
                   and active users and posts and comments per day from `/api/v1/analytics/...` \
                   (as its visitor: the `agora_session` cookie or `#token=<access token>`). The \
                   chart library ships with the binary.",
    responses((status = 200, description = "The page", content_type = "text/html", body = String)),
)]
pub(super) async fn page() -> Response {
    let mut response = PAGE.as_str().into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
