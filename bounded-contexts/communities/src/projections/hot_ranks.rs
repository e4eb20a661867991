//! The hot-rank refresh job. `hot` decays with age, so ranks are recomputed periodically
//! rather than per request: the posts and comments of the last seven days in batches, keyset
//! by (time, id); older ones are set to 0 once. A vote recomputes its target's rank at once.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{AnyPool, Row as _};

use super::ranking::{HOT_MAX_AGE_HOURS, hot_rank};
use super::{parse_timestamp, timestamp};

/// Rows recomputed per statement.
pub const REFRESH_BATCH: usize = 500;

/// How often `serve` refreshes hot ranks by default.
pub const REFRESH_EVERY: Duration = Duration::from_secs(60);

/// A table with a `hot_rank`, `score` and a time column.
#[derive(Debug, Clone, Copy)]
struct Ranked {
    table: &'static str,
    time: &'static str,
}

const POSTS: Ranked = Ranked {
    table: "communities_posts",
    time: "published_at",
};
const COMMENTS: Ranked = Ranked {
    table: "communities_comments",
    time: "created_at",
};

/// What one refresh did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Refreshed {
    /// Posts and comments younger than seven days whose rank was recomputed.
    pub recomputed: u64,
    /// Older ones set to 0 by this refresh.
    pub expired: u64,
}

/// Recomputes the hot ranks of recent posts and comments as of `now`.
///
/// # Errors
/// The read-model database failed.
pub async fn refresh_hot_ranks(
    pool: &AnyPool,
    now: DateTime<Utc>,
) -> Result<Refreshed, sqlx::Error> {
    let mut total = Refreshed::default();
    for ranked in [POSTS, COMMENTS] {
        let r = refresh(pool, ranked, now).await?;
        total.recomputed += r.recomputed;
        total.expired += r.expired;
    }
    Ok(total)
}

async fn refresh(pool: &AnyPool, t: Ranked, now: DateTime<Utc>) -> Result<Refreshed, sqlx::Error> {
    #[allow(clippy::cast_possible_truncation)]
    let max_age = chrono::Duration::milliseconds((HOT_MAX_AGE_HOURS * 3_600_000.0) as i64);
    let cutoff = timestamp(now - max_age);
    let select = format!(
        "SELECT id, score, {time} AS at FROM {table} WHERE ({time}, id) > ($1, $2) \
         ORDER BY {time}, id LIMIT {REFRESH_BATCH}",
        time = t.time,
        table = t.table,
    );
    let mut done = Refreshed::default();
    let (mut after_time, mut after_id) = (cutoff.clone(), String::new());
    loop {
        let rows = sqlx::query(&select)
            .bind(after_time.clone())
            .bind(after_id.clone())
            .fetch_all(pool)
            .await?;
        let mut batch = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: String = row.try_get("id")?;
            let score: i64 = row.try_get("score")?;
            let at: String = row.try_get("at")?;
            let rank = parse_timestamp(&at).map_or(0.0, |p| hot_rank(score, p, now));
            batch.push((id, score, rank, at));
        }
        let Some((last_id, _, _, last_at)) = batch.last().cloned() else {
            break;
        };
        update_batch(pool, t, &batch).await?;
        done.recomputed += batch.len() as u64;
        if batch.len() < REFRESH_BATCH {
            break;
        }
        (after_time, after_id) = (last_at, last_id);
    }
    done.expired = sqlx::query(&format!(
        "UPDATE {table} SET hot_rank = 0 WHERE {time} < $1 AND hot_rank <> 0",
        time = t.time,
        table = t.table,
    ))
    .bind(cutoff)
    .execute(pool)
    .await?
    .rows_affected();
    Ok(done)
}

/// One statement per batch. A row whose score moved since it was read (a vote applied
/// meanwhile, which set its rank itself) keeps its rank.
async fn update_batch(
    pool: &AnyPool,
    t: Ranked,
    batch: &[(String, i64, f64, String)],
) -> Result<(), sqlx::Error> {
    let mut sql = format!("UPDATE {} SET hot_rank = CASE", t.table);
    for i in 0..batch.len() {
        let n = i * 3;
        sql.push_str(&format!(
            " WHEN id = ${} AND score = ${} THEN ${}",
            n + 1,
            n + 2,
            n + 3
        ));
    }
    sql.push_str(" ELSE hot_rank END WHERE id IN (");
    let base = batch.len() * 3;
    let ids: Vec<String> = (1..=batch.len())
        .map(|i| format!("${}", base + i))
        .collect();
    sql.push_str(&ids.join(", "));
    sql.push(')');
    let mut query = sqlx::query(&sql);
    for (id, score, rank, _) in batch {
        query = query.bind(id.clone()).bind(*score).bind(*rank);
    }
    for (id, ..) in batch {
        query = query.bind(id.clone());
    }
    query.execute(pool).await?;
    Ok(())
}

/// Refreshes hot ranks every `every` until the task is dropped; a failed refresh is logged and
/// retried at the next tick.
pub async fn run_hot_rank_refresh(pool: AnyPool, every: Duration) {
    // The first refresh one period after start: ranks are set as posts and votes are applied,
    // so a starting server has nothing urgent to recompute.
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let started = std::time::Instant::now();
        match refresh_hot_ranks(&pool, Utc::now()).await {
            Ok(r) => tracing::debug!(
                recomputed = r.recomputed,
                expired = r.expired,
                ms = started.elapsed().as_millis(),
                "hot ranks refreshed"
            ),
            Err(e) => {
                tracing::warn!(error = %e, "hot-rank refresh failed; retrying at the next tick")
            }
        }
    }
}
