//! The wire format of effects: the SQS fixtures in `events/sqs/` are golden examples. Each one
//! reads as the typed effect it stands for and that effect writes it back unchanged, and outbox
//! items written before effects were typed still read.

use gestiona_domain::case_type::Recipient;
use gestiona_domain::effects::{DocumentJob, EffectBody, EffectMessage, Notification, QueueName, Subject};
use gestiona_domain::{EntityId, TenantId, UserId};
use gestiona_tests::fixtures;
use serde_json::{Value, json};

fn id(text: &str) -> EntityId {
    EntityId::parse(text).unwrap()
}

/// The message in the fixture's first record, as JSON.
fn fixture_body(name: &str) -> Value {
    let event = fixtures::event(name);
    serde_json::from_str(event["Records"][0]["body"].as_str().expect("a body")).expect("the body is JSON")
}

fn assert_golden(name: &str, expected: &EffectMessage) {
    let wire = fixture_body(name);
    let read: EffectMessage = serde_json::from_value(wire.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(&read, expected, "{name} reads as the effect it stands for");
    assert_eq!(serde_json::to_value(expected).unwrap(), wire, "{name} is what the effect writes");
}

#[test]
fn a_customer_alert_travels_as_the_notification_fixture_says() {
    let tenant = TenantId::parse("demo").unwrap();
    let mut alert = Notification::new(
        &tenant,
        Subject::Case { id: id("01KAW3Z8Q4V6B3M9X2R5T7Y1PN") },
        "customer_alert",
        Recipient::Customer,
    );
    alert.contact_id = Some(id("01KAW3Z8Q4V6B3M9X2R5T7Y1PP"));
    alert.case_version = Some(3);
    alert.occurrence = Some("01KAW40S5EJ9Q0T2N6V8X1Z3B4".into());
    let message = EffectMessage::new("5f0c2d8e9a1b4c7d8e9f0a1b2c3d4e5f".into(), alert);
    assert_eq!(message.queue, QueueName::Notifications);
    assert_golden("sqs/notification.json", &message);
}

#[test]
fn a_requested_quote_travels_as_the_document_fixture_says() {
    let tenant = TenantId::parse("demo").unwrap();
    let mut job = DocumentJob::new(&tenant, id("01KAW3Z8Q4V6B3M9X2R5T7Y1PN"), "quote");
    job.document_id = Some(id("01KAW41B7CD0E2F4G6H8J9K1M3"));
    job.locale = Some("es".into());
    job.fields = json!({"reference": "COT-2026-0042"}).as_object().cloned();
    job.notify = true;
    job.occurrence = Some("document:01KAW41B7CD0E2F4G6H8J9K1M3".into());
    let message = EffectMessage::new("9a8b7c6d5e4f30211203f4e5d6c7b8a9".into(), job);
    assert_eq!(message.queue, QueueName::Documents);
    assert_golden("sqs/document.json", &message);
}

#[test]
fn outbox_items_written_before_effects_were_typed_still_read() {
    // As the transition code wrote an owner notification: nulls and empty lists included.
    let legacy = json!({"effectId": "e1", "queue": "notifications", "body": {
        "kind": "notify", "tenant": "demo", "subject": {"type": "case", "id": "01KAW3Z8Q4V6B3M9X2R5T7Y1PN"},
        "template": "case_assigned", "to": "owner", "users": ["ana"], "contactId": null, "accountId": null,
        "caseVersion": 1, "occurrence": "01KAW40S5EJ9Q0T2N6V8X1Z3B4"}});
    let read: EffectMessage = serde_json::from_value(legacy).expect("a legacy notification reads");
    let EffectBody::Notify(notification) = &read.body else { panic!("a notification: {read:?}") };
    assert_eq!(notification.users, [UserId::parse("ana").unwrap()]);
    assert_eq!((notification.to, notification.contact_id), (Recipient::Owner, None));
    // A workflow document whose template was unknown carried no document id.
    let legacy = json!({"effectId": "e2", "queue": "documents", "body": {
        "kind": "document", "tenant": "demo", "subject": {"type": "case", "id": "01KAW3Z8Q4V6B3M9X2R5T7Y1PN"},
        "template": "gone", "sendToCustomer": false, "caseVersion": 2, "occurrence": "x"}});
    let read: EffectMessage = serde_json::from_value(legacy).expect("a legacy document effect reads");
    assert!(matches!(read.body, EffectBody::Document(DocumentJob { document_id: None, .. })));
    // A dunning reminder about an invoice.
    let legacy = json!({"effectId": "e3", "queue": "notifications", "body": {
        "kind": "notify", "tenant": "demo", "subject": {"type": "invoice", "id": "F-001"},
        "template": "payment_reminder", "to": "customer", "occurrence": "dunning:2026-02-01:d5",
        "context": {"dunning": {"step": "d5", "offsetDays": 5}}}});
    let read: EffectMessage = serde_json::from_value(legacy).expect("a legacy reminder reads");
    assert!(
        matches!(&read.body, EffectBody::Notify(n) if matches!(&n.subject, Subject::Invoice { id } if id.as_str() == "F-001"))
    );
}

#[test]
fn a_message_of_an_unknown_kind_is_refused_with_its_kind_named() {
    let fax = json!({"effectId": "e4", "queue": "notifications", "body": {"kind": "fax", "tenant": "demo"}});
    let error = serde_json::from_value::<EffectMessage>(fax).unwrap_err().to_string();
    assert!(error.contains("unknown variant `fax`"), "{error}");
}
