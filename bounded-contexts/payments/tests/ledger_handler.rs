//! Sellers' ledgers through the payments handler against a real store (SQLite) and the
//! simulated provider: only the platform credits, credits are idempotent by entry, racing
//! payouts never overdraw, a redelivered payout pays once, and a failed payout gives back.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::sync::Arc;

use event_schemas::payments::PayoutId;
use event_schemas::payments::commands::CreditSeller;
use infrastructure::database::{Database, PoolSizes};
use infrastructure::payments::SimulatedPaymentProvider;
use infrastructure::testing::fresh_sqlite_url;
use payments::application::{
    LedgerRequest, PayPayout, PaymentsCommand, PaymentsHandler, RequestPayout,
};
use payments::domain::{CommissionRate, LedgerCommand, SellerLedger};
use shared_kernel::ContextCommand as _;
use shared_kernel::application::{execute, load};
use shared_kernel::ids::{OrderId, UserId};
use shared_kernel::{
    Aggregate, CommandHandler, CommandOutcome, CommandReply, Currency, EventMetadata, EventStore,
    Money, StreamId, SystemClock,
};
use uuid::Uuid;

struct Fixture {
    store: Arc<dyn EventStore>,
    provider: Arc<SimulatedPaymentProvider>,
    handler: Arc<PaymentsHandler>,
}

async fn fixture() -> Fixture {
    let database = Database::open(&fresh_sqlite_url(), PoolSizes { store: 4, read: 2 })
        .await
        .unwrap();
    let provider = Arc::new(SimulatedPaymentProvider::default());
    let handler = PaymentsHandler::new(
        Arc::clone(&database.store),
        Arc::new(SystemClock),
        Arc::clone(&provider) as Arc<dyn shared_kernel::payments::PaymentProvider>,
    )
    .with_commission(CommissionRate::new(1_000).unwrap());
    Fixture {
        store: database.store,
        provider,
        handler: Arc::new(handler),
    }
}

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

fn credit(seller: UserId, order: OrderId, gross: i64) -> PaymentsCommand {
    PaymentsCommand::from(LedgerRequest::CreditSeller(CreditSeller {
        seller_id: seller,
        order_id: order,
        entry: format!("delivered:{order}"),
        gross: eur(gross),
    }))
}

fn payout(amount: i64) -> PaymentsCommand {
    PaymentsCommand::from(LedgerRequest::RequestPayout(RequestPayout {
        payout_id: PayoutId::new(),
        amount: eur(amount),
    }))
}

impl Fixture {
    async fn send_as(&self, actor: &str, command: PaymentsCommand) -> CommandReply {
        self.send_with_id(Uuid::now_v7(), actor, command).await
    }

    async fn send_with_id(&self, id: Uuid, actor: &str, command: PaymentsCommand) -> CommandReply {
        self.handler
            .handle(command.envelope(id, actor).unwrap())
            .await
            .unwrap()
    }

    async fn ledger(&self, seller: UserId) -> SellerLedger {
        load::<SellerLedger>(
            self.store.as_ref(),
            &StreamId::of(SellerLedger::KIND, seller),
        )
        .await
        .unwrap()
        .state
    }
}

fn outcome(reply: &CommandReply) -> String {
    match &reply.outcome {
        CommandOutcome::Accepted { body, .. } => {
            body["status"].as_str().unwrap_or("accepted").to_owned()
        }
        CommandOutcome::Rejected { code, .. } => format!("rejected:{code}"),
    }
}

#[tokio::test]
async fn only_the_platform_credits_and_a_repeated_entry_changes_nothing() {
    let f = fixture().await;
    let (seller, order) = (UserId::new(), OrderId::new());
    let by_user = f
        .send_as(&seller.to_string(), credit(seller, order, 10_000))
        .await;
    assert_eq!(outcome(&by_user), "rejected:forbidden");
    for _ in 0..3 {
        let reply = f
            .send_as("system:saga:order", credit(seller, order, 10_000))
            .await;
        assert_eq!(outcome(&reply), "accepted");
    }
    let balance = f.ledger(seller).await.balance(Currency::EUR);
    assert_eq!(
        (balance.available, balance.commission_total),
        (eur(9_000), eur(1_000))
    );
    let events = f
        .store
        .read_stream(&StreamId::of(SellerLedger::KIND, seller), 1)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
}

