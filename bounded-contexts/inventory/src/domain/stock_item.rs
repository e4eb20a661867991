//! The StockItem aggregate: the stock ledger of one sku (`stock-<sku>`).
//!
//! Every movement records its effect and the resulting levels. The one invariant:
//! `available = on_hand - reserved` never goes below zero, whatever the order of commands
//! (optimistic concurrency on the stream makes each decision see the latest levels).

use std::collections::BTreeMap;

use event_schemas::inventory::{
    LowStockDetected, LowStockThresholdSet, StockAdjusted, StockCommitted, StockEvent,
    StockItemOpened, StockLevels, StockReceived, StockReleased, StockReserved, StockReturned,
};
use serde::{Deserialize, Serialize};
use shared_kernel::ids::{OrderId, ProductId, UserId};
use shared_kernel::{Aggregate, SnapshotPolicy, TextRule, Timestamp};

/// The threshold of a new stock item: no alerts until the seller sets one.
pub const DEFAULT_LOW_STOCK_THRESHOLD: i64 = 0;
/// Upper bound of one movement and of any level, far from `i64` overflow.
pub const MAX_QUANTITY: i64 = 1_000_000_000;
const REASON: TextRule = TextRule::multiline("reason", 1, 200);

/// What one order holds on this sku.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Holding {
    Reserved(i64),
    Committed(i64),
    /// The reservation was given back before it was sold.
    Released,
    /// The sold quantity came back on hand.
    Returned,
}

