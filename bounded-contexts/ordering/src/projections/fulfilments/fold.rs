//! An order's fulfilments as its events leave them: one pure fold, used by the read model
//! (per event, on the order's stored rows) and by `GET /orders/{id}?as_of=` (over the order's
//! own events), so both answers have one shape.

use event_schemas::ordering::{OrderEvent, OrderLine};
use serde::{Deserialize, Serialize};
use shared_kernel::Money;

/// One line of a fulfilment, with where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FulfilmentLine {
    #[serde(flatten)]
    pub line: OrderLine,
    /// `open`, `cancelled`, `shipped`, `delivered`, `return_requested` or `returned`.
    pub status: String,
}

/// A return of some of a fulfilment's lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FulfilmentReturn {
    #[schema(format = Uuid)]
    pub return_id: String,
    /// The skus of the lines sent back.
    pub skus: Vec<String>,
    /// `requested`, or `received` (then refunded and restocked).
    pub status: String,
    pub reason: Option<String>,
    /// The refund once received (the lines' totals).
    pub amount: Option<Money>,
    /// RFC 3339, microseconds, UTC.
    pub requested_at: String,
    pub received_at: Option<String>,
}

/// A seller's part of an order: their lines, shipped and delivered together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FulfilmentView {
    #[schema(format = Uuid)]
    pub order_id: String,
    #[schema(format = Uuid)]
    pub seller_id: String,
    #[schema(format = Uuid)]
    pub buyer_id: String,
    /// `awaiting_payment`, `to_ship`, `shipped`, `delivered` or `cancelled`.
    pub status: String,
    /// Whether the order was paid: a seller owes only what was paid for.
    pub paid: bool,
    pub lines: Vec<FulfilmentLine>,
    /// The buyer's returns of these lines.
    pub returns: Vec<FulfilmentReturn>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    /// RFC 3339, microseconds, UTC.
    pub shipped_at: Option<String>,
    pub delivered_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

const OPEN: &str = "open";
const CANCELLED: &str = "cancelled";
const SHIPPED: &str = "shipped";
const DELIVERED: &str = "delivered";
const RETURN_REQUESTED: &str = "return_requested";
const RETURNED: &str = "returned";
const AWAITING_PAYMENT: &str = "awaiting_payment";

impl FulfilmentView {
    /// Moves the lines named by `skus` that stand at one of `from` to `to`.
    fn move_lines(&mut self, skus: Option<&[String]>, from: &[&str], to: &str) {
        for l in &mut self.lines {
            let named = skus.is_none_or(|skus| skus.contains(&l.line.sku));
            if named && from.contains(&l.status.as_str()) {
                to.clone_into(&mut l.status);
            }
        }
    }

    /// The status its lines give it, once the order is paid.
    fn settle(&mut self) {
        if self.status == AWAITING_PAYMENT {
            return;
        }
        let live: Vec<&str> = self
            .lines
            .iter()
            .map(|l| l.status.as_str())
            .filter(|s| *s != CANCELLED)
            .collect();
        let delivered = |s: &&str| [DELIVERED, RETURN_REQUESTED, RETURNED].contains(s);
        self.status = if live.is_empty() {
            CANCELLED
        } else if live.iter().all(delivered) {
            DELIVERED
        } else if live.iter().all(|s| *s != OPEN) {
            SHIPPED
        } else {
            "to_ship"
        }
        .to_owned();
    }
}

