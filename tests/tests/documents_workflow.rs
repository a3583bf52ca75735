//! A workflow result's `document` effect: the transition queues the document with the case, the
//! worker reads the template's fields from the case's custom fields of the same names (no
//! sources declared; the fields are required, so the validator accepts the steps), renders it
//! and files it.
//! Data that cannot render (no account tax id for a promissory note) fails the document once,
//! with the reason, and is never retried.

use std::sync::Arc;

use gestiona_documents::{DocumentWorker, Outcome, Renderer};
use gestiona_domain::document::DocumentStatus;
use gestiona_domain::effects::EffectBody;
use gestiona_domain::ports::{SystemClock, UlidGenerator};
use gestiona_domain::service::Services;
use gestiona_domain::testing::MemoryBlobs;
use gestiona_domain::workflow::TransitionRequest;
use gestiona_domain::{Actor, Role, TenantId, UserId};
use gestiona_tests::queue::RecordingQueue;
use serde_json::json;

fn cobranza() -> serde_json::Value {
    json!({
        "key": "cobranza", "name": "Cobranza", "initialState": "pendiente",
        "states": [
            {"key": "pendiente", "name": "Pendiente", "class": "open"},
            {"key": "avisado", "name": "Avisado", "class": "waiting"},
            {"key": "pagado", "name": "Pagado", "class": "closed_success"}
        ],
        "customFields": [
            {"key": "reference", "label": "Factura", "kind": "text", "required": true},
            {"key": "amountDueMinor", "label": "Saldo", "kind": "money", "required": true},
            {"key": "dueDate", "label": "Vence", "kind": "date", "required": true},
            {"key": "principalMinor", "label": "Principal", "kind": "money", "required": true},
            {"key": "place", "label": "Lugar", "kind": "text", "required": true}
        ],
        "actions": [
            {"key": "avisar", "name": "Avisar", "from": ["pendiente"], "results": [
                {"key": "carta", "name": "Carta enviada", "next": "avisado",
                 "effects": [{"type": "document", "template": "collection_letter"}]},
                {"key": "pagare", "name": "Pagaré firmado", "next": "avisado",
                 "effects": [{"type": "document", "template": "contract"}]}
            ]},
            {"key": "cobrar", "name": "Cobrar", "from": ["avisado"], "results": [{"key": "pagado", "name": "Pagado", "next": "pagado"}]}
        ]
    })
}

#[tokio::test]
async fn a_workflow_document_renders_from_the_case_fields_or_fails_once_with_the_reason() {
    let dir = std::env::temp_dir().join(format!("gestiona-documents-{}", ulid::Ulid::generate()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = Arc::new(gestiona_store_embedded::EmbeddedStore::open(dir.join("store.redb")).unwrap());
    let queue = Arc::new(RecordingQueue::default());
    let services = Services::new(store, queue.clone(), Arc::new(SystemClock), Arc::new(UlidGenerator::default()));
    let tenant = TenantId::parse("demo").unwrap();
    services.seed_demo(&tenant).await.unwrap();
    let admin = Actor::with_role(&tenant, &UserId::parse("admin").unwrap(), Role::Admin);
    services.create_case_type(&admin, serde_json::from_value(cobranza()).unwrap()).await.unwrap();
    let account = services
        .create_account(&admin, serde_json::from_value(json!({"name": "Distribuidora Peñalba"})).unwrap())
        .await
        .unwrap();
    let blobs = Arc::new(MemoryBlobs::default());
    let worker = DocumentWorker::new(services.clone(), blobs.clone(), Renderer::shared());

    let open = |subject: &str| {
        let services = services.clone();
        let admin = admin.clone();
        let body = json!({"type": "cobranza", "subject": subject, "owner": "ana", "accountId": account.value.id,
            "customFields": {"reference": "F-2026-0099", "amountDueMinor": 87_500_000, "dueDate": "2099-12-15",
                             "principalMinor": 87_500_000, "place": "Heredia"}});
        async move { services.create_case(&admin, serde_json::from_value(body).unwrap()).await.unwrap() }
    };
    let step =
        |result: &str| TransitionRequest { action: "avisar".into(), result: result.into(), ..Default::default() };

    // A collection letter from the case's fields.
    let case = open("Saldo vencido").await;
    services.transition_case(&admin, case.value.id, 1.into(), step("carta")).await.unwrap();
    let effect =
        queue.published().into_iter().find(|m| matches!(m.body, EffectBody::Document(_))).expect("a document effect");
    let outcome = worker.deliver(&effect).await.unwrap();
    assert!(matches!(outcome, Outcome::Filed { .. }), "{outcome:?}");
    assert_eq!(worker.deliver(&effect).await.unwrap(), Outcome::Already);
    let documents = services.list_documents(&admin, case.value.id).await.unwrap();
    assert_eq!(documents.len(), 1);
    assert_eq!(documents[0].status, DocumentStatus::Ready);
    assert_eq!(documents[0].file_name, "Carta de Cobro Aviso Preventivo F-2026-0099.pdf");
    assert_eq!(blobs.len(), 1);

    // A promissory note for an account without a tax id: failed once, with the reason.
    let case = open("Pagaré").await;
    services.transition_case(&admin, case.value.id, 1.into(), step("pagare")).await.unwrap();
    let effect = queue
        .published()
        .into_iter()
        .find(|m| matches!(&m.body, EffectBody::Document(job) if job.template == "contract"))
        .expect("a contract effect");
    match worker.deliver(&effect).await.unwrap() {
        Outcome::Failed(reason) => assert!(reason.contains("customer.taxId"), "{reason}"),
        other => panic!("expected a failure, got {other:?}"),
    }
    assert_eq!(worker.deliver(&effect).await.unwrap(), Outcome::Already, "never retried");
    let documents = services.list_documents(&admin, case.value.id).await.unwrap();
    assert_eq!(documents[0].status, DocumentStatus::Failed);
    assert_eq!(documents[0].errors[0].field, "customer.taxId");
    assert_eq!(blobs.len(), 1, "nothing stored for the failed document");
}
