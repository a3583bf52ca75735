//! Effect claims: one holder at a time, taken over when a crashed holder's lease lapses, final
//! once completed — on the embedded store and on DynamoDB (moto).

use std::sync::Arc;

use gestiona_domain::TenantId;
use gestiona_domain::ports::{Store, UlidGenerator};
use gestiona_domain::service::Services;
use gestiona_domain::service::directory::Claim;
use gestiona_tests::clock::ManualClock;
use gestiona_tests::queue::RecordingQueue;

async fn leases_expire_and_completion_is_final(store: Arc<dyn Store>) {
    let clock = Arc::new(ManualClock::at("2026-11-22T10:00:00Z"));
    let services =
        Services::new(store, Arc::new(RecordingQueue::default()), clock.clone(), Arc::new(UlidGenerator::default()));
    let tenant = TenantId::parse("acme").unwrap();
    let effect = format!("effect-{}", ulid::Ulid::generate());
    let first = services.claim_effect(&tenant, &effect, 120).await.unwrap();
    assert_eq!(first, Claim::Acquired { version: 1 });
    assert_eq!(services.claim_effect(&tenant, &effect, 120).await.unwrap(), Claim::Busy, "held by the first worker");
    // The first worker "crashes"; after its lease lapses a redelivery takes over.
    clock.advance(121);
    let second = services.claim_effect(&tenant, &effect, 120).await.unwrap();
    assert_eq!(second, Claim::Acquired { version: 2 });
    // The crashed worker cannot complete with its stale claim.
    assert!(services.complete_effect(&tenant, &effect, 1, serde_json::json!({})).await.is_err());
    services.complete_effect(&tenant, &effect, 2, serde_json::json!({"messageId": "m-1"})).await.unwrap();
    clock.advance(100_000);
    assert_eq!(
        services.claim_effect(&tenant, &effect, 120).await.unwrap(),
        Claim::Completed,
        "done is done, whenever asked"
    );

    let released = format!("effect-{}", ulid::Ulid::generate());
    let Claim::Acquired { version } = services.claim_effect(&tenant, &released, 120).await.unwrap() else { panic!() };
    services.release_effect(&tenant, &released, version).await.unwrap();
    assert_eq!(
        services.claim_effect(&tenant, &released, 120).await.unwrap(),
        Claim::Acquired { version: 1 },
        "released at once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_on_the_embedded_store() {
    let dir = std::env::temp_dir().join(format!("gestiona-claims-{}", ulid::Ulid::generate()));
    std::fs::create_dir_all(&dir).unwrap();
    leases_expire_and_completion_is_final(Arc::new(
        gestiona_store_embedded::EmbeddedStore::open(dir.join("s.redb")).unwrap(),
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the AWS emulator: tests/run provides it"]
async fn claims_on_dynamodb() {
    leases_expire_and_completion_is_final(Arc::new(gestiona_tests::moto::fresh_table().await)).await;
}
