//! The Kafka broker made unreachable (SIGSTOP) in the middle of relaying, then resumed
//! (SIGCONT; the memory engine would forget everything on a restart): nothing is skipped,
//! no stream is reordered; and a consumer group reads on after a pause longer than its
//! session. Its own test binary: no other Kafka test runs while paused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod kafka_support;

use std::collections::HashSet;
use std::time::Duration;

use infrastructure::kafka::{DEFAULT_SESSION_TIMEOUT, KafkaFeed, KafkaFeedError as FeedError};
use kafka_support::{consume_in_order, fixture};
use shared_kernel::StreamId;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

fn tansu_pid() -> String {
    let out = std::process::Command::new("pgrep")
        .args(["-f", "tansu broker"])
        .output()
        .unwrap();
    let pids = String::from_utf8(out.stdout).unwrap();
    pids.lines()
        .next()
        .expect("tansu must be running (scripts/test starts it)")
        .to_owned()
}

/// The tests of this binary pause the one broker: one at a time, or one's SIGCONT would cut
/// the other's pause short.
static BROKER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn signal(sig: &str, pid: &str) {
    assert!(
        std::process::Command::new("kill")
            .args([sig, pid])
            .status()
            .unwrap()
            .success()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_broker_delays_but_never_loses_or_reorders() {
    let _broker = BROKER.lock().await;
    let f = fixture().await;
    let streams: Vec<StreamId> = (0..10)
        .map(|_| StreamId::of("outage", Uuid::now_v7()))
        .collect();
    let shutdown = CancellationToken::new();
    let relay = f.spawn_relay(shutdown.clone());
    let consumer = f.consumer();
    f.append(&streams, 20, 0).await;

    let pid = tansu_pid();
    signal("-STOP", &pid);
    // Appends go on while the broker is unreachable; the relay must hold them, not skip them.
    let appended = f.append(&streams, 30, 20);
    let paused = tokio::time::sleep(Duration::from_secs(3));
    let ((), ()) = tokio::join!(appended, paused);
    signal("-CONT", &pid);

    f.append(&streams, 10, 50).await;
    let duplicates = consume_in_order(&consumer, 10 * 60, Duration::from_secs(120)).await;
    println!("outage: 600 events in order after a 3 s broker pause, {duplicates} duplicates");
    shutdown.cancel();
    relay.await.unwrap();
}

/// Reads with a [`KafkaFeed`] as the projectors do (a stalled feed is replaced by a new one)
/// until `expected` distinct events arrived or `within` ran out; returns how many arrived.
async fn read_as_projectors_do(
    group: &str,
    topic: &str,
    feed: &mut KafkaFeed,
    seen: &mut HashSet<uuid::Uuid>,
    expected: usize,
    within: Duration,
) -> usize {
    let deadline = tokio::time::Instant::now() + within;
    while seen.len() < expected && tokio::time::Instant::now() < deadline {
        match tokio::time::timeout_at(deadline, feed.next_batch(100, Duration::ZERO)).await {
            Ok(Ok(batch)) => seen.extend(batch.into_iter().map(|d| d.event.event_id)),
            Ok(Err(FeedError::Stalled { .. })) => {
                *feed = KafkaFeed::new(&kafka_support::brokers(), group, &[topic]).unwrap();
            }
            Ok(Err(e)) => println!("feed error (retried): {e}"),
            Err(_) => break,
        }
    }
    seen.len()
}

/// The broker paused for longer than the consumers' session (6 s): each consumer's session
/// ends on its own side while the broker sleeps, and when the broker wakes the group must give
/// it its partitions back. (With tansu 0.6.0 the group read nothing more until the process
/// restarted: issue 23's fault suite, a 10 s pause left 62 of 82 writes unread 120 s later.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_group_reads_on_after_a_pause_longer_than_its_session() {
    let _broker = BROKER.lock().await;
    let f = fixture().await;
    let shutdown = CancellationToken::new();
    let relay = f.spawn_relay(shutdown.clone());
    let streams: Vec<StreamId> = (0..6)
        .map(|_| StreamId::of("outage", Uuid::now_v7()))
        .collect();
    let topic = infrastructure::kafka::topic(&f.context);
    let group = format!("{}-readers", f.context);
    let mut feed = KafkaFeed::new(&kafka_support::brokers(), &group, &[&topic]).unwrap();
    let mut seen = HashSet::new();
    f.append(&streams, 1, 0).await;
    let before = read_as_projectors_do(
        &group,
        &topic,
        &mut feed,
        &mut seen,
        6,
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(before, 6, "the group reads before the pause");

    let pause = DEFAULT_SESSION_TIMEOUT + Duration::from_secs(4);
    let pid = tansu_pid();
    signal("-STOP", &pid);
    tokio::time::sleep(pause).await;
    signal("-CONT", &pid);
    let resumed = std::time::Instant::now();

    f.append(&streams, 1, 1).await;
    let after = read_as_projectors_do(
        &group,
        &topic,
        &mut feed,
        &mut seen,
        12,
        Duration::from_secs(90),
    )
    .await;
    println!(
        "paused {} s: the group read on {:.1} s after the broker resumed",
        pause.as_secs(),
        resumed.elapsed().as_secs_f64()
    );
    assert_eq!(
        after, 12,
        "events written after the pause are read within 90 s"
    );
    shutdown.cancel();
    relay.await.unwrap();
}
