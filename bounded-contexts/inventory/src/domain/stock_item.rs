//! The StockItem aggregate: the stock ledger of one sku (`stock-<sku>`).
//!
//! Every movement records its effect and the resulting levels. The one invariant:
//! `available = on_hand - reserved` never goes below zero, whatever the order of commands
//! (optimistic concurrency on the stream makes each decision see the latest levels).

mod command;
mod decisions;

use std::collections::{BTreeMap, VecDeque};

use event_schemas::inventory::{StockEvent, StockLevels};
use serde::{Deserialize, Serialize};
use shared_kernel::ids::{OrderId, ProductId, UserId};
use shared_kernel::{Aggregate, SnapshotPolicy, TextRule, Timestamp};

pub use command::{StockCommand, StockError};

/// The threshold of a new stock item: no alerts until the seller sets one.
pub const DEFAULT_LOW_STOCK_THRESHOLD: i64 = 0;
/// Upper bound of one movement and of any level, far from `i64` overflow.
pub const MAX_QUANTITY: i64 = 1_000_000_000;
const REASON: TextRule = TextRule::multiline("reason", 1, 200);

/// What one order holds on this sku while its reservation is open: units reserved, not yet
/// sold or given back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Holding {
    Reserved(i64),
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
    /// The open reservations on this sku, by order. A holding leaves when its reservation is
    /// sold, given back or expired, so the state (and its snapshot) holds only the orders in
    /// flight, never the sku's whole history. What an order bought and may return is the
    /// order's reservation's to know (`Reservation`), not every sku's.
    pub orders: BTreeMap<OrderId, Holding>,
    /// The last [`CONCLUDED_KEPT`] orders whose holding closed here, oldest first: a late
    /// repeat of their reserve, commit or release finds them and changes nothing (the first
    /// guard is each step's command id). Bounded, so the state stays small whatever the sku
    /// sold.
    #[serde(default)]
    pub concluded: VecDeque<OrderId>,
}

/// How many concluded orders a stock item remembers (see [`StockItem::concluded`]).
pub const CONCLUDED_KEPT: usize = 128;

impl StockItem {
    /// What `order_id` holds on this sku, if anything.
    #[must_use]
    pub fn holding(&self, order_id: OrderId) -> Option<Holding> {
        self.orders.get(&order_id).copied()
    }

    /// After a movement: the new levels, and a cleared alert once available is back up.
    fn moved(mut self, levels: StockLevels) -> Self {
        self.levels = levels;
        if levels.available >= self.low_stock_threshold {
            self.low_stock_alerted = false;
        }
        self
    }

    fn hold(mut self, order_id: OrderId, holding: Option<Holding>, levels: StockLevels) -> Self {
        match holding {
            Some(holding) => {
                self.orders.insert(order_id, holding);
            }
            None => {
                self.orders.remove(&order_id);
                if !self.concluded.contains(&order_id) {
                    if self.concluded.len() == CONCLUDED_KEPT {
                        self.concluded.pop_front();
                    }
                    self.concluded.push_back(order_id);
                }
            }
        }
        self.moved(levels)
    }

    /// Whether `order_id`'s holding here closed recently (sold or given back).
    #[must_use]
    pub fn concluded(&self, order_id: OrderId) -> bool {
        self.concluded.contains(&order_id)
    }
}

impl Aggregate for StockItem {
    const KIND: &'static str = "stock";
    /// Every 50 events: a load then reads at most 50 events past the snapshot. Bump `schema`
    /// whenever the fields above or `evolve` change (2: partial releases and returns).
    const SNAPSHOTS: Option<SnapshotPolicy> = Some(SnapshotPolicy {
        every: 50,
        // 3: holdings of open reservations only (2 kept every order's, sold or given back).
        schema: 3,
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
            StockCommand::ReleasePart {
                order_id,
                quantity,
                reason,
            } => self.release_part(order_id, quantity, reason),
            StockCommand::Return {
                order_id,
                quantity,
                reason,
            } => self.return_sold(order_id, quantity, reason)?,
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
                self.hold(e.order_id, Some(Holding::Reserved(e.quantity)), e.levels)
            }
            StockEvent::Released(e) => {
                // Part of a reservation given back leaves the rest reserved.
                let holding = match self.holding(e.order_id) {
                    Some(Holding::Reserved(held)) if held > e.quantity => {
                        Some(Holding::Reserved(held - e.quantity))
                    }
                    _ => None,
                };
                self.hold(e.order_id, holding, e.levels)
            }
            // Sold: the reservation is closed here.
            StockEvent::Committed(e) => self.hold(e.order_id, None, e.levels),
            StockEvent::Returned(e) => self.moved(e.levels),
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
