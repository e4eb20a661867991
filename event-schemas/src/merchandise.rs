//! Events of the `merchandise` context (the catalog): the life of a product.
//!
//! | type | version | note |
//! |---|---|---|
//! | `agora.merchandise.product_created` | 2 | v1 had `price_minor` + `currency` and no `attributes` |
//! | `agora.merchandise.product_published` | 1 | |
//! | `agora.merchandise.product_details_changed` | 1 | |
//! | `agora.merchandise.product_price_changed` | 1 | |
//! | `agora.merchandise.product_archived` | 1 | |
//! | `agora.merchandise.product_options_set` | 1 | the options (e.g. `size`, `colour`) a product's variants choose from |
//! | `agora.merchandise.variant_added` | 1 | a variant: its own sku (claimed as a product's is), option values, optional price |
//! | `agora.merchandise.variant_price_changed` | 1 | a variant's price override set, or cleared (null: the product's price) |
//! | `agora.merchandise.sku_claimed` | 1 | stream `sku-<sku>`: the sku belongs to this product (and its seller) |
//! | `agora.merchandise.sku_released` | 1 | stream `sku-<sku>`: a claim whose product was never created, given up |
//!
//! A sku names one stock-keeping unit, and inventory keeps stock per sku, so a sku belongs to
//! exactly one product: the first to claim it. That is the set-validation problem, solved as
//! e-mail uniqueness is (see `identity`): each sku owns a stream `sku-<sku>`, and creating a
//! product first appends `sku_claimed` there expecting *no stream*; the store's unique
//! `(stream_id, stream_version)` index lets exactly one of any number of racing creations win.
//! The claim names the product, so a claim whose `product_created` never got written can be
//! recognised and taken over later. Events of `sku-` streams are not product events: consumers
//! of product events select the `product-` streams.
//!
//! Variants: every product has a default variant, its `product_created` sku at the product's
//! price (a product without options has only that one). A product with options has
//! `product_options_set` right after its creation and one `variant_added` per variant; the
//! first names the creation's sku again and gives the default variant its option values.
//! Each further variant sku is claimed in `sku-<sku>` for the product, like the first.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use shared_kernel::ids::{ProductId, UserId};
use shared_kernel::{Money, Timestamp};

use crate::upcast::{Catalogue, Upcaster};

pub const PRODUCT_CREATED: &str = "agora.merchandise.product_created";
pub const PRODUCT_PUBLISHED: &str = "agora.merchandise.product_published";
pub const PRODUCT_DETAILS_CHANGED: &str = "agora.merchandise.product_details_changed";
pub const PRODUCT_PRICE_CHANGED: &str = "agora.merchandise.product_price_changed";
pub const PRODUCT_ARCHIVED: &str = "agora.merchandise.product_archived";
pub const PRODUCT_OPTIONS_SET: &str = "agora.merchandise.product_options_set";
pub const VARIANT_ADDED: &str = "agora.merchandise.variant_added";
pub const VARIANT_PRICE_CHANGED: &str = "agora.merchandise.variant_price_changed";
pub const SKU_CLAIMED: &str = "agora.merchandise.sku_claimed";
pub const SKU_RELEASED: &str = "agora.merchandise.sku_released";

/// The events of a `product-<id>` stream.
pub const PRODUCT_EVENTS: &[&str] = &[
    PRODUCT_CREATED,
    PRODUCT_PUBLISHED,
    PRODUCT_DETAILS_CHANGED,
    PRODUCT_PRICE_CHANGED,
    PRODUCT_ARCHIVED,
    PRODUCT_OPTIONS_SET,
    VARIANT_ADDED,
    VARIANT_PRICE_CHANGED,
];

/// Every merchandise event type with its current schema version.
pub const CATALOGUE: Catalogue = &[
    (PRODUCT_CREATED, 2),
    (PRODUCT_PUBLISHED, 1),
    (PRODUCT_DETAILS_CHANGED, 1),
    (PRODUCT_PRICE_CHANGED, 1),
    (PRODUCT_ARCHIVED, 1),
    (PRODUCT_OPTIONS_SET, 1),
    (VARIANT_ADDED, 1),
    (VARIANT_PRICE_CHANGED, 1),
    (SKU_CLAIMED, 1),
    (SKU_RELEASED, 1),
];

pub const UPCASTERS: &[Upcaster] = &[Upcaster {
    event_type: PRODUCT_CREATED,
    from_version: 1,
    lift: product_created_v1_to_v2,
}];

/// A seller created a product, as a draft, with its default sku and its price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductCreated {
    pub product_id: ProductId,
    pub seller_id: UserId,
    pub title: String,
    pub description: String,
    pub category: String,
    pub sku: String,
    pub price: Money,
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

/// A product was created (v1, before `price` became money and `attributes` existed): stored
/// events of this shape are lifted to v2 by an upcaster. Describes the published v1 schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductCreatedV1 {
    pub product_id: ProductId,
    pub seller_id: UserId,
    pub title: String,
    pub description: String,
    pub category: String,
    pub sku: String,
    /// The price in the currency's minor unit.
    pub price_minor: i64,
    /// An ISO 4217 code.
    pub currency: String,
}

