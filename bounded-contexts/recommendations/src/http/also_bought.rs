//! `GET /api/v1/products/{id}/also-bought`: the products this product's buyers also bought.

use axum::extract::State;
use http_kernel::{ApiError, Json, Page, Paged, Path};
use shared_kernel::RejectionKind;

use super::{RecommendationsApi, after, cursor};
use crate::projections::{Neighbour, also_bought as neighbours};

#[utoipa::path(
    get,
    path = "/api/v1/products/{id}/also-bought",
    summary = "Products this product's buyers also bought, most shared buyers first",
    params(("id" = String, Path, description = "The product's id"), Page),
    responses(
        (status = 200, description = "A page of products, `score` = buyers of both (empty for a product nobody bought yet)", body = Paged<Neighbour>),
        (status = 404, description = "`not_found`: not a product id"),
    ),
)]
pub(super) async fn also_bought(
    State(api): State<RecommendationsApi>,
    page: Page,
    Path(id): Path<String>,
) -> Result<Json<Paged<Neighbour>>, ApiError> {
    let after = after(&page)?;
    if uuid::Uuid::parse_str(&id).is_err() {
        return Err(ApiError::refused(
            RejectionKind::NotFound,
            "not_found",
            "product not found",
        ));
    }
    let rows = neighbours(&api.read, &id, after, page.fetch())
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(Paged::of(rows, &page, cursor)))
}
