//! The simulated payment provider: test tokens, the slow token's delay, and idempotency keys
//! (a repeated authorize answers with the first answer and never authorises twice).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::sync::Arc;
use std::time::{Duration, Instant};

use infrastructure::payments::{SimulatedPaymentProvider, SimulatedProviderConfig};
use shared_kernel::payments::{Authorization, PaymentProvider, ProviderError};
use shared_kernel::{Currency, Money};

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

fn provider(slow: Duration) -> SimulatedPaymentProvider {
    SimulatedPaymentProvider::new(SimulatedProviderConfig { slow_delay: slow })
}

fn declined(reason: &str) -> Authorization {
    Authorization::Declined {
        reason: reason.into(),
    }
}

#[tokio::test]
async fn tokens_authorise_decline_or_are_invalid() {
    let p = provider(Duration::from_millis(10));
    let ok = p.authorize("k1", "tok_ok", eur(100)).await.unwrap();
    assert!(matches!(ok, Authorization::Authorized { .. }));
    assert_eq!(
        p.authorize("k2", "tok_declined", eur(100)).await.unwrap(),
        declined("card_declined")
    );
    assert_eq!(
        p.authorize("k3", "tok_nonsense", eur(100)).await.unwrap(),
        declined("invalid_token")
    );
    assert_eq!(p.authorizations_granted(), 1);
    assert_eq!(p.held_minor(), 100);
}

#[tokio::test]
async fn the_slow_token_answers_after_the_configured_delay() {
    let p = provider(Duration::from_millis(300));
    let started = Instant::now();
    let answer = p.authorize("slow", "tok_slow", eur(100)).await.unwrap();
    assert!(matches!(answer, Authorization::Authorized { .. }));
    assert!(started.elapsed() >= Duration::from_millis(300));
    let started = Instant::now();
    p.authorize("fast", "tok_ok", eur(100)).await.unwrap();
    assert!(started.elapsed() < Duration::from_millis(300));
}

#[tokio::test]
async fn a_repeated_key_returns_the_first_answer_and_never_authorises_twice() {
    let p = provider(Duration::from_millis(10));
    let first = p.authorize("pay-1", "tok_ok", eur(100)).await.unwrap();
    let again = p.authorize("pay-1", "tok_ok", eur(100)).await.unwrap();
    assert_eq!(first, again);
    // Even with another token the key's answer stands.
    let other = p
        .authorize("pay-1", "tok_declined", eur(100))
        .await
        .unwrap();
    assert_eq!(first, other);
    assert_eq!(p.authorizations_granted(), 1);
    let declined_first = p
        .authorize("pay-2", "tok_declined", eur(100))
        .await
        .unwrap();
    let then_ok = p.authorize("pay-2", "tok_ok", eur(100)).await.unwrap();
    assert_eq!(declined_first, then_ok);
    assert_eq!(p.authorizations_granted(), 1);
}

#[tokio::test]
async fn concurrent_repeats_of_a_slow_authorization_wait_for_the_first() {
    let p = Arc::new(provider(Duration::from_millis(200)));
    let calls: Vec<_> = (0..4)
        .map(|_| {
            let p = Arc::clone(&p);
            tokio::spawn(async move { p.authorize("pay-slow", "tok_slow", eur(700)).await })
        })
        .collect();
    let mut answers = Vec::new();
    for call in calls {
        answers.push(call.await.unwrap().unwrap());
    }
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
    assert_eq!(p.authorizations_granted(), 1);
    assert_eq!(p.held_minor(), 700);
}

fn reference(a: &Authorization) -> String {
    match a {
        Authorization::Authorized { reference } => reference.clone(),
        Authorization::Declined { reason } => panic!("declined: {reason}"),
    }
}

#[tokio::test]
async fn capture_void_and_refund_follow_the_authorization() {
    let p = provider(Duration::from_millis(10));
    let r = reference(&p.authorize("a", "tok_ok", eur(1000)).await.unwrap());
    p.capture("a:capture", &r, eur(1000)).await.unwrap();
    // A repeated capture with the same key answers as the first; voiding now is refused.
    p.capture("a:capture", &r, eur(1000)).await.unwrap();
    assert!(matches!(
        p.void("a:void", &r).await,
        Err(ProviderError::Refused(_))
    ));
    p.refund("a:refund:1", &r, eur(400)).await.unwrap();
    p.refund("a:refund:1", &r, eur(400)).await.unwrap();
    assert!(matches!(
        p.refund("a:refund:2", &r, eur(601)).await,
        Err(ProviderError::Refused(_))
    ));
    p.refund("a:refund:3", &r, eur(600)).await.unwrap();
    assert_eq!(p.hold(&r).unwrap().refunded_minor, 1000);

    let v = reference(&p.authorize("b", "tok_ok", eur(500)).await.unwrap());
    p.void("b:void", &v).await.unwrap();
    assert!(matches!(
        p.capture("b:capture", &v, eur(500)).await,
        Err(ProviderError::Refused(_))
    ));
    assert_eq!(p.held_minor(), 0);
    assert!(matches!(
        p.void("c:void", "no-such-reference").await,
        Err(ProviderError::UnknownAuthorization(_))
    ));
}

/// A restart of agora (a new simulator) must not make the processor forget what it authorised:
/// the capture of an authorization granted before the restart succeeds, once, and never above
/// the amount authorised (a kill -9 mid-checkout otherwise left paid buyers' orders to time out).
#[tokio::test]
async fn an_authorization_outlives_a_restart_of_agora() {
    let before = provider(Duration::from_millis(10));
    let Authorization::Authorized { reference } = before
        .authorize("pay-1", "tok_ok", eur(2500))
        .await
        .unwrap()
    else {
        panic!("tok_ok must authorise");
    };
    drop(before);
    let after = provider(Duration::from_millis(10));
    assert!(matches!(
        after.capture("cap-too-much", &reference, eur(2501)).await,
        Err(ProviderError::Refused(_))
    ));
    after.capture("cap-1", &reference, eur(2500)).await.unwrap();
    assert!(matches!(
        after.capture("cap-2", &reference, eur(2500)).await,
        Err(ProviderError::Refused(_))
    ));
    assert!(matches!(
        after.capture("cap-3", "sim_auth_7_100_XXX", eur(100)).await,
        Err(ProviderError::UnknownAuthorization(_))
    ));
}
