//! The communities write side over HTTP, on SQLite and on PostgreSQL: who may post, vote and
//! moderate, bans that expire, and many voters on one post at once.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod common;

use std::time::Duration;

use common::{Store, TestApp, TestUser, spawn_app};
use event_schemas::communities::VoteEvent;
use http_kernel::AccessClaims;
use identity::application::SigningKey;
use infrastructure::database::{Database, PoolSizes};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared_kernel::{DomainEvent, StreamId};

/// An authenticated caller: a registered user's token, or one signed for a bare user id.
#[derive(Debug, Clone)]
struct Who {
    id: String,
    token: String,
}

impl From<&TestUser> for Who {
    fn from(u: &TestUser) -> Self {
        Self {
            id: u.id.clone(),
            token: u.access_token.clone(),
        }
    }
}

async fn user(app: &TestApp) -> Who {
    Who::from(&app.new_user().await)
}

/// Callers that need no account of their own: tokens signed with the server's key for fresh
/// user ids (the communities context never looks users up), so a test can have a hundred of
/// them without a hundred password hashes.
fn signed_users(app: &TestApp, n: usize) -> Vec<Who> {
    let key =
        SigningKey::load_or_generate(app.settings.identity.jwt_private_key_file.as_ref().unwrap())
            .unwrap();
    let now = chrono::Utc::now().timestamp();
    (0..n)
        .map(|_| {
            let id = uuid::Uuid::now_v7().to_string();
            let claims = AccessClaims {
                sub: id.clone(),
                iss: "agora".into(),
                aud: "agora-api".into(),
                iat: now,
                exp: now + 600,
                jti: uuid::Uuid::now_v7().to_string(),
                roles: vec![],
                generation: 0,
            };
            Who {
                id,
                token: key.sign(&claims).unwrap(),
            }
        })
        .collect()
}

