//! Scenes several tests set: data put in place through the use cases, and the events a worker
//! would receive for it.

use gestiona_domain::ports::EffectMessage;
use gestiona_domain::service::Services;
use gestiona_domain::workflow::TransitionRequest;
use gestiona_domain::{Actor, EntityId};
use serde_json::{Value, json};

use crate::fixtures;
use crate::queue::RecordingQueue;

/// A customer alert on its way to the notifier.
pub struct CustomerAlert {
    pub message: EffectMessage,
    /// The customer's (unique) address.
    pub customer: String,
    pub case_id: EntityId,
}

/// A return case for a new customer (María José Peña Núñez, Spanish), moved to "waiting for the
/// product", which alerts the customer. `queue` is the one `services` publishes to.
pub async fn customer_alert(services: &Services, queue: &RecordingQueue, actor: &Actor) -> CustomerAlert {
    let unique = ulid::Ulid::generate().to_string().to_lowercase();
    let customer = format!("cliente-{unique}@example.com");
    let contact = json!({"firstName": "María José", "lastName": "Peña Núñez", "email": customer, "locale": "es"});
    let contact = services.create_contact(actor, serde_json::from_value(contact).unwrap()).await.unwrap();
    let case = json!({"type": "devolucion", "subject": "Licuadora con daño en el envío", "owner": "ana", "contactId": contact.value.id});
    let case = services.create_case(actor, serde_json::from_value(case).unwrap()).await.unwrap();
    let step = |action: &str, result: &str| TransitionRequest {
        action: action.into(),
        result: result.into(),
        ..Default::default()
    };
    let moved = services.transition_case(actor, case.value.id, 1.into(), step("revisar", "en_revision")).await.unwrap();
    services
        .transition_case(actor, case.value.id, moved.case.version.into(), step("pedir_producto", "pedido"))
        .await
        .unwrap();
    let message =
        queue.published().into_iter().find(|m| m.body.template() == "customer_alert").expect("a customer alert");
    CustomerAlert { message, customer, case_id: case.value.id }
}

/// The SQS event (`events/sqs/notification.json`) carrying `message` twice, as a redelivery
/// within one batch would.
pub fn redelivered_batch(message: &EffectMessage) -> Value {
    let mut event = fixtures::event("sqs/notification.json");
    event["Records"][0]["body"] = Value::from(serde_json::to_string(message).unwrap());
    event["Records"][0]["messageAttributes"]["effectId"]["stringValue"] = Value::from(message.effect_id.clone());
    let mut second = event["Records"][0].clone();
    second["messageId"] = Value::from("second-delivery");
    event["Records"].as_array_mut().unwrap().push(second);
    event
}
