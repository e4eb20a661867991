//! Identity and access over HTTP, on SQLite and on PostgreSQL: sign-up (unique e-mail under a
//! race), login, tokens that are refused, refresh rotation, cross-user access, lock-outs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::time::{Duration, Instant};

use common::{PASSWORD, Store, TestApp, database_url, settings, spawn_app, spawn_with};
use http_kernel::AccessClaims;
use identity::application::SigningKey;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn assert_problem(r: reqwest::Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(r.status(), status);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    body
}

async fn me(app: &TestApp, token: &str) -> reqwest::Response {
    app.client
        .get(app.url("/api/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

fn server_key(app: &TestApp) -> SigningKey {
    SigningKey::load_or_generate(app.settings.identity.jwt_private_key_file.as_ref().unwrap())
        .unwrap()
}

fn claims(sub: &str, iat: i64, exp: i64) -> AccessClaims {
    AccessClaims {
        sub: sub.to_owned(),
        iss: "agora".into(),
        aud: "agora-api".into(),
        iat,
        exp,
        jti: "test".into(),
        roles: vec!["admin".into()],
        generation: 0,
    }
}

async fn register_login_and_me(store: Store) {
    let app = spawn_app(store).await;
    let r = app.register("Ada@Example.org", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert!(r.headers().contains_key("agora-position"));
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let r = app.login("ada@example.org", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let session: Value = r.json().await.unwrap();
    assert_eq!(session["token_type"], "Bearer");
    assert_eq!(session["expires_in"], 900);
    let token = session["access_token"].as_str().unwrap();

    let profile: Value = me(&app, token).await.json().await.unwrap();
    assert_eq!(profile["id"], id);
    assert_eq!(profile["email"], "ada@example.org");
    assert_eq!(profile["roles"], json!([]));
    assert!(profile.get("password_hash").is_none());

    // Wrong password and unknown account look alike.
    let r = app.login("ada@example.org", "wrong password").await;
    assert_problem(r, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let r = app.login("nobody@example.org", PASSWORD).await;
    assert_problem(r, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    // Weak passwords and bad addresses: 422.
    let r = app.register("bob@example.org", "short").await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let r = app.register("not-an-address", PASSWORD).await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

    // The JWK set names the key the token was signed with.
    let jwks: Value = app
        .client
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(jwks["keys"][0]["kid"], header.kid.unwrap());
    assert_eq!(jwks["keys"][0]["crv"], "Ed25519");

    // Profile and password changes; the old password stops working.
    let r = app
        .client
        .patch(app.url("/api/v1/me"))
        .bearer_auth(token)
        .json(&json!({ "display_name": "Ada L." }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .client
        .post(app.url("/api/v1/me/password"))
        .bearer_auth(token)
        .json(&json!({ "current_password": PASSWORD, "new_password": "a brand new passphrase" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        app.login("ada@example.org", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("ada@example.org", "a brand new passphrase")
            .await
            .status(),
        StatusCode::OK
    );
}

async fn parallel_sign_ups_of_one_address_create_one_account(store: Store) {
    let app = spawn_app(store).await;
    let attempts = (0..20).map(|_| app.register("race@example.org", PASSWORD));
    let responses = futures::future::join_all(attempts).await;
    let mut created = 0;
    let mut taken = 0;
    for r in responses {
        match r.status() {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => {
                assert_problem(r, StatusCode::CONFLICT, "email_taken").await;
                taken += 1;
            }
            other => panic!("unexpected {other}: {}", r.text().await.unwrap()),
        }
    }
    assert_eq!((created, taken), (1, 19));
    // Case does not make a second account either.
    let r = app.register("RACE@example.org", PASSWORD).await;
    assert_problem(r, StatusCode::CONFLICT, "email_taken").await;
}

async fn bad_tokens_are_refused(store: Store) {
    let app = spawn_app(store).await;
    let user = app.new_user().await;
    assert_eq!(me(&app, &user.access_token).await.status(), StatusCode::OK);
    let now = chrono::Utc::now().timestamp();

    // Missing.
    let r = app.client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_problem(r, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    // Expired, signed with the server's own key.
    let key = server_key(&app);
    let expired = key.sign(&claims(&user.id, now - 3600, now - 60)).unwrap();
    assert_problem(
        me(&app, &expired).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    // Tampered: the payload names someone else, the signature is the original's.
    let parts: Vec<&str> = user.access_token.split('.').collect();
    let mut payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    payload["roles"] = json!(["admin"]);
    let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&payload).unwrap());
    let tampered = format!("{}.{forged_payload}.{}", parts[0], parts[2]);
    assert_problem(
        me(&app, &tampered).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    // Signed by another key, under the server's kid and under its own.
    let other = SigningKey::generate().unwrap();
    let foreign = other.sign(&claims(&user.id, now, now + 600)).unwrap();
    assert_problem(
        me(&app, &foreign).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    let foreign_parts: Vec<&str> = foreign.split('.').collect();
    let header = URL_SAFE_NO_PAD
        .encode(json!({ "alg": "EdDSA", "typ": "JWT", "kid": key.kid() }).to_string());
    let wrong_key = format!("{header}.{}.{}", foreign_parts[1], foreign_parts[2]);
    assert_problem(
        me(&app, &wrong_key).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    // `alg: none`, unsigned.
    let none = URL_SAFE_NO_PAD
        .encode(json!({ "alg": "none", "typ": "JWT", "kid": key.kid() }).to_string());
    let unsigned = format!("{none}.{}.", parts[1]);
    assert_problem(
        me(&app, &unsigned).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    // Garbage, and a bad token on a route anonymous callers may use: still 401.
    assert_problem(
        me(&app, "not.a.token").await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    let r = app
        .client
        .get(app.url(&format!("/api/v1/products/{}", uuid::Uuid::now_v7())))
        .bearer_auth(&expired)
        .send()
        .await
        .unwrap();
    assert_problem(r, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}

async fn refresh_tokens_rotate_and_reuse_revokes_the_family(store: Store) {
    let app = spawn_app(store).await;
    let user = app.new_user().await;
    let refresh = |token: String| {
        let app = &app;
        async move {
            app.client
                .post(app.url("/api/v1/sessions/refresh"))
                .json(&json!({ "refresh_token": token }))
                .send()
                .await
                .unwrap()
        }
    };
    let r = refresh(user.refresh_token.clone()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let second: Value = r.json().await.unwrap();
    let second_refresh = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second_refresh, user.refresh_token);
    assert_eq!(
        me(&app, second["access_token"].as_str().unwrap())
            .await
            .status(),
        StatusCode::OK
    );

    // The first token again (a thief, or the client after one): refused, and the family dies.
    let r = refresh(user.refresh_token.clone()).await;
    assert_problem(r, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    let r = refresh(second_refresh).await;
    assert_problem(r, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    let r = refresh("made-up".into()).await;
    assert_problem(r, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}

async fn login_can_set_a_session_cookie(store: Store) {
    let app = spawn_app(store).await;
    let user = app.new_user().await;
    let r = app
        .client
        .post(app.url("/api/v1/sessions?cookie=true"))
        .json(&json!({ "email": user.email, "password": user.password }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("agora_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap().to_owned();
    let r = app
        .client
        .get(app.url("/api/v1/me"))
        .header("cookie", pair)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

async fn other_users_products_are_not_theirs_to_change(store: Store) {
    let app = spawn_app(store).await;
    let (seller, other) = (app.new_user().await, app.new_user().await);
    let r = app
        .client
        .post(app.url("/api/v1/products"))
        .bearer_auth(&seller.access_token)
        .json(
            &json!({ "title": "Lamp", "category": "home", "sku": "LAMP-1",
                       "price": { "amount_minor": 4500, "currency": "EUR" } }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let price = json!({ "price": { "amount_minor": 1, "currency": "EUR" } });
    for (method, path, body) in [
        (
            reqwest::Method::POST,
            format!("/api/v1/products/{id}/publish"),
            None,
        ),
        (
            reqwest::Method::POST,
            format!("/api/v1/products/{id}/price"),
            Some(price.clone()),
        ),
        (
            reqwest::Method::PATCH,
            format!("/api/v1/products/{id}"),
            Some(json!({ "title": "Mine" })),
        ),
    ] {
        let mut req = app
            .client
            .request(method.clone(), app.url(&path))
            .bearer_auth(&other.access_token);
        if let Some(b) = &body {
            req = req.json(b);
        }
        assert_problem(
            req.send().await.unwrap(),
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
        let mut req = app.client.request(method, app.url(&path));
        if let Some(b) = &body {
            req = req.json(b);
        }
        assert_problem(
            req.send().await.unwrap(),
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        )
        .await;
    }
    // Roles: only admins grant them.
    let r = app
        .client
        .put(app.url(&format!("/api/v1/users/{}/roles/admin", other.id)))
        .bearer_auth(&other.access_token)
        .send()
        .await
        .unwrap();
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
}

async fn a_password_brute_force_is_locked_out(store: Store) {
    let app = spawn_app(store).await;
    let user = app.new_user().await;
    for i in 0..5 {
        let r = app.login(&user.email, &format!("guess number {i}")).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // Locked: even the right password gets 429 now, so a hit cannot be recognised.
    let r = app.login(&user.email, &user.password).await;
    assert!(
        r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );
    assert_problem(r, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // Other accounts are unaffected.
    let other = app.new_user().await;
    assert_eq!(
        app.login(&other.email, &other.password).await.status(),
        StatusCode::OK
    );
}

/// Issue 20, item 8: a wrong current password on a password change was answered "e-mail address
/// or password is wrong", though the caller sent no address. It names the current password now
/// (the code stays `invalid_credentials`); a login keeps its vague message.
async fn a_wrong_current_password_is_named_as_such(store: Store) {
    let app = spawn_app(store).await;
    let user = app.new_user().await;
    let r = app
        .client
        .post(app.url("/api/v1/me/password"))
        .bearer_auth(&user.access_token)
        .json(&json!({ "current_password": "not my password", "new_password": "a brand new passphrase" }))
        .send()
        .await
        .unwrap();
    let body = assert_problem(r, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    assert_eq!(body["detail"], "the current password is wrong");
    // Nothing changed: the old password still logs in, the new one does not.
    assert_eq!(
        app.login(&user.email, PASSWORD).await.status(),
        StatusCode::OK
    );
    let r = app.login(&user.email, "a brand new passphrase").await;
    let body = assert_problem(r, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    assert_eq!(body["detail"], "e-mail address or password is wrong");
}

/// A 401 for a token and the challenge it carries (RFC 6750): the problem's code is
/// `unauthenticated`, and `WWW-Authenticate` says what was wrong.
async fn assert_challenge(r: reqwest::Response, challenge: &str) {
    let header = r.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert_eq!(header, challenge);
    let body = assert_problem(r, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.starts_with("authentication required"), "{body}");
}

fn refused(description: &str) -> String {
    format!(r#"Bearer realm="agora", error="invalid_token", error_description="{description}""#)
}

/// Issue 20, item 9: every token failure was a bare 401 "authentication required". A missing
/// token is challenged for one; a token that is not one, or one that was signed out, is
/// refused saying which.
async fn every_refused_token_says_why(store: Store) {
    let app = spawn_app(store).await;
    let user = app.new_user().await;

    let r = app.client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_challenge(r, r#"Bearer realm="agora""#).await;
    assert_challenge(
        me(&app, "not.a.token").await,
        &refused("the access token is not valid"),
    )
    .await;

    // Signed out: refused as revoked, on every process once it learns of it.
    assert_eq!(me(&app, &user.access_token).await.status(), StatusCode::OK);
    let r = app
        .client
        .delete(app.url("/api/v1/sessions"))
        .bearer_auth(&user.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let deadline = Instant::now() + Duration::from_secs(60);
    let r = loop {
        let r = me(&app, &user.access_token).await;
        if r.status() != StatusCode::OK {
            break r;
        }
        assert!(
            Instant::now() < deadline,
            "the signed-out token still works"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_challenge(r, &refused("the access token was revoked")).await;
}

/// An access token is accepted right after it is issued, until its `exp` plus the clock
/// leeway, and then refused as expired (served with `--access-token-ttl-secs 2`).
async fn an_expired_token_is_refused_as_expired(store: Store) {
    const TTL_SECS: u64 = 2;
    // Room for a slow machine between the token's expiry and the poll that sees it.
    const SLACK: Duration = Duration::from_secs(3);
    let mut config = settings(database_url(store).await);
    config.identity.access_token_ttl_secs = TTL_SECS;
    let app = spawn_with(config).await;
    let user = app.new_user().await;

    let before_issue = Instant::now();
    let r = app.login(&user.email, &user.password).await;
    assert_eq!(r.status(), StatusCode::OK);
    let session: Value = r.json().await.unwrap();
    assert_eq!(session["expires_in"], TTL_SECS);
    let token = session["access_token"].as_str().unwrap().to_owned();
    assert_eq!(me(&app, &token).await.status(), StatusCode::OK);

    // `exp` is in whole seconds: the token is accepted until the second after
    // issue + TTL + leeway, so refused no sooner than TTL + leeway - 1 s after `before_issue`.
    let leeway = Duration::from_secs(http_kernel::caller::LEEWAY_SECS);
    let ttl = Duration::from_secs(TTL_SECS);
    let deadline = before_issue + ttl + leeway + SLACK;
    let r = loop {
        let r = me(&app, &token).await;
        if r.status() != StatusCode::OK {
            break r;
        }
        assert!(
            Instant::now() < deadline,
            "the token still works {:?} after it was issued",
            before_issue.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let refused_after = before_issue.elapsed();
    assert!(
        refused_after + Duration::from_secs(1) >= ttl + leeway,
        "refused after {refused_after:?}, before its expiry and the leeway"
    );
    assert_challenge(r, &refused("the access token expired")).await;
}

common::on_both_stores!(
    a_wrong_current_password_is_named_as_such,
    every_refused_token_says_why,
    an_expired_token_is_refused_as_expired,
    register_login_and_me,
    parallel_sign_ups_of_one_address_create_one_account,
    bad_tokens_are_refused,
    refresh_tokens_rotate_and_reuse_revokes_the_family,
    login_can_set_a_session_cookie,
    other_users_products_are_not_theirs_to_change,
    a_password_brute_force_is_locked_out,
);
