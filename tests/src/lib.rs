//! Shared test support: the store conformance suite and the AWS emulator (moto) helpers.
//!
//! The test command (`tests/run`) starts moto on a free loopback port and exports its URL as
//! `GESTIONA_TEST_AWS_ENDPOINT`. Tests that need it (or the SAM CLI, Chromium, poppler) are
//! marked `#[ignore = "needs …"]`, so a plain `cargo test` lists them as ignored and passes on a
//! clean checkout; `tests/run` runs them with `--include-ignored`, and there they fail loudly
//! when what they need is missing.

pub mod bench_company;
pub mod clock;
pub mod conformance;
pub mod counting;
pub mod field_access;
pub mod fixtures;
pub mod forecast_bench;
pub mod handlers;
pub mod invoice_sweep_bench;
pub mod moto;
pub mod permissions;
pub mod pricing_bench;
pub mod queue;
pub mod scenes;
pub mod scopes;
pub mod sweep_bench;

/// Runs every conformance check as its own `#[tokio::test]`, each against a fresh store made by
/// `$make` (an async expression returning something that implements `Store`);
/// `ignored("reason")` before it marks every test `#[ignore]` (a store that needs the emulator).
#[macro_export]
macro_rules! conformance_tests {
    (@each $attributes:tt $make:expr; $($check:ident),+) => {
        $($crate::conformance_tests!(@one $attributes $make; $check);)+
    };
    (@one {$($attribute:tt)*} $make:expr; $check:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        $($attribute)*
        async fn $check() {
            let store = $make;
            $crate::conformance::$check(std::sync::Arc::new(store)).await;
        }
    };
    (@all $attributes:tt $make:expr) => {
        $crate::conformance_tests!(@each $attributes $make;
            put_new_creates_only_once,
            items_round_trip,
            several_items_read_at_once,
            conditional_writes_check_versions,
            conditions_on_missing_items,
            batches_are_all_or_nothing,
            running_totals_add_within_batches,
            batch_limits_are_enforced,
            partition_queries_filter_and_order,
            pagination_visits_every_item_once,
            cursors_cannot_cross_partitions,
            sparse_indexes_follow_their_items,
            concurrent_versioned_writes_have_one_winner,
            counters_increment_atomically,
            the_word_index_follows_its_records
        );
    };
    (ignored($reason:literal) $make:expr) => {
        $crate::conformance_tests!(@all {#[ignore = $reason]} $make);
    };
    ($make:expr) => {
        $crate::conformance_tests!(@all {} $make);
    };
}
