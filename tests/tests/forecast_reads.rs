//! The forecast reads its running totals, never the opportunities: its reads are bounded by the
//! totals a year can hold, whatever the number of opportunities (the benchmark times it on 100 000).

use std::sync::Arc;

use gestiona_domain::testing::MemoryStore;
use gestiona_tests::forecast_bench::run;

#[tokio::test]
async fn a_fiscal_years_forecast_reads_the_same_whatever_the_number_of_opportunities() {
    let small = run(Arc::new(MemoryStore::new()), 600, 1).await;
    let large = run(Arc::new(MemoryStore::new()), 30_000, 1).await;
    // Two gets (the pipelines, the organisation) and a query per month of the year (a second
    // page where a month holds over 1 000 totals: here, every combination of owner, stage,
    // currency and line, 1 200).
    assert_eq!((small.gets, small.queries), (2, 12), "{small:?}");
    assert_eq!((large.gets, large.queries), (2, 24), "{large:?}");
    // Items read: the totals, bounded by owners × stages × currencies × lines per month, not by
    // the opportunities.
    assert!(large.items_read <= 12 * 20 * 6 * 2 * 5 + 2, "{large:?}"); // and the admin's two
    assert!(large.items_read < large.stored / 2, "{large:?}");
    assert!(small.lines < large.lines, "the larger company sells in both currencies");
    // As of a past day: the same totals, plus the movements since that day, one query page per
    // thousand in each month they fall in; never the opportunities.
    assert_eq!(large.changes_since, 1_500);
    // (and the twenty movements of the ten opportunities opened and moved through the use cases,
    // and the company's time zone).
    assert!(large.as_of_items_read <= large.items_read + large.changes_since + 20 + 1, "{large:?}");
    assert!(large.as_of_queries <= large.queries + 12 + large.changes_since / 1_000 + 1, "{large:?}");
}
