//! Given events, when a command, then events or an error: the StockItem aggregate, pure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use chrono::Utc;
use event_schemas::inventory::{
    LowStockDetected, LowStockThresholdSet, StockAdjusted, StockCommitted, StockEvent,
    StockItemOpened, StockLevels, StockReceived, StockReleased, StockReserved, StockReturned,
};
use inventory::domain::{Holding, StockCommand, StockError, StockItem};
use shared_kernel::Aggregate;
use shared_kernel::ids::{OrderId, ProductId, UserId};

const SKU: &str = "MUG-01";

struct Given {
    product: ProductId,
    seller: UserId,
    events: Vec<StockEvent>,
}

impl Given {
    fn nothing() -> Self {
        Self {
            product: ProductId::new(),
            seller: UserId::new(),
            events: vec![],
        }
    }

    /// An opened item with `on_hand` received.
    fn received(on_hand: i64) -> Self {
        let mut given = Self::nothing();
        given.then(given.receive(on_hand));
        given
    }

    fn state(&self) -> StockItem {
        StockItem::replay(&self.events)
    }

    /// Decides `command` and records what it decided (so scenarios read as a sequence).
    fn then(&mut self, command: StockCommand) -> Vec<StockEvent> {
        let events = self.when(command).unwrap();
        self.events.extend(events.clone());
        events
    }

    fn when(&self, command: StockCommand) -> Result<Vec<StockEvent>, StockError> {
        self.state().decide(command, Utc::now())
    }

    fn receive(&self, quantity: i64) -> StockCommand {
        StockCommand::Receive {
            sku: SKU.into(),
            product_id: self.product,
            actor: self.seller,
            quantity,
        }
    }

    fn adjust(&self, delta: i64) -> StockCommand {
        StockCommand::Adjust {
            sku: SKU.into(),
            product_id: self.product,
            actor: self.seller,
            delta,
            reason: "cycle count".into(),
        }
    }