async fn call(
    app: &TestApp,
    who: &Who,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app
        .client
        .request(method, app.url(path))
        .bearer_auth(&who.token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    req.send().await.unwrap()
}

/// Asserts the status (and for problems the code); returns the JSON body.
async fn expect(r: reqwest::Response, status: StatusCode, code: Option<&str>) -> Value {
    let actual = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(actual, status, "{text}");
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    if let Some(code) = code {
        assert_eq!(body["code"], code, "{text}");
    }
    body
}

async fn create_community(app: &TestApp, owner: &Who, name: &str, visibility: &str) {
    let r = call(
        app,
        owner,
        Method::POST,
        "/api/v1/communities",
        Some(json!({
            "name": name,
            "title": "A community",
            "description": "For tests",
            "rules": ["Be kind"],
            "visibility": visibility,
        })),
    )
    .await;
    assert_eq!(
        r.headers()["location"],
        format!("/api/v1/communities/{}", name.to_lowercase()).as_str()
    );
    let body = expect(r, StatusCode::CREATED, None).await;
    assert_eq!(body["name"], name.to_lowercase());
    assert!(body["id"].as_str().is_some());
}

async fn create_post(app: &TestApp, who: &Who, community: &str) -> reqwest::Response {
    call(
        app,
        who,
        Method::POST,
        &format!("/api/v1/communities/{community}/posts"),
        Some(json!({ "title": "Hello", "body": "First!" })),
    )
    .await
}

async fn new_post(app: &TestApp, who: &Who, community: &str) -> String {
    let body = expect(
        create_post(app, who, community).await,
        StatusCode::CREATED,
        None,
    )
    .await;
    body["id"].as_str().unwrap().to_owned()
}

async fn vote(app: &TestApp, who: &Who, post: &str, value: i32) -> reqwest::Response {
    call(
        app,
        who,
        Method::PUT,
        &format!("/api/v1/posts/{post}/vote"),
        Some(json!({ "value": value })),
    )
    .await
}

fn position(r: &reqwest::Response) -> u64 {
    r.headers()["agora-position"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

// ------------------------------------------------------------------ scenarios

async fn a_restricted_community_takes_posts_from_members_only(store: Store) {
    let app = spawn_app(store).await;
    let (owner, alice) = (user(&app).await, user(&app).await);
    create_community(&app, &owner, "Closed_Club", "restricted").await;

    // The name is taken whatever its case; a bad name is refused.
    let r = call(
        &app,
        &alice,
        Method::POST,
        "/api/v1/communities",
        Some(json!({ "name": "closed_club", "title": "Mine" })),
    )
    .await;
    expect(r, StatusCode::CONFLICT, Some("already_exists")).await;
    let r = call(
        &app,
        &alice,
        Method::POST,
        "/api/v1/communities",
        Some(json!({ "name": "no spaces!", "title": "Bad" })),
    )
    .await;
    expect(
        r,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("validation_failed"),
    )
    .await;

    let r = create_post(&app, &alice, "closed_club").await;
    expect(r, StatusCode::FORBIDDEN, Some("not_a_member")).await;
    // A restricted community admits members through its moderators only.
    let members = "/api/v1/communities/closed_club/members";
    let r = call(&app, &alice, Method::POST, members, None).await;
    expect(r, StatusCode::FORBIDDEN, Some("approval_required")).await;
    let r = call(
        &app,
        &owner,
        Method::POST,
        members,
        Some(json!({ "user_id": alice.id })),
    )
    .await;
    assert!(position(&r) > 0);
    let body = expect(r, StatusCode::OK, None).await;
    assert_eq!(body["member"], true);

    let r = create_post(&app, &alice, "closed_club").await;
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let body = expect(r, StatusCode::CREATED, None).await;
    assert_eq!(
        location,
        format!("/api/v1/posts/{}", body["id"].as_str().unwrap())
    );
    // The owner (a moderator) posts without having to join; a leaver cannot post any more.
    expect(
        create_post(&app, &owner, "closed_club").await,
        StatusCode::CREATED,
        None,
    )
    .await;
    let r = call(&app, &alice, Method::DELETE, members, None).await;
    expect(r, StatusCode::OK, None).await;
    let r = create_post(&app, &alice, "closed_club").await;
    expect(r, StatusCode::FORBIDDEN, Some("not_a_member")).await;

    let r = create_post(&app, &alice, "no_such_place").await;
    expect(r, StatusCode::NOT_FOUND, Some("not_found")).await;
}

async fn racing_creations_of_one_name_make_one_community(store: Store) {
    let app = spawn_app(store).await;
    let founders = signed_users(&app, 10);
    let attempts = founders.iter().enumerate().map(|(i, who)| {
        call(
            &app,
            who,
            Method::POST,
            "/api/v1/communities",
            // Any case: the name is the same.
            Some(json!({ "name": if i % 2 == 0 { "Race" } else { "race" }, "title": "Mine" })),
        )
    });
    let statuses: Vec<StatusCode> = futures::future::join_all(attempts)
        .await
        .iter()
        .map(reqwest::Response::status)
        .collect();
    let won = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let lost = statuses
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!((won, lost), (1, 9), "{statuses:?}");
}

async fn a_banned_user_cannot_post_or_vote_until_the_ban_expires(store: Store) {
    let app = spawn_app(store).await;
    let (owner, alice, bob) = (user(&app).await, user(&app).await, user(&app).await);
    create_community(&app, &owner, "town_square", "public").await;
    let post = new_post(&app, &owner, "town_square").await;

    let expires_at = chrono::Utc::now() + chrono::Duration::seconds(2);
    let ban = json!({ "user_id": alice.id, "reason": "spam", "expires_at": expires_at });
    let bans = "/api/v1/communities/town_square/bans";
    let r = call(&app, &bob, Method::POST, bans, Some(ban.clone())).await;
    expect(r, StatusCode::FORBIDDEN, Some("not_a_moderator")).await;
    let r = call(&app, &owner, Method::POST, bans, Some(ban)).await;
    expect(r, StatusCode::OK, None).await;

    expect(
        create_post(&app, &alice, "town_square").await,
        StatusCode::FORBIDDEN,
        Some("banned"),
    )
    .await;
    expect(
        vote(&app, &alice, &post, 1).await,
        StatusCode::FORBIDDEN,
        Some("banned"),
    )
    .await;
    let r = call(
        &app,
        &alice,
        Method::POST,
        &format!("/api/v1/posts/{post}/comments"),
        Some(json!({ "body": "let me in" })),
    )
    .await;
    expect(r, StatusCode::FORBIDDEN, Some("banned")).await;
    // Bob is not banned.
    expect(vote(&app, &bob, &post, 1).await, StatusCode::OK, None).await;

    // Nobody lifts the ban: it runs out.
    let wait = (expires_at - chrono::Utc::now())
        .to_std()
        .unwrap_or_default();
    tokio::time::sleep(wait + Duration::from_millis(200)).await;
    expect(
        create_post(&app, &alice, "town_square").await,
        StatusCode::CREATED,
        None,
    )
    .await;
    expect(vote(&app, &alice, &post, -1).await, StatusCode::OK, None).await;

    // A permanent ban, lifted by a moderator.
    let r = call(
        &app,
        &owner,
        Method::POST,
        bans,
        Some(json!({ "user_id": bob.id, "reason": "rude" })),
    )
    .await;
    expect(r, StatusCode::OK, None).await;
    expect(
        vote(&app, &bob, &post, 0).await,
        StatusCode::FORBIDDEN,
        Some("banned"),
    )
    .await;
    let r = call(
        &app,
        &owner,
        Method::DELETE,
        &format!("{bans}/{}", bob.id),
        None,
    )
    .await;
    expect(r, StatusCode::OK, None).await;
    expect(vote(&app, &bob, &post, 0).await, StatusCode::OK, None).await;
}

#[allow(clippy::too_many_lines)] // one story: authors, moderators and everyone else
async fn only_moderators_moderate_and_only_authors_edit(store: Store) {
    let app = spawn_app(store).await;
    let (owner, author, other) = (user(&app).await, user(&app).await, user(&app).await);
    create_community(&app, &owner, "workshop", "public").await;
    let post = new_post(&app, &author, "workshop").await;
    let post_path = format!("/api/v1/posts/{post}");

    let edit = json!({ "title": "Hello, edited", "body": "Second revision" });
    let r = call(&app, &other, Method::PATCH, &post_path, Some(edit.clone())).await;
    expect(r, StatusCode::FORBIDDEN, Some("not_the_author")).await;
    let r = call(&app, &other, Method::DELETE, &post_path, None).await;
    expect(r, StatusCode::FORBIDDEN, Some("not_the_author")).await;
    let r = call(&app, &author, Method::PATCH, &post_path, Some(edit)).await;
    expect(r, StatusCode::OK, None).await;

    // Every moderation route refuses a non-moderator.
    let reason = json!({ "reason": "off topic" });
    for action in ["remove", "restore", "lock", "unlock", "pin", "unpin"] {
        let r = call(
            &app,
            &other,
            Method::POST,
            &format!("{post_path}/{action}"),
            Some(reason.clone()),
        )
        .await;
        expect(r, StatusCode::FORBIDDEN, Some("not_a_moderator")).await;
    }
    // Only the owner appoints moderators.
    let moderators = "/api/v1/communities/workshop/moderators";
    let appoint = json!({ "user_id": other.id });
    let r = call(
        &app,
        &author,
        Method::POST,
        moderators,
        Some(appoint.clone()),
    )
    .await;
    expect(r, StatusCode::FORBIDDEN, Some("not_the_owner")).await;
    let r = call(&app, &owner, Method::POST, moderators, Some(appoint)).await;
    expect(r, StatusCode::OK, None).await;

    // Now `other` moderates: remove and restore (reversible), lock, pin.
    for action in ["remove", "restore", "lock", "pin"] {
        let r = call(
            &app,
            &other,
            Method::POST,
            &format!("{post_path}/{action}"),
            Some(reason.clone()),
        )
        .await;
        expect(r, StatusCode::OK, None).await;
    }
    let r = call(
        &app,
        &other,
        Method::POST,
        &format!("{post_path}/remove"),
        None,
    )
    .await;
    assert!(r.status().is_client_error(), "a removal needs a reason");

    let comments = format!("{post_path}/comments");
    let r = call(
        &app,
        &author,
        Method::POST,
        &comments,
        Some(json!({ "body": "anyone?" })),
    )
    .await;
    expect(r, StatusCode::CONFLICT, Some("locked")).await;
    let r = call(
        &app,
        &other,
        Method::POST,
        &format!("{post_path}/unlock"),
        None,
    )
    .await;
    expect(r, StatusCode::OK, None).await;
    let r = call(
        &app,
        &author,
        Method::POST,
        &comments,
        Some(json!({ "body": "anyone?" })),
    )
    .await;
    let top = expect(r, StatusCode::CREATED, None).await;
    let top_id = top["id"].as_str().unwrap().to_owned();
    assert_eq!(top["depth"], 0);
    let r = call(
        &app,
        &owner,
        Method::POST,
        &comments,
        Some(json!({ "body": "me", "parent_id": top_id })),
    )
    .await;
    let reply = expect(r, StatusCode::CREATED, None).await;
    assert_eq!(reply["depth"], 1);
    let reply_path = format!("/api/v1/comments/{}", reply["id"].as_str().unwrap());

    // Comments: only the author edits or deletes; only moderators remove.
    let r = call(
        &app,
        &author,
        Method::PATCH,
        &reply_path,
        Some(json!({ "body": "hijacked" })),
    )
    .await;
    expect(r, StatusCode::FORBIDDEN, Some("not_the_author")).await;
    let r = call(&app, &author, Method::DELETE, &reply_path, None).await;
    expect(r, StatusCode::FORBIDDEN, Some("not_the_author")).await;
    let r = call(
        &app,
        &author,
        Method::POST,
        &format!("{reply_path}/remove"),
        Some(reason.clone()),
    )
    .await;
    expect(r, StatusCode::FORBIDDEN, Some("not_a_moderator")).await;
    let r = call(
        &app,
        &other,
        Method::POST,
        &format!("{reply_path}/remove"),
        Some(reason.clone()),
    )
    .await;
    expect(r, StatusCode::OK, None).await;
    let r = call(
        &app,
        &owner,
        Method::PATCH,
        &reply_path,
        Some(json!({ "body": "edited" })),
    )
    .await;
    expect(r, StatusCode::CONFLICT, Some("removed")).await;
    let r = call(
        &app,
        &other,
        Method::POST,
        &format!("{reply_path}/restore"),
        Some(json!({ "reason": "fine after all" })),
    )
    .await;
    expect(r, StatusCode::OK, None).await;
    let r = call(
        &app,
        &owner,
        Method::PATCH,
        &reply_path,
        Some(json!({ "body": "edited" })),
    )
    .await;
    expect(r, StatusCode::OK, None).await;
    let r = call(
        &app,
        &author,
        Method::PUT,
        &format!("{reply_path}/vote"),
        Some(json!({ "value": 1 })),
    )
    .await;
    expect(r, StatusCode::OK, None).await;

    // Reports: anyone files, moderators resolve, once.
    let r = call(
        &app,
        &author,
        Method::POST,
        &format!("{reply_path}/reports"),
        Some(json!({ "reason": "spam" })),
    )
    .await;
    let report = expect(r, StatusCode::CREATED, None).await;
    let resolve = format!("/api/v1/reports/{}/resolve", report["id"].as_str().unwrap());
    let resolution = json!({ "resolution": "not spam" });
    let r = call(
        &app,
        &author,
        Method::POST,
        &resolve,
        Some(resolution.clone()),
    )
    .await;
    expect(r, StatusCode::FORBIDDEN, Some("not_a_moderator")).await;
    let r = call(
        &app,
        &other,
        Method::POST,
        &resolve,
        Some(resolution.clone()),
    )
    .await;
    expect(r, StatusCode::OK, None).await;
    let r = call(&app, &owner, Method::POST, &resolve, Some(resolution)).await;
    expect(r, StatusCode::CONFLICT, Some("already_resolved")).await;

    // The author deletes the post; nobody can vote on it any more.
    let r = call(&app, &author, Method::DELETE, &post_path, None).await;
    expect(r, StatusCode::OK, None).await;
    expect(
        vote(&app, &owner, &post, 1).await,
        StatusCode::FORBIDDEN,
        Some("forbidden"),
    )
    .await;

    let missing = format!("/api/v1/posts/{}", uuid::Uuid::now_v7());
    let r = call(
        &app,
        &owner,
        Method::PATCH,
        &missing,
        Some(json!({ "title": "x" })),
    )
    .await;
    expect(r, StatusCode::NOT_FOUND, Some("not_found")).await;
    let r = call(&app, &owner, Method::POST, &format!("{missing}/lock"), None).await;
    expect(r, StatusCode::NOT_FOUND, Some("not_found")).await;
}

async fn a_hundred_concurrent_voters_give_the_exact_score(store: Store) {
    let app = spawn_app(store).await;
    let owner = user(&app).await;
    create_community(&app, &owner, "arena", "public").await;
    let post = new_post(&app, &owner, "arena").await;
    let voters = signed_users(&app, 100);

    // Round 1: everyone up at once. Round 2: 30 change to down and 10 retract, at once.
    let round = |plan: Vec<(Who, i32)>| {
        let app = &app;
        let post = &post;
        async move {
            let requests = plan.iter().map(|(who, value)| vote(app, who, post, *value));
            let responses = futures::future::join_all(requests).await;
            let mut last = 0;
            for r in responses {
                last = last.max(position(&r));
                expect(r, StatusCode::OK, None).await;
            }
            last
        }
    };
    round(voters.iter().map(|v| (v.clone(), 1)).collect()).await;
    let second: Vec<(Who, i32)> = voters
        .iter()
        .enumerate()
        .filter_map(|(i, v)| match i {
            0..30 => Some((v.clone(), -1)),
            30..40 => Some((v.clone(), 0)),
            _ => None,
        })
        .collect();
    let last = round(second).await;

    // The store: each voter's stream folds to their vote, and the deltas sum exactly.
    let db = Database::open(&app.settings.storage.url(), PoolSizes { store: 2, read: 1 })
        .await
        .unwrap();
    let (mut score, mut ups, mut downs) = (0, 0, 0);
    for voter in &voters {
        let stream = StreamId::parse(&format!("vote-{post}_{}", voter.id)).unwrap();
        for recorded in db.store.read_stream(&stream, 1).await.unwrap() {
            let VoteEvent::Cast(cast) =
                VoteEvent::decode(&recorded.event_type, recorded.schema_version, recorded.data)
                    .unwrap();
            score += cast.value - cast.previous;
            ups += i32::from(cast.value == 1) - i32::from(cast.previous == 1);
            downs += i32::from(cast.value == -1) - i32::from(cast.previous == -1);
        }
    }
    assert_eq!((score, ups, downs), (30, 60, 30));

    // The read model may lag behind a burst of 140 writes by more than one bounded wait.
    let mut attempts = 0;
    let r = loop {
        let r = app
            .client
            .get(app.url(&format!("/api/v1/posts/{post}")))
            .header("agora-min-position", last.to_string())
            .send()
            .await
            .unwrap();
        attempts += 1;
        if r.status() != StatusCode::SERVICE_UNAVAILABLE || attempts == 10 {
            break r;
        }
    };
    let body = expect(r, StatusCode::OK, None).await;
    assert_eq!(
        (&body["score"], &body["ups"], &body["downs"]),
        (&json!(30), &json!(60), &json!(30)),
        "{body}"
    );
}

/// Issue 10: a ban stopped new posts, votes and comments, but the banned user's `PATCH` of
/// their own post or comment answered 200. Every write in the community is refused now
/// (edits, deletes, reports, comment votes), until the ban is lifted. Also (README): a public
/// community takes posts, comments and votes from any signed-in user, member or not.
#[allow(clippy::too_many_lines)] // one story: before, during and after the ban
async fn a_banned_user_cannot_edit_delete_or_report_their_own_content(store: Store) {
    let app = spawn_app(store).await;
    let (owner, alice) = (user(&app).await, user(&app).await);
    create_community(&app, &owner, "open_forum", "public").await;
    // Alice never joined: a public community takes her post, comment and vote.
    let post = new_post(&app, &alice, "open_forum").await;
    let r = call(
        &app,
        &alice,
        Method::POST,
        &format!("/api/v1/posts/{post}/comments"),
        Some(json!({ "body": "my own comment" })),
    )
    .await;
    let comment = expect(r, StatusCode::CREATED, None).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    expect(vote(&app, &alice, &post, 1).await, StatusCode::OK, None).await;

    let bans = "/api/v1/communities/open_forum/bans";
    let r = call(
        &app,
        &owner,
        Method::POST,
        bans,
        Some(json!({ "user_id": alice.id, "reason": "spam" })),
    )
    .await;
    expect(r, StatusCode::OK, None).await;

    let post_path = format!("/api/v1/posts/{post}");
    let comment_path = format!("/api/v1/comments/{comment}");
    let attempts = [
        (
            Method::PATCH,
            post_path.clone(),
            Some(json!({ "title": "Edited while banned" })),
        ),
        (
            Method::PATCH,
            comment_path.clone(),
            Some(json!({ "body": "edited while banned" })),
        ),
        (
            Method::PUT,
            format!("{comment_path}/vote"),
            Some(json!({ "value": 1 })),
        ),
        (
            Method::POST,
            format!("{post_path}/reports"),
            Some(json!({ "reason": "spite" })),
        ),
        (
            Method::POST,
            format!("{comment_path}/reports"),
            Some(json!({ "reason": "spite" })),
        ),
        (Method::DELETE, comment_path.clone(), None),
        (Method::DELETE, post_path.clone(), None),
    ];
    for (method, path, body) in &attempts {
        let r = call(&app, &alice, method.clone(), path, body.clone()).await;
        expect(r, StatusCode::FORBIDDEN, Some("banned")).await;
    }

    let r = call(
        &app,
        &owner,
        Method::DELETE,
        &format!("{bans}/{}", alice.id),
        None,
    )
    .await;
    expect(r, StatusCode::OK, None).await;
    for (method, path, body) in attempts {
        let r = call(&app, &alice, method.clone(), &path, body).await;
        let status = if method == Method::POST {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        expect(r, status, None).await;
    }
}

/// Issue 10: a post a moderator removed stayed fully readable by anyone (title and body),
/// while a removed comment hides its body. Its content now shows to its author and the
/// community's moderators only, until it is restored.
async fn a_removed_post_shows_its_content_to_its_author_and_moderators_only(store: Store) {
    let app = spawn_app(store).await;
    let (owner, author, reader) = (user(&app).await, user(&app).await, user(&app).await);
    create_community(&app, &owner, "reading_room", "public").await;
    let post = new_post(&app, &author, "reading_room").await;
    let post_path = format!("/api/v1/posts/{post}");
    let r = call(
        &app,
        &owner,
        Method::POST,
        &format!("{post_path}/remove"),
        Some(json!({ "reason": "off topic" })),
    )
    .await;
    let removed_at = position(&r);
    expect(r, StatusCode::OK, None).await;

    let read = |who: Option<Who>, at: u64| {
        let mut req = app
            .client
            .get(app.url(&post_path))
            .header("agora-min-position", at.to_string());
        if let Some(who) = who {
            req = req.bearer_auth(who.token);
        }
        async move { expect(req.send().await.unwrap(), StatusCode::OK, None).await }
    };
    for who in [None, Some(reader.clone())] {
        let body = read(who, removed_at).await;
        assert_eq!(body["removed"], true);
        assert_eq!(
            (&body["title"], &body["body"], &body["url"]),
            (&Value::Null, &Value::Null, &Value::Null),
            "{body}"
        );
        assert_eq!(
            body["author_id"],
            author.id.as_str(),
            "the post keeps its place"
        );
    }
    for who in [author.clone(), owner.clone()] {
        let body = read(Some(who), removed_at).await;
        assert_eq!(
            (&body["title"], &body["body"]),
            (&json!("Hello"), &json!("First!"))
        );
    }

    let r = call(
        &app,
        &owner,
        Method::POST,
        &format!("{post_path}/restore"),
        Some(json!({ "reason": "on topic after all" })),
    )
    .await;
    let restored_at = position(&r);
    expect(r, StatusCode::OK, None).await;
    assert_eq!(read(None, restored_at).await["title"], "Hello");
}

/// Issue 20: `"body": ""` made a text post (201) where a missing body was refused (422). A post
/// is text or link, never both nor neither: a blank body is no text, refused as a missing one
/// is, when posting and when editing.
async fn a_text_post_needs_a_body_that_is_not_blank(store: Store) {
    let app = spawn_app(store).await;
    let owner = user(&app).await;
    create_community(&app, &owner, "blank_page", "public").await;
    let posts = "/api/v1/communities/blank_page/posts";
    for (body, message) in [
        (
            json!({ "title": "Empty", "body": "" }),
            "body must not be blank",
        ),
        (
            json!({ "title": "Spaces", "body": " \n " }),
            "body must not be blank",
        ),
        (
            json!({ "title": "Nothing" }),
            "a post has either a body (text post) or a url (link post)",
        ),
        (
            json!({ "title": "Both", "body": "", "url": "https://example.com" }),
            "a post has either a body (text post) or a url (link post)",
        ),
    ] {
        let r = call(&app, &owner, Method::POST, posts, Some(body.clone())).await;
        let problem = expect(
            r,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("validation_failed"),
        )
        .await;
        assert_eq!(problem["detail"], message, "{body}");
    }
    let post = new_post(&app, &owner, "blank_page").await;
    let r = call(
        &app,
        &owner,
        Method::PATCH,
        &format!("/api/v1/posts/{post}"),
        Some(json!({ "body": "" })),
    )
    .await;
    let problem = expect(
        r,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("validation_failed"),
    )
    .await;
    assert_eq!(problem["detail"], "body must not be blank");
}

common::on_both_stores!(
    racing_creations_of_one_name_make_one_community,
    a_restricted_community_takes_posts_from_members_only,
    a_banned_user_cannot_post_or_vote_until_the_ban_expires,
    a_banned_user_cannot_edit_delete_or_report_their_own_content,
    a_removed_post_shows_its_content_to_its_author_and_moderators_only,
    only_moderators_moderate_and_only_authors_edit,
    a_hundred_concurrent_voters_give_the_exact_score,
    a_text_post_needs_a_body_that_is_not_blank,
);
