//! Webhook use cases on the in-memory adapters: subscribing, announcing, signed attempts,
//! retries, exactly-once after success, replay and disabling after a day of failures.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::case::NewCase;
use crate::effects::{EffectBody, EffectMessage, Subject};
use crate::ids::TenantId;
use crate::ports::{EndpointAnswer, Store, TransportError, WebhookTransport};
use crate::service::Services;
use crate::service::webhook_deliveries::Handled;
use crate::service::webhooks::{SaveSubscriptionError, SubscriptionInput};
use crate::testing::{ManualClock, MemoryStore, RecordingQueue, SequentialIds};
use crate::webhook::{DeliveryStatus, EndpointPolicy, SubscriptionStatus, verify};
use crate::{Actor, Role, UserId};

/// A receiver that answers from a script (then 200), checks every signature with the secret it
/// was given, and keeps what it was sent.
#[derive(Default)]
struct Receiver {
    script: Mutex<VecDeque<Result<u16, TransportError>>>,
    secret: Mutex<String>,
    received: Mutex<Vec<(String, String)>>,
}

#[async_trait]
impl WebhookTransport for Receiver {
    async fn post(&self, _: &str, headers: &[(&str, String)], body: &[u8]) -> Result<EndpointAnswer, TransportError> {
        let header = |name: &str| headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone()).unwrap_or_default();
        let (id, timestamp) = (header("webhook-id"), header("webhook-timestamp").parse::<i64>().unwrap());
        let secret = self.secret.lock().unwrap().clone();
        assert!(verify(&secret, &id, timestamp, body, &header("webhook-signature")), "a valid signature");
        self.received.lock().unwrap().push((id, String::from_utf8(body.to_vec()).unwrap()));
        match self.script.lock().unwrap().pop_front().unwrap_or(Ok(200)) {
            Ok(status) => Ok(EndpointAnswer { status, body: format!("answered {status}") }),
            Err(error) => Err(error),
        }
    }
}

struct World {
    services: Services,
    queue: Arc<RecordingQueue>,
    clock: Arc<ManualClock>,
    admin: Actor,
}

async fn world() -> World {
    let queue = Arc::new(RecordingQueue::default());
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::at("2026-11-30T14:00:00Z"));
    let services = Services::new(store, queue.clone(), clock.clone(), Arc::new(SequentialIds::default()))
        .with_endpoint_policy(EndpointPolicy::default());
    let tenant = TenantId::parse("demo").unwrap();
    services.seed_demo(&tenant).await.expect("seed");
    let admin = Actor::with_role(&tenant, &UserId::parse("carlos").unwrap(), Role::Admin);
    World { services, queue, clock, admin }
}

fn subscribe(events: &[&str]) -> SubscriptionInput {
    SubscriptionInput {
        url: "https://erp.example.com/gestiona".into(),
        events: events.iter().map(|e| (*e).to_owned()).collect(),
        description: Some("ERP".into()),
        status: None,
    }
}

fn webhook_messages(queue: &RecordingQueue) -> Vec<EffectMessage> {
    queue
        .published()
        .into_iter()
        .filter(|m| matches!(m.body, EffectBody::WebhookEvent(_) | EffectBody::WebhookAttempt(_)))
        .collect()
}

