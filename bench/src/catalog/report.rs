//! The report of `agora bench-catalog`: a text table, or markdown.

use std::fmt::Write as _;

use hdrhistogram::Histogram;

use super::{QUERIES, Report};

fn ms(h: &Histogram<u64>, q: f64) -> String {
    format!("{:.2}", h.value_at_quantile(q) as f64 / 1000.0)
}

const HEADERS: [&str; 7] = [
    "store",
    "products",
    "query",
    "search p50 ms",
    "search p99 ms",
    "facets p50 ms",
    "facets p99 ms",
];

impl Report {
    fn rows(&self) -> Vec<[String; 7]> {
        let mut rows = Vec::new();
        for t in &self.targets {
            for (i, (name, _)) in QUERIES.iter().enumerate() {
                rows.push([
                    t.store.clone(),
                    t.products.to_string(),
                    (*name).to_owned(),
                    ms(&t.search[i], 0.5),
                    ms(&t.search[i], 0.99),
                    ms(&t.facets[i], 0.5),
                    ms(&t.facets[i], 0.99),
                ]);
            }
            rows.push([
                t.store.clone(),
                t.products.to_string(),
                "raw baseline (newest page ids, index only)".to_owned(),
                ms(&t.raw, 0.5),
                ms(&t.raw, 0.99),
                "-".to_owned(),
                "-".to_owned(),
            ]);
        }
        rows
    }

    /// The largest size over the first, per store and query, at p99; the goal is 1.5x at most.
    fn ratios(&self) -> Vec<String> {
        let mut out = Vec::new();
        let stores: Vec<&str> = self.targets.iter().map(|t| t.store.as_str()).collect();
        let mut seen = Vec::new();
        for store in stores {
            if seen.contains(&store) {
                continue;
            }
            seen.push(store);
            let of: Vec<_> = self.targets.iter().filter(|t| t.store == store).collect();
            let (Some(small), Some(large)) = (of.first(), of.last()) else {
                continue;
            };
            if small.products == large.products {
                continue;
            }
            for (i, (name, _)) in QUERIES.iter().enumerate() {
                let ratio = |a: &Histogram<u64>, b: &Histogram<u64>| {
                    b.value_at_quantile(0.99) as f64 / a.value_at_quantile(0.99).max(1) as f64
                };
                out.push(format!(
                    "{store} {name}: {} over {} products at p99: search {:.2}x, facets {:.2}x",
                    large.products,
                    small.products,
                    ratio(&small.search[i], &large.search[i]),
                    ratio(&small.facets[i], &large.facets[i]),
                ));
            }
        }
        out
    }

    fn seeding(&self) -> Vec<String> {
        self.targets
            .iter()
            .map(|t| {
                format!(
                    "{} {} products seeded in {:.1} s",
                    t.store, t.products, t.seed_secs
                )
            })
            .collect()
    }

    pub(crate) fn text(&self) -> String {
        let mut out = String::new();
        for line in self.environment.iter().chain(&self.seeding()) {
            let _ = writeln!(out, "{line}");
        }
        let rows = self.rows();
        let widths: Vec<usize> = (0..HEADERS.len())
            .map(|c| {
                rows.iter()
                    .map(|r| r[c].len())
                    .chain([HEADERS[c].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: &[String]| {
            cells
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect::<Vec<_>>()
                .join("  ")
        };
        let _ = writeln!(out, "{}", line(&HEADERS.map(str::to_owned)));
        for r in &rows {
            let _ = writeln!(out, "{}", line(r));
        }
        for r in self.ratios() {
            let _ = writeln!(out, "{r}");
        }
        out
    }

    pub(crate) fn markdown(&self) -> String {
        let mut out = String::new();
        for line in self.environment.iter().chain(&self.seeding()) {
            let _ = writeln!(out, "- {line}");
        }
        let _ = writeln!(out, "\n| {} |", HEADERS.join(" | "));
        let _ = writeln!(out, "|{}", "---|".repeat(HEADERS.len()));
        for r in self.rows() {
            let _ = writeln!(out, "| {} |", r.join(" | "));
        }
        out.push('\n');
        for r in self.ratios() {
            let _ = writeln!(out, "- {r}");
        }
        out
    }
}
