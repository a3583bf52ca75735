//! The suite's results: the markdown report (docs/benchmarks.md), the budgets of docs/architecture.md,
//! and the ratios the CI check compares with a committed baseline.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::cold::ColdStart;
use crate::cost::CostModel;
use crate::load::LoadFigures;
use crate::sweeps::SweepRun;
use crate::warm::Warm;
use gestiona_tests::forecast_bench::ForecastFigures;
use gestiona_tests::pricing_bench::PricingFigures;

pub struct Results {
    pub profile: &'static str,
    pub cold: Option<Vec<ColdStart>>,
    pub warm: Option<Warm>,
    pub sweeps: Option<Vec<SweepRun>>,
    pub forecasts: Option<Vec<ForecastFigures>>,
    pub pricing: Option<PricingFigures>,
    pub load: Option<LoadFigures>,
    pub cost: Option<CostModel>,
}

/// One budget of docs/architecture.md and whether this run met it.
pub struct Budget {
    pub what: String,
    pub budget: String,
    pub measured: String,
    pub met: bool,
}

const MB: f64 = 1e6;

impl Results {
    pub fn budgets(&self) -> Vec<Budget> {
        let mut budgets = Vec::new();
        if let Some(cold) = &self.cold {
            let http: Vec<&ColdStart> = cold.iter().filter(|c| c.http).collect();
            let worst = http.iter().map(|c| c.init.p50_ms).fold(0.0, f64::max);
            budgets.push(Budget {
                what: "cold init of an HTTP function (median)".into(),
                budget: "≤ 20 ms".into(),
                measured: format!("{worst:.1} ms (slowest of {})", http.len()),
                met: worst <= 20.0,
            });
            let functions: Vec<&ColdStart> = cold
                .iter()
                .filter(|c| !["documents", "console", "runtime-probe"].contains(&c.binary.as_str()))
                .collect();
            if let Some(console) = cold.iter().find(|c| c.binary == "console") {
                // Templates, htmx and a TLS client for the sign-in on top of an API function.
                budgets.push(Budget {
                    what: "release binary, the console".into(),
                    budget: "≤ 12 MB".into(),
                    measured: format!("{:.1} MB", console.bytes as f64 / MB),
                    met: console.bytes as f64 <= 12.0 * MB,
                });
            }
            let largest = functions.iter().max_by_key(|c| c.bytes);
            if let Some(largest) = largest {
                let over: Vec<&str> =
                    functions.iter().filter(|c| c.bytes as f64 > 10.0 * MB).map(|c| c.binary.as_str()).collect();
                budgets.push(Budget {
                    what: "release binary, functions without typst".into(),
                    budget: "≤ 10 MB".into(),
                    measured: format!(
                        "largest {:.1} MB ({}){}",
                        largest.bytes as f64 / MB,
                        largest.binary,
                        if over.is_empty() { String::new() } else { format!("; over: {}", over.join(", ")) }
                    ),
                    met: over.is_empty(),
                });
            }
        }
        if let Some(warm) = &self.warm {
            let latency = |what: String, l: &crate::stats::Summary, (p50, p99): (f64, f64)| Budget {
                what,
                budget: format!("p50 ≤ {p50} ms, p99 ≤ {p99} ms"),
                measured: format!("p50 {:.2} ms, p99 {:.2} ms", l.p50_ms, l.p99_ms),
                met: l.p50_ms <= p50 && l.p99_ms <= p99,
            };
            for operation in warm.operations.iter().filter(|o| o.budgeted) {
                budgets.push(latency(format!("warm request: {}", operation.name), &operation.latency, (1.0, 5.0)));
            }
            for page in warm.operations.iter().filter(|o| crate::warm::CONSOLE_PAGES.contains(&o.name)) {
                budgets.push(latency(format!("rendered in process, {}", page.name), &page.latency, (3.0, 10.0)));
            }
            budgets.push(Budget {
                what: "the console's case list page (50 rows), uncompressed".into(),
                budget: "≤ 60 KB".into(),
                measured: format!("{:.1} KB", warm.console_list_bytes as f64 / 1e3),
                met: warm.console_list_bytes <= 60_000,
            });
            if let Some(pdf) = warm.operations.iter().find(|o| o.name == "render one-page PDF") {
                budgets.push(Budget {
                    what: "one-page PDF render, warm".into(),
                    budget: "≤ 50 ms".into(),
                    measured: format!("p50 {:.1} ms, p99 {:.1} ms", pdf.latency.p50_ms, pdf.latency.p99_ms),
                    met: pdf.latency.p99_ms <= 50.0,
                });
            }
        }
        if let Some(sweeps) = &self.sweeps {
            for sweep in ["SLA", "invoice"] {
                let runs: Vec<&SweepRun> = sweeps.iter().filter(|r| r.sweep == sweep).collect();
                let (Some(first), Some(last)) = (runs.first(), runs.last()) else { continue };
                let flat = runs.iter().all(|r| r.reads() == first.reads() && r.items_read == first.items_read);
                budgets.push(Budget {
                    what: format!("{sweep} sweep reads, {} → {} stored", first.stored, last.stored),
                    budget: "≤ due items + one query per (bucket, shard), whatever the table size".into(),
                    measured: format!(
                        "{} queries + {} gets, {} items read for {} due, at every size",
                        last.queries, last.gets, last.items_read, last.due
                    ),
                    met: flat && last.items_read <= last.due * 2 + last.queries,
                });
            }
        }
        if let Some(forecasts) = &self.forecasts
            && let (Some(first), Some(last)) = (forecasts.first(), forecasts.last())
        {
            let flat = forecasts.iter().all(|f| f.queries == first.queries && f.gets == first.gets);
            budgets.push(Budget {
                what: format!("forecast of a fiscal year by owner, {} opportunities, warm (median)", last.stored),
                budget: "≤ 300 ms, without reading every opportunity".into(),
                measured: format!(
                    "{:.2} ms; {} queries + {} gets, {} totals read, at every size",
                    last.micros as f64 / 1000.0,
                    last.queries,
                    last.gets,
                    last.items_read
                ),
                met: flat && last.micros <= 300_000 && last.items_read < last.stored,
            });
            budgets.push(Budget {
                what: format!(
                    "the same forecast as of a past day, {} opportunities, {} changed since, warm (median)",
                    last.stored, last.changes_since
                ),
                budget: "reads the totals and the changes since the day, never the opportunities".into(),
                measured: format!(
                    "{:.2} ms; {} queries, {} items read",
                    last.as_of_micros as f64 / 1000.0,
                    last.as_of_queries,
                    last.as_of_items_read
                ),
                met: last.as_of_items_read <= last.items_read + last.changes_since + 21,
            });
        }
        if let Some(p) = &self.pricing {
            budgets.push(Budget {
                what: format!("pricing a {}-line quote against a {}-row price list, warm (median)", p.lines, p.rows),
                budget: "≤ 20 ms".into(),
                measured: format!(
                    "{:.2} ms; {} store round trips, {} lines from the default list",
                    p.micros as f64 / 1000.0,
                    p.calls,
                    p.from_default
                ),
                met: p.micros <= 20_000,
            });
        }
        budgets
    }

