//! The order saga's reservation commands.
//!
//! They touch the order's reservation stream and one stock stream per line; no transaction
//! spans them, so every step is idempotent on its own (a follow-up command id per stock
//! stream, derived from the command id) and a redelivered command finishes what a crashed
//! delivery started:
//! - reserve: hold each line on its stock item, then record the outcome on the reservation
//!   (a line that cannot be held gives the others back first);
//! - commit, release, expire: decide on the reservation stream first (where they race, and one
//!   wins), then bring every line's stock item in line with the reservation's state.

use shared_kernel::RejectionKind;
use std::collections::BTreeMap;

use event_schemas::inventory::commands::{ReleaseStockLines, ReserveStock};
use event_schemas::inventory::{ReservationFailed, SkuQuantity};
use shared_kernel::application::{ExecuteError, Handled, accept, follow_up, stop, store_failure};
use shared_kernel::ids::OrderId;
use shared_kernel::{CommandEnvelope, EventMetadata, StoreError};

use super::ReservationState;
use super::handler::{InventoryHandler, reservation_stream, stock_stream, valid_sku};
use crate::domain::{
    Holding, MAX_QUANTITY, Reservation, ReservationCommand, ReservationStatus, StockCommand,
    StockError, StockItem,
};
use event_schemas::inventory::ReservationEvent;

/// At most this many distinct skus in one reservation.
pub const MAX_LINES: usize = 100;
/// Follow-up step names: holding line `i` is step `hold-<i>`, and so on.
const HOLD: &str = "hold";
const GIVE_BACK: &str = "give-back";
const SETTLE: &str = "settle";
const PART: &str = "part";
/// Reason on the stock items when a partly held reservation is given back.
const FAILED_REASON: &str = "reservation_failed";

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

/// The id of the command being handled (every bus command carries one).
const fn envelope_command_id(metadata: &EventMetadata) -> Option<uuid::Uuid> {
    metadata.command_id
}

/// The metadata of line `i`'s `step`.
fn line_step(metadata: &EventMetadata, step: &str, i: usize) -> EventMetadata {
    follow_up(metadata, &format!("{step}-{i}"))
}

fn reservation_body(order_id: OrderId, state: &Reservation) -> ReservationState {
    ReservationState {
        order_id: order_id.to_string(),
        status: state.status.as_str().to_owned(),
    }
}

impl InventoryHandler {
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
                .kit
                .execute_contended::<StockItem>(
                    &stock_stream(&line.sku),
                    reserve,
                    &line_step(metadata, HOLD, i),
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
                Err(e) => return Err(store_failure(e)),
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
        step: &str,
    ) -> Result<(), StoreError> {
        for (i, line) in lines.iter().enumerate() {
            let release = StockCommand::Release {
                order_id,
                reason: reason.to_owned(),
            };
            self.kit
                .execute_contended::<StockItem>(
                    &stock_stream(&line.sku),
                    release,
                    &line_step(metadata, step, i),
                )
                .await
                .map_err(store_failure)?;
        }
        Ok(())
    }

    /// Puts sold `lines` of `order_id` back on hand, each step under its own follow-up id.
    async fn return_lines(
        &self,
        metadata: &EventMetadata,
        order_id: OrderId,
        lines: &[SkuQuantity],
        reason: &str,
        step: &str,
    ) -> Result<(), StoreError> {
        for (i, line) in lines.iter().enumerate() {
            let back = StockCommand::Return {
                order_id,
                quantity: line.quantity,
                reason: reason.to_owned(),
            };
            match self
                .kit
                .execute_contended::<StockItem>(
                    &stock_stream(&line.sku),
                    back,
                    &line_step(metadata, step, i),
                )
                .await
            {
                Ok(_) => {}
                Err(ExecuteError::Domain(e)) => {
                    tracing::warn!(%order_id, sku = %line.sku, error = %e, "cannot return line");
                }
                Err(e) => return Err(store_failure(e)),
            }
        }
        Ok(())
    }

