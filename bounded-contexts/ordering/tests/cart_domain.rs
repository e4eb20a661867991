//! Given events, when a command, then events or an error: the Cart aggregate, pure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use event_schemas::cart::{
    CartAbandoned, CartCheckedOut, CartEvent, CartLine, CartLineAdded, CartLineChanged,
    CartLineRemoved, CartRepriced, RepricedLine,
};
use ordering::domain::{Cart, CartCommand, CartError};
use shared_kernel::ids::{OrderId, ProductId, UserId};
use shared_kernel::testing::given;
use shared_kernel::{Currency, Money};

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

struct Shop {
    buyer: UserId,
    seller: UserId,
    other_seller: UserId,
    chess: ProductId,
    go: ProductId,
}

impl Shop {
    fn new() -> Self {
        Self {
            buyer: UserId::new(),
            seller: UserId::new(),
            other_seller: UserId::new(),
            chess: ProductId::new(),
            go: ProductId::new(),
        }
    }

    fn chess(&self, quantity: i64, price: i64) -> CartLine {
        CartLine {
            product_id: self.chess,
            sku: "CHESS-1".into(),
            seller_id: self.seller,
            title: "Chess set".into(),
            quantity,
            unit_price: eur(price),
        }
    }

    fn go(&self, quantity: i64, price: i64) -> CartLine {
        CartLine {
            product_id: self.go,
            sku: "GO-1".into(),
            seller_id: self.other_seller,
            title: "Go board".into(),
            quantity,
            unit_price: eur(price),
        }
    }

    fn add(&self, line: CartLine) -> CartCommand {
        CartCommand::AddLine {
            buyer_id: self.buyer,
            line,
        }
    }

    fn added(&self, line: CartLine, added: i64) -> CartEvent {
        CartEvent::LineAdded(CartLineAdded {
            buyer_id: self.buyer,
            line,
            added,
        })
    }

    /// Two lines from two sellers: 2 chess sets at 1000, 1 go board at 500.
    fn filled(&self) -> Vec<CartEvent> {
        vec![
            self.added(self.chess(2, 1000), 2),
            self.added(self.go(1, 500), 1),
        ]
    }
}

#[test]
fn adding_the_same_sku_again_adds_up_at_the_price_shown_now() {
    let s = Shop::new();
    given::<Cart>(&[])
        .when(s.add(s.chess(2, 1000)))
        .then([s.added(s.chess(2, 1000), 2)]);
    let cart = given::<Cart>(&[s.added(s.chess(2, 1000), 2)])
        .when(s.add(s.chess(3, 1100)))
        .then([s.added(s.chess(5, 1100), 3)]);
    assert_eq!(cart.lines, [s.chess(5, 1100)]);
    assert_eq!(cart.total().unwrap(), Some(eur(5500)));
}

#[test]
fn lines_keep_the_order_limits() {
    let s = Shop::new();
    let cart = given::<Cart>(&[s.added(s.chess(9_999, 1000), 9_999)]);
    let refused = cart
        .when(s.add(s.chess(2, 1000)))
        .into_result()
        .unwrap_err();
    assert!(matches!(refused, CartError::Invalid(m) if m.contains("quantity")));
    given::<Cart>(&[])
        .when(s.add(s.chess(0, 1000)))
        .then_rejects(CartError::Invalid(
            "quantity must be 1 or more, got 0".into(),
        ));
    let own = CartLine {
        seller_id: s.buyer,
        ..s.chess(1, 1000)
    };
    given::<Cart>(&[])
        .when(s.add(own))
        .then_rejects(CartError::OwnProduct);
    let dollars = CartLine {
        unit_price: Money::new(500, Currency::USD),
        ..s.go(1, 500)
    };
    given::<Cart>(&s.filled()[..1])
        .when(s.add(dollars))
        .then_rejects(CartError::MixedCurrencies);

    // At most 100 lines, as an order.
    let many: Vec<CartEvent> = (0..100)
        .map(|i| {
            let line = CartLine {
                sku: format!("SKU-{i}"),
                product_id: ProductId::new(),
                ..s.chess(1, 100)
            };
            s.added(line, 1)
        })
        .collect();
    let refused = given::<Cart>(&many)
        .when(s.add(s.go(1, 500)))
        .into_result()
        .unwrap_err();
    assert_eq!(refused, CartError::Invalid("at most 100 lines".into()));
}

#[test]
fn a_line_changes_quantity_or_goes_and_unknown_skus_are_not_found() {
    let s = Shop::new();
    let cart = given::<Cart>(&s.filled());
    let changed = cart
        .when(CartCommand::ChangeLine {
            buyer_id: s.buyer,
            line: s.go(4, 550),
        })
        .then([CartEvent::LineChanged(CartLineChanged {
            buyer_id: s.buyer,
            line: s.go(4, 550),
        })]);
    assert_eq!(changed.line("GO-1").unwrap().quantity, 4);
    // The same quantity at the same price changes nothing.
    cart.when(CartCommand::ChangeLine {
        buyer_id: s.buyer,
        line: s.go(1, 500),
    })
    .then_nothing();
    let after = cart
        .when(CartCommand::RemoveLine {
            buyer_id: s.buyer,
            sku: "CHESS-1".into(),
        })
        .then([CartEvent::LineRemoved(CartLineRemoved {
            buyer_id: s.buyer,
            sku: "CHESS-1".into(),
        })]);
    assert_eq!(after.lines, [s.go(1, 500)]);
    cart.when(CartCommand::RemoveLine {
        buyer_id: s.buyer,
        sku: "NOPE".into(),
    })
    .then_rejects(CartError::LineNotFound);
    cart.when(CartCommand::ChangeLine {
        buyer_id: s.buyer,
        line: CartLine {
            sku: "NOPE".into(),
            ..s.go(1, 500)
        },
    })
    .then_rejects(CartError::LineNotFound);
}

