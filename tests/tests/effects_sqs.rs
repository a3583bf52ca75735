//! A transition on DynamoDB publishes its effects to SQS (both in moto), with the effect ids the
//! history records, and leaves no outbox entry behind.

use std::collections::HashMap;
use std::sync::Arc;

use gestiona_domain::history::EventKind;
use gestiona_domain::ports::{Index, Query, QueueName, Store, SystemClock, UlidGenerator};
use gestiona_domain::service::Services;
use gestiona_domain::workflow::TransitionRequest;
use gestiona_domain::{Actor, Role, TenantId, UserId, keys};
use gestiona_queue_sqs::{EFFECT_ID_ATTRIBUTE, SqsQueue};
use gestiona_tests::moto;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the AWS emulator: tests/run provides it"]
async fn transition_effects_arrive_in_sqs_with_their_ids() {
    let store = Arc::new(moto::fresh_table().await);
    let sqs = moto::sqs();
    let notifications = moto::fresh_queue(&sqs, "notifications").await;
    let documents = moto::fresh_queue(&sqs, "documents").await;
    let urls =
        HashMap::from([(QueueName::Notifications, notifications.clone()), (QueueName::Documents, documents.clone())]);
    let services = Services::new(
        store.clone(),
        Arc::new(SqsQueue::new(sqs.clone(), urls)),
        Arc::new(SystemClock),
        Arc::new(UlidGenerator::default()),
    );
    let tenant = TenantId::parse("demo").unwrap();
    services.seed_demo(&tenant).await.unwrap();
    let actor = Actor::with_role(&tenant, &UserId::parse("sofia").unwrap(), Role::Supervisor);

    let case = services
        .create_case(
            &actor,
            serde_json::from_value(serde_json::json!({"type": "queja_calidad", "subject": "Lote húmedo", "owner": "ana", "customFields": {"lote": "L-9"}}))
                .unwrap(),
        )
        .await
        .unwrap();
    // The letter's body is the step's note.
    let step = |action: &str, result: &str| TransitionRequest {
        action: action.into(),
        result: result.into(),
        note: Some("Se repuso el lote".into()),
        ..Default::default()
    };
    let mut version = case.version;
    for (action, result) in [("analizar", "en_analisis"), ("diagnosticar", "procede"), ("solucionar", "resuelta")] {
        version = services
            .transition_case(&actor, case.value.id, version.into(), step(action, result))
            .await
            .unwrap()
            .case
            .version;
    }
    let history = services.case_history(&actor, case.value.id, &Default::default()).await.unwrap();
    let mut recorded: HashMap<String, String> = HashMap::new();
    for event in history.items {
        if let EventKind::EffectEnqueued { effect_id, queue, .. } = event.value.kind {
            recorded.insert(effect_id, queue);
        }
    }
    // "solucionar → resuelta" alerts the customer and files a letter.
    assert_eq!(recorded.values().filter(|q| *q == "notifications").count(), 1);
    assert_eq!(recorded.values().filter(|q| *q == "documents").count(), 1);

    let mut received: HashMap<String, String> = HashMap::new();
    for (queue, url) in [("notifications", &notifications), ("documents", &documents)] {
        let output = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .message_attribute_names("All")
            .send()
            .await
            .unwrap();
        for message in output.messages() {
            let body: serde_json::Value = serde_json::from_str(message.body().unwrap()).unwrap();
            let attribute = message.message_attributes().unwrap()[EFFECT_ID_ATTRIBUTE].string_value().unwrap();
            assert_eq!(body["effectId"], attribute);
            assert_eq!(body["body"]["subject"]["id"], case.value.id.to_string());
            received.insert(attribute.to_owned(), queue.to_owned());
        }
    }
    assert_eq!(received, recorded, "every recorded effect, on its queue, once");
    for shard in 0..keys::OUTBOX_SHARDS {
        let left = store.query(&Query::index(Index::Gsi1, keys::outbox_listing_partition(shard))).await.unwrap();
        assert!(left.items.is_empty(), "published effects leave the outbox");
    }
}