#[tokio::test]
async fn racing_payouts_never_overdraw_and_a_redelivery_pays_once() {
    let f = Arc::new(fixture().await);
    let seller = UserId::new();
    // 100.00 available after 10 % commission on 111.12 (floor(11.112) = 11.11).
    f.send_as("system:saga:order", credit(seller, OrderId::new(), 11_112))
        .await;
    assert_eq!(
        f.ledger(seller).await.balance(Currency::EUR).available,
        eur(10_001)
    );
    let racers: Vec<_> = (0..10)
        .map(|_| {
            let f = Arc::clone(&f);
            tokio::spawn(async move { f.send_as(&seller.to_string(), payout(3_000)).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for r in racers {
        outcomes.push(outcome(&r.await.unwrap()));
    }
    assert_eq!(
        outcomes.iter().filter(|o| *o == "paid").count(),
        3,
        "{outcomes:?}"
    );
    assert!(
        outcomes
            .iter()
            .all(|o| o == "paid" || o == "rejected:insufficient_balance")
    );
    let balance = f.ledger(seller).await.balance(Currency::EUR);
    assert_eq!(
        (balance.available, balance.paid_out),
        (eur(1_001), eur(9_000))
    );
    assert_eq!(f.provider.paid_out_minor(&seller.to_string()), 9_000);

    // The same request delivered twice (one command id): paid once.
    let (id, again) = (Uuid::now_v7(), payout(1_000));
    let first = f.send_with_id(id, &seller.to_string(), again.clone()).await;
    let second = f.send_with_id(id, &seller.to_string(), again).await;
    assert_eq!(
        (outcome(&first), outcome(&second)),
        ("paid".into(), "paid".into())
    );
    assert_eq!(f.provider.paid_out_minor(&seller.to_string()), 10_000);
    assert_eq!(
        f.ledger(seller).await.balance(Currency::EUR).available,
        eur(1)
    );
}

#[tokio::test]
async fn a_failed_payout_makes_the_amount_available_again() {
    let f = fixture().await;
    let seller = UserId::new();
    f.send_as("system:saga:order", credit(seller, OrderId::new(), 10_000))
        .await;
    f.provider.refuse_payouts(true);
    let reply = f.send_as(&seller.to_string(), payout(5_000)).await;
    assert_eq!(outcome(&reply), "failed");
    let balance = f.ledger(seller).await.balance(Currency::EUR);
    assert_eq!(
        (balance.available, balance.pending_payouts, balance.paid_out),
        (eur(9_000), eur(0), eur(0))
    );
    let system = f.send_as("system:saga:order", payout(1)).await;
    assert_eq!(outcome(&system), "rejected:unauthenticated");
}

#[tokio::test]
async fn a_payout_held_by_a_process_that_stopped_is_paid_once_by_the_completion() {
    let f = fixture().await;
    let seller = UserId::new();
    f.send_as("system:saga:order", credit(seller, OrderId::new(), 10_000))
        .await;
    // The hold alone, as a process that stopped before asking the provider left it.
    let payout_id = PayoutId::new();
    let hold = LedgerCommand::RequestPayout {
        seller_id: seller,
        payout_id,
        amount: eur(4_000),
    };
    let stream = StreamId::of(SellerLedger::KIND, seller);
    execute::<SellerLedger>(
        f.store.as_ref(),
        &SystemClock,
        &stream,
        hold,
        &EventMetadata::default(),
    )
    .await
    .unwrap();
    let pay = PaymentsCommand::from(LedgerRequest::PayPayout(PayPayout {
        seller_id: seller,
        payout_id,
    }));
    let by_user = f.send_as(&seller.to_string(), pay.clone()).await;
    assert_eq!(outcome(&by_user), "rejected:forbidden");
    assert_eq!(f.provider.paid_out_minor(&seller.to_string()), 0);
    for _ in 0..2 {
        let reply = f
            .send_as("system:saga:payments.payout_completion", pay.clone())
            .await;
        assert_eq!(outcome(&reply), "paid");
    }
    assert_eq!(f.provider.paid_out_minor(&seller.to_string()), 4_000);
    let balance = f.ledger(seller).await.balance(Currency::EUR);
    assert_eq!(
        (balance.available, balance.pending_payouts, balance.paid_out),
        (eur(5_000), eur(0), eur(4_000))
    );
    let unknown = PaymentsCommand::from(LedgerRequest::PayPayout(PayPayout {
        seller_id: seller,
        payout_id: PayoutId::new(),
    }));
    let reply = f
        .send_as("system:saga:payments.payout_completion", unknown)
        .await;
    assert_eq!(outcome(&reply), "rejected:payout_not_found");
}
