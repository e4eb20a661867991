//! The API description: the committed `openapi.json` is what the code generates, the server
//! serves exactly that, and every route the contexts and the operations module register is in
//! it (each context's operations under its own tag).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

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

/// The (method, path) pairs of a document.
fn operations(doc: &Value) -> BTreeMap<(String, String), Vec<String>> {
    let mut all = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if ["get", "put", "post", "delete", "patch", "head", "options"]
                .contains(&method.as_str())
            {
                let tags = op["tags"]
                    .as_array()
                    .map(|t| t.iter().map(|t| t.as_str().unwrap().to_owned()).collect())
                    .unwrap_or_default();
                all.insert((method.clone(), path.clone()), tags);
            }
        }
    }
    all
}

/// The routes a source file registers: `.route("/path", get(..).post(..))`, outside tests.
fn routes_in(source: &str) -> Vec<(String, String)> {
    let source = source.split("#[cfg(test)]").next().unwrap_or_default();
    let mut found = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find(".route(") {
        rest = &rest[at + ".route(".len()..];
        let Some(open) = rest.find('"') else { break };
        let after = &rest[open + 1..];
        let close = after.find('"').unwrap();
        let path = after[..close].to_owned();
        // The method router: up to the parenthesis closing `.route(`.
        let body = &after[close + 1..];
        let mut depth = 1_i32;
        let mut end = body.len();
        for (i, c) in body.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let methods = &body[..end];
        // Methods at the top level of the method router (not inside a handler closure).
        let mut level = 0_i32;
        let bytes: Vec<char> = methods.chars().collect();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                '(' | '{' | '[' => level += 1,
                ')' | '}' | ']' => level -= 1,
                _ => {}
            }
            if level == 0 {
                for method in ["get", "post", "put", "patch", "delete"] {
                    let word: String = bytes[i..].iter().take(method.len() + 1).collect();
                    let boundary =
                        i == 0 || !(bytes[i - 1].is_alphanumeric() || bytes[i - 1] == '_');
                    if boundary && word == format!("{method}(") {
                        found.push((method.to_owned(), path.clone()));
                    }
                }
            }
            i += 1;
        }
        rest = &body[end..];
    }
    found
}

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

#[test]
fn the_route_scanner_reads_method_routers() {
    let found = routes_in(
        r#"Router::new()
            .route("/a/{id}", get(one).patch(two).delete(three))
            .route(
                "/b",
                post(|| async { get(x) }),
            )
        #[cfg(test)]
            .route("/c", get(c))"#,
    );
    assert_eq!(
        found,
        [
            ("get".to_owned(), "/a/{id}".to_owned()),
            ("patch".to_owned(), "/a/{id}".to_owned()),
            ("delete".to_owned(), "/a/{id}".to_owned()),
            ("post".to_owned(), "/b".to_owned()),
        ]
    );
}

#[tokio::test]
async fn every_route_is_described_under_its_context_tag() {
    let doc: Value = serde_json::from_str(&generated().await).unwrap();
    let described = operations(&doc);

    // (context or "ops", method, path) of every registered route.
    let mut registered: Vec<(String, String, String)> = Vec::new();
    for context in agora::contexts::names() {
        let mut files = Vec::new();
        rust_files(
            &root()
                .join("bounded-contexts")
                .join(context)
                .join("src/http"),
            &mut files,
        );
        for file in files {
            let source = std::fs::read_to_string(&file).unwrap();
            for (method, path) in routes_in(&source) {
                registered.push((context.to_owned(), method, path));
            }
        }
    }
    let ops = std::fs::read_to_string(root().join("src/ops.rs")).unwrap();
    for (method, path) in routes_in(&ops) {
        registered.push(("ops".to_owned(), method, path));
    }
    assert!(
        registered.len() > 20,
        "the scanner found too few routes: {registered:?}"
    );

    let mut missing = Vec::new();
    let mut wrong_tag = Vec::new();
    let mut per_tag: BTreeMap<String, usize> = BTreeMap::new();
    for (owner, method, path) in &registered {
        match described.get(&(method.clone(), path.clone())) {
            None => missing.push(format!("{} {path} ({owner})", method.to_uppercase())),
            Some(tags) if !tags.contains(owner) => wrong_tag.push(format!(
                "{} {path}: tags {tags:?}, expected {owner}",
                method.to_uppercase()
            )),
            Some(_) => *per_tag.entry(owner.clone()).or_default() += 1,
        }
    }
    assert!(
        missing.is_empty(),
        "{} routes are not in the OpenAPI document (add #[utoipa::path] and list them in the \
         context's src/http/openapi.rs):\n{}",
        missing.len(),
        missing.join("\n")
    );
    assert!(wrong_tag.is_empty(), "{}", wrong_tag.join("\n"));

    // Every context that has routes has operations under its tag, and the document describes
    // no route the router lacks (beyond the document's own).
    let owners: BTreeSet<&String> = registered.iter().map(|(o, _, _)| o).collect();
    for owner in owners {
        assert!(
            per_tag.get(owner).copied().unwrap_or(0) > 0,
            "no operation tagged {owner}"
        );
    }
    let registered: BTreeSet<(String, String)> = registered
        .into_iter()
        .map(|(_, m, p)| (m, p))
        .chain([("get".to_owned(), agora::openapi::DOCUMENT_PATH.to_owned())])
        .collect();
    let extra: Vec<_> = described
        .keys()
        .filter(|k| !registered.contains(*k))
        .collect();
    assert!(extra.is_empty(), "described but not routed: {extra:?}");
}