#[tokio::test]
async fn only_an_admin_subscribes_and_only_a_public_https_endpoint_with_known_events() {
    let World { services, admin, .. } = world().await;
    let agent = Actor { role: Role::Agent, ..admin.clone() };
    assert!(matches!(
        services.create_subscription(&agent, subscribe(&["case.created"]), [1; 32]).await,
        Err(SaveSubscriptionError::Forbidden(_))
    ));
    let bad =
        SubscriptionInput { url: "http://10.0.0.1/x".into(), events: vec!["case.eaten".into()], ..subscribe(&[]) };
    let Err(SaveSubscriptionError::Invalid(errors)) = services.create_subscription(&admin, bad, [1; 32]).await else {
        panic!("refused")
    };
    let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["url", "events/0"]);
    let created = services.create_subscription(&admin, subscribe(&["case.created"]), [1; 32]).await.unwrap();
    assert!(created.value.secrets[0].secret.starts_with("whsec_"));
    assert_eq!(services.list_subscriptions(&admin).await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_event_is_announced_only_to_a_tenant_that_wants_it() {
    let World { services, queue, admin, .. } = world().await;
    let case = NewCase { case_type: "queja_calidad".into(), subject: "Sin webhooks".into(), ..NewCase::default() };
    services.create_case(&admin, case.clone()).await.unwrap();
    assert!(webhook_messages(&queue).is_empty(), "no subscription, no announcement");
    services.create_subscription(&admin, subscribe(&["case.updated"]), [1; 32]).await.unwrap();
    services.create_case(&admin, case.clone()).await.unwrap();
    assert!(webhook_messages(&queue).is_empty(), "not an event it subscribed to");
    services.create_subscription(&admin, subscribe(&["case.created"]), [2; 32]).await.unwrap();
    let created = services.create_case(&admin, case).await.unwrap();
    let announced = webhook_messages(&queue);
    let [EffectMessage { body: EffectBody::WebhookEvent(event), .. }] = announced.as_slice() else {
        panic!("one announcement: {announced:?}")
    };
    assert_eq!(event.event_type.as_str(), "case.created");
    assert_eq!(event.data["id"], created.value.id.to_string());
}

#[tokio::test]
async fn a_failed_delivery_is_retried_later_and_delivered_exactly_once() {
    let World { services, queue, clock, admin } = world().await;
    let subscription = services.create_subscription(&admin, subscribe(&["case.created"]), [3; 32]).await.unwrap();
    let receiver = Receiver::default();
    *receiver.secret.lock().unwrap() = subscription.value.secrets[0].secret.clone();
    receiver.script.lock().unwrap().push_back(Ok(503));
    let case = NewCase { case_type: "queja_calidad".into(), subject: "Con webhook".into(), ..NewCase::default() };
    services.create_case(&admin, case).await.unwrap();
    let event = webhook_messages(&queue).pop().expect("announced");

    let handled = services.handle_webhook_message(&event, &receiver).await.unwrap();
    assert_eq!(handled, Handled::FannedOut { deliveries: 1 });
    let again = services.handle_webhook_message(&event, &receiver).await.unwrap();
    assert_eq!(again, Handled::FannedOut { deliveries: 1 });
    assert_eq!(receiver.received.lock().unwrap().len(), 1, "a repeated event posts nothing twice");

    let [(retry, delay)] = queue.delayed().try_into().expect("one retry");
    assert_eq!(delay, std::time::Duration::from_secs(60));
    let early = services.handle_webhook_message(&retry, &receiver).await.unwrap();
    assert_eq!(early, Handled::Deferred, "not before its time");
    clock.advance(60);
    let handled = services.handle_webhook_message(&retry, &receiver).await.unwrap();
    assert_eq!(handled, Handled::Attempted(DeliveryStatus::Delivered));
    let repeat = services.handle_webhook_message(&retry, &receiver).await.unwrap();
    assert!(matches!(repeat, Handled::Skipped(_)), "{repeat:?}");
    let received = receiver.received.lock().unwrap().clone();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0], received[1], "the retry is the same delivery, byte for byte");

    let log = services
        .list_deliveries(&admin, subscription.value.id, &crate::service::PageRequest::new(Some(10), None).unwrap())
        .await
        .unwrap();
    let delivery = &log.items[0].value;
    assert_eq!((delivery.status, delivery.attempts), (DeliveryStatus::Delivered, 2));
    assert_eq!(delivery.last_attempt.as_ref().and_then(|a| a.status_code), Some(200));

    // A replay is a new delivery of the same event.
    let replay = services.replay_delivery(&admin, subscription.value.id, delivery.id).await.unwrap();
    let attempt = webhook_messages(&queue).pop().expect("the replay's attempt");
    services.handle_webhook_message(&attempt, &receiver).await.unwrap();
    let received = receiver.received.lock().unwrap().clone();
    assert_eq!(received.len(), 3);
    assert_eq!(received[2].0, replay.value.id.to_string());
    assert_ne!(received[2].0, received[0].0, "its own webhook-id");
    assert_eq!(received[2].1, received[0].1, "the same event");
}

