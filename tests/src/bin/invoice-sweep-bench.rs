//! `cargo run --release -p gestiona-tests --bin invoice-sweep-bench`: the invoice sweep's reads
//! and time over 10³, 10⁴ and 10⁵ stored unpaid invoices with 100 due, on the embedded store.

use std::sync::Arc;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![1_000, 10_000, 100_000] } else { sizes };
    println!("| stored invoices | due | days | queries | items read | gets | reminders | sweep ms |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    for stored in sizes {
        let dir = std::env::temp_dir().join(format!("gestiona-invoice-bench-{}", ulid::Ulid::generate()));
        std::fs::create_dir_all(&dir).unwrap();
        let store = Arc::new(gestiona_store_embedded::EmbeddedStore::open(dir.join("bench.redb")).unwrap());
        let f = gestiona_tests::invoice_sweep_bench::run(store, stored, 100).await;
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            f.stored, f.due, f.days, f.queries, f.items_read, f.gets, f.sent, f.millis
        );
        std::fs::remove_dir_all(dir).ok();
    }
}
