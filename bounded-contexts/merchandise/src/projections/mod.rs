//! Read models of the merchandise context.

mod catalog;
pub mod facets;
pub mod listing;
pub mod price_history;
mod schema;
pub mod summary;
pub mod variants;

pub use catalog::{CATALOG, CatalogProduct, CatalogProjection, find_product};
pub use facets::{Facets, facets};
pub use listing::{ListingError, ListingQuery, Page, Sort, list_products};
pub use price_history::{LOWEST_PRICE_WINDOW, PricePoint, lowest_price_since, price_history};
pub use summary::{PRICE_BANDS, price_band};
pub use variants::{CatalogVariant, variants_of};
