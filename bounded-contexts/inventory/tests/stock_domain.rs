//! Given events, when a command, then events or an error: the StockItem aggregate, pure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use event_schemas::inventory::{
    LowStockDetected, LowStockThresholdSet, StockAdjusted, StockCommitted, StockEvent,
    StockItemOpened, StockLevels, StockReceived, StockReleased, StockReserved, StockReturned,
};
use inventory::domain::{StockCommand, StockError, StockItem};
use shared_kernel::ids::{OrderId, ProductId, UserId};
use shared_kernel::testing::{Given, given};

const SKU: &str = "MUG-01";

/// The sku's product and seller, and the commands the seller sends.
struct Sku {
    product: ProductId,
    seller: UserId,
}

impl Sku {
    fn new() -> Self {
        Self {
            product: ProductId::new(),
            seller: UserId::new(),
        }
    }

    /// An opened item with `on_hand` received.
    fn received(&self, on_hand: i64) -> Given<StockItem> {
        let mut stock = given(&[]);
        stock.and(self.receive(on_hand));
        stock
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
    let sku = Sku::new();
    given::<StockItem>(&[]).when(sku.receive(10)).then([
        StockEvent::Opened(StockItemOpened {
            sku: SKU.into(),
            product_id: sku.product,
            seller_id: sku.seller,
            low_stock_threshold: 0,
        }),
        StockEvent::Received(StockReceived {
            sku: SKU.into(),
            quantity: 10,
            levels: levels(10, 0),
        }),
    ]);
}

#[test]
fn another_user_cannot_touch_the_sellers_stock() {
    let sku = Sku::new();
    let intruder = StockCommand::Receive {
        sku: SKU.into(),
        product_id: sku.product,
        actor: UserId::new(),
        quantity: 5,
    };
    sku.received(10)
        .when(intruder)
        .then_rejects(StockError::NotSeller);
}

#[test]
fn quantities_must_be_positive() {
    let sku = Sku::new();
    let stock = sku.received(10);
    for bad in [0, -3] {
        assert!(matches!(
            stock.when(sku.receive(bad)).error(),
            StockError::Invalid(_)
        ));
        assert!(matches!(
            stock.when(reserve(OrderId::new(), bad)).error(),
            StockError::Invalid(_)
        ));
    }
    assert!(matches!(
        stock.when(sku.adjust(0)).error(),
        StockError::Invalid(_)
    ));
}

#[test]
fn adjustments_never_take_available_below_zero() {
    let sku = Sku::new();
    let mut stock = sku.received(10);
    stock.and(reserve(OrderId::new(), 4));
    // 6 available: losing 6 is fine, losing 7 would eat into the reservation.
    stock
        .when(sku.adjust(-7))
        .then_rejects(StockError::Insufficient {
            requested: 7,
            available: 6,
        });
    assert_eq!(
        stock.and(sku.adjust(-6)),
        vec![StockEvent::Adjusted(StockAdjusted {
            sku: SKU.into(),
            delta: -6,
            reason: "cycle count".into(),
            levels: levels(4, 4),
        })]
    );
    assert_eq!(stock.state().levels.available, 0);
}

#[test]
fn a_reservation_never_takes_more_than_is_available() {
    let mut stock = Sku::new().received(5);
    let first = OrderId::new();
    assert_eq!(
        stock.and(reserve(first, 3)),
        vec![StockEvent::Reserved(StockReserved {
            sku: SKU.into(),
            order_id: first,
            quantity: 3,
            levels: levels(5, 3),
        })]
    );
    stock
        .when(reserve(OrderId::new(), 3))
        .then_rejects(StockError::Insufficient {
            requested: 3,
            available: 2,
        });
    stock.and(reserve(OrderId::new(), 2));
    assert_eq!(stock.state().levels, levels(5, 5));
    stock
        .when(reserve(OrderId::new(), 1))
        .then_rejects(StockError::Insufficient {
            requested: 1,
            available: 0,
        });
}

#[test]
fn reserving_unknown_stock_is_not_found() {
    given::<StockItem>(&[])
        .when(reserve(OrderId::new(), 1))
        .then_rejects(StockError::NotFound);
}

#[test]
fn an_order_reserves_once_per_sku() {
    let mut stock = Sku::new().received(5);
    let order = OrderId::new();
    stock.and(reserve(order, 2));
    stock.when(reserve(order, 2)).then_nothing();
    // A late repeat after the release does not hold stock again either.
    stock.and(release(order));
    stock.when(reserve(order, 2)).then_nothing();
    assert_eq!(stock.state().holding(order), None);
    assert!(stock.state().concluded(order));
}

#[test]
fn release_gives_the_reservation_back() {
    let mut stock = Sku::new().received(5);
    let order = OrderId::new();
    stock.and(reserve(order, 2));
    assert_eq!(
        stock.and(release(order)),
        vec![StockEvent::Released(StockReleased {
            sku: SKU.into(),
            order_id: order,
            quantity: 2,
            reason: "order_cancelled".into(),
            levels: levels(5, 0),
        })]
    );
    // Releasing again, or an order that holds nothing, changes nothing.
    stock.when(release(order)).then_nothing();
    stock.when(release(OrderId::new())).then_nothing();
}

#[test]
fn commit_sells_the_reservation_and_a_return_puts_it_back_on_hand() {
    let mut stock = Sku::new().received(5);
    let order = OrderId::new();
    stock.and(reserve(order, 2));
    assert_eq!(
        stock.and(StockCommand::Commit { order_id: order }),
        vec![StockEvent::Committed(StockCommitted {
            sku: SKU.into(),
            order_id: order,
            quantity: 2,
            levels: levels(3, 0),
        })]
    );
    // Committing twice is a no-op, and so is a release: nothing is reserved any more.
    stock
        .when(StockCommand::Commit { order_id: order })
        .then_nothing();
    stock.when(release(order)).then_nothing();
    assert_eq!(
        stock.and(StockCommand::Return {
            order_id: order,
            quantity: 2,
            reason: "order_cancelled".into(),
        }),
        vec![StockEvent::Returned(StockReturned {
            sku: SKU.into(),
            order_id: order,
            quantity: 2,
            reason: "order_cancelled".into(),
            levels: levels(5, 0),
        })]
    );
}

#[test]
fn a_stock_item_remembers_only_the_orders_in_flight_and_a_bounded_few() {
    let mut stock = Sku::new().received(1_000_000);
    for _ in 0..1_000 {
        let order = OrderId::new();
        stock.and(reserve(order, 1));
        stock.and(StockCommand::Commit { order_id: order });
    }
    let open = OrderId::new();
    stock.and(reserve(open, 3));
    let state = stock.state();
    assert_eq!(state.orders.len(), 1, "only the open reservation is held");
    assert_eq!(state.concluded.len(), inventory::domain::CONCLUDED_KEPT);
    assert_eq!(state.levels, levels(999_000, 3));
}

#[test]
fn committing_without_a_reservation_is_refused() {
    Sku::new()
        .received(5)
        .when(StockCommand::Commit {
            order_id: OrderId::new(),
        })
        .then_rejects(StockError::NotReserved);
}

#[test]
fn low_stock_is_detected_once_per_crossing() {
    let sku = Sku::new();
    let mut stock = sku.received(10);
    stock.and(sku.threshold(5));
    // 10 -> 6: still at or above 5.
    assert_eq!(low_stock_events(&stock.and(reserve(OrderId::new(), 4))), 0);
    // 6 -> 4: crosses.
    let events = stock.and(reserve(OrderId::new(), 2));
    assert_eq!(
        events.last(),
        Some(&StockEvent::LowStockDetected(LowStockDetected {
            sku: SKU.into(),
            product_id: sku.product,
            seller_id: sku.seller,
            available: 4,
            threshold: 5,
        }))
    );
    // 4 -> 3 -> 1: still low, no new alert.
    assert_eq!(low_stock_events(&stock.and(reserve(OrderId::new(), 1))), 0);
    assert_eq!(low_stock_events(&stock.and(sku.adjust(-2))), 0);
    // Restocked to 21, then down to 2 again: a new crossing, a new alert.
    assert_eq!(low_stock_events(&stock.and(sku.receive(20))), 0);
    assert!(!stock.state().low_stock_alerted);
    assert_eq!(low_stock_events(&stock.and(sku.adjust(-19))), 1);
}

#[test]
fn raising_the_threshold_over_available_detects_low_stock() {
    let sku = Sku::new();
    let mut stock = sku.received(3);
    let events = stock.and(sku.threshold(5));
    assert_eq!(
        events[0],
        StockEvent::ThresholdSet(LowStockThresholdSet {
            sku: SKU.into(),
            threshold: 5
        })
    );
    assert_eq!(low_stock_events(&events), 1);
    // Setting the same threshold again records nothing.
    stock.when(sku.threshold(5)).then_nothing();
    assert!(matches!(
        stock.when(sku.threshold(-1)).error(),
        StockError::Invalid(_)
    ));
}

#[test]
fn levels_are_the_sum_of_the_ledger() {
    let sku = Sku::new();
    let mut stock = sku.received(10);
    let (a, b, c) = (OrderId::new(), OrderId::new(), OrderId::new());
    stock.and(reserve(a, 3));
    stock.and(reserve(b, 2));
    stock.and(reserve(c, 1));
    stock.and(StockCommand::Commit { order_id: a });
    stock.and(release(b));
    stock.and(sku.adjust(-2));
    // What `a` bought comes back (the order's reservation decides how much).
    stock.and(StockCommand::Return {
        order_id: a,
        quantity: 3,
        reason: "order_cancelled".into(),
    });
    let (mut on_hand, mut reserved) = (0, 0);
    for e in stock.history() {
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
    assert_eq!(stock.state().levels, levels(on_hand, reserved));
    assert_eq!(stock.state().levels, levels(8, 1));
}
