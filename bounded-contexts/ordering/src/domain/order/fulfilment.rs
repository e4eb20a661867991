//! Per-seller fulfilment: the lines of a paid order grouped by seller. Each seller ships and
//! delivers only their own lines; the buyer may cancel lines not yet shipped. The order is
//! `partially_shipped` until every fulfilment is shipped, `delivered` once every one is.
//!
//! A line is named by its sku (an order has one line per sku).

use std::collections::BTreeSet;

use event_schemas::inventory::SkuQuantity;
use event_schemas::ordering::{
    FulfilmentDelivered, FulfilmentShipped, OrderEvent, OrderLine, OrderLinesCancelled, OrderStatus,
};
use shared_kernel::ids::UserId;
use shared_kernel::{Money, TextRule, Timestamp};

use super::placing::check_text;
use super::{Order, OrderError};

const CARRIER: TextRule = TextRule::line("carrier", 1, 100);
const TRACKING_NUMBER: TextRule = TextRule::line("tracking_number", 1, 100);

/// Where one line of an order stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LineStatus {
    /// Not shipped (nor cancelled) yet.
    #[default]
    Open,
    Cancelled,
    Shipped,
    Delivered,
    /// The buyer asked to send it back.
    ReturnRequested,
    /// The seller received it back; it is refunded.
    Returned,
}

impl LineStatus {
    /// Shipped, or further along.
    #[must_use]
    pub const fn shipped(self) -> bool {
        !matches!(self, Self::Open | Self::Cancelled)
    }

    /// Delivered, or further along.
    #[must_use]
    pub const fn delivered(self) -> bool {
        matches!(
            self,
            Self::Delivered | Self::ReturnRequested | Self::Returned
        )
    }
}

/// The status of a paid order whose lines stand at `lines`: delivered when every line not
/// cancelled is, shipped when every one is, partially shipped when some are.
#[must_use]
pub fn paid_status(lines: &[LineStatus]) -> OrderStatus {
    let live: Vec<LineStatus> = lines
        .iter()
        .copied()
        .filter(|s| *s != LineStatus::Cancelled)
        .collect();
    if live.iter().all(|s| s.delivered()) {
        OrderStatus::Delivered
    } else if live.iter().all(|s| s.shipped()) {
        OrderStatus::Shipped
    } else if live.iter().any(|s| s.shipped()) {
        OrderStatus::PartiallyShipped
    } else {
        OrderStatus::Paid
    }
}

/// The sum of `lines`' totals.
pub(super) fn total_of<'a>(
    lines: impl IntoIterator<Item = &'a OrderLine>,
    currency: shared_kernel::Currency,
) -> Result<Money, OrderError> {
    lines.into_iter().try_fold(Money::zero(currency), |sum, l| {
        sum.checked_add(l.line_total)
            .map_err(|_| OrderError::Invalid("the amount is too large".into()))
    })
}

/// The stock of `lines`, merged per sku.
pub(super) fn stock_of<'a>(lines: impl IntoIterator<Item = &'a OrderLine>) -> Vec<SkuQuantity> {
    let mut per_sku: std::collections::BTreeMap<&str, i64> = std::collections::BTreeMap::new();
    for line in lines {
        *per_sku.entry(line.sku.as_str()).or_default() += line.quantity;
    }
    per_sku
        .into_iter()
        .map(|(sku, quantity)| SkuQuantity {
            sku: sku.to_owned(),
            quantity,
        })
        .collect()
}

impl Order {
    /// The indices of the lines of `seller` that stand at `status`.
    pub(super) fn lines_of(&self, seller: UserId, status: LineStatus) -> Vec<usize> {
        let Some(placed) = &self.placed else {
            return Vec::new();
        };
        placed
            .lines
            .iter()
            .enumerate()
            .filter(|(i, l)| l.seller_id == seller && self.line_status(*i) == status)
            .map(|(i, _)| i)
            .collect()
    }

    /// Where line `i` stands.
    #[must_use]
    pub fn line_status(&self, i: usize) -> LineStatus {
        self.lines.get(i).copied().unwrap_or_default()
    }

    /// The order's status once the lines at `indices` are at `to`.
    pub(super) fn status_with(&self, indices: &[usize], to: LineStatus) -> OrderStatus {
        let mut lines = self.lines.clone();
        for &i in indices {
            if let Some(line) = lines.get_mut(i) {
                *line = to;
            }
        }
        paid_status(&lines)
    }

    fn skus_at(&self, indices: &[usize]) -> Vec<String> {
        self.placed.as_ref().map_or_else(Vec::new, |p| {
            indices
                .iter()
                .filter_map(|&i| p.lines.get(i).map(|l| l.sku.clone()))
                .collect()
        })
    }

