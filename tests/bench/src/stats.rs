//! Percentiles over timed samples.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub runs: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub min_ms: f64,
    pub max_ms: f64,
}

/// Nearest-rank percentiles of `samples` (which must not be empty).
pub fn summarize(mut samples: Vec<Duration>) -> Summary {
    samples.sort();
    let at = |p: f64| {
        let rank = ((p * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
        samples[rank - 1].as_secs_f64() * 1e3
    };
    Summary { runs: samples.len(), p50_ms: at(0.5), p99_ms: at(0.99), min_ms: at(0.0), max_ms: at(1.0) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let samples = (1..=100).map(Duration::from_millis).collect();
        let s = summarize(samples);
        assert_eq!((s.runs, s.p50_ms, s.p99_ms, s.min_ms, s.max_ms), (100, 50.0, 99.0, 1.0, 100.0));
        let one = summarize(vec![Duration::from_micros(1500)]);
        assert_eq!((one.p50_ms, one.p99_ms), (1.5, 1.5));
    }
}
