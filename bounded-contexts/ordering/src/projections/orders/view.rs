//! An order as its buyer and sellers read it: from the read model's rows, or folded from the
//! order's own events (`GET /orders/{id}?as_of=`), in one shape.

use event_schemas::ordering::{OrderEvent, OrderLine, ShippingAddress};
use serde::{Deserialize, Serialize};
use shared_kernel::{DomainEvent, Money, Recorded};

use super::{rfc3339, step_of, version_of};
use crate::projections::fulfilments::{FulfilmentView, apply};

/// One step of an order's life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct HistoryEntry {
    /// The status the order reached.
    pub status: String,
    /// RFC 3339, microseconds, UTC.
    pub at: String,
    /// Why it was cancelled or rejected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// An order as its buyer and sellers read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderView {
    pub id: String,
    pub buyer_id: String,
    pub status: String,
    pub lines: Vec<OrderLine>,
    pub total: Money,
    pub shipping_address: ShippingAddress,
    pub payment_method: String,
    pub payment_id: String,
    pub history: Vec<HistoryEntry>,
    /// One per seller, in the order the sellers first appear among the lines.
    pub fulfilments: Vec<FulfilmentView>,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
}

impl OrderView {
    /// Whether `user` placed the order or sells one of its lines.
    #[must_use]
    pub fn visible_to(&self, user: &str) -> bool {
        self.buyer_id == user || self.lines.iter().any(|l| l.seller_id.to_string() == user)
    }

    /// The order folded from its events, oldest first; `None` before it was placed.
    ///
    /// # Errors
    /// An event this code cannot decode.
    pub fn from_events(events: &[Recorded]) -> Result<Option<Self>, shared_kernel::DecodeError> {
        let mut view: Option<Self> = None;
        for event in events {
            let e =
                OrderEvent::decode(&event.event_type, event.schema_version, event.data.clone())?;
            let at = rfc3339(event.recorded_at);
            let (status, reason) = step_of(&e);
            if let Some(v) = view.as_mut() {
                apply(&mut v.fulfilments, &e, &at);
            }
            let entry = HistoryEntry {
                status: status.to_owned(),
                at: at.clone(),
                reason,
            };
            if let OrderEvent::Placed(p) = &e {
                let mut fulfilments = Vec::new();
                apply(&mut fulfilments, &e, &at);
                view = Some(Self {
                    fulfilments,
                    id: p.order_id.to_string(),
                    buyer_id: p.buyer_id.to_string(),
                    status: status.to_owned(),
                    lines: p.lines.clone(),
                    total: p.total,
                    shipping_address: p.shipping_address.clone(),
                    payment_method: p.payment.method.as_str().to_owned(),
                    payment_id: p.payment_id.to_string(),
                    history: vec![entry],
                    created_at: at.clone(),
                    updated_at: at,
                    version: version_of(event),
                });
            } else if let Some(v) = view.as_mut() {
                v.status = status.to_owned();
                v.history.push(entry);
                v.updated_at = at;
                v.version = version_of(event);
            }
        }
        Ok(view)
    }

    /// The API's JSON of the order.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "buyer_id": self.buyer_id,
            "status": self.status,
            "lines": self.lines,
            "total": self.total,
            "shipping_address": self.shipping_address,
            "payment": { "method": self.payment_method },
            "payment_id": self.payment_id,
            "history": self.history,
            "fulfilments": self.fulfilments,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "version": self.version,
        })
    }
}
