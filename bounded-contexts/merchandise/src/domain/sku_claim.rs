//! The sku uniqueness guard: one stream per sku (`sku-<sku>`), claimed by exactly one product.
//!
//! A sku names one stock-keeping unit and inventory keeps stock per sku, so two products with
//! one sku would sell the same stock, and a second seller naming the first's sku would sell
//! their stock. Creating a product therefore first claims its sku, appending to a stream that
//! must not exist yet (the store's unique index picks one winner among racing creations), and
//! only then creates the product. The claim belongs to the product, not to the seller: the
//! same seller listing a second product under a sku already used is refused too (it would
//! share the first product's stock). A retry of the same creation (same product id) claims
//! nothing new.
//!
//! A claim whose product was never created (the process died, the store failed in between)
//! names the product id, so a later creation that sees no such product can take the sku over
//! once the claim is old enough that no creation can still be on its way.

use event_schemas::merchandise::{SkuClaimEvent, SkuClaimed, SkuReleased};
use shared_kernel::RejectionKind;
use shared_kernel::ids::{ProductId, UserId};
use shared_kernel::{Aggregate, Timestamp};

/// How old a claim without a created product must be before another creation may take it over.
pub const SKU_ABANDONED_AFTER_SECS: i64 = 120;

/// Who holds a sku.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SkuHolder {
    pub product_id: ProductId,
    pub seller_id: UserId,
    pub since: Timestamp,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SkuClaim {
    pub holder: Option<SkuHolder>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkuClaimCommand {
    Claim {
        sku: String,
        product_id: ProductId,
        seller_id: UserId,
        /// The current holder, if the caller checked that it was never created.
        abandoned_by: Option<ProductId>,
    },
    Release {
        sku: String,
        product_id: ProductId,
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SkuClaimError {
    #[error("sku {0} belongs to another product")]
    Taken(String),
}

impl shared_kernel::application::Rejection for SkuClaimError {
    fn code_and_kind(&self) -> (&'static str, RejectionKind) {
        match self {
            Self::Taken(_) => ("sku_taken", RejectionKind::Conflict),
        }
    }
}

impl Aggregate for SkuClaim {
    const KIND: &'static str = "sku";
    type Command = SkuClaimCommand;
    type Event = SkuClaimEvent;
    type Error = SkuClaimError;

    fn decide(
        &self,
        command: SkuClaimCommand,
        now: Timestamp,
    ) -> Result<Vec<SkuClaimEvent>, SkuClaimError> {
        match command {
            SkuClaimCommand::Claim {
                sku,
                product_id,
                seller_id,
                abandoned_by,
            } => {
                let claimed = |sku| {
                    SkuClaimEvent::Claimed(SkuClaimed {
                        sku,
                        product_id,
                        seller_id,
                        claimed_at: now,
                    })
                };
                match self.holder {
                    None => Ok(vec![claimed(sku)]),
                    // A retry of the same creation.
                    Some(h) if h.product_id == product_id => Ok(vec![]),
                    Some(h)
                        if abandoned_by == Some(h.product_id)
                            && (now - h.since).num_seconds() >= SKU_ABANDONED_AFTER_SECS =>
                    {
                        Ok(vec![
                            SkuClaimEvent::Released(SkuReleased {
                                sku: sku.clone(),
                                product_id: h.product_id,
                                reason: "product never created".into(),
                            }),
                            claimed(sku),
                        ])
                    }
                    Some(_) => Err(SkuClaimError::Taken(sku)),
                }
            }
            SkuClaimCommand::Release {
                sku,
                product_id,
                reason,
            } => match self.holder {
                Some(h) if h.product_id == product_id => {
                    Ok(vec![SkuClaimEvent::Released(SkuReleased {
                        sku,
                        product_id,
                        reason,
                    })])
                }
                // Not held by this product (any more): nothing to give up.
                _ => Ok(vec![]),
            },
        }
    }

    fn evolve(self, event: &SkuClaimEvent) -> Self {
        match event {
            SkuClaimEvent::Claimed(c) => Self {
                holder: Some(SkuHolder {
                    product_id: c.product_id,
                    seller_id: c.seller_id,
                    since: c.claimed_at,
                }),
            },
            SkuClaimEvent::Released(_) => Self { holder: None },
        }
    }
}