/// The seller published the draft: listed in the catalog and orderable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductPublished {
    pub product_id: ProductId,
}

/// The seller changed the product's title, description or category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductDetailsChanged {
    pub product_id: ProductId,
    pub title: String,
    pub description: String,
    pub category: String,
}

/// The product's price changed (in the same currency).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductPriceChanged {
    pub product_id: ProductId,
    pub price: Money,
}

/// The seller archived the product: out of the catalog, no longer sold or changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductArchived {
    pub product_id: ProductId,
}

/// One option a product's variants choose from: its name (`size`) and values (`S`, `M`),
/// in the seller's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductOption {
    pub name: String,
    pub values: Vec<String>,
}

/// The product's options (replacing none: they are set once, right after creation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductOptionsSet {
    pub product_id: ProductId,
    pub options: Vec<ProductOption>,
}

/// A variant of the product: `sku` (claimed for the product), one value per option, and a
/// price that overrides the product's (`None`: the product's price, following its changes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VariantAdded {
    pub product_id: ProductId,
    /// The product's seller: the sku's owner for inventory.
    pub seller_id: UserId,
    pub sku: String,
    /// Option name -> value.
    pub option_values: BTreeMap<String, String>,
    pub price: Option<Money>,
}

/// A variant's price override, set (`Some`) or cleared (`None`: the product's price again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VariantPriceChanged {
    pub product_id: ProductId,
    pub sku: String,
    pub price: Option<Money>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", content = "data")]
pub enum ProductEvent {
    #[serde(rename = "agora.merchandise.product_created")]
    Created(ProductCreated),
    #[serde(rename = "agora.merchandise.product_published")]
    Published(ProductPublished),
    #[serde(rename = "agora.merchandise.product_details_changed")]
    DetailsChanged(ProductDetailsChanged),
    #[serde(rename = "agora.merchandise.product_price_changed")]
    PriceChanged(ProductPriceChanged),
    #[serde(rename = "agora.merchandise.product_archived")]
    Archived(ProductArchived),
    #[serde(rename = "agora.merchandise.product_options_set")]
    OptionsSet(ProductOptionsSet),
    #[serde(rename = "agora.merchandise.variant_added")]
    VariantAdded(VariantAdded),
    #[serde(rename = "agora.merchandise.variant_price_changed")]
    VariantPriceChanged(VariantPriceChanged),
}

impl ProductEvent {
    /// The product the event is about.
    #[must_use]
    pub const fn product_id(&self) -> ProductId {
        match self {
            Self::Created(e) => e.product_id,
            Self::Published(e) => e.product_id,
            Self::DetailsChanged(e) => e.product_id,
            Self::PriceChanged(e) => e.product_id,
            Self::Archived(e) => e.product_id,
            Self::OptionsSet(e) => e.product_id,
            Self::VariantAdded(e) => e.product_id,
            Self::VariantPriceChanged(e) => e.product_id,
        }
    }
}

/// `sku-<sku>` now belongs to `product_id`, listed by `seller_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SkuClaimed {
    pub sku: String,
    pub product_id: ProductId,
    pub seller_id: UserId,
    pub claimed_at: Timestamp,
}

/// The claim of `product_id` is given up (the product was never created).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SkuReleased {
    pub sku: String,
    pub product_id: ProductId,
    pub reason: String,
}

/// The events of a `sku-<sku>` stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", content = "data")]
pub enum SkuClaimEvent {
    #[serde(rename = "agora.merchandise.sku_claimed")]
    Claimed(SkuClaimed),
    #[serde(rename = "agora.merchandise.sku_released")]
    Released(SkuReleased),
}

crate::domain_event!(SkuClaimEvent, CATALOGUE, UPCASTERS, {
    Claimed => SKU_CLAIMED,
    Released => SKU_RELEASED,
});

crate::domain_event!(ProductEvent, CATALOGUE, UPCASTERS, {
    Created => PRODUCT_CREATED,
    Published => PRODUCT_PUBLISHED,
    DetailsChanged => PRODUCT_DETAILS_CHANGED,
    PriceChanged => PRODUCT_PRICE_CHANGED,
    Archived => PRODUCT_ARCHIVED,
    OptionsSet => PRODUCT_OPTIONS_SET,
    VariantAdded => VARIANT_ADDED,
    VariantPriceChanged => VARIANT_PRICE_CHANGED,
});

/// v1 stored the price as two flat fields and had no attributes.
fn product_created_v1_to_v2(mut data: Value) -> Result<Value, String> {
    let obj = data
        .as_object_mut()
        .ok_or("product_created v1 must be an object")?;
    let amount = obj
        .remove("price_minor")
        .ok_or("product_created v1 lacks price_minor")?;
    let currency = obj
        .remove("currency")
        .ok_or("product_created v1 lacks currency")?;
    obj.insert(
        "price".into(),
        serde_json::json!({ "amount_minor": amount, "currency": currency }),
    );
    obj.entry("attributes")
        .or_insert_with(|| serde_json::json!({}));
    Ok(data)
}