    /// Brings the stock items of a reservation in line with its state: sold when committed,
    /// back on the shelf when released or expired, back on hand when sold and released. Called
    /// by the command that decided it (and its redeliveries): every step is idempotent by its
    /// own follow-up id, and a holding that is gone cannot be sold or released twice.
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
                        .kit
                        .execute_contended::<StockItem>(
                            &stock_stream(&line.sku),
                            commit,
                            &line_step(metadata, SETTLE, i),
                        )
                        .await
                    {
                        Ok(_) => {}
                        // Nothing held to sell: the record says so, and nothing else can be done.
                        Err(ExecuteError::Domain(e)) => {
                            tracing::warn!(%order_id, sku = %line.sku, error = %e, "cannot commit line");
                        }
                        Err(e) => return Err(store_failure(e)),
                    }
                }
                Ok(())
            }
            ReservationStatus::Released | ReservationStatus::Expired => {
                let reason = reservation.release_reason.as_deref().unwrap_or("released");
                if reservation.sold {
                    self.return_lines(metadata, order_id, &reservation.lines, reason, SETTLE)
                        .await
                } else {
                    self.release_lines(metadata, order_id, &reservation.lines, reason, SETTLE)
                        .await
                }
            }
            ReservationStatus::None | ReservationStatus::Confirmed | ReservationStatus::Failed => {
                Ok(())
            }
        }
    }

    pub(super) async fn reserve(
        &self,
        envelope: &CommandEnvelope,
        command: ReserveStock,
    ) -> Handled {
        let lines = match normalised(command.lines) {
            Ok(lines) => lines,
            Err(message) => {
                return Ok(envelope.reject(RejectionKind::Invalid, "validation_failed", message));
            }
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
        let result = self
            .kit
            .execute_contended::<Reservation>(&stream, decision, &metadata)
            .await;
        match result {
            Err(ExecuteError::Domain(e)) => {
                if confirming {
                    // Decided otherwise meanwhile: what this delivery held must not stay held.
                    self.release_lines(&metadata, order_id, &lines, FAILED_REASON, GIVE_BACK)
                        .await?;
                }
                Err(stop(envelope, ExecuteError::Domain(e)))
            }
            Err(e) => Err(store_failure(e).into()),
            Ok(done) => accept(envelope, &stream, Ok(done), |done| {
                reservation_body(order_id, &done.state)
            }),
        }
    }

    /// Part of the reservation given back: decide on the reservation (capping each sku at what
    /// it holds), then give the same back on each sku's stock item. A repeat of the command
    /// finishes what a crashed delivery started; each stock step is idempotent by its own id
    /// and the stock item never gives back more than the order holds.
    pub(super) async fn release_lines_of(
        &self,
        envelope: &CommandEnvelope,
        command: ReleaseStockLines,
    ) -> Handled {
        let lines = match normalised(command.lines) {
            Ok(lines) => lines,
            Err(message) => {
                return Ok(envelope.reject(RejectionKind::Invalid, "validation_failed", message));
            }
        };
        let order_id = command.order_id;
        let stream = reservation_stream(order_id);
        let metadata = envelope.event_metadata();
        let release = ReservationCommand::ReleaseLines {
            order_id,
            lines: lines.clone(),
            reason: command.reason.clone(),
        };
        let result = self
            .kit
            .execute_contended::<Reservation>(&stream, release, &metadata)
            .await;
        match result {
            Ok(done) => {
                // Appended now or by an earlier delivery: the stock follows. Nothing appended
                // (nothing held any more): the stock has nothing to give back either.
                if done.appended.is_some() {
                    // What the reservation decided to give back: in this delivery's events,
                    // or, for a redelivery, in the events its first delivery appended.
                    let decided = if done.events.is_empty() {
                        match envelope_command_id(&metadata) {
                            Some(id) => self.kit.events_of::<Reservation>(&stream, id).await?,
                            None => Vec::new(),
                        }
                    } else {
                        done.events.clone()
                    };
                    for event in decided {
                        let ReservationEvent::LinesReleased(released) = event else {
                            continue;
                        };
                        if released.returned {
                            self.return_lines(
                                &metadata,
                                order_id,
                                &released.lines,
                                &released.reason,
                                PART,
                            )
                            .await?;
                        } else {
                            for (i, line) in released.lines.iter().enumerate() {
                                let part = StockCommand::ReleasePart {
                                    order_id,
                                    quantity: line.quantity,
                                    reason: released.reason.clone(),
                                };
                                self.kit
                                    .execute_contended::<StockItem>(
                                        &stock_stream(&line.sku),
                                        part,
                                        &line_step(&metadata, PART, i),
                                    )
                                    .await
                                    .map_err(store_failure)?;
                            }
                        }
                    }
                }
                accept(envelope, &stream, Ok(done), |done| {
                    reservation_body(order_id, &done.state)
                })
            }
            Err(e @ ExecuteError::Domain(_)) => Err(stop(envelope, e)),
            Err(e) => Err(store_failure(e).into()),
        }
    }

    /// Commit, release and expiry: decide on the reservation, then settle its stock.
    pub(super) async fn conclude(
        &self,
        envelope: &CommandEnvelope,
        order_id: OrderId,
        command: ReservationCommand,
    ) -> Handled {
        let stream = reservation_stream(order_id);
        let metadata = envelope.event_metadata();
        let result = self
            .kit
            .execute_contended::<Reservation>(&stream, command, &metadata)
            .await;
        match result {
            Ok(done) => {
                // Only the command that decided (now or in an earlier delivery) settles: a
                // second release of a sold reservation must not return its stock twice.
                if done.appended.is_some() {
                    self.settle_stock(&metadata, &done.state).await?;
                }
                accept(envelope, &stream, Ok(done), |done| {
                    reservation_body(order_id, &done.state)
                })
            }
            Err(e @ ExecuteError::Domain(_)) => Err(stop(envelope, e)),
            Err(e) => Err(store_failure(e).into()),
        }
    }
}
