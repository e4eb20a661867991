//! The communities read side end to end over HTTP, on SQLite and on PostgreSQL: feeds in every
//! sort with keyset cursors, hot ranks by age (events applied to the projections with crafted
//! times), a deep comment tree paged by level and `max_depth`, removal and restore, the whole
//! journey of two users, and live comments over Server-Sent Events.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod common;

use std::time::Duration;

use chrono::{DateTime, Utc};
use common::{Store, TestApp, TestUser, spawn_app};
use communities::projections::{LiveComments, refresh_hot_ranks};
use event_schemas::communities::{
    CommentCreated, CommentDeleted, CommentEvent, ContentRef, PostCreated, PostEvent, VoteCast,
    VoteEvent,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared_kernel::ids::{CommentId, PostId, UserId};
use shared_kernel::{Cursor, DomainEvent, EventMetadata, Recorded, StreamId};
use sqlx::AnyPool;

// ---------------------------------------------------------------- HTTP helpers

/// A write as `user`; asserts a 2xx and returns the body and the write's position.
async fn write(
    app: &TestApp,
    user: &TestUser,
    method: Method,
    path: &str,
    body: Value,
) -> (Value, u64) {
    let r = app
        .client
        .request(method.clone(), app.url(path))
        .bearer_auth(&user.access_token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let position = r
        .headers()
        .get("agora-position")
        .map(|p| p.to_str().unwrap().parse::<u64>().unwrap());
    let text = r.text().await.unwrap();
    assert!(status.is_success(), "{method} {path}: {status}: {text}");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    (body, position.expect("a write answers with Agora-Position"))
}

/// A GET that waits for the read models to reach `position`; asserts 200.
async fn read(app: &TestApp, path: &str, position: u64) -> Value {
    let r = get(app, path, position, None).await;
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "GET {path}: {text}");
    serde_json::from_str(&text).unwrap()
}

async fn get(
    app: &TestApp,
    path: &str,
    position: u64,
    user: Option<&TestUser>,
) -> reqwest::Response {
    let mut req = app
        .client
        .get(app.url(path))
        .header("agora-min-position", position.to_string());
    if let Some(u) = user {
        req = req.bearer_auth(&u.access_token);
    }
    req.send().await.unwrap()
}

async fn create_community(app: &TestApp, owner: &TestUser, name: &str) -> u64 {
    write(
        app,
        owner,
        Method::POST,
        "/api/v1/communities",
        json!({ "name": name, "title": format!("All about {name}"), "description": "a test community" }),
    )
    .await
    .1
}

async fn create_post(
    app: &TestApp,
    author: &TestUser,
    community: &str,
    title: &str,
) -> (String, u64) {
    let (body, position) = write(
        app,
        author,
        Method::POST,
        &format!("/api/v1/communities/{community}/posts"),
        json!({ "title": title, "body": format!("{title}, at length") }),
    )
    .await;
    (body["id"].as_str().unwrap().to_owned(), position)
}

async fn vote(app: &TestApp, voter: &TestUser, target: &str, value: i32) -> u64 {
    write(
        app,
        voter,
        Method::PUT,
        &format!("/api/v1/{target}/vote"),
        json!({ "value": value }),
    )
    .await
    .1
}

/// Every page of a list, following `next_cursor`; the ids of the items in order.
async fn all_pages(app: &TestApp, path: &str, position: u64) -> (Vec<String>, usize) {
    let mut ids = Vec::new();
    let mut pages = 0;
    let mut cursor: Option<String> = None;
    loop {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = match &cursor {
            Some(c) => format!("{path}{sep}cursor={c}"),
            None => path.to_owned(),
        };
        let page = read(app, &url, position).await;
        pages += 1;
        for item in page["items"].as_array().unwrap() {
            ids.push(item["id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return (ids, pages),
        }
        assert!(pages < 100, "pagination does not end");
    }
}

fn ids_of(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

fn name(prefix: &str) -> String {
    format!(
        "{prefix}_{}",
        &uuid::Uuid::now_v7().simple().to_string()[20..]
    )
}

// ---------------------------------------------------------------- direct projection helpers

/// Applies events straight to the communities read models of a running app, with the times
/// a test needs (posts days old, comment trees too large to create over HTTP in a test).
struct Direct {
    pool: AnyPool,
    live: LiveComments,
    position: u64,
}

impl Direct {
    async fn open(app: &TestApp) -> Self {
        sqlx::any::install_default_drivers();
        let pool = sqlx::any::AnyPoolOptions::new()
            .max_connections(2)
            .connect(&app.settings.storage.url())
            .await
            .unwrap();
        Self {
            pool,
            live: LiveComments::new(),
            position: 1_000_000_000,
        }
    }

    async fn apply(
        &mut self,
        stream: StreamId,
        version: u64,
        event: &impl DomainEvent,
        at: DateTime<Utc>,
    ) {
        let recorded = self.recorded(stream, version, event, at);
        self.apply_recorded(&recorded).await;
    }

    /// The event as the store would have recorded it, at a position of its own.
    fn recorded(
        &mut self,
        stream: StreamId,
        version: u64,
        event: &impl DomainEvent,
        at: DateTime<Utc>,
    ) -> Recorded {
        self.position += 1;
        Recorded {
            event_id: uuid::Uuid::now_v7(),
            stream_id: stream,
            stream_version: version,
            position: self.position,
            cursor: Cursor::new(self.position, self.position),
            event_type: event.event_type().to_owned(),
            schema_version: event.schema_version(),
            data: event.to_data().unwrap(),
            metadata: EventMetadata::default(),
            recorded_at: at,
        }
    }

    async fn apply_recorded(&self, recorded: &Recorded) {
        let mut tx = self.pool.begin().await.unwrap();
        // Write first, as the projector does: on SQLite the transaction then takes the write
        // lock (waiting for it) at once, instead of failing to upgrade from a read later.
        sqlx::query("UPDATE communities_posts SET id = id WHERE 1 = 0")
            .execute(&mut *tx)
            .await
            .unwrap();
        for projection in communities::projections::all(&self.live) {
            projection.apply(&mut tx, recorded).await.unwrap();
        }
        tx.commit().await.unwrap();
    }

    async fn post(&mut self, community: &str, title: &str, at: DateTime<Utc>) -> PostId {
        let post_id = PostId::new();
        let event = PostEvent::Created(PostCreated {
            post_id,
            community_id: communities::domain::community_id_for(community),
            community_name: community.to_owned(),
            author_id: UserId::new(),
            title: title.to_owned(),
            body: Some("body".into()),
            url: None,
        });
        self.apply(StreamId::of("post", post_id), 1, &event, at)
            .await;
        post_id
    }

    /// `ups` upvotes and `downs` downvotes from new voters.
    async fn votes(
        &mut self,
        community: &str,
        target: ContentRef,
        post_id: PostId,
        ups: u32,
        downs: u32,
    ) {
        for i in 0..ups + downs {
            let voter_id = UserId::new();
            let event = VoteEvent::Cast(VoteCast {
                target,
                post_id,
                community_id: communities::domain::community_id_for(community),
                voter_id,
                value: if i < ups { 1 } else { -1 },
                previous: 0,
            });
            let stream = StreamId::of("vote", format!("{}_{voter_id}", target.uuid()));
            self.apply(stream, 1, &event, Utc::now()).await;
        }
    }

    async fn comment(
        &mut self,
        community: &str,
        post_id: PostId,
        parent: Option<(&CommentId, &str, u32)>,
        at: DateTime<Utc>,
    ) -> (CommentId, String, u32) {
        let comment_id = CommentId::new();
        let (path, depth) = match parent {
            None => (comment_id.to_string(), 0),
            Some((_, parent_path, parent_depth)) => {
                (format!("{parent_path}.{comment_id}"), parent_depth + 1)
            }
        };
        let event = CommentEvent::Created(CommentCreated {
            comment_id,
            post_id,
            community_id: communities::domain::community_id_for(community),
            parent_id: parent.map(|(id, _, _)| *id),
            author_id: UserId::new(),
            body: format!("comment at depth {depth}"),
            path: path.clone(),
            depth,
        });
        self.apply(StreamId::of("comment", comment_id), 1, &event, at)
            .await;
        (comment_id, path, depth)
    }
}

fn ago(seconds: i64) -> DateTime<Utc> {
    Utc::now() - chrono::Duration::seconds(seconds)
}

// ---------------------------------------------------------------- live streams

/// A post's live comment stream, read event by event.
struct LiveStream {
    response: reqwest::Response,
    buffer: String,
}

impl LiveStream {
    /// Connects, resuming after `last_event_id` when given; asserts 200.
    async fn open(app: &TestApp, post: &str, last_event_id: Option<&str>) -> Self {
        let mut request = app
            .client
            .get(app.url(&format!("/api/v1/posts/{post}/comments/live")));
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next `comment` event: its `id` and its data's `body` (keep-alives skipped).
    async fn next(&mut self) -> (String, String) {
        let read = tokio::time::timeout(Duration::from_secs(60), async {
            loop {
                if let Some(end) = self.buffer.find("\n\n") {
                    let event: String = self.buffer.drain(..end + 2).collect();
                    let field = |name: &str| {
                        event
                            .lines()
                            .find_map(|l| l.strip_prefix(name))
                            .map(str::to_owned)
                    };
                    if let (Some(id), Some(data)) = (field("id: "), field("data: ")) {
                        assert_eq!(field("event: ").as_deref(), Some("comment"), "{event}");
                        let data: Value = serde_json::from_str(&data).unwrap();
                        return (id, data["body"].as_str().unwrap().to_owned());
                    }
                    continue;
                }
                let chunk = self
                    .response
                    .chunk()
                    .await
                    .unwrap()
                    .expect("the stream ended");
                self.buffer.push_str(&String::from_utf8_lossy(&chunk));
            }
        })
        .await;
        read.unwrap_or_else(|_| panic!("no comment event within 10 s; got {:?}", self.buffer))
    }

    /// The next `n` events.
    async fn take(&mut self, n: usize) -> Vec<(String, String)> {
        let mut events = Vec::new();
        for _ in 0..n {
            events.push(self.next().await);
        }
        events
    }
}

async fn comment(app: &TestApp, user: &TestUser, post: &str, body: &str) {
    write(
        app,
        user,
        Method::POST,
        &format!("/api/v1/posts/{post}/comments"),
        json!({ "body": body }),
    )
    .await;
}

fn numbered(events: &[(u32, &str)]) -> Vec<(String, String)> {
    events
        .iter()
        .map(|(id, body)| (id.to_string(), (*body).to_owned()))
        .collect()
}

// ---------------------------------------------------------------- scenarios

/// Four posts with known votes: every sort's order, the same order page by page with cursors,
/// counters on the post, and karma.
async fn feeds_order_posts_by_votes_in_every_sort(store: Store) {
    let app = spawn_app(store).await;
    let (author, v1, v2, v3, v4) = (
        app.new_user().await,
        app.new_user().await,
        app.new_user().await,
        app.new_user().await,
        app.new_user().await,
    );
    let c = name("rank");
    create_community(&app, &author, &c).await;
    let (p1, _) = create_post(&app, &author, &c, "three ups").await;
    let (p2, _) = create_post(&app, &author, &c, "two ups two downs").await;
    let (p3, _) = create_post(&app, &author, &c, "one up").await;
    let (p4, _) = create_post(&app, &author, &c, "no votes, newest").await;
    let mut last = 0;
    for (voter, post, value) in [
        (&v1, &p1, 1),
        (&v2, &p1, 1),
        (&v3, &p1, 1),
        (&v1, &p2, 1),
        (&v2, &p2, 1),
        (&v3, &p2, -1),
        (&v4, &p2, -1),
        (&v1, &p3, 1),
        // A changed mind: up, then retracted, then up again counts once.
        (&v4, &p3, 1),
        (&v4, &p3, 0),
    ] {
        last = vote(&app, voter, &format!("posts/{post}"), value).await;
    }
    let feed = |sort: &str| format!("/api/v1/communities/{c}/posts?sort={sort}");
    let expect = |ids: &[&String]| ids.iter().map(|s| (*s).clone()).collect::<Vec<_>>();

    let new = read(&app, &feed("new"), last).await;
    assert_eq!(ids_of(&new), expect(&[&p4, &p3, &p2, &p1]));
    // top: by score, ties (p2 and p4 at 0) newest first.
    assert_eq!(
        ids_of(&read(&app, &feed("top"), last).await),
        expect(&[&p1, &p3, &p4, &p2])
    );
    assert_eq!(
        ids_of(&read(&app, &feed("top&t=day"), last).await),
        expect(&[&p1, &p3, &p4, &p2])
    );
    // hot: all about as old, so by score; at equal score the newer first.
    assert_eq!(
        ids_of(&read(&app, &feed("hot"), last).await),
        expect(&[&p1, &p3, &p4, &p2])
    );
    // controversial: only p2 has votes both ways; the rest tie at 0.
    assert_eq!(
        ids_of(&read(&app, &feed("controversial"), last).await),
        expect(&[&p2, &p4, &p3, &p1])
    );

    // Page by page with cursors: the same order, nothing lost or repeated.
    for (sort, order) in [
        ("new", expect(&[&p4, &p3, &p2, &p1])),
        ("top", expect(&[&p1, &p3, &p4, &p2])),
        ("hot", expect(&[&p1, &p3, &p4, &p2])),
        ("controversial", expect(&[&p2, &p4, &p3, &p1])),
    ] {
        let (ids, pages) = all_pages(&app, &format!("{}&limit=1", feed(sort)), last).await;
        assert_eq!(ids, order, "{sort} page by page");
        assert_eq!(pages, 4, "{sort}");
        let (ids, pages) = all_pages(&app, &format!("{}&limit=3", feed(sort)), last).await;
        assert_eq!((ids, pages), (order, 2), "{sort} by 3");
    }

    let post2 = read(&app, &format!("/api/v1/posts/{p2}"), last).await;
    assert_eq!(
        (
            post2["score"].as_i64(),
            post2["ups"].as_i64(),
            post2["downs"].as_i64()
        ),
        (Some(0), Some(2), Some(2))
    );
    assert_eq!(post2["comment_count"], 0);
    assert_eq!(post2["title"], "two ups two downs");
    let post3 = read(&app, &format!("/api/v1/posts/{p3}"), last).await;
    assert_eq!(
        (post3["score"].as_i64(), post3["ups"].as_i64()),
        (Some(1), Some(1))
    );

    let karma = read(&app, &format!("/api/v1/users/{}/karma", author.id), last).await;
    assert_eq!(karma["total"], 4, "{karma}");
    assert_eq!(karma["items"][0]["community_name"], c.as_str());
    assert_eq!(karma["items"][0]["karma"], 4);

    // Bad queries answer problem+json.
    let r = get(&app, &format!("{}&cursor=bogus", feed("hot")), last, None).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "invalid_cursor");
    let cursor = read(&app, &format!("{}&limit=1", feed("new")), last).await["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = get(
        &app,
        &format!("{}&cursor={cursor}", feed("top")),
        last,
        None,
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "a cursor of another sort"
    );
    let r = get(&app, &feed("best"), last, None).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = get(&app, &format!("{}&limit=many", feed("new")), last, None).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = get(&app, "/api/v1/communities/nowhere_at_all/posts", last, None).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // One paging rule (issue 19): a limit over 100 is refused, no longer capped.
    let r = get(&app, &format!("{}&limit=1000", feed("new")), last, None).await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "limit is refused, not capped"
    );
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "validation_failed"
    );
}

/// Hot ranks by age: a fresh post beats a day-old one with more votes; a week-old and a
/// future-dated post rank 0; the refresh job decays and expires ranks.
async fn hot_ranks_decay_with_age_and_the_job_refreshes_them(store: Store) {
    let app = spawn_app(store).await;
    let owner = app.new_user().await;
    let c = name("hot");
    let created = create_community(&app, &owner, &c).await;
    let mut direct = Direct::open(&app).await;
    let community_id = communities::domain::community_id_for(&c);
    let _ = community_id;

    let ancient = direct
        .post(&c, "eight days old, 100 up", ago(8 * 24 * 3600))
        .await;
    direct
        .votes(&c, ContentRef::Post(ancient), ancient, 100, 0)
        .await;
    let old = direct
        .post(&c, "thirty hours old, 20 up", ago(30 * 3600))
        .await;
    direct.votes(&c, ContentRef::Post(old), old, 20, 0).await;
    let fresh = direct.post(&c, "an hour old, 2 up", ago(3600)).await;
    direct.votes(&c, ContentRef::Post(fresh), fresh, 2, 0).await;
    let future = direct
        .post(
            &c,
            "from a clock ahead, 5 up",
            Utc::now() + chrono::Duration::hours(1),
        )
        .await;
    direct
        .votes(&c, ContentRef::Post(future), future, 5, 0)
        .await;
    let [ancient, old, fresh, future] = [ancient, old, fresh, future].map(|p| p.to_string());

    let feed = |sort: &str| format!("/api/v1/communities/{c}/posts?sort={sort}");
    let hot = read(&app, &feed("hot"), created).await;
    // The zeros tie; newest id first.
    assert_eq!(
        ids_of(&hot),
        vec![fresh.clone(), old.clone(), future.clone(), ancient.clone()]
    );
    let ranks: Vec<f64> = hot["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["hot_rank"].as_f64().unwrap())
        .collect();
    let expected_fresh = 4_f64.log10() / 3_f64.powf(1.8);
    assert!((ranks[0] - expected_fresh).abs() < 1e-3, "{ranks:?}");
    assert!(ranks[1] > 0.0 && ranks[1] < ranks[0]);
    assert_eq!(&ranks[2..], &[0.0, 0.0]);

    assert_eq!(
        ids_of(&read(&app, &feed("top"), created).await),
        vec![ancient.clone(), old.clone(), future.clone(), fresh.clone()]
    );
    assert_eq!(
        ids_of(&read(&app, &feed("top&t=week"), created).await),
        vec![old.clone(), future.clone(), fresh.clone()]
    );
    assert_eq!(
        ids_of(&read(&app, &feed("top&t=day"), created).await),
        vec![future.clone(), fresh.clone()]
    );
    assert_eq!(
        ids_of(&read(&app, &feed("new"), created).await),
        vec![future.clone(), fresh.clone(), old.clone(), ancient.clone()]
    );

    // Two days on, the job has decayed everything; eight days on, everything is 0.
    let refreshed = refresh_hot_ranks(&direct.pool, Utc::now() + chrono::Duration::days(2))
        .await
        .unwrap();
    assert!(refreshed.recomputed >= 3, "{refreshed:?}");
    let later = read(&app, &feed("hot"), created).await;
    let later_fresh = later["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == fresh.as_str())
        .unwrap()["hot_rank"]
        .as_f64()
        .unwrap();
    assert!(
        later_fresh > 0.0 && later_fresh < ranks[0] / 10.0,
        "{later_fresh}"
    );
    // The future post is now in the past: it ranks.
    assert_eq!(ids_of(&later)[0], future);

    let expired = refresh_hot_ranks(&direct.pool, Utc::now() + chrono::Duration::days(8))
        .await
        .unwrap();
    assert!(expired.expired >= 3, "{expired:?}");
    let zeros = read(&app, &feed("hot"), created).await;
    assert!(
        zeros["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["hot_rank"].as_f64() == Some(0.0))
    );

    // Back to now: the same order as at first.
    refresh_hot_ranks(&direct.pool, Utc::now()).await.unwrap();
    assert_eq!(
        ids_of(&read(&app, &feed("hot"), created).await),
        ids_of(&hot)
    );
}

/// A chain 30 deep plus many siblings: pages by cursor over one level, descendants to
/// `max_depth`, a comment's replies by `parent_id`, deleted comments keep their place.
async fn a_deep_comment_tree_pages_by_level_and_depth(store: Store) {
    let app = spawn_app(store).await;
    let owner = app.new_user().await;
    let c = name("tree");
    let created = create_community(&app, &owner, &c).await;
    let mut direct = Direct::open(&app).await;
    let post = direct.post(&c, "a long thread", ago(3600)).await;

    // The chain: root (the oldest top-level comment) and 29 replies below it, one per level.
    let mut chain = vec![direct.comment(&c, post, None, ago(3000)).await];
    for level in 1..30 {
        let (id, path, depth) = chain.last().cloned().unwrap();
        chain.push(
            direct
                .comment(&c, post, Some((&id, &path, depth)), ago(3000 - level))
                .await,
        );
    }
    // 44 more top-level comments, newer than the root.
    let mut top_level = vec![chain[0].0];
    for i in 0..44 {
        top_level.push(direct.comment(&c, post, None, ago(2000 - i)).await.0);
    }
    // 25 more replies to the root, beside chain[1].
    let (root_id, root_path, _) = chain[0].clone();
    for i in 0..25 {
        direct
            .comment(&c, post, Some((&root_id, &root_path, 0)), ago(1000 - i))
            .await;
    }
    // A well-liked top-level comment comes first in `top`.
    let liked = top_level[7];
    direct
        .votes(&c, ContentRef::Comment(liked), post, 3, 0)
        .await;
    // chain[1] is deleted: it keeps its place and its replies.
    let deleted = CommentEvent::Deleted(CommentDeleted {
        comment_id: chain[1].0,
        post_id: post,
        community_id: communities::domain::community_id_for(&c),
        author_id: UserId::new(),
    });
    direct
        .apply(StreamId::of("comment", chain[1].0), 2, &deleted, Utc::now())
        .await;

    let base = format!("/api/v1/posts/{post}/comments");
    // Top level, 20 a page, newest first: 45 comments in 3 pages, no repeats.
    let (ids, pages) = all_pages(
        &app,
        &format!("{base}?sort=new&limit=20&max_depth=0"),
        created,
    )
    .await;
    assert_eq!(pages, 3);
    let mut expected: Vec<String> = top_level.iter().map(ToString::to_string).collect();
    expected.reverse();
    assert_eq!(ids, expected);

    let top = read(
        &app,
        &format!("{base}?sort=top&limit=5&max_depth=0"),
        created,
    )
    .await;
    assert_eq!(top["items"][0]["id"], liked.to_string());
    assert_eq!(top["items"][0]["score"], 3);
    assert_eq!(top["items"][0]["replies"], json!([]));
    assert_eq!(top["items"][0]["more_replies"], false);

    // The root's subtree to depth 5: levels 0..=5 and no deeper, more to fetch below.
    let (root_page, depth_of) = {
        let page = read(
            &app,
            &format!("{base}?sort=new&limit=100&max_depth=5"),
            created,
        )
        .await;
        let root = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == root_id.to_string())
            .unwrap()
            .clone();
        (root, |mut node: &Value| {
            let mut levels = 0;
            // Follow the chain (the oldest reply at each level: `new` puts it last).
            while let Some(last) = node["replies"].as_array().and_then(|r| r.last()) {
                node = last;
                levels += 1;
            }
            (levels, node.clone())
        })
    };
    assert_eq!(root_page["child_count"], 26);
    assert_eq!(
        root_page["replies"].as_array().unwrap().len(),
        26,
        "all of the root's replies"
    );
    let chain1 = root_page["replies"].as_array().unwrap().last().unwrap();
    assert_eq!(chain1["id"], chain[1].0.to_string());
    assert_eq!(chain1["deleted"], true);
    assert_eq!(chain1["body"], Value::Null);
    let (levels, deepest) = depth_of(&root_page);
    assert_eq!(levels, 5);
    assert_eq!(deepest["id"], chain[5].0.to_string());
    assert_eq!(deepest["depth"], 5);
    assert_eq!(deepest["more_replies"], true);

    // The root's replies page by page (26 of them, 10 a page), oldest-first is `new` reversed.
    let (reply_ids, pages) = all_pages(
        &app,
        &format!("{base}?sort=new&limit=10&max_depth=0&parent_id={root_id}"),
        created,
    )
    .await;
    assert_eq!((reply_ids.len(), pages), (26, 3));
    assert_eq!(reply_ids.last().unwrap(), &chain[1].0.to_string());

    // Continue the thread from chain[10]: its reply and everything below, 19 levels.
    let deep = read(
        &app,
        &format!("{base}?max_depth=50&parent_id={}", chain[10].0),
        created,
    )
    .await;
    assert_eq!(ids_of(&deep), vec![chain[11].0.to_string()]);
    let (levels, bottom) = depth_of(&deep["items"][0]);
    assert_eq!(levels, 18);
    assert_eq!(bottom["id"], chain[29].0.to_string());
    assert_eq!(bottom["depth"], 29);
    assert_eq!(bottom["more_replies"], false);

    let r = get(&app, &format!("{base}?max_depth=500"), created, None).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = get(
        &app,
        &format!("{base}?parent_id={}", CommentId::new()),
        created,
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

/// A removed post leaves the feed and comes back when restored; the modlog says who, what,
/// why and when.
async fn a_removed_post_leaves_the_feed_and_returns_when_restored(store: Store) {
    let app = spawn_app(store).await;
    let moderator = app.new_user().await;
    let author = app.new_user().await;
    let c = name("mod");
    create_community(&app, &moderator, &c).await;
    let (kept, _) = create_post(&app, &author, &c, "kept").await;
    let (removed, _) = create_post(&app, &author, &c, "to be removed").await;
    let feed = format!("/api/v1/communities/{c}/posts?sort=new");

    let (_, at) = write(
        &app,
        &moderator,
        Method::POST,
        &format!("/api/v1/posts/{removed}/remove"),
        json!({ "reason": "off topic" }),
    )
    .await;
    assert_eq!(ids_of(&read(&app, &feed, at).await), vec![kept.clone()]);
    for sort in ["hot", "top", "controversial"] {
        let page = read(
            &app,
            &format!("/api/v1/communities/{c}/posts?sort={sort}"),
            at,
        )
        .await;
        assert_eq!(ids_of(&page), vec![kept.clone()], "{sort}");
    }
    let post = read(&app, &format!("/api/v1/posts/{removed}"), at).await;
    assert_eq!(post["removed"], true);

    let (_, at) = write(
        &app,
        &moderator,
        Method::POST,
        &format!("/api/v1/posts/{removed}/restore"),
        json!({ "reason": "on topic after all" }),
    )
    .await;
    assert_eq!(
        ids_of(&read(&app, &feed, at).await),
        vec![removed.clone(), kept.clone()]
    );
    assert_eq!(
        read(&app, &format!("/api/v1/posts/{removed}"), at).await["removed"],
        false
    );

    let modlog = read(&app, &format!("/api/v1/communities/{c}/modlog"), at).await;
    let entries = modlog["items"].as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(&actions[..2], &["restore_post", "remove_post"], "{modlog}");
    assert_eq!(entries[1]["moderator_id"], moderator.id.as_str());
    assert_eq!(entries[1]["reason"], "off topic");
    assert_eq!(
        entries[1]["target"],
        json!({ "kind": "post", "id": removed })
    );
    assert!(entries[1]["at"].as_str().unwrap().ends_with('Z'));
    // The modlog pages like every list.
    let (ids, _) = all_pages(&app, &format!("/api/v1/communities/{c}/modlog?limit=1"), at).await;
    assert_eq!(ids.len(), entries.len());
}

/// Done when: two users create a community, post, comment in a thread, vote; a moderator
/// removes and restores; reports reach the moderators only; all over HTTP.
async fn two_users_build_a_thread_and_a_moderator_steps_in(store: Store) {
    let app = spawn_app(store).await;
    let alice = app.new_user().await;
    let bob = app.new_user().await;
    let c = name("journey");
    create_community(&app, &alice, &c).await;
    let (_, at) = write(
        &app,
        &bob,
        Method::POST,
        &format!("/api/v1/communities/{c}/members"),
        json!({}),
    )
    .await;
    let community = read(&app, &format!("/api/v1/communities/{c}"), at).await;
    assert_eq!(community["name"], c.as_str());
    assert_eq!(community["owner_id"], alice.id.as_str());
    assert_eq!(community["moderators"], json!([alice.id]));
    assert!(community["member_count"].as_i64().unwrap() >= 1);

    let (post, _) = create_post(&app, &bob, &c, "Bob asks").await;
    let (answer, _) = write(
        &app,
        &alice,
        Method::POST,
        &format!("/api/v1/posts/{post}/comments"),
        json!({ "body": "Alice answers" }),
    )
    .await;
    let answer = answer["id"].as_str().unwrap().to_owned();
    let (reply, _) = write(
        &app,
        &bob,
        Method::POST,
        &format!("/api/v1/posts/{post}/comments"),
        json!({ "body": "Bob thanks", "parent_id": answer }),
    )
    .await;
    let reply = reply["id"].as_str().unwrap().to_owned();
    vote(&app, &alice, &format!("posts/{post}"), 1).await;
    let at = vote(&app, &bob, &format!("comments/{answer}"), 1).await;

    let thread = read(&app, &format!("/api/v1/posts/{post}/comments"), at).await;
    assert_eq!(ids_of(&thread), vec![answer.clone()]);
    assert_eq!(thread["items"][0]["body"], "Alice answers");
    assert_eq!(thread["items"][0]["score"], 1);
    assert_eq!(thread["items"][0]["replies"][0]["id"], reply.as_str());
    assert_eq!(thread["items"][0]["replies"][0]["depth"], 1);
    let shown = read(&app, &format!("/api/v1/posts/{post}"), at).await;
    assert_eq!(
        (shown["score"].as_i64(), shown["comment_count"].as_i64()),
        (Some(1), Some(2))
    );
    assert_eq!(
        read(&app, &format!("/api/v1/users/{}/karma", bob.id), at).await["total"],
        1
    );
    assert_eq!(
        read(&app, &format!("/api/v1/users/{}/karma", alice.id), at).await["total"],
        1
    );

    // Bob reports Alice's answer; only moderators see the queue.
    let (_, at) = write(
        &app,
        &bob,
        Method::POST,
        &format!("/api/v1/comments/{answer}/reports"),
        json!({ "reason": "rude" }),
    )
    .await;
    let reports = format!("/api/v1/communities/{c}/reports");
    assert_eq!(
        get(&app, &reports, at, None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let r = get(&app, &reports, at, Some(&bob)).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "not_moderator");
    let r = get(&app, &reports, at, Some(&alice)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let queue: Value = r.json().await.unwrap();
    assert_eq!(queue["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        queue["items"][0]["target"],
        json!({ "kind": "comment", "id": answer })
    );
    assert_eq!(queue["items"][0]["reason"], "rude");
    assert_eq!(queue["items"][0]["status"], "open");
    let report_id = queue["items"][0]["id"].as_str().unwrap().to_owned();
    let (_, at) = write(
        &app,
        &alice,
        Method::POST,
        &format!("/api/v1/reports/{report_id}/resolve"),
        json!({ "resolution": "not rude" }),
    )
    .await;
    let open: Value = get(&app, &reports, at, Some(&alice))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(open["items"], json!([]));
    let resolved: Value = get(
        &app,
        &format!("{reports}?status=resolved"),
        at,
        Some(&alice),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(resolved["items"][0]["resolution"], "not rude");

    // The moderator removes Bob's post, then restores it.
    let feed = format!("/api/v1/communities/{c}/posts");
    let (_, at) = write(
        &app,
        &alice,
        Method::POST,
        &format!("/api/v1/posts/{post}/remove"),
        json!({ "reason": "checking" }),
    )
    .await;
    assert_eq!(read(&app, &feed, at).await["items"], json!([]));
    let (_, at) = write(
        &app,
        &alice,
        Method::POST,
        &format!("/api/v1/posts/{post}/restore"),
        json!({ "reason": "fine" }),
    )
    .await;
    assert_eq!(ids_of(&read(&app, &feed, at).await), vec![post.clone()]);
    let modlog = read(&app, &format!("/api/v1/communities/{c}/modlog"), at).await;
    let actions: Vec<&str> = modlog["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        &actions[..3],
        &["restore_post", "remove_post", "resolve_report"],
        "{modlog}"
    );
}

/// A client connected to a post's live stream receives a comment created afterwards.
async fn live_comments_arrive_over_server_sent_events(store: Store) {
    let app = spawn_app(store).await;
    let user = app.new_user().await;
    let c = name("live");
    create_community(&app, &user, &c).await;
    let (post, at) = create_post(&app, &user, &c, "watch this").await;
    let (other, at2) = create_post(&app, &user, &c, "not this").await;
    read(&app, &format!("/api/v1/posts/{post}"), at.max(at2)).await;

    let mut live = app
        .client
        .get(app.url(&format!("/api/v1/posts/{post}/comments/live")))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), StatusCode::OK);
    assert!(
        live.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );

    write(
        &app,
        &user,
        Method::POST,
        &format!("/api/v1/posts/{other}/comments"),
        json!({ "body": "elsewhere" }),
    )
    .await;
    let (body, _) = write(
        &app,
        &user,
        Method::POST,
        &format!("/api/v1/posts/{post}/comments"),
        json!({ "body": "first!" }),
    )
    .await;
    let comment = body["id"].as_str().unwrap().to_owned();

    let mut received = String::new();
    let found = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(chunk) = live.chunk().await.unwrap() {
            received.push_str(&String::from_utf8_lossy(&chunk));
            if received.contains("\n\n") && received.contains(&comment) {
                return;
            }
        }
    })
    .await;
    assert!(
        found.is_ok(),
        "no comment event within 10 s; got {received:?}"
    );
    let event = received
        .split("\n\n")
        .find(|e| e.contains(&comment))
        .unwrap();
    assert!(event.contains("event: comment"), "{event}");
    // Issue 20: the id is where a reconnecting reader resumes, the comment's number in the
    // post (its first here); the comment's id is in the data.
    assert!(event.contains("id: 1\n"), "{event}");
    let data: Value = serde_json::from_str(
        event
            .lines()
            .find_map(|l| l.strip_prefix("data: "))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(data["body"], "first!");
    assert_eq!(data["id"], comment.as_str());
    assert_eq!(data["post_id"], post.as_str());
    assert!(
        !received.contains("elsewhere"),
        "another post's comment leaked: {received}"
    );

    let r = app
        .client
        .get(app.url(&format!("/api/v1/posts/{}/comments/live", PostId::new())))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

/// Issue 20: reconnecting to the live stream with `Last-Event-ID` replayed nothing, so the
/// comments posted while a reader was away were lost to it. Each event's id is now the
/// comment's number in the post; a reconnect gets exactly the missed ones, then the new ones.
async fn a_reconnecting_reader_gets_the_comments_it_missed_then_new_ones(store: Store) {
    let app = spawn_app(store).await;
    let user = app.new_user().await;
    let c = name("resume");
    create_community(&app, &user, &c).await;
    let (post, at) = create_post(&app, &user, &c, "keep up").await;
    read(&app, &format!("/api/v1/posts/{post}"), at).await;

    let mut live = LiveStream::open(&app, &post, None).await;
    comment(&app, &user, &post, "one").await;
    comment(&app, &user, &post, "two").await;
    assert_eq!(live.take(2).await, numbered(&[(1, "one"), (2, "two")]));
    drop(live);

    // Posted while the reader is away.
    comment(&app, &user, &post, "three").await;
    comment(&app, &user, &post, "four").await;

    let mut live = LiveStream::open(&app, &post, Some("2")).await;
    assert_eq!(
        live.take(2).await,
        numbered(&[(3, "three"), (4, "four")]),
        "exactly the missed comments, in order"
    );
    comment(&app, &user, &post, "five").await;
    assert_eq!(
        live.next().await,
        ("5".to_owned(), "five".to_owned()),
        "then the new ones, none twice"
    );

    // From the start, and from past the newest comment (resumes from the newest).
    let mut all = LiveStream::open(&app, &post, Some("0")).await;
    assert_eq!(
        all.take(5).await,
        numbered(&[
            (1, "one"),
            (2, "two"),
            (3, "three"),
            (4, "four"),
            (5, "five")
        ])
    );
    let mut ahead = LiveStream::open(&app, &post, Some("99")).await;
    comment(&app, &user, &post, "six").await;
    assert_eq!(ahead.next().await, ("6".to_owned(), "six".to_owned()));
    assert_eq!(all.next().await, ("6".to_owned(), "six".to_owned()));

    for bad in ["abc", "-1", "1.5", "99999999999999999999"] {
        let r = app
            .client
            .get(app.url(&format!("/api/v1/posts/{post}/comments/live")))
            .header("last-event-id", bad)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(
            r.headers()["content-type"],
            "application/problem+json",
            "{bad}"
        );
        let problem: Value = r.json().await.unwrap();
        assert_eq!(problem["code"], "invalid_last_event_id", "{bad}");
    }
}

/// Issue 20 item 4: an unknown id answers 404 at once (the read model is idle, so there is
/// nothing to wait for), and an id written a moment ago is found without `Agora-Min-Position`
/// (a lookup that finds nothing looks again once the read model has caught up with the store).
async fn unknown_ids_answer_at_once_and_new_ones_are_found(store: Store) {
    let app = spawn_app(store).await;
    let user = app.new_user().await;
    let c = name("lookup");
    create_community(&app, &user, &c).await;
    let community = app
        .client
        .get(app.url(&format!("/api/v1/communities/{c}")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        community.status(),
        StatusCode::OK,
        "a community just created"
    );
    let (post, _) = create_post(&app, &user, &c, "just now").await;
    let shown = app
        .client
        .get(app.url(&format!("/api/v1/posts/{post}")))
        .send()
        .await
        .unwrap();
    assert_eq!(shown.status(), StatusCode::OK, "a post just created");

    let unknown = PostId::new();
    for path in [
        format!("/api/v1/posts/{unknown}"),
        format!("/api/v1/posts/{unknown}/comments"),
        format!("/api/v1/posts/{unknown}/comments/live"),
        format!(
            "/api/v1/posts/{post}/comments?parent_id={}",
            CommentId::new()
        ),
        "/api/v1/communities/nobody_here/posts".to_owned(),
        "/api/v1/communities/nobody_here".to_owned(),
    ] {
        let started = std::time::Instant::now();
        let r = app.client.get(app.url(&path)).send().await.unwrap();
        let took = started.elapsed();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(
            took < Duration::from_millis(800),
            "{path}: 404 after {took:?}"
        );
    }
}

/// Kafka delivers at least once and orders events only within a stream: an event applied
/// twice counts once, and a vote or a comment that arrives before its post still counts.
async fn replayed_and_early_events_count_once(store: Store) {
    let app = spawn_app(store).await;
    let owner = app.new_user().await;
    let c = name("replay");
    let created = create_community(&app, &owner, &c).await;
    let mut direct = Direct::open(&app).await;
    let community_id = communities::domain::community_id_for(&c);
    let (post_id, author) = (PostId::new(), UserId::new());
    let vote = |voter_id: UserId, value: i32, previous: i32| {
        VoteEvent::Cast(VoteCast {
            target: ContentRef::Post(post_id),
            post_id,
            community_id,
            voter_id,
            value,
            previous,
        })
    };
    let (early_voter, voter) = (UserId::new(), UserId::new());
    let early = direct.recorded(
        StreamId::of("vote", format!("{post_id}_{early_voter}")),
        1,
        &vote(early_voter, 1, 0),
        Utc::now(),
    );
    let comment_id = CommentId::new();
    let early_comment = direct.recorded(
        StreamId::of("comment", comment_id),
        1,
        &CommentEvent::Created(CommentCreated {
            comment_id,
            post_id,
            community_id,
            parent_id: None,
            author_id: UserId::new(),
            body: "before the post".into(),
            path: comment_id.to_string(),
            depth: 0,
        }),
        Utc::now(),
    );
    let post = direct.recorded(
        StreamId::of("post", post_id),
        1,
        &PostEvent::Created(PostCreated {
            post_id,
            community_id,
            community_name: c.clone(),
            author_id: author,
            title: "late".into(),
            body: Some("body".into()),
            url: None,
        }),
        Utc::now(),
    );
    let stream = StreamId::of("vote", format!("{post_id}_{voter}"));
    let down = direct.recorded(stream.clone(), 1, &vote(voter, -1, 0), Utc::now());
    let up = direct.recorded(stream, 2, &vote(voter, 1, -1), Utc::now());
    for event in [
        &early,
        &early,
        &early_comment,
        &post,
        &early_comment,
        &post,
        &down,
        &up,
        &down,
        &up,
    ] {
        direct.apply_recorded(event).await;
    }
    let shown = read(&app, &format!("/api/v1/posts/{post_id}"), created).await;
    assert_eq!(
        (
            shown["score"].as_i64(),
            shown["ups"].as_i64(),
            shown["downs"].as_i64(),
            shown["comment_count"].as_i64()
        ),
        (Some(2), Some(2), Some(0), Some(1)),
        "{shown}"
    );
    let karma = read(&app, &format!("/api/v1/users/{author}/karma"), created).await;
    assert_eq!(karma["total"], 2, "{karma}");
    let thread = read(&app, &format!("/api/v1/posts/{post_id}/comments"), created).await;
    assert_eq!(ids_of(&thread), vec![comment_id.to_string()]);
}

common::on_both_stores!(
    replayed_and_early_events_count_once,
    feeds_order_posts_by_votes_in_every_sort,
    hot_ranks_decay_with_age_and_the_job_refreshes_them,
    a_deep_comment_tree_pages_by_level_and_depth,
    a_removed_post_leaves_the_feed_and_returns_when_restored,
    two_users_build_a_thread_and_a_moderator_steps_in,
    live_comments_arrive_over_server_sent_events,
    a_reconnecting_reader_gets_the_comments_it_missed_then_new_ones,
    unknown_ids_answer_at_once_and_new_ones_are_found,
);
