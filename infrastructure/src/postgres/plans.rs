//! The plans PostgreSQL chooses for the event store's hot-path statements (append, tail page,
//! head, read-your-writes lookup, command-id lookup, stream read, snapshot), so a regression
//! that makes one of them read the whole log (a sequential scan of `events`, a sort of every
//! readable row) is caught by a test rather than by a slow production.

use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use super::filtered::{
    Bounds, FIRST_TRANSACTION_FROM, LAST_TRANSACTION_BEFORE, TYPES_UNDER_PREFIX, page_query,
};
use super::sql::{
    APPEND, APPEND_ONE, COMMAND_RESULT, CURSOR_OF, HEAD, PAGE, STREAM_VERSION, read_stream_sql,
};

/// The most rows a hot-path statement may sort: one page.
const MAX_SORTED_ROWS: f64 = 1_000.0;

/// One statement's plan (`EXPLAIN (FORMAT JSON)`, estimates only: nothing is executed).
#[derive(Debug, Clone)]
pub struct Plan {
    pub statement: &'static str,
    pub plan: Value,
}

impl Plan {
    /// What makes this plan's cost grow with the log rather than with the rows it returns:
    /// a sequential scan of `events`, or a sort of more than a page of rows.
    #[must_use]
    pub fn problems(&self) -> Vec<String> {
        let mut found = Vec::new();
        visit(&self.plan, &mut |node| {
            let kind = node["Node Type"].as_str().unwrap_or_default();
            let relation = node["Relation Name"].as_str().unwrap_or_default();
            if kind == "Seq Scan" && relation == "events" {
                found.push(format!("{}: sequential scan of events", self.statement));
            }
            let rows = node["Plan Rows"].as_f64().unwrap_or_default();
            if kind == "Sort" && rows > MAX_SORTED_ROWS {
                found.push(format!("{}: sorts {rows} rows", self.statement));
            }
        });
        found
    }
}

fn visit(node: &Value, f: &mut impl FnMut(&Value)) {
    match node {
        Value::Array(items) => items.iter().for_each(|n| visit(n, f)),
        Value::Object(map) => {
            if map.contains_key("Node Type") {
                f(node);
            }
            map.values().for_each(|v| visit(v, f));
        }
        _ => {}
    }
}

async fn explain(
    pool: &PgPool,
    statement: &'static str,
    sql: &str,
    bind: impl FnOnce(
        sqlx::query::QueryScalar<
            '_,
            sqlx::Postgres,
            sqlx::types::Json<Value>,
            sqlx::postgres::PgArguments,
        >,
    ) -> sqlx::query::QueryScalar<
        '_,
        sqlx::Postgres,
        sqlx::types::Json<Value>,
        sqlx::postgres::PgArguments,
    >,
) -> Result<Plan, sqlx::Error> {
    let explain = format!("EXPLAIN (FORMAT JSON) {sql}");
    let query = sqlx::query_scalar::<_, sqlx::types::Json<Value>>(&explain);
    let plan = bind(query).fetch_one(pool).await?;
    Ok(Plan {
        statement,
        plan: plan.0,
    })
}

/// The plans of every hot-path statement, with parameters taken from a stored event (the
/// store must hold at least one event with a command id for the command lookup to be
/// realistic; any will do otherwise).
///
/// # Errors
/// The database refused a statement.
pub async fn hot_path_plans(pool: &PgPool) -> Result<Vec<Plan>, sqlx::Error> {
    let sample: Option<(String, i64, String)> = sqlx::query_as(
        "SELECT stream_id, position, transaction_id::text FROM events \
         WHERE position = (SELECT max(position) / 2 + 1 FROM events)",
    )
    .fetch_optional(pool)
    .await?;
    let (stream, position, transaction) =
        sample.unwrap_or_else(|| ("plan-1".into(), 1, "0".into()));
    let command = Uuid::now_v7().to_string();
    let new_id = Uuid::now_v7();
    let data = sqlx::types::Json(serde_json::json!({}));
    let mut plans = Vec::new();
    plans.push(
        explain(pool, "append one", APPEND_ONE, |q| {
            q.bind(stream.clone())
                .bind(new_id)
                .bind("agora.plan.checked")
                .bind(1_i32)
                .bind(data.clone())
                .bind(data.clone())
                .bind(Some(position))
        })
        .await?,
    );
    plans.push(
        explain(pool, "append batch", APPEND, |q| {
            q.bind(stream.clone())
                .bind(vec![new_id, Uuid::now_v7()])
                .bind(vec!["agora.plan.checked"; 2])
                .bind(vec![1_i32; 2])
                .bind(vec![data.clone(), data.clone()])
                .bind(vec![data.clone(), data.clone()])
                .bind(Some(position))
        })
        .await?,
    );
    plans.push(
        explain(pool, "tail page", PAGE, |q| {
            q.bind(transaction.clone()).bind(position).bind(500_i64)
        })
        .await?,
    );
    plans.push(explain(pool, "head", HEAD, |q| q).await?);
    plans.push(
        explain(pool, "cursor of a position", CURSOR_OF, |q| {
            q.bind(position)
        })
        .await?,
    );
    plans.push(
        explain(pool, "command result", COMMAND_RESULT, |q| {
            q.bind(command.clone())
        })
        .await?,
    );
    plans.push(
        explain(pool, "read stream", &read_stream_sql(), |q| {
            q.bind(stream.clone()).bind(1_i64)
        })
        .await?,
    );
    plans.push(
        explain(pool, "stream version", STREAM_VERSION, |q| {
            q.bind(stream.clone())
        })
        .await?,
    );
    plans.push(
        explain(
            pool,
            "read snapshot",
            "SELECT version, schema_version, state FROM snapshots WHERE stream_id = $1",
            |q| q.bind(stream.clone()),
        )
        .await?,
    );
    Ok(plans)
}

