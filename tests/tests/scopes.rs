//! Record scopes, generated: users with random scopes on cases and leads, random teams and
//! branches, records with random owners, read through every list, search, read and report
//! route on the in-memory store (the embedded store runs one fixed world).

use std::collections::BTreeSet;
use std::sync::Arc;

use gestiona_domain::access::Scope;
use gestiona_domain::testing::MemoryStore;
use gestiona_tests::handlers::api_on;
use gestiona_tests::scopes::{BRANCHES, PEOPLE, TEAMS, World, check};
use proptest::prelude::*;

fn scope() -> impl Strategy<Value = Scope> {
    prop::sample::select(Scope::ALL.to_vec())
}

fn people() -> impl Strategy<Value = BTreeSet<usize>> {
    prop::collection::btree_set(0..PEOPLE, 0..3)
}

fn world() -> impl Strategy<Value = World> {
    (
        prop::collection::vec((scope(), scope()), PEOPLE),
        prop::collection::vec((prop::option::of(0..BRANCHES), people(), people()), TEAMS),
        prop::collection::vec(prop::option::weighted(0.85, 0..PEOPLE), 1..10),
        prop::collection::vec(0..PEOPLE, 1..6),
        1u32..4,
    )
        .prop_map(|(scopes, teams, cases, leads, limit)| World { scopes, teams, cases, leads, limit })
}

fn run(world: World, store: Arc<dyn gestiona_domain::ports::Store>) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async move { check(api_on(store).await, world).await });
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn no_route_answers_a_record_outside_the_callers_scope(world in world()) {
        run(world, Arc::new(MemoryStore::new()));
    }
}

#[test]
fn scopes_hold_on_the_embedded_store() {
    let dir = std::env::temp_dir().join(format!("gestiona-scopes-{}", ulid::Ulid::generate()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = gestiona_store_embedded::EmbeddedStore::open(dir.join("store.redb")).unwrap();
    let world = World {
        scopes: vec![
            (Scope::Own, Scope::Team),
            (Scope::Team, Scope::Branch),
            (Scope::Branch, Scope::Own),
            (Scope::All, Scope::All),
            (Scope::Team, Scope::Own),
        ],
        teams: vec![
            (Some(0), BTreeSet::from([0, 1]), BTreeSet::from([4])),
            (Some(0), BTreeSet::from([2]), BTreeSet::new()),
            (Some(1), BTreeSet::from([3, 4]), BTreeSet::new()),
        ],
        cases: vec![Some(0), Some(1), Some(2), None, Some(3), Some(4), Some(1), Some(0)],
        leads: vec![0, 1, 2, 3, 4, 2],
        limit: 2,
    };
    run(world, Arc::new(store));
}
