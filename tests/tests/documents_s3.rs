//! The documents worker against moto (DynamoDB and S3): one document effect delivered twice in
//! a batch, again later, and twice at once yields one S3 object with its content type and
//! SHA-256 metadata, and one `documentFiled` event. The presigned URL downloads the same bytes.

use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use gestiona_blob_s3::S3BlobStore;
use gestiona_documents::{DocumentWorker, Outcome, Renderer};
use gestiona_domain::document::DocumentStatus;
use gestiona_domain::effects::EffectBody;
use gestiona_domain::ports::{BlobStore, SystemClock, UlidGenerator};
use gestiona_domain::service::Services;
use gestiona_domain::{Actor, Role, TenantId, UserId};
use gestiona_tests::{fixtures, moto, queue::RecordingQueue};
use serde_json::json;
use sha2::Digest;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the AWS emulator: tests/run provides it"]
async fn a_redelivered_document_effect_files_one_object_and_one_event() {
    let store = Arc::new(moto::fresh_table().await);
    let queue = Arc::new(RecordingQueue::default());
    let services = Services::new(store, queue.clone(), Arc::new(SystemClock), Arc::new(UlidGenerator::default()));
    let tenant = TenantId::parse("demo").unwrap();
    services.seed_demo(&tenant).await.unwrap();
    let actor = Actor::with_role(&tenant, &UserId::parse("ana").unwrap(), Role::Agent);
    let account = services
        .create_account(
            &actor,
            serde_json::from_value(json!({"name": "Lácteos Ñuble Ltda.", "taxId": "76.123.456-7"})).unwrap(),
        )
        .await
        .unwrap();
    let case = services
        .create_case(&actor, serde_json::from_value(json!({"type": "devolucion", "subject": "Saldo pendiente", "owner": "ana", "accountId": account.value.id})).unwrap())
        .await
        .unwrap();
    let request = serde_json::from_value(json!({
        "template": "collection_letter",
        "fields": {"reference": "F-2026-0042", "amountDueMinor": 125_000_000, "dueDate": "2099-12-01"}
    }))
    .unwrap();
    let document = services.request_document(&actor, case.value.id, request).await.unwrap();
    let effect = queue
        .published()
        .into_iter()
        .find(|m| matches!(&m.body, EffectBody::Document(job) if job.document_id == Some(document.id)))
        .expect("the document's effect");

    let s3 = moto::s3();
    let bucket = moto::fresh_bucket(&s3).await;
    let blobs = Arc::new(S3BlobStore::new(s3.clone(), bucket.clone()));
    let worker = DocumentWorker::new(services.clone(), blobs.clone(), Renderer::shared());

    // One SQS batch holding the effect twice, as a redelivery would, then the batch again.
    let mut event = fixtures::event("sqs/document.json");
    event["Records"][0]["body"] = json!(serde_json::to_string(&effect).unwrap());
    let mut second = event["Records"][0].clone();
    second["messageId"] = json!("second-delivery");
    event["Records"].as_array_mut().unwrap().push(second);
    let event: SqsEvent = serde_json::from_value(event).unwrap();
    let deliver = |message: gestiona_domain::ports::EffectMessage| {
        let worker = &worker;
        async move { worker.deliver(&message).await.map(|o| format!("{o:?}")).map_err(|e| e.to_string()) }
    };
    let response = gestiona_lambda::effect_batch(event.clone(), deliver).await;
    assert!(response.batch_item_failures.is_empty(), "{:?}", response.batch_item_failures);
    let again = gestiona_lambda::effect_batch(event, deliver).await;
    assert!(again.batch_item_failures.is_empty());
    let (first, second) = tokio::join!(worker.deliver(&effect), worker.deliver(&effect));
    assert_eq!((first.unwrap(), second.unwrap()), (Outcome::Already, Outcome::Already));

    let objects = s3.list_objects_v2().bucket(&bucket).send().await.unwrap();
    let keys: Vec<&str> = objects.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys.len(), 1, "one object: {keys:?}");
    let key = keys[0];
    let template_version =
        Renderer::shared().template_version(gestiona_domain::document::DocumentTemplate::CollectionLetter);
    assert_eq!(
        key,
        format!("demo/cases/{}/collection_letter/{template_version}/{}.pdf", case.value.id, effect.effect_id),
        "tenant, subject, template, template version, effect id"
    );
    let head = s3.head_object().bucket(&bucket).key(key).send().await.unwrap();
    assert_eq!(head.content_type(), Some("application/pdf"));
    let pdf = blobs.get(key).await.unwrap().unwrap();
    let sha256 = hex::encode(sha2::Sha256::digest(&pdf));
    assert_eq!(head.metadata().and_then(|m| m.get("sha256")), Some(&sha256));

    let filed = services.get_document(&actor, case.value.id, document.id).await.unwrap().value;
    assert_eq!(filed.status, DocumentStatus::Ready);
    assert_eq!(filed.sha256.as_deref(), Some(sha256.as_str()));
    let history = services
        .case_history(&actor, case.value.id, &gestiona_domain::service::PageRequest::new(Some(100), None).unwrap())
        .await
        .unwrap();
    let filed_events = history
        .items
        .iter()
        .filter(|e| matches!(e.value.kind, gestiona_domain::history::EventKind::DocumentFiled { .. }))
        .count();
    assert_eq!(filed_events, 1, "one history entry");

    assert_eq!(filed.object_etag.as_deref(), head.e_tag(), "the filed object's ETag is recorded");
    let url = gestiona_domain::service::documents::download_link(&filed, blobs.as_ref(), 300).await.unwrap();
    assert!(url.starts_with(&moto::endpoint()) && url.contains("X-Amz-Signature"), "{url}");
    let downloaded = reqwest::get(&url).await.unwrap();
    assert_eq!(downloaded.status(), reqwest::StatusCode::OK);
    assert_eq!(downloaded.bytes().await.unwrap().to_vec(), pdf);

    // Replaced in the bucket behind the application's back (same size): no link is issued.
    let mut forged = pdf.clone();
    forged[pdf.len() / 2] ^= 1;
    s3.put_object().bucket(&bucket).key(key).body(forged.into()).send().await.unwrap();
    let refused = gestiona_domain::service::documents::download_link(&filed, blobs.as_ref(), 300).await;
    assert!(matches!(refused, Err(gestiona_domain::service::documents::DownloadLinkError::Replaced)), "{refused:?}");
}

