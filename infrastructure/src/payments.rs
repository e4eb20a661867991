//! A simulated card processor behind the `PaymentProvider` port, for development and tests.
//!
//! Test tokens: `tok_ok` authorises, `tok_declined` declines (`card_declined`), `tok_slow`
//! authorises after [`SimulatedProviderConfig::slow_delay`]; any other token declines with
//! `invalid_token`. Like a real processor it remembers idempotency keys: a repeated call with a
//! key it has seen answers with the first answer (a repeat that arrives while the first call is
//! still running waits for it), so one key never authorises twice. Payouts to sellers are paid
//! (once per key) unless a test switched them to fail ([`SimulatedPaymentProvider::refuse_payouts`]).
//! State lives in memory; so that a restart of agora does not make the "processor" forget the
//! authorizations it granted (a real processor would not), an authorization's reference names its
//! amount (`sim_auth_<n>_<amount minor>_<currency>`) and a hold the simulator no longer holds is
//! taken back from it, neither captured nor voided.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use shared_kernel::Money;
use shared_kernel::payments::{Authorization, PaymentProvider, PayoutOutcome, ProviderError};
use tokio::sync::OnceCell;

/// Authorises.
pub const TOKEN_OK: &str = "tok_ok";
/// Declines with `card_declined`.
pub const TOKEN_DECLINED: &str = "tok_declined";
/// Authorises after the configured delay.
pub const TOKEN_SLOW: &str = "tok_slow";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimulatedProviderConfig {
    /// How long `tok_slow` takes to answer.
    pub slow_delay: Duration,
}

impl Default for SimulatedProviderConfig {
    fn default() -> Self {
        Self {
            slow_delay: Duration::from_secs(5),
        }
    }
}

/// What the provider holds for one authorization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub amount: Money,
    pub captured: Option<Money>,
    pub voided: bool,
    /// Minor units refunded so far.
    pub refunded_minor: i64,
}

type Answer = Result<(), ProviderError>;

#[derive(Debug, Default)]
struct Ledger {
    holds: HashMap<String, Hold>,
    /// Answers of capture, void and refund calls, by idempotency key.
    answers: HashMap<String, Answer>,
    next_reference: u64,
    /// Answers of payouts, by idempotency key, with the amount sent when paid.
    payouts: HashMap<String, (PayoutOutcome, Option<Money>)>,
}

#[derive(Debug, Default)]
pub struct SimulatedPaymentProvider {
    config: SimulatedProviderConfig,
    /// One cell per authorize key: the first call fills it, repeats read it.
    authorizations: Mutex<HashMap<String, Arc<OnceCell<Authorization>>>>,
    ledger: Mutex<Ledger>,
    /// Payouts fail (`payout_refused`) while set.
    refusing_payouts: AtomicBool,
}

impl SimulatedPaymentProvider {
    #[must_use]
    pub fn new(config: SimulatedProviderConfig) -> Self {
        Self {
            config,
            ..Self::default()
        }
    }

    /// How many authorizations the provider granted (holds it created), for tests and audits.
    #[must_use]
    pub fn authorizations_granted(&self) -> usize {
        self.ledger().holds.len()
    }

    /// The state of the authorization `reference`.
    #[must_use]
    pub fn hold(&self, reference: &str) -> Option<Hold> {
        self.ledger().holds.get(reference).cloned()
    }

    /// The state of the `n`th authorization this simulator granted (from 1), whatever its
    /// amount: for tests that know the order of authorizations, not their references.
    #[must_use]
    pub fn nth_hold(&self, n: u64) -> Option<Hold> {
        let prefix = format!("sim_auth_{n}_");
        self.ledger()
            .holds
            .iter()
            .find(|(reference, _)| reference.starts_with(&prefix))
            .map(|(_, hold)| hold.clone())
    }

    /// Money held (authorised, neither captured nor voided) over all authorizations, in minor
    /// units: what a cancelled order must never leave behind.
    #[must_use]
    pub fn held_minor(&self) -> i64 {
        self.ledger()
            .holds
            .values()
            .filter(|h| h.captured.is_none() && !h.voided)
            .map(|h| h.amount.amount_minor)
            .sum()
    }

    /// From now on, payouts fail with `payout_refused` (`true`) or are paid (`false`): for
    /// tests of a failed payout. Keys already answered keep their answer.
    pub fn refuse_payouts(&self, refuse: bool) {
        self.refusing_payouts.store(refuse, Ordering::SeqCst);
    }

    /// Minor units paid out to `payee` over all payouts (any currency), for tests and audits.
    #[must_use]
    pub fn paid_out_minor(&self, payee: &str) -> i64 {
        self.ledger()
            .payouts
            .iter()
            .filter(|(key, _)| key.starts_with(&format!("{payee}/")))
            .filter_map(|(_, (_, sent))| sent.map(|m| m.amount_minor))
            .sum()
    }

    fn ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn grant(&self, amount: Money) -> Authorization {
        let mut ledger = self.ledger();
        ledger.next_reference += 1;
        let reference = format!(
            "sim_auth_{}_{}_{}",
            ledger.next_reference, amount.amount_minor, amount.currency
        );
        ledger.holds.insert(
            reference.clone(),
            Hold {
                amount,
                captured: None,
                voided: false,
                refunded_minor: 0,
            },
        );
        Authorization::Authorized { reference }
    }

    async fn decide(&self, token: &str, amount: Money) -> Authorization {
        match token {
            TOKEN_OK => self.grant(amount),
            TOKEN_SLOW => {
                tokio::time::sleep(self.config.slow_delay).await;
                self.grant(amount)
            }
            TOKEN_DECLINED => Authorization::Declined {
                reason: "card_declined".into(),
            },
            _ => Authorization::Declined {
                reason: "invalid_token".into(),
            },
        }
    }

