//! Read models of the merchandise context.

mod catalog;
pub mod listing;
pub mod price_history;

pub use catalog::{CATALOG, CatalogProduct, CatalogProjection, find_product};
pub use listing::{ListingError, ListingQuery, Page, Sort, list_products};
pub use price_history::{LOWEST_PRICE_WINDOW, PricePoint, lowest_price_since, price_history};
