//! The commission arithmetic over any sequence of credits, debits and payouts, at any rate
//! from 0 to 10 000 bps: every entry splits its gross exactly (`net + commission = gross`),
//! the sellers' credits plus the commission add up to the gross of the credited lines (after
//! debits too), the commission kept is the stated rule applied to each order's net delivered
//! gross, and payouts never take more than was available.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use event_schemas::payments::{PayoutId, SellerLedgerEvent};
use payments::domain::{CommissionRate, LedgerCommand, SellerLedger};
use proptest::prelude::*;
use shared_kernel::ids::{OrderId, UserId};
use shared_kernel::payments::PayoutOutcome;
use shared_kernel::testing::given;
use shared_kernel::{Currency, Money};

const ORDERS: usize = 4;

#[derive(Debug, Clone, Copy)]
enum Step {
    Credit { order: usize, gross: i64 },
    Debit { order: usize, gross: i64 },
    Payout { amount: i64, paid: bool },
}

/// Mostly amounts of everyday size, sometimes huge ones (overflow must be refused, never
/// wrap or panic).
fn amount() -> impl Strategy<Value = i64> {
    prop_oneof![
        8 => 1_i64..1_000_000,
        1 => 1_i64..=i64::MAX / 4,
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..ORDERS, amount()).prop_map(|(order, gross)| Step::Credit { order, gross }),
        3 => (0..ORDERS, amount()).prop_map(|(order, gross)| Step::Debit { order, gross }),
        2 => (amount(), any::<bool>()).prop_map(|(amount, paid)| Step::Payout { amount, paid }),
    ]
}

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

/// The stated rule: floor(gross × bps / 10 000), in i128 so the reference cannot overflow.
fn rule(gross: i128, bps: u16) -> i128 {
    gross * i128::from(bps) / 10_000
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn credits_plus_commission_are_the_gross_of_the_credited_lines(
        bps in 0_u16..=10_000,
        steps in prop::collection::vec(step(), 1..40),
    ) {
        let seller = UserId::new();
        let orders: Vec<OrderId> = (0..ORDERS).map(|_| OrderId::new()).collect();
        let rate = CommissionRate::new(u32::from(bps)).unwrap();
        let mut ledger = given::<SellerLedger>(&[]);
        // Per order: credited gross less debited gross. And the running sums, in i128.
        let mut remaining = [0_i128; ORDERS];
        let (mut gross_total, mut net_total, mut commission_total) = (0_i128, 0_i128, 0_i128);
        let mut paid_or_pending = 0_i128;
        for (n, step) in steps.into_iter().enumerate() {
            let available_before = i128::from(ledger.state().balance(Currency::EUR).available.amount_minor);
            let command = match step {
                Step::Credit { order, gross } => LedgerCommand::Credit {
                    seller_id: seller, order_id: orders[order],
                    entry: format!("delivered:{n}"), gross: eur(gross), rate,
                },
                Step::Debit { order, gross } => LedgerCommand::Debit {
                    seller_id: seller, order_id: orders[order],
                    entry: format!("returned:{n}"), gross: eur(gross),
                },
                Step::Payout { amount, .. } => LedgerCommand::RequestPayout {
                    seller_id: seller, payout_id: PayoutId::new(), amount: eur(amount),
                },
            };
            let Ok(events) = ledger.attempt(command) else { continue };
            for event in &events {
                match event {
                    SellerLedgerEvent::Credited(c) => {
                        let i = orders.iter().position(|o| *o == c.order_id).unwrap();
                        let (g, k, s) = (c.gross.amount_minor, c.commission.amount_minor, c.net.amount_minor);
                        prop_assert_eq!(i128::from(s) + i128::from(k), i128::from(g));
                        prop_assert!(k >= 0 && s >= 0);
                        remaining[i] += i128::from(g);
                        gross_total += i128::from(g);
                        net_total += i128::from(s);
                        commission_total += i128::from(k);
                    }
                    SellerLedgerEvent::Debited(d) => {
                        let i = orders.iter().position(|o| *o == d.order_id).unwrap();
                        let (g, k, s) = (d.gross.amount_minor, d.commission.amount_minor, d.net.amount_minor);
                        prop_assert_eq!(i128::from(s) + i128::from(k), i128::from(g));
                        prop_assert!(k >= 0 && s >= 0);
                        prop_assert!(i128::from(g) <= remaining[i], "debited more than credited");
                        remaining[i] -= i128::from(g);
                        gross_total -= i128::from(g);
                        net_total -= i128::from(s);
                        commission_total -= i128::from(k);
                    }
                    SellerLedgerEvent::PayoutRequested(p) => {
                        prop_assert!(i128::from(p.amount.amount_minor) <= available_before);
                        paid_or_pending += i128::from(p.amount.amount_minor);
                        if let Step::Payout { paid, .. } = step {
                            let outcome = if paid {
                                PayoutOutcome::Paid { reference: "r".into() }
                            } else {
                                paid_or_pending -= i128::from(p.amount.amount_minor);
                                PayoutOutcome::Failed { reason: "payout_refused".into() }
                            };
                            ledger.and(LedgerCommand::SettlePayout { payout_id: p.payout_id, outcome });
                        }
                    }
                    other => prop_assert!(false, "unexpected {:?}", other),
                }
            }
            let balance = ledger.state().balance(Currency::EUR);
            // Sellers' credits (net of debits) plus the commission are the gross delivered.
            prop_assert_eq!(net_total + commission_total, gross_total);
            prop_assert_eq!(i128::from(balance.commission_total.amount_minor), commission_total);
            // The commission kept is the rule applied to each order's net delivered gross.
            let by_rule: i128 = remaining.iter().map(|g| rule(*g, bps)).sum();
            prop_assert_eq!(commission_total, by_rule);
            // Every minor unit owed is available, held for a payout, or paid out.
            let accounted = i128::from(balance.available.amount_minor)
                + i128::from(balance.pending_payouts.amount_minor)
                + i128::from(balance.paid_out.amount_minor);
            prop_assert_eq!(accounted, net_total);
            prop_assert_eq!(
                i128::from(balance.pending_payouts.amount_minor) + i128::from(balance.paid_out.amount_minor),
                paid_or_pending
            );
            prop_assert_eq!(balance.pending_payouts.amount_minor, 0);
        }
    }
}
