//! The commands the order saga sends, built from what its events carry.

use chrono::TimeDelta;
use event_schemas::inventory::SkuQuantity;
use event_schemas::inventory::commands::{
    RELEASE_STOCK, RELEASE_STOCK_LINES, ReleaseStock, ReleaseStockLines,
};
use event_schemas::payments::commands::{
    CREDIT_SELLER, CreditSeller, DEBIT_SELLER, DebitSeller, REFUND_PAYMENT, RefundPayment,
    VOID_PAYMENT, VoidPayment,
};
use projections::saga::{Dispatch, Reaction};
use serde::Serialize;
use shared_kernel::ids::{OrderId, PaymentId, UserId};
use shared_kernel::{Money, Timestamp};

use super::super::{OrderRequest, OrderingCommand};
use super::SAGA_NAME;
use crate::CONTEXT;

pub(super) const INVENTORY: &str = "inventory";
pub(super) const PAYMENTS: &str = "payments";

pub(super) fn later(at: Timestamp, by: std::time::Duration) -> Timestamp {
    TimeDelta::from_std(by)
        .ok()
        .and_then(|d| at.checked_add_signed(d))
        .unwrap_or(Timestamp::MAX_UTC)
}

pub(super) fn to_context(context: &str, name: &str, payload: &impl Serialize) -> Option<Dispatch> {
    match serde_json::to_value(payload) {
        Ok(payload) => Some(Dispatch {
            context: context.to_owned(),
            name: name.to_owned(),
            payload,
        }),
        Err(e) => {
            tracing::error!(saga = SAGA_NAME, command = name, error = %e, "cannot encode command");
            None
        }
    }
}

pub(super) fn to_ordering(command: OrderRequest) -> Option<Dispatch> {
    let (name, payload) = OrderingCommand::from(command).name_and_payload()?;
    Some(Dispatch {
        context: CONTEXT.to_owned(),
        name,
        payload,
    })
}

pub(super) fn release(order_id: OrderId, reason: &str) -> Option<Dispatch> {
    to_context(
        INVENTORY,
        RELEASE_STOCK,
        &ReleaseStock {
            order_id,
            reason: reason.to_owned(),
        },
    )
}

/// Part of the order's stock back: reserved (lines cancelled) or sold (lines returned).
pub(super) fn release_lines(
    order_id: OrderId,
    lines: Vec<SkuQuantity>,
    reason: &str,
) -> Option<Dispatch> {
    to_context(
        INVENTORY,
        RELEASE_STOCK_LINES,
        &ReleaseStockLines {
            order_id,
            lines,
            reason: reason.to_owned(),
        },
    )
}

/// A refund of `amount`, or of everything not yet refunded when `None`.
pub(super) fn refund(
    payment_id: PaymentId,
    amount: Option<Money>,
    reason: &str,
) -> Option<Dispatch> {
    to_context(
        PAYMENTS,
        REFUND_PAYMENT,
        &RefundPayment {
            payment_id,
            amount,
            reason: reason.to_owned(),
        },
    )
}

pub(super) fn void(payment_id: PaymentId, reason: &str) -> Option<Dispatch> {
    to_context(
        PAYMENTS,
        VOID_PAYMENT,
        &VoidPayment {
            payment_id,
            reason: reason.to_owned(),
        },
    )
}

/// The seller's ledger credited with the gross of their delivered lines; the entry
/// `delivered:<order id>` makes a repeat change nothing.
pub(super) fn credit_seller(
    seller_id: UserId,
    order_id: OrderId,
    gross: Money,
) -> Option<Dispatch> {
    to_context(
        PAYMENTS,
        CREDIT_SELLER,
        &CreditSeller {
            seller_id,
            order_id,
            entry: format!("delivered:{order_id}"),
            gross,
        },
    )
}

/// The seller's ledger debited with the gross of returned lines; the entry
/// `returned:<order id>:<return id>` makes a repeat change nothing.
pub(super) fn debit_seller(
    seller_id: UserId,
    order_id: OrderId,
    return_id: impl std::fmt::Display,
    gross: Money,
) -> Option<Dispatch> {
    to_context(
        PAYMENTS,
        DEBIT_SELLER,
        &DebitSeller {
            seller_id,
            order_id,
            entry: format!("returned:{order_id}:{return_id}"),
            gross,
        },
    )
}

pub(super) fn cancel(order_id: OrderId, reason: &str) -> Option<Dispatch> {
    to_ordering(OrderRequest::CancelOrder {
        order_id,
        reason: reason.to_owned(),
        by: None,
    })
}

pub(super) fn sending(commands: impl IntoIterator<Item = Option<Dispatch>>) -> Reaction {
    Reaction {
        send: commands.into_iter().flatten().collect(),
        ..Reaction::default()
    }
}
