//! The podcasts context end to end, each scenario on SQLite and on PostgreSQL: shows and
//! episodes with their owner's rights, drafts nobody else sees, the feed as podcast apps read
//! it (checked by an independent parser, feedparser), 304 on a repeat and 410 once deleted,
//! publishing at a time across a restart, subscriptions under 50 concurrent subscribers, OPML
//! round trips, downloads counted once per listener and day, and search.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{
    SETTLE, Store, TestApp, database_url, on_both_stores, settings, spawn_app, spawn_with,
};
use serde_json::{Value, json};

type Auth = (String, String);

fn show_body(title: &str) -> Value {
    json!({
        "title": title,
        "description": "<p>Openings, endgames and <b>the people</b> who play them.<script>alert(1)</script></p>",
        "author": "Ada Lovelace",
        "language": "en-gb",
        "category": "Leisure",
        "subcategory": "Games",
        "explicit": false,
        "image_url": "https://cdn.example.org/chess.jpg",
        "owner_name": "Ada Lovelace",
        "owner_email": "ada@example.org",
        "locked": true,
        "funding": [{ "url": "https://example.org/support", "title": "Support the show" }],
        "persons": [{ "name": "Ada Lovelace", "role": "host", "href": "https://example.org/ada" }],
    })
}

fn episode_body(title: &str, number: i64) -> Value {
    json!({
        "title": title,
        "description": "<p>Show notes of <i>this</i> one.</p>",
        "audio_url": format!("https://cdn.example.org/ep{number}.mp3"),
        "audio_bytes": 24_986_239,
        "audio_type": "audio/mpeg",
        "duration_seconds": 1873,
        "season": 1,
        "episode_number": number,
        "transcript_url": format!("https://cdn.example.org/ep{number}.vtt"),
        "transcript_type": "text/vtt",
        "chapters_url": format!("https://cdn.example.org/ep{number}.json"),
        "soundbites": [{ "start_seconds": 73.5, "duration_seconds": 60, "title": "The poisoned pawn" }],
    })
}

/// Sends `method path` as `who` with `body`; returns (status, body, Agora-Position).
async fn send(
    app: &TestApp,
    who: Option<&Auth>,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value, String) {
    let mut r = app
        .client
        .request(method.parse().unwrap(), app.url(path))
        .timeout(Duration::from_secs(60));
    if let Some((name, value)) = who {
        r = r.header(name, value);
    }
    if let Some(body) = body {
        r = r.json(&body);
    }
    let response = r.send().await.unwrap();
    let status = response.status().as_u16();
    let position = response
        .headers()
        .get("agora-position")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body, position)
}

