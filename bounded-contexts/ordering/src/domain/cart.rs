//! The Cart aggregate: a buyer's lines (one per sku) with the unit price the buyer was shown
//! for each, until a checkout turns them into an order or inactivity abandons them.
//!
//! Why one stream per buyer (`cart-<buyer id>`) and not one per cart: "one open cart per
//! buyer" is then the stream's name itself, so no index has to find the open cart and no two
//! requests can open two; a checkout or an abandonment empties it and the next line starts the
//! next cart on the same stream. A buyer's stream grows with every cart they fill (a few events
//! each), which a fold reads in well under a millisecond.
//!
//! Prices come in with the commands (the application prices lines from ordering's view of the
//! catalog with the same function `POST /orders` uses): the cart only records what the buyer
//! was shown, and refuses a checkout at prices other than those (`PricesChanged`) until a
//! `Reprice` has recorded the new ones.

mod error;

use event_schemas::cart::{
    CartAbandoned, CartCheckedOut, CartEvent, CartLine, CartLineAdded, CartLineChanged,
    CartLineRemoved, CartRepriced, RepricedLine,
};
use shared_kernel::ids::{OrderId, UserId};
use shared_kernel::{Aggregate, Money, Timestamp};

pub use error::{CartError, describe_repriced};

use super::check_lines;

/// What a buyer (or the expiry timer) asks of a cart. Lines come priced: `unit_price` is the
/// catalog's price at the moment, the one shown to the buyer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CartCommand {
    /// Adds `line.quantity` units of `line.sku` at `line.unit_price` (the price shown now).
    AddLine {
        buyer_id: UserId,
        line: CartLine,
    },
    /// Sets the quantity of the line of `line.sku` (which must be in the cart), at the price
    /// shown now.
    ChangeLine {
        buyer_id: UserId,
        line: CartLine,
    },
    RemoveLine {
        buyer_id: UserId,
        sku: String,
    },
    /// Records the catalog's current prices (`lines` as priced now) where they differ.
    Reprice {
        buyer_id: UserId,
        lines: Vec<CartLine>,
    },
    /// Turns the cart into order `order_id`. `lines` are the cart's lines as priced now: they
    /// must be the cart's (same skus and quantities) at the recorded prices.
    CheckOut {
        buyer_id: UserId,
        order_id: OrderId,
        lines: Vec<CartLine>,
    },
    /// The expiry timer set after the cart's event number `version` fired: abandons the cart
    /// unless something happened to it since.
    Abandon {
        version: u64,
    },
}

/// The cart as its events left it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cart {
    pub buyer_id: Option<UserId>,
    /// In the order they were first added.
    pub lines: Vec<CartLine>,
    /// How many events the stream holds (its version).
    pub version: u64,
    /// The latest checkout: a retried checkout finds the order it placed here.
    pub last_checkout: Option<CartCheckedOut>,
}

impl Cart {
    /// The line of `sku`, if the cart holds one.
    #[must_use]
    pub fn line(&self, sku: &str) -> Option<&CartLine> {
        self.lines.iter().find(|l| l.sku == sku)
    }

    /// The sum of the lines at their recorded prices; `None` for an empty cart.
    ///
    /// # Errors
    /// The sum overflows, or the lines are in several currencies (the cart refuses both).
    pub fn total(&self) -> Result<Option<Money>, CartError> {
        total_of(&self.lines)
    }
}

/// The sum of `lines` at their unit prices; `None` when there are none.
///
/// # Errors
/// The sum overflows, or the lines are in several currencies.
pub fn total_of(lines: &[CartLine]) -> Result<Option<Money>, CartError> {
    let Some(first) = lines.first() else {
        return Ok(None);
    };
    let mut total = Money::zero(first.unit_price.currency);
    for line in lines {
        if line.unit_price.currency != total.currency {
            return Err(CartError::MixedCurrencies);
        }
        total = line
            .unit_price
            .checked_mul(line.quantity)
            .and_then(|t| total.checked_add(t))
            .map_err(|_| CartError::Invalid("the cart total is too large".into()))?;
    }
    Ok(Some(total))
}

