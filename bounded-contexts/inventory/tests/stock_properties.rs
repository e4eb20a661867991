//! Stock levels over any sequence of commands: whatever a seller and a crowd of orders ask, in
//! whatever order, `on_hand = available + reserved`, nothing goes negative, the levels are the
//! sum of the ledger, and what is reserved is what the orders hold.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use event_schemas::inventory::{StockEvent, StockLevels};
use inventory::domain::{Holding, MAX_QUANTITY, StockCommand, StockItem};
use proptest::prelude::*;
use shared_kernel::ids::{OrderId, ProductId, UserId};
use shared_kernel::testing::{Given, given};

const SKU: &str = "MUG-01";

/// One step, with the seller, the intruder and the orders named by index so that commands
/// can repeat on the same order (repeats, late releases, commits of released orders).
#[derive(Debug, Clone)]
enum Step {
    Receive { intruder: bool, quantity: i64 },
    Adjust { delta: i64 },
    SetThreshold { threshold: i64 },
    Reserve { order: usize, quantity: i64 },
    Release { order: usize },
    Commit { order: usize },
}

const ORDERS: usize = 6;

/// Mostly small quantities, so that stock runs out and comes back; sometimes invalid ones
/// (zero, negative, past the maximum), which must be refused without a trace.
fn quantity() -> impl Strategy<Value = i64> {
    prop_oneof![
        8 => 1_i64..20,
        1 => -5_i64..=0,
        1 => Just(MAX_QUANTITY + 1),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (prop::bool::weighted(0.1), quantity())
            .prop_map(|(intruder, quantity)| Step::Receive { intruder, quantity }),
        (-25_i64..25).prop_map(|delta| Step::Adjust { delta }),
        (-1_i64..15).prop_map(|threshold| Step::SetThreshold { threshold }),
        (0..ORDERS, quantity()).prop_map(|(order, quantity)| Step::Reserve { order, quantity }),
        (0..ORDERS).prop_map(|order| Step::Release { order }),
        (0..ORDERS).prop_map(|order| Step::Commit { order }),
    ]
}

struct Cast {
    product: ProductId,
    seller: UserId,
    orders: Vec<OrderId>,
}

impl Cast {
    fn new() -> Self {
        Self {
            product: ProductId::new(),
            seller: UserId::new(),
            orders: (0..ORDERS).map(|_| OrderId::new()).collect(),
        }
    }

    fn command(&self, step: &Step) -> StockCommand {
        match *step {
            Step::Receive { intruder, quantity } => StockCommand::Receive {
                sku: SKU.into(),
                product_id: self.product,
                actor: if intruder { UserId::new() } else { self.seller },
                quantity,
            },
            Step::Adjust { delta } => StockCommand::Adjust {
                sku: SKU.into(),
                product_id: self.product,
                actor: self.seller,
                delta,
                reason: "cycle count".into(),
            },
            Step::SetThreshold { threshold } => StockCommand::SetThreshold {
                sku: SKU.into(),
                product_id: self.product,
                actor: self.seller,
                threshold,
            },
            Step::Reserve { order, quantity } => StockCommand::Reserve {
                order_id: self.orders[order],
                quantity,
            },
            Step::Release { order } => StockCommand::Release {
                order_id: self.orders[order],
                reason: "order_cancelled".into(),
            },
            Step::Commit { order } => StockCommand::Commit {
                order_id: self.orders[order],
            },
        }
    }
}

/// The levels an event records, with what it moved: (on hand, reserved).
fn movement(event: &StockEvent) -> Option<(i64, i64, StockLevels)> {
    Some(match event {
        StockEvent::Received(e) => (e.quantity, 0, e.levels),
        StockEvent::Adjusted(e) => (e.delta, 0, e.levels),
        StockEvent::Reserved(e) => (0, e.quantity, e.levels),
        StockEvent::Released(e) => (0, -e.quantity, e.levels),
        StockEvent::Committed(e) => (-e.quantity, -e.quantity, e.levels),
        StockEvent::Returned(e) => (e.quantity, 0, e.levels),
        StockEvent::Opened(_) | StockEvent::ThresholdSet(_) | StockEvent::LowStockDetected(_) => {
            return None;
        }
    })
}

fn assert_consistent(levels: StockLevels) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        levels.on_hand,
        levels.available + levels.reserved,
        "{:?}",
        levels
    );
    prop_assert!(levels.available >= 0, "{:?}", levels);
    prop_assert!(levels.reserved >= 0, "{:?}", levels);
    prop_assert!(levels.on_hand >= 0, "{:?}", levels);
    prop_assert!(levels.on_hand <= MAX_QUANTITY, "{:?}", levels);
    Ok(())
}

/// What the orders hold in reserve, by the item's own book of holdings.
fn held_in_reserve(item: &StockItem) -> i64 {
    item.orders
        .values()
        .map(|holding| match holding {
            Holding::Reserved(quantity) => *quantity,
        })
        .sum()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn levels_stay_consistent_over_any_sequence_of_commands(
        steps in prop::collection::vec(step(), 1..60)
    ) {
        let cast = Cast::new();
        let mut stock: Given<StockItem> = given(&[]);
        for step in &steps {
            let before = stock.history().len();
            let accepted = stock.attempt(cast.command(step));
            if accepted.is_err() {
                prop_assert_eq!(stock.history().len(), before, "a refusal records nothing");
            }
            let item = stock.state();
            assert_consistent(item.levels)?;
            prop_assert_eq!(item.levels.reserved, held_in_reserve(&item), "after {:?}", step);
        }
        // Every movement's levels are the running sum of the movements before it.
        let (mut on_hand, mut reserved) = (0, 0);
        for event in stock.history() {
            if let Some((moved_on_hand, moved_reserved, after)) = movement(event) {
                on_hand += moved_on_hand;
                reserved += moved_reserved;
                prop_assert_eq!((after.on_hand, after.reserved), (on_hand, reserved), "{:?}", event);
                assert_consistent(after)?;
            }
        }
        let item = stock.state();
        prop_assert_eq!((item.levels.on_hand, item.levels.reserved), (on_hand, reserved));
    }
}
