//! Variants: the options a product's variants choose from, and the rules on each variant.
//!
//! Every product has a default variant: its creation sku at the product's price. A product
//! with options lists one variant per combination the seller sells; each names exactly one
//! value of every option, no two name the same values, and each has its own sku (claimed for
//! the product, like the product's own) and optionally a price of its own.

use std::collections::{BTreeMap, BTreeSet};

use event_schemas::merchandise::{ProductEvent, ProductOption, VariantAdded, VariantPriceChanged};
use serde::{Deserialize, Serialize};
use shared_kernel::ids::UserId;
use shared_kernel::{Money, TextRule};

use super::{Product, ProductError, ProductStatus};

/// At most this many options per product (e.g. size, colour, material).
pub const MAX_OPTIONS: usize = 3;
/// At most this many values per option.
pub const MAX_OPTION_VALUES: usize = 50;
/// At most this many variants per product.
pub const MAX_VARIANTS: usize = 100;

const OPTION_NAME: TextRule = TextRule::line("an option name", 1, 64);
const OPTION_VALUE: TextRule = TextRule::line("an option value", 1, 64);
const SKU: TextRule = TextRule::line("sku", 1, 64);

/// A variant as the seller describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewVariant {
    pub sku: String,
    /// Option name -> value: one value of every option of the product.
    #[serde(default)]
    pub option_values: BTreeMap<String, String>,
    /// Overrides the product's price; `None` follows it.
    #[serde(default)]
    pub price: Option<Money>,
}

/// A variant of a product.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Variant {
    pub option_values: BTreeMap<String, String>,
    pub price: Option<Money>,
}

pub(super) fn invalid(detail: impl Into<String>) -> ProductError {
    ProductError::Invalid(detail.into())
}

/// A sku is 1 to 64 letters, digits, `-` and `_` (it names a stream).
pub(super) fn check_sku(sku: &str) -> Result<(), ProductError> {
    SKU.check(sku).map_err(|e| invalid(e.to_string()))?;
    if !sku
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(invalid("sku may contain only letters, digits, - and _"));
    }
    Ok(())
}

/// Options: 1 to [`MAX_OPTIONS`], distinct names, each with 1 to [`MAX_OPTION_VALUES`]
/// distinct values.
pub(super) fn check_options(options: &[ProductOption]) -> Result<(), ProductError> {
    if options.len() > MAX_OPTIONS {
        return Err(invalid(format!("at most {MAX_OPTIONS} options")));
    }
    let mut names = BTreeSet::new();
    for option in options {
        OPTION_NAME
            .check(&option.name)
            .map_err(|e| invalid(e.to_string()))?;
        if !names.insert(option.name.as_str()) {
            return Err(invalid(format!("option {:?} appears twice", option.name)));
        }
        if option.values.is_empty() || option.values.len() > MAX_OPTION_VALUES {
            return Err(invalid(format!(
                "option {:?} needs 1 to {MAX_OPTION_VALUES} values",
                option.name
            )));
        }
        let mut values = BTreeSet::new();
        for value in &option.values {
            OPTION_VALUE
                .check(value)
                .map_err(|e| invalid(e.to_string()))?;
            if !values.insert(value.as_str()) {
                return Err(invalid(format!(
                    "option {:?} lists {value:?} twice",
                    option.name
                )));
            }
        }
    }
    Ok(())
}

/// The variant names one value of each option, and nothing else.
pub(super) fn check_option_values(
    options: &[ProductOption],
    variant: &NewVariant,
) -> Result<(), ProductError> {
    let mismatch = |detail: String| ProductError::VariantOptions(variant.sku.clone(), detail);
    for option in options {
        let Some(value) = variant.option_values.get(&option.name) else {
            return Err(mismatch(format!("no value for option {:?}", option.name)));
        };
        if !option.values.contains(value) {
            return Err(mismatch(format!(
                "{value:?} is not a value of option {:?}",
                option.name
            )));
        }
    }
    if let Some(extra) = variant
        .option_values
        .keys()
        .find(|name| !options.iter().any(|o| &o.name == *name))
    {
        return Err(mismatch(format!("the product has no option {extra:?}")));
    }
    Ok(())
}

