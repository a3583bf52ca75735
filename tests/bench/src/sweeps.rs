//! Sweep scaling: the SLA and invoice sweeps over growing tables with a fixed number due, on
//! the embedded store (the scenarios of `gestiona_tests`, which the read-count tests also run
//! on DynamoDB). Reads must not grow with the table; neither should time.

use std::sync::Arc;

use gestiona_store_embedded::EmbeddedStore;

pub const DUE: usize = 100;

#[derive(Debug, Clone)]
pub struct SweepRun {
    pub sweep: &'static str,
    pub stored: usize,
    pub due: usize,
    pub queries: usize,
    pub items_read: usize,
    pub gets: usize,
    /// Stages applied or reminders sent.
    pub acted: usize,
    pub millis: u128,
}

impl SweepRun {
    /// Store reads of the run: queries and gets.
    pub fn reads(&self) -> usize {
        self.queries + self.gets
    }
}

fn store() -> Result<(Arc<EmbeddedStore>, std::path::PathBuf), String> {
    let dir = std::env::temp_dir().join(format!("gestiona-bench-sweep-{}", ulid::Ulid::generate()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let store = EmbeddedStore::open(dir.join("bench.redb")).map_err(|e| e.to_string())?;
    Ok((Arc::new(store), dir))
}

/// The forecast of a fiscal year by owner over `sizes` opportunities, on the embedded store.
pub async fn forecasts(
    sizes: &[usize],
    runs: usize,
) -> Result<Vec<gestiona_tests::forecast_bench::ForecastFigures>, String> {
    let mut figures = Vec::new();
    for &stored in sizes {
        let (embedded, dir) = store()?;
        figures.push(gestiona_tests::forecast_bench::run(embedded, stored, runs).await);
        std::fs::remove_dir_all(dir).ok();
    }
    Ok(figures)
}

/// Pricing a quote against a list of `rows` rows, on the embedded store.
pub async fn pricing(rows: usize, runs: usize) -> Result<gestiona_tests::pricing_bench::PricingFigures, String> {
    let (embedded, dir) = store()?;
    let figures = gestiona_tests::pricing_bench::run(embedded, rows, runs).await;
    std::fs::remove_dir_all(dir).ok();
    Ok(figures)
}

pub async fn measure(sizes: &[usize]) -> Result<Vec<SweepRun>, String> {
    let mut runs = Vec::new();
    for &stored in sizes {
        let (embedded, dir) = store()?;
        let f = gestiona_tests::sweep_bench::run(embedded, stored, DUE).await;
        std::fs::remove_dir_all(dir).ok();
        runs.push(SweepRun {
            sweep: "SLA",
            stored,
            due: f.due,
            queries: f.queries,
            items_read: f.items_read,
            gets: f.gets,
            acted: f.applied,
            millis: f.millis,
        });
        let (embedded, dir) = store()?;
        let f = gestiona_tests::invoice_sweep_bench::run(embedded, stored, DUE).await;
        std::fs::remove_dir_all(dir).ok();
        runs.push(SweepRun {
            sweep: "invoice",
            stored,
            due: f.due,
            queries: f.queries,
            items_read: f.items_read,
            gets: f.gets,
            acted: f.sent,
            millis: f.millis,
        });
    }
    Ok(runs)
}
