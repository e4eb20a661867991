//! `/analytics` in headless Chromium: with a paid order, a community post and its comment in
//! the log, the page (Chart.js shipped with the binary, nothing from a CDN) draws every chart
//! with data points for an analyst. The screenshot is saved as
//! `~/.cache/agora/analytics/analytics.png`. Chromium comes from `scripts/test` (Debian's
//! `chromium`); the test fails loudly without it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::{Store, TestApp, spawn_app};
use serde_json::{Value, json};

fn chromium() -> PathBuf {
    let found = std::env::var_os("AGORA_CHROMIUM")
        .map(PathBuf::from)
        .or_else(|| {
            ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
                .iter()
                .map(PathBuf::from)
                .find(|p| p.exists())
        });
    found.expect(
        "chromium is missing: scripts/test installs Debian's `chromium` (or set AGORA_CHROMIUM)",
    )
}

async fn write(app: &TestApp, who: &(String, String), path: &str, body: Value) -> Value {
    let r = app
        .client
        .post(app.url(path))
        .header(who.0.clone(), who.1.clone())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{path}: {}", r.status());
    r.json().await.unwrap()
}

/// Chromium's view of the page after its scripts ran: the DOM, and a screenshot.
fn render(url: &str, screenshot: &std::path::Path) -> String {
    let common_flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--window-size=1400,1100",
        "--virtual-time-budget=20000",
    ];
    let dom = std::process::Command::new(chromium())
        .args(common_flags)
        .arg("--dump-dom")
        .arg(url)
        .output()
        .unwrap();
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let shot = std::process::Command::new(chromium())
        .args(common_flags)
        .arg(format!("--screenshot={}", screenshot.display()))
        .arg(url)
        .output()
        .unwrap();
    assert!(
        shot.status.success(),
        "{}",
        String::from_utf8_lossy(&shot.stderr)
    );
    String::from_utf8_lossy(&dom.stdout).into_owned()
}

fn attribute<'a>(dom: &'a str, name: &str) -> &'a str {
    let start = dom
        .find(&format!("{name}=\""))
        .unwrap_or_else(|| panic!("no {name} in {}", &dom[..dom.len().min(2_000)]))
        + name.len()
        + 2;
    let end = dom[start..].find('"').unwrap() + start;
    &dom[start..end]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_analytics_page_draws_every_chart_with_data() {
    let app = spawn_app(Store::Sqlite).await;
    let analyst = app.user_with_roles(&["analyst"]).await;
    let seller = app.new_user().await;
    let buyer = app.new_user().await;
    let stocked = app.stocked_product(&seller.header(), 12_900, 5).await;
    let order = app
        .place_order(
            &buyer.header(),
            &common::order_body(&stocked.id, 2, "tok_ok"),
            &stocked.position,
        )
        .await;
    app.wait_for_order_status(&buyer.header(), &order, "paid", Duration::from_secs(30))
        .await;
    write(
        &app,
        &seller.header(),
        "/api/v1/communities",
        json!({"name": "chess", "title": "Chess", "description": "All about chess"}),
    )
    .await;
    let post = write(
        &app,
        &seller.header(),
        "/api/v1/communities/chess/posts",
        json!({"title": "Best opening?", "body": "Discuss."}),
    )
    .await;
    write(
        &app,
        &buyer.header(),
        &format!("/api/v1/posts/{}/comments", post["id"].as_str().unwrap()),
        json!({"body": "The Italian."}),
    )
    .await;
    // The figures are read models: wait until they show the order and the comment.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let get = |path: &'static str| {
            app.client
                .get(app.url(path))
                .header(analyst.0.clone(), analyst.1.clone())
                .send()
        };
        let sales: Value = get("/api/v1/analytics/sales")
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let talk: Value = get("/api/v1/analytics/communities")
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if !sales["items"].as_array().unwrap().is_empty()
            && talk["items"][0]["comments"].as_i64() == Some(1)
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "figures did not appear: {sales} {talk}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let page = app.client.get(app.url("/analytics")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("Chart.js v4"), "the library is inlined");
    assert!(!html.contains("https://cdn"), "nothing from a CDN");

    let token = analyst.1.trim_start_matches("Bearer ");
    let url = format!("{}#token={token}", app.url("/analytics"));
    let dir = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
        .join(".cache/agora/analytics");
    std::fs::create_dir_all(&dir).unwrap();
    let screenshot = dir.join("analytics.png");
    let _ = std::fs::remove_file(&screenshot);
    let dom = render(&url, &screenshot);
    assert_eq!(
        attribute(&dom, "data-ready"),
        "true",
        "the page finished loading"
    );
    let points: usize = attribute(&dom, "data-points").parse().unwrap();
    // revenue (1 day) + top (1 product) + funnel (4 stages x 1 day) + users (2 x 1 day) +
    // communities (2 x 1 day).
    assert!(points >= 10, "{points} data points");
    for chart in attribute(&dom, "data-inked").split(',') {
        let (name, inked) = chart.split_once(':').unwrap();
        let inked: usize = inked.parse().unwrap();
        assert!(inked > 2_000, "chart {name} drew {inked} pixels: blank");
    }
    assert!(
        !dom.contains("-note\">could not load") && !dom.contains("-note\">for analysts"),
        "a chart failed: {}",
        attribute(&dom, "data-inked")
    );
    let png = std::fs::read(&screenshot).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    assert!(
        png.len() > 20_000,
        "a screenshot of charts, not of a blank page"
    );
}
