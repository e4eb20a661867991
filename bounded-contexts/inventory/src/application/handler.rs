//! The inventory command handler: seller commands on one stock stream here, the order saga's
//! reservation commands in [`super::reservations`].

use shared_kernel::RejectionKind;
use std::sync::Arc;

use async_trait::async_trait;
use shared_kernel::application::{
    CommandKit, ConflictRetry, Handled, accept, decode, finish, require_system, require_user,
};
use shared_kernel::ids::OrderId;
use shared_kernel::{
    Aggregate, Clock, CommandEnvelope, CommandHandler, CommandReply, EventStore, StoreError,
    StreamId,
};

use super::{InventoryCommand, ReservationRequest, SkuStock, StockItemRequest};
use crate::domain::{Reservation, ReservationCommand, StockCommand, StockItem};
use event_schemas::inventory::commands::{CommitStock, ReleaseStock};

const MAX_SKU: usize = 64;

#[derive(Debug)]
pub struct InventoryHandler {
    /// Every write goes through `execute_contended`: a hot sku's stream is the normal case.
    pub(super) kit: CommandKit,
}

/// Is `sku` usable as a stream id (the same rule the catalog applies)?
#[must_use]
pub fn valid_sku(sku: &str) -> bool {
    !sku.is_empty()
        && sku.len() <= MAX_SKU
        && sku
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[must_use]
pub fn stock_stream(sku: &str) -> StreamId {
    StreamId::of(StockItem::KIND, sku)
}

#[must_use]
pub fn reservation_stream(order_id: OrderId) -> StreamId {
    StreamId::of(Reservation::KIND, order_id)
}

impl InventoryHandler {
    #[must_use]
    pub fn new(store: Arc<dyn EventStore>, clock: Arc<dyn Clock>) -> Self {
        Self {
            kit: CommandKit::new(store, clock),
        }
    }

    #[must_use]
    pub fn with_retry(mut self, retry: ConflictRetry) -> Self {
        self.kit = self.kit.with_retry(retry);
        self
    }

    async fn run(&self, envelope: &CommandEnvelope) -> Handled {
        match decode(envelope)? {
            InventoryCommand::StockItem(request) => self.stock_item(envelope, request).await,
            InventoryCommand::Reservation(request) => {
                // The saga's and the timer's commands come from the platform, never from a user.
                require_system(envelope, "only the platform sends this command")?;
                self.reservation(envelope, request).await
            }
        }
    }

    async fn reservation(
        &self,
        envelope: &CommandEnvelope,
        request: ReservationRequest,
    ) -> Handled {
        match request {
            ReservationRequest::ReserveStock(c) => self.reserve(envelope, c).await,
            ReservationRequest::CommitStock(CommitStock { order_id }) => {
                self.conclude(envelope, order_id, ReservationCommand::Commit { order_id })
                    .await
            }
            ReservationRequest::ReleaseStock(ReleaseStock { order_id, reason }) => {
                let release = ReservationCommand::Release { order_id, reason };
                self.conclude(envelope, order_id, release).await
            }
            ReservationRequest::ReleaseStockLines(c) => self.release_lines_of(envelope, c).await,
            ReservationRequest::ExpireReservation { order_id } => {
                self.conclude(envelope, order_id, ReservationCommand::Expire { order_id })
                    .await
            }
        }
    }

    async fn stock_item(&self, envelope: &CommandEnvelope, request: StockItemRequest) -> Handled {
        let actor = require_user(envelope)?;
        let (sku, stock_command) = match request {
            StockItemRequest::ReceiveStock {
                sku,
                product_id,
                quantity,
            } => (
                sku.clone(),
                StockCommand::Receive {
                    sku,
                    product_id,
                    actor,
                    quantity,
                },
            ),
            StockItemRequest::AdjustStock {
                sku,
                product_id,
                delta,
                reason,
            } => (
                sku.clone(),
                StockCommand::Adjust {
                    sku,
                    product_id,
                    actor,
                    delta,
                    reason,
                },
            ),
            StockItemRequest::SetLowStockThreshold {
                sku,
                product_id,
                threshold,
            } => (
                sku.clone(),
                StockCommand::SetThreshold {
                    sku,
                    product_id,
                    actor,
                    threshold,
                },
            ),
        };
        if !valid_sku(&sku) {
            return Ok(envelope.reject(
                RejectionKind::NotFound,
                "not_found",
                "no stock is kept for this sku",
            ));
        }
        let stream = stock_stream(&sku);
        let result = self
            .kit
            .execute_contended::<StockItem>(&stream, stock_command, &envelope.event_metadata())
            .await;
        accept(envelope, &stream, result, |done| {
            SkuStock::from(&*done.state)
        })
    }
}

#[async_trait]
impl CommandHandler for InventoryHandler {
    async fn handle(&self, envelope: CommandEnvelope) -> Result<CommandReply, StoreError> {
        finish(self.run(&envelope).await)
    }
}