    /// Runs `operation` on the hold `reference` once per `key`; repeats get the first answer.
    fn once(
        &self,
        key: &str,
        reference: &str,
        operation: impl FnOnce(&mut Hold) -> Answer,
    ) -> Answer {
        let mut ledger = self.ledger();
        if let Some(answer) = ledger.answers.get(key) {
            return answer.clone();
        }
        if !ledger.holds.contains_key(reference)
            && let Some(hold) = granted_before_a_restart(reference)
        {
            ledger.holds.insert(reference.to_owned(), hold);
        }
        let answer = match ledger.holds.get_mut(reference) {
            Some(hold) => operation(hold),
            None => Err(ProviderError::UnknownAuthorization(reference.to_owned())),
        };
        ledger.answers.insert(key.to_owned(), answer.clone());
        answer
    }
}

/// The hold an authorization `reference` of this simulator names (`sim_auth_<n>_<amount
/// minor>_<currency>`), as granted: what a processor that outlived a restart of agora holds.
/// `None` for a reference this simulator cannot have made.
fn granted_before_a_restart(reference: &str) -> Option<Hold> {
    let mut parts = reference.strip_prefix("sim_auth_")?.split('_');
    let (_number, amount, currency) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let amount = Money::new(amount.parse().ok()?, currency.parse().ok()?);
    Some(Hold {
        amount,
        captured: None,
        voided: false,
        refunded_minor: 0,
    })
}

fn refused(reason: &str) -> Answer {
    Err(ProviderError::Refused(reason.to_owned()))
}

#[async_trait]
impl PaymentProvider for SimulatedPaymentProvider {
    async fn authorize(
        &self,
        idempotency_key: &str,
        token: &str,
        amount: Money,
    ) -> Result<Authorization, ProviderError> {
        let cell = Arc::clone(
            self.authorizations
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(idempotency_key.to_owned())
                .or_default(),
        );
        Ok(cell
            .get_or_init(|| self.decide(token, amount))
            .await
            .clone())
    }

    async fn capture(
        &self,
        idempotency_key: &str,
        reference: &str,
        amount: Money,
    ) -> Result<(), ProviderError> {
        self.once(idempotency_key, reference, |hold| {
            if hold.voided {
                return refused("authorization_voided");
            }
            if hold.captured.is_some() {
                return refused("already_captured");
            }
            if amount.currency != hold.amount.currency
                || amount.amount_minor <= 0
                || amount.amount_minor > hold.amount.amount_minor
            {
                return refused("invalid_amount");
            }
            hold.captured = Some(amount);
            Ok(())
        })
    }

    async fn void(&self, idempotency_key: &str, reference: &str) -> Result<(), ProviderError> {
        self.once(idempotency_key, reference, |hold| {
            if hold.captured.is_some() {
                return refused("already_captured");
            }
            hold.voided = true;
            Ok(())
        })
    }

    async fn refund(
        &self,
        idempotency_key: &str,
        reference: &str,
        amount: Money,
    ) -> Result<(), ProviderError> {
        self.once(idempotency_key, reference, |hold| {
            let Some(captured) = hold.captured else {
                return refused("not_captured");
            };
            let total = hold.refunded_minor.checked_add(amount.amount_minor);
            if amount.currency != captured.currency
                || amount.amount_minor <= 0
                || total.is_none_or(|t| t > captured.amount_minor)
            {
                return refused("invalid_amount");
            }
            hold.refunded_minor = total.unwrap_or(captured.amount_minor);
            Ok(())
        })
    }

    async fn payout(
        &self,
        idempotency_key: &str,
        payee: &str,
        amount: Money,
    ) -> Result<PayoutOutcome, ProviderError> {
        let refusing = self.refusing_payouts.load(Ordering::SeqCst);
        let mut ledger = self.ledger();
        // Keyed by payee too, so `paid_out_minor` can sum one payee's transfers.
        let key = format!("{payee}/{idempotency_key}");
        if let Some((answer, _)) = ledger.payouts.get(&key) {
            return Ok(answer.clone());
        }
        let answer = if refusing || amount.amount_minor <= 0 {
            (
                PayoutOutcome::Failed {
                    reason: "payout_refused".into(),
                },
                None,
            )
        } else {
            ledger.next_reference += 1;
            let reference = format!("sim_payout_{}", ledger.next_reference);
            (PayoutOutcome::Paid { reference }, Some(amount))
        };
        ledger.payouts.insert(key, answer.clone());
        Ok(answer.0)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_default_slow_delay_is_five_seconds() {
        assert_eq!(
            SimulatedProviderConfig::default().slow_delay,
            Duration::from_secs(5)
        );
    }

    #[tokio::test]
    async fn a_payout_is_paid_once_per_key_and_can_be_refused() {
        let provider = SimulatedPaymentProvider::default();
        let amount = Money::new(3000, shared_kernel::Currency::EUR);
        let first = provider.payout("p1", "seller", amount).await.unwrap();
        assert!(matches!(first, PayoutOutcome::Paid { .. }));
        assert_eq!(
            provider.payout("p1", "seller", amount).await.unwrap(),
            first
        );
        assert_eq!(provider.paid_out_minor("seller"), 3000);
        provider.refuse_payouts(true);
        assert_eq!(
            provider.payout("p2", "seller", amount).await.unwrap(),
            PayoutOutcome::Failed {
                reason: "payout_refused".into()
            }
        );
        assert_eq!(
            provider.payout("p1", "seller", amount).await.unwrap(),
            first
        );
        assert_eq!(provider.paid_out_minor("seller"), 3000);
    }
}
