//! The fixture of `agora bench-feed`: communities seeded straight into the read models with
//! bulk SQL, and the cursors of pages 90% deep into their feeds.

use anyhow::{Context, Result};
use communities::projections::{PageCursor, SortKey};
use sqlx::{PgPool, Row as _};
use uuid::Uuid;

use super::Fixture;

/// The community row, its posts spread over the last 30 days, and votes skewed to few posts
/// (a cube of a uniform draw): then each post's counters from its votes.
pub(super) async fn seed(pool: &PgPool, f: &Fixture) -> Result<()> {
    sqlx::query(
        "INSERT INTO communities_directory (id, name, title, description, rules, visibility, \
         owner_id, member_count, created_at, updated_at, version) \
         VALUES ($1, $2, $2, 'benchmark community', '[]', 'public', $3, 0, $4, $4, 1)",
    )
    .bind(&f.id)
    .bind(&f.name)
    .bind(Uuid::now_v7().to_string())
    .bind(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
    .execute(pool)
    .await?;
    let posts = i64::try_from(f.posts)?;
    sqlx::query(
        "INSERT INTO communities_posts (id, community_id, community_name, author_id, title, body, \
         revision, published_at, updated_at, version) \
         SELECT md5($1 || ':' || g)::uuid::text, $1, $2, md5('author:' || (g % 5000))::uuid::text, \
                'Post number ' || g, 'The body of a benchmark post.', 1, t, t, 1 \
         FROM (SELECT g, to_char((now() AT TIME ZONE 'UTC') - random() * interval '30 days', \
                                 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS t \
               FROM generate_series(1, $3::bigint) g) s",
    )
    .bind(&f.id)
    .bind(&f.name)
    .bind(posts)
    .execute(pool)
    .await?;
    sqlx::query(
        "INSERT INTO communities_post_votes (post_id, voter_id, value, version) \
         SELECT md5($1 || ':' || (1 + floor($2::bigint * power(random(), 3)))::bigint)::uuid::text, \
                md5('voter:' || $1 || ':' || v)::uuid::text, \
                CASE WHEN random() < 0.75 THEN 1 ELSE -1 END, 1 \
         FROM generate_series(1, $3::bigint) v",
    )
    .bind(&f.id)
    .bind(posts)
    .bind(i64::try_from(f.votes)?)
    .execute(pool)
    .await?;
    sqlx::query(
        "UPDATE communities_posts p SET score = v.score, ups = v.ups, downs = v.downs, \
         controversy_rank = CASE WHEN v.ups > 0 AND v.downs > 0 \
             THEN power((v.ups + v.downs)::float8, LEAST(v.ups, v.downs)::float8 / GREATEST(v.ups, v.downs)) \
             ELSE 0 END \
         FROM (SELECT post_id, SUM(value) AS score, COUNT(*) FILTER (WHERE value = 1) AS ups, \
                      COUNT(*) FILTER (WHERE value = -1) AS downs \
               FROM communities_post_votes WHERE post_id IN \
                   (SELECT id FROM communities_posts WHERE community_id = $1) \
               GROUP BY post_id) v \
         WHERE p.id = v.post_id",
    )
    .bind(&f.id)
    .execute(pool)
    .await?;
    Ok(())
}

/// A cursor that starts a page 90% into the feed, and the plan of that page's query.
pub(super) async fn deep_cursor(
    pool: &PgPool,
    f: &Fixture,
    sort: &'static str,
    limit: u32,
) -> Result<(String, String)> {
    let column = if sort == "hot" {
        "hot_rank"
    } else {
        "published_at"
    };
    let offset = i64::try_from(f.posts * 9 / 10)?;
    let row = sqlx::query(&format!(
        "SELECT {column}::text AS key, id FROM communities_posts \
         WHERE community_id = $1 AND removed = 0 AND deleted = 0 \
         ORDER BY {column} DESC, id DESC OFFSET $2 LIMIT 1"
    ))
    .bind(&f.id)
    .bind(offset)
    .fetch_one(pool)
    .await?;
    let key_text: String = row.try_get("key")?;
    let id: String = row.try_get("id")?;
    let key = if sort == "hot" {
        SortKey::Float(key_text.parse().context("hot rank")?)
    } else {
        SortKey::Text(key_text.clone())
    };
    let literal = if sort == "hot" {
        format!("{key_text}::float8")
    } else {
        format!("'{key_text}'")
    };
    let plan_rows = sqlx::query(&format!(
        "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM communities_posts \
         WHERE community_id = '{}' AND removed = 0 AND deleted = 0 AND ({column}, id) < ({literal}, '{id}') \
         ORDER BY {column} DESC, id DESC LIMIT {}",
        f.id,
        limit + 1
    ))
    .fetch_all(pool)
    .await?;
    let mut plan = String::new();
    for r in plan_rows {
        let line: String = r.try_get(0)?;
        plan.push_str(&line);
        plan.push('\n');
    }
    let cursor = PageCursor {
        sort: sort.to_owned(),
        key,
        id,
    };
    Ok((cursor.encode(), plan))
}