/// The plans of the filtered reads (`EventStore::read_filtered`), one per kind of condition,
/// with parameters taken from stored events: `types` are two types the log holds, `prefix` a
/// prefix of some of them (a context's `agora.<context>.`).
///
/// # Errors
/// The database refused a statement.
pub async fn filtered_read_plans(
    pool: &PgPool,
    types: [&str; 2],
    prefix: &str,
) -> Result<Vec<Plan>, sqlx::Error> {
    use shared_kernel::{Cursor, EventFilter, StreamId, TypeMatch};

    use crate::filtered::Arms;

    let sample: (String, String, chrono::DateTime<chrono::Utc>) = sqlx::query_as(
        "SELECT stream_id, transaction_id::text, recorded_at FROM events \
         WHERE position = (SELECT max(position) / 2 + 1 FROM events)",
    )
    .fetch_one(pool)
    .await?;
    let (stream, transaction, at) = sample;
    let after = Cursor::new(transaction.parse().unwrap_or(0), 1);
    let stream = StreamId::parse(&stream).ok();
    let by_types = Arms::Types(types.iter().map(|t| (*t).to_owned()).collect());
    let one_type = Arms::Types(vec![types[0].to_owned()]);
    let bounds = Bounds {
        after_transaction: Some(transaction.clone()),
        before_transaction: Some(transaction.clone()),
    };
    let in_range = EventFilter {
        from: Some(at - chrono::Duration::seconds(1)),
        to: Some(at + chrono::Duration::seconds(1)),
        ..EventFilter::default()
    };
    let of_types = EventFilter {
        types: types
            .iter()
            .map(|t| TypeMatch::Exact((*t).to_owned()))
            .collect(),
        ..EventFilter::default()
    };
    let of_stream = EventFilter {
        stream,
        ..EventFilter::default()
    };
    let under_prefix: Vec<String> = sqlx::query_scalar(TYPES_UNDER_PREFIX)
        .bind(prefix)
        .fetch_all(pool)
        .await?;
    let of_context = Arms::Types(under_prefix);
    let cases: [(&'static str, &EventFilter, &Arms, &Bounds); 7] = [
        (
            "filtered: everything",
            &EventFilter::all(),
            &Arms::All,
            &Bounds::default(),
        ),
        (
            "filtered: one type",
            &of_types,
            &one_type,
            &Bounds::default(),
        ),
        (
            "filtered: two types",
            &of_types,
            &by_types,
            &Bounds::default(),
        ),
        (
            "filtered: a context's types",
            &of_types,
            &of_context,
            &Bounds::default(),
        ),
        (
            "filtered: a stream",
            &of_stream,
            &Arms::All,
            &Bounds::default(),
        ),
        (
            "filtered: a stream's types",
            &of_stream,
            &by_types,
            &Bounds::default(),
        ),
        ("filtered: a time range", &in_range, &Arms::All, &bounds),
    ];
    let mut plans = Vec::new();
    for (statement, filter, arms, bounds) in cases {
        let plan: sqlx::types::Json<Value> =
            page_query("EXPLAIN (FORMAT JSON) ", filter, arms, after, bounds, 101)
                .build_query_scalar()
                .fetch_one(pool)
                .await?;
        plans.push(Plan {
            statement,
            plan: plan.0,
        });
    }
    plans.push(
        explain(
            pool,
            "filtered: types under a prefix",
            TYPES_UNDER_PREFIX,
            |q| q.bind(prefix.to_owned()),
        )
        .await?,
    );
    plans.push(
        explain(
            pool,
            "filtered: range start",
            LAST_TRANSACTION_BEFORE,
            |q| q.bind(at),
        )
        .await?,
    );
    plans.push(
        explain(pool, "filtered: range end", FIRST_TRANSACTION_FROM, |q| {
            q.bind(at)
        })
        .await?,
    );
    Ok(plans)
}
