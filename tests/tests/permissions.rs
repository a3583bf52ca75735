//! The permission matrix (profiles × guarded routes) through the HTTP handlers, on the
//! in-memory and the embedded store (the DynamoDB run is in `permissions_dynamo.rs`).

use std::sync::Arc;

use gestiona_domain::testing::MemoryStore;
use gestiona_tests::handlers::api_on;
use gestiona_tests::permissions::permission_matrix;

#[tokio::test]
async fn every_profile_reaches_what_it_allows_and_nothing_else_in_memory() {
    permission_matrix(api_on(Arc::new(MemoryStore::new())).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_profile_reaches_what_it_allows_and_nothing_else_on_the_embedded_store() {
    let dir = std::env::temp_dir().join(format!("gestiona-permissions-{}", ulid::Ulid::generate()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = gestiona_store_embedded::EmbeddedStore::open(dir.join("store.redb")).unwrap();
    permission_matrix(api_on(Arc::new(store)).await).await;
}
