//! The payments handler against a real store (SQLite) and the simulated provider: provider
//! calls are keyed so a redelivery never charges twice, and a void that overtakes a slow
//! authorization leaves no money held.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use shared_kernel::ContextCommand as _;
use std::sync::Arc;
use std::time::Duration;

use event_schemas::payments::commands::{
    AuthorizePayment, CapturePayment, RefundPayment, VoidPayment,
};
use event_schemas::payments::{PaymentEvent, PaymentMethod};
use infrastructure::database::{Database, PoolSizes};
use infrastructure::payments::{SimulatedPaymentProvider, SimulatedProviderConfig};
use infrastructure::testing::fresh_sqlite_url;
use payments::application::{
    CreditWallet, PaymentRequest, PaymentsCommand, PaymentsHandler, WalletRequest,
};
use payments::domain::{Payment, Wallet};
use shared_kernel::application::load;
use shared_kernel::ids::{OrderId, PaymentId, UserId};
use shared_kernel::{
    Aggregate, CommandHandler, CommandOutcome, CommandReply, Currency, DomainEvent, EventStore,
    Money, StreamId, SystemClock,
};
use uuid::Uuid;

const SLOW: Duration = Duration::from_millis(400);

struct Fixture {
    store: Arc<dyn EventStore>,
    provider: Arc<SimulatedPaymentProvider>,
    handler: Arc<PaymentsHandler>,
}

async fn fixture() -> Fixture {
    let database = Database::open(&fresh_sqlite_url(), PoolSizes { store: 4, read: 2 })
        .await
        .unwrap();
    let provider = Arc::new(SimulatedPaymentProvider::new(SimulatedProviderConfig {
        slow_delay: SLOW,
    }));
    let handler = Arc::new(PaymentsHandler::new(
        Arc::clone(&database.store),
        Arc::new(SystemClock),
        Arc::clone(&provider) as Arc<dyn shared_kernel::payments::PaymentProvider>,
    ));
    Fixture {
        store: database.store,
        provider,
        handler,
    }
}

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

fn authorize(method: PaymentMethod, token: &str) -> AuthorizePayment {
    AuthorizePayment {
        payment_id: PaymentId::new(),
        order_id: OrderId::new(),
        payer_id: UserId::new(),
        amount: eur(2500),
        method,
        token: Some(token.into()),
    }
}

impl Fixture {
    async fn send(&self, command: PaymentsCommand) -> CommandReply {
        let envelope = command
            .envelope(Uuid::now_v7(), "system:saga:order")
            .unwrap();
        self.handler.handle(envelope).await.unwrap()
    }

    async fn payment(&self, id: PaymentId) -> Payment {
        load::<Payment>(self.store.as_ref(), &StreamId::of(Payment::KIND, id))
            .await
            .unwrap()
            .state
    }

    async fn balance(&self, user: UserId) -> Option<Money> {
        load::<Wallet>(self.store.as_ref(), &StreamId::of(Wallet::KIND, user))
            .await
            .unwrap()
            .state
            .balance
    }

    async fn events(&self, id: PaymentId) -> Vec<PaymentEvent> {
        self.store
            .read_stream(&StreamId::of(Payment::KIND, id), 1)
            .await
            .unwrap()
            .into_iter()
            .map(|r| PaymentEvent::decode(&r.event_type, r.schema_version, r.data).unwrap())
            .collect()
    }
}

fn status(reply: &CommandReply) -> String {
    match &reply.outcome {
        CommandOutcome::Accepted { body, .. } => body["status"].as_str().unwrap().to_owned(),
        CommandOutcome::Rejected { code, .. } => format!("rejected:{code}"),
    }
}

#[tokio::test]
async fn a_redelivered_authorization_never_charges_twice() {
    let f = fixture().await;
    let request = authorize(PaymentMethod::Card, "tok_ok");
    let id = request.payment_id;
    let first = f
        .send(PaymentsCommand::from(PaymentRequest::AuthorizePayment(
            request.clone(),
        )))
        .await;
    assert_eq!(status(&first), "authorized");
    // The same saga command delivered again (another command id: a second runner).
    let again = f
        .send(PaymentsCommand::from(PaymentRequest::AuthorizePayment(
            request,
        )))
        .await;
    assert_eq!(status(&again), "authorized");
    assert_eq!(f.provider.authorizations_granted(), 1);
    assert_eq!(f.events(id).await.len(), 1);
}

