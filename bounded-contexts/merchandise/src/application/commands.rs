//! The merchandise commands as they travel on the command bus, one enum per aggregate they act
//! on. The wire form is the inner enum's `{"name", "payload"}`; the outer enum says whose
//! aggregate's, so the handler dispatches once. (The `SkuClaim` guard streams take no command
//! of their own: the handler claims skus while it runs a product's.)

use std::collections::BTreeMap;

use event_schemas::merchandise::ProductOption;
use serde::{Deserialize, Serialize};
use shared_kernel::Money;
use shared_kernel::ids::{ProductId, UserId};

use crate::CONTEXT;
use crate::domain::{NewProduct, NewVariant, ProductCommand};

/// Every command the merchandise context takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MerchandiseCommand {
    /// A seller's command on one of their products (a `Product`).
    Product(ProductRequest),
}

/// A seller's command on a product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", content = "payload", rename_all = "snake_case")]
pub enum ProductRequest {
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

impl shared_kernel::ContextCommand for MerchandiseCommand {
    const CONTEXT: &'static str = CONTEXT;
}

impl From<ProductRequest> for MerchandiseCommand {
    fn from(request: ProductRequest) -> Self {
        Self::Product(request)
    }
}

impl ProductRequest {
    /// The command as the bus carries it.
    #[must_use]
    pub fn into_command(self) -> MerchandiseCommand {
        MerchandiseCommand::Product(self)
    }

    /// The product the command acts on.
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_form_is_the_inner_command_s() {
        let product_id = ProductId::new();
        let command = ProductRequest::PublishProduct { product_id }.into_command();
        let wire = serde_json::to_value(&command).unwrap();
        assert_eq!(
            wire,
            serde_json::json!({ "name": "publish_product", "payload": { "product_id": product_id } })
        );
        assert_eq!(
            serde_json::from_value::<MerchandiseCommand>(wire).unwrap(),
            command
        );
    }
}
