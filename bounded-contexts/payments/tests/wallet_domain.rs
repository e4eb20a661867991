//! Given events, when a command, then events or an error: the Wallet aggregate, pure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use chrono::Utc;
use event_schemas::payments::{WalletCredited, WalletDebited, WalletEvent};
use payments::domain::{Wallet, WalletCommand, WalletError};
use shared_kernel::ids::{PaymentId, UserId};
use shared_kernel::{Aggregate, Currency, Money};

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

fn when(given: &[WalletEvent], command: WalletCommand) -> Result<Vec<WalletEvent>, WalletError> {
    Wallet::replay(given).decide(command, Utc::now())
}

#[test]
fn a_grant_credits_the_balance() {
    let user = UserId::new();
    let grant = WalletCommand::Grant {
        user_id: user,
        amount: eur(1000),
        reason: " welcome ".into(),
    };
    assert_eq!(
        when(&[], grant.clone()),
        Ok(vec![granted(user, 1000, 1000)])
    );
    assert_eq!(
        when(&[granted(user, 1000, 1000)], grant),
        Ok(vec![granted(user, 1000, 2000)])
    );
    let empty_reason = WalletCommand::Grant {
        user_id: user,
        amount: eur(1),
        reason: "  ".into(),
    };
    assert!(matches!(
        when(&[], empty_reason),
        Err(WalletError::Invalid(_))
    ));
    let negative = WalletCommand::Grant {
        user_id: user,
        amount: eur(-5),
        reason: "x".into(),
    };
    assert!(matches!(when(&[], negative), Err(WalletError::Invalid(_))));
}

#[test]
fn the_wallet_never_goes_negative() {
    let (user, payment) = (UserId::new(), PaymentId::new());
    assert_eq!(
        when(&[], debit(user, payment, 1)),
        Err(WalletError::InsufficientFunds(eur(1)))
    );
    let given = [granted(user, 1000, 1000)];
    assert_eq!(
        when(&given, debit(user, payment, 1001)),
        Err(WalletError::InsufficientFunds(eur(1001)))
    );
    assert_eq!(
        when(&given, debit(user, payment, 1000)),
        Ok(vec![debited(user, payment, 1000, 0)])
    );
    // Another currency is money the wallet does not have.
    let usd = WalletCommand::Debit {
        user_id: user,
        payment_id: payment,
        amount: Money::new(10, Currency::USD),
    };
    assert!(matches!(
        when(&given, usd),
        Err(WalletError::InsufficientFunds(_))
    ));
}

#[test]
fn a_payment_debits_once() {
    let (user, payment) = (UserId::new(), PaymentId::new());
    let given = [granted(user, 1000, 1000), debited(user, payment, 400, 600)];
    assert_eq!(when(&given, debit(user, payment, 400)), Ok(vec![]));
    assert_eq!(Wallet::replay(&given).balance, Some(eur(600)));
}

#[test]
fn giving_back_is_bounded_by_what_the_payment_took() {
    let (user, payment) = (UserId::new(), PaymentId::new());
    let given = [granted(user, 1000, 1000), debited(user, payment, 400, 600)];
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
        when(&given, give_back(user, payment, Some(150))),
        Ok(vec![back(150, 750)])
    );
    let given = [
        granted(user, 1000, 1000),
        debited(user, payment, 400, 600),
        back(150, 750),
    ];
    assert_eq!(Wallet::replay(&given).returnable(payment), Some(eur(250)));
    assert!(matches!(
        when(&given, give_back(user, payment, Some(251))),
        Err(WalletError::ReturnExceedsDebit { .. })
    ));
    assert_eq!(
        when(&given, give_back(user, payment, None)),
        Ok(vec![back(250, 1000)])
    );
    let given = [
        granted(user, 1000, 1000),
        debited(user, payment, 400, 600),
        back(150, 750),
        back(250, 1000),
    ];
    // All given back: a repeated void gives nothing more.
    assert_eq!(when(&given, give_back(user, payment, None)), Ok(vec![]));
    let other = PaymentId::new();
    assert_eq!(
        when(&given, give_back(user, other, None)),
        Err(WalletError::NoDebit(other))
    );
}
