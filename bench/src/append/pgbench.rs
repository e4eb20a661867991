//! The pgbench reference: the same single-row INSERT driven by PostgreSQL's own load generator,
//! which costs far less client CPU than any Rust driver (it matters on a small machine where
//! client and server share the cores).

use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context, Result, bail};
use tokio::process::Command;
use uuid::Uuid;

use super::workload::{EVENT_TYPE, payload};

#[derive(Debug)]
pub(super) struct Pgbench {
    program: PathBuf,
    script: PathBuf,
    url: String,
}

impl Pgbench {
    /// Writes the INSERT script; `None` (with a note on stderr) when pgbench cannot be run.
    pub async fn prepare(program: &Path, url: &str) -> Result<Option<Self>> {
        let probe = Command::new(program)
            .arg("--version")
            .stdin(Stdio::null())
            .output()
            .await;
        match probe {
            Ok(out) if out.status.success() => {
                eprintln!("using {}", String::from_utf8_lossy(&out.stdout).trim());
            }
            Ok(out) => {
                eprintln!(
                    "note: `{} --version` failed ({}); skipping the pgbench reference",
                    program.display(),
                    out.status
                );
                return Ok(None);
            }
            Err(e) => {
                eprintln!(
                    "note: cannot run {} ({e}); skipping the pgbench reference",
                    program.display()
                );
                return Ok(None);
            }
        }
        let script =
            std::env::temp_dir().join(format!("agora-bench-{}.sql", Uuid::now_v7().simple()));
        tokio::fs::write(&script, script_text()?)
            .await
            .with_context(|| format!("writing pgbench script {}", script.display()))?;
        Ok(Some(Self {
            program: program.to_owned(),
            script,
            url: url.to_owned(),
        }))
    }

    /// Runs `clients` pgbench clients for `seconds` and returns their transactions (= rows) per
    /// second, excluding connection set-up.
    pub async fn run(&self, clients: usize, seconds: u64) -> Result<f64> {
        let out = Command::new(&self.program)
            .arg("-n")
            // Parsed and planned once per connection, as sqlx does with its statement cache.
            .args(["-M", "prepared"])
            .arg("-f")
            .arg(&self.script)
            .args(["-c", &clients.to_string()])
            .args(["-j", &clients.min(2).to_string()])
            .args(["-T", &seconds.to_string()])
            .arg(&self.url)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output()
            .await
            .with_context(|| format!("running {}", self.program.display()))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            bail!(
                "pgbench failed ({}): {}{}",
                out.status,
                stdout.trim(),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        parse_tps(&stdout).with_context(|| format!("no tps line in pgbench output:\n{stdout}"))
    }
}

impl Drop for Pgbench {
    fn drop(&mut self) {
        // Only a stray file in the temp directory if this fails.
        let _ = std::fs::remove_file(&self.script);
    }
}

fn script_text() -> Result<String> {
    let data = serde_json::to_string(&payload())
        .context("encoding the payload")?
        .replace('\'', "''");
    // pgbench substitutes `:name` in scripts; the payload must not contain one.
    let has_variable = data
        .as_bytes()
        .windows(2)
        .any(|w| w[0] == b':' && (w[1].is_ascii_alphabetic() || w[1] == b'_'));
    if has_variable {
        bail!("the payload contains a pgbench variable reference: {data}");
    }
    Ok(format!(
        "INSERT INTO raw_events \
         (event_id, stream_id, stream_version, event_type, schema_version, data, metadata) \
         VALUES (gen_random_uuid(), 'raw-' || gen_random_uuid(), 1, '{EVENT_TYPE}', 1, \
         '{data}'::jsonb, '{{}}'::jsonb);\n"
    ))
}

/// The `tps = N (without initial connection time)` figure. pgbench before 14 printed two, one
/// including connection set-up, which we do not want.
fn parse_tps(stdout: &str) -> Option<f64> {
    let tps_lines = stdout
        .lines()
        .filter_map(|l| l.trim().strip_prefix("tps = "))
        .collect::<Vec<_>>();
    let line = tps_lines
        .iter()
        .find(|l| l.contains("without initial connection") || l.contains("excluding connections"))
        .or_else(|| tps_lines.first())?;
    line.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::{parse_tps, script_text};

    #[test]
    fn parses_tps_without_connection_time() {
        let pg15 = "number of failed transactions: 0 (0.000%)\nlatency average = 1.1 ms\n\
                    initial connection time = 3.2 ms\n\
                    tps = 1234.567890 (without initial connection time)\n";
        assert_eq!(parse_tps(pg15), Some(1234.56789));
        let pg13 = "tps = 99.5 (including connections establishing)\n\
                    tps = 100.25 (excluding connections establishing)\n";
        assert_eq!(parse_tps(pg13), Some(100.25));
        assert_eq!(parse_tps("nothing"), None);
    }

    #[test]
    fn script_is_one_insert() {
        let s = script_text().unwrap();
        assert!(s.starts_with("INSERT INTO raw_events"));
        assert_eq!(s.lines().count(), 1);
    }
}
