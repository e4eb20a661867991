//! The merchandise command handler: load, decide, append, reply.
//!
//! Creating a product touches two streams. It first claims the sku (`sku-<sku>`, see
//! `domain::SkuClaim`), then creates the product (`product-<id>`). A request the product would
//! refuse anyway (a blank title, a bad sku) claims nothing. If the creation fails after the
//! claim, the claim is released again (best effort); if even that fails (the process dies in
//! between), the claim names a product that does not exist, and a later creation naming the
//! sku takes it over once it is older than `SKU_ABANDONED_AFTER_SECS`. A retry of the same
//! creation (the same product id, as an `Idempotency-Key` retry sends it) finds its own claim
//! and the product's command result, and answers as the first time.
//!
//! Variants have skus of their own, claimed the same way for the product: all of them before a
//! product with variants is created (each given back if the creation fails), and a new one
//! before `variant_added` is appended.

use shared_kernel::RejectionKind;
use std::sync::Arc;

use async_trait::async_trait;
use shared_kernel::application::{
    CommandKit, ExecuteError, Executed, Handled, Stop, accept, decode, finish, rejected,
    require_user, untracked,
};
use shared_kernel::ids::{ProductId, UserId};
use shared_kernel::{
    Aggregate, Clock, CommandEnvelope, CommandHandler, CommandReply, EventMetadata, EventStore,
    StoreError, StreamId,
};

use super::{MerchandiseCommand, ProductState};
use crate::domain::{NewProduct, NewVariant, Product, ProductCommand, SkuClaim, SkuClaimCommand};

#[derive(Debug)]
pub struct MerchandiseHandler {
    kit: CommandKit,
}

/// The uniqueness-guard stream of a sku: `sku-<sku>` (skus are letters, digits, `-` and `_`,
/// checked before any stream is named after one).
#[must_use]
pub fn sku_stream(sku: &str) -> StreamId {
    StreamId::of(SkuClaim::KIND, sku)
}

/// The reply of every product command: the product's id and status after it.
fn product_state(done: &Executed<Product>) -> ProductState {
    ProductState::from(&*done.state)
}

impl MerchandiseHandler {
    #[must_use]
    pub fn new(store: Arc<dyn EventStore>, clock: Arc<dyn Clock>) -> Self {
        Self {
            kit: CommandKit::new(store, clock),
        }
    }

    async fn run(&self, envelope: &CommandEnvelope) -> Handled {
        let MerchandiseCommand::Product(request) = decode(envelope)?;
        let actor = require_user(envelope)?;
        let product_id = request.product_id();
        let metadata = envelope.event_metadata();
        match request.into_domain(actor) {
            ProductCommand::Create(new) => self.create(envelope, &metadata, new).await,
            ProductCommand::AddVariant { actor, variant } => {
                self.add_variant(envelope, &metadata, product_id, actor, variant)
                    .await
            }
            command => {
                let stream = StreamId::of(Product::KIND, product_id);
                let result = self
                    .kit
                    .execute::<Product>(&stream, command, &metadata)
                    .await;
                accept(envelope, &stream, result, product_state)
            }
        }
    }

    /// Claims the skus (the product's and its variants'), then creates the product; answers
    /// 409 `sku_taken` when another product holds one of them.
    async fn create(
        &self,
        envelope: &CommandEnvelope,
        metadata: &EventMetadata,
        new: NewProduct,
    ) -> Handled {
        let product_id = new.product_id;
        let stream = StreamId::of(Product::KIND, product_id);
        // The request's own validity first (pure): what the product refuses claims nothing.
        if let Err(e) =
            Product::default().decide(ProductCommand::Create(new.clone()), self.kit.clock.now())
        {
            return Ok(rejected(envelope, &e));
        }
        // The claims are steps of their own: their events carry no command id, so the
        // command's result is the product stream's alone, and a retry re-claims (a no-op for
        // the same product) even after a failed creation gave the skus back.
        let claim_metadata = untracked(metadata);
        let mut skus = vec![new.sku.clone()];
        skus.extend(new.variants.iter().skip(1).map(|v| v.sku.clone()));
        for (done, sku) in skus.iter().enumerate() {
            if let Err(stop) = self
                .claim(envelope, &claim_metadata, sku, product_id, new.seller_id)
                .await
            {
                for claimed in &skus[..done] {
                    self.release(claimed, product_id, &claim_metadata, false)
                        .await;
                }
                return Err(stop);
            }
        }
        let result = self
            .kit
            .execute::<Product>(&stream, ProductCommand::Create(new), metadata)
            .await;
        if result.is_err() {
            for sku in &skus {
                self.release(sku, product_id, &claim_metadata, false).await;
            }
        }
        accept(envelope, &stream, result, product_state)
    }

