//! The reads of comment trees: a keyset page over one level, then its descendants down to a
//! depth, in one bounded read per thread (see the parent module's documentation).

use std::collections::HashMap;

use sqlx::AnyPool;

use super::{
    COMMENT_COLUMNS, CommentNode, CommentRow, CommentSort, DESCENDANTS_PER_PAGE, MAX_DEPTH_LIMIT,
};
use crate::projections::cursor::{PageCursor, bind_after};

/// What a page of comments is about.
#[derive(Debug, Clone, Copy)]
pub struct TreeQuery<'a> {
    pub post_id: &'a str,
    /// Page over this comment's replies instead of the post's top-level comments.
    pub parent_id: Option<&'a str>,
    pub sort: CommentSort,
}

/// One level of a post's comment tree (see the module documentation): after `after` (a cursor
/// of `q.sort`), `fetch` comments at most, without their replies ([`comment_trees`] adds them).
///
/// # Errors
/// The read-model database failed.
pub async fn comment_level(
    pool: &AnyPool,
    q: TreeQuery<'_>,
    after: Option<PageCursor>,
    fetch: i64,
) -> Result<Vec<CommentRow>, sqlx::Error> {
    let column = q.sort.column();
    let mut sql =
        format!("SELECT {COMMENT_COLUMNS} FROM communities_comments WHERE parent_key = $1");
    if after.is_some() {
        sql.push_str(&format!(" AND ({column}, id) < ($2, $3)"));
    }
    sql.push_str(&format!(" ORDER BY {column} DESC, id DESC LIMIT {fetch}"));
    let parent_key = q.parent_id.unwrap_or(q.post_id).to_owned();
    let mut query = sqlx::query_as::<_, CommentRow>(&sql).bind(parent_key);
    if let Some(after) = after {
        query = bind_after(query, after);
    }
    query.fetch_all(pool).await
}

/// The comments of one page of a level, each with its replies down to `max_depth` levels
/// below it, in `sort` order at every level.
///
/// # Errors
/// The read-model database failed.
pub async fn comment_trees(
    pool: &AnyPool,
    level: Vec<CommentRow>,
    max_depth: u32,
    sort: CommentSort,
) -> Result<Vec<CommentNode>, sqlx::Error> {
    let descendants = descendants_of(pool, &level, max_depth.min(MAX_DEPTH_LIMIT)).await?;
    let mut children: HashMap<String, Vec<CommentRow>> = HashMap::new();
    for d in descendants {
        if let Some(parent) = d.parent_id.clone() {
            children.entry(parent).or_default().push(d);
        }
    }
    Ok(level
        .into_iter()
        .map(|c| build(c, &mut children, sort))
        .collect())
}

/// The descendants of `page` (siblings) down to `max_depth` levels below them, shallowest
/// first, at most [`DESCENDANTS_PER_PAGE`] in all: parents always come before their children,
/// so a cut leaves no orphan (the cut shows as `more_replies`).
///
/// A top-level page reads each thread that has replies with its own query on the
/// `(root_id, depth, id)` index, in index order with a limit (its share of the cap): every read
/// is a bounded range scan, however large the tree. Below the top level the page's comments
/// share one thread, read once and kept to their subtrees by path prefix.
async fn descendants_of(
    pool: &AnyPool,
    page: &[CommentRow],
    max_depth: u32,
) -> Result<Vec<CommentRow>, sqlx::Error> {
    let Some(first) = page.first() else {
        return Ok(Vec::new());
    };
    let with_replies: Vec<&CommentRow> = page.iter().filter(|c| c.child_count > 0).collect();
    if max_depth == 0 || with_replies.is_empty() {
        return Ok(Vec::new());
    }
    let depth = first.depth;
    let deepest = depth + i64::from(max_depth);
    let thread_sql = format!(
        "SELECT {COMMENT_COLUMNS} FROM communities_comments WHERE root_id = $1 \
         AND depth > $2 AND depth <= $3"
    );
    if depth == 0 {
        let count = i64::try_from(with_replies.len()).unwrap_or(i64::MAX);
        let share = (DESCENDANTS_PER_PAGE / count).max(10);
        let mut remaining = DESCENDANTS_PER_PAGE;
        let mut all = Vec::new();
        let sql = format!("{thread_sql} ORDER BY depth, id LIMIT $4");
        for root in with_replies {
            if remaining <= 0 {
                break;
            }
            let rows = sqlx::query_as::<_, CommentRow>(&sql)
                .bind(root.id.clone())
                .bind(depth)
                .bind(deepest)
                .bind(share.min(remaining))
                .fetch_all(pool)
                .await?;
            remaining -= i64::try_from(rows.len()).unwrap_or(i64::MAX);
            all.extend(rows);
        }
        return Ok(all);
    }
    // Paths of siblings have one length (ids are fixed-length): keep the page's subtrees by
    // prefix; should they differ, assembling the tree by parent drops strays anyway.
    let prefix_len = first.path.len();
    let by_prefix = page.iter().all(|c| c.path.len() == prefix_len);
    let mut sql = thread_sql;
    if by_prefix {
        sql.push_str(&format!(
            " AND substr(path, 1, {prefix_len}) IN ({})",
            placeholders(4, page.len())
        ));
    }
    sql.push_str(&format!(" ORDER BY depth, id LIMIT {DESCENDANTS_PER_PAGE}"));
    let mut query = sqlx::query_as::<_, CommentRow>(&sql)
        .bind(first.root_id.clone())
        .bind(depth)
        .bind(deepest);
    if by_prefix {
        for c in page {
            query = query.bind(c.path.clone());
        }
    }
    query.fetch_all(pool).await
}

fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn build(
    comment: CommentRow,
    children: &mut HashMap<String, Vec<CommentRow>>,
    sort: CommentSort,
) -> CommentNode {
    let mut replies = children.remove(&comment.id).unwrap_or_default();
    replies.sort_by(|a, b| sort.order(a, b));
    let replies = replies
        .into_iter()
        .map(|r| build(r, children, sort))
        .collect();
    CommentNode { comment, replies }
}

/// One comment, whatever its state.
///
/// # Errors
/// The read-model database failed.
pub async fn find_comment(pool: &AnyPool, id: &str) -> Result<Option<CommentRow>, sqlx::Error> {
    sqlx::query_as::<_, CommentRow>(&format!(
        "SELECT {COMMENT_COLUMNS} FROM communities_comments WHERE id = $1"
    ))
    .bind(id.to_owned())
    .fetch_optional(pool)
    .await
}
