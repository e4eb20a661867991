//! Read models of the merchandise context.

mod catalog;

pub use catalog::{CATALOG, CatalogProduct, CatalogProjection, find_product};