/// The console's bucket without the S3 client (presigned URLs and plain HTTP) against moto: what
/// it puts the S3 client reads with its type and SHA-256, what the S3 client puts it reads, a
/// missing key is `None`, and a browser's PUT to its upload link lands with the signed type.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the AWS emulator: tests/run provides it"]
async fn the_consoles_presigned_store_reads_and_writes_the_bucket() {
    use aws_sdk_s3::config::Credentials;
    use gestiona_blob_s3::{PresignedS3, SHA256_METADATA};

    let s3 = moto::s3();
    let bucket = moto::fresh_bucket(&s3).await;
    let credentials = aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
        "testing",
        "testing",
        None,
        None,
        "gestiona-tests",
    ));
    let presigned = PresignedS3::new(credentials, "us-east-1".into(), moto::endpoint(), bucket.clone());
    let key = "demo/cases/01JD0000000000000000000000/uploads/01JD0000000000000000000001/acta firmada (1).pdf";

    let etag = presigned.put(key, b"%PDF-1.7 acta", "application/pdf", "abc123").await.unwrap();
    let head = s3.head_object().bucket(&bucket).key(key).send().await.unwrap();
    assert_eq!(head.e_tag(), Some(etag.as_str()), "put answers the object's ETag");
    assert_eq!(head.content_type(), Some("application/pdf"));
    assert_eq!(head.metadata().and_then(|m| m.get(SHA256_METADATA)).map(String::as_str), Some("abc123"));
    let info = presigned.head(key).await.unwrap().expect("the object");
    assert_eq!((info.size, info.content_type.as_str(), info.etag.as_str()), (13, "application/pdf", etag.as_str()));
    assert_eq!(presigned.get(key).await.unwrap().as_deref(), Some(&b"%PDF-1.7 acta"[..]));
    assert_eq!(presigned.head("demo/nothing/here.pdf").await.unwrap(), None);
    assert_eq!(presigned.get("demo/nothing/here.pdf").await.unwrap(), None);

    let photo = b"\xff\xd8\xff foto del saco";
    let upload_key = "demo/cases/01JD0000000000000000000000/uploads/01JD0000000000000000000002/saco.jpg";
    let url = presigned.presign_put(upload_key, "image/jpeg", photo.len() as u64, 300).await.unwrap();
    let put = |bytes: &[u8]| {
        let mut request = reqwest::Client::new().put(&url).body(bytes.to_vec());
        for (name, value) in gestiona_domain::ports::upload_headers("image/jpeg") {
            request = request.header(name, value);
        }
        request.send()
    };
    let sent = put(photo).await.unwrap();
    assert!(sent.status().is_success(), "{}", sent.status());
    // The link writes its object once: the filed photo cannot be replaced through it.
    let replaced = put(b"\xff\xd8\xff otra foto xyz").await.unwrap();
    assert_eq!(replaced.status(), reqwest::StatusCode::PRECONDITION_FAILED);
    let info = presigned.head(upload_key).await.unwrap().expect("the upload");
    assert_eq!((info.size, info.content_type.as_str()), (photo.len() as u64, "image/jpeg"));
    let download = presigned.presign_get(upload_key, "saco.jpg", 300).await.unwrap();
    let bytes = reqwest::get(download).await.unwrap().bytes().await.unwrap();
    assert_eq!(&bytes[..], photo);
}
