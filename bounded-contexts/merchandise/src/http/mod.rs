//! The merchandise routes, `/api/v1/products...`: the catalog. Writes go to the bus; reads come
//! from the catalog read model. A product is its seller's to change, and a draft is its
//! seller's to see: to anybody else such a product reads exactly like an unknown one (404
//! `not_found`, "product not found"), so no answer reveals which products exist. One file per
//! resource: [`products`] (a product: created, read, changed, published, archived), [`prices`]
//! (its price and price history), [`variants`], [`search`] (the listing).

mod as_of;
mod prices;
mod products;
mod search;
mod variants;

use http_kernel::{ApiError, Caller, ContextApi, Routes, routes};
use shared_kernel::ids::ProductId;
use utoipa::OpenApi;

use crate::projections::{CATALOG, CatalogProduct, find_product};

/// The state of the merchandise routes.
pub type MerchandiseApi = ContextApi<std::sync::Arc<dyn shared_kernel::EventStore>>;

#[derive(OpenApi)]
#[openapi(tags((
    name = "merchandise",
    description = "The catalog: sellers create products (drafts), publish, change and archive \
                   them; anyone searches the active ones. A product that is not the caller's \
                   to see or change answers as an unknown one (404)."
)))]
struct Doc;

/// Every merchandise route, served and described.
pub fn routes(api: MerchandiseApi) -> Routes {
    Routes::with_openapi(Doc::openapi())
        .routes(routes!(search::search))
        .routes(routes!(products::create))
        .routes(routes!(products::read))
        .routes(routes!(products::change_details))
        .routes(routes!(products::publish))
        .routes(routes!(products::archive))
        .routes(routes!(prices::change_price))
        .routes(routes!(prices::price_history))
        .routes(routes!(variants::add_variant))
        .routes(routes!(variants::change_variant))
        .with_state(api)
}

/// The product id of a path, as the routes describe it.
const PRODUCT_ID: &str = "The product id (UUID)";

/// The one answer for a product that does not exist, or that the caller may not see or
/// change: the same code and detail as the domain's refusal of an unknown product.
fn no_product() -> ApiError {
    ApiError::NotFound("product".into())
}

/// The product id of a path; an id that is not one names no product.
fn product_id(id: &str) -> Result<ProductId, ApiError> {
    id.parse().map_err(|_| no_product())
}

/// The catalog row of product `id` when `caller` may see it (a draft is its seller's only).
/// An id the catalog does not know may belong to a creation it has not applied yet: it is
/// looked up again once the catalog has caught up with the store (at once when it is idle).
async fn visible_product(
    api: &MerchandiseApi,
    caller: Option<&Caller>,
    id: &str,
) -> Result<CatalogProduct, ApiError> {
    let id = product_id(id)?.to_string();
    let find = || async {
        find_product(&api.read, &id)
            .await
            .map_err(ApiError::internal)
    };
    let product = match find().await? {
        Some(product) => product,
        None => {
            api.caught_up(CATALOG).await?;
            find().await?.ok_or_else(no_product)?
        }
    };
    let is_seller = caller.is_some_and(|c| c.user_id.to_string() == product.seller_id);
    if product.status == "draft" && !is_seller {
        return Err(no_product());
    }
    Ok(product)
}
