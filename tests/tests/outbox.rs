//! The transactional outbox: a queue outage after a committed transition loses no effect.

use std::sync::Arc;

use gestiona_domain::ports::{Index, Query, Store, SystemClock, UlidGenerator};
use gestiona_domain::service::Services;
use gestiona_domain::workflow::TransitionRequest;
use gestiona_domain::{Actor, Role, TenantId, UserId, keys};
use gestiona_tests::queue::RecordingQueue;

fn sofia() -> Actor {
    Actor::with_role(&TenantId::parse("demo").unwrap(), &UserId::parse("sofia").unwrap(), Role::Supervisor)
}

async fn pending(store: &dyn Store) -> usize {
    let mut count = 0;
    for shard in 0..keys::OUTBOX_SHARDS {
        count +=
            store.query(&Query::index(Index::Gsi1, keys::outbox_listing_partition(shard))).await.unwrap().items.len();
    }
    count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn effects_survive_a_queue_outage_and_the_relay_delivers_them_once() {
    let dir = std::env::temp_dir().join(format!("gestiona-outbox-{}", ulid::Ulid::generate()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = Arc::new(gestiona_store_embedded::EmbeddedStore::open(dir.join("store.redb")).unwrap());
    let queue = Arc::new(RecordingQueue::default());
    let services =
        Services::new(store.clone(), queue.clone(), Arc::new(SystemClock), Arc::new(UlidGenerator::default()));
    services.seed_demo(&TenantId::parse("demo").unwrap()).await.unwrap();
    assert_eq!(pending(store.as_ref()).await, 0, "seeding leaves nothing pending");
    let actor = sofia();
    let case = services
        .create_case(
            &actor,
            serde_json::from_value(serde_json::json!({"type": "devolucion", "subject": "x", "owner": "carlos"}))
                .unwrap(),
        )
        .await
        .unwrap();

    queue.fail(true);
    let request = |action: &str, result: &str| TransitionRequest {
        action: action.into(),
        result: result.into(),
        ..Default::default()
    };
    let moved =
        services.transition_case(&actor, case.value.id, 1.into(), request("revisar", "en_revision")).await.unwrap();
    let moved = services
        .transition_case(&actor, moved.case.value.id, moved.case.version.into(), request("pedir_producto", "pedido"))
        .await
        .unwrap();
    assert_eq!(moved.case.value.state, "esperando_producto", "the case moved although the queue is down");
    let expected: Vec<String> = {
        let history = services.case_history(&actor, case.value.id, &Default::default()).await.unwrap();
        history
            .items
            .iter()
            .filter_map(|e| match &e.value.kind {
                gestiona_domain::history::EventKind::EffectEnqueued { effect_id, .. } => Some(effect_id.clone()),
                _ => None,
            })
            .collect()
    };
    assert_eq!(expected.len(), 2, "the pool's assignment (carlos → ana) and the customer alert");
    assert_eq!(pending(store.as_ref()).await, 2, "both effects wait in the outbox");
    assert!(queue.published().is_empty());

    let report = services.relay_outbox().await.unwrap();
    assert_eq!((report.published, report.failed), (0, 2), "the relay keeps them while the queue is down");
    assert_eq!(pending(store.as_ref()).await, 2);

    queue.fail(false);
    let report = services.relay_outbox().await.unwrap();
    assert_eq!(report.published, 2);
    assert_eq!(pending(store.as_ref()).await, 0);
    let mut published: Vec<String> = queue.published().into_iter().map(|m| m.effect_id).collect();
    published.sort();
    let mut expected = expected;
    expected.sort();
    assert_eq!(published, expected, "exactly the recorded effects, once each");
    assert_eq!(services.relay_outbox().await.unwrap().published, 0, "nothing is published twice by the relay");

    // With the queue up, effects go out at once and leave nothing behind.
    let up = services
        .transition_case(&actor, case.value.id, moved.case.version.into(), request("recibir_producto", "recibido"))
        .await
        .unwrap();
    assert_eq!(up.case.value.state, "en_revision");
    assert_eq!(pending(store.as_ref()).await, 0);
}
