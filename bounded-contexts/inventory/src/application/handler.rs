//! The inventory command handler: seller commands on one stock stream here, the order saga's
//! reservation commands in [`super::reservations`].

use std::sync::Arc;

use async_trait::async_trait;
use shared_kernel::application::{
    CommandKit, ConflictRetry, Executed, Handled, accept, decode, finish, require_system,
    require_user,
};
use shared_kernel::ids::OrderId;
use shared_kernel::{
    Aggregate, Clock, CommandEnvelope, CommandHandler, CommandReply, EventStore, StoreError,
    StreamId,
};

use super::InventoryCommand;
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

fn levels_body(done: &Executed<StockItem>) -> serde_json::Value {
    let s = &done.state;
    serde_json::json!({
        "sku": s.sku,
        "on_hand": s.levels.on_hand,
        "reserved": s.levels.reserved,
        "available": s.levels.available,
        "low_stock_threshold": s.low_stock_threshold,
    })
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
        let command: InventoryCommand = decode(envelope)?;
        let seller_command = matches!(
            command,
            InventoryCommand::ReceiveStock { .. }
                | InventoryCommand::AdjustStock { .. }
                | InventoryCommand::SetLowStockThreshold { .. }
        );
        if seller_command {
            return self.seller_command(envelope, command).await;
        }
        // The saga's and the timer's commands come from the platform itself, never from a user.
        require_system(envelope, "only the platform sends this command")?;
        match command {
            InventoryCommand::ReserveStock(c) => self.reserve(envelope, c).await,
            InventoryCommand::CommitStock(CommitStock { order_id }) => {
                self.conclude(envelope, order_id, ReservationCommand::Commit { order_id })
                    .await
            }
            InventoryCommand::ReleaseStock(ReleaseStock { order_id, reason }) => {
                let release = ReservationCommand::Release { order_id, reason };
                self.conclude(envelope, order_id, release).await
            }
            InventoryCommand::ReleaseStockLines(c) => self.release_lines_of(envelope, c).await,
            InventoryCommand::ExpireReservation { order_id } => {
                self.conclude(envelope, order_id, ReservationCommand::Expire { order_id })
                    .await
            }
            InventoryCommand::ReceiveStock { .. }
            | InventoryCommand::AdjustStock { .. }
            | InventoryCommand::SetLowStockThreshold { .. } => {
                self.seller_command(envelope, command).await
            }
        }
    }

    async fn seller_command(
        &self,
        envelope: &CommandEnvelope,
        command: InventoryCommand,
    ) -> Handled {
        let actor = require_user(envelope)?;
        let (sku, stock_command) = match command {
            InventoryCommand::ReceiveStock {
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
            InventoryCommand::AdjustStock {
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
            InventoryCommand::SetLowStockThreshold {
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
            _ => return Ok(envelope.reject(422, "invalid_command", "not a seller command")),
        };
        if !valid_sku(&sku) {
            return Ok(envelope.reject(404, "not_found", "no stock is kept for this sku"));
        }
        let stream = stock_stream(&sku);
        let result = self
            .kit
            .execute_contended::<StockItem>(&stream, stock_command, &envelope.event_metadata())
            .await;
        accept(envelope, &stream, result, levels_body)
    }
}

#[async_trait]
impl CommandHandler for InventoryHandler {
    async fn handle(&self, envelope: CommandEnvelope) -> Result<CommandReply, StoreError> {
        finish(self.run(&envelope).await)
    }
}
