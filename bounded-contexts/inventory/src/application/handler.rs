//! The inventory command handler.
//!
//! Seller commands touch one stock stream. The order saga's commands touch the order's
//! reservation stream and one stock stream per line; no transaction spans them, so every step
//! is idempotent on its own (a sub-command id per stock stream, derived from the command id)
//! and a redelivered command finishes what a crashed delivery started:
//! - reserve: hold each line on its stock item, then record the outcome on the reservation
//!   (a line that cannot be held gives the others back first);
//! - commit, release, expire: decide on the reservation stream first (where they race, and one
//!   wins), then bring every line's stock item in line with the reservation's state.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use event_schemas::inventory::commands::{CommitStock, ReleaseStock, ReserveStock};
use event_schemas::inventory::{ReservationFailed, SkuQuantity};
use shared_kernel::application::{ExecuteError, Executed, event_id_for, reply_for};
use shared_kernel::ids::{OrderId, UserId};
use shared_kernel::{
    Aggregate, Clock, CommandEnvelope, CommandHandler, CommandReply, EventMetadata, EventStore,
    StoreError, StreamId,
};

use super::InventoryCommand;
use super::retry::{ConflictRetry, StreamLocks, execute_with_retry};
use crate::domain::{
    Holding, MAX_QUANTITY, Reservation, ReservationCommand, ReservationStatus, StockCommand,
    StockError, StockItem,
};

/// At most this many distinct skus in one reservation.
pub const MAX_LINES: usize = 100;
const MAX_SKU: usize = 64;
/// Sub-command ordinals: holding line `i` uses `HOLD + i`, and so on.
const HOLD: usize = 100;
const GIVE_BACK: usize = 10_000;
const SETTLE: usize = 20_000;
/// Reason on the stock items when a partly held reservation is given back.
const FAILED_REASON: &str = "reservation_failed";

#[derive(Debug)]
pub struct InventoryHandler {
    store: Arc<dyn EventStore>,
    clock: Arc<dyn Clock>,
    retry: ConflictRetry,
    locks: StreamLocks,
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

/// The lines merged per sku and sorted by it (a stable order for derived ids), or why not.
fn normalised(lines: Vec<SkuQuantity>) -> Result<Vec<SkuQuantity>, String> {
    if lines.is_empty() {
        return Err("a reservation needs at least one line".into());
    }
    let mut merged: BTreeMap<String, i64> = BTreeMap::new();
    for line in lines {
        if !valid_sku(&line.sku) {
            return Err(format!("invalid sku {:?}", line.sku));
        }
        if line.quantity <= 0 || line.quantity > MAX_QUANTITY {
            return Err(format!(
                "quantity of {} must be 1 to {MAX_QUANTITY}",
                line.sku
            ));
        }
        let total = merged.entry(line.sku).or_default();
        *total += line.quantity;
        if *total > MAX_QUANTITY {
            return Err(format!("at most {MAX_QUANTITY} of one sku"));
        }
    }
    if merged.len() > MAX_LINES {
        return Err(format!("at most {MAX_LINES} skus in one reservation"));
    }
    Ok(merged
        .into_iter()
        .map(|(sku, quantity)| SkuQuantity { sku, quantity })
        .collect())
}

/// The metadata of the `ordinal`-th sub-command: its own command id, so `execute` keeps each
/// stream's step idempotent on its own.
fn sub_metadata(metadata: &EventMetadata, ordinal: usize) -> EventMetadata {
    EventMetadata {
        command_id: metadata.command_id.map(|id| event_id_for(id, ordinal)),
        ..metadata.clone()
    }
}

/// A step that must complete but could not now: the bus delivers the command again later.
fn unfinished<E: std::error::Error + 'static>(e: ExecuteError<E>) -> StoreError {
    match e {
        ExecuteError::Store(e) => e,
        ExecuteError::Conflict => {
            StoreError::Unavailable("stream still contended after every retry".into())
        }
        other => StoreError::Corrupt(other.to_string()),
    }
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

fn reservation_body(order_id: OrderId, state: &Reservation) -> serde_json::Value {
    serde_json::json!({ "order_id": order_id, "status": state.status.as_str() })
}

impl InventoryHandler {
    #[must_use]
    pub fn new(store: Arc<dyn EventStore>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            retry: ConflictRetry::default(),
            locks: StreamLocks::default(),
        }
    }

    #[must_use]
    pub const fn with_retry(mut self, retry: ConflictRetry) -> Self {
        self.retry = retry;
        self
    }

