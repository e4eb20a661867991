//! The reads of the feed: a community's posts in every sort, keyset-paged, and one post.

use chrono::{DateTime, Duration, Utc};
use sqlx::AnyPool;

use super::{POST_COLUMNS, PostRow};
use crate::projections::cursor::{KeyKind, PageCursor, SortKey, spec};
use crate::projections::{FeedError, Page, timestamp};

/// How long back `top` looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopWindow {
    Day,
    Week,
    Month,
    Year,
    All,
}

impl TopWindow {
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "day" => Self::Day,
            "week" => Self::Week,
            "month" => Self::Month,
            "year" => Self::Year,
            "all" => Self::All,
            _ => return None,
        })
    }

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

/// The orders of a community's feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedSort {
    Hot,
    New,
    Top(TopWindow),
    Controversial,
}

impl FeedSort {
    /// `sort` and `t` of the query string (`t` only matters for `top`; default `all`).
    #[must_use]
    pub fn parse(sort: Option<&str>, window: Option<&str>) -> Option<Self> {
        let window = match window {
            None => TopWindow::All,
            Some(w) => TopWindow::parse(w)?,
        };
        Some(match sort.unwrap_or("hot") {
            "hot" => Self::Hot,
            "new" => Self::New,
            "top" => Self::Top(window),
            "controversial" => Self::Controversial,
            _ => return None,
        })
    }

    /// The cursor's sort tag: a cursor of one sort is refused by another.
    fn tag(self) -> String {
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

    /// The key a cursor of this sort carries: finite ranks, integer scores, publication times.
    const fn key_kind(self) -> KeyKind {
        match self {
            Self::Hot | Self::Controversial => KeyKind::FINITE,
            Self::New => KeyKind::Time,
            Self::Top(_) => KeyKind::INT,
        }
    }

    fn key_of(self, post: &PostRow) -> SortKey {
        match self {
            Self::Hot => SortKey::Float(post.hot_rank),
            Self::New => SortKey::Text(post.published_at.clone()),
            Self::Top(_) => SortKey::Int(post.score),
            Self::Controversial => SortKey::Float(post.controversy_rank),
        }
    }
}

/// One page of a community's feed: listed posts only (neither removed nor deleted).
///
/// # Errors
/// A cursor of another sort or not ours, or the read-model database failed.
pub async fn feed_page(
    pool: &AnyPool,
    community_id: &str,
    sort: FeedSort,
    cursor: Option<&str>,
    limit: i64,
    now: DateTime<Utc>,
) -> Result<Page<PostRow>, FeedError> {
    let tag = sort.tag();
    let after = cursor
        .map(|c| PageCursor::decode(c, spec(&tag, sort.key_kind())))
        .transpose()
        .map_err(|_| FeedError::InvalidCursor)?;
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
    sql.push_str(&format!(
        " ORDER BY {column} DESC, id DESC LIMIT {}",
        limit + 1
    ));
    let mut query = sqlx::query_as::<_, PostRow>(&sql).bind(community_id.to_owned());
    if let Some(since) = since {
        query = query.bind(since);
    }
    if let Some(after) = after {
        query = match after.key {
            SortKey::Int(v) => query.bind(v),
            SortKey::Float(v) => query.bind(v),
            SortKey::Text(v) => query.bind(v),
        }
        .bind(after.id);
    }
    let rows = query.fetch_all(pool).await?;
    Ok(Page::from_rows(rows, limit, |p| {
        PageCursor::new(tag.clone(), sort.key_of(p), p.id.clone())
    }))
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
