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

use std::sync::Arc;

use async_trait::async_trait;
use shared_kernel::application::{
    CommandKit, ExecuteError, Executed, Handled, accept, decode, finish, rejected, require_user,
    untracked,
};
use shared_kernel::ids::ProductId;
use shared_kernel::{
    Aggregate, Clock, CommandEnvelope, CommandHandler, CommandReply, EventMetadata, EventStore,
    StoreError, StreamId,
};

use super::MerchandiseCommand;
use crate::domain::{NewProduct, Product, ProductCommand, SkuClaim, SkuClaimCommand};

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

fn product_body(product_id: ProductId) -> impl FnOnce(&Executed<Product>) -> serde_json::Value {
    move |done| serde_json::json!({ "id": product_id, "status": done.state.status.as_str() })
}

impl MerchandiseHandler {
    #[must_use]
    pub fn new(store: Arc<dyn EventStore>, clock: Arc<dyn Clock>) -> Self {
        Self {
            kit: CommandKit::new(store, clock),
        }
    }

    async fn run(&self, envelope: &CommandEnvelope) -> Handled {
        let command: MerchandiseCommand = decode(envelope)?;
        let actor = require_user(envelope)?;
        let product_id = command.product_id();
        let stream = StreamId::of(Product::KIND, product_id);
        let metadata = envelope.event_metadata();
        let command = match command.into_domain(actor) {
            ProductCommand::Create(new) => return self.create(envelope, &metadata, new).await,
            other => other,
        };
        let result = self
            .kit
            .execute::<Product>(&stream, command, &metadata)
            .await;
        accept(envelope, &stream, result, product_body(product_id))
    }

    /// Claims the sku, then creates the product; answers 409 `sku_taken` when another product
    /// holds the sku.
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
        let claim_stream = sku_stream(&new.sku);
        // The claim is its own step: its events carry no command id, so the command's result
        // is the product stream's alone, and a retry re-claims (a no-op for the same product)
        // even after a failed creation gave the sku back.
        let claim_metadata = untracked(metadata);
        let abandoned_by = self.abandoned_holder(&claim_stream, product_id).await?;
        let claim = self
            .kit
            .execute::<SkuClaim>(
                &claim_stream,
                SkuClaimCommand::Claim {
                    sku: new.sku.clone(),
                    product_id,
                    seller_id: new.seller_id,
                    abandoned_by,
                },
                &claim_metadata,
            )
            .await;
        match claim {
            Ok(_) => {}
            // Another creation won the race for a sku nobody held: it is taken as well.
            Err(ExecuteError::Domain(e)) => return Ok(rejected(envelope, &e)),
            Err(ExecuteError::Conflict) => {
                return Ok(envelope.reject(
                    409,
                    "sku_taken",
                    format!("sku {} belongs to another product", new.sku),
                ));
            }
            Err(ExecuteError::Store(e)) => return Err(e.into()),
            Err(e) => return Err(StoreError::Corrupt(e.to_string()).into()),
        }
        let sku = new.sku.clone();
        let result = self
            .kit
            .execute::<Product>(&stream, ProductCommand::Create(new), metadata)
            .await;
        if result.is_err() {
            self.release(&claim_stream, sku, product_id, &claim_metadata)
                .await;
        }
        accept(envelope, &stream, result, product_body(product_id))
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

    /// Compensation: gives the sku back after a creation that did not happen. A creation
    /// whose append failed may still have committed (the reply was lost): the claim stays
    /// when the product exists.
    async fn release(
        &self,
        claim: &StreamId,
        sku: String,
        product_id: ProductId,
        metadata: &EventMetadata,
    ) {
        match self
            .kit
            .exists(&StreamId::of(Product::KIND, product_id))
            .await
        {
            Ok(false) => {}
            Ok(true) => return,
            Err(e) => {
                tracing::warn!(error = %e, %product_id, "cannot check a failed creation; its sku claim stays");
                return;
            }
        }
        let release = SkuClaimCommand::Release {
            sku,
            product_id,
            reason: "product creation failed".into(),
        };
        if let Err(e) = self.kit.execute::<SkuClaim>(claim, release, metadata).await {
            // The claim stays; a later creation takes it over once it counts as abandoned.
            tracing::warn!(error = %e, %product_id, "cannot release the sku claim of a failed creation");
        }
    }
}

#[async_trait]
impl CommandHandler for MerchandiseHandler {
    async fn handle(&self, envelope: CommandEnvelope) -> Result<CommandReply, StoreError> {
        finish(self.run(&envelope).await)
    }
}
