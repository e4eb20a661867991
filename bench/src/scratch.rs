//! The throw-away database every measurement runs in.

use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, Result};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, Executor, PgConnection, PgPool};
use uuid::Uuid;

/// A database created for one run on the server of the admin URL, dropped by [`Self::drop_db`].
#[derive(Debug)]
pub(crate) struct ScratchDb {
    admin: PgConnectOptions,
    /// For the control connection (TRUNCATE, CHECKPOINT), without statement logging.
    options: PgConnectOptions,
    /// For the measured pools, with sqlx's default logging, as the application has.
    measured: PgConnectOptions,
    name: String,
    url: String,
}

impl ScratchDb {
    pub async fn create(admin_url: &str) -> Result<Self> {
        // CREATE/DROP DATABASE and CHECKPOINT routinely exceed sqlx's slow-statement threshold;
        // their warnings would only clutter the output. The measured pools keep logging.
        let admin = PgConnectOptions::from_str(admin_url)
            .context("parsing --database-url")?
            .disable_statement_logging();
        let name = format!("agora_bench_{}", Uuid::now_v7().simple());
        let mut conn = PgConnection::connect_with(&admin).await.with_context(|| {
            format!(
                "connecting to the admin database on {}:{}",
                admin.get_host(),
                admin.get_port()
            )
        })?;
        // CREATE DATABASE refuses to run in a transaction block; a plain &str goes through the
        // simple query protocol, which does not open one.
        let sql = format!(r#"CREATE DATABASE "{name}""#);
        conn.execute(sql.as_str())
            .await
            .with_context(|| format!("creating scratch database {name}"))?;
        // A failed close leaves nothing behind that the server does not clean up itself.
        let _ = conn.close().await;
        let options = admin.clone().database(&name);
        let measured = PgConnectOptions::from_str(admin_url)
            .context("parsing --database-url")?
            .database(&name);
        let url = with_database(admin_url, &name)?;
        Ok(Self {
            admin,
            options,
            measured,
            name,
            url,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The scratch database's URL, for pgbench (it carries the admin URL's credentials).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub async fn connect(&self) -> Result<PgConnection> {
        PgConnection::connect_with(&self.options)
            .await
            .with_context(|| format!("connecting to scratch database {}", self.name))
    }

    pub async fn pool(&self, size: u32) -> Result<PgPool> {
        PgPoolOptions::new()
            .max_connections(size)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(self.measured.clone())
            .await
            .with_context(|| format!("opening a pool of {size} on scratch database {}", self.name))
    }

    pub async fn drop_db(self) -> Result<()> {
        let mut conn = PgConnection::connect_with(&self.admin)
            .await
            .context("connecting to the admin database to drop the scratch database")?;
        // FORCE: connections of an interrupted measurement may still be open.
        let sql = format!(r#"DROP DATABASE IF EXISTS "{}" WITH (FORCE)"#, self.name);
        conn.execute(sql.as_str())
            .await
            .with_context(|| format!("dropping scratch database {}", self.name))?;
        let _ = conn.close().await;
        Ok(())
    }
}

/// `url` with its database (the path) replaced by `name`, keeping credentials and parameters.
fn with_database(url: &str, name: &str) -> Result<String> {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base
        .find("://")
        .map(|i| i + 3)
        .context("--database-url is not a postgres:// URL")?;
    let authority_end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{name}", &base[..authority_end]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_only_the_database() {
        let cases = [
            (
                "postgres://postgres@127.0.0.1:5432/postgres",
                "postgres://postgres@127.0.0.1:5432/x",
            ),
            (
                "postgres://u:p@h/db?sslmode=disable",
                "postgres://u:p@h/x?sslmode=disable",
            ),
            ("postgres://h:5432", "postgres://h:5432/x"),
            (
                "postgresql://h?application_name=a",
                "postgresql://h/x?application_name=a",
            ),
        ];
        for (url, expected) in cases {
            assert_eq!(with_database(url, "x").unwrap(), expected);
        }
        assert!(with_database("not a url", "x").is_err());
    }
}
