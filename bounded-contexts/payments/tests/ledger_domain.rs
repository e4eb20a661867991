//! Given events, when a command, then events or an error: the SellerLedger aggregate, pure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use event_schemas::payments::{
    PayoutFailed, PayoutId, PayoutPaid, PayoutRequested, SellerBalance, SellerCredited,
    SellerLedgerEvent,
};
use payments::domain::{CommissionRate, LedgerCommand, LedgerError, PayoutStatus, SellerLedger};
use shared_kernel::ids::{OrderId, UserId};
use shared_kernel::payments::PayoutOutcome;
use shared_kernel::testing::given;
use shared_kernel::{Currency, Money};

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

fn balance(available: i64, pending: i64, paid: i64, commission: i64) -> SellerBalance {
    SellerBalance {
        available: eur(available),
        pending_payouts: eur(pending),
        paid_out: eur(paid),
        commission_total: eur(commission),
    }
}

fn credit(seller: UserId, order: OrderId, gross: i64) -> LedgerCommand {
    LedgerCommand::Credit {
        seller_id: seller,
        order_id: order,
        entry: format!("delivered:{order}"),
        gross: eur(gross),
        rate: CommissionRate::DEFAULT,
    }
}

fn debit(seller: UserId, order: OrderId, n: u32, gross: i64) -> LedgerCommand {
    LedgerCommand::Debit {
        seller_id: seller,
        order_id: order,
        entry: format!("returned:{order}:{n}"),
        gross: eur(gross),
    }
}

fn request(seller: UserId, payout: PayoutId, amount: i64) -> LedgerCommand {
    LedgerCommand::RequestPayout {
        seller_id: seller,
        payout_id: payout,
        amount: eur(amount),
    }
}

fn credited(seller: UserId, order: OrderId, gross: i64, commission: i64) -> SellerLedgerEvent {
    SellerLedgerEvent::Credited(SellerCredited {
        seller_id: seller,
        order_id: order,
        entry: format!("delivered:{order}"),
        gross: eur(gross),
        commission: eur(commission),
        net: eur(gross - commission),
        commission_bps: 1000,
        balance: balance(gross - commission, 0, 0, commission),
    })
}

#[test]
fn a_credit_keeps_the_commission_rounded_down_and_is_idempotent_by_entry() {
    let (seller, order) = (UserId::new(), OrderId::new());
    let history = [credited(seller, order, 12_345, 1_234)];
    given::<SellerLedger>(&[])
        .when(credit(seller, order, 12_345))
        .then(history.clone());
    // The same entry again (the saga redelivering, or a second dispatch): nothing.
    let state = given::<SellerLedger>(&history)
        .when(credit(seller, order, 12_345))
        .then_nothing();
    assert_eq!(state.balance(Currency::EUR), balance(11_111, 0, 0, 1_234));
    let zero = LedgerCommand::Credit {
        seller_id: seller,
        order_id: order,
        entry: "delivered:other".into(),
        gross: eur(0),
        rate: CommissionRate::DEFAULT,
    };
    assert!(matches!(
        given::<SellerLedger>(&[]).when(zero).error(),
        LedgerError::Invalid(_)
    ));
}

#[test]
fn a_debit_gives_back_the_commission_of_the_returned_gross() {
    let (seller, order) = (UserId::new(), OrderId::new());
    let mut ledger = given::<SellerLedger>(&[credited(seller, order, 10_000, 1_000)]);
    let events = ledger.and(debit(seller, order, 1, 2_505));
    let SellerLedgerEvent::Debited(d) = &events[0] else {
        panic!("not a debit: {events:?}");
    };
    // floor(10000 × 10 %) - floor(7495 × 10 %) = 1000 - 749
    assert_eq!(
        (d.gross, d.commission, d.net),
        (eur(2_505), eur(251), eur(2_254))
    );
    assert_eq!(d.balance, balance(6_746, 0, 0, 749));
    // A repeat of the entry changes nothing; the rest of the order returned leaves no
    // commission at all.
    ledger.when(debit(seller, order, 1, 2_505)).then_nothing();
    ledger.and(debit(seller, order, 2, 7_495));
    assert_eq!(ledger.state().balance(Currency::EUR), balance(0, 0, 0, 0));
    let err = ledger.when(debit(seller, order, 3, 1)).error().clone();
    assert_eq!(
        err,
        LedgerError::DebitExceedsCredit {
            order_id: order,
            requested: eur(1),
            credited: eur(0)
        }
    );
}