#[tokio::test]
async fn a_subscription_failing_for_a_day_is_disabled_and_its_admin_is_told() {
    let World { services, queue, clock, admin } = world().await;
    let subscription = services.create_subscription(&admin, subscribe(&["case.created"]), [4; 32]).await.unwrap();
    let receiver = Receiver::default();
    *receiver.secret.lock().unwrap() = subscription.value.secrets[0].secret.clone();
    receiver.script.lock().unwrap().extend((0..40).map(|_| Err(TransportError::Timeout(10))));
    let case = NewCase { case_type: "queja_calidad".into(), subject: "Receptor caído".into(), ..NewCase::default() };
    services.create_case(&admin, case).await.unwrap();
    let event = webhook_messages(&queue).pop().expect("announced");
    services.handle_webhook_message(&event, &receiver).await.unwrap();
    let mut handled = Vec::new();
    while let Some((retry, delay)) = queue.delayed().into_iter().last().filter(|_| handled.len() < 30) {
        clock.advance(i64::try_from(delay.as_secs()).unwrap());
        let outcome = services.handle_webhook_message(&retry, &receiver).await.unwrap();
        let settled = outcome == Handled::Attempted(DeliveryStatus::Failed);
        handled.push(outcome);
        if settled {
            break;
        }
    }
    let stored = services.get_subscription(&admin, subscription.value.id).await.unwrap();
    assert_eq!(stored.value.status, SubscriptionStatus::Disabled);
    let told: Vec<EffectMessage> = queue
        .published()
        .into_iter()
        .filter(
            |m| matches!(&m.body, EffectBody::Notify(n) if n.subject == Subject::Webhook { id: subscription.value.id }),
        )
        .collect();
    assert_eq!(told.len(), 1, "the admin is told once");
    let log = services
        .list_deliveries(&admin, subscription.value.id, &crate::service::PageRequest::new(Some(10), None).unwrap())
        .await
        .unwrap();
    assert_eq!(log.items[0].value.status, DeliveryStatus::Failed);
    assert!(log.items[0].value.attempts >= 10, "{} attempts", log.items[0].value.attempts);
}

#[tokio::test]
async fn leads_and_invoices_announce_their_events_with_the_change_that_caused_them() {
    use crate::ids::DocumentNumber;
    use crate::lead::{ConvertLead, NewLead};
    use crate::receivables::{InvoiceInput, PaymentInput};

    let World { services, queue, admin, .. } = world().await;
    let events = ["lead.captured", "lead.converted", "invoice.created", "invoice.paid"];
    services.create_subscription(&admin, subscribe(&events), [4; 32]).await.unwrap();
    let input =
        NewLead { name: "Laura Jiménez".into(), email: Some("laura@palmas.example".into()), ..Default::default() };
    let lead = services.create_lead(&admin, input).await.unwrap();
    let converted = services.convert_lead(&admin, lead.value.id, 1.into(), ConvertLead::default()).await.unwrap();
    let number = DocumentNumber::parse("F-0007").unwrap();
    let invoice = InvoiceInput {
        account_id: converted.account.value.id,
        contact_id: None,
        currency: "CRC".into(),
        issued_on: "2026-11-01".parse().unwrap(),
        due_on: Some("2026-12-01".parse().unwrap()),
        total_minor: 2_000_000,
        description: None,
    };
    services.upsert_invoice(&admin, &number, &invoice).await.unwrap();
    let part =
        |amount_minor| PaymentInput { amount_minor, paid_on: "2026-11-20".parse().unwrap(), method: None, note: None };
    services.record_payment(&admin, &number, &DocumentNumber::parse("P-1").unwrap(), part(500_000)).await.unwrap();
    services.record_payment(&admin, &number, &DocumentNumber::parse("P-2").unwrap(), part(1_500_000)).await.unwrap();

    let announced: Vec<(String, serde_json::Value)> = webhook_messages(&queue)
        .into_iter()
        .filter_map(|m| match m.body {
            EffectBody::WebhookEvent(event) => Some((event.event_type.as_str().to_owned(), event.data)),
            _ => None,
        })
        .collect();
    let kinds: Vec<&str> = announced.iter().map(|(kind, _)| kind.as_str()).collect();
    assert_eq!(kinds, events, "each once, in order; a partial payment announces nothing");
    assert_eq!(announced[0].1["id"], lead.value.id.to_string());
    assert_eq!(announced[1].1["accountId"], converted.account.value.id.to_string());
    assert_eq!(
        (&announced[3].1["number"], &announced[3].1["balanceMinor"]),
        (&serde_json::json!("F-0007"), &serde_json::json!(0))
    );
}

