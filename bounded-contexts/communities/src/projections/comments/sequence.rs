//! Each post's comments numbered in the order the read model applied them (1, 2, 3, ...): the
//! live stream's event ids, so a reader that reconnects with `Last-Event-ID` is sent exactly
//! the comments it missed.
//!
//! A per-post sequence rather than the events' global positions: with the Kafka feed, events of
//! different streams (two comments) may be applied out of their global order, and a reader
//! resuming after the higher position would miss the lower one; the sequence follows the
//! order the reader was sent them in. `(post_id, seq)` is unique, so two processes numbering
//! the same post at once cannot both commit a number (one batch fails and is applied again).
//!
//! In a table of its own, so a read model created before it gains it at start-up
//! (`CREATE TABLE IF NOT EXISTS`); comments created before it have no number and are not
//! replayed (no reader ever had an id of theirs).

use sqlx::{AnyConnection, AnyPool};

use super::{COMMENT_COLUMNS, CommentRow};

/// The table's schema (part of the comments projection's).
pub(super) const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS communities_comment_sequence (
        post_id    TEXT NOT NULL,
        seq        BIGINT NOT NULL,
        comment_id TEXT NOT NULL UNIQUE,
        PRIMARY KEY (post_id, seq)
    )";

/// A comment with its number in its post's sequence.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SequencedComment {
    pub seq: i64,
    #[sqlx(flatten)]
    pub comment: CommentRow,
}

/// Numbers a comment just created: the next of its post. Its number.
pub(super) async fn number(
    conn: &mut AnyConnection,
    post_id: &str,
    comment_id: &str,
) -> Result<i64, sqlx::Error> {
    let seq: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(MAX(seq), 0) + 1 AS BIGINT) FROM communities_comment_sequence \
         WHERE post_id = $1",
    )
    .bind(post_id.to_owned())
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO communities_comment_sequence (post_id, seq, comment_id) VALUES ($1, $2, $3)",
    )
    .bind(post_id.to_owned())
    .bind(seq)
    .bind(comment_id.to_owned())
    .execute(&mut *conn)
    .await?;
    Ok(seq)
}

/// The post's comments numbered after `after`, in order, `limit` at most (as they are now:
/// edited, deleted or removed since).
///
/// # Errors
/// The read-model database failed.
pub async fn comments_after(
    pool: &AnyPool,
    post_id: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<SequencedComment>, sqlx::Error> {
    sqlx::query_as::<_, SequencedComment>(&format!(
        "SELECT s.seq, {COMMENT_COLUMNS} FROM communities_comments \
         JOIN (SELECT comment_id, seq FROM communities_comment_sequence \
               WHERE post_id = $1 AND seq > $2 ORDER BY seq LIMIT {limit}) s \
         ON s.comment_id = communities_comments.id ORDER BY s.seq"
    ))
    .bind(post_id.to_owned())
    .bind(after)
    .fetch_all(pool)
    .await
}

/// The number of the post's latest comment (0 before its first).
///
/// # Errors
/// The read-model database failed.
pub async fn last_sequence(pool: &AnyPool, post_id: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) FROM communities_comment_sequence \
         WHERE post_id = $1",
    )
    .bind(post_id.to_owned())
    .fetch_one(pool)
    .await
}