/// The rules on a line that is to be in the cart, beside the cart's `others`: a price, the
/// cart's currency, not the buyer's own product, and the order's limits on the resulting
/// lines (at most 100, quantities 1 to 10,000), so that a cart can always be ordered.
fn check_line(buyer_id: UserId, line: &CartLine, others: &[CartLine]) -> Result<(), CartError> {
    if line.seller_id == buyer_id {
        return Err(CartError::OwnProduct);
    }
    if line.unit_price.amount_minor <= 0 {
        return Err(CartError::Invalid(format!(
            "product {} has no valid price",
            line.product_id
        )));
    }
    let quantities: Vec<i64> = others
        .iter()
        .map(|l| l.quantity)
        .chain([line.quantity])
        .collect();
    check_lines(quantities.into_iter()).map_err(|e| CartError::Invalid(e.to_string()))?;
    let mut all = others.to_vec();
    all.push(line.clone());
    total_of(&all)?;
    Ok(())
}

impl Cart {
    fn others(&self, sku: &str) -> Vec<CartLine> {
        self.lines
            .iter()
            .filter(|l| l.sku != sku)
            .cloned()
            .collect()
    }

    fn add(&self, buyer_id: UserId, line: CartLine) -> Result<Vec<CartEvent>, CartError> {
        let added = line.quantity;
        if added < 1 {
            return Err(CartError::Invalid(format!(
                "quantity must be 1 or more, got {added}"
            )));
        }
        let quantity = self
            .line(&line.sku)
            .map_or(Some(added), |l| l.quantity.checked_add(added))
            .ok_or_else(|| CartError::Invalid("quantity too large".into()))?;
        let line = CartLine { quantity, ..line };
        check_line(buyer_id, &line, &self.others(&line.sku))?;
        Ok(vec![CartEvent::LineAdded(CartLineAdded {
            buyer_id,
            line,
            added,
        })])
    }

    fn change(&self, buyer_id: UserId, line: CartLine) -> Result<Vec<CartEvent>, CartError> {
        let current = self.line(&line.sku).ok_or(CartError::LineNotFound)?;
        if *current == line {
            return Ok(vec![]);
        }
        check_line(buyer_id, &line, &self.others(&line.sku))?;
        Ok(vec![CartEvent::LineChanged(CartLineChanged {
            buyer_id,
            line,
        })])
    }

    fn reprice(&self, buyer_id: UserId, priced: &[CartLine]) -> Vec<CartEvent> {
        let lines: Vec<RepricedLine> = self
            .lines
            .iter()
            .filter_map(|line| {
                let now = priced.iter().find(|p| p.sku == line.sku)?.unit_price;
                (now != line.unit_price).then(|| RepricedLine {
                    sku: line.sku.clone(),
                    was: line.unit_price,
                    now,
                })
            })
            .collect();
        if lines.is_empty() {
            return vec![];
        }
        vec![CartEvent::Repriced(CartRepriced { buyer_id, lines })]
    }

    /// The lines whose price shown differs from the price now (`priced`: the cart's lines as
    /// priced now), in the cart's order.
    ///
    /// # Errors
    /// `Changed`: `priced` are not this cart's lines (skus, products, quantities).
    pub fn changed_prices(&self, priced: &[CartLine]) -> Result<Vec<RepricedLine>, CartError> {
        if priced.len() != self.lines.len() {
            return Err(CartError::Changed);
        }
        let mut changed = Vec::new();
        for line in &self.lines {
            let now = priced
                .iter()
                .find(|p| p.sku == line.sku && p.product_id == line.product_id)
                .filter(|p| p.quantity == line.quantity)
                .ok_or(CartError::Changed)?;
            if now.unit_price != line.unit_price {
                changed.push(RepricedLine {
                    sku: line.sku.clone(),
                    was: line.unit_price,
                    now: now.unit_price,
                });
            }
        }
        Ok(changed)
    }

