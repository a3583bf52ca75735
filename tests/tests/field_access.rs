//! Hidden and read-only fields through the HTTP handlers, on the in-memory and the embedded
//! store (see `gestiona_tests::field_access`).

use std::sync::Arc;

use gestiona_domain::testing::MemoryStore;
use gestiona_tests::field_access::hidden_fields_leave_every_answer;
use gestiona_tests::handlers::api_on;

#[tokio::test]
async fn a_hidden_field_is_in_no_answer_and_no_field_a_profile_may_not_change_is_saved_in_memory() {
    hidden_fields_leave_every_answer(api_on(Arc::new(MemoryStore::new())).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hidden_field_is_in_no_answer_and_no_field_a_profile_may_not_change_is_saved_on_the_embedded_store() {
    let dir = std::env::temp_dir().join(format!("gestiona-field-access-{}", ulid::Ulid::generate()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = gestiona_store_embedded::EmbeddedStore::open(dir.join("store.redb")).unwrap();
    hidden_fields_leave_every_answer(api_on(Arc::new(store)).await).await;
}
