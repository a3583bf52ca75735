//! Shared test support: the store conformance suite and the AWS emulator (moto) helpers.
//!
//! The test command (`tests/run`) starts moto on a free loopback port and exports its URL as
//! `GESTIONA_TEST_AWS_ENDPOINT`. Tests that need it fail loudly without it; none are skipped.

pub mod clock;
pub mod conformance;
pub mod counting;
pub mod fixtures;
pub mod handlers;
pub mod invoice_sweep_bench;
pub mod moto;
pub mod queue;
pub mod scenes;
pub mod sweep_bench;

/// Runs every conformance check as its own `#[tokio::test]`, each against a fresh store made by
/// `$make` (an async expression returning something that implements `Store`).
#[macro_export]
macro_rules! conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            put_new_creates_only_once,
            items_round_trip,
            conditional_writes_check_versions,
            conditions_on_missing_items,
            batches_are_all_or_nothing,
            batch_limits_are_enforced,
            partition_queries_filter_and_order,
            pagination_visits_every_item_once,
            cursors_cannot_cross_partitions,
            sparse_indexes_follow_their_items,
            concurrent_versioned_writes_have_one_winner,
            counters_increment_atomically
        );
    };
    (@each $make:expr; $($check:ident),+) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                let store = $make;
                $crate::conformance::$check(std::sync::Arc::new(store)).await;
            }
        )+
    };
}
