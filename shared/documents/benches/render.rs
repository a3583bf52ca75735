//! Render benchmark: `cargo bench -p gestiona-documents --bench render`.
//!
//! Prints the cold render (first render in a fresh process: font parsing, template parsing and
//! compilation included) and warm renders (p50/p99 over renders for different customers in the same process)
//! of a one-page quote and a 20-line invoice (the fixtures of `gestiona_documents::fixtures`), and the size of the release `documents` binary
//! when it has been built. `GESTIONA_BENCH_PDF_DIR=dir` also writes the two PDFs there.

use std::time::{Duration, Instant};

use gestiona_documents::Renderer;
use gestiona_documents::fixtures::data;
use gestiona_domain::document::{DocumentTemplate, Locale};

const WARM_RUNS: usize = 50;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let at: jiff::Timestamp = "2026-11-22T15:00:00Z".parse().unwrap();
    let quote = data(DocumentTemplate::Quote, Locale::Es, "Transportes Núñez y Peña S.A.");

    let started = Instant::now();
    Renderer::shared().render(&quote, at).unwrap();
    let cold = started.elapsed();
    println!("documents render benchmark (this build's profile; run with cargo bench for release)");
    println!("  cold: first quote in the process (fonts + templates + compile): {:.1} ms", cold.as_secs_f64() * 1e3);

    for (name, template) in
        [("one-page quote", DocumentTemplate::Quote), ("20-line invoice", DocumentTemplate::Invoice)]
    {
        let mut times = Vec::with_capacity(WARM_RUNS);
        let mut size = 0;
        for run in 0..WARM_RUNS {
            // A different customer each time, as in a warm container: the compiled templates are
            // reused, the document is laid out afresh.
            let data = data(template, Locale::Es, &format!("Cliente número {run} S.A."));
            let started = Instant::now();
            let rendered = Renderer::shared().render(&data, at).unwrap();
            times.push(started.elapsed());
            size = rendered.pdf.len();
            if let Ok(dir) = std::env::var("GESTIONA_BENCH_PDF_DIR") {
                std::fs::write(format!("{dir}/{}.pdf", name.replace(' ', "-")), &rendered.pdf).unwrap();
            }
        }
        times.sort();
        println!(
            "  warm: {name:<16} p50 {:>6.1} ms  p99 {:>6.1} ms  ({WARM_RUNS} renders, {size} bytes)",
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.99).as_secs_f64() * 1e3,
        );
    }
    let binary = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/release/documents");
    let target = std::env::var("CARGO_TARGET_DIR").map(|d| std::path::PathBuf::from(d).join("release/documents"));
    match [Some(binary), target.ok()].into_iter().flatten().find(|p| p.exists()) {
        Some(path) => println!(
            "  documents binary (release): {:.1} MB ({})",
            std::fs::metadata(&path).unwrap().len() as f64 / 1e6,
            path.display()
        ),
        None => println!("  documents binary: not built (cargo build --release -p documents)"),
    }
}