/// Creates a show as `owner`; returns its id once the read models have it (read your write).
async fn create_show(app: &TestApp, owner: &Auth, title: &str) -> String {
    let (status, body, position) = send(
        app,
        Some(owner),
        "POST",
        "/api/v1/shows",
        Some(show_body(title)),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    seen(app, owner, &format!("/api/v1/shows/{id}"), &position).await;
    id
}

/// Reads `path` as `who` after the write at `position`, expecting 200.
async fn seen(app: &TestApp, who: &Auth, path: &str, position: &str) {
    let r = app
        .client
        .get(app.url(path))
        .header(&who.0, &who.1)
        .header("agora-min-position", position)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{path}");
}

/// Drafts an episode of `show`; returns its id once the read models have it.
async fn draft(app: &TestApp, owner: &Auth, show: &str, title: &str, number: i64) -> String {
    let path = format!("/api/v1/shows/{show}/episodes");
    let (status, body, position) = send(
        app,
        Some(owner),
        "POST",
        &path,
        Some(episode_body(title, number)),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "draft");
    let id = body["id"].as_str().unwrap().to_owned();
    seen(app, owner, &format!("/api/v1/episodes/{id}"), &position).await;
    id
}

/// Publishes `episode` (now, or at `at`); returns the answer and its position.
async fn publish(
    app: &TestApp,
    owner: &Auth,
    episode: &str,
    at: Option<String>,
) -> (Value, String) {
    let body = at.map(|at| json!({ "at": at }));
    let path = format!("/api/v1/episodes/{episode}/publish");
    let (status, body, position) = send(app, Some(owner), "POST", &path, body).await;
    assert_eq!(status, 200, "{body}");
    (body, position)
}

/// `GET` the feed with extra headers: (status, headers, body text).
async fn feed(
    app: &TestApp,
    show: &str,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, String) {
    let mut r = app
        .client
        .get(app.url(&format!("/api/v1/shows/{show}/feed.rss")));
    for (name, value) in headers {
        r = r.header(*name, *value);
    }
    let response = r.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

/// Polls the feed until `done` holds of its text; returns it.
async fn feed_until(app: &TestApp, show: &str, done: impl Fn(&str) -> bool) -> String {
    let deadline = tokio::time::Instant::now() + SETTLE;
    loop {
        let (status, _, text) = feed(app, show, &[]).await;
        if status == 200 && done(&text) {
            return text;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "feed never got there: {status} {text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Parses the feed with feedparser (`scripts/check_feed.py` in the venv `scripts/test`
/// creates) and checks what Apple and the Podcasting 2.0 validators require; returns its
/// summary.
fn feedparser_check(xml: &str) -> Value {
    let python = std::env::var("AGORA_FEEDPARSER_PYTHON").unwrap_or_else(|_| {
        let home = std::env::var("HOME").unwrap_or_default();
        format!("{home}/.cache/agora/feedparser-venv/bin/python")
    });
    assert!(
        std::path::Path::new(&python).exists(),
        "feedparser's venv is missing ({python}): run scripts/test, which installs it, or set \
         AGORA_FEEDPARSER_PYTHON to a python with feedparser"
    );
    let file = std::env::temp_dir().join(format!("agora-feed-{}.xml", uuid::Uuid::now_v7()));
    std::fs::write(&file, xml).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/check_feed.py");
    let out = std::process::Command::new(&python)
        .arg(script)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "feedparser refused the feed:\n{}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn owners_edit_strangers_see_only_what_is_published(store: Store) {
    let app = spawn_app(store).await;
    let owner = app.user_header().await;
    let stranger = app.user_header().await;
    let show = create_show(&app, &owner, "Chess Talk").await;
    let path = format!("/api/v1/shows/{show}");
    let (status, body, _) = send(&app, None, "GET", &path, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["language"], "en-GB");
    assert!(
        !body["description"].as_str().unwrap().contains("script"),
        "{body}"
    );
    // podcast:guid: UUIDv5 of the feed URL without its scheme.
    let feed_url = body["feed_url"].as_str().unwrap();
    let bare = feed_url.split_once("://").unwrap().1;
    let ns = uuid::Uuid::parse_str("ead4c236-bf58-58c6-a2c6-a6b28d128cb6").unwrap();
    assert_eq!(
        body["podcast_guid"],
        uuid::Uuid::new_v5(&ns, bare.as_bytes()).to_string()
    );

    let (status, body, _) = send(
        &app,
        Some(&stranger),
        "PATCH",
        &path,
        Some(json!({"title": "Mine"})),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("not_owner")),
        "{body}"
    );
    let (status, _, _) = send(
        &app,
        Some(&stranger),
        "POST",
        &format!("{path}/episodes"),
        Some(episode_body("x", 1)),
    )
    .await;
    assert_eq!(status, 403);

    let one = draft(&app, &owner, &show, "The Italian Game", 1).await;
    let two = draft(&app, &owner, &show, "The Sicilian", 2).await;
    let (published, position) = publish(&app, &owner, &one, None).await;
    assert_eq!(published["status"], "published");
    // Drafts: invisible to strangers and anonymous readers, visible to the owner.
    for who in [None, Some(&stranger)] {
        let (status, body, _) =
            send(&app, who, "GET", &format!("/api/v1/episodes/{two}"), None).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (404, Some("not_found")),
            "{body}"
        );
        let list = app
            .client
            .get(app.url(&format!("/api/v1/shows/{show}/episodes")))
            .header("agora-min-position", position.clone())
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        let ids: Vec<&str> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [one.as_str()]);
    }
    let (status, body, _) = send(
        &app,
        Some(&owner),
        "GET",
        &format!("/api/v1/episodes/{two}"),
        None,
    )
    .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("draft")));
    let mine = app
        .get_as(&owner, &format!("/api/v1/shows/{show}/episodes"))
        .await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 2);
    // Only the owner publishes or edits: a stranger's draft is not found, a published one not theirs.
    let (status, _, _) = send(
        &app,
        Some(&stranger),
        "POST",
        &format!("/api/v1/episodes/{two}/publish"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, body, _) = send(
        &app,
        Some(&stranger),
        "PATCH",
        &format!("/api/v1/episodes/{one}"),
        Some(json!({"title": "Stolen"})),
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (403, Some("not_owner")));
    // An edit after publishing keeps the guid.
    let (status, body, _) = send(
        &app,
        Some(&owner),
        "PATCH",
        &format!("/api/v1/episodes/{one}"),
        Some(json!({"title": "The Italian Game, revisited"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["guid"].as_str(), body["status"].as_str()),
        (Some(one.as_str()), Some("published"))
    );
    // The rules: Apple's enclosure types, serial shows need numbers.
    let mut bad = episode_body("Bad", 3);
    bad["audio_type"] = json!("audio/ogg");
    let (status, body, _) = send(
        &app,
        Some(&owner),
        "POST",
        &format!("{path}/episodes"),
        Some(bad),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("validation_failed")),
        "{body}"
    );
    let (status, _, _) = send(
        &app,
        Some(&owner),
        "PATCH",
        &path,
        Some(json!({"show_type": "serial"})),
    )
    .await;
    assert_eq!(status, 200);
    let mut unnumbered = episode_body("Unnumbered", 3);
    unnumbered.as_object_mut().unwrap().remove("episode_number");
    let (status, body, _) = send(
        &app,
        Some(&owner),
        "POST",
        &format!("{path}/episodes"),
        Some(unnumbered),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("episode_number_required")),
        "{body}"
    );
}

