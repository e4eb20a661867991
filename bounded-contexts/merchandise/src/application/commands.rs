//! The merchandise commands as they travel on the command bus.

use std::collections::BTreeMap;

use event_schemas::merchandise::ProductOption;
use serde::{Deserialize, Serialize};
use shared_kernel::Money;
use shared_kernel::ids::{ProductId, UserId};

use crate::domain::{NewProduct, NewVariant, ProductCommand};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", content = "payload", rename_all = "snake_case")]
pub enum MerchandiseCommand {
    CreateProduct {
        product_id: ProductId,
        title: String,
        description: String,
        category: String,
        /// Empty with `variants`: the first variant's sku.
        #[serde(default)]
        sku: String,
        price: Money,
        #[serde(default)]
        attributes: BTreeMap<String, String>,
        #[serde(default)]
        options: Vec<ProductOption>,
        #[serde(default)]
        variants: Vec<NewVariant>,
    },
    PublishProduct {
        product_id: ProductId,
    },
    ChangeProductDetails {
        product_id: ProductId,
        title: Option<String>,
        description: Option<String>,
        category: Option<String>,
    },
    ChangeProductPrice {
        product_id: ProductId,
        price: Money,
    },
    ArchiveProduct {
        product_id: ProductId,
    },
    AddVariant {
        product_id: ProductId,
        variant: NewVariant,
    },
    ChangeVariantPrice {
        product_id: ProductId,
        sku: String,
        price: Option<Money>,
    },
}

impl MerchandiseCommand {
    #[must_use]
    pub const fn product_id(&self) -> ProductId {
        match self {
            Self::CreateProduct { product_id, .. }
            | Self::PublishProduct { product_id }
            | Self::ChangeProductDetails { product_id, .. }
            | Self::ChangeProductPrice { product_id, .. }
            | Self::ArchiveProduct { product_id }
            | Self::AddVariant { product_id, .. }
            | Self::ChangeVariantPrice { product_id, .. } => *product_id,
        }
    }

    /// The aggregate command, with the authenticated `actor`.
    #[must_use]
    pub fn into_domain(self, actor: UserId) -> ProductCommand {
        match self {
            Self::CreateProduct {
                product_id,
                title,
                description,
                category,
                sku,
                price,
                attributes,
                options,
                variants,
            } => ProductCommand::Create(NewProduct {
                product_id,
                seller_id: actor,
                title,
                description,
                category,
                sku: match variants.first() {
                    Some(first) if sku.is_empty() => first.sku.clone(),
                    _ => sku,
                },
                price,
                attributes,
                options,
                variants,
            }),
            Self::PublishProduct { .. } => ProductCommand::Publish { actor },
            Self::ChangeProductDetails {
                title,
                description,
                category,
                ..
            } => ProductCommand::ChangeDetails {
                actor,
                title,
                description,
                category,
            },
            Self::ChangeProductPrice { price, .. } => ProductCommand::ChangePrice { actor, price },
            Self::ArchiveProduct { .. } => ProductCommand::Archive { actor },
            Self::AddVariant { variant, .. } => ProductCommand::AddVariant { actor, variant },
            Self::ChangeVariantPrice { sku, price, .. } => {
                ProductCommand::ChangeVariantPrice { actor, sku, price }
            }
        }
    }
}
