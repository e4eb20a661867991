//! The plans PostgreSQL chooses for the event store's hot-path statements (append, tail page,
//! head, read-your-writes lookup, command-id lookup, stream read, snapshot), so a regression
//! that makes one of them read the whole log (a sequential scan of `events`, a sort of every
//! readable row) is caught by a test rather than by a slow production.

use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

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
