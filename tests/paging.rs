//! One paging rule for every list (issue 19): every operation of the API document with a
//! `limit` query parameter refuses a limit outside 1 to 100 with 422 `validation_failed`, and
//! takes 100. The lists are found in the document, not in a hand-kept list.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Store, spawn_app};
use serde_json::Value;

#[tokio::test]
async fn every_list_refuses_a_limit_out_of_range_and_takes_the_largest() {
    let app = spawn_app(Store::Sqlite).await;
    let (name, value) = app.user_with_roles(&["admin", "analyst"]).await;
    let doc: Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut lists = 0;
    let mut faults = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(op) = item.get("get") else { continue };
        let pages = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| p["name"] == "limit" && p["in"] == "query");
        if !pages {
            continue;
        }
        lists += 1;
        // Any well-formed value for a path parameter: the limit is checked first.
        let concrete = path
            .split('/')
            .map(|s| {
                if s.starts_with('{') {
                    "0190f0a4-5b7c-7d2e-8f00-0123456789ab"
                } else {
                    s
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        for (limit, refused) in [
            ("0", true),
            ("101", true),
            ("200", true),
            ("-1", true),
            ("abc", true),
            ("100", false),
            ("1", false),
        ] {
            let r = app
                .client
                .get(app.url(&format!("{concrete}?limit={limit}")))
                .header(&name, &value)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            let ok = if refused {
                status == 422 && body["code"] == "validation_failed"
            } else {
                status != 422 && status < 500
            };
            if !ok {
                faults.push(format!("GET {path}?limit={limit}: {status} {body}"));
            }
        }
    }
    assert!(lists >= 10, "only {lists} lists found in the document");
    assert!(faults.is_empty(), "{}", faults.join("\n"));
}