    async fn run<A: Aggregate>(
        &self,
        stream: &StreamId,
        command: A::Command,
        metadata: &EventMetadata,
    ) -> Result<Executed<A>, ExecuteError<A::Error>> {
        execute_with_retry::<A>(
            &self.locks,
            self.retry,
            self.store.as_ref(),
            self.clock.as_ref(),
            stream,
            command,
            metadata,
        )
        .await
    }

    async fn seller_command(
        &self,
        envelope: &CommandEnvelope,
        command: InventoryCommand,
    ) -> Result<CommandReply, StoreError> {
        let Some(actor) = envelope
            .actor
            .as_deref()
            .and_then(|a| a.parse::<UserId>().ok())
        else {
            return Ok(envelope.reject(401, "unauthenticated", "a user must send this"));
        };
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
            .run::<StockItem>(&stream, stock_command, &envelope.event_metadata())
            .await;
        reply_for(envelope, &stream, result, levels_body)
    }

    /// Holds every line on its stock item, or none: the failure, once the held ones are back.
    async fn hold_lines(
        &self,
        metadata: &EventMetadata,
        order_id: OrderId,
        lines: &[SkuQuantity],
    ) -> Result<Option<ReservationFailed>, StoreError> {
        let mut held: Vec<SkuQuantity> = Vec::new();
        let mut failure = None;
        for (i, line) in lines.iter().enumerate() {
            let reserve = StockCommand::Reserve {
                order_id,
                quantity: line.quantity,
            };
            let result = self
                .run::<StockItem>(
                    &stock_stream(&line.sku),
                    reserve,
                    &sub_metadata(metadata, HOLD + i),
                )
                .await;
            let (reason, available) = match result {
                // Judged by the stock item's state, not by whether this delivery appended: a
                // redelivery finds the hold done, or already given back by the first attempt.
                Ok(done)
                    if done.state.holding(order_id) == Some(Holding::Reserved(line.quantity)) =>
                {
                    held.push(line.clone());
                    continue;
                }
                Ok(done) => ("out_of_stock", done.state.levels.available),
                Err(ExecuteError::Domain(StockError::NotFound)) => ("unknown_sku", 0),
                Err(ExecuteError::Domain(StockError::Insufficient { available, .. })) => {
                    ("out_of_stock", available)
                }
                Err(ExecuteError::Domain(e)) => {
                    tracing::warn!(%order_id, sku = %line.sku, error = %e, "line cannot be held");
                    ("out_of_stock", 0)
                }
                Err(e) => return Err(unfinished(e)),
            };
            failure = Some(ReservationFailed {
                order_id,
                reason: reason.to_owned(),
                sku: line.sku.clone(),
                requested: line.quantity,
                available,
            });
            break;
        }
        if failure.is_some() {
            self.release_lines(metadata, order_id, &held, FAILED_REASON, GIVE_BACK)
                .await?;
        }
        Ok(failure)
    }

    async fn release_lines(
        &self,
        metadata: &EventMetadata,
        order_id: OrderId,
        lines: &[SkuQuantity],
        reason: &str,
        first_ordinal: usize,
    ) -> Result<(), StoreError> {
        for (i, line) in lines.iter().enumerate() {
            let release = StockCommand::Release {
                order_id,
                reason: reason.to_owned(),
            };
            self.run::<StockItem>(
                &stock_stream(&line.sku),
                release,
                &sub_metadata(metadata, first_ordinal + i),
            )
            .await
            .map_err(unfinished)?;
        }
        Ok(())
    }

    /// Brings the stock items of a reservation in line with its state: sold when committed,
    /// back on the shelf when released or expired. Idempotent, so safe after any redelivery.
    async fn settle_stock(
        &self,
        metadata: &EventMetadata,
        reservation: &Reservation,
    ) -> Result<(), StoreError> {
        let order_id = reservation.order_id;
        match reservation.status {
            ReservationStatus::Committed => {
                for (i, line) in reservation.lines.iter().enumerate() {
                    let commit = StockCommand::Commit { order_id };
                    match self
                        .run::<StockItem>(
                            &stock_stream(&line.sku),
                            commit,
                            &sub_metadata(metadata, SETTLE + i),
                        )
                        .await
                    {
                        Ok(_) => {}
                        // Nothing held to sell: the record says so, and nothing else can be done.
                        Err(ExecuteError::Domain(e)) => {
                            tracing::warn!(%order_id, sku = %line.sku, error = %e, "cannot commit line");
                        }
                        Err(e) => return Err(unfinished(e)),
                    }
                }
                Ok(())
            }
            ReservationStatus::Released | ReservationStatus::Expired => {
                let reason = reservation.release_reason.as_deref().unwrap_or("released");
                self.release_lines(metadata, order_id, &reservation.lines, reason, SETTLE)
                    .await
            }
            ReservationStatus::None | ReservationStatus::Confirmed | ReservationStatus::Failed => {
                Ok(())
            }
        }
    }