async fn the_feed_is_what_podcast_apps_accept_with_304_and_410(store: Store) {
    let app = spawn_app(store).await;
    let owner = app.user_header().await;
    let show = create_show(&app, &owner, "Chess Talk").await;
    let one = draft(&app, &owner, &show, "The Italian Game", 1).await;
    let two = draft(&app, &owner, &show, "The Sicilian", 2).await;
    let _draft = draft(&app, &owner, &show, "Not yet", 3).await;
    publish(&app, &owner, &one, Some("2026-01-05T06:00:00Z".into())).await;
    publish(&app, &owner, &two, None).await;
    let xml = feed_until(&app, &show, |x| {
        x.contains("The Sicilian") && x.contains("The Italian Game")
    })
    .await;
    assert!(!xml.contains("Not yet"), "a draft is in the feed");
    let summary = feedparser_check(&xml);
    let shown = app.get_as(&owner, &format!("/api/v1/shows/{show}")).await;
    assert_eq!(summary["podcast_guid"], shown["podcast_guid"]);
    let titles: Vec<&str> = summary["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["The Sicilian", "The Italian Game"], "newest first");
    assert_eq!(summary["items"][1]["guid"], one.as_str());
    assert_eq!(
        summary["items"][1]["published"],
        "Mon, 05 Jan 2026 06:00:00 +0000"
    );
    assert!(
        summary["items"][0]["enclosure"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/api/v1/episodes/{two}/audio"))
    );
    for tag in [
        "<podcast:locked owner=\"ada@example.org\">yes</podcast:locked>",
        "<podcast:transcript",
        "<podcast:chapters",
        "<podcast:soundbite",
        "startTime=\"73.5\"",
        "<podcast:funding",
        "<podcast:person",
        "<content:encoded>",
        "<itunes:category text=\"Leisure\">",
        "<itunes:type>episodic</itunes:type>",
    ] {
        assert!(xml.contains(tag), "{tag} missing:\n{xml}");
    }

    // A podcast app's repeat: 304, by ETag and by date; HEAD answers the headers alone.
    let (status, headers, _) = feed(&app, &show, &[]).await;
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/rss+xml")
    );
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let modified = headers["last-modified"].to_str().unwrap().to_owned();
    let (status, _, body) = feed(&app, &show, &[("if-none-match", &etag)]).await;
    assert_eq!((status, body.as_str()), (304, ""));
    let (status, _, _) = feed(&app, &show, &[("if-modified-since", &modified)]).await;
    assert_eq!(status, 304);
    let head = app
        .client
        .head(app.url(&format!("/api/v1/shows/{show}/feed.rss")))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["etag"].to_str().unwrap(), etag);

    // Unpublished: out of the feed, and the old ETag no longer matches.
    let (status, _, _) = send(
        &app,
        Some(&owner),
        "POST",
        &format!("/api/v1/episodes/{two}/unpublish"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let xml = feed_until(&app, &show, |x| !x.contains("The Sicilian")).await;
    assert!(xml.contains("The Italian Game"));
    let (status, _, _) = feed(&app, &show, &[("if-none-match", &etag)]).await;
    assert_eq!(status, 200);

    // Deleted: 410 Gone for the feed and the show.
    let (status, body, position) = send(
        &app,
        Some(&owner),
        "DELETE",
        &format!("/api/v1/shows/{show}"),
        None,
    )
    .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("deleted")),
        "{body}"
    );
    let r = app
        .client
        .get(app.url(&format!("/api/v1/shows/{show}/feed.rss")))
        .header("agora-min-position", position)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 410);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "show_deleted");
    let (status, _, _) = send(&app, None, "GET", &format!("/api/v1/shows/{show}"), None).await;
    assert_eq!(status, 410);
}