#[test]
fn a_checkout_at_the_prices_shown_empties_the_cart_and_names_the_order() {
    let s = Shop::new();
    let order_id = OrderId::new();
    let cart = given::<Cart>(&s.filled())
        .when(CartCommand::CheckOut {
            buyer_id: s.buyer,
            order_id,
            lines: vec![s.go(1, 500), s.chess(2, 1000)],
        })
        .then([CartEvent::CheckedOut(CartCheckedOut {
            buyer_id: s.buyer,
            order_id,
            lines: vec![s.chess(2, 1000), s.go(1, 500)],
            total: eur(2500),
        })]);
    assert!(cart.lines.is_empty());
    assert_eq!(cart.last_checkout.unwrap().order_id, order_id);
}

#[test]
fn a_checkout_at_other_prices_is_refused_until_the_cart_is_repriced() {
    let s = Shop::new();
    let mut cart = given::<Cart>(&s.filled());
    let now = vec![s.chess(2, 1200), s.go(1, 500)];
    let order_id = OrderId::new();
    let check_out = |lines: Vec<CartLine>| CartCommand::CheckOut {
        buyer_id: s.buyer,
        order_id,
        lines,
    };
    let moved = RepricedLine {
        sku: "CHESS-1".into(),
        was: eur(1000),
        now: eur(1200),
    };
    cart.when(check_out(now.clone()))
        .then_rejects(CartError::PricesChanged(vec![moved.clone()]));
    // Issue 20: the refusal reads as money; the amounts ride along in minor units.
    let refusal = CartError::PricesChanged(vec![moved.clone()]);
    assert_eq!(
        refusal.to_string(),
        "prices changed since they were shown: CHESS-1 was 10.00 EUR, now 12.00 EUR"
    );
    assert_eq!(
        shared_kernel::Rejection::details(&refusal).unwrap()["changed_lines"][0]["now"],
        serde_json::json!({ "amount_minor": 1200, "currency": "EUR" })
    );
    let repriced = cart.and(CartCommand::Reprice {
        buyer_id: s.buyer,
        lines: now.clone(),
    });
    assert_eq!(
        repriced,
        [CartEvent::Repriced(CartRepriced {
            buyer_id: s.buyer,
            lines: vec![moved],
        })]
    );
    // Repricing at the recorded prices records nothing.
    cart.when(CartCommand::Reprice {
        buyer_id: s.buyer,
        lines: now.clone(),
    })
    .then_nothing();
    let events = cart.when(check_out(now)).into_result().unwrap();
    let [CartEvent::CheckedOut(done)] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert_eq!(
        done.total,
        eur(2900),
        "the price shown is the price charged"
    );
}

#[test]
fn a_checkout_of_other_lines_or_of_nothing_is_refused() {
    let s = Shop::new();
    let order_id = OrderId::new();
    let check_out = |lines: Vec<CartLine>| CartCommand::CheckOut {
        buyer_id: s.buyer,
        order_id,
        lines,
    };
    given::<Cart>(&[])
        .when(check_out(vec![]))
        .then_rejects(CartError::Empty);
    let cart = given::<Cart>(&s.filled());
    cart.when(check_out(vec![s.chess(2, 1000)]))
        .then_rejects(CartError::Changed);
    cart.when(check_out(vec![s.chess(3, 1000), s.go(1, 500)]))
        .then_rejects(CartError::Changed);
}

#[test]
fn an_idle_cart_is_abandoned_with_its_count_and_value_unless_touched_since() {
    let s = Shop::new();
    let cart = given::<Cart>(&s.filled());
    let abandoned = cart
        .when(CartCommand::Abandon { version: 2 })
        .then([CartEvent::Abandoned(CartAbandoned {
            buyer_id: s.buyer,
            line_count: 2,
            value: eur(2500),
        })]);
    assert!(abandoned.lines.is_empty());
    // A timer of an older version: the cart was touched since.
    cart.when(CartCommand::Abandon { version: 1 })
        .then_nothing();
    // An empty cart has nothing to abandon.
    let mut emptied = given::<Cart>(&s.filled()[..1]);
    emptied.and(CartCommand::RemoveLine {
        buyer_id: s.buyer,
        sku: "CHESS-1".into(),
    });
    emptied
        .when(CartCommand::Abandon { version: 2 })
        .then_nothing();
    // After an abandonment, the next line starts a fresh cart.
    let mut again = given::<Cart>(&s.filled());
    again.and(CartCommand::Abandon { version: 2 });
    let fresh = again.when(s.add(s.go(1, 500))).then_accepts();
    assert_eq!(fresh.lines, [s.go(1, 500)]);
}
