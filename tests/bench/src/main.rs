//! `gestiona-bench`: the benchmark suite of the budgets in docs/architecture.md (figures in docs/benchmarks.md).
//!
//! `tests/bench/run` builds the release binaries and runs the whole suite, writing
//! docs/benchmarks.md; `tests/bench/run --quick` (CI) runs a shorter pass on the dev build and
//! fails when a ratio rises beyond its tolerance over `tests/bench/baseline.json`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod alloc;
mod cold;
mod cost;
mod load;
mod metered;
mod report;
mod stats;
mod sweeps;
mod warm;

#[global_allocator]
static ALLOCATOR: alloc::Counting = alloc::Counting;

#[derive(Parser)]
#[command(name = "gestiona-bench", about = "Gestiona's benchmark suite")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Fewer runs and smaller tables (the CI variant).
    #[arg(long)]
    quick: bool,
    /// Write the report (markdown) here.
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// Fail when a ratio rises beyond its tolerance over this baseline.
    #[arg(long)]
    check: Option<PathBuf>,
    /// Write this run's ratios as the new baseline.
    #[arg(long)]
    write_baseline: Option<PathBuf>,
    /// Leave out sections: cold, warm, sweeps, pricing, load.
    #[arg(long, value_delimiter = ',')]
    skip: Vec<String>,
    /// The table sizes of the sweeps and forecasts (default: 1 000 and 10 000, and 100 000
    /// without --quick).
    #[arg(long, value_delimiter = ',')]
    sizes: Vec<usize>,
}

#[derive(Subcommand)]
enum Command {
    /// The cold-init reference: poll the Runtime API at once (started by the suite).
    RuntimeProbe,
}

const PROFILE: &str = if cfg!(debug_assertions) { "dev" } else { "release" };

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::RuntimeProbe) = cli.command {
        return match cold::runtime_probe() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("runtime-probe: {e}");
                ExitCode::FAILURE
            }
        };
    }
    match run(&cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("gestiona-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> Result<ExitCode, String> {
    let wanted = |section: &str| !cli.skip.iter().any(|s| s == section);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    let (starts, runs, sizes, load_seconds): (usize, usize, &[usize], u64) =
        if cli.quick { (5, 200, &[1_000, 10_000], 2) } else { (20, 1_000, &[1_000, 10_000, 100_000], 10) };
    let sizes = if cli.sizes.is_empty() { sizes } else { cli.sizes.as_slice() };
    eprintln!("gestiona-bench: {PROFILE} build{}", if cli.quick { ", quick" } else { "" });

    let cold = if wanted("cold") {
        eprintln!("cold init: {starts} starts of each function binary …");
        let (mut subjects, probe) = cold::subjects()?;
        subjects.push(probe);
        Some(cold::measure(&subjects, starts)?)
    } else {
        None
    };
    let warm = if wanted("warm") {
        eprintln!("warm handlers: {runs} requests each …");
        Some(runtime.block_on(warm::measure(runs))?)
    } else {
        None
    };
    let sweeps = if wanted("sweeps") {
        eprintln!("sweeps over {sizes:?} stored items …");
        Some(runtime.block_on(sweeps::measure(sizes))?)
    } else {
        None
    };
    let forecasts = if wanted("sweeps") {
        eprintln!("forecasts over {sizes:?} opportunities …");
        Some(runtime.block_on(sweeps::forecasts(sizes, if cli.quick { 20 } else { 100 }))?)
    } else {
        None
    };
    let pricing = if wanted("pricing") {
        let rows = if cli.quick { 5_000 } else { 20_000 };
        eprintln!("pricing a 100-line quote against {rows} price-list rows …");
        Some(runtime.block_on(sweeps::pricing(rows, if cli.quick { 20 } else { 200 }))?)
    } else {
        None
    };
    let load = if wanted("load") {
        eprintln!("local runner under wrk, {load_seconds} s per scenario …");
        Some(runtime.block_on(load::measure(16, load_seconds, !cli.quick))?)
    } else {
        None
    };
    let cost = match (&warm, &sweeps) {
        (Some(warm), Some(sweeps)) => Some(cost::model(&warm.operations, sweeps)),
        _ => None,
    };
    let results = report::Results { profile: PROFILE, cold, warm, sweeps, forecasts, pricing, load, cost };
    let markdown = results.markdown();
    println!("{markdown}");
    if let Some(path) = &cli.markdown {
        std::fs::write(path, &markdown).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    let ratios = results.ratios();
    if let Some(path) = &cli.write_baseline {
        let baseline = report::Baseline { profile: PROFILE.into(), ratios: ratios.clone() };
        let text = serde_json::to_string_pretty(&baseline).map_err(|e| e.to_string())?;
        std::fs::write(path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    let mut failures = Vec::new();
    if let Some(load) = &results.load {
        failures.extend(
            load.runs
                .iter()
                .filter(|r| r.errors > 0)
                .map(|r| format!("{}: {} errors under load", r.scenario, r.errors)),
        );
    }
    if let Some(path) = &cli.check {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let baseline: report::Baseline = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        if baseline.profile != PROFILE {
            return Err(format!("{} holds {} ratios; this is a {PROFILE} build", path.display(), baseline.profile));
        }
        failures.extend(report::regressions(&baseline, &ratios));
        eprintln!("ratios against {} (now / baseline, tolerance):", path.display());
        for (name, base) in &baseline.ratios {
            let now = ratios.get(name).copied().unwrap_or(f64::NAN);
            eprintln!("  {:>6.2} (×{:.2})  {name}", now / base, report::tolerance(name));
        }
    }
    if failures.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!("gestiona-bench: regressions:");
    for failure in &failures {
        eprintln!("  {failure}");
    }
    Ok(ExitCode::FAILURE)
}