async fn a_scheduled_episode_appears_at_its_time_once_across_a_restart(store: Store) {
    let mut app = spawn_app(store).await;
    let settings = app.settings.clone();
    let owner = app.user_header().await;
    let show = create_show(&app, &owner, "Chess Talk").await;
    let episode = draft(&app, &owner, &show, "Scheduled", 1).await;
    let at = chrono::DateTime::from_timestamp(chrono::Utc::now().timestamp() + 6, 0).unwrap();
    let at_text = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (scheduled, _) = publish(&app, &owner, &episode, Some(at_text.clone())).await;
    assert_eq!(
        (
            scheduled["status"].as_str(),
            scheduled["publish_at"].as_str()
        ),
        (Some("scheduled"), Some(at_text.as_str()))
    );
    let (_, _, xml) = feed(&app, &show, &[]).await;
    assert!(!xml.contains("Scheduled"), "published before its time");

    // Stop the server before the time, start it again on the same database.
    app.running.shutdown.cancel();
    let server = std::mem::replace(&mut app.running.server, tokio::spawn(async { Ok(()) }));
    let _ = tokio::time::timeout(Duration::from_secs(30), server).await;
    drop(app);
    let app = spawn_with(settings).await;
    let xml = feed_until(&app, &show, |x| x.contains("<title>Scheduled</title>")).await;
    assert!(chrono::Utc::now() >= at, "published before its time");
    assert_eq!(xml.matches("<title>Scheduled</title>").count(), 1);
    let episode_view = app
        .get_as(&owner, &format!("/api/v1/episodes/{episode}"))
        .await;
    assert_eq!(episode_view["status"], "published");
    assert_eq!(
        episode_view["published_at"].as_str().unwrap()[..19],
        at_text[..19]
    );
    // Once: one publication in the episode's stream.
    let stream = shared_kernel::StreamId::parse(&format!("episode-{episode}")).unwrap();
    let events = app.running.store.read_stream(&stream, 1).await.unwrap();
    let published = events
        .iter()
        .filter(|e| e.event_type == "agora.podcasts.episode_published")
        .count();
    assert_eq!(published, 1);

    // Unscheduling cancels: a second episode scheduled, then withdrawn, never appears.
    let other = draft(&app, &owner, &show, "Withdrawn", 2).await;
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(2))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    publish(&app, &owner, &other, Some(soon)).await;
    let (status, body, _) = send(
        &app,
        Some(&owner),
        "POST",
        &format!("/api/v1/episodes/{other}/unpublish"),
        None,
    )
    .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("draft")));
    tokio::time::sleep(Duration::from_secs(4)).await; // past its time: nothing may fire
    let (_, _, xml) = feed(&app, &show, &[]).await;
    assert!(!xml.contains("Withdrawn"), "a withdrawn schedule fired");
}