/// The state is snapshotted (see [`Aggregate::SNAPSHOTS`]): a popular sku's stream grows by
/// a few events per order, and every reservation loads it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockItem {
    pub opened: bool,
    pub sku: String,
    pub product_id: ProductId,
    pub seller: UserId,
    pub levels: StockLevels,
    pub low_stock_threshold: i64,
    /// A `LowStockDetected` was recorded and available has not climbed back since.
    pub low_stock_alerted: bool,
    pub orders: BTreeMap<OrderId, Holding>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StockCommand {
    /// Goods arrived. The first seller command opens the item for `product_id`, owned by `actor`.
    Receive {
        sku: String,
        product_id: ProductId,
        actor: UserId,
        quantity: i64,
    },
    /// A correction of what is on hand (count, damage, loss).
    Adjust {
        sku: String,
        product_id: ProductId,
        actor: UserId,
        delta: i64,
        reason: String,
    },
    SetThreshold {
        sku: String,
        product_id: ProductId,
        actor: UserId,
        threshold: i64,
    },
    /// Part of an order's reservation; a no-op when the order already has one here.
    Reserve { order_id: OrderId, quantity: i64 },
    /// Gives the order's reservation back, or returns what it bought; a no-op otherwise.
    Release { order_id: OrderId, reason: String },
    /// Sells what the order reserved; a no-op when it is already sold.
    Commit { order_id: OrderId },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StockError {
    #[error("no stock is kept for this sku")]
    NotFound,
    #[error("only the sku's seller may change its stock")]
    NotSeller,
    #[error("only {available} available, {requested} requested")]
    Insufficient { requested: i64, available: i64 },
    #[error("the order holds no reservation on this sku")]
    NotReserved,
    #[error("{0}")]
    Invalid(String),
}

impl shared_kernel::application::Rejection for StockError {
    fn code_and_status(&self) -> (&'static str, u16) {
        match self {
            // Someone else's stock looks like no stock.
            Self::NotFound | Self::NotSeller => ("not_found", 404),
            Self::Insufficient { .. } => ("insufficient_stock", 409),
            Self::NotReserved => ("not_reserved", 409),
            Self::Invalid(_) => ("validation_failed", 422),
        }
    }
}

const fn levels(on_hand: i64, reserved: i64) -> StockLevels {
    StockLevels {
        on_hand,
        reserved,
        available: on_hand - reserved,
    }
}

fn check_quantity(field: &str, quantity: i64) -> Result<(), StockError> {
    if quantity <= 0 || quantity > MAX_QUANTITY {
        return Err(StockError::Invalid(format!(
            "{field} must be 1 to {MAX_QUANTITY}, got {quantity}"
        )));
    }
    Ok(())
}

fn check_reason(reason: &str) -> Result<(), StockError> {
    REASON
        .check(reason)
        .map_err(|e| StockError::Invalid(e.to_string()))
}

impl StockItem {
    /// What `order_id` holds on this sku, if anything.
    #[must_use]
    pub fn holding(&self, order_id: OrderId) -> Option<Holding> {
        self.orders.get(&order_id).copied()
    }

    /// The seller commands: open the item on first use, else check the seller.
    fn open_for(
        &self,
        sku: &str,
        product_id: ProductId,
        actor: UserId,
    ) -> Result<Vec<StockEvent>, StockError> {
        if self.opened {
            return if self.seller == actor {
                Ok(vec![])
            } else {
                Err(StockError::NotSeller)
            };
        }
        Ok(vec![StockEvent::Opened(StockItemOpened {
            sku: sku.to_owned(),
            product_id,
            seller_id: actor,
            low_stock_threshold: DEFAULT_LOW_STOCK_THRESHOLD,
        })])
    }

    /// `events`, followed by `LowStockDetected` when they take available under the threshold
    /// from at or above it: once per crossing, not on every movement while low.
    fn with_low_stock_check(&self, mut events: Vec<StockEvent>) -> Vec<StockEvent> {
        let next = events.iter().fold(self.clone(), Self::evolve);
        if next.opened
            && next.levels.available < next.low_stock_threshold
            && !next.low_stock_alerted
        {
            events.push(StockEvent::LowStockDetected(LowStockDetected {
                sku: next.sku.clone(),
                product_id: next.product_id,
                seller_id: next.seller,
                available: next.levels.available,
                threshold: next.low_stock_threshold,
            }));
        }
        events
    }

    fn receive(
        &self,
        sku: &str,
        product_id: ProductId,
        actor: UserId,
        quantity: i64,
    ) -> Result<Vec<StockEvent>, StockError> {
        let mut events = self.open_for(sku, product_id, actor)?;
        check_quantity("quantity", quantity)?;
        let on_hand = self.levels.on_hand + quantity;
        if on_hand > MAX_QUANTITY {
            return Err(StockError::Invalid(format!(
                "at most {MAX_QUANTITY} may be on hand"
            )));
        }
        events.push(StockEvent::Received(StockReceived {
            sku: sku.to_owned(),
            quantity,
            levels: levels(on_hand, self.levels.reserved),
        }));
        Ok(events)
    }

    fn adjust(
        &self,
        sku: &str,
        product_id: ProductId,
        actor: UserId,
        delta: i64,
        reason: String,
    ) -> Result<Vec<StockEvent>, StockError> {
        let mut events = self.open_for(sku, product_id, actor)?;
        if delta == 0 || delta.abs() > MAX_QUANTITY {
            return Err(StockError::Invalid(format!(
                "delta must be non-zero and at most {MAX_QUANTITY} either way, got {delta}"
            )));
        }
        check_reason(&reason)?;
        let on_hand = self.levels.on_hand + delta;
        if on_hand > MAX_QUANTITY {
            return Err(StockError::Invalid(format!(
                "at most {MAX_QUANTITY} may be on hand"
            )));
        }
        // Reserved stock stays on the shelf for its orders: a loss may not eat into it.
        if on_hand - self.levels.reserved < 0 {
            return Err(StockError::Insufficient {
                requested: -delta,
                available: self.levels.available,
            });
        }
        events.push(StockEvent::Adjusted(StockAdjusted {
            sku: sku.to_owned(),
            delta,
            reason: reason.trim().to_owned(),
            levels: levels(on_hand, self.levels.reserved),
        }));
        Ok(events)
    }

    fn set_threshold(
        &self,
        sku: &str,
        product_id: ProductId,
        actor: UserId,
        threshold: i64,
    ) -> Result<Vec<StockEvent>, StockError> {
        let mut events = self.open_for(sku, product_id, actor)?;
        if !(0..=MAX_QUANTITY).contains(&threshold) {
            return Err(StockError::Invalid(format!(
                "threshold must be 0 to {MAX_QUANTITY}, got {threshold}"
            )));
        }
        if self.opened && self.low_stock_threshold == threshold {
            return Ok(vec![]);
        }
        events.push(StockEvent::ThresholdSet(LowStockThresholdSet {
            sku: sku.to_owned(),
            threshold,
        }));
        Ok(events)
    }

    fn reserve(&self, order_id: OrderId, quantity: i64) -> Result<Vec<StockEvent>, StockError> {
        if !self.opened {
            return Err(StockError::NotFound);
        }
        check_quantity("quantity", quantity)?;
        // One reservation per order and sku: a repeat (or a late one after release) changes
        // nothing; the caller reads `holding` to know where the order stands.
        if self.orders.contains_key(&order_id) {
            return Ok(vec![]);
        }
        if quantity > self.levels.available {
            return Err(StockError::Insufficient {
                requested: quantity,
                available: self.levels.available,
            });
        }
        Ok(vec![StockEvent::Reserved(StockReserved {
            sku: self.sku.clone(),
            order_id,
            quantity,
            levels: levels(self.levels.on_hand, self.levels.reserved + quantity),
        })])
    }

    fn release(&self, order_id: OrderId, reason: String) -> Vec<StockEvent> {
        match self.holding(order_id) {
            Some(Holding::Reserved(quantity)) => vec![StockEvent::Released(StockReleased {
                sku: self.sku.clone(),
                order_id,
                quantity,
                reason,
                levels: levels(self.levels.on_hand, self.levels.reserved - quantity),
            })],
            Some(Holding::Committed(quantity)) => vec![StockEvent::Returned(StockReturned {
                sku: self.sku.clone(),
                order_id,
                quantity,
                reason,
                levels: levels(self.levels.on_hand + quantity, self.levels.reserved),
            })],
            Some(Holding::Released | Holding::Returned) | None => vec![],
        }
    }

    fn commit(&self, order_id: OrderId) -> Result<Vec<StockEvent>, StockError> {
        match self.holding(order_id) {
            Some(Holding::Reserved(quantity)) => Ok(vec![StockEvent::Committed(StockCommitted {
                sku: self.sku.clone(),
                order_id,
                quantity,
                levels: levels(
                    self.levels.on_hand - quantity,
                    self.levels.reserved - quantity,
                ),
            })]),
            Some(Holding::Committed(_)) => Ok(vec![]),
            Some(Holding::Released | Holding::Returned) | None => Err(StockError::NotReserved),
        }
    }

    /// After a movement: the new levels, and a cleared alert once available is back up.
    fn moved(mut self, levels: StockLevels) -> Self {
        self.levels = levels;
        if levels.available >= self.low_stock_threshold {
            self.low_stock_alerted = false;
        }
        self
    }

    fn hold(mut self, order_id: OrderId, holding: Holding, levels: StockLevels) -> Self {
        self.orders.insert(order_id, holding);
        self.moved(levels)
    }
}

impl Aggregate for StockItem {
    const KIND: &'static str = "stock";
    /// Every 50 events: a load then reads at most 50 events past the snapshot. Bump `schema`
    /// whenever the fields above or `evolve` change.
    const SNAPSHOTS: Option<SnapshotPolicy> = Some(SnapshotPolicy {
        every: 50,
        schema: 1,
    });
    type Command = StockCommand;
    type Event = StockEvent;
    type Error = StockError;

    fn to_snapshot(&self) -> Option<serde_json::Value> {
        serde_json::to_value(self).ok()
    }

    fn from_snapshot(snapshot: serde_json::Value) -> Option<Self> {
        serde_json::from_value(snapshot).ok()
    }

    fn decide(
        &self,
        command: StockCommand,
        _now: Timestamp,
    ) -> Result<Vec<StockEvent>, StockError> {
        let events = match command {
            StockCommand::Receive {
                sku,
                product_id,
                actor,
                quantity,
            } => self.receive(&sku, product_id, actor, quantity)?,
            StockCommand::Adjust {
                sku,
                product_id,
                actor,
                delta,
                reason,
            } => self.adjust(&sku, product_id, actor, delta, reason)?,
            StockCommand::SetThreshold {
                sku,
                product_id,
                actor,
                threshold,
            } => self.set_threshold(&sku, product_id, actor, threshold)?,
            StockCommand::Reserve { order_id, quantity } => self.reserve(order_id, quantity)?,
            StockCommand::Release { order_id, reason } => self.release(order_id, reason),
            StockCommand::Commit { order_id } => self.commit(order_id)?,
        };
        if events.is_empty() {
            return Ok(events);
        }
        Ok(self.with_low_stock_check(events))
    }

    fn evolve(self, event: &StockEvent) -> Self {
        match event {
            StockEvent::Opened(e) => Self {
                opened: true,
                sku: e.sku.clone(),
                product_id: e.product_id,
                seller: e.seller_id,
                low_stock_threshold: e.low_stock_threshold,
                ..self
            },
            StockEvent::Received(e) => self.moved(e.levels),
            StockEvent::Adjusted(e) => self.moved(e.levels),
            StockEvent::Reserved(e) => {
                self.hold(e.order_id, Holding::Reserved(e.quantity), e.levels)
            }
            StockEvent::Released(e) => self.hold(e.order_id, Holding::Released, e.levels),
            StockEvent::Committed(e) => {
                self.hold(e.order_id, Holding::Committed(e.quantity), e.levels)
            }
            StockEvent::Returned(e) => self.hold(e.order_id, Holding::Returned, e.levels),
            StockEvent::ThresholdSet(e) => {
                let levels = self.levels;
                Self {
                    low_stock_threshold: e.threshold,
                    ..self
                }
                .moved(levels)
            }
            StockEvent::LowStockDetected(_) => Self {
                low_stock_alerted: true,
                ..self
            },
        }
    }
}
