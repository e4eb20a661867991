//! The reads of the feed: a community's posts in every sort, keyset-paged, and one post.

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use sqlx::AnyPool;
use utoipa::ToSchema;

use super::{POST_COLUMNS, PostRow};
use crate::projections::cursor::{CursorSpec, KeyKind, PageCursor, SortKey, bind_after, spec};
use crate::projections::timestamp;

/// How long back `sort=top` looks (`?t=`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TopWindow {
    Day,
    Week,
    Month,
    Year,
    #[default]
    All,
}

impl TopWindow {
    const fn name(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
            Self::Year => "year",
            Self::All => "all",
        }
    }

    fn length(self) -> Option<Duration> {
        match self {
            Self::Day => Some(Duration::days(1)),
            Self::Week => Some(Duration::days(7)),
            Self::Month => Some(Duration::days(30)),
            Self::Year => Some(Duration::days(365)),
            Self::All => None,
        }
    }
}

/// A feed's order as the query names it (`?sort=`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FeedOrder {
    #[default]
    Hot,
    New,
    Top,
    Controversial,
}

/// The orders of a community's feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedSort {
    Hot,
    New,
    Top(TopWindow),
    Controversial,
}

impl FeedSort {
    /// The feed of `?sort=` and `?t=` (`t` only matters for `top`).
    #[must_use]
    pub const fn of(order: FeedOrder, window: TopWindow) -> Self {
        match order {
            FeedOrder::Hot => Self::Hot,
            FeedOrder::New => Self::New,
            FeedOrder::Top => Self::Top(window),
            FeedOrder::Controversial => Self::Controversial,
        }
    }

    /// The cursor's sort tag: a cursor of one sort is refused by another.
    #[must_use]
    pub fn tag(self) -> String {
        match self {
            Self::Hot => "hot".into(),
            Self::New => "new".into(),
            Self::Top(w) => format!("top:{}", w.name()),
            Self::Controversial => "controversial".into(),
        }
    }

    const fn column(self) -> &'static str {
        match self {
            Self::Hot => "hot_rank",
            Self::New => "published_at",
            Self::Top(_) => "score",
            Self::Controversial => "controversy_rank",
        }
    }

    /// The cursors a page of this sort accepts; `tag` is [`Self::tag`].
    #[must_use]
    pub const fn spec(self, tag: &str) -> CursorSpec<'_> {
        spec(tag, self.key_kind())
    }

    /// The key a cursor of this sort carries: finite ranks, integer scores, publication times.
    const fn key_kind(self) -> KeyKind {
        match self {
            Self::Hot | Self::Controversial => KeyKind::FINITE,
            Self::New => KeyKind::Time,
            Self::Top(_) => KeyKind::INT,
        }
    }

    /// Where a page that ends with `post` continues.
    #[must_use]
    pub fn cursor_of(self, post: &PostRow) -> PageCursor {
        let key = match self {
            Self::Hot => SortKey::Float(post.hot_rank),
            Self::New => SortKey::Text(post.published_at.clone()),
            Self::Top(_) => SortKey::Int(post.score),
            Self::Controversial => SortKey::Float(post.controversy_rank),
        };
        PageCursor::new(self.tag(), key, post.id.clone())
    }
}

/// One page of a community's feed: listed posts only (neither removed nor deleted), after
/// `after` (a cursor of this sort), `fetch` rows at most.
///
/// # Errors
/// The read-model database failed.
pub async fn feed_page(
    pool: &AnyPool,
    community_id: &str,
    sort: FeedSort,
    after: Option<PageCursor>,
    fetch: i64,
    now: DateTime<Utc>,
) -> Result<Vec<PostRow>, sqlx::Error> {
    let column = sort.column();
    let mut sql = format!(
        "SELECT {POST_COLUMNS} FROM communities_posts \
         WHERE community_id = $1 AND removed = 0 AND deleted = 0"
    );
    let mut next_param = 2;
    let since = match sort {
        FeedSort::Top(w) => w.length().map(|l| timestamp(now - l)),
        _ => None,
    };
    if since.is_some() {
        sql.push_str(&format!(" AND published_at >= ${next_param}"));
        next_param += 1;
    }
    if after.is_some() {
        sql.push_str(&format!(
            " AND ({column}, id) < (${}, ${})",
            next_param,
            next_param + 1
        ));
    }
    sql.push_str(&format!(" ORDER BY {column} DESC, id DESC LIMIT {fetch}"));
    let mut query = sqlx::query_as::<_, PostRow>(&sql).bind(community_id.to_owned());
    if let Some(since) = since {
        query = query.bind(since);
    }
    if let Some(after) = after {
        query = bind_after(query, after);
    }
    query.fetch_all(pool).await
}

/// One post, whatever its state.
///
/// # Errors
/// The read-model database failed.
pub async fn find_post(pool: &AnyPool, id: &str) -> Result<Option<PostRow>, sqlx::Error> {
    sqlx::query_as::<_, PostRow>(&format!(
        "SELECT {POST_COLUMNS} FROM communities_posts WHERE id = $1"
    ))
    .bind(id.to_owned())
    .fetch_optional(pool)
    .await
}