    fn check_out(
        &self,
        buyer_id: UserId,
        order_id: OrderId,
        priced: Vec<CartLine>,
    ) -> Result<Vec<CartEvent>, CartError> {
        if self.lines.is_empty() {
            return Err(CartError::Empty);
        }
        let changed = self.changed_prices(&priced)?;
        if !changed.is_empty() {
            return Err(CartError::PricesChanged(changed));
        }
        // The cart's own lines (in the cart's order): the prices shown are the prices charged;
        // titles as the catalog has them now.
        let lines: Vec<CartLine> = self
            .lines
            .iter()
            .map(|line| {
                let title = priced
                    .iter()
                    .find(|p| p.sku == line.sku)
                    .map_or_else(|| line.title.clone(), |p| p.title.clone());
                CartLine {
                    title,
                    ..line.clone()
                }
            })
            .collect();
        let total = total_of(&lines)?.ok_or(CartError::Empty)?;
        Ok(vec![CartEvent::CheckedOut(CartCheckedOut {
            buyer_id,
            order_id,
            lines,
            total,
        })])
    }

    fn abandon(&self, version: u64) -> Result<Vec<CartEvent>, CartError> {
        // Touched since the timer was set (its own timer is set), or nothing to abandon.
        let (Some(buyer_id), false, true) = (
            self.buyer_id,
            self.lines.is_empty(),
            version == self.version,
        ) else {
            return Ok(vec![]);
        };
        let value = self.total()?.ok_or(CartError::Empty)?;
        Ok(vec![CartEvent::Abandoned(CartAbandoned {
            buyer_id,
            line_count: u32::try_from(self.lines.len()).unwrap_or(u32::MAX),
            value,
        })])
    }
}

impl Aggregate for Cart {
    const KIND: &'static str = "cart";
    type Command = CartCommand;
    type Event = CartEvent;
    type Error = CartError;

    fn decide(&self, command: CartCommand, _now: Timestamp) -> Result<Vec<CartEvent>, CartError> {
        match command {
            CartCommand::AddLine { buyer_id, line } => self.add(buyer_id, line),
            CartCommand::ChangeLine { buyer_id, line } => self.change(buyer_id, line),
            CartCommand::RemoveLine { buyer_id, sku } => {
                if self.line(&sku).is_none() {
                    return Err(CartError::LineNotFound);
                }
                Ok(vec![CartEvent::LineRemoved(CartLineRemoved {
                    buyer_id,
                    sku,
                })])
            }
            CartCommand::Reprice { buyer_id, lines } => Ok(self.reprice(buyer_id, &lines)),
            CartCommand::CheckOut {
                buyer_id,
                order_id,
                lines,
            } => self.check_out(buyer_id, order_id, lines),
            CartCommand::Abandon { version } => self.abandon(version),
        }
    }

    fn evolve(mut self, event: &CartEvent) -> Self {
        self.version += 1;
        self.buyer_id = Some(event.buyer_id());
        match event {
            CartEvent::LineAdded(CartLineAdded { line, .. })
            | CartEvent::LineChanged(CartLineChanged { line, .. }) => {
                match self.lines.iter_mut().find(|l| l.sku == line.sku) {
                    Some(existing) => *existing = line.clone(),
                    None => self.lines.push(line.clone()),
                }
            }
            CartEvent::LineRemoved(r) => self.lines.retain(|l| l.sku != r.sku),
            CartEvent::Repriced(r) => {
                for repriced in &r.lines {
                    if let Some(line) = self.lines.iter_mut().find(|l| l.sku == repriced.sku) {
                        line.unit_price = repriced.now;
                    }
                }
            }
            CartEvent::CheckedOut(c) => {
                self.lines.clear();
                self.last_checkout = Some(c.clone());
            }
            CartEvent::Abandoned(_) => self.lines.clear(),
        }
        self
    }
}