    /// The ratios the CI check compares: each is dimensionless, so it holds on a faster or
    /// slower machine of the same kind.
    pub fn ratios(&self) -> BTreeMap<String, f64> {
        let mut ratios = BTreeMap::new();
        if let Some(warm) = &self.warm {
            for operation in &warm.operations {
                ratios.insert(
                    format!("warm p50 / calibration: {}", operation.name),
                    operation.latency.p50_ms / operation.calibration_ms,
                );
                ratios.insert(format!("allocations per request: {}", operation.name), operation.allocations);
            }
        }
        let probe = self.cold.iter().flatten().find(|c| c.binary == "runtime-probe");
        if let (Some(cold), Some(probe)) = (&self.cold, probe) {
            for start in cold.iter().filter(|c| c.binary != "runtime-probe") {
                ratios.insert(
                    format!("cold init / bare process: {}", start.binary),
                    start.init.p50_ms / probe.init.p50_ms,
                );
            }
        }
        if let Some(sweeps) = &self.sweeps {
            for sweep in ["SLA", "invoice"] {
                let runs: Vec<&SweepRun> = sweeps.iter().filter(|r| r.sweep == sweep).collect();
                if let (Some(first), Some(last)) = (runs.first(), runs.last()) {
                    ratios.insert(
                        format!("sweep time, largest / smallest table: {sweep}"),
                        last.millis.max(1) as f64 / first.millis.max(1) as f64,
                    );
                    ratios.insert(
                        format!("sweep reads, largest / smallest table: {sweep}"),
                        last.reads() as f64 / first.reads().max(1) as f64,
                    );
                }
            }
        }
        if let Some(forecasts) = &self.forecasts
            && let (Some(first), Some(last)) = (forecasts.first(), forecasts.last())
        {
            ratios.insert(
                "forecast reads, largest / smallest tenant".into(),
                (last.queries + last.gets) as f64 / (first.queries + first.gets).max(1) as f64,
            );
        }
        ratios
    }

