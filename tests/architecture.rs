//! The rules that keep domain teams independent (DESIGN.md), checked on the real manifests:
//! no bounded context depends on another, the shared kernel has no I/O crates, and domain
//! modules are free of I/O and async.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn contexts(meta: &Value) -> Vec<&Value> {
    meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| {
            p["manifest_path"]
                .as_str()
                .unwrap()
                .contains("/bounded-contexts/")
        })
        .collect()
}

#[test]
fn no_bounded_context_depends_on_another() {
    let meta = metadata();
    let all = contexts(&meta);
    assert_eq!(
        all.len(),
        9,
        "identity, merchandise, inventory, ordering, payments, communities, podcasts, \
         recommendations, analytics"
    );
    let names: Vec<&str> = all.iter().map(|p| p["name"].as_str().unwrap()).collect();
    for p in &all {
        for dep in p["dependencies"].as_array().unwrap() {
            let dep = dep["name"].as_str().unwrap();
            assert!(
                !names.contains(&dep),
                "{} depends on {dep}: contexts talk through event-schemas only",
                p["name"]
            );
        }
    }
}

#[test]
fn the_shared_kernel_has_no_io_crates() {
    let meta = metadata();
    let kernel = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "shared-kernel")
        .unwrap();
    for dep in kernel["dependencies"].as_array().unwrap() {
        let name = dep["name"].as_str().unwrap();
        for banned in [
            "sqlx", "axum", "tokio", "lapin", "rdkafka", "reqwest", "hyper",
        ] {
            assert_ne!(name, banned, "shared-kernel must not depend on {banned}");
        }
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn domain_modules_are_pure() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("bounded-contexts");
    let mut files = Vec::new();
    for context in std::fs::read_dir(&root).unwrap() {
        rust_files(&context.unwrap().path().join("src/domain"), &mut files);
    }
    assert!(!files.is_empty(), "no domain modules found");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for banned in [
            "sqlx", "axum", "tokio", "async fn", "Utc::now", "now_v7", "rand::",
        ] {
            assert!(
                !text.contains(banned),
                "{} uses {banned}: domain code is pure",
                file.display()
            );
        }
    }
}

/// Write routes take their command id, and the ids of what they create, from
/// `http_kernel::CommandIds`: kept with the request's `Idempotency-Key`, so a retry after a
/// crash sends the same command and creates nothing twice. An id minted in a route would
/// differ on every retry.
#[test]
fn http_routes_mint_no_ids() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("bounded-contexts");
    let mut files = Vec::new();
    for context in std::fs::read_dir(&root).unwrap() {
        rust_files(&context.unwrap().path().join("src/http"), &mut files);
    }
    assert!(!files.is_empty(), "no http modules found");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for banned in ["now_v7", "Id::new()", "new_v4"] {
            assert!(
                !text.contains(banned),
                "{} uses {banned}: write routes take their ids from CommandIds",
                file.display()
            );
        }
    }
}

fn package<'m>(meta: &'m Value, name: &str) -> &'m Value {
    meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no package {name}"))
}

fn depends_on(package: &Value, name: &str) -> bool {
    package["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["name"] == name)
}

/// The benchmarks are a crate of their own (`bench/`): the composition root in `src/` holds
/// none, and the root depends on the bench crate, never the other way round (no import
/// circle: the benchmarks start the platform through their `Platform` port).
#[test]
fn src_holds_no_benchmark_and_the_bench_crate_not_the_root() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    assert!(!files.is_empty(), "no root sources found");
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy();
        assert!(
            !name.starts_with("bench"),
            "{}: benchmarks live in bench/",
            file.display()
        );
        let text = std::fs::read_to_string(file).unwrap();
        for banned in ["mod bench", "hdrhistogram", "Histogram"] {
            assert!(
                !text.contains(banned),
                "{} has {banned}: benchmarks live in bench/",
                file.display()
            );
        }
    }
    let meta = metadata();
    let bench = package(&meta, "agora-bench");
    assert!(
        !depends_on(bench, "agora"),
        "agora-bench depends on the root: an import circle"
    );
    assert!(depends_on(package(&meta, "agora"), "agora-bench"));
}

/// A context is registered in one place: every crate under `bounded-contexts/` has one line in
/// `src/contexts.rs`, and neither the contract crate (`context-kit`) nor the benchmarks depend on
/// a context other than the one a benchmark measures.
#[test]
fn every_context_is_registered_once() {
    let meta = metadata();
    let registry =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/contexts.rs"))
            .unwrap();
    for context in contexts(&meta) {
        let name = context["name"].as_str().unwrap();
        let line = format!("Registration {{ name: {name}::CONTEXT,");
        assert_eq!(
            registry.matches(&line).count(),
            1,
            "{name} is not registered exactly once in src/contexts.rs"
        );
    }
    let kit = package(&meta, "context-kit");
    for context in contexts(&meta) {
        let name = context["name"].as_str().unwrap();
        assert!(
            !depends_on(kit, name),
            "context-kit depends on the context {name}"
        );
    }
}

