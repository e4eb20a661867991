//! Pure domain code: no clock, no I/O, no async.

mod product;
mod sku_claim;
mod variant;

pub use product::{
    MAX_PRICE_MINOR, NewProduct, Product, ProductCommand, ProductError, ProductStatus,
};
pub use sku_claim::{
    SKU_ABANDONED_AFTER_SECS, SkuClaim, SkuClaimCommand, SkuClaimError, SkuHolder,
};
pub use variant::{MAX_OPTION_VALUES, MAX_OPTIONS, MAX_VARIANTS, NewVariant, Variant};
