//! The functions' handlers, driven by the `events/` fixtures, on DynamoDB (moto).

use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the AWS emulator: tests/run provides it"]
async fn handlers_answer_the_fixtures_on_dynamodb() {
    let store = gestiona_tests::moto::fresh_table().await;
    gestiona_tests::handlers::scenario(gestiona_tests::handlers::api_on(Arc::new(store)).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the AWS emulator: tests/run provides it"]
async fn the_public_form_function_answers_its_fixture_on_dynamodb() {
    let store = gestiona_tests::moto::fresh_table().await;
    gestiona_tests::handlers::lead_form_scenario(gestiona_tests::handlers::api_on(Arc::new(store)).await).await;
}
