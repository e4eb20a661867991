//! Pure domain code: no clock, no I/O, no async.

mod product;

pub use product::{NewProduct, Product, ProductCommand, ProductError, ProductStatus};
