//! An order as its buyer reads it (all of it) or as a seller of some of its lines does (their
//! part: the order as if it held only their lines, without the payment), from the read
//! model's rows or folded from the order's own events (`GET /orders/{id}?as_of=`), in one
//! shape.

use event_schemas::ordering::{OrderEvent, OrderLine, ShippingAddress};
use event_schemas::payments::PaymentMethod;
use serde::{Deserialize, Serialize};
use shared_kernel::ids::UserId;
use shared_kernel::{DomainEvent, Money, Recorded};
use utoipa::ToSchema;

use super::part::{Step, part_status, seller_part};
use super::{rfc3339, step_of, version_of};
use crate::projections::fulfilments::{FulfilmentView, apply};

/// One step of an order's life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct HistoryEntry {
    /// The status the order reached.
    pub status: String,
    /// RFC 3339, microseconds, UTC.
    pub at: String,
    /// Why it was cancelled or rejected; the skus of lines cancelled or returned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// How much of an order its reader sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderPart {
    /// The buyer's view: the whole order.
    Whole,
    /// A seller's view: only their lines, as if the order held nothing else.
    Seller,
}

/// How an order is paid, as its buyer sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OrderPayment {
    pub method: PaymentMethod,
}

/// An order as its buyer reads it, or a seller's part of it (`part`).
///
/// A seller of some of its lines sees the order as if it held only their lines: those lines,
/// their total, their fulfilment (status, carrier, tracking, returns), the shipping address
/// they ship to, the history of what concerned their lines, and a status to match (`paid`
/// until they ship, then `shipped`, `delivered`; `cancelled` when all their lines were). Never
/// another seller's lines, fulfilment or returns, nor the payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OrderDetail {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub buyer_id: String,
    /// `whole` for the buyer; `seller` for a seller of some of its lines (their part only).
    pub part: OrderPart,
    /// `pending`, `payment_authorized`, `stock_reserved`, `paid`, `partially_shipped`,
    /// `shipped`, `delivered`, `cancelled` or `rejected` (a seller's part is never
    /// `partially_shipped`).
    pub status: String,
    /// Priced when the order was placed.
    pub lines: Vec<OrderLine>,
    /// The lines' total.
    pub total: Money,
    pub shipping_address: ShippingAddress,
    /// The buyer's view only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<OrderPayment>,
    /// The buyer's view only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = Uuid)]
    pub payment_id: Option<String>,
    /// Every status the order (or the seller's part) reached, oldest first.
    pub history: Vec<HistoryEntry>,
    /// One per seller (a seller sees their own only): their lines and where each stands,
    /// carrier and tracking number, returns.
    pub fulfilments: Vec<FulfilmentView>,
    /// RFC 3339, microseconds, UTC.
    pub created_at: String,
    pub updated_at: String,
    /// The order stream's version (of the last event shown).
    pub version: i64,
}

impl OrderDetail {
    /// Whether `user` placed the order.
    #[must_use]
    pub fn is_buyer(&self, user: &str) -> bool {
        self.buyer_id == user
    }

    /// Whether `user` sells one of the order's lines.
    #[must_use]
    pub fn sells(&self, user: &str) -> bool {
        self.lines.iter().any(|l| l.seller_id.to_string() == user)
    }

    /// The order as `user` may see it, folded from its events (oldest first): the whole of it
    /// for its buyer, their part for a seller of some of its lines; `None` for anybody else,
    /// and before it was placed.
    ///
    /// # Errors
    /// An event this code cannot decode.
    pub fn seen_by(
        events: &[Recorded],
        user: UserId,
    ) -> Result<Option<Self>, shared_kernel::DecodeError> {
        let steps = events
            .iter()
            .map(|event| {
                Ok(Step {
                    event: OrderEvent::decode(
                        &event.event_type,
                        event.schema_version,
                        event.data.clone(),
                    )?,
                    at: rfc3339(event.recorded_at),
                    version: version_of(event),
                })
            })
            .collect::<Result<Vec<_>, shared_kernel::DecodeError>>()?;
        let placed = steps.iter().find_map(|s| match &s.event {
            OrderEvent::Placed(p) => Some(p),
            _ => None,
        });
        let Some(placed) = placed else {
            return Ok(None);
        };
        if placed.buyer_id == user {
            return Ok(fold(steps, OrderPart::Whole));
        }
        if placed.lines.iter().any(|l| l.seller_id == user) {
            return Ok(fold(seller_part(steps, user), OrderPart::Seller));
        }
        Ok(None)
    }
}

/// The order `steps` leave, shown as `part`.
fn fold(steps: Vec<Step>, part: OrderPart) -> Option<OrderDetail> {
    let mut view: Option<OrderDetail> = None;
    for Step { event, at, version } in steps {
        let (mut status, reason) = step_of(&event);
        if let Some(v) = view.as_mut() {
            apply(&mut v.fulfilments, &event, &at);
            // A seller's part stands where their fulfilment stands once it is paid.
            if part == OrderPart::Seller
                && let Some(own) = v.fulfilments.first().and_then(|f| part_status(f, &event))
            {
                status = own;
            }
        }
        let entry = HistoryEntry {
            status: status.to_owned(),
            at: at.clone(),
            reason,
        };
        if let OrderEvent::Placed(p) = &event {
            let mut fulfilments = Vec::new();
            apply(&mut fulfilments, &event, &at);
            let whole = part == OrderPart::Whole;
            view = Some(OrderDetail {
                id: p.order_id.to_string(),
                buyer_id: p.buyer_id.to_string(),
                part,
                status: status.to_owned(),
                lines: p.lines.clone(),
                total: p.total,
                shipping_address: p.shipping_address.clone(),
                payment: whole.then_some(OrderPayment {
                    method: p.payment.method,
                }),
                payment_id: whole.then(|| p.payment_id.to_string()),
                history: vec![entry],
                fulfilments,
                created_at: at.clone(),
                updated_at: at,
                version,
            });
        } else if let Some(v) = view.as_mut() {
            v.status = status.to_owned();
            v.history.push(entry);
            v.updated_at = at;
            v.version = version;
        }
    }
    view
}

/// An order in its buyer's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OrderSummary {
    #[schema(format = Uuid)]
    pub id: String,
    /// As [`OrderDetail::status`].
    pub status: String,
    pub lines: Vec<OrderLine>,
    pub total: Money,
    #[schema(format = Uuid)]
    pub payment_id: String,
    /// RFC 3339, microseconds, UTC.
    pub created_at: String,
    pub updated_at: String,
}
