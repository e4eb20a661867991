//! The stock item's decisions, one per command: each checks its command against the
//! current levels and returns the events with the levels they leave.

use event_schemas::inventory::{
    LowStockDetected, LowStockThresholdSet, StockAdjusted, StockCommitted, StockEvent,
    StockItemOpened, StockLevels, StockReceived, StockReleased, StockReserved, StockReturned,
};
use shared_kernel::Aggregate;
use shared_kernel::ids::{OrderId, ProductId, UserId};

use super::{DEFAULT_LOW_STOCK_THRESHOLD, Holding, MAX_QUANTITY, REASON, StockError, StockItem};

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
    pub(super) fn with_low_stock_check(&self, mut events: Vec<StockEvent>) -> Vec<StockEvent> {
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

    pub(super) fn receive(
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

    pub(super) fn adjust(
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

    pub(super) fn set_threshold(
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

    pub(super) fn reserve(
        &self,
        order_id: OrderId,
        quantity: i64,
    ) -> Result<Vec<StockEvent>, StockError> {
        if !self.opened {
            return Err(StockError::NotFound);
        }
        check_quantity("quantity", quantity)?;
        // One reservation per order and sku: a repeat (or a late one after release) changes
        // nothing; the caller reads `holding` to know where the order stands.
        if self.orders.contains_key(&order_id) || self.concluded(order_id) {
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

    pub(super) fn release(&self, order_id: OrderId, reason: String) -> Vec<StockEvent> {
        self.release_part(order_id, i64::MAX, reason)
    }

    /// Gives back `min(up_to, held)` of what `order_id` holds.
    pub(super) fn release_part(
        &self,
        order_id: OrderId,
        up_to: i64,
        reason: String,
    ) -> Vec<StockEvent> {
        if up_to <= 0 {
            return vec![];
        }
        match self.holding(order_id) {
            Some(Holding::Reserved(held)) => {
                let quantity = held.min(up_to);
                vec![StockEvent::Released(StockReleased {
                    sku: self.sku.clone(),
                    order_id,
                    quantity,
                    reason,
                    levels: levels(self.levels.on_hand, self.levels.reserved - quantity),
                })]
            }
            None => vec![],
        }
    }

    /// Puts `quantity` sold units of `order_id` back on hand.
    pub(super) fn return_sold(
        &self,
        order_id: OrderId,
        quantity: i64,
        reason: String,
    ) -> Result<Vec<StockEvent>, StockError> {
        if !self.opened {
            return Err(StockError::NotFound);
        }
        check_quantity("quantity", quantity)?;
        let on_hand = self.levels.on_hand.saturating_add(quantity);
        if on_hand > MAX_QUANTITY {
            return Err(StockError::Invalid(format!(
                "on hand would exceed {MAX_QUANTITY}"
            )));
        }
        Ok(vec![StockEvent::Returned(StockReturned {
            sku: self.sku.clone(),
            order_id,
            quantity,
            reason,
            levels: levels(on_hand, self.levels.reserved),
        })])
    }

    pub(super) fn commit(&self, order_id: OrderId) -> Result<Vec<StockEvent>, StockError> {
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
            // Sold or given back a moment ago: a late repeat changes nothing.
            None if self.concluded(order_id) => Ok(vec![]),
            None => Err(StockError::NotReserved),
        }
    }
}
