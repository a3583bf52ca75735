//! How many store round trips the busiest requests make (each is a DynamoDB call in AWS): a
//! guard against a change that quietly adds reads to the hot path. Through `Api::handle`, as
//! the functions run them, on the in-memory store.

use std::sync::Arc;

use gestiona_api::Function;
use gestiona_domain::testing::MemoryStore;
use gestiona_tests::counting::CountingStore;
use gestiona_tests::fixtures::{bench_form, event, lead_post, staff, with_header};
use gestiona_tests::handlers::{api_on, call};
use serde_json::json;

#[tokio::test]
async fn the_hot_requests_make_few_store_calls() {
    let counting = Arc::new(CountingStore::new(Arc::new(MemoryStore::new())));
    let counts = counting.counts.clone();
    let api = api_on(counting).await;

    counts.reset();
    let created = call(&api, Function::CasesApi, &event("apigw/create-case.json")).await;
    assert_eq!(created.status, 201, "{}", created.body);
    // The caller's directory entry and the tenant's profiles in one read; case type, the pool's
    // directory entries (a deactivated member takes no work), round-robin cursor, SLA policy,
    // calendar; the change; the outbox cleared.
    assert_eq!(counts.calls(), 8, "create case");

    let id = created.body["id"].as_str().unwrap().to_owned();
    let path = format!("/cases/{id}/transitions");
    let body = json!({"action": "analizar", "result": "en_analisis", "note": "Revisado"});
    let transition = with_header(staff("POST", "/cases/{id}/transitions", &path, &[], Some(body)), "if-match", "\"1\"");
    counts.reset();
    let moved = call(&api, Function::TransitionsApi, &transition).await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    // The caller and the profiles in one read; case, its definition, SLA policy, calendar,
    // history and clocks in one query; the change.
    assert_eq!(counts.calls(), 7, "transition");

    let form = staff("PUT", "/forms/{id}", "/forms/bench", &[], Some(bench_form()));
    assert_eq!(call(&api, Function::LeadsApi, &form).await.status, 201);
    call(&api, Function::LeadCapture, &lead_post(0)).await;
    counts.reset();
    let captured = call(&api, Function::LeadCapture, &lead_post(1)).await;
    assert_eq!(captured.status, 201, "{}", captured.body);
    // The form and the post's idempotency record in one read, two rate windows, the e-mail and
    // phone claims in one read, the pool's directory entries, the round-robin cursor; the
    // change; the outbox cleared; the form's accepted counter.
    eprintln!(
        "{:?} {:?}",
        counts.snapshot(),
        (
            counts.writes.load(std::sync::atomic::Ordering::SeqCst),
            counts.increments.load(std::sync::atomic::Ordering::SeqCst)
        )
    );
    assert_eq!(counts.calls(), 9, "capture lead");
}