    /// Claims the new variant's sku for the product, then adds the variant.
    async fn add_variant(
        &self,
        envelope: &CommandEnvelope,
        metadata: &EventMetadata,
        product_id: ProductId,
        actor: UserId,
        variant: NewVariant,
    ) -> Handled {
        let sku = variant.sku.clone();
        let command = ProductCommand::AddVariant { actor, variant };
        let stream = StreamId::of(Product::KIND, product_id);
        let product = self.kit.state::<Product>(&stream).await?;
        // What the product refuses claims nothing; a retry of an added variant claims nothing.
        match product.decide(command.clone(), self.kit.clock.now()) {
            Err(e) => return Ok(rejected(envelope, &e)),
            Ok(events) if events.is_empty() => {}
            Ok(_) => {
                let claim_metadata = untracked(metadata);
                self.claim(envelope, &claim_metadata, &sku, product_id, actor)
                    .await?;
                let result = self
                    .kit
                    .execute::<Product>(&stream, command, metadata)
                    .await;
                if result.is_err() {
                    self.release(&sku, product_id, &claim_metadata, true).await;
                }
                return accept(envelope, &stream, result, product_state);
            }
        }
        let result = self
            .kit
            .execute::<Product>(&stream, command, metadata)
            .await;
        accept(envelope, &stream, result, product_state)
    }

    /// Claims `sku` for `product_id`; a rejection (409 `sku_taken`) when another product
    /// holds it.
    async fn claim(
        &self,
        envelope: &CommandEnvelope,
        claim_metadata: &EventMetadata,
        sku: &str,
        product_id: ProductId,
        seller_id: UserId,
    ) -> Result<(), Stop> {
        let claim_stream = sku_stream(sku);
        let abandoned_by = self.abandoned_holder(&claim_stream, product_id).await?;
        let claim = self
            .kit
            .execute::<SkuClaim>(
                &claim_stream,
                SkuClaimCommand::Claim {
                    sku: sku.to_owned(),
                    product_id,
                    seller_id,
                    abandoned_by,
                },
                claim_metadata,
            )
            .await;
        match claim {
            Ok(_) => Ok(()),
            Err(ExecuteError::Domain(e)) => Err(rejected(envelope, &e).into()),
            // Another creation won the race for a sku nobody held: it is taken as well.
            Err(ExecuteError::Conflict) => Err(envelope
                .reject(
                    RejectionKind::Conflict,
                    "sku_taken",
                    format!("sku {sku} belongs to another product"),
                )
                .into()),
            Err(ExecuteError::Store(e)) => Err(e.into()),
            Err(e) => Err(StoreError::Corrupt(e.to_string()).into()),
        }
    }

    /// The holder of the sku `claim`, if it is not `product_id` and was never created.
    async fn abandoned_holder(
        &self,
        claim: &StreamId,
        product_id: ProductId,
    ) -> Result<Option<ProductId>, StoreError> {
        let holder = self.kit.state::<SkuClaim>(claim).await?.holder;
        let Some(holder) = holder.filter(|h| h.product_id != product_id) else {
            return Ok(None);
        };
        let created = self
            .kit
            .exists(&StreamId::of(Product::KIND, holder.product_id))
            .await?;
        Ok((!created).then_some(holder.product_id))
    }

    /// Compensation: gives the sku back after a creation (or a variant) that did not happen.
    /// A write whose append failed may still have committed (the reply was lost): the claim
    /// stays when the product exists (`variant`: when the product lists the sku).
    async fn release(
        &self,
        sku: &str,
        product_id: ProductId,
        metadata: &EventMetadata,
        variant: bool,
    ) {
        let stream = StreamId::of(Product::KIND, product_id);
        let in_use = if variant {
            self.kit
                .state::<Product>(&stream)
                .await
                .map(|p| p.variants.contains_key(sku))
        } else {
            self.kit.exists(&stream).await
        };
        match in_use {
            Ok(false) => {}
            Ok(true) => return,
            Err(e) => {
                tracing::warn!(error = %e, %product_id, "cannot check a failed write; its sku claim stays");
                return;
            }
        }
        let release = SkuClaimCommand::Release {
            sku: sku.to_owned(),
            product_id,
            reason: "product creation failed".into(),
        };
        if let Err(e) = self
            .kit
            .execute::<SkuClaim>(&sku_stream(sku), release, metadata)
            .await
        {
            // The claim stays; a later creation takes it over once it counts as abandoned.
            tracing::warn!(error = %e, %product_id, "cannot release the sku claim of a failed write");
        }
    }
}

#[async_trait]
impl CommandHandler for MerchandiseHandler {
    async fn handle(&self, envelope: CommandEnvelope) -> Result<CommandReply, StoreError> {
        finish(self.run(&envelope).await)
    }
}