    pub fn markdown(&self) -> String {
        let mut md = String::new();
        let _ = writeln!(md, "# Benchmarks\n");
        let _ = writeln!(
            md,
            "Written by `tests/bench/run` ({} build, {} cores, {}). Every figure below is measured by \
             `gestiona-bench` on this machine; the budgets are those of docs/architecture.md.\n",
            self.profile,
            std::thread::available_parallelism().map_or(0, |n| n.get()),
            std::env::consts::ARCH,
        );
        let release = self.profile == "release";
        let _ = writeln!(md, "## Budgets\n\n| what | budget | measured | |\n|---|---|---|---|");
        for b in self.budgets() {
            // The budgets hold for release builds; a dev build's figures only feed the CI ratios.
            let verdict = match (release, b.met) {
                (false, _) => "(dev build)",
                (true, true) => "met",
                (true, false) => "**not met**",
            };
            let _ = writeln!(md, "| {} | {} | {} | {verdict} |", b.what, b.budget, b.measured);
        }
        if let Some(cold) = &self.cold {
            let _ = writeln!(
                md,
                "\n## Cold init and binary size\n\nProcess start to the first `GET /2018-06-01/runtime/invocation/next` on a stub \
                 Runtime API, with Lambda's environment, {} timed starts each (interleaved, after one untimed start). \
                 `runtime-probe` is a process that polls at once: the floor of process start on this machine.\n\n\
                 | binary | size | init p50 | p99 | min | RSS at first poll |\n|---|---:|---:|---:|---:|---:|",
                cold.first().map_or(0, |c| c.init.runs)
            );
            for c in cold {
                let _ = writeln!(
                    md,
                    "| {} | {:.1} MB | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} MiB |",
                    c.binary,
                    c.bytes as f64 / MB,
                    c.init.p50_ms,
                    c.init.p99_ms,
                    c.init.min_ms,
                    c.rss_kib as f64 / 1024.0
                );
            }
        }
        if let Some(warm) = &self.warm {
            let _ = writeln!(
                md,
                "\n## Warm handlers (in process, embedded store)\n\nThrough `Api::handle`, as in the functions, on API Gateway v2 events; \
                 one request at a time; the embedded store commits each write at once and syncs the request's writes once before answering (group commit). DynamoDB calls and units are metered \
                 by item size in a separate pass.\n\n\
                 | operation | runs | p50 | p99 | allocations | bytes allocated | peak RSS | store calls (writes) | WRU | RRU | SQS messages |\n\
                 |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
            );
            for o in &warm.operations {
                let store = o.store.map_or(" | | ".to_owned(), |s| {
                    format!("{:.1} ({:.1}) | {:.1} | {:.1}", s.calls, s.writes, s.write_units, s.read_units)
                });
                let _ = writeln!(
                    md,
                    "| {} | {} | {:.3} ms | {:.3} ms | {:.0} | {:.1} KiB | {:.1} MiB | {} | {} |",
                    o.name,
                    o.latency.runs,
                    o.latency.p50_ms,
                    o.latency.p99_ms,
                    o.allocations,
                    o.allocated_bytes / 1024.0,
                    o.peak_rss_kib as f64 / 1024.0,
                    store,
                    if o.store.is_some() { format!("{:.1}", o.messages) } else { String::new() }
                );
            }
            let calibration = warm.operations.iter().map(|o| format!("{:.3}", o.calibration_ms)).collect::<Vec<_>>();
            let _ = writeln!(
                md,
                "\nThe calibration workload (20 × parse, serialise and hash a 1 KB JSON body), timed between each operation's \
                 runs, took p50 {} ms in the blocks above, in order; the CI check divides by it.",
                calibration.join(", ")
            );
        }
        if let Some(sweeps) = &self.sweeps {
            let _ = writeln!(
                md,
                "\n## Sweep scaling\n\n{} due among the stored items; one sweep, counted.\n\n\
                 | sweep | stored | due | queries | items read | gets | acted on | ms |\n|---|---:|---:|---:|---:|---:|---:|---:|",
                crate::sweeps::DUE
            );
            for r in sweeps {
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} | {} | {} | {} |",
                    r.sweep, r.stored, r.due, r.queries, r.items_read, r.gets, r.acted, r.millis
                );
            }
        }
        if let Some(forecasts) = &self.forecasts {
            let _ = writeln!(
                md,
                "\n## Forecast scaling\n\nA fiscal year's forecast by owner (`tests/src/forecast_bench.rs`): the opportunities \
                 of 20 owners over 12 close months, every stage, five business lines and two currencies, with the running \
                 totals they make; warm, the median of the runs.\n\n\
                 | opportunities | lines | queries | totals read | gets | ms | changed since | as-of queries | as-of items | as-of ms |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
            );
            for f in forecasts {
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} | {:.2} | {} | {} | {} | {:.2} |",
                    f.stored,
                    f.lines,
                    f.queries,
                    f.items_read,
                    f.gets,
                    f.micros as f64 / 1000.0,
                    f.changes_since,
                    f.as_of_queries,
                    f.as_of_items_read,
                    f.as_of_micros as f64 / 1000.0
                );
            }
        }
        if let Some(p) = &self.pricing {
            let _ = writeln!(
                md,
                "\n## Pricing\n\nA 100-line quote priced from an account's list of {} rows (four prices per row: \
                 quantity breaks and a dated offer) with the default list as fallback (`tests/src/pricing_bench.rs`), \
                 on the embedded store.\n\n\
                 | measure | value |\n|---|---:|\n\
                 | pricing, warm median | {:.2} ms |\n\
                 | store round trips / items read by queries | {} / {} |\n\
                 | lines from the account's list / the default | {} / {} |\n\
                 | first sync of the list (every row written) | {} ms |\n\
                 | daily re-sync, 1 % changed: rows written / unchanged | {} / {} |\n\
                 | daily re-sync time | {} ms |",
                p.rows,
                p.micros as f64 / 1000.0,
                p.calls,
                p.items_read,
                p.from_account_list,
                p.from_default,
                p.first_sync_millis,
                p.resync_written,
                p.resync_unchanged,
                p.resync_millis
            );
        }
        if let Some(load) = &self.load {
            let _ = writeln!(
                md,
                "\n## Local runner under load\n\n`gestiona-local serve` loaded by `wrk -t1 -c{} -d{}s` from a second process over loopback, \
                 sharing the machine's cores. Runner peak RSS after the load: {:.1} MiB.\n\n\
                 | scenario | requests | requests/s | p50 | p99 | errors |\n|---|---:|---:|---:|---:|---:|",
                load.connections,
                load.seconds,
                load.server_rss_kib as f64 / 1024.0
            );
            for r in &load.runs {
                let _ = writeln!(
                    md,
                    "| {} | {} | {:.0} | {:.2} ms | {:.2} ms | {} |",
                    r.scenario, r.requests, r.per_second, r.p50_ms, r.p99_ms, r.errors
                );
            }
            if let Some(large) = &load.large {
                let _ = writeln!(
                    md,
                    "\nThe same load on a runner whose store already holds {} cases ({} items, each case with its \
                     history; a {:.0} MiB file): runner peak RSS after the load {:.1} MiB.\n\n\
                     | scenario | requests | requests/s | p50 | p99 | errors |\n|---|---:|---:|---:|---:|---:|",
                    large.cases,
                    large.items,
                    large.file_mib,
                    large.server_rss_kib as f64 / 1024.0
                );
                for r in &large.runs {
                    let _ = writeln!(
                        md,
                        "| {} | {} | {:.0} | {:.2} ms | {:.2} ms | {} |",
                        r.scenario, r.requests, r.per_second, r.p50_ms, r.p99_ms, r.errors
                    );
                }
            }
        }
        if let Some(cost) = &self.cost {
            let _ = writeln!(
                md,
                "\n## Cost model\n\nList prices (us-east-1, arm64, on-demand, no free tier) in `tests/bench/src/cost.rs`; Lambda \
                 duration = measured compute + {} ms per DynamoDB call.\n\n| per 1 million API requests | USD | from |\n|---|---:|---|",
                crate::cost::DYNAMODB_ROUND_TRIP_MS
            );
            for line in &cost.per_million_requests {
                let _ = writeln!(md, "| {} | {:.2} | {} |", line.what, line.dollars, line.basis);
            }
            let _ = writeln!(md, "\n| per 100 000 cases a month | USD | from |\n|---|---:|---|");
            for line in &cost.per_hundred_thousand_cases {
                let _ = writeln!(md, "| {} | {:.2} | {} |", line.what, line.dollars, line.basis);
            }
            let _ = writeln!(
                md,
                "\nIdle, the system costs about ${:.2} a month. A PHP CRM on a small always-on server (2 vCPU, 4 GiB, 40 GB disk) \
                 costs ${:.2} a month, busy or idle.",
                cost.idle_per_month,
                crate::cost::SERVER_PER_MONTH
            );
        }
        md
    }
}

