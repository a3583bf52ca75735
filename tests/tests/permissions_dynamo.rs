//! The permission matrix and hidden fields on DynamoDB (moto).

use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the AWS emulator: tests/run provides it"]
async fn every_profile_reaches_what_it_allows_and_nothing_else_on_dynamodb() {
    let store = gestiona_tests::moto::fresh_table().await;
    gestiona_tests::permissions::permission_matrix(gestiona_tests::handlers::api_on(Arc::new(store)).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the AWS emulator: tests/run provides it"]
async fn a_hidden_field_is_in_no_answer_on_dynamodb() {
    let store = gestiona_tests::moto::fresh_table().await;
    gestiona_tests::field_access::hidden_fields_leave_every_answer(
        gestiona_tests::handlers::api_on(Arc::new(store)).await,
    )
    .await;
}
