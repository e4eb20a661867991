//! The timed requests of `agora bench-feed`: first pages, walks by cursor, deep pages,
//! interleaved over every series.

use std::fmt::Write as _;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use super::{BenchFeedArgs, Series, WALK_PAGES};

pub(super) async fn request_all(
    args: &BenchFeedArgs,
    client: &reqwest::Client,
    base: &str,
    series: &mut [Series],
) -> Result<()> {
    for i in 0..args.warmup + args.requests {
        let timed = i >= args.warmup;
        for s in series.iter_mut() {
            let page = |cursor: Option<&str>| {
                let mut url = format!(
                    "{base}/api/v1/communities/{}/posts?sort={}&limit={}",
                    s.fixture.name, s.sort, args.limit
                );
                if let Some(c) = cursor {
                    let _ = write!(url, "&cursor={c}");
                }
                url
            };
            let (url, kind) = match i % 3 {
                0 => (page(None), 0),
                1 => {
                    let cursor = match &s.walk {
                        Some((cursor, pages)) if *pages < WALK_PAGES => cursor.clone(),
                        _ => {
                            let first = get(client, &page(None), args.limit).await?.1;
                            s.walk = first.clone().map(|c| (c, 1));
                            first.context("the first page has no next cursor")?
                        }
                    };
                    (page(Some(&cursor)), 1)
                }
                _ => (page(Some(&s.deep_cursor)), 2),
            };
            let (micros, next) = get(client, &url, if kind == 2 { 1 } else { args.limit }).await?;
            if kind == 1 {
                let pages = s.walk.as_ref().map_or(1, |(_, p)| *p);
                s.walk = next.map(|c| (c, pages + 1));
            }
            if timed {
                let h = match kind {
                    0 => &mut s.first,
                    1 => &mut s.next,
                    _ => &mut s.deep,
                };
                h.record(micros)?;
                s.all.record(micros)?;
            }
        }
    }
    Ok(())
}

/// One page: the time to its last byte, in microseconds, and its next cursor. Fails on any
/// status but 200 or a page with fewer than `at_least` posts.
async fn get(client: &reqwest::Client, url: &str, at_least: u32) -> Result<(u64, Option<String>)> {
    let started = Instant::now();
    let response = client
        .get(url)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    let status = response.status();
    let body = response.bytes().await?;
    let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    if status != reqwest::StatusCode::OK {
        bail!("GET {url}: {status}: {}", String::from_utf8_lossy(&body));
    }
    let page: serde_json::Value = serde_json::from_slice(&body).context("page is not JSON")?;
    let items = page["items"].as_array().map_or(0, Vec::len);
    if items < at_least as usize {
        bail!("GET {url}: {items} posts, expected at least {at_least}");
    }
    Ok((micros, page["next_cursor"].as_str().map(str::to_owned)))
}
