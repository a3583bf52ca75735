//! The notifier against moto: an effect delivered twice (in one SQS batch, and again later)
//! produces exactly one SES send, which parses as a proper MIME message.

use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use gestiona_domain::ports::{SystemClock, UlidGenerator};
use gestiona_domain::service::Services;
use gestiona_domain::{Actor, Role, TenantId, UserId};
use gestiona_mail_ses::SesMailer;
use gestiona_notify::{Notifier, Templates};
use gestiona_tests::{fixtures, moto, queue::RecordingQueue, scenes};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the AWS emulator: tests/run provides it"]
async fn a_redelivered_notification_is_sent_once_through_ses() {
    let store = Arc::new(moto::fresh_table().await);
    let queue = Arc::new(RecordingQueue::default());
    let services = Services::new(store, queue.clone(), Arc::new(SystemClock), Arc::new(UlidGenerator::default()));
    let tenant = TenantId::parse("demo").unwrap();
    services.seed_demo(&tenant).await.unwrap();
    let actor = Actor::with_role(&tenant, &UserId::parse("sofia").unwrap(), Role::Supervisor);
    let scenes::CustomerAlert { message: alert, customer, .. } =
        scenes::customer_alert(&services, &queue, &actor).await;

    let ses = moto::sesv2();
    ses.create_email_identity()
        .email_identity("demo.gestiona.example")
        .send()
        .await
        .expect("verify the sender domain in moto");
    let notifier = Notifier::new(
        services.clone(),
        Arc::new(SesMailer::new(ses, None)),
        Templates::shared(),
        "no-reply@demo.gestiona.example".into(),
    );

    // One SQS batch holding the same message twice, as a redelivery would.
    let event = scenes::redelivered_batch(&alert);
    let event: SqsEvent = serde_json::from_value(event).expect("an SQS event");
    let response = gestiona_lambda::notifier_batch(&notifier, event.clone()).await;
    assert!(response.batch_item_failures.is_empty(), "{:?}", response.batch_item_failures);
    let again = gestiona_lambda::notifier_batch(&notifier, event).await;
    assert!(again.batch_item_failures.is_empty());

    let sent: Vec<(Vec<String>, String)> =
        moto::sent_raw_emails().await.into_iter().filter(|(to, _)| to.contains(&customer)).collect();
    assert_eq!(sent.len(), 1, "exactly one SES send for the effect");
    let parsed = mail_parser::MessageParser::default().parse(sent[0].1.as_bytes()).expect("a MIME message");
    assert_eq!(parsed.subject(), Some("Actualización de su solicitud: Licuadora con daño en el envío"));
    assert_eq!(parsed.to().and_then(|a| a.first()).and_then(|a| a.name()), Some("María José Peña Núñez"));
    assert_eq!((parsed.text_body_count(), parsed.html_body_count()), (1, 1), "both parts");
    assert!(parsed.body_text(0).unwrap().contains("Estado actual: Esperando el producto"));
    assert!(parsed.body_html(0).unwrap().contains("<strong>Licuadora con daño en el envío</strong>"));
    assert_eq!(parsed.from().and_then(|a| a.first()).and_then(|a| a.address()), Some("avisos@demo.gestiona.example"));

    // Unreadable messages are reported for retry (and end in the DLQ), never dropped.
    let mut poison = fixtures::event("sqs/notification.json");
    poison["Records"][0]["body"] = serde_json::Value::from("not json");
    let poison: SqsEvent = serde_json::from_value(poison).unwrap();
    let failed = gestiona_lambda::notifier_batch(&notifier, poison).await;
    assert_eq!(failed.batch_item_failures.len(), 1);
    assert_eq!(failed.batch_item_failures[0].item_identifier, "059f36b4-87a3-44ab-83d2-661975830a7d");
}
