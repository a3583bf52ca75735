//! Exactly-once delivery on the embedded store with a mailer that records, throttles or refuses.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use gestiona_domain::case_type::Recipient;
use gestiona_domain::effects::{DocumentJob, EffectBody, Notification, Subject};
use gestiona_domain::history::EventKind;
use gestiona_domain::ports::{
    EffectMessage, EffectQueue, MailError, Mailer, OutgoingEmail, QueueError, SystemClock, UlidGenerator,
};
use gestiona_domain::service::Services;
use gestiona_domain::workflow::TransitionRequest;
use gestiona_domain::{Actor, Role, TenantId, UserId};
use gestiona_notify::{Notifier, NotifyError, Templates};

/// Keeps published effects so the test can hand them to the notifier.
#[derive(Default)]
struct Captured(Mutex<Vec<EffectMessage>>);

#[async_trait]
impl EffectQueue for Captured {
    async fn publish(&self, messages: &[EffectMessage]) -> Result<(), QueueError> {
        self.0.lock().unwrap().extend_from_slice(messages);
        Ok(())
    }

    async fn publish_delayed(&self, message: &EffectMessage, _: std::time::Duration) -> Result<(), QueueError> {
        self.publish(std::slice::from_ref(message)).await
    }
}

/// Answers with scripted outcomes first, then success; records what it sent.
#[derive(Default)]
struct ScriptedMailer {
    script: Mutex<VecDeque<MailError>>,
    sent: Mutex<Vec<OutgoingEmail>>,
}

#[async_trait]
impl Mailer for ScriptedMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, MailError> {
        if let Some(error) = self.script.lock().unwrap().pop_front() {
            return Err(error);
        }
        let mut sent = self.sent.lock().unwrap();
        sent.push(email.clone());
        Ok(format!("msg-{}", sent.len()))
    }
}

struct World {
    services: Services,
    queue: Arc<Captured>,
    mailer: Arc<ScriptedMailer>,
    notifier: Notifier,
    actor: Actor,
}