#[test]
fn a_payout_is_held_then_paid_or_given_back() {
    let (seller, order) = (UserId::new(), OrderId::new());
    let payout = PayoutId::new();
    let mut ledger = given::<SellerLedger>(&[credited(seller, order, 10_000, 1_000)]);
    ledger
        .when(request(seller, payout, 3_000))
        .then([SellerLedgerEvent::PayoutRequested(PayoutRequested {
            seller_id: seller,
            payout_id: payout,
            amount: eur(3_000),
            balance: balance(6_000, 3_000, 0, 1_000),
        })]);
    ledger.and(request(seller, payout, 3_000));
    ledger.when(request(seller, payout, 3_000)).then_nothing();
    let paid = LedgerCommand::SettlePayout {
        payout_id: payout,
        outcome: PayoutOutcome::Paid {
            reference: "sim_payout_1".into(),
        },
    };
    ledger
        .when(paid.clone())
        .then([SellerLedgerEvent::PayoutPaid(PayoutPaid {
            seller_id: seller,
            payout_id: payout,
            amount: eur(3_000),
            reference: "sim_payout_1".into(),
            balance: balance(6_000, 0, 3_000, 1_000),
        })]);
    ledger.and(paid.clone());
    // Answered once: a later answer (a redelivery) is ignored.
    ledger.when(paid).then_nothing();
    assert_eq!(
        ledger.state().payout(payout).map(|p| p.status),
        Some(PayoutStatus::Paid)
    );

    let failing = PayoutId::new();
    ledger.and(request(seller, failing, 6_000));
    ledger
        .when(LedgerCommand::SettlePayout {
            payout_id: failing,
            outcome: PayoutOutcome::Failed {
                reason: "payout_refused".into(),
            },
        })
        .then([SellerLedgerEvent::PayoutFailed(PayoutFailed {
            seller_id: seller,
            payout_id: failing,
            amount: eur(6_000),
            reason: "payout_refused".into(),
            balance: balance(6_000, 0, 3_000, 1_000),
        })]);
}

#[test]
fn a_payout_never_exceeds_the_available_balance() {
    let (seller, order) = (UserId::new(), OrderId::new());
    let mut ledger = given::<SellerLedger>(&[credited(seller, order, 10_000, 1_000)]);
    ledger.and(request(seller, PayoutId::new(), 5_000));
    assert_eq!(
        ledger.when(request(seller, PayoutId::new(), 4_001)).error(),
        &LedgerError::InsufficientBalance {
            requested: eur(4_001),
            available: eur(4_000)
        }
    );
    // Another currency has its own (empty) balance.
    let usd = LedgerCommand::RequestPayout {
        seller_id: seller,
        payout_id: PayoutId::new(),
        amount: Money::new(1, Currency::USD),
    };
    assert!(matches!(
        ledger.when(usd).error(),
        LedgerError::InsufficientBalance { .. }
    ));
    ledger.and(request(seller, PayoutId::new(), 4_000));
    assert_eq!(
        ledger.state().balance(Currency::EUR),
        balance(0, 9_000, 0, 1_000)
    );
    assert!(matches!(
        ledger
            .when(LedgerCommand::SettlePayout {
                payout_id: PayoutId::new(),
                outcome: PayoutOutcome::Failed { reason: "x".into() },
            })
            .error(),
        LedgerError::UnknownPayout(_)
    ));
}

#[test]
fn an_order_keeps_the_rate_of_its_first_credit() {
    let (seller, order) = (UserId::new(), OrderId::new());
    let mut ledger = given::<SellerLedger>(&[credited(seller, order, 10_000, 1_000)]);
    let events = ledger.and(LedgerCommand::Credit {
        seller_id: seller,
        order_id: order,
        entry: format!("delivered:{order}:late"),
        gross: eur(5_000),
        rate: CommissionRate::new(0).unwrap(),
    });
    let SellerLedgerEvent::Credited(c) = &events[0] else {
        panic!("not a credit");
    };
    assert_eq!((c.commission, c.commission_bps), (eur(500), 1000));
}

#[test]
fn an_overdrawing_payout_names_its_amounts_as_money_and_in_minor_units() {
    use shared_kernel::Rejection as _;
    let error = LedgerError::InsufficientBalance {
        requested: eur(20_000),
        available: eur(3_220),
    };
    assert_eq!(
        error.to_string(),
        "a payout of 200.00 EUR exceeds the available balance of 32.20 EUR"
    );
    assert_eq!(
        error.details(),
        Some(serde_json::json!({
            "requested": { "amount_minor": 20_000, "currency": "EUR" },
            "available": { "amount_minor": 3_220, "currency": "EUR" },
        }))
    );
}