#[tokio::test]
async fn a_void_that_overtakes_a_slow_authorization_leaves_nothing_held() {
    let f = Arc::new(fixture().await);
    let request = authorize(PaymentMethod::Card, "tok_slow");
    let id = request.payment_id;
    let slow = {
        let f = Arc::clone(&f);
        let request = request.clone();
        tokio::spawn(async move {
            f.send(PaymentsCommand::from(PaymentRequest::AuthorizePayment(
                request,
            )))
            .await
        })
    };
    tokio::time::sleep(SLOW / 4).await;
    let void = f
        .send(PaymentsCommand::from(PaymentRequest::VoidPayment(
            VoidPayment {
                payment_id: id,
                reason: "payment_timeout".into(),
            },
        )))
        .await;
    assert_eq!(status(&void), "declined");
    let late = slow.await.unwrap();
    assert_eq!(status(&late), "rejected:payment_cancelled");
    // The provider did authorise (it was asked before the void), and the hold was voided.
    assert_eq!(f.provider.authorizations_granted(), 1);
    assert_eq!(f.provider.held_minor(), 0);
    let hold = f.provider.nth_hold(1).unwrap();
    assert!(hold.voided && hold.captured.is_none());
    // The decline knows what the payment was for: the saga can reject the right order.
    let events = f.events(id).await;
    assert!(
        matches!(&events[..], [PaymentEvent::Declined(d)] if d.reason == "cancelled" && d.order_id == request.order_id),
        "{events:?}"
    );
    let capture = f
        .send(PaymentsCommand::from(PaymentRequest::CapturePayment(
            CapturePayment { payment_id: id },
        )))
        .await;
    assert_eq!(status(&capture), "rejected:invalid_payment_state");
}

#[tokio::test]
async fn a_wallet_payment_voided_before_it_arrives_never_debits() {
    let f = fixture().await;
    let request = authorize(PaymentMethod::Wallet, "");
    let grant = CreditWallet {
        user_id: request.payer_id,
        amount: eur(10_000),
        reason: "welcome".into(),
    };
    f.send(PaymentsCommand::from(WalletRequest::CreditWallet(grant)))
        .await;
    let void = f
        .send(PaymentsCommand::from(PaymentRequest::VoidPayment(
            VoidPayment {
                payment_id: request.payment_id,
                reason: "order_cancelled".into(),
            },
        )))
        .await;
    assert_eq!(status(&void), "declined");
    let late = f
        .send(PaymentsCommand::from(PaymentRequest::AuthorizePayment(
            request.clone(),
        )))
        .await;
    assert_eq!(status(&late), "rejected:payment_cancelled");
    assert_eq!(f.balance(request.payer_id).await, Some(eur(10_000)));
}

#[tokio::test]
async fn a_void_after_capture_gives_the_money_back() {
    let f = fixture().await;
    let request = authorize(PaymentMethod::Card, "tok_ok");
    let id = request.payment_id;
    f.send(PaymentsCommand::from(PaymentRequest::AuthorizePayment(
        request,
    )))
    .await;
    let captured = f
        .send(PaymentsCommand::from(PaymentRequest::CapturePayment(
            CapturePayment { payment_id: id },
        )))
        .await;
    assert_eq!(status(&captured), "captured");
    let void = f
        .send(PaymentsCommand::from(PaymentRequest::VoidPayment(
            VoidPayment {
                payment_id: id,
                reason: "order_cancelled".into(),
            },
        )))
        .await;
    assert_eq!(status(&void), "refunded");
    let hold = f.provider.nth_hold(1).unwrap();
    assert_eq!(hold.refunded_minor, 2500);
    assert_eq!(f.payment(id).await.refunded_minor, 2500);
}

#[tokio::test]
async fn card_refunds_reach_the_provider_and_stay_bounded() {
    let f = fixture().await;
    let request = authorize(PaymentMethod::Card, "tok_ok");
    let id = request.payment_id;
    f.send(PaymentsCommand::from(PaymentRequest::AuthorizePayment(
        request,
    )))
    .await;
    f.send(PaymentsCommand::from(PaymentRequest::CapturePayment(
        CapturePayment { payment_id: id },
    )))
    .await;
    let refund = |amount: Option<i64>| {
        PaymentsCommand::from(PaymentRequest::RefundPayment(RefundPayment {
            payment_id: id,
            amount: amount.map(eur),
            reason: "test".into(),
        }))
    };
    assert_eq!(
        status(&f.send(refund(Some(1000))).await),
        "partially_refunded"
    );
    assert_eq!(
        status(&f.send(refund(Some(1501))).await),
        "rejected:refund_exceeds_captured"
    );
    assert_eq!(status(&f.send(refund(None)).await), "refunded");
    assert_eq!(f.provider.nth_hold(1).unwrap().refunded_minor, 2500);
}
