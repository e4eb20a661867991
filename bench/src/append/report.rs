//! The results: a plain-text table for the terminal, the same as markdown, and the goals.

use std::fmt::Write as _;

use super::workload::Sample;

/// Single appends at 16 writers must reach this share of the raw single-row INSERT rate.
const SINGLE_GOAL: f64 = 0.8;
const SINGLE_GOAL_WRITERS: usize = 16;
/// Batch appends must reach this share of the raw multi-row INSERT rate.
const BATCH_GOAL: f64 = 0.7;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scenario {
    Single,
    Batch(usize),
}

impl Scenario {
    fn label(self) -> String {
        match self {
            Self::Single => "single append".to_owned(),
            Self::Batch(n) => format!("batch of {n}"),
        }
    }
}

#[derive(Debug)]
pub(super) struct Row {
    pub scenario: Scenario,
    pub writers: usize,
    pub store: Sample,
    pub raw: Sample,
    /// Rows per second of the pgbench reference, when it ran.
    pub pgbench: Option<f64>,
}

impl Row {
    fn ratio(&self) -> f64 {
        self.store.rows_per_second() / self.raw.rows_per_second()
    }
}

/// What the figures depend on besides the code.
#[derive(Debug)]
pub(super) struct Environment {
    pub server: String,
    pub settings: String,
    pub cores: usize,
    pub seconds: u64,
    pub slices: u32,
    pub warmup_seconds: u64,
    pub load_before: Option<String>,
    pub load_after: Option<String>,
    pub started: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug)]
pub(super) struct Report {
    pub environment: Environment,
    pub rows: Vec<Row>,
}

const CPU_HEADERS: [&str; 7] = [
    "scenario",
    "writers",
    "store client µs/ev",
    "store server µs/ev",
    "raw client µs/ev",
    "raw server µs/ev",
    "store/raw total",
];

const HEADERS: [&str; 9] = [
    "scenario",
    "writers",
    "store ev/s",
    "store p50 / p99 ms",
    "raw rows/s",
    "raw p50 / p99 ms",
    "store/raw",
    "pgbench rows/s",
    "store/pgbench",
];

impl Report {
    fn cells(&self) -> Vec<[String; 9]> {
        self.rows
            .iter()
            .map(|r| {
                let store = r.store.rows_per_second();
                [
                    r.scenario.label(),
                    r.writers.to_string(),
                    grouped(store),
                    latency(&r.store),
                    grouped(r.raw.rows_per_second()),
                    latency(&r.raw),
                    format!("{:.2}x", r.ratio()),
                    r.pgbench.map_or_else(|| "-".to_owned(), grouped),
                    r.pgbench
                        .map_or_else(|| "-".to_owned(), |p| format!("{:.2}x", store / p)),
                ]
            })
            .collect()
    }

    /// CPU per event, when it could be read for at least one side.
    fn cpu_cells(&self) -> Option<Vec<[String; 7]>> {
        let any = self
            .rows
            .iter()
            .any(|r| r.store.cpu.client.is_some() || r.store.cpu.server.is_some());
        if !any {
            return None;
        }
        let us = |x: Option<f64>| x.map_or_else(|| "-".to_owned(), |x| format!("{x:.1}"));
        let total = |(c, s): (Option<f64>, Option<f64>)| Some(c? + s?);
        Some(
            self.rows
                .iter()
                .map(|r| {
                    let store = r.store.cpu_per_event_us();
                    let raw = r.raw.cpu_per_event_us();
                    let ratio = match (total(store), total(raw)) {
                        (Some(s), Some(r)) if r > 0.0 => format!("{:.2}x", s / r),
                        _ => "-".to_owned(),
                    };
                    [
                        r.scenario.label(),
                        r.writers.to_string(),
                        us(store.0),
                        us(store.1),
                        us(raw.0),
                        us(raw.1),
                        ratio,
                    ]
                })
                .collect(),
        )
    }

    fn environment_lines(&self) -> Vec<String> {
        let e = &self.environment;
        let mut lines = vec![
            format!("run {}", e.started.format("%Y-%m-%d %H:%M UTC")),
            format!("server: {}; {}", e.server, e.settings),
            format!(
                "client and server on the same machine, {} cores; {} s per side and scenario in \
                 {} slices alternating raw and store, after {} s of warm-up each",
                e.cores, e.seconds, e.slices, e.warmup_seconds
            ),
        ];
        if let (Some(before), Some(after)) = (&e.load_before, &e.load_after) {
            lines.push(format!("load average before: {before}; after: {after}"));
        }
        lines
    }

