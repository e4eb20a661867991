//! The Reservation aggregate: one order's reservation across its skus (`reservation-<order>`).
//!
//! It records the outcome the order saga waits for, and it is where commit, release and expiry
//! race: optimistic concurrency on this one stream lets exactly one of them win, and the stock
//! items are then brought in line with the winner.
//!
//! confirmed -> committed -> released (returned); confirmed -> released | expired;
//! failed is final. Part of the lines may be given back while confirmed (lines cancelled
//! before shipping) or committed (lines returned); the rest stays held, and giving back the
//! last of it releases the reservation.

use event_schemas::inventory::{
    ReservationCommitted, ReservationConfirmed, ReservationEvent, ReservationExpired,
    ReservationFailed, ReservationLinesReleased, ReservationReleased, SkuQuantity,
};
use shared_kernel::RejectionKind;
use shared_kernel::ids::OrderId;
use shared_kernel::{Aggregate, Timestamp};

/// Reason recorded on the stock items when the expiry timer releases a reservation.
pub const EXPIRED_REASON: &str = "reservation_expired";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReservationStatus {
    #[default]
    None,
    Confirmed,
    Failed,
    Committed,
    Released,
    Expired,
}

impl ReservationStatus {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Confirmed => "confirmed",
            Self::Failed => "failed",
            Self::Committed => "committed",
            Self::Released => "released",
            Self::Expired => "expired",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reservation {
    pub order_id: OrderId,
    pub status: ReservationStatus,
    pub lines: Vec<SkuQuantity>,
    pub expires_at: Option<Timestamp>,
    /// Why the stock went back (release or expiry).
    pub release_reason: Option<String>,
    /// The reservation was sold (committed): what goes back now returns on hand.
    pub sold: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReservationCommand {
    /// Every line is held on its stock item.
    Confirm {
        order_id: OrderId,
        lines: Vec<SkuQuantity>,
        expires_at: Timestamp,
    },
    /// A line could not be held (and the others were given back).
    Fail(ReservationFailed),
    Commit {
        order_id: OrderId,
    },
    Release {
        order_id: OrderId,
        reason: String,
    },
    /// The expiry timer fired: it decides when, so no clock check here.
    Expire {
        order_id: OrderId,
    },
    /// Give back part of the lines (at most what is held of each sku).
    ReleaseLines {
        order_id: OrderId,
        lines: Vec<SkuQuantity>,
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReservationError {
    #[error("the order has no reservation")]
    NotFound,
    #[error("the reservation is {0}")]
    NotActive(&'static str),
}

impl shared_kernel::application::Rejection for ReservationError {
    fn code_and_kind(&self) -> (&'static str, RejectionKind) {
        match self {
            Self::NotFound => ("reservation_not_found", RejectionKind::NotFound),
            Self::NotActive(_) => ("reservation_not_active", RejectionKind::Conflict),
        }
    }
}

impl Aggregate for Reservation {
    const KIND: &'static str = "reservation";
    type Command = ReservationCommand;
    type Event = ReservationEvent;
    type Error = ReservationError;

    fn creates(command: &ReservationCommand) -> bool {
        matches!(
            command,
            ReservationCommand::Confirm { .. } | ReservationCommand::Fail(_)
        )
    }

    fn decide(
        &self,
        command: ReservationCommand,
        _now: Timestamp,
    ) -> Result<Vec<ReservationEvent>, ReservationError> {
        use ReservationStatus::{Committed, Confirmed, Expired, Failed, None, Released};
        match command {
            ReservationCommand::Confirm {
                order_id,
                lines,
                expires_at,
            } => match self.status {
                None => Ok(vec![ReservationEvent::Confirmed(ReservationConfirmed {
                    order_id,
                    lines,
                    expires_at,
                })]),
                Confirmed => Ok(vec![]),
                s => Err(ReservationError::NotActive(s.as_str())),
            },
            ReservationCommand::Fail(failed) => match self.status {
                None => Ok(vec![ReservationEvent::Failed(failed)]),
                Failed => Ok(vec![]),
                s => Err(ReservationError::NotActive(s.as_str())),
            },
            ReservationCommand::Commit { order_id } => match self.status {
                Confirmed => Ok(vec![ReservationEvent::Committed(ReservationCommitted {
                    order_id,
                })]),
                Committed => Ok(vec![]),
                None => Err(ReservationError::NotFound),
                s @ (Failed | Released | Expired) => Err(ReservationError::NotActive(s.as_str())),
            },
            ReservationCommand::Release { order_id, reason } => match self.status {
                Confirmed | Committed => {
                    Ok(vec![ReservationEvent::Released(ReservationReleased {
                        order_id,
                        reason,
                        returned: self.status == Committed,
                    })])
                }
                // Nothing held (never reserved, failed, or already given back).
                None | Failed | Released | Expired => Ok(vec![]),
            },
            ReservationCommand::ReleaseLines {
                order_id,
                lines,
                reason,
            } => match self.status {
                Confirmed | Committed => {
                    let lines = self.held_of(&lines);
                    if lines.is_empty() {
                        return Ok(vec![]);
                    }
                    Ok(vec![ReservationEvent::LinesReleased(
                        ReservationLinesReleased {
                            order_id,
                            lines,
                            reason,
                            returned: self.status == Committed,
                        },
                    )])
                }
                None | Failed | Released | Expired => Ok(vec![]),
            },
            ReservationCommand::Expire { order_id } => match self.status {
                Confirmed => Ok(vec![ReservationEvent::Expired(ReservationExpired {
                    order_id,
                })]),
                // Paid or given back in time: the timer has nothing to do.
                None | Failed | Committed | Released | Expired => Ok(vec![]),
            },
        }
    }

    fn evolve(self, event: &ReservationEvent) -> Self {
        match event {
            ReservationEvent::Confirmed(e) => Self {
                order_id: e.order_id,
                status: ReservationStatus::Confirmed,
                lines: e.lines.clone(),
                expires_at: Some(e.expires_at),
                ..self
            },
            ReservationEvent::Failed(e) => Self {
                order_id: e.order_id,
                status: ReservationStatus::Failed,
                ..self
            },
            ReservationEvent::Committed(_) => Self {
                status: ReservationStatus::Committed,
                sold: true,
                ..self
            },
            ReservationEvent::Released(e) => Self {
                status: ReservationStatus::Released,
                release_reason: Some(e.reason.clone()),
                ..self
            },
            ReservationEvent::Expired(_) => Self {
                status: ReservationStatus::Expired,
                release_reason: Some(EXPIRED_REASON.to_owned()),
                ..self
            },
            ReservationEvent::LinesReleased(e) => {
                let lines: Vec<SkuQuantity> = self
                    .lines
                    .iter()
                    .filter_map(|held| {
                        let given: i64 = e
                            .lines
                            .iter()
                            .filter(|l| l.sku == held.sku)
                            .map(|l| l.quantity)
                            .sum();
                        let left = held.quantity - given;
                        (left > 0).then(|| SkuQuantity {
                            sku: held.sku.clone(),
                            quantity: left,
                        })
                    })
                    .collect();
                if lines.is_empty() {
                    Self {
                        status: ReservationStatus::Released,
                        release_reason: Some(e.reason.clone()),
                        lines,
                        ..self
                    }
                } else {
                    Self { lines, ..self }
                }
            }
        }
    }
}

impl Reservation {
    /// `wanted`, each sku capped at what the reservation holds of it (merged per sku, in the
    /// reservation's sku order); skus it does not hold are left out.
    fn held_of(&self, wanted: &[SkuQuantity]) -> Vec<SkuQuantity> {
        self.lines
            .iter()
            .filter_map(|held| {
                let asked: i64 = wanted
                    .iter()
                    .filter(|w| w.sku == held.sku && w.quantity > 0)
                    .map(|w| w.quantity)
                    .fold(0, i64::saturating_add);
                let quantity = asked.min(held.quantity);
                (quantity > 0).then(|| SkuQuantity {
                    sku: held.sku.clone(),
                    quantity,
                })
            })
            .collect()
    }
}
