//! Money arithmetic over any amounts: checked operations agree with exact (i128) arithmetic,
//! report an overflow instead of wrapping or panicking, and never mix currencies.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use proptest::prelude::*;
use shared_kernel::{Currency, Money, MoneyError};

/// A few listed currencies: what matters is whether two amounts share one.
fn currency() -> impl Strategy<Value = Currency> {
    prop::sample::select(vec!["EUR", "USD", "JPY", "GBP", "CHF"])
        .prop_map(|code| code.parse().unwrap())
}

/// Amounts anywhere in i64, with the edges (where overflows live) drawn often.
fn amount() -> impl Strategy<Value = i64> {
    prop_oneof![
        any::<i64>(),
        -1_000_000_i64..1_000_000,
        prop::sample::select(vec![
            i64::MIN,
            i64::MIN + 1,
            -1,
            0,
            1,
            i64::MAX - 1,
            i64::MAX
        ]),
    ]
}

/// What a checked operation must return: the exact result, or `Overflow` when it does not
/// fit in i64.
fn exact(result: i128, currency: Currency) -> Result<Money, MoneyError> {
    i64::try_from(result)
        .map(|amount| Money::new(amount, currency))
        .map_err(|_| MoneyError::Overflow)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn sums_and_differences_are_exact_or_an_overflow(a in amount(), b in amount(), c in currency()) {
        let (x, y) = (Money::new(a, c), Money::new(b, c));
        prop_assert_eq!(x.checked_add(y), exact(i128::from(a) + i128::from(b), c));
        prop_assert_eq!(x.checked_sub(y), exact(i128::from(a) - i128::from(b), c));
    }

    #[test]
    fn products_are_exact_or_an_overflow(a in amount(), quantity in amount(), c in currency()) {
        prop_assert_eq!(
            Money::new(a, c).checked_mul(quantity),
            exact(i128::from(a) * i128::from(quantity), c)
        );
    }

    #[test]
    fn addition_commutes_and_zero_changes_nothing(a in amount(), b in amount(), c in currency()) {
        let (x, y) = (Money::new(a, c), Money::new(b, c));
        prop_assert_eq!(x.checked_add(y), y.checked_add(x));
        prop_assert_eq!(x.checked_add(Money::zero(c)), Ok(x));
        prop_assert_eq!(x.checked_sub(Money::zero(c)), Ok(x));
    }

    #[test]
    fn subtraction_undoes_addition(a in amount(), b in amount(), c in currency()) {
        let (x, y) = (Money::new(a, c), Money::new(b, c));
        if let Ok(sum) = x.checked_add(y) {
            prop_assert_eq!(sum.checked_sub(y), Ok(x));
            prop_assert_eq!(sum.checked_sub(x), Ok(y));
        }
        if let Ok(difference) = x.checked_sub(y) {
            prop_assert_eq!(difference.checked_add(y), Ok(x));
        }
    }

    #[test]
    fn sums_associate_when_every_step_fits(a in amount(), b in amount(), d in amount(), c in currency()) {
        let m = |x| Money::new(x, c);
        let left = m(a).checked_add(m(b)).and_then(|s| s.checked_add(m(d)));
        let right = m(b).checked_add(m(d)).and_then(|s| m(a).checked_add(s));
        if let (Ok(l), Ok(r)) = (&left, &right) {
            prop_assert_eq!(l, r);
        }
        // A sum that fits in the end is never lost to an overflow when the first partial
        // sum fits too.
        let total = exact(i128::from(a) + i128::from(b) + i128::from(d), c);
        if total.is_ok() && m(a).checked_add(m(b)).is_ok() {
            prop_assert_eq!(left, total);
        }
    }

    #[test]
    fn currencies_never_mix_whatever_the_amounts(
        a in amount(), b in amount(), c in currency(), d in currency()
    ) {
        prop_assume!(c != d);
        let (x, y) = (Money::new(a, c), Money::new(b, d));
        prop_assert_eq!(x.checked_add(y), Err(MoneyError::CurrencyMismatch(c, d)));
        prop_assert_eq!(x.checked_sub(y), Err(MoneyError::CurrencyMismatch(c, d)));
        prop_assert_eq!(y.checked_add(x), Err(MoneyError::CurrencyMismatch(d, c)));
    }

    #[test]
    fn negative_amounts_are_refused_and_others_kept(a in amount(), c in currency()) {
        let m = Money::new(a, c);
        let expected = if a < 0 { Err(MoneyError::Negative) } else { Ok(m) };
        prop_assert_eq!(m.non_negative(), expected);
    }

    #[test]
    fn json_round_trips(a in amount(), c in currency()) {
        let m = Money::new(a, c);
        let json = serde_json::to_string(&m).unwrap();
        prop_assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), m);
    }
}
