//! Logging: structured tracing on stderr (stdout is for command output: tables, reports), JSON
//! when stderr is not a terminal (collectors parse it), human-readable otherwise.
//! The filter comes from `RUST_LOG` (default `info`).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::cli::LogFormat;

/// Installs the subscriber; returns whether logs are JSON.
pub fn init(format: LogFormat) -> bool {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Pretty => false,
        LogFormat::Auto => !std::io::stderr().is_terminal(),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(true)
        .with_writer(std::io::stderr);
    // A second initialisation (tests starting several servers) is not an error worth failing on.
    let _ = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
    json
}

/// An error and its causes on one line, each cause once: libraries often repeat their source's
/// message in their own (`cannot open: unable to open database file: unable to open database
/// file`), which says nothing twice as well.
#[must_use]
pub fn error_report(error: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cause_is_said_once() {
        let e = anyhow::anyhow!("unable to open database file")
            .context("error returned from database: unable to open database file")
            .context("cannot open the database");
        assert_eq!(
            error_report(&e),
            "cannot open the database: error returned from database: unable to open database file"
        );
    }
}
