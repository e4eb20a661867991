//! The report of `agora bench-feed`: a text table, or markdown.

use std::fmt::Write as _;

use hdrhistogram::Histogram;

use super::Report;

fn ms(h: &Histogram<u64>, q: f64) -> String {
    format!("{:.2}", h.value_at_quantile(q) as f64 / 1000.0)
}

const HEADERS: [&str; 10] = [
    "series",
    "posts",
    "first p50",
    "first p99",
    "next p50",
    "next p99",
    "90% deep p50",
    "90% deep p99",
    "all p50",
    "all p99",
];

impl Report {
    fn rows(&self) -> Vec<[String; 10]> {
        self.series
            .iter()
            .map(|s| {
                [
                    format!("{} {}", s.sort, s.fixture.label),
                    s.fixture.posts.to_string(),
                    ms(&s.first, 0.5),
                    ms(&s.first, 0.99),
                    ms(&s.next, 0.5),
                    ms(&s.next, 0.99),
                    ms(&s.deep, 0.5),
                    ms(&s.deep, 0.99),
                    ms(&s.all, 0.5),
                    ms(&s.all, 0.99),
                ]
            })
            .collect()
    }

    /// Large over small, per sort, at p50 and p99 of all requests; the goal is 1.5x at most.
    fn ratios(&self) -> Vec<String> {
        let mut out = Vec::new();
        for sort in ["hot", "new"] {
            let of = |label: &str| {
                self.series
                    .iter()
                    .find(|s| s.sort == sort && s.fixture.label == label)
            };
            if let (Some(small), Some(large)) = (of("small"), of("large")) {
                let ratio = |q: f64| {
                    large.all.value_at_quantile(q) as f64
                        / small.all.value_at_quantile(q).max(1) as f64
                };
                let (p50, p99) = (ratio(0.5), ratio(0.99));
                let verdict = if p50 <= 1.5 && p99 <= 1.5 {
                    "met"
                } else {
                    "not met"
                };
                out.push(format!(
                    "{sort}: large/small = {p50:.2}x at p50, {p99:.2}x at p99 (goal: within 1.5x: {verdict})"
                ));
            }
        }
        out
    }

    pub(super) fn text(&self) -> String {
        let mut out = String::new();
        for l in &self.environment {
            let _ = writeln!(out, "{l}");
        }
        let rows = self.rows();
        let mut widths = HEADERS.map(str::len);
        for r in &rows {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(c.len());
            }
        }
        let line = |cells: &[String]| {
            let mut l = String::new();
            for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
                if i == 0 {
                    let _ = write!(l, "{c:<w$}");
                } else {
                    let _ = write!(l, "  {c:>w$}");
                }
            }
            l.push('\n');
            l
        };
        out.push('\n');
        out.push_str(&line(&HEADERS.map(str::to_owned)));
        for r in &rows {
            out.push_str(&line(r));
        }
        out.push_str("\nlatency in ms, to the last byte of the response\n");
        for r in self.ratios() {
            let _ = writeln!(out, "{r}");
        }
        for (what, plan) in &self.plans {
            let _ = write!(out, "\nplan ({what}):\n{plan}");
        }
        out
    }

    pub(super) fn markdown(&self) -> String {
        let mut out = String::new();
        for l in &self.environment {
            let _ = writeln!(out, "- {l}");
        }
        out.push('\n');
        let _ = writeln!(out, "| {} |", HEADERS.join(" | "));
        let align: Vec<&str> = (0..HEADERS.len())
            .map(|i| if i == 0 { ":---" } else { "---:" })
            .collect();
        let _ = writeln!(out, "| {} |", align.join(" | "));
        for r in self.rows() {
            let _ = writeln!(out, "| {} |", r.join(" | "));
        }
        out.push_str("\nLatency in ms, to the last byte of the response.\n\n");
        for r in self.ratios() {
            let _ = writeln!(out, "- {r}");
        }
        for (what, plan) in &self.plans {
            let _ = write!(out, "\nPlan ({what}):\n\n```\n{plan}```\n");
        }
        out
    }
}
