//! Access tokens stop working when the authority they carry is taken back, on SQLite and on
//! PostgreSQL: a role revoked from the command line (another process's write, as
//! `agora users revoke` is), a logout, a password change. Tokens of other users, and tokens
//! issued after the change, keep working.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod common;

use shared_kernel::ContextCommand as _;
use std::time::Duration;

use agora::cli::{RoleArgs, UsersCommand};
use agora::config::StorageArgs;
use common::{PASSWORD, Store, TestApp, TestUser, spawn_app};
use event_schemas::payments::PaymentMethod;
use event_schemas::payments::commands::{AuthorizePayment, CapturePayment};
use payments::application::{PaymentRequest, PaymentsCommand};
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared_kernel::ids::{OrderId, PaymentId, UserId};
use shared_kernel::{CommandOutcome, Currency, Money};

/// How long a revocation written by another process may take to reach the server: at once on
/// PostgreSQL, within the store tail's idle re-check (5 s) on SQLite.
const PROPAGATION: Duration = Duration::from_secs(60);

/// `agora users grant|revoke` against the test server's database: the command line's own code
/// path, with its own connections (as a separate process has).
async fn cli(app: &TestApp, grant: bool, email: &str, role: &str, scope: Option<&str>) {
    let args = RoleArgs {
        email: email.to_owned(),
        role: role.to_owned(),
        scope: scope.map(str::to_owned),
        storage: StorageArgs {
            database_url: Some(app.settings.storage.url()),
            data_dir: std::env::temp_dir(),
            db_pool_size: 2,
            read_pool_size: 1,
        },
    };
    let command = if grant {
        UsersCommand::Grant(args)
    } else {
        UsersCommand::Revoke(args)
    };
    agora::users_cli::run(command).await.unwrap();
}

