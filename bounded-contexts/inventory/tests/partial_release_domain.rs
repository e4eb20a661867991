//! Part of an order's stock given back (lines cancelled before shipping, lines returned),
//! pure: the reservation gives back at most what it holds and keeps the rest; the stock item
//! the same, reserved or sold.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use event_schemas::inventory::{
    ReservationCommitted, ReservationConfirmed, ReservationEvent, ReservationLinesReleased,
    SkuQuantity, StockEvent, StockLevels, StockReleased, StockReturned,
};
use inventory::domain::{
    Holding, Reservation, ReservationCommand, ReservationStatus, StockCommand, StockItem,
};
use shared_kernel::ids::{OrderId, ProductId, UserId};
use shared_kernel::testing::{Given, given, now};

fn sq(sku: &str, quantity: i64) -> SkuQuantity {
    SkuQuantity {
        sku: sku.into(),
        quantity,
    }
}

fn release_lines(order_id: OrderId, lines: Vec<SkuQuantity>) -> ReservationCommand {
    ReservationCommand::ReleaseLines {
        order_id,
        lines,
        reason: "buyer_cancelled".into(),
    }
}

fn confirmed(order_id: OrderId) -> ReservationEvent {
    ReservationEvent::Confirmed(ReservationConfirmed {
        order_id,
        lines: vec![sq("A", 1), sq("B", 3)],
        expires_at: now(),
    })
}

#[test]
fn part_of_a_reservation_is_given_back_and_the_rest_stays_held() {
    let order = OrderId::new();
    let mut reservation = given::<Reservation>(&[confirmed(order)]);
    // More than held of B is capped; an unknown sku is left out.
    assert_eq!(
        reservation.and(release_lines(order, vec![sq("B", 5), sq("Z", 1)])),
        vec![ReservationEvent::LinesReleased(ReservationLinesReleased {
            order_id: order,
            lines: vec![sq("B", 3)],
            reason: "buyer_cancelled".into(),
            returned: false,
        })]
    );
    let state = reservation.state();
    assert_eq!(state.status, ReservationStatus::Confirmed);
    assert_eq!(state.lines, vec![sq("A", 1)]);
    // Nothing more of B to give back.
    reservation
        .when(release_lines(order, vec![sq("B", 1)]))
        .then_nothing();
    // Giving back the last line releases the reservation.
    let last = reservation
        .when(release_lines(order, vec![sq("A", 1)]))
        .state();
    assert_eq!(last.status, ReservationStatus::Released);
    assert!(last.lines.is_empty());
}

#[test]
fn lines_given_back_after_the_sale_are_returned() {
    let order = OrderId::new();
    given::<Reservation>(&[
        confirmed(order),
        ReservationEvent::Committed(ReservationCommitted { order_id: order }),
    ])
    .when(release_lines(order, vec![sq("A", 1)]))
    .then([ReservationEvent::LinesReleased(ReservationLinesReleased {
        order_id: order,
        lines: vec![sq("A", 1)],
        reason: "buyer_cancelled".into(),
        returned: true,
    })]);
    // Nothing held: nothing to give back.
    given::<Reservation>(&[])
        .when(release_lines(order, vec![sq("A", 1)]))
        .then_nothing();
}

const SKU: &str = "MUG-01";

fn stocked(on_hand: i64) -> Given<StockItem> {
    let mut stock = given(&[]);
    stock.and(StockCommand::Receive {
        sku: SKU.into(),
        product_id: ProductId::new(),
        actor: UserId::new(),
        quantity: on_hand,
    });
    stock
}

const fn levels(on_hand: i64, reserved: i64) -> StockLevels {
    StockLevels {
        on_hand,
        reserved,
        available: on_hand - reserved,
    }
}

fn part(order_id: OrderId, quantity: i64) -> StockCommand {
    StockCommand::ReleasePart {
        order_id,
        quantity,
        reason: "buyer_cancelled".into(),
    }
}

#[test]
fn a_stock_item_gives_back_part_of_a_reservation_and_takes_back_what_was_sold() {
    let order = OrderId::new();
    let mut stock = stocked(10);
    stock.and(StockCommand::Reserve {
        order_id: order,
        quantity: 4,
    });
    assert_eq!(
        stock.and(part(order, 1)),
        vec![StockEvent::Released(StockReleased {
            sku: SKU.into(),
            order_id: order,
            quantity: 1,
            reason: "buyer_cancelled".into(),
            levels: levels(10, 3),
        })]
    );
    assert_eq!(stock.state().holding(order), Some(Holding::Reserved(3)));
    // The rest is sold: the holding closes here, the order's reservation keeps the rest.
    stock.and(StockCommand::Commit { order_id: order });
    assert_eq!(stock.state().levels, levels(7, 0));
    assert_eq!(stock.state().holding(order), None);
    assert!(stock.state().concluded(order));
    // Part of what was sold comes back on hand, as much as the reservation decided.
    assert_eq!(
        stock.and(StockCommand::Return {
            order_id: order,
            quantity: 2,
            reason: "buyer_cancelled".into(),
        }),
        vec![StockEvent::Returned(StockReturned {
            sku: SKU.into(),
            order_id: order,
            quantity: 2,
            reason: "buyer_cancelled".into(),
            levels: levels(9, 0),
        })]
    );
    // Nothing reserved is left to give back.
    stock.when(part(order, 1)).then_nothing();
}