/// A variant's price: as a product's ([`super::product::check_price`]), in the product's
/// currency.
pub(super) fn check_variant_price(
    price: Option<Money>,
    product_price: Option<Money>,
) -> Result<(), ProductError> {
    let Some(price) = price else { return Ok(()) };
    super::product::check_price(price)?;
    if product_price.is_some_and(|p| p.currency != price.currency) {
        return Err(invalid(
            "a variant's price must be in the product's currency",
        ));
    }
    Ok(())
}

/// The variants of a new product with options: 1 to [`MAX_VARIANTS`], distinct skus,
/// distinct option values, each matching the options.
pub(super) fn check_new_variants(
    options: &[ProductOption],
    variants: &[NewVariant],
    product_price: Money,
) -> Result<(), ProductError> {
    if options.is_empty() {
        return if variants.is_empty() {
            Ok(())
        } else {
            Err(ProductError::NoOptions)
        };
    }
    check_options(options)?;
    if variants.is_empty() || variants.len() > MAX_VARIANTS {
        return Err(invalid(format!(
            "a product with options needs 1 to {MAX_VARIANTS} variants"
        )));
    }
    let mut skus = BTreeSet::new();
    let mut combinations = BTreeSet::new();
    for variant in variants {
        check_sku(&variant.sku)?;
        if !skus.insert(variant.sku.as_str()) {
            return Err(invalid(format!("sku {} appears twice", variant.sku)));
        }
        check_option_values(options, variant)?;
        if !combinations.insert(&variant.option_values) {
            return Err(ProductError::DuplicateVariant(variant.sku.clone()));
        }
        check_variant_price(variant.price, Some(product_price))?;
    }
    Ok(())
}

impl Product {
    /// A new variant: its values must match the options and differ from every other
    /// variant's. Adding the same variant again (a retry) changes nothing.
    pub(super) fn add_variant(
        &self,
        actor: UserId,
        variant: NewVariant,
    ) -> Result<Vec<ProductEvent>, ProductError> {
        self.owned_by(actor)?;
        if self.status == ProductStatus::Archived {
            return Err(ProductError::InvalidTransition("archived", "changed"));
        }
        if self.options.is_empty() {
            return Err(ProductError::NoOptions);
        }
        check_sku(&variant.sku)?;
        check_option_values(&self.options, &variant)?;
        check_variant_price(variant.price, self.price)?;
        if let Some(existing) = self.variants.get(&variant.sku) {
            if existing.option_values == variant.option_values && existing.price == variant.price {
                return Ok(vec![]);
            }
            return Err(ProductError::VariantExists(variant.sku));
        }
        if self
            .variants
            .values()
            .any(|v| v.option_values == variant.option_values)
        {
            return Err(ProductError::DuplicateVariant(variant.sku));
        }
        if self.variants.len() >= MAX_VARIANTS {
            return Err(invalid(format!("at most {MAX_VARIANTS} variants")));
        }
        Ok(vec![ProductEvent::VariantAdded(VariantAdded {
            product_id: self.id,
            seller_id: self.seller,
            sku: variant.sku,
            option_values: variant.option_values,
            price: variant.price,
        })])
    }

    /// Sets or clears (`None`) a variant's price override.
    pub(super) fn change_variant_price(
        &self,
        actor: UserId,
        sku: String,
        price: Option<Money>,
    ) -> Result<Vec<ProductEvent>, ProductError> {
        self.owned_by(actor)?;
        if self.status == ProductStatus::Archived {
            return Err(ProductError::InvalidTransition("archived", "repriced"));
        }
        let Some(variant) = self.variants.get(&sku) else {
            return Err(ProductError::VariantNotFound(sku));
        };
        check_variant_price(price, self.price)?;
        if variant.price == price {
            return Ok(vec![]);
        }
        Ok(vec![ProductEvent::VariantPriceChanged(
            VariantPriceChanged {
                product_id: self.id,
                sku,
                price,
            },
        )])
    }
}