    fn threshold(&self, threshold: i64) -> StockCommand {
        StockCommand::SetThreshold {
            sku: SKU.into(),
            product_id: self.product,
            actor: self.seller,
            threshold,
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

fn reserve(order_id: OrderId, quantity: i64) -> StockCommand {
    StockCommand::Reserve { order_id, quantity }
}

fn release(order_id: OrderId) -> StockCommand {
    StockCommand::Release {
        order_id,
        reason: "order_cancelled".into(),
    }
}

fn low_stock_events(events: &[StockEvent]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, StockEvent::LowStockDetected(_)))
        .count()
}

#[test]
fn the_first_receipt_opens_the_item_for_its_seller() {
    let given = Given::nothing();
    let events = given.when(given.receive(10)).unwrap();
    assert_eq!(
        events,
        vec![
            StockEvent::Opened(StockItemOpened {
                sku: SKU.into(),
                product_id: given.product,
                seller_id: given.seller,
                low_stock_threshold: 0,
            }),
            StockEvent::Received(StockReceived {
                sku: SKU.into(),
                quantity: 10,
                levels: levels(10, 0),
            }),
        ]
    );
}

#[test]
fn another_user_cannot_touch_the_sellers_stock() {
    let given = Given::received(10);
    let intruder = StockCommand::Receive {
        sku: SKU.into(),
        product_id: given.product,
        actor: UserId::new(),
        quantity: 5,
    };
    assert_eq!(given.when(intruder), Err(StockError::NotSeller));
}

#[test]
fn quantities_must_be_positive() {
    let given = Given::received(10);
    for bad in [0, -3] {
        assert!(matches!(
            given.when(given.receive(bad)),
            Err(StockError::Invalid(_))
        ));
        assert!(matches!(
            given.when(reserve(OrderId::new(), bad)),
            Err(StockError::Invalid(_))
        ));
    }
    assert!(matches!(
        given.when(given.adjust(0)),
        Err(StockError::Invalid(_))
    ));
}

#[test]
fn adjustments_never_take_available_below_zero() {
    let mut given = Given::received(10);
    given.then(reserve(OrderId::new(), 4));
    // 6 available: losing 6 is fine, losing 7 would eat into the reservation.
    assert_eq!(
        given.when(given.adjust(-7)),
        Err(StockError::Insufficient {
            requested: 7,
            available: 6
        })
    );
    let events = given.then(given.adjust(-6));
    assert_eq!(
        events,
        vec![StockEvent::Adjusted(StockAdjusted {
            sku: SKU.into(),
            delta: -6,
            reason: "cycle count".into(),
            levels: levels(4, 4),
        })]
    );
    assert_eq!(given.state().levels.available, 0);
}

#[test]
fn a_reservation_never_takes_more_than_is_available() {
    let mut given = Given::received(5);
    let first = OrderId::new();
    assert_eq!(
        given.then(reserve(first, 3)),
        vec![StockEvent::Reserved(StockReserved {
            sku: SKU.into(),
            order_id: first,
            quantity: 3,
            levels: levels(5, 3),
        })]
    );
    assert_eq!(
        given.when(reserve(OrderId::new(), 3)),
        Err(StockError::Insufficient {
            requested: 3,
            available: 2
        })
    );
    given.then(reserve(OrderId::new(), 2));
    assert_eq!(given.state().levels, levels(5, 5));
    assert_eq!(
        given.when(reserve(OrderId::new(), 1)),
        Err(StockError::Insufficient {
            requested: 1,
            available: 0
        })
    );
}

#[test]
fn reserving_unknown_stock_is_not_found() {
    let given = Given::nothing();
    assert_eq!(
        given.when(reserve(OrderId::new(), 1)),
        Err(StockError::NotFound)
    );
}

#[test]
fn an_order_reserves_once_per_sku() {
    let mut given = Given::received(5);
    let order = OrderId::new();
    given.then(reserve(order, 2));
    assert_eq!(given.when(reserve(order, 2)).unwrap(), vec![]);
    // A late repeat after the release does not hold stock again either.
    given.then(release(order));
    assert_eq!(given.when(reserve(order, 2)).unwrap(), vec![]);
    assert_eq!(given.state().holding(order), Some(Holding::Released));
}

#[test]
fn release_gives_the_reservation_back() {
    let mut given = Given::received(5);
    let order = OrderId::new();
    given.then(reserve(order, 2));
    let events = given.then(release(order));
    assert_eq!(
        events,
        vec![StockEvent::Released(StockReleased {
            sku: SKU.into(),
            order_id: order,
            quantity: 2,
            reason: "order_cancelled".into(),
            levels: levels(5, 0),
        })]
    );
    // Releasing again, or an order that holds nothing, changes nothing.
    assert_eq!(given.when(release(order)).unwrap(), vec![]);
    assert_eq!(given.when(release(OrderId::new())).unwrap(), vec![]);
}

#[test]
fn commit_sells_the_reservation_and_release_then_returns_it() {
    let mut given = Given::received(5);
    let order = OrderId::new();
    given.then(reserve(order, 2));
    let events = given.then(StockCommand::Commit { order_id: order });
    assert_eq!(
        events,
        vec![StockEvent::Committed(StockCommitted {
            sku: SKU.into(),
            order_id: order,
            quantity: 2,
            levels: levels(3, 0),
        })]
    );
    assert_eq!(
        given
            .when(StockCommand::Commit { order_id: order })
            .unwrap(),
        vec![],
        "committing twice is a no-op"
    );
    let events = given.then(release(order));
    assert_eq!(
        events,
        vec![StockEvent::Returned(StockReturned {
            sku: SKU.into(),
            order_id: order,
            quantity: 2,
            reason: "order_cancelled".into(),
            levels: levels(5, 0),
        })]
    );
    assert_eq!(given.when(release(order)).unwrap(), vec![]);
}

#[test]
fn committing_without_a_reservation_is_refused() {
    let given = Given::received(5);
    assert_eq!(
        given.when(StockCommand::Commit {
            order_id: OrderId::new()
        }),
        Err(StockError::NotReserved)
    );
}

#[test]
fn low_stock_is_detected_once_per_crossing() {
    let mut given = Given::received(10);
    given.then(given.threshold(5));
    // 10 -> 6: still at or above 5.
    assert_eq!(low_stock_events(&given.then(reserve(OrderId::new(), 4))), 0);
    // 6 -> 4: crosses.
    let events = given.then(reserve(OrderId::new(), 2));
    assert_eq!(
        events.last(),
        Some(&StockEvent::LowStockDetected(LowStockDetected {
            sku: SKU.into(),
            product_id: given.product,
            seller_id: given.seller,
            available: 4,
            threshold: 5,
        }))
    );
    // 4 -> 3 -> 1: still low, no new alert.
    assert_eq!(low_stock_events(&given.then(reserve(OrderId::new(), 1))), 0);
    assert_eq!(low_stock_events(&given.then(given.adjust(-2))), 0);
    // Restocked to 21, then down to 2 again: a new crossing, a new alert.
    assert_eq!(low_stock_events(&given.then(given.receive(20))), 0);
    assert!(!given.state().low_stock_alerted);
    assert_eq!(low_stock_events(&given.then(given.adjust(-19))), 1);
}

#[test]
fn raising_the_threshold_over_available_detects_low_stock() {
    let mut given = Given::received(3);
    let events = given.then(given.threshold(5));
    assert_eq!(
        events[0],
        StockEvent::ThresholdSet(LowStockThresholdSet {
            sku: SKU.into(),
            threshold: 5
        })
    );
    assert_eq!(low_stock_events(&events), 1);
    // Setting the same threshold again records nothing.
    assert_eq!(given.when(given.threshold(5)).unwrap(), vec![]);
    assert!(matches!(
        given.when(given.threshold(-1)),
        Err(StockError::Invalid(_))
    ));
}

#[test]
fn levels_are_the_sum_of_the_ledger() {
    let mut given = Given::received(10);
    let (a, b, c) = (OrderId::new(), OrderId::new(), OrderId::new());
    given.then(reserve(a, 3));
    given.then(reserve(b, 2));
    given.then(reserve(c, 1));
    given.then(StockCommand::Commit { order_id: a });
    given.then(release(b));
    given.then(given.adjust(-2));
    given.then(release(a));
    let (mut on_hand, mut reserved) = (0, 0);
    for e in &given.events {
        let (dh, dr, after) = match e {
            StockEvent::Received(e) => (e.quantity, 0, e.levels),
            StockEvent::Adjusted(e) => (e.delta, 0, e.levels),
            StockEvent::Reserved(e) => (0, e.quantity, e.levels),
            StockEvent::Released(e) => (0, -e.quantity, e.levels),
            StockEvent::Committed(e) => (-e.quantity, -e.quantity, e.levels),
            StockEvent::Returned(e) => (e.quantity, 0, e.levels),
            _ => continue,
        };
        on_hand += dh;
        reserved += dr;
        assert_eq!(after, levels(on_hand, reserved), "after {e:?}");
        assert!(after.available >= 0);
    }
    assert_eq!(given.state().levels, levels(on_hand, reserved));
    assert_eq!(given.state().levels, levels(8, 1));
}
