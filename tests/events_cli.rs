//! `agora events export|replay` on both stores: an export (JSON Lines and Parquet, with typed
//! files) read back equals the log it was taken from, confidential data withheld; replaying
//! the export into Kafka produces the same events with the relay's keys and headers; replaying
//! it into a read model builds the same rows as replaying the store; and pyarrow (in the
//! virtualenv `scripts/test` creates) reads the Parquet file with the expected columns, types,
//! row count and values.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use agora::cli::{Cli, Command};
use agora::events_cli::{self, EventsCommand};
use clap::Parser;
use common::{Store, TestApp, on_both_stores, spawn_app};
use serde_json::{Value, json};
use shared_kernel::{Cursor, EventMetadata, ExpectedVersion, NewEvent, Recorded, StreamId};

fn events_command(args: &[&str]) -> EventsCommand {
    let mut argv = vec!["agora", "events"];
    argv.extend_from_slice(args);
    match Cli::try_parse_from(argv).unwrap().command {
        Command::Events(c) => c,
        other => panic!("{other:?}"),
    }
}

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("agora-export-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Users (whose password hashes are confidential) and a few streams of events.
async fn seed(app: &TestApp) {
    for _ in 0..3 {
        app.new_user().await;
    }
    for s in 0..5 {
        let stream = StreamId::of("probe", uuid::Uuid::now_v7());
        let events = (0..40)
            .map(|i| NewEvent {
                event_id: uuid::Uuid::now_v7(),
                event_type: format!("agora.probe.thing_{}", i % 3),
                schema_version: 1,
                data: json!({ "s": s, "i": i, "note": "ünïcødé \"quoted\"" }),
                metadata: EventMetadata {
                    actor: Some("tester".into()),
                    correlation_id: Some(uuid::Uuid::now_v7()),
                    ..EventMetadata::default()
                },
            })
            .collect();
        app.running
            .store
            .append(&stream, ExpectedVersion::NoStream, events)
            .await
            .unwrap();
    }
}

async fn whole_log(app: &TestApp) -> Vec<Recorded> {
    let mut out = Vec::new();
    let mut after = Cursor::START;
    loop {
        let page = app.running.store.read_all(after, 1_000).await.unwrap();
        let Some(last) = page.last() else { return out };
        after = last.cursor;
        out.extend(page);
    }
}

/// The fields an export keeps, confidential data withheld.
fn comparable(e: &Recorded) -> Value {
    let withheld = event_schemas::identity::CONFIDENTIAL.contains(&e.event_type.as_str());
    json!({
        "id": e.event_id, "stream": e.stream_id, "version": e.stream_version,
        "position": e.position, "type": e.event_type, "schema": e.schema_version,
        "data": if withheld { Value::Null } else { e.data.clone() },
        "actor": e.metadata.actor, "correlation": e.metadata.correlation_id,
        "time": e.recorded_at.timestamp_micros(),
    })
}

fn storage_flag(app: &TestApp) -> String {
    app.settings.storage.url()
}

async fn export_and_replay_round_trip(store: Store) {
    let app = spawn_app(store).await;
    seed(&app).await;
    let source = whole_log(&app).await;
    let dir = scratch_dir();
    let url = storage_flag(&app);
    let jsonl = dir.join("all.jsonl");
    let parquet = dir.join("all.parquet");
    let typed = dir.join("typed");
    let EventsCommand::Export(args) = events_command(&[
        "export",
        "--database-url",
        &url,
        "--output",
        jsonl.to_str().unwrap(),
        "--quiet",
    ]) else {
        unreachable!()
    };
    let done = events_cli::export_command(args).await.unwrap();
    assert_eq!(done.events as usize, source.len());
    let EventsCommand::Export(args) = events_command(&[
        "export",
        "--database-url",
        &url,
        "--output",
        parquet.to_str().unwrap(),
        "--typed-dir",
        typed.to_str().unwrap(),
        "--quiet",
    ]) else {
        unreachable!()
    };
    events_cli::export_command(args).await.unwrap();

    // Both files read back as the log.
    let want: Vec<Value> = source.iter().map(comparable).collect();
    for file in [&jsonl, &parquet] {
        let back: Vec<Value> = analytics::export::read_file(file)
            .unwrap()
            .iter()
            .map(|(_, r)| comparable(r))
            .collect();
        assert_eq!(back, want, "{}", file.display());
    }
    let withheld = analytics::export::read_file(&jsonl)
        .unwrap()
        .into_iter()
        .filter(|(e, _)| e.withheld)
        .count();
    assert_eq!(withheld, 3, "the three password hashes");
    assert!(typed.join("agora.probe.thing_1.v1.parquet").exists());
    assert!(
        !typed
            .join("agora.identity.password_set.v1.parquet")
            .exists()
    );

    // Resumable: from the cursor of the 100th event, exactly the rest.
    let middle = analytics::cursor::encode(source[99].cursor);
    let rest = dir.join("rest.jsonl");
    let EventsCommand::Export(args) = events_command(&[
        "export",
        "--database-url",
        &url,
        "--after",
        &middle,
        "--output",
        rest.to_str().unwrap(),
        "--quiet",
    ]) else {
        unreachable!()
    };
    events_cli::export_command(args).await.unwrap();
    let rest: Vec<Value> = analytics::export::read_file(&rest)
        .unwrap()
        .iter()
        .map(|(_, r)| comparable(r))
        .collect();
    assert_eq!(rest, want[100..]);

    // A day and a type: the filters of /events.
    let day = source[0].recorded_at.format("%Y-%m-%d").to_string();
    let probe = dir.join("probe.jsonl");
    let EventsCommand::Export(args) = events_command(&[
        "export",
        "--database-url",
        &url,
        "--day",
        &day,
        "--type",
        "agora.probe.thing_2",
        "--output",
        probe.to_str().unwrap(),
        "--quiet",
    ]) else {
        unreachable!()
    };
    let done = events_cli::export_command(args).await.unwrap();
    let expected = source
        .iter()
        .filter(|e| e.event_type == "agora.probe.thing_2")
        .count();
    assert_eq!(done.events as usize, expected);

    // Replay the Parquet export into Kafka: the relay's topics, keys and headers.
    let brokers =
        std::env::var("AGORA_TEST_KAFKA_BROKERS").unwrap_or_else(|_| "127.0.0.1:9092".into());
    let prefix = format!("rt{}", uuid::Uuid::now_v7().simple());
    let EventsCommand::Replay(args) = events_command(&[
        "replay",
        "--into",
        "kafka",
        "--input",
        parquet.to_str().unwrap(),
        "--kafka-brokers",
        &brokers,
        "--kafka-topic-prefix",
        &prefix,
        "--kafka-partitions",
        "1",
        "--database-url",
        &url,
        "--quiet",
    ]) else {
        unreachable!()
    };
    let done = events_cli::replay_command(args).await.unwrap();
    assert_eq!(done.events as usize, source.len());
    let config = infrastructure::kafka::KafkaConfig {
        topic_prefix: prefix.clone(),
        ..infrastructure::kafka::KafkaConfig::new(brokers.clone())
    };
    let consumer = config.consumer("roundtrip").unwrap();
    let mut from_kafka = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while from_kafka.len() < source.len() && Instant::now() < deadline {
        if let Ok(Ok(batch)) = tokio::time::timeout(
            Duration::from_secs(5),
            consumer.next_batch(500, Duration::ZERO),
        )
        .await
        {
            for d in batch {
                let context = d.event.context().to_owned();
                assert_eq!(d.topic, format!("{prefix}.{context}.events"));
                from_kafka.push(d.event);
            }
        }
    }
    from_kafka.sort_by_key(|e| e.position);
    let got: Vec<Value> = from_kafka.iter().map(comparable).collect();
    let mut want_by_position = want.clone();
    want_by_position.sort_by_key(|v| v["position"].as_u64());
    assert_eq!(got, want_by_position);

    // Replay into a read model: the export builds what the store builds.
    let mut rows = Vec::new();
    for input in [None, Some(&jsonl)] {
        let scratch = format!(
            "sqlite://{}",
            dir.join(format!("rm-{}.db", rows.len())).display()
        );
        let mut argv = vec![
            "replay",
            "--into",
            "projection",
            "--projection",
            "analytics.activity",
            "--read-database-url",
            &scratch,
            "--database-url",
            &url,
            "--quiet",
        ];
        let input_text;
        if let Some(file) = input {
            input_text = file.to_str().unwrap().to_owned();
            argv.extend(["--input", &input_text]);
        }
        let EventsCommand::Replay(args) = events_command(&argv) else {
            unreachable!()
        };
        events_cli::replay_command(args).await.unwrap();
        let pool = sqlx::SqlitePool::connect(&scratch).await.unwrap();
        let active: Vec<(String, String)> =
            sqlx::query_as("SELECT day, user_id FROM analytics_active_users ORDER BY day, user_id")
                .fetch_all(&pool)
                .await
                .unwrap();
        let new: Vec<(String, i64)> =
            sqlx::query_as("SELECT day, users FROM analytics_new_users_daily ORDER BY day")
                .fetch_all(&pool)
                .await
                .unwrap();
        assert_eq!(new.iter().map(|r| r.1).sum::<i64>(), 3);
        rows.push((active, new));
    }
    assert_eq!(rows[0], rows[1]);

    pyarrow_reads(&parquet, &source, &typed);
}

/// The Python of the virtualenv `scripts/test` creates (pyarrow and DuckDB, pinned there).
fn venv_python() -> PathBuf {
    if let Some(p) = std::env::var_os("AGORA_ANALYTICS_PYTHON") {
        return PathBuf::from(p);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".cache/agora/analytics-venv/bin/python")
}

fn pyarrow_reads(parquet: &Path, source: &[Recorded], typed: &Path) {
    let python = venv_python();
    assert!(
        python.exists(),
        "{} is missing: scripts/test creates this virtualenv with pinned pyarrow and duckdb \
         (or set AGORA_ANALYTICS_PYTHON to a Python that has them)",
        python.display()
    );
    let sample = &source[source.len() - 1];
    let script = r#"
import json, sys
import pyarrow.parquet as pq
import duckdb
path, typed = sys.argv[1], sys.argv[2]
t = pq.read_table(path)
types = {f.name: str(f.type) for f in t.schema}
last = t.slice(t.num_rows - 1).to_pylist()[0]
con = duckdb.connect()
by_type = con.execute("SELECT type, count(*) FROM read_parquet(?) GROUP BY type ORDER BY type", [path]).fetchall()
typed_rows = con.execute("SELECT count(*), min(i), max(i) FROM read_parquet(?)", [typed + "/agora.probe.thing_1.v1.parquet"]).fetchone()
typed_types = {f.name: str(f.type) for f in pq.read_schema(typed + "/agora.probe.thing_1.v1.parquet")}
print(json.dumps({"rows": t.num_rows, "types": types, "last": {
    "id": last["id"], "type": last["type"], "subject": last["subject"],
    "position": last["position"], "data": json.loads(last["data"]) if last["data"] else None,
    "time": last["time"].isoformat()}, "by_type": by_type, "typed_rows": typed_rows,
    "typed_types": typed_types}, default=str))
"#;
    let out = std::process::Command::new(&python)
        .arg("-c")
        .arg(script)
        .arg(parquet)
        .arg(typed)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(read["rows"], source.len());
    let types = &read["types"];
    assert_eq!(types["id"], "string");
    assert_eq!(types["data"], "string");
    assert_eq!(types["time"], "timestamp[us, tz=UTC]");
    assert_eq!(types["position"], "int64");
    assert_eq!(types["streamversion"], "int64");
    assert_eq!(types["withheld"], "bool");
    assert_eq!(read["last"]["id"], sample.event_id.to_string());
    assert_eq!(read["last"]["type"], sample.cloudevents_type());
    assert_eq!(read["last"]["subject"], sample.stream_id.as_str());
    assert_eq!(read["last"]["position"], sample.position);
    assert_eq!(read["last"]["data"], sample.data);
    let probes: i64 = read["by_type"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r[0].as_str().unwrap().starts_with("agora.probe."))
        .map(|r| r[1].as_i64().unwrap())
        .sum();
    assert_eq!(probes, 200);
    // The typed file: a column per field, integers as integers.
    assert_eq!(read["typed_rows"][0], 65);
    assert_eq!(read["typed_rows"][1], 1);
    assert_eq!(read["typed_rows"][2], 37);
    assert_eq!(read["typed_types"]["i"], "int64");
    assert_eq!(read["typed_types"]["ce_time"], "timestamp[us, tz=UTC]");
}

on_both_stores!(export_and_replay_round_trip);

/// Found by a tester: Ctrl-C during `events export` killed the process mid-line, leaving a
/// JSON Lines file with half an object and a Parquet file without its footer (unreadable), and
/// no cursor to resume from. Stopped after its first page, an export closes both files whole,
/// and says where to continue; the rest, exported from there, completes the log.
#[tokio::test]
async fn an_export_stopped_half_way_leaves_whole_files_and_resumes() {
    use analytics::cloudevents::Withheld;
    use analytics::export::{self, ExportRange, Format, PAGE};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let app = spawn_app(Store::Sqlite).await;
    // More than two pages of events.
    for s in 0..12 {
        let stream = StreamId::of("probe", uuid::Uuid::now_v7());
        let events = (0..1_000)
            .map(|i| NewEvent {
                event_id: uuid::Uuid::now_v7(),
                event_type: "agora.probe.thing_0".into(),
                schema_version: 1,
                data: json!({ "s": s, "i": i }),
                metadata: EventMetadata::default(),
            })
            .collect();
        app.running
            .store
            .append(&stream, ExpectedVersion::NoStream, events)
            .await
            .unwrap();
    }
    let total = whole_log(&app).await.len();
    assert!(total > 2 * PAGE);
    let dir = scratch_dir();
    let sinks = |name: &str| {
        let jsonl = std::fs::File::create(dir.join(format!("{name}.jsonl"))).unwrap();
        let parquet = std::fs::File::create(dir.join(format!("{name}.parquet"))).unwrap();
        vec![
            export::sink(Format::JsonLines, Box::new(jsonl), "", Withheld::default()).unwrap(),
            export::sink(Format::Parquet, Box::new(parquet), "", Withheld::default()).unwrap(),
        ]
    };
    let stop = Arc::new(AtomicBool::new(false));
    let first = export::export_until_stopped(
        Arc::clone(&app.running.store),
        ExportRange {
            filter: Default::default(),
            after: Cursor::START,
            until: None,
        },
        sinks("first"),
        |_, _| stop.store(true, Ordering::Relaxed), // "Ctrl-C" during the first page
        &stop,
    )
    .await
    .unwrap();
    assert_eq!(
        first.events, PAGE as u64,
        "stops after the page being written"
    );
    let rest = export::export(
        Arc::clone(&app.running.store),
        ExportRange {
            filter: Default::default(),
            after: first.last,
            until: None,
        },
        sinks("rest"),
        |_, _| {},
    )
    .await
    .unwrap();
    assert_eq!(first.events + rest.events, total as u64);

    // Every line whole, and the Parquet files readable by pyarrow with their rows.
    for (name, rows) in [("first", first.events), ("rest", rest.events)] {
        let text = std::fs::read_to_string(dir.join(format!("{name}.jsonl"))).unwrap();
        assert!(text.ends_with('\n'));
        for line in text.lines() {
            serde_json::from_str::<Value>(line).expect("a whole JSON object per line");
        }
        assert_eq!(text.lines().count() as u64, rows);
        let read = std::process::Command::new(venv_python())
            .args([
                "-c",
                "import sys, pyarrow.parquet as pq; print(pq.read_table(sys.argv[1]).num_rows)",
            ])
            .arg(dir.join(format!("{name}.parquet")))
            .output()
            .unwrap();
        assert!(
            read.status.success(),
            "{}",
            String::from_utf8_lossy(&read.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&read.stdout).trim(),
            rows.to_string()
        );
    }
}

/// Found by a tester: `events replay --into kafka` with no broker listening waited for ever,
/// logging librdkafka's errors. It fails within its bounded wait, naming the brokers.
#[tokio::test]
async fn a_replay_into_an_unreachable_kafka_fails_instead_of_waiting_for_ever() {
    let app = spawn_app(Store::Sqlite).await;
    seed(&app).await;
    let url = storage_flag(&app);
    // A port nothing listens on: bound, then closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let brokers = format!("127.0.0.1:{port}");
    let started = Instant::now();
    let replay = tokio::time::timeout(
        Duration::from_secs(120),
        events_cli::run(events_command(&[
            "replay",
            "--database-url",
            &url,
            "--into",
            "kafka",
            "--kafka-brokers",
            &brokers,
            "--quiet",
        ])),
    )
    .await
    .expect("the replay ends on its own");
    let error = format!("{:#}", replay.expect_err("no broker: an error"));
    assert!(error.contains(&brokers), "{error}");
    assert!(started.elapsed() < Duration::from_secs(60));
}

/// Found by a tester: `--after 0.5 --until 0.3` exported nothing and exited 0; partitions 0
/// was accepted. Both are refused before anything is read.
#[test]
fn an_inverted_range_and_zero_partitions_are_refused() {
    let EventsCommand::Export(args) =
        events_command(&["export", "--after", "0.5", "--until", "0.3"])
    else {
        panic!("an export");
    };
    let error = format!("{:#}", args.range.range().expect_err("inverted"));
    assert!(error.contains("--until is before --after"), "{error}");
    let EventsCommand::Export(args) = events_command(&[
        "export",
        "--from",
        "2026-12-07T00:00:00Z",
        "--to",
        "2026-12-06T00:00:00Z",
    ]) else {
        panic!("an export");
    };
    assert!(args.range.range().is_err());
    let parsed = Cli::try_parse_from([
        "agora",
        "events",
        "replay",
        "--into",
        "kafka",
        "--kafka-partitions",
        "0",
    ]);
    assert!(parsed.is_err(), "partitions 0 refused");
}
