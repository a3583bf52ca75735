//! The outbox relay: on an EventBridge schedule, publishes every effect still in the outbox
//! (because a function could not reach its queue, or stopped between commit and publish) and
//! clears what the queue accepted. It reads only pending entries, never the table.

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    gestiona_api::init_tracing();
    let config = gestiona_lambda::HttpConfig::from_env()?;
    let services = gestiona_lambda::services(config.table, config.queues).await;
    let services = &services;
    lambda_runtime::run(service_fn(move |_: LambdaEvent<Value>| async move {
        let report = services.relay_outbox().await?;
        tracing::info!(published = report.published, failed = report.failed, "outbox relayed");
        if report.failed > 0 {
            // Failing the invocation makes the error visible (metrics, alarms); entries stay.
            return Err(format!("{} effects could not be published", report.failed).into());
        }
        Ok::<_, lambda_runtime::Error>(json!({ "published": report.published }))
    }))
    .await
}
