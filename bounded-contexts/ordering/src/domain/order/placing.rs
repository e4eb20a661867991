//! Placing an order: the lines priced and checked (one currency, no overflow, no own
//! product), the shipping address and the payment instruction checked.

use std::collections::HashSet;

use event_schemas::ordering::{OrderLine, OrderPlaced, PaymentInstruction, ShippingAddress};
use event_schemas::payments::PaymentMethod;
use shared_kernel::ids::{OrderId, PaymentId, ProductId, UserId};
use shared_kernel::{Money, TextRule};

use super::OrderError;

const MAX_LINES: usize = 100;
const MAX_QUANTITY: i64 = 10_000;

/// A line as the buyer asked for it, priced from ordering's view of the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedLine {
    pub product_id: ProductId,
    pub sku: String,
    pub seller_id: UserId,
    pub title: String,
    pub quantity: i64,
    pub unit_price: Money,
}

/// What placing an order needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    pub order_id: OrderId,
    pub buyer_id: UserId,
    pub lines: Vec<PricedLine>,
    pub shipping_address: ShippingAddress,
    pub payment: PaymentInstruction,
    /// Chosen by the caller (application code makes ids), so every retry names the same one.
    pub payment_id: PaymentId,
}

const NAME: TextRule = TextRule::line("shipping_address.name", 1, 200);
const LINE1: TextRule = TextRule::line("shipping_address.line1", 1, 200);
const LINE2: TextRule = TextRule::line("shipping_address.line2", 0, 200);
const CITY: TextRule = TextRule::line("shipping_address.city", 1, 100);
const POSTAL_CODE: TextRule = TextRule::line("shipping_address.postal_code", 1, 20);
const TOKEN: TextRule = TextRule::line("payment.token", 1, 200);

pub(super) fn check_text(rule: &TextRule, value: &str) -> Result<(), OrderError> {
    rule.check(value)
        .map_err(|e| OrderError::Invalid(e.to_string()))
}

fn check_address(a: &ShippingAddress) -> Result<(), OrderError> {
    check_text(&NAME, &a.name)?;
    check_text(&LINE1, &a.line1)?;
    if let Some(line2) = &a.line2 {
        check_text(&LINE2, line2)?;
    }
    check_text(&CITY, &a.city)?;
    check_text(&POSTAL_CODE, &a.postal_code)?;
    // Officially assigned codes only, upper case: no `ZZ`, `AB`, `QQ`, nor `de`.
    if rust_iso3166::from_alpha2(&a.country).is_none() {
        return Err(OrderError::Invalid(format!(
            "shipping_address.country must be an ISO 3166-1 alpha-2 country code such as DE, \
             got {:?}",
            a.country
        )));
    }
    Ok(())
}

/// The payment as recorded: a card needs its token, a wallet takes none.
fn check_payment(p: &PaymentInstruction) -> Result<PaymentInstruction, OrderError> {
    match p.method {
        PaymentMethod::Card => {
            let token = p.token.as_deref().map(str::trim).unwrap_or_default();
            check_text(&TOKEN, token).map_err(|_| {
                OrderError::Invalid(
                    "a card payment needs a token of 1 to 200 characters, one line".into(),
                )
            })?;
            Ok(PaymentInstruction {
                method: PaymentMethod::Card,
                token: Some(token.to_owned()),
            })
        }
        PaymentMethod::Wallet => Ok(PaymentInstruction {
            method: PaymentMethod::Wallet,
            token: None,
        }),
    }
}

/// The rules on an order's lines that need no prices: at least one line, at most
/// `MAX_LINES`, each quantity 1 to `MAX_QUANTITY`. Checked by `decide`, and by whoever prices
/// lines before asking for them (so an order that breaks them costs no catalog lookups).
///
/// # Errors
/// `Invalid`, saying which rule the lines break.
pub fn check_lines(quantities: impl ExactSizeIterator<Item = i64>) -> Result<(), OrderError> {
    if quantities.len() == 0 {
        return Err(OrderError::Invalid(
            "an order needs at least one line".into(),
        ));
    }
    if quantities.len() > MAX_LINES {
        return Err(OrderError::Invalid(format!("at most {MAX_LINES} lines")));
    }
    for quantity in quantities {
        if !(1..=MAX_QUANTITY).contains(&quantity) {
            return Err(OrderError::Invalid(format!(
                "quantity must be 1 to {MAX_QUANTITY}, got {quantity}"
            )));
        }
    }
    Ok(())
}

/// The lines with their totals, and the order total: one currency, no overflow.
fn price(new: &NewOrder) -> Result<(Vec<OrderLine>, Money), OrderError> {
    check_lines(new.lines.iter().map(|l| l.quantity))?;
    let Some(first) = new.lines.first() else {
        return Err(OrderError::Invalid(
            "an order needs at least one line".into(),
        ));
    };
    let mut seen = HashSet::new();
    let mut total = Money::zero(first.unit_price.currency);
    let mut lines = Vec::with_capacity(new.lines.len());
    let too_large = |_| OrderError::Invalid("the order total is too large".into());
    for line in &new.lines {
        // Two variants of one product are two lines; one variant is one line.
        if !seen.insert((line.product_id, line.sku.as_str())) {
            return Err(OrderError::Invalid(format!(
                "product {} (sku {}) appears on two lines",
                line.product_id, line.sku
            )));
        }
        if line.unit_price.amount_minor <= 0 {
            return Err(OrderError::Invalid(format!(
                "product {} has no valid price",
                line.product_id
            )));
        }
        if line.unit_price.currency != total.currency {
            return Err(OrderError::MixedCurrencies);
        }
        if line.seller_id == new.buyer_id {
            return Err(OrderError::OwnProduct);
        }
        let line_total = line
            .unit_price
            .checked_mul(line.quantity)
            .map_err(too_large)?;
        total = total.checked_add(line_total).map_err(too_large)?;
        lines.push(OrderLine {
            product_id: line.product_id,
            sku: line.sku.clone(),
            seller_id: line.seller_id,
            title: line.title.clone(),
            quantity: line.quantity,
            unit_price: line.unit_price,
            line_total,
        });
    }
    Ok((lines, total))
}

/// The `OrderPlaced` of `new`, or why it cannot be placed.
pub(super) fn place(new: NewOrder) -> Result<OrderPlaced, OrderError> {
    let (lines, total) = price(&new)?;
    check_address(&new.shipping_address)?;
    let payment = check_payment(&new.payment)?;
    Ok(OrderPlaced {
        order_id: new.order_id,
        buyer_id: new.buyer_id,
        lines,
        total,
        shipping_address: new.shipping_address,
        payment,
        payment_id: new.payment_id,
    })
}