async fn subscriptions_are_idempotent_and_counted_under_50_concurrent_subscribers(store: Store) {
    let app = spawn_app(store).await;
    let owner = app.user_header().await;
    let show = create_show(&app, &owner, "Chess Talk").await;
    let other = create_show(&app, &owner, "Go Talk").await;
    let mut listeners = Vec::new();
    for _ in 0..50 {
        listeners.push(app.user_header().await);
    }
    let path = format!("/api/v1/shows/{show}/subscriptions");
    let subscribe = |who: Auth| {
        let app = &app;
        let path = path.clone();
        async move { send(app, Some(&who), "POST", &path, None).await }
    };
    // 50 listeners at once, the first of them three times over.
    let mut calls: Vec<_> = listeners.iter().cloned().map(subscribe).collect();
    calls.push(subscribe(listeners[0].clone()));
    calls.push(subscribe(listeners[0].clone()));
    let answers = futures::future::join_all(calls).await;
    for (status, body, _) in &answers {
        assert_eq!(
            (*status, body["subscribed"].as_bool()),
            (200, Some(true)),
            "{body}"
        );
    }
    let count = app
        .wait_until(&owner, &format!("/api/v1/shows/{show}"), |s| {
            s["subscribers"] == 50
        })
        .await;
    assert_eq!(count["subscribers"], 50);
    // Unsubscribing twice is one unsubscription.
    for _ in 0..2 {
        let (status, body, _) = send(&app, Some(&listeners[1]), "DELETE", &path, None).await;
        assert_eq!((status, body["subscribed"].as_bool()), (200, Some(false)));
    }
    app.wait_until(&owner, &format!("/api/v1/shows/{show}"), |s| {
        s["subscribers"] == 49
    })
    .await;

    // OPML: export listener 0's two subscriptions, import them as a newcomer.
    let (status, _, _) = send(
        &app,
        Some(&listeners[0]),
        "POST",
        &format!("/api/v1/shows/{other}/subscriptions"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let mine = app
        .wait_until(&listeners[0], "/api/v1/me/subscriptions", |b| {
            b["items"].as_array().unwrap().len() == 2
        })
        .await;
    assert_eq!(mine["items"][0]["show_id"], other.as_str(), "newest first");
    let opml = app
        .client
        .get(app.url("/api/v1/me/subscriptions.opml"))
        .header(&listeners[0].0, &listeners[0].1)
        .send()
        .await
        .unwrap();
    assert_eq!(opml.status(), 200);
    assert!(
        opml.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/x-opml")
    );
    let opml = opml.text().await.unwrap();
    assert!(
        opml.contains("xmlUrl=") && opml.contains("Go Talk"),
        "{opml}"
    );
    let nowhere = format!(
        "http://127.0.0.1:8080/api/v1/shows/{}/feed.rss",
        uuid::Uuid::now_v7()
    );
    let with_foreign = opml.replace(
        "</body>",
        &format!(
            "<outline text=\"Elsewhere\" type=\"rss\" xmlUrl=\"https://feeds.example.com/other.rss\"/>\
             <outline text=\"Gone\" type=\"rss\" xmlUrl=\"{nowhere}\"/></body>"
        ),
    );
    let newcomer = app.user_header().await;
    let r = app
        .client
        .post(app.url("/api/v1/me/subscriptions.opml"))
        .header(&newcomer.0, &newcomer.1)
        .header("content-type", "text/x-opml")
        .body(with_foreign)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let report: Value = r.json().await.unwrap();
    assert_eq!(
        report["subscribed"].as_array().unwrap().len(),
        2,
        "{report}"
    );
    assert_eq!(
        report["not_ours"],
        json!(["https://feeds.example.com/other.rss"])
    );
    assert_eq!(report["unknown"], json!([nowhere]));
    let theirs = app
        .wait_until(&newcomer, "/api/v1/me/subscriptions", |b| {
            b["items"].as_array().unwrap().len() == 2
        })
        .await;
    let mut got: Vec<&str> = theirs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["show_id"].as_str().unwrap())
        .collect();
    got.sort_unstable();
    let mut want = vec![show.as_str(), other.as_str()];
    want.sort_unstable();
    assert_eq!(got, want);
    let r = app
        .client
        .post(app.url("/api/v1/me/subscriptions.opml"))
        .header(&newcomer.0, &newcomer.1)
        .header("content-type", "text/x-opml")
        .body("not xml")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
}

/// Posts `body` as an OPML import by `who`; returns (status, body).
async fn import_opml(app: &TestApp, who: &Auth, body: Vec<u8>) -> (u16, Value) {
    let r = app
        .client
        .post(app.url("/api/v1/me/subscriptions.opml"))
        .header(&who.0, &who.1)
        .header("content-type", "text/x-opml")
        .timeout(Duration::from_secs(60))
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn opml_imports_refuse_deep_nesting_and_name_each_fault(store: Store) {
    // The production body limit (1 MiB), not the tests' 64 KiB: the 950 KB document must reach
    // the import.
    let mut s = settings(database_url(store).await);
    s.http.max_body_bytes = 1024 * 1024;
    let app = spawn_with(s).await;
    let user = app.user_header().await;
    let show = create_show(&app, &user, "Chess Talk").await;
    // Nested 1,000 and 50,000 deep (950 KB, under the body limit): this overflowed a worker's
    // stack in the recursive OPML parser and aborted the process.
    for depth in [1_000, 50_000] {
        let deep = format!(
            "<opml version=\"2.0\"><body>{}{}</body></opml>",
            "<outline>".repeat(depth),
            "</outline>".repeat(depth)
        );
        let (status, body) = import_opml(&app, &user, deep.into_bytes()).await;
        assert_eq!(status, 422, "{body}");
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("nests outlines more than 32 deep"),
            "{body}"
        );
    }
    // The server still answers.
    let (status, _, _) = send(&app, None, "GET", &format!("/api/v1/shows/{show}"), None).await;
    assert_eq!(status, 200);
    // Each fault is named.
    for (sent, says) in [
        ("", "the OPML document is empty"),
        (
            "<opml version=\"2.0\"><head/></opml>",
            "not an OPML document: no <body> element in <opml>",
        ),
        (
            "<opml>\n<body></head>",
            "not well-formed XML at line 2, column",
        ),
        ("not xml", "not an OPML document: no root element"),
    ] {
        let (status, body) = import_opml(&app, &user, sent.as_bytes().to_vec()).await;
        assert_eq!(status, 422, "{sent}: {body}");
        assert!(
            body["detail"].as_str().unwrap().starts_with(says),
            "{sent}: {body}"
        );
    }
    // A declared legacy encoding is decoded: the feed URL of a title with an é is subscribed.
    let feed_url = app.get_as(&user, &format!("/api/v1/shows/{show}")).await["feed_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n\
        <opml version=\"2.0\"><body><outline type=\"rss\" text=\"Caf"
        .to_vec();
    latin1.push(0xE9); // é in ISO-8859-1, not UTF-8
    latin1.extend_from_slice(format!("\" xmlUrl=\"{feed_url}\"/></body></opml>").as_bytes());
    let (status, body) = import_opml(&app, &user, latin1).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["subscribed"], json!([show]));
}

async fn downloads_count_once_per_listener_and_day_without_bots_or_probes(store: Store) {
    let app = spawn_app(store).await;
    let owner = app.user_header().await;
    let show = create_show(&app, &owner, "Chess Talk").await;
    let one = draft(&app, &owner, &show, "One", 1).await;
    let two = draft(&app, &owner, &show, "Two", 2).await;
    publish(&app, &owner, &one, None).await;
    let (_, position) = publish(&app, &owner, &two, None).await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let download = |episode: &str, agent: &str, range: Option<&str>| {
        let mut r = no_redirects
            .get(app.url(&format!("/api/v1/episodes/{episode}/audio")))
            .header("user-agent", agent.to_owned())
            .header("agora-min-position", position.clone());
        if let Some(range) = range {
            r = r.header("range", range.to_owned());
        }
        async move {
            let r = r.send().await.unwrap();
            assert_eq!(r.status(), 302);
            r.headers()["location"].to_str().unwrap().to_owned()
        }
    };
    assert_eq!(
        download(&one, "AppleCoreMedia/1.0", None).await,
        "https://cdn.example.org/ep1.mp3"
    );
    download(&one, "AppleCoreMedia/1.0", None).await; // the same listener again: not counted
    download(&one, "AppleCoreMedia/1.0", Some("bytes=0-1")).await; // a probe
    // A HEAD (another listener's) asks what the redirect is and downloads nothing.
    let head = no_redirects
        .head(app.url(&format!("/api/v1/episodes/{one}/audio")))
        .header("user-agent", "PocketCasts/7.0")
        .header("agora-min-position", position.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 302);
    assert_eq!(
        head.headers()["location"],
        "https://cdn.example.org/ep1.mp3"
    );
    download(&one, "Overcast/3.0 (+http://overcast.fm/)", None).await; // another listener
    download(
        &one,
        "Googlebot/2.1 (+http://www.google.com/bot.html)",
        None,
    )
    .await; // a bot
    download(&two, "AppleCoreMedia/1.0", None).await;
    let path = format!("/api/v1/shows/{show}/downloads");
    let figures = app
        .wait_until(&owner, &path, |b| b["items"][0]["downloads"] == 3)
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await; // nothing more may arrive
    let figures_again = app.get_as(&owner, &path).await;
    assert_eq!(figures, figures_again);
    let today = &figures["items"][0];
    assert_eq!(
        today["day"],
        chrono::Utc::now().format("%Y-%m-%d").to_string()
    );
    let per_episode: Vec<(String, i64)> = today["episodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["episode_id"].as_str().unwrap().to_owned(),
                e["downloads"].as_i64().unwrap(),
            )
        })
        .collect();
    let mut want = vec![(one.clone(), 2), (two.clone(), 1)];
    want.sort();
    assert_eq!(per_episode, want);
    // Someone else's figures: not found.
    let stranger = app.user_header().await;
    let (status, _, _) = send(&app, Some(&stranger), "GET", &path, None).await;
    assert_eq!(status, 404);
    // A draft's audio is nobody's to download but its owner's.
    let three = draft(&app, &owner, &show, "Three", 3).await;
    let r = no_redirects
        .get(app.url(&format!("/api/v1/episodes/{three}/audio")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

async fn publishing_again_is_idempotent_and_another_time_is_refused(store: Store) {
    let app = spawn_app(store).await;
    let owner = app.user_header().await;
    let show = create_show(&app, &owner, "Chess Talk").await;
    let episode = draft(&app, &owner, &show, "One", 1).await;
    let path = format!("/api/v1/episodes/{episode}/publish");
    // A draft: a time more than 366 days ahead is refused.
    let far = Some(json!({ "at": "9999-12-31T00:00:00Z" }));
    let (status, body, _) = send(&app, Some(&owner), "POST", &path, far.clone()).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["detail"], "at must be within 366 days");
    let (published, _) = publish(&app, &owner, &episode, None).await;
    assert_eq!(published["status"], "published");
    // Published: the same time gets the same answer (it was 200, the time ignored).
    let (status, body, _) = send(&app, Some(&owner), "POST", &path, far).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["detail"], "at must be within 366 days");
    // 2028-01-01 (the reported case) is more than 366 days ahead of the test's today: 422,
    // like a draft.
    let reported = Some(json!({ "at": "2028-01-01T00:00:00Z" }));
    let (status, body, _) = send(&app, Some(&owner), "POST", &path, reported).await;
    let ahead = chrono::DateTime::parse_from_rfc3339("2028-01-01T00:00:00Z").unwrap()
        > chrono::Utc::now() + chrono::Duration::days(366);
    assert_eq!(status, if ahead { 422 } else { 409 }, "{body}");
    // Another time, within the limit or past, would be ignored: 409.
    let soon = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
    for at in [soon.as_str(), "2020-01-01T00:00:00Z"] {
        let (status, body, _) =
            send(&app, Some(&owner), "POST", &path, Some(json!({ "at": at }))).await;
        assert_eq!(status, 409, "{at}: {body}");
        assert_eq!(body["code"], "already_published", "{body}");
    }
    // Publishing again without a time stays idempotent.
    let (again, _) = publish(&app, &owner, &episode, None).await;
    assert_eq!(again["status"], "published", "{again}");
}

