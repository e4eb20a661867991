//! The recommendations routes: `GET /shows/{id}/similar`, `GET /products/{id}/also-bought` and
//! `GET /me/recommendations`, read from the co-occurrence read models. One file per resource:
//! [`similar`], [`also_bought`], [`for_me`].

mod also_bought;
mod for_me;
mod similar;

use http_kernel::{
    ContextApi, CursorSpec, IdKind, InvalidCursor, KeyKind, Page, PageCursor, Routes, SortKey,
    routes,
};
use utoipa::OpenApi;

/// The state of the recommendations routes.
pub type RecommendationsApi = ContextApi;

#[derive(OpenApi)]
#[openapi(tags((
    name = "recommendations",
    description = "Collaborative filtering (item-to-item co-occurrence), kept incrementally \
                   from podcasts' subscriptions and ordering's paid orders: shows a show's \
                   listeners also subscribe to, products a product's buyers also bought, and \
                   the caller's recommendations without what they already have."
)))]
struct Doc;

/// Every recommendations route, served and described.
pub fn routes(api: RecommendationsApi) -> Routes {
    Routes::with_openapi(Doc::openapi())
        .routes(routes!(similar::similar))
        .routes(routes!(also_bought::also_bought))
        .routes(routes!(for_me::recommendations))
        .with_state(api)
}

/// A neighbours page continues after a score and an id.
const NEIGHBOURS: CursorSpec<'static> = CursorSpec {
    sort: "score",
    key: KeyKind::NON_NEGATIVE_INT,
    id: IdKind::Uuid,
};

/// Where a neighbours page starts.
fn after(page: &Page) -> Result<Option<(i64, String)>, http_kernel::ApiError> {
    match page.after(NEIGHBOURS)? {
        None => Ok(None),
        Some(PageCursor {
            key: SortKey::Int(score),
            id,
            ..
        }) => Ok(Some((score, id))),
        Some(_) => Err(InvalidCursor("not a score").into()),
    }
}

fn cursor(n: &crate::projections::Neighbour) -> PageCursor {
    PageCursor::new(NEIGHBOURS.sort, SortKey::Int(n.score), n.id.clone())
}