    async fn reserve(
        &self,
        envelope: &CommandEnvelope,
        command: ReserveStock,
    ) -> Result<CommandReply, StoreError> {
        let lines = match normalised(command.lines) {
            Ok(lines) => lines,
            Err(message) => return Ok(envelope.reject(422, "validation_failed", message)),
        };
        let order_id = command.order_id;
        let stream = reservation_stream(order_id);
        let metadata = envelope.event_metadata();
        // No look at the reservation first: a redelivery holds each line again to no effect
        // (each hold is idempotent by its own command id), and deciding the reservation then
        // answers with this command's first result (or, decided otherwise meanwhile, gives
        // the lines back below).
        let decision = match self.hold_lines(&metadata, order_id, &lines).await? {
            None => ReservationCommand::Confirm {
                order_id,
                lines: lines.clone(),
                expires_at: command.expires_at,
            },
            Some(failed) => ReservationCommand::Fail(failed),
        };
        let confirming = matches!(decision, ReservationCommand::Confirm { .. });
        let result = self.run::<Reservation>(&stream, decision, &metadata).await;
        let result = match result {
            Err(ExecuteError::Domain(e)) => {
                if confirming {
                    // Decided otherwise meanwhile: what this delivery held must not stay held.
                    self.release_lines(&metadata, order_id, &lines, FAILED_REASON, GIVE_BACK)
                        .await?;
                }
                Err(ExecuteError::Domain(e))
            }
            Err(e) => return Err(unfinished(e)),
            Ok(done) => Ok(done),
        };
        reply_for(envelope, &stream, result, |done| {
            reservation_body(order_id, &done.state)
        })
    }

    /// Commit, release and expiry: decide on the reservation, then settle its stock.
    async fn conclude(
        &self,
        envelope: &CommandEnvelope,
        order_id: OrderId,
        command: ReservationCommand,
    ) -> Result<CommandReply, StoreError> {
        let stream = reservation_stream(order_id);
        let metadata = envelope.event_metadata();
        let result = self.run::<Reservation>(&stream, command, &metadata).await;
        let result = match result {
            Ok(done) => {
                self.settle_stock(&metadata, &done.state).await?;
                Ok(done)
            }
            Err(ExecuteError::Domain(e)) => Err(ExecuteError::Domain(e)),
            Err(e) => return Err(unfinished(e)),
        };
        reply_for(envelope, &stream, result, |done| {
            reservation_body(order_id, &done.state)
        })
    }
}

/// The saga's and the timer's commands come from the platform itself, never from a user.
fn sent_by_system(envelope: &CommandEnvelope) -> bool {
    envelope
        .actor
        .as_deref()
        .is_some_and(|a| a.starts_with("system:"))
}

#[async_trait]
impl CommandHandler for InventoryHandler {
    async fn handle(&self, envelope: CommandEnvelope) -> Result<CommandReply, StoreError> {
        let command = match InventoryCommand::from_envelope(&envelope) {
            Ok(c) => c,
            Err(e) => return Ok(envelope.reject(422, "invalid_command", e.to_string())),
        };
        let seller_command = matches!(
            command,
            InventoryCommand::ReceiveStock { .. }
                | InventoryCommand::AdjustStock { .. }
                | InventoryCommand::SetLowStockThreshold { .. }
        );
        if seller_command {
            return self.seller_command(&envelope, command).await;
        }
        if !sent_by_system(&envelope) {
            return Ok(envelope.reject(403, "forbidden", "only the platform sends this command"));
        }
        match command {
            InventoryCommand::ReserveStock(c) => self.reserve(&envelope, c).await,
            InventoryCommand::CommitStock(CommitStock { order_id }) => {
                self.conclude(&envelope, order_id, ReservationCommand::Commit { order_id })
                    .await
            }
            InventoryCommand::ReleaseStock(ReleaseStock { order_id, reason }) => {
                let release = ReservationCommand::Release { order_id, reason };
                self.conclude(&envelope, order_id, release).await
            }
            InventoryCommand::ExpireReservation { order_id } => {
                self.conclude(&envelope, order_id, ReservationCommand::Expire { order_id })
                    .await
            }
            InventoryCommand::ReceiveStock { .. }
            | InventoryCommand::AdjustStock { .. }
            | InventoryCommand::SetLowStockThreshold { .. } => {
                self.seller_command(&envelope, command).await
            }
        }
    }
}
