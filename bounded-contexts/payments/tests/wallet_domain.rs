//! Given events, when a command, then events or an error: the Wallet aggregate, pure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use event_schemas::payments::{WalletCredited, WalletDebited, WalletEvent};
use payments::domain::{Wallet, WalletCommand, WalletError};
use shared_kernel::ids::{PaymentId, UserId};
use shared_kernel::testing::given;
use shared_kernel::{Currency, Money};

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

fn granted(user: UserId, amount: i64, balance: i64) -> WalletEvent {
    WalletEvent::Credited(WalletCredited {
        user_id: user,
        amount: eur(amount),
        reason: "welcome".into(),
        payment_id: None,
        balance: eur(balance),
    })
}

fn debited(user: UserId, payment: PaymentId, amount: i64, balance: i64) -> WalletEvent {
    WalletEvent::Debited(WalletDebited {
        user_id: user,
        amount: eur(amount),
        payment_id: payment,
        balance: eur(balance),
    })
}

fn debit(user: UserId, payment: PaymentId, amount: i64) -> WalletCommand {
    WalletCommand::Debit {
        user_id: user,
        payment_id: payment,
        amount: eur(amount),
    }
}

fn give_back(user: UserId, payment: PaymentId, amount: Option<i64>) -> WalletCommand {
    WalletCommand::Return {
        user_id: user,
        payment_id: payment,
        amount: amount.map(eur),
        reason: "refund".into(),
    }
}

#[test]
fn a_grant_credits_the_balance() {
    let user = UserId::new();
    let grant = WalletCommand::Grant {
        user_id: user,
        amount: eur(1000),
        reason: " welcome ".into(),
    };
    let nothing = given::<Wallet>(&[]);
    nothing
        .when(grant.clone())
        .then([granted(user, 1000, 1000)]);
    given::<Wallet>(&[granted(user, 1000, 1000)])
        .when(grant)
        .then([granted(user, 1000, 2000)]);
    let empty_reason = WalletCommand::Grant {
        user_id: user,
        amount: eur(1),
        reason: "  ".into(),
    };
    assert!(matches!(
        nothing.when(empty_reason).error(),
        WalletError::Invalid(_)
    ));
    let negative = WalletCommand::Grant {
        user_id: user,
        amount: eur(-5),
        reason: "x".into(),
    };
    assert!(matches!(
        nothing.when(negative).error(),
        WalletError::Invalid(_)
    ));
}

#[test]
fn the_wallet_never_goes_negative() {
    let (user, payment) = (UserId::new(), PaymentId::new());
    given::<Wallet>(&[])
        .when(debit(user, payment, 1))
        .then_rejects(WalletError::InsufficientFunds(eur(1)));
    let wallet = given::<Wallet>(&[granted(user, 1000, 1000)]);
    wallet
        .when(debit(user, payment, 1001))
        .then_rejects(WalletError::InsufficientFunds(eur(1001)));
    wallet
        .when(debit(user, payment, 1000))
        .then([debited(user, payment, 1000, 0)]);
    // Another currency is money the wallet does not have.
    let usd = WalletCommand::Debit {
        user_id: user,
        payment_id: payment,
        amount: Money::new(10, Currency::USD),
    };
    assert!(matches!(
        wallet.when(usd).error(),
        WalletError::InsufficientFunds(_)
    ));
}

#[test]
fn a_payment_debits_once() {
    let (user, payment) = (UserId::new(), PaymentId::new());
    let wallet = given::<Wallet>(&[granted(user, 1000, 1000), debited(user, payment, 400, 600)]);
    wallet.when(debit(user, payment, 400)).then_nothing();
    assert_eq!(wallet.state().balance, Some(eur(600)));
}

#[test]
fn giving_back_is_bounded_by_what_the_payment_took() {
    let (user, payment) = (UserId::new(), PaymentId::new());
    let mut wallet =
        given::<Wallet>(&[granted(user, 1000, 1000), debited(user, payment, 400, 600)]);
    let back = |amount, balance| {
        WalletEvent::Credited(WalletCredited {
            user_id: user,
            amount: eur(amount),
            reason: "refund".into(),
            payment_id: Some(payment),
            balance: eur(balance),
        })
    };
    assert_eq!(
        wallet.and(give_back(user, payment, Some(150))),
        vec![back(150, 750)]
    );
    assert_eq!(wallet.state().returnable(payment), Some(eur(250)));
    assert!(matches!(
        wallet.when(give_back(user, payment, Some(251))).error(),
        WalletError::ReturnExceedsDebit { .. }
    ));
    assert_eq!(
        wallet.and(give_back(user, payment, None)),
        vec![back(250, 1000)]
    );
    // All given back: a repeated void gives nothing more.
    wallet.when(give_back(user, payment, None)).then_nothing();
    let other = PaymentId::new();
    wallet
        .when(give_back(user, other, None))
        .then_rejects(WalletError::NoDebit(other));
}