/// The names a DDL statement creates or indexes: `CREATE [UNIQUE|VIRTUAL] TABLE|INDEX [IF NOT
/// EXISTS] <name> [ON <table>]`.
fn ddl_names(ddl: &str) -> Vec<String> {
    let words: Vec<&str> = ddl.split_whitespace().collect();
    let mut names = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let upper = word.to_ascii_uppercase();
        let after = |j: usize| {
            words
                .get(j)
                .map(|w| w.trim_matches(|c: char| !(c.is_alphanumeric() || c == '_')))
        };
        if upper == "TABLE" || upper == "INDEX" {
            let mut j = i + 1;
            if words.get(j).is_some_and(|w| w.eq_ignore_ascii_case("IF")) {
                j += 3;
            }
            names.extend(after(j).map(str::to_owned));
        }
        if upper == "ON" && ddl.to_ascii_uppercase().contains("INDEX") {
            names.extend(after(i + 1).map(str::to_owned));
        }
    }
    names
}

/// Each context owns its tables (issue 23): a context's read models are named `<context>.*`
/// and every table and index they create or empty is named `<context>_*`, so a process run
/// with `--contexts <context>` creates only its own (plus the platform's), and a table's owner
/// reads off its name.
#[tokio::test]
async fn every_projection_table_carries_its_context_prefix() {
    use projections::Backend;

    let url = infrastructure::testing::fresh_sqlite_url();
    let database = infrastructure::database::Database::open(
        &url,
        infrastructure::database::PoolSizes { store: 1, read: 1 },
    )
    .await
    .unwrap();
    let mut checked = 0;
    for context in agora::contexts::names() {
        let config = agora::config::ServeArgs {
            contexts: vec![context.to_owned()],
            ..agora::config::ServeArgs::defaults().unwrap()
        };
        for projection in agora::app::projections_for(&config, &database).unwrap() {
            let name = projection.name();
            // The token revocations every process keeps are identity's read model.
            let owner = name.split('.').next().unwrap();
            assert!(
                owner == context || owner == "identity",
                "{name} runs with --contexts {context} but is not named after it"
            );
            let prefix = format!("{owner}_");
            let ddl = projection
                .schema()
                .iter()
                .chain(projection.backend_schema(Backend::Postgres))
                .chain(projection.backend_schema(Backend::Sqlite));
            let created: Vec<String> = ddl.flat_map(|d| ddl_names(d)).collect();
            assert!(!created.is_empty(), "{name} creates no table");
            for table in created
                .iter()
                .map(String::as_str)
                .chain(projection.tables().iter().copied())
            {
                assert!(
                    table.starts_with(&prefix),
                    "{name}: table or index {table} does not start with {prefix}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 20, "only {checked} tables checked");
}

/// `agora migrate --contexts ordering` creates the platform's tables and ordering's, and of
/// other contexts only the token revocations every process keeps.
#[tokio::test]
async fn migrate_creates_only_the_selected_contexts_tables() {
    let url = infrastructure::testing::fresh_sqlite_url();
    let config = agora::config::ServeArgs {
        contexts: vec!["ordering".to_owned()],
        ..agora::config::ServeArgs::with_storage(agora::config::StorageArgs {
            database_url: Some(url.clone()),
            ..agora::config::ServeArgs::defaults().unwrap().storage
        })
        .unwrap()
    };
    agora::app::migrate(&config).await.unwrap();
    let database = infrastructure::database::Database::open(
        &url,
        infrastructure::database::PoolSizes { store: 1, read: 1 },
    )
    .await
    .unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name NOT LIKE '%_fts%'",
    )
    .fetch_all(&database.read)
    .await
    .unwrap();
    let platform = [
        "_sqlx_migrations",
        "events",
        "checkpoints",
        "command_ids",
        "kafka_offsets",
        "saga_timers",
        "idempotency_keys",
        "snapshots",
    ];
    let revocations = ["identity_token_revocations", "identity_signed_out_tokens"];
    assert!(tables.iter().any(|t| t == "ordering_orders"), "{tables:?}");
    for table in &tables {
        assert!(
            table.starts_with("ordering_")
                || platform.contains(&table.as_str())
                || revocations.contains(&table.as_str()),
            "migrate --contexts ordering created {table}"
        );
    }
}
