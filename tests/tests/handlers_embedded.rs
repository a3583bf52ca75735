//! The functions' handlers, driven by the `events/` fixtures, on the embedded store.

use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handlers_answer_the_fixtures_on_the_embedded_store() {
    let dir = std::env::temp_dir().join(format!("gestiona-handlers-{}", ulid::Ulid::generate()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = gestiona_store_embedded::EmbeddedStore::open(dir.join("store.redb")).unwrap();
    gestiona_tests::handlers::scenario(gestiona_tests::handlers::api_on(Arc::new(store)).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_form_function_answers_its_fixture_on_the_embedded_store() {
    let dir = std::env::temp_dir().join(format!("gestiona-handlers-{}", ulid::Ulid::generate()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = gestiona_store_embedded::EmbeddedStore::open(dir.join("store.redb")).unwrap();
    gestiona_tests::handlers::lead_form_scenario(gestiona_tests::handlers::api_on(Arc::new(store)).await).await;
}
