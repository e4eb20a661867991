//! The podcasts and recommendations read models, and the scheduled-publishing process
//! manager, fed from Kafka (`--event-feed kafka`, PostgreSQL store, tansu broker): subscriber
//! counts, co-subscriptions, download counts and a scheduled episode come out as on the
//! store's feed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{Store, database_url, settings, spawn_with};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn podcasts_read_models_and_scheduling_work_from_kafka() {
    let mut s = settings(database_url(Store::Postgres).await);
    s.messaging.kafka_brokers = Some(
        std::env::var("AGORA_TEST_KAFKA_BROKERS").unwrap_or_else(|_| "127.0.0.1:9092".to_owned()),
    );
    s.feed.event_feed = agora::config::EventFeedKind::Kafka;
    // Joining the consumer group and discovering the new topic take a few seconds at first.
    s.http.read_wait_ms = 45_000;
    let app = spawn_with(s).await;
    let owner = app.user_header().await;
    let show = |title: &str| {
        json!({ "title": title, "description": "A show.", "author": "Ada", "language": "en",
                "category": "Technology", "image_url": "https://cdn.example.org/a.jpg" })
    };
    let mut shows = Vec::new();
    for title in ["Kafka A", "Kafka B"] {
        let r = app
            .client
            .post(app.url("/api/v1/shows"))
            .header(&owner.0, &owner.1)
            .json(&show(title))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        shows.push(
            r.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let (a, b) = (&shows[0], &shows[1]);
    let mut position = String::new();
    for _ in 0..2 {
        let listener = app.user_header().await;
        for show in [a, b] {
            let r = app
                .client
                .post(app.url(&format!("/api/v1/shows/{show}/subscriptions")))
                .header(&listener.0, &listener.1)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            position = r.headers()["agora-position"].to_str().unwrap().to_owned();
        }
    }
    let read = |path: String| {
        let app = &app;
        let position = position.clone();
        async move {
            let r = app
                .client
                .get(app.url(&path))
                .header("agora-min-position", position)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{path}");
            r.json::<Value>().await.unwrap()
        }
    };
    assert_eq!(read(format!("/api/v1/shows/{a}")).await["subscribers"], 2);
    let similar = read(format!("/api/v1/shows/{a}/similar")).await;
    assert_eq!(
        similar["items"],
        json!([{ "id": b, "title": "Kafka B", "score": 2 }])
    );

    // A scheduled episode: the process manager's timer rides the Kafka consumer too.
    let episode = json!({ "title": "On time", "audio_url": "https://cdn.example.org/1.mp3",
                          "audio_bytes": 1000, "audio_type": "audio/mpeg", "duration_seconds": 60 });
    let r = app
        .client
        .post(app.url(&format!("/api/v1/shows/{a}/episodes")))
        .header(&owner.0, &owner.1)
        .json(&episode)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let at = (chrono::Utc::now() + chrono::Duration::seconds(3))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let r = app
        .client
        .post(app.url(&format!("/api/v1/episodes/{id}/publish")))
        .header(&owner.0, &owner.1)
        .json(&json!({ "at": at }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let feed = app
            .client
            .get(app.url(&format!("/api/v1/shows/{a}/feed.rss")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if feed.contains("<title>On time</title>") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the scheduled episode never appeared"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