async fn login(app: &TestApp, user: &TestUser) -> String {
    let r = app.login(&user.email, &user.password).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn me(app: &TestApp, token: &str) -> reqwest::Response {
    app.client
        .get(app.url("/api/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// Waits until `token` is refused (401), panicking after `within`.
async fn until_refused(app: &TestApp, token: &str, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let status = me(app, token).await.status();
        if status == StatusCode::UNAUTHORIZED {
            return;
        }
        assert_eq!(status, StatusCode::OK);
        assert!(
            tokio::time::Instant::now() < deadline,
            "the token still works after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

async fn credit(app: &TestApp, token: &str, user: &str) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/wallets/{user}/credits")))
        .bearer_auth(token)
        .json(&json!({ "amount": eur(500), "reason": "goodwill" }))
        .send()
        .await
        .unwrap()
}

async fn refund(app: &TestApp, token: &str, payment: PaymentId) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/payments/{payment}/refunds")))
        .bearer_auth(token)
        .json(&json!({ "amount": eur(100) }))
        .send()
        .await
        .unwrap()
}

/// A captured card payment of `payer`, made as the order saga makes one.
async fn captured_payment(app: &TestApp, payer: &str) -> PaymentId {
    let payment_id = PaymentId::new();
    let commands = [
        PaymentsCommand::from(PaymentRequest::AuthorizePayment(AuthorizePayment {
            payment_id,
            order_id: OrderId::new(),
            payer_id: payer.parse::<UserId>().unwrap(),
            amount: eur(2500),
            method: PaymentMethod::Card,
            token: Some("tok_ok".into()),
        })),
        PaymentsCommand::from(PaymentRequest::CapturePayment(CapturePayment {
            payment_id,
        })),
    ];
    for command in commands {
        let envelope = command
            .envelope(uuid::Uuid::now_v7(), "system:saga:order")
            .unwrap();
        let reply = app.running.bus.send(envelope).await.unwrap();
        assert!(
            matches!(reply.outcome, CommandOutcome::Accepted { .. }),
            "{reply:?}"
        );
    }
    payment_id
}

async fn assert_refused(r: reqwest::Response) {
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert!(
        (status == StatusCode::UNAUTHORIZED && body["code"] == "unauthenticated")
            || (status == StatusCode::FORBIDDEN && body["code"] == "forbidden"),
        "{status} {body}"
    );
}

/// The case: admin D logs in, `agora users revoke --email D --role admin` runs
/// elsewhere, and D's token may no longer grant store credit or refund payments.
async fn a_role_revoked_from_the_command_line_ends_the_tokens_that_carry_it(store: Store) {
    let app = spawn_app(store).await;
    let (d, other_admin, buyer) = (
        app.new_user().await,
        app.new_user().await,
        app.new_user().await,
    );
    cli(&app, true, &d.email, "admin", None).await;
    cli(&app, true, &other_admin.email, "admin", None).await;
    let (token, other_token) = (login(&app, &d).await, login(&app, &other_admin).await);
    let payment = captured_payment(&app, &buyer.id).await;
    assert_eq!(credit(&app, &token, &buyer.id).await.status(), 201);
    assert_eq!(refund(&app, &token, payment).await.status(), 200);

    cli(&app, false, &d.email, "admin", None).await;
    until_refused(&app, &token, PROPAGATION).await;
    assert_refused(credit(&app, &token, &buyer.id).await).await;
    assert_refused(refund(&app, &token, payment).await).await;

    // Another admin's token is not affected.
    assert_eq!(credit(&app, &other_token, &buyer.id).await.status(), 201);
    assert_eq!(refund(&app, &other_token, payment).await.status(), 200);
    // A fresh login works, without the role.
    let fresh = login(&app, &d).await;
    let profile: Value = me(&app, &fresh).await.json().await.unwrap();
    assert_eq!(profile["roles"], json!([]));
    assert_refused(credit(&app, &fresh, &buyer.id).await).await;
    assert_refused(refund(&app, &fresh, payment).await).await;
}

/// The same for the analyst and moderator roles: whatever role is taken back, the tokens
/// issued before go, and a new login carries the roles that remain.
async fn analyst_and_moderator_revocations_end_tokens_too(store: Store) {
    let app = spawn_app(store).await;
    let d = app.new_user().await;
    cli(&app, true, &d.email, "analyst", None).await;
    cli(&app, true, &d.email, "moderator", Some("chess")).await;
    let token = login(&app, &d).await;
    let profile: Value = me(&app, &token).await.json().await.unwrap();
    assert_eq!(profile["roles"], json!(["analyst", "moderator:chess"]));

    cli(&app, false, &d.email, "analyst", None).await;
    until_refused(&app, &token, PROPAGATION).await;
    let token = login(&app, &d).await;
    let profile: Value = me(&app, &token).await.json().await.unwrap();
    assert_eq!(profile["roles"], json!(["moderator:chess"]));

    cli(&app, false, &d.email, "moderator", Some("chess")).await;
    until_refused(&app, &token, PROPAGATION).await;
    let token = login(&app, &d).await;
    let profile: Value = me(&app, &token).await.json().await.unwrap();
    assert_eq!(profile["roles"], json!([]));

    // A grant takes nothing away: the token issued before it keeps working (without the
    // role, until the next login or refresh).
    cli(&app, true, &d.email, "analyst", None).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(me(&app, &token).await.status(), StatusCode::OK);
}

/// `DELETE /sessions` ends the access token it is sent with (and only that one).
async fn logout_ends_the_access_token(store: Store) {
    let app = spawn_app(store).await;
    let user = app.new_user().await;
    let other_session = login(&app, &user).await;
    let someone = app.new_user().await;

    let r = app
        .client
        .delete(app.url("/api/v1/sessions"))
        .bearer_auth(&user.access_token)
        .json(&json!({ "refresh_token": user.refresh_token }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    until_refused(&app, &user.access_token, PROPAGATION).await;
    // Not even for a write.
    let r = app
        .client
        .patch(app.url("/api/v1/me"))
        .bearer_auth(&user.access_token)
        .json(&json!({ "display_name": "Still here" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // Its refresh token went with it.
    let r = app
        .client
        .post(app.url("/api/v1/sessions/refresh"))
        .json(&json!({ "refresh_token": user.refresh_token }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // The user's other session and other users are not affected.
    assert_eq!(me(&app, &other_session).await.status(), StatusCode::OK);
    assert_eq!(
        me(&app, &someone.access_token).await.status(),
        StatusCode::OK
    );
    // Logging out again with the dead token is harmless.
    let r = app
        .client
        .delete(app.url("/api/v1/sessions"))
        .bearer_auth(&user.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    // A cookie session ends the same way.
    let r = app
        .client
        .post(app.url("/api/v1/sessions?cookie=true"))
        .json(&json!({ "email": user.email, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    let pair = cookie.split(';').next().unwrap().to_owned();
    let with_cookie = |req: reqwest::RequestBuilder| req.header("cookie", pair.clone());
    let r = with_cookie(app.client.delete(app.url("/api/v1/sessions")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let deadline = tokio::time::Instant::now() + PROPAGATION;
    loop {
        let r = with_cookie(app.client.get(app.url("/api/v1/me")))
            .send()
            .await
            .unwrap();
        if r.status() == StatusCode::UNAUTHORIZED {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "cookie still works");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A password change ends every access token issued before it.
async fn a_password_change_ends_every_older_token(store: Store) {
    let app = spawn_app(store).await;
    let user = app.new_user().await;
    let second = login(&app, &user).await;
    let r = app
        .client
        .post(app.url("/api/v1/me/password"))
        .bearer_auth(&user.access_token)
        .json(&json!({ "current_password": PASSWORD, "new_password": "a brand new passphrase" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    until_refused(&app, &second, PROPAGATION).await;
    until_refused(&app, &user.access_token, PROPAGATION).await;
    let r = app.login(&user.email, "a brand new passphrase").await;
    let fresh = r.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(me(&app, &fresh).await.status(), StatusCode::OK);
}

common::on_both_stores!(
    a_role_revoked_from_the_command_line_ends_the_tokens_that_carry_it,
    analyst_and_moderator_revocations_end_tokens_too,
    logout_ends_the_access_token,
    a_password_change_ends_every_older_token,
);
