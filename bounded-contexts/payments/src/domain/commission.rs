//! The platform's commission on delivered lines, in integer arithmetic.
//!
//! Rounding rule: for each order, the platform keeps `floor(G × bps / 10 000)` minor units,
//! where `G` is the order's net delivered gross (credited gross less debited gross, never
//! negative) and `bps` the order's rate in basis points (fixed at its first credit). Each
//! credit or debit moves the commission by the change of that figure, and the seller gets the
//! rest of the entry's gross, so for every entry `seller net + commission = gross` exactly,
//! and a fully returned order leaves the platform no commission. A single credit of `g` thus
//! keeps `floor(g × bps / 10 000)` (the seller's share is rounded up).

use std::fmt;

/// 100 % in basis points.
pub const FULL_BPS: u16 = 10_000;

/// A commission rate in basis points (1 bps = 0.01 %), `0..=10_000`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CommissionRate(u16);

/// A rate above 100 %.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a commission rate is 0 to 10000 basis points, got {0}")]
pub struct InvalidRate(pub u32);

impl CommissionRate {
    /// The platform's default: 1000 bps = 10 %.
    pub const DEFAULT: Self = Self(1_000);

    /// # Errors
    /// `bps` above 10 000 (100 %).
    pub fn new(bps: u32) -> Result<Self, InvalidRate> {
        u16::try_from(bps)
            .ok()
            .filter(|b| *b <= FULL_BPS)
            .map(Self)
            .ok_or(InvalidRate(bps))
    }

    /// The rate in basis points.
    #[must_use]
    pub const fn bps(self) -> u16 {
        self.0
    }

    /// `floor(gross × bps / 10 000)` in minor units; `None` for a negative `gross`. Never more
    /// than `gross` (the rate is at most 100 %), so it always fits an `i64`.
    #[must_use]
    pub fn of(self, gross_minor: i64) -> Option<i64> {
        if gross_minor < 0 {
            return None;
        }
        // i128: gross (< 2^63) × bps (< 2^14) cannot overflow; the quotient is <= gross.
        let product = i128::from(gross_minor).checked_mul(i128::from(self.0))?;
        i64::try_from(product / i128::from(FULL_BPS)).ok()
    }

    /// The commission of an entry that moves an order's net gross from `before` to `after`
    /// (minor units, both >= 0): `of(after) - of(before)`, negative when gross is taken back.
    #[must_use]
    pub fn moved(self, before: i64, after: i64) -> Option<i64> {
        self.of(after)?.checked_sub(self.of(before)?)
    }
}

impl fmt::Display for CommissionRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} bps", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commission_rounds_down_and_rates_stop_at_one_hundred_percent() {
        let rate = CommissionRate::DEFAULT;
        assert_eq!(rate.of(10_000), Some(1_000));
        assert_eq!(rate.of(9_999), Some(999));
        assert_eq!(rate.of(9), Some(0));
        assert_eq!(rate.of(-1), None);
        assert_eq!(
            CommissionRate::new(10_000).map(|r| r.of(i64::MAX)),
            Ok(Some(i64::MAX))
        );
        assert_eq!(CommissionRate::new(10_001), Err(InvalidRate(10_001)));
        assert_eq!(rate.moved(10_000, 7_500), Some(-250));
    }
}
