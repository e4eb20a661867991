//! The Product aggregate: draft -> active -> archived, owned by its seller.

use shared_kernel::RejectionKind;
use std::collections::BTreeMap;

use event_schemas::merchandise::{
    ProductArchived, ProductCreated, ProductDetailsChanged, ProductEvent, ProductOption,
    ProductOptionsSet, ProductPriceChanged, ProductPublished, VariantAdded,
};
use shared_kernel::ids::{ProductId, UserId};
use shared_kernel::{Aggregate, Money, TextRule, Timestamp};

use super::variant::{self, NewVariant, Variant, check_sku, invalid};

const TITLE: TextRule = TextRule::line("title", 1, 200);
const DESCRIPTION: TextRule = TextRule::multiline("description", 0, 10_000);
const CATEGORY: TextRule = TextRule::line("category", 1, 64);
const MAX_ATTRIBUTES: usize = 50;
const ATTRIBUTE_NAME: TextRule = TextRule::line("an attribute name", 1, 64);
const ATTRIBUTE_VALUE: TextRule = TextRule::line("an attribute value", 0, 500);

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ProductStatus {
    #[default]
    Nonexistent,
    Draft,
    Active,
    Archived,
}

impl ProductStatus {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Nonexistent => "nonexistent",
            Self::Draft => "draft",
            Self::Active => "active",
            Self::Archived => "archived",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Product {
    pub id: ProductId,
    pub seller: UserId,
    pub status: ProductStatus,
    pub price: Option<Money>,
    pub title: String,
    pub description: String,
    pub category: String,
    /// The default variant's sku.
    pub sku: String,
    /// Empty for a product without variants beyond the default.
    pub options: Vec<ProductOption>,
    /// Every variant by sku, the default one included.
    pub variants: BTreeMap<String, Variant>,
}

/// What a seller provides to list a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProduct {
    pub product_id: ProductId,
    pub seller_id: UserId,
    pub title: String,
    pub description: String,
    pub category: String,
    pub sku: String,
    pub price: Money,
    pub attributes: BTreeMap<String, String>,
    /// The options the variants choose from; empty for a single-sku product.
    pub options: Vec<ProductOption>,
    /// With options: every variant, the first being the default (its sku is `sku`).
    pub variants: Vec<NewVariant>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProductCommand {
    Create(NewProduct),
    Publish {
        actor: UserId,
    },
    /// Fields left `None` keep their current value.
    ChangeDetails {
        actor: UserId,
        title: Option<String>,
        description: Option<String>,
        category: Option<String>,
    },
    ChangePrice {
        actor: UserId,
        price: Money,
    },
    Archive {
        actor: UserId,
    },
    AddVariant {
        actor: UserId,
        variant: NewVariant,
    },
    /// `price: None` clears the override: the variant sells at the product's price.
    ChangeVariantPrice {
        actor: UserId,
        sku: String,
        price: Option<Money>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProductError {
    #[error("product already exists")]
    AlreadyExists,
    #[error("product not found")]
    NotFound,
    /// Someone else's product. Refused in the very words of [`Self::NotFound`]: a refusal must
    /// not tell a stranger that the product exists (drafts are private).
    #[error("product not found")]
    NotSeller,
    #[error("product is {0} and cannot be {1}")]
    InvalidTransition(&'static str, &'static str),
    #[error("{0}")]
    Invalid(String),
    #[error("variant {0}: {1}")]
    VariantOptions(String, String),
    #[error("variant {0} has the option values of another variant")]
    DuplicateVariant(String),
    #[error("the product has no options: a product's options are set when it is created")]
    NoOptions,
    #[error("the product already has a different variant {0}")]
    VariantExists(String),
    #[error("the product has no variant {0}")]
    VariantNotFound(String),
}

impl shared_kernel::application::Rejection for ProductError {
    /// The stable error code and the kind of refusal (the edge picks the status from it).
    fn code_and_kind(&self) -> (&'static str, RejectionKind) {
        match self {
            Self::AlreadyExists => ("product_exists", RejectionKind::Conflict),
            // Someone else's product looks like no product (same code and message).
            Self::NotFound | Self::NotSeller => ("not_found", RejectionKind::NotFound),
            Self::InvalidTransition(..) => ("invalid_product_state", RejectionKind::Conflict),
            Self::Invalid(_) => ("validation_failed", RejectionKind::Invalid),
            Self::VariantOptions(..) => ("variant_options_mismatch", RejectionKind::Invalid),
            Self::DuplicateVariant(_) => ("duplicate_variant", RejectionKind::Invalid),
            Self::NoOptions => ("product_has_no_options", RejectionKind::Invalid),
            Self::VariantExists(_) => ("variant_exists", RejectionKind::Conflict),
            Self::VariantNotFound(_) => ("variant_not_found", RejectionKind::NotFound),
        }
    }
}

fn check_text(rule: &TextRule, value: &str) -> Result<(), ProductError> {
    rule.check(value)
        .map_err(|e| ProductError::Invalid(e.to_string()))
}

/// The highest price of a product or a variant, in minor units (1,000,000,000.00 in a
/// currency of two decimals). With at most 10,000 units a line and 100 lines an order, an order
/// stays under 10^17 minor units, so totals, refunds and sellers' ledgers (`i64`) have room for
/// thousands of the largest orders before any sum could overflow.
pub const MAX_PRICE_MINOR: i64 = 100_000_000_000;

/// A price: above zero, at most [`MAX_PRICE_MINOR`].
pub(super) fn check_price(price: Money) -> Result<(), ProductError> {
    if !(1..=MAX_PRICE_MINOR).contains(&price.amount_minor) {
        return Err(ProductError::Invalid(format!(
            "price must be 1 to {MAX_PRICE_MINOR} minor units, got {}",
            price.amount_minor
        )));
    }
    Ok(())
}

fn check_details(title: &str, description: &str, category: &str) -> Result<(), ProductError> {
    check_text(&TITLE, title)?;
    check_text(&DESCRIPTION, description)?;
    check_text(&CATEGORY, category)
}

fn check_new(p: &NewProduct) -> Result<(), ProductError> {
    check_details(&p.title, &p.description, &p.category)?;
    check_sku(&p.sku)?;
    check_price(p.price)?;
    variant::check_new_variants(&p.options, &p.variants, p.price)?;
    if p.variants.first().is_some_and(|v| v.sku != p.sku) {
        return Err(invalid(
            "sku names the default variant: leave it out or give the first variant's",
        ));
    }
    if p.attributes.len() > MAX_ATTRIBUTES {
        return Err(ProductError::Invalid(format!(
            "at most {MAX_ATTRIBUTES} attributes"
        )));
    }
    p.attributes.iter().try_for_each(|(name, value)| {
        check_text(&ATTRIBUTE_NAME, name)?;
        check_text(&ATTRIBUTE_VALUE, value)
    })
}

impl Product {
    pub(super) fn owned_by(&self, actor: UserId) -> Result<(), ProductError> {
        match self.status {
            ProductStatus::Nonexistent => Err(ProductError::NotFound),
            _ if self.seller != actor => Err(ProductError::NotSeller),
            _ => Ok(()),
        }
    }
}

impl Aggregate for Product {
    const KIND: &'static str = "product";
    type Command = ProductCommand;
    type Event = ProductEvent;
    type Error = ProductError;

    fn decide(
        &self,
        command: ProductCommand,
        _now: Timestamp,
    ) -> Result<Vec<ProductEvent>, ProductError> {
        use ProductStatus::{Active, Archived, Draft, Nonexistent};
        match command {
            ProductCommand::Create(p) => {
                if self.status != Nonexistent {
                    return Err(ProductError::AlreadyExists);
                }
                check_new(&p)?;
                let mut events = vec![ProductEvent::Created(ProductCreated {
                    product_id: p.product_id,
                    seller_id: p.seller_id,
                    title: p.title.trim().to_owned(),
                    description: p.description,
                    category: p.category.trim().to_owned(),
                    sku: p.sku,
                    price: p.price,
                    attributes: p.attributes,
                })];
                if !p.options.is_empty() {
                    events.push(ProductEvent::OptionsSet(ProductOptionsSet {
                        product_id: p.product_id,
                        options: p.options,
                    }));
                    events.extend(p.variants.into_iter().map(|v| {
                        ProductEvent::VariantAdded(VariantAdded {
                            product_id: p.product_id,
                            seller_id: p.seller_id,
                            sku: v.sku,
                            option_values: v.option_values,
                            price: v.price,
                        })
                    }));
                }
                Ok(events)
            }
            ProductCommand::AddVariant { actor, variant } => self.add_variant(actor, variant),
            ProductCommand::ChangeVariantPrice { actor, sku, price } => {
                self.change_variant_price(actor, sku, price)
            }
            ProductCommand::Publish { actor } => {
                self.owned_by(actor)?;
                match self.status {
                    Draft => Ok(vec![ProductEvent::Published(ProductPublished {
                        product_id: self.id,
                    })]),
                    // Publishing twice is a no-op, so a retried request succeeds.
                    Active => Ok(vec![]),
                    s => Err(ProductError::InvalidTransition(s.as_str(), "published")),
                }
            }
            ProductCommand::ChangeDetails {
                actor,
                title,
                description,
                category,
            } => {
                self.owned_by(actor)?;
                if self.status == Archived {
                    return Err(ProductError::InvalidTransition("archived", "changed"));
                }
                let title = title.map_or_else(|| self.title.clone(), |t| t.trim().to_owned());
                let description = description.unwrap_or_else(|| self.description.clone());
                let category =
                    category.map_or_else(|| self.category.clone(), |c| c.trim().to_owned());
                check_details(&title, &description, &category)?;
                if (&title, &description, &category)
                    == (&self.title, &self.description, &self.category)
                {
                    return Ok(vec![]);
                }
                Ok(vec![ProductEvent::DetailsChanged(ProductDetailsChanged {
                    product_id: self.id,
                    title,
                    description,
                    category,
                })])
            }
            ProductCommand::ChangePrice { actor, price } => {
                self.owned_by(actor)?;
                if self.status == Archived {
                    return Err(ProductError::InvalidTransition("archived", "repriced"));
                }
                check_price(price)?;
                if self.price.is_some_and(|old| old.currency != price.currency) {
                    return Err(ProductError::Invalid(
                        "the price's currency cannot change".into(),
                    ));
                }
                if self.price == Some(price) {
                    return Ok(vec![]);
                }
                Ok(vec![ProductEvent::PriceChanged(ProductPriceChanged {
                    product_id: self.id,
                    price,
                })])
            }
            ProductCommand::Archive { actor } => {
                self.owned_by(actor)?;
                match self.status {
                    Archived => Ok(vec![]),
                    _ => Ok(vec![ProductEvent::Archived(ProductArchived {
                        product_id: self.id,
                    })]),
                }
            }
        }
    }

    fn evolve(self, event: &ProductEvent) -> Self {
        match event {
            ProductEvent::Created(e) => Self {
                id: e.product_id,
                seller: e.seller_id,
                status: ProductStatus::Draft,
                price: Some(e.price),
                title: e.title.clone(),
                description: e.description.clone(),
                category: e.category.clone(),
                sku: e.sku.clone(),
                options: Vec::new(),
                variants: BTreeMap::from([(e.sku.clone(), Variant::default())]),
            },
            ProductEvent::OptionsSet(e) => Self {
                options: e.options.clone(),
                ..self
            },
            ProductEvent::VariantAdded(e) => {
                let mut next = self;
                next.variants.insert(
                    e.sku.clone(),
                    Variant {
                        option_values: e.option_values.clone(),
                        price: e.price,
                    },
                );
                next
            }
            ProductEvent::VariantPriceChanged(e) => {
                let mut next = self;
                if let Some(v) = next.variants.get_mut(&e.sku) {
                    v.price = e.price;
                }
                next
            }
            ProductEvent::Published(_) => Self {
                status: ProductStatus::Active,
                ..self
            },
            ProductEvent::PriceChanged(e) => Self {
                price: Some(e.price),
                ..self
            },
            ProductEvent::DetailsChanged(e) => Self {
                title: e.title.clone(),
                description: e.description.clone(),
                category: e.category.clone(),
                ..self
            },
            ProductEvent::Archived(_) => Self {
                status: ProductStatus::Archived,
                ..self
            },
        }
    }
}