    /// The seller ships their fulfilment: every line of theirs not shipped nor cancelled.
    pub(super) fn ship(
        &self,
        actor: UserId,
        carrier: &str,
        tracking_number: &str,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        let placed = self.seller_only(actor)?;
        if !matches!(
            self.status,
            OrderStatus::Paid
                | OrderStatus::PartiallyShipped
                | OrderStatus::Shipped
                | OrderStatus::Delivered
        ) {
            return Err(self.invalid("shipped"));
        }
        let open = self.lines_of(actor, LineStatus::Open);
        if open.is_empty() {
            let mine = (0..placed.lines.len()).filter(|&i| placed.lines[i].seller_id == actor);
            return if mine.into_iter().any(|i| self.line_status(i).shipped()) {
                Ok(vec![])
            } else {
                Err(OrderError::NothingToShip)
            };
        }
        let (carrier, tracking_number) = (carrier.trim(), tracking_number.trim());
        check_text(&CARRIER, carrier)?;
        check_text(&TRACKING_NUMBER, tracking_number)?;
        Ok(vec![OrderEvent::FulfilmentShipped(FulfilmentShipped {
            order_id: placed.order_id,
            seller_id: actor,
            carrier: carrier.to_owned(),
            tracking_number: tracking_number.to_owned(),
            skus: self.skus_at(&open),
            order_status: self.status_with(&open, LineStatus::Shipped),
        })])
    }

    /// The seller marks their shipped lines delivered.
    pub(super) fn deliver(
        &self,
        actor: UserId,
        now: Timestamp,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        let placed = self.seller_only(actor)?;
        let shipped = self.lines_of(actor, LineStatus::Shipped);
        if shipped.is_empty() {
            let mine = (0..placed.lines.len()).filter(|&i| placed.lines[i].seller_id == actor);
            return if mine.into_iter().any(|i| self.line_status(i).delivered()) {
                Ok(vec![])
            } else {
                Err(self.invalid("delivered"))
            };
        }
        let gross = total_of(
            shipped.iter().filter_map(|&i| placed.lines.get(i)),
            placed.total.currency,
        )?;
        Ok(vec![OrderEvent::FulfilmentDelivered(FulfilmentDelivered {
            order_id: placed.order_id,
            seller_id: actor,
            skus: self.skus_at(&shipped),
            gross,
            delivered_at: now,
            order_status: self.status_with(&shipped, LineStatus::Delivered),
        })])
    }

    /// The buyer cancels the lines named by `skus`: a refund of their totals and their stock
    /// back, or the whole order when no line would be left.
    pub(super) fn cancel_lines(
        &self,
        actor: UserId,
        skus: &[String],
        reason: String,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        let placed = self.buyer_only(actor)?;
        let named: BTreeSet<&str> = skus.iter().map(|s| s.trim()).collect();
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
        let everything_else_cancelled = (0..placed.lines.len())
            .filter(|i| !indices.contains(i))
            .all(|i| self.line_status(i) == LineStatus::Cancelled);
        match self.status {
            OrderStatus::Cancelled => return Ok(vec![]),
            // Named lines already cancelled are a repeat; shipped ones are too late.
            OrderStatus::Paid
            | OrderStatus::PartiallyShipped
            | OrderStatus::Shipped
            | OrderStatus::Delivered => {}
            // Before payment only the whole order may go.
            _ if everything_else_cancelled => return self.cancel_whole(reason, Some(actor)),
            _ => return Err(self.invalid("partly cancelled")),
        }
        if indices.iter().any(|&i| self.line_status(i).shipped()) {
            return Err(OrderError::AlreadyShipped);
        }
        let open: Vec<usize> = indices
            .into_iter()
            .filter(|&i| self.line_status(i) == LineStatus::Open)
            .collect();
        if open.is_empty() {
            return Ok(vec![]);
        }
        if everything_else_cancelled {
            return self.cancel_whole(reason, Some(actor));
        }
        let lines: Vec<&OrderLine> = open.iter().filter_map(|&i| placed.lines.get(i)).collect();
        Ok(vec![OrderEvent::LinesCancelled(OrderLinesCancelled {
            order_id: placed.order_id,
            skus: self.skus_at(&open),
            lines: stock_of(lines.iter().copied()),
            amount: total_of(lines.iter().copied(), placed.total.currency)?,
            reason,
            cancelled_by: actor,
            payment_id: placed.payment_id,
            order_status: self.status_with(&open, LineStatus::Cancelled),
        })])
    }

    /// The lines `skus` of `seller` move to `to` when they stand at `from`.
    pub(super) fn move_lines(
        &mut self,
        seller: Option<UserId>,
        skus: &[String],
        from: &[LineStatus],
        to: LineStatus,
    ) {
        let Some(placed) = &self.placed else {
            return;
        };
        for (i, line) in placed.lines.iter().enumerate() {
            let Some(status) = self.lines.get_mut(i) else {
                continue;
            };
            if seller.is_none_or(|s| s == line.seller_id)
                && skus.contains(&line.sku)
                && from.contains(status)
            {
                *status = to;
            }
        }
    }
}
