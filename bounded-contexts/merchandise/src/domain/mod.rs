//! Pure domain code: no clock, no I/O, no async.

mod product;
mod sku_claim;

pub use product::{NewProduct, Product, ProductCommand, ProductError, ProductStatus};
pub use sku_claim::{
    SKU_ABANDONED_AFTER_SECS, SkuClaim, SkuClaimCommand, SkuClaimError, SkuHolder,
};
