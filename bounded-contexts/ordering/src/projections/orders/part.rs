//! A seller's part of an order: its events as they concern that seller's lines, so that
//! folding them ([`super::view`]) gives the order as if it held only those lines. Another
//! seller's lines, shipments, deliveries and returns leave no trace in it.

use event_schemas::ordering::OrderEvent;
use shared_kernel::ids::UserId;

use crate::projections::fulfilments::FulfilmentView;

/// One event of an order, with when it was recorded and the stream version it made.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Step {
    pub event: OrderEvent,
    /// RFC 3339, microseconds, UTC.
    pub at: String,
    pub version: i64,
}

/// `steps` as they concern `seller`: the placed order with only their lines (and their
/// total), the order-wide steps (payment, cancellation, rejection), and of the per-line steps
/// only theirs (their shipment and delivery, their lines cancelled, their returns). Empty when
/// they sell none of the order's lines.
pub(super) fn seller_part(steps: Vec<Step>, seller: UserId) -> Vec<Step> {
    let mut skus: Vec<String> = Vec::new();
    steps
        .into_iter()
        .filter_map(|step| {
            let event = match step.event {
                OrderEvent::Placed(mut placed) => {
                    placed.lines.retain(|l| l.seller_id == seller);
                    if placed.lines.is_empty() {
                        return None;
                    }
                    skus = placed.lines.iter().map(|l| l.sku.clone()).collect();
                    // A part of a total that did not overflow does not either.
                    let mut total = shared_kernel::Money::zero(placed.total.currency);
                    for line in &placed.lines {
                        total = total.checked_add(line.line_total).unwrap_or(total);
                    }
                    placed.total = total;
                    OrderEvent::Placed(placed)
                }
                OrderEvent::LinesCancelled(mut cancelled) => {
                    cancelled.skus.retain(|s| skus.contains(s));
                    if cancelled.skus.is_empty() {
                        return None;
                    }
                    cancelled.lines.retain(|l| skus.contains(&l.sku));
                    OrderEvent::LinesCancelled(cancelled)
                }
                OrderEvent::FulfilmentShipped(ref e) if e.seller_id != seller => return None,
                OrderEvent::FulfilmentDelivered(ref e) if e.seller_id != seller => return None,
                OrderEvent::ReturnRequested(ref e) if e.seller_id != seller => return None,
                OrderEvent::ReturnReceived(ref e) if e.seller_id != seller => return None,
                other => other,
            };
            Some(Step { event, ..step })
        })
        .collect()
}

/// The status of a seller's part after a per-line step (`event`), from their fulfilment
/// (`own`): `paid` while there is something to ship, then `shipped`, `delivered`, or
/// `cancelled` when all their lines were. `None` for an order-wide step, whose status is the
/// order's.
pub(super) fn part_status(own: &FulfilmentView, event: &OrderEvent) -> Option<&'static str> {
    let per_line = matches!(
        event,
        OrderEvent::FulfilmentShipped(_)
            | OrderEvent::FulfilmentDelivered(_)
            | OrderEvent::LinesCancelled(_)
            | OrderEvent::ReturnRequested(_)
            | OrderEvent::ReturnReceived(_)
    );
    if !per_line {
        return None;
    }
    match own.status.as_str() {
        "to_ship" => Some("paid"),
        "shipped" => Some("shipped"),
        "delivered" => Some("delivered"),
        "cancelled" => Some("cancelled"),
        _ => None,
    }
}