/// The committed ratios and the tolerance each kind of ratio may grow by before CI fails.
#[derive(Debug, Serialize, Deserialize)]
pub struct Baseline {
    pub profile: String,
    pub ratios: BTreeMap<String, f64>,
}

/// How far a ratio may rise above its baseline: timing ratios on a shared 2-core machine are
/// noisy, allocation counts are not.
pub fn tolerance(name: &str) -> f64 {
    if name.starts_with("allocations") {
        1.25
    } else if name.starts_with("sweep reads") {
        1.0
    } else {
        2.0
    }
}

/// The ratios that rose beyond their tolerance, as lines to print.
pub fn regressions(baseline: &Baseline, current: &BTreeMap<String, f64>) -> Vec<String> {
    let mut failures = Vec::new();
    for (name, &base) in &baseline.ratios {
        match current.get(name) {
            None => failures.push(format!("{name}: not measured (baseline {base:.3})")),
            Some(&now) if now > base * tolerance(name) + 1e-9 => {
                failures.push(format!("{name}: {now:.3}, baseline {base:.3}, tolerance ×{}", tolerance(name)))
            }
            Some(_) => {}
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_fail_beyond_their_tolerance_only() {
        let baseline = Baseline {
            profile: "dev".into(),
            ratios: [("warm p50 / calibration: get case", 2.0), ("allocations per request: get case", 100.0)]
                .map(|(k, v)| (k.to_owned(), v))
                .into(),
        };
        let mut current: BTreeMap<String, f64> = baseline.ratios.clone();
        assert!(regressions(&baseline, &current).is_empty());
        current.insert("warm p50 / calibration: get case".into(), 3.9);
        current.insert("allocations per request: get case".into(), 126.0);
        assert_eq!(regressions(&baseline, &current).len(), 1, "{:?}", regressions(&baseline, &current));
        current.insert("warm p50 / calibration: get case".into(), 4.1);
        assert_eq!(regressions(&baseline, &current).len(), 2);
        current.remove("warm p50 / calibration: get case");
        let failures = regressions(&baseline, &current);
        assert!(
            failures.iter().any(|f| f.starts_with("warm p50 / calibration: get case: not measured")),
            "{failures:?}"
        );
    }
}
