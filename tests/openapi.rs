//! The API description: the committed `openapi.json` is what the code generates, the server
//! serves exactly that, and every route the contexts and the operations module register is in
//! it (each context's operations under its own tag).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use agora::config::ServeArgs;
use common::{Store, spawn_app};
use serde_json::Value;

const REGENERATE: &str = "regenerate it with `cargo run --bin agora -- openapi > openapi.json` \
                          and commit it";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

async fn generated() -> String {
    let doc = agora::app::openapi_document(&ServeArgs::defaults().unwrap())
        .await
        .unwrap();
    agora::openapi::to_json(&doc).unwrap()
}

fn committed() -> String {
    std::fs::read_to_string(root().join("openapi.json"))
        .unwrap_or_else(|e| panic!("cannot read openapi.json ({e}): {REGENERATE}"))
}

#[tokio::test]
async fn the_committed_document_is_the_generated_one() {
    let generated = generated().await;
    let committed = committed();
    if generated != committed {
        let first = generated
            .lines()
            .zip(committed.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| generated.lines().count().min(committed.lines().count()));
        panic!(
            "openapi.json differs from what the code generates (first difference at line {}: \
             generated {:?}, committed {:?}): {REGENERATE}",
            first + 1,
            generated.lines().nth(first).unwrap_or("<end>"),
            committed.lines().nth(first).unwrap_or("<end>"),
        );
    }
    let doc: Value = serde_json::from_str(&generated).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert_eq!(doc["info"]["title"], "Agora");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    for scheme in ["bearer", "session"] {
        assert!(
            doc["components"]["securitySchemes"][scheme].is_object(),
            "no security scheme {scheme}"
        );
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    // Every reference resolves (a schema named only by a parameter is not collected with its
    // route: inline it), or client generators refuse the document.
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let dangling: BTreeSet<&str> = generated
        .split("\"#/components/schemas/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|name| !schemas.contains_key(*name))
        .collect();
    assert!(dangling.is_empty(), "references to no schema: {dangling:?}");
}

#[tokio::test]
async fn the_server_serves_the_committed_document_and_swagger_ui() {
    let app = spawn_app(Store::Sqlite).await;
    let r = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let served: Value = r.json().await.unwrap();
    let committed: Value = serde_json::from_str(&committed()).unwrap();
    assert!(
        served == committed,
        "the served document is not openapi.json: {REGENERATE}"
    );

    let r = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("swagger-ui"), "{page}");
    let r = app
        .client
        .get(app.url("/docs/swagger-initializer.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("/api/v1/openapi.json"));
}

/// The (method, path) of every operation of a document, with its tags.
fn surface(doc: &Value) -> BTreeMap<(String, String), (BTreeSet<String>, BTreeSet<String>)> {
    let mut all = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let shared = item["parameters"].as_array().cloned().unwrap_or_default();
        for (method, op) in item.as_object().unwrap() {
            if !["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                continue;
            }
            let params = shared
                .iter()
                .chain(op["parameters"].as_array().into_iter().flatten())
                .map(|p| {
                    format!(
                        "{}:{}",
                        p["in"].as_str().unwrap(),
                        p["name"].as_str().unwrap()
                    )
                })
                .collect();
            let codes = op["responses"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect();
            all.insert((method.to_uppercase(), path.clone()), (params, codes));
        }
    }
    all
}

/// The API did not shrink when its edge was rewritten (issue 19): every operation of the
/// document as it was before is still described, with at least its parameters and response
/// codes (`tests/fixtures/openapi-surface-before-issue-19.txt`, one line per operation).
#[tokio::test]
async fn the_document_describes_no_less_than_before_the_edge_was_rewritten() {
    let doc: Value = serde_json::from_str(&generated().await).unwrap();
    let now = surface(&doc);
    let before =
        std::fs::read_to_string(root().join("tests/fixtures/openapi-surface-before-issue-19.txt"))
            .unwrap();
    let set = |text: &str, key: &str| -> BTreeSet<String> {
        text.strip_prefix(key)
            .unwrap()
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let mut lost = Vec::new();
    for line in before.lines().filter(|l| !l.trim().is_empty()) {
        let parts: Vec<&str> = line.split(' ').collect();
        let [method, path, params, codes] = parts[..] else {
            panic!("unreadable line {line:?}");
        };
        let key = (method.to_owned(), path.to_owned());
        let Some((params_now, codes_now)) = now.get(&key) else {
            lost.push(format!("{method} {path}: no longer described"));
            continue;
        };
        let missing_params: Vec<_> = set(params, "params=")
            .difference(params_now)
            .cloned()
            .collect();
        let missing_codes: Vec<_> = set(codes, "responses=")
            .difference(codes_now)
            .cloned()
            .collect();
        if !missing_params.is_empty() || !missing_codes.is_empty() {
            lost.push(format!(
                "{method} {path}: parameters {missing_params:?}, responses {missing_codes:?} lost"
            ));
        }
    }
    assert!(lost.is_empty(), "the API shrank:\n{}", lost.join("\n"));
}

/// The router serves exactly what the document describes, found by asking the router itself:
/// every described (method, path) is answered by a route (neither 405 nor the fallback's 404
/// `route not found`), and every other method on a described path is 405. Routes are declared
/// once (`routes!`), so this holds by construction; this test keeps it so.
#[tokio::test]
async fn the_router_serves_exactly_what_the_document_describes() {
    let app = spawn_app(Store::Sqlite).await;
    let doc: Value = serde_json::from_str(&generated().await).unwrap();
    let described = surface(&doc);
    let contexts: BTreeSet<String> = agora::contexts::names()
        .iter()
        .map(|c| (*c).to_owned())
        .chain(["ops".to_owned()])
        .collect();
    let mut per_tag: BTreeMap<String, usize> = BTreeMap::new();
    let mut faults = Vec::new();
    let mut paths: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (method, path) in described.keys() {
        paths
            .entry(path.clone())
            .or_default()
            .insert(method.clone());
        let op = &doc["paths"][path][method.to_lowercase()];
        let tags: Vec<&str> = op["tags"]
            .as_array()
            .map(|t| t.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        match tags[..] {
            [tag] if contexts.contains(tag) => *per_tag.entry(tag.to_owned()).or_default() += 1,
            _ => faults.push(format!(
                "{method} {path}: tags {tags:?}, expected one context's"
            )),
        }
    }
    for (path, methods) in &paths {
        // Any value for a parameter: a route that does not know it still answers (404, 401...).
        let concrete = path
            .split('/')
            .map(|seg| {
                if seg.starts_with('{') {
                    "0190f0a4-5b7c-7d2e-8f00-0123456789ab"
                } else {
                    seg
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            let request = app
                .client
                .request(method.parse().unwrap(), app.url(&concrete))
                .header("content-type", "application/json")
                .timeout(std::time::Duration::from_secs(10));
            let request = if method == "GET" {
                request
            } else {
                request.body("{}")
            };
            let (status, detail) = match request.send().await {
                Ok(r) => {
                    let status = r.status().as_u16();
                    let body: Value = r.json().await.unwrap_or(Value::Null);
                    (
                        status,
                        body["detail"].as_str().unwrap_or_default().to_owned(),
                    )
                }
                // A stream that keeps the connection open answered with a route.
                Err(e) if e.is_timeout() => (200, String::new()),
                Err(e) => panic!("{method} {concrete}: {e}"),
            };
            let routed = status != 405 && !(status == 404 && detail == "route not found");
            match (methods.contains(method), routed) {
                (true, false) => {
                    faults.push(format!("{method} {path}: described, not served ({status})"))
                }
                (false, true) => {
                    faults.push(format!("{method} {path}: served ({status}), not described"))
                }
                _ => {}
            }
        }
    }
    assert!(faults.is_empty(), "{}", faults.join("\n"));
    // Every tag the document declares (a context with routes, or the operations) has some.
    for tag in doc["tags"].as_array().into_iter().flatten() {
        let tag = tag["name"].as_str().unwrap();
        assert!(
            per_tag.get(tag).copied().unwrap_or(0) > 0,
            "no operation tagged {tag}"
        );
    }
}

/// The route table of `docs/api.md`, from the document: one row per operation, by tag.
fn route_table(doc: &Value) -> String {
    let mut rows: Vec<(String, String, String, String)> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if !["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                continue;
            }
            let tag = op["tags"][0].as_str().unwrap_or("other").to_owned();
            let who = if op["security"].as_array().is_some_and(|s| {
                !s.iter()
                    .any(|r| r.as_object().is_some_and(serde_json::Map::is_empty))
            }) {
                "signed in"
            } else {
                "anyone"
            };
            let summary = op["summary"]
                .as_str()
                .unwrap_or_default()
                .replace('|', "\\|");
            rows.push((
                tag,
                path.clone(),
                method.to_uppercase(),
                format!("{who} | {summary}"),
            ));
        }
    }
    rows.sort();
    let mut table =
        String::from("| context | method | path | who | what |\n|---|---|---|---|---|\n");
    for (tag, path, method, rest) in rows {
        table.push_str(&format!("| {tag} | {method} | `{path}` | {rest} |\n"));
    }
    table
}

#[tokio::test]
async fn the_route_table_of_the_docs_is_the_document_s() {
    let doc: Value = serde_json::from_str(&generated().await).unwrap();
    let table = route_table(&doc);
    let file = root().join("docs/api.md");
    let text = std::fs::read_to_string(&file).unwrap();
    let (begin, end) = ("<!-- routes:begin -->\n", "<!-- routes:end -->");
    let start = text.find(begin).unwrap() + begin.len();
    let stop = text.find(end).unwrap();
    if text[start..stop] != table {
        if std::env::var_os("AGORA_BLESS").is_some() {
            let blessed = format!("{}{table}{}", &text[..start], &text[stop..]);
            std::fs::write(&file, blessed).unwrap();
        } else {
            panic!(
                "docs/api.md's route table is not the document's: run \
                 `AGORA_BLESS=1 cargo test -p agora --test openapi` and commit docs/api.md"
            );
        }
    }
}

/// Generated clients name a method after each `operationId` (openapi-typescript, the
/// generators of other languages), so two operations with one id break them: found when
/// `POST /episodes/{id}/publish` and `POST /products/{id}/publish` were both `publish`.
#[tokio::test]
async fn every_operation_id_is_unique() {
    let doc: Value = serde_json::from_str(&generated().await).unwrap();
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                seen.entry(id.to_owned())
                    .or_default()
                    .push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    let twice: Vec<_> = seen.iter().filter(|(_, at)| at.len() > 1).collect();
    assert!(twice.is_empty(), "operationIds used twice: {twice:?}");
}
