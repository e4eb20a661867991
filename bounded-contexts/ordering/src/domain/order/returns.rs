//! Returns: the buyer asks to send back delivered lines of one seller, within the return
//! window counted from that seller's delivery; the seller receives them, once. The refund, the
//! restock and the seller's debit follow from `ReturnReceived` (the saga), so a repeated
//! receive (no event) refunds nothing twice.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::TimeDelta;
use event_schemas::ordering::{OrderEvent, OrderLine, ReturnId, ReturnReceived, ReturnRequested};
use shared_kernel::ids::UserId;
use shared_kernel::{TextRule, Timestamp};

use super::fulfilment::{LineStatus, stock_of, total_of};
use super::placing::check_text;
use super::{Order, OrderError};

const RETURN_REASON: TextRule = TextRule::multiline("reason", 1, 500);

/// A return as the order keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenReturn {
    pub seller_id: UserId,
    pub skus: Vec<String>,
    pub received: bool,
}

/// What a buyer's return request says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnRequest {
    pub actor: UserId,
    /// Chosen by the caller (application code makes ids), so a retry names the same return.
    pub return_id: ReturnId,
    /// The skus of the delivered lines to send back (all of one seller).
    pub skus: Vec<String>,
    pub reason: Option<String>,
    /// How long after delivery a return may be asked for.
    pub window: Duration,
}

impl Order {
    pub(super) fn request_return(
        &self,
        request: ReturnRequest,
        now: Timestamp,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        let placed = self.buyer_only(request.actor)?;
        if self.returns.contains_key(&request.return_id) {
            return Ok(vec![]);
        }
        let named: BTreeSet<&str> = request.skus.iter().map(|s| s.trim()).collect();
        if named.is_empty() {
            return Err(OrderError::Invalid(
                "lines must name at least one line by its sku".into(),
            ));
        }
        if let Some(unknown) = named
            .iter()
            .find(|sku| !placed.lines.iter().any(|l| l.sku == **sku))
        {
            return Err(OrderError::UnknownLine((*unknown).to_owned()));
        }
        let indices: Vec<usize> = (0..placed.lines.len())
            .filter(|&i| named.contains(placed.lines[i].sku.as_str()))
            .collect();
        for &i in &indices {
            match self.line_status(i) {
                LineStatus::Delivered => {}
                LineStatus::ReturnRequested | LineStatus::Returned => {
                    return Err(OrderError::AlreadyReturned(placed.lines[i].sku.clone()));
                }
                LineStatus::Open | LineStatus::Shipped | LineStatus::Cancelled => {
                    return Err(OrderError::NotDelivered(placed.lines[i].sku.clone()));
                }
            }
        }
        let sellers: BTreeSet<UserId> =
            indices.iter().map(|&i| placed.lines[i].seller_id).collect();
        let [seller_id] = sellers.into_iter().collect::<Vec<_>>()[..] else {
            return Err(OrderError::ReturnSpansSellers);
        };
        // Delivered before delivery times were recorded: no window to be within.
        let open_until = self
            .delivered_at
            .get(&seller_id)
            .and_then(|at| {
                TimeDelta::from_std(request.window)
                    .ok()
                    .and_then(|w| at.checked_add_signed(w))
            })
            .ok_or(OrderError::ReturnWindowClosed)?;
        if now > open_until {
            return Err(OrderError::ReturnWindowClosed);
        }
        let reason = match request.reason.as_deref().map(str::trim) {
            Some(r) if !r.is_empty() => {
                check_text(&RETURN_REASON, r)?;
                Some(r.to_owned())
            }
            _ => None,
        };
        Ok(vec![OrderEvent::ReturnRequested(ReturnRequested {
            order_id: placed.order_id,
            return_id: request.return_id,
            buyer_id: placed.buyer_id,
            seller_id,
            skus: indices
                .iter()
                .map(|&i| placed.lines[i].sku.clone())
                .collect(),
            reason,
            order_status: self.status,
        })])
    }

    pub(super) fn receive_return(
        &self,
        actor: UserId,
        return_id: ReturnId,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        let placed = self.seller_only(actor)?;
        let r = self
            .returns
            .get(&return_id)
            .filter(|r| r.seller_id == actor)
            .ok_or(OrderError::ReturnNotFound)?;
        if r.received {
            return Ok(vec![]);
        }
        let lines: Vec<&OrderLine> = placed
            .lines
            .iter()
            .filter(|l| l.seller_id == actor && r.skus.contains(&l.sku))
            .collect();
        Ok(vec![OrderEvent::ReturnReceived(ReturnReceived {
            order_id: placed.order_id,
            return_id,
            seller_id: actor,
            skus: r.skus.clone(),
            lines: stock_of(lines.iter().copied()),
            amount: total_of(lines.iter().copied(), placed.total.currency)?,
            payment_id: placed.payment_id,
            order_status: self.status,
        })])
    }

    pub(super) fn evolve_return(&mut self, event: &OrderEvent) {
        match event {
            OrderEvent::ReturnRequested(e) => {
                let delivered = [LineStatus::Delivered];
                let to = LineStatus::ReturnRequested;
                self.move_lines(Some(e.seller_id), &e.skus, &delivered, to);
                self.returns.insert(
                    e.return_id,
                    OpenReturn {
                        seller_id: e.seller_id,
                        skus: e.skus.clone(),
                        received: false,
                    },
                );
            }
            OrderEvent::ReturnReceived(e) => {
                let requested = [LineStatus::ReturnRequested];
                self.move_lines(Some(e.seller_id), &e.skus, &requested, LineStatus::Returned);
                if let Some(r) = self.returns.get_mut(&e.return_id) {
                    r.received = true;
                }
            }
            _ => {}
        }
    }
}