async fn edits_that_break_the_rules_are_refused(store: Store) {
    let app = spawn_app(store).await;
    let owner = app.user_header().await;
    let show = create_show(&app, &owner, "Chess Talk").await;
    let path = format!("/api/v1/shows/{show}");
    // A required field sent as null was read as absent: 200, the title kept.
    for field in ["title", "description", "image_url", "show_type", "persons"] {
        let (status, body, _) = send(
            &app,
            Some(&owner),
            "PATCH",
            &path,
            Some(json!({ field: null })),
        )
        .await;
        assert_eq!(status, 422, "{field}: {body}");
        let detail = body["detail"].as_str().unwrap();
        assert!(
            detail.starts_with(&format!("{field}: must not be null")),
            "{body}"
        );
    }
    // One description rule, on the cleaned text: 5,402 characters that clean to "ok" fit
    // (they were refused as "0 to 4000 characters"); 4,001 bytes once cleaned do not.
    let mostly_script = format!("ok{}", "<script>x</script>".repeat(300));
    let (status, body, _) = send(
        &app,
        Some(&owner),
        "PATCH",
        &path,
        Some(json!({ "description": mostly_script })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    for raw in [
        "a".repeat(4_001),
        format!("{}<script>x</script>", "a".repeat(5_000)),
    ] {
        let (status, body, _) = send(
            &app,
            Some(&owner),
            "PATCH",
            &path,
            Some(json!({ "description": raw })),
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .starts_with("description must be at most 4000 bytes once cleaned"),
            "{body}"
        );
    }
    // Optional ones are still cleared by null.
    let (status, body, _) = send(
        &app,
        Some(&owner),
        "PATCH",
        &path,
        Some(json!({ "link": null })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // The same kind of field of an episode.
    let numbered = draft(&app, &owner, &show, "One", 1).await;
    let episode_path = format!("/api/v1/episodes/{numbered}");
    let (status, body, _) = send(
        &app,
        Some(&owner),
        "PATCH",
        &episode_path,
        Some(json!({ "audio_url": null })),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .starts_with("audio_url: must not be null"),
        "{body}"
    );
    // A published episode without a number: the show cannot become serial.
    let mut unnumbered = episode_body("Bonus", 0);
    unnumbered["episode_number"] = Value::Null;
    let (status, body, _) = send(
        &app,
        Some(&owner),
        "POST",
        &format!("/api/v1/shows/{show}/episodes"),
        Some(unnumbered),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let bonus = body["id"].as_str().unwrap().to_owned();
    publish(&app, &owner, &bonus, None).await;
    let serial = Some(json!({ "show_type": "serial" }));
    let (status, body, _) = send(&app, Some(&owner), "PATCH", &path, serial.clone()).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "episode_number_required", "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("\"Bonus\""),
        "{body}"
    );
    assert_eq!(body["episodes"], json!([bonus]), "{body}");
    // A stranger is refused as before, told nothing of the episodes.
    let stranger = app.user_header().await;
    let (status, body, _) = send(&app, Some(&stranger), "PATCH", &path, serial.clone()).await;
    assert_eq!(status, 403, "{body}");
    // Numbered, it can.
    let (status, body, _) = send(
        &app,
        Some(&owner),
        "PATCH",
        &format!("/api/v1/episodes/{bonus}"),
        Some(json!({ "episode_number": 2 })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body, _) = send(&app, Some(&owner), "PATCH", &path, serial).await;
    assert_eq!(status, 200, "{body}");
}

async fn shows_and_episodes_are_searched_in_full_text(store: Store) {
    let app = spawn_app(store).await;
    let owner = app.user_header().await;
    let chess = create_show(&app, &owner, "Chess Talk").await;
    let (status, _, _) = send(
        &app,
        Some(&owner),
        "POST",
        "/api/v1/shows",
        Some({
            let mut b = show_body("Gardening Hour");
            b["description"] = json!("Tomatoes and roses.");
            b
        }),
    )
    .await;
    assert_eq!(status, 201);
    let episode = draft(&app, &owner, &chess, "Endgames with rooks", 1).await;
    let hidden = draft(&app, &owner, &chess, "Rooks in the draft", 2).await;
    let (_, position) = publish(&app, &owner, &episode, None).await;
    let shows = app
        .wait_until(&owner, "/api/v1/shows?q=tomatoes", |b| {
            !b["items"].as_array().unwrap().is_empty()
        })
        .await;
    assert_eq!(shows["items"].as_array().unwrap().len(), 1);
    assert_eq!(shows["items"][0]["title"], "Gardening Hour");
    let found = app
        .client
        .get(app.url("/api/v1/episodes?q=rooks"))
        .header("agora-min-position", position)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let ids: Vec<&str> = found["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [episode.as_str()], "drafts are not found");
    let mine = app
        .get_as(&owner, &format!("/api/v1/shows/{chess}/episodes?q=rooks"))
        .await;
    assert_eq!(
        mine["items"].as_array().unwrap().len(),
        2,
        "the owner finds drafts too: {hidden}"
    );
    let all = app.get_as(&owner, "/api/v1/shows?limit=1").await;
    assert_eq!(all["items"].as_array().unwrap().len(), 1);
    let next = all["next_cursor"].as_str().unwrap();
    let rest = app
        .get_as(&owner, &format!("/api/v1/shows?limit=1&cursor={next}"))
        .await;
    assert_ne!(rest["items"][0]["id"], all["items"][0]["id"]);
}

on_both_stores!(
    owners_edit_strangers_see_only_what_is_published,
    the_feed_is_what_podcast_apps_accept_with_304_and_410,
    a_scheduled_episode_appears_at_its_time_once_across_a_restart,
    subscriptions_are_idempotent_and_counted_under_50_concurrent_subscribers,
    opml_imports_refuse_deep_nesting_and_name_each_fault,
    downloads_count_once_per_listener_and_day_without_bots_or_probes,
    publishing_again_is_idempotent_and_another_time_is_refused,
    edits_that_break_the_rules_are_refused,
    shows_and_episodes_are_searched_in_full_text,
);