async fn world() -> World {
    let dir = std::env::temp_dir().join(format!("gestiona-notify-{}", ulid::Ulid::generate()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = Arc::new(gestiona_store_embedded::EmbeddedStore::open(dir.join("store.redb")).unwrap());
    let queue = Arc::new(Captured::default());
    let services = Services::new(store, queue.clone(), Arc::new(SystemClock), Arc::new(UlidGenerator::default()));
    let tenant = TenantId::parse("demo").unwrap();
    services.seed_demo(&tenant).await.unwrap();
    let mailer = Arc::new(ScriptedMailer::default());
    let notifier =
        Notifier::new(services.clone(), mailer.clone(), Templates::shared(), "avisos@gestiona.example".into());
    let actor = Actor::with_role(&tenant, &UserId::parse("sofia").unwrap(), Role::Supervisor);
    World { services, queue, mailer, notifier, actor }
}

/// A case whose customer (with an e-mail and locale) gets an alert when the product is requested.
async fn customer_alert(world: &World, email: &str) -> EffectMessage {
    let contact = world
        .services
        .create_contact(
            &world.actor,
            serde_json::from_value(
                serde_json::json!({"firstName": "José", "lastName": "Núñez", "email": email, "locale": "es"}),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let case = world
        .services
        .create_case(&world.actor, serde_json::from_value(serde_json::json!({"type": "devolucion", "subject": "Cafetera <defectuosa>", "owner": "ana", "contactId": contact.value.id})).unwrap())
        .await
        .unwrap();
    let step = |action: &str, result: &str| TransitionRequest {
        action: action.into(),
        result: result.into(),
        note: Some("Revisado".into()),
        ..Default::default()
    };
    let moved = world
        .services
        .transition_case(&world.actor, case.value.id, 1.into(), step("revisar", "en_revision"))
        .await
        .unwrap();
    world.queue.0.lock().unwrap().clear();
    world
        .services
        .transition_case(&world.actor, case.value.id, moved.case.version.into(), step("pedir_producto", "pedido"))
        .await
        .unwrap();
    let published = world.queue.0.lock().unwrap().clone();
    published.into_iter().find(|m| m.body.template() == "customer_alert").expect("a customer alert")
}

fn history_kinds(events: &[gestiona_domain::Versioned<gestiona_domain::history::HistoryEvent>]) -> Vec<&'static str> {
    events
        .iter()
        .filter_map(|e| match &e.value.kind {
            EventKind::Notified { .. } => Some("notified"),
            EventKind::NotificationFailed { .. } => Some("failed"),
            EventKind::NotificationSkipped { .. } => Some("skipped"),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redelivered_effect_sends_one_email_and_records_it() {
    let world = world().await;
    let alert = customer_alert(&world, "jose@example.com").await;
    let first = world.notifier.deliver(&alert).await.unwrap();
    let second = world.notifier.deliver(&alert).await.unwrap();
    assert_eq!((first.sent, second.sent, second.already), (1, 0, 1));
    let sent = world.mailer.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, ["jose@example.com"]);
    assert_eq!(sent[0].from, "Demo Gestiona <avisos@demo.gestiona.example>", "the tenant's sender identity");
    let text = String::from_utf8_lossy(&sent[0].mime);
    assert!(text.contains("Content-Type: multipart/alternative"));
    let case_id = case_of(&alert);
    let history = world.services.case_history(&world.actor, case_id, &Default::default()).await.unwrap();
    assert_eq!(history_kinds(&history.items), ["notified"]);
    let notified = history.items.iter().find_map(|e| match &e.value.kind {
        EventKind::Notified { message_id, to, effect_id, .. } => {
            Some((message_id.clone(), to.clone(), effect_id.clone()))
        }
        _ => None,
    });
    assert_eq!(notified, Some(("msg-1".into(), vec!["jose@example.com".into()], alert.effect_id.clone())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_deliveries_of_one_effect_send_once() {
    let world = world().await;
    let alert = customer_alert(&world, "rosa@example.com").await;
    let (a, b) = tokio::join!(world.notifier.deliver(&alert), world.notifier.deliver(&alert));
    let sent_by_either = [&a, &b].iter().filter(|r| matches!(r, Ok(d) if d.sent == 1)).count();
    assert_eq!(sent_by_either, 1, "{a:?} {b:?}");
    assert!([&a, &b].iter().all(|r| matches!(r, Ok(_) | Err(NotifyError::Busy))));
    assert_eq!(world.mailer.sent.lock().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_backs_off_and_permanent_errors_are_recorded_not_retried() {
    let world = world().await;
    let alert = customer_alert(&world, "lucia@example.com").await;
    world
        .mailer
        .script
        .lock()
        .unwrap()
        .extend([MailError::Throttled("rate".into()), MailError::Throttled("rate".into())]);
    let delivered = world.notifier.deliver(&alert).await.unwrap();
    assert_eq!(delivered.sent, 1, "two throttles, then sent within the same delivery");

    let refused = customer_alert(&world, "nadie@example.com").await;
    world.mailer.script.lock().unwrap().push_back(MailError::Permanent("MessageRejected: invalid address".into()));
    let outcome = world.notifier.deliver(&refused).await.unwrap();
    assert_eq!((outcome.sent, outcome.failed), (0, 1));
    let again = world.notifier.deliver(&refused).await.unwrap();
    assert_eq!((again.sent, again.already), (0, 1), "a permanent failure is not retried");
    let case_id = case_of(&refused);
    let history = world.services.case_history(&world.actor, case_id, &Default::default()).await.unwrap();
    assert_eq!(history_kinds(&history.items), ["failed"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_failures_release_the_claim_for_the_next_delivery() {
    let world = world().await;
    let alert = customer_alert(&world, "pablo@example.com").await;
    world.mailer.script.lock().unwrap().push_back(MailError::Transient("connection reset".into()));
    assert!(matches!(world.notifier.deliver(&alert).await, Err(NotifyError::Retry(_))));
    assert!(world.mailer.sent.lock().unwrap().is_empty());
    let retried = world.notifier.deliver(&alert).await.unwrap();
    assert_eq!(retried.sent, 1, "the next delivery sends at once, without waiting for a lease");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_notifications_use_the_directory_and_its_locale() {
    let world = world().await;
    let case = world
        .services
        .create_case(
            &world.actor,
            serde_json::from_value(serde_json::json!({"type": "devolucion", "subject": "Reclamo", "owner": "ana"}))
                .unwrap(),
        )
        .await
        .unwrap();
    for (owner, version, greeting) in [("carlos", 1, "Assigned to you"), ("ana", 2, "Se le asignó")] {
        world.queue.0.lock().unwrap().clear();
        let patch = serde_json::from_value(serde_json::json!({"owner": owner})).unwrap();
        world.services.update_case(&world.actor, case.value.id, version.into(), patch).await.unwrap();
        let assigned = world
            .queue
            .0
            .lock()
            .unwrap()
            .iter()
            .find(|m| m.body.template() == "case_assigned")
            .cloned()
            .expect("an assignment e-mail");
        world.mailer.sent.lock().unwrap().clear();
        assert_eq!(world.notifier.deliver(&assigned).await.unwrap().sent, 1);
        let sent = world.mailer.sent.lock().unwrap().clone();
        assert_eq!(sent[0].to, [format!("{owner}@demo.gestiona.example")]);
        let parsed = mail_parser::MessageParser::default().parse(&sent[0].mime).unwrap();
        assert!(parsed.subject().unwrap().starts_with(greeting), "{owner}: {:?}", parsed.subject());
        // The link opens the case in the staff console, under the tenant's public URL.
        let text = parsed.body_text(0).unwrap();
        let link = format!("http://127.0.0.1:3000/app/cases/{}", case.value.id);
        assert!(text.contains(&link), "{text}");
    }
    // A customer's e-mail carries no link into the staff console.
    let alert = customer_alert(&world, "jose@example.com").await;
    world.mailer.sent.lock().unwrap().clear();
    world.notifier.deliver(&alert).await.unwrap();
    let sent = world.mailer.sent.lock().unwrap().clone();
    let parsed = mail_parser::MessageParser::default().parse(&sent[0].mime).unwrap();
    assert!(!parsed.body_text(0).unwrap().contains("/app/"), "{:?}", parsed.body_text(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_messages_are_poison() {
    let world = world().await;
    // A body without its fields is not an effect at all: the SQS edge sets it aside.
    let unreadable = serde_json::json!({"effectId": "x", "queue": "notifications", "body": {"kind": "notify"}});
    assert!(serde_json::from_value::<EffectMessage>(unreadable).is_err());
    // A readable effect this worker cannot act on.
    let tenant = world.actor.tenant.clone();
    let nowhere = gestiona_domain::EntityId::parse("01KAW3Z8Q4V6B3M9X2R5T7Y1PN").unwrap();
    let document = EffectMessage::new("x".into(), DocumentJob::new(&tenant, nowhere, "quote"));
    assert!(matches!(world.notifier.deliver(&document).await, Err(NotifyError::Malformed(_))));
    let about_nothing = Notification::new(&tenant, Subject::Case { id: nowhere }, "case_assigned", Recipient::Owner);
    let message = EffectMessage::new("y".into(), about_nothing);
    assert!(matches!(world.notifier.deliver(&message).await, Err(NotifyError::Malformed(_))));
}

/// The case a notification effect is about.
fn case_of(message: &EffectMessage) -> gestiona_domain::EntityId {
    match &message.body {
        EffectBody::Notify(Notification { subject: Subject::Case { id }, .. }) => *id,
        other => panic!("not a case notification: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_email_to_staff_leaves_out_what_the_recipients_profile_hides() {
    use gestiona_domain::access::ProfileEntry;
    use gestiona_domain::effects::Notification;
    let world = world().await;
    let tenant = world.actor.tenant.clone();
    let admin = Actor::with_role(&tenant, &UserId::parse("admin").unwrap(), Role::Admin);
    let lead = world
        .services
        .create_lead(
            &world.actor,
            serde_json::from_value(serde_json::json!({
                "name": "Rocío Alfaro", "email": "rocio@alfaro.example", "company": "Alfaro Hermanos", "owner": "ana"
            }))
            .unwrap(),
        )
        .await
        .unwrap();
    let assigned = |occurrence: &str| {
        let mut notification =
            Notification::new(&tenant, Subject::Lead { id: lead.value.id }, "lead_new_assignee", Recipient::Owner);
        notification.users = vec![UserId::parse("ana").unwrap()];
        EffectMessage::new(format!("test:{occurrence}"), notification)
    };
    let text_of = |email: &OutgoingEmail| {
        let parsed = mail_parser::MessageParser::default().parse(&email.mime).unwrap();
        parsed.body_text(0).unwrap().into_owned()
    };
    world.notifier.deliver(&assigned("before")).await.unwrap();
    let before = text_of(&world.mailer.sent.lock().unwrap()[0]);
    assert!(before.contains("rocio@alfaro.example") && before.contains("Alfaro Hermanos"), "{before}");

    // The agents' profile (ana's: the directory names none for her) now hides both.
    let id = gestiona_domain::ProfileId::parse("agent").unwrap();
    let agent = world.services.get_profile(&admin, &id).await.unwrap().value;
    let fields =
        serde_json::from_value(serde_json::json!({"leads": {"email": "hidden", "company": "hidden"}})).unwrap();
    let entry = ProfileEntry { fields, ..agent.into() };
    world.services.save_profile(&admin, id, entry, None).await.unwrap();
    world.mailer.sent.lock().unwrap().clear();
    world.notifier.deliver(&assigned("after")).await.unwrap();
    let after = text_of(&world.mailer.sent.lock().unwrap()[0]);
    assert!(after.contains("Rocío Alfaro"), "{after}");
    assert!(!after.contains("rocio@alfaro.example") && !after.contains("Alfaro Hermanos"), "{after}");
    assert!(!after.contains("()"), "no empty brackets where the e-mail was: {after}");
}