#[tokio::test]
async fn the_sweep_announces_once_that_an_invoice_fell_overdue_and_never_for_a_settled_one() {
    use crate::ids::DocumentNumber;
    use crate::receivables::{InvoiceInput, PaymentInput};

    let World { services, queue, clock, admin } = world().await;
    services.create_subscription(&admin, subscribe(&["invoice.overdue"]), [5; 32]).await.unwrap();
    let account = services
        .list_accounts(&admin, &Default::default(), &crate::service::PageRequest::new(Some(1), None).unwrap())
        .await
        .unwrap()
        .items[0]
        .value
        .id;
    let invoice = |total_minor| InvoiceInput {
        account_id: account,
        contact_id: None,
        currency: "CRC".into(),
        issued_on: "2026-11-01".parse().unwrap(),
        due_on: Some("2026-12-01".parse().unwrap()),
        total_minor,
        description: None,
    };
    let (owed, settled) = (DocumentNumber::parse("F-0100").unwrap(), DocumentNumber::parse("F-0101").unwrap());
    services.upsert_invoice(&admin, &owed, &invoice(900_000)).await.unwrap();
    services.upsert_invoice(&admin, &settled, &invoice(400_000)).await.unwrap();
    let payment =
        PaymentInput { amount_minor: 400_000, paid_on: "2026-11-30".parse().unwrap(), method: None, note: None };
    services.record_payment(&admin, &settled, &DocumentNumber::parse("P-9").unwrap(), payment).await.unwrap();
    let overdue = |queue: &RecordingQueue| -> Vec<serde_json::Value> {
        webhook_messages(queue)
            .into_iter()
            .filter_map(|m| match m.body {
                EffectBody::WebhookEvent(event) if event.event_type.as_str() == "invoice.overdue" => Some(event.data),
                _ => None,
            })
            .collect()
    };

    // Due on 1 December: still on time that day (the sweep of the 1st announces nothing).
    clock.advance(24 * 3600);
    assert_eq!(services.sweep_invoices().await.unwrap().announced_overdue, 0);
    assert!(overdue(&queue).is_empty());

    clock.advance(24 * 3600);
    assert_eq!(services.sweep_invoices().await.unwrap().announced_overdue, 1);
    let announced = overdue(&queue);
    assert_eq!(announced.len(), 1, "the paid invoice is not announced");
    assert_eq!((&announced[0]["number"], &announced[0]["balanceMinor"]), (&"F-0100".into(), &900_000.into()));

    clock.advance(3 * 24 * 3600);
    assert_eq!(services.sweep_invoices().await.unwrap().announced_overdue, 0, "once per due date");
    assert_eq!(overdue(&queue).len(), 1);
}

#[tokio::test]
async fn a_form_posted_twice_makes_one_subscription() {
    let World { services, admin, .. } = world().await;
    let form = services.new_id();
    let first = services.create_subscription_once(&admin, subscribe(&["case.created"]), [6; 32], form).await.unwrap();
    let again = services.create_subscription_once(&admin, subscribe(&["case.created"]), [7; 32], form).await.unwrap();
    assert_eq!(again.value, first.value, "the second post gets the first one's subscription and secret");
    assert_eq!(services.list_subscriptions(&admin).await.unwrap().len(), 1);
    let other = Actor { user: UserId::parse("otra").unwrap(), ..admin.clone() };
    let refused = services.create_subscription_once(&other, subscribe(&["case.created"]), [8; 32], form).await;
    assert!(matches!(refused, Err(SaveSubscriptionError::Invalid(e)) if e.0[0].field == "formId"));
}
