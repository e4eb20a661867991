//! The Kafka broker made unreachable (SIGSTOP) in the middle of relaying, then resumed
//! (SIGCONT; the memory engine would forget everything on a restart): nothing is skipped,
//! no stream is reordered. Its own test binary: no other Kafka test runs while paused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod kafka_support;

use std::time::Duration;

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
