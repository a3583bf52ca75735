//! Pricing a quote reads the rows of its lines, never the list: its round trips do not grow with
//! the list (the benchmark times it on 20 000 rows), and the daily re-sync writes only the rows
//! that changed.

use std::sync::Arc;

use gestiona_domain::testing::MemoryStore;
use gestiona_tests::pricing_bench::run;

#[tokio::test]
async fn pricing_reads_the_same_whatever_the_size_of_the_list_and_a_resync_writes_only_changes() {
    let small = run(Arc::new(MemoryStore::new()), 1_000, 1).await;
    let large = run(Arc::new(MemoryStore::new()), 6_000, 1).await;
    for figures in [&small, &large] {
        assert_eq!(figures.lines, 100);
        assert_eq!(figures.from_account_list + figures.from_default, 100, "{figures:?}");
        assert_eq!(figures.from_default, 10, "every tenth product is priced from the default list: {figures:?}");
        // Two batch reads of the pointers and the lists' settings, the tenant's day, the
        // products, the account's rows, the default's rows.
        assert!(figures.calls <= 8, "{figures:?}");
    }
    assert_eq!((small.calls, small.items_read), (large.calls, large.items_read), "{small:?} {large:?}");
    let changed = (0..6_000).filter(|n| n % 10 != 7 && n % 90 == 0).count() as u64;
    assert_eq!((large.resync_written, large.resync_unchanged), (changed, 5_400 - changed), "{large:?}");
}
