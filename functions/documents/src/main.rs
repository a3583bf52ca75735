//! The documents worker: consumes the documents queue, renders each document with typst,
//! stores the PDF in S3 under a deterministic key and files it on the case, once, reporting
//! partial batch failures.

use aws_lambda_events::event::sqs::SqsEvent;
use gestiona_documents::{DocumentWorker, Renderer};
use gestiona_lambda::permissions::Lambda;
use gestiona_lambda::{ConfigError, DOCUMENTS_BUCKET_VARIABLE, HttpConfig};
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    gestiona_api::init_tracing();
    let config = HttpConfig::from_env()?;
    let aws = gestiona_lambda::aws();
    let blobs =
        gestiona_lambda::blob_store(&aws, Lambda::Documents).ok_or(ConfigError::Missing(DOCUMENTS_BUCKET_VARIABLE))?;
    let services = gestiona_lambda::services(&aws, Lambda::Documents, config.table, config.queues);
    // Fonts and templates are parsed during init, not on the first message.
    let worker = DocumentWorker::new(services, blobs, Renderer::shared());
    let worker = &worker;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        let response = gestiona_lambda::effect_batch(event.payload, |message| async move {
            worker.deliver(&message).await.map(|outcome| format!("{outcome:?}")).map_err(|e| e.to_string())
        })
        .await;
        Ok::<_, lambda_runtime::Error>(response)
    }))
    .await
}