    pub fn goals(&self) -> Vec<String> {
        let single = self
            .rows
            .iter()
            .find(|r| r.scenario == Scenario::Single && r.writers == SINGLE_GOAL_WRITERS);
        let single_line = match single {
            Some(r) => format!("{} ({:.3}x)", verdict(r.ratio() >= SINGLE_GOAL), r.ratio()),
            None => format!("not measured ({SINGLE_GOAL_WRITERS} is not in --writers)"),
        };
        let batches: Vec<&Row> = self
            .rows
            .iter()
            .filter(|r| matches!(r.scenario, Scenario::Batch(_)))
            .collect();
        let batch_line = if batches.is_empty() {
            "not measured".to_owned()
        } else {
            let each = batches
                .iter()
                .map(|r| {
                    let writers = if r.writers == 1 { "writer" } else { "writers" };
                    format!("{} {writers}: {:.3}x", r.writers, r.ratio())
                })
                .collect::<Vec<_>>()
                .join(", ");
            let met = batches.iter().all(|r| r.ratio() >= BATCH_GOAL);
            format!("{} ({each})", verdict(met))
        };
        vec![
            format!(
                "goal: single-event appends at {SINGLE_GOAL_WRITERS} writers >= {SINGLE_GOAL:.2}x \
                 raw single-row INSERT: {single_line}"
            ),
            format!("goal: batch appends >= {BATCH_GOAL:.2}x raw multi-row INSERT: {batch_line}"),
        ]
    }

    pub fn text(&self) -> String {
        let mut out = String::new();
        for l in self.environment_lines() {
            out.push_str(&l);
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&text_table(&HEADERS, &self.cells()));
        if let Some(cpu) = self.cpu_cells() {
            out.push_str("\nCPU time per event (client = this process, server = its backends):\n");
            out.push_str(&text_table(&CPU_HEADERS, &cpu));
        }
        out.push('\n');
        for g in self.goals() {
            out.push_str(&g);
            out.push('\n');
        }
        out
    }

    pub fn markdown(&self) -> String {
        let mut out = String::new();
        for l in self.environment_lines() {
            let _ = writeln!(out, "- {l}");
        }
        out.push('\n');
        out.push_str(&markdown_table(&HEADERS, &self.cells()));
        if let Some(cpu) = self.cpu_cells() {
            out.push_str(
                "\nCPU time per event (client = the benchmark process, server = its backends):\n\n",
            );
            out.push_str(&markdown_table(&CPU_HEADERS, &cpu));
        }
        out.push('\n');
        for g in self.goals() {
            let _ = writeln!(out, "- {g}");
        }
        out
    }
}

/// Columns padded to their widest cell; the first left-aligned, the figures right-aligned.
fn text_table<const N: usize>(headers: &[&str; N], rows: &[[String; N]]) -> String {
    let mut widths = headers.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String; N]| {
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i == 0 {
                let _ = write!(out, "{cell:<w$}");
            } else {
                let _ = write!(out, "  {cell:>w$}");
            }
        }
        out.push('\n');
        out
    };
    let mut out = line(&headers.map(str::to_owned));
    out.push_str(&line(&widths.map(|w| "-".repeat(w))));
    for row in rows {
        out.push_str(&line(row));
    }
    out
}

fn markdown_table<const N: usize>(headers: &[&str; N], rows: &[[String; N]]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| {} |", headers.join(" | "));
    let align: Vec<&str> = (0..N)
        .map(|i| if i == 0 { ":---" } else { "---:" })
        .collect();
    let _ = writeln!(out, "| {} |", align.join(" | "));
    for row in rows {
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    out
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT met" }
}

fn latency(s: &Sample) -> String {
    format!("{:.2} / {:.2}", s.quantile_ms(0.5), s.quantile_ms(0.99))
}

/// A rate rounded to a whole number, with thousands separated: `12,345`.
fn grouped(x: f64) -> String {
    let digits = format!("{:.0}", x.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::grouped;

    #[test]
    fn groups_thousands() {
        assert_eq!(grouped(0.4), "0");
        assert_eq!(grouped(999.0), "999");
        assert_eq!(grouped(1234.6), "1,235");
        assert_eq!(grouped(1_234_567.0), "1,234,567");
    }
}