/// Applies `event` (recorded `at`) to an order's fulfilments.
pub fn apply(fulfilments: &mut Vec<FulfilmentView>, event: &OrderEvent, at: &str) {
    let seller_is =
        |f: &FulfilmentView, id: &shared_kernel::ids::UserId| f.seller_id == id.to_string();
    match event {
        OrderEvent::Placed(p) => {
            fulfilments.clear();
            for line in &p.lines {
                let seller = line.seller_id.to_string();
                let entry = FulfilmentLine {
                    line: line.clone(),
                    status: OPEN.to_owned(),
                };
                match fulfilments.iter_mut().find(|f| f.seller_id == seller) {
                    Some(f) => f.lines.push(entry),
                    None => fulfilments.push(FulfilmentView {
                        order_id: p.order_id.to_string(),
                        seller_id: seller,
                        buyer_id: p.buyer_id.to_string(),
                        status: AWAITING_PAYMENT.to_owned(),
                        paid: false,
                        lines: vec![entry],
                        returns: Vec::new(),
                        carrier: None,
                        tracking_number: None,
                        shipped_at: None,
                        delivered_at: None,
                        created_at: at.to_owned(),
                        updated_at: at.to_owned(),
                    }),
                }
            }
            return;
        }
        OrderEvent::Paid(_) => {
            for f in fulfilments.iter_mut() {
                "to_ship".clone_into(&mut f.status);
                f.paid = true;
                f.settle();
            }
        }
        OrderEvent::Cancelled(_) | OrderEvent::Rejected(_) => {
            for f in fulfilments.iter_mut() {
                f.move_lines(None, &[OPEN], CANCELLED);
                if [AWAITING_PAYMENT, "to_ship"].contains(&f.status.as_str()) {
                    CANCELLED.clone_into(&mut f.status);
                }
            }
        }
        OrderEvent::FulfilmentShipped(s) => {
            for f in fulfilments
                .iter_mut()
                .filter(|f| seller_is(f, &s.seller_id))
            {
                f.move_lines(Some(&s.skus), &[OPEN], SHIPPED);
                f.carrier = Some(s.carrier.clone());
                f.tracking_number = Some(s.tracking_number.clone());
                f.shipped_at = Some(at.to_owned());
                f.settle();
            }
        }
        OrderEvent::FulfilmentDelivered(d) => {
            for f in fulfilments
                .iter_mut()
                .filter(|f| seller_is(f, &d.seller_id))
            {
                f.move_lines(Some(&d.skus), &[SHIPPED], DELIVERED);
                f.delivered_at = Some(at.to_owned());
                f.settle();
            }
        }
        OrderEvent::LinesCancelled(c) => {
            for f in fulfilments.iter_mut() {
                f.move_lines(Some(&c.skus), &[OPEN], CANCELLED);
                f.settle();
            }
        }
        // The whole order at once (before per-seller fulfilment).
        OrderEvent::Shipped(_) => {
            for f in fulfilments.iter_mut() {
                f.paid = true;
                f.move_lines(None, &[OPEN], SHIPPED);
                f.shipped_at = Some(at.to_owned());
                f.settle();
            }
        }
        OrderEvent::Delivered(_) => {
            for f in fulfilments.iter_mut() {
                f.move_lines(None, &[SHIPPED], DELIVERED);
                f.delivered_at = Some(at.to_owned());
                f.settle();
            }
        }
        OrderEvent::ReturnRequested(r) => {
            for f in fulfilments
                .iter_mut()
                .filter(|f| seller_is(f, &r.seller_id))
            {
                f.move_lines(Some(&r.skus), &[DELIVERED], RETURN_REQUESTED);
                f.returns.push(FulfilmentReturn {
                    return_id: r.return_id.to_string(),
                    skus: r.skus.clone(),
                    status: "requested".to_owned(),
                    reason: r.reason.clone(),
                    amount: None,
                    requested_at: at.to_owned(),
                    received_at: None,
                });
            }
        }
        OrderEvent::ReturnReceived(r) => {
            for f in fulfilments
                .iter_mut()
                .filter(|f| seller_is(f, &r.seller_id))
            {
                f.move_lines(Some(&r.skus), &[RETURN_REQUESTED], RETURNED);
                let id = r.return_id.to_string();
                for ret in f.returns.iter_mut().filter(|ret| ret.return_id == id) {
                    "received".clone_into(&mut ret.status);
                    ret.amount = Some(r.amount);
                    ret.received_at = Some(at.to_owned());
                }
            }
        }
        OrderEvent::PaymentAuthorized(_) | OrderEvent::StockReserved(_) => return,
    }
    for f in fulfilments.iter_mut() {
        at.clone_into(&mut f.updated_at);
    }
}
