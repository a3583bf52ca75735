//! The sweeps read what is due, not what is stored: counted on both stores, for the SLA sweep
//! and the invoice sweep.

use std::sync::Arc;

use gestiona_tests::sweep_bench::run;

fn check(f: &gestiona_tests::sweep_bench::SweepFigures) {
    assert_eq!(f.applied, f.due, "{f:?}: one warning per due case");
    assert!(f.items_read <= f.due, "{f:?}: items read ≤ due entries");
    assert_eq!(f.queries, f.buckets * 4, "{f:?}: one query per (hour bucket, shard) since the last sweep");
    assert_eq!(f.gets, 1, "{f:?}: the watermark, and no case read for warnings");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sweep_reads_on_the_embedded_store() {
    let dir = std::env::temp_dir().join(format!("gestiona-sweep-{}", ulid::Ulid::generate()));
    std::fs::create_dir_all(&dir).unwrap();
    let figures =
        run(Arc::new(gestiona_store_embedded::EmbeddedStore::open(dir.join("s.redb")).unwrap()), 5_000, 20).await;
    check(&figures);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the AWS emulator: tests/run provides it"]
async fn sweep_reads_on_dynamodb() {
    let figures = run(Arc::new(gestiona_tests::moto::fresh_table().await), 300, 10).await;
    check(&figures);
}

fn check_invoices(f: &gestiona_tests::invoice_sweep_bench::InvoiceSweepFigures) {
    assert_eq!(f.sent, f.due, "{f:?}: one reminder per due invoice");
    assert_eq!(f.items_read, f.due, "{f:?}: items read from queries = due entries");
    assert_eq!((f.days, f.queries), (1, 4), "{f:?}: one query per (day, shard) since the last sweep");
    assert_eq!(f.gets, 2, "{f:?}: the watermark and the tenant's ladder; no invoice read");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoice_sweep_reads_on_the_embedded_store() {
    let dir = std::env::temp_dir().join(format!("gestiona-invoice-sweep-{}", ulid::Ulid::generate()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = Arc::new(gestiona_store_embedded::EmbeddedStore::open(dir.join("s.redb")).unwrap());
    check_invoices(&gestiona_tests::invoice_sweep_bench::run(store, 5_000, 20).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the AWS emulator: tests/run provides it"]
async fn invoice_sweep_reads_on_dynamodb() {
    let store = Arc::new(gestiona_tests::moto::fresh_table().await);
    check_invoices(&gestiona_tests::invoice_sweep_bench::run(store, 300, 10).await);
}
